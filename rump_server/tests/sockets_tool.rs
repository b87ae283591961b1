//! Issue #16, acceptance 5, for `rump.sockstat` and `rump.netstat -a`:
//! rumpctrl has neither, so their lines are checked against the format
//! rules of NetBSD's usr.bin/sockstat/sockstat.c (`print_socket`,
//! `print_addr`: `%-8s %-10.10s %-5d %2d %-6s`, the local address padded
//! to 21, `*.*` for an unconnected inet peer and `-` for a local one) and
//! usr.bin/netstat/inet.c (`protoprhdr`, `protopr0`, `inetprint`:
//! `%-5.5s %6ld %6ld`, each address ` %-22.22s` as `host.port` with `*`
//! for the any address or port, the TCP state by `tcpstates`, and without
//! `-a` only sockets whose peer's host part is not 0). The sockets are
//! opened in the kernel by this test's own client: TCP listening on an
//! address and on any, a TCP connection both ends, UDP bound and
//! connected, a local stream listener and an unnamed local datagram.

mod common;

use common::netstat::*;
use common::*;
use netbsd_abi::layout::{sockaddr_in as sin, sockaddr_un as sun};
use netbsd_abi::{
    AF_INET, AF_LOCAL, SOCK_DGRAM, SOCK_STREAM, SYS___socket30, SYS_accept, SYS_bind, SYS_connect,
    SYS_getsockname, SYS_listen,
};
use rumpclient::{Client, Regions};

fn socket(c: &Client, family: i32, ty: i32) -> u64 {
    let m = Regions::new();
    c.syscall(SYS___socket30, &[family as u64, ty as u64, 0], &m)
        .unwrap()[0] as u64
}

fn inet(addr: [u8; 4], port: u16) -> Vec<u8> {
    let mut sa = vec![0u8; sin::SIZE];
    sin::sin_len.put(&mut sa, sin::SIZE as u64);
    sin::sin_family.put(&mut sa, AF_INET as u64);
    sa[sin::sin_port.range()].copy_from_slice(&port.to_be_bytes());
    sa[sin::sin_addr.range()].copy_from_slice(&addr);
    sa
}

fn call(c: &Client, nr: usize, s: u64, sa: &[u8]) -> u64 {
    let m = Regions::new();
    c.syscall(nr, &[s, m.add(sa), sa.len() as u64], &m).unwrap()[0] as u64
}

fn local_port(c: &Client, s: u64) -> u16 {
    let m = Regions::new();
    let (sa, len) = (
        m.add_zeroed(sin::SIZE),
        m.add(&(sin::SIZE as u32).to_ne_bytes()),
    );
    c.syscall(SYS_getsockname, &[s, sa, len], &m).unwrap();
    let b = m.get(sa);
    u16::from_be_bytes([b[sin::sin_port.offset], b[sin::sin_port.offset + 1]])
}

/// `print_socket`'s line.
fn sockstat_row(comm: &str, pid: i32, fd: u64, proto: &str, local: &str, foreign: &str) -> String {
    let comm: String = comm.chars().take(10).collect();
    format!(
        "{:<8} {comm:<10} {pid:<5} {fd:>2} {proto:<6} {local:<21} {foreign}",
        "root"
    )
}

#[test]
fn sockstat_and_netstat_lines_follow_netbsds_formats() {
    let dir = tempdir("sockets-tool");
    let url = format!("unix://{}/s", dir.display());
    let (server, c) = serve("rump_allserver", &[], &url);
    let _server = Stopped(server);
    let lo = [127, 0, 0, 1];

    let listen80 = socket(&c, AF_INET, SOCK_STREAM);
    call(&c, SYS_bind, listen80, &inet(lo, 80));
    c.syscall(SYS_listen, &[listen80, 5], &Regions::new())
        .unwrap();
    let listen_any = socket(&c, AF_INET, SOCK_STREAM);
    call(&c, SYS_bind, listen_any, &inet([0; 4], 8080));
    c.syscall(SYS_listen, &[listen_any, 5], &Regions::new())
        .unwrap();
    let client = socket(&c, AF_INET, SOCK_STREAM);
    call(&c, SYS_connect, client, &inet(lo, 80));
    let m = Regions::new();
    let accepted = c.syscall(SYS_accept, &[listen80, 0, 0], &m).unwrap()[0] as u64;
    let ephemeral = local_port(&c, client);
    let udp = socket(&c, AF_INET, SOCK_DGRAM);
    call(&c, SYS_bind, udp, &inet([0; 4], 53));
    let udp_conn = socket(&c, AF_INET, SOCK_DGRAM);
    call(&c, SYS_connect, udp_conn, &inet(lo, 53));
    let udp_port = local_port(&c, udp_conn);
    let unix = socket(&c, AF_LOCAL, SOCK_STREAM);
    let mut sa = vec![0u8; sun::sun_path.offset];
    sa[sun::sun_family.offset] = AF_LOCAL as u8;
    sa.extend_from_slice(b"/tmp/l");
    call(&c, SYS_bind, unix, &sa);
    c.syscall(SYS_listen, &[unix, 5], &Regions::new()).unwrap();
    let dgram = socket(&c, AF_LOCAL, SOCK_DGRAM);

    // Our process's name and pid, as kern.proc2 has them.
    let pid = c.getpid().unwrap();
    let proc2 = c
        .sysctl_read(&[
            netbsd_abi::CTL_KERN,
            netbsd_abi::KERN_PROC2,
            netbsd_abi::KERN_PROC_PID,
            pid,
            KINFO_PROC2_LEN as i32,
            1,
        ])
        .unwrap();
    let comm = &proc2[P_COMM..P_COMM + KI_MAXCOMLEN];
    let comm =
        String::from_utf8_lossy(&comm[..comm.iter().position(|&b| b == 0).unwrap()]).into_owned();

    let (e, u) = (ephemeral.to_string(), udp_port.to_string());
    let client_end = format!("127.0.0.1.{e}");
    let udp_end = format!("127.0.0.1.{u}");
    let header = format!(
        "{:<8} {:<10} {:<5} {:<2} {:<6} {:<21} {}",
        "USER", "COMMAND", "PID", "FD", "PROTO", "LOCAL ADDRESS", "FOREIGN ADDRESS"
    );
    let all = [
        (listen80, "tcp", "127.0.0.1.80", "*.*"),
        (listen_any, "tcp", "*.8080", "*.*"),
        (client, "tcp", client_end.as_str(), "127.0.0.1.80"),
        (accepted, "tcp", "127.0.0.1.80", client_end.as_str()),
        (udp, "udp", "*.53", "*.*"),
        (udp_conn, "udp", udp_end.as_str(), "127.0.0.1.53"),
        (unix, "stream", "/tmp/l", "-"),
        (dgram, "dgram", "-", "-"),
    ];
    let want = |pick: &dyn Fn(u64) -> bool| {
        let mut v = vec![header.clone()];
        for (fd, proto, l, f) in all {
            if pick(fd) {
                v.push(sockstat_row(&comm, pid, fd, proto, l, f));
            }
        }
        v.join("\n") + "\n"
    };
    let sockstat = |args: &[&str]| {
        let o = tool(&dir, &url, "rump.sockstat", args);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    assert_eq!(sockstat(&[]), want(&|_| true));
    assert_eq!(sockstat(&["-n", "extra", "operands"]), want(&|_| true));
    let inet_fds = [listen80, listen_any, client, accepted, udp, udp_conn];
    assert_eq!(sockstat(&["-4"]), want(&|fd| inet_fds.contains(&fd)));
    assert_eq!(sockstat(&["-u"]), want(&|fd| fd == unix || fd == dgram));
    assert_eq!(
        sockstat(&["-f", "INET", "-c"]),
        want(&|fd| [client, accepted, udp_conn].contains(&fd))
    );
    // Listening: TCP in LISTEN, bound UDP, a named local socket.
    assert_eq!(
        sockstat(&["-l"]),
        want(&|fd| [listen80, listen_any, udp, unix].contains(&fd))
    );
    assert_eq!(
        sockstat(&["-p", "8080,50-60"]),
        want(&|fd| [listen_any, udp, udp_conn].contains(&fd))
    );
    let bad = tool(&dir, &url, "rump.sockstat", &["-z"]);
    assert_eq!(
        (bad.status.code(), stderr(&bad)),
        (Some(1), "rump.sockstat: unknown option -- z\n".to_string())
    );
    let bad = tool(&dir, &url, "rump.sockstat", &["-p", "80", "-u"]);
    assert_eq!(
        stderr(&bad),
        "rump.sockstat: local domain sockets do not have ports\n"
    );

    // netstat: servers only with -a; the rows in the kernel's order.
    let connected = [
        netstat_row("tcp", &client_end, "127.0.0.1.80", Some("ESTABLISHED")),
        netstat_row("tcp", "127.0.0.1.80", &client_end, Some("ESTABLISHED")),
        netstat_row("udp", &udp_end, "127.0.0.1.53", None),
    ];
    let servers = [
        netstat_row("tcp", "127.0.0.1.80", "*.*", Some("LISTEN")),
        netstat_row("tcp", "*.8080", "*.*", Some("LISTEN")),
        netstat_row("udp", "*.53", "*.*", None),
    ];
    let netstat = |args: &[&str]| netstat_lines(&dir, &url, args);
    assert_eq!(netstat(&["-n"]), netstat_want(false, false, &connected));
    let all = [connected, servers].concat();
    assert_eq!(netstat(&["-an"]), netstat_want(false, true, &all));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `struct kinfo_proc2` (`sys/sysctl.h`, amd64), not in the ABI tables:
/// its size and where `p_comm` (`KI_MAXCOMLEN` bytes) lies.
const KINFO_PROC2_LEN: usize = 680;
const P_COMM: usize = 368;
const KI_MAXCOMLEN: usize = 24;
