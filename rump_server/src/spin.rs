//! Whether a connection's reader spins a moment for the next request before
//! it sleeps in the host.
//!
//! On a virtual machine, a thread the host wakes on another CPU runs some
//! tens of microseconds later; a client that calls in a loop sends its next
//! request well within that after it has its answer, so a reader that polls
//! for a moment takes the request without being woken at all. Spinning
//! costs a CPU, though: measured against NetBSD's client on a loaded
//! two-CPU host, a reader that always spun 50 us made a remote getpid 1.5
//! times slower, its CPU taken from the client it waited for. So a reader
//! spins only while spinning pays: never on a single CPU, never more readers
//! at once than CPUs less one, yielding its CPU at every look (a client on
//! the same CPU runs at once), and after a spin that found nothing it
//! sleeps at once for twice as many reads as after the one before.

use rumpuser::HostStream;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How long a reader looks for the next request before it sleeps.
const SPIN_FOR_REQUEST: Duration = rumpuser::SPIN_FOR_ANSWER;

/// The longest run of reads that sleep at once after spins found nothing
/// (`1 << MAX_BACKOFF`).
const MAX_BACKOFF: u32 = 10;

/// How many readers spin right now, across connections.
static SPINNING: AtomicUsize = AtomicUsize::new(0);

/// One connection's record of whether spinning pays.
#[derive(Default)]
pub(crate) struct RequestSpin {
    /// Spins in a row that found nothing.
    misses: u32,
    /// Reads left that sleep at once.
    sleep_at_once: u32,
}

impl RequestSpin {
    /// Spin for a moment until `s` has something to read, when that has been
    /// paying; return at once otherwise. The caller reads as usual after.
    pub(crate) fn before_read(&mut self, s: &HostStream) {
        if self.sleep_at_once > 0 {
            self.sleep_at_once -= 1;
            return;
        }
        let cpus = rumpuser::host_ncpu();
        if cpus < 2 {
            return;
        }
        if SPINNING.fetch_add(1, Ordering::Relaxed) >= cpus - 1 {
            SPINNING.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        let came = rumpuser::spin_until_readable(s.as_fd(), SPIN_FOR_REQUEST);
        SPINNING.fetch_sub(1, Ordering::Relaxed);
        if came {
            self.misses = 0;
        } else {
            self.misses = (self.misses + 1).min(MAX_BACKOFF);
            self.sleep_at_once = 1 << self.misses;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test, so that no other spinner in this binary takes the one
    // spinning place of a two-CPU host from it.
    #[test]
    fn spins_that_find_nothing_double_the_reads_that_sleep_at_once_and_one_that_finds_resets() {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let s = HostStream::Unix(a);
        let mut spin = RequestSpin::default();
        if rumpuser::host_ncpu() < 2 {
            spin.before_read(&s);
            assert_eq!(spin.misses, 0, "a single CPU never spins");
            return;
        }
        spin.before_read(&s);
        assert_eq!((spin.misses, spin.sleep_at_once), (1, 2));
        spin.before_read(&s);
        spin.before_read(&s);
        assert_eq!((spin.misses, spin.sleep_at_once), (1, 0));
        spin.before_read(&s);
        assert_eq!((spin.misses, spin.sleep_at_once), (2, 4));
        spin.sleep_at_once = 0;
        std::io::Write::write_all(&mut &b, b"x").unwrap();
        spin.before_read(&s);
        assert_eq!((spin.misses, spin.sleep_at_once), (0, 0));
    }
}
