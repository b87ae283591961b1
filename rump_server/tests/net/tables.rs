//! The tables the tools show: netstat, arp and route.

use crate::*;
use std::process::Command;

/// netstat, arp and the tables they read by sysctl (`net.route.rtable`,
/// `net.inet.*.pcblist`, `net.inet.*.stats`), with the installed tools.
#[test]
fn netstat_and_arp_show_the_tables() {
    let dir = tempdir("netstat");
    let _servers = Servers::allservers(&dir, &["A", "B"], &[]);
    let (a, b) = ("unix://A", "unix://B");
    for (url, addr) in [(a, "10.9.0.1/24"), (b, "10.9.0.2/24")] {
        let args = ["shmif0", "create", "linkstr", "bus", "inet", addr];
        ok(&tool(&dir, url, "rump.ifconfig", &args), "ifconfig");
    }
    ok(
        &tool(&dir, a, "rump.ping", &["-c", "1", "10.9.0.2"]),
        "ping",
    );

    let routes = ok(&tool(&dir, a, "rump.netstat", &["-rn"]), "netstat -rn");
    let lines: Vec<&str> = routes.lines().collect();
    assert_eq!(&lines[..3], ["Routing tables", "", "Internet:"], "{routes}");
    assert_eq!(
        lines[3],
        "Destination        Gateway            Flags    Refs      Use    Mtu Interface"
    );
    assert!(
        lines.contains(
            &"10.9.0/24          link#2             UC          -        -      -  shmif0"
        ),
        "{routes}"
    );
    // Each address's local route goes through lo0; lo0 has no 127/8.
    assert!(
        lines.contains(&"127.0.0.1          lo0                UHl         -        -  33624  lo0"),
        "{routes}"
    );
    assert!(
        lines.contains(&"10.9.0.1           link#2             UHl         -        -      -  lo0"),
        "{routes}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("127/8 ")), "{routes}");

    let ifs = ok(&tool(&dir, a, "rump.netstat", &["-i"]), "netstat -i");
    let ifs: Vec<&str> = ifs.lines().collect();
    assert_eq!(
        ifs[0],
        "Name  Mtu   Network       Address              Ipkts Ierrs    Opkts Oerrs Colls"
    );
    assert!(
        ifs.iter()
            .any(|l| l.starts_with("lo0   33624 127/8         127.0.0.1 "))
    );
    assert!(
        ifs.iter()
            .any(|l| l.starts_with("shmif 1500  <Link>        b2:a0:"))
    );
    assert!(
        ifs.iter()
            .any(|l| l.starts_with("shmif 1500  10.9.0/24     10.9.0.1 "))
    );

    // B answered A's ARP request: A has B's address.
    let arp = ok(&tool(&dir, a, "rump.arp", &["-an"]), "arp -an");
    assert!(arp.starts_with("? (10.9.0.2) at b2:a0:"), "{arp}");
    assert!(arp.trim_end().ends_with(" on shmif0"), "{arp}");
    ok(&tool(&dir, a, "rump.arp", &["-d", "10.9.0.2"]), "arp -d");
    assert_eq!(ok(&tool(&dir, a, "rump.arp", &["-an"]), "arp -an"), "");
    let o = tool(&dir, a, "rump.arp", &["-n", "10.9.0.2"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "rump.arp: 10.9.0.2 (10.9.0.2) -- no entry\n");
    // No entry: the kernel says so to the delete, as NetBSD's arp shows.
    let o = tool(&dir, a, "rump.arp", &["-d", "10.9.0.2"]);
    assert_eq!(
        stderr(&o),
        "rump.arp: writing to routing socket: No such file or directory\n"
    );
    ok(
        &tool(
            &dir,
            a,
            "rump.arp",
            &["-s", "10.9.0.7", "00:11:22:33:44:55"],
        ),
        "arp -s",
    );
    assert_eq!(
        ok(&tool(&dir, a, "rump.arp", &["-n", "10.9.0.7"]), "arp"),
        "? (10.9.0.7) at 00:11:22:33:44:55 on shmif0 permanent\n"
    );

    let stats = ok(&tool(&dir, a, "rump.netstat", &["-ss"]), "netstat -ss");
    assert!(
        stats.contains("icmp:\n\tInput histogram:\n\t\techoreply: 1\n"),
        "{stats}"
    );
    let all = ok(&tool(&dir, a, "rump.netstat", &["-s"]), "netstat -s");
    assert!(all.contains("tcp:\n\t0 packets sent\n"), "{all}");

    // A listener, as netstat -an shows it.
    use std::io::BufRead;
    let mut sink = python(&dir, b, TCP_SINK, &[])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(sink.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let socks = ok(&tool(&dir, b, "rump.netstat", &["-an"]), "netstat -an");
    // sockstat: the listener, the process that holds it and its descriptor.
    let st = ok(&tool(&dir, b, "rump.sockstat", &["-4", "-l"]), "sockstat");
    let lines: Vec<&str> = st.lines().collect();
    assert_eq!(
        lines[0],
        "USER     COMMAND    PID   FD PROTO  LOCAL ADDRESS         FOREIGN ADDRESS"
    );
    assert_eq!(lines.len(), 2, "{st}");
    assert!(lines[1].starts_with("root     python3    "), "{st}");
    assert!(
        lines[1].ends_with(" tcp    *.5000                *.*"),
        "{st}"
    );
    assert_eq!(
        ok(&tool(&dir, b, "rump.sockstat", &["-c"]), "sockstat -c"),
        "",
        "nothing connected"
    );
    let _ = sink.kill();
    let _ = sink.wait();
    assert_eq!(
        socks,
        "Active Internet connections (including servers)\n\
         Proto Recv-Q Send-Q  Local Address          Foreign Address        State\n\
         tcp        0      0  *.5000                 *.*                    LISTEN\n"
    );
    // The listener is IPv4's: the IPv6 list does not show it.
    let six = ok(
        &tool(&dir, b, "rump.netstat", &["-an", "-f", "inet6"]),
        "netstat -f inet6",
    );
    assert!(!six.contains("5000"), "{six}");
}

/// `rump.route show`, `flush` and `monitor`: the table by sysctl, and
/// the routing socket's announcements of interfaces, addresses and routes.
#[test]
fn route_show_flush_and_monitor() {
    let dir = tempdir("monitor");
    let _servers = Servers::allservers(&dir, &["M"], &[]);
    let url = "unix://M";
    let mut mon = Command::new(bin("rump.route"))
        .current_dir(&dir)
        .arg("monitor")
        .env("RUMP_SERVER", url)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Lines as the monitor prints them; it listens once a probe (a route
    // look-up, whose answer goes to every routing socket) reaches it.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stdout = mon.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        for l in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(l);
        }
    });
    let mut listening = false;
    for _ in 0..100 {
        let _ = tool(&dir, url, "rump.route", &["-n", "get", "127.0.0.1"]);
        if rx
            .recv_timeout(std::time::Duration::from_millis(200))
            .is_ok()
        {
            listening = true;
            break;
        }
    }
    assert!(listening, "route monitor never heard a message");
    let cfg = |args: &[&str]| ok(&tool(&dir, url, "rump.ifconfig", args), "ifconfig");
    cfg(&["shmif0", "create", "linkstr", "bus", "inet", "10.5.0.1/24"]);
    ok(
        &tool(
            &dir,
            url,
            "rump.route",
            &["add", "-net", "10.6.0.0/24", "10.5.0.9"],
        ),
        "route add",
    );
    let show = ok(&tool(&dir, url, "rump.route", &["-n", "show"]), "show");
    assert!(
        show.contains(
            "\n10.6.0/24          10.5.0.9           UG          -        -      -  shmif0\n"
        ),
        "{show}"
    );
    assert!(
        show.contains(
            "\n10.5.0/24          link#2             U           -        -      -  shmif0\n"
        ),
        "{show}"
    );
    assert_eq!(
        ok(&tool(&dir, url, "rump.route", &["flush"]), "flush"),
        "10.6.0/24            done\n"
    );
    let show = ok(&tool(&dir, url, "rump.route", &["-n", "show"]), "show");
    assert!(!show.contains("10.6.0/24"), "{show}");
    cfg(&["shmif0", "destroy"]);
    // Read until the departure, then stop the monitor.
    let mut text = String::new();
    while let Ok(l) = rx.recv_timeout(std::time::Duration::from_secs(10)) {
        text.push_str(&l);
        text.push('\n');
        if l.ends_with("what: departure") {
            break;
        }
    }
    let _ = mon.kill();
    let _ = mon.wait();
    let _ = reader.join();
    // The messages in order, without the times and the probes' answers.
    let msgs: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("RTM_") && !l.starts_with("RTM_GET"))
        .map(|l| l.split(": len").next().unwrap_or(""))
        .collect();
    assert_eq!(
        msgs,
        [
            "RTM_IFANNOUNCE: iface arrival/departure",
            // The address, its local route, then its prefix route.
            "RTM_NEWADDR: address being added to iface",
            "RTM_ADD: Add Route",
            "RTM_ADD: Add Route",
            "RTM_IFINFO: iface status change",
            // Up, it gets its IPv6 link-local address with its local and
            // prefix routes, as on NetBSD.
            "RTM_NEWADDR: address being added to iface",
            "RTM_ADD: Add Route",
            "RTM_ADD: Add Route",
            // The route added, then flushed.
            "RTM_ADD: Add Route",
            "RTM_DELETE: Delete Route",
            // Destroyed: down twice (shmif's unclone, then if_detach), then
            // the prefix route goes, then the local route, then the
            // address.
            "RTM_IFINFO: iface status change",
            "RTM_IFINFO: iface status change",
            "RTM_DELETE: Delete Route",
            "RTM_DELETE: Delete Route",
            "RTM_DELADDR: address being removed from iface",
            "RTM_IFANNOUNCE: iface arrival/departure",
        ],
        "{text}"
    );
    assert!(text.contains("if# 2, what: arrival\n"), "{text}");
    assert!(text.contains("if# 2, what: departure\n"), "{text}");
    assert!(
        text.contains("sockaddrs: <NETMASK,IFP,IFA,BRD>\n")
            && text.contains(" 10.5.0.1 10.5.0.255\n"),
        "{text}"
    );
    assert!(
        text.contains("if# 2, carrier: active, flags: <UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>\n"),
        "{text}"
    );
}
