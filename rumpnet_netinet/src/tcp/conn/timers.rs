//! A connection's timers as deadlines (retransmission, persist, delayed
//! ACK, keepalive, 2MSL), the retransmission timeout's backoff, and
//! round-trip estimation (RFC 6298).

use super::{MAX_RETRIES, MAX_RTO, MAX_SYN_RETRIES, MIN_RTO, Tcb};
use rump::Errno;
use std::time::Duration;

impl Tcb {
    /// The earliest timer deadline.
    pub fn next_deadline(&self) -> Option<Duration> {
        [
            self.t_rexmt,
            self.t_persist,
            self.t_delack,
            self.t_keep,
            self.t_2msl,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Run the timers due at `now`.
    pub fn on_timer(&mut self, now: Duration) {
        if self.t_2msl.is_some_and(|t| t <= now) {
            self.enter_closed(None);
            return;
        }
        if self.t_delack.is_some_and(|t| t <= now) {
            self.t_delack = None;
            self.ack_now = true;
        }
        if self.t_rexmt.is_some_and(|t| t <= now) {
            self.t_rexmt = None;
            self.retransmit_timeout();
        }
        if self.t_persist.is_some_and(|t| t <= now) {
            self.t_persist = None;
            self.force_probe = true;
        }
        if self.t_keep.is_some_and(|t| t <= now) {
            self.t_keep = None;
            if self.cfg.keepalive && self.state.synchronized() {
                if self.keep_probes >= self.cfg.keep_cnt {
                    self.enter_closed(Some(Errno::ETIMEDOUT));
                    return;
                }
                self.keep_probes += 1;
                self.t_keep = Some(now + self.cfg.keep_intvl);
            }
        }
    }

    fn retransmit_timeout(&mut self) {
        let limit = if self.state.synchronized() {
            MAX_RETRIES
        } else {
            MAX_SYN_RETRIES
        };
        // The first SYN is sent by arming the timer at once: not a retry.
        let first_syn = !self.state.synchronized() && self.snd_max == self.iss;
        if !first_syn {
            self.retries += 1;
            self.rexmt_timeouts += 1;
            if self.retries > limit {
                self.enter_closed(Some(Errno::ETIMEDOUT));
                return;
            }
            self.rto = (self.rto * 2).min(MAX_RTO);
            // RFC 5681 3.1: after a timeout, one segment and half the flight.
            let flight = self.snd_max.wrapping_sub(self.snd_una);
            self.ssthresh = (flight / 2).max(2 * self.eff_mss());
            self.cwnd = self.eff_mss();
            self.in_recovery = false;
            self.recover = self.snd_max;
            self.dupacks = 0;
            self.timed = None;
        }
        // Go back to the first unacknowledged byte.
        self.snd_nxt = self.snd_una;
    }

    /// Start the retransmission timer from `now`.
    pub(super) fn arm_rexmt(&mut self, now: Duration) {
        self.t_rexmt = Some(now + self.rto);
    }

    /// Take a round-trip sample `r` into the estimate and the timeout.
    pub(super) fn update_rtt(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(s) => {
                let diff = s.abs_diff(r);
                self.rttvar = self.rttvar * 3 / 4 + diff / 4;
                self.srtt = Some(s * 7 / 8 + r / 8);
            }
        }
        let s = self.srtt.unwrap_or(r);
        self.rto = (s + (self.rttvar * 4).max(Duration::from_millis(1))).clamp(MIN_RTO, MAX_RTO);
    }
}
