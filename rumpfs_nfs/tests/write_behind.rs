//! Writes go behind, as NetBSD's client sends them: UNSTABLE WRITEs that
//! the server shows at once, and a COMMIT (which the server turns into an
//! fsync of the file) only at close of the last descriptor, fsync, or once
//! `MAX_UNCOMMITTED` bytes wait; counted in nfs-ganesha's own log of the
//! requests it serves.

mod ganesha;
mod mounting;

use mounting::{boot, mount_nfs, pattern};
use rumpfs_nfs::node::MAX_UNCOMMITTED;
use rumpvfs::VfsCalls;
use std::path::Path;

/// What ganesha logs for each COMMIT it serves (NFSPROTO at DEBUG).
const COMMIT: &str = "Calling NFS3_COMMIT";

fn commits(export: &Path) -> usize {
    ganesha::log(export).matches(COMMIT).count()
}

fn behind(export: &Path) {
    let k = boot();
    let fh = ganesha::root_handle(export);
    k.sys_mkdir("/mnt", 0o755).unwrap();
    mount_nfs(&k, "/mnt", &fh, "127.0.0.1:/export", 0).expect("mount");
    let flags = netbsd_abi::O_WRONLY | netbsd_abi::O_CREAT;
    let data = pattern(4 << 20, 3);
    let before = commits(export);
    let fd = k.sys_open("/mnt/f", flags, 0o644).unwrap();
    let dup = k.sys_dup(fd).unwrap();
    for part in data.chunks(1 << 20) {
        assert_eq!(k.sys_write(fd, part).unwrap(), part.len());
    }
    // On the server (in its memory) at once, committed by nobody yet.
    assert!(std::fs::read(export.join("f")).unwrap() == data);
    assert_eq!(commits(export), before, "no COMMIT before the close");
    k.sys_close(fd).unwrap();
    assert_eq!(commits(export), before, "another descriptor is open");
    k.sys_close(dup).unwrap();
    assert_eq!(commits(export), before + 1, "one COMMIT at the last close");

    // fsync commits what waits, and close then has nothing left.
    let fd = k.sys_open("/mnt/f", netbsd_abi::O_WRONLY, 0).unwrap();
    k.sys_pwrite(fd, b"xyz", 10).unwrap();
    k.sys_fsync(fd).unwrap();
    assert_eq!(commits(export), before + 2, "fsync");
    k.sys_close(fd).unwrap();
    assert_eq!(commits(export), before + 2, "nothing waits at close");

    // What waits is bounded: a COMMIT each time MAX_UNCOMMITTED bytes wait.
    let big = pattern(MAX_UNCOMMITTED + (1 << 20), 9);
    let fd = k.sys_open("/mnt/big", flags, 0o644).unwrap();
    for part in big.chunks(1 << 20) {
        assert_eq!(k.sys_write(fd, part).unwrap(), part.len());
    }
    assert_eq!(commits(export), before + 3, "one COMMIT at the bound");
    k.sys_close(fd).unwrap();
    assert_eq!(commits(export), before + 4, "and one for the rest");
    assert!(std::fs::read(export.join("big")).unwrap() == big);

    // A sequential reader's READs sent ahead are forgotten when the file is
    // written: the next read sees the write, not what was read ahead.
    let fd = k.sys_open("/mnt/big", netbsd_abi::O_RDWR, 0).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    assert_eq!(k.sys_read(fd, &mut buf).unwrap(), buf.len());
    assert_eq!(k.sys_pwrite(fd, b"new", 1 << 16).unwrap(), 3);
    assert_eq!(k.sys_read(fd, &mut buf).unwrap(), buf.len());
    assert_eq!(&buf[..3], b"new");
    assert!(buf[3..] == big[(1 << 16) + 3..2 << 16]);
    // And read on from there, ahead again.
    assert_eq!(k.sys_read(fd, &mut buf).unwrap(), buf.len());
    assert!(buf == big[2 << 16..3 << 16]);
    k.sys_close(fd).unwrap();

    // A write left waiting is committed by a forced unmount.
    let fd = k.sys_open("/mnt/g", flags, 0o644).unwrap();
    k.sys_write(fd, b"kept").unwrap();
    let n = commits(export);
    k.sys_unmount("/mnt", netbsd_abi::MNT_FORCE).unwrap();
    assert_eq!(commits(export), n + 1, "unmount commits what waits");
}

#[test]
fn writes_are_committed_at_close_fsync_and_a_bound() {
    if let Some(export) = ganesha::inside() {
        behind(&export);
        return;
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let Some(g) = ganesha::Ganesha::start_with(base, "behind", true) else {
        return;
    };
    g.run_inside("writes_are_committed_at_close_fsync_and_a_bound");
}
