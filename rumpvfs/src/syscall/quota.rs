//! `__quotactl(path, args)` and `revoke(path)`: calls on a file system or
//! a node as a whole.
//!
//! `__quotactl` decodes `struct quotactl_args` and copies in what NetBSD's
//! `do_sys_quotactl` copies before asking the file system; no file system
//! here keeps quotas (NetBSD 7.99's memory file systems have none, FFS none
//! until quotas are turned on, which needs quota files this FFS does not
//! support yet), so each valid request ends with EOPNOTSUPP.

use super::Calls;
use crate::calls;
use netbsd_abi::*;
use rump::syscall::args::{arg_path, ret};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::{UserSpace, copyin_array, copyin_vec};
use rump::{Errno, KResult};

pub(super) const CALLS: Calls = &[
    (SYS___quotactl, "__quotactl", sys_quotactl),
    (SYS_revoke, "revoke", sys_revoke),
];

// `sys/quotactl.h`, `sys/quota.h` (not in netbsd_abi's tables).
/// `sizeof(struct quotactl_args)`: `qc_op`, then a union whose largest
/// member (`cursorget`) is 40 bytes, at 8.
const QUOTACTL_ARGS_SIZE: usize = 48;
/// Where the union starts.
const U: usize = 8;
/// `sizeof(struct quotakey)`.
const QUOTAKEY_SIZE: usize = 12;
/// `sizeof(struct quotaval)`.
const QUOTAVAL_SIZE: usize = 40;
/// `sizeof(struct quotakcursor)`.
const QUOTAKCURSOR_SIZE: usize = 64;
const QUOTACTL_STAT: u32 = 0;
const QUOTACTL_IDTYPESTAT: u32 = 1;
const QUOTACTL_OBJTYPESTAT: u32 = 2;
const QUOTACTL_GET: u32 = 3;
const QUOTACTL_PUT: u32 = 4;
const QUOTACTL_DEL: u32 = 5;
const QUOTACTL_CURSOROPEN: u32 = 6;
const QUOTACTL_CURSORCLOSE: u32 = 7;
const QUOTACTL_CURSORSKIPIDTYPE: u32 = 8;
const QUOTACTL_CURSORGET: u32 = 9;
const QUOTACTL_CURSORATEND: u32 = 10;
const QUOTACTL_CURSORREWIND: u32 = 11;
const QUOTACTL_QUOTAON: u32 = 12;
const QUOTACTL_QUOTAOFF: u32 = 13;

fn sys_quotactl(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let args = copyin_array::<QUOTACTL_ARGS_SIZE>(us, a[1])?;
    let word = |o: usize| u32::from_le_bytes(args[o..o + 4].try_into().unwrap_or_default());
    let ptr = |o: usize| u64::from_le_bytes(args[o..o + 8].try_into().unwrap_or_default());
    let _vn = calls::lookup_vnode(ctx, &arg_path(us, a[0])?, true)?;
    let op = word(0);
    // What each request reads from the caller before the file system
    // sees it (the do_sys_quotactl_* functions).
    match op {
        QUOTACTL_STAT | QUOTACTL_IDTYPESTAT | QUOTACTL_OBJTYPESTAT | QUOTACTL_CURSOROPEN
        | QUOTACTL_QUOTAOFF => {}
        QUOTACTL_GET | QUOTACTL_DEL => {
            copyin_vec(us, ptr(U), QUOTAKEY_SIZE)?;
        }
        QUOTACTL_PUT => {
            copyin_vec(us, ptr(U), QUOTAKEY_SIZE)?;
            copyin_vec(us, ptr(U + 8), QUOTAVAL_SIZE)?;
        }
        QUOTACTL_CURSORCLOSE
        | QUOTACTL_CURSORSKIPIDTYPE
        | QUOTACTL_CURSORGET
        | QUOTACTL_CURSORATEND
        | QUOTACTL_CURSORREWIND => {
            copyin_vec(us, ptr(U), QUOTAKCURSOR_SIZE)?;
        }
        QUOTACTL_QUOTAON => {
            // The quota file's path, PATH_MAX bytes of it (NetBSD copies
            // the whole buffer, not a string).
            copyin_vec(us, ptr(U + 8), PATH_MAX as usize)?;
        }
        _ => return Err(Errno::EINVAL),
    }
    Err(Errno::EOPNOTSUPP)
}

fn sys_revoke(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::revoke(ctx, &arg_path(us, a[0])?)?;
    ret(0)
}
