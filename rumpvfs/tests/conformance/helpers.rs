//! Helpers the cases share.

use super::*;

/// The fields that must agree for two names of the same node (everything
/// but atime, which a lookup may change).
pub(crate) fn same_node(a: &rump::file::Stat, b: &rump::file::Stat, what: &str) {
    assert_eq!(
        (a.dev, a.ino, a.mode, a.nlink, a.uid, a.gid, a.size),
        (b.dev, b.ino, b.mode, b.nlink, b.uid, b.gid, b.size),
        "{what}: (dev, ino, mode, nlink, uid, gid, size) differ"
    );
    assert_eq!(a.mtime, b.mtime, "{what}: mtime differs");
}

/// The file type bits of a mode.
pub(crate) fn ftype(mode: u32) -> u32 {
    mode & S_IFMT
}

/// Run `f` as an unprivileged process with `uid`/`gid` and no supplementary
/// groups: a child of the caller (`rump_lwproc_rfork`), released afterwards.
pub(crate) fn as_user<R>(k: &Kernel, uid: u32, gid: u32, f: impl FnOnce() -> R) -> R {
    k.lwproc_rfork(0).expect("rfork");
    k.sys_setgroups(&[]).expect("setgroups");
    k.sys_setgid(gid).expect("setgid");
    k.sys_setuid(uid).expect("setuid");
    let r = f();
    k.lwproc_releaselwp();
    r
}

/// A time far in the past, to see a later update without sleeping.
pub(crate) const OLD: (i64, i64) = (1_000_000_000, 0);

/// What a rename that flags deny (`e`) answers: EOPNOTSUPP on the root
/// file system, which renames nothing (NetBSD's rumpfs).
pub(crate) fn rename_denied(fx: &Fx, e: Option<Errno>) -> Option<Errno> {
    if fx.fs == Fs::Rumpfs {
        Some(Errno::EOPNOTSUPP)
    } else {
        e
    }
}

/// Whether reads, writes and changes of entries stamp times on `fx`'s file
/// system: NetBSD's rumpfs sets a node's times when it makes it, and after
/// that only `utimes` and the like change them.
pub(crate) fn stamps_times(fx: &Fx) -> bool {
    fx.fs != Fs::Rumpfs
}

/// How many of `.` and `..` a listing has: NetBSD's rumpfs lists neither
/// (`rump_vop_readdir`: "even omits dotstuff").
pub(crate) fn dots(fx: &Fx) -> usize {
    if fx.fs == Fs::Rumpfs { 0 } else { 2 }
}

/// Set both times of `path` to [`OLD`].
pub(crate) fn age(k: &Kernel, path: &str) {
    k.sys_utimes(path, OLD, OLD).expect("utimes");
    assert_eq!(k.sys_stat(path).unwrap().mtime, OLD);
}

/// NetBSD's `PAGE_SIZE` on amd64, the edge the page cache splits at.
pub(crate) const PAGE: usize = 4096;
