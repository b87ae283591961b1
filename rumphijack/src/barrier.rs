//! The file I/O barrier: what the mapping code does around the kernel
//! calls that touch file data, while this process has shared mappings of
//! kernel files. Before a call that reads, writes, syncs or locks a file,
//! what the mappings changed is written back; after a write, a truncation
//! or a lock taken, the mappings take in what the file now holds; closes
//! and `dup2` are told so that descriptors' files are not mistaken.

use crate::mem::ProcessMemory;
use crate::state::Hijack;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// What the mapping code does around kernel calls on files while this
/// process has mappings of kernel files (the file I/O barrier).
pub struct FileIoBarrier {
    /// Before a call that reads, writes, syncs or locks a file (write back
    /// what the mappings changed, so that the call or a process that takes
    /// the lock after this one finds it), or that closes descriptors.
    pub before: fn(&Hijack, FileIoStart),
    /// After such a call, or one that closes or replaces descriptors.
    pub after: fn(&Hijack, FileIoDone),
}

/// A kernel call the file I/O barrier sees before it is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileIoStart {
    /// It reads, writes, syncs or truncates the file of kernel descriptor
    /// `fd` (and no other).
    Fd(i32),
    /// It syncs every file, takes or tests a file lock, or names a file by
    /// path: every file's mappings count.
    All,
    /// It closes or replaces kernel descriptor `fd` (and with `and_above`,
    /// every one above it).
    Closing { fd: i32, and_above: bool },
}

/// A kernel call the file I/O barrier follows, once it has succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileIoDone {
    /// This process took a lock on the file of kernel descriptor `fd`.
    LockTaken { fd: i32 },
    /// `n` bytes were written to kernel descriptor `fd`, at `off` (`None`:
    /// at the descriptor's offset, which is now past them).
    Wrote { fd: i32, off: Option<u64>, n: u64 },
    /// Kernel descriptor `fd`'s file was truncated to `len` (`ftruncate`,
    /// or an open with `O_TRUNC`).
    Truncated { fd: i32, len: u64 },
    /// The file named by the kernel path at address `path` (in this
    /// process, valid until the barrier returns) was truncated to `len`.
    TruncatedPath { path: u64, len: u64 },
    /// Kernel descriptor `fd` (and with `and_above`, every one above it)
    /// was closed or replaced.
    Closed { fd: i32, and_above: bool },
}

static FILE_IO_BARRIER: OnceLock<FileIoBarrier> = OnceLock::new();
static FILE_IO_BARRIER_ARMED: AtomicBool = AtomicBool::new(false);

/// Set the file I/O barrier (only the first one is kept) and say whether
/// it is armed: the check costs one load while it is not.
pub fn arm(b: FileIoBarrier, armed: bool) {
    let _ = FILE_IO_BARRIER.set(b);
    FILE_IO_BARRIER_ARMED.store(armed, Ordering::Relaxed);
}

/// What the barrier is told after a call, from its arguments and result.
type AfterCall = fn(&[u64], i64) -> Option<FileIoDone>;

/// What the barrier is told before kernel call `nr`, and what after it.
#[allow(non_upper_case_globals)] // NetBSD's SYS_ names, matched as patterns
fn file_io(nr: usize, args: &[u64]) -> (Option<FileIoStart>, Option<AfterCall>) {
    use netbsd_abi::syscalls::*;
    use netbsd_abi::{F_CLOSEM, F_GETLK, F_SETLK, F_SETLKW};
    let arg = |i: usize| args.get(i).copied().unwrap_or(0);
    let fd = FileIoStart::Fd(arg(0) as i32);
    let closing = |fd: u64, and_above| {
        Some(FileIoStart::Closing {
            fd: fd as i32,
            and_above,
        })
    };
    match (nr, arg(1) as i32) {
        (SYS_read | SYS_readv | SYS_pread | SYS_preadv | SYS_fsync | SYS_fdatasync, _) => {
            (Some(fd), None)
        }
        (SYS_sync, _) => (Some(FileIoStart::All), None),
        (SYS_fcntl, F_GETLK) => (Some(FileIoStart::All), None),
        // flock's operations are the same numbers on both systems.
        (SYS_flock, op) => (
            Some(FileIoStart::All),
            (op & libc::LOCK_UN == 0).then_some(
                (|args, _| Some(FileIoDone::LockTaken { fd: args[0] as i32 })) as AfterCall,
            ),
        ),
        (SYS_fcntl, F_SETLK | F_SETLKW) => (
            Some(FileIoStart::All),
            Some(|args, _| {
                let p = *args.get(2)?;
                let b = rumpclient::ClientMemory::read(
                    &ProcessMemory,
                    p,
                    crate::xlate::NETBSD_FLOCK_LEN,
                )?;
                let l = crate::xlate::flock_from_netbsd(&b)?;
                (i32::from(l.l_type) != libc::F_UNLCK)
                    .then_some(FileIoDone::LockTaken { fd: args[0] as i32 })
            }),
        ),
        (SYS_fcntl, F_CLOSEM) => (
            closing(arg(0), true),
            Some(|args, _| {
                Some(FileIoDone::Closed {
                    fd: args[0] as i32,
                    and_above: true,
                })
            }),
        ),
        (SYS_write | SYS_writev, _) => (
            Some(fd),
            Some(|args, n| {
                Some(FileIoDone::Wrote {
                    fd: args[0] as i32,
                    off: None,
                    n: n as u64,
                })
            }),
        ),
        (SYS_pwrite | SYS_pwritev, _) => (
            Some(fd),
            Some(|args, n| {
                let off = Some(*args.get(4)?);
                Some(FileIoDone::Wrote {
                    fd: args[0] as i32,
                    off,
                    n: n as u64,
                })
            }),
        ),
        (SYS_ftruncate, _) => (
            Some(fd),
            Some(|args, _| {
                Some(FileIoDone::Truncated {
                    fd: args[0] as i32,
                    len: *args.get(2)?,
                })
            }),
        ),
        (SYS_truncate, _) => (
            Some(FileIoStart::All),
            Some(|args, _| {
                Some(FileIoDone::TruncatedPath {
                    path: args[0],
                    len: *args.get(2)?,
                })
            }),
        ),
        // NetBSD truncates a regular file opened for writing (O_ACCMODE 3,
        // O_RDONLY 0), as Linux does.
        (SYS_openat, _) if arg(2) as i32 & netbsd_abi::O_TRUNC != 0 && arg(2) & 3 != 0 => (
            None,
            Some(|_, k| {
                Some(FileIoDone::Truncated {
                    fd: k as i32,
                    len: 0,
                })
            }),
        ),
        (SYS_close, _) => (
            closing(arg(0), false),
            Some(|args, _| {
                Some(FileIoDone::Closed {
                    fd: args[0] as i32,
                    and_above: false,
                })
            }),
        ),
        (SYS_dup2 | SYS_dup3, _) => (
            closing(arg(1), false),
            Some(|args, _| {
                Some(FileIoDone::Closed {
                    fd: *args.get(1)? as i32,
                    and_above: false,
                })
            }),
        ),
        _ => (None, None),
    }
}

/// Run kernel call `nr` (`call`) with the barrier around it, if armed.
pub fn around(
    h: &Hijack,
    nr: usize,
    args: &[u64],
    call: impl FnOnce() -> Result<i64, i32>,
) -> Result<i64, i32> {
    let barrier = match FILE_IO_BARRIER_ARMED.load(Ordering::Relaxed) {
        true => FILE_IO_BARRIER.get(),
        false => None,
    };
    let Some(b) = barrier else {
        return call();
    };
    let (before, after) = file_io(nr, args);
    if let Some(start) = before {
        (b.before)(h, start);
    }
    let r = call();
    if let (Ok(v), Some(after)) = (r, after)
        && let Some(done) = after(args, v)
    {
        (b.after)(h, done);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use netbsd_abi::{F_CLOSEM, F_SETLK, F_SETLKW, O_TRUNC};

    fn after(nr: usize, args: &[u64], result: i64) -> Option<FileIoDone> {
        file_io(nr, args).1.and_then(|f| f(args, result))
    }

    #[test]
    fn the_barrier_follows_calls_on_file_data() {
        // Reads write back their file first and are not followed.
        assert!(matches!(
            file_io(netbsd_abi::SYS_pread, &[3, 0, 10, 0, 0]),
            (Some(FileIoStart::Fd(3)), None)
        ));
        assert!(matches!(
            file_io(netbsd_abi::SYS_sync, &[]),
            (Some(FileIoStart::All), None)
        ));
        assert!(matches!(
            file_io(netbsd_abi::SYS_fcntl, &[3, 3, 0]),
            (None, None)
        ));
        // An open that truncates is a truncation of the new descriptor's
        // file; one that does not is not followed.
        let path = [0u64, 0, O_TRUNC as u64 | 2, 0];
        assert_eq!(
            after(netbsd_abi::SYS_openat, &path, 7),
            Some(FileIoDone::Truncated { fd: 7, len: 0 })
        );
        assert_eq!(after(netbsd_abi::SYS_openat, &[0, 0, 2, 0], 7), None);
        let read_only = [0u64, 0, O_TRUNC as u64, 0];
        assert_eq!(after(netbsd_abi::SYS_openat, &read_only, 7), None);
        assert_eq!(
            after(netbsd_abi::SYS_pwrite, &[3, 0, 10, 0, 100], 7),
            Some(FileIoDone::Wrote {
                fd: 3,
                off: Some(100),
                n: 7
            })
        );
        assert_eq!(
            after(netbsd_abi::SYS_write, &[4, 0, 10], 10),
            Some(FileIoDone::Wrote {
                fd: 4,
                off: None,
                n: 10
            })
        );
        assert_eq!(
            after(netbsd_abi::SYS_ftruncate, &[5, 0, 16], 0),
            Some(FileIoDone::Truncated { fd: 5, len: 16 })
        );
        assert_eq!(
            file_io(netbsd_abi::SYS_dup2, &[1, 9]).0,
            Some(FileIoStart::Closing {
                fd: 9,
                and_above: false
            })
        );
        assert_eq!(
            after(netbsd_abi::SYS_dup2, &[1, 9], 9),
            Some(FileIoDone::Closed {
                fd: 9,
                and_above: false
            })
        );
        assert_eq!(
            after(netbsd_abi::SYS_fcntl, &[20, F_CLOSEM as u64, 0], 0),
            Some(FileIoDone::Closed {
                fd: 20,
                and_above: true
            })
        );
    }

    #[test]
    fn taking_a_lock_is_told_and_letting_go_is_not() {
        use netbsd_abi::layout::flock;
        let mut fl = [0u8; flock::SIZE];
        flock::l_type.put(&mut fl, netbsd_abi::F_WRLCK as u64);
        let args = [3, F_SETLKW as u64, fl.as_ptr() as u64];
        assert_eq!(
            file_io(netbsd_abi::SYS_fcntl, &args).0,
            Some(FileIoStart::All)
        );
        assert_eq!(
            after(netbsd_abi::SYS_fcntl, &args, 0),
            Some(FileIoDone::LockTaken { fd: 3 })
        );
        flock::l_type.put(&mut fl, netbsd_abi::F_UNLCK as u64);
        let args = [3, F_SETLK as u64, std::hint::black_box(&fl).as_ptr() as u64];
        assert_eq!(after(netbsd_abi::SYS_fcntl, &args, 0), None);
    }
}
