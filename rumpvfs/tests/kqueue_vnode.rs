//! EVFILT_VNODE and EVFILT_READ on files, with the answers NetBSD 7.99's
//! rump kernel gave on tmpfs for the same calls (measured with a C client
//! of the peer): write, extend, attrib, link, rename, delete, directory
//! changes; rumpfs has no kqueue filters there (EOPNOTSUPP).

use rump::kqueue::Kevent;
use rump::kqueue::consts::*;
use rump::{BootConfig, Errno, Kernel, KernelBuilder};
use rumpvfs::VfsCalls;
use rumpvfs::flags::*;
use std::sync::Arc;
use std::time::Duration;

const NOW: Option<Duration> = Some(Duration::ZERO);
const ALL: u32 =
    NOTE_DELETE | NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | NOTE_LINK | NOTE_RENAME | NOTE_REVOKE;

fn boot() -> Arc<Kernel> {
    let k = KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .boot()
        .unwrap();
    k.sys_mkdir("/mnt", 0o755).unwrap();
    k.sys_mount("tmpfs", "/mnt", 0, &rumpfs_tmpfs::args(0, 0))
        .unwrap();
    k
}

fn ev(ident: i32, filter: u32, flags: u32, fflags: u32) -> Kevent {
    Kevent {
        ident: ident as u64,
        filter,
        flags,
        fflags,
        data: 0,
        udata: 0,
    }
}

/// The filter flags reported now (0: nothing).
fn notes(k: &Kernel, q: i32) -> u32 {
    let out = k.sys_kevent(q, &[], 8, NOW).unwrap();
    out.first().map_or(0, |e| {
        assert_eq!(e.flags, EV_ADD | EV_CLEAR);
        e.fflags
    })
}

#[test]
fn file_events_as_tmpfs_reports_them() {
    let k = boot();
    let q = k.sys_kqueue1(0).unwrap();
    let fd = k.sys_open("/mnt/f", O_RDWR | O_CREAT, 0o644).unwrap();
    k.sys_write(fd, b"abcdef").unwrap();
    k.sys_lseek(fd, 2, 0).unwrap();
    // Read: what is left from the offset; nothing at the end.
    let out = k
        .sys_kevent(q, &[ev(fd, EVFILT_READ, EV_ADD, 0)], 8, NOW)
        .unwrap();
    assert_eq!((out[0].flags, out[0].data), (EV_ADD, 4));
    k.sys_lseek(fd, 6, 0).unwrap();
    assert!(k.sys_kevent(q, &[], 8, NOW).unwrap().is_empty());
    k.sys_kevent(q, &[ev(fd, EVFILT_READ, EV_DELETE, 0)], 0, NOW)
        .unwrap();
    // No write filter on a vnode (the peer: EV_ERROR, data 22).
    let e = k.sys_kevent(q, &[ev(fd, EVFILT_WRITE, EV_ADD, 0)], 0, NOW);
    assert_eq!(e.unwrap_err(), Errno::EINVAL);
    let watch = ev(fd, EVFILT_VNODE, EV_ADD | EV_CLEAR, ALL);
    assert!(k.sys_kevent(q, &[watch], 8, NOW).unwrap().is_empty());
    k.sys_pwrite(fd, b"x", 0).unwrap();
    assert_eq!(notes(&k, q), NOTE_WRITE);
    k.sys_pwrite(fd, b"x", 100).unwrap();
    assert_eq!(notes(&k, q), NOTE_WRITE | NOTE_EXTEND);
    k.sys_chmod("/mnt/f", 0o600).unwrap();
    assert_eq!(notes(&k, q), NOTE_ATTRIB);
    k.sys_ftruncate(fd, 10).unwrap();
    assert_eq!(notes(&k, q), 0);
    k.sys_ftruncate(fd, 20).unwrap();
    assert_eq!(notes(&k, q), NOTE_EXTEND);
    k.sys_link("/mnt/f", "/mnt/g").unwrap();
    assert_eq!(notes(&k, q), NOTE_LINK);
    k.sys_rename("/mnt/f", "/mnt/h").unwrap();
    assert_eq!(notes(&k, q), NOTE_RENAME);
    k.sys_unlink("/mnt/g").unwrap();
    assert_eq!(notes(&k, q), NOTE_LINK);
    k.sys_unlink("/mnt/h").unwrap();
    assert_eq!(notes(&k, q), NOTE_DELETE);
    // Closing the descriptor takes the knote away.
    k.sys_close(fd).unwrap();
    assert!(k.sys_kevent(q, &[], 8, NOW).unwrap().is_empty());
}

#[test]
fn directory_events_as_tmpfs_reports_them() {
    let k = boot();
    let q = k.sys_kqueue1(0).unwrap();
    let d = k.sys_open("/mnt", O_RDONLY, 0).unwrap();
    let watch = ev(d, EVFILT_VNODE, EV_ADD | EV_CLEAR, ALL);
    assert!(k.sys_kevent(q, &[watch], 8, NOW).unwrap().is_empty());
    k.sys_mkdir("/mnt/g", 0o755).unwrap();
    assert_eq!(notes(&k, q), NOTE_WRITE | NOTE_LINK);
    let f = k.sys_open("/mnt/h", O_RDWR | O_CREAT, 0o644).unwrap();
    k.sys_close(f).unwrap();
    assert_eq!(notes(&k, q), NOTE_WRITE);
    k.sys_unlink("/mnt/h").unwrap();
    assert_eq!(notes(&k, q), NOTE_WRITE);
    k.sys_rmdir("/mnt/g").unwrap();
    assert_eq!(notes(&k, q), NOTE_WRITE | NOTE_LINK);
}

#[test]
fn a_blocked_kevent_wakes_on_a_vnode_event_and_rumpfs_has_no_filters() {
    let k = boot();
    let q = k.sys_kqueue1(0).unwrap();
    let fd = k.sys_open("/mnt/f", O_RDWR | O_CREAT, 0o644).unwrap();
    let watch = ev(fd, EVFILT_VNODE, EV_ADD | EV_CLEAR, NOTE_WRITE);
    k.sys_kevent(q, &[watch], 0, NOW).unwrap();
    let k2 = Arc::clone(&k);
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        k2.sys_pwrite(fd, b"x", 0).unwrap();
    });
    let out = k
        .sys_kevent(q, &[], 8, Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(out[0].fflags, NOTE_WRITE);
    t.join().unwrap();
    // The root is rumpfs: EOPNOTSUPP for every filter, as the peer says.
    let r = k.sys_open("/tmp/x", O_RDWR | O_CREAT, 0o644).unwrap();
    for f in [EVFILT_READ, EVFILT_WRITE, EVFILT_VNODE] {
        let e = k.sys_kevent(q, &[ev(r, f, EV_ADD, 0)], 0, NOW);
        assert_eq!(e.unwrap_err(), Errno::EOPNOTSUPP);
    }
}

#[test]
fn fifo_filters_as_fifofs_answers_them() {
    let k = boot();
    let q = k.sys_kqueue1(0).unwrap();
    let one = |fd: i32, filter: u32| {
        let out = k
            .sys_kevent(q, &[ev(fd, filter, EV_ADD, 0)], 8, NOW)
            .unwrap();
        k.sys_kevent(q, &[ev(fd, filter, EV_DELETE, 0)], 0, NOW)
            .unwrap();
        out.first().map(|e| (e.data, e.flags & EV_EOF != 0))
    };
    k.sys_mkfifo("/mnt/ff", 0o644).unwrap();
    let r = k.sys_open("/mnt/ff", O_RDONLY | O_NONBLOCK, 0).unwrap();
    // No writer has come yet: not at its end.
    assert_eq!(one(r, EVFILT_READ), None);
    let w = k.sys_open("/mnt/ff", O_WRONLY | O_NONBLOCK, 0).unwrap();
    assert_eq!(one(r, EVFILT_READ), None);
    // Both filters look at the reading socket: its send half is shut.
    assert_eq!(one(w, EVFILT_WRITE), Some((4096, true)));
    assert_eq!(one(w, EVFILT_READ), None);
    k.sys_write(w, b"1234").unwrap();
    assert_eq!(one(r, EVFILT_READ), Some((4, false)));
    k.sys_close(w).unwrap();
    assert_eq!(one(r, EVFILT_READ), Some((4, true)));
    let e = k.sys_kevent(q, &[ev(r, EVFILT_VNODE, EV_ADD, ALL)], 0, NOW);
    assert_eq!(e.unwrap_err(), Errno::EINVAL);
    // FIFOs on rumpfs: EOPNOTSUPP, as the peer.
    k.sys_mkfifo("/tmp/rf", 0o644).unwrap();
    let f = k.sys_open("/tmp/rf", O_RDONLY | O_NONBLOCK, 0).unwrap();
    let e = k.sys_kevent(q, &[ev(f, EVFILT_READ, EV_ADD, 0)], 0, NOW);
    assert_eq!(e.unwrap_err(), Errno::EOPNOTSUPP);
}

#[test]
fn a_forced_unmount_revokes_the_files_still_watched() {
    let k = boot();
    let q = k.sys_kqueue1(0).unwrap();
    let fd = k.sys_open("/mnt/f", O_RDWR | O_CREAT, 0o644).unwrap();
    let changes = [
        ev(fd, EVFILT_VNODE, EV_ADD | EV_CLEAR, NOTE_REVOKE),
        ev(fd, EVFILT_READ, EV_ADD, 0),
    ];
    assert!(k.sys_kevent(q, &changes, 8, NOW).unwrap().is_empty());
    assert_eq!(k.sys_unmount("/mnt", 0).unwrap_err(), Errno::EBUSY);
    k.sys_unmount("/mnt", MNT_FORCE).unwrap();
    let mut out = k.sys_kevent(q, &[], 8, NOW).unwrap();
    out.sort_by_key(|e| e.filter);
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0].flags, EV_ADD | EV_EOF | EV_ONESHOT);
    assert_eq!(
        (out[1].fflags, out[1].flags & EV_EOF),
        (NOTE_REVOKE, EV_EOF)
    );
    // The read knote was a one-shot; the vnode one stays, cleared.
    assert!(k.sys_kevent(q, &[], 8, NOW).unwrap().is_empty());
}
