//! `rump_pub_etfs_register`, `_withsize` and `_remove`, and
//! `rump_boot_etfs_register`: host files and directories under a key in
//! the kernel's namespace. Etfs belongs to the VFS faction: without it
//! these calls answer ENOSYS, as NetBSD's do when `librumpvfs` is absent.
//! They return the error number itself, not -1 and `errno`.

use crate::cstr;
use kernel::{Errno, Faction, Kernel};
use netbsd_abi::RUMP_ETFS_SIZE_ENDOFF;
use rumpvfs::etfs::{self, EtfsType};
use std::sync::Mutex;

/// NetBSD's `struct rump_boot_etfs` (`rump/rump.h`): filled in by the
/// program, which keeps it alive; the kernel sets `eb_status` at boot.
#[repr(C)]
pub struct RumpBootEtfs {
    eb_key: *const libc::c_char,
    eb_hostpath: *const libc::c_char,
    eb_type: libc::c_int,
    eb_begin: u64,
    eb_size: u64,
    eb_next: *mut RumpBootEtfs,
    eb_status: libc::c_int,
}

/// The entries given to `rump_boot_etfs_register`, by address, newest
/// first (NetBSD's `ebstart` list).
static BOOT_ENTRIES: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// Register one key in `k`.
fn register(
    k: &Kernel,
    key: *const libc::c_char,
    hostpath: *const libc::c_char,
    typ: libc::c_int,
    begin: u64,
    size: u64,
) -> Result<(), Errno> {
    if !k.has_faction(Faction::Vfs) {
        return Err(Errno::ENOSYS);
    }
    let (key, hostpath) = (cstr::read(key)?, cstr::read(hostpath)?);
    etfs::register_withsize(k, &key, &hostpath, EtfsType::from_raw(typ)?, begin, size)
}

/// 0 or the error number, as the `rump_pub_*` calls answer.
fn status(r: Result<(), Errno>) -> libc::c_int {
    r.err().map_or(0, |e| e.0)
}

/// `rump_pub_etfs_register`: the whole host file `hostpath` as `key`,
/// of type `typ` (`RUMP_ETFS_*`).
#[unsafe(no_mangle)]
pub extern "C" fn rump_pub_etfs_register(
    key: *const libc::c_char,
    hostpath: *const libc::c_char,
    typ: libc::c_int,
) -> libc::c_int {
    rump_pub_etfs_register_withsize(key, hostpath, typ, 0, RUMP_ETFS_SIZE_ENDOFF)
}

/// `rump_pub_etfs_register_withsize`: the window of `size` bytes at
/// `begin` of the host file (`RUMP_ETFS_SIZE_ENDOFF`: to its end).
#[unsafe(no_mangle)]
pub extern "C" fn rump_pub_etfs_register_withsize(
    key: *const libc::c_char,
    hostpath: *const libc::c_char,
    typ: libc::c_int,
    begin: u64,
    size: u64,
) -> libc::c_int {
    status(crate::init::kernel().and_then(|k| register(k, key, hostpath, typ, begin, size)))
}

/// `rump_pub_etfs_remove`: forget `key` (ENOENT if unknown), writing its
/// cached blocks back first.
#[unsafe(no_mangle)]
pub extern "C" fn rump_pub_etfs_remove(key: *const libc::c_char) -> libc::c_int {
    status(crate::init::kernel().and_then(|k| {
        if !k.has_faction(Faction::Vfs) {
            return Err(Errno::ENOSYS);
        }
        etfs::remove(k, &cstr::read(key)?)
    }))
}

/// `rump_boot_etfs_register`: have `rump_init` register `eb` once the VFS
/// faction is up; its `eb_status` is -1 until then, and then 0 or the
/// error number. As NetBSD's, the caller serialises this with `rump_init`
/// and keeps `eb` alive.
#[unsafe(no_mangle)]
pub extern "C" fn rump_boot_etfs_register(eb: *mut RumpBootEtfs) {
    if eb.is_null() {
        rumpuser::console_write("rump_boot_etfs_register: NULL entry\n");
        return;
    }
    // SAFETY: the caller hands a valid, live `struct rump_boot_etfs` it
    // owns (the interface's contract), and nothing else writes it now.
    unsafe {
        (*eb).eb_status = -1;
        (*eb).eb_next = std::ptr::null_mut();
    }
    let mut list = BOOT_ENTRIES.lock().unwrap_or_else(|e| e.into_inner());
    // Chain it to the previous newest, as NetBSD's list is linked.
    if let Some(&prev) = list.first() {
        // SAFETY: as above; `prev` was registered the same way and lives.
        unsafe { (*eb).eb_next = prev as *mut RumpBootEtfs };
    }
    list.insert(0, eb as usize);
}

/// Register the entries given before boot in `k` and set their status.
pub fn register_boot_entries(k: &Kernel) {
    let list = std::mem::take(&mut *BOOT_ENTRIES.lock().unwrap_or_else(|e| e.into_inner()));
    for addr in list {
        let eb = addr as *mut RumpBootEtfs;
        // SAFETY: `eb` was handed to `rump_boot_etfs_register`, whose
        // caller keeps it alive and leaves it alone until `rump_init` ends.
        let e = unsafe { &mut *eb };
        e.eb_status = status(register(
            k,
            e.eb_key,
            e.eb_hostpath,
            e.eb_type,
            e.eb_begin,
            e.eb_size,
        ));
    }
}
