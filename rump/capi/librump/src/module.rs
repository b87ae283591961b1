//! `rump_pub_module_init` / `rump_pub_module_fini`: kernel modules linked
//! into the program, described by NetBSD's `struct modinfo`, join the
//! kernel's module list as built-in modules and are initialised through
//! their `modcmd` as NetBSD's `module_builtin_add` does; `modstat` lists
//! them and `modctl` unloads them like any other.

use crate::cstr;
use kernel::module::{ModuleClass, ModuleCmd, ModuleInfo, ModuleSource};
use kernel::{Errno, Kernel};
use std::sync::Arc;

use netbsd_abi::{MODULE_CMD_FINI, MODULE_CMD_INIT};

/// A module's command function: `int (*mi_modcmd)(modcmd_t, void *)`.
type ModCmdFn = unsafe extern "C" fn(libc::c_int, *mut libc::c_void) -> libc::c_int;

/// NetBSD's `struct modinfo` (`sys/module.h`), as the program defines it.
#[repr(C)]
pub struct ModInfo {
    mi_version: libc::c_uint,
    mi_class: libc::c_int,
    mi_modcmd: Option<ModCmdFn>,
    mi_name: *const libc::c_char,
    mi_required: *const libc::c_char,
}

/// The module class of NetBSD's number (`modclass_t`).
fn class(n: libc::c_int) -> Result<ModuleClass, Errno> {
    Ok(match n {
        netbsd_abi::MODULE_CLASS_ANY => ModuleClass::Any,
        netbsd_abi::MODULE_CLASS_MISC => ModuleClass::Misc,
        netbsd_abi::MODULE_CLASS_VFS => ModuleClass::Vfs,
        netbsd_abi::MODULE_CLASS_DRIVER => ModuleClass::Driver,
        netbsd_abi::MODULE_CLASS_EXEC => ModuleClass::Exec,
        netbsd_abi::MODULE_CLASS_SECMODEL => ModuleClass::SecModel,
        _ => return Err(Errno::EINVAL),
    })
}

/// A `modcmd` call with `cmd` as a module handler of the kernel.
fn command(modcmd: ModCmdFn, cmd: libc::c_int) -> ModuleCmd {
    Arc::new(move |_: &Kernel| {
        // SAFETY: `modcmd` is the program's module command function, which
        // `rump_pub_module_init`'s contract says takes (cmd, NULL).
        match unsafe { modcmd(cmd, std::ptr::null_mut()) } {
            0 => Ok(()),
            e => Err(Errno(e)),
        }
    })
}

/// The kernel's description of the module `mi` describes.
fn describe(mi: *const ModInfo) -> Result<ModuleInfo, Errno> {
    if mi.is_null() {
        return Err(Errno::EFAULT);
    }
    // SAFETY: the caller hands pointers to live `struct modinfo`s (the
    // interface's contract); they are only read.
    let mi = unsafe { &*mi };
    let modcmd = mi.mi_modcmd.ok_or(Errno::EINVAL)?;
    let requires = if mi.mi_required.is_null() {
        Vec::new()
    } else {
        cstr::read(mi.mi_required)?
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    Ok(ModuleInfo {
        name: cstr::read(mi.mi_name)?,
        class: class(mi.mi_class)?,
        requires,
        init: Some(command(modcmd, MODULE_CMD_INIT)),
        fini: Some(command(modcmd, MODULE_CMD_FINI)),
        source: ModuleSource::Kernel,
    })
}

/// Add and initialise the modules; stops at the first that fails.
fn init(k: &'static Kernel, mip: *const *const ModInfo, n: usize) -> Result<(), Errno> {
    // Loading modules is the superuser's, as NetBSD's kauth check says.
    k.with_ctx(|ctx| {
        if ctx.cred().is_root() {
            Ok(())
        } else {
            Err(Errno::EPERM)
        }
    })?;
    if n > 0 && mip.is_null() {
        return Err(Errno::EFAULT);
    }
    let mut infos = Vec::with_capacity(n);
    for i in 0..n {
        // SAFETY: the caller hands an array of `n` pointers.
        infos.push(describe(unsafe { *mip.add(i) })?);
    }
    // All names are checked before any is added, as NetBSD does.
    for (i, m) in infos.iter().enumerate() {
        if k.modules().contains(&m.name) || infos[..i].iter().any(|o| o.name == m.name) {
            return Err(Errno::EEXIST);
        }
    }
    let names: Vec<String> = infos.iter().map(|m| m.name.clone()).collect();
    for m in infos {
        k.modules().register(m)?;
    }
    for name in &names {
        k.sys_modctl_load(name)?;
    }
    Ok(())
}

/// `rump_pub_module_init`: make the `n` modules `mip` points to known to
/// the kernel and initialise each (`MODULE_CMD_INIT`); 0 or the error
/// number (EEXIST if a name is taken, that of a failed `modcmd`).
#[unsafe(no_mangle)]
pub extern "C" fn rump_pub_module_init(mip: *const *const ModInfo, n: libc::size_t) -> libc::c_int {
    let r = crate::init::kernel().and_then(|k| crate::sched::unscheduled(k, || init(k, mip, n)));
    r.err().map_or(0, |e| e.0)
}

/// `rump_pub_module_fini`: unload the module `mi` describes
/// (`MODULE_CMD_FINI`); 0 or the error number (EBUSY while another
/// loaded module requires it).
#[unsafe(no_mangle)]
pub extern "C" fn rump_pub_module_fini(mi: *const ModInfo) -> libc::c_int {
    let r = crate::init::kernel().and_then(|k| {
        let name = describe(mi)?.name;
        crate::sched::unscheduled(k, || k.sys_modctl_unload(&name))
    });
    r.err().map_or(0, |e| e.0)
}
