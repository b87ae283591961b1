//! Chflags, pathconf, POSIX rename (facts from NetBSD's rump_allserver,
//! asked by a C client: tmpfs and FFS enforce, rumpfs only stores).

use super::*;

use netbsd_abi as abi;
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
pub(crate) fn flags_immutable(fx: &Fx) {
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
pub(crate) fn flags_append(fx: &Fx) {
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
pub(crate) fn flags_system_and_owner(fx: &Fx) {
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
pub(crate) fn pathconf_values(fx: &Fx) {
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
pub(crate) fn posix_rename_links(fx: &Fx) {
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
