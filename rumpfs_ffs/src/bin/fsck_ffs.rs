//! `fsck_ffs`: check an FFS image and, with `-y` or `-p`, repair it.
//!
//! Exit status: 0 when the file system is clean (or was made clean), 8
//! when problems remain or it could not be checked.

use rumpfs_ffs::check::{CheckError, Options};
use rumpfs_ffs::dev::HostDev;
use rumpfs_ffs::format::superblock::FS_ISCLEAN;
use std::sync::Arc;

const USAGE: &str = "usage: fsck_ffs [-fnpy] [-b block] special";

/// Print a line; a reader that went away (`fsck_ffs -y | head`) must not
/// stop a repair half way, so a failed write is not fatal.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn fail(msg: &str) -> ! {
    eprintln!("fsck_ffs: {msg}");
    std::process::exit(8)
}

/// `-b`'s argument: a `DEV_BSIZE` sector number, as NetBSD's `argtoi`
/// takes it (decimal).
fn sector(arg: Option<String>) -> u64 {
    arg.and_then(|a| a.parse().ok())
        .unwrap_or_else(|| fail("-b flag requires a number"))
}

fn main() {
    rumpuser::sigpipe_ends_process();
    let (mut force, mut no, mut yes, mut preen) = (false, false, false, false);
    let mut alternate = None;
    let mut special = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.strip_prefix('-').filter(|f| !f.is_empty()) {
            Some(flags) => {
                for (i, c) in flags.char_indices() {
                    match c {
                        'f' => force = true,
                        'n' => no = true,
                        'y' => yes = true,
                        'p' => preen = true,
                        'b' => {
                            // The rest of this word, or the next one.
                            let rest = &flags[i + 1..];
                            let arg = if rest.is_empty() {
                                args.next()
                            } else {
                                Some(rest.to_string())
                            };
                            let n = sector(arg);
                            say(&format!("Alternate super block location: {n}"));
                            alternate = Some(n);
                            break;
                        }
                        'c' | 'd' | 'm' | 'q' | 'P' | 'U' | 'x' | 'X' | 'Z' => {
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
    // As NetBSD's: -b checks whatever the clean flag says.
    if preen && !force && alternate.is_none() {
        match rumpfs_ffs::read_superblock(&dev) {
            Ok(sb) if sb.clean & FS_ISCLEAN != 0 => {
                say(&format!("{special}: file system is clean; not checking"));
                return;
            }
            Ok(_) => {}
            // Preening does not search for copies; -y does.
            Err(e) => fail(&format!(
                "{special}: no valid superblock ({e}); run fsck_ffs -y or -b"
            )),
        }
    }
    if !repair && !no {
        say(&format!("** {special} (NO WRITE: -y repairs)"));
    } else if no {
        say(&format!("** {special} (NO WRITE)"));
    } else {
        say(&format!("** {special}"));
    }
    let opts = Options { repair, alternate };
    let outcome = rumpfs_ffs::check::check_with(Arc::new(dev), &opts, &mut |line| say(line))
        .unwrap_or_else(|e| match e {
            CheckError::NoSuperblock(why) => fail(&format!("{special}: cannot check: {why}")),
            CheckError::Io(e) => fail(&format!("{special}: cannot check: {e}")),
        });
    if outcome.unresolved {
        std::process::exit(8);
    }
}
