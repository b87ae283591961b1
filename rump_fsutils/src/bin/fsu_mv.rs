//! `fsu_mv`: rename files in the image.

use rump_fsutils::session::{Access, Command};
use rump_fsutils::tree;
use rumpvfs::VfsCalls;

const USAGE: &str = "usage: fsu_mv [-o mnt_args] [-t fstype] image source target\n\
                     usage: fsu_mv [-o mnt_args] [-t fstype] image source ... directory";

fn main() {
    let cmd = Command::parse("fsu_mv", USAGE, "");
    let Some((to, from)) = cmd.args.operands.split_last() else {
        cmd.usage()
    };
    if from.is_empty() {
        cmd.usage();
    }
    let (to, from) = (to.clone(), from.to_vec());
    let mut s = cmd.mount(Access::ReadWrite);
    let k = s.kernel();
    let into = k.sys_stat(&to).is_ok_and(|st| tree::is_dir(&st));
    if from.len() > 1 && !into {
        s.warnx(&format!("{to}: not a directory"));
        s.finish();
    }
    for f in &from {
        let target = if into {
            let base = f.trim_end_matches('/').rsplit('/').next().unwrap_or(f);
            tree::join(&to, base)
        } else {
            to.clone()
        };
        if let Err(e) = k.sys_rename(f, &target) {
            s.warnx(&format!("rename {f} to {target}: {e}"));
        }
    }
    s.finish()
}
