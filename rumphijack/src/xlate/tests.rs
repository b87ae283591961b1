//! The translations checked against the values in NetBSD's headers.
//!
//! The tests write NetBSD's numbers out on purpose: they check the
//! translations against the values in NetBSD's headers, not against the
//! tables the code uses.

use super::dirent::NETBSD_DIRENT_NAME;
use super::fcntl::zeroed_flock;
use super::*;
use linux_xlate::errno::ERRNOS;

#[test]
fn errnos_by_name() {
    assert_eq!(errno_to_linux(35), libc::EAGAIN);
    assert_eq!(errno_to_linux(62), libc::ELOOP);
    assert_eq!(errno_to_linux(66), libc::ENOTEMPTY);
    assert_eq!(errno_to_linux(78), libc::ENOSYS);
    assert_eq!(errno_to_linux(93), libc::ENODATA);
    assert_eq!(errno_to_linux(0), libc::EIO);
    assert_eq!(errno_to_linux(1000), libc::EIO);
    for &(n, l) in ERRNOS {
        assert_eq!(errno_to_linux(errno_to_netbsd(l)), l, "{n}");
    }
    assert_eq!(errno_to_netbsd(libc::ENOTEMPTY), 66);
}

#[test]
fn open_flags_both_ways() {
    let f = libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC | libc::O_DIRECTORY;
    assert_eq!(
        open_flags_to_netbsd(f),
        Ok(2 | 0x200 | 0x800 | 0x40_0000 | 0x20_0000)
    );
    assert_eq!(
        open_flags_to_netbsd(libc::O_WRONLY | libc::O_SYNC),
        Ok(1 | 0x80)
    );
    assert_eq!(open_flags_to_netbsd(libc::O_DSYNC), Ok(0x1_0000));
    assert_eq!(
        open_flags_to_netbsd(libc::O_LARGEFILE | libc::O_NOATIME),
        Ok(0)
    );
    assert_eq!(
        open_flags_to_netbsd(libc::O_PATH | libc::O_DIRECTORY),
        Ok(0x20_0000)
    );
    assert_eq!(
        open_flags_to_netbsd(libc::O_TMPFILE | libc::O_RDWR),
        Err(libc::EINVAL)
    );
    assert_eq!(
        open_flags_to_linux(0x8 | 0x4 | 1),
        libc::O_APPEND | libc::O_NONBLOCK | libc::O_WRONLY
    );
    assert_eq!(open_flags_to_linux(0x80), libc::O_SYNC);
}

#[test]
fn at_and_fcntl_values() {
    assert_eq!(at_flags_to_netbsd(libc::AT_SYMLINK_NOFOLLOW), Ok(0x200));
    assert_eq!(at_flags_to_netbsd(libc::AT_REMOVEDIR), Ok(0x800));
    assert_eq!(
        at_flags_to_netbsd(libc::AT_SYMLINK_FOLLOW | libc::AT_NO_AUTOMOUNT),
        Ok(0x400)
    );
    assert_eq!(at_flags_to_netbsd(libc::AT_EMPTY_PATH), Err(libc::EINVAL));
    assert_eq!(access_flags_to_netbsd(libc::AT_EACCESS), Ok(0x100));
    assert_eq!(fcntl_cmd_to_netbsd(libc::F_SETLKW), Some(9));
    assert_eq!(fcntl_cmd_to_netbsd(libc::F_DUPFD_CLOEXEC), Some(12));
    assert_eq!(fcntl_cmd_to_netbsd(libc::F_OFD_SETLK), None);
    assert_eq!(whence_to_netbsd(libc::SEEK_END), Ok(2));
    assert_eq!(whence_to_netbsd(libc::SEEK_DATA), Err(libc::EINVAL));
}

#[test]
fn flock_round_trip() {
    let mut l = zeroed_flock();
    l.l_type = libc::F_WRLCK as i16;
    l.l_whence = libc::SEEK_CUR as i16;
    l.l_start = 10;
    l.l_len = 20;
    l.l_pid = 7;
    let b = flock_to_netbsd(&l);
    assert_eq!(i16::from_ne_bytes([b[20], b[21]]), 3);
    let back = flock_from_netbsd(&b).unwrap();
    assert_eq!(
        (
            back.l_type,
            back.l_whence,
            back.l_start,
            back.l_len,
            back.l_pid
        ),
        (l.l_type, l.l_whence, 10, 20, 7)
    );
    assert!(flock_from_netbsd(&b[..10]).is_none());
}

#[test]
fn poll_bits() {
    assert_eq!(poll_events_to_netbsd(libc::POLLIN | libc::POLLOUT), 0x5);
    assert_eq!(poll_events_to_netbsd(libc::POLLWRBAND), 0x100);
    assert_eq!(
        poll_events_to_linux(0x100 | 0x10),
        libc::POLLWRBAND | libc::POLLHUP
    );
    assert_eq!(poll_events_to_linux(0x4), libc::POLLOUT | libc::POLLWRNORM);
}

/// A NetBSD stat laid out by hand from structs.tsv.
fn netbsd_stat_bytes() -> Vec<u8> {
    let mut b = vec![0u8; NETBSD_STAT_LEN];
    let put = |b: &mut Vec<u8>, o: usize, v: &[u8]| b[o..o + v.len()].copy_from_slice(v);
    put(&mut b, 0, &((3u64 << 8) | 5).to_ne_bytes()); // dev 3,5
    put(&mut b, 8, &(0o100644u32).to_ne_bytes());
    put(&mut b, 16, &42u64.to_ne_bytes());
    put(&mut b, 24, &2u32.to_ne_bytes());
    put(&mut b, 28, &1000u32.to_ne_bytes());
    put(&mut b, 32, &100u32.to_ne_bytes());
    put(
        &mut b,
        40,
        &((0x123u64 << 8) | 0x45 | (0x6 << 20)).to_ne_bytes(),
    );
    put(&mut b, 48, &11i64.to_ne_bytes());
    put(&mut b, 56, &12i64.to_ne_bytes());
    put(&mut b, 64, &21i64.to_ne_bytes());
    put(&mut b, 80, &31i64.to_ne_bytes());
    put(&mut b, 96, &41i64.to_ne_bytes());
    put(&mut b, 112, &12345i64.to_ne_bytes());
    put(&mut b, 120, &32i64.to_ne_bytes());
    put(&mut b, 128, &4096i32.to_ne_bytes());
    b
}

#[test]
fn symlinks_show_every_permission_as_on_linux() {
    let mut b = netbsd_stat_bytes();
    b[8..12].copy_from_slice(&0o120755u32.to_ne_bytes());
    assert_eq!(stat_from_netbsd(&b).unwrap().st_mode, 0o120777);
    let x = statx_from_netbsd(&b, libc::STATX_ALL).unwrap();
    assert_eq!(x.stx_mode, 0o120777);
    b[8..12].copy_from_slice(&0o100755u32.to_ne_bytes());
    assert_eq!(stat_from_netbsd(&b).unwrap().st_mode, 0o100755);
}

#[test]
fn stat_fields() {
    let b = netbsd_stat_bytes();
    let s = stat_from_netbsd(&b).unwrap();
    assert_eq!((libc::major(s.st_dev), libc::minor(s.st_dev)), (3, 5));
    assert_eq!(s.st_mode, 0o100644);
    assert_eq!(s.st_ino, 42);
    assert_eq!(s.st_nlink, 2);
    assert_eq!((s.st_uid, s.st_gid), (1000, 100));
    assert_eq!(
        (libc::major(s.st_rdev), libc::minor(s.st_rdev)),
        (0x123, 0x645)
    );
    assert_eq!(
        (s.st_atime, s.st_atime_nsec, s.st_mtime, s.st_ctime),
        (11, 12, 21, 31)
    );
    assert_eq!((s.st_size, s.st_blocks, s.st_blksize), (12345, 32, 4096));
    let x = statx_from_netbsd(&b, libc::STATX_ALL).unwrap();
    assert_eq!(
        (x.stx_size, x.stx_mode, x.stx_btime.tv_sec),
        (12345, 0o100644, 41)
    );
    assert_eq!((x.stx_dev_major, x.stx_dev_minor), (3, 5));
    assert!(stat_from_netbsd(&b[..100]).is_none());
    assert_eq!(
        dev_to_linux(dev_to_netbsd(libc::makedev(0x123, 0x6045))),
        libc::makedev(0x123, 0x6045)
    );
}

fn netbsd_dirent(ino: u64, t: u8, name: &[u8]) -> Vec<u8> {
    let len = (NETBSD_DIRENT_NAME + name.len() + 1 + 7) & !7;
    let mut r = vec![0u8; len];
    r[0..8].copy_from_slice(&ino.to_ne_bytes());
    r[8..10].copy_from_slice(&(len as u16).to_ne_bytes());
    r[10..12].copy_from_slice(&(name.len() as u16).to_ne_bytes());
    r[12] = t;
    r[13..13 + name.len()].copy_from_slice(name);
    r
}

#[test]
fn dirents_parse_and_emit() {
    let mut b = netbsd_dirent(2, libc::DT_DIR, b".");
    b.extend(netbsd_dirent(77, libc::DT_REG, b"hello.txt"));
    let d = parse_netbsd_dirents(&b);
    assert_eq!(d.len(), 2);
    assert_eq!(
        d[1],
        NetbsdDirent {
            ino: 77,
            dtype: libc::DT_REG,
            name: b"hello.txt".to_vec()
        }
    );
    // Truncated and garbage input stops cleanly.
    assert_eq!(parse_netbsd_dirents(&b[..b.len() - 1]).len(), 1);
    let mut x = 0x9e37_79b9_u32;
    for n in 0..500 {
        let junk: Vec<u8> = (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let _ = parse_netbsd_dirents(&junk);
    }
    let mut out = Vec::new();
    emit_linux_dirent64(77, 3, libc::DT_REG, b"hello.txt", &mut out);
    assert_eq!(out.len(), linux_dirent64_len(9));
    assert_eq!(out.len(), 32);
    assert_eq!(u64::from_ne_bytes(out[0..8].try_into().unwrap()), 77);
    assert_eq!(i64::from_ne_bytes(out[8..16].try_into().unwrap()), 3);
    assert_eq!(u16::from_ne_bytes([out[16], out[17]]), 32);
    assert_eq!(out[18], libc::DT_REG);
    assert_eq!(&out[19..29], b"hello.txt\0");
}

#[test]
fn sockets() {
    let mut sin = vec![0u8; 16];
    sin[0..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
    sin[2..4].copy_from_slice(&8080u16.to_be_bytes());
    sin[4..8].copy_from_slice(&[127, 0, 0, 1]);
    let n = sockaddr_to_netbsd(&sin).unwrap();
    assert_eq!(&n[..8], &[16, 2, 0x1f, 0x90, 127, 0, 0, 1]);
    assert_eq!(sockaddr_from_netbsd(&n).unwrap(), sin);
    let mut s6 = vec![0u8; 28];
    s6[0..2].copy_from_slice(&(libc::AF_INET6 as u16).to_ne_bytes());
    s6[23] = 1;
    let n = sockaddr_to_netbsd(&s6).unwrap();
    assert_eq!((n[0], n[1], n.len()), (28, 24, 28));
    assert_eq!(sockaddr_from_netbsd(&n).unwrap(), s6);
    let mut un = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
    un.extend_from_slice(b"/tmp/s\0");
    let n = sockaddr_to_netbsd(&un).unwrap();
    assert_eq!(&n[1..], b"\x01/tmp/s\0");
    assert_eq!(sockaddr_from_netbsd(&n).unwrap(), un);
    assert_eq!(sockaddr_to_netbsd(&[0x11, 0]), Err(libc::EAFNOSUPPORT));
    assert_eq!(sockaddr_to_netbsd(&[2]), Err(libc::EINVAL));
    assert!(sockaddr_from_netbsd(&[]).is_none());
    assert_eq!(
        socket_type_to_netbsd(libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK),
        Ok(1 | 0x1000_0000 | 0x2000_0000)
    );
    assert_eq!(accept_flags_to_netbsd(libc::SOCK_CLOEXEC), Ok(0x1000_0000));
    assert_eq!(
        msg_flags_to_netbsd(libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL),
        Ok(0x80 | 0x400)
    );
    assert_eq!(msg_flags_to_netbsd(libc::MSG_MORE), Err(libc::EOPNOTSUPP));
    assert_eq!(msg_flags_to_linux(0x10), libc::MSG_TRUNC);
    assert_eq!(
        sockopt_to_netbsd(libc::SOL_SOCKET, libc::SO_RCVBUF),
        Some((0xffff, 0x1002))
    );
    assert_eq!(sockopt_to_netbsd(libc::SOL_SOCKET, libc::SO_PEERCRED), None);
}

#[test]
fn statvfs_fields() {
    let mut b = vec![0u8; NETBSD_STATVFS_LEN];
    b[0..8].copy_from_slice(&(0x1u64 | 0x8).to_ne_bytes());
    b[8..16].copy_from_slice(&4096u64.to_ne_bytes());
    b[16..24].copy_from_slice(&512u64.to_ne_bytes());
    b[32..40].copy_from_slice(&1000u64.to_ne_bytes());
    b[144..152].copy_from_slice(&255u64.to_ne_bytes());
    b[172..177].copy_from_slice(b"tmpfs");
    let v = statvfs_from_netbsd(&b).unwrap();
    assert_eq!(
        (v.f_bsize, v.f_frsize, v.f_blocks, v.f_namemax),
        (4096, 512, 1000, 255)
    );
    assert_eq!(v.f_flag, libc::ST_RDONLY | libc::ST_NOSUID);
    let f = statfs_from_netbsd(&b).unwrap();
    assert_eq!((f.f_type, f.f_bsize, f.f_namelen), (0x0102_1994, 512, 255));
    assert!(statvfs_from_netbsd(&b[..100]).is_none());
}
