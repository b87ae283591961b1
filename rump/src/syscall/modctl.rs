//! modctl: load, unload, stat and exists, as NetBSD's `sys_modctl`.

use super::{Ctx, SysArgs, SysRet, arg_int, ret};
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::module::{MAXMODNAME, MODSTAT_SIZE, ModStat};
use crate::usermem::{UserSpace, copyin_array, copyin_vec};
use netbsd_abi::layout::{iovec, modctl_load};

/// `MODCTL_LOAD`.
pub const MODCTL_LOAD: i32 = netbsd_abi::MODCTL_LOAD;
/// `MODCTL_UNLOAD`.
pub const MODCTL_UNLOAD: i32 = netbsd_abi::MODCTL_UNLOAD;
/// `MODCTL_STAT`.
pub const MODCTL_STAT: i32 = netbsd_abi::MODCTL_STAT;
/// `MODCTL_EXISTS`.
pub const MODCTL_EXISTS: i32 = netbsd_abi::MODCTL_EXISTS;
const MAXPATHLEN: usize = netbsd_abi::MAXPATHLEN as usize;
/// Largest property list accepted with a load (NetBSD's limit is 4096).
const MAX_PROPS: usize = 4096;

/// A field of a structure copied in whole (its size checked by the copy).
fn field(b: &[u8], f: netbsd_abi::Field) -> u64 {
    f.get(b).unwrap_or_default()
}

fn load(ctx: &Ctx, name: &str) -> KResult<()> {
    ctx.cred().require_root()?;
    if name.contains('/') {
        return ctx.kernel().modules().load_file(ctx, name);
    }
    if name.len() >= MAXMODNAME {
        return Err(Errno::ENAMETOOLONG);
    }
    ctx.kernel().modules().load(ctx, name)
}

fn unload(ctx: &Ctx, name: &str) -> KResult<()> {
    ctx.cred().require_root()?;
    ctx.kernel().modules().unload(ctx, name)
}

/// Reject module properties: no module here takes any, and silently dropping
/// them would hide a mistake. An empty dictionary (what `modload` sends
/// without options) is accepted.
fn check_props(props: &[u8]) -> KResult<()> {
    let text = String::from_utf8_lossy(props);
    if text.contains("<key>") {
        Err(Errno::EINVAL)
    } else {
        Ok(())
    }
}

pub(super) fn sys_modctl(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    match arg_int(a, 0) {
        MODCTL_LOAD => {
            let ml = copyin_array::<{ modctl_load::SIZE }>(us, a[1])?;
            let name = us.copyinstr(field(&ml, modctl_load::ml_filename), MAXPATHLEN)?;
            let props = field(&ml, modctl_load::ml_props);
            let propslen = field(&ml, modctl_load::ml_propslen) as usize;
            if props != 0 {
                if propslen > MAX_PROPS {
                    return Err(Errno::ENOMEM);
                }
                check_props(&copyin_vec(us, props, propslen)?)?;
            }
            load(ctx, &String::from_utf8_lossy(&name))?;
        }
        MODCTL_UNLOAD => {
            let name = us.copyinstr(a[1], MAXPATHLEN)?;
            unload(ctx, &String::from_utf8_lossy(&name))?;
        }
        MODCTL_STAT => {
            let iov = copyin_array::<{ iovec::SIZE }>(us, a[1])?;
            let base = field(&iov, iovec::iov_base);
            let len = field(&iov, iovec::iov_len) as usize;
            let rows: Vec<u8> = ctx
                .kernel()
                .modules()
                .stat()
                .iter()
                .flat_map(ModStat::to_bytes)
                .collect();
            us.copyout(base, &rows[..rows.len().min(len)])?;
            // The caller learns the size needed, as NetBSD reports it.
            us.copyout(
                a[1].checked_add(iovec::iov_len.offset as u64)
                    .ok_or(Errno::EFAULT)?,
                &(rows.len() as u64).to_le_bytes(),
            )?;
        }
        MODCTL_EXISTS => {}
        _ => return Err(Errno::EINVAL),
    }
    ret(0)
}

impl Kernel {
    /// `modctl(MODCTL_LOAD)` of a module by name.
    pub fn sys_modctl_load(&self, name: &str) -> KResult<()> {
        self.with_ctx(|ctx| load(ctx, name))
    }

    /// `modctl(MODCTL_UNLOAD)`.
    pub fn sys_modctl_unload(&self, name: &str) -> KResult<()> {
        self.with_ctx(|ctx| unload(ctx, name))
    }

    /// `modctl(MODCTL_STAT)`.
    pub fn sys_modctl_stat(&self) -> KResult<Vec<ModStat>> {
        self.with_ctx(|ctx| Ok(ctx.kernel().modules().stat()))
    }
}

#[allow(dead_code)]
const _: () = assert!(MODSTAT_SIZE == 392);
