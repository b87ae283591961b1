//! `fsu_ln`: make hard or (`-s`) symbolic links in the image.

use rump_fsutils::session::{Access, Command};
use rump_fsutils::tree;
use rumpvfs::VfsCalls;

const USAGE: &str = "usage: fsu_ln [-o mnt_args] [-t fstype] image [-fs] source [target]\n\
                     usage: fsu_ln [-o mnt_args] [-t fstype] image [-fs] source ... directory";

fn main() {
    let cmd = Command::parse("fsu_ln", USAGE, "fs");
    let (force, symbolic) = (cmd.args.has('f'), cmd.args.has('s'));
    let ops = cmd.args.operands.clone();
    if ops.is_empty() {
        cmd.usage();
    }
    let mut s = cmd.mount(Access::ReadWrite);
    let k = s.kernel();
    let base = |p: &str| {
        p.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(p)
            .to_string()
    };
    let (sources, target) = match ops.len() {
        1 => (ops.clone(), ".".to_string()),
        _ => (ops[..ops.len() - 1].to_vec(), ops[ops.len() - 1].clone()),
    };
    let into = k.sys_stat(&target).is_ok_and(|st| tree::is_dir(&st));
    if sources.len() > 1 && !into {
        s.warnx(&format!("{target}: not a directory"));
        s.finish();
    }
    for src in &sources {
        let link = if into {
            tree::join(&target, &base(src))
        } else {
            target.clone()
        };
        if force
            && k.sys_lstat(&link).is_ok_and(|st| !tree::is_dir(&st))
            && let Err(e) = k.sys_unlink(&link)
        {
            s.warn(&link, e);
            continue;
        }
        let r = if symbolic {
            k.sys_symlink(src, &link)
        } else {
            k.sys_link(src, &link)
        };
        if let Err(e) = r {
            s.warn(&link, e);
        }
    }
    s.finish()
}
