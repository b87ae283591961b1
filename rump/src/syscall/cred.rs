//! The credential calls: get/set uid, gid, groups.

use super::{Ctx, SysArgs, SysRet, arg_int, ret};
use crate::cred::{Cred, NGROUPS_MAX};
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::usermem::{UserSpace, copyin_vec};

fn change(ctx: &Ctx, f: impl FnOnce(&Cred) -> KResult<Cred>) -> KResult<SysRet> {
    ctx.proc().change_cred(f)?;
    ret(0)
}

pub(super) fn sys_getuid(ctx: &Ctx, _: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    let c = ctx.cred();
    Ok([c.ruid as u64, c.euid as u64])
}

pub(super) fn sys_geteuid(ctx: &Ctx, _: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ret(ctx.cred().euid as u64)
}

pub(super) fn sys_getgid(ctx: &Ctx, _: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    let c = ctx.cred();
    Ok([c.rgid as u64, c.egid as u64])
}

pub(super) fn sys_getegid(ctx: &Ctx, _: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ret(ctx.cred().egid as u64)
}

pub(super) fn sys_setuid(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    change(ctx, |c| c.set_uid(a[0] as u32))
}

pub(super) fn sys_seteuid(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    change(ctx, |c| c.set_euid(a[0] as u32))
}

pub(super) fn sys_setgid(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    change(ctx, |c| c.set_gid(a[0] as u32))
}

pub(super) fn sys_setegid(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    change(ctx, |c| c.set_egid(a[0] as u32))
}

pub(super) fn sys_setreuid(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    change(ctx, |c| c.set_reuid(a[0] as u32, a[1] as u32))
}

pub(super) fn sys_setregid(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    change(ctx, |c| c.set_regid(a[0] as u32, a[1] as u32))
}

pub(super) fn sys_issetugid(_: &Ctx, _: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    // Rump kernel processes are never started from a set-id image.
    ret(0)
}

pub(super) fn sys_getgroups(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let groups = ctx.cred().groups.clone();
    let n = arg_int(a, 0);
    if n == 0 {
        return ret(groups.len() as u64);
    }
    if n < 0 || (n as usize) < groups.len() {
        return Err(Errno::EINVAL);
    }
    let bytes: Vec<u8> = groups.iter().flat_map(|g| g.to_le_bytes()).collect();
    us.copyout(a[1], &bytes)?;
    ret(groups.len() as u64)
}

pub(super) fn sys_setgroups(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let n = usize::try_from(arg_int(a, 0)).map_err(|_| Errno::EINVAL)?;
    if n > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    let raw = copyin_vec(us, a[1], n * 4)?;
    let groups: Vec<u32> = raw
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    change(ctx, |c| c.set_groups(&groups))
}

impl Kernel {
    fn cred_now(&self) -> KResult<std::sync::Arc<Cred>> {
        self.with_ctx(|ctx| Ok(ctx.cred()))
    }

    fn cred_change(&self, f: impl FnOnce(&Cred) -> KResult<Cred>) -> KResult<()> {
        self.with_ctx(|ctx| change(ctx, f).map(drop))
    }

    /// `getuid(2)`: the real user id.
    pub fn sys_getuid(&self) -> KResult<u32> {
        Ok(self.cred_now()?.ruid)
    }

    /// `geteuid(2)`.
    pub fn sys_geteuid(&self) -> KResult<u32> {
        Ok(self.cred_now()?.euid)
    }

    /// `getgid(2)`: the real group id.
    pub fn sys_getgid(&self) -> KResult<u32> {
        Ok(self.cred_now()?.rgid)
    }

    /// `getegid(2)`.
    pub fn sys_getegid(&self) -> KResult<u32> {
        Ok(self.cred_now()?.egid)
    }

    /// `getgroups(2)`.
    pub fn sys_getgroups(&self) -> KResult<Vec<u32>> {
        Ok(self.cred_now()?.groups.clone())
    }

    /// `setuid(2)`.
    pub fn sys_setuid(&self, uid: u32) -> KResult<()> {
        self.cred_change(|c| c.set_uid(uid))
    }

    /// `seteuid(2)`.
    pub fn sys_seteuid(&self, uid: u32) -> KResult<()> {
        self.cred_change(|c| c.set_euid(uid))
    }

    /// `setgid(2)`.
    pub fn sys_setgid(&self, gid: u32) -> KResult<()> {
        self.cred_change(|c| c.set_gid(gid))
    }

    /// `setegid(2)`.
    pub fn sys_setegid(&self, gid: u32) -> KResult<()> {
        self.cred_change(|c| c.set_egid(gid))
    }

    /// `setreuid(2)`; `u32::MAX` leaves an id unchanged.
    pub fn sys_setreuid(&self, ruid: u32, euid: u32) -> KResult<()> {
        self.cred_change(|c| c.set_reuid(ruid, euid))
    }

    /// `setregid(2)`; `u32::MAX` leaves an id unchanged.
    pub fn sys_setregid(&self, rgid: u32, egid: u32) -> KResult<()> {
        self.cred_change(|c| c.set_regid(rgid, egid))
    }

    /// `setgroups(2)`.
    pub fn sys_setgroups(&self, groups: &[u32]) -> KResult<()> {
        self.cred_change(|c| c.set_groups(groups))
    }
}
