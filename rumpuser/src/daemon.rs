//! Detaching a server from its terminal (`rump_daemonize_begin`/`_done`):
//! the parent process waits until the child reports that it serves (exit 0)
//! or why it could not (the reason on stderr, exit 1).

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

/// The child's end of the status pipe; report once with [`Daemon::done`].
pub struct Daemon {
    status: std::fs::File,
}

/// Fork. The parent never returns: it exits 0 once the child calls
/// `done(Ok)`, or 1 with the child's message. The child returns, detached
/// from the controlling terminal. Call before the process starts threads.
pub fn daemonize_begin() -> std::io::Result<Daemon> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both descriptors are open and owned by us.
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the caller promises no other threads exist, so the child is a
    // faithful single-threaded copy of this process.
    match unsafe { libc::fork() } {
        -1 => Err(std::io::Error::last_os_error()),
        0 => {
            drop(rd);
            // SAFETY: setsid has no preconditions; failure (already a leader) is harmless.
            unsafe { libc::setsid() };
            Ok(Daemon {
                status: std::fs::File::from(wr),
            })
        }
        _ => {
            drop(wr);
            let mut msg = Vec::new();
            let _ = std::fs::File::from(rd).read_to_end(&mut msg);
            match msg.split_first() {
                Some((0, _)) => std::process::exit(0),
                Some((_, text)) => {
                    let _ = std::io::stderr().write_all(text);
                    std::process::exit(1)
                }
                None => {
                    let _ = std::io::stderr()
                        .write_all(b"rump_server: server process died during startup\n");
                    std::process::exit(1)
                }
            }
        }
    }
}

impl Daemon {
    /// Tell the waiting parent how startup went. On success the standard
    /// descriptors are pointed at `/dev/null`, as a daemon's are.
    pub fn done(mut self, result: Result<(), &str>) {
        match result {
            Ok(()) => {
                let _ = self.status.write_all(&[0]);
                detach_stdio();
            }
            Err(e) => {
                let mut m = vec![1u8];
                m.extend_from_slice(e.as_bytes());
                if !e.ends_with('\n') {
                    m.push(b'\n');
                }
                let _ = self.status.write_all(&m);
            }
        }
    }
}

fn detach_stdio() {
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        use std::os::fd::AsRawFd;
        for fd in 0..3 {
            // SAFETY: dup2 onto the standard descriptors of this process; both are valid.
            unsafe { libc::dup2(null.as_raw_fd(), fd) };
        }
    }
}
