//! The file system calls by NetBSD number, one module per group of calls:
//! each decodes its argument slots, copies paths and structures through the
//! caller's memory (layouts from `netbsd_abi::layout`) and calls the logic
//! in [`crate::calls`]. Every group has a `CALLS` table; [`register`] adds
//! them all to a kernel.

mod advise;
mod attr;
mod dir;
mod fh;
mod link;
mod mount;
mod open;
mod quota;
mod rdwr;
mod stat;
mod sync;
mod xattr;

use crate::node::VType;
use crate::vfs::Vnode;
use rump::syscall::{Ctx, SyscallFn};
use rump::{Errno, KResult, Kernel};

/// Largest single transfer (a bounce buffer is allocated for it).
const MAX_IO: usize = 1 << 24;

/// One group's table: NetBSD's number, the name it has there, the handler.
type Calls = &'static [(usize, &'static str, SyscallFn)];

/// Where a `*at` call's relative path starts: the directory `fd` names, or
/// the current directory for `AT_FDCWD`. An absolute path ignores it.
fn at_dir(ctx: &Ctx, fd: i32, path: &[u8]) -> KResult<Option<Vnode>> {
    if fd == netbsd_abi::AT_FDCWD || path.first() == Some(&b'/') {
        return Ok(None);
    }
    let f = ctx.proc().fdt().get(fd)?;
    let vn = f
        .ops()
        .as_any()
        .and_then(|a| a.downcast_ref::<crate::VnodeFile>())
        .map(|v| v.vn.clone())
        .ok_or(Errno::ENOTDIR)?;
    if vn.vtype() != VType::Dir {
        return Err(Errno::ENOTDIR);
    }
    Ok(Some(vn))
}

/// Register the file system calls in `k`'s table.
pub(crate) fn register(k: &Kernel) -> KResult<()> {
    for table in [
        open::CALLS,
        rdwr::CALLS,
        stat::CALLS,
        link::CALLS,
        dir::CALLS,
        attr::CALLS,
        mount::CALLS,
        sync::CALLS,
        advise::CALLS,
        fh::CALLS,
        xattr::CALLS,
        quota::CALLS,
        crate::ktrace::CALLS,
    ] {
        k.register_syscalls(table)?;
    }
    Ok(())
}
