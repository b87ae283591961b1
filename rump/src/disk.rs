//! NetBSD's disk label structures and disk ioctls (`sys/disklabel.h`,
//! `sys/dkio.h`, amd64), shared by every disk of the kernel: the device
//! faction's disk layer and the VFS's etfs disks (rumpblk).
//!
//! ```text
//!   0 d_magic        4 d_type  6 d_subtype   8 d_typename[16]
//!  24 d_packname[16] (a union with the boot names, 8-byte aligned)
//!  40 d_secsize  44 d_nsectors  48 d_ntracks  52 d_ncylinders
//!  56 d_secpercyl  60 d_secperunit  64 d_sparespertrack  66 d_sparespercyl
//!  68 d_acylinders  72 d_rpm  74 d_interleave  76 d_trackskew  78 d_cylskew
//!  80 d_headswitch  84 d_trkseek  88 d_flags  92 d_drivedata[5]  112 d_spare[5]
//! 132 d_magic2  136 d_checksum  138 d_npartitions  140 d_bbsize  144 d_sbsize
//! 148 d_partitions[16], 16 bytes each; 404 padded to 408
//! ```

use netbsd_abi::{Field, IOC_IN, IOC_OUT, ioc};

/// `MAXPARTITIONS` (`arch/amd64/include/disklabel.h`).
pub const MAXPARTITIONS: usize = 16;
/// `DISKMAGIC` (`sys/disklabel.h`).
pub const DISKMAGIC: u32 = 0x8256_4557;
/// `BLKDEV_IOSIZE` (`arch/amd64/include/param.h`).
pub const BLKDEV_IOSIZE: u32 = 2048;

/// The fields of `struct disklabel`.
#[allow(non_upper_case_globals)]
pub mod disklabel {
    use super::{Field, MAXPARTITIONS};
    /// `d_magic`.
    pub const d_magic: Field = Field::bytes(0, 4);
    /// `d_type`.
    pub const d_type: Field = Field::bytes(4, 2);
    /// `d_subtype`.
    pub const d_subtype: Field = Field::bytes(6, 2);
    /// `d_typename[16]`.
    pub const d_typename: Field = Field::bytes(8, 16);
    /// `d_packname[16]` (a union with the boot names, 8-byte aligned).
    pub const d_packname: Field = Field::bytes(24, 16);
    /// `d_secsize`.
    pub const d_secsize: Field = Field::bytes(40, 4);
    /// `d_nsectors`: sectors per track.
    pub const d_nsectors: Field = Field::bytes(44, 4);
    /// `d_ntracks`: tracks per cylinder.
    pub const d_ntracks: Field = Field::bytes(48, 4);
    /// `d_ncylinders`.
    pub const d_ncylinders: Field = Field::bytes(52, 4);
    /// `d_secpercyl`.
    pub const d_secpercyl: Field = Field::bytes(56, 4);
    /// `d_secperunit`.
    pub const d_secperunit: Field = Field::bytes(60, 4);
    /// `d_rpm`.
    pub const d_rpm: Field = Field::bytes(72, 2);
    /// `d_interleave`.
    pub const d_interleave: Field = Field::bytes(74, 2);
    /// `d_flags`.
    pub const d_flags: Field = Field::bytes(88, 4);
    /// `d_magic2`.
    pub const d_magic2: Field = Field::bytes(132, 4);
    /// `d_checksum`.
    pub const d_checksum: Field = Field::bytes(136, 2);
    /// `d_npartitions`.
    pub const d_npartitions: Field = Field::bytes(138, 2);
    /// `d_bbsize`.
    pub const d_bbsize: Field = Field::bytes(140, 4);
    /// `d_sbsize`.
    pub const d_sbsize: Field = Field::bytes(144, 4);
    /// Where `d_partitions[0]` starts.
    pub const d_partitions: usize = 148;
    /// `sizeof(struct disklabel)`: the partitions, then padding to the
    /// 8-byte alignment `d_un`'s `uint64_t` gives the structure.
    pub const SIZE: usize =
        (d_partitions + MAXPARTITIONS * super::partition::SIZE).next_multiple_of(8);
}

/// The fields of `struct partition`.
#[allow(non_upper_case_globals)]
pub mod partition {
    use super::Field;
    /// `p_size`, in sectors.
    pub const p_size: Field = Field::bytes(0, 4);
    /// `p_offset`, in sectors.
    pub const p_offset: Field = Field::bytes(4, 4);
    /// `p_fsize` (a union with `cdsession`).
    pub const p_fsize: Field = Field::bytes(8, 4);
    /// `p_fstype` (`FS_UNUSED` is 0).
    pub const p_fstype: Field = Field::bytes(12, 1);
    /// `p_frag`.
    pub const p_frag: Field = Field::bytes(13, 1);
    /// `p_cpg` (a union with `sgs`).
    pub const p_cpg: Field = Field::bytes(14, 2);
    /// `sizeof(struct partition)`.
    pub const SIZE: usize = 16;
}

/// The fields of `struct partinfo` (the form of NetBSD 7.99).
#[allow(non_upper_case_globals)]
pub mod partinfo {
    use super::Field;
    /// `pi_offset`.
    pub const pi_offset: Field = Field::bytes(0, 8);
    /// `pi_size`.
    pub const pi_size: Field = Field::bytes(8, 8);
    /// `pi_secsize`.
    pub const pi_secsize: Field = Field::bytes(16, 4);
    /// `pi_bsize`.
    pub const pi_bsize: Field = Field::bytes(20, 4);
    /// `pi_fstype`.
    pub const pi_fstype: Field = Field::bytes(24, 1);
    /// `pi_frag`.
    pub const pi_frag: Field = Field::bytes(25, 1);
    /// `pi_cpg`.
    pub const pi_cpg: Field = Field::bytes(26, 2);
    /// `pi_fsize`.
    pub const pi_fsize: Field = Field::bytes(28, 4);
    /// `sizeof(struct partinfo)`.
    pub const SIZE: usize = 32;
}

/// `DIOCGDINFO`: `_IOR('d', 101, struct disklabel)`.
pub const DIOCGDINFO: u64 = ioc(IOC_OUT, b'd', 101, disklabel::SIZE);
/// `DIOCSDINFO`: `_IOW('d', 102, struct disklabel)`.
pub const DIOCSDINFO: u64 = ioc(IOC_IN, b'd', 102, disklabel::SIZE);
/// `DIOCWDINFO`: `_IOW('d', 103, struct disklabel)`.
pub const DIOCWDINFO: u64 = ioc(IOC_IN, b'd', 103, disklabel::SIZE);
/// `DIOCGPARTINFO`: `_IOW('d', 104, struct partinfo)`, for the kernel's
/// own use (nothing is copied out to a caller).
pub const DIOCGPARTINFO: u64 = ioc(IOC_IN, b'd', 104, partinfo::SIZE);
/// `DIOCWLABEL`: `_IOW('d', 109, int)`.
pub const DIOCWLABEL: u64 = ioc(IOC_IN, b'd', 109, 4);
/// `DIOCGDEFLABEL`: `_IOR('d', 114, struct disklabel)`.
pub const DIOCGDEFLABEL: u64 = ioc(IOC_OUT, b'd', 114, disklabel::SIZE);
/// `DIOCCACHESYNC`: `_IOW('d', 118, int)`.
pub const DIOCCACHESYNC: u64 = ioc(IOC_IN, b'd', 118, 4);
/// `DIOCKLABEL`: `_IOW('d', 119, int)`.
pub const DIOCKLABEL: u64 = ioc(IOC_IN, b'd', 119, 4);
/// `DIOCGMEDIASIZE`: `_IOR('d', 132, off_t)`.
pub const DIOCGMEDIASIZE: u64 = ioc(IOC_OUT, b'd', 132, 8);
/// `DIOCGSECTORSIZE`: `_IOR('d', 133, u_int)`.
pub const DIOCGSECTORSIZE: u64 = ioc(IOC_OUT, b'd', 133, 4);
