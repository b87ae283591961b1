//! `rump.umount`: NetBSD's `umount(8)` against the rump kernel named by
//! `RUMP_SERVER`: `rump.umount [-fv] node ...`.

#![forbid(unsafe_code)]

use rump_mount::{MNT_FORCE, cstr};
use rumpclient::{Client, Regions};
use std::process::ExitCode;

const PROG: &str = "rump.umount";
const USAGE: &str = "usage: rump.umount [-fv] node ...";

fn main() -> ExitCode {
    let (mut flags, mut verbose) = (0u64, false);
    let mut nodes = Vec::new();
    for a in std::env::args().skip(1) {
        match a
            .strip_prefix('-')
            .filter(|o| !o.is_empty() && nodes.is_empty())
        {
            Some(opts) => {
                for c in opts.chars() {
                    match c {
                        'f' => flags |= MNT_FORCE,
                        'v' => verbose = true,
                        'a' | 'A' | 't' | 'R' => {
                            eprintln!(
                                "{PROG}: -{c}: there is no fstab in a rump kernel; name the node"
                            );
                            return ExitCode::FAILURE;
                        }
                        _ => {
                            eprintln!("{USAGE}");
                            return ExitCode::FAILURE;
                        }
                    }
                }
            }
            None => nodes.push(a),
        }
    }
    if nodes.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    }
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::FAILURE;
    };
    let mut status = ExitCode::SUCCESS;
    for node in nodes {
        let m = Regions::new();
        match c.syscall(netbsd_abi::SYS_unmount, &[m.add(&cstr(&node)), flags], &m) {
            Ok(_) if verbose => println!("{node}: unmount"),
            Ok(_) => {}
            Err(e) => {
                eprintln!("{PROG}: {node}: {e}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}
