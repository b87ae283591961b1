//! The parts of `struct stat` whose numbers differ: device numbers and
//! the mode of a symbolic link.

/// NetBSD's `major(dev)` and `minor(dev)`.
pub fn netbsd_major_minor(d: u64) -> (u32, u32) {
    let d = d as u32;
    (
        (d & 0x000f_ff00) >> 8,
        ((d & 0xfff0_0000) >> 12) | (d & 0xff),
    )
}

/// A NetBSD device number as Linux's (the same major and minor).
pub fn dev_to_linux(d: u64) -> u64 {
    let (ma, mi) = netbsd_major_minor(d);
    libc::makedev(ma, mi)
}

/// A Linux device number as NetBSD's.
pub fn dev_to_netbsd(d: u64) -> u64 {
    let (ma, mi) = (libc::major(d), libc::minor(d));
    u64::from(((ma << 8) & 0x000f_ff00) | ((mi << 12) & 0xfff0_0000) | (mi & 0xff))
}

/// A NetBSD mode as Linux shows it: the type and permission bits are the
/// same numbers, but a Linux symlink always shows every permission (it has
/// no mode of its own), where NetBSD's keeps 0777 less the creator's umask.
pub fn mode_to_linux(mode: u32) -> u32 {
    if mode & libc::S_IFMT == libc::S_IFLNK {
        mode | 0o777
    } else {
        mode
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_numbers_keep_major_and_minor() {
        // NetBSD's makedev(0x123, 0x6045), by its sys/types.h macro.
        let netbsd = 0x0601_2345;
        assert_eq!(netbsd_major_minor(netbsd), (0x123, 0x6045));
        assert_eq!(dev_to_linux(netbsd), libc::makedev(0x123, 0x6045));
        assert_eq!(dev_to_netbsd(libc::makedev(0x123, 0x6045)), netbsd);
    }

    #[test]
    fn only_a_symlink_shows_every_permission() {
        assert_eq!(mode_to_linux(0o120_755), 0o120_777);
        assert_eq!(mode_to_linux(0o100_640), 0o100_640);
        assert_eq!(mode_to_linux(0o040_700), 0o040_700);
    }
}
