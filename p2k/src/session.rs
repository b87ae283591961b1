//! Mounting a [`P2k`] file system on the host and serving it until the
//! host unmounts it (`fusermount3 -u`, `umount`) or the owner asks to stop.

use crate::fs::P2k;
use fuser::{Config, MountOption, SessionACL, SessionUnmounter};
use std::path::PathBuf;

/// How the file system appears on the host.
#[derive(Clone, Debug)]
pub struct MountConfig {
    /// The host directory to mount on.
    pub mountpoint: PathBuf,
    /// What the host's mount table shows as the source (the image).
    pub fsname: String,
    /// The file system's type, shown as `fuse.TYPE`.
    pub subtype: String,
    /// Mount read-only on the host too.
    pub read_only: bool,
    /// Let every user, not only the mounting one, use the mount.
    pub allow_other: bool,
    /// Request threads.
    pub threads: usize,
}

/// Ends a session from another thread: unmounts the host mount, after
/// which [`serve`] returns.
pub struct Served(SessionUnmounter);

impl Served {
    /// Unmount from the host (as `fusermount3 -u` would).
    pub fn unmount(&mut self) -> std::io::Result<()> {
        self.0.unmount()
    }
}

/// Mount `fs` on the host as `cfg` says, call `mounted` once the host's
/// kernel has answered the handshake (the mount is usable), then serve
/// requests until the mount goes away. An error says why it could not
/// mount or why serving stopped.
pub fn serve(fs: P2k, cfg: &MountConfig, mounted: impl FnOnce(Served)) -> std::io::Result<()> {
    let mut options = vec![
        MountOption::FSName(cfg.fsname.clone()),
        MountOption::Subtype(cfg.subtype.clone()),
        if cfg.read_only {
            MountOption::RO
        } else {
            MountOption::RW
        },
    ];
    // Device nodes and set-id files of the image mean what they say, as on
    // a kernel mount; FUSE's own default is to ignore them.
    options.push(MountOption::Dev);
    options.push(MountOption::Suid);
    let mut config = Config::default();
    config.mount_options = options;
    config.acl = if cfg.allow_other {
        SessionACL::All
    } else {
        SessionACL::Owner
    };
    config.n_threads = Some(cfg.threads.max(2));
    config.clone_fd = true;
    let mut session = fuser::Session::new(fs, &cfg.mountpoint, &config)?;
    mounted(Served(session.unmount_callable()));
    session.run()
}
