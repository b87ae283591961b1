//! `fsu_rmdir`: remove empty directories from the image.

use rump_fsutils::session::{Access, Command};
use rumpvfs::VfsCalls;

const USAGE: &str = "usage: fsu_rmdir [-o mnt_args] [-t fstype] image [-p] directory ...";

fn main() {
    let cmd = Command::parse("fsu_rmdir", USAGE, "p");
    if cmd.args.operands.is_empty() {
        cmd.usage();
    }
    let parents = cmd.args.has('p');
    let dirs = cmd.args.operands.clone();
    let mut s = cmd.mount(Access::ReadWrite);
    let k = s.kernel();
    for d in &dirs {
        let mut at = d.trim_end_matches('/').to_string();
        loop {
            if let Err(e) = k.sys_rmdir(&at) {
                s.warn(&at, e);
                break;
            }
            // -p: then each parent named in the operand.
            match at.rfind('/') {
                Some(i) if parents && i > 0 => at.truncate(i),
                _ => break,
            }
        }
    }
    s.finish()
}
