//! Decoding of system-call argument slots that every faction shares: C
//! `int`s, paths, flag words and time pairs, with NetBSD's sizes and
//! layouts (`netbsd_abi`).

use super::{SysArgs, SysRet};
use crate::errno::{Errno, KResult};
use crate::usermem::{UserSpace, copyin_array};
use netbsd_abi::layout::{timespec, timeval};

/// A successful return with value `v`.
pub fn ret(v: u64) -> KResult<SysRet> {
    Ok([v, 0])
}

/// The return of a NOERR call (`posix_fadvise`, `posix_fallocate`, ...):
/// success and failure both return normally, the error number as the
/// value.
pub fn ret_errno_value(r: KResult<()>) -> KResult<SysRet> {
    ret(match r {
        Ok(()) => 0,
        Err(e) => e.0 as u64,
    })
}

/// Argument slot `i` as a C `int`.
pub fn arg_int(a: &SysArgs, i: usize) -> i32 {
    a[i] as u32 as i32
}

/// The path at `addr` in the caller's memory, at most `PATH_MAX` bytes with
/// its NUL (ENAMETOOLONG beyond).
pub fn arg_path(us: &dyn UserSpace, addr: u64) -> KResult<Vec<u8>> {
    us.copyinstr(addr, netbsd_abi::PATH_MAX as usize)
}

/// EINVAL when `flags` has a bit outside `allowed`, as the `*at` calls and
/// others check their flag words before doing anything.
pub fn check_flags(flags: i32, allowed: i32) -> KResult<()> {
    if flags & !allowed != 0 {
        Err(Errno::EINVAL)
    } else {
        Ok(())
    }
}

/// Two `struct timespec`s at `addr`, as (seconds, nanoseconds); the
/// nanoseconds are not range-checked (`UTIME_NOW` and others live there).
pub fn copyin_timespec_pair(us: &dyn UserSpace, addr: u64) -> KResult<[(i64, i64); 2]> {
    let b = copyin_array::<{ 2 * timespec::SIZE }>(us, addr)?;
    let one = |s: &[u8]| {
        (
            timespec::tv_sec.get(s).unwrap_or_default() as i64,
            timespec::tv_nsec.get(s).unwrap_or_default() as i64,
        )
    };
    Ok([one(&b[..timespec::SIZE]), one(&b[timespec::SIZE..])])
}

/// Two `struct timeval`s at `addr`, as (seconds, microseconds);
/// `tv_usec` is a `suseconds_t` (an `int`), sign-extended.
pub fn copyin_timeval_pair(us: &dyn UserSpace, addr: u64) -> KResult<[(i64, i64); 2]> {
    let b = copyin_array::<{ 2 * timeval::SIZE }>(us, addr)?;
    let one = |s: &[u8]| {
        (
            timeval::tv_sec.get(s).unwrap_or_default() as i64,
            i64::from(timeval::tv_usec.get(s).unwrap_or_default() as u32 as i32),
        )
    };
    Ok([one(&b[..timeval::SIZE]), one(&b[timeval::SIZE..])])
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Mem(Vec<u8>);
    impl UserSpace for Mem {
        fn copyin(&self, addr: u64, buf: &mut [u8]) -> KResult<()> {
            let a = addr as usize;
            let s = self.0.get(a..a + buf.len()).ok_or(Errno::EFAULT)?;
            buf.copy_from_slice(s);
            Ok(())
        }
        fn copyout(&self, _: u64, _: &[u8]) -> KResult<()> {
            Err(Errno::EFAULT)
        }
    }

    #[test]
    fn time_pairs_decode_netbsd_layouts() {
        let mut b = vec![0u8; 32];
        b[0..8].copy_from_slice(&5i64.to_le_bytes());
        b[8..12].copy_from_slice(&(-1i32).to_le_bytes());
        b[16..24].copy_from_slice(&7i64.to_le_bytes());
        b[24..32].copy_from_slice(&9i64.to_le_bytes());
        let m = Mem(b);
        assert_eq!(copyin_timeval_pair(&m, 0).unwrap(), [(5, -1), (7, 9)]);
        assert_eq!(
            copyin_timespec_pair(&m, 0).unwrap(),
            [(5, 0xffff_ffff), (7, 9)]
        );
        assert_eq!(copyin_timespec_pair(&m, 8), Err(Errno::EFAULT));
    }

    #[test]
    fn flags_outside_the_allowed_set_are_einval() {
        assert_eq!(check_flags(0x200, 0x200), Ok(()));
        assert_eq!(check_flags(0x201, 0x200), Err(Errno::EINVAL));
    }
}
