//! A smaller path MTU for a connection (`tcp_mtudisc`).

use super::Tcb;
use crate::tcp::seq;

impl Tcb {
    /// `seq` lies between the oldest unacknowledged byte and the highest
    /// sent, as an ICMP error about one of our segments must quote
    /// (`tcp_ctlinput`).
    pub fn has_sent_unacked(&self, seq: u32) -> bool {
        !seq::lt(seq, self.snd_una) && !seq::gt(seq, self.snd_max)
    }

    /// The path to the peer carries segments of at most `mss` bytes
    /// (its MTU less the IP and TCP headers): later segments are that
    /// small, and what is unacknowledged goes again in pieces of that
    /// size, slow-starting from the initial window. False when `mss` is
    /// no smaller than what we send already.
    pub fn path_mtu_lowered(&mut self, mss: u16) -> bool {
        // Never below what a timestamp option leaves room for.
        let mss = mss.max(64);
        if mss >= self.snd_mss {
            return false;
        }
        self.snd_mss = mss;
        self.cwnd = self.initial_cwnd();
        // Resend what is unacknowledged.
        self.snd_nxt = self.snd_una;
        true
    }
}
