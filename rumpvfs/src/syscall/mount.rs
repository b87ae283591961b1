//! Mounting: `__mount50`, which hands the caller's mount data to the file
//! system type to read, and `unmount`.

use super::Calls;
use crate::calls;
use crate::fstypes::read_mount_args;
use netbsd_abi::*;
use rump::syscall::args::{arg_int, arg_path, ret};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::{UserSpace, copyin_vec};
use rump::{Errno, KResult};

pub(super) const CALLS: Calls = &[
    (SYS___mount50, "__mount50", sys_mount),
    (SYS_unmount, "unmount", sys_unmount),
];

/// Longest file system type name (`MFSNAMELEN`).
const MFSNAMELEN: usize = 32;
/// The most mount data a caller may give (`VFS_MAX_MOUNT_DATA`,
/// `sys/mount.h`).
const VFS_MAX_MOUNT_DATA: u64 = 8192;

/// The caller's `len` bytes of mount data at `addr`, or `args_size` bytes
/// when it gave no length (none from a null pointer); EINVAL past
/// `VFS_MAX_MOUNT_DATA`, as NetBSD's `do_sys_mount`.
fn mount_data(us: &dyn UserSpace, addr: u64, len: u64, args_size: usize) -> KResult<Vec<u8>> {
    if addr == 0 {
        return Ok(Vec::new());
    }
    let len = if len == 0 { args_size as u64 } else { len };
    if len > VFS_MAX_MOUNT_DATA {
        return Err(Errno::EINVAL);
    }
    copyin_vec(us, addr, len as usize)
}

/// `__mount50(type, path, flags, data, data_len)`: the file system type
/// reads its own argument structure from the data (`VFS_MOUNT`).
fn sys_mount(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let fstype = String::from_utf8_lossy(&us.copyinstr(a[0], MFSNAMELEN)?).into_owned();
    let target = arg_path(us, a[1])?;
    let flags = arg_int(a, 2);
    let args = read_mount_args(
        ctx.kernel(),
        &fstype,
        flags,
        |size| mount_data(us, a[3], a[4], size),
        us,
    )?;
    calls::mount(ctx, &fstype, &target, flags, &args)?;
    ret(0)
}

fn sys_unmount(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::unmount(ctx, &arg_path(us, a[0])?, arg_int(a, 1))?;
    ret(0)
}
