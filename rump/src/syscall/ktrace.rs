//! fktrace and utrace, the ktrace calls of the base kernel (ktrace by
//! path is the VFS faction's), as NetBSD's `kern_ktrace.c`.

use super::{Ctx, SysArgs, SysRet, SyscallFn, arg_int, ret};
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::ktrace;
use crate::usermem::{UserSpace, copyin_vec};
use netbsd_abi::{
    O_ACCMODE, O_RDONLY, RUMP_KTR_USER, RUMP_KTR_USER_MAXIDLEN, RUMP_KTR_USER_MAXLEN, SYS_fktrace,
    SYS_utrace,
};

/// `fktrace(int fd, int ops, int facs, pid_t pid)`: EBADF unless `fd` is
/// open for writing.
fn sys_fktrace(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    let f = ctx.proc().fdt().get(arg_int(a, 0))?;
    // A trace file must be open for writing.
    if f.status_flags() & O_ACCMODE as u32 == O_RDONLY as u32 {
        return Err(Errno::EBADF);
    }
    ktrace::ktrace_common(ctx, Some(f), arg_int(a, 1), arg_int(a, 2), arg_int(a, 3))?;
    ret(0)
}

/// `utrace(const char *label, void *addr, size_t len)`: a `KTR_USER`
/// record; nothing is read when the caller is not traced. A label that
/// cannot be read is recorded empty, as NetBSD's `ktruser` does.
fn sys_utrace(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    if !ktrace::traces(ctx, RUMP_KTR_USER) {
        return ret(0);
    }
    let len = a[2] as usize;
    if len > RUMP_KTR_USER_MAXLEN as usize {
        return Err(Errno::ENOSPC);
    }
    let label = us
        .copyinstr(a[0], RUMP_KTR_USER_MAXIDLEN as usize)
        .unwrap_or_default();
    match copyin_vec(us, a[1], len) {
        Ok(data) => ktrace::user(ctx, &label, &data)?,
        Err(e) => {
            // NetBSD writes the record with what it could not read, and fails.
            ktrace::user(ctx, &label, &vec![0; len])?;
            return Err(e);
        }
    }
    ret(0)
}

/// Register fktrace and utrace.
pub(super) fn register(k: &Kernel) {
    let calls: &[(usize, &'static str, SyscallFn)] = &[
        (SYS_fktrace, "fktrace", sys_fktrace),
        (SYS_utrace, "utrace", sys_utrace),
    ];
    // Boot registers the base once: the slots are free.
    let _ = k.register_syscalls(calls);
}
