//! `fsu_mkdir`: make directories in the image.

use rump::Errno;
use rump_fsutils::chmod::Mode;
use rump_fsutils::session::{Access, Command};
use rumpvfs::VfsCalls;
use rumpvfs::flags::S_IFDIR;

const USAGE: &str = "usage: fsu_mkdir [-o mnt_args] [-t fstype] image [-p] [-m mode] directory ...";

fn main() {
    let cmd = Command::parse("fsu_mkdir", USAGE, "pm:");
    let mode = match cmd.args.value('m') {
        Some(m) => match Mode::parse(m) {
            Some(m) => Some(m.apply(S_IFDIR | 0o777, 0)),
            None => {
                eprintln!("fsu_mkdir: {m}: invalid file mode");
                std::process::exit(1)
            }
        },
        None => None,
    };
    if cmd.args.operands.is_empty() {
        cmd.usage();
    }
    let parents = cmd.args.has('p');
    let dirs = cmd.args.operands.clone();
    let mut s = cmd.mount(Access::ReadWrite);
    let k = s.kernel();
    for d in &dirs {
        if parents {
            // Each missing ancestor first, with the default mode.
            let mut at = String::new();
            for part in d.split('/').filter(|p| !p.is_empty()) {
                at = if at.is_empty() && !d.starts_with('/') {
                    part.to_string()
                } else {
                    format!("{at}/{part}")
                };
                match k.sys_mkdir(&at, 0o777) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(e) => {
                        s.warn(&at, e);
                        break;
                    }
                }
            }
        } else if let Err(e) = k.sys_mkdir(d, 0o777) {
            s.warn(d, e);
            continue;
        }
        if let Some(m) = mode
            && let Err(e) = k.sys_chmod(d, m)
        {
            s.warn(d, e);
        }
    }
    s.finish()
}
