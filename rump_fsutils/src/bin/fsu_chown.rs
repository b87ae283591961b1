//! `fsu_chown`: change the owner and group of files in the image.

use rump_fsutils::names::Names;
use rump_fsutils::session::{Access, Command};
use rump_fsutils::tree::{self, Visit};
use rumpvfs::VfsCalls;

const USAGE: &str = "usage: fsu_chown [-o mnt_args] [-t fstype] image [-hR] owner[:group] file ...";

/// `-1` for "unchanged", as chown(2) takes it.
const KEEP: u32 = u32::MAX;

fn main() {
    let cmd = Command::parse("fsu_chown", USAGE, "hR");
    let ops = cmd.args.operands.clone();
    if ops.len() < 2 {
        cmd.usage();
    }
    let names = Names::host();
    let (user, group) = match ops[0].split_once([':', '.']) {
        Some((u, g)) => (u, Some(g)),
        None => (ops[0].as_str(), None),
    };
    let bad = |what: &str, v: &str| -> ! {
        eprintln!("fsu_chown: {v}: invalid {what}");
        std::process::exit(1)
    };
    let uid = match user {
        "" => KEEP,
        u => names.uid(u).unwrap_or_else(|| bad("user", u)),
    };
    let gid = match group {
        None | Some("") => KEEP,
        Some(g) => names.gid(g).unwrap_or_else(|| bad("group", g)),
    };
    let (nofollow, recursive) = (cmd.args.has('h'), cmd.args.has('R'));
    let mut s = cmd.mount(Access::ReadWrite);
    let k = s.kernel();
    for f in &ops[1..] {
        if !recursive {
            let r = if nofollow {
                k.sys_lchown(f, uid, gid)
            } else {
                k.sys_chown(f, uid, gid)
            };
            if let Err(e) = r {
                s.warn(f, e);
            }
            continue;
        }
        tree::walk(&k, f, &mut |v| {
            match v {
                Visit::Pre(p, _) => {
                    if let Err(e) = k.sys_lchown(p, uid, gid) {
                        s.warn(p, e);
                    }
                }
                Visit::Error(p, e) => s.warn(p, e),
                Visit::Post(..) => {}
            }
            true
        });
    }
    s.finish()
}
