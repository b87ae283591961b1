//! The on-disk format of FFS, as typed views over bytes: the superblock,
//! cylinder groups, inodes and directory blocks. Nothing here does I/O;
//! every view is checked once when it is made, so no accessor can panic.
//!
//! The layouts are NetBSD's (`sys/ufs/ffs/fs.h`, `sys/ufs/ufs/dinode.h`,
//! `sys/ufs/ufs/dir.h`); an image is in either byte order, found from the
//! superblock's magic number.

pub mod cg;
pub mod dinode;
pub mod dir;
pub mod flaw;
pub mod superblock;

pub use flaw::Flaw;

/// The byte order of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Little-endian (amd64, i386, most images).
    Little,
    /// Big-endian (sparc64, m68k...): a byte-swapped image on this host.
    Big,
}

impl Endian {
    fn take<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
        let mut a = [0u8; N];
        if let Some(s) = b.get(off..off + N) {
            a.copy_from_slice(s);
        }
        a
    }

    /// The `u16` at `off` (0 past the end).
    pub fn u16(self, b: &[u8], off: usize) -> u16 {
        let a = Self::take::<2>(b, off);
        match self {
            Endian::Little => u16::from_le_bytes(a),
            Endian::Big => u16::from_be_bytes(a),
        }
    }

    /// The `u32` at `off` (0 past the end).
    pub fn u32(self, b: &[u8], off: usize) -> u32 {
        let a = Self::take::<4>(b, off);
        match self {
            Endian::Little => u32::from_le_bytes(a),
            Endian::Big => u32::from_be_bytes(a),
        }
    }

    /// The `i32` at `off` (0 past the end).
    pub fn i32(self, b: &[u8], off: usize) -> i32 {
        self.u32(b, off) as i32
    }

    /// The `u64` at `off` (0 past the end).
    pub fn u64(self, b: &[u8], off: usize) -> u64 {
        let a = Self::take::<8>(b, off);
        match self {
            Endian::Little => u64::from_le_bytes(a),
            Endian::Big => u64::from_be_bytes(a),
        }
    }

    /// The `i64` at `off` (0 past the end).
    pub fn i64(self, b: &[u8], off: usize) -> i64 {
        self.u64(b, off) as i64
    }

    fn put<const N: usize>(b: &mut [u8], off: usize, a: [u8; N]) {
        if let Some(s) = b.get_mut(off..off + N) {
            s.copy_from_slice(&a);
        }
    }

    /// Store a `u16` at `off` (nothing past the end).
    pub fn put_u16(self, b: &mut [u8], off: usize, v: u16) {
        let a = match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        };
        Self::put(b, off, a);
    }

    /// Store a `u32` at `off` (nothing past the end).
    pub fn put_u32(self, b: &mut [u8], off: usize, v: u32) {
        let a = match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        };
        Self::put(b, off, a);
    }

    /// Store an `i32` at `off` (nothing past the end).
    pub fn put_i32(self, b: &mut [u8], off: usize, v: i32) {
        self.put_u32(b, off, v as u32);
    }

    /// Store a `u64` at `off` (nothing past the end).
    pub fn put_u64(self, b: &mut [u8], off: usize, v: u64) {
        let a = match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        };
        Self::put(b, off, a);
    }

    /// Store an `i64` at `off` (nothing past the end).
    pub fn put_i64(self, b: &mut [u8], off: usize, v: i64) {
        self.put_u64(b, off, v as u64);
    }
}

/// Which FFS: the inode format and the superblock's fields in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// FFSv1 (UFS1): 128-byte inodes, 32-bit block pointers.
    Ufs1,
    /// FFSv2 (UFS2): 256-byte inodes, 64-bit block pointers.
    Ufs2,
}

impl Version {
    /// Bytes of an on-disk inode.
    pub fn inode_size(self) -> usize {
        match self {
            Version::Ufs1 => dinode::UFS1_SIZE,
            Version::Ufs2 => dinode::UFS2_SIZE,
        }
    }

    /// Bytes of a block pointer.
    pub fn ptr_size(self) -> usize {
        match self {
            Version::Ufs1 => 4,
            Version::Ufs2 => 8,
        }
    }

    /// The `n`th block pointer of an indirect block.
    pub fn ptr(self, e: Endian, block: &[u8], n: usize) -> i64 {
        match self {
            Version::Ufs1 => i64::from(e.i32(block, n * 4)),
            Version::Ufs2 => e.i64(block, n * 8),
        }
    }

    /// Store the `n`th block pointer of an indirect block.
    pub fn put_ptr(self, e: Endian, block: &mut [u8], n: usize, v: i64) {
        match self {
            Version::Ufs1 => e.put_i32(block, n * 4, v as i32),
            Version::Ufs2 => e.put_i64(block, n * 8, v),
        }
    }
}

/// `DEV_BSIZE`: the unit of `di_blocks` and of `fsbtodb`.
pub const DEV_BSIZE: u64 = 512;
/// The root directory's inode.
pub const ROOTINO: u64 = 2;
/// Direct block pointers in an inode.
pub const NDADDR: usize = 12;
/// Indirect block pointers in an inode (single, double, triple).
pub const NIADDR: usize = 3;
/// Most fragments in a block.
pub const MAXFRAG: usize = netbsd_abi::MAXFRAG as usize;
