//! Timing: records of our time against a baseline's, medians, and the table.

use std::time::{Duration, Instant};

/// One line of the table: our measure and the baseline's, in one unit.
pub(crate) struct Record {
    /// What was measured.
    pub(crate) name: &'static str,
    /// The unit of both values.
    pub(crate) unit: &'static str,
    /// Our value.
    pub(crate) ours: f64,
    /// What the baseline is.
    pub(crate) baseline_name: &'static str,
    /// The baseline's value.
    pub(crate) baseline: f64,
}

impl Record {
    /// Two timings of the same work, in milliseconds.
    pub(crate) fn ms(
        name: &'static str,
        ours: Duration,
        baseline_name: &'static str,
        baseline: Duration,
    ) -> Record {
        Record {
            name,
            unit: "ms",
            ours: ours.as_secs_f64() * 1e3,
            baseline_name,
            baseline: baseline.as_secs_f64() * 1e3,
        }
    }
}

pub(crate) fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub(crate) fn time_runs(runs: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm up caches and lazy host state
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// Median cost of one call of `f`, measured in batches.
pub(crate) fn per_call(runs: usize, batch: u32, mut f: impl FnMut()) -> f64 {
    time_runs(runs, || {
        for _ in 0..batch {
            f();
        }
    })
    .as_secs_f64()
        / f64::from(batch)
}

pub(crate) fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The table: our time, the baseline's, and ours over theirs.
pub(crate) fn print_records(records: &[Record]) {
    println!(
        "{:<26} {:>12} {:>12} {:>8}  baseline",
        "benchmark", "ours", "baseline", "ratio"
    );
    for r in records {
        println!(
            "{:<26} {:>9.2} {:<3} {:>8.2} {:<3} {:>7.3}  {}",
            r.name,
            r.ours,
            r.unit,
            r.baseline,
            r.unit,
            r.ours / r.baseline,
            r.baseline_name
        );
    }
}

/// Write `records` to `path` as a JSON array, one object per line.
pub(crate) fn write_json(path: &str, records: &[Record]) -> std::io::Result<()> {
    let rows: Vec<String> = records
        .iter()
        .map(|r| {
            format!(
                "  {{\"name\": \"{}\", \"unit\": \"{}\", \"ours\": {:.3}, \"baseline\": \"{}\", \"baseline_value\": {:.3}, \"ratio\": {:.6}}}",
                r.name,
                r.unit,
                r.ours,
                r.baseline_name,
                r.baseline,
                r.ours / r.baseline
            )
        })
        .collect();
    std::fs::write(path, format!("[\n{}\n]\n", rows.join(",\n")))
}
