//! `fsu_stat`: a file's status in the image, in GNU `stat`'s default
//! layout (times in UTC).

use rump::file::Stat;
use rump_fsutils::listing::{iso_time, major_minor, mode_string};
use rump_fsutils::names::Names;
use rump_fsutils::session::{Access, Command};
use rumpvfs::VfsCalls;
use rumpvfs::flags::*;

const USAGE: &str = "usage: fsu_stat [-o mnt_args] [-t fstype] image [-L] file ...";

fn type_name(st: &Stat) -> &'static str {
    match st.mode & S_IFMT {
        S_IFDIR => "directory",
        S_IFLNK => "symbolic link",
        S_IFCHR => "character special file",
        S_IFBLK => "block special file",
        S_IFIFO => "fifo",
        S_IFSOCK => "socket",
        _ if st.size == 0 => "regular empty file",
        _ => "regular file",
    }
}

fn describe(name: &str, target: Option<String>, st: &Stat, names: &Names) -> String {
    let file = match target {
        Some(t) => format!("{name} -> {t}"),
        None => name.to_string(),
    };
    let (dma, dmi) = major_minor(st.dev);
    let device = match st.mode & S_IFMT {
        S_IFCHR | S_IFBLK => {
            let (ma, mi) = major_minor(st.rdev);
            format!("{:<6}Device type: {ma},{mi}", st.nlink)
        }
        _ => st.nlink.to_string(),
    };
    let birth = iso_time(st.birthtime);
    format!(
        "  File: {file}\n  Size: {:<10}\tBlocks: {:<10} IO Block: {:<6} {}\n\
         Device: {dma},{dmi}\tInode: {:<11} Links: {device}\n\
         Access: ({:04o}/{})  Uid: ({:>5}/{:>8})   Gid: ({:>5}/{:>8})\n\
         Access: {}\nModify: {}\nChange: {}\n Birth: {birth}",
        st.size,
        st.blocks,
        st.blksize,
        type_name(st),
        st.ino,
        st.mode & 0o7777,
        mode_string(st.mode),
        st.uid,
        names.user(st.uid),
        st.gid,
        names.group(st.gid),
        iso_time(st.atime),
        iso_time(st.mtime),
        iso_time(st.ctime),
    )
}

fn main() {
    let cmd = Command::parse("fsu_stat", USAGE, "L");
    if cmd.args.operands.is_empty() {
        cmd.usage();
    }
    let follow = cmd.args.has('L');
    let files = cmd.args.operands.clone();
    let names = Names::host();
    let mut s = cmd.mount(Access::ReadOnly);
    let k = s.kernel();
    for f in &files {
        let st = if follow {
            k.sys_stat(f)
        } else {
            k.sys_lstat(f)
        };
        let st = match st {
            Ok(st) => st,
            Err(e) => {
                s.warnx(&format!("cannot stat '{f}': {e}"));
                continue;
            }
        };
        let target = (st.mode & S_IFMT == S_IFLNK)
            .then(|| k.sys_readlink(f).ok())
            .flatten()
            .map(|t| String::from_utf8_lossy(&t).into_owned());
        println!("{}", describe(f, target, &st, &names));
    }
    s.finish()
}
