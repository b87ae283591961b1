//! `fsck_ffs`: check an FFS image and, with `-y` or `-p`, repair it.
//!
//! Exit status: 0 when the file system is clean (or was made clean), 8
//! when problems remain or it could not be checked.

use rumpfs_ffs::dev::HostDev;
use rumpfs_ffs::format::superblock::FS_ISCLEAN;
use std::sync::Arc;

const USAGE: &str = "usage: fsck_ffs [-fnpy] special";

fn fail(msg: &str) -> ! {
    eprintln!("fsck_ffs: {msg}");
    std::process::exit(8)
}

fn main() {
    let (mut force, mut no, mut yes, mut preen) = (false, false, false, false);
    let mut special = None;
    for a in std::env::args().skip(1) {
        match a.strip_prefix('-').filter(|f| !f.is_empty()) {
            Some(flags) => {
                for c in flags.chars() {
                    match c {
                        'f' => force = true,
                        'n' => no = true,
                        'y' => yes = true,
                        'p' => preen = true,
                        'b' | 'c' | 'd' | 'm' | 'q' | 'P' | 'U' | 'x' | 'X' | 'Z' => {
                            fail(&format!("-{c} is not supported yet"))
                        }
                        _ => fail(USAGE),
                    }
                }
            }
            None if special.is_none() => special = Some(a),
            None => fail(USAGE),
        }
    }
    let special = special.unwrap_or_else(|| fail(USAGE));
    if no && (yes || preen) {
        fail("-n cannot be given with -y or -p");
    }
    let repair = yes || preen;
    let dev = HostDev::open(&special, repair)
        .unwrap_or_else(|e| fail(&format!("{special}: {}", rumpuser::strerror(&e))));
    if preen && !force {
        match rumpfs_ffs::read_superblock(&dev) {
            Ok(sb) if sb.clean & FS_ISCLEAN != 0 => {
                println!("{special}: file system is clean; not checking");
                return;
            }
            Ok(_) => {}
            Err(e) => fail(&format!("{special}: no valid superblock ({e})")),
        }
    }
    if !repair && !no {
        println!("** {special} (NO WRITE: -y repairs)");
    } else if no {
        println!("** {special} (NO WRITE)");
    } else {
        println!("** {special}");
    }
    let outcome = rumpfs_ffs::check::check(Arc::new(dev), repair, &mut |line| println!("{line}"))
        .unwrap_or_else(|e| fail(&format!("{special}: cannot check: {e}")));
    if outcome.unresolved {
        std::process::exit(8);
    }
}
