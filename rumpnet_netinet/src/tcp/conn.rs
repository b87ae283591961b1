//! One TCP connection's state machine (RFC 9293), as plain data driven by
//! the caller's clock: segments in, segments out, timers as deadlines.
//! Options: MSS, window scaling and timestamps (RFC 7323); retransmission
//! timeouts (RFC 6298) with Karn's rule; slow start, congestion avoidance,
//! fast retransmit and NewReno recovery (RFC 5681, 6582); delayed ACKs;
//! Nagle; zero-window probes; keepalive; RFC 5961's challenge ACKs.

use super::seq::{ge, gt, le, lt};
use crate::wire::tcp::{Repr, flags};
use rump::Errno;
use rumpnet::pkt::Pkt;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// Smallest retransmission timeout. RFC 6298 asks for a second; like
/// FreeBSD (`net.inet.tcp.rexmit_min`), 30 ms is used: on links with
/// round trips of a millisecond a second's wait for each lost
/// retransmission would dominate.
pub const MIN_RTO: Duration = Duration::from_millis(30);
/// Shortest wait before a window probe (`TCPTV_PERSMIN` is 5 s in BSD; a
/// probe is cheap, and a stalled connection is not).
pub const MIN_PERSIST: Duration = Duration::from_millis(200);
/// Largest retransmission timeout.
pub const MAX_RTO: Duration = Duration::from_secs(64);
/// The timeout before any RTT sample (RFC 6298 2.1).
pub const INITIAL_RTO: Duration = Duration::from_secs(1);
/// Retransmissions before the connection is dropped (`TCP_MAXRXTSHIFT`).
pub const MAX_RETRIES: u32 = 12;
/// SYN retransmissions before a connect fails (`tcp_syn_cache_limit`-ish).
pub const MAX_SYN_RETRIES: u32 = 6;
/// Out-of-order bytes kept, as a share of the receive buffer: all of it.
const DUPACK_THRESHOLD: u32 = 3;
/// The MSS assumed when the peer sends none (RFC 9293 3.7.1; `TCP_MSS`).
pub const DEFAULT_MSS: u16 = netbsd_abi::TCP_MSS as u16;

/// Connection states (RFC 9293 3.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// No connection.
    Closed,
    /// Waiting for a connection (kept by the socket layer's listener).
    Listen,
    /// Our SYN is out.
    SynSent,
    /// A SYN came and our SYN-ACK is out.
    SynReceived,
    /// Open.
    Established,
    /// We closed; our FIN is out.
    FinWait1,
    /// Our FIN is acknowledged; waiting for theirs.
    FinWait2,
    /// They closed; we may still send.
    CloseWait,
    /// Both closed at once; waiting for the ACK of our FIN.
    Closing,
    /// They closed, then we did; waiting for the ACK of our FIN.
    LastAck,
    /// Both closed; waiting out old segments.
    TimeWait,
}

impl State {
    /// NetBSD's name (`netstat`).
    pub fn name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN_SENT",
            State::SynReceived => "SYN_RCVD",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN_WAIT_1",
            State::FinWait2 => "FIN_WAIT_2",
            State::CloseWait => "CLOSE_WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST_ACK",
            State::TimeWait => "TIME_WAIT",
        }
    }

    /// NetBSD's number (`TCPS_*`).
    pub fn number(self) -> i32 {
        match self {
            State::Closed => 0,
            State::Listen => 1,
            State::SynSent => 2,
            State::SynReceived => 3,
            State::Established => 4,
            State::CloseWait => 5,
            State::FinWait1 => 6,
            State::Closing => 7,
            State::LastAck => 8,
            State::FinWait2 => 9,
            State::TimeWait => 10,
        }
    }

    /// Whether the handshake is done (RFC 9293's synchronized states).
    pub fn synchronized(self) -> bool {
        !matches!(
            self,
            State::Closed | State::Listen | State::SynSent | State::SynReceived
        )
    }
}

/// Per-connection settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The MSS we announce (the route's MTU less 40).
    pub mss: u16,
    /// The peer's MSS when its SYN names none (`net.inet.tcp.mssdflt`).
    pub mss_default: u16,
    /// Receive buffer size.
    pub rcvbuf: usize,
    /// Send buffer size.
    pub sndbuf: usize,
    /// `TCP_NODELAY`: no Nagle.
    pub nodelay: bool,
    /// Offer window scaling.
    pub wscale: bool,
    /// Offer timestamps.
    pub timestamps: bool,
    /// Maximum segment lifetime; TIME_WAIT lasts twice this.
    pub msl: Duration,
    /// How long an ACK may be delayed.
    pub delack: Duration,
    /// `SO_KEEPALIVE`.
    pub keepalive: bool,
    /// Idle time before the first keepalive probe.
    pub keep_idle: Duration,
    /// Time between probes.
    pub keep_intvl: Duration,
    /// Probes before the connection is dropped.
    pub keep_cnt: u32,
    /// Initial sequence number.
    pub iss: u32,
    /// Grow the receive buffer while the peer fills it each round trip.
    pub rcv_auto: Option<AutoSize>,
    /// Grow the send buffer while the window lets it drain.
    pub snd_auto: Option<AutoSize>,
}

/// Steps of automatic buffer sizing (`net.inet.tcp.{recv,send}buf_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoSize {
    /// Bytes added a step.
    pub inc: usize,
    /// No larger than this.
    pub max: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            mss: 1460,
            mss_default: DEFAULT_MSS,
            rcvbuf: 1 << 16,
            sndbuf: 1 << 16,
            nodelay: false,
            wscale: true,
            timestamps: true,
            msl: Duration::from_secs(30),
            delack: Duration::from_millis(100),
            keepalive: false,
            keep_idle: Duration::from_secs(7200),
            keep_intvl: Duration::from_secs(75),
            keep_cnt: 8,
            iss: 0,
            rcv_auto: None,
            snd_auto: None,
        }
    }
}

/// A segment to send: the header (ports left 0 for the caller) and data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Out {
    /// Header fields.
    pub repr: Repr,
    /// Payload.
    pub payload: Pkt,
}

/// One connection.
#[derive(Debug)]
pub struct Tcb {
    /// The state.
    pub state: State,
    /// Settings.
    pub cfg: Config,
    /// Why the connection failed, for the socket (`so_error`).
    pub error: Option<Errno>,
    // Send side. `sndq` holds the bytes from `snd_una` on (the SYN is not
    // in it): acknowledged bytes leave it.
    iss: u32,
    snd_una: u32,
    snd_nxt: u32,
    snd_max: u32,
    snd_wnd: u32,
    max_sndwnd: u32,
    snd_wl1: u32,
    snd_wl2: u32,
    sndq: VecDeque<u8>,
    fin_queued: bool,
    fin_sent_and_acked: bool,
    pending_rst: Option<u32>,
    // Receive side.
    irs: u32,
    rcv_nxt: u32,
    rcv_adv: u32,
    rcvq: VecDeque<u8>,
    ooo: BTreeMap<u32, Vec<u8>>,
    ooo_bytes: usize,
    fin_rcvd: bool,
    /// The reading half was shut: data that arrives is dropped.
    pub rd_shut: bool,
    // Options.
    snd_mss: u16,
    snd_scale: u8,
    rcv_scale: u8,
    ts_ok: bool,
    ts_recent: u32,
    // Receive buffer sizing: when the round being measured started (our
    // timestamp, 0: none), and the bytes that came in it.
    rfbuf_ts: u32,
    rfbuf_cnt: usize,
    // Round-trip timing.
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    timed: Option<(u32, Duration)>,
    retries: u32,
    // Congestion control.
    cwnd: u32,
    ssthresh: u32,
    dupacks: u32,
    recover: u32,
    in_recovery: bool,
    rexmt_one: bool,
    limited: u32,
    // Timers.
    t_rexmt: Option<Duration>,
    t_persist: Option<Duration>,
    t_delack: Option<Duration>,
    t_keep: Option<Duration>,
    t_2msl: Option<Duration>,
    keep_probes: u32,
    ack_now: bool,
    unacked_segs: u32,
    force_probe: bool,
    /// Bytes sent again (for statistics).
    pub rexmt_bytes: u64,
    /// Retransmission timeouts (for statistics).
    pub rexmt_timeouts: u64,
    /// Fast retransmits (for statistics).
    pub fast_rexmits: u64,
    /// The stack is in a burst (`rumpnet::burst`): a pure ACK for in-order
    /// data may wait for its end, up to [`ACK_HOLD_SEGS`] segments, so that
    /// a batch of segments is acknowledged together (as Linux's receive
    /// offload does).
    pub hold_ack: bool,
}

/// Most full segments one held ACK covers.
const ACK_HOLD_SEGS: u32 = 8;

fn ms(d: Duration) -> u32 {
    d.as_millis() as u32
}

/// The window scale that lets `buf` bytes be announced.
fn scale_for(buf: usize) -> u8 {
    let mut s = 0;
    while s < 14 && (buf >> s) > 65535 {
        s += 1;
    }
    s
}

impl Tcb {
    fn new(cfg: Config, state: State) -> Tcb {
        let iss = cfg.iss;
        Tcb {
            state,
            error: None,
            iss,
            snd_una: iss,
            snd_nxt: iss,
            snd_max: iss,
            snd_wnd: 0,
            max_sndwnd: 0,
            snd_wl1: 0,
            snd_wl2: 0,
            sndq: VecDeque::new(),
            fin_queued: false,
            fin_sent_and_acked: false,
            pending_rst: None,
            irs: 0,
            rcv_nxt: 0,
            rcv_adv: 0,
            rcvq: VecDeque::new(),
            ooo: BTreeMap::new(),
            ooo_bytes: 0,
            fin_rcvd: false,
            rd_shut: false,
            snd_mss: DEFAULT_MSS,
            snd_scale: 0,
            // A buffer that may grow needs the scale of its largest size.
            rcv_scale: if cfg.wscale {
                scale_for(cfg.rcvbuf.max(cfg.rcv_auto.map_or(0, |a| a.max)))
            } else {
                0
            },
            ts_ok: false,
            ts_recent: 0,
            rfbuf_ts: 0,
            rfbuf_cnt: 0,
            srtt: None,
            rttvar: Duration::ZERO,
            rto: INITIAL_RTO,
            timed: None,
            retries: 0,
            cwnd: 0,
            ssthresh: u32::MAX,
            dupacks: 0,
            recover: iss,
            in_recovery: false,
            rexmt_one: false,
            limited: 0,
            t_rexmt: None,
            t_persist: None,
            t_delack: None,
            t_keep: None,
            t_2msl: None,
            keep_probes: 0,
            ack_now: false,
            unacked_segs: 0,
            force_probe: false,
            rexmt_bytes: 0,
            rexmt_timeouts: 0,
            hold_ack: false,
            fast_rexmits: 0,
            cfg,
        }
    }

    /// An active open: the SYN goes out with the next `output`.
    pub fn connect(cfg: Config, now: Duration) -> Tcb {
        let mut t = Tcb::new(cfg, State::SynSent);
        t.t_rexmt = Some(now);
        t
    }

    /// A passive open from a listener's SYN (`syn` and `now`): the
    /// SYN-ACK goes out with the next `output`.
    pub fn accept(cfg: Config, syn: &Repr, now: Duration) -> Tcb {
        let mut t = Tcb::new(cfg, State::SynReceived);
        t.take_syn_options(syn);
        t.irs = syn.seq;
        t.rcv_nxt = syn.seq.wrapping_add(1);
        t.snd_wnd = u32::from(syn.window); // never scaled in a SYN
        t.snd_wl1 = syn.seq;
        t.t_rexmt = Some(now);
        t
    }

    fn take_syn_options(&mut self, syn: &Repr) {
        self.snd_mss = syn
            .mss
            .unwrap_or(self.cfg.mss_default)
            .clamp(64, self.cfg.mss.max(64));
        match (syn.wscale, self.cfg.wscale) {
            (Some(s), true) => self.snd_scale = s.min(14),
            _ => {
                self.snd_scale = 0;
                self.rcv_scale = 0;
            }
        }
        if let (Some((val, _)), true) = (syn.timestamp, self.cfg.timestamps) {
            self.ts_ok = true;
            self.ts_recent = val;
        }
    }

    /// The payload a full segment carries (less the timestamp option).
    pub fn eff_mss(&self) -> u32 {
        u32::from(self.snd_mss) - if self.ts_ok { 12 } else { 0 }
    }

    fn initial_cwnd(&self) -> u32 {
        // RFC 3390.
        let m = self.eff_mss();
        (4 * m).min((2 * m).max(4380))
    }

    // ---- what the socket layer asks

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

    /// Whether `send` may queue data in this state.
    pub fn can_send(&self) -> bool {
        matches!(self.state, State::Established | State::CloseWait) && !self.fin_queued
    }

    /// The receive window now.
    fn rcv_wnd(&self) -> u32 {
        // Out-of-order data is not charged: the window stays put while a
        // hole is open, so that the sender sees duplicate ACKs (the data
        // is bounded by the window it arrived in).
        let free = self.cfg.rcvbuf.saturating_sub(self.rcvq.len()) as u32;
        // Silly window avoidance (RFC 9293 3.8.6.2.2): no tiny openings.
        if (free as usize) < self.cfg.rcvbuf / 4 && free < self.eff_mss() {
            0
        } else {
            free
        }
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

    /// The window last announced, as it stands now.
    fn announced(&self) -> u32 {
        if lt(self.rcv_adv, self.rcv_nxt) {
            0
        } else {
            self.rcv_adv.wrapping_sub(self.rcv_nxt)
        }
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

    fn enter_closed(&mut self, e: Option<Errno>) {
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

    // ---- timers

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

    fn arm_rexmt(&mut self, now: Duration) {
        self.t_rexmt = Some(now + self.rto);
    }

    fn update_rtt(&mut self, r: Duration) {
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

    // ---- input

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
    fn fin_seq(&self) -> u32 {
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

    fn dupack(&mut self) {
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

    fn congestion_on_ack(&mut self, acked: u32, ack: u32) {
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
    fn grow_rcvbuf(&mut self, seg: &Repr, len: usize) {
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
    fn grow_sndbuf(&mut self, usable_wnd: u32) {
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

    // ---- output

    fn segment(&mut self, seq: u32, f: u8, payload: Pkt, with_ack: bool) -> Out {
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
    super::seq::max(a, b)
}
