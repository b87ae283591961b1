//! NetBSD's disk label (`struct disklabel`, `sys/sys/disklabel.h`) as a
//! checked view over its 408 bytes on amd64, with `dkcksum`.
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
//!
//! Integers are in the host's (little-endian) order, as the kernel keeps
//! them; a label of the other byte order is not one NetBSD's amd64 kernel
//! reads either.

use netbsd_abi::Field;
pub use rump::disk::{DISKMAGIC, MAXPARTITIONS, disklabel, partition};

/// `FS_UNUSED` (`sys/disklabel.h`'s `FSTYPE_DEFN`).
pub const FS_UNUSED: u8 = 0;
/// `FS_SWAP`.
pub const FS_SWAP: u8 = 1;
/// `FS_BSDFFS` ("4.2BSD").
pub const FS_BSDFFS: u8 = 7;
/// `FS_MSDOS`.
pub const FS_MSDOS: u8 = 8;
/// `FS_OTHER` ("unknown").
pub const FS_OTHER: u8 = 10;
/// `FS_EX2FS`.
pub const FS_EX2FS: u8 = 17;
/// `FS_NTFS`.
pub const FS_NTFS: u8 = 18;
/// `FS_APPLEUFS`.
pub const FS_APPLEUFS: u8 = 22;
/// `FS_MINIXFS3`.
pub const FS_MINIXFS3: u8 = 29;
/// `DKTYPE_VND` (`sys/disklabel.h`'s `DKTYPE_DEFN`): a vnode disk.
pub const DKTYPE_VND: u16 = 12;

/// One `struct partition`, decoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Partition {
    /// Sectors in the partition.
    pub size: u32,
    /// The first sector.
    pub offset: u32,
    /// Fragment size of the file system on it.
    pub fsize: u32,
    /// `FS_*` type.
    pub fstype: u8,
    /// Fragments per block.
    pub frag: u8,
    /// Cylinders per group.
    pub cpg: u16,
}

/// A disk label: always [`disklabel::SIZE`] bytes, so that no accessor can
/// fail; fields come out as the bytes say, however wrong (the checks that
/// matter are [`Disklabel::is_valid`]'s).
#[derive(Clone, PartialEq, Eq)]
pub struct Disklabel {
    bytes: [u8; disklabel::SIZE],
}

impl std::fmt::Debug for Disklabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Disklabel")
            .field("magic", &self.get(disklabel::d_magic))
            .field("secsize", &self.secsize())
            .field("secperunit", &self.get(disklabel::d_secperunit))
            .field("npartitions", &self.npartitions())
            .finish()
    }
}

impl Default for Disklabel {
    fn default() -> Self {
        Disklabel {
            bytes: [0; disklabel::SIZE],
        }
    }
}

impl Disklabel {
    /// The label in the first [`disklabel::SIZE`] bytes of `b`; `None`
    /// when `b` is shorter.
    pub fn from_bytes(b: &[u8]) -> Option<Disklabel> {
        let bytes = b.get(..disklabel::SIZE)?.try_into().ok()?;
        Some(Disklabel { bytes })
    }

    /// The label's bytes, as `DIOCGDINFO` copies them out.
    pub fn as_bytes(&self) -> &[u8; disklabel::SIZE] {
        &self.bytes
    }

    /// A field's value (every field lies inside the label).
    pub fn get(&self, f: Field) -> u64 {
        f.get(&self.bytes).unwrap_or(0)
    }

    /// Store a field, cut to its width as C's stores are.
    pub fn set(&mut self, f: Field, v: u64) {
        f.put(&mut self.bytes, v);
    }

    /// Store a NUL-padded name field (`strncpy`).
    pub fn set_name(&mut self, f: Field, name: &str) {
        let dst = &mut self.bytes[f.range()];
        dst.fill(0);
        let n = name.len().min(dst.len());
        dst[..n].copy_from_slice(&name.as_bytes()[..n]);
    }

    /// `d_secsize`.
    pub fn secsize(&self) -> u32 {
        self.get(disklabel::d_secsize) as u32
    }

    /// `d_npartitions` as stored (may exceed [`MAXPARTITIONS`] in a bad
    /// label).
    pub fn npartitions(&self) -> usize {
        self.get(disklabel::d_npartitions) as usize
    }

    fn part_range(i: usize) -> std::ops::Range<usize> {
        let at = disklabel::d_partitions + i * partition::SIZE;
        at..at + partition::SIZE
    }

    /// Partition `i` (`i < MAXPARTITIONS`; others read as empty).
    pub fn partition(&self, i: usize) -> Partition {
        if i >= MAXPARTITIONS {
            return Partition::default();
        }
        let p = &self.bytes[Self::part_range(i)];
        let g = |f: Field| f.get(p).unwrap_or(0);
        Partition {
            size: g(partition::p_size) as u32,
            offset: g(partition::p_offset) as u32,
            fsize: g(partition::p_fsize) as u32,
            fstype: g(partition::p_fstype) as u8,
            frag: g(partition::p_frag) as u8,
            cpg: g(partition::p_cpg) as u16,
        }
    }

    /// Store partition `i` (ignored past [`MAXPARTITIONS`], where the
    /// label has no room).
    pub fn set_partition(&mut self, i: usize, p: Partition) {
        if i >= MAXPARTITIONS {
            return;
        }
        let b = &mut self.bytes[Self::part_range(i)];
        partition::p_size.put(b, u64::from(p.size));
        partition::p_offset.put(b, u64::from(p.offset));
        partition::p_fsize.put(b, u64::from(p.fsize));
        partition::p_fstype.put(b, u64::from(p.fstype));
        partition::p_frag.put(b, u64::from(p.frag));
        partition::p_cpg.put(b, u64::from(p.cpg));
    }

    /// `dkcksum_sized`: the XOR of the 16-bit words from the start up to
    /// partition `npartitions` (at most [`MAXPARTITIONS`]).
    pub fn checksum_sized(&self, npartitions: usize) -> u16 {
        let end = disklabel::d_partitions + npartitions.min(MAXPARTITIONS) * partition::SIZE;
        self.bytes[..end]
            .chunks_exact(2)
            .fold(0, |sum, w| sum ^ u16::from_le_bytes([w[0], w[1]]))
    }

    /// `dkcksum`: over the label's own partitions. A label that claims
    /// more than [`MAXPARTITIONS`] has no sum NetBSD could take without
    /// reading past it: such a label is never valid.
    pub fn checksum(&self) -> u16 {
        self.checksum_sized(self.npartitions())
    }

    /// The fictitious label a driver makes for a disk of geometry `geom`
    /// with no label on it (vnd's `vndgetdefaultlabel`, dk's
    /// `dk_getdefaultlabel`): the geometry, the drive type, name and
    /// rotational speed, and the raw partition covering the whole disk.
    pub fn fictitious(geom: &super::Geometry, dktype: u16, typename: &str, rpm: u16) -> Disklabel {
        use rump::devsw::RAW_PART;
        let secperunit = geom.secperunit.min(u64::from(u32::MAX));
        let mut l = Disklabel::default();
        for (f, v) in [
            (disklabel::d_secperunit, secperunit),
            (disklabel::d_secsize, u64::from(geom.secsize)),
            (disklabel::d_nsectors, u64::from(geom.nsectors)),
            (disklabel::d_ntracks, u64::from(geom.ntracks)),
            (disklabel::d_ncylinders, u64::from(geom.ncylinders)),
            (
                disklabel::d_secpercyl,
                u64::from(geom.ntracks.wrapping_mul(geom.nsectors)),
            ),
            (disklabel::d_type, u64::from(dktype)),
            (disklabel::d_rpm, u64::from(rpm)),
            (disklabel::d_interleave, 1),
            (disklabel::d_npartitions, RAW_PART as u64 + 1),
            (disklabel::d_magic, u64::from(DISKMAGIC)),
            (disklabel::d_magic2, u64::from(DISKMAGIC)),
        ] {
            l.set(f, v);
        }
        l.set_name(disklabel::d_typename, typename);
        l.set_name(disklabel::d_packname, "fictitious");
        l.set_partition(
            RAW_PART as usize,
            Partition {
                size: secperunit as u32,
                ..Partition::default()
            },
        );
        l.update_checksum();
        l
    }

    /// Set `d_checksum` so that the label sums to zero.
    pub fn update_checksum(&mut self) {
        self.set(disklabel::d_checksum, 0);
        let sum = self.checksum();
        self.set(disklabel::d_checksum, u64::from(sum));
    }

    /// Both magic numbers are `DISKMAGIC`.
    pub fn has_magic(&self) -> bool {
        self.get(disklabel::d_magic) == u64::from(DISKMAGIC)
            && self.get(disklabel::d_magic2) == u64::from(DISKMAGIC)
    }

    /// What `validate_label` accepts: the magic numbers, at most
    /// [`MAXPARTITIONS`] partitions and a zero checksum.
    pub fn is_valid(&self) -> bool {
        self.has_magic() && self.npartitions() <= MAXPARTITIONS && self.checksum() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A label as NetBSD's `disklabel -w` writes for a 32 MiB vnd with a
    /// 4.2BSD `a` and the raw `d` (the bytes a NetBSD amd64 machine puts at
    /// sector 1), written out field by field from `sys/disklabel.h`.
    fn netbsd_label_bytes() -> Vec<u8> {
        let mut b = vec![0u8; 408];
        let put32 = |b: &mut [u8], o: usize, v: u32| b[o..o + 4].copy_from_slice(&v.to_le_bytes());
        let put16 = |b: &mut [u8], o: usize, v: u16| b[o..o + 2].copy_from_slice(&v.to_le_bytes());
        put32(&mut b, 0, 0x8256_4557);
        put16(&mut b, 4, 12);
        b[8..11].copy_from_slice(b"vnd");
        b[24..34].copy_from_slice(b"fictitious");
        put32(&mut b, 40, 512);
        put32(&mut b, 44, 32);
        put32(&mut b, 48, 64);
        put32(&mut b, 52, 32);
        put32(&mut b, 56, 2048);
        put32(&mut b, 60, 65536);
        put16(&mut b, 72, 3600);
        put16(&mut b, 74, 1);
        put32(&mut b, 132, 0x8256_4557);
        put16(&mut b, 138, 4);
        put32(&mut b, 140, 8192);
        put32(&mut b, 144, 65536);
        // a: 4.2BSD, 2048-byte fragments, 8 per block.
        put32(&mut b, 148, 65536);
        put32(&mut b, 152, 0);
        put32(&mut b, 156, 2048);
        b[160] = 7;
        b[161] = 8;
        put16(&mut b, 162, 0);
        // d: the whole disk, unused.
        put32(&mut b, 148 + 48, 65536);
        let mut sum = 0u16;
        for w in b[..148 + 4 * 16].chunks(2) {
            sum ^= u16::from_le_bytes([w[0], w[1]]);
        }
        put16(&mut b, 136, sum);
        b
    }

    #[test]
    fn sizes_are_amd64s() {
        assert_eq!(disklabel::SIZE, 408);
        assert_eq!(partition::SIZE, 16);
    }

    #[test]
    fn fields_read_from_netbsd_bytes() {
        let bytes = netbsd_label_bytes();
        let l = Disklabel::from_bytes(&bytes).unwrap();
        assert!(l.is_valid());
        assert_eq!(l.get(disklabel::d_type), u64::from(DKTYPE_VND));
        assert_eq!(l.secsize(), 512);
        assert_eq!(l.get(disklabel::d_secpercyl), 2048);
        assert_eq!(l.get(disklabel::d_secperunit), 65536);
        assert_eq!(l.npartitions(), 4);
        assert_eq!(
            l.partition(0),
            Partition {
                size: 65536,
                offset: 0,
                fsize: 2048,
                fstype: FS_BSDFFS,
                frag: 8,
                cpg: 0
            }
        );
        assert_eq!(l.partition(3).size, 65536);
        assert_eq!(l.partition(MAXPARTITIONS), Partition::default());
        assert_eq!(l.checksum(), 0);
    }

    #[test]
    fn built_from_fields_gives_netbsds_bytes() {
        let mut l = Disklabel::default();
        l.set(disklabel::d_magic, u64::from(DISKMAGIC));
        l.set(disklabel::d_type, u64::from(DKTYPE_VND));
        l.set_name(disklabel::d_typename, "vnd");
        l.set_name(disklabel::d_packname, "fictitious");
        for (f, v) in [
            (disklabel::d_secsize, 512),
            (disklabel::d_nsectors, 32),
            (disklabel::d_ntracks, 64),
            (disklabel::d_ncylinders, 32),
            (disklabel::d_secpercyl, 2048),
            (disklabel::d_secperunit, 65536),
            (disklabel::d_rpm, 3600),
            (disklabel::d_interleave, 1),
            (disklabel::d_magic2, u64::from(DISKMAGIC)),
            (disklabel::d_npartitions, 4),
            (disklabel::d_bbsize, 8192),
            (disklabel::d_sbsize, 65536),
        ] {
            l.set(f, v);
        }
        l.set_partition(
            0,
            Partition {
                size: 65536,
                offset: 0,
                fsize: 2048,
                fstype: FS_BSDFFS,
                frag: 8,
                cpg: 0,
            },
        );
        l.set_partition(
            3,
            Partition {
                size: 65536,
                ..Partition::default()
            },
        );
        l.update_checksum();
        assert_eq!(&l.as_bytes()[..], &netbsd_label_bytes()[..]);
    }

    #[test]
    fn short_and_corrupt_labels() {
        assert!(Disklabel::from_bytes(&[0u8; 407]).is_none());
        let mut bytes = netbsd_label_bytes();
        bytes[200] ^= 1;
        assert!(!Disklabel::from_bytes(&bytes).unwrap().is_valid());
        // Too many partitions: never valid, and the sum stops at the table.
        let mut bytes = netbsd_label_bytes();
        bytes[138..140].copy_from_slice(&17u16.to_le_bytes());
        let l = Disklabel::from_bytes(&bytes).unwrap();
        assert!(!l.is_valid());
        let _ = l.checksum();
        // Longer input: the label is its first 408 bytes.
        let mut long = netbsd_label_bytes();
        long.extend_from_slice(&[0xff; 100]);
        assert!(Disklabel::from_bytes(&long).unwrap().is_valid());
    }
}
