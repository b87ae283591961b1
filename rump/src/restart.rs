//! Blocked calls on a file whose descriptor is closed from another thread
//! (NetBSD's `fo_restart`: `sorestart`, `pipe_restart`, `kqueue_restart`).
//!
//! `fd_close` wakes the file's sleepers with a restart flag set; a call that
//! wakes to find it answers ERESTART, and the system-call layer runs the
//! call again, which now finds the descriptor gone (EBADF) or, if it
//! came through another descriptor that still stands, waits again.

use crate::errno::{Errno, KResult};
use std::sync::atomic::{AtomicU64, Ordering};

/// How many times a file's users were told to restart: a call notes the
/// count when it starts to wait, and gives up with ERESTART once it moves.
/// A count rather than NetBSD's sticky `SS_RESTARTSYS` bit, so that calls
/// made through another descriptor of the file after the close wait as
/// usual.
#[derive(Debug, Default)]
pub struct RestartCount(AtomicU64);

impl RestartCount {
    /// The count now, to pass to [`RestartCount::check`] after each wait.
    pub fn seen(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// A descriptor of the file was closed: every call waiting on it now
    /// must restart. The caller wakes the sleepers after this.
    pub fn restart(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }

    /// ERESTART if a restart came after `seen`.
    pub fn check(&self, seen: u64) -> KResult<()> {
        if self.seen() == seen {
            Ok(())
        } else {
            Err(Errno::ERESTART)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restart_after_the_count_was_seen_is_erestart_and_later_calls_wait_again() {
        let r = RestartCount::default();
        let before = r.seen();
        assert_eq!(r.check(before), Ok(()));
        r.restart();
        assert_eq!(r.check(before), Err(Errno::ERESTART));
        let after = r.seen();
        assert_eq!(r.check(after), Ok(()));
    }
}
