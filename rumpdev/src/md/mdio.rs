//! md's ioctls and their argument (`sys/dev/md.h`), amd64.
//!
//! ```text
//! struct md_conf {
//!    0 void  *md_addr;
//!    8 size_t md_size;
//!   16 int    md_type;
//! };                   24 bytes
//! ```

use netbsd_abi::{Field, IOC_IN, IOC_OUT, ioc};

/// The fields of `struct md_conf`.
#[allow(non_upper_case_globals)]
pub mod md_conf {
    use super::Field;
    /// `md_addr`: where the disk's memory is.
    pub const md_addr: Field = Field::bytes(0, 8);
    /// `md_size`: the disk's size in bytes.
    pub const md_size: Field = Field::bytes(8, 8);
    /// `md_type` (`MD_*`).
    pub const md_type: Field = Field::bytes(16, 4);
    /// `sizeof(struct md_conf)`.
    pub const SIZE: usize = 24;
}

/// `MD_GETCONF`: `_IOR('r', 0, struct md_conf)`.
pub const MD_GETCONF: u64 = ioc(IOC_OUT, b'r', 0, md_conf::SIZE);
/// `MD_SETCONF`: `_IOW('r', 1, struct md_conf)`.
pub const MD_SETCONF: u64 = ioc(IOC_IN, b'r', 1, md_conf::SIZE);

/// `MD_UNCONFIGURED`: opens of partitions other than the raw one fail.
pub const MD_UNCONFIGURED: u32 = 0;
/// `MD_KMEM_FIXED`: memory patched into the kernel (never by an ioctl).
pub const MD_KMEM_FIXED: u32 = 1;
/// `MD_KMEM_ALLOCATED`: kernel memory allocated by `MD_SETCONF`.
pub const MD_KMEM_ALLOCATED: u32 = 2;
/// `MD_UMEM_SERVER`: the configuring process's memory, served by it.
pub const MD_UMEM_SERVER: u32 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_netbsds() {
        // _IOR('r', 0, 24) and _IOW('r', 1, 24) as sys/ioccom.h packs them.
        assert_eq!(MD_GETCONF, 0x4018_7200);
        assert_eq!(MD_SETCONF, 0x8018_7201);
    }
}
