//! `sys/dev/vndvar.h`: vnconfig's ioctls and their arguments (amd64).
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

use netbsd_abi::{IOC_IN, IOC_OUT, ioc};

/// `vnd_ioctl.vnd_file`, a pointer.
pub const VND_FILE: usize = 0;
/// `vnd_ioctl.vnd_flags`.
pub const VND_FLAGS: usize = 8;
/// `vnd_ioctl.vnd_geom`: four `u32`s.
pub const VND_GEOM: usize = 12;
/// `vnd_ioctl.vnd_size`.
pub const VND_SIZE: usize = 32;
/// `sizeof(struct vnd_ioctl)`.
pub const VND_IOCTL_SIZE: usize = 40;
/// `vnd_user.vnu_unit`.
pub const VNU_UNIT: usize = 0;
/// `vnd_user.vnu_dev`.
pub const VNU_DEV: usize = 8;
/// `vnd_user.vnu_ino`.
pub const VNU_INO: usize = 16;
/// `sizeof(struct vnd_user)`.
pub const VND_USER_SIZE: usize = 24;

/// `VNDIOF_HASGEOM`.
pub const VNDIOF_HASGEOM: u32 = 0x01;
/// `VNDIOF_READONLY`.
pub const VNDIOF_READONLY: u32 = 0x02;
/// `VNDIOF_FORCE`.
pub const VNDIOF_FORCE: u32 = 0x04;
/// `VNF_COMP`: a compressed image.
pub const VNF_COMP: u32 = 0x400;

/// `VNDIOCSET`: `_IOWR('F', 0, struct vnd_ioctl)`.
pub const VNDIOCSET: u64 = ioc(IOC_IN | IOC_OUT, b'F', 0, VND_IOCTL_SIZE);
/// `VNDIOCCLR`: `_IOW('F', 1, struct vnd_ioctl)`.
pub const VNDIOCCLR: u64 = ioc(IOC_IN, b'F', 1, VND_IOCTL_SIZE);
/// `VNDIOCGET`: `_IOWR('F', 3, struct vnd_user)`.
pub const VNDIOCGET: u64 = ioc(IOC_IN | IOC_OUT, b'F', 3, VND_USER_SIZE);
