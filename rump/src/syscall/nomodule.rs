//! The calls of modules this kernel does not have. NetBSD's
//! `syscalls.master` names a module for some calls (`compat` for the
//! `COMPAT_50` entries, `nfsserver` for `nfssvc`, `ksem`, `aio`, ...); its
//! rump kernel fills those slots with `sys_nomodule`, which, with no module
//! to load, is `sys_nosys`: SIGSYS to the caller's process and ENOSYS
//! (`sys/kern/kern_syscall.c`, `sys/kern/kern_stub.c`). A call a kernel
//! has not got at all, module or not, is a plain ENOSYS (`enosys`).
//!
//! Every such slot that no component has filled answers with the
//! placeholder here; a component that implements the call registers it in
//! the slot (see [`Kernel::register_syscall`]), and the placeholder is no
//! longer asked.

use super::{Ctx, Entry, SysArgs, SysRet};
use crate::errno::{Errno, KResult};
#[cfg(doc)]
use crate::kernel::Kernel;
use crate::usermem::UserSpace;

/// NetBSD's `sys_nosys`: post SIGSYS to the process, answer ENOSYS.
fn sys_nomodule(ctx: &Ctx, _a: &SysArgs, _us: &dyn UserSpace) -> KResult<SysRet> {
    // A signal that cannot be posted changes nothing about the answer.
    let _ = ctx.proc().psignal(netbsd_abi::SIGSYS);
    Err(Errno::ENOSYS)
}

/// The placeholder for slot `number` if NetBSD gives its call to a module
/// (`netbsd_abi::SYSCALLS` is sorted by number).
pub(super) fn placeholder(number: usize) -> Option<Entry> {
    let i = netbsd_abi::SYSCALLS
        .binary_search_by_key(&number, |c| c.number)
        .ok()?;
    let call = &netbsd_abi::SYSCALLS[i];
    (!call.module.is_empty()).then_some(Entry {
        name: call.name,
        handler: sys_nomodule,
        placeholder: true,
    })
}

#[cfg(test)]
mod tests {
    use super::placeholder;

    /// The search finds every module's call, and only those.
    #[test]
    fn every_module_slot_has_its_placeholder() {
        for call in netbsd_abi::SYSCALLS {
            let found = placeholder(call.number).map(|e| e.name);
            let want = (!call.module.is_empty()).then_some(call.name);
            assert_eq!(found, want, "slot {}", call.number);
        }
        assert!(placeholder(netbsd_abi::SYSCALLS.len() * 4).is_none());
    }
}
