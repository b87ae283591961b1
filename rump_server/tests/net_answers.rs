//! Network answers where our kernel differed from NetBSD's rump kernel,
//! each measured on NetBSD's `rump_allserver` with a C client of its
//! librumpclient and here asked of ours by a remote client:
//!
//! - `SO_OSNDTIMEO`/`SO_ORCVTIMEO` (0x1005/0x1006, `COMPAT_50`) set and
//!   read the timeouts as a `struct timeval50`, whose exact size
//!   `sockopt_get` wants (EINVAL otherwise);
//! - a UDP `sendto` or a TCP `connect` through a route whose gateway is
//!   127.0.0.1 is EADDRNOTAVAIL while no interface but lo0 has an IPv4
//!   address (`in_selectsrc` takes no source from a loopback route), and
//!   takes the first such address once one has.

mod common;

use common::*;
use netbsd_abi::errno::Errno;
use netbsd_abi::layout::{sockaddr_in as sin, timeval};
use netbsd_abi::{
    AF_INET, SO_RCVTIMEO, SO_SNDTIMEO, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, SYS___socket30,
    SYS_connect, SYS_getsockname, SYS_getsockopt, SYS_sendto, SYS_setsockopt,
};
use rumpclient::{Client, Regions};

/// `SO_OSNDTIMEO`, `SO_ORCVTIMEO` (`compat/sys/socket.h`).
const SO_OSNDTIMEO: i32 = 0x1005;
const SO_ORCVTIMEO: i32 = 0x1006;

fn socket(c: &Client, ty: i32) -> u64 {
    let m = Regions::new();
    c.syscall(SYS___socket30, &[AF_INET as u64, ty as u64, 0], &m)
        .unwrap()[0] as u64
}

fn setopt(c: &Client, s: u64, name: i32, v: &[u8]) -> Result<(), Errno> {
    let m = Regions::new();
    let args = [s, SOL_SOCKET as u64, name as u64, m.add(v), v.len() as u64];
    c.syscall(SYS_setsockopt, &args, &m).map(drop)
}

fn getopt(c: &Client, s: u64, name: i32) -> Vec<u8> {
    let m = Regions::new();
    let (v, len) = (m.add_zeroed(64), m.add(&64u32.to_ne_bytes()));
    c.syscall(
        SYS_getsockopt,
        &[s, SOL_SOCKET as u64, name as u64, v, len],
        &m,
    )
    .unwrap();
    let n = u32::from_ne_bytes(m.get(len)[..4].try_into().unwrap()) as usize;
    m.get(v)[..n].to_vec()
}

/// A `struct timeval50` on amd64: two `long`s.
fn tv50(sec: i64, usec: i64) -> Vec<u8> {
    [sec, usec].iter().flat_map(|v| v.to_ne_bytes()).collect()
}

/// A `sockaddr_in` for `a`:`port`.
fn sockaddr(a: [u8; 4], port: u16) -> Vec<u8> {
    let mut sa = vec![0u8; sin::SIZE];
    sa[sin::sin_len.offset] = sin::SIZE as u8;
    sa[sin::sin_family.offset] = AF_INET as u8;
    sa[sin::sin_port.offset..][..2].copy_from_slice(&port.to_be_bytes());
    sa[sin::sin_addr.offset..][..4].copy_from_slice(&a);
    sa
}

fn send_to(c: &Client, s: u64, to: &[u8]) -> Result<(), Errno> {
    let m = Regions::new();
    let args = [s, m.add(b"hi"), 2, 0, m.add(to), to.len() as u64];
    c.syscall(SYS_sendto, &args, &m).map(drop)
}

fn connect(c: &Client, s: u64, to: &[u8]) -> Result<(), Errno> {
    let m = Regions::new();
    c.syscall(SYS_connect, &[s, m.add(to), to.len() as u64], &m)
        .map(drop)
}

fn local_address(c: &Client, s: u64) -> [u8; 4] {
    let m = Regions::new();
    let (sa, len) = (
        m.add_zeroed(sin::SIZE),
        m.add(&(sin::SIZE as u32).to_ne_bytes()),
    );
    c.syscall(SYS_getsockname, &[s, sa, len], &m).unwrap();
    m.get(sa)[sin::sin_addr.offset..][..4].try_into().unwrap()
}

#[test]
fn compat_timeouts_and_loopback_gateways_answer_as_netbsds_kernel() {
    let dir = tempdir("net-answers");
    let url = format!("unix://{}/s", dir.display());
    let (server, c) = serve("rump_allserver", &[], &url);
    let _server = Stopped(server);

    let s = socket(&c, SOCK_DGRAM);
    assert_eq!(setopt(&c, s, SO_OSNDTIMEO, &tv50(3, 500_000)), Ok(()));
    let tv = getopt(&c, s, SO_SNDTIMEO);
    assert_eq!(timeval::tv_sec.get(&tv), Some(3));
    assert_eq!(timeval::tv_usec.get(&tv), Some(500_000));
    assert_eq!(getopt(&c, s, SO_OSNDTIMEO), tv50(3, 500_000));
    let mut tv = vec![0u8; timeval::SIZE];
    timeval::tv_sec.put(&mut tv, 7);
    assert_eq!(setopt(&c, s, SO_RCVTIMEO, &tv), Ok(()));
    assert_eq!(getopt(&c, s, SO_ORCVTIMEO), tv50(7, 0));
    for bad in [&tv50(1, 0)[..8], &[0u8; 24][..]] {
        assert_eq!(setopt(&c, s, SO_ORCVTIMEO, bad), Err(Errno::EINVAL));
    }

    let route = |args: &[&str]| ok(&tool(&dir, &url, "rump.route", args), "route");
    route(&["add", "-net", "10.9.0.0/24", "127.0.0.1"]);
    let far = sockaddr([10, 9, 0, 5], 12345);
    assert_eq!(send_to(&c, s, &far), Err(Errno::EADDRNOTAVAIL));
    let t = socket(&c, SOCK_STREAM);
    assert_eq!(connect(&c, t, &far), Err(Errno::EADDRNOTAVAIL));
    // lo0's own address still answers through its loopback route.
    assert_eq!(send_to(&c, s, &sockaddr([127, 0, 0, 1], 9)), Ok(()));
    // With an address beyond lo0, that address is the source.
    let bus = dir.join("bus").to_string_lossy().into_owned();
    ok(
        &tool(
            &dir,
            &url,
            "rump.ifconfig",
            &["shmif0", "create", "linkstr", &bus, "inet", "10.1.0.1/24"],
        ),
        "ifconfig",
    );
    let u = socket(&c, SOCK_DGRAM);
    assert_eq!(connect(&c, u, &far), Ok(()));
    assert_eq!(local_address(&c, u), [10, 1, 0, 1]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A server stopped when the test ends, failed or not.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
