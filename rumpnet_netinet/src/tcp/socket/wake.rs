//! Whom a change to a connection wakes: sleepers are woken only when
//! what they wait for changes, not by every segment.

use crate::tcp::conn::{State, Tcb};

/// Whom a change to a connection wakes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Wake {
    /// Nobody: nothing a sleeper waits for changed.
    Nobody,
    /// Only `poll` and `select`.
    Pollers,
    /// Every sleeper.
    All,
}

/// What sleepers on a connection wait for, seen before a segment comes in:
/// the segment wakes them only if one of these changes, so that a stream
/// of ACKs does not wake a blocked writer for every few bytes freed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct WakeMarks {
    state: State,
    failed: bool,
    readable: bool,
    /// `SO_SNDLOWAT` free: `poll`'s POLLOUT.
    lowat_free: bool,
    /// A quarter of the buffer free: a blocked writer goes on (Linux wakes
    /// writers at a third).
    quarter_free: bool,
}

impl WakeMarks {
    /// The marks of connection `t` now, with `SO_SNDLOWAT` `lowat`.
    pub(super) fn of(t: &Tcb, lowat: usize) -> WakeMarks {
        WakeMarks {
            state: t.state,
            failed: t.error.is_some(),
            readable: t.readable() > 0 || t.at_eof(),
            lowat_free: t.send_space() >= lowat.min(t.cfg.sndbuf),
            quarter_free: t.send_space() >= (t.cfg.sndbuf / 4).max(1),
        }
    }

    /// Whom the change from these marks to `t`'s now wakes.
    pub(super) fn wake(self, t: &Tcb, lowat: usize) -> Wake {
        let now = WakeMarks::of(t, lowat);
        let only_lowat = WakeMarks {
            lowat_free: self.lowat_free,
            ..now
        } == self;
        if now == self {
            Wake::Nobody
        } else if only_lowat {
            Wake::Pollers
        } else {
            Wake::All
        }
    }
}
