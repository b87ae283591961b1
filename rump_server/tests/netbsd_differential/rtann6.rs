use crate::*;

/// What `route -n monitor` hears while an IPv6 address comes to an
/// interface that is up and goes again, and while interfaces are created
/// and destroyed: the address's announcement with its interface's link
/// address, its local and prefix routes (netmasks as the radix table
/// keeps them), their removal in NetBSD's order, and `RTM_IFANNOUNCE`
/// arrival and departure for every interface.
const ANNOUNCED: &[Step] = &[
    (
        "ifconfig",
        &["shmif0", "inet6", "2001:db8::1", "prefixlen", "64", "alias"],
    ),
    ("ifconfig", &["shmif0", "inet6", "2001:db8::1", "-alias"]),
    ("ifconfig", &["shmif1", "create"]),
    ("ifconfig", &["shmif1", "destroy"]),
    ("ifconfig", &["lo1", "create"]),
    ("ifconfig", &["lo1", "destroy"]),
];

/// The lines `route -n monitor` prints on `side` for [`ANNOUNCED`], with
/// shmif0 up, without the times of arrival, with process ids as `<pid>`
/// and shmif0's random link address as `<lladdr>`.
fn announced(side: &Side, peer: &Path) -> Vec<String> {
    crate::netfix::shmif0_up(side, peer);
    let lladdr = link_address(side, peer);
    let eui = eui64(&lladdr);
    crate::netfix::monitor_lines(side, peer, ANNOUNCED, |l| {
        l.replace(&lladdr, "<lladdr>").replace(&eui, "<eui64>")
    })
}

/// shmif0's link address as ifconfig prints it (`address: xx:...`).
fn link_address(side: &Side, peer: &Path) -> String {
    let o = side.run(peer, "ifconfig", &["shmif0"]);
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .find_map(|l| l.trim().strip_prefix("address: ").map(str::to_owned))
        .unwrap_or_else(|| panic!("{}: no link address in {o:?}", side.name))
}

/// The interface identifier an IPv6 link-local address takes from the
/// link address `mac` (RFC 4291 appendix A), as route(8) prints it:
/// `b0a0:a7ff:fe03:1c2a` for `b2:a0:a7:03:1c:2a`.
fn eui64(mac: &str) -> String {
    let b: Vec<u8> = mac
        .split(':')
        .filter_map(|h| u8::from_str_radix(h, 16).ok())
        .collect();
    assert_eq!(b.len(), 6, "link address {mac}");
    let words = [
        u16::from_be_bytes([b[0] ^ 2, b[1]]),
        u16::from_be_bytes([b[2], 0xff]),
        u16::from_be_bytes([0xfe, b[3]]),
        u16::from_be_bytes([b[4], b[5]]),
    ];
    words.map(|w| format!("{w:x}")).join(":")
}

#[test]
fn route_monitor_hears_inet6_addresses_and_interfaces_as_on_netbsds_kernel() {
    let Some(peer) = peer_or_skip("rtann6 route monitor") else {
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
    let want = announced(&theirs, &peer);
    let got = announced(&ours, &peer);
    assert!(
        want.iter().any(|l| l.starts_with("RTM_NEWADDR"))
            && want.iter().any(|l| l.contains("what: departure")),
        "NetBSD's monitor heard too little: {want:#?}"
    );
    assert_eq!(got, want);
}
