//! On-disk inodes: `struct ufs1_dinode` (128 bytes) and `struct ufs2_dinode`
//! (256 bytes), read into one in-core form.
//!
//! ```text
//! UFS1:   0 mode(16) nlink(16) oldids  8 size(64) 16 atime atimensec
//!        24 mtime mtimensec ctime ctimensec  40 db[12]  88 ib[3]
//!       100 flags blocks gen uid gid  120 modrev(64)
//! UFS2:   0 mode(16) nlink(16) uid gid blksize  16 size(64) blocks(64)
//!        32 atime mtime ctime birthtime (64 each)  64 mtimensec atimensec
//!        72 ctimensec birthnsec gen kernflags flags extsize  96 extb[2]
//!       112 db[12] (64 each) 208 ib[3] 232 modrev 240 spare[2]
//! ```

use super::{Endian, NDADDR, NIADDR, Version};

/// Bytes of a UFS1 inode.
pub const UFS1_SIZE: usize = 128;
/// Bytes of a UFS2 inode.
pub const UFS2_SIZE: usize = 256;

// The type bits of `di_mode` are `st_mode`'s (`IFMT` is `S_IFMT`...).
use rumpvfs::flags as st;

/// `IFMT`: the type bits of `di_mode`.
pub const IFMT: u16 = st::S_IFMT as u16;
/// `IFIFO`.
pub const IFIFO: u16 = st::S_IFIFO as u16;
/// `IFCHR`.
pub const IFCHR: u16 = st::S_IFCHR as u16;
/// `IFDIR`.
pub const IFDIR: u16 = st::S_IFDIR as u16;
/// `IFBLK`.
pub const IFBLK: u16 = st::S_IFBLK as u16;
/// `IFREG`.
pub const IFREG: u16 = st::S_IFREG as u16;
/// `IFLNK`.
pub const IFLNK: u16 = st::S_IFLNK as u16;
/// `IFSOCK`.
pub const IFSOCK: u16 = st::S_IFSOCK as u16;

/// A time stamp as the inode keeps it.
pub type Stamp = (i64, i32);

/// An inode in core, whichever format it came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dinode {
    /// Type and permission bits.
    pub mode: u16,
    /// Links.
    pub nlink: u16,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes.
    pub size: u64,
    /// `DEV_BSIZE` units held (data and indirect blocks).
    pub blocks: u64,
    /// Last access.
    pub atime: Stamp,
    /// Last data change.
    pub mtime: Stamp,
    /// Last inode change.
    pub ctime: Stamp,
    /// Creation (UFS2 only; UFS1 reads it as zero).
    pub birthtime: Stamp,
    /// Generation number.
    pub gen_: u32,
    /// `chflags(2)` flags.
    pub flags: u32,
    /// Direct block pointers (frag addresses; 0 is a hole).
    pub db: [i64; NDADDR],
    /// Single, double and triple indirect block pointers.
    pub ib: [i64; NIADDR],
    /// UFS2 extended attribute area size (kept, never used here).
    pub extsize: u32,
    /// UFS2 extended attribute blocks (FreeBSD writes them).
    pub extb: [i64; 2],
}

impl Dinode {
    /// The file type bits.
    pub fn ifmt(&self) -> u16 {
        self.mode & IFMT
    }

    /// Read the inode at the start of `b`. `b` must hold a whole inode of
    /// `v`'s size; shorter input reads missing bytes as zeros.
    pub fn parse(v: Version, e: Endian, b: &[u8]) -> Dinode {
        let mut d = Dinode {
            mode: e.u16(b, 0),
            nlink: e.u16(b, 2),
            ..Dinode::default()
        };
        match v {
            Version::Ufs1 => {
                d.size = e.u64(b, 8);
                d.atime = (i64::from(e.i32(b, 16)), e.i32(b, 20));
                d.mtime = (i64::from(e.i32(b, 24)), e.i32(b, 28));
                d.ctime = (i64::from(e.i32(b, 32)), e.i32(b, 36));
                for (i, p) in d.db.iter_mut().enumerate() {
                    *p = i64::from(e.i32(b, 40 + 4 * i));
                }
                for (i, p) in d.ib.iter_mut().enumerate() {
                    *p = i64::from(e.i32(b, 88 + 4 * i));
                }
                d.flags = e.u32(b, 100);
                d.blocks = u64::from(e.u32(b, 104));
                d.gen_ = e.u32(b, 108);
                d.uid = e.u32(b, 112);
                d.gid = e.u32(b, 116);
            }
            Version::Ufs2 => {
                d.uid = e.u32(b, 4);
                d.gid = e.u32(b, 8);
                d.size = e.u64(b, 16);
                d.blocks = e.u64(b, 24);
                d.atime = (e.i64(b, 32), e.i32(b, 68));
                d.mtime = (e.i64(b, 40), e.i32(b, 64));
                d.ctime = (e.i64(b, 48), e.i32(b, 72));
                d.birthtime = (e.i64(b, 56), e.i32(b, 76));
                d.gen_ = e.u32(b, 80);
                d.flags = e.u32(b, 88);
                d.extsize = e.u32(b, 92);
                d.extb = [e.i64(b, 96), e.i64(b, 104)];
                for (i, p) in d.db.iter_mut().enumerate() {
                    *p = e.i64(b, 112 + 8 * i);
                }
                for (i, p) in d.ib.iter_mut().enumerate() {
                    *p = e.i64(b, 208 + 8 * i);
                }
            }
        }
        d
    }

    /// Write the inode over the start of `b` (an inode's worth of bytes;
    /// fields the in-core form does not carry are left as they are).
    pub fn emit(&self, v: Version, e: Endian, b: &mut [u8]) {
        e.put_u16(b, 0, self.mode);
        e.put_u16(b, 2, self.nlink);
        match v {
            Version::Ufs1 => {
                e.put_u64(b, 8, self.size);
                e.put_i32(b, 16, self.atime.0 as i32);
                e.put_i32(b, 20, self.atime.1);
                e.put_i32(b, 24, self.mtime.0 as i32);
                e.put_i32(b, 28, self.mtime.1);
                e.put_i32(b, 32, self.ctime.0 as i32);
                e.put_i32(b, 36, self.ctime.1);
                for (i, p) in self.db.iter().enumerate() {
                    e.put_i32(b, 40 + 4 * i, *p as i32);
                }
                for (i, p) in self.ib.iter().enumerate() {
                    e.put_i32(b, 88 + 4 * i, *p as i32);
                }
                e.put_u32(b, 100, self.flags);
                e.put_u32(b, 104, self.blocks as u32);
                e.put_u32(b, 108, self.gen_);
                e.put_u32(b, 112, self.uid);
                e.put_u32(b, 116, self.gid);
            }
            Version::Ufs2 => {
                e.put_u32(b, 4, self.uid);
                e.put_u32(b, 8, self.gid);
                e.put_u64(b, 16, self.size);
                e.put_u64(b, 24, self.blocks);
                e.put_i64(b, 32, self.atime.0);
                e.put_i64(b, 40, self.mtime.0);
                e.put_i64(b, 48, self.ctime.0);
                e.put_i64(b, 56, self.birthtime.0);
                e.put_i32(b, 64, self.mtime.1);
                e.put_i32(b, 68, self.atime.1);
                e.put_i32(b, 72, self.ctime.1);
                e.put_i32(b, 76, self.birthtime.1);
                e.put_u32(b, 80, self.gen_);
                e.put_u32(b, 88, self.flags);
                e.put_u32(b, 92, self.extsize);
                e.put_i64(b, 96, self.extb[0]);
                e.put_i64(b, 104, self.extb[1]);
                for (i, p) in self.db.iter().enumerate() {
                    e.put_i64(b, 112 + 8 * i, *p);
                }
                for (i, p) in self.ib.iter().enumerate() {
                    e.put_i64(b, 208 + 8 * i, *p);
                }
            }
        }
    }

    /// The block pointer area as bytes: where a short symlink keeps its
    /// target (60 bytes in UFS1, 120 in UFS2).
    pub fn addr_bytes(&self, v: Version, e: Endian) -> Vec<u8> {
        let n = (NDADDR + NIADDR) * v.ptr_size();
        let mut b = vec![0u8; n];
        for (i, p) in self.db.iter().chain(self.ib.iter()).enumerate() {
            v.put_ptr(e, &mut b, i, *p);
        }
        b
    }

    /// Fill the block pointer area from bytes (a short symlink's target,
    /// zero-padded).
    pub fn set_addr_bytes(&mut self, v: Version, e: Endian, bytes: &[u8]) {
        let n = (NDADDR + NIADDR) * v.ptr_size();
        let mut b = vec![0u8; n];
        let k = bytes.len().min(n);
        b[..k].copy_from_slice(&bytes[..k]);
        for i in 0..NDADDR + NIADDR {
            let p = v.ptr(e, &b, i);
            if i < NDADDR {
                self.db[i] = p;
            } else {
                self.ib[i - NDADDR] = p;
            }
        }
    }

    /// The device number of a device node (kept in `db[0]`).
    pub fn rdev(&self, v: Version) -> u64 {
        match v {
            Version::Ufs1 => u64::from(self.db[0] as u32),
            Version::Ufs2 => self.db[0] as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A UFS2 regular file inode: mode 0644, 2 links, uid 1000, 5000 bytes
    /// in one 8 KiB block at frag 200, generation 7.
    fn ufs2_file() -> Vec<u8> {
        let mut b = vec![0u8; UFS2_SIZE];
        b[0..2].copy_from_slice(&0o100644u16.to_le_bytes());
        b[2..4].copy_from_slice(&2u16.to_le_bytes());
        b[4..8].copy_from_slice(&1000u32.to_le_bytes());
        b[16..24].copy_from_slice(&5000u64.to_le_bytes());
        b[24..32].copy_from_slice(&16u64.to_le_bytes());
        b[40..48].copy_from_slice(&1_700_000_000i64.to_le_bytes());
        b[64..68].copy_from_slice(&5i32.to_le_bytes());
        b[80..84].copy_from_slice(&7u32.to_le_bytes());
        b[112..120].copy_from_slice(&200i64.to_le_bytes());
        b
    }

    #[test]
    fn reads_every_field_of_a_real_layout() {
        let d = Dinode::parse(Version::Ufs2, Endian::Little, &ufs2_file());
        assert_eq!(d.ifmt(), IFREG);
        assert_eq!(
            (d.mode & 0o7777, d.nlink, d.uid, d.size),
            (0o644, 2, 1000, 5000)
        );
        assert_eq!(
            (d.blocks, d.mtime, d.gen_, d.db[0]),
            (16, (1_700_000_000, 5), 7, 200)
        );
    }

    #[test]
    fn emit_gives_back_the_bytes() {
        for v in [Version::Ufs1, Version::Ufs2] {
            for e in [Endian::Little, Endian::Big] {
                let mut d = Dinode::parse(Version::Ufs2, Endian::Little, &ufs2_file());
                d.ib = [9, 10, 11];
                d.atime = (12, 13);
                d.ctime = (14, 15);
                if v == Version::Ufs2 {
                    d.birthtime = (16, 17);
                }
                let mut b = vec![0u8; v.inode_size()];
                d.emit(v, e, &mut b);
                assert_eq!(Dinode::parse(v, e, &b), d, "{v:?} {e:?}");
            }
        }
        let raw = ufs2_file();
        let mut again = vec![0u8; UFS2_SIZE];
        Dinode::parse(Version::Ufs2, Endian::Little, &raw).emit(
            Version::Ufs2,
            Endian::Little,
            &mut again,
        );
        assert_eq!(again, raw);
    }

    #[test]
    fn short_symlink_text_survives_the_pointer_area() {
        for v in [Version::Ufs1, Version::Ufs2] {
            for e in [Endian::Little, Endian::Big] {
                let mut d = Dinode::default();
                d.set_addr_bytes(v, e, b"../some/where");
                assert!(d.addr_bytes(v, e).starts_with(b"../some/where\0"));
            }
        }
        // Short input reads as zeros rather than failing.
        assert_eq!(
            Dinode::parse(Version::Ufs2, Endian::Little, &[1, 0]).mode,
            1
        );
    }
}
