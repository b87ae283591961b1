//! Resource limits (`getrlimit`/`setrlimit`).

use crate::errno::{Errno, KResult};

/// Number of resource limits (`RLIM_NLIMITS`).
pub const RLIM_NLIMITS: usize = 12;
/// No limit (`RLIM_INFINITY`).
pub const RLIM_INFINITY: u64 = 0x7fff_ffff_ffff_ffff;
/// `RLIMIT_NOFILE`: open descriptors.
pub const RLIMIT_NOFILE: usize = 8;

/// A soft and a hard limit (`struct rlimit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    /// The limit in force.
    pub cur: u64,
    /// The ceiling the soft limit may be raised to.
    pub max: u64,
}

impl Rlimit {
    /// Encode as NetBSD's `struct rlimit`.
    pub fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.cur.to_le_bytes());
        b[8..].copy_from_slice(&self.max.to_le_bytes());
        b
    }

    /// Decode NetBSD's `struct rlimit`.
    pub fn from_bytes(b: &[u8; 16]) -> Rlimit {
        let (c, m) = b.split_at(8);
        Rlimit {
            cur: u64::from_le_bytes(c.try_into().unwrap_or_default()),
            max: u64::from_le_bytes(m.try_into().unwrap_or_default()),
        }
    }

    /// Check a change from `self` to `new` by `cred` (`dosetrlimit`): the soft
    /// limit may not exceed the hard one, and only root raises a hard limit.
    /// `is_root` is asked only when the hard limit would rise.
    pub fn check_change(self, new: Rlimit, is_root: impl FnOnce() -> bool) -> KResult<Rlimit> {
        let new = Rlimit {
            cur: new.cur.min(RLIM_INFINITY),
            max: new.max.min(RLIM_INFINITY),
        };
        if new.cur > new.max {
            return Err(Errno::EINVAL);
        }
        if new.max > self.max && !is_root() {
            return Err(Errno::EPERM);
        }
        Ok(new)
    }
}

/// The limits of a new kernel's first process, as NetBSD sets them up.
pub fn default_limits() -> [Rlimit; RLIM_NLIMITS] {
    let inf = Rlimit {
        cur: RLIM_INFINITY,
        max: RLIM_INFINITY,
    };
    let mut l = [inf; RLIM_NLIMITS];
    l[3] = Rlimit {
        cur: 8 << 20,
        max: 32 << 20,
    }; // RLIMIT_STACK
    l[4] = Rlimit {
        cur: 0,
        max: RLIM_INFINITY,
    }; // RLIMIT_CORE
    l[7] = Rlimit {
        cur: 160,
        max: 1044,
    }; // RLIMIT_NPROC
    l[RLIMIT_NOFILE] = Rlimit {
        cur: 1024,
        max: 3404,
    };
    l[11] = Rlimit {
        cur: 1024,
        max: 1024,
    }; // RLIMIT_NTHR
    l
}
