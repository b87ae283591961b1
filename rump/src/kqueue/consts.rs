//! The numbers of NetBSD 7.99's `sys/event.h` that `netbsd_abi` does not
//! carry: filters, action flags and filter flags.

/// `EVFILT_READ`: data to read (or connections to accept).
pub const EVFILT_READ: u32 = 0;
/// `EVFILT_WRITE`: room to write.
pub const EVFILT_WRITE: u32 = 1;
/// `EVFILT_AIO`: listed by NetBSD but not implemented (EINVAL).
pub const EVFILT_AIO: u32 = 2;
/// `EVFILT_VNODE`: changes to a file.
pub const EVFILT_VNODE: u32 = 3;
/// `EVFILT_PROC`: a process forks or exits.
pub const EVFILT_PROC: u32 = 4;
/// `EVFILT_SIGNAL`: signals posted to the process.
pub const EVFILT_SIGNAL: u32 = 5;
/// `EVFILT_TIMER`: a periodic timer in milliseconds.
pub const EVFILT_TIMER: u32 = 6;
/// `EVFILT_SYSCOUNT`: the number of system filters; no `EVFILT_USER` in 7.99.
pub const EVFILT_SYSCOUNT: u32 = 7;

/// `EV_ADD`: add the event (implies enable).
pub const EV_ADD: u32 = 0x0001;
/// `EV_DELETE`: delete the event.
pub const EV_DELETE: u32 = 0x0002;
/// `EV_ENABLE`: report the event again.
pub const EV_ENABLE: u32 = 0x0004;
/// `EV_DISABLE`: keep the event but do not report it.
pub const EV_DISABLE: u32 = 0x0008;
/// `EV_ONESHOT`: report once, then delete.
pub const EV_ONESHOT: u32 = 0x0010;
/// `EV_CLEAR`: reset the state once reported.
pub const EV_CLEAR: u32 = 0x0020;
/// `EV_RECEIPT`: answer every change with an `EV_ERROR` entry.
pub const EV_RECEIPT: u32 = 0x0040;
/// `EV_DISPATCH`: disable the event once reported.
pub const EV_DISPATCH: u32 = 0x0080;
/// `EV_SYSFLAGS`: bits the kernel keeps for itself.
pub const EV_SYSFLAGS: u32 = 0xF000;
/// `EV_FLAG1`: filter-specific (a knote the kernel made for `NOTE_TRACK`).
pub const EV_FLAG1: u32 = 0x2000;
/// `EV_EOF`: end of file.
pub const EV_EOF: u32 = 0x8000;
/// `EV_ERROR`: a change failed; `data` holds the errno.
pub const EV_ERROR: u32 = 0x4000;

/// `NOTE_LOWAT`: `data` is a low-water mark for a socket.
pub const NOTE_LOWAT: u32 = 0x0001;
/// `NOTE_DELETE`: the file's last name was removed.
pub const NOTE_DELETE: u32 = 0x0001;
/// `NOTE_WRITE`: the file's data changed.
pub const NOTE_WRITE: u32 = 0x0002;
/// `NOTE_EXTEND`: the file grew.
pub const NOTE_EXTEND: u32 = 0x0004;
/// `NOTE_ATTRIB`: the file's attributes changed.
pub const NOTE_ATTRIB: u32 = 0x0008;
/// `NOTE_LINK`: the file's link count changed.
pub const NOTE_LINK: u32 = 0x0010;
/// `NOTE_RENAME`: the file was renamed.
pub const NOTE_RENAME: u32 = 0x0020;
/// `NOTE_REVOKE`: access to the file was revoked (its file system went).
pub const NOTE_REVOKE: u32 = 0x0040;

/// `NOTE_EXIT`: the process exited.
pub const NOTE_EXIT: u32 = 0x8000_0000;
/// `NOTE_FORK`: the process forked.
pub const NOTE_FORK: u32 = 0x4000_0000;
/// `NOTE_EXEC`: the process called exec.
pub const NOTE_EXEC: u32 = 0x2000_0000;
/// `NOTE_PCTRLMASK`: the event bits of a process hint.
pub const NOTE_PCTRLMASK: u32 = 0xf000_0000;
/// `NOTE_PDATAMASK`: the pid bits of a process hint.
pub const NOTE_PDATAMASK: u32 = 0x000f_ffff;
/// `NOTE_TRACK`: follow the process across forks.
pub const NOTE_TRACK: u32 = 0x0000_0001;
/// `NOTE_TRACKERR`: a child could not be followed.
pub const NOTE_TRACKERR: u32 = 0x0000_0002;
/// `NOTE_CHILD`: this event is a followed child's.
pub const NOTE_CHILD: u32 = 0x0000_0004;
