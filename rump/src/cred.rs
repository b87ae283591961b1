//! Credentials (`kauth_cred_t`): who a process acts as, and the permission
//! checks the factions use.

use crate::errno::{Errno, KResult};

/// NetBSD's limit on supplementary groups (`NGROUPS_MAX`).
pub const NGROUPS_MAX: usize = netbsd_abi::NGROUPS_MAX as usize;

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

    fn uids(&self) -> Ids {
        Ids {
            real: self.ruid,
            eff: self.euid,
            saved: self.svuid,
        }
    }

    fn gids(&self) -> Ids {
        Ids {
            real: self.rgid,
            eff: self.egid,
            saved: self.svgid,
        }
    }

    fn with_uids(&self, i: Ids) -> Cred {
        Cred {
            ruid: i.real,
            euid: i.eff,
            svuid: i.saved,
            ..self.clone()
        }
    }

    fn with_gids(&self, i: Ids) -> Cred {
        Cred {
            rgid: i.real,
            egid: i.eff,
            svgid: i.saved,
            ..self.clone()
        }
    }

    /// `setuid(2)`: root sets all three ids; others may only set the
    /// effective id to their real or saved id.
    pub fn set_uid(&self, uid: u32) -> KResult<Cred> {
        Ok(self.with_uids(self.uids().set(uid, self.is_root())?))
    }

    /// `seteuid(2)`.
    pub fn set_euid(&self, uid: u32) -> KResult<Cred> {
        Ok(self.with_uids(self.uids().set_effective(uid, self.is_root())?))
    }

    /// `setgid(2)`: as `setuid`, decided by the effective user id.
    pub fn set_gid(&self, gid: u32) -> KResult<Cred> {
        Ok(self.with_gids(self.gids().set(gid, self.is_root())?))
    }

    /// `setegid(2)`.
    pub fn set_egid(&self, gid: u32) -> KResult<Cred> {
        Ok(self.with_gids(self.gids().set_effective(gid, self.is_root())?))
    }

    /// `setreuid(2)`; `u32::MAX` (-1) leaves an id unchanged.
    pub fn set_reuid(&self, ruid: u32, euid: u32) -> KResult<Cred> {
        Ok(self.with_uids(self.uids().set_real_effective(ruid, euid, self.is_root())?))
    }

    /// `setregid(2)`; `u32::MAX` (-1) leaves an id unchanged.
    pub fn set_regid(&self, rgid: u32, egid: u32) -> KResult<Cred> {
        Ok(self.with_gids(self.gids().set_real_effective(rgid, egid, self.is_root())?))
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

/// The real, effective and saved ids of one kind (user or group): the set*id
/// rules are the same for both, and only root may set arbitrary values.
#[derive(Clone, Copy)]
struct Ids {
    real: u32,
    eff: u32,
    saved: u32,
}

/// The "leave unchanged" argument of `setreuid`/`setregid` (-1).
const UNCHANGED: u32 = u32::MAX;

impl Ids {
    fn holds(self, id: u32) -> bool {
        id == self.real || id == self.eff || id == self.saved
    }

    fn set(self, id: u32, root: bool) -> KResult<Ids> {
        if root {
            Ok(Ids {
                real: id,
                eff: id,
                saved: id,
            })
        } else if id == self.real || id == self.saved {
            Ok(Ids { eff: id, ..self })
        } else {
            Err(Errno::EPERM)
        }
    }

    fn set_effective(self, id: u32, root: bool) -> KResult<Ids> {
        if root || id == self.real || id == self.saved {
            Ok(Ids { eff: id, ..self })
        } else {
            Err(Errno::EPERM)
        }
    }

    /// The saved id follows the effective one when the real id is set or
    /// the effective id ends up differing from the real one, as NetBSD does.
    fn set_real_effective(self, real: u32, eff: u32, root: bool) -> KResult<Ids> {
        let allowed = |id: u32| id == UNCHANGED || root || self.holds(id);
        if !allowed(real) || !allowed(eff) {
            return Err(Errno::EPERM);
        }
        let mut n = self;
        if real != UNCHANGED {
            n.real = real;
        }
        if eff != UNCHANGED {
            n.eff = eff;
        }
        if real != UNCHANGED || n.eff != n.real {
            n.saved = n.eff;
        }
        Ok(n)
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
