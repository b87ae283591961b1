//! `rump.rmdir`: NetBSD's `rmdir(1)` against the rump kernel named by
//! `RUMP_SERVER`: `rump.rmdir [-p] directory ...`.

#![forbid(unsafe_code)]

use rump_mount::cstr;
use rumpclient::{Client, Regions};
use std::process::ExitCode;

const PROG: &str = "rump.rmdir";
const USAGE: &str = "usage: rump.rmdir [-p] directory ...";
use netbsd_abi::SYS_rmdir;

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let mut parents = false;
    let mut dirs = Vec::new();
    let mut options_done = false;
    for a in std::env::args().skip(1) {
        match a
            .strip_prefix('-')
            .filter(|o| !o.is_empty() && !options_done && dirs.is_empty())
        {
            Some("-") => options_done = true,
            Some(opts) => {
                for c in opts.chars() {
                    if c != 'p' {
                        eprintln!("{PROG}: unknown option -- {c}");
                        eprintln!("{USAGE}");
                        return ExitCode::FAILURE;
                    }
                    parents = true;
                }
            }
            None => dirs.push(a),
        }
    }
    if dirs.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    }
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::FAILURE;
    };
    let rmdir = |p: &str| {
        let m = Regions::new();
        let r = c.syscall(SYS_rmdir, &[m.add(&cstr(p))], &m);
        if let Err(e) = &r {
            eprintln!("{PROG}: {p}: {e}");
        }
        r.is_ok()
    };
    let mut status = ExitCode::SUCCESS;
    for d in &dirs {
        // Trailing slashes go, as rmdir(1) takes them off.
        let mut path = d.trim_end_matches('/');
        if path.is_empty() {
            path = "/";
        }
        let mut ok = rmdir(path);
        // -p: then each parent, from the last component back.
        while ok && parents {
            let Some(slash) = path.rfind('/') else { break };
            path = path[..slash].trim_end_matches('/');
            if path.is_empty() {
                break;
            }
            ok = rmdir(path);
        }
        if !ok {
            status = ExitCode::FAILURE;
        }
    }
    status
}
