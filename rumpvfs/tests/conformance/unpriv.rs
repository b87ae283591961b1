//! Cases run as an unprivileged user: ownership, permissions, the sticky
//! bit, times.

use super::*;

/// An unprivileged process may not chown or chmod what it does not own
/// (EPERM); once it owns it, it may (NetBSD `owner`).
pub(crate) fn unpriv_owner(fx: &Fx) {
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
pub(crate) fn unpriv_dirperms(fx: &Fx) {
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
pub(crate) fn unpriv_private_dir(fx: &Fx) {
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
pub(crate) fn unpriv_file_perms(fx: &Fx) {
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
pub(crate) fn unpriv_chown_chmod(fx: &Fx) {
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
pub(crate) fn unpriv_sticky(fx: &Fx) {
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
pub(crate) fn unpriv_times(fx: &Fx) {
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
pub(crate) fn root_overrides(fx: &Fx) {
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
