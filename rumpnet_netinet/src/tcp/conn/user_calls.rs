//! What the socket layer asks of a connection (RFC 9293 3.10's user
//! calls): what may be read and sent, SEND and RECEIVE on the
//! queues, CLOSE of our half, and ABORT.

use super::{Out, State, Tcb};
use crate::wire::tcp::flags;
use rump::Errno;
use rumpnet::pkt::Pkt;

impl Tcb {
    /// Bytes ready to read.
    pub fn readable(&self) -> usize {
        self.rcvq.len()
    }

    /// Whether the peer's FIN has been read up to (end of stream).
    pub fn at_eof(&self) -> bool {
        self.fin_rcvd && self.rcvq.is_empty()
    }

    /// Whether the peer's FIN has arrived.
    pub fn fin_received(&self) -> bool {
        self.fin_rcvd
    }

    /// Whether our FIN is queued: nothing more may be sent.
    pub fn send_shut(&self) -> bool {
        self.fin_queued
    }

    /// Bytes queued and not yet acknowledged.
    pub fn unacked(&self) -> usize {
        self.sndq.len()
    }

    /// Room in the send buffer.
    pub fn send_space(&self) -> usize {
        self.cfg.sndbuf.saturating_sub(self.sndq.len())
    }

    /// Whether our FIN is queued or sent: the sending half is over
    /// (`SS_CANTSENDMORE`).
    pub fn fin_queued(&self) -> bool {
        self.fin_queued
    }

    /// Whether `send` may queue data in this state.
    pub fn can_send(&self) -> bool {
        matches!(self.state, State::Established | State::CloseWait) && !self.fin_queued
    }

    /// Queue `data` to send; how much fit. EAGAIN if none did, EPIPE
    /// after our FIN, ENOTCONN before the handshake, the error after a
    /// failure.
    pub fn send(&mut self, data: &[u8]) -> Result<usize, Errno> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.fin_queued
            || !matches!(
                self.state,
                State::Established | State::CloseWait | State::SynSent | State::SynReceived
            )
        {
            return Err(if self.state == State::Closed && !self.fin_queued {
                Errno::ENOTCONN
            } else {
                Errno::EPIPE
            });
        }
        if !self.state.synchronized() {
            return Err(Errno::ENOTCONN);
        }
        if data.is_empty() {
            return Ok(0);
        }
        let n = data.len().min(self.send_space());
        if n == 0 {
            return Err(Errno::EAGAIN);
        }
        self.sndq.extend(&data[..n]);
        Ok(n)
    }

    /// Take up to `buf.len()` received bytes (or copy them, `peek`); 0 at
    /// end of stream; EAGAIN when there is nothing yet.
    pub fn recv(&mut self, buf: &mut [u8], peek: bool) -> Result<usize, Errno> {
        if self.rcvq.is_empty() {
            if self.fin_rcvd || self.rd_shut {
                return Ok(0);
            }
            if let Some(e) = self.error {
                return Err(e);
            }
            if self.state == State::Closed {
                return Ok(0);
            }
            return Err(Errno::EAGAIN);
        }
        let n = buf.len().min(self.rcvq.len());
        let (a, b) = self.rcvq.as_slices();
        let from_a = n.min(a.len());
        buf[..from_a].copy_from_slice(&a[..from_a]);
        buf[from_a..n].copy_from_slice(&b[..n - from_a]);
        if !peek {
            let before = self.rcv_wnd();
            self.rcvq.drain(..n);
            // Tell the peer when the window opened by enough to matter.
            let opened = self.rcv_wnd().saturating_sub(before.max(self.announced()));
            if opened >= 2 * self.eff_mss() || opened as usize >= self.cfg.rcvbuf / 2 {
                self.ack_now = true;
            }
        }
        Ok(n)
    }

    /// Close our sending half (`shutdown(SHUT_WR)`, or `close`): the FIN
    /// follows the queued data.
    pub fn close_send(&mut self) {
        match self.state {
            State::SynSent | State::Listen => self.state = State::Closed,
            State::SynReceived | State::Established => {
                self.fin_queued = true;
                self.state = State::FinWait1;
            }
            State::CloseWait => {
                self.fin_queued = true;
                self.state = State::LastAck;
            }
            _ => {}
        }
    }

    /// Abort (`close` with unread data or `SO_LINGER` 0): a RST if the
    /// peer knows of us; the connection is closed.
    pub fn abort(&mut self) -> Option<Out> {
        let rst = matches!(
            self.state,
            State::SynReceived
                | State::Established
                | State::FinWait1
                | State::FinWait2
                | State::CloseWait
        )
        .then(|| self.segment(self.snd_nxt, flags::RST, Pkt::default(), false));
        self.enter_closed(None);
        rst
    }

    /// The connection is over (with error `e`, if any): no timer runs.
    pub(super) fn enter_closed(&mut self, e: Option<Errno>) {
        self.state = State::Closed;
        if e.is_some() {
            self.error = e;
        }
        self.t_rexmt = None;
        self.t_persist = None;
        self.t_delack = None;
        self.t_keep = None;
        self.t_2msl = None;
    }
}
