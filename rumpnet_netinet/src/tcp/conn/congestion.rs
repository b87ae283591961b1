//! Congestion control (RFC 5681): slow start, congestion avoidance,
//! duplicate ACKs with limited transmit, early and fast retransmit
//! and NewReno recovery (RFC 3042, 5827, 6582); and NetBSD's automatic
//! sizing of the send and receive buffers.

use super::{DUPACK_THRESHOLD, Tcb};
use crate::tcp::seq::{ge, gt};
use crate::wire::tcp::Repr;

impl Tcb {
    /// A duplicate ACK: limited transmit, then fast retransmit and
    /// NewReno recovery.
    pub(super) fn dupack(&mut self) {
        self.dupacks += 1;
        let m = self.eff_mss();
        // Early retransmit (RFC 5827): with fewer than four segments out
        // and nothing new to send, fewer duplicates will ever come.
        let flight = self.snd_max.wrapping_sub(self.snd_una);
        let segs = flight.div_ceil(m.max(1));
        let unsent = self.sndq.len() > flight as usize;
        let threshold = if segs < 4 && !unsent {
            segs.saturating_sub(1).max(1)
        } else {
            DUPACK_THRESHOLD
        };
        if self.in_recovery {
            self.cwnd += m; // inflate for each segment that left
        } else if self.dupacks < threshold {
            // Limited transmit (RFC 3042): a new segment for each of the
            // first duplicates keeps the ACK clock going.
            self.limited = self.dupacks * m;
        } else if self.dupacks == threshold && gt(self.snd_una, self.recover.wrapping_sub(1)) {
            // Fast retransmit (RFC 6582 3.2 step 2).
            let flight = self.snd_max.wrapping_sub(self.snd_una);
            self.ssthresh = (flight / 2).max(2 * m);
            self.recover = self.snd_max;
            self.in_recovery = true;
            self.rexmt_one = true;
            self.fast_rexmits += 1;
            self.timed = None;
            self.cwnd = self.ssthresh + 3 * m;
        }
    }

    /// New data `acked` up to `ack`: grow the window, or leave (or go on
    /// with) recovery.
    pub(super) fn congestion_on_ack(&mut self, acked: u32, ack: u32) {
        let m = self.eff_mss();
        if self.in_recovery {
            if ge(ack, self.recover) {
                // Full acknowledgement: leave recovery (RFC 6582 3.2 step 3).
                let flight = self.snd_max.wrapping_sub(ack);
                self.cwnd = self.ssthresh.min(flight.max(m) + m);
                self.in_recovery = false;
                self.dupacks = 0;
                self.limited = 0;
            } else {
                // Partial: send the next hole now, deflate by what left.
                self.rexmt_one = true;
                self.cwnd = self.cwnd.saturating_sub(acked).max(m) + m;
            }
            return;
        }
        self.dupacks = 0;
        self.limited = 0;
        if self.cwnd < self.ssthresh {
            // Appropriate byte counting (RFC 3465, L = 2): delayed ACKs do
            // not halve slow start.
            self.cwnd += acked.min(2 * m);
        } else {
            self.cwnd += (m * m / self.cwnd.max(1)).max(1);
        }
        self.cwnd = self.cwnd.min(1 << 30);
    }

    /// Receive buffer autosizing, as NetBSD's `tcp_input`: when a round
    /// trip (a segment echoing a timestamp sent after the round began)
    /// brought more than 7/8 of the buffer, the buffer grows a step.
    pub(super) fn grow_rcvbuf(&mut self, seg: &Repr, len: usize) {
        let (Some(auto), true, Some((_, ecr))) = (self.cfg.rcv_auto, self.ts_ok, seg.timestamp)
        else {
            return;
        };
        if self.rfbuf_ts != 0 && gt(ecr, self.rfbuf_ts) && ecr.wrapping_sub(self.rfbuf_ts) < 1000 {
            // The window announces at most 65535 << scale.
            let limit = auto.max.min(65535 << self.rcv_scale);
            if self.rfbuf_cnt > self.cfg.rcvbuf / 8 * 7 && self.cfg.rcvbuf < limit {
                self.cfg.rcvbuf = (self.cfg.rcvbuf + auto.inc).min(limit);
            }
            self.rfbuf_ts = 0;
            self.rfbuf_cnt = 0;
        } else {
            self.rfbuf_cnt += len;
        }
    }

    /// Send buffer autosizing, as NetBSD's `tcp_output`: the buffer grows
    /// a step while the peer's window is about as large as it, it is 7/8
    /// full, and what waits unsent fits the window we may use.
    pub(super) fn grow_sndbuf(&mut self, usable_wnd: u32) {
        let Some(auto) = self.cfg.snd_auto else {
            return;
        };
        let queued = self.sndq.len();
        let in_flight = self.snd_nxt.wrapping_sub(self.snd_una) as usize;
        if (self.snd_wnd as usize / 4 * 5) >= self.cfg.sndbuf
            && queued >= self.cfg.sndbuf / 8 * 7
            && queued < auto.max
            && usable_wnd as usize >= queued.saturating_sub(in_flight)
        {
            self.cfg.sndbuf = (self.cfg.sndbuf + auto.inc)
                .min(auto.max)
                .max(self.cfg.sndbuf);
        }
    }
}
