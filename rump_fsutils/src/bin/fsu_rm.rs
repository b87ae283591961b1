//! `fsu_rm`: remove files (and with `-r` trees) from the image.

use rump::Errno;
use rump_fsutils::session::{Access, Command};
use rump_fsutils::tree::{self, Visit};
use rumpvfs::VfsCalls;

const USAGE: &str = "usage: fsu_rm [-o mnt_args] [-t fstype] image [-fRrv] file ...";

fn main() {
    let cmd = Command::parse("fsu_rm", USAGE, "fRrv");
    let a = &cmd.args;
    let (force, recursive, verbose) = (a.has('f'), a.has('r') || a.has('R'), a.has('v'));
    if a.operands.is_empty() && !force {
        cmd.usage();
    }
    let files = a.operands.clone();
    let mut s = cmd.mount(Access::ReadWrite);
    let k = s.kernel();
    for f in &files {
        let st = match k.sys_lstat(f) {
            Ok(st) => st,
            Err(Errno::ENOENT) if force => continue,
            Err(e) => {
                s.warn(f, e);
                continue;
            }
        };
        if !tree::is_dir(&st) {
            match k.sys_unlink(f) {
                Ok(()) if verbose => println!("{f}"),
                Ok(()) => {}
                Err(e) => s.warn(f, e),
            }
            continue;
        }
        if !recursive {
            s.warnx(&format!("{f}: is a directory"));
            continue;
        }
        tree::walk(&k, f, &mut |v| {
            let (p, r) = match v {
                Visit::Pre(p, st) if !tree::is_dir(st) => (p, k.sys_unlink(p)),
                Visit::Post(p, _) => (p, k.sys_rmdir(p)),
                Visit::Error(p, e) => (p, Err(e)),
                Visit::Pre(..) => return true,
            };
            match r {
                Ok(()) if verbose => println!("{p}"),
                Ok(()) => {}
                Err(e) => s.warn(p, e),
            }
            true
        });
    }
    s.finish()
}
