//! The TCP timer: one callout that runs every connection's due timers
//! and lets embryonic connections that timed out leave their listener.

use super::TcpSocket;
use crate::inet::Inet;
use crate::tcp::conn::{State, Tcb};
use std::sync::Arc;
use std::time::Duration;

/// The TCP timer: run every connection's due timers; the next deadline.
pub fn timer(inet: &Inet, t: Duration) -> Option<Duration> {
    let mut next: Option<Duration> = None;
    for s in TcpSocket::list(inet).iter() {
        let mut st = s.lock();
        let Some(tcb) = st.tcb.as_mut() else { continue };
        if tcb.next_deadline().is_some_and(|d| d <= t) {
            let before = tcb.state;
            tcb.on_timer(t);
            let outs = tcb.output(t);
            if tcb.state == State::Closed && before != State::Closed {
                let parent = st.parent.clone();
                if let Some(p) = parent.and_then(|w| w.upgrade()) {
                    // An embryonic connection that timed out leaves the queue.
                    drop(st);
                    if let Some(l) = p.lock().listen.as_mut() {
                        l.pending
                            .retain(|w| !std::ptr::eq(w.as_ptr(), Arc::as_ptr(s)));
                    }
                    s.detach_embryo();
                    st = s.lock();
                }
            }
            let d = st.tcb.as_ref().and_then(Tcb::next_deadline);
            s.settle(st, outs);
            next = [next, d].into_iter().flatten().min();
        } else {
            next = [next, tcb.next_deadline()].into_iter().flatten().min();
        }
    }
    if let Some(net) = inet.net() {
        net.drain();
    }
    next
}

impl TcpSocket {
    fn detach_embryo(&self) {
        let mut s = self.lock();
        s.detached = true;
        s.parent = None;
    }
}
