//! One TCP connection's state machine (RFC 9293), as plain data driven by
//! the caller's clock: segments in, segments out, timers as deadlines.
//! Options: MSS, window scaling and timestamps (RFC 7323); retransmission
//! timeouts (RFC 6298) with Karn's rule; slow start, congestion avoidance,
//! fast retransmit and NewReno recovery (RFC 5681, 6582); delayed ACKs;
//! Nagle; zero-window probes; keepalive; RFC 5961's challenge ACKs.
//!
//! The connection is [`Tcb`], here with its opening; the socket layer's
//! calls, the timers, segment input, congestion control and buffer
//! sizing, and segment output are its submodules.

mod congestion;
mod input;
mod output;
mod pmtu;
mod timers;
mod user_calls;

use super::seq::lt;
use crate::wire::tcp::Repr;
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

    /// The window last announced, as it stands now.
    fn announced(&self) -> u32 {
        if lt(self.rcv_adv, self.rcv_nxt) {
            0
        } else {
            self.rcv_adv.wrapping_sub(self.rcv_nxt)
        }
    }
}
