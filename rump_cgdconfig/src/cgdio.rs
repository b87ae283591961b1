//! cgdconfig's ioctls and their arguments (`sys/dev/cgdvar.h`, amd64),
//! as the client builds and reads them.

use netbsd_abi::{Field, IOC_IN, IOC_OUT, ioc};

/// `struct cgd_ioctl`: `ci_disk`, `ci_alg`, `ci_ivmethod` and `ci_key` are
/// pointers; `ci_keylen` and `ci_blocksize` are in bits.
#[allow(non_upper_case_globals)]
pub mod cgd_ioctl {
    use super::Field;
    /// `const char *ci_disk`.
    pub const ci_disk: Field = Field::bytes(0, 8);
    /// `const char *ci_alg`.
    pub const ci_alg: Field = Field::bytes(24, 8);
    /// `const char *ci_ivmethod`.
    pub const ci_ivmethod: Field = Field::bytes(32, 8);
    /// `size_t ci_keylen`.
    pub const ci_keylen: Field = Field::bytes(40, 8);
    /// `const char *ci_key`.
    pub const ci_key: Field = Field::bytes(48, 8);
    /// `size_t ci_blocksize`.
    pub const ci_blocksize: Field = Field::bytes(56, 8);
    /// `sizeof(struct cgd_ioctl)`.
    pub const SIZE: usize = 64;
}

/// `struct cgd_user`.
#[allow(non_upper_case_globals)]
pub mod cgd_user {
    use super::Field;
    /// `int cgu_unit`.
    pub const cgu_unit: Field = Field::bytes(0, 4);
    /// `dev_t cgu_dev`.
    pub const cgu_dev: Field = Field::bytes(8, 8);
    /// `char cgu_alg[32]`.
    pub const cgu_alg: Field = Field::bytes(16, 32);
    /// `size_t cgu_blocksize`.
    pub const cgu_blocksize: Field = Field::bytes(48, 8);
    /// `int cgu_mode`.
    pub const cgu_mode: Field = Field::bytes(56, 4);
    /// `int cgu_keylen`.
    pub const cgu_keylen: Field = Field::bytes(60, 4);
    /// `sizeof(struct cgd_user)`.
    pub const SIZE: usize = 64;
}

/// `CGD_CIPHER_CBC_ENCBLKNO8`.
pub const CGD_CIPHER_CBC_ENCBLKNO8: u64 = 1;
/// `CGD_CIPHER_CBC_ENCBLKNO1`.
pub const CGD_CIPHER_CBC_ENCBLKNO1: u64 = 2;

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
        assert_eq!(CGDIOCSET, 0xc040_4612);
        assert_eq!(CGDIOCCLR, 0x8040_4613);
        assert_eq!(CGDIOCGET, 0xc040_4614);
    }
}
