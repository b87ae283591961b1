//! Resource limits (`getrlimit`/`setrlimit`).

use crate::errno::{Errno, KResult};
use netbsd_abi::layout::rlimit;
use netbsd_abi::{RLIMIT_MEMLOCK, RLIMIT_NPROC, RLIMIT_NTHR, RLIMIT_STACK};

/// Number of resource limits (`RLIM_NLIMITS`).
pub const RLIM_NLIMITS: usize = netbsd_abi::RLIM_NLIMITS as usize;
/// No limit (`RLIM_INFINITY`).
pub const RLIM_INFINITY: u64 = netbsd_abi::RLIM_INFINITY;
/// `RLIMIT_NOFILE`: open descriptors.
pub const RLIMIT_NOFILE: usize = netbsd_abi::RLIMIT_NOFILE as usize;

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
    pub fn to_bytes(self) -> [u8; rlimit::SIZE] {
        let mut b = [0u8; rlimit::SIZE];
        rlimit::rlim_cur.put(&mut b, self.cur);
        rlimit::rlim_max.put(&mut b, self.max);
        b
    }

    /// Decode NetBSD's `struct rlimit`.
    pub fn from_bytes(b: &[u8; rlimit::SIZE]) -> Rlimit {
        Rlimit {
            cur: rlimit::rlim_cur.get(b).unwrap_or_default(),
            max: rlimit::rlim_max.get(b).unwrap_or_default(),
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

/// The limits of a new kernel's first process, as NetBSD's rump kernel
/// sets them up (measured with `sysctl proc.curproc.rlimit` on it): the
/// stack's from `DFLSSIZ`/`MAXSSIZ`, locked memory a third of `physmem`
/// and all of it, processes and descriptors from `maxproc` and
/// `maxfiles`, lwps from `maxlwp`.
pub fn default_limits() -> [Rlimit; RLIM_NLIMITS] {
    let inf = Rlimit {
        cur: RLIM_INFINITY,
        max: RLIM_INFINITY,
    };
    let physmem = crate::sysctl::base::PHYSMEM_BYTES;
    let mut l = [inf; RLIM_NLIMITS];
    let mut set = |which: i32, cur: u64, max: u64| l[which as usize] = Rlimit { cur, max };
    set(RLIMIT_STACK, 4 << 20, 128 << 20);
    set(RLIMIT_MEMLOCK, physmem / 3, physmem);
    set(RLIMIT_NPROC, 160, 532);
    set(RLIMIT_NOFILE as i32, 128, 1772);
    set(RLIMIT_NTHR, 160, 2048);
    l
}
