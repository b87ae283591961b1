//! tmpfs's mount arguments (`struct tmpfs_args`, `fs/tmpfs/tmpfs_args.h`):
//! read from a mount's data as NetBSD's `tmpfs_mount` reads them, and made
//! for callers in the kernel's own process.

use netbsd_abi::layout::tmpfs_args;
use rump::usermem::UserSpace;
use rump::{Errno, KResult};
use rumpvfs::MountArgs;
use std::sync::Arc;

/// `TMPFS_ARGS_VERSION`: the only layout of the arguments there is.
const TMPFS_ARGS_VERSION: u64 = netbsd_abi::TMPFS_ARGS_VERSION as u64;
/// The bits of `ta_root_mode` a mount keeps (`ALLPERMS`).
const ALLPERMS: u32 = netbsd_abi::ALLPERMS as u32;
/// The root's mode of a mount made with [`args`]: everyone's, sticky, as
/// a `/tmp` is.
const TMP_MODE: u32 = 0o1777;

/// What a tmpfs mount asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TmpfsArgs {
    /// Most bytes of data (0: no limit).
    pub size_max: u64,
    /// Most nodes (0: no limit).
    pub nodes_max: u64,
    /// Owner of the root directory.
    pub uid: u32,
    /// Group of the root directory.
    pub gid: u32,
    /// Permission bits of the root directory.
    pub mode: u32,
}

/// `tmpfs_mount`'s reading of its data: EINVAL when it is shorter than
/// `struct tmpfs_args` or of another version.
pub fn read(data: &[u8], _us: &dyn UserSpace) -> KResult<MountArgs> {
    if data.len() < tmpfs_args::SIZE {
        return Err(Errno::EINVAL);
    }
    let get = |f: netbsd_abi::Field| f.get(data).unwrap_or_default();
    if get(tmpfs_args::ta_version) != TMPFS_ARGS_VERSION {
        return Err(Errno::EINVAL);
    }
    let t = TmpfsArgs {
        nodes_max: get(tmpfs_args::ta_nodes_max),
        size_max: get(tmpfs_args::ta_size_max),
        uid: get(tmpfs_args::ta_root_uid) as u32,
        gid: get(tmpfs_args::ta_root_gid) as u32,
        mode: get(tmpfs_args::ta_root_mode) as u32 & ALLPERMS,
    };
    Ok(MountArgs {
        fs_args: Some(Arc::new(t)),
        ..MountArgs::default()
    })
}

impl TmpfsArgs {
    /// The `struct tmpfs_args` asking for this (the current version).
    pub fn bytes(&self) -> Vec<u8> {
        let mut a = vec![0u8; tmpfs_args::SIZE];
        let mut put = |f: netbsd_abi::Field, v: u64| {
            f.put(&mut a, v);
        };
        put(tmpfs_args::ta_version, TMPFS_ARGS_VERSION);
        put(tmpfs_args::ta_size_max, self.size_max);
        put(tmpfs_args::ta_nodes_max, self.nodes_max);
        put(tmpfs_args::ta_root_uid, u64::from(self.uid));
        put(tmpfs_args::ta_root_gid, u64::from(self.gid));
        put(tmpfs_args::ta_root_mode, u64::from(self.mode));
        a
    }
}

/// A `struct tmpfs_args` for a tmpfs of at most `size_max` bytes and
/// `nodes_max` nodes (0 for no limit) whose root is root's, mode 1777: the
/// data for `VfsCalls::sys_mount("tmpfs", ...)`.
pub fn args(size_max: u64, nodes_max: u64) -> Vec<u8> {
    TmpfsArgs {
        size_max,
        nodes_max,
        uid: 0,
        gid: 0,
        mode: TMP_MODE,
    }
    .bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoMemory;
    impl UserSpace for NoMemory {
        fn copyin(&self, _: u64, _: &mut [u8]) -> KResult<()> {
            Err(Errno::EFAULT)
        }
        fn copyout(&self, _: u64, _: &[u8]) -> KResult<()> {
            Err(Errno::EFAULT)
        }
    }

    fn parsed(data: &[u8]) -> KResult<TmpfsArgs> {
        read(data, &NoMemory).map(|m| *m.fs_args::<TmpfsArgs>().unwrap())
    }

    #[test]
    fn what_args_makes_reads_back() {
        let t = parsed(&args(1 << 20, 7)).unwrap();
        assert_eq!(
            t,
            TmpfsArgs {
                size_max: 1 << 20,
                nodes_max: 7,
                uid: 0,
                gid: 0,
                mode: TMP_MODE,
            }
        );
    }

    #[test]
    fn short_data_and_other_versions_are_einval() {
        let a = args(0, 0);
        assert_eq!(parsed(&a[..a.len() - 1]), Err(Errno::EINVAL));
        assert_eq!(parsed(&[]), Err(Errno::EINVAL));
        let mut v2 = a.clone();
        tmpfs_args::ta_version.put(&mut v2, TMPFS_ARGS_VERSION + 1);
        assert_eq!(parsed(&v2), Err(Errno::EINVAL));
    }

    #[test]
    fn the_root_mode_keeps_only_permission_bits() {
        let asked = TmpfsArgs {
            uid: 1000,
            gid: 100,
            mode: 0o170_755,
            ..TmpfsArgs::default()
        };
        let t = parsed(&asked.bytes()).unwrap();
        assert_eq!((t.mode, t.uid, t.gid), (0o755, 1000, 100));
    }
}
