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

use netbsd_abi::{IOC_IN, IOC_OUT, ioc};

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
/// `DIOCSDINFO`: `_IOW('d', 102, struct disklabel)`: set the label in core.
pub const DIOCSDINFO: u64 = ioc(IOC_IN, b'd', 102, DISKLABEL_SIZE);
/// `DIOCWDINFO`: `_IOW('d', 103, struct disklabel)`: set it and write it
/// to the medium.
pub const DIOCWDINFO: u64 = ioc(IOC_IN, b'd', 103, DISKLABEL_SIZE);
/// `DIOCWLABEL`: `_IOW('d', 109, int)`: the label sector may be written.
pub const DIOCWLABEL: u64 = ioc(IOC_IN, b'd', 109, 4);

/// `DISKMAGIC` (`sys/disklabel.h`).
pub const DISKMAGIC: u32 = 0x8256_4557;
/// `BBSIZE` (disklabel's `main.c`): the boot area a protofile's label
/// says it has.
pub const BBSIZE: u32 = 8192;
/// `SBLOCKSIZE` (`ufs/ffs/fs.h`): the super block size it says.
pub const SBLOCKSIZE: u32 = 8192;

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

/// Where each field of `struct disklabel` lies (the picture above).
mod field {
    pub const D_MAGIC: usize = 0;
    pub const D_TYPE: usize = 4;
    pub const D_TYPENAME: std::ops::Range<usize> = 8..24;
    pub const D_PACKNAME: std::ops::Range<usize> = 24..40;
    pub const D_SECSIZE: usize = 40;
    pub const D_NSECTORS: usize = 44;
    pub const D_NTRACKS: usize = 48;
    pub const D_NCYLINDERS: usize = 52;
    pub const D_SECPERCYL: usize = 56;
    pub const D_SECPERUNIT: usize = 60;
    pub const D_RPM: usize = 72;
    pub const D_INTERLEAVE: usize = 74;
    pub const D_TRACKSKEW: usize = 76;
    pub const D_CYLSKEW: usize = 78;
    pub const D_HEADSWITCH: usize = 80;
    pub const D_TRKSEEK: usize = 84;
    pub const D_FLAGS: usize = 88;
    pub const D_DRIVEDATA: usize = 92;
    pub const D_MAGIC2: usize = 132;
    pub const D_CHECKSUM: usize = 136;
    pub const D_NPARTITIONS: usize = 138;
    pub const D_BBSIZE: usize = 140;
    pub const D_SBSIZE: usize = 144;
    /// Within a `struct partition`.
    pub const P_SIZE: usize = 0;
    pub const P_OFFSET: usize = 4;
    pub const P_FSIZE: usize = 8;
    pub const P_FSTYPE: usize = 12;
    pub const P_FRAG: usize = 13;
    pub const P_CPG: usize = 14;
}
use field::*;

/// A disk label: a view over at least `DISKLABEL_SIZE` bytes, checked
/// once; read-only over `&[u8]`, writable over an owned array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label<T>(T);

/// One partition of a label.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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

/// A label of our own, every field zero (NetBSD's static `lab`).
pub type OwnedLabel = Label<[u8; DISKLABEL_SIZE]>;

impl OwnedLabel {
    /// A label with every field zero.
    pub fn zeroed() -> OwnedLabel {
        Label([0; DISKLABEL_SIZE])
    }
}

impl<T: AsRef<[u8]>> Label<T> {
    /// A view over `b`; `None` if it is shorter than a label.
    pub fn new(b: T) -> Option<Label<T>> {
        (b.as_ref().len() >= DISKLABEL_SIZE).then_some(Label(b))
    }

    /// The label's bytes, as the ioctls pass them.
    pub fn bytes(&self) -> &[u8] {
        &self.0.as_ref()[..DISKLABEL_SIZE]
    }

    fn u16(&self, off: usize) -> u16 {
        let b = self.0.as_ref();
        u16::from_ne_bytes([b[off], b[off + 1]])
    }

    fn u32(&self, off: usize) -> u32 {
        crate::u32_at(self.0.as_ref(), off)
    }

    /// `d_magic`.
    pub fn magic(&self) -> u32 {
        self.u32(D_MAGIC)
    }
    /// `d_type`.
    pub fn typ(&self) -> u16 {
        self.u16(D_TYPE)
    }
    /// `d_typename`, up to its NUL.
    pub fn typename(&self) -> String {
        crate::cstr(&self.0.as_ref()[D_TYPENAME])
    }
    /// `d_packname`, up to its NUL.
    pub fn packname(&self) -> String {
        crate::cstr(&self.0.as_ref()[D_PACKNAME])
    }
    /// `d_secsize`.
    pub fn secsize(&self) -> u32 {
        self.u32(D_SECSIZE)
    }
    /// `d_nsectors`.
    pub fn nsectors(&self) -> u32 {
        self.u32(D_NSECTORS)
    }
    /// `d_ntracks`.
    pub fn ntracks(&self) -> u32 {
        self.u32(D_NTRACKS)
    }
    /// `d_ncylinders`.
    pub fn ncylinders(&self) -> u32 {
        self.u32(D_NCYLINDERS)
    }
    /// `d_secpercyl`.
    pub fn secpercyl(&self) -> u32 {
        self.u32(D_SECPERCYL)
    }
    /// `d_secperunit`.
    pub fn secperunit(&self) -> u32 {
        self.u32(D_SECPERUNIT)
    }
    /// `d_rpm`.
    pub fn rpm(&self) -> u16 {
        self.u16(D_RPM)
    }
    /// `d_interleave`.
    pub fn interleave(&self) -> u16 {
        self.u16(D_INTERLEAVE)
    }
    /// `d_trackskew`.
    pub fn trackskew(&self) -> u16 {
        self.u16(D_TRACKSKEW)
    }
    /// `d_cylskew`.
    pub fn cylskew(&self) -> u16 {
        self.u16(D_CYLSKEW)
    }
    /// `d_headswitch`.
    pub fn headswitch(&self) -> u32 {
        self.u32(D_HEADSWITCH)
    }
    /// `d_trkseek`.
    pub fn trkseek(&self) -> u32 {
        self.u32(D_TRKSEEK)
    }
    /// `d_flags`.
    pub fn flags(&self) -> u32 {
        self.u32(D_FLAGS)
    }
    /// `d_drivedata`.
    pub fn drivedata(&self) -> [u32; NDDATA] {
        std::array::from_fn(|i| self.u32(D_DRIVEDATA + 4 * i))
    }
    /// `d_magic2`.
    pub fn magic2(&self) -> u32 {
        self.u32(D_MAGIC2)
    }
    /// `d_checksum`.
    pub fn checksum(&self) -> u16 {
        self.u16(D_CHECKSUM)
    }
    /// `d_npartitions`.
    pub fn npartitions(&self) -> u16 {
        self.u16(D_NPARTITIONS)
    }
    /// `d_bbsize`.
    pub fn bbsize(&self) -> u32 {
        self.u32(D_BBSIZE)
    }
    /// `d_sbsize`.
    pub fn sbsize(&self) -> u32 {
        self.u32(D_SBSIZE)
    }
    /// Partition `i` (`i < MAXPARTITIONS`).
    pub fn partition(&self, i: usize) -> Partition {
        let o = PARTITIONS + i.min(MAXPARTITIONS - 1) * PARTITION_SIZE;
        let b = self.0.as_ref();
        Partition {
            size: self.u32(o + P_SIZE),
            offset: self.u32(o + P_OFFSET),
            fsize: self.u32(o + P_FSIZE),
            fstype: b[o + P_FSTYPE],
            frag: b[o + P_FRAG],
            cpg: self.u16(o + P_CPG),
        }
    }

    /// `dkcksum`: the XOR of the 16-bit words up to the end of partition
    /// `d_npartitions` (at most `MAXPARTITIONS`, where the label ends).
    pub fn dkcksum(&self) -> u16 {
        let parts = usize::from(self.npartitions()).min(MAXPARTITIONS);
        self.bytes()[..PARTITIONS + parts * PARTITION_SIZE]
            .chunks_exact(2)
            .fold(0, |sum, w| sum ^ u16::from_ne_bytes([w[0], w[1]]))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Label<T> {
    fn set_u16(&mut self, off: usize, v: u16) {
        self.0.as_mut()[off..off + 2].copy_from_slice(&v.to_ne_bytes());
    }

    fn set_u32(&mut self, off: usize, v: u32) {
        crate::put_u32(self.0.as_mut(), off, v);
    }

    /// Store a name as C's `strncpy` does into a 16-byte field: cut at 16
    /// bytes (without a NUL then), NUL-padded otherwise.
    fn set_name(&mut self, range: std::ops::Range<usize>, name: &[u8]) {
        let dst = &mut self.0.as_mut()[range];
        dst.fill(0);
        let n = name.len().min(dst.len());
        dst[..n].copy_from_slice(&name[..n]);
    }

    /// `d_magic`.
    pub fn set_magic(&mut self, v: u32) {
        self.set_u32(D_MAGIC, v);
    }
    /// `d_type`.
    pub fn set_typ(&mut self, v: u16) {
        self.set_u16(D_TYPE, v);
    }
    /// `d_typename` (`strncpy`).
    pub fn set_typename(&mut self, name: &[u8]) {
        self.set_name(D_TYPENAME, name);
    }
    /// `d_packname` (`strncpy`).
    pub fn set_packname(&mut self, name: &[u8]) {
        self.set_name(D_PACKNAME, name);
    }
    /// `d_secsize`.
    pub fn set_secsize(&mut self, v: u32) {
        self.set_u32(D_SECSIZE, v);
    }
    /// `d_nsectors`.
    pub fn set_nsectors(&mut self, v: u32) {
        self.set_u32(D_NSECTORS, v);
    }
    /// `d_ntracks`.
    pub fn set_ntracks(&mut self, v: u32) {
        self.set_u32(D_NTRACKS, v);
    }
    /// `d_ncylinders`.
    pub fn set_ncylinders(&mut self, v: u32) {
        self.set_u32(D_NCYLINDERS, v);
    }
    /// `d_secpercyl`.
    pub fn set_secpercyl(&mut self, v: u32) {
        self.set_u32(D_SECPERCYL, v);
    }
    /// `d_secperunit`.
    pub fn set_secperunit(&mut self, v: u32) {
        self.set_u32(D_SECPERUNIT, v);
    }
    /// `d_rpm`.
    pub fn set_rpm(&mut self, v: u16) {
        self.set_u16(D_RPM, v);
    }
    /// `d_interleave`.
    pub fn set_interleave(&mut self, v: u16) {
        self.set_u16(D_INTERLEAVE, v);
    }
    /// `d_trackskew`.
    pub fn set_trackskew(&mut self, v: u16) {
        self.set_u16(D_TRACKSKEW, v);
    }
    /// `d_cylskew`.
    pub fn set_cylskew(&mut self, v: u16) {
        self.set_u16(D_CYLSKEW, v);
    }
    /// `d_headswitch`.
    pub fn set_headswitch(&mut self, v: u32) {
        self.set_u32(D_HEADSWITCH, v);
    }
    /// `d_trkseek`.
    pub fn set_trkseek(&mut self, v: u32) {
        self.set_u32(D_TRKSEEK, v);
    }
    /// `d_flags`.
    pub fn set_flags(&mut self, v: u32) {
        self.set_u32(D_FLAGS, v);
    }
    /// `d_drivedata[i]` (`i < NDDATA`).
    pub fn set_drivedata(&mut self, i: usize, v: u32) {
        self.set_u32(D_DRIVEDATA + 4 * i.min(NDDATA - 1), v);
    }
    /// `d_magic2`.
    pub fn set_magic2(&mut self, v: u32) {
        self.set_u32(D_MAGIC2, v);
    }
    /// `d_checksum`.
    pub fn set_checksum(&mut self, v: u16) {
        self.set_u16(D_CHECKSUM, v);
    }
    /// `d_npartitions`.
    pub fn set_npartitions(&mut self, v: u16) {
        self.set_u16(D_NPARTITIONS, v);
    }
    /// `d_bbsize`.
    pub fn set_bbsize(&mut self, v: u32) {
        self.set_u32(D_BBSIZE, v);
    }
    /// `d_sbsize`.
    pub fn set_sbsize(&mut self, v: u32) {
        self.set_u32(D_SBSIZE, v);
    }
    /// Partition `i` (`i < MAXPARTITIONS`).
    pub fn set_partition(&mut self, i: usize, p: Partition) {
        let o = PARTITIONS + i.min(MAXPARTITIONS - 1) * PARTITION_SIZE;
        self.set_u32(o + P_SIZE, p.size);
        self.set_u32(o + P_OFFSET, p.offset);
        self.set_u32(o + P_FSIZE, p.fsize);
        self.0.as_mut()[o + P_FSTYPE] = p.fstype;
        self.0.as_mut()[o + P_FRAG] = p.frag;
        self.set_u16(o + P_CPG, p.cpg);
    }

    /// What `write_label` does before the label goes to the kernel: both
    /// magic numbers, and the checksum over the label as it now is.
    pub fn seal(&mut self) {
        self.set_magic(DISKMAGIC);
        self.set_magic2(DISKMAGIC);
        self.set_checksum(0);
        let sum = self.dkcksum();
        self.set_checksum(sum);
    }
}

/// `checklabel`: warn (through `warn`) of what is wrong with a label,
/// fill in what can be derived (sectors per cylinder and per unit, more
/// partitions when one past the count is in use), and count the errors.
/// `maxpartitions` is what the kernel says it has (`getmaxpartitions`:
/// `u32::MAX` when it does not say, as NetBSD's rump kernel does not).
pub fn checklabel<T: AsRef<[u8]> + AsMut<[u8]>>(
    l: &mut Label<T>,
    maxpartitions: u32,
    warn: &mut dyn FnMut(String),
) -> u32 {
    if l.secsize() == 0 {
        warn(format!("sector size {}", l.secsize()));
        return 1;
    }
    if l.nsectors() == 0 {
        warn(format!("sectors/track {}", l.nsectors()));
        return 1;
    }
    if l.ntracks() == 0 {
        warn(format!("tracks/cylinder {}", l.ntracks()));
        return 1;
    }
    let mut errors = 0;
    if l.ncylinders() == 0 {
        warn(format!("cylinders/unit {}", l.ncylinders()));
        errors += 1;
    }
    if l.rpm() == 0 {
        warn(format!("warning, revolutions/minute {}", l.rpm()));
    }
    if l.secpercyl() == 0 {
        l.set_secpercyl(l.nsectors().wrapping_mul(l.ntracks()));
    }
    if l.secperunit() == 0 {
        l.set_secperunit(l.secpercyl().wrapping_mul(l.ncylinders()));
    }
    if l.bbsize() == 0 {
        warn(format!("boot block size {}", l.bbsize()));
        errors += 1;
    } else if !l.bbsize().is_multiple_of(l.secsize()) {
        warn("warning, boot block size % sector-size != 0".into());
    }
    if l.sbsize() == 0 {
        warn(format!("super block size {}", l.sbsize()));
        errors += 1;
    } else if !l.sbsize().is_multiple_of(l.secsize()) {
        warn("warning, super block size % sector-size != 0".into());
    }
    let npart = l.npartitions();
    if u32::from(npart) > maxpartitions {
        warn(format!(
            "warning, number of partitions ({npart}) > MAXPARTITIONS ({})",
            maxpartitions as i32
        ));
    } else {
        // C counts down from maxpartitions - 1 in an int: from -2 when the
        // kernel gave no count, so not at all. Entries past the label's
        // own are none.
        let top = (maxpartitions.wrapping_sub(1) as i32).min(MAXPARTITIONS as i32 - 1);
        for i in (i32::from(npart)..=top).rev() {
            let i = i as usize;
            let p = l.partition(i);
            if p.size != 0 || p.offset != 0 {
                warn(format!(
                    "warning, partition {} increased number of partitions from {npart} to {}",
                    part_letter(i),
                    i + 1
                ));
                l.set_npartitions(i as u16 + 1);
                break;
            }
        }
    }
    let unit = l.secperunit();
    // NetBSD walks d_npartitions entries; past MAXPARTITIONS the label
    // has none, so the walk stops where the label ends.
    let npart = usize::from(l.npartitions()).min(MAXPARTITIONS);
    for i in 0..npart {
        let part = part_letter(i);
        let p = l.partition(i);
        if p.size == 0 && p.offset != 0 {
            warn(format!(
                "warning, partition {part}: size 0, but offset {}",
                p.offset
            ));
        }
        if p.offset > unit {
            warn(format!("partition {part}: offset past end of unit"));
            errors += 1;
        }
        // C adds the two u32s and wraps.
        if p.offset.wrapping_add(p.size) > unit {
            warn(format!(
                "partition {part}: partition extends past end of unit"
            ));
            errors += 1;
        }
        if p.fstype != FS_UNUSED {
            for j in i + 1..npart {
                let q = l.partition(j);
                if q.fstype == FS_UNUSED {
                    continue;
                }
                if p.offset < q.offset.wrapping_add(q.size)
                    && q.offset < p.offset.wrapping_add(p.size)
                {
                    warn(format!("partitions {part} and {} overlap", part_letter(j)));
                }
            }
        }
    }
    errors
}

/// The letter of partition `i`.
pub fn part_letter(i: usize) -> char {
    char::from(b'a' + (i % 26) as u8)
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
