//! `fsu_diff`: compare two files or trees of the image, or (`-e`) one
//! of the image with one of the host, as `diff -rq` reports.

use rump_fsutils::session::{Access, Command, Session};
use rump_fsutils::xfer::{Host, Image, Side};
use rumpvfs::flags::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};

const USAGE: &str = "usage: fsu_diff [-o mnt_args] [-t fstype] image [-e] file1 file2";

fn kind(mode: u32) -> &'static str {
    match mode & S_IFMT {
        S_IFDIR => "directory",
        S_IFREG => "regular file",
        S_IFLNK => "symbolic link",
        _ => "special file",
    }
}

fn content(s: &mut Session, side: &dyn Side, p: &str) -> Option<Vec<u8>> {
    let mut v = Vec::new();
    match side.read_into(p, &mut |c| {
        v.extend_from_slice(c);
        Ok(())
    }) {
        Ok(()) => Some(v),
        Err((p, why)) => {
            s.warnx(&format!("{p}: {why}"));
            s.set_status(2);
            None
        }
    }
}

/// Compare `a` on side `sa` with `b` on side `sb`, printing what differs.
fn compare(s: &mut Session, sa: &dyn Side, a: &str, sb: &dyn Side, b: &str) {
    let (ma, mb) = match (sa.lstat(a), sb.lstat(b)) {
        (Ok(ma), Ok(mb)) => (ma, mb),
        (Err((p, why)), _) | (_, Err((p, why))) => {
            s.warnx(&format!("{p}: {why}"));
            return s.set_status(2);
        }
    };
    if ma.mode & S_IFMT != mb.mode & S_IFMT {
        println!(
            "File {a} is a {} while file {b} is a {}",
            kind(ma.mode),
            kind(mb.mode)
        );
        return s.set_status(1);
    }
    match ma.mode & S_IFMT {
        S_IFDIR => {
            let (Ok(la), Ok(lb)) = (sa.list(a), sb.list(b)) else {
                s.warnx(&format!("{a} or {b}: cannot read the directory"));
                return s.set_status(2);
            };
            for n in la.iter().filter(|n| !lb.contains(n)) {
                println!("Only in {a}: {n}");
                s.set_status(1);
            }
            for n in lb.iter().filter(|n| !la.contains(n)) {
                println!("Only in {b}: {n}");
                s.set_status(1);
            }
            for n in la.iter().filter(|n| lb.contains(n)) {
                compare(s, sa, &format!("{a}/{n}"), sb, &format!("{b}/{n}"));
            }
        }
        S_IFLNK => {
            if sa.readlink(a).ok() != sb.readlink(b).ok() {
                println!("Symbolic links {a} and {b} differ");
                s.set_status(1);
            }
        }
        S_IFREG => {
            let (Some(ca), Some(cb)) = (content(s, sa, a), content(s, sb, b)) else {
                return;
            };
            if ca != cb {
                println!("Files {a} and {b} differ");
                s.set_status(1);
            }
        }
        _ => println!(
            "File {a} is a {} while file {b} is a {}",
            kind(ma.mode),
            kind(mb.mode)
        ),
    }
}

fn main() {
    let cmd = Command::parse("fsu_diff", USAGE, "e");
    let ops = cmd.args.operands.clone();
    if ops.len() != 2 {
        cmd.usage();
    }
    let host_second = cmd.args.has('e');
    let mut s = cmd.mount(Access::ReadOnly);
    let k = s.kernel();
    let image = Image(&k);
    let second: &dyn Side = if host_second { &Host } else { &image };
    compare(&mut s, &image, &ops[0], second, &ops[1]);
    s.finish()
}
