//! The VFS conformance suite: one set of cases, written once and applied to
//! every file system, as NetBSD's `tests/fs/vfs` does.
//!
//! Each case is a function taking the case's fixture ([`Fx`]): its own
//! kernel and a fresh directory on the file system under test (`fx.mp`). The
//! [`conformance!`] macro instantiates every case once per file system, as
//! `rumpfs::<case>` (a directory of the root file system) and `tmpfs::<case>`
//! (a tmpfs mounted on a fresh directory). After a case the fixture returns to
//! `/` and, for tmpfs, unmounts, which must succeed.
//!
//! A case that cannot apply to a file system says so and returns early, as
//! `atf_tc_skip` does in NetBSD. `nfs::<case>` runs on an export of
//! nfs-ganesha, each in a network namespace of its own; the cases whose NFS
//! semantics differ are listed with the reason in `common/nfs.rs`.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;
mod attrs;
mod by_number;
mod chflags_pathconf;
mod create;
mod data;
mod dirs;
mod helpers;
mod links_mounts;
mod locks;
mod lookup;
mod races;
mod readdir;
mod rename;
mod statvfs;
mod symlink;
mod unpriv;

use attrs::*;
use by_number::*;
use chflags_pathconf::*;
use create::*;
use data::*;
use dirs::*;
use helpers::*;
use links_mounts::*;
use locks::*;
use lookup::*;
use races::*;
use readdir::*;
use rename::*;
use statvfs::*;
use symlink::*;
use unpriv::*;

use common::{
    Fs, Fx, errno_of, get, list, names, pattern, pread_n, put, read_to_end, touch, write_all,
};
use rump::lwproc::RUMP_RFCFDG;
use rump::{Errno, Kernel};
use rumpvfs::VfsCalls;
use rumpvfs::flags::{
    DT_DIR, DT_LNK, DT_REG, F_OK, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY,
    O_RDWR, O_TRUNC, O_WRONLY, R_OK, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, SEEK_CUR, SEEK_END,
    SEEK_SET, W_OK, X_OK,
};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Instantiate every case for every file system.
macro_rules! conformance {
    ($($(#[$attr:meta])* $case:ident),* $(,)?) => {
        /// The cases on the root file system, in a fresh directory.
        mod rumpfs {
            $(
                $(#[$attr])*
                #[test]
                fn $case() {
                    crate::common::Fx::run(crate::common::Fs::Rumpfs, super::$case)
                }
            )*
        }
        /// The cases on a fresh tmpfs mounted on a fresh directory.
        mod tmpfs {
            $(
                $(#[$attr])*
                #[test]
                fn $case() {
                    crate::common::Fx::run(crate::common::Fs::Tmpfs, super::$case)
                }
            )*
        }
        /// The cases on a fresh FFSv1 image mounted on a fresh directory;
        /// the image must check clean afterwards.
        mod ffs1 {
            $(
                $(#[$attr])*
                #[test]
                fn $case() {
                    crate::common::Fx::run(crate::common::Fs::Ffs1, super::$case)
                }
            )*
        }
        /// The cases on a fresh FFSv2 image.
        mod ffs2 {
            $(
                $(#[$attr])*
                #[test]
                fn $case() {
                    crate::common::Fx::run(crate::common::Fs::Ffs2, super::$case)
                }
            )*
        }
        /// The cases on a fresh export of nfs-ganesha mounted over NFSv3.
        mod nfs {
            $(
                $(#[$attr])*
                #[test]
                fn $case() {
                    crate::common::nfs::run(concat!("nfs::", stringify!($case)), super::$case)
                }
            )*
        }
    };
}

conformance! {
    // lookups
    lookup_simple,
    lookup_complex,
    lookup_dotdot,
    lookup_enoent,
    lookup_enotdir,
    lookup_nametoolong,
    lookup_pathtoolong,
    lookup_eloop,
    // directories
    dir_simple,
    dir_slash,
    dir_notempty,
    dir_nlink,
    dir_rmdirdotdot,
    getcwd_chdir,
    // renames
    rename_reg_nodir,
    rename_over_file,
    rename_dir,
    rename_dotdot,
    rename_types,
    rename_moves_dotdot,
    rename_self,
    rename_nametoolong,
    rename_enoent,
    // many files, odd names
    create_many,
    create_nonalphanum,
    create_exist,
    create_nametoolong,
    long_and_odd_names,
    // symlinks
    symlink_zerolen,
    symlink_long,
    symlink_root,
    symlink_dangling,
    symlink_relative,
    lstat_symlink,
    symlink_nofollow,
    // attributes, access, times
    attrs,
    new_file_attrs,
    umask_applies,
    chmod_chown_root,
    access_simple,
    mtime_on_write,
    mtime_on_trunc,
    dir_times_on_entries,
    // directory reading
    read_directory,
    getdents_entries,
    getdents_rewind,
    open_flags,
    // data
    holywrite,
    extendfile,
    extendfile_append,
    sparse_pwrite,
    lseek_holes,
    overwrite512,
    overwrite64k,
    overwrite_trunc,
    overwrite_odd_offsets,
    shrinkfile,
    truncate_shrink_extend,
    truncate_errors,
    read_after_unlink,
    wrrd_after_unlink,
    // hard links, devices, mounts
    hardlinks,
    cross_device,
    mount_covers_dir,
    mount_busy,
    // statvfs, sync, full file system
    statvfs_sane,
    sync_and_fsync,
    fillfs,
    fill_nodes,
    // races
    renamerace,
    renamerace_dirs,
    rmdirrace,
    concurrent_create,
    // unprivileged ownership and permissions
    unpriv_owner,
    unpriv_dirperms,
    unpriv_private_dir,
    unpriv_file_perms,
    unpriv_chown_chmod,
    unpriv_sticky,
    unpriv_times,
    root_overrides,
    // advisory locks
    fcntl_lock,
    fcntl_getlock_pids,
    // chflags, pathconf, POSIX rename
    flags_immutable,
    flags_append,
    flags_system_and_owner,
    pathconf_values,
    posix_rename_links,
    // file handles, revoke, extended attributes, quotas, advice
    file_handles,
    file_handles_stale,
    revoke_kills_open_files,
    extattr_calls,
    extattrctl_per_fs,
    quotactl_calls,
    advice_and_space,
    ioctl_poll_and_creating_the_root,
}
