//! __sysctl: the system call over the sysctl tree.

use super::{Ctx, SysArgs, SysRet, ret};
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::sysctl::SysctlOutcome;
use crate::usermem::{UserSpace, copyin_array, copyin_vec};

/// `CTL_MAXNAME`: the longest MIB name.
const CTL_MAXNAME: usize = netbsd_abi::CTL_MAXNAME as usize;
/// Largest new value accepted, so a hostile length cannot exhaust memory.
const MAX_NEWLEN: usize = 1 << 20;

pub(super) fn sys_sysctl(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let namelen = a[1] as usize;
    if namelen > CTL_MAXNAME || namelen == 0 {
        return Err(Errno::EINVAL);
    }
    let raw = copyin_vec(us, a[0], namelen * 4)?;
    let name: Vec<i32> = raw
        .chunks_exact(4)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    crate::ktrace::mib(ctx, &name);
    let (oldp, oldlenp, newp, newlen) = (a[2], a[3], a[4], a[5] as usize);
    let capacity = if oldlenp != 0 {
        Some(u64::from_le_bytes(copyin_array::<8>(us, oldlenp)?) as usize)
    } else {
        None
    };
    let new = if newp != 0 {
        if newlen > MAX_NEWLEN {
            return Err(Errno::E2BIG);
        }
        let new = copyin_vec(us, newp, newlen)?;
        crate::ktrace::mibio(ctx, crate::ktrace::UIO_WRITE, &new);
        Some(new)
    } else {
        None
    };
    let cap = if oldp != 0 {
        capacity.or(Some(0))
    } else {
        None
    };
    // The tree reads client pointers inside a node record (CTL_CREATE with
    // owned data, a description to set) through the caller's memory too.
    let out = ctx
        .kernel()
        .sysctl()
        .sysctl_user(&ctx.cred(), &name, cap, new.as_deref(), us);
    if oldp != 0 && !out.old.is_empty() {
        us.copyout(oldp, &out.old)?;
        crate::ktrace::mibio(ctx, crate::ktrace::UIO_READ, &out.old);
    }
    if oldlenp != 0 {
        us.copyout(oldlenp, &(out.oldlen as u64).to_le_bytes())?;
    }
    out.result?;
    ret(0)
}

impl Kernel {
    /// `__sysctl(2)`: `old_capacity` is `None` for a NULL `oldp`, `new` is
    /// `None` for a NULL `newp`.
    pub fn sys_sysctl(
        &self,
        name: &[i32],
        old_capacity: Option<usize>,
        new: Option<&[u8]>,
    ) -> KResult<SysctlOutcome> {
        if name.len() > CTL_MAXNAME || name.is_empty() {
            return Err(Errno::EINVAL);
        }
        self.with_ctx(|ctx| {
            Ok(ctx
                .kernel()
                .sysctl()
                .sysctl(&ctx.cred(), name, old_capacity, new))
        })
    }
}
