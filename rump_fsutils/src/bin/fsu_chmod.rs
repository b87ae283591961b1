//! `fsu_chmod`: change permission bits of files in the image.

use rump_fsutils::chmod::Mode;
use rump_fsutils::session::{Access, Command};
use rump_fsutils::tree::{self, Visit};
use rumpvfs::VfsCalls;
use rumpvfs::flags::{S_IFLNK, S_IFMT};

const USAGE: &str = "usage: fsu_chmod [-o mnt_args] [-t fstype] image [-R] mode file ...";

fn main() {
    let cmd = Command::parse("fsu_chmod", USAGE, "R");
    let ops = cmd.args.operands.clone();
    if ops.len() < 2 {
        cmd.usage();
    }
    let Some(mode) = Mode::parse(&ops[0]) else {
        eprintln!("fsu_chmod: {}: invalid file mode", ops[0]);
        std::process::exit(1)
    };
    let recursive = cmd.args.has('R');
    let mut s = cmd.mount(Access::ReadWrite);
    let k = s.kernel();
    let umask = k.sys_umask(0).unwrap_or(0o022);
    for f in &ops[1..] {
        let one = |p: &str, st: &rump::file::Stat, s: &mut rump_fsutils::Session| {
            if st.mode & S_IFMT == S_IFLNK {
                return;
            }
            if let Err(e) = k.sys_chmod(p, mode.apply(st.mode, umask)) {
                s.warn(p, e);
            }
        };
        if !recursive {
            match k.sys_stat(f) {
                Ok(st) => one(f, &st, &mut s),
                Err(e) => s.warn(f, e),
            }
            continue;
        }
        tree::walk(&k, f, &mut |v| {
            match v {
                Visit::Pre(p, st) => one(p, st, &mut s),
                Visit::Error(p, e) => s.warn(p, e),
                Visit::Post(..) => {}
            }
            true
        });
    }
    s.finish()
}
