use crate::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;

/// Network answers earlier sessions found different from NetBSD's
/// kernel: the path MTU discovery nodes (`net.inet.ip.mtudisc`, a plain
/// int kept as written, and `mtudisctimeout`, which refuses a negative
/// time), and a route through the loopback gateway 127.0.0.1 as
/// `route get` shows it.
const NETFIX_STEPS: &[Step] = &[
    (
        "sysctl",
        &["net.inet.ip.mtudisc", "net.inet.ip.mtudisctimeout"],
    ),
    ("sysctl", &["-w", "net.inet.ip.mtudisc=0"]),
    ("sysctl", &["-w", "net.inet.ip.mtudisc=5"]),
    ("sysctl", &["net.inet.ip.mtudisc"]),
    ("sysctl", &["-w", "net.inet.ip.mtudisctimeout=-1"]),
    ("sysctl", &["-w", "net.inet.ip.mtudisctimeout=0"]),
    ("sysctl", &["-w", "net.inet.ip.mtudisctimeout=300"]),
    ("sysctl", &["net.inet.ip.mtudisctimeout"]),
    ("route", &["add", "-net", "10.9.0.0/24", "127.0.0.1"]),
    ("route", &["-n", "get", "10.9.0.5"]),
    ("route", &["delete", "-net", "10.9.0.0/24"]),
];

/// Steps of [`NETFIX_STEPS`] that do not behave as on NetBSD's kernel yet.
const NETFIX_NOT_YET: &[NotYet] = &[];

#[test]
fn netfix() {
    differential("netfix", &[], NETFIX_STEPS, NETFIX_NOT_YET);
}

/// What `route -n monitor` hears while an IPv4 address comes to an
/// interface that is up, a route through it is added and deleted, and
/// the address goes: the same messages, lengths, flags and sockaddrs on
/// both kernels (an address's announcement with its interface and
/// broadcast address, its local and prefix routes, netmasks as the
/// table keeps them, a deleted route no longer up).
const MONITORED: &[Step] = &[
    (
        "ifconfig",
        &[
            "shmif0",
            "inet",
            "10.4.0.1",
            "netmask",
            "255.255.0.0",
            "alias",
        ],
    ),
    ("route", &["add", "-net", "10.6.0.0/16", "10.4.0.9"]),
    ("route", &["delete", "-net", "10.6.0.0/16"]),
    ("ifconfig", &["shmif0", "inet", "10.4.0.1", "-alias"]),
];

/// Bring shmif0 up on `side`'s bus.
pub(crate) fn shmif0_up(side: &Side, peer: &Path) {
    let bus = side.dir.join("bus").to_string_lossy().into_owned();
    for args in [
        &["shmif0", "create"][..],
        &["shmif0", "linkstr", &bus],
        &["shmif0", "up"],
        &["-w", "10"],
    ] {
        let o = side.run(peer, "ifconfig", args);
        assert!(o.status.success(), "{} ifconfig {args:?}: {o:?}", side.name);
    }
}

/// The lines `route -n monitor` prints on `side` while `steps` run,
/// without the times of arrival, each normalized, then passed through
/// `mask`, and with process ids as `<pid>` (each kernel numbers its
/// processes its own way).
pub(crate) fn monitor_lines(
    side: &Side,
    peer: &Path,
    steps: &[Step],
    mask: impl Fn(String) -> String,
) -> Vec<String> {
    // NetBSD announces the link-local address again once its detection
    // is over; let that pass before listening.
    std::thread::sleep(Duration::from_secs(2));
    let mut mon = side
        .tool(peer, "route", &["-n", "monitor"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = mon.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    // A look-up's answer goes to every routing socket: once one arrives
    // the monitor listens.
    let start = Instant::now();
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{}: the monitor never listened",
            side.name
        );
        side.run(peer, "route", &["-n", "get", "127.0.0.1"]);
        if rx.recv_timeout(Duration::from_millis(300)).is_ok() {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    rx.try_iter().for_each(drop);
    for (tool, args) in steps {
        let o = side.run(peer, tool, args);
        assert!(o.status.success(), "{} {tool} {args:?}: {o:?}", side.name);
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(500));
    let _ = mon.kill();
    let _ = mon.wait();
    rx.try_iter()
        .filter(|l| !l.starts_with("got message of size"))
        .map(|l| {
            let l = mask(side.normalize(l.as_bytes()));
            match l.split_once(" pid ") {
                Some((head, rest)) => {
                    let tail = rest.split_once(',').map_or("", |(_, t)| t);
                    format!("{head} pid <pid>,{tail}")
                }
                None => l,
            }
        })
        .collect()
}

/// The route monitor's lines for [`MONITORED`], with shmif0 up.
fn monitored(side: &Side, peer: &Path) -> Vec<String> {
    shmif0_up(side, peer);
    monitor_lines(side, peer, MONITORED, |l| l)
}

#[test]
fn route_monitor_hears_addresses_and_routes_as_on_netbsds_kernel() {
    let Some(peer) = peer_or_skip("netfix route monitor") else {
        return;
    };
    let lib = peer.join("rump/lib").to_string_lossy().into_owned();
    let theirs = Side::start(
        "netbsd",
        &peer.join("rump/bin/rump_allserver"),
        &[("LD_LIBRARY_PATH", lib)],
        &[],
    );
    let ours = Side::start("ours", &bin("rump_allserver"), &[], &[]);
    let want = monitored(&theirs, &peer);
    let got = monitored(&ours, &peer);
    assert!(
        want.iter().any(|l| l.starts_with("RTM_NEWADDR"))
            && want.iter().any(|l| l.starts_with("RTM_DELETE")),
        "NetBSD's monitor heard too little: {want:#?}"
    );
    assert_eq!(got, want);
}
