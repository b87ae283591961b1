//! The state machine against itself over a simulated link with a manual
//! clock: handshakes, transfers with loss and reordering, closes.

use super::conn::{Config, Out, State, Tcb};
use crate::wire::tcp::flags;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

/// Decides, by the number of the segment sent, whether the link loses it.
type DropFn = Box<dyn FnMut(u64, &Out) -> bool>;

/// Two ends, a link that may drop or delay segments, and a clock.
struct Net {
    now: Duration,
    // (deliver at, to b?, segment)
    flight: Vec<(Duration, bool, Out)>,
    sent: u64,
    drop: DropFn,
    delay: Box<dyn FnMut(u64) -> Duration>,
}

impl Net {
    fn new() -> Net {
        Net {
            now: Duration::from_secs(100),
            flight: Vec::new(),
            sent: 0,
            drop: Box::new(|_, _| false),
            delay: Box::new(|_| MS),
        }
    }

    fn emit(&mut self, to_b: bool, outs: Vec<Out>) {
        for o in outs {
            self.sent += 1;
            if (self.drop)(self.sent, &o) {
                continue;
            }
            let at = self.now + (self.delay)(self.sent);
            self.flight.push((at, to_b, o));
        }
    }

    /// Run until nothing is in flight and no timer is due before `until`.
    fn run(&mut self, a: &mut Tcb, b: &mut Tcb, until: Duration) {
        let oa = a.output(self.now);
        self.emit(true, oa);
        let ob = b.output(self.now);
        self.emit(false, ob);
        while self.now < until {
            let next_seg = self.flight.iter().map(|f| f.0).min();
            let next_timer = [a.next_deadline(), b.next_deadline()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = [next_seg, next_timer].into_iter().flatten().min() else {
                return;
            };
            if next > until {
                self.now = until;
                return;
            }
            self.now = self.now.max(next);
            // Deliver everything due now, in the order queued.
            let mut due = Vec::new();
            self.flight.retain(|f| {
                if f.0 <= self.now {
                    due.push((f.1, f.2.clone()));
                    false
                } else {
                    true
                }
            });
            for (to_b, o) in due {
                let t = if to_b { &mut *b } else { &mut *a };
                t.input(&o.repr, &o.payload, self.now);
            }
            a.on_timer(self.now);
            b.on_timer(self.now);
            let oa = a.output(self.now);
            self.emit(true, oa);
            let ob = b.output(self.now);
            self.emit(false, ob);
        }
    }
}

fn cfg(iss: u32) -> Config {
    Config {
        iss,
        msl: Duration::from_secs(1),
        ..Config::default()
    }
}

/// Connect `a` to a listener whose SYN handling makes `b`.
fn open(net: &mut Net, ca: Config, cb: Config) -> (Tcb, Tcb) {
    let mut a = Tcb::connect(ca, net.now);
    let syn = a.output(net.now);
    assert_eq!(syn.len(), 1);
    assert_eq!(syn[0].repr.flags, flags::SYN);
    assert_eq!(syn[0].repr.mss, Some(1460));
    let mut b = Tcb::accept(cb, &syn[0].repr, net.now);
    net.run(&mut a, &mut b, net.now + Duration::from_secs(1));
    assert_eq!((a.state, b.state), (State::Established, State::Established));
    (a, b)
}

/// Move `data` from `a` to `b` and return what `b` read.
fn transfer(net: &mut Net, a: &mut Tcb, b: &mut Tcb, data: &[u8]) -> Vec<u8> {
    let mut sent = 0;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    let deadline = net.now + Duration::from_secs(600);
    while got.len() < data.len() {
        assert!(
            net.now < deadline,
            "stuck at {} of {}",
            got.len(),
            data.len()
        );
        if sent < data.len() {
            sent += a.send(&data[sent..]).unwrap_or(0);
        }
        let until = net.now + 5 * MS;
        net.run(a, b, until);
        while let Ok(n) = b.recv(&mut buf, false) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
    }
    got
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn handshake_transfer_and_orderly_close() {
    let mut net = Net::new();
    let (mut a, mut b) = open(&mut net, cfg(1000), cfg(u32::MAX - 100));
    let data = pattern(300_000);
    assert_eq!(transfer(&mut net, &mut a, &mut b, &data), data);
    let back = pattern(5000);
    assert_eq!(transfer(&mut net, &mut b, &mut a, &back), back);
    a.close_send();
    assert_eq!(a.state, State::FinWait1);
    net.run(&mut a, &mut b, net.now + Duration::from_millis(50));
    assert_eq!((a.state, b.state), (State::FinWait2, State::CloseWait));
    let mut buf = [0u8; 8];
    assert_eq!(b.recv(&mut buf, false), Ok(0), "end of stream");
    b.close_send();
    net.run(&mut a, &mut b, net.now + Duration::from_millis(50));
    assert_eq!((a.state, b.state), (State::TimeWait, State::Closed));
    net.run(&mut a, &mut b, net.now + Duration::from_secs(3));
    assert_eq!(a.state, State::Closed);
    assert!(a.error.is_none() && b.error.is_none());
}

#[test]
fn loss_and_reordering_still_deliver_everything() {
    let mut net = Net::new();
    let (mut a, mut b) = open(&mut net, cfg(7), cfg(9));
    // Drop one data segment in 20 and delay every seventh.
    net.drop = Box::new(|n, o| n % 20 == 0 && !o.payload.is_empty());
    net.delay = Box::new(|n| if n % 7 == 0 { 3 * MS } else { MS });
    let data = pattern(2_000_000);
    let t = std::time::Instant::now();
    assert_eq!(transfer(&mut net, &mut a, &mut b, &data), data);
    eprintln!(
        "loss test: {:?} real, {:?} simulated, {} rexmt bytes, {} timeouts, {} fast",
        t.elapsed(),
        net.now,
        a.rexmt_bytes,
        a.rexmt_timeouts,
        a.fast_rexmits
    );
    assert!(a.rexmt_bytes > 0, "something was sent again");
}

#[test]
fn a_lost_syn_and_lost_fins_are_sent_again() {
    let mut net = Net::new();
    let mut first = true;
    net.drop = Box::new(move |_, o| {
        let fin = o.repr.flags & flags::FIN != 0;
        let drop = fin && first;
        if fin {
            first = false;
        }
        drop
    });
    let (mut a, mut b) = open(&mut net, cfg(1), cfg(2));
    a.close_send();
    b.close_send();
    net.run(&mut a, &mut b, net.now + Duration::from_secs(10));
    assert_eq!((a.state, b.state), (State::Closed, State::Closed));
}

#[test]
fn simultaneous_open_and_close() {
    let mut net = Net::new();
    let mut a = Tcb::connect(cfg(100), net.now);
    let mut b = Tcb::connect(cfg(200), net.now);
    net.run(&mut a, &mut b, net.now + Duration::from_secs(2));
    assert_eq!((a.state, b.state), (State::Established, State::Established));
    let data = pattern(10_000);
    assert_eq!(transfer(&mut net, &mut a, &mut b, &data), data);
    a.close_send();
    b.close_send();
    net.run(&mut a, &mut b, net.now + Duration::from_millis(20));
    assert!(
        matches!(a.state, State::Closing | State::TimeWait),
        "{:?}",
        a.state
    );
    net.run(&mut a, &mut b, net.now + Duration::from_secs(5));
    assert_eq!((a.state, b.state), (State::Closed, State::Closed));
}

#[test]
fn a_zero_window_is_probed_until_it_opens() {
    let mut net = Net::new();
    let small = Config {
        rcvbuf: 8192,
        ..cfg(5)
    };
    let (mut a, mut b) = open(&mut net, cfg(3), small);
    let data = pattern(100_000);
    let mut sent = 0;
    while sent < data.len() {
        match a.send(&data[sent..]) {
            Ok(n) => sent += n,
            Err(_) => break,
        }
    }
    // Nobody reads: the window closes, and stays closed for a while.
    net.run(&mut a, &mut b, net.now + Duration::from_secs(5));
    // Full but for less than a segment (silly window avoidance).
    assert!(
        (8192 - 1448..=8192).contains(&b.readable()),
        "{}",
        b.readable()
    );
    assert_eq!(a.state, State::Established);
    let mut got = Vec::new();
    let mut buf = vec![0u8; 4096];
    while got.len() < sent {
        if let Ok(n) = b.recv(&mut buf, false) {
            got.extend_from_slice(&buf[..n]);
        }
        if sent < data.len() {
            sent += a.send(&data[sent..]).unwrap_or(0);
        }
        net.run(&mut a, &mut b, net.now + Duration::from_millis(300));
    }
    assert_eq!(&got[..], &data[..got.len()]);
}

#[test]
fn reset_by_the_peer_and_refused_connections() {
    let mut net = Net::new();
    let (mut a, mut b) = open(&mut net, cfg(1), cfg(2));
    let rst = b.abort().expect("a reset");
    assert_eq!(rst.repr.flags & flags::RST, flags::RST);
    a.input(&rst.repr, &[], net.now);
    assert_eq!(a.state, State::Closed);
    assert_eq!(a.error, Some(rump::Errno::ECONNRESET));
    // A SYN answered by RST|ACK: refused.
    let mut c = Tcb::connect(cfg(50), net.now);
    let syn = c.output(net.now).remove(0);
    let refusal = crate::wire::tcp::Repr {
        seq: 0,
        ack: Some(syn.repr.seq.wrapping_add(1)),
        flags: flags::RST,
        ..Default::default()
    };
    c.input(&refusal, &[], net.now);
    assert_eq!(c.error, Some(rump::Errno::ECONNREFUSED));
}

#[test]
fn a_peer_that_never_answers_times_out() {
    let mut net = Net::new();
    net.drop = Box::new(|_, _| true);
    let mut a = Tcb::connect(cfg(1), net.now);
    let mut b = Tcb::connect(cfg(2), net.now); // never reached
    b.abort();
    net.run(&mut a, &mut b, net.now + Duration::from_secs(600));
    assert_eq!(a.state, State::Closed);
    assert_eq!(a.error, Some(rump::Errno::ETIMEDOUT));
}

#[test]
fn buffers_grow_while_the_peer_keeps_them_full() {
    use super::conn::AutoSize;
    let auto = |iss| Config {
        rcv_auto: Some(AutoSize {
            inc: 16 << 10,
            max: 256 << 10,
        }),
        snd_auto: Some(AutoSize {
            inc: 8 << 10,
            max: 256 << 10,
        }),
        ..cfg(iss)
    };
    let mut net = Net::new();
    let (mut a, mut b) = open(&mut net, auto(1), auto(2));
    let data = pattern(8 << 20);
    assert_eq!(transfer(&mut net, &mut a, &mut b, &data), data);
    assert_eq!(b.cfg.rcvbuf, 256 << 10, "receive buffer grown to its limit");
    assert_eq!(a.cfg.sndbuf, 256 << 10, "send buffer grown to its limit");
    // The direction that carried no data kept its sizes.
    assert_eq!((a.cfg.rcvbuf, b.cfg.sndbuf), (1 << 16, 1 << 16));

    // Sizes set by the user (no autosizing) stay.
    let mut net = Net::new();
    let (mut a, mut b) = open(&mut net, cfg(1), cfg(2));
    assert_eq!(transfer(&mut net, &mut a, &mut b, &data), data);
    assert_eq!((a.cfg.sndbuf, b.cfg.rcvbuf), (1 << 16, 1 << 16));
}

#[test]
fn a_syn_without_mss_gets_the_configured_default() {
    // net.inet.tcp.mssdflt: the peer's MSS when its SYN names none.
    let syn = crate::wire::tcp::Repr {
        src_port: 1,
        dst_port: 2,
        seq: 7,
        flags: flags::SYN,
        window: 65535,
        ..Default::default()
    };
    let cfg = |mss_default| Config {
        mss_default,
        timestamps: false,
        ..Config::default()
    };
    let now = Duration::from_secs(1);
    assert_eq!(Tcb::accept(cfg(536), &syn, now).eff_mss(), 536);
    assert_eq!(Tcb::accept(cfg(1000), &syn, now).eff_mss(), 1000);
    // One the SYN names wins, up to our own.
    let named = crate::wire::tcp::Repr {
        mss: Some(1200),
        ..syn
    };
    assert_eq!(Tcb::accept(cfg(1000), &named, now).eff_mss(), 1200);
}

#[test]
fn a_lower_path_mtu_resends_in_smaller_segments() {
    // tcp_mtudisc: what is unacknowledged goes again in segments of the
    // new size, and later ones are no larger.
    let mut net = Net::new();
    let (mut a, mut b) = open(&mut net, cfg(1000), cfg(5000));
    let data = pattern(40_000);
    let taken = a.send(&data).unwrap();
    let first = a.output(net.now);
    let big = first.iter().map(|o| o.payload.len()).max().unwrap();
    assert_eq!(big as u32, a.eff_mss());
    let una = first[0].repr.seq;
    assert!(a.path_mtu_lowered(1220));
    assert!(!a.path_mtu_lowered(1400), "never up");
    let again = a.output(net.now);
    assert_eq!(again[0].repr.seq, una, "from the first unacknowledged byte");
    assert!(again.iter().all(|o| o.payload.len() <= 1220));
    // The first flight was lost on the narrow way; all that follows
    // fits it.
    net.emit(true, again);
    net.drop = Box::new(|_, o| o.payload.len() > 1220);
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    let deadline = net.now + Duration::from_secs(60);
    while got.len() < taken && net.now < deadline {
        let until = net.now + 5 * MS;
        net.run(&mut a, &mut b, until);
        while let Ok(n) = b.recv(&mut buf, false) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
    }
    assert_eq!(got, data[..taken]);
}
