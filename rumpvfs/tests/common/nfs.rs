//! NFS under the conformance suite: each case starts nfs-ganesha with a
//! fresh export in a network namespace of its own and runs again inside
//! it (see rumpfs_nfs/tests/ganesha), where its kernel mounts the export
//! as NetBSD's `mount_nfs` does.

#[path = "../../../rumpfs_nfs/tests/ganesha/mod.rs"]
mod ganesha;
#[path = "../../../rumpfs_nfs/tests/mounting/mod.rs"]
mod mounting;

use super::{Fs, Fx};
use rump::Kernel;
use std::path::Path;

/// The cases whose NFS semantics differ from a local file system's, with
/// the reason (as NetBSD's `tests/fs/vfs` lists its nfs exceptions): they
/// are skipped on nfs with that line.
const DIFFERS: &[(&str, &str)] = &[
    (
        "dir_rmdirdotdot",
        "the server forgets a removed directory's handle: `..` of it is ESTALE, not ENOENT",
    ),
    (
        "file_handles",
        "getfh/fhopen through an NFS mount: not supported yet",
    ),
    (
        "file_handles_stale",
        "getfh/fhopen through an NFS mount: not supported yet",
    ),
    (
        "flags_append",
        "NFS has no file flags: chflags is EOPNOTSUPP (NetBSD's nfs_setattr)",
    ),
    (
        "flags_immutable",
        "NFS has no file flags: chflags is EOPNOTSUPP (NetBSD's nfs_setattr)",
    ),
    (
        "flags_system_and_owner",
        "NFS has no file flags: chflags is EOPNOTSUPP (NetBSD's nfs_setattr)",
    ),
    (
        "new_file_attrs",
        "the server gives a new file its group (Linux: the caller's), not the directory's",
    ),
    (
        "unpriv_times",
        "the server gives a new file its group (Linux: the caller's), not the directory's",
    ),
    (
        "pathconf_values",
        "_PC_FILESIZEBITS follows the server's FSINFO maxfilesize (63 bits on ganesha)",
    ),
    (
        "read_after_unlink",
        "an open file removed on the server is gone (ESTALE): no silly rename yet",
    ),
    (
        "wrrd_after_unlink",
        "an open file removed on the server is gone (ESTALE): no silly rename yet",
    ),
    (
        "rename_over_file",
        "an open file renamed over on the server is gone (ESTALE): no silly rename yet",
    ),
    (
        "renamerace",
        "racing removals meet handles the server has forgotten: ESTALE, not EEXIST",
    ),
    (
        "rmdirrace",
        "racing removals meet handles the server has forgotten: ESTALE, not ENOENT",
    ),
    (
        "symlink_zerolen",
        "the server refuses an empty symbolic link target (EINVAL)",
    ),
];

/// Mount the export of the server this copy of the case runs beside on
/// `mp`: its root handle from the mount daemon, then mount(2).
pub fn mount(k: &Kernel, mp: &str) {
    let export = ganesha::inside().expect("an NFS case runs inside the server's namespace");
    let fh = ganesha::root_handle(&export);
    mounting::mount_nfs(k, mp, &fh, "127.0.0.1:/export", 0).expect("mount nfs");
}

/// Run conformance case `name` (its full test name) on NFS: inside the
/// namespace, on the mounted export; outside, start the server and run
/// this test again inside. Skipped, with a line, where no server can run.
pub fn run(name: &str, case: fn(&Fx)) {
    let short = name.trim_start_matches("nfs::");
    if let Some((_, why)) = DIFFERS.iter().find(|(c, _)| *c == short) {
        eprintln!("skipped on nfs: {why}");
        return;
    }
    run_inside(name, || Fx::run(Fs::Nfs, case));
}

/// Run `body` of test `name` (its full test name) beside a fresh server:
/// inside the namespace, run it (it mounts with [`mount`]); outside, start
/// the server and run this test again inside. Skipped, with a line, where
/// no server can run.
pub fn run_inside(name: &str, body: impl FnOnce()) {
    if ganesha::inside().is_some() {
        body();
        return;
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let tag = name.replace("::", "-");
    let Some(g) = ganesha::Ganesha::start(base, &tag) else {
        return;
    };
    g.run_inside(name);
}
