//! `fsu_touch`: set files' times in the image, making missing ones.

use rump::Errno;
use rump_fsutils::session::{Access, Command};
use rumpvfs::VfsCalls;
use rumpvfs::flags::{O_CREAT, O_WRONLY};

const USAGE: &str = "usage: fsu_touch [-o mnt_args] [-t fstype] image [-acm] [-r file] file ...";

fn main() {
    let cmd = Command::parse("fsu_touch", USAGE, "acmr:");
    let a = &cmd.args;
    if a.operands.is_empty() {
        cmd.usage();
    }
    let (only_a, only_m, no_create) = (a.has('a'), a.has('m'), a.has('c'));
    let (set_a, set_m) = if only_a || only_m {
        (only_a, only_m)
    } else {
        (true, true)
    };
    let reference = a.value('r').map(String::from);
    let files = a.operands.clone();
    let mut s = cmd.mount(Access::ReadWrite);
    let k = s.kernel();
    let times = match &reference {
        Some(r) => match k.sys_stat(r) {
            Ok(st) => (st.atime, st.mtime),
            Err(e) => {
                s.warn(r, e);
                s.finish()
            }
        },
        None => {
            let now = k.clock().realtime_timespec();
            ((now.0, now.1), (now.0, now.1))
        }
    };
    for f in &files {
        let st = match k.sys_stat(f) {
            Ok(st) => st,
            Err(Errno::ENOENT) if no_create => continue,
            Err(Errno::ENOENT) => {
                match k
                    .sys_open(f, O_WRONLY | O_CREAT, 0o666)
                    .and_then(|fd| k.sys_close(fd))
                {
                    Ok(()) => {}
                    Err(e) => {
                        s.warn(f, e);
                        continue;
                    }
                }
                match k.sys_stat(f) {
                    Ok(st) => st,
                    Err(e) => {
                        s.warn(f, e);
                        continue;
                    }
                }
            }
            Err(e) => {
                s.warn(f, e);
                continue;
            }
        };
        let at = if set_a { times.0 } else { st.atime };
        let mt = if set_m { times.1 } else { st.mtime };
        if let Err(e) = k.sys_utimes(f, at, mt) {
            s.warn(f, e);
        }
    }
    s.finish()
}
