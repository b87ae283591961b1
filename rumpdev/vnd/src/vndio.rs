//! vnconfig's ioctls and their arguments (`sys/dev/vndvar.h`), amd64.
//!
//! ```text
//! struct vnd_ioctl {               struct vnd_user {
//!    0 char *vnd_file;                0 int   vnu_unit;
//!    8 int   vnd_flags;               8 dev_t vnu_dev;
//!   12 struct vndgeom vnd_geom;      16 ino_t vnu_ino;
//!   28 u_int vnd_osize;            };                  24 bytes
//!   32 uint64_t vnd_size;
//! };                  40 bytes     struct vndgeom: secsize, nsectors,
//!                                  ntracks, ncylinders (u_int32_t each)
//! ```

use netbsd_abi::{Field, IOC_IN, IOC_OUT, ioc};

const fn f(offset: usize, size: usize) -> Field {
    Field::bytes(offset, size)
}

/// `struct vnd_ioctl`.
#[allow(non_upper_case_globals)]
pub mod vnd_ioctl {
    use super::{Field, f};
    /// `vnd_file`: the path, in the caller's memory.
    pub const vnd_file: Field = f(0, 8);
    /// `vnd_flags` (`VNDIOF_*`).
    pub const vnd_flags: Field = f(8, 4);
    /// `vnd_geom.vng_secsize`.
    pub const vng_secsize: Field = f(12, 4);
    /// `vnd_geom.vng_nsectors`.
    pub const vng_nsectors: Field = f(16, 4);
    /// `vnd_geom.vng_ntracks`.
    pub const vng_ntracks: Field = f(20, 4);
    /// `vnd_geom.vng_ncylinders`.
    pub const vng_ncylinders: Field = f(24, 4);
    /// `vnd_osize`: the size in bytes, cut to 32 bits (returned).
    pub const vnd_osize: Field = f(28, 4);
    /// `vnd_size`: the size in bytes (returned).
    pub const vnd_size: Field = f(32, 8);
    /// `sizeof(struct vnd_ioctl)`.
    pub const SIZE: usize = 40;
}

/// `struct vnd_user`.
#[allow(non_upper_case_globals)]
pub mod vnd_user {
    use super::{Field, f};
    /// `vnu_unit`: which unit (-1: the one the ioctl is made on).
    pub const vnu_unit: Field = f(0, 4);
    /// `vnu_dev`: the file system the backing file is on.
    pub const vnu_dev: Field = f(8, 8);
    /// `vnu_ino`: the backing file's inode (0: the unit is not in use).
    pub const vnu_ino: Field = f(16, 8);
    /// `sizeof(struct vnd_user)`.
    pub const SIZE: usize = 24;
}

/// `VNDIOF_HASGEOM`: use the geometry given.
pub const VNDIOF_HASGEOM: u32 = 0x01;
/// `VNDIOF_READONLY`: a read-only disk.
pub const VNDIOF_READONLY: u32 = 0x02;
/// `VNDIOF_FORCE`: clear even while open.
pub const VNDIOF_FORCE: u32 = 0x04;
/// `VNF_COMP`: the file is a compressed image (`vnconfig -z`).
pub const VNF_COMP: u32 = 0x400;

/// `VNDIOCSET`: `_IOWR('F', 0, struct vnd_ioctl)`.
pub const VNDIOCSET: u64 = ioc(IOC_IN | IOC_OUT, b'F', 0, vnd_ioctl::SIZE);
/// `VNDIOCCLR`: `_IOW('F', 1, struct vnd_ioctl)`.
pub const VNDIOCCLR: u64 = ioc(IOC_IN, b'F', 1, vnd_ioctl::SIZE);
/// `VNDIOCGET`: `_IOWR('F', 3, struct vnd_user)`.
pub const VNDIOCGET: u64 = ioc(IOC_IN | IOC_OUT, b'F', 3, vnd_user::SIZE);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_are_netbsds() {
        // _IOWR('F', 0, 40), _IOW('F', 1, 40), _IOWR('F', 3, 24).
        assert_eq!(VNDIOCSET, 0xc028_4600);
        assert_eq!(VNDIOCCLR, 0x8028_4601);
        assert_eq!(VNDIOCGET, 0xc018_4603);
    }
}
