//! fcntl(2): its commands and `struct flock`.

use netbsd_abi::layout::flock;

/// NetBSD's number for a Linux `fcntl` command; `None` for commands NetBSD
/// lacks (leases, notifications, seals, pipe sizes, OFD locks).
pub fn fcntl_cmd_to_netbsd(cmd: i32) -> Option<i32> {
    Some(match cmd {
        libc::F_DUPFD => netbsd_abi::F_DUPFD,
        libc::F_GETFD => netbsd_abi::F_GETFD,
        libc::F_SETFD => netbsd_abi::F_SETFD,
        libc::F_GETFL => netbsd_abi::F_GETFL,
        libc::F_SETFL => netbsd_abi::F_SETFL,
        libc::F_GETOWN => netbsd_abi::F_GETOWN,
        libc::F_SETOWN => netbsd_abi::F_SETOWN,
        libc::F_GETLK => netbsd_abi::F_GETLK,
        libc::F_SETLK => netbsd_abi::F_SETLK,
        libc::F_SETLKW => netbsd_abi::F_SETLKW,
        libc::F_DUPFD_CLOEXEC => netbsd_abi::F_DUPFD_CLOEXEC,
        _ => return None,
    })
}

/// `sizeof(struct flock)` on NetBSD.
pub const NETBSD_FLOCK_LEN: usize = flock::SIZE;

/// Lock types: (Linux, NetBSD).
const LOCK_TYPES: &[(i16, i16)] = &[
    (libc::F_RDLCK as i16, netbsd_abi::F_RDLCK as i16),
    (libc::F_UNLCK as i16, netbsd_abi::F_UNLCK as i16),
    (libc::F_WRLCK as i16, netbsd_abi::F_WRLCK as i16),
];

/// A Linux `struct flock` as NetBSD's (l_start, l_len, l_pid, l_type,
/// l_whence). An unknown lock type goes as -1, which the kernel refuses.
pub fn flock_to_netbsd(l: &libc::flock) -> [u8; NETBSD_FLOCK_LEN] {
    let typ = LOCK_TYPES
        .iter()
        .find(|&&(a, _)| a == l.l_type)
        .map_or(-1, |&(_, b)| b);
    let mut b = [0u8; NETBSD_FLOCK_LEN];
    flock::l_start.put(&mut b, l.l_start as u64);
    flock::l_len.put(&mut b, l.l_len as u64);
    flock::l_pid.put(&mut b, l.l_pid as u32 as u64);
    flock::l_type.put(&mut b, typ as u16 as u64);
    flock::l_whence.put(&mut b, l.l_whence as u16 as u64);
    b
}

/// NetBSD's `struct flock` as Linux's.
pub fn flock_from_netbsd(b: &[u8]) -> Option<libc::flock> {
    let typ = flock::l_type.get(b)? as u16 as i16;
    let mut l = zeroed_flock();
    l.l_start = flock::l_start.get(b)? as i64;
    l.l_len = flock::l_len.get(b)? as i64;
    l.l_pid = flock::l_pid.get(b)? as u32 as i32;
    l.l_type = LOCK_TYPES.iter().find(|&&(_, n)| n == typ)?.0;
    l.l_whence = flock::l_whence.get(b)? as u16 as i16;
    Some(l)
}

pub(super) fn zeroed_flock() -> libc::flock {
    libc::flock {
        l_type: 0,
        l_whence: 0,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    }
}
