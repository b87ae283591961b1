//! `fsu_cp`: copy files within the image.

use rump_fsutils::session::{Access, Command};
use rump_fsutils::tree;
use rump_fsutils::xfer::{Copier, Image, Options};
use rumpvfs::VfsCalls;

const USAGE: &str = "usage: fsu_cp [-o mnt_args] [-t fstype] image [-pRv] source target\n\
                     usage: fsu_cp [-o mnt_args] [-t fstype] image [-pRv] source ... directory";

fn main() {
    let cmd = Command::parse("fsu_cp", USAGE, "pRv");
    let a = &cmd.args;
    if a.operands.len() < 2 {
        cmd.usage();
    }
    let preserve = a.has('p');
    let opts = Options {
        recursive: a.has('R'),
        follow: false,
        verbose: a.has('v'),
        owner: preserve,
        attrs: preserve,
        cp_layout: true,
    };
    let (to, from) = a
        .operands
        .split_last()
        .map(|(t, f)| (t.clone(), f.to_vec()))
        .unwrap_or_default();
    let mut s = cmd.mount(Access::ReadWrite);
    let k = s.kernel();
    if from.len() > 1 && !k.sys_stat(&to).is_ok_and(|st| tree::is_dir(&st)) {
        s.warnx(&format!("{to}: not a directory"));
        s.finish();
    }
    let image = Image(&k);
    let mut c = Copier::new(&image, &image, opts);
    for f in &from {
        c.copy(&mut s, f, &to);
    }
    drop(c);
    s.finish()
}
