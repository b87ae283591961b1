//! The calls of modules this kernel does not have. NetBSD's
//! `syscalls.master` names a module for some calls (`compat` for the
//! `COMPAT_50` entries, `nfsserver` for `nfssvc`, `ksem`, `aio`, ...); its
//! rump kernel fills those slots with `sys_nomodule`, which, with no module
//! to load, is `sys_nosys`: SIGSYS to the caller's process and ENOSYS
//! (`sys/kern/kern_syscall.c`, `sys/kern/kern_stub.c`). A call a kernel
//! has not got at all, module or not, is a plain ENOSYS (`enosys`).
//!
//! Every such slot gets a placeholder here; a component that implements
//! the call later registers over it (see [`Kernel::register_syscall`]).

use super::{Ctx, SysArgs, SysRet};
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::usermem::UserSpace;

/// NetBSD's `sys_nosys`: post SIGSYS to the process, answer ENOSYS.
fn sys_nomodule(ctx: &Ctx, _a: &SysArgs, _us: &dyn UserSpace) -> KResult<SysRet> {
    // A signal that cannot be posted changes nothing about the answer.
    let _ = ctx.proc().psignal(netbsd_abi::SIGSYS);
    Err(Errno::ENOSYS)
}

/// Fill every slot whose call belongs to a module with the placeholder.
pub(super) fn register(k: &Kernel) {
    for call in netbsd_abi::SYSCALLS {
        if call.module.is_empty() {
            continue;
        }
        // Slots taken by a real call keep it.
        let _ = k.register_placeholder(call.number, call.name, sys_nomodule);
    }
}
