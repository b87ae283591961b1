//! Credentials (`kauth_cred_t`): who a process acts as, and the permission
//! checks the factions use.

use crate::errno::{Errno, KResult};

/// NetBSD's limit on supplementary groups (`NGROUPS_MAX`).
pub const NGROUPS_MAX: usize = 16;

/// Process credentials. Immutable once shared: changing an id makes a new
/// `Cred`, so a holder of a reference sees a consistent set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cred {
    /// Real user id.
    pub ruid: u32,
    /// Effective user id.
    pub euid: u32,
    /// Saved user id.
    pub svuid: u32,
    /// Real group id.
    pub rgid: u32,
    /// Effective group id.
    pub egid: u32,
    /// Saved group id.
    pub svgid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
}

/// Access bits asked of an object, as in `VREAD`/`VWRITE`/`VEXEC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access(pub u32);

impl Access {
    /// Read permission.
    pub const READ: Access = Access(4);
    /// Write permission.
    pub const WRITE: Access = Access(2);
    /// Execute or search permission.
    pub const EXEC: Access = Access(1);
}

impl std::ops::BitOr for Access {
    type Output = Access;
    fn bitor(self, o: Access) -> Access {
        Access(self.0 | o.0)
    }
}

impl Cred {
    /// The credentials of root (uid 0, gid 0), which every process starts with.
    pub fn root() -> Cred {
        Cred {
            ruid: 0,
            euid: 0,
            svuid: 0,
            rgid: 0,
            egid: 0,
            svgid: 0,
            groups: vec![0],
        }
    }

    /// Whether the effective user is the superuser.
    pub fn is_root(&self) -> bool {
        self.euid == 0
    }

    /// Whether `gid` is the effective group or one of the supplementary ones.
    pub fn in_group(&self, gid: u32) -> bool {
        self.egid == gid || self.groups.contains(&gid)
    }

    /// Fail with EPERM unless the caller is the superuser.
    pub fn require_root(&self) -> KResult<()> {
        if self.is_root() {
            Ok(())
        } else {
            Err(Errno::EPERM)
        }
    }

    /// The POSIX file permission check (`genfs_can_access`): may these
    /// credentials have `want` on an object owned by `uid`:`gid` with
    /// permission bits `mode`? Root may do anything, except execute a file
    /// that has no execute bit at all.
    pub fn can_access(
        &self,
        uid: u32,
        gid: u32,
        mode: u32,
        is_dir: bool,
        want: Access,
    ) -> KResult<()> {
        if self.is_root() {
            if want.0 & Access::EXEC.0 != 0 && !is_dir && mode & 0o111 == 0 {
                return Err(Errno::EACCES);
            }
            return Ok(());
        }
        let bits = if self.euid == uid {
            (mode >> 6) & 7
        } else if self.in_group(gid) {
            (mode >> 3) & 7
        } else {
            mode & 7
        };
        if bits & want.0 == want.0 {
            Ok(())
        } else {
            Err(Errno::EACCES)
        }
    }

    /// `setuid(2)`: root sets all three ids; others may only set the
    /// effective id to their real or saved id.
    pub fn set_uid(&self, uid: u32) -> KResult<Cred> {
        let mut c = self.clone();
        if self.is_root() {
            c.ruid = uid;
            c.euid = uid;
            c.svuid = uid;
        } else if uid == self.ruid || uid == self.svuid {
            c.euid = uid;
        } else {
            return Err(Errno::EPERM);
        }
        Ok(c)
    }

    /// `seteuid(2)`.
    pub fn set_euid(&self, uid: u32) -> KResult<Cred> {
        if !self.is_root() && uid != self.ruid && uid != self.svuid {
            return Err(Errno::EPERM);
        }
        Ok(Cred {
            euid: uid,
            ..self.clone()
        })
    }

    /// `setgid(2)`.
    pub fn set_gid(&self, gid: u32) -> KResult<Cred> {
        let mut c = self.clone();
        if self.is_root() {
            c.rgid = gid;
            c.egid = gid;
            c.svgid = gid;
        } else if gid == self.rgid || gid == self.svgid {
            c.egid = gid;
        } else {
            return Err(Errno::EPERM);
        }
        Ok(c)
    }

    /// `setegid(2)`.
    pub fn set_egid(&self, gid: u32) -> KResult<Cred> {
        if !self.is_root() && gid != self.rgid && gid != self.svgid {
            return Err(Errno::EPERM);
        }
        Ok(Cred {
            egid: gid,
            ..self.clone()
        })
    }

    /// `setreuid(2)`; `u32::MAX` (-1) leaves an id unchanged. The saved id
    /// follows the effective id when the real id is set or the effective id
    /// differs from the real one, as NetBSD does.
    pub fn set_reuid(&self, ruid: u32, euid: u32) -> KResult<Cred> {
        let allowed = |id: u32| {
            id == u32::MAX
                || self.is_root()
                || id == self.ruid
                || id == self.euid
                || id == self.svuid
        };
        if !allowed(ruid) || !allowed(euid) {
            return Err(Errno::EPERM);
        }
        let mut c = self.clone();
        if ruid != u32::MAX {
            c.ruid = ruid;
        }
        if euid != u32::MAX {
            c.euid = euid;
        }
        if ruid != u32::MAX || c.euid != c.ruid {
            c.svuid = c.euid;
        }
        Ok(c)
    }

    /// `setregid(2)`, the group counterpart of [`Cred::set_reuid`].
    pub fn set_regid(&self, rgid: u32, egid: u32) -> KResult<Cred> {
        let allowed = |id: u32| {
            id == u32::MAX
                || self.is_root()
                || id == self.rgid
                || id == self.egid
                || id == self.svgid
        };
        if !allowed(rgid) || !allowed(egid) {
            return Err(Errno::EPERM);
        }
        let mut c = self.clone();
        if rgid != u32::MAX {
            c.rgid = rgid;
        }
        if egid != u32::MAX {
            c.egid = egid;
        }
        if rgid != u32::MAX || c.egid != c.rgid {
            c.svgid = c.egid;
        }
        Ok(c)
    }

    /// `setgroups(2)`: root only, at most `NGROUPS_MAX` groups.
    pub fn set_groups(&self, groups: &[u32]) -> KResult<Cred> {
        self.require_root()?;
        if groups.len() > NGROUPS_MAX {
            return Err(Errno::EINVAL);
        }
        Ok(Cred {
            groups: groups.to_vec(),
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_group_other_bits() {
        let c = Cred::root().set_uid(100).unwrap().clone();
        let c = Cred {
            egid: 10,
            groups: vec![20],
            ..c
        };
        assert!(
            c.can_access(100, 1, 0o600, false, Access::READ | Access::WRITE)
                .is_ok()
        );
        assert_eq!(
            c.can_access(100, 1, 0o060, false, Access::READ),
            Err(Errno::EACCES)
        );
        assert!(c.can_access(1, 20, 0o040, false, Access::READ).is_ok());
        assert!(c.can_access(1, 2, 0o004, false, Access::READ).is_ok());
        assert_eq!(
            c.can_access(1, 2, 0o003, false, Access::READ),
            Err(Errno::EACCES)
        );
        assert!(
            Cred::root()
                .can_access(1, 1, 0, false, Access::WRITE)
                .is_ok()
        );
        assert_eq!(
            Cred::root().can_access(1, 1, 0o644, false, Access::EXEC),
            Err(Errno::EACCES)
        );
        assert!(Cred::root().can_access(1, 1, 0, true, Access::EXEC).is_ok());
    }

    #[test]
    fn set_ids() {
        let user = Cred::root().set_uid(22).unwrap();
        assert_eq!((user.ruid, user.euid, user.svuid), (22, 22, 22));
        assert_eq!(user.set_uid(0), Err(Errno::EPERM));
        assert_eq!(user.set_groups(&[1]), Err(Errno::EPERM));
        let swapped = Cred::root().set_reuid(5, u32::MAX).unwrap();
        assert_eq!((swapped.ruid, swapped.euid, swapped.svuid), (5, 0, 0));
    }
}
