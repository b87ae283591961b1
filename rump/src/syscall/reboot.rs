//! reboot: the halt sequence.

use super::{Ctx, SysArgs, SysRet, arg_int, ret};
use crate::errno::KResult;
use crate::kernel::Kernel;
use crate::usermem::UserSpace;

fn reboot(ctx: &Ctx, howto: i32) -> KResult<()> {
    ctx.cred().require_root()?;
    // Shutdown hooks may wait for other threads to leave the kernel, so the
    // halting thread must not hold a virtual CPU while they run.
    ctx.block(|| ctx.kernel().reboot(howto))
}

pub(super) fn sys_reboot(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    reboot(ctx, arg_int(a, 0))?;
    ret(0)
}

impl Kernel {
    /// `reboot(2)` with `RB_*` flags: see [`Kernel::reboot`].
    pub fn sys_reboot(&self, howto: i32) -> KResult<()> {
        self.with_ctx(|ctx| reboot(ctx, howto))
    }
}
