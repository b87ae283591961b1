//! Advisory locks, as NetBSD's `vfs_lockf.c`: POSIX record locks (`fcntl`
//! `F_GETLK`/`F_SETLK`/`F_SETLKW`), byte ranges owned by processes, and
//! `flock(2)` locks on whole files, owned by an open file. Both kinds live
//! in one list per file and conflict with each other, as in NetBSD (on
//! Linux they are apart).

use rump::file::Flock;
use rump::kthread::KCondvar;
use rump::sync::lock;
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// `F_RDLCK`.
pub const F_RDLCK: i16 = netbsd_abi::F_RDLCK as i16;
/// `F_UNLCK`.
pub const F_UNLCK: i16 = netbsd_abi::F_UNLCK as i16;
/// `F_WRLCK`.
pub const F_WRLCK: i16 = netbsd_abi::F_WRLCK as i16;
/// `F_GETLK`.
pub const F_GETLK: i32 = netbsd_abi::F_GETLK;
/// `F_SETLK`.
pub const F_SETLK: i32 = netbsd_abi::F_SETLK;
/// `F_SETLKW`.
pub const F_SETLKW: i32 = netbsd_abi::F_SETLKW;
/// `flock` operations: shared, exclusive, without waiting, unlock.
pub const LOCK_SH: i32 = netbsd_abi::LOCK_SH;
/// See [`LOCK_SH`].
pub const LOCK_EX: i32 = netbsd_abi::LOCK_EX;
/// See [`LOCK_SH`].
pub const LOCK_NB: i32 = netbsd_abi::LOCK_NB;
/// See [`LOCK_SH`].
pub const LOCK_UN: i32 = netbsd_abi::LOCK_UN;

/// Who holds a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A process (POSIX record locks).
    Proc(i32),
    /// An open file, by a number that names it while it is open (`flock`).
    File(usize),
}

impl Owner {
    /// The `l_pid` that `F_GETLK` reports: -1 for an open file's lock.
    fn pid(self) -> i32 {
        match self {
            Owner::Proc(pid) => pid,
            Owner::File(_) => -1,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Lock {
    owner: Owner,
    write: bool,
    start: u64,
    /// Exclusive; `u64::MAX` is "to the end of the file and beyond".
    end: u64,
}

impl Lock {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start < end && start < self.end
    }
}

/// The record locks of one kernel, by (mount, inode).
#[derive(Default)]
pub struct LockTable {
    locks: Mutex<HashMap<(u64, u64), Vec<Lock>>>,
    released: KCondvar,
}

/// The absolute byte range `[start, end)` of a request: relative to the
/// start, the file offset or the end; a negative length reaches back.
fn range(l: &Flock, offset: u64, size: u64) -> KResult<(u64, u64)> {
    let base: i64 = match l.whence {
        0 => 0,
        1 => offset as i64,
        2 => size as i64,
        _ => return Err(Errno::EINVAL),
    };
    let start = base.checked_add(l.start).ok_or(Errno::EOVERFLOW)?;
    let (start, end) = match l.len {
        0 => (start, None),
        n if n > 0 => (start, Some(start.checked_add(n).ok_or(Errno::EOVERFLOW)?)),
        n => (start + n, Some(start)),
    };
    if start < 0 {
        return Err(Errno::EINVAL);
    }
    Ok((start as u64, end.map_or(u64::MAX, |e| e as u64)))
}

impl LockTable {
    fn conflict(list: &[Lock], owner: Owner, write: bool, start: u64, end: u64) -> Option<Lock> {
        list.iter()
            .find(|l| l.owner != owner && (l.write || write) && l.overlaps(start, end))
            .copied()
    }

    /// Apply `typ` to `[start, end)` for `owner`: remove what it held
    /// there, then add the new lock unless unlocking.
    fn apply(list: &mut Vec<Lock>, owner: Owner, typ: i16, start: u64, end: u64) {
        let mut kept = Vec::with_capacity(list.len() + 2);
        for l in list.drain(..) {
            if l.owner != owner || !l.overlaps(start, end) {
                kept.push(l);
                continue;
            }
            if l.start < start {
                kept.push(Lock { end: start, ..l });
            }
            if l.end > end {
                kept.push(Lock { start: end, ..l });
            }
        }
        if typ != F_UNLCK {
            kept.push(Lock {
                owner,
                write: typ == F_WRLCK,
                start,
                end,
            });
        }
        *list = kept;
    }

    /// `fcntl` on file `key` whose offset and size are given, for the
    /// calling process.
    pub fn advlock(
        &self,
        ctx: &Ctx,
        key: (u64, u64),
        cmd: i32,
        req: &mut Flock,
        offset: u64,
        size: u64,
    ) -> KResult<()> {
        let owner = Owner::Proc(ctx.proc().pid);
        let (start, end) = range(req, offset, size)?;
        if !matches!(req.typ, F_RDLCK | F_WRLCK | F_UNLCK) {
            return Err(Errno::EINVAL);
        }
        match cmd {
            F_GETLK => {
                let all = lock(&self.locks);
                let list = all.get(&key).map(Vec::as_slice).unwrap_or(&[]);
                match Self::conflict(list, owner, req.typ == F_WRLCK, start, end) {
                    Some(l) => {
                        *req = Flock {
                            start: l.start as i64,
                            len: if l.end == u64::MAX {
                                0
                            } else {
                                (l.end - l.start) as i64
                            },
                            pid: l.owner.pid(),
                            typ: if l.write { F_WRLCK } else { F_RDLCK },
                            whence: 0,
                        }
                    }
                    None => req.typ = F_UNLCK,
                }
                Ok(())
            }
            F_SETLK | F_SETLKW => self.set(ctx, key, owner, req.typ, (start, end), cmd == F_SETLKW),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `flock(2)` on file `key` for the open file `file`: the whole file,
    /// shared or exclusive, waiting unless `LOCK_NB`; EAGAIN (NetBSD's
    /// EWOULDBLOCK) when it would wait.
    pub fn flock(&self, ctx: &Ctx, key: (u64, u64), file: usize, how: i32) -> KResult<()> {
        let typ = match how & !LOCK_NB {
            LOCK_SH => F_RDLCK,
            LOCK_EX => F_WRLCK,
            LOCK_UN => F_UNLCK,
            _ => return Err(Errno::EINVAL),
        };
        let wait = how & LOCK_NB == 0;
        self.set(ctx, key, Owner::File(file), typ, (0, u64::MAX), wait)
    }

    /// Take (or let go) a lock of `typ` on `[start, end)` of `key` for
    /// `owner`, waiting for conflicting locks to go when `wait`.
    fn set(
        &self,
        ctx: &Ctx,
        key: (u64, u64),
        owner: Owner,
        typ: i16,
        (start, end): (u64, u64),
        wait: bool,
    ) -> KResult<()> {
        let write = typ == F_WRLCK;
        let mut all = lock(&self.locks);
        loop {
            let list = all.entry(key).or_default();
            if typ == F_UNLCK || Self::conflict(list, owner, write, start, end).is_none() {
                Self::apply(list, owner, typ, start, end);
                if list.is_empty() {
                    all.remove(&key);
                }
                drop(all);
                self.released.notify_all();
                return Ok(());
            }
            if !wait {
                return Err(Errno::EAGAIN);
            }
            if ctx.proc().is_exiting() {
                return Err(Errno::EINTR);
            }
            // Wait without the virtual CPU for a release (or to notice exit).
            all = self
                .released
                .wait_timeout(ctx, &self.locks, all, Duration::from_millis(100))
                .0;
        }
    }

    /// Drop every lock `owner` holds on `key` (a close by that process,
    /// the last close of that open file).
    pub fn release(&self, key: (u64, u64), owner: Owner) {
        let mut all = lock(&self.locks);
        let mut released = false;
        if let Some(list) = all.get_mut(&key) {
            let held = list.len();
            list.retain(|l| l.owner != owner);
            released = list.len() < held;
            if list.is_empty() {
                all.remove(&key);
            }
        }
        drop(all);
        // Waiters wait for a lock to go: with none gone there is nobody to
        // wake, and the wake-up is a host system call on every close.
        if released {
            self.released.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = |start, len, whence| {
            range(
                &Flock {
                    start,
                    len,
                    pid: 0,
                    typ: F_WRLCK,
                    whence,
                },
                100,
                1000,
            )
        };
        assert_eq!(r(10, 5, 0), Ok((10, 15)));
        assert_eq!(r(10, 0, 0), Ok((10, u64::MAX)));
        assert_eq!(r(-10, 5, 1), Ok((90, 95)));
        assert_eq!(r(1024, 1024, 2), Ok((2024, 3048)));
        assert_eq!(r(10, -5, 0), Ok((5, 10)));
        assert_eq!(r(-5, 1, 0), Err(Errno::EINVAL));
        assert_eq!(r(0, 1, 7), Err(Errno::EINVAL));
    }

    #[test]
    fn apply_splits_and_unlocks() {
        let mut v = vec![Lock {
            owner: Owner::Proc(1),
            write: true,
            start: 0,
            end: 100,
        }];
        LockTable::apply(&mut v, Owner::Proc(1), F_UNLCK, 40, 60);
        assert_eq!(
            v,
            [
                Lock {
                    owner: Owner::Proc(1),
                    write: true,
                    start: 0,
                    end: 40
                },
                Lock {
                    owner: Owner::Proc(1),
                    write: true,
                    start: 60,
                    end: 100
                }
            ]
        );
        let (p1, p2) = (Owner::Proc(1), Owner::Proc(2));
        assert!(LockTable::conflict(&v, p2, false, 50, 55).is_none());
        assert!(LockTable::conflict(&v, p2, false, 30, 55).is_some());
        assert!(
            LockTable::conflict(&v, Owner::File(7), false, 30, 55).is_some(),
            "flock and record locks meet, as in NetBSD"
        );
        assert!(
            LockTable::conflict(&v, p1, true, 0, 100).is_none(),
            "own locks never conflict"
        );
    }
}
