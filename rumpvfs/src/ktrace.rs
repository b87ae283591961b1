//! `ktrace(2)` by path, the VFS part of NetBSD's ktrace
//! (`kern_ktrace_vfs.c`): the file is opened for reading and writing, must
//! be a regular file (EACCES), and traces from its start; the rest is the
//! base kernel's `ktrace_common`.

use crate::flags::{O_RDWR, PATH_MAX, S_IFMT, S_IFREG};
use netbsd_abi::{RUMP_KTROP_CLEAR, RUMP_KTROP_MASK};
use rump::syscall::args::arg_int as int;
use rump::syscall::{Ctx, SysArgs, SysRet, SyscallFn};
use rump::usermem::UserSpace;
use rump::{Errno, KResult};

/// The calls of this part, for the faction's table.
pub(crate) const CALLS: &[(usize, &str, SyscallFn)] =
    &[(netbsd_abi::SYS_ktrace, "ktrace", sys_ktrace)];

/// `ktrace(const char *fname, int ops, int facs, pid_t pid)`.
pub(crate) fn sys_ktrace(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (ops, facs, pid) = (int(a, 1), int(a, 2), int(a, 3));
    let file = if ops & RUMP_KTROP_MASK != RUMP_KTROP_CLEAR {
        let path = us.copyinstr(a[0], PATH_MAX)?;
        // As NetBSD, the file takes a descriptor slot for the call only.
        let fd = crate::calls::open(ctx, None, &path, O_RDWR, 0)?;
        let fdt = ctx.proc().fdt();
        let f = fdt.get(fd)?;
        fdt.close(fd)?;
        if f.ops().stat(ctx)?.mode & S_IFMT != S_IFREG {
            return Err(Errno::EACCES);
        }
        Some(f)
    } else {
        None
    };
    rump::ktrace::ktrace_common(ctx, file, ops, facs, pid)?;
    Ok([0, 0])
}
