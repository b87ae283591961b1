//! cgdconfig's ioctls and their arguments (`sys/dev/cgdvar.h`), amd64.
//!
//! ```text
//! struct cgd_ioctl {                 struct cgd_user {
//!    0 const char *ci_disk;             0 int    cgu_unit;
//!    8 int     ci_flags;                8 dev_t  cgu_dev;
//!   12 int     ci_unit;                16 char   cgu_alg[32];
//!   16 size_t  ci_size;                48 size_t cgu_blocksize;
//!   24 const char *ci_alg;             56 int    cgu_mode;
//!   32 const char *ci_ivmethod;        60 int    cgu_keylen;
//!   40 size_t  ci_keylen;            };                  64 bytes
//!   48 const char *ci_key;
//!   56 size_t  ci_blocksize;
//! };                  64 bytes
//! ```

use netbsd_abi::{Field, IOC_IN, IOC_OUT, ioc};

const fn f(offset: usize, size: usize) -> Field {
    Field::bytes(offset, size)
}

/// `struct cgd_ioctl`.
#[allow(non_upper_case_globals)]
pub mod cgd_ioctl {
    use super::{Field, f};
    /// `ci_disk`: the path of the disk underneath, in the caller's memory.
    pub const ci_disk: Field = f(0, 8);
    /// `ci_flags` (unused by the kernel).
    pub const ci_flags: Field = f(8, 4);
    /// `ci_unit` (unused by the kernel).
    pub const ci_unit: Field = f(12, 4);
    /// `ci_size` (unused by the kernel).
    pub const ci_size: Field = f(16, 8);
    /// `ci_alg`: the cipher's name.
    pub const ci_alg: Field = f(24, 8);
    /// `ci_ivmethod`: the IV method's name.
    pub const ci_ivmethod: Field = f(32, 8);
    /// `ci_keylen`: the key's length in bits.
    pub const ci_keylen: Field = f(40, 8);
    /// `ci_key`: the key, in the caller's memory.
    pub const ci_key: Field = f(48, 8);
    /// `ci_blocksize`: the cipher's block size in bits, `(size_t)-1` for
    /// the cipher's own.
    pub const ci_blocksize: Field = f(56, 8);
    /// `sizeof(struct cgd_ioctl)`.
    pub const SIZE: usize = 64;
}

/// `struct cgd_user`.
#[allow(non_upper_case_globals)]
pub mod cgd_user {
    use super::{Field, f};
    /// `cgu_unit`: which unit (-1: the one the ioctl is made on).
    pub const cgu_unit: Field = f(0, 4);
    /// `cgu_dev`: the disk underneath (0: the unit is not in use).
    pub const cgu_dev: Field = f(8, 8);
    /// `cgu_alg`: the cipher's name, NUL-terminated.
    pub const cgu_alg: Field = f(16, 32);
    /// `cgu_blocksize`: the block size as the IV method counts it.
    pub const cgu_blocksize: Field = f(48, 8);
    /// `cgu_mode`: the IV method (`CGD_CIPHER_CBC_ENCBLKNO*`).
    pub const cgu_mode: Field = f(56, 4);
    /// `cgu_keylen`: the key's length in bits.
    pub const cgu_keylen: Field = f(60, 4);
    /// `sizeof(struct cgd_user)`.
    pub const SIZE: usize = 64;
}

/// `CGD_CIPHER_CBC_ENCBLKNO8`: the IV is the last block of the CBC
/// encryption of the block number padded to eight cipher blocks (compat).
pub const CGD_CIPHER_CBC_ENCBLKNO8: u32 = 1;
/// `CGD_CIPHER_CBC_ENCBLKNO1`: the IV is the encryption of the block
/// number padded to one cipher block (the default).
pub const CGD_CIPHER_CBC_ENCBLKNO1: u32 = 2;
/// `CGD_MAXBLOCKSIZE`: the largest cipher block size, in bits, cgd takes.
pub const CGD_MAXBLOCKSIZE: u64 = 128;
/// `MAX_KEYSIZE` (`cgd.c`): the most key bytes `CGDIOCSET` copies in.
pub const MAX_KEYSIZE: u64 = 1024;

/// `CGDIOCSET`: `_IOWR('F', 18, struct cgd_ioctl)`.
pub const CGDIOCSET: u64 = ioc(IOC_IN | IOC_OUT, b'F', 18, cgd_ioctl::SIZE);
/// `CGDIOCCLR`: `_IOW('F', 19, struct cgd_ioctl)`.
pub const CGDIOCCLR: u64 = ioc(IOC_IN, b'F', 19, cgd_ioctl::SIZE);
/// `CGDIOCGET`: `_IOWR('F', 20, struct cgd_user)`.
pub const CGDIOCGET: u64 = ioc(IOC_IN | IOC_OUT, b'F', 20, cgd_user::SIZE);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_are_netbsds() {
        // _IOWR('F', 18, 64), _IOW('F', 19, 64), _IOWR('F', 20, 64).
        assert_eq!(CGDIOCSET, 0xc040_4612);
        assert_eq!(CGDIOCCLR, 0x8040_4613);
        assert_eq!(CGDIOCGET, 0xc040_4614);
    }
}
