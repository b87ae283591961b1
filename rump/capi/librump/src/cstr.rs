//! C strings the caller hands to the `rump_pub_*` calls (etfs keys, host
//! paths, module names), read as the kernel reads a path argument.

use crate::memory::LocalMemory;
use kernel::Errno;
use kernel::usermem::UserSpace;

/// The string at `p`, at most `MAXPATHLEN` bytes with its NUL: EFAULT for
/// NULL or unmapped memory, ENAMETOOLONG without a NUL in that many,
/// EINVAL if it is not UTF-8 (host paths are handed to the host as text).
pub fn read(p: *const libc::c_char) -> Result<String, Errno> {
    if p.is_null() {
        return Err(Errno::EFAULT);
    }
    let bytes = LocalMemory.copyinstr(p as u64, netbsd_abi::MAXPATHLEN as usize)?;
    String::from_utf8(bytes).map_err(|_| Errno::EINVAL)
}
