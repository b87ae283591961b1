//! Servers on one shmif bus: pings among eight, and ifconfig's answers.

use crate::*;
use std::process::Command;

/// NetBSD's crossping (tests/net/if_shmif): eight kernels on one bus,
/// every one pings every other once.
#[test]
fn crossping_eight_servers_on_one_bus() {
    let dir = tempdir("crossping");
    let servers = bus_of_servers(&dir, 8, "bus");
    let mut pings = 0;
    for (i, url) in servers.urls.iter().enumerate() {
        for j in 1..=8 {
            if j == i + 1 {
                continue;
            }
            let o = tool(&dir, url, "rump.ping", &["-c", "1", &format!("1.1.1.{j}")]);
            let out = ok(&o, &format!("ping from 1.1.1.{} to 1.1.1.{j}", i + 1));
            assert!(
                out.contains(&format!("bytes from 1.1.1.{j}: icmp_seq=0 ttl=255")),
                "{out}"
            );
            assert!(out.contains("1 packets transmitted, 1 packets received, 0.0% packet loss"));
            pings += 1;
        }
    }
    assert_eq!(pings, 56);

    // The bus as pcap, read by tcpdump: the 56 requests and their replies
    // and the ARP exchanges that preceded them.
    let pcap = dir.join("bus.pcap");
    let o = Command::new(bin("shmif_dumpbus"))
        .current_dir(&dir)
        .args(["-p", pcap.to_str().unwrap(), "bus"])
        .output()
        .unwrap();
    let text = ok(&o, "shmif_dumpbus");
    assert!(
        text.starts_with("bus version 3, lock: 0, generation: 0"),
        "{text}"
    );
    let o = Command::new("tcpdump")
        .args(["-n", "-r", pcap.to_str().unwrap()])
        .output()
        .unwrap();
    let dump = ok(&o, "tcpdump");
    let requests = dump.matches("ICMP echo request").count();
    let replies = dump.matches("ICMP echo reply").count();
    assert_eq!((requests, replies), (56, 56), "{dump}");
    assert!(
        dump.contains("ARP, Request who-has 1.1.1.2 tell 1.1.1.1"),
        "{dump}"
    );
    assert!(dump.contains("ARP, Reply 1.1.1.2 is-at b2:a0:"), "{dump}");

    drop(servers);
    for i in 1..=8 {
        let sock = dir.join(format!("sock{i}"));
        eventually("the socket to go", || !sock.exists());
    }
}

/// rump.ifconfig's view and its errors, as NetBSD's ifconfig reports them.
#[test]
fn ifconfig_shows_and_refuses() {
    let dir = tempdir("ifconfig");
    let servers = bus_of_servers(&dir, 1, "bus");
    let url = &servers.urls[0];
    let out = ok(&tool(&dir, url, "rump.ifconfig", &["-a"]), "-a");
    assert!(out.starts_with("lo0: flags=0x8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 33624\n\tinet 127.0.0.1 netmask 0xff000000\n"), "{out}");
    assert!(out.contains("shmif0: flags=0x8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n\taddress: b2:a0:"), "{out}");
    assert!(
        out.contains("\tlinkstr: bus\n\tinet 1.1.1.1 netmask 0xff000000 broadcast 1.255.255.255\n"),
        "{out}"
    );
    assert_eq!(
        ok(&tool(&dir, url, "rump.ifconfig", &["-l"]), "-l"),
        "lo0 shmif0\n"
    );
    assert_eq!(
        ok(&tool(&dir, url, "rump.ifconfig", &["-C"]), "-C"),
        "lo shmif\n"
    );

    // A second create of the same name, a bus file that is not a bus, and
    // an interface brought up before it has a bus.
    let o = tool(&dir, url, "rump.ifconfig", &["shmif0", "create"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("File exists"), "{}", stderr(&o));
    std::fs::write(dir.join("notabus"), b"hello, world").unwrap();
    ok(
        &tool(&dir, url, "rump.ifconfig", &["shmif1", "create"]),
        "create shmif1",
    );
    let o = tool(
        &dir,
        url,
        "rump.ifconfig",
        &["shmif1", "linkstr", "notabus"],
    );
    assert!(
        stderr(&o).contains("SIOCSLINKSTR: Exec format error"),
        "{}",
        stderr(&o)
    );
    let o = tool(&dir, url, "rump.ifconfig", &["shmif1", "up"]);
    assert!(
        stderr(&o).contains("SIOCSIFFLAGS: Device not configured"),
        "{}",
        stderr(&o)
    );
    // The linkstr of an interface that is up cannot change.
    let o = tool(&dir, url, "rump.ifconfig", &["shmif0", "linkstr", "other"]);
    assert!(
        stderr(&o).contains("SIOCSLINKSTR: Device busy"),
        "{}",
        stderr(&o)
    );
    ok(
        &tool(&dir, url, "rump.ifconfig", &["shmif1", "destroy"]),
        "destroy",
    );
    let o = tool(&dir, url, "rump.ifconfig", &["shmif1"]);
    assert!(!o.status.success());
    // Deleting the address takes its route: the subnet is unreachable.
    ok(
        &tool(
            &dir,
            url,
            "rump.ifconfig",
            &["shmif0", "inet", "1.1.1.1", "delete"],
        ),
        "delete",
    );
    let o = tool(&dir, url, "rump.ping", &["-c", "1", "1.1.1.2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("sendto: No route to host"),
        "{}",
        stderr(&o)
    );
}
