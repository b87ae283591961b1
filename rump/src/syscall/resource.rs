//! getrlimit, setrlimit.

use super::{Ctx, SysArgs, SysRet, arg_int, ret};
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::resource::Rlimit;
use crate::usermem::{UserSpace, copyin_array};

fn which(w: i32) -> KResult<usize> {
    usize::try_from(w)
        .ok()
        .filter(|&w| w < crate::resource::RLIM_NLIMITS)
        .ok_or(Errno::EINVAL)
}

fn getrlimit(ctx: &Ctx, w: i32) -> KResult<Rlimit> {
    ctx.proc().limit(which(w)?).ok_or(Errno::EINVAL)
}

fn setrlimit(ctx: &Ctx, w: i32, new: Rlimit) -> KResult<()> {
    let w = which(w)?;
    let p = ctx.proc();
    // Lock order: limits, then credentials (looked at only to raise a
    // hard limit).
    p.update_limit(w, |old| {
        old.check_change(new, || p.with_cred(|cred| cred.is_root()))
    })
}

pub(super) fn sys_getrlimit(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let l = getrlimit(ctx, arg_int(a, 0))?;
    us.copyout(a[1], &l.to_bytes())?;
    ret(0)
}

pub(super) fn sys_setrlimit(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let l = Rlimit::from_bytes(&copyin_array::<{ netbsd_abi::layout::rlimit::SIZE }>(
        us, a[1],
    )?);
    setrlimit(ctx, arg_int(a, 0), l)?;
    ret(0)
}

impl Kernel {
    /// `getrlimit(2)`.
    pub fn sys_getrlimit(&self, which: i32) -> KResult<Rlimit> {
        self.with_ctx(|ctx| getrlimit(ctx, which))
    }

    /// `setrlimit(2)`.
    pub fn sys_setrlimit(&self, which: i32, limit: Rlimit) -> KResult<()> {
        self.with_ctx(|ctx| setrlimit(ctx, which, limit))
    }
}
