//! `sys/disklabel.h` (amd64, 16 partitions): the label `DIOCGDINFO`
//! answers, read as a view over its bytes, and disklabel(8)'s names.
//!
//! ```text
//!   0 u32 d_magic       4 u16 d_type      6 u16 d_subtype
//!   8 char d_typename[16]                24 char d_packname[16]
//!  40 u32 d_secsize    44 u32 d_nsectors 48 u32 d_ntracks  52 u32 d_ncylinders
//!  56 u32 d_secpercyl  60 u32 d_secperunit
//!  64 u16 d_sparespertrack  66 u16 d_sparespercyl  68 u32 d_acylinders
//!  72 u16 d_rpm  74 u16 d_interleave  76 u16 d_trackskew  78 u16 d_cylskew
//!  80 u32 d_headswitch 84 u32 d_trkseek  88 u32 d_flags
//!  92 u32 d_drivedata[5]  112 u32 d_spare[5]  132 u32 d_magic2
//! 136 u16 d_checksum  138 u16 d_npartitions  140 u32 d_bbsize  144 u32 d_sbsize
//! 148 struct partition[16] { u32 p_size, p_offset, p_fsize (p_cdsession);
//!                            u8 p_fstype, p_frag; u16 p_cpg (p_sgs); }
//! (408 bytes in all, with the padding)
//! ```

use netbsd_abi::{IOC_OUT, ioc};

/// `MAXPARTITIONS` on amd64.
pub const MAXPARTITIONS: usize = 16;
/// `sizeof(struct partition)`.
pub const PARTITION_SIZE: usize = 16;
/// Where the partitions start.
pub const PARTITIONS: usize = 148;
/// `sizeof(struct disklabel)`: the partitions, then padding to the 8-byte
/// alignment that the `uint64_t` in `d_un` gives the structure.
pub const DISKLABEL_SIZE: usize = (PARTITIONS + MAXPARTITIONS * PARTITION_SIZE).next_multiple_of(8);
/// `NDDATA`: drive-specific words.
pub const NDDATA: usize = 5;

/// `DIOCGDINFO`: `_IOR('d', 101, struct disklabel)`.
pub const DIOCGDINFO: u64 = ioc(IOC_OUT, b'd', 101, DISKLABEL_SIZE);

/// `D_REMOVABLE`, `D_ECC`, `D_BADSECT` (`d_flags`).
pub const D_REMOVABLE: u32 = 0x01;
/// See [`D_REMOVABLE`].
pub const D_ECC: u32 = 0x02;
/// See [`D_REMOVABLE`].
pub const D_BADSECT: u32 = 0x04;

/// `FS_UNUSED`, `FS_BSDFFS`, `FS_BSDLFS`, `FS_ISO9660`, `FS_ADOS`,
/// `FS_EX2FS`, `FS_APPLEUFS`: the types whose columns differ.
pub const FS_UNUSED: u8 = 0;
/// See [`FS_UNUSED`].
pub const FS_BSDFFS: u8 = 7;
/// See [`FS_UNUSED`].
pub const FS_BSDLFS: u8 = 9;
/// See [`FS_UNUSED`].
pub const FS_ISO9660: u8 = 12;
/// See [`FS_UNUSED`].
pub const FS_ADOS: u8 = 14;
/// See [`FS_UNUSED`].
pub const FS_EX2FS: u8 = 17;
/// See [`FS_UNUSED`].
pub const FS_APPLEUFS: u8 = 22;

/// `dktypenames` (`DKTYPE_DEFN`), by `d_type`.
pub const DKTYPE_NAMES: [&str; 23] = [
    "unknown", "SMD", "MSCP", "old DEC", "SCSI", "ESDI", "ST506", "HP-IB", "HP-FL", "type 9",
    "floppy", "ccd", "vnd", "ATAPI", "RAID", "ld", "jfs", "cgd", "vinum", "flash", "dm", "rumpd",
    "md",
];

/// `fstypenames` (`FSTYPE_DEFN`), by `p_fstype`.
pub const FSTYPE_NAMES: [&str; 30] = [
    "unused",
    "swap",
    "Version 6",
    "Version 7",
    "System V",
    "4.1BSD",
    "Eighth Edition",
    "4.2BSD",
    "MSDOS",
    "4.4LFS",
    "unknown",
    "HPFS",
    "ISO9660",
    "boot",
    "ADOS",
    "HFS",
    "FILECORE",
    "Linux Ext2",
    "NTFS",
    "RAID",
    "ccd",
    "jfs",
    "Apple UFS",
    "vinum",
    "UDF",
    "SysVBFS",
    "EFS",
    "NiLFS",
    "cgd",
    "MINIX FSv3",
];

/// A disk label: `DISKLABEL_SIZE` bytes, checked once.
pub struct Label<'a>(&'a [u8]);

/// One partition of a label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    /// `p_size`, in sectors.
    pub size: u32,
    /// `p_offset`, in sectors.
    pub offset: u32,
    /// `p_fsize` (also `p_cdsession`).
    pub fsize: u32,
    /// `p_fstype`.
    pub fstype: u8,
    /// `p_frag`.
    pub frag: u8,
    /// `p_cpg` (also `p_sgs`).
    pub cpg: u16,
}

impl<'a> Label<'a> {
    /// A view over `b`; `None` if it is shorter than a label.
    pub fn new(b: &'a [u8]) -> Option<Label<'a>> {
        (b.len() >= DISKLABEL_SIZE).then_some(Label(b))
    }

    fn u16(&self, off: usize) -> u16 {
        u16::from_ne_bytes([self.0[off], self.0[off + 1]])
    }

    fn u32(&self, off: usize) -> u32 {
        crate::u32_at(self.0, off)
    }

    /// `d_type`.
    pub fn typ(&self) -> u16 {
        self.u16(4)
    }
    /// `d_typename`, up to its NUL.
    pub fn typename(&self) -> String {
        crate::cstr(&self.0[8..24])
    }
    /// `d_packname`, up to its NUL.
    pub fn packname(&self) -> String {
        crate::cstr(&self.0[24..40])
    }
    /// `d_secsize`.
    pub fn secsize(&self) -> u32 {
        self.u32(40)
    }
    /// `d_nsectors`.
    pub fn nsectors(&self) -> u32 {
        self.u32(44)
    }
    /// `d_ntracks`.
    pub fn ntracks(&self) -> u32 {
        self.u32(48)
    }
    /// `d_ncylinders`.
    pub fn ncylinders(&self) -> u32 {
        self.u32(52)
    }
    /// `d_secpercyl`.
    pub fn secpercyl(&self) -> u32 {
        self.u32(56)
    }
    /// `d_secperunit`.
    pub fn secperunit(&self) -> u32 {
        self.u32(60)
    }
    /// `d_rpm`.
    pub fn rpm(&self) -> u16 {
        self.u16(72)
    }
    /// `d_interleave`.
    pub fn interleave(&self) -> u16 {
        self.u16(74)
    }
    /// `d_trackskew`.
    pub fn trackskew(&self) -> u16 {
        self.u16(76)
    }
    /// `d_cylskew`.
    pub fn cylskew(&self) -> u16 {
        self.u16(78)
    }
    /// `d_headswitch`.
    pub fn headswitch(&self) -> u32 {
        self.u32(80)
    }
    /// `d_trkseek`.
    pub fn trkseek(&self) -> u32 {
        self.u32(84)
    }
    /// `d_flags`.
    pub fn flags(&self) -> u32 {
        self.u32(88)
    }
    /// `d_drivedata`.
    pub fn drivedata(&self) -> [u32; NDDATA] {
        std::array::from_fn(|i| self.u32(92 + 4 * i))
    }
    /// `d_npartitions`.
    pub fn npartitions(&self) -> u16 {
        self.u16(138)
    }
    /// `d_bbsize`.
    pub fn bbsize(&self) -> u32 {
        self.u32(140)
    }
    /// `d_sbsize`.
    pub fn sbsize(&self) -> u32 {
        self.u32(144)
    }
    /// Partition `i` (`i < MAXPARTITIONS`).
    pub fn partition(&self, i: usize) -> Partition {
        let o = PARTITIONS + i.min(MAXPARTITIONS - 1) * PARTITION_SIZE;
        Partition {
            size: self.u32(o),
            offset: self.u32(o + 4),
            fsize: self.u32(o + 8),
            fstype: self.0[o + 12],
            frag: self.0[o + 13],
            cpg: self.u16(o + 14),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dioc_gdinfo_is_netbsds() {
        // _IOR('d', 101, 408 bytes).
        assert_eq!(DISKLABEL_SIZE, 408);
        assert_eq!(DIOCGDINFO, 0x4198_6465);
    }

    #[test]
    fn a_label_reads_from_its_bytes() {
        let mut b = vec![0u8; DISKLABEL_SIZE];
        b[4..6].copy_from_slice(&12u16.to_ne_bytes());
        b[8..11].copy_from_slice(b"vnd");
        b[40..44].copy_from_slice(&512u32.to_ne_bytes());
        b[138..140].copy_from_slice(&4u16.to_ne_bytes());
        let p = PARTITIONS + 3 * PARTITION_SIZE;
        b[p..p + 4].copy_from_slice(&2048u32.to_ne_bytes());
        b[p + 12] = FS_BSDFFS;
        let l = Label::new(&b).unwrap();
        assert_eq!(
            (l.typ(), l.typename(), l.secsize()),
            (12, "vnd".into(), 512)
        );
        assert_eq!(l.npartitions(), 4);
        assert_eq!(l.partition(3).size, 2048);
        assert_eq!(l.partition(3).fstype, FS_BSDFFS);
        assert!(Label::new(&b[..100]).is_none());
    }
}
