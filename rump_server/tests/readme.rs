//! The README's examples, run as written: every indented block of `$ `
//! lines is part of one shell session (an `export` in one block holds in
//! the next), run in a fresh directory with the installed tools first on
//! `PATH` and `DIR` standing for the install prefix. Each command must
//! succeed, and the lines shown under a command are what it prints (the
//! rump host name and link addresses, which differ from run to run, aside).

mod common;

use common::*;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One `$` line and the output shown under it.
struct Step {
    cmd: String,
    shown: Vec<String>,
}

/// Take a trailing `# comment` (after two spaces or more) off a line.
fn uncomment(line: &str) -> &str {
    match line.find("  #") {
        Some(i) => line[..i].trim_end(),
        None => line.trim_end(),
    }
}

/// The steps of every indented block that has `$` lines, in order.
fn steps(readme: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut in_fence = false;
    let mut in_session = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        let Some(code) = line.strip_prefix("    ").filter(|_| !in_fence) else {
            in_session = false;
            continue;
        };
        if let Some(cmd) = code.strip_prefix("$ ") {
            steps.push(Step {
                cmd: cmd.to_owned(),
                shown: Vec::new(),
            });
            in_session = true;
        } else if in_session && let Some(s) = steps.last_mut() {
            s.shown.push(uncomment(code).to_owned());
        }
    }
    steps
}

#[test]
fn the_readme_examples_run_as_written() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let steps = steps(&readme);
    assert!(steps.len() > 20, "found only {} example steps", steps.len());
    let dir = tempdir("readme");
    let prefix = prefix();
    for bus in ["/tmp/bus", "/tmp/bus2"] {
        let _ = std::fs::remove_file(bus);
    }
    let mut script = format!(
        "export PATH={}:$PATH\nexec 2>&1\n",
        prefix.join("bin").display()
    );
    for (i, s) in steps.iter().enumerate() {
        let cmd = s.cmd.replace("DIR/", &format!("{}/", prefix.display()));
        script.push_str(&format!(
            "printf '\\n@@step {i}\\n'\n{cmd}\nprintf '\\n@@status %d\\n' $?\n"
        ));
    }
    let mut sh = Command::new("bash")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    sh.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = sh.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(out).unwrap());
    let t = Instant::now();
    while sh.try_wait().unwrap().is_none() {
        if t.elapsed() > Duration::from_secs(240) {
            let _ = sh.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = reader.join().unwrap();
    // The servers the examples leave running.
    for pid in pids_with(&dir.to_string_lossy()) {
        kill("-KILL", pid);
    }
    for bus in ["/tmp/bus", "/tmp/bus2"] {
        let _ = std::fs::remove_file(bus);
    }
    let mut failures = Vec::new();
    let mut seen = 0;
    for part in text.split("\n@@step ").skip(1) {
        let (num, rest) = part.split_once('\n').unwrap_or((part, ""));
        let i: usize = num.trim().parse().unwrap();
        let (output, status) = rest.rsplit_once("\n@@status ").unwrap_or((rest, "none"));
        let step = &steps[i];
        if status.trim() != "0" {
            failures.push(format!(
                "`{}` failed (status {}):\n{output}",
                step.cmd,
                status.trim()
            ));
        } else if !step.shown.is_empty() {
            let got: Vec<String> = output
                .lines()
                .map(normalize_line)
                .filter(|l| !l.is_empty())
                .collect();
            let want: Vec<String> = step.shown.iter().map(|l| normalize_line(l)).collect();
            if got != want {
                failures.push(format!(
                    "`{}` prints\n{}\nwhere the README shows\n{}",
                    step.cmd,
                    got.join("\n"),
                    want.join("\n")
                ));
            }
        }
        seen += 1;
    }
    if seen != steps.len() {
        failures.push(format!("the session stopped after {seen} steps:\n{text}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let _ = std::fs::remove_dir_all(&dir);
}
