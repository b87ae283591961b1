//! Small answers where our kernel once differed from NetBSD's rump kernel
//! (issue #16), each measured on NetBSD's `rump_allserver` with a C client
//! of its librumpclient, here asked of ours by a remote client:
//!
//! - `SO_SNDBUF`/`SO_RCVBUF` stop at `sb_max_adj` (209715 bytes for
//!   `kern.sbmax` 262144) with ENOBUFS, on every kind of socket;
//! - a local socket's unnamed address is `sun_noname` (length 2), and a
//!   bound one is the address as `bind` was given it;
//! - `kern.proc2` lists processes newest first, all in proc0's group and
//!   session;
//! - no `net` node has a description (`sysctl -d`).

mod common;

use common::*;
use netbsd_abi::errno::Errno;
use netbsd_abi::layout::sockaddr_un as sun;
use netbsd_abi::{
    AF_INET, AF_LOCAL, SO_RCVBUF, SO_SNDBUF, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, SYS___socket30,
    SYS_bind, SYS_getpeername, SYS_getpid, SYS_getsockname, SYS_getsockopt, SYS_recvfrom,
    SYS_sendto, SYS_setsockopt,
};
use rumpclient::{Client, Regions};

/// `kern.sbmax`'s default (`SB_MAX`) less the mbufs' share, as
/// `sb_max_set` computes it: `SB_MAX * MCLBYTES / (MSIZE + MCLBYTES)`.
const SB_MAX_ADJ: u64 = 256 * 1024 * 2048 / (512 + 2048);

/// `struct kinfo_proc2` (`sys/sysctl.h`, amd64), not in the ABI tables:
/// its size and where `p_pid`, `p_sid` and `p__pgid` lie.
const KINFO_PROC2_LEN: usize = 680;
const P_PID: usize = 116;
const P_SID: usize = 124;
const P_PGID: usize = 128;

fn socket(c: &Client, family: i32, ty: i32) -> u64 {
    let m = Regions::new();
    c.syscall(SYS___socket30, &[family as u64, ty as u64, 0], &m)
        .unwrap()[0] as u64
}

fn setopt(c: &Client, s: u64, name: i32, v: i32) -> Result<(), Errno> {
    let m = Regions::new();
    let args = [
        s,
        SOL_SOCKET as u64,
        name as u64,
        m.add(&v.to_ne_bytes()),
        4,
    ];
    c.syscall(SYS_setsockopt, &args, &m).map(drop)
}

fn getopt(c: &Client, s: u64, name: i32) -> i32 {
    let m = Regions::new();
    let (v, len) = (m.add_zeroed(4), m.add(&4u32.to_ne_bytes()));
    c.syscall(
        SYS_getsockopt,
        &[s, SOL_SOCKET as u64, name as u64, v, len],
        &m,
    )
    .unwrap();
    i32::from_ne_bytes(m.get(v)[..4].try_into().unwrap())
}

/// An address call (`getsockname`, `getpeername`) or `recvfrom` that
/// fills a 106-byte `sockaddr_un`: the bytes within the length answered.
fn address(c: &Client, nr: usize, s: u64) -> Vec<u8> {
    let m = Regions::new();
    let (sa, len) = (
        m.add_zeroed(sun::SIZE),
        m.add(&(sun::SIZE as u32).to_ne_bytes()),
    );
    let args = if nr == SYS_recvfrom {
        vec![s, m.add_zeroed(16), 16, 0, sa, len]
    } else {
        vec![s, sa, len]
    };
    c.syscall(nr, &args, &m).unwrap();
    let n = u32::from_ne_bytes(m.get(len)[..4].try_into().unwrap()) as usize;
    m.get(sa)[..n].to_vec()
}

/// A `sockaddr_un` for `path`, `len` bytes long (`sun_len` 0, as a
/// program may leave it: the kernel sets it).
fn sockaddr_un(path: &str, len: usize) -> Vec<u8> {
    let mut sa = vec![0u8; len];
    sa[sun::sun_family.offset] = AF_LOCAL as u8;
    let at = sun::sun_path.offset;
    sa[at..at + path.len()].copy_from_slice(path.as_bytes());
    sa
}

fn bind(c: &Client, s: u64, sa: &[u8]) {
    let m = Regions::new();
    c.syscall(SYS_bind, &[s, m.add(sa), sa.len() as u64], &m)
        .unwrap();
}

fn send_to(c: &Client, s: u64, to: &[u8]) {
    let m = Regions::new();
    let args = [s, m.add(b"hi"), 2, 0, m.add(to), to.len() as u64];
    c.syscall(SYS_sendto, &args, &m).unwrap();
}

#[test]
fn answers_as_netbsds_rump_kernel() {
    let dir = tempdir("peer-answers");
    let url = format!("unix://{}/s", dir.display());
    let (server, c) = serve("rump_allserver", &[], &url);
    let _server = Stopped(server);

    // Socket buffers: up to sb_max_adj, then ENOBUFS and no change; less
    // than one byte is EINVAL.
    for (family, ty) in [
        (AF_LOCAL, SOCK_STREAM),
        (AF_INET, SOCK_STREAM),
        (AF_INET, SOCK_DGRAM),
    ] {
        let s = socket(&c, family, ty);
        for name in [SO_SNDBUF, SO_RCVBUF] {
            let most = SB_MAX_ADJ as i32;
            assert_eq!(setopt(&c, s, name, most), Ok(()));
            assert_eq!(getopt(&c, s, name), most);
            for (v, e) in [(most + 1, Errno::ENOBUFS), (4 << 20, Errno::ENOBUFS)] {
                assert_eq!(
                    setopt(&c, s, name, v),
                    Err(e),
                    "{family}/{ty} {name:#x} {v}"
                );
            }
            assert_eq!(setopt(&c, s, name, 0), Err(Errno::EINVAL));
            assert_eq!(getopt(&c, s, name), most);
        }
    }

    // Local addresses: sun_noname for the unnamed, the address as given
    // for the named, whatever length it was given with.
    let noname = vec![sun::sun_path.offset as u8, AF_LOCAL as u8];
    let stream = socket(&c, AF_LOCAL, SOCK_STREAM);
    assert_eq!(address(&c, SYS_getsockname, stream), noname);
    let pair_end = {
        let m = Regions::new();
        let sv = m.add_zeroed(8);
        let args = [AF_LOCAL as u64, SOCK_STREAM as u64, 0, sv];
        c.syscall(netbsd_abi::SYS_socketpair, &args, &m).unwrap();
        u32::from_ne_bytes(m.get(sv)[..4].try_into().unwrap()) as u64
    };
    assert_eq!(address(&c, SYS_getpeername, pair_end), noname);
    let short = sockaddr_un("/tmp/short", sun::sun_path.offset + "/tmp/short".len());
    let full = sockaddr_un("/tmp/full", sun::SIZE);
    let (rx, tx, anon) = (
        socket(&c, AF_LOCAL, SOCK_DGRAM),
        socket(&c, AF_LOCAL, SOCK_DGRAM),
        socket(&c, AF_LOCAL, SOCK_DGRAM),
    );
    bind(&c, rx, &short);
    bind(&c, tx, &full);
    let with_len = |mut sa: Vec<u8>| {
        sa[sun::sun_len.offset] = sa.len() as u8;
        sa
    };
    assert_eq!(address(&c, SYS_getsockname, rx), with_len(short.clone()));
    assert_eq!(address(&c, SYS_getsockname, tx), with_len(full.clone()));
    send_to(&c, tx, &short);
    assert_eq!(address(&c, SYS_recvfrom, rx), with_len(full));
    send_to(&c, anon, &short);
    assert_eq!(address(&c, SYS_recvfrom, rx), noname);

    // kern.proc2: newest first (allproc), every process in session 0.
    let me = c.syscall(SYS_getpid, &[], &Regions::new()).unwrap()[0] as u32;
    let mib = [
        netbsd_abi::CTL_KERN,
        netbsd_abi::KERN_PROC2,
        netbsd_abi::KERN_PROC_ALL,
        0,
        KINFO_PROC2_LEN as i32,
        64,
    ];
    let all = c.sysctl_read(&mib).unwrap();
    let at = |r: &[u8], off: usize| u32::from_ne_bytes(r[off..off + 4].try_into().unwrap());
    let seen: Vec<(u32, u32, u32)> = all
        .chunks_exact(KINFO_PROC2_LEN)
        .map(|r| (at(r, P_PID), at(r, P_SID), at(r, P_PGID)))
        .collect();
    assert_eq!(seen, [(me, 0, 0), (1, 0, 0), (0, 0, 0)]);

    // sysctl -d: NetBSD's rump kernels are built without descriptions,
    // so every net node named says so (a walk skips them all).
    let all = stdout(&tool(&dir, &url, "rump.sysctl", &["-a"]));
    let mut names: Vec<&str> = all
        .lines()
        .filter_map(|l| l.split_once(" = ").map(|(n, _)| n))
        .filter(|n| n.starts_with("net."))
        .collect();
    names.extend(["net", "net.inet", "net.inet.tcp", "net.local"]);
    assert!(names.len() > 20, "{all}");
    let mut args = vec!["-d"];
    args.extend(&names);
    let o = tool(&dir, &url, "rump.sysctl", &args);
    let text = stdout(&o);
    let described: Vec<&str> = text
        .lines()
        .filter(|l| !l.ends_with(": (no description)"))
        .collect();
    assert!(o.status.success() && described.is_empty(), "{described:?}");
    let walk = tool(&dir, &url, "rump.sysctl", &["-d", "net"]);
    assert_eq!(stdout(&walk), "");
    let _ = std::fs::remove_dir_all(&dir);
}
