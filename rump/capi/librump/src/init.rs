//! `rump_init` and the boot parameters a program may set before it: the
//! process's default kernel, with the components of every component
//! library the program was linked with or had preloaded.

use kernel::{BootConfig, Component, Errno, Kernel, KernelBuilder, LoadError};
use netbsd_abi::{RUMP_AB_SILENT, RUMP_AB_VERBOSE};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The kernel `rump_init` booted; it lives as long as the process.
static KERNEL: OnceLock<Arc<Kernel>> = OnceLock::new();
/// Serialises `rump_init` calls, so that one boot happens.
static BOOTING: Mutex<()> = Mutex::new(());
/// `boothowto`: `AB_SILENT` until the program or `RUMP_VERBOSE` says
/// otherwise, as NetBSD's rump kernel starts.
static HOWTO: AtomicI32 = AtomicI32::new(RUMP_AB_SILENT);

/// The default kernel, or ENXIO before `rump_init` (as after a halt).
pub fn kernel() -> Result<&'static Kernel, Errno> {
    KERNEL.get().map(|k| &**k).ok_or(Errno::ENXIO)
}

/// Print a boot failure on the host console and give its error number.
fn failed(why: &str, e: Errno) -> Errno {
    rumpuser::console_write(&format!("rump_init: {why}\n"));
    e
}

/// Boot the kernel with `builtin` and attach the loaded component libraries.
fn boot(builtin: &[&'static Component]) -> Result<Arc<Kernel>, Errno> {
    let mut config = BootConfig::from_host().map_err(|e| failed(&e.to_string(), Errno::EINVAL))?;
    if config.verbose {
        HOWTO.store(RUMP_AB_VERBOSE, Ordering::Relaxed);
    }
    config.verbose = HOWTO.load(Ordering::Relaxed) & RUMP_AB_VERBOSE != 0;
    let mut builder = KernelBuilder::new()
        .config(config)
        .console(Box::new(|_, m| rumpuser::console_write(&format!("{m}\n"))));
    for &c in builtin {
        builder = builder.component(c);
    }
    let k = builder
        .boot()
        .map_err(|e| failed(&e.to_string(), Errno::EINVAL))?;
    k.join_build("librump.so", env!("RUMP_BUILD_MANIFEST"))
        .map_err(|e| failed(&e, Errno::ENOEXEC))?;
    let libraries = rumpuser::loaded_components();
    if !libraries.is_empty() {
        let names: Vec<&str> = libraries.iter().map(String::as_str).collect();
        k.load_libraries(&names, &[]).map_err(|e| {
            let errno = match e {
                LoadError::Open { .. } | LoadError::Refused { .. } => Errno::ENOEXEC,
                LoadError::Attach(_) => Errno::EINVAL,
            };
            failed(&e.to_string(), errno)
        })?;
    }
    crate::etfs::register_boot_entries(&k);
    Ok(k)
}

/// `rump_init`: boot the process's default kernel; 0, or the error number
/// (with the reason on the console). Calling it again does nothing.
#[unsafe(no_mangle)]
pub extern "C" fn rump_init() -> libc::c_int {
    init_with(&[])
}

/// [`rump_init`] with components compiled into the program as well (a
/// program that builds this library's sources in, as the fuzz target does,
/// has no component libraries to find).
pub fn init_with(builtin: &[&'static Component]) -> libc::c_int {
    let _booting = BOOTING.lock().unwrap_or_else(|e| e.into_inner());
    if KERNEL.get().is_some() {
        return 0;
    }
    match boot(builtin) {
        Ok(k) => {
            let _ = KERNEL.set(k);
            0
        }
        Err(e) => e.0,
    }
}

/// `rump_boot_gethowto`: the boot flags (`RUMP_AB_*`).
#[unsafe(no_mangle)]
pub extern "C" fn rump_boot_gethowto() -> libc::c_int {
    HOWTO.load(Ordering::Relaxed)
}

/// `rump_boot_sethowto`: set the boot flags before `rump_init`;
/// `RUMP_AB_VERBOSE` prints the boot messages.
#[unsafe(no_mangle)]
pub extern "C" fn rump_boot_sethowto(howto: libc::c_int) {
    HOWTO.store(howto, Ordering::Relaxed);
}

/// `rump_getversion`: `__NetBSD_Version__` of the release whose ABI the
/// kernel speaks (what `kern.osrevision` says).
#[unsafe(no_mangle)]
pub extern "C" fn rump_getversion() -> libc::c_int {
    kernel::sysctl::OSREV
}

/// `rump_pub_getversion`: [`rump_getversion`] under its older name.
#[unsafe(no_mangle)]
pub extern "C" fn rump_pub_getversion() -> libc::c_int {
    rump_getversion()
}

/// `rump_nativeabi_p`: whether the kernel's ABI is the host's. It is
/// NetBSD's, and the host is not NetBSD.
#[unsafe(no_mangle)]
pub extern "C" fn rump_nativeabi_p() -> libc::c_int {
    0
}
