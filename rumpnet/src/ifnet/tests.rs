//! Interfaces and their queues, against a fake link ([`Recorder`]) that
//! keeps every frame the stack puts on it: output and input counters
//! (`struct if_data`, as NetBSD's `if.c` and `if_ethersubr.c` count them),
//! the input queue's limit, order, link-layer filtering and dispatch, and
//! how bursts put off waking the link.

use super::*;
use crate::net::{IfConfig, LinkInfo};
use rump::sync::lock;
use rump::{Kernel, KernelBuilder};
use std::sync::atomic::AtomicBool;

/// An Ethernet type of IEEE's local experimental range, which no protocol
/// of the kernel claims.
const ETHERTYPE_TEST: u16 = 0x88b5;
/// Another one, for a second input routine.
const ETHERTYPE_OTHER: u16 = 0x88b6;
/// `IFQ_MAXLEN` of the stack's input queue.
const INPUT_QUEUE_MAX: usize = 4096;

const OURS: Address = Address([0xb2, 0xa0, 0, 0, 0, 1]);
const THEIRS: Address = Address([0xb2, 0xa0, 0, 0, 0, 2]);
const ELSEWHERE: Address = Address([0xb2, 0xa0, 0, 0, 0, 3]);
const BROADCAST: Address = Address([0xff; 6]);
const MULTICAST: Address = Address([0x01, 0x00, 0x5e, 0, 0, 1]);

/// What the fake link saw, shared with the test.
#[derive(Default)]
struct Seen {
    frames: Mutex<Vec<Vec<u8>>>,
    flushes: AtomicUsize,
    inits: AtomicUsize,
    stops: AtomicUsize,
    /// Refuse frames, as a link whose queue is full does.
    drop_all: AtomicBool,
    handle: Mutex<Option<IfHandle>>,
}

/// A link that records what is sent on it.
struct Recorder(Arc<Seen>);

impl IfDriver for Recorder {
    fn link_type(&self) -> LinkType {
        LinkType::Ethernet
    }

    fn transmit(&self, frame: Pkt) -> bool {
        if self.0.drop_all.load(Ordering::SeqCst) {
            return false;
        }
        lock(&self.0.frames).push(frame.data().to_vec());
        true
    }

    fn flush(&self) {
        self.0.flushes.fetch_add(1, Ordering::SeqCst);
    }

    fn attached(&self, handle: IfHandle) {
        *lock(&self.0.handle) = Some(handle);
    }

    fn init(&self) -> KResult<()> {
        self.0.inits.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn stop(&self) {
        self.0.stops.fetch_add(1, Ordering::SeqCst);
    }
}

/// A kernel with the NET faction and a fake Ethernet interface `rec0`,
/// up if asked.
fn setup(up: bool) -> (Arc<Kernel>, Arc<Net>, Arc<Ifnet>, Arc<Seen>) {
    let k = KernelBuilder::new()
        .component(&crate::COMPONENT)
        .boot()
        .expect("boot");
    let net = Net::of(&k);
    let seen = Arc::new(Seen::default());
    let ifp = net
        .attach(
            "rec0",
            IfConfig {
                driver: Box::new(Recorder(Arc::clone(&seen))),
                hwaddr: OURS,
                flags: IFF_BROADCAST | IFF_SIMPLEX | IFF_MULTICAST,
                mtu: 1500,
            },
        )
        .unwrap();
    if up {
        net.set_flags(&ifp, ifp.flags() | IFF_UP).unwrap();
    }
    (k, net, ifp, seen)
}

fn count(c: &AtomicU64) -> u64 {
    c.load(Ordering::SeqCst)
}

/// An Ethernet frame from `src` to `dst` of `typ` carrying `payload`.
fn frame(dst: Address, src: Address, typ: u16, payload: &[u8]) -> Pkt {
    let mut f = Pkt::with_payload(payload);
    let repr = ethernet::Repr {
        src,
        dst,
        ethertype: typ,
    };
    repr.emit(&mut ethernet::Frame::new_checked(f.prepend(ethernet::HEADER_LEN)).unwrap());
    Pkt::from_vec(f.data().to_vec())
}

/// What an input routine was given: each payload and how it arrived.
type Delivered = Arc<Mutex<Vec<(Vec<u8>, LinkInfo)>>>;

/// Register an input routine for `typ` that keeps what it is given.
fn listen(net: &Net, typ: u16) -> Delivered {
    let got = Delivered::default();
    let g = Arc::clone(&got);
    net.add_input(
        typ,
        Arc::new(move |_ifp, pkt, info| lock(&g).push((pkt.data().to_vec(), info))),
    );
    got
}

// ---- output

#[test]
fn output_counts_packets_bytes_and_link_multicasts_and_keeps_order() {
    let (_k, _net, ifp, seen) = setup(true);
    for (i, dst) in [THEIRS, BROADCAST, MULTICAST].into_iter().enumerate() {
        ifp.ether_output(Pkt::with_payload(&[i as u8; 10]), dst, ETHERTYPE_TEST)
            .unwrap();
    }
    let frames = lock(&seen.frames).clone();
    assert_eq!(frames.len(), 3);
    for (i, (f, dst)) in frames
        .iter()
        .zip([THEIRS, BROADCAST, MULTICAST])
        .enumerate()
    {
        let f = ethernet::Frame::new_checked(f.as_slice()).unwrap();
        assert_eq!(f.dst(), dst);
        assert_eq!(f.src(), OURS, "our address as the source");
        assert_eq!(f.ethertype(), ETHERTYPE_TEST);
        assert_eq!(f.payload(), &[i as u8; 10]);
    }
    assert_eq!(count(&ifp.stats.opackets), 3);
    assert_eq!(count(&ifp.stats.obytes), 3 * 24);
    assert_eq!(count(&ifp.stats.omcasts), 2, "broadcast and multicast");
    assert_eq!(count(&ifp.stats.oerrors), 0);
}

#[test]
fn a_down_interface_refuses_output_with_enetdown_and_counts_an_error() {
    let (_k, net, ifp, seen) = setup(false);
    let send = || ifp.ether_output(Pkt::with_payload(b"x"), THEIRS, ETHERTYPE_TEST);
    assert_eq!(send(), Err(Errno::ENETDOWN));
    assert_eq!(count(&ifp.stats.oerrors), 1);
    net.set_flags(&ifp, ifp.flags() | IFF_UP).unwrap();
    assert_eq!(send(), Ok(()));
    net.set_flags(&ifp, ifp.flags() & !IFF_UP).unwrap();
    assert_eq!(send(), Err(Errno::ENETDOWN));
    assert_eq!(lock(&seen.frames).len(), 1);
    assert_eq!(
        (count(&ifp.stats.opackets), count(&ifp.stats.oerrors)),
        (1, 2)
    );
}

#[test]
fn a_frame_the_link_refuses_is_enobufs_and_an_output_error() {
    let (_k, _net, ifp, seen) = setup(true);
    seen.drop_all.store(true, Ordering::SeqCst);
    assert_eq!(
        ifp.ether_output(Pkt::with_payload(b"x"), THEIRS, ETHERTYPE_TEST),
        Err(Errno::ENOBUFS)
    );
    assert_eq!(count(&ifp.stats.oerrors), 1);
    assert_eq!(count(&ifp.stats.opackets), 0);
    assert_eq!(count(&ifp.stats.obytes), 0);
}

#[test]
fn outside_a_burst_every_frame_wakes_the_link_and_inside_every_eighth() {
    let (_k, net, ifp, seen) = setup(true);
    let send = || {
        ifp.ether_output(Pkt::with_payload(b"x"), THEIRS, ETHERTYPE_TEST)
            .unwrap()
    };
    send();
    send();
    assert_eq!(seen.flushes.load(Ordering::SeqCst), 2);
    {
        let _burst = net.burst();
        for _ in 0..10 {
            send();
        }
        assert_eq!(seen.flushes.load(Ordering::SeqCst), 3, "after the 8th");
    }
    assert_eq!(
        seen.flushes.load(Ordering::SeqCst),
        4,
        "the rest at the end"
    );
    assert_eq!(lock(&seen.frames).len(), 12);
}

#[test]
fn bringing_an_interface_up_starts_its_driver_and_down_stops_it() {
    let (_k, net, ifp, seen) = setup(false);
    assert!(!ifp.is_usable());
    // IFF_RUNNING is the kernel's to set: asking for it does nothing.
    net.set_flags(&ifp, ifp.flags() | IFF_RUNNING).unwrap();
    assert_eq!(ifp.flags() & IFF_RUNNING, 0);
    net.set_flags(&ifp, ifp.flags() | IFF_UP).unwrap();
    assert!(ifp.is_usable());
    assert_eq!(ifp.link_state(), LINK_STATE_UP);
    net.set_flags(&ifp, ifp.flags() | IFF_UP).unwrap();
    assert_eq!(seen.inits.load(Ordering::SeqCst), 1, "once");
    net.set_flags(&ifp, ifp.flags() & !IFF_UP).unwrap();
    assert_eq!(ifp.flags() & (IFF_UP | IFF_RUNNING), 0);
    assert_eq!(seen.stops.load(Ordering::SeqCst), 1);
}

// ---- input

#[test]
fn input_reaches_the_routine_of_its_ethertype_without_the_link_header() {
    let (_k, net, ifp, seen) = setup(true);
    let got = listen(&net, ETHERTYPE_TEST);
    let other = listen(&net, ETHERTYPE_OTHER);
    let h = lock(&seen.handle).clone().unwrap();
    assert!(h.input(frame(OURS, THEIRS, ETHERTYPE_TEST, b"one")));
    assert!(h.input(frame(OURS, THEIRS, ETHERTYPE_OTHER, b"two")));
    let got = lock(&got);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, b"one");
    assert_eq!(
        got[0].1,
        LinkInfo {
            broadcast: false,
            multicast: false,
            src: THEIRS
        }
    );
    assert_eq!(lock(&other)[0].0, b"two");
    assert_eq!(count(&ifp.stats.ipackets), 2);
    assert_eq!(count(&ifp.stats.ibytes), 2 * 17);
}

#[test]
fn input_of_a_protocol_nobody_handles_is_counted_as_noproto() {
    let (_k, _net, ifp, seen) = setup(true);
    let h = lock(&seen.handle).clone().unwrap();
    h.input(frame(OURS, THEIRS, ETHERTYPE_TEST, b"x"));
    assert_eq!(count(&ifp.stats.noproto), 1);
    assert_eq!(count(&ifp.stats.ipackets), 1);
}

#[test]
fn frames_for_other_hosts_are_ignored_unless_promiscuous() {
    let (_k, net, ifp, seen) = setup(true);
    let got = listen(&net, ETHERTYPE_TEST);
    let h = lock(&seen.handle).clone().unwrap();
    h.input(frame(ELSEWHERE, THEIRS, ETHERTYPE_TEST, b"not ours"));
    // Our own frame heard back from a shared bus.
    h.input(frame(BROADCAST, OURS, ETHERTYPE_TEST, b"echo"));
    assert!(lock(&got).is_empty());
    // IFF_PROMISC is among IFF_CANTCHANGE: SIOCSIFFLAGS cannot set it,
    // only the kernel's ifpromisc (for bpf) does.
    net.set_flags(&ifp, ifp.flags() | IFF_PROMISC).unwrap();
    assert_eq!(ifp.flags() & IFF_PROMISC, 0);
    ifp.store_flags(ifp.flags() | IFF_PROMISC);
    h.input(frame(ELSEWHERE, THEIRS, ETHERTYPE_TEST, b"overheard"));
    assert_eq!(lock(&got)[0].0, b"overheard");
}

#[test]
fn broadcast_and_multicast_input_is_marked_and_counted() {
    let (_k, net, ifp, seen) = setup(true);
    let got = listen(&net, ETHERTYPE_TEST);
    let h = lock(&seen.handle).clone().unwrap();
    h.input(frame(BROADCAST, THEIRS, ETHERTYPE_TEST, b"b"));
    h.input(frame(MULTICAST, THEIRS, ETHERTYPE_TEST, b"m"));
    let got = lock(&got);
    assert!(got[0].1.broadcast && !got[0].1.multicast);
    assert!(got[1].1.multicast && !got[1].1.broadcast);
    assert_eq!(count(&ifp.stats.imcasts), 2);
}

#[test]
fn a_frame_shorter_than_its_header_is_an_input_error() {
    let (_k, _net, ifp, seen) = setup(true);
    let h = lock(&seen.handle).clone().unwrap();
    h.input(Pkt::from_vec(vec![0xff; ethernet::HEADER_LEN - 1]));
    assert_eq!(count(&ifp.stats.ierrors), 1);
    assert_eq!(count(&ifp.stats.noproto), 0);
}

#[test]
fn input_on_a_down_interface_is_dropped_and_counted() {
    let (_k, net, ifp, seen) = setup(false);
    let got = listen(&net, ETHERTYPE_TEST);
    let h = lock(&seen.handle).clone().unwrap();
    h.input(frame(OURS, THEIRS, ETHERTYPE_TEST, b"x"));
    assert!(lock(&got).is_empty());
    assert_eq!(count(&ifp.stats.iqdrops), 1);
}

#[test]
fn the_input_queue_holds_ifq_maxlen_frames_in_order_and_drops_the_rest() {
    let (_k, net, ifp, seen) = setup(true);
    let got = listen(&net, ETHERTYPE_TEST);
    let h = lock(&seen.handle).clone().unwrap();
    let extra = 5;
    for i in 0..INPUT_QUEUE_MAX + extra {
        let n = u32::try_from(i).unwrap().to_be_bytes();
        assert!(h.enqueue(frame(OURS, THEIRS, ETHERTYPE_TEST, &n)));
    }
    assert!(lock(&got).is_empty(), "queued, not processed");
    assert_eq!(count(&ifp.stats.iqdrops), extra as u64);
    net.drain();
    let got = lock(&got);
    assert_eq!(got.len(), INPUT_QUEUE_MAX);
    for (i, (p, _)) in got.iter().enumerate() {
        assert_eq!(p.as_slice(), &u32::try_from(i).unwrap().to_be_bytes());
    }
    assert_eq!(count(&ifp.stats.ipackets), INPUT_QUEUE_MAX as u64);
}

#[test]
fn destroying_an_interface_drops_its_queued_input() {
    let (k, net, _ifp, _seen) = setup(true);
    let lo1 = net.clone_create(&k, "lo1").unwrap();
    net.set_flags(&lo1, lo1.flags() | IFF_UP).unwrap();
    let got = listen(&net, ETHERTYPE_TEST);
    let mut p = Pkt::with_payload(b"x");
    p.proto = ETHERTYPE_TEST;
    net.enqueue(&lo1, p.clone());
    net.clone_destroy("lo1").unwrap();
    net.drain();
    assert!(lock(&got).is_empty());
    assert!(net.ifunit("lo1").is_none());
    // A loopback interface hands its output back as input.
    let lo0 = net.ifunit("lo0").unwrap();
    net.set_flags(&lo0, lo0.flags() | IFF_UP).unwrap();
    lo0.transmit(p).unwrap();
    net.drain();
    assert_eq!(lock(&got)[0].0, b"x");
}

// ---- the interface table and counters

#[test]
fn interfaces_take_the_lowest_free_index_and_unique_names() {
    let (k, net, ifp, _seen) = setup(false);
    assert_eq!(ifp.index, 2, "after lo0");
    let cfg = || IfConfig {
        driver: Box::new(Recorder(Arc::default())),
        hwaddr: THEIRS,
        flags: 0,
        mtu: 1500,
    };
    assert_eq!(net.attach("rec0", cfg()).err(), Some(Errno::EEXIST));
    assert_eq!(net.attach("", cfg()).err(), Some(Errno::EINVAL));
    let long = "x".repeat(IFNAMSIZ);
    assert_eq!(net.attach(&long, cfg()).err(), Some(Errno::EINVAL));
    let lo1 = net.clone_create(&k, "lo1").unwrap();
    assert_eq!(lo1.index, 3);
    net.clone_destroy("lo1").unwrap();
    assert_eq!(net.clone_create(&k, "lo7").unwrap().index, 3, "reused");
    assert_eq!(net.clone_create(&k, "lo07").err(), Some(Errno::EINVAL));
    assert_eq!(net.clone_destroy("rec0"), Err(Errno::EINVAL), "not cloned");
    assert_eq!(net.ifindex(2).unwrap().name, "rec0");
}

#[test]
fn zeroing_the_counters_clears_every_one() {
    let (_k, _net, ifp, seen) = setup(true);
    ifp.ether_output(Pkt::with_payload(b"x"), BROADCAST, ETHERTYPE_TEST)
        .unwrap();
    let h = lock(&seen.handle).clone().unwrap();
    h.input(Pkt::from_vec(vec![0; 3]));
    h.input(frame(BROADCAST, THEIRS, ETHERTYPE_TEST, b"x"));
    assert!(count(&ifp.stats.opackets) > 0 && count(&ifp.stats.ierrors) > 0);
    ifp.zero_stats();
    let s = &ifp.stats;
    for c in [
        &s.ipackets,
        &s.ierrors,
        &s.opackets,
        &s.oerrors,
        &s.ibytes,
        &s.obytes,
        &s.imcasts,
        &s.omcasts,
        &s.iqdrops,
        &s.noproto,
    ] {
        assert_eq!(count(c), 0);
    }
}

#[test]
fn interface_names_end_at_their_nul() {
    let mut b = [0u8; IFNAMSIZ];
    b[..6].copy_from_slice(b"shmif0");
    assert_eq!(ifname(&b), Ok("shmif0"));
    assert_eq!(ifname(&[b'x'; IFNAMSIZ]), Err(Errno::EINVAL), "no NUL");
    assert_eq!(ifname(&[0xff, 0]), Err(Errno::EINVAL), "not UTF-8");
}
