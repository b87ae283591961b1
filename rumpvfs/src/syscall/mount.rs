//! Mounting: `__mount50` with each file system's argument structure, and
//! `unmount`.

use super::Calls;
use crate::calls;
use crate::fstypes::MountArgs;
use netbsd_abi::layout::{tmpfs_args, ufs_args};
use netbsd_abi::*;
use rump::syscall::args::{arg_int, arg_path, ret};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::{UserSpace, copyin_vec};
use rump::{Errno, KResult};

pub(super) const CALLS: Calls = &[
    (SYS___mount50, "__mount50", sys_mount),
    (SYS_unmount, "unmount", sys_unmount),
];

/// `TMPFS_ARGS_VERSION` (`fs/tmpfs/tmpfs_args.h`).
const TMPFS_ARGS_VERSION: u64 = netbsd_abi::TMPFS_ARGS_VERSION as u64;
/// Longest file system type name (`MFSNAMELEN`).
const MFSNAMELEN: usize = 32;

/// The caller's argument structure of `size` bytes at `addr`; EINVAL when
/// the length the caller gave is shorter.
fn mount_data(us: &dyn UserSpace, addr: u64, len: u64, size: usize) -> KResult<Vec<u8>> {
    if (len as usize) < size {
        return Err(Errno::EINVAL);
    }
    copyin_vec(us, addr, size)
}

/// `__mount50(type, path, flags, data, data_len)`; tmpfs takes
/// `tmpfs_args`, ffs `ufs_args` (a pointer to the device path).
fn sys_mount(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let fstype = String::from_utf8_lossy(&us.copyinstr(a[0], MFSNAMELEN)?).into_owned();
    let target = arg_path(us, a[1])?;
    let flags = arg_int(a, 2);
    if flags & MNT_UPDATE != 0 {
        calls::mount(ctx, &fstype, &target, flags, &MountArgs::default())?;
        return ret(0);
    }
    let args = match fstype.as_str() {
        "tmpfs" => {
            let t = mount_data(us, a[3], a[4], tmpfs_args::SIZE)?;
            let get = |f: Field| f.get(&t).unwrap_or_default();
            if get(tmpfs_args::ta_version) != TMPFS_ARGS_VERSION {
                return Err(Errno::EINVAL);
            }
            MountArgs {
                nodes_max: get(tmpfs_args::ta_nodes_max),
                size_max: get(tmpfs_args::ta_size_max),
                uid: get(tmpfs_args::ta_root_uid) as u32,
                gid: get(tmpfs_args::ta_root_gid) as u32,
                mode: get(tmpfs_args::ta_root_mode) as u32 & 0o7777,
                ..MountArgs::default()
            }
        }
        "ffs" => {
            let u = mount_data(us, a[3], a[4], ufs_args::SIZE)?;
            let p = ufs_args::fspec.get(&u).unwrap_or_default();
            if p == 0 {
                return Err(Errno::EINVAL);
            }
            MountArgs {
                fspec: Some(arg_path(us, p)?),
                ..MountArgs::default()
            }
        }
        _ => MountArgs::default(),
    };
    calls::mount(ctx, &fstype, &target, flags, &args)?;
    ret(0)
}

fn sys_unmount(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::unmount(ctx, &arg_path(us, a[0])?, arg_int(a, 1))?;
    ret(0)
}
