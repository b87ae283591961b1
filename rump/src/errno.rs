//! Kernel errors: NetBSD errno values (from the `netbsd_abi` crate) with
//! a static explanation.

pub use netbsd_abi::Errno;

/// The result of a kernel operation.
pub type KResult<T> = Result<T, Errno>;
