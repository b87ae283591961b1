use crate::*;

/// IPv4 duplicate address detection (RFC 5227, NetBSD's `arp_dad_*`): an
/// address added while the interface is down takes none; one added while
/// it is up is tentative, then usable once `ifconfig -w` returns; down,
/// it is detached, and up again tentative; `net.inet.ip.dad_count=0`
/// turns detection off. Each side's shmif0 is on its own bus; the steps of
/// [`network_dad_shared_steps`] put shmif1 and shmif2 on buses the two
/// sides share with a defending kernel, NetBSD's and ours.
const NETWORK_DAD_STEPS: &[Step] = &[
    ("sysctl", &["net.inet.ip.dad_count"]),
    ("ifconfig", &["shmif0", "create"]),
    ("ifconfig", &["shmif0", "linkstr", "bus"]),
    (
        "ifconfig",
        &["shmif0", "inet", "10.0.0.1", "netmask", "255.255.255.0"],
    ),
    ("ifconfig", &["shmif0", "inet"]),
    (
        "ifconfig",
        &[
            "shmif0",
            "inet",
            "10.0.0.2",
            "netmask",
            "255.255.255.0",
            "alias",
        ],
    ),
    ("ifconfig", &["shmif0", "inet"]),
    ("ifconfig", &["-w", "10"]),
    ("ifconfig", &["shmif0", "inet"]),
    ("ifconfig", &["shmif0", "down"]),
    ("ifconfig", &["shmif0", "inet"]),
    ("ifconfig", &["-w", "10"]),
    ("ifconfig", &["shmif0", "up"]),
    ("ifconfig", &["shmif0", "inet"]),
    ("ifconfig", &["-w", "10"]),
    ("ifconfig", &["shmif0", "inet"]),
    ("sysctl", &["-w", "net.inet.ip.dad_count=0"]),
    ("ifconfig", &["shmif0", "inet", "10.0.0.3", "alias"]),
    ("ifconfig", &["shmif0", "inet"]),
    ("sysctl", &["-w", "net.inet.ip.dad_count=-1"]),
    ("sysctl", &["-w", "net.inet.ip.dad_count=3"]),
];

/// Steps of [`NETWORK_DAD_STEPS`] that do not behave as on NetBSD's
/// kernel yet.
const NETWORK_DAD_NOT_YET: &[NotYet] = &[];

/// The steps on buses shared with a defending kernel that has 10.0.0.9
/// (`bus_netbsd`, NetBSD's kernel) or 10.0.0.10 (`bus_ours`, ours): the
/// side's address becomes duplicated, and stays so through `-w`.
fn network_dad_shared_steps(bus_netbsd: &str, bus_ours: &str) -> Vec<Step> {
    let leak = |v: Vec<&str>| -> &'static [&'static str] {
        let v: Vec<&'static str> = v
            .into_iter()
            .map(|s| &*Box::leak(s.to_owned().into_boxed_str()))
            .collect();
        Box::leak(v.into_boxed_slice())
    };
    let mut steps = Vec::new();
    for (ifname, bus, addr) in [
        ("shmif1", bus_netbsd, "10.0.0.9"),
        ("shmif2", bus_ours, "10.0.0.10"),
    ] {
        steps.extend([
            ("ifconfig", leak(vec![ifname, "create"])),
            ("ifconfig", leak(vec![ifname, "linkstr", bus])),
            ("ifconfig", leak(vec![ifname, "up"])),
            (
                "ifconfig",
                leak(vec![ifname, "inet", addr, "netmask", "255.255.255.0"]),
            ),
            ("ifconfig", leak(vec![ifname, "inet"])),
            ("ifconfig", leak(vec!["-w", "10"])),
            ("ifconfig", leak(vec![ifname, "inet"])),
            ("ifconfig", leak(vec![ifname, "down"])),
            ("ifconfig", leak(vec![ifname, "inet"])),
        ]);
    }
    steps
}

#[test]
fn netbsd_dad_behaves_on_our_kernel_as_on_netbsds() {
    let Some(peer) = std::env::var_os("NETBSD_PEER").map(PathBuf::from) else {
        // Says that it was skipped.
        differential("network_dad", &[], NETWORK_DAD_STEPS, NETWORK_DAD_NOT_YET);
        return;
    };
    let lib = peer.join("rump/lib").to_string_lossy().into_owned();
    let defenders = [
        Side::start(
            "netbsd-defender",
            &peer.join("rump/bin/rump_allserver"),
            &[("LD_LIBRARY_PATH", lib)],
            &[],
        ),
        Side::start("ours-defender", &bin("rump_allserver"), &[], &[]),
    ];
    let mut buses = Vec::new();
    for (side, addr) in defenders.iter().zip(["10.0.0.9/24", "10.0.0.10/24"]) {
        let bus = side.dir.join("bus").to_string_lossy().into_owned();
        for args in [
            &["shmif0", "create"][..],
            &["shmif0", "linkstr", &bus],
            &["shmif0", "up"],
            &["shmif0", "inet", addr],
            &["-w", "10"],
        ] {
            let o = side.run(&peer, "ifconfig", args);
            assert!(o.status.success(), "{} ifconfig {args:?}: {o:?}", side.name);
        }
        buses.push(bus);
    }
    let mut steps = NETWORK_DAD_STEPS.to_vec();
    steps.extend(network_dad_shared_steps(&buses[0], &buses[1]));
    differential("network_dad", &[], &steps, NETWORK_DAD_NOT_YET);
}
