//! File handles: `__getfh30`, `__fhopen40`, `__fhstat50` and
//! `__fhstatvfs140`, root's only (KAUTH_SYSTEM_FILEHANDLE), with NetBSD's
//! checks in its order (`sys___getfh30`, `dofhopen`, `do_fhstat`,
//! `do_fhstatvfs`). The handle format is [`crate::fhandle`]'s.

use super::Calls;
use super::stat::{emit_statvfs, stat_out};
use crate::node::VType;
use crate::{calls, fhandle};
use netbsd_abi::*;
use rump::syscall::args::{arg_int, arg_path, ret};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::{UserSpace, copyin_array, copyin_vec};
use rump::{Errno, KResult};

pub(super) const CALLS: Calls = &[
    (SYS___getfh30, "__getfh30", sys_getfh),
    (SYS___fhopen40, "__fhopen40", sys_fhopen),
    (SYS___fhstat50, "__fhstat50", sys_fhstat),
    (SYS___fhstatvfs140, "__fhstatvfs140", sys_fhstatvfs),
];

/// `O_SEARCH` (`sys/fcntl.h`), which `fhopen` drops.
const O_SEARCH: i32 = netbsd_abi::O_SEARCH;

fn require_root(ctx: &Ctx) -> KResult<()> {
    if ctx.cred().is_root() {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// The caller's handle of `size` bytes at `addr`, checked, resolved.
fn handle_vnode(ctx: &Ctx, us: &dyn UserSpace, addr: u64, size: u64) -> KResult<crate::vfs::Vnode> {
    let size = usize::try_from(size).map_err(|_| Errno::EINVAL)?;
    if !(fhandle::FHANDLE_SIZE_MIN..=fhandle::FHANDLE_SIZE_MAX).contains(&size) {
        return Err(Errno::EINVAL);
    }
    let raw = copyin_vec(us, addr, size)?;
    fhandle::resolve(ctx, fhandle::check_size(&raw)?)
}

/// `__getfh30(fname, fhp, fh_size)`: the size goes back through `fh_size`
/// whether or not the handle fits (E2BIG when not).
fn sys_getfh(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    require_root(ctx)?;
    let vn = calls::lookup_vnode(ctx, &arg_path(us, a[0])?, true)?;
    let fh = fhandle::compose(&vn)?;
    let room = u64::from_le_bytes(copyin_array::<8>(us, a[2])?);
    us.copyout(a[2], &(fh.len() as u64).to_le_bytes())?;
    if room < fh.len() as u64 {
        return Err(Errno::E2BIG);
    }
    us.copyout(a[1], &fh)?;
    ret(0)
}

/// `__fhopen40(fhp, fh_size, flags)`.
fn sys_fhopen(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    require_root(ctx)?;
    let flags = arg_int(a, 2) & !O_SEARCH;
    if flags & O_ACCMODE == O_ACCMODE || flags & O_CREAT != 0 {
        return Err(Errno::EINVAL);
    }
    let vn = handle_vnode(ctx, us, a[0], a[1])?;
    if vn.vtype() == VType::Sock {
        return Err(Errno::EOPNOTSUPP);
    }
    ret(calls::open_vnode(ctx, vn, flags, false)? as u64)
}

/// `__fhstat50(fhp, fh_size, sb)`.
fn sys_fhstat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    require_root(ctx)?;
    let vn = handle_vnode(ctx, us, a[0], a[1])?;
    stat_out(us, a[2], &crate::stat_of(&vn))
}

/// `__fhstatvfs140(fhp, fh_size, buf, flags)`: the counts are always
/// current, so `ST_WAIT` and `ST_NOWAIT` read the same.
fn sys_fhstatvfs(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    require_root(ctx)?;
    let vn = handle_vnode(ctx, us, a[0], a[1])?;
    us.copyout(a[2], &emit_statvfs(&calls::statvfs_vn(&vn)))?;
    ret(0)
}
