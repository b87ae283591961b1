//! The VFS conformance suite: one set of cases, written once and applied to
//! every file system, as NetBSD's `tests/fs/vfs` does.
//!
//! Each case is a function taking the case's fixture ([`Fx`]): its own
//! kernel and a fresh directory on the file system under test (`fx.mp`). The
//! [`conformance!`] macro instantiates every case once per file system, as
//! `rumpfs::<case>` (a directory of the root file system) and `tmpfs::<case>`
//! (a tmpfs mounted on a fresh directory). After a case the fixture returns to
//! `/` and, for tmpfs, unmounts, which must succeed.
//!
//! A case that cannot apply to a file system says so and returns early, as
//! `atf_tc_skip` does in NetBSD.

#[macro_use]
mod common;

use common::{
    Fs, Fx, errno_of, get, list, names, pattern, pread_n, put, read_to_end, touch, write_all,
};
use rump::lwproc::RUMP_RFCFDG;
use rump::{Errno, Kernel};
use rumpvfs::VfsCalls;
use rumpvfs::flags::{
    DT_DIR, DT_LNK, DT_REG, F_OK, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY,
    O_RDWR, O_TRUNC, O_WRONLY, R_OK, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, SEEK_CUR, SEEK_END,
    SEEK_SET, W_OK, X_OK,
};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Instantiate every case for every file system.
macro_rules! conformance {
    ($($(#[$attr:meta])* $case:ident),* $(,)?) => {
        /// The cases on the root file system, in a fresh directory.
        mod rumpfs {
            $(
                $(#[$attr])*
                #[test]
                fn $case() {
                    crate::common::Fx::run(crate::common::Fs::Rumpfs, super::$case)
                }
            )*
        }
        /// The cases on a fresh tmpfs mounted on a fresh directory.
        mod tmpfs {
            $(
                $(#[$attr])*
                #[test]
                fn $case() {
                    crate::common::Fx::run(crate::common::Fs::Tmpfs, super::$case)
                }
            )*
        }
        /// The cases on a fresh FFSv1 image mounted on a fresh directory;
        /// the image must check clean afterwards.
        mod ffs1 {
            $(
                $(#[$attr])*
                #[test]
                fn $case() {
                    crate::common::Fx::run(crate::common::Fs::Ffs1, super::$case)
                }
            )*
        }
        /// The cases on a fresh FFSv2 image.
        mod ffs2 {
            $(
                $(#[$attr])*
                #[test]
                fn $case() {
                    crate::common::Fx::run(crate::common::Fs::Ffs2, super::$case)
                }
            )*
        }
    };
}

conformance! {
    // lookups
    lookup_simple,
    lookup_complex,
    lookup_dotdot,
    lookup_enoent,
    lookup_enotdir,
    lookup_nametoolong,
    lookup_pathtoolong,
    lookup_eloop,
    // directories
    dir_simple,
    dir_slash,
    dir_notempty,
    dir_nlink,
    dir_rmdirdotdot,
    getcwd_chdir,
    // renames
    rename_reg_nodir,
    rename_over_file,
    rename_dir,
    rename_dotdot,
    rename_types,
    rename_moves_dotdot,
    rename_self,
    rename_nametoolong,
    rename_enoent,
    // many files, odd names
    create_many,
    create_nonalphanum,
    create_exist,
    create_nametoolong,
    long_and_odd_names,
    // symlinks
    symlink_zerolen,
    symlink_long,
    symlink_root,
    symlink_dangling,
    symlink_relative,
    lstat_symlink,
    symlink_nofollow,
    // attributes, access, times
    attrs,
    new_file_attrs,
    umask_applies,
    chmod_chown_root,
    access_simple,
    mtime_on_write,
    mtime_on_trunc,
    dir_times_on_entries,
    // directory reading
    read_directory,
    getdents_entries,
    getdents_rewind,
    open_flags,
    // data
    holywrite,
    extendfile,
    extendfile_append,
    sparse_pwrite,
    lseek_holes,
    overwrite512,
    overwrite64k,
    overwrite_trunc,
    overwrite_odd_offsets,
    shrinkfile,
    truncate_shrink_extend,
    truncate_errors,
    read_after_unlink,
    wrrd_after_unlink,
    // hard links, devices, mounts
    hardlinks,
    cross_device,
    mount_covers_dir,
    mount_busy,
    // statvfs, sync, full file system
    statvfs_sane,
    sync_and_fsync,
    fillfs,
    fill_nodes,
    // races
    renamerace,
    renamerace_dirs,
    rmdirrace,
    concurrent_create,
    // unprivileged ownership and permissions
    unpriv_owner,
    unpriv_dirperms,
    unpriv_private_dir,
    unpriv_file_perms,
    unpriv_chown_chmod,
    unpriv_sticky,
    unpriv_times,
    root_overrides,
    // advisory locks
    fcntl_lock,
    fcntl_getlock_pids,
    // chflags, pathconf, POSIX rename
    flags_immutable,
    flags_append,
    flags_system_and_owner,
    pathconf_values,
    posix_rename_links,
    // file handles, revoke, extended attributes, quotas, advice
    file_handles,
    file_handles_stale,
    revoke_kills_open_files,
    extattr_calls,
    extattrctl_per_fs,
    quotactl_calls,
    advice_and_space,
    ioctl_poll_and_creating_the_root,
}

// ---------------------------------------------------------------------------
// helpers

/// The fields that must agree for two names of the same node (everything
/// but atime, which a lookup may change).
fn same_node(a: &rump::file::Stat, b: &rump::file::Stat, what: &str) {
    assert_eq!(
        (a.dev, a.ino, a.mode, a.nlink, a.uid, a.gid, a.size),
        (b.dev, b.ino, b.mode, b.nlink, b.uid, b.gid, b.size),
        "{what}: (dev, ino, mode, nlink, uid, gid, size) differ"
    );
    assert_eq!(a.mtime, b.mtime, "{what}: mtime differs");
}

/// The file type bits of a mode.
fn ftype(mode: u32) -> u32 {
    mode & S_IFMT
}

/// Run `f` as an unprivileged process with `uid`/`gid` and no supplementary
/// groups: a child of the caller (`rump_lwproc_rfork`), released afterwards.
fn as_user<R>(k: &Kernel, uid: u32, gid: u32, f: impl FnOnce() -> R) -> R {
    k.lwproc_rfork(0).expect("rfork");
    k.sys_setgroups(&[]).expect("setgroups");
    k.sys_setgid(gid).expect("setgid");
    k.sys_setuid(uid).expect("setuid");
    let r = f();
    k.lwproc_releaselwp();
    r
}

/// A time far in the past, to see a later update without sleeping.
const OLD: (i64, i64) = (1_000_000_000, 0);

/// What a rename that flags deny (`e`) answers: EOPNOTSUPP on the root
/// file system, which renames nothing (NetBSD's rumpfs).
fn rename_denied(fx: &Fx, e: Option<Errno>) -> Option<Errno> {
    if fx.fs == Fs::Rumpfs {
        Some(Errno::EOPNOTSUPP)
    } else {
        e
    }
}

/// Whether reads, writes and changes of entries stamp times on `fx`'s file
/// system: NetBSD's rumpfs sets a node's times when it makes it, and after
/// that only `utimes` and the like change them.
fn stamps_times(fx: &Fx) -> bool {
    fx.fs != Fs::Rumpfs
}

/// How many of `.` and `..` a listing has: NetBSD's rumpfs lists neither
/// (`rump_vop_readdir`: "even omits dotstuff").
fn dots(fx: &Fx) -> usize {
    if fx.fs == Fs::Rumpfs { 0 } else { 2 }
}

/// Set both times of `path` to [`OLD`].
fn age(k: &Kernel, path: &str) {
    k.sys_utimes(path, OLD, OLD).expect("utimes");
    assert_eq!(k.sys_stat(path).unwrap().mtime, OLD);
}

/// NetBSD's `PAGE_SIZE` on amd64, the edge the page cache splits at.
const PAGE: usize = 4096;

// ---------------------------------------------------------------------------
// lookups

/// `mp/../base` and `mp/./../base` reach the case directory (NetBSD
/// `lookup_simple`).
fn lookup_simple(fx: &Fx) {
    let k = &fx.k;
    let base = fx.mp.rsplit('/').next().unwrap();
    let a = k.sys_stat(&format!("{}/../{}", fx.mp, base)).unwrap();
    let b = k.sys_stat(&format!("{}/./../{}", fx.mp, base)).unwrap();
    let c = k.sys_stat(&fx.mp).unwrap();
    same_node(&a, &b, "mp/../base vs mp/./../base");
    same_node(&a, &c, "mp/../base vs mp");
}

/// `./dir/../././dir/.` names `dir` (NetBSD `lookup_complex`).
fn lookup_complex(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("dir"), 0o777).unwrap();
    let a = k.sys_stat(&fx.p("dir")).unwrap();
    let b = k.sys_stat(&fx.p("./dir/../././dir/.")).unwrap();
    same_node(&a, &b, "dir vs ./dir/../././dir/.");
    assert_eq!(a.ctime, b.ctime);
    assert_eq!(a.birthtime, b.birthtime);
}

/// `..` of the root is the root; `..` leaves a mounted file system for the
/// directory it covers; `..` of a subdirectory is its parent.
fn lookup_dotdot(fx: &Fx) {
    let k = &fx.k;
    let root = k.sys_stat("/").unwrap();
    same_node(&root, &k.sys_stat("/..").unwrap(), "/..");
    same_node(&root, &k.sys_stat("/../../.").unwrap(), "/../../.");
    same_node(&root, &k.sys_stat(&fx.p("..")).unwrap(), "mp/..");
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    k.sys_mkdir(&fx.p("d/e"), 0o755).unwrap();
    let mp = k.sys_stat(&fx.mp).unwrap();
    same_node(&mp, &k.sys_stat(&fx.p("d/e/../..")).unwrap(), "d/e/../..");
    fx.enter();
    same_node(&root, &k.sys_stat("..").unwrap(), ".. from mp");
    same_node(&mp, &k.sys_stat(".").unwrap(), ". from mp");
    k.sys_chdir("d/e").unwrap();
    same_node(&mp, &k.sys_stat("../..").unwrap(), "../.. from d/e");
    same_node(&root, &k.sys_stat("../../..").unwrap(), "../../.. from d/e");
    // NetBSD's rumpfs gives each node its own number as its st_dev; other
    // file systems give all their nodes one.
    assert_eq!(root.dev, root.ino, "rumpfs: st_dev is the node's number");
    let e = k.sys_stat(".").unwrap();
    if fx.is_mount() {
        assert_eq!(mp.dev, e.dev, "one file system, one st_dev");
    } else {
        assert_eq!((mp.dev, e.dev), (mp.ino, e.ino));
    }
}

/// Missing names give ENOENT, wherever in the path they are, and so does an
/// empty path.
fn lookup_enoent(fx: &Fx) {
    let k = &fx.k;
    assert_errno!(k.sys_stat(&fx.p("nope")), Errno::ENOENT);
    assert_errno!(k.sys_lstat(&fx.p("nope")), Errno::ENOENT);
    assert_errno!(k.sys_stat(&fx.p("nope/x")), Errno::ENOENT);
    assert_errno!(k.sys_open(&fx.p("nope"), O_RDONLY, 0), Errno::ENOENT);
    assert_errno!(
        k.sys_open(&fx.p("nope/x"), O_RDWR | O_CREAT, 0o644),
        Errno::ENOENT
    );
    assert_errno!(k.sys_mkdir(&fx.p("nope/x"), 0o755), Errno::ENOENT);
    assert_errno!(k.sys_unlink(&fx.p("nope")), Errno::ENOENT);
    assert_errno!(k.sys_rmdir(&fx.p("nope")), Errno::ENOENT);
    assert_errno!(k.sys_chdir(&fx.p("nope")), Errno::ENOENT);
    assert_errno!(k.sys_readlink(&fx.p("nope")), Errno::ENOENT);
    assert_errno!(k.sys_stat(""), Errno::ENOENT);
    fx.enter();
    assert_errno!(k.sys_stat("nope"), Errno::ENOENT);
    assert_errno!(k.sys_stat("./nope/.."), Errno::ENOENT);
}

/// A regular file used as a directory gives ENOTDIR: in the middle of a
/// path, with a trailing slash, with O_DIRECTORY, for chdir and rmdir.
fn lookup_enotdir(fx: &Fx) {
    let k = &fx.k;
    put(k, &fx.p("f"), b"data");
    assert_errno!(k.sys_stat(&fx.p("f/x")), Errno::ENOTDIR);
    assert_errno!(k.sys_stat(&fx.p("f/")), Errno::ENOTDIR);
    assert_errno!(k.sys_stat(&fx.p("f/.")), Errno::ENOTDIR);
    assert_errno!(k.sys_stat(&fx.p("f/..")), Errno::ENOTDIR);
    assert_errno!(k.sys_open(&fx.p("f/"), O_RDONLY, 0), Errno::ENOTDIR);
    assert_errno!(
        k.sys_open(&fx.p("f"), O_RDONLY | O_DIRECTORY, 0),
        Errno::ENOTDIR
    );
    assert_errno!(
        k.sys_open(&fx.p("f/x"), O_RDWR | O_CREAT, 0o644),
        Errno::ENOTDIR
    );
    assert_errno!(k.sys_mkdir(&fx.p("f/d"), 0o755), Errno::ENOTDIR);
    assert_errno!(k.sys_chdir(&fx.p("f")), Errno::ENOTDIR);
    assert_errno!(k.sys_rmdir(&fx.p("f")), Errno::ENOTDIR);
    assert_eq!(get(k, &fx.p("f")), b"data");
}

/// A component of 256 bytes gives ENAMETOOLONG wherever it is (NAME_MAX is
/// 255); 255 bytes is fine.
fn lookup_nametoolong(fx: &Fx) {
    let k = &fx.k;
    let n255 = "n".repeat(255);
    let n256 = "n".repeat(256);
    touch(k, &fx.p(&n255));
    k.sys_stat(&fx.p(&n255)).unwrap();
    assert_errno!(k.sys_stat(&fx.p(&n256)), Errno::ENAMETOOLONG);
    assert_errno!(
        k.sys_open(&fx.p(&n256), O_RDWR | O_CREAT, 0o644),
        Errno::ENAMETOOLONG
    );
    assert_errno!(k.sys_mkdir(&fx.p(&n256), 0o755), Errno::ENAMETOOLONG);
    assert_errno!(k.sys_stat(&fx.p(&format!("{n256}/x"))), Errno::ENAMETOOLONG);
    assert_errno!(k.sys_symlink("x", &fx.p(&n256)), Errno::ENAMETOOLONG);
    assert_errno!(k.sys_link(&fx.p(&n255), &fx.p(&n256)), Errno::ENAMETOOLONG);
    assert_errno!(k.sys_unlink(&fx.p(&n256)), Errno::ENAMETOOLONG);
    k.sys_unlink(&fx.p(&n255)).unwrap();
}

/// A path of 1023 bytes resolves; one over MAXPATHLEN (1024, NUL included)
/// gives ENAMETOOLONG, even when made of short components.
fn lookup_pathtoolong(fx: &Fx) {
    let k = &fx.k;
    touch(k, &fx.p("f"));
    // mp + "/" + "./"*n + "f", padded to exactly 1023 bytes
    let head = format!("{}/", fx.mp);
    let n = (1023 - head.len() - 1) / 2;
    let mut path = format!("{head}{}f", "./".repeat(n));
    if path.len() < 1023 {
        path = format!("{head}/{}f", "./".repeat(n));
    }
    assert_eq!(path.len(), 1023);
    k.sys_stat(&path).expect("a 1023-byte path resolves");
    let long = format!("{}/{}f", fx.mp, "./".repeat(600));
    assert!(long.len() > 1024);
    assert_errno!(k.sys_stat(&long), Errno::ENAMETOOLONG);
    assert_errno!(
        k.sys_open(&long, O_RDWR | O_CREAT, 0o644),
        Errno::ENAMETOOLONG
    );
    let longdir = format!("{}/{}", fx.mp, "d/".repeat(600));
    assert_errno!(k.sys_mkdir(&longdir, 0o755), Errno::ENAMETOOLONG);
}

/// Symlink loops give ELOOP; a chain of MAXSYMLINKS (32) links resolves and
/// one more does not.
fn lookup_eloop(fx: &Fx) {
    let k = &fx.k;
    k.sys_symlink("self", &fx.p("self")).unwrap();
    assert_errno!(k.sys_stat(&fx.p("self")), Errno::ELOOP);
    assert_errno!(k.sys_open(&fx.p("self"), O_RDONLY, 0), Errno::ELOOP);
    assert_errno!(k.sys_stat(&fx.p("self/x")), Errno::ELOOP);
    assert_eq!(ftype(k.sys_lstat(&fx.p("self")).unwrap().mode), S_IFLNK);
    k.sys_symlink("b", &fx.p("a")).unwrap();
    k.sys_symlink("a", &fx.p("b")).unwrap();
    assert_errno!(k.sys_stat(&fx.p("a")), Errno::ELOOP);
    assert_errno!(k.sys_chdir(&fx.p("b")), Errno::ELOOP);

    // l0 -> l1 -> ... -> l32 -> target
    put(k, &fx.p("target"), b"end");
    k.sys_symlink("target", &fx.p("l32")).unwrap();
    for i in (0..32).rev() {
        k.sys_symlink(&format!("l{}", i + 1), &fx.p(&format!("l{i}")))
            .unwrap();
    }
    // l1 is 32 links from the file, l0 is 33.
    assert_eq!(get(k, &fx.p("l1")), b"end");
    assert_errno!(k.sys_stat(&fx.p("l0")), Errno::ELOOP);
}

// ---------------------------------------------------------------------------
// directories

/// mkdir makes a directory and rmdir makes it unreachable (NetBSD
/// `dir_simple`); mkdir over an existing name gives EEXIST.
fn dir_simple(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("dir"), 0o777).unwrap();
    let st = k.sys_stat(&fx.p("dir")).unwrap();
    assert_eq!(ftype(st.mode), S_IFDIR);
    assert_eq!(st.nlink, 2);
    assert_errno!(k.sys_mkdir(&fx.p("dir"), 0o777), Errno::EEXIST);
    touch(k, &fx.p("file"));
    assert_errno!(k.sys_mkdir(&fx.p("file"), 0o777), Errno::EEXIST);
    k.sys_rmdir(&fx.p("dir")).unwrap();
    assert_errno!(k.sys_stat(&fx.p("dir")), Errno::ENOENT);
    assert_errno!(k.sys_rmdir(&fx.p("dir")), Errno::ENOENT);
}

/// Trailing slashes name the directory (NetBSD `dir_slash`, `dir_2slash`,
/// `dir_3slash`).
fn dir_slash(fx: &Fx) {
    let k = &fx.k;
    for tail in ["/", "//", "///"] {
        k.sys_mkdir(&fx.p("dir/"), 0o777).unwrap();
        k.sys_stat(&fx.p(&format!("dir{tail}"))).unwrap();
        k.sys_rmdir(&fx.p(&format!("dir{tail}"))).unwrap();
        assert_errno!(k.sys_stat(&fx.p("dir/")), Errno::ENOENT);
    }
}

/// A directory with an entry cannot be removed (ENOTEMPTY); it can once the
/// entry is gone; rmdir of "." is EINVAL (NetBSD `dir_notempty`).
fn dir_notempty(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("dir"), 0o777).unwrap();
    touch(k, &fx.p("dir/file"));
    assert_errno!(k.sys_rmdir(&fx.p("dir")), Errno::ENOTEMPTY);
    k.sys_mkdir(&fx.p("dir2"), 0o777).unwrap();
    k.sys_mkdir(&fx.p("dir2/sub"), 0o777).unwrap();
    assert_errno!(k.sys_rmdir(&fx.p("dir2")), Errno::ENOTEMPTY);
    k.sys_symlink("x", &fx.p("dir3")).unwrap();
    assert_errno!(k.sys_rmdir(&fx.p("dir3")), Errno::ENOTDIR);
    assert_errno!(k.sys_rmdir(&fx.p("dir/.")), Errno::EINVAL);
    k.sys_unlink(&fx.p("dir/file")).unwrap();
    k.sys_rmdir(&fx.p("dir")).unwrap();
    k.sys_rmdir(&fx.p("dir2/sub")).unwrap();
    k.sys_rmdir(&fx.p("dir2")).unwrap();
    assert_eq!(names(k, &fx.mp), vec![b"dir3".to_vec()]);
}

/// Whether `fx`'s file system renames and makes hard links. NetBSD's
/// rumpfs does neither ("we don't do rename" in its lookup, and
/// `genfs_eopnotsupp` for `VOP_LINK`), and NetBSD's `tests/fs/vfs` skips
/// such cases there; on rumpfs this checks that both are EOPNOTSUPP and
/// that nothing changed, and the case then stops.
fn renames_and_links(fx: &Fx) -> bool {
    if fx.fs != Fs::Rumpfs {
        return true;
    }
    let k = &fx.k;
    let (a, b) = (fx.p("no-rename"), fx.p("no-rename.2"));
    put(k, &a, b"kept");
    k.sys_mkdir(&fx.p("no-rename.d"), 0o755).unwrap();
    assert_errno!(k.sys_rename(&a, &b), Errno::EOPNOTSUPP);
    assert_errno!(k.sys_posix_rename(&a, &b), Errno::EOPNOTSUPP);
    assert_errno!(k.sys_rename(&a, &fx.p("no-rename.d/x")), Errno::EOPNOTSUPP);
    assert_errno!(k.sys_rename(&fx.p("no-rename.d"), &b), Errno::EOPNOTSUPP);
    assert_errno!(k.sys_link(&a, &b), Errno::EOPNOTSUPP);
    assert_eq!(get(k, &a), b"kept");
    assert_errno!(k.sys_stat(&b), Errno::ENOENT);
    assert_eq!(k.sys_stat(&a).unwrap().nlink, 1);
    k.sys_unlink(&a).unwrap();
    k.sys_rmdir(&fx.p("no-rename.d")).unwrap();
    false
}

/// What `stat` says of a directory with `links` links: NetBSD's rumpfs
/// keeps every directory's count at the 2 it was made with (`makeprivate`
/// in rumpfs.c; fts, and so `ls -R`, take that for "no subdirectories").
fn dir_links(fx: &Fx, links: u32) -> u32 {
    if fx.fs == Fs::Rumpfs { 2 } else { links }
}

/// A directory's link count is 2 plus its subdirectories (2 on rumpfs);
/// files do not count; rmdir and renames keep it right.
fn dir_nlink(fx: &Fx) {
    let k = &fx.k;
    let nl = |p: &str| k.sys_stat(&fx.p(p)).unwrap().nlink;
    let top = nl("");
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    assert_eq!(nl(""), dir_links(fx, top + 1));
    assert_eq!(nl("d"), 2);
    k.sys_mkdir(&fx.p("d/a"), 0o755).unwrap();
    k.sys_mkdir(&fx.p("d/b"), 0o755).unwrap();
    touch(k, &fx.p("d/f"));
    assert_eq!(nl("d"), dir_links(fx, 4));
    k.sys_rmdir(&fx.p("d/a")).unwrap();
    assert_eq!(nl("d"), dir_links(fx, 3));
    if !renames_and_links(fx) {
        return;
    }
    k.sys_rename(&fx.p("d/b"), &fx.p("b")).unwrap();
    assert_eq!(nl("d"), 2);
    assert_eq!(nl(""), dir_links(fx, top + 2));
    k.sys_rename(&fx.p("b"), &fx.p("d/b2")).unwrap();
    assert_eq!(nl("d"), dir_links(fx, 3));
    assert_eq!(nl(""), dir_links(fx, top + 1));
    assert_eq!(nl("d/f"), 1);
}

/// After removing the current directory and its parent, `chdir("..")` gives
/// ENOENT (NetBSD `dir_rmdirdotdot`, PR kern/44657).
fn dir_rmdirdotdot(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    k.sys_mkdir("test", 0o777).unwrap();
    k.sys_chdir("test").unwrap();
    k.sys_mkdir("subtest", 0o777).unwrap();
    k.sys_chdir("subtest").unwrap();
    k.sys_rmdir(&fx.p("test/subtest")).unwrap();
    k.sys_rmdir(&fx.p("test")).unwrap();
    assert_errno!(k.sys_chdir(".."), Errno::ENOENT);
}

/// chdir, fchdir and getcwd agree, inside the file system and across its
/// mount point.
fn getcwd_chdir(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    assert_eq!(k.sys_getcwd().unwrap(), fx.mp);
    k.sys_mkdir("a", 0o755).unwrap();
    k.sys_mkdir("a/b", 0o755).unwrap();
    k.sys_chdir("a/b").unwrap();
    assert_eq!(k.sys_getcwd().unwrap(), fx.p("a/b"));
    k.sys_chdir("../..").unwrap();
    assert_eq!(k.sys_getcwd().unwrap(), fx.mp);
    k.sys_chdir("..").unwrap();
    assert_eq!(k.sys_getcwd().unwrap(), "/");
    let fd = k.sys_open(&fx.p("a"), O_RDONLY | O_DIRECTORY, 0).unwrap();
    k.sys_fchdir(fd).unwrap();
    k.sys_close(fd).unwrap();
    assert_eq!(k.sys_getcwd().unwrap(), fx.p("a"));
    touch(k, "f");
    assert!(
        k.sys_stat(&fx.p("a/f")).is_ok(),
        "relative create lands in the cwd"
    );
    let fd = k.sys_open("f", O_RDONLY, 0).unwrap();
    assert_errno!(k.sys_fchdir(fd), Errno::ENOTDIR);
    k.sys_close(fd).unwrap();
    k.sys_chdir("/").unwrap();
}

// ---------------------------------------------------------------------------
// renames

/// Renames of regular files keep the inode; renaming one hard link onto
/// another name of the same file removes the source name, as NetBSD does
/// (NetBSD `rename_reg_nodir`).
fn rename_reg_nodir(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    fx.enter();
    touch(k, "file1");
    touch(k, "file2");
    let f1ino = k.sys_stat("file1").unwrap().ino;
    k.sys_link("file1", "file_link").unwrap();
    let st = k.sys_stat("file_link").unwrap();
    assert_eq!((st.ino, st.nlink), (f1ino, 2));

    k.sys_rename("file1", "file3").unwrap();
    assert_eq!(k.sys_stat("file3").unwrap().ino, f1ino);
    assert_errno!(k.sys_stat("file1"), Errno::ENOENT);

    k.sys_rename("file3", "file2").unwrap();
    assert_eq!(k.sys_stat("file2").unwrap().ino, f1ino);
    assert_errno!(k.sys_stat("file3"), Errno::ENOENT);

    k.sys_rename("file2", "file_link").unwrap();
    assert_errno!(k.sys_stat("file2"), Errno::ENOENT);
    let st = k.sys_stat("file_link").unwrap();
    assert_eq!((st.ino, st.nlink), (f1ino, 1));
    assert_eq!(names(k, "."), vec![b"file_link".to_vec()]);
}

/// Renaming over a file replaces it atomically: the new name has the
/// source's data, the old file lives on through an open descriptor with no
/// links.
fn rename_over_file(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    put(k, &fx.p("a"), b"AAAA");
    put(k, &fx.p("b"), b"BBBBBB");
    let ino_a = k.sys_stat(&fx.p("a")).unwrap().ino;
    let fd = k.sys_open(&fx.p("b"), O_RDONLY, 0).unwrap();
    k.sys_rename(&fx.p("a"), &fx.p("b")).unwrap();
    assert_errno!(k.sys_stat(&fx.p("a")), Errno::ENOENT);
    assert_eq!(get(k, &fx.p("b")), b"AAAA");
    assert_eq!(k.sys_stat(&fx.p("b")).unwrap().ino, ino_a);
    assert_eq!(read_to_end(k, fd), b"BBBBBB");
    assert_eq!(k.sys_fstat(fd).unwrap().nlink, 0);
    k.sys_close(fd).unwrap();
    assert_eq!(names(k, &fx.mp), vec![b"b".to_vec()]);
}

/// Directory renames: within and across directories, onto itself via "."
/// (EINVAL from ".", EISDIR onto "."), into its own subtree (EINVAL), over a
/// non-empty directory (ENOTEMPTY) and over an empty one (NetBSD
/// `rename_dir`, PR kern/44288).
fn rename_dir(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    let checkfile = |dir: &str, reference: &rump::file::Stat| {
        let st = k.sys_stat(&fx.p(&format!("{dir}/file"))).unwrap();
        same_node(&st, reference, dir);
    };
    k.sys_mkdir(&fx.p("dir1"), 0o777).unwrap();
    k.sys_mkdir(&fx.p("dir2"), 0o777).unwrap();
    k.sys_mkdir(&fx.p("dir2/subdir"), 0o777).unwrap();
    touch(k, &fx.p("dir1/file"));
    let reference = k.sys_stat(&fx.p("dir1/file")).unwrap();

    k.sys_rename(&fx.p("dir1"), &fx.p("dir3")).unwrap();
    checkfile("dir3", &reference);

    assert_errno!(k.sys_rename(&fx.p("dir3/."), &fx.p("dir3")), Errno::EINVAL);
    assert_errno!(k.sys_rename(&fx.p("dir3"), &fx.p("dir3/.")), Errno::EISDIR);
    checkfile("dir3", &reference);

    assert_errno!(
        k.sys_rename(&fx.p("dir2"), &fx.p("dir2/dir")),
        Errno::EINVAL
    );
    assert_errno!(
        k.sys_rename(&fx.p("dir2"), &fx.p("dir2/subdir/dir2")),
        Errno::EINVAL
    );
    checkfile("dir3", &reference);

    assert_errno!(k.sys_rename(&fx.p("dir2"), &fx.p("dir3")), Errno::ENOTEMPTY);

    k.sys_rename(&fx.p("dir3"), &fx.p("dir2/somedir")).unwrap();
    checkfile("dir2/somedir", &reference);

    k.sys_rename(&fx.p("dir2/somedir"), &fx.p("dir2/somedir/../../dir3"))
        .unwrap();
    checkfile("dir2/../dir3", &reference);

    k.sys_rename(&fx.p("dir3"), &fx.p("dir2/subdir")).unwrap();
    checkfile("dir2/subdir", &reference);

    k.sys_mkdir(&fx.p("parent"), 0o777).unwrap();
    k.sys_mkdir(&fx.p("parent/dir1"), 0o777).unwrap();
    k.sys_mkdir(&fx.p("parent/dir2"), 0o777).unwrap();
    k.sys_rename(&fx.p("parent/dir1"), &fx.p("parent/dir2"))
        .unwrap();
    assert_eq!(k.sys_stat(&fx.p("parent")).unwrap().nlink, dir_links(fx, 3));
    assert_eq!(names(k, &fx.p("parent")), vec![b"dir2".to_vec()]);
    k.sys_rmdir(&fx.p("parent/dir2")).unwrap();
    k.sys_rmdir(&fx.p("parent")).unwrap();
}

/// Renames from or onto `..` give EINVAL (NetBSD `rename_dotdot`, PR
/// kern/43617).
fn rename_dotdot(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    fx.enter();
    k.sys_mkdir("dir1", 0o777).unwrap();
    k.sys_mkdir("dir2", 0o777).unwrap();
    assert_errno!(k.sys_rename("dir1", "dir1/.."), Errno::EINVAL);
    assert_errno!(k.sys_rename("dir1/..", "sometarget"), Errno::EINVAL);
    assert_errno!(k.sys_rename("dir1", "dir2/.."), Errno::EINVAL);
    assert_eq!(names(k, "."), vec![b"dir1".to_vec(), b"dir2".to_vec()]);
}

/// Type rules: a directory over a file is ENOTDIR, a file over a directory
/// EISDIR, a directory over a non-empty one ENOTEMPTY, a directory into its
/// own subtree EINVAL; nothing changes on failure.
fn rename_types(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    k.sys_mkdir(&fx.p("d/x"), 0o755).unwrap();
    put(k, &fx.p("f"), b"file");
    k.sys_mkdir(&fx.p("full"), 0o755).unwrap();
    touch(k, &fx.p("full/entry"));

    assert_errno!(k.sys_rename(&fx.p("d"), &fx.p("f")), Errno::ENOTDIR);
    assert_errno!(k.sys_rename(&fx.p("f"), &fx.p("d")), Errno::EISDIR);
    assert_errno!(k.sys_rename(&fx.p("d"), &fx.p("full")), Errno::ENOTEMPTY);
    assert_errno!(k.sys_rename(&fx.p("d"), &fx.p("d/sub")), Errno::EINVAL);
    assert_errno!(k.sys_rename(&fx.p("d"), &fx.p("d/x")), Errno::EINVAL);
    assert_errno!(k.sys_rename(&fx.p("d"), &fx.p("d/x/y")), Errno::EINVAL);
    assert_errno!(k.sys_rename(&fx.p("f"), &fx.p("f/x")), Errno::ENOTDIR);

    assert_eq!(get(k, &fx.p("f")), b"file");
    assert_eq!(names(k, &fx.p("d")), vec![b"x".to_vec()]);
    assert_eq!(names(k, &fx.p("full")), vec![b"entry".to_vec()]);
    assert_eq!(
        names(k, &fx.mp),
        vec![b"d".to_vec(), b"f".to_vec(), b"full".to_vec()]
    );
}

/// Moving a directory to another parent updates its `..`: lookups, getdents
/// and getcwd see the new parent, and both parents' link counts change.
fn rename_moves_dotdot(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    for d in ["a", "b", "a/c", "a/c/deep"] {
        k.sys_mkdir(&fx.p(d), 0o755).unwrap();
    }
    put(k, &fx.p("a/c/file"), b"moved");
    let a = k.sys_stat(&fx.p("a")).unwrap();
    let b = k.sys_stat(&fx.p("b")).unwrap();
    assert_eq!((a.nlink, b.nlink), (dir_links(fx, 3), 2));

    k.sys_rename(&fx.p("a/c"), &fx.p("b/c")).unwrap();
    assert_errno!(k.sys_stat(&fx.p("a/c")), Errno::ENOENT);
    assert_eq!(k.sys_stat(&fx.p("a")).unwrap().nlink, 2);
    assert_eq!(k.sys_stat(&fx.p("b")).unwrap().nlink, dir_links(fx, 3));
    assert_eq!(k.sys_stat(&fx.p("b/c/..")).unwrap().ino, b.ino);
    assert_eq!(k.sys_stat(&fx.p("b/c/deep/../..")).unwrap().ino, b.ino);
    assert_eq!(list(k, &fx.p("b/c"))[&b"..".to_vec()].0, b.ino);
    assert_eq!(get(k, &fx.p("b/c/file")), b"moved");

    k.sys_chdir(&fx.p("b/c/deep")).unwrap();
    assert_eq!(k.sys_getcwd().unwrap(), fx.p("b/c/deep"));
    assert_eq!(k.sys_stat("../..").unwrap().ino, b.ino);
    k.sys_chdir("/").unwrap();

    // and back, by a relative path through the moved directory
    k.sys_rename(&fx.p("b/c"), &fx.p("b/c/../../a/c")).unwrap();
    assert_eq!(k.sys_stat(&fx.p("a/c/..")).unwrap().ino, a.ino);
    assert_eq!(k.sys_stat(&fx.p("a")).unwrap().nlink, dir_links(fx, 3));
    assert_eq!(k.sys_stat(&fx.p("b")).unwrap().nlink, 2);
}

/// Renaming a name to itself succeeds and changes nothing.
fn rename_self(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    put(k, &fx.p("f"), b"same");
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    let f = k.sys_stat(&fx.p("f")).unwrap();
    let d = k.sys_stat(&fx.p("d")).unwrap();
    k.sys_rename(&fx.p("f"), &fx.p("f")).unwrap();
    k.sys_rename(&fx.p("d"), &fx.p("d")).unwrap();
    k.sys_rename(&fx.p("f"), &fx.p("./f")).unwrap();
    k.sys_rename(&fx.p("d"), &fx.p("d/../d")).unwrap();
    same_node(&f, &k.sys_stat(&fx.p("f")).unwrap(), "f after rename f f");
    same_node(&d, &k.sys_stat(&fx.p("d")).unwrap(), "d after rename d d");
    assert_eq!(get(k, &fx.p("f")), b"same");
    assert_eq!(names(k, &fx.mp), vec![b"d".to_vec(), b"f".to_vec()]);
}

/// Renaming to a 256-byte name gives ENAMETOOLONG and keeps the source
/// (NetBSD `rename_nametoolong`).
fn rename_nametoolong(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    fx.enter();
    touch(k, "dummy");
    assert_errno!(k.sys_rename("dummy", &"a".repeat(256)), Errno::ENAMETOOLONG);
    k.sys_stat("dummy").unwrap();
    k.sys_rename("dummy", &"a".repeat(255)).unwrap();
    k.sys_unlink(&"a".repeat(255)).unwrap();
}

/// A missing source or a missing target directory gives ENOENT; a file as
/// the target's directory gives ENOTDIR.
fn rename_enoent(fx: &Fx) {
    let k = &fx.k;
    touch(k, &fx.p("f"));
    assert_errno!(k.sys_rename(&fx.p("nope"), &fx.p("x")), Errno::ENOENT);
    assert_errno!(k.sys_rename(&fx.p("f"), &fx.p("nodir/x")), Errno::ENOENT);
    assert_errno!(k.sys_rename(&fx.p("nodir/f"), &fx.p("x")), Errno::ENOENT);
    assert_eq!(names(k, &fx.mp), vec![b"f".to_vec()]);
}

// ---------------------------------------------------------------------------
// many files, odd names

/// 1200 files in one directory are each listed exactly once by getdents,
/// with distinct inode numbers, and can all be removed (NetBSD
/// `create_many`, PR kern/50607).
fn create_many(fx: &Fx) {
    let k = &fx.k;
    const N: usize = 1200;
    k.sys_mkdir(&fx.p("subdir"), 0o777).unwrap();
    fx.enter();
    k.sys_chdir("subdir").unwrap();
    for i in 0..N {
        let fd = k
            .sys_open(&format!("testfile{i}"), O_RDWR | O_CREAT | O_EXCL, 0o666)
            .unwrap_or_else(|e| panic!("create testfile{i}: {e:?}"));
        k.sys_close(fd).unwrap();
    }
    let ents = list(k, ".");
    assert_eq!(ents.len(), N + dots(fx));
    let inos: BTreeSet<u64> = ents
        .iter()
        .filter(|(n, _)| n.as_slice() != b"." && n.as_slice() != b"..")
        .map(|(_, (ino, _))| *ino)
        .collect();
    assert_eq!(inos.len(), N, "every file has its own inode number");
    for i in 0..N {
        let name = format!("testfile{i}");
        let (ino, typ) = ents[name.as_bytes()];
        assert_eq!(typ, DT_REG, "{name}");
        assert_eq!(k.sys_stat(&name).unwrap().ino, ino, "{name}");
    }
    for i in (0..N).step_by(2) {
        k.sys_unlink(&format!("testfile{i}")).unwrap();
    }
    assert_eq!(list(k, ".").len(), N / 2 + dots(fx));
    for i in (1..N).step_by(2) {
        k.sys_unlink(&format!("testfile{i}")).unwrap();
    }
    assert!(names(k, ".").is_empty());
    k.sys_chdir("..").unwrap();
    k.sys_rmdir("subdir").unwrap();
}

/// Every one-character name but "/" (as UTF-8) can be created, listed and
/// removed (NetBSD `create_nonalphanum`).
fn create_nonalphanum(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let mut made = BTreeSet::new();
    for c in (1u32..256).filter_map(char::from_u32) {
        if c == '/' || c == '.' {
            continue;
        }
        let name = c.to_string();
        let fd = k
            .sys_open(&name, O_RDWR | O_CREAT | O_EXCL, 0o666)
            .unwrap_or_else(|e| panic!("create {name:?}: {e:?}"));
        k.sys_close(fd).unwrap();
        made.insert(name.into_bytes());
    }
    let listed: BTreeSet<Vec<u8>> = names(k, ".").into_iter().collect();
    assert_eq!(listed, made);
    for name in &made {
        k.sys_unlink(std::str::from_utf8(name).unwrap()).unwrap();
    }
    assert!(names(k, ".").is_empty());
}

/// O_CREAT|O_EXCL on an existing name gives EEXIST; plain O_CREAT opens it
/// (NetBSD `create_exist`).
fn create_exist(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let name = "hoge";
    let fd = k.sys_open(name, O_RDWR | O_CREAT | O_EXCL, 0o666).unwrap();
    k.sys_close(fd).unwrap();
    k.sys_unlink(name).unwrap();
    let fd = k.sys_open(name, O_RDWR | O_CREAT, 0o666).unwrap();
    k.sys_close(fd).unwrap();
    let fd = k.sys_open(name, O_RDWR | O_CREAT, 0o666).unwrap();
    k.sys_close(fd).unwrap();
    assert_errno!(
        k.sys_open(name, O_RDWR | O_CREAT | O_EXCL, 0o666),
        Errno::EEXIST
    );
    k.sys_mkdir("dir", 0o755).unwrap();
    assert_errno!(
        k.sys_open("dir", O_RDWR | O_CREAT | O_EXCL, 0o666),
        Errno::EEXIST
    );
    k.sys_unlink(name).unwrap();
}

/// Creating a file with a 256-byte name gives ENAMETOOLONG (NetBSD
/// `create_nametoolong`).
fn create_nametoolong(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    assert_errno!(
        k.sys_open(&"a".repeat(256), O_RDWR | O_CREAT, 0o666),
        Errno::ENAMETOOLONG
    );
    assert!(names(k, ".").is_empty());
}

/// Names are bytes: 255-byte names (ASCII and multi-byte UTF-8), spaces,
/// newlines, tabs, leading dashes and dots all round-trip through create,
/// getdents, read, rename and unlink; NAME_MAX counts bytes, not characters.
fn long_and_odd_names(fx: &Fx) {
    let k = &fx.k;
    let utf8_255 = format!("{}x", "é".repeat(127));
    assert_eq!(utf8_255.len(), 255);
    let odd: Vec<String> = vec![
        "a".repeat(255),
        utf8_255,
        "with space".into(),
        " leading space".into(),
        "trailing space ".into(),
        "new\nline".into(),
        "\n".into(),
        "tab\there".into(),
        "-dash".into(),
        "...".into(),
        "..a".into(),
        ".hidden".into(),
        "日本語のファイル名".into(),
        "emoji \u{1F600}".into(),
        "back\\slash".into(),
        "quote\"'`".into(),
        "#%&*?[]{}<>|;:~$!".into(),
        "\u{7f}del".into(),
    ];
    for name in &odd {
        put(k, &fx.p(name), name.as_bytes());
    }
    let listed: BTreeSet<Vec<u8>> = names(k, &fx.mp).into_iter().collect();
    let expect: BTreeSet<Vec<u8>> = odd.iter().map(|n| n.as_bytes().to_vec()).collect();
    assert_eq!(listed, expect);
    for name in &odd {
        assert_eq!(get(k, &fx.p(name)), name.as_bytes(), "{name:?}");
        let renamed = format!("{}~", name.chars().take(100).collect::<String>());
        if !renames_and_links(fx) {
            k.sys_unlink(&fx.p(name)).unwrap();
            continue;
        }
        k.sys_rename(&fx.p(name), &fx.p(&renamed)).unwrap();
        assert_eq!(get(k, &fx.p(&renamed)), name.as_bytes(), "{renamed:?}");
        k.sys_unlink(&fx.p(&renamed)).unwrap();
    }
    assert!(names(k, &fx.mp).is_empty());
    let utf8_256 = "é".repeat(128);
    assert_errno!(
        k.sys_open(&fx.p(&utf8_256), O_RDWR | O_CREAT, 0o644),
        Errno::ENAMETOOLONG
    );
}

// ---------------------------------------------------------------------------
// symlinks

/// A symlink with an empty target can be made and read back, but following
/// it gives ENOENT (NetBSD `symlink_zerolen`).
fn symlink_zerolen(fx: &Fx) {
    let k = &fx.k;
    k.sys_symlink("", &fx.p("afile")).unwrap();
    assert_eq!(k.sys_readlink(&fx.p("afile")).unwrap(), b"");
    let st = k.sys_lstat(&fx.p("afile")).unwrap();
    assert_eq!((ftype(st.mode), st.size), (S_IFLNK, 0));
    assert_errno!(k.sys_stat(&fx.p("afile")), Errno::ENOENT);
    assert_errno!(k.sys_open(&fx.p("afile"), O_RDONLY, 0), Errno::ENOENT);
    k.sys_unlink(&fx.p("afile")).unwrap();
}

/// Targets up to 1023 bytes are kept exactly; 1024 and more give
/// ENAMETOOLONG (MAXPATHLEN with the NUL). Lengths near powers of two, as
/// NetBSD `symlink_long` tries.
fn symlink_long(fx: &Fx) {
    let k = &fx.k;
    let mut len = 2usize;
    while len <= 65536 {
        for l in [len - 1, len, len + 1] {
            let target = "a".repeat(l);
            let r = k.sys_symlink(&target, &fx.p("afile"));
            if l < 1024 {
                r.unwrap_or_else(|e| panic!("symlink of {l} bytes: {e:?}"));
                assert_eq!(k.sys_readlink(&fx.p("afile")).unwrap(), target.as_bytes());
                assert_eq!(k.sys_lstat(&fx.p("afile")).unwrap().size, l as i64);
                k.sys_unlink(&fx.p("afile")).unwrap();
            } else {
                assert_errno!(r, Errno::ENAMETOOLONG);
                assert_errno!(k.sys_lstat(&fx.p("afile")), Errno::ENOENT);
            }
        }
        len *= 2;
    }
}

/// A symlink to "/" can be entered and leads to the root (NetBSD
/// `symlink_root`).
fn symlink_root(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    k.sys_symlink("/", "foo").unwrap();
    let root = k.sys_stat("/").unwrap();
    same_node(&root, &k.sys_stat("foo").unwrap(), "foo -> /");
    let mp = k.sys_stat(&fx.mp).unwrap();
    let base = fx.mp.trim_start_matches('/');
    same_node(&mp, &k.sys_stat(&format!("foo/{base}")).unwrap(), "foo/mp");
    k.sys_chdir("foo").unwrap();
    assert_eq!(k.sys_getcwd().unwrap(), "/");
    same_node(&root, &k.sys_stat(".").unwrap(), "cwd after chdir foo");
}

/// A dangling symlink: stat gives ENOENT, lstat works; O_CREAT through it
/// creates the target, O_CREAT|O_EXCL gives EEXIST.
fn symlink_dangling(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("sub"), 0o755).unwrap();
    k.sys_symlink("target", &fx.p("sub/dl")).unwrap();
    assert_errno!(k.sys_stat(&fx.p("sub/dl")), Errno::ENOENT);
    assert_eq!(ftype(k.sys_lstat(&fx.p("sub/dl")).unwrap().mode), S_IFLNK);
    assert_errno!(
        k.sys_open(&fx.p("sub/dl"), O_WRONLY | O_CREAT | O_EXCL, 0o644),
        Errno::EEXIST
    );
    let fd = k
        .sys_open(&fx.p("sub/dl"), O_WRONLY | O_CREAT, 0o644)
        .unwrap();
    write_all(k, fd, b"through the link");
    k.sys_close(fd).unwrap();
    assert_eq!(get(k, &fx.p("sub/target")), b"through the link");
    assert_eq!(
        names(k, &fx.p("sub")),
        vec![b"dl".to_vec(), b"target".to_vec()]
    );
    assert_errno!(k.sys_symlink("other", &fx.p("sub/dl")), Errno::EEXIST);
}

/// Relative targets resolve from the link's directory, also through
/// chains of links across directories.
fn symlink_relative(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("sub"), 0o755).unwrap();
    k.sys_mkdir(&fx.p("sub/deeper"), 0o755).unwrap();
    put(k, &fx.p("f"), b"hi");
    k.sys_symlink("../f", &fx.p("sub/l")).unwrap();
    k.sys_symlink("../l", &fx.p("sub/deeper/l2")).unwrap();
    k.sys_symlink("sub/deeper", &fx.p("dl")).unwrap();
    assert_eq!(get(k, &fx.p("sub/l")), b"hi");
    assert_eq!(get(k, &fx.p("sub/deeper/l2")), b"hi");
    assert_eq!(get(k, &fx.p("dl/l2")), b"hi");
    assert_eq!(
        get(k, &fx.p("dl/../l")),
        b"hi",
        "`..` after a symlink is the target's parent"
    );
}

/// lstat describes the link (S_IFLNK, size = target length), stat the
/// target; readlink of a non-link gives EINVAL; unlink removes the link only;
/// rmdir of a link to a directory gives ENOTDIR (NetBSD `lstat_symlink`).
fn lstat_symlink(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    k.sys_symlink("source", "destination").unwrap();
    let st = k.sys_lstat("destination").unwrap();
    assert_eq!(ftype(st.mode), S_IFLNK);
    assert_eq!(st.size, "source".len() as i64);
    assert_eq!(st.nlink, 1);

    put(k, "file", b"0123456789");
    k.sys_symlink("file", "flink").unwrap();
    let f = k.sys_stat("file").unwrap();
    let via = k.sys_stat("flink").unwrap();
    same_node(&f, &via, "stat through a link");
    let l = k.sys_lstat("flink").unwrap();
    assert_ne!(l.ino, f.ino);
    assert_eq!((ftype(l.mode), l.size), (S_IFLNK, 4));
    assert_errno!(k.sys_readlink("file"), Errno::EINVAL);
    assert_eq!(k.sys_readlink("flink").unwrap(), b"file");

    k.sys_mkdir("dir", 0o755).unwrap();
    k.sys_symlink("dir", "dlink").unwrap();
    assert_eq!(ftype(k.sys_stat("dlink/").unwrap().mode), S_IFDIR);
    assert_eq!(ftype(k.sys_lstat("dlink").unwrap().mode), S_IFLNK);
    assert_errno!(k.sys_rmdir("dlink"), Errno::ENOTDIR);

    k.sys_unlink("flink").unwrap();
    assert_eq!(get(k, "file"), b"0123456789");
}

/// O_NOFOLLOW on a final symlink fails with EFTYPE, NetBSD's errno for it;
/// links earlier in the path are still followed.
fn symlink_nofollow(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("dir"), 0o755).unwrap();
    put(k, &fx.p("dir/f"), b"x");
    k.sys_symlink("dir", &fx.p("dl")).unwrap();
    k.sys_symlink("dir/f", &fx.p("fl")).unwrap();
    assert_errno!(
        k.sys_open(&fx.p("fl"), O_RDONLY | O_NOFOLLOW, 0),
        Errno::EFTYPE
    );
    let fd = k.sys_open(&fx.p("dl/f"), O_RDONLY | O_NOFOLLOW, 0).unwrap();
    k.sys_close(fd).unwrap();
    let fd = k
        .sys_open(&fx.p("dir/f"), O_RDONLY | O_NOFOLLOW, 0)
        .unwrap();
    k.sys_close(fd).unwrap();
}

// ---------------------------------------------------------------------------
// attributes, access, times

/// chown, chmod and utimes set what stat then reports, to the nanosecond
/// (NetBSD `attrs`).
fn attrs(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let fd = k.sys_open("afile", O_RDWR | O_CREAT, 0o755).unwrap();
    k.sys_close(fd).unwrap();
    let before = k.sys_stat("afile").unwrap();
    k.sys_chown("afile", 1, 2).unwrap();
    k.sys_chmod("afile", 0o123).unwrap();
    let atime = (1_000_000_000, 1_000);
    let mtime = (1_000_000_002, 3_000);
    k.sys_utimes("afile", atime, mtime).unwrap();
    k.sys_utimes("afile", atime, mtime).unwrap();
    let st = k.sys_stat("afile").unwrap();
    assert_eq!((st.uid, st.gid), (1, 2));
    assert_eq!(st.mode, S_IFREG | 0o123);
    assert_eq!(st.atime, atime);
    assert_eq!(st.mtime, mtime);
    assert_eq!(
        (st.ino, st.dev, st.size, st.nlink),
        (before.ino, before.dev, 0, 1)
    );
    let fd = k.sys_open("afile", O_RDONLY, 0).unwrap();
    same_node(&k.sys_fstat(fd).unwrap(), &st, "fstat vs stat");
    k.sys_close(fd).unwrap();
}

/// A new file is a regular file owned by the caller, in the group of its
/// directory (BSD semantics), mode masked by the umask, one link, size 0,
/// its own inode number on the directory's device.
fn new_file_attrs(fx: &Fx) {
    let k = &fx.k;
    k.sys_umask(0o022).unwrap();
    k.sys_mkdir(&fx.p("d"), 0o777).unwrap();
    k.sys_chown(&fx.p("d"), 0, 77).unwrap();
    let fd = k.sys_open(&fx.p("d/f"), O_RDWR | O_CREAT, 0o666).unwrap();
    let st = k.sys_fstat(fd).unwrap();
    k.sys_close(fd).unwrap();
    let dir = k.sys_stat(&fx.p("d")).unwrap();
    assert_eq!(st.mode, S_IFREG | 0o644);
    // NetBSD's rumpfs makes every node root's, group 0 (`makeprivate`).
    let group = if fx.fs == Fs::Rumpfs { 0 } else { 77 };
    assert_eq!((st.uid, st.gid), (0, group));
    assert_eq!((st.nlink, st.size), (1, 0));
    if fx.fs == Fs::Rumpfs {
        // NetBSD's rumpfs gives each node its number as its st_dev.
        assert_eq!((st.dev, dir.dev), (st.ino, dir.ino));
    } else {
        assert_eq!(st.dev, dir.dev);
    }
    assert_ne!(st.ino, 0);
    assert_ne!(st.ino, dir.ino);
    assert!(st.blksize > 0);
    assert_eq!(dir.mode, S_IFDIR | 0o755);
    touch(k, &fx.p("d/g"));
    assert_ne!(k.sys_stat(&fx.p("d/g")).unwrap().ino, st.ino);
    k.sys_mkdir(&fx.p("d/sub"), 0o777).unwrap();
    assert_eq!(k.sys_stat(&fx.p("d/sub")).unwrap().gid, group);
    let mut data = vec![7u8; 10_000];
    data[9_999] = 9;
    put(k, &fx.p("d/g"), &data);
    let g = k.sys_stat(&fx.p("d/g")).unwrap();
    assert_eq!(g.size, 10_000);
    let fd = k.sys_open(&fx.p("d/g"), O_RDONLY, 0).unwrap();
    same_node(&k.sys_fstat(fd).unwrap(), &g, "fstat vs stat");
    k.sys_close(fd).unwrap();
}

/// umask returns the previous mask (NetBSD's initial one is 022) and masks
/// the mode of new files and directories, not of chmod.
fn umask_applies(fx: &Fx) {
    let k = &fx.k;
    assert_eq!(k.sys_umask(0o077).unwrap(), 0o022, "NetBSD's CMASK");
    touch(k, &fx.p("f"));
    assert_eq!(k.sys_stat(&fx.p("f")).unwrap().mode, S_IFREG | 0o600);
    k.sys_mkdir(&fx.p("d"), 0o777).unwrap();
    assert_eq!(k.sys_stat(&fx.p("d")).unwrap().mode, S_IFDIR | 0o700);
    k.sys_chmod(&fx.p("f"), 0o666).unwrap();
    assert_eq!(k.sys_stat(&fx.p("f")).unwrap().mode, S_IFREG | 0o666);
    assert_eq!(k.sys_umask(0).unwrap(), 0o077);
    touch(k, &fx.p("g"));
    assert_eq!(k.sys_stat(&fx.p("g")).unwrap().mode, S_IFREG | 0o644);
    assert_eq!(k.sys_umask(0o022).unwrap(), 0);
}

/// As root: chmod keeps the file type and may set every permission bit
/// (sticky included), fchmod/fchown act on the descriptor's file, chown with
/// -1 leaves an id alone, lchown changes the link and chown its target.
fn chmod_chown_root(fx: &Fx) {
    let k = &fx.k;
    touch(k, &fx.p("f"));
    k.sys_chmod(&fx.p("f"), 0o7777).unwrap();
    assert_eq!(k.sys_stat(&fx.p("f")).unwrap().mode, S_IFREG | 0o7777);
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    k.sys_chmod(&fx.p("d"), 0o1777).unwrap();
    assert_eq!(k.sys_stat(&fx.p("d")).unwrap().mode, S_IFDIR | 0o1777);

    let fd = k.sys_open(&fx.p("f"), O_RDONLY, 0).unwrap();
    k.sys_fchmod(fd, 0o640).unwrap();
    k.sys_fchown(fd, 5, 6).unwrap();
    k.sys_close(fd).unwrap();
    let st = k.sys_stat(&fx.p("f")).unwrap();
    assert_eq!((st.mode, st.uid, st.gid), (S_IFREG | 0o640, 5, 6));

    k.sys_chown(&fx.p("f"), u32::MAX, 9).unwrap();
    let st = k.sys_stat(&fx.p("f")).unwrap();
    assert_eq!((st.uid, st.gid), (5, 9));
    k.sys_chown(&fx.p("f"), 8, u32::MAX).unwrap();
    let st = k.sys_stat(&fx.p("f")).unwrap();
    assert_eq!((st.uid, st.gid), (8, 9));

    k.sys_symlink("f", &fx.p("l")).unwrap();
    k.sys_lchown(&fx.p("l"), 11, 12).unwrap();
    let l = k.sys_lstat(&fx.p("l")).unwrap();
    assert_eq!((l.uid, l.gid), (11, 12));
    let st = k.sys_stat(&fx.p("f")).unwrap();
    assert_eq!((st.uid, st.gid), (8, 9));
    k.sys_chown(&fx.p("l"), 13, 14).unwrap();
    let st = k.sys_stat(&fx.p("f")).unwrap();
    assert_eq!((st.uid, st.gid), (13, 14));
    let l = k.sys_lstat(&fx.p("l")).unwrap();
    assert_eq!((l.uid, l.gid), (11, 12));
    assert_errno!(k.sys_chmod(&fx.p("nope"), 0o644), Errno::ENOENT);
    assert_errno!(k.sys_chown(&fx.p("nope"), 1, 1), Errno::ENOENT);
}

/// access(2) with every mode works on a 0777 file; an unknown mode bit
/// gives EINVAL (NetBSD `access_simple`, PR kern/44648).
fn access_simple(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let fd = k.sys_open("tfile", O_CREAT | O_RDWR, 0o777).unwrap();
    k.sys_close(fd).unwrap();
    let all = F_OK | X_OK | W_OK | R_OK;
    k.sys_access("tfile", all).unwrap();
    assert_errno!(k.sys_access("tfile", all + 1), Errno::EINVAL);
    assert_errno!(k.sys_access("nope", F_OK), Errno::ENOENT);
    k.sys_chmod("tfile", 0).unwrap();
    k.sys_access("tfile", R_OK | W_OK).unwrap();
}

/// A write updates mtime and ctime.
fn mtime_on_write(fx: &Fx) {
    let k = &fx.k;
    put(k, &fx.p("f"), b"first");
    age(k, &fx.p("f"));
    let fd = k.sys_open(&fx.p("f"), O_WRONLY, 0).unwrap();
    k.sys_pwrite(fd, b"x", 2).unwrap();
    let st = k.sys_fstat(fd).unwrap();
    k.sys_close(fd).unwrap();
    assert_eq!(get(k, &fx.p("f")), b"fixst");
    if !stamps_times(fx) {
        assert_eq!(st.mtime, OLD, "rumpfs: a write leaves mtime");
        return;
    }
    assert!(st.mtime > OLD, "mtime after write: {:?}", st.mtime);
    assert!(
        st.ctime >= st.mtime,
        "ctime {:?} < mtime {:?}",
        st.ctime,
        st.mtime
    );
    assert_eq!(get(k, &fx.p("f")), b"fixst");
}

/// Opening a non-empty file with O_TRUNC, and ftruncate/truncate changing
/// the size, update mtime.
fn mtime_on_trunc(fx: &Fx) {
    let k = &fx.k;
    put(k, &fx.p("f"), b"some contents");
    age(k, &fx.p("f"));
    let fd = k.sys_open(&fx.p("f"), O_WRONLY | O_TRUNC, 0).unwrap();
    k.sys_close(fd).unwrap();
    let st = k.sys_stat(&fx.p("f")).unwrap();
    assert_eq!(st.size, 0);
    if !stamps_times(fx) {
        assert_eq!(st.mtime, OLD, "rumpfs: O_TRUNC leaves mtime");
        k.sys_truncate(&fx.p("f"), 100).unwrap();
        let st = k.sys_stat(&fx.p("f")).unwrap();
        assert_eq!((st.size, st.mtime), (100, OLD), "rumpfs: truncate");
        return;
    }
    assert!(st.mtime > OLD, "mtime after O_TRUNC: {:?}", st.mtime);

    put(k, &fx.p("f"), b"some contents");
    age(k, &fx.p("f"));
    let fd = k.sys_open(&fx.p("f"), O_RDWR, 0).unwrap();
    k.sys_ftruncate(fd, 4).unwrap();
    assert!(
        k.sys_fstat(fd).unwrap().mtime > OLD,
        "mtime after ftruncate"
    );
    k.sys_close(fd).unwrap();

    age(k, &fx.p("f"));
    k.sys_truncate(&fx.p("f"), 100).unwrap();
    assert!(
        k.sys_stat(&fx.p("f")).unwrap().mtime > OLD,
        "mtime after truncate"
    );
}

/// Adding, removing and renaming entries updates the directory's mtime.
fn dir_times_on_entries(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    k.sys_mkdir(&fx.p("e"), 0o755).unwrap();
    let changed = |what: &str| {
        let m = k.sys_stat(&fx.p("d")).unwrap().mtime;
        if stamps_times(fx) {
            assert!(m > OLD, "directory mtime after {what}: {m:?}");
        } else {
            assert_eq!(m, OLD, "rumpfs: directory mtime after {what}");
        }
        age(k, &fx.p("d"));
    };
    age(k, &fx.p("d"));
    touch(k, &fx.p("d/f"));
    changed("create");
    k.sys_mkdir(&fx.p("d/sub"), 0o755).unwrap();
    changed("mkdir");
    if renames_and_links(fx) {
        k.sys_rename(&fx.p("d/f"), &fx.p("d/g")).unwrap();
        changed("rename within");
        k.sys_rename(&fx.p("d/g"), &fx.p("e/g")).unwrap();
        changed("rename out");
        k.sys_link(&fx.p("e/g"), &fx.p("d/h")).unwrap();
        changed("link");
        k.sys_unlink(&fx.p("d/h")).unwrap();
    } else {
        k.sys_unlink(&fx.p("d/f")).unwrap();
    }
    changed("unlink");
    k.sys_symlink("x", &fx.p("d/s")).unwrap();
    changed("symlink");
    k.sys_rmdir(&fx.p("d/sub")).unwrap();
    changed("rmdir");
}

// ---------------------------------------------------------------------------
// directory reading

/// read(2) and pread(2) on a directory either work or give EISDIR (NetBSD
/// `read_directory`); writing opens of a directory give EISDIR.
fn read_directory(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let fd = k.sys_open(".", O_DIRECTORY | O_RDONLY, 0o777).unwrap();
    let mut buf = [0u8; 1024];
    let r = k.sys_pread(fd, &mut buf, 0);
    assert!(r.is_ok() || r == Err(Errno::EISDIR), "pread: {r:?}");
    let r = k.sys_read(fd, &mut buf);
    assert!(r.is_ok() || r == Err(Errno::EISDIR), "read: {r:?}");
    k.sys_close(fd).unwrap();
    assert_errno!(k.sys_open(".", O_WRONLY, 0), Errno::EISDIR);
    assert_errno!(k.sys_open(".", O_RDWR, 0), Errno::EISDIR);
    k.sys_mkdir("d", 0o755).unwrap();
    assert_errno!(k.sys_open("d", O_RDWR | O_CREAT, 0o644), Errno::EISDIR);
}

/// getdents lists ".", ".." and every entry exactly once, with the inode
/// numbers stat reports and the right d_type; on a file it gives EINVAL.
fn getdents_entries(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("top"), 0o755).unwrap();
    k.sys_mkdir(&fx.p("top/d"), 0o755).unwrap();
    put(k, &fx.p("top/f"), b"x");
    k.sys_symlink("f", &fx.p("top/l")).unwrap();
    let ino = |p: &str| k.sys_lstat(&fx.p(p)).unwrap().ino;
    if fx.fs == Fs::Rumpfs {
        // NetBSD's rumpfs: no `.` or `..`, the newest entry first, and no
        // hard links.
        assert_errno!(
            k.sys_link(&fx.p("top/f"), &fx.p("top/h")),
            Errno::EOPNOTSUPP
        );
        let fd = k.sys_open(&fx.p("top"), O_RDONLY | O_DIRECTORY, 0).unwrap();
        let got: Vec<(Vec<u8>, u64, u8)> = k
            .sys_getdents(fd)
            .unwrap()
            .into_iter()
            .map(|d| (d.name, d.ino, d.typ))
            .collect();
        k.sys_close(fd).unwrap();
        let want = [("l", DT_LNK), ("f", DT_REG), ("d", DT_DIR)]
            .map(|(n, t)| (n.as_bytes().to_vec(), ino(&format!("top/{n}")), t));
        assert_eq!(got, want);
        assert!(list(k, &fx.p("top/d")).is_empty());
        let fd = k.sys_open(&fx.p("top/f"), O_RDONLY, 0).unwrap();
        assert_errno!(k.sys_getdents(fd), Errno::EINVAL);
        k.sys_close(fd).unwrap();
        return;
    }
    k.sys_link(&fx.p("top/f"), &fx.p("top/h")).unwrap();
    let ents = list(k, &fx.p("top"));
    let got: Vec<&[u8]> = ents.keys().map(|n| n.as_slice()).collect();
    assert_eq!(got, vec![&b"."[..], b"..", b"d", b"f", b"h", b"l"]);
    assert_eq!(ents[&b".".to_vec()], (ino("top"), DT_DIR));
    assert_eq!(ents[&b"..".to_vec()], (ino(""), DT_DIR));
    assert_eq!(ents[&b"d".to_vec()], (ino("top/d"), DT_DIR));
    assert_eq!(ents[&b"f".to_vec()], (ino("top/f"), DT_REG));
    assert_eq!(ents[&b"h".to_vec()], (ino("top/f"), DT_REG));
    assert_eq!(ents[&b"l".to_vec()], (ino("top/l"), DT_LNK));

    let empty = list(k, &fx.p("top/d"));
    assert_eq!(empty.len(), 2);
    assert_eq!(empty[&b"..".to_vec()].0, ino("top"));

    let fd = k.sys_open(&fx.p("top/f"), O_RDONLY, 0).unwrap();
    assert_errno!(k.sys_getdents(fd), Errno::EINVAL);
    k.sys_close(fd).unwrap();
}

/// getdents returns the remaining entries: nothing at the end, everything
/// again after lseek to 0.
fn getdents_rewind(fx: &Fx) {
    let k = &fx.k;
    for i in 0..50 {
        touch(k, &fx.p(&format!("f{i}")));
    }
    let fd = k.sys_open(&fx.mp, O_RDONLY | O_DIRECTORY, 0).unwrap();
    let first = k.sys_getdents(fd).unwrap();
    assert_eq!(first.len(), 50 + dots(fx));
    assert!(
        k.sys_getdents(fd).unwrap().is_empty(),
        "getdents at the end"
    );
    assert_eq!(k.sys_lseek(fd, 0, SEEK_SET).unwrap(), 0);
    let again = k.sys_getdents(fd).unwrap();
    k.sys_close(fd).unwrap();
    let a: BTreeSet<Vec<u8>> = first.into_iter().map(|d| d.name).collect();
    let b: BTreeSet<Vec<u8>> = again.into_iter().map(|d| d.name).collect();
    assert_eq!(a, b);
    assert_eq!(a.len(), 50 + dots(fx));
}

/// Open flags and descriptor errors: O_APPEND writes at the end whatever
/// the offset, O_TRUNC empties, reads on write-only and writes on read-only
/// descriptors give EBADF, as do closed descriptors; negative offsets give
/// EINVAL.
fn open_flags(fx: &Fx) {
    let k = &fx.k;
    let f = fx.p("f");
    put(k, &f, b"0123456789");
    let fd = k.sys_open(&f, O_WRONLY | O_APPEND, 0).unwrap();
    assert_eq!(k.sys_lseek(fd, 0, SEEK_SET).unwrap(), 0);
    write_all(k, fd, b"ab");
    assert_eq!(k.sys_lseek(fd, 0, SEEK_CUR).unwrap(), 12);
    let mut b = [0u8; 4];
    assert_errno!(k.sys_read(fd, &mut b), Errno::EBADF);
    assert_errno!(k.sys_pread(fd, &mut b, 0), Errno::EBADF);
    k.sys_close(fd).unwrap();
    assert_eq!(get(k, &f), b"0123456789ab");

    let fd = k.sys_open(&f, O_RDONLY, 0).unwrap();
    assert_errno!(k.sys_write(fd, b"x"), Errno::EBADF);
    assert_errno!(k.sys_pwrite(fd, b"x", 0), Errno::EBADF);
    assert_errno!(k.sys_pread(fd, &mut b, -1), Errno::EINVAL);
    assert_errno!(k.sys_lseek(fd, -1, SEEK_SET), Errno::EINVAL);
    assert_errno!(k.sys_lseek(fd, -13, SEEK_END), Errno::EINVAL);
    assert_eq!(k.sys_lseek(fd, -2, SEEK_END).unwrap(), 10);
    assert_eq!(pread_n(k, fd, 10, 10), b"ab");
    k.sys_close(fd).unwrap();
    assert_errno!(k.sys_close(fd), Errno::EBADF);
    assert_errno!(k.sys_read(fd, &mut b), Errno::EBADF);

    let fd = k.sys_open(&f, O_RDWR | O_TRUNC, 0).unwrap();
    assert_eq!(k.sys_fstat(fd).unwrap().size, 0);
    k.sys_close(fd).unwrap();
    let fd = k.sys_open(&fx.mp, O_RDONLY | O_DIRECTORY, 0).unwrap();
    k.sys_close(fd).unwrap();
}

// ---------------------------------------------------------------------------
// data

/// Filling a hole across a page boundary leaves zeros around the written
/// bytes (NetBSD `holywrite`).
fn holywrite(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let fd = k
        .sys_open("file", O_RDWR | O_CREAT | O_TRUNC, 0o666)
        .unwrap();
    k.sys_pwrite(fd, b"A", PAGE as i64).unwrap();
    k.sys_pwrite(fd, b"BB", PAGE as i64 - 1).unwrap();
    let got = pread_n(k, fd, 0, PAGE + 1);
    let mut want = vec![0u8; PAGE + 1];
    want[PAGE - 1] = b'B';
    want[PAGE] = b'B';
    assert_eq!(got, want);
    k.sys_close(fd).unwrap();
}

fn extendbody(fx: &Fx, seekcnt: i64) {
    const TESTSTR: &[u8] = b"this is a string.  collect enough and you'll have Em\0";
    let k = &fx.k;
    fx.enter();
    let flags = O_CREAT | O_RDWR | if seekcnt > 0 { O_APPEND } else { 0 };
    let fd = k.sys_open("testfile", flags, 0o644).unwrap();
    k.sys_ftruncate(fd, seekcnt).unwrap();
    assert_eq!(k.sys_fstat(fd).unwrap().size, seekcnt);
    assert_eq!(k.sys_write(fd, TESTSTR).unwrap(), TESTSTR.len());
    assert_eq!(pread_n(k, fd, seekcnt, TESTSTR.len()), TESTSTR);
    assert_eq!(
        k.sys_fstat(fd).unwrap().size,
        seekcnt + TESTSTR.len() as i64
    );
    assert_eq!(
        pread_n(k, fd, 0, seekcnt as usize),
        vec![0u8; seekcnt as usize]
    );
    k.sys_close(fd).unwrap();
}

/// Writing to a new file extends it (NetBSD `extendfile`).
fn extendfile(fx: &Fx) {
    extendbody(fx, 0);
}

/// An O_APPEND write after ftruncate extends from the new end (NetBSD
/// `extendfile_append`, PR kern/44307).
fn extendfile_append(fx: &Fx) {
    extendbody(fx, 37);
}

/// pwrite past the end makes a hole: size is offset + length, the hole
/// reads as zeros, reads at or past the end return 0 bytes.
fn sparse_pwrite(fx: &Fx) {
    let k = &fx.k;
    let fd = k
        .sys_open(&fx.p("sparse"), O_RDWR | O_CREAT, 0o644)
        .unwrap();
    let off = (1 << 20) + 3;
    assert_eq!(k.sys_pwrite(fd, b"tail", off).unwrap(), 4);
    assert_eq!(k.sys_fstat(fd).unwrap().size, off + 4);
    assert_eq!(k.sys_stat(&fx.p("sparse")).unwrap().size, off + 4);
    let hole = pread_n(k, fd, 0, off as usize);
    assert!(hole.iter().all(|&b| b == 0), "the hole reads as zeros");
    assert_eq!(pread_n(k, fd, off - 2, 10), b"\0\0tail");
    let mut b = [0u8; 16];
    assert_eq!(k.sys_pread(fd, &mut b, off + 4).unwrap(), 0);
    assert_eq!(k.sys_pread(fd, &mut b, 1 << 40).unwrap(), 0);
    k.sys_pwrite(fd, b"mid", 500_000).unwrap();
    assert_eq!(k.sys_fstat(fd).unwrap().size, off + 4);
    assert_eq!(pread_n(k, fd, 499_999, 5), b"\0mid\0");
    k.sys_close(fd).unwrap();
}

/// lseek past the end then write makes a hole; SEEK_CUR/SEEK_END report
/// offsets relative to the position and the size.
fn lseek_holes(fx: &Fx) {
    let k = &fx.k;
    let fd = k.sys_open(&fx.p("f"), O_RDWR | O_CREAT, 0o644).unwrap();
    write_all(k, fd, b"head");
    assert_eq!(k.sys_lseek(fd, 100_000, SEEK_SET).unwrap(), 100_000);
    assert_eq!(
        k.sys_fstat(fd).unwrap().size,
        4,
        "lseek alone does not extend"
    );
    write_all(k, fd, b"x");
    assert_eq!(k.sys_fstat(fd).unwrap().size, 100_001);
    assert_eq!(k.sys_lseek(fd, 0, SEEK_END).unwrap(), 100_001);
    assert_eq!(k.sys_lseek(fd, -1, SEEK_CUR).unwrap(), 100_000);
    assert_eq!(read_to_end(k, fd), b"x");
    assert_eq!(k.sys_lseek(fd, 2, SEEK_SET).unwrap(), 2);
    let all = read_to_end(k, fd);
    assert_eq!(all.len(), 100_001 - 2);
    assert_eq!(&all[..2], b"ad");
    assert!(all[2..all.len() - 1].iter().all(|&b| b == 0));
    k.sys_close(fd).unwrap();
}

fn overwritebody(fx: &Fx, count: usize, dotrunc: bool) {
    let k = &fx.k;
    fx.enter();
    let first = pattern(1, count);
    let second = pattern(2, count);
    let fd = k.sys_open("testi", O_CREAT | O_RDWR, 0o666).unwrap();
    assert_eq!(k.sys_write(fd, &first).unwrap(), count);
    k.sys_close(fd).unwrap();
    let fd = k.sys_open("testi", O_RDWR, 0).unwrap();
    if dotrunc {
        k.sys_ftruncate(fd, 0).unwrap();
    }
    assert_eq!(k.sys_write(fd, &second).unwrap(), count);
    k.sys_close(fd).unwrap();
    assert_eq!(get(k, "testi"), second);
}

/// A 512-byte file written twice holds the second write (NetBSD
/// `overwrite512`).
fn overwrite512(fx: &Fx) {
    overwritebody(fx, 512, false);
}

/// A 64 KiB file written twice holds the second write (NetBSD
/// `overwrite64k`).
fn overwrite64k(fx: &Fx) {
    overwritebody(fx, 1 << 16, false);
}

/// 64 KiB, truncate to 0, 64 KiB again (NetBSD `overwrite_trunc`).
fn overwrite_trunc(fx: &Fx) {
    overwritebody(fx, 1 << 16, true);
}

/// Overwrites of 512 bytes and 64 KiB at odd, unaligned offsets (inside the
/// file, across page edges, across the end) change exactly those bytes.
fn overwrite_odd_offsets(fx: &Fx) {
    let k = &fx.k;
    let size = 200 * 1024;
    let mut model = pattern(3, size);
    put(k, &fx.p("f"), &model);
    let fd = k.sys_open(&fx.p("f"), O_RDWR, 0).unwrap();
    let writes: [(usize, usize, u8); 9] = [
        (1, 512, 10),
        (4095, 512, 11),
        (12345, 512, 12),
        (65535, 512, 13),
        (777, 65536, 14),
        (100_001, 65536, 15),
        (size - 511, 512, 16),
        (size - 1000, 65536, 17),
        (size + 70_000, 512, 18),
    ];
    for (off, len, tag) in writes {
        let data = pattern(tag, len);
        assert_eq!(k.sys_pwrite(fd, &data, off as i64).unwrap(), len);
        if model.len() < off + len {
            model.resize(off + len, 0);
        }
        model[off..off + len].copy_from_slice(&data);
        assert_eq!(k.sys_fstat(fd).unwrap().size, model.len() as i64);
    }
    k.sys_close(fd).unwrap();
    let got = get(k, &fx.p("f"));
    assert_eq!(got.len(), model.len());
    if let Some(i) = (0..got.len()).find(|&i| got[i] != model[i]) {
        panic!("first difference at byte {i}: {} != {}", got[i], model[i]);
    }
}

/// Shrinking a file by ftruncate works (NetBSD `shrinkfile`).
fn shrinkfile(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let fd = k
        .sys_open("file", O_RDWR | O_CREAT | O_TRUNC, 0o666)
        .unwrap();
    k.sys_ftruncate(fd, 2).unwrap();
    k.sys_ftruncate(fd, 1).unwrap();
    assert_eq!(k.sys_fstat(fd).unwrap().size, 1);
    assert_eq!(pread_n(k, fd, 0, 10), b"\0");
    k.sys_close(fd).unwrap();
}

/// Shrink then extend reads zeros in the extension, also within the page
/// the shrink cut (stale bytes must not come back).
fn truncate_shrink_extend(fx: &Fx) {
    let k = &fx.k;
    let data = pattern(5, 10_000);
    put(k, &fx.p("f"), &data);
    k.sys_truncate(&fx.p("f"), 100).unwrap();
    assert_eq!(k.sys_stat(&fx.p("f")).unwrap().size, 100);
    k.sys_truncate(&fx.p("f"), 8000).unwrap();
    let got = get(k, &fx.p("f"));
    assert_eq!(got.len(), 8000);
    assert_eq!(&got[..100], &data[..100]);
    assert!(got[100..].iter().all(|&b| b == 0), "extension reads zeros");

    let fd = k.sys_open(&fx.p("f"), O_RDWR, 0).unwrap();
    k.sys_pwrite(fd, &pattern(6, 2 * PAGE), 0).unwrap();
    k.sys_ftruncate(fd, PAGE as i64 + 1).unwrap();
    k.sys_ftruncate(fd, 2 * PAGE as i64).unwrap();
    let got = pread_n(k, fd, 0, 2 * PAGE);
    assert_eq!(&got[..PAGE + 1], &pattern(6, 2 * PAGE)[..PAGE + 1]);
    assert!(
        got[PAGE + 1..].iter().all(|&b| b == 0),
        "no stale bytes after the cut"
    );
    k.sys_ftruncate(fd, 0).unwrap();
    assert_eq!(k.sys_fstat(fd).unwrap().size, 0);
    k.sys_ftruncate(fd, 5000).unwrap();
    assert_eq!(pread_n(k, fd, 0, 6000), vec![0u8; 5000]);
    k.sys_close(fd).unwrap();
}

/// truncate errors: negative length EINVAL, a directory EISDIR, a missing
/// file ENOENT, ftruncate on a read-only descriptor EINVAL (NetBSD).
fn truncate_errors(fx: &Fx) {
    let k = &fx.k;
    put(k, &fx.p("f"), b"abc");
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    assert_errno!(k.sys_truncate(&fx.p("f"), -1), Errno::EINVAL);
    assert_errno!(k.sys_truncate(&fx.p("d"), 0), Errno::EISDIR);
    assert_errno!(k.sys_truncate(&fx.p("nope"), 0), Errno::ENOENT);
    let fd = k.sys_open(&fx.p("f"), O_RDONLY, 0).unwrap();
    assert_errno!(k.sys_ftruncate(fd, 0), Errno::EINVAL);
    k.sys_close(fd).unwrap();
    let fd = k.sys_open(&fx.p("f"), O_RDWR, 0).unwrap();
    assert_errno!(k.sys_ftruncate(fd, -5), Errno::EINVAL);
    k.sys_close(fd).unwrap();
    assert_eq!(get(k, &fx.p("f")), b"abc");
}

/// Data can be read through an open descriptor after the last name is gone;
/// the unlinked file has no links; a mounted file system in use is EBUSY to
/// unmount (NetBSD `read_after_unlink`).
fn read_after_unlink(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let buf = vec![b'D'; 9000];
    put(k, "file", &buf);
    if fx.is_mount() {
        assert_errno!(k.sys_unmount(&fx.mp, 0), Errno::EBUSY);
    }
    let fd = k.sys_open("file", O_RDWR, 0).unwrap();
    k.sys_unlink("file").unwrap();
    assert_errno!(k.sys_stat("file"), Errno::ENOENT);
    assert_eq!(read_to_end(k, fd), buf);
    let st = k.sys_fstat(fd).unwrap();
    assert_eq!((st.nlink, st.size), (0, 9000));
    k.sys_close(fd).unwrap();
    assert!(names(k, ".").is_empty());
}

/// A file can be written, synced and read after unlink (NetBSD
/// `wrrd_after_unlink`).
fn wrrd_after_unlink(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let fd = k.sys_open("file", O_RDWR | O_CREAT, 0o666).unwrap();
    k.sys_unlink("file").unwrap();
    let value = 0x11i32.to_le_bytes();
    k.sys_pwrite(fd, &value, 654321).unwrap();
    k.sys_fsync(fd).unwrap();
    assert_eq!(pread_n(k, fd, 654321, 4), value);
    assert_eq!(k.sys_fstat(fd).unwrap().size, 654325);
    k.sys_close(fd).unwrap();
    assert_errno!(k.sys_stat("file"), Errno::ENOENT);
}

// ---------------------------------------------------------------------------
// hard links, devices, mounts

/// Hard links share the inode and the data; nlink counts names; removing
/// one name keeps the data; link to a directory gives EPERM, onto an
/// existing name EEXIST, from a missing name ENOENT.
fn hardlinks(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    put(k, &fx.p("f"), b"shared");
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    k.sys_link(&fx.p("f"), &fx.p("g")).unwrap();
    k.sys_link(&fx.p("g"), &fx.p("d/h")).unwrap();
    let f = k.sys_stat(&fx.p("f")).unwrap();
    assert_eq!(f.nlink, 3);
    for p in ["g", "d/h"] {
        let st = k.sys_stat(&fx.p(p)).unwrap();
        same_node(&f, &st, p);
    }
    let fd = k.sys_open(&fx.p("g"), O_WRONLY | O_APPEND, 0).unwrap();
    write_all(k, fd, b"+more");
    k.sys_close(fd).unwrap();
    assert_eq!(get(k, &fx.p("d/h")), b"shared+more");
    k.sys_unlink(&fx.p("f")).unwrap();
    assert_eq!(k.sys_stat(&fx.p("g")).unwrap().nlink, 2);
    k.sys_unlink(&fx.p("g")).unwrap();
    let h = k.sys_stat(&fx.p("d/h")).unwrap();
    assert_eq!((h.nlink, h.ino), (1, f.ino));
    assert_eq!(get(k, &fx.p("d/h")), b"shared+more");

    assert_errno!(k.sys_link(&fx.p("d"), &fx.p("dl")), Errno::EPERM);
    touch(k, &fx.p("other"));
    assert_errno!(k.sys_link(&fx.p("d/h"), &fx.p("other")), Errno::EEXIST);
    assert_errno!(k.sys_link(&fx.p("nope"), &fx.p("x")), Errno::ENOENT);
    assert_errno!(k.sys_link(&fx.p("d/h"), &fx.p("nodir/x")), Errno::ENOENT);
    assert_eq!(k.sys_stat(&fx.p("d/h")).unwrap().nlink, 1);
    assert_eq!(k.sys_stat(&fx.p("d")).unwrap().nlink, 2);
}

/// link and rename between different file systems give EXDEV; within one
/// file system they work.
fn cross_device(fx: &Fx) {
    let k = &fx.k;
    put(k, &fx.p("f"), b"x");
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    if fx.is_mount() {
        assert_errno!(k.sys_link(&fx.p("f"), "/xdev"), Errno::EXDEV);
        // The target is looked up first, and the root (rumpfs) does not
        // rename (NetBSD's rumpfs refuses the lookup); from the root to
        // here it is EXDEV.
        assert_errno!(k.sys_rename(&fx.p("f"), "/xdev"), Errno::EOPNOTSUPP);
        assert_errno!(k.sys_rename(&fx.p("d"), "/xdevdir"), Errno::EOPNOTSUPP);
        assert_errno!(k.sys_stat("/xdev"), Errno::ENOENT);
        touch(k, "/xdev");
        assert_errno!(k.sys_rename("/xdev", &fx.p("g")), Errno::EXDEV);
        k.sys_unlink("/xdev").unwrap();
    } else {
        assert_errno!(k.sys_link(&fx.p("f"), "/xdev"), Errno::EOPNOTSUPP);
        assert_errno!(k.sys_rename(&fx.p("d"), "/xdevdir"), Errno::EOPNOTSUPP);
        assert_errno!(k.sys_stat("/xdev"), Errno::ENOENT);
    }
    assert_eq!(get(k, &fx.p("f")), b"x");
    assert_eq!(names(k, &fx.mp), vec![b"d".to_vec(), b"f".to_vec()]);
}

/// A tmpfs mounted on a directory hides its entries until unmounted;
/// mounting on a file gives ENOTDIR, on a missing name ENOENT.
fn mount_covers_dir(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("m"), 0o755).unwrap();
    put(k, &fx.p("m/under"), b"covered");
    touch(k, &fx.p("file"));
    assert_errno!(
        k.sys_mount("tmpfs", &fx.p("file"), 0, &rumpfs_tmpfs::args(0, 0)),
        Errno::ENOTDIR
    );
    assert_errno!(
        k.sys_mount("tmpfs", &fx.p("nope"), 0, &rumpfs_tmpfs::args(0, 0)),
        Errno::ENOENT
    );
    k.sys_mount("tmpfs", &fx.p("m"), 0, &rumpfs_tmpfs::args(0, 0))
        .unwrap();
    assert!(names(k, &fx.p("m")).is_empty());
    put(k, &fx.p("m/over"), b"on top");
    assert_eq!(k.sys_statvfs(&fx.p("m")).unwrap().fstypename, "tmpfs");
    assert_eq!(k.sys_statvfs(&fx.p("m")).unwrap().mntonname, fx.p("m"));
    assert_ne!(
        k.sys_stat(&fx.p("m")).unwrap().dev,
        k.sys_stat(&fx.mp).unwrap().dev
    );
    same_node(
        &k.sys_stat(&fx.mp).unwrap(),
        &k.sys_stat(&fx.p("m/..")).unwrap(),
        "m/.. across the mount",
    );
    k.sys_unmount(&fx.p("m"), 0).unwrap();
    assert_eq!(names(k, &fx.p("m")), vec![b"under".to_vec()]);
    assert_eq!(get(k, &fx.p("m/under")), b"covered");
    assert_errno!(k.sys_unmount(&fx.p("m"), 0), Errno::EINVAL);
}

/// A mounted file system with an open file, or a process inside it, is
/// EBUSY to unmount; its mount point is EBUSY to rmdir. Only for file
/// systems that are mounts of their own.
fn mount_busy(fx: &Fx) {
    if !fx.is_mount() {
        eprintln!("skipped: the case directory is not a mount point");
        return;
    }
    let k = &fx.k;
    let fd = k.sys_open(&fx.p("f"), O_RDWR | O_CREAT, 0o644).unwrap();
    assert_errno!(k.sys_unmount(&fx.mp, 0), Errno::EBUSY);
    k.sys_close(fd).unwrap();
    fx.enter();
    assert_errno!(k.sys_unmount(&fx.mp, 0), Errno::EBUSY);
    k.sys_chdir("/").unwrap();
    assert_errno!(k.sys_rmdir(&fx.mp), Errno::EBUSY);
    assert!(k.sys_stat(&fx.p("f")).is_ok(), "still mounted after EBUSY");
}

// ---------------------------------------------------------------------------
// statvfs, sync, full file system

/// statvfs reports the file system's type and mount point and sane counts.
fn statvfs_sane(fx: &Fx) {
    let k = &fx.k;
    touch(k, &fx.p("f"));
    let sv = k.sys_statvfs(&fx.mp).unwrap();
    assert_eq!(sv.fstypename, fx.fs.typename());
    let mnton = if fx.is_mount() { fx.mp.as_str() } else { "/" };
    assert_eq!(sv.mntonname, mnton);
    assert!(sv.bsize > 0 && sv.frsize > 0, "{} {}", sv.bsize, sv.frsize);
    assert!(
        sv.bfree <= sv.blocks,
        "bfree {} > blocks {}",
        sv.bfree,
        sv.blocks
    );
    assert!(
        sv.bavail <= sv.bfree,
        "bavail {} > bfree {}",
        sv.bavail,
        sv.bfree
    );
    assert!(
        sv.ffree <= sv.files,
        "ffree {} > files {}",
        sv.ffree,
        sv.files
    );
    assert!(
        sv.favail <= sv.ffree,
        "favail {} > ffree {}",
        sv.favail,
        sv.ffree
    );
    let of_file = k.sys_statvfs(&fx.p("f")).unwrap();
    assert_eq!(of_file.fstypename, sv.fstypename);
    assert_eq!(of_file.mntonname, sv.mntonname);
    assert_errno!(k.sys_statvfs(&fx.p("nope")), Errno::ENOENT);
    let root = k.sys_statvfs("/").unwrap();
    assert_eq!(
        (root.fstypename.as_str(), root.mntonname.as_str()),
        ("rumpfs", "/")
    );
}

/// sync and fsync (on files and on a read-only directory descriptor)
/// succeed and keep the data.
fn sync_and_fsync(fx: &Fx) {
    let k = &fx.k;
    let data = pattern(9, 100_000);
    put(k, &fx.p("f"), &data);
    k.sys_sync().unwrap();
    let fd = k.sys_open(&fx.p("f"), O_RDWR, 0).unwrap();
    k.sys_pwrite(fd, b"synced", 50_000).unwrap();
    k.sys_fsync(fd).unwrap();
    k.sys_close(fd).unwrap();
    let fd = k.sys_open(&fx.mp, O_RDONLY | O_DIRECTORY, 0).unwrap();
    k.sys_fsync(fd).unwrap();
    k.sys_close(fd).unwrap();
    k.sys_sync().unwrap();
    let mut want = data;
    want[50_000..50_006].copy_from_slice(b"synced");
    assert_eq!(get(k, &fx.p("f")), want);
}

/// A size-limited tmpfs fills up: writes end with ENOSPC before much more
/// than the limit is written, statvfs shows the space used, nothing
/// crashes, and freeing the file makes room again (NetBSD `fillfs`).
/// rumpfs has no size limit and is skipped, as in NetBSD.
fn fillfs(fx: &Fx) {
    if fx.fs == Fs::Rumpfs {
        eprintln!("skipped: rumpfs has no size limit");
        return;
    }
    let k = &fx.k;
    const LIMIT: u64 = 1 << 20;
    let m = fx.p("full");
    k.sys_mkdir(&m, 0o755).unwrap();
    k.sys_mount("tmpfs", &m, 0, &rumpfs_tmpfs::args(LIMIT, 0))
        .unwrap();
    let empty = k.sys_statvfs(&m).unwrap();
    assert!(
        empty.blocks * empty.frsize <= LIMIT,
        "blocks {} frsize {}",
        empty.blocks,
        empty.frsize
    );
    assert!(
        empty.blocks * empty.frsize >= LIMIT / 2,
        "blocks {} frsize {}",
        empty.blocks,
        empty.frsize
    );

    let f = format!("{m}/afile");
    let fd = k.sys_open(&f, O_CREAT | O_RDWR, 0o644).unwrap();
    let mut written = 0u64;
    let mut i = 0u8;
    let err = loop {
        let buf = vec![i; 8192];
        i = i.wrapping_add(1);
        match k.sys_write(fd, &buf) {
            Ok(n) => written += n as u64,
            Err(e) => break e,
        }
        assert!(
            written <= LIMIT + 65536,
            "filled the file system over its size limit"
        );
    };
    assert_eq!(err, Errno::ENOSPC);
    assert!(
        written >= LIMIT / 2,
        "only {written} bytes fit in a {LIMIT}-byte tmpfs"
    );
    assert_eq!(k.sys_fstat(fd).unwrap().size as u64, written);
    assert_errno!(k.sys_write(fd, &[1u8; 8192]), Errno::ENOSPC);
    let full = k.sys_statvfs(&m).unwrap();
    assert!(
        full.bfree < empty.bfree,
        "bfree {} not below {}",
        full.bfree,
        empty.bfree
    );
    let tail = pread_n(k, fd, written as i64 - 8192, 8192);
    assert_eq!(tail.len(), 8192);

    k.sys_ftruncate(fd, 0).unwrap();
    k.sys_close(fd).unwrap();
    put(k, &f, &vec![7u8; 256 * 1024]);
    assert_eq!(get(k, &f).len(), 256 * 1024);
    k.sys_unlink(&f).unwrap();
    k.sys_unmount(&m, 0).unwrap();
}

/// A node-limited tmpfs refuses new files and directories with ENOSPC once
/// the limit is reached, and accepts them again after a removal; statvfs
/// counts the free nodes. rumpfs has no node limit and is skipped.
fn fill_nodes(fx: &Fx) {
    if fx.fs == Fs::Rumpfs {
        eprintln!("skipped: rumpfs has no node limit");
        return;
    }
    let k = &fx.k;
    const NODES: u64 = 16;
    let m = fx.p("nodes");
    k.sys_mkdir(&m, 0o755).unwrap();
    k.sys_mount("tmpfs", &m, 0, &rumpfs_tmpfs::args(0, NODES))
        .unwrap();
    let before = k.sys_statvfs(&m).unwrap();
    assert!(
        before.files <= NODES,
        "files {} > nodes_max {NODES}",
        before.files
    );
    let mut made = 0;
    let err = loop {
        let p = format!("{m}/f{made}");
        match k.sys_open(&p, O_CREAT | O_RDWR, 0o644) {
            Ok(fd) => {
                k.sys_close(fd).unwrap();
                made += 1;
            }
            Err(e) => break e,
        }
        assert!(made <= NODES, "created more files than the node limit");
        if made == 1 {
            let after = k.sys_statvfs(&m).unwrap();
            assert_eq!(after.ffree + 1, before.ffree, "one node used by one file");
        }
    };
    assert_eq!(err, Errno::ENOSPC);
    assert!(
        made >= NODES - 2,
        "only {made} files with a limit of {NODES} nodes"
    );
    let full = k.sys_statvfs(&m).unwrap().ffree;
    assert_errno!(k.sys_mkdir(&format!("{m}/dir"), 0o755), Errno::ENOSPC);
    assert_errno!(k.sys_symlink("x", &format!("{m}/sl")), Errno::ENOSPC);
    k.sys_link(&format!("{m}/f0"), &format!("{m}/hard"))
        .expect("a hard link needs no node");
    k.sys_unlink(&format!("{m}/f0")).unwrap();
    k.sys_unlink(&format!("{m}/hard")).unwrap();
    k.sys_mkdir(&format!("{m}/dir"), 0o755).unwrap();
    assert_eq!(k.sys_statvfs(&m).unwrap().ffree, full);
    assert_errno!(
        k.sys_open(&format!("{m}/again"), O_CREAT | O_RDWR, 0o644),
        Errno::ENOSPC
    );
    k.sys_unmount(&m, 0).unwrap();
}

// ---------------------------------------------------------------------------
// races

/// One racing thread's loop body.
type Body = Box<dyn Fn(&Kernel) + Send>;

/// How long each race runs.
const RACE: Duration = Duration::from_millis(1000);

/// Run `threads` workers, each calling `body` until the race time is over.
/// Each worker joins the process `pid` as a new lwp when one is given.
fn race(k: &Arc<Kernel>, pid: Option<i32>, bodies: Vec<Body>) {
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let k = Arc::clone(k);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                if let Some(pid) = pid {
                    k.lwproc_newlwp(pid).expect("newlwp");
                }
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    body(&k);
                    n += 1;
                }
                if pid.is_some() {
                    k.lwproc_releaselwp();
                }
                n
            })
        })
        .collect();
    let start = Instant::now();
    while start.elapsed() < RACE {
        thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let n = h.join().expect("a racing thread panicked");
        assert!(n > 0, "a racing thread made no progress");
    }
}

/// Creating/unlinking a file while other threads rename it, from lwps of
/// one process using relative paths: no panic, creates fail only with
/// EEXIST, and the end state is consistent (NetBSD `renamerace`, PR
/// kern/41128).
fn renamerace(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    k.lwproc_rfork(RUMP_RFCFDG).unwrap();
    let pid = k.sys_getpid().unwrap();
    k.sys_chdir(&fx.mp).unwrap();
    let mut bodies: Vec<Body> = Vec::new();
    for _ in 0..4 {
        bodies.push(Box::new(|k: &Kernel| {
            match k.sys_open("rename.test1", O_WRONLY | O_CREAT | O_TRUNC, 0o666) {
                Ok(fd) => {
                    let _ = k.sys_unlink("rename.test1");
                    k.sys_close(fd).unwrap();
                }
                Err(e) => {
                    assert_eq!(e, Errno::EEXIST, "create");
                    let _ = k.sys_unlink("rename.test1");
                }
            }
        }));
        bodies.push(Box::new(|k: &Kernel| {
            let r = k.sys_rename("rename.test1", "rename.test2");
            assert!(r.is_ok() || r == Err(Errno::ENOENT), "rename: {r:?}");
        }));
    }
    race(k, Some(pid), bodies);
    let left = names(k, ".");
    for n in &left {
        assert!(
            n == b"rename.test1" || n == b"rename.test2",
            "stray entry {n:?}"
        );
        let st = k.sys_stat(std::str::from_utf8(n).unwrap()).unwrap();
        assert_eq!((ftype(st.mode), st.nlink), (S_IFREG, 1));
        k.sys_unlink(std::str::from_utf8(n).unwrap()).unwrap();
    }
    k.sys_chdir("/").unwrap();
    k.lwproc_releaselwp();
}

/// mkdir/rmdir of a directory while another thread renames it over an
/// empty directory: mkdir never fails, and the end state has consistent
/// link counts (NetBSD `renamerace_dirs`).
fn renamerace_dirs(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    k.lwproc_rfork(RUMP_RFCFDG).unwrap();
    let pid = k.sys_getpid().unwrap();
    k.sys_chdir(&fx.mp).unwrap();
    let top = k.sys_stat(".").unwrap().nlink;
    let bodies: Vec<Body> = vec![
        Box::new(|k: &Kernel| {
            k.sys_mkdir("rename.test1", 0o777).expect("mkdir");
            let r = k.sys_rmdir("rename.test1");
            assert!(r.is_ok() || r == Err(Errno::ENOENT), "rmdir: {r:?}");
        }),
        Box::new(|k: &Kernel| {
            let r = k.sys_rename("rename.test1", "rename.test2");
            assert!(r.is_ok() || r == Err(Errno::ENOENT), "rename: {r:?}");
        }),
    ];
    race(k, Some(pid), bodies);
    let left = names(k, ".");
    for n in &left {
        assert!(n == b"rename.test2", "stray entry {n:?}");
        let st = k.sys_stat("rename.test2").unwrap();
        assert_eq!((ftype(st.mode), st.nlink), (S_IFDIR, 2));
        assert_eq!(
            k.sys_stat("rename.test2/..").unwrap().ino,
            k.sys_stat(".").unwrap().ino
        );
    }
    assert_eq!(
        k.sys_stat(".").unwrap().nlink,
        dir_links(fx, top + left.len() as u32)
    );
    for n in &left {
        k.sys_rmdir(std::str::from_utf8(n).unwrap()).unwrap();
    }
    assert_eq!(k.sys_stat(".").unwrap().nlink, top);
    k.sys_chdir("/").unwrap();
    k.lwproc_releaselwp();
}

/// mkdir and rmdir of one name from several threads at once: only EEXIST
/// and ENOENT, no panic, consistent end state (NetBSD `rmdirrace`).
fn rmdirrace(fx: &Fx) {
    let k = &fx.k;
    let top = k.sys_stat(&fx.mp).unwrap().nlink;
    let dir = fx.p("rmdir.test");
    let mut bodies: Vec<Body> = Vec::new();
    for _ in 0..3 {
        let d = dir.clone();
        bodies.push(Box::new(move |k: &Kernel| {
            let r = k.sys_mkdir(&d, 0o755);
            assert!(r.is_ok() || r == Err(Errno::EEXIST), "mkdir: {r:?}");
        }));
        let d = dir.clone();
        bodies.push(Box::new(move |k: &Kernel| {
            let r = k.sys_rmdir(&d);
            assert!(r.is_ok() || r == Err(Errno::ENOENT), "rmdir: {r:?}");
        }));
    }
    race(k, None, bodies);
    match k.sys_stat(&dir) {
        Ok(st) => {
            assert_eq!((ftype(st.mode), st.nlink), (S_IFDIR, 2));
            assert_eq!(k.sys_stat(&fx.mp).unwrap().nlink, dir_links(fx, top + 1));
            assert_eq!(names(k, &fx.mp), vec![b"rmdir.test".to_vec()]);
            k.sys_rmdir(&dir).unwrap();
        }
        Err(e) => {
            assert_eq!(e, Errno::ENOENT);
            assert!(names(k, &fx.mp).is_empty());
        }
    }
    assert_eq!(k.sys_stat(&fx.mp).unwrap().nlink, top);
}

/// Threads creating and removing distinct files in one directory at once:
/// every file is listed exactly once, then every file is gone.
fn concurrent_create(fx: &Fx) {
    const THREADS: usize = 4;
    const PER: usize = 300;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let k = Arc::clone(&fx.k);
            let mp = fx.mp.clone();
            thread::spawn(move || {
                for i in 0..PER {
                    let fd = k
                        .sys_open(&format!("{mp}/t{t}-{i}"), O_RDWR | O_CREAT | O_EXCL, 0o644)
                        .unwrap_or_else(|e| panic!("create t{t}-{i}: {e:?}"));
                    k.sys_pwrite(fd, format!("{t}-{i}").as_bytes(), 0).unwrap();
                    k.sys_close(fd).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a creating thread panicked");
    }
    let k = &fx.k;
    let listed = names(k, &fx.mp);
    assert_eq!(listed.len(), THREADS * PER);
    for t in 0..THREADS {
        for i in (0..PER).step_by(37) {
            assert_eq!(
                get(k, &fx.p(&format!("t{t}-{i}"))),
                format!("{t}-{i}").as_bytes()
            );
        }
    }
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let k = Arc::clone(&fx.k);
            let mp = fx.mp.clone();
            thread::spawn(move || {
                for i in 0..PER {
                    k.sys_unlink(&format!("{mp}/t{t}-{i}")).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("an unlinking thread panicked");
    }
    assert!(names(k, &fx.mp).is_empty());
}

// ---------------------------------------------------------------------------
// unprivileged ownership and permissions

/// An unprivileged process may not chown or chmod what it does not own
/// (EPERM); once it owns it, it may (NetBSD `owner`).
fn unpriv_owner(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    let d = fx.p("d");
    as_user(k, 1000, 1000, || {
        assert_errno!(k.sys_chown(&d, 1000, u32::MAX), Errno::EPERM);
        assert_errno!(k.sys_chmod(&d, 0), Errno::EPERM);
    });
    k.sys_chown(&d, 1000, u32::MAX).unwrap();
    as_user(k, 1000, 1000, || {
        k.sys_chown(&d, 1000, u32::MAX).unwrap();
        k.sys_chmod(&d, 0).unwrap();
    });
    assert_eq!(k.sys_stat(&d).unwrap().mode, S_IFDIR);
}

/// Without write permission on a directory, an unprivileged process cannot
/// create or remove entries in it (EACCES) but root can (NetBSD
/// `dirperms`).
fn unpriv_dirperms(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("dir.test"), 0o755).unwrap();
    let name = fx.p("dir.test/file.test");
    as_user(k, 1000, 1000, || {
        assert_errno!(k.sys_open(&name, O_RDWR | O_CREAT, 0o666), Errno::EACCES);
        assert_errno!(k.sys_mkdir(&fx.p("dir.test/sub"), 0o755), Errno::EACCES);
        assert_errno!(k.sys_symlink("x", &fx.p("dir.test/sl")), Errno::EACCES);
    });
    touch(k, &name);
    as_user(k, 1000, 1000, || {
        k.sys_stat(&name)
            .expect("search permission is enough for stat");
        assert_errno!(k.sys_unlink(&name), Errno::EACCES);
        assert_errno!(k.sys_rename(&name, &fx.p("dir.test/other")), Errno::EACCES);
        assert_errno!(k.sys_rename(&name, &fx.p("moved")), Errno::EACCES);
        assert_errno!(k.sys_link(&name, &fx.p("dir.test/hard")), Errno::EACCES);
    });
    k.sys_unlink(&name).unwrap();
    k.sys_rmdir(&fx.p("dir.test")).unwrap();
}

/// A 0700 directory owned by root cannot be searched, listed, entered or
/// written by others (EACCES); with 0711 it can be searched but not listed.
fn unpriv_private_dir(fx: &Fx) {
    let k = &fx.k;
    let priv_ = fx.p("priv");
    k.sys_mkdir(&priv_, 0o700).unwrap();
    k.sys_chmod(&priv_, 0o700).unwrap();
    put(k, &fx.p("priv/f"), b"secret");
    as_user(k, 1000, 1000, || {
        k.sys_stat(&priv_)
            .expect("the directory itself can be stat'ed");
        assert_errno!(k.sys_stat(&fx.p("priv/f")), Errno::EACCES);
        assert_errno!(k.sys_open(&fx.p("priv/f"), O_RDONLY, 0), Errno::EACCES);
        assert_errno!(
            k.sys_open(&fx.p("priv/g"), O_RDWR | O_CREAT, 0o644),
            Errno::EACCES
        );
        assert_errno!(k.sys_open(&priv_, O_RDONLY | O_DIRECTORY, 0), Errno::EACCES);
        assert_errno!(k.sys_chdir(&priv_), Errno::EACCES);
        assert_errno!(k.sys_unlink(&fx.p("priv/f")), Errno::EACCES);
        assert_errno!(k.sys_mkdir(&fx.p("priv/d"), 0o755), Errno::EACCES);
        assert_errno!(k.sys_access(&fx.p("priv/f"), F_OK), Errno::EACCES);
        assert_errno!(k.sys_access(&priv_, R_OK), Errno::EACCES);
    });
    k.sys_chmod(&priv_, 0o711).unwrap();
    as_user(k, 1000, 1000, || {
        k.sys_stat(&fx.p("priv/f")).unwrap();
        assert_eq!(get(k, &fx.p("priv/f")), b"secret");
        assert_errno!(k.sys_open(&priv_, O_RDONLY | O_DIRECTORY, 0), Errno::EACCES);
        k.sys_chdir(&priv_).unwrap();
        k.sys_access(&priv_, X_OK).unwrap();
        k.sys_chdir("/").unwrap();
    });
    assert_eq!(get(k, &fx.p("priv/f")), b"secret");
}

/// File permission bits decide opens for others: owner, group and other
/// classes apply exclusively (an owner denied by the owner bits is denied
/// even if "other" would allow); access(2) agrees with open.
fn unpriv_file_perms(fx: &Fx) {
    let k = &fx.k;
    let f = fx.p("f");
    put(k, &f, b"data");
    k.sys_chmod(&f, 0o600).unwrap();
    as_user(k, 1000, 1000, || {
        assert_errno!(k.sys_open(&f, O_RDONLY, 0), Errno::EACCES);
        assert_errno!(k.sys_access(&f, R_OK), Errno::EACCES);
        k.sys_access(&f, F_OK).unwrap();
    });
    k.sys_chmod(&f, 0o644).unwrap();
    as_user(k, 1000, 1000, || {
        let fd = k.sys_open(&f, O_RDONLY, 0).unwrap();
        k.sys_close(fd).unwrap();
        assert_errno!(k.sys_open(&f, O_WRONLY, 0), Errno::EACCES);
        assert_errno!(k.sys_open(&f, O_RDWR, 0), Errno::EACCES);
        assert_errno!(k.sys_open(&f, O_RDONLY | O_TRUNC, 0), Errno::EACCES);
        assert_errno!(k.sys_truncate(&f, 0), Errno::EACCES);
        k.sys_access(&f, R_OK).unwrap();
        assert_errno!(k.sys_access(&f, W_OK), Errno::EACCES);
        assert_errno!(k.sys_access(&f, X_OK), Errno::EACCES);
    });
    k.sys_chown(&f, 0, 1000).unwrap();
    k.sys_chmod(&f, 0o460).unwrap();
    as_user(k, 1000, 1000, || {
        let fd = k.sys_open(&f, O_RDWR, 0).expect("group bits allow rw");
        k.sys_close(fd).unwrap();
    });
    k.sys_chown(&f, 1000, 0).unwrap();
    k.sys_chmod(&f, 0o066).unwrap();
    as_user(k, 1000, 1000, || {
        assert_errno!(k.sys_open(&f, O_RDONLY, 0), Errno::EACCES);
        k.sys_chmod(&f, 0o600).expect("the owner may chmod");
        let fd = k.sys_open(&f, O_RDWR, 0).unwrap();
        k.sys_close(fd).unwrap();
    });
    assert_eq!(get(k, &f), b"data");
}

/// chown to another user, or to a group one is not in, gives EPERM even
/// for the owner; chgrp to one's own group works; setting S_ISGID for a
/// group one is not in gives EPERM, and the sticky bit on a file EFTYPE
/// (NetBSD chmod(2)).
fn unpriv_chown_chmod(fx: &Fx) {
    let k = &fx.k;
    let f = fx.p("f");
    touch(k, &f);
    as_user(k, 1000, 1000, || {
        assert_errno!(k.sys_chown(&f, 1000, 1000), Errno::EPERM);
        assert_errno!(k.sys_chmod(&f, 0o777), Errno::EPERM);
        assert_errno!(k.sys_lchown(&f, 1000, u32::MAX), Errno::EPERM);
    });
    k.sys_chown(&f, 1000, 0).unwrap();
    as_user(k, 1000, 1000, || {
        assert_errno!(k.sys_chown(&f, 2000, u32::MAX), Errno::EPERM);
        assert_errno!(k.sys_chown(&f, u32::MAX, 5), Errno::EPERM);
        assert_errno!(k.sys_chmod(&f, 0o2644), Errno::EPERM);
        assert_errno!(k.sys_chmod(&f, 0o1644), Errno::EFTYPE);
        k.sys_chown(&f, u32::MAX, 1000).unwrap();
        k.sys_chown(&f, 1000, u32::MAX).unwrap();
        k.sys_chmod(&f, 0o2640).expect("S_ISGID in one's own group");
        let fd = k.sys_open(&f, O_RDONLY, 0).unwrap();
        assert_errno!(k.sys_fchown(fd, 2000, u32::MAX), Errno::EPERM);
        k.sys_fchmod(fd, 0o600).unwrap();
        k.sys_close(fd).unwrap();
    });
    let st = k.sys_stat(&f).unwrap();
    assert_eq!((st.uid, st.gid, st.mode), (1000, 1000, S_IFREG | 0o600));
}

/// In a sticky directory only the owner of an entry (or of the directory,
/// or root) may remove or rename it: others get EPERM (NetBSD unlink(2),
/// rename(2)). Without the sticky bit write permission is enough.
fn unpriv_sticky(fx: &Fx) {
    let k = &fx.k;
    let s = fx.p("sticky");
    k.sys_mkdir(&s, 0o777).unwrap();
    k.sys_chmod(&s, 0o1777).unwrap();
    put(k, &format!("{s}/rootfile"), b"root");
    if fx.fs == Fs::Rumpfs {
        // NetBSD's rumpfs makes every node root's, so in a sticky
        // directory a user removes nothing, not even what it made; and
        // nothing is renamed.
        as_user(k, 1000, 1000, || {
            touch(k, &format!("{s}/mine"));
            assert_eq!(k.sys_stat(&format!("{s}/mine")).unwrap().uid, 0);
            assert_errno!(k.sys_unlink(&format!("{s}/mine")), Errno::EPERM);
            assert_errno!(k.sys_unlink(&format!("{s}/rootfile")), Errno::EPERM);
            assert_errno!(
                k.sys_rename(&format!("{s}/mine"), &format!("{s}/mine2")),
                Errno::EOPNOTSUPP
            );
        });
        k.sys_unlink(&format!("{s}/mine")).unwrap();
        k.sys_chmod(&s, 0o777).unwrap();
        as_user(k, 1000, 1000, || {
            k.sys_unlink(&format!("{s}/rootfile")).unwrap();
        });
        assert!(names(k, &s).is_empty());
        return;
    }
    as_user(k, 1000, 1000, || {
        touch(k, &format!("{s}/mine"));
        assert_errno!(k.sys_unlink(&format!("{s}/rootfile")), Errno::EPERM);
        assert_errno!(
            k.sys_rename(&format!("{s}/rootfile"), &format!("{s}/stolen")),
            Errno::EPERM
        );
        assert_errno!(
            k.sys_rename(&format!("{s}/mine"), &format!("{s}/rootfile")),
            Errno::EPERM
        );
        k.sys_rename(&format!("{s}/mine"), &format!("{s}/mine2"))
            .unwrap();
    });
    as_user(k, 2000, 2000, || {
        assert_errno!(k.sys_unlink(&format!("{s}/mine2")), Errno::EPERM);
        touch(k, &format!("{s}/theirs"));
    });
    as_user(k, 1000, 1000, || {
        k.sys_unlink(&format!("{s}/mine2")).unwrap();
        assert_errno!(k.sys_unlink(&format!("{s}/theirs")), Errno::EPERM);
    });
    k.sys_unlink(&format!("{s}/theirs"))
        .expect("root may remove anything");
    assert_eq!(get(k, &format!("{s}/rootfile")), b"root");

    // the directory's owner may remove others' entries
    k.sys_chown(&s, 1000, u32::MAX).unwrap();
    as_user(k, 1000, 1000, || {
        k.sys_unlink(&format!("{s}/rootfile")).unwrap();
    });
    // without the sticky bit, write permission is enough
    k.sys_chown(&s, 0, u32::MAX).unwrap();
    k.sys_chmod(&s, 0o777).unwrap();
    put(k, &format!("{s}/rootfile"), b"root");
    as_user(k, 1000, 1000, || {
        k.sys_unlink(&format!("{s}/rootfile")).unwrap();
    });
    assert!(names(k, &s).is_empty());
}

/// Only the owner (or root) may set explicit times (EPERM for others); a
/// new file created by a user belongs to that user.
fn unpriv_times(fx: &Fx) {
    let k = &fx.k;
    let f = fx.p("file.test");
    touch(k, &f);
    k.sys_chmod(&f, 0o666).unwrap();
    // NetBSD's rumpfs makes every node root's, whoever makes it.
    let rumpfs = fx.fs == Fs::Rumpfs;
    as_user(k, 1000, 1000, || {
        assert_errno!(k.sys_utimes(&f, OLD, OLD), Errno::EPERM);
        touch(k, &fx.p("mine"));
        let r = k.sys_utimes(&fx.p("mine"), OLD, OLD);
        if rumpfs {
            assert_errno!(r, Errno::EPERM);
        } else {
            r.unwrap();
        }
    });
    k.sys_utimes(&f, OLD, OLD).expect("root sets times");
    let mine = k.sys_stat(&fx.p("mine")).unwrap();
    let dir = k.sys_stat(&fx.mp).unwrap();
    if rumpfs {
        assert_eq!((mine.uid, mine.gid), (0, 0));
        assert_ne!(mine.mtime, OLD);
    } else {
        assert_eq!((mine.uid, mine.gid), (1000, dir.gid));
        assert_eq!(mine.mtime, OLD);
    }
}

/// Root is not bound by permission bits: it reads and writes a 0000 file,
/// creates in a 0500 directory owned by someone else, and enters a 0000
/// directory.
fn root_overrides(fx: &Fx) {
    let k = &fx.k;
    let f = fx.p("f");
    put(k, &f, b"locked");
    k.sys_chmod(&f, 0).unwrap();
    let fd = k.sys_open(&f, O_RDWR, 0).unwrap();
    k.sys_pwrite(fd, b"L", 0).unwrap();
    k.sys_close(fd).unwrap();
    assert_eq!(get(k, &f), b"Locked");
    let d = fx.p("d");
    k.sys_mkdir(&d, 0o755).unwrap();
    k.sys_chown(&d, 1000, 1000).unwrap();
    k.sys_chmod(&d, 0o500).unwrap();
    touch(k, &fx.p("d/rootmade"));
    k.sys_chmod(&d, 0).unwrap();
    k.sys_chdir(&d).unwrap();
    assert_eq!(names(k, "."), vec![b"rootmade".to_vec()]);
    k.sys_chdir("/").unwrap();
    k.sys_unlink(&fx.p("d/rootmade")).unwrap();
}

// ---------------------------------------------------------------------------
// advisory locks

/// A write lock at SEEK_END+1024 for 1024 bytes: a second process gets
/// EAGAIN until the first unlocks, then gets the lock (NetBSD `fcntl_lock`).
fn fcntl_lock(fx: &Fx) {
    use rump::file::Flock;
    const F_GETLK: i32 = netbsd_abi::F_GETLK;
    const F_SETLK: i32 = netbsd_abi::F_SETLK;
    const F_WRLCK: i16 = netbsd_abi::F_WRLCK as i16;
    const F_UNLCK: i16 = netbsd_abi::F_UNLCK as i16;
    let k = &fx.k;
    let path = fx.p("lockfile");
    let fd = k.sys_open(&path, O_CREAT | O_RDWR, 0o644).unwrap();
    write_all(k, fd, &[1u8; 4096]);
    let req = Flock {
        start: 1024,
        len: 1024,
        pid: 0,
        typ: F_WRLCK,
        whence: SEEK_END as i16,
    };
    k.sys_fcntl_lock(fd, F_SETLK, &mut req.clone()).unwrap();
    let holder = k.sys_getpid().unwrap();
    // Another process with its own descriptor.
    let me = k.lwproc_curlwp();
    k.lwproc_rfork(RUMP_RFCFDG).unwrap();
    let fd2 = k.sys_open(&path, O_RDWR, 0).unwrap();
    assert_errno!(
        k.sys_fcntl_lock(fd2, F_SETLK, &mut req.clone()),
        Errno::EAGAIN
    );
    let mut probe = req;
    k.sys_fcntl_lock(fd2, F_GETLK, &mut probe).unwrap();
    assert_eq!(
        (probe.typ, probe.start, probe.len, probe.pid),
        (F_WRLCK, 4096 + 1024, 1024, holder)
    );
    let other = k.lwproc_curlwp();
    k.lwproc_switch(me.as_ref()).unwrap();
    k.sys_fcntl_lock(
        fd,
        F_SETLK,
        &mut Flock {
            typ: F_UNLCK,
            ..req
        },
    )
    .unwrap();
    k.lwproc_switch(other.as_ref()).unwrap();
    k.sys_fcntl_lock(fd2, F_SETLK, &mut req.clone()).unwrap();
    k.sys_close(fd2).unwrap();
    k.lwproc_releaselwp();
    k.lwproc_switch(me.as_ref()).unwrap();
    // The second process's close released its lock: the range is free.
    let mut free = req;
    k.sys_fcntl_lock(fd, F_GETLK, &mut free).unwrap();
    assert_eq!(free.typ, F_UNLCK);
    k.sys_close(fd).unwrap();
}

/// F_GETLK reports every blocking lock with its owner's pid, across five
/// processes holding non-overlapping ranges (NetBSD `fcntl_getlock_pids`,
/// PR kern/44494).
fn fcntl_getlock_pids(fx: &Fx) {
    use rump::file::Flock;
    const F_GETLK: i32 = netbsd_abi::F_GETLK;
    const F_SETLK: i32 = netbsd_abi::F_SETLK;
    const F_RDLCK: i16 = netbsd_abi::F_RDLCK as i16;
    const F_WRLCK: i16 = netbsd_abi::F_WRLCK as i16;
    let k = &fx.k;
    let path = fx.p("pids");
    let fd = k.sys_open(&path, O_CREAT | O_RDWR, 0o644).unwrap();
    k.sys_close(fd).unwrap();
    let me = k.lwproc_curlwp();
    let mut holders = Vec::new();
    for i in 0..5i64 {
        k.lwproc_switch(me.as_ref()).unwrap();
        k.lwproc_rfork(RUMP_RFCFDG).unwrap();
        let fd = k.sys_open(&path, O_RDWR, 0).unwrap();
        let typ = if i % 2 == 0 { F_WRLCK } else { F_RDLCK };
        k.sys_fcntl_lock(
            fd,
            F_SETLK,
            &mut Flock {
                start: i * 10,
                len: 10,
                pid: 0,
                typ,
                whence: SEEK_SET as i16,
            },
        )
        .unwrap();
        holders.push((k.lwproc_curlwp(), k.sys_getpid().unwrap(), typ));
    }
    // A sixth process asks about each range with a write lock.
    k.lwproc_switch(me.as_ref()).unwrap();
    k.lwproc_rfork(RUMP_RFCFDG).unwrap();
    let fd = k.sys_open(&path, O_RDWR, 0).unwrap();
    for (i, (_, pid, typ)) in holders.iter().enumerate() {
        let mut q = Flock {
            start: i as i64 * 10 + 3,
            len: 2,
            pid: 0,
            typ: F_WRLCK,
            whence: SEEK_SET as i16,
        };
        k.sys_fcntl_lock(fd, F_GETLK, &mut q).unwrap();
        assert_eq!(
            (q.pid, q.typ, q.start, q.len),
            (*pid, *typ, i as i64 * 10, 10),
            "range {i}"
        );
    }
    k.lwproc_releaselwp();
    for (l, _, _) in holders {
        k.lwproc_switch(l.as_ref()).unwrap();
        k.lwproc_releaselwp();
    }
    k.lwproc_switch(me.as_ref()).unwrap();
}

// ---------------------------------------------------------------------------
// chflags, pathconf, POSIX rename (facts from NetBSD's rump_allserver,
// asked by a C client: tmpfs and FFS enforce, rumpfs only stores)

use netbsd_abi::{SF_ARCHIVED, SF_IMMUTABLE, UF_APPEND, UF_IMMUTABLE, UF_NODUMP};
use rumpvfs::pathconf as pc;

/// Whether the file system acts on flags (NetBSD's rumpfs does not).
fn enforces(fx: &Fx) -> bool {
    !matches!(fx.fs, Fs::Rumpfs)
}

/// What an operation on a flagged node gives: EPERM where flags are
/// enforced, success on rumpfs.
fn denied(fx: &Fx) -> Option<Errno> {
    enforces(fx).then_some(Errno::EPERM)
}

/// An immutable file can be read, nothing else; clearing the flag undoes
/// that. Root is bound too.
fn flags_immutable(fx: &Fx) {
    let k = &fx.k;
    let f = fx.p("f");
    put(k, &f, b"xy");
    let fd = k.sys_open(&f, O_RDWR, 0).unwrap();
    for flag in [UF_IMMUTABLE as u32, SF_IMMUTABLE as u32] {
        k.sys_chflags(&f, flag).unwrap();
        assert_eq!(k.sys_stat(&f).unwrap().flags, flag);
        if !enforces(fx) {
            continue;
        }
        assert_eq!(k.sys_open(&f, O_WRONLY, 0), Err(Errno::EPERM));
        assert_eq!(k.sys_open(&f, O_RDONLY | O_TRUNC, 0), Err(Errno::EPERM));
        let r = k.sys_open(&f, O_RDONLY, 0).unwrap();
        k.sys_close(r).unwrap();
        assert_eq!(k.sys_unlink(&f), Err(Errno::EPERM));
        assert_eq!(k.sys_rename(&f, &fx.p("g")), Err(Errno::EPERM));
        assert_eq!(k.sys_link(&f, &fx.p("g")), Err(Errno::EPERM));
        assert_eq!(k.sys_chmod(&f, 0o600), Err(Errno::EPERM));
        assert_eq!(k.sys_chown(&f, 1, 1), Err(Errno::EPERM));
        assert_eq!(k.sys_utimes(&f, OLD, OLD), Err(Errno::EPERM));
        assert_eq!(k.sys_truncate(&f, 0), Err(Errno::EPERM));
        assert_eq!(k.sys_ftruncate(fd, 0), Err(Errno::EPERM));
        assert_eq!(k.sys_access(&f, W_OK), Err(Errno::EPERM));
        // A descriptor opened before still writes, as in NetBSD.
        assert_eq!(k.sys_pwrite(fd, b"z", 2), Ok(1));
    }
    k.sys_chflags(&f, 0).unwrap();
    assert_eq!(k.sys_stat(&f).unwrap().flags, 0);
    k.sys_chmod(&f, 0o600).unwrap();
    k.sys_truncate(&f, 1).unwrap();
    k.sys_close(fd).unwrap();

    // An immutable directory takes no new names and loses none.
    let d = fx.p("d");
    k.sys_mkdir(&d, 0o755).unwrap();
    touch(k, &fx.p("d/x"));
    k.sys_chflags(&d, UF_IMMUTABLE as u32).unwrap();
    let e = denied(fx);
    assert_eq!(
        errno_of(&k.sys_open(&fx.p("d/y"), O_CREAT | O_RDWR, 0o644)),
        e
    );
    assert_eq!(errno_of(&k.sys_mkdir(&fx.p("d/z"), 0o755)), e);
    assert_eq!(
        errno_of(&k.sys_rename(&fx.p("d/x"), &fx.p("x"))),
        rename_denied(fx, e)
    );
    k.sys_chflags(&d, 0).unwrap();
}

/// Set `f` back to "ab" whatever the case did to it, its flags kept.
fn put_back(k: &Kernel, f: &str) {
    let flags = k.sys_stat(f).unwrap().flags;
    k.sys_chflags(f, 0).unwrap();
    put(k, f, b"ab");
    k.sys_chflags(f, flags).unwrap();
}

/// An append-only file is written only with O_APPEND and keeps its name
/// and size; in an append-only directory names come but do not go.
fn flags_append(fx: &Fx) {
    let k = &fx.k;
    let f = fx.p("f");
    put(k, &f, b"ab");
    let early = k.sys_open(&f, O_RDWR, 0).unwrap();
    k.sys_chflags(&f, UF_APPEND as u32).unwrap();
    // A descriptor opened before: UFS lets it write only at the end
    // (ufs_write), tmpfs anywhere (tmpfs_write has no such check).
    let inside = k.sys_pwrite(early, b"A", 0);
    if matches!(fx.fs, Fs::Ffs1 | Fs::Ffs2) {
        assert_eq!(inside, Err(Errno::EPERM));
        assert_eq!(k.sys_pwrite(early, b"b", 2), Ok(1));
        k.sys_ftruncate(early, 2).unwrap_err();
    } else {
        assert_eq!(inside, Ok(1));
    }
    k.sys_close(early).unwrap();
    put_back(k, &f);
    assert_eq!(k.sys_stat(&f).unwrap().flags, UF_APPEND as u32);
    let e = denied(fx);
    assert_eq!(
        errno_of(&k.sys_open(&f, O_WRONLY, 0).map(|fd| k.sys_close(fd))),
        e
    );
    let fd = k.sys_open(&f, O_WRONLY | O_APPEND, 0).unwrap();
    write_all(k, fd, b"c");
    assert_eq!(errno_of(&k.sys_ftruncate(fd, 0)), e);
    k.sys_close(fd).unwrap();
    if enforces(fx) {
        assert_eq!(get(k, &f), b"abc");
    }
    assert_eq!(errno_of(&k.sys_truncate(&f, 0)), e);
    assert_eq!(errno_of(&k.sys_chmod(&f, 0o600)), e);
    assert_eq!(
        errno_of(&k.sys_rename(&f, &fx.p("g"))),
        rename_denied(fx, e)
    );
    if enforces(fx) {
        assert_eq!(k.sys_unlink(&f), Err(Errno::EPERM));
        k.sys_chflags(&f, 0).unwrap();
    }

    let d = fx.p("d");
    k.sys_mkdir(&d, 0o755).unwrap();
    k.sys_chflags(&d, UF_APPEND as u32).unwrap();
    touch(k, &fx.p("d/x"));
    assert_eq!(errno_of(&k.sys_unlink(&fx.p("d/x"))), e);
    if enforces(fx) {
        // Not empty says so first; empty, the flag forbids.
        assert_eq!(k.sys_rmdir(&d), Err(Errno::ENOTEMPTY));
        k.sys_chflags(&d, 0).unwrap();
        k.sys_unlink(&fx.p("d/x")).unwrap();
    }
}

/// Owners set user flags; only root sets system flags where they are
/// enforced (rumpfs lets owners set anything); others set nothing.
fn flags_system_and_owner(fx: &Fx) {
    let k = &fx.k;
    let f = fx.p("f");
    touch(k, &f);
    k.sys_chown(&f, 1000, 1000).unwrap();
    touch(k, &fx.p("root"));
    as_user(k, 1000, 1000, || {
        k.sys_chflags(&f, UF_NODUMP as u32).unwrap();
        assert_eq!(k.sys_stat(&f).unwrap().flags, UF_NODUMP as u32);
        let sys = k.sys_chflags(&f, SF_ARCHIVED as u32);
        assert_eq!(errno_of(&sys), denied(fx));
        assert_eq!(
            k.sys_chflags(&fx.p("root"), UF_NODUMP as u32),
            Err(Errno::EPERM)
        );
    });
    // Root sets system flags; user flags set later by the owner keep them.
    k.sys_chflags(&f, SF_ARCHIVED as u32 | UF_NODUMP as u32)
        .unwrap();
    as_user(k, 1000, 1000, || {
        let r = k.sys_chflags(&f, SF_ARCHIVED as u32);
        if enforces(fx) {
            r.unwrap();
            let fl = k.sys_stat(&f).unwrap().flags;
            assert_eq!(fl, SF_ARCHIVED as u32);
            // Clearing a system flag is changing it.
            assert_eq!(k.sys_chflags(&f, 0), Err(Errno::EPERM));
        }
    });
    k.sys_chflags(&f, 0).unwrap();
}

/// `_PC_VDISABLE` (`sys/unistd.h`), which none of the file systems knows.
const PC_VDISABLE: i32 = 9;

/// pathconf answers each file system's values and EINVAL for names it
/// does not know.
fn pathconf_values(fx: &Fx) {
    let k = &fx.k;
    let (bits, symlinks) = match fx.fs {
        Fs::Rumpfs => (43, true),
        Fs::Tmpfs => (64, false),
        _ => (42, true),
    };
    let base = fx.p("");
    for (name, want) in [
        (pc::PC_LINK_MAX, Some(32767)),
        (pc::PC_NAME_MAX, Some(255)),
        (pc::PC_PATH_MAX, Some(1024)),
        (pc::PC_PIPE_BUF, Some(512)),
        (pc::PC_CHOWN_RESTRICTED, Some(1)),
        (pc::PC_NO_TRUNC, Some(1)),
        (pc::PC_SYNC_IO, Some(1)),
    ] {
        assert_eq!(k.sys_pathconf(&base, name).ok(), want, "name {name}");
    }
    assert_eq!(k.sys_pathconf(&base, pc::PC_FILESIZEBITS), Ok(bits));
    let sym = k.sys_pathconf(&base, pc::PC_SYMLINK_MAX);
    assert_eq!(sym.ok(), symlinks.then_some(1024));
    let two = k.sys_pathconf(&base, pc::PC_2_SYMLINKS);
    assert_eq!(two.ok(), symlinks.then_some(1));
    assert_eq!(k.sys_pathconf(&base, PC_VDISABLE), Err(Errno::EINVAL));
    assert_eq!(k.sys_pathconf(&base, 99), Err(Errno::EINVAL));
    let none = k.sys_pathconf(&fx.p("nothing"), pc::PC_LINK_MAX);
    assert_eq!(none, Err(Errno::ENOENT));
    // FIFOs answer as fifofs on tmpfs and FFS (as the file system on
    // rumpfs), device nodes as specfs.
    k.sys_mkfifo(&fx.p("fifo"), 0o644).unwrap();
    let name_max = k.sys_pathconf(&fx.p("fifo"), pc::PC_NAME_MAX);
    let fifofs = !matches!(fx.fs, Fs::Rumpfs);
    assert_eq!(name_max.ok(), (!fifofs).then_some(255));
    assert_eq!(k.sys_pathconf(&fx.p("fifo"), pc::PC_PIPE_BUF), Ok(512));
    let us = user();
    let chr = cstr(&us, U_PATH, &fx.p("chr"));
    let mode = u64::from(rumpvfs::flags::S_IFCHR | 0o644);
    call(k, abi::SYS___mknod50, &[chr, mode, 0x101], &us).unwrap();
    assert_eq!(k.sys_pathconf(&fx.p("chr"), PC_VDISABLE), Ok(0xff));
    assert_eq!(k.sys_pathconf(&fx.p("chr"), pc::PC_MAX_CANON), Ok(255));
    let chr_name = k.sys_pathconf(&fx.p("chr"), pc::PC_NAME_MAX);
    assert_eq!(chr_name, Err(Errno::EINVAL));
}

/// `__posix_rename` of one file's two names keeps both; `rename` drops
/// the source (NetBSD's retain).
fn posix_rename_links(fx: &Fx) {
    let k = &fx.k;
    if matches!(fx.fs, Fs::Rumpfs) {
        return; // NetBSD's rumpfs makes no hard links
    }
    touch(k, &fx.p("a"));
    k.sys_link(&fx.p("a"), &fx.p("b")).unwrap();
    k.sys_posix_rename(&fx.p("a"), &fx.p("b")).unwrap();
    assert_eq!(k.sys_stat(&fx.p("a")).unwrap().nlink, 2);
    k.sys_rename(&fx.p("a"), &fx.p("b")).unwrap();
    assert_eq!(errno_of(&k.sys_stat(&fx.p("a"))), Some(Errno::ENOENT));
    assert_eq!(k.sys_stat(&fx.p("b")).unwrap().nlink, 1);
}

// ---------------------------------------------------------------------------
// calls by number with the caller's memory: file handles, revoke, extended
// attributes, quotas, advice (facts from NetBSD's rump_allserver: tmpfs and
// FFS make file handles, rumpfs none; no file system keeps extended
// attributes or quotas)

use netbsd_abi as abi;
use rump::usermem::BufferSpace;

/// Where the caller's memory starts.
const UB: u64 = 0x10000;
/// Slots in it: a path, a second string, a handle, a size, a result.
const U_PATH: u64 = UB;
const U_STR: u64 = UB + 0x800;
const U_FH: u64 = UB + 0x1000;
const U_SIZE: u64 = UB + 0x1100;
const U_OUT: u64 = UB + 0x2000;

fn user() -> BufferSpace {
    BufferSpace::new(UB, 1 << 16)
}

/// `s` with its NUL at `at`; returns `at`.
fn cstr(us: &BufferSpace, at: u64, s: &str) -> u64 {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    us.poke(at, &v);
    at
}

fn call(k: &Kernel, n: usize, args: &[u64], us: &BufferSpace) -> Result<u64, Errno> {
    k.syscall(n, args, us).map(|r| r[0])
}

/// Whether the file system makes file handles (NetBSD's rumpfs does not).
fn has_handles(fx: &Fx) -> bool {
    !matches!(fx.fs, Fs::Rumpfs)
}

/// `__getfh30` into [`U_FH`] with room for `room` bytes; the size it says.
fn getfh(fx: &Fx, us: &BufferSpace, path: &str, room: u64) -> (Result<u64, Errno>, u64) {
    us.poke(U_SIZE, &room.to_le_bytes());
    let r = call(
        &fx.k,
        abi::SYS___getfh30,
        &[cstr(us, U_PATH, path), U_FH, U_SIZE],
        us,
    );
    let size = u64::from_le_bytes(us.peek(U_SIZE, 8).try_into().unwrap());
    (r, size)
}

fn fhstat(fx: &Fx, us: &BufferSpace, size: u64) -> Result<u64, Errno> {
    call(&fx.k, abi::SYS___fhstat50, &[U_FH, size, U_OUT], us)
}

/// A handle names its file for `fhstat`, `fhopen` and `fhstatvfs1`; sizes,
/// flags, foreign handles and non-root callers are refused.
fn file_handles(fx: &Fx) {
    let k = &fx.k;
    let us = user();
    let f = fx.p("f");
    put(k, &f, b"handled");
    let (r, size) = getfh(fx, &us, &f, 64);
    if !has_handles(fx) {
        assert_eq!(r, Err(Errno::EOPNOTSUPP));
        assert_eq!(size, 64, "nothing said");
        return;
    }
    r.unwrap();
    assert_eq!(size, 28, "FHANDLE_SIZE_COMPAT");
    let st = k.sys_stat(&f).unwrap();
    fhstat(fx, &us, 28).unwrap();
    let ino = abi::layout::stat::st_ino.get(&us.peek(U_OUT, abi::layout::stat::SIZE));
    assert_eq!(ino, Some(st.ino));

    let fd = call(k, abi::SYS___fhopen40, &[U_FH, 28, O_RDONLY as u64], &us).unwrap();
    assert_eq!(read_to_end(k, fd as i32), b"handled");
    k.sys_close(fd as i32).unwrap();
    for bad in [O_ACCMODE_ALL, O_CREAT | O_RDWR] {
        let r = call(k, abi::SYS___fhopen40, &[U_FH, 28, bad as u64], &us);
        assert_eq!(r, Err(Errno::EINVAL), "flags {bad:#x}");
    }
    for size in [27, 29, 2000] {
        assert_eq!(fhstat(fx, &us, size), Err(Errno::EINVAL), "size {size}");
    }
    call(k, abi::SYS___fhstatvfs140, &[U_FH, 28, U_OUT, 1], &us).unwrap();
    let sv = us.peek(U_OUT, abi::layout::statvfs::SIZE);
    let fsid = abi::layout::statvfs::f_fsidx
        .get(&sv)
        .map(|v| v & 0xffff_ffff);
    assert_eq!(fsid, Some(k.sys_statvfs(&f).unwrap().fsid));

    // Too little room: E2BIG, and the size needed.
    let good = us.peek(U_FH, 28);
    assert_eq!(getfh(fx, &us, &f, 4), (Err(Errno::E2BIG), 28));
    // Another file system's id, another generation: stale. A fid of
    // another length: EINVAL.
    for (at, flip) in [(FH_FSID, 0x55u8), (FH_GEN, 0x55)] {
        let mut fh = good.clone();
        fh[at] ^= flip;
        us.poke(U_FH, &fh);
        assert_eq!(fhstat(fx, &us, 28), Err(Errno::ESTALE), "byte {at}");
    }
    let mut fh = good.clone();
    fh[FH_FID_LEN] = 20;
    us.poke(U_FH, &fh);
    assert_eq!(fhstat(fx, &us, 28), Err(Errno::EINVAL));
    us.poke(U_FH, &good);
    as_user(k, 1000, 1000, || {
        assert_eq!(getfh(fx, &us, &f, 64).0, Err(Errno::EPERM));
        assert_eq!(fhstat(fx, &us, 28), Err(Errno::EPERM));
        let r = call(k, abi::SYS___fhopen40, &[U_FH, 28, 0], &us);
        assert_eq!(r, Err(Errno::EPERM));
    });
}

/// A handle of a removed file is stale once nothing holds the file; an
/// open file keeps its handle good.
fn file_handles_stale(fx: &Fx) {
    if !has_handles(fx) {
        return;
    }
    let k = &fx.k;
    let us = user();
    let f = fx.p("f");
    put(k, &f, b"x");
    getfh(fx, &us, &f, 64).0.unwrap();
    let fd = k.sys_open(&f, O_RDONLY, 0).unwrap();
    k.sys_unlink(&f).unwrap();
    fhstat(fx, &us, 28).unwrap();
    k.sys_close(fd).unwrap();
    assert_eq!(fhstat(fx, &us, 28), Err(Errno::ESTALE));
    let r = call(k, abi::SYS___fhopen40, &[U_FH, 28, 0], &us);
    assert_eq!(r, Err(Errno::ESTALE));
    // A new file in its place has a handle of its own.
    put(k, &f, b"y");
    getfh(fx, &us, &f, 64).0.unwrap();
    fhstat(fx, &us, 28).unwrap();
}

/// Where a file handle keeps its file system's id, its fid's length and
/// its node's generation (`fhandle_t` with tmpfs's or UFS's fid).
const FH_FSID: usize = 0;
const FH_FID_LEN: usize = 8;
const FH_GEN: usize = 12;

/// `O_ACCMODE` itself: neither reading nor writing.
const O_ACCMODE_ALL: i32 = 3;

/// revoke: the files open on a node die (reads and writes EIO, the rest
/// EBADF, lseek and fsync still answer), new opens work; only the owner
/// or root may; NetBSD's rumpfs has no revoke.
fn revoke_kills_open_files(fx: &Fx) {
    let k = &fx.k;
    let us = user();
    let f = fx.p("f");
    put(k, &f, b"ab");
    let fd = k.sys_open(&f, O_RDWR, 0).unwrap();
    let d = fx.p("d");
    k.sys_mkdir(&d, 0o755).unwrap();
    let dfd = k.sys_open(&d, O_RDONLY, 0).unwrap();
    call(k, abi::SYS_revoke, &[cstr(&us, U_PATH, &f)], &us).unwrap();
    call(k, abi::SYS_revoke, &[cstr(&us, U_PATH, &d)], &us).unwrap();
    let mut b = [0u8; 2];
    if matches!(fx.fs, Fs::Rumpfs) {
        assert_eq!(k.sys_pread(fd, &mut b, 0), Ok(2));
    } else {
        assert_eq!(k.sys_pread(fd, &mut b, 0), Err(Errno::EIO));
        assert_eq!(k.sys_pwrite(fd, b"x", 0), Err(Errno::EIO));
        assert_eq!(errno_of(&k.sys_fstat(fd)), Some(Errno::EBADF));
        assert_eq!(k.sys_fchmod(fd, 0o600), Err(Errno::EBADF));
        assert_eq!(k.sys_ftruncate(fd, 0), Err(Errno::EBADF));
        assert_eq!(k.sys_fsync(fd), Ok(()));
        let r = call(k, abi::SYS___getdents30, &[dfd as u64, U_OUT, 512], &us);
        assert_eq!(r, Err(Errno::EBADF));
    }
    k.sys_close(fd).unwrap();
    k.sys_close(dfd).unwrap();
    assert_eq!(get(k, &f), b"ab", "the file itself is untouched");
    as_user(k, 1000, 1000, || {
        let r = call(k, abi::SYS_revoke, &[cstr(&us, U_PATH, &f)], &us);
        assert_eq!(r, Err(Errno::EPERM));
    });
    let r = call(k, abi::SYS_revoke, &[cstr(&us, U_PATH, &fx.p("none"))], &us);
    assert_eq!(r, Err(Errno::ENOENT));
}

/// Extended attributes: names are checked first (ENAMETOOLONG), then the
/// file, then every file system says EOPNOTSUPP (ENOTSUP for `*xattr`).
fn extattr_calls(fx: &Fx) {
    let k = &fx.k;
    let us = user();
    let f = fx.p("f");
    touch(k, &f);
    k.sys_symlink("f", &fx.p("l")).unwrap();
    let fd = k.sys_open(&f, O_RDWR, 0).unwrap() as u64;
    let path = cstr(&us, U_PATH, &f);
    let link = cstr(&us, U_PATH + 0x400, &fx.p("l"));
    let name = cstr(&us, U_STR, "user.x");
    let long = cstr(&us, U_STR + 0x100, &"a".repeat(299));
    let none = cstr(&us, U_STR + 0x300, &fx.p("none"));
    let ns = USER;
    let eop = Err(Errno::EOPNOTSUPP);
    for (n, args) in [
        (abi::SYS_extattr_set_file, vec![path, ns, name, U_OUT, 1]),
        (abi::SYS_extattr_get_file, vec![path, ns, name, U_OUT, 64]),
        (abi::SYS_extattr_get_file, vec![path, ns, name, 0, 0]),
        (abi::SYS_extattr_delete_file, vec![path, ns, name]),
        (abi::SYS_extattr_list_file, vec![path, ns, U_OUT, 64]),
        (abi::SYS_extattr_set_fd, vec![fd, 0, name, U_OUT, 1]),
        (abi::SYS_extattr_get_fd, vec![fd, 3, name, U_OUT, 64]),
        (abi::SYS_extattr_delete_fd, vec![fd, ns, name]),
        (abi::SYS_extattr_list_fd, vec![fd, ns, U_OUT, 64]),
        (abi::SYS_extattr_set_link, vec![link, ns, name, U_OUT, 1]),
        (abi::SYS_extattr_get_link, vec![link, ns, name, U_OUT, 64]),
        (abi::SYS_extattr_delete_link, vec![link, ns, name]),
        (abi::SYS_extattr_list_link, vec![link, ns, U_OUT, 64]),
    ] {
        assert_eq!(
            call(k, n, &args, &us),
            eop,
            "{}",
            k.syscall_name(n).unwrap()
        );
    }
    let enotsup = Err(Errno::ENOTSUP);
    for (n, args) in [
        (abi::SYS_setxattr, vec![path, name, U_OUT, 1, 0]),
        (abi::SYS_setxattr, vec![path, name, U_OUT, 1, 1]),
        (abi::SYS_lsetxattr, vec![link, name, U_OUT, 1, 0]),
        (abi::SYS_fsetxattr, vec![fd, name, U_OUT, 1, 0]),
        (abi::SYS_getxattr, vec![path, name, U_OUT, 64]),
        (abi::SYS_lgetxattr, vec![link, name, U_OUT, 64]),
        (abi::SYS_fgetxattr, vec![fd, name, U_OUT, 64]),
        (abi::SYS_listxattr, vec![path, U_OUT, 64]),
        (abi::SYS_llistxattr, vec![link, 0, 0]),
        (abi::SYS_flistxattr, vec![fd, U_OUT, 64]),
        (abi::SYS_removexattr, vec![path, name]),
        (abi::SYS_lremovexattr, vec![link, name]),
        (abi::SYS_fremovexattr, vec![fd, name]),
    ] {
        assert_eq!(
            call(k, n, &args, &us),
            enotsup,
            "{}",
            k.syscall_name(n).unwrap()
        );
    }
    // The name before the file; the file before the file system.
    let r = call(
        k,
        abi::SYS_extattr_get_file,
        &[none, ns, long, U_OUT, 64],
        &us,
    );
    assert_eq!(r, Err(Errno::ENAMETOOLONG));
    let r = call(k, abi::SYS_setxattr, &[none, long, U_OUT, 1, 0], &us);
    assert_eq!(r, Err(Errno::ENAMETOOLONG));
    let r = call(
        k,
        abi::SYS_extattr_get_file,
        &[none, ns, name, U_OUT, 64],
        &us,
    );
    assert_eq!(r, Err(Errno::ENOENT));
    let r = call(k, abi::SYS_getxattr, &[none, name, U_OUT, 64], &us);
    assert_eq!(r, Err(Errno::ENOENT));
    let r = call(k, abi::SYS_extattr_list_fd, &[99, ns, U_OUT, 64], &us);
    assert_eq!(r, Err(Errno::EBADF));
    let r = call(
        k,
        abi::SYS_extattr_set_file,
        &[path, ns, name, U_OUT, 1 << 31],
        &us,
    );
    assert_eq!(r, Err(Errno::EINVAL), "more than INT_MAX bytes");
    k.sys_close(fd as i32).unwrap();
}

// `sys/extattr.h`: namespaces and extattrctl commands.
const EMPTY: u64 = 0;
const USER: u64 = 1;
const START: u64 = 1;
const STOP: u64 = 2;
const ENABLE: u64 = 3;
const DISABLE: u64 = 4;

/// extattrctl: FFSv1's backing-file attributes answer as NetBSD's before
/// `start` (ENOENT without /.attribute, EINVAL for misplaced arguments,
/// ENODATA to disable what was never enabled, EPERM for users); the other
/// file systems have nothing to configure.
fn extattrctl_per_fs(fx: &Fx) {
    let k = &fx.k;
    let us = user();
    touch(k, &fx.p("backing"));
    let mp = cstr(&us, U_PATH, &fx.mp);
    let file = cstr(&us, U_PATH + 0x400, &fx.p("backing"));
    let name = cstr(&us, U_STR, "x");
    let ctl = |cmd: u64, file: u64, ns: u64, name: u64| {
        call(k, abi::SYS_extattrctl, &[mp, cmd, file, ns, name], &us)
    };
    if !matches!(fx.fs, Fs::Ffs1) {
        assert_eq!(ctl(START, 0, USER, 0), Err(Errno::EOPNOTSUPP));
        assert_eq!(ctl(START, 0, USER, name), Err(Errno::EOPNOTSUPP));
        return;
    }
    assert_eq!(
        ctl(START, 0, USER, 0),
        Err(Errno::ENOENT),
        "start without /.attribute"
    );
    assert_eq!(ctl(START, 0, USER, name), Err(Errno::EINVAL));
    assert_eq!(ctl(START, file, USER, 0), Err(Errno::EINVAL));
    assert_eq!(ctl(STOP, 0, USER, 0), Ok(0), "stop");
    assert_eq!(
        ctl(ENABLE, 0, USER, name),
        Err(Errno::EINVAL),
        "enable without a file"
    );
    assert_eq!(
        ctl(ENABLE, file, EMPTY, name),
        Err(Errno::EINVAL),
        "empty namespace"
    );
    assert_eq!(
        ctl(ENABLE, file, USER, name),
        Err(Errno::EOPNOTSUPP),
        "not started"
    );
    assert_eq!(ctl(DISABLE, 0, USER, name), Err(Errno::ENODATA));
    assert_eq!(ctl(9, 0, USER, 0), Err(Errno::EINVAL));
    as_user(k, 1000, 1000, || {
        assert_eq!(ctl(STOP, 0, USER, 0), Err(Errno::EPERM))
    });
    k.sys_mkdir(&fx.p(".attribute"), 0o755).unwrap();
    assert_eq!(
        ctl(START, 0, USER, 0),
        Err(Errno::EOPNOTSUPP),
        "backing files: not yet"
    );
}

// `sys/quotactl.h`.
const QUOTACTL_STAT: u32 = 0;
const QUOTACTL_GET: u32 = 3;

/// __quotactl: the arguments are read, the path looked up, the request
/// checked; no file system keeps quotas.
fn quotactl_calls(fx: &Fx) {
    let k = &fx.k;
    let us = user();
    let mp = cstr(&us, U_PATH, &fx.mp);
    let none = cstr(&us, U_PATH + 0x400, &fx.p("none"));
    let args = |op: u32, p1: u64| {
        let mut a = [0u8; 48];
        a[..4].copy_from_slice(&op.to_le_bytes());
        a[8..16].copy_from_slice(&p1.to_le_bytes());
        us.poke(U_STR, &a);
        U_STR
    };
    let q = |path: u64, a: u64| call(k, abi::SYS___quotactl, &[path, a], &us);
    assert_eq!(q(mp, args(QUOTACTL_STAT, U_OUT)), Err(Errno::EOPNOTSUPP));
    assert_eq!(q(mp, args(99, U_OUT)), Err(Errno::EINVAL));
    assert_eq!(q(none, args(QUOTACTL_STAT, U_OUT)), Err(Errno::ENOENT));
    assert_eq!(
        q(mp, args(QUOTACTL_GET, 8)),
        Err(Errno::EFAULT),
        "the key is read first"
    );
    assert_eq!(q(mp, 8), Err(Errno::EFAULT));
}

/// posix_fadvise and posix_fallocate return their error as the value;
/// fdiscard fails as usual; no file system allocates or discards ranges.
fn advice_and_space(fx: &Fx) {
    let k = &fx.k;
    let us = user();
    put(k, &fx.p("f"), b"data");
    let fd = k.sys_open(&fx.p("f"), O_RDWR, 0).unwrap() as u64;
    let ro = k.sys_open(&fx.p("f"), O_RDONLY, 0).unwrap() as u64;
    let advise = |fd: u64, off: i64, len: i64, advice: i32| {
        call(
            k,
            abi::SYS___posix_fadvise50,
            &[fd, 0, off as u64, len as u64, advice as u64],
            &us,
        )
    };
    let errno = |e: Errno| Ok(e.0 as u64);
    assert_eq!(advise(fd, 0, 0, abi::POSIX_FADV_SEQUENTIAL), Ok(0));
    assert_eq!(advise(fd, 0, 10, abi::POSIX_FADV_DONTNEED), Ok(0));
    assert_eq!(advise(fd, 0, 0, 9), errno(Errno::EINVAL));
    assert_eq!(advise(fd, 0, -1, 0), errno(Errno::EINVAL));
    assert_eq!(advise(99, 0, 0, 0), errno(Errno::EBADF));
    let fallocate = |fd: u64, pos: i64, len: i64| {
        call(
            k,
            abi::SYS_posix_fallocate,
            &[fd, 0, pos as u64, len as u64],
            &us,
        )
    };
    assert_eq!(fallocate(fd, 0, 10), errno(Errno::EOPNOTSUPP));
    assert_eq!(fallocate(ro, 0, 10), errno(Errno::EBADF));
    assert_eq!(fallocate(fd, -1, 10), errno(Errno::EINVAL));
    assert_eq!(fallocate(99, 0, 10), errno(Errno::EBADF));
    let fdiscard = |fd: u64, pos: i64, len: i64| {
        call(k, abi::SYS_fdiscard, &[fd, 0, pos as u64, len as u64], &us)
    };
    assert_eq!(fdiscard(fd, 0, 10), Err(Errno::EOPNOTSUPP));
    assert_eq!(fdiscard(ro, 0, 10), Err(Errno::EBADF));
    assert_eq!(fdiscard(fd, 0, -1), Err(Errno::EINVAL));
    assert_eq!(get(k, &fx.p("f")), b"data");
    k.sys_close(fd as i32).unwrap();
    k.sys_close(ro as i32).unwrap();
}

/// ioctl and poll of a regular file and a directory, as NetBSD's vn_ioctl
/// and VOP_POLL answer: FIONWRITE and FIONSPACE are 0 everywhere; a
/// command no file system knows is ENOTTY (`genfs_enoioctl`), but
/// EOPNOTSUPP on rumpfs, which has no VOP_IOCTL; poll is "always ready",
/// but on rumpfs, which has no VOP_POLL, the bits of EOPNOTSUPP. And
/// `open(O_CREAT)` of the root or of a mount point is EEXIST (namei for
/// CREATE has no parent to give).
fn ioctl_poll_and_creating_the_root(fx: &Fx) {
    let k = &fx.k;
    let us = user();
    put(k, &fx.p("f"), b"data");
    let f = k.sys_open(&fx.p("f"), O_RDWR, 0).unwrap() as u64;
    let d = k.sys_open(&fx.mp, O_RDONLY | O_DIRECTORY, 0).unwrap() as u64;
    let rumpfs = fx.fs == Fs::Rumpfs;
    // A disk's command, which no file system knows.
    use rumpvfs::rumpblk::DIOCGDINFO;
    let unknown = if rumpfs {
        Errno::EOPNOTSUPP
    } else {
        Errno::ENOTTY
    };
    for fd in [f, d] {
        for cmd in [abi::FIONWRITE, abi::FIONSPACE] {
            us.poke(U_OUT, &7i32.to_ne_bytes());
            assert_eq!(call(k, abi::SYS_ioctl, &[fd, cmd, U_OUT], &us), Ok(0));
            assert_eq!(us.peek(U_OUT, 4), 0i32.to_ne_bytes());
        }
        assert_eq!(
            call(k, abi::SYS_ioctl, &[fd, DIOCGDINFO, U_OUT], &us),
            Err(unknown)
        );
        let mut pfd = vec![0u8; abi::layout::pollfd::SIZE];
        abi::layout::pollfd::fd.put(&mut pfd, fd);
        abi::layout::pollfd::events.put(&mut pfd, abi::POLLIN as u64);
        us.poke(U_STR, &pfd);
        assert_eq!(call(k, abi::SYS_poll, &[U_STR, 1, 0], &us), Ok(1));
        let revents = abi::layout::pollfd::revents.get(&us.peek(U_STR, pfd.len()));
        let want = if rumpfs {
            Errno::EOPNOTSUPP.0 as u64
        } else {
            abi::POLLIN as u64
        };
        assert_eq!(revents, Some(want));
        k.sys_close(fd as i32).unwrap();
    }
    assert_errno!(k.sys_open("/", O_CREAT | O_RDONLY, 0o644), Errno::EEXIST);
    let mp = k.sys_open(&fx.mp, O_CREAT | O_RDONLY, 0o644);
    if fx.is_mount() {
        assert_errno!(mp, Errno::EEXIST);
    } else {
        k.sys_close(mp.unwrap()).unwrap();
    }
    let dot = k.sys_open(&fx.p("."), O_CREAT | O_RDONLY, 0o644).unwrap();
    k.sys_close(dot).unwrap();
}
