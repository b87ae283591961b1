//! Segment output (`tcp_output`): the header of each segment with its
//! window and options, the SYN and SYN-ACK, retransmissions, Nagle,
//! window probes, and the ACKs owed.

use super::{ACK_HOLD_SEGS, MIN_PERSIST, Out, State, Tcb, ms};
use crate::tcp::seq::{ge, lt};
use crate::wire::tcp::{Repr, flags};
use rumpnet::pkt::Pkt;
use std::collections::VecDeque;
use std::time::Duration;

impl Tcb {
    /// A segment from `seq` with flags `f` and `payload`, carrying our
    /// window and options, and the ACK if `with_ack`.
    pub(super) fn segment(&mut self, seq: u32, f: u8, payload: Pkt, with_ack: bool) -> Out {
        let syn = f & flags::SYN != 0;
        let wnd = self.rcv_wnd().max(self.announced());
        let shift = if syn { 0 } else { self.rcv_scale };
        let field = (wnd >> shift).min(65535);
        if with_ack {
            self.rcv_adv = self.rcv_nxt.wrapping_add(field << shift);
        }
        let mut r = Repr {
            seq,
            ack: with_ack.then_some(self.rcv_nxt),
            flags: f,
            window: field as u16,
            payload_len: payload.len(),
            ..Repr::default()
        };
        if syn {
            r.mss = Some(self.cfg.mss);
            if self.cfg.wscale
                && (self.state == State::SynSent || self.rcv_scale > 0 || self.snd_scale > 0)
            {
                r.wscale = Some(self.rcv_scale);
            }
            if self.cfg.timestamps && (self.state == State::SynSent || self.ts_ok) {
                r.timestamp = Some((0, self.ts_recent));
            }
        } else if self.ts_ok {
            r.timestamp = Some((0, self.ts_recent));
        }
        if with_ack {
            self.ack_now = false;
            self.t_delack = None;
            self.unacked_segs = 0;
        }
        Out { repr: r, payload }
    }

    fn stamp(&mut self, mut o: Out, now: Duration) -> Out {
        if let Some((_, ecr)) = o.repr.timestamp {
            let val = ms(now).max(1);
            o.repr.timestamp = Some((val, ecr));
            if self.rfbuf_ts == 0 && self.cfg.rcv_auto.is_some() {
                self.rfbuf_ts = val;
            }
        }
        o
    }

    /// The segments to send now.
    pub fn output(&mut self, now: Duration) -> Vec<Out> {
        let mut out = Vec::new();
        if let Some(ack) = self.pending_rst.take() {
            let mut r = self.segment(ack, flags::RST, Pkt::default(), false);
            r.repr.timestamp = None;
            out.push(r);
            return out;
        }
        match self.state {
            State::Closed | State::Listen | State::TimeWait => {
                if self.ack_now && self.state == State::TimeWait {
                    let s = self.segment(self.snd_max, 0, Pkt::default(), true);
                    out.push(self.stamp(s, now));
                }
                return out;
            }
            State::SynSent | State::SynReceived => {
                if self.snd_nxt == self.iss {
                    let (f, ack) = if self.state == State::SynSent {
                        (flags::SYN, false)
                    } else {
                        (flags::SYN, true)
                    };
                    let s = self.segment(self.iss, f, Pkt::default(), ack);
                    out.push(self.stamp(s, now));
                    if self.timed.is_none() && self.retries == 0 {
                        self.timed = Some((self.iss, now));
                    }
                    self.snd_nxt = self.iss.wrapping_add(1);
                    self.snd_max = seq_max(self.snd_max, self.snd_nxt);
                    self.snd_una = self.iss;
                    self.arm_rexmt(now);
                } else if self.ack_now && self.state == State::SynReceived {
                    let s = self.segment(self.snd_nxt, 0, Pkt::default(), true);
                    out.push(self.stamp(s, now));
                }
                return out;
            }
            _ => {}
        }
        let m = self.eff_mss() as usize;
        self.grow_sndbuf(self.snd_wnd.min(self.cwnd.max(self.eff_mss())));
        if std::mem::take(&mut self.rexmt_one) && !self.sndq.is_empty() {
            // Fast retransmit or a NewReno partial ACK: the first hole.
            let n = m.min(self.sndq.len());
            let data = slice_of(&self.sndq, 0, n);
            self.rexmt_bytes += n as u64;
            let s = self.segment(self.snd_una, flags::PSH, data, true);
            out.push(self.stamp(s, now));
            self.arm_rexmt(now);
        }
        loop {
            let off = self.snd_nxt.wrapping_sub(self.snd_una) as usize;
            let avail = self.sndq.len().saturating_sub(off);
            let in_flight = off as u32;
            let wnd = self.snd_wnd.min(
                self.cwnd.max(self.eff_mss()) + if self.in_recovery { 0 } else { self.limited },
            );
            let mut usable = wnd.saturating_sub(in_flight) as usize;
            if self.force_probe && usable == 0 && avail > 0 {
                usable = 1; // a zero-window probe
            }
            let len = avail.min(usable).min(m);
            let fin_now = self.fin_queued
                && off + len == self.sndq.len()
                && !self.fin_sent_and_acked
                && lt(
                    self.snd_nxt.wrapping_add(len as u32),
                    self.fin_seq().wrapping_add(1),
                );
            let idle = self.snd_max == self.snd_una;
            let nagle_ok = len == m
                || ((idle || self.cfg.nodelay || self.fin_queued) && len == avail)
                || self.force_probe
                || (self.max_sndwnd > 0 && len as u32 >= self.max_sndwnd / 2);
            if (len > 0 && nagle_ok) || fin_now {
                self.force_probe = false;
                let data = slice_of(&self.sndq, off, len);
                let mut f = if len > 0 && off + len == self.sndq.len() {
                    flags::PSH
                } else {
                    0
                };
                if fin_now {
                    f |= flags::FIN;
                }
                let seq = self.snd_nxt;
                if lt(seq, self.snd_max) {
                    self.rexmt_bytes += len as u64;
                }
                let s = self.segment(seq, f, data, true);
                out.push(self.stamp(s, now));
                let adv = len as u32 + u32::from(fin_now);
                if self.timed.is_none() && ge(seq, self.snd_max) && len > 0 {
                    self.timed = Some((seq, now));
                }
                self.snd_nxt = self.snd_nxt.wrapping_add(adv);
                self.snd_max = seq_max(self.snd_max, self.snd_nxt);
                if self.t_rexmt.is_none() {
                    self.arm_rexmt(now);
                }
                if fin_now {
                    break;
                }
                continue;
            }
            // Nothing goes: with data waiting, nothing in flight and a
            // window too small to use (closed, or less than a segment that
            // Nagle holds back), probe it when the persist timer fires, so
            // that a lost window update cannot stall the connection.
            if avail > 0
                && self.snd_nxt == self.snd_una
                && self.t_rexmt.is_none()
                && self.t_persist.is_none()
            {
                self.t_persist = Some(now + self.rto.max(MIN_PERSIST));
            }
            break;
        }
        let hold = self.hold_ack
            && self.state == State::Established
            && self.ooo.is_empty()
            && self.unacked_segs < ACK_HOLD_SEGS;
        if self.ack_now && !hold {
            let s = self.segment(self.snd_nxt, 0, Pkt::default(), true);
            out.push(self.stamp(s, now));
        }
        out
    }

    /// Whether an ACK is owed and was held back by [`Tcb::hold_ack`].
    pub fn ack_owed(&self) -> bool {
        self.ack_now
    }
}

/// `len` bytes of `q` from `off`, copied a run at a time into a packet
/// with room for the headers in front.
fn slice_of(q: &VecDeque<u8>, off: usize, len: usize) -> Pkt {
    let (a, b) = q.as_slices();
    if off < a.len() {
        let end = (off + len).min(a.len());
        Pkt::from_slices(&a[off..end], &b[..len - (end - off)])
    } else {
        let s = off - a.len();
        Pkt::from_slices(&b[s..s + len], &[])
    }
}

fn seq_max(a: u32, b: u32) -> u32 {
    crate::tcp::seq::max(a, b)
}
