//! `rump.rndctl`: NetBSD's rndctl(8) as a rump kernel client. Lists the
//! kernel's entropy sources (`-l`, `-v`, by name with `-d` or by type
//! with `-t`), its pool's statistics (`-s`), and turns collection and
//! estimation on and off (`-c`, `-C`, `-e`, `-E`) through `/dev/urandom`'s
//! ioctls, with NetBSD's options, output and messages. Saving and
//! loading a seed file (`-S`, `-L`) is not built yet.

use rump_devtools::rndio::*;
use rump_devtools::{Dev, RDONLY, cstr, getopt, put_u32, u32_at};
use rumpclient::{Client, Errno};
use std::process::ExitCode;

const PROG: &str = "rump.rndctl";
/// `_PATH_URANDOM`.
const PATH_URANDOM: &str = "/dev/urandom";
/// rndctl's "no type given".
const ANY_TYPE: u32 = 0xff;

fn usage() -> ExitCode {
    eprintln!("usage: {PROG} [-CEce] [-d devname | -t devtype]");
    eprintln!("       {PROG} [-lsv] [-d devname | -t devtype]");
    eprintln!("\t{PROG} -[L|S] save-file");
    ExitCode::from(1)
}

/// `err(1, "what")`.
fn fail(what: &str, e: Errno) -> ExitCode {
    eprintln!("{PROG}: {what}: {}", e.description());
    ExitCode::from(1)
}

/// `find_name`: a type's name, "???" (and a warning) for unknown ones.
fn type_name(t: u32) -> &'static str {
    TYPE_NAMES.get(t as usize).copied().unwrap_or_else(|| {
        eprintln!("{PROG}: device type {t} unknown");
        "???"
    })
}

/// `strflags`: what a source does, as rndctl words it.
fn strflags(fl: u32) -> String {
    let mut words = Vec::new();
    if fl & RND_FLAG_NO_ESTIMATE == 0 {
        words.push("estimate");
    }
    if fl & RND_FLAG_NO_COLLECT == 0 {
        words.push("collect");
    }
    for (bit, w) in [
        (RND_FLAG_COLLECT_VALUE, "v"),
        (RND_FLAG_COLLECT_TIME, "t"),
        (RND_FLAG_ESTIMATE_VALUE, "dv"),
        (RND_FLAG_ESTIMATE_TIME, "dt"),
    ] {
        if fl & bit != 0 {
            words.push(w);
        }
    }
    words.join(", ")
}

const HEADER: &str = "Source                 Bits Type      Flags";

/// One source's line (and, with `-v`, its estimator's counts), from an
/// `rndsource_est_t` at the start of `s`.
fn source_line(s: &[u8], show: bool, verbose: bool) {
    if show {
        println!(
            "{:<16} {:>10} {:<4} {}",
            cstr(&s[..NAME_LEN]),
            u32_at(s, SRC_TOTAL),
            type_name(u32_at(s, SRC_TYPE)),
            strflags(u32_at(s, SRC_FLAGS))
        );
    }
    if verbose {
        // NetBSD prints the counts even for sources its -t filter hides.
        for (i, what) in ["Dt samples", "Dt bits", "Dv samples", "Dv bits"]
            .iter()
            .enumerate()
        {
            println!("\t{what} = {}", u32_at(s, SRC_ESTIMATES + 4 * i) as i32);
        }
    }
}

/// `do_list`: one source by name, the sources of one type, or all.
fn list(c: &Client, all: bool, typ: u32, name: &str, verbose: bool) -> Result<(), ExitCode> {
    let dev = Dev::open(c, PATH_URANDOM, RDONLY).map_err(|e| fail("open", e))?;
    if !all && typ == ANY_TYPE {
        let mut a = [0u8; STAT_EST_NAME_SIZE];
        put_name(&mut a, name);
        dev.ioctl(RNDGETESTNAME, &mut a)
            .map_err(|e| fail("ioctl(RNDGETESTNAME)", e))?;
        println!("{HEADER}");
        source_line(&a[NAME_LEN..], true, verbose);
        return Ok(());
    }
    println!("{HEADER}");
    let mut start = 0u32;
    loop {
        let mut a = vec![0u8; STAT_EST_SIZE];
        put_u32(&mut a, STAT_START, start);
        put_u32(&mut a, STAT_COUNT, RND_MAXSTATCOUNT as u32);
        dev.ioctl(RNDGETESTNUM, &mut a)
            .map_err(|e| fail("ioctl(RNDGETESTNUM)", e))?;
        let count = u32_at(&a, STAT_COUNT).min(RND_MAXSTATCOUNT as u32);
        if count == 0 {
            return Ok(());
        }
        for i in 0..count as usize {
            let s = &a[STAT_SOURCES + i * SOURCE_EST_SIZE..][..SOURCE_EST_SIZE];
            source_line(s, all || u32_at(s, SRC_TYPE) == typ, verbose);
        }
        start += count;
    }
}

/// `do_stats`: the pool's counters.
fn stats(c: &Client) -> Result<(), ExitCode> {
    let dev = Dev::open(c, PATH_URANDOM, RDONLY).map_err(|e| fail("open", e))?;
    let mut p = [0u8; POOLSTAT_SIZE];
    dev.ioctl(RNDGETPOOLSTAT, &mut p)
        .map_err(|e| fail("ioctl(RNDGETPOOLSTAT)", e))?;
    println!("\t{:>9} bits mixed into pool", u32_at(&p, POOL_ADDED));
    println!(
        "\t{:>9} bits currently stored in pool (max {})",
        u32_at(&p, POOL_CURENTROPY),
        u32_at(&p, POOL_MAXENTROPY)
    );
    println!(
        "\t{:>9} bits of entropy discarded due to full pool",
        u32_at(&p, POOL_DISCARDED)
    );
    println!(
        "\t{:>9} hard-random bits generated",
        u32_at(&p, POOL_REMOVED)
    );
    println!(
        "\t{:>9} pseudo-random bits generated",
        u32_at(&p, POOL_GENERATED)
    );
    Ok(())
}

/// A source name into the 16-byte field at the start of `b`, cut to 15
/// bytes as rndctl's `strlcpy` cuts it.
fn put_name(b: &mut [u8], name: &str) {
    let n = name.len().min(NAME_LEN - 1);
    b[..n].copy_from_slice(&name.as_bytes()[..n]);
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (opts, rest) = match getopt(&args, "CES:L:celt:d:sv") {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("{PROG}: {msg}");
            return usage();
        }
    };
    let (mut flags, mut mask) = (0u32, 0u32);
    let (mut cmd, mut lflag, mut mflag, mut sflag, mut vflag) = (None, false, false, false, false);
    let mut typ = ANY_TYPE;
    let mut name = String::new();
    for (ch, val) in opts {
        match ch {
            'C' | 'c' => {
                flags = if ch == 'C' {
                    flags | RND_FLAG_NO_COLLECT
                } else {
                    flags & !RND_FLAG_NO_COLLECT
                };
                mask |= RND_FLAG_NO_COLLECT;
                mflag = true;
            }
            'E' | 'e' => {
                flags = if ch == 'E' {
                    flags | RND_FLAG_NO_ESTIMATE
                } else {
                    flags & !RND_FLAG_NO_ESTIMATE
                };
                mask |= RND_FLAG_NO_ESTIMATE;
                mflag = true;
            }
            'L' | 'S' | 't' | 'd' => {
                if cmd.is_some() {
                    return usage();
                }
                cmd = Some(ch);
                let v = val.unwrap_or_default();
                match ch {
                    't' => match TYPE_NAMES.iter().position(|n| *n == v) {
                        Some(t) => typ = t as u32,
                        None => {
                            eprintln!("{PROG}: device name {v} unknown");
                            return ExitCode::from(1);
                        }
                    },
                    'd' => {
                        typ = ANY_TYPE;
                        name = v;
                    }
                    _ => {}
                }
            }
            'l' => lflag = true,
            's' => sflag = true,
            'v' => vflag = true,
            _ => return usage(),
        }
    }
    if !rest.is_empty() {
        return usage();
    }
    if let Some(c @ ('S' | 'L')) = cmd {
        eprintln!("{PROG}: -{c}: saving and loading seed files is not supported yet");
        return ExitCode::from(1);
    }
    if ((lflag || sflag) && mflag) || (!lflag && !mflag && !sflag) {
        return usage();
    }
    if !lflag && cmd.is_none() && !sflag {
        return usage();
    }
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    if mflag {
        let dev = match Dev::open(&c, PATH_URANDOM, RDONLY) {
            Ok(d) => d,
            Err(e) => return fail("open", e),
        };
        let mut a = [0u8; CTL_SIZE];
        put_name(&mut a, &name);
        put_u32(&mut a, CTL_TYPE, typ);
        put_u32(&mut a, CTL_FLAGS, flags);
        put_u32(&mut a, CTL_MASK, mask);
        if let Err(e) = dev.ioctl(RNDCTL, &mut a) {
            return fail("ioctl(RNDCTL)", e);
        }
        return ExitCode::SUCCESS;
    }
    if lflag && let Err(code) = list(&c, cmd.is_none(), typ, &name, vflag) {
        return code;
    }
    if sflag && let Err(code) = stats(&c) {
        return code;
    }
    ExitCode::SUCCESS
}
