//! `rump.umount`: NetBSD's `umount(8)` against the rump kernel named by
//! `RUMP_SERVER`: `rump.umount [-fRv] special | node ...`.
//!
//! As NetBSD's: each name is made absolute (`realpath`), a block device
//! names the file system mounted from it and a directory the file system
//! mounted on it, and what is not mounted says so; `-R` passes the name
//! to `unmount(2)` as it is; `-f` forces; `-v` says what it unmounts.
//! After an NFS mount (`host:/path`) is unmounted without `-f`, the
//! server's mount daemon is told (UMNT), as NetBSD's umount does.

#![forbid(unsafe_code)]

use rump_mount::{MNT_FORCE, cstr, mode_of, mounted, realpath};
use rumpclient::{Client, Regions};
use std::process::ExitCode;

const PROG: &str = "rump.umount";
const USAGE: &str = "Usage: rump.umount [-fRv] special | node ...";

/// What a name is taken to be (`mntwhat`).
#[derive(Clone, Copy, PartialEq)]
enum Names {
    /// A block device: the file system mounted from it.
    Special,
    /// A directory: the file system mounted on it.
    MountPoint,
    /// Either, the mount point first.
    Any,
}

/// `getmntname`: the other name of the mount whose `what` name is `name`
/// (the newest such mount).
fn other_name(c: &Client, name: &str, what: Names) -> Result<Option<String>, String> {
    let all = mounted(c).map_err(|e| format!("getmntinfo: {e}"))?;
    Ok(all.iter().rev().find_map(|m| match what {
        Names::Special => (m.from == name).then(|| m.on.clone()),
        _ => (m.on == name).then(|| m.from.clone()),
    }))
}

/// The `host:/path` of the NFS mount on `mntpt`, if it is one.
fn nfs_spec(c: &Client, mntpt: &str) -> Result<Option<String>, String> {
    let all = mounted(c).map_err(|e| format!("getmntinfo: {e}"))?;
    Ok(all
        .iter()
        .rev()
        .find(|m| m.on == mntpt)
        .filter(|m| m.fstype == "nfs" && m.from.contains(':'))
        .map(|m| m.from.clone()))
}

/// Unmount the file system `name` names; the message of a failure.
fn umount(c: &Client, name: &str, flags: u64, raw: bool, verbose: bool) -> Result<(), String> {
    let mntpt = if raw {
        name.to_owned()
    } else {
        let name = realpath(c, name).map_err(|e| format!("{name}: {e}"))?;
        let kind = mode_of(c, &name, true).map_or(0, |m| m & netbsd_abi::S_IFMT as u32);
        let what = match kind {
            k if k == netbsd_abi::S_IFBLK as u32 => Names::Special,
            k if k == netbsd_abi::S_IFDIR as u32 => Names::MountPoint,
            _ => Names::Any,
        };
        let not_mounted = || format!("{name}: not currently mounted");
        match what {
            Names::Special => other_name(c, &name, what)?.ok_or_else(not_mounted)?,
            Names::MountPoint => {
                other_name(c, &name, what)?.ok_or_else(not_mounted)?;
                name.clone()
            }
            Names::Any => match other_name(c, &name, Names::MountPoint)? {
                Some(_) => name.clone(),
                None => other_name(c, &name, Names::Special)?.ok_or_else(not_mounted)?,
            },
        }
    };
    if verbose {
        println!("{name}: unmount from {mntpt}");
    }
    let spec = if flags & MNT_FORCE == 0 {
        nfs_spec(c, &mntpt)?
    } else {
        None
    };
    let m = Regions::new();
    c.syscall(netbsd_abi::SYS_unmount, &[m.add(&cstr(&mntpt)), flags], &m)
        .map_err(|e| format!("{mntpt}: {e}"))?;
    match spec {
        Some(spec) => rump_mount::nfs::unmounted(&spec),
        None => Ok(()),
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let (mut flags, mut verbose, mut raw) = (0u64, false, false);
    let mut names = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.strip_prefix('-').filter(|o| !o.is_empty()) {
            // getopt: options end at "--" or the first operand.
            Some("-") => {
                names.extend(args.by_ref());
            }
            Some(opts) => {
                for c in opts.chars() {
                    match c {
                        'f' => flags |= MNT_FORCE,
                        'v' => verbose = true,
                        'R' => raw = true,
                        'a' | 'A' | 'F' | 'h' | 't' => {
                            eprintln!(
                                "{PROG}: -{c}: there is no fstab in a rump kernel; name the node"
                            );
                            return ExitCode::FAILURE;
                        }
                        _ => {
                            eprintln!("{PROG}: unknown option -- {c}");
                            return usage();
                        }
                    }
                }
            }
            None => {
                names.push(a);
                names.extend(args.by_ref());
            }
        }
    }
    if names.is_empty() {
        return usage();
    }
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::FAILURE;
    };
    let mut status = ExitCode::SUCCESS;
    for name in names {
        if let Err(msg) = umount(&c, &name, flags, raw, verbose) {
            eprintln!("{PROG}: {msg}");
            status = ExitCode::FAILURE;
        }
    }
    status
}
