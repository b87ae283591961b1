//! Segment input (RFC 9293 3.10.7): the SYN-SENT handshake, the checks
//! of the synchronized states (window, RST, SYN, ACK; RFC 5961's
//! challenge ACKs), ACK processing and the send window, and the
//! in-window data and FIN with the out-of-order queue.

use super::{State, Tcb, ms};
use crate::tcp::seq::{ge, gt, le, lt};
use crate::wire::tcp::{Repr, flags};
use rump::Errno;
use std::time::Duration;

impl Tcb {
    /// A segment arrived (RFC 9293 3.10.7): `seg` and its `payload`.
    pub fn input(&mut self, seg: &Repr, payload: &[u8], now: Duration) {
        if self.cfg.keepalive && self.state.synchronized() {
            self.keep_probes = 0;
            self.t_keep = Some(now + self.cfg.keep_idle);
        }
        match self.state {
            State::Closed | State::Listen => {}
            State::SynSent => self.input_syn_sent(seg, payload, now),
            _ => self.input_synchronized(seg, payload, now),
        }
    }

    fn input_syn_sent(&mut self, seg: &Repr, payload: &[u8], now: Duration) {
        let f = seg.flags;
        if let Some(ack) = seg.ack
            && (le(ack, self.iss) || gt(ack, self.snd_max))
        {
            // An ACK of something we never sent.
            if f & flags::RST == 0 {
                self.pending_rst = Some(ack);
            }
            return;
        }
        if f & flags::RST != 0 {
            if seg.ack.is_some() {
                self.enter_closed(Some(Errno::ECONNREFUSED));
            }
            return;
        }
        if f & flags::SYN == 0 {
            return;
        }
        self.take_syn_options(seg);
        self.irs = seg.seq;
        self.rcv_nxt = seg.seq.wrapping_add(1);
        if let Some(ack) = seg.ack {
            self.snd_una = ack;
            self.state = State::Established;
            self.established(now);
            self.snd_wnd = u32::from(seg.window) << self.snd_scale;
            self.max_sndwnd = self.snd_wnd;
            self.snd_wl1 = seg.seq;
            self.snd_wl2 = ack;
            self.ack_now = true;
            if !payload.is_empty() || f & flags::FIN != 0 {
                let mut s = *seg;
                s.seq = s.seq.wrapping_add(1);
                s.flags &= !flags::SYN;
                self.accept_data(&s, payload, now);
            }
        } else {
            // Simultaneous open: SYN-ACK ours, wait for their ACK.
            self.state = State::SynReceived;
            self.snd_wnd = u32::from(seg.window);
            self.snd_nxt = self.iss;
            self.arm_rexmt(now);
        }
    }

    fn established(&mut self, now: Duration) {
        self.cwnd = self.initial_cwnd();
        self.retries = 0;
        self.t_rexmt = None;
        if let Some((seq, at)) = self.timed.take()
            && lt(seq, self.snd_una)
        {
            self.update_rtt(now.saturating_sub(at));
        }
        if self.cfg.keepalive {
            self.t_keep = Some(now + self.cfg.keep_idle);
        }
    }

    /// Whether a segment of `len` sequence numbers at `seq` falls in the
    /// receive window (RFC 9293 3.10.7.4, first check).
    fn acceptable(&self, seq: u32, len: u32) -> bool {
        let wnd = self.rcv_wnd().max(self.announced());
        let end = self.rcv_nxt.wrapping_add(wnd);
        match (len, wnd) {
            (0, 0) => seq == self.rcv_nxt,
            (0, _) => ge(seq, self.rcv_nxt) && lt(seq, end),
            (_, 0) => false,
            _ => {
                let last = seq.wrapping_add(len - 1);
                (ge(seq, self.rcv_nxt) && lt(seq, end)) || (ge(last, self.rcv_nxt) && lt(last, end))
            }
        }
    }

    fn input_synchronized(&mut self, seg: &Repr, payload: &[u8], now: Duration) {
        let f = seg.flags;
        let len =
            payload.len() as u32 + u32::from(f & flags::SYN != 0) + u32::from(f & flags::FIN != 0);
        if !self.acceptable(seg.seq, len) {
            // Zero-window probes and old duplicates get an ACK.
            if f & flags::RST == 0 {
                self.ack_now = true;
            }
            return;
        }
        if f & flags::RST != 0 {
            if seg.seq == self.rcv_nxt {
                let e = match self.state {
                    State::SynReceived => Errno::ECONNREFUSED,
                    State::Closing | State::LastAck | State::TimeWait => {
                        self.enter_closed(None);
                        return;
                    }
                    _ => Errno::ECONNRESET,
                };
                self.enter_closed(Some(e));
            } else {
                self.ack_now = true; // challenge ACK (RFC 5961 3.2)
            }
            return;
        }
        if f & flags::SYN != 0 {
            if self.state == State::SynReceived && seg.seq == self.irs {
                self.ack_now = true; // their SYN again: resend the SYN-ACK
                self.snd_nxt = self.snd_una;
                return;
            }
            self.ack_now = true; // challenge ACK (RFC 5961 4.2)
            return;
        }
        let Some(ack) = seg.ack else {
            return;
        };
        if self.state == State::SynReceived {
            if gt(ack, self.snd_una) && le(ack, self.snd_max) {
                self.state = State::Established;
                self.snd_wnd = u32::from(seg.window) << self.snd_scale;
                self.max_sndwnd = self.snd_wnd;
                self.snd_wl1 = seg.seq;
                self.snd_wl2 = ack;
                self.snd_una = ack;
                self.established(now);
            } else {
                self.pending_rst = Some(ack);
                return;
            }
        } else if !self.process_ack(seg, ack, payload.len(), now) {
            return;
        }
        if self.ts_ok
            && let Some((val, _)) = seg.timestamp
            && le(seg.seq, self.rcv_nxt)
            && ge(val, self.ts_recent)
        {
            self.ts_recent = val;
        }
        match self.state {
            State::Closed => return,
            State::FinWait1 if self.fin_acked() => {
                self.state = State::FinWait2;
                self.t_rexmt = None;
            }
            State::Closing if self.fin_acked() => {
                self.enter_time_wait(now);
                return;
            }
            State::LastAck if self.fin_acked() => {
                self.enter_closed(None);
                return;
            }
            State::TimeWait => {
                if f & flags::FIN != 0 {
                    self.ack_now = true;
                    self.enter_time_wait(now);
                }
                return;
            }
            _ => {}
        }
        self.accept_data(seg, payload, now);
    }

    fn fin_acked(&self) -> bool {
        self.fin_sent_and_acked
    }

    fn enter_time_wait(&mut self, now: Duration) {
        self.state = State::TimeWait;
        self.t_rexmt = None;
        self.t_persist = None;
        self.t_keep = None;
        self.t_2msl = Some(now + self.cfg.msl * 2);
    }

    /// The sequence number of our FIN, once queued: after all the data.
    pub(super) fn fin_seq(&self) -> u32 {
        self.snd_una.wrapping_add(self.sndq.len() as u32)
    }

    /// ACK processing for synchronized states; false to drop the segment.
    fn process_ack(&mut self, seg: &Repr, ack: u32, plen: usize, now: Duration) -> bool {
        if gt(ack, self.snd_max) {
            self.ack_now = true; // acks something not yet sent
            return false;
        }
        let wnd = u32::from(seg.window) << self.snd_scale;
        if lt(ack, self.snd_una) {
            // An old ACK: still take a newer window (RFC 9293 3.10.7.4).
            self.update_window(seg, ack, wnd);
            return true;
        }
        let acked = ack.wrapping_sub(self.snd_una);
        if acked == 0 {
            let flight = self.snd_max != self.snd_una;
            if plen == 0 && wnd == self.snd_wnd && flight && seg.flags & flags::FIN == 0 {
                self.dupack();
            } else if plen == 0 && wnd != self.snd_wnd {
                self.dupacks = 0;
            }
            self.update_window(seg, ack, wnd);
            return true;
        }
        // New data acknowledged.
        let data = (acked as usize).min(self.sndq.len());
        self.sndq.drain(..data);
        if acked as usize > data {
            self.fin_sent_and_acked = true;
        }
        self.snd_una = ack;
        if lt(self.snd_nxt, self.snd_una) {
            self.snd_nxt = self.snd_una;
        }
        self.retries = 0;
        // RTT: the echoed timestamp, else the timed segment (Karn: only if
        // it was not sent again, which clears `timed`).
        if self.ts_ok
            && let Some((_, ecr)) = seg.timestamp
            && ecr != 0
        {
            let r = ms(now).wrapping_sub(ecr);
            if r < 60_000 {
                self.update_rtt(Duration::from_millis(u64::from(r)));
            }
        } else if let Some((seq, at)) = self.timed
            && lt(seq, ack)
        {
            self.timed = None;
            self.update_rtt(now.saturating_sub(at));
        }
        self.congestion_on_ack(acked, ack);
        self.update_window(seg, ack, wnd);
        if self.snd_una == self.snd_max {
            self.t_rexmt = None;
        } else {
            self.arm_rexmt(now);
        }
        true
    }

    fn update_window(&mut self, seg: &Repr, ack: u32, wnd: u32) {
        if lt(self.snd_wl1, seg.seq) || (self.snd_wl1 == seg.seq && le(self.snd_wl2, ack)) {
            self.snd_wnd = wnd;
            self.max_sndwnd = self.max_sndwnd.max(wnd);
            self.snd_wl1 = seg.seq;
            self.snd_wl2 = ack;
            if wnd > 0 {
                self.t_persist = None;
            }
        }
    }

    /// Take in-window data and FIN (RFC 9293 3.10.7.4, seventh and eighth).
    fn accept_data(&mut self, seg: &Repr, payload: &[u8], now: Duration) {
        let fin = seg.flags & flags::FIN != 0;
        if !matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2 | State::SynReceived
        ) {
            // No more data may come after their FIN.
            return;
        }
        let mut seq = seg.seq;
        let mut data = payload;
        // Drop what we already have.
        if lt(seq, self.rcv_nxt) {
            let dup = self.rcv_nxt.wrapping_sub(seq) as usize;
            if dup > data.len() {
                // All old, FIN included if any was before rcv_nxt.
                if !data.is_empty() || fin {
                    self.ack_now = true;
                }
                return;
            }
            data = &data[dup..];
            seq = self.rcv_nxt;
        }
        // And what does not fit the window.
        let room = self.rcv_wnd().max(self.announced()) as usize;
        let off = seq.wrapping_sub(self.rcv_nxt) as usize;
        let fits = room.saturating_sub(off);
        let trimmed = data.len() > fits;
        let data = &data[..data.len().min(fits)];
        let fin = fin && !trimmed;
        if self.rd_shut {
            // Discarded, but acknowledged so that the peer moves on.
            if seq == self.rcv_nxt {
                self.rcv_nxt = self.rcv_nxt.wrapping_add(data.len() as u32);
            }
        } else if seq == self.rcv_nxt {
            self.grow_rcvbuf(seg, data.len());
            self.rcvq.extend(data);
            self.rcv_nxt = self.rcv_nxt.wrapping_add(data.len() as u32);
            self.pull_ooo();
            if !data.is_empty() {
                self.unacked_segs += 1;
                if self.unacked_segs >= 2 || !self.ooo.is_empty() {
                    self.ack_now = true;
                } else if self.t_delack.is_none() {
                    self.t_delack = Some(now + self.cfg.delack);
                }
            }
        } else if !data.is_empty() {
            // Out of order: keep it (bounded by the window) and say what
            // we expect at once, so that the sender's fast retransmit runs.
            // Bounded by the buffer, however the segments overlap.
            if !self.ooo.contains_key(&seq) && self.ooo_bytes + data.len() <= self.cfg.rcvbuf {
                self.ooo_bytes += data.len();
                self.ooo.insert(seq, data.to_vec());
            }
            self.ack_now = true;
            return;
        }
        if fin && seq.wrapping_add(data.len() as u32) == self.rcv_nxt {
            self.rcv_nxt = self.rcv_nxt.wrapping_add(1);
            self.fin_rcvd = true;
            self.ack_now = true;
            match self.state {
                State::SynReceived | State::Established => self.state = State::CloseWait,
                State::FinWait1 => {
                    if self.fin_sent_and_acked {
                        self.enter_time_wait(now);
                    } else {
                        self.state = State::Closing;
                    }
                }
                State::FinWait2 => self.enter_time_wait(now),
                _ => {}
            }
        }
    }

    /// Move out-of-order segments that now follow on into the queue.
    fn pull_ooo(&mut self) {
        while let Some((&s, _)) = self.ooo.iter().next() {
            if gt(s, self.rcv_nxt) {
                break;
            }
            let Some(d) = self.ooo.remove(&s) else { break };
            self.ooo_bytes -= d.len();
            let skip = self.rcv_nxt.wrapping_sub(s) as usize;
            if skip < d.len() {
                self.rcvq.extend(&d[skip..]);
                self.rcv_nxt = self.rcv_nxt.wrapping_add((d.len() - skip) as u32);
            }
        }
    }
}
