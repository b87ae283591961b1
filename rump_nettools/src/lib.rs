//! What the network tools share: system calls on a remote kernel's
//! sockets, interface ioctls and their structures in NetBSD's layout.

use netbsd_abi::layout::{
    if_msghdr, ifa_msghdr, ifconf as ifc, ifreq as ifr, rt_metrics, rt_msghdr, sockaddr,
    sockaddr_dl as sdl, sockaddr_in as sin,
};
use netbsd_abi::{
    AF_INET, AF_LINK, IFNAMSIZ, NET_RT_DUMP, NET_RT_IFLIST, PF_ROUTE, RTAX_GATEWAY, RTAX_IFP,
    RTAX_MAX, RTAX_NETMASK, RTF_HOST, RTM_DELADDR, RTM_IFANNOUNCE, RTM_IFINFO, RTM_NEWADDR,
    RTM_VERSION, SOCK_DGRAM, SOCK_RAW,
};
use netbsd_abi::{SYS___socket30, SYS_ioctl, SYS_read, SYS_write};
use rumpclient::{Client, Errno, Regions};

pub mod inet6;
pub mod route6;

/// The sysctl records netstat and sockstat read (`sys/sysctl.h`; not in
/// the ABI tables): their sizes and the offsets of the fields the tools use.
pub mod kinfo {
    /// `sizeof(struct kinfo_pcb)`.
    pub const PCB_LEN: usize = 640;
    /// `ki_sockaddr`: the socket's kernel address.
    pub const PCB_SOCKADDR: usize = 16;
    /// `ki_family`.
    pub const PCB_FAMILY: usize = 24;
    /// `ki_prstate`.
    pub const PCB_PRSTATE: usize = 44;
    /// `ki_tstate`: the TCP state.
    pub const PCB_TSTATE: usize = 48;
    /// `ki_rcvq`.
    pub const PCB_RCVQ: usize = 56;
    /// `ki_sndq`.
    pub const PCB_SNDQ: usize = 64;
    /// `ki_s`: the local address.
    pub const PCB_SRC: usize = 72;
    /// `ki_d`: the foreign address.
    pub const PCB_DST: usize = 336;
    /// The room for each of `ki_s` and `ki_d`.
    pub const PCB_ADDR_LEN: usize = 264;
    /// `ki_conn`: the peer of a local socket.
    pub const PCB_CONN: usize = 616;
    /// `sizeof(struct kinfo_file)`.
    pub const FILE_LEN: usize = 120;
    /// `ki_ftype`.
    pub const FILE_FTYPE: usize = 16;
    /// `ki_fdata`: the socket's kernel address.
    pub const FILE_FDATA: usize = 64;
    /// `ki_pid`.
    pub const FILE_PID: usize = 104;
    /// `ki_fd`.
    pub const FILE_FD: usize = 108;
    /// `sizeof(struct kinfo_proc2)`.
    pub const PROC2_LEN: usize = 680;
    /// `p_uid`.
    pub const PROC2_UID: usize = 136;
    /// `p_comm`.
    pub const PROC2_COMM: usize = 368;
    /// `KI_MAXCOMLEN`, the size of `p_comm`.
    pub const KI_MAXCOMLEN: usize = 24;
}

/// `IFF_*` names in bit order (NetBSD's `IFFBITS`).
pub const IFF_NAMES: [&str; 16] = [
    "UP",
    "BROADCAST",
    "DEBUG",
    "LOOPBACK",
    "POINTOPOINT",
    "NOTRAILERS",
    "RUNNING",
    "NOARP",
    "PROMISC",
    "ALLMULTI",
    "OACTIVE",
    "SIMPLEX",
    "LINK0",
    "LINK1",
    "LINK2",
    "MULTICAST",
];

/// NetBSD's `snprintb` form: `0x8843<UP,BROADCAST,...>`.
pub fn snprintb(v: u32, names: &[&str]) -> String {
    let set: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| v & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect();
    if set.is_empty() {
        format!("{v:#x}")
    } else {
        format!("{v:#x}<{}>", set.join(","))
    }
}

/// A NetBSD `int` constant as a system-call argument.
pub fn arg(v: i32) -> u64 {
    v as u32 as u64
}

/// A connection to the server plus one datagram socket for ioctls.
pub struct Ctl {
    /// The client.
    pub c: Client,
    /// The socket.
    pub fd: u64,
}

impl Ctl {
    /// Connect and open an `AF_INET` datagram socket.
    pub fn open(prog: &str) -> Option<Ctl> {
        let c = Client::for_tool(prog)?;
        let m = Regions::new();
        match c.syscall(SYS___socket30, &[arg(AF_INET), arg(SOCK_DGRAM), 0], &m) {
            Ok(r) => Some(Ctl { c, fd: r[0] as u64 }),
            Err(e) => {
                eprintln!("{prog}: socket: {}", e.description());
                None
            }
        }
    }

    /// `ioctl(fd, cmd, data)`: `data` is copied in and out.
    pub fn ioctl(&self, cmd: u64, data: &mut [u8]) -> Result<(), Errno> {
        self.ioctl_with(cmd, data, &Regions::new())
    }

    /// `ioctl` with extra memory the structure points into.
    pub fn ioctl_with(&self, cmd: u64, data: &mut [u8], m: &Regions) -> Result<(), Errno> {
        let a = m.add(data);
        self.c.syscall(SYS_ioctl, &[self.fd, cmd, a], m)?;
        data.copy_from_slice(&m.get(a)[..data.len()]);
        Ok(())
    }
}

/// Copy an interface name into a `char [IFNAMSIZ]` field of `buf`,
/// truncated so that it stays NUL-terminated.
pub fn put_name(buf: &mut [u8], field: netbsd_abi::Field, name: &str) {
    let n = name.len().min(IFNAMSIZ as usize - 1).min(field.size);
    if let Some(slot) = buf.get_mut(field.offset..field.offset + n) {
        slot.copy_from_slice(&name.as_bytes()[..n]);
    }
}

/// The NUL-terminated text in `b`.
pub fn c_text(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// A `struct ifreq` naming `name`.
pub fn ifreq(name: &str) -> [u8; ifr::SIZE] {
    let mut r = [0u8; ifr::SIZE];
    put_name(&mut r, ifr::ifr_name, name);
    r
}

/// `struct sockaddr_in` for `a`.
pub fn sockaddr_in(a: [u8; 4], port: u16) -> [u8; sin::SIZE] {
    let mut s = [0u8; sin::SIZE];
    sin::sin_len.put(&mut s, sin::SIZE as u64);
    sin::sin_family.put(&mut s, AF_INET as u64);
    s[sin::sin_port.range()].copy_from_slice(&port.to_be_bytes());
    s[sin::sin_addr.range()].copy_from_slice(&a);
    s
}

/// The `sa_family` of a sockaddr (`AF_*`), if it is that long.
pub fn sa_family(sa: &[u8]) -> Option<i32> {
    sockaddr::sa_family.get(sa).map(|f| f as i32)
}

/// Parse a dotted quad.
pub fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
    let v: Vec<u8> = s
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    <[u8; 4]>::try_from(v).ok()
}

/// Dotted-quad form.
pub fn fmt_ipv4(a: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])
}

/// One `SIOCGIFCONF` entry: interface name and its sockaddr.
pub struct IfConfEntry {
    /// Interface name.
    pub name: String,
    /// The sockaddr.
    pub sa: Vec<u8>,
}

/// Every interface address (`SIOCGIFCONF`), link addresses included.
pub fn ifconf(ctl: &Ctl) -> Result<Vec<IfConfEntry>, Errno> {
    let m = Regions::new();
    let mut req = [0u8; ifc::SIZE];
    ctl.ioctl_with(netbsd_abi::SIOCGIFCONF, &mut req, &m)?;
    let len = ifc::ifc_len.get(&req).unwrap_or(0) as usize + ifr::SIZE * 4;
    let m = Regions::new();
    let buf = m.add_zeroed(len);
    ifc::ifc_len.put(&mut req, len as u64);
    ifc::ifc_ifcu__ifcu_buf.put(&mut req, buf);
    ctl.ioctl_with(netbsd_abi::SIOCGIFCONF, &mut req, &m)?;
    let got = ifc::ifc_len.get(&req).unwrap_or(0) as usize;
    let addr = ifr::ifr_ifru__ifru_addr.offset;
    Ok(m.get(buf)[..got.min(len)]
        .chunks_exact(ifr::SIZE)
        .map(|r| {
            let salen = usize::from(r[addr]).clamp(sockaddr::sa_data.offset, ifr::SIZE - addr);
            IfConfEntry {
                name: c_text(&r[ifr::ifr_name.range()]),
                sa: r[addr..addr + salen].to_vec(),
            }
        })
        .collect())
}

/// One routing message from a `net.route.rtable` dump.
#[derive(Clone, Debug, Default)]
pub struct RtMsg {
    /// `RTM_*`.
    pub typ: i32,
    /// Flags (`rtm_flags`, `ifm_flags`, `ifam_flags`).
    pub flags: u32,
    /// Interface index.
    pub index: u16,
    /// The sockaddrs by `RTAX_*` index.
    pub addrs: [Option<Vec<u8>>; RTAX_MAX as usize],
    /// The whole message.
    pub raw: Vec<u8>,
}

impl RtMsg {
    /// A field of the message's header (0 when the message is shorter).
    pub fn get(&self, f: netbsd_abi::Field) -> u64 {
        f.get(&self.raw).unwrap_or(0)
    }

    /// The sockaddr at `RTAX_*` index `i`.
    pub fn addr(&self, i: i32) -> Option<&[u8]> {
        self.addrs.get(i as usize)?.as_deref()
    }

    /// The route's MTU (`rtm_rmx.rmx_mtu`).
    pub fn mtu(&self) -> u64 {
        self.get(metric(rt_metrics::rmx_mtu))
    }
}

/// A field of `rtm_rmx` as a field of `struct rt_msghdr`.
pub fn metric(f: netbsd_abi::Field) -> netbsd_abi::Field {
    netbsd_abi::Field {
        offset: rt_msghdr::rtm_rmx.offset + f.offset,
        ..f
    }
}

/// `RT_ROUNDUP`: sockaddrs in routing messages are padded to a `long`.
fn roundup8(n: usize) -> usize {
    let long = std::mem::size_of::<u64>();
    if n == 0 {
        long
    } else {
        n.div_ceil(long) * long
    }
}

/// Split a dump into messages; a damaged tail is left out.
pub fn rt_messages(mut b: &[u8]) -> Vec<RtMsg> {
    let mut out = Vec::new();
    while b.len() > rt_msghdr::rtm_type.offset {
        let len = rt_msghdr::rtm_msglen.get(b).unwrap_or(0) as usize;
        if len <= rt_msghdr::rtm_type.offset || len > b.len() {
            break;
        }
        let m = &b[..len];
        let get = |f: netbsd_abi::Field| f.get(m).unwrap_or(0);
        let typ = get(rt_msghdr::rtm_type) as i32;
        let (hdr, addrs, flags, index) = match typ {
            RTM_IFINFO => (
                if_msghdr::SIZE,
                get(if_msghdr::ifm_addrs),
                get(if_msghdr::ifm_flags),
                get(if_msghdr::ifm_index),
            ),
            RTM_NEWADDR | RTM_DELADDR => (
                ifa_msghdr::SIZE,
                get(ifa_msghdr::ifam_addrs),
                get(ifa_msghdr::ifam_flags),
                get(ifa_msghdr::ifam_index),
            ),
            RTM_IFANNOUNCE => (
                netbsd_abi::layout::if_announcemsghdr::SIZE,
                0,
                0,
                get(netbsd_abi::layout::if_announcemsghdr::ifan_index),
            ),
            _ => (
                rt_msghdr::SIZE,
                get(rt_msghdr::rtm_addrs),
                get(rt_msghdr::rtm_flags),
                get(rt_msghdr::rtm_index),
            ),
        };
        let mut msg = RtMsg {
            typ,
            flags: flags as u32,
            index: index as u16,
            raw: m.to_vec(),
            ..RtMsg::default()
        };
        let mut rest = m.get(hdr..).unwrap_or(&[]);
        for (i, slot) in msg.addrs.iter_mut().enumerate() {
            if addrs & (1 << i) == 0 {
                continue;
            }
            let Some(&l) = rest.first() else { break };
            let l = usize::from(l);
            *slot = Some(rest[..l.min(rest.len())].to_vec());
            rest = rest.get(roundup8(l)..).unwrap_or(&[]);
        }
        out.push(msg);
        b = &b[len..];
    }
    out
}

/// A `net.route.rtable` dump: `af`, `op`, `arg`.
pub fn rtable(c: &rumpclient::Client, af: i32, op: i32, arg: i32) -> Result<Vec<RtMsg>, Errno> {
    // The third level is the protocol, 0 for all.
    let mib = [netbsd_abi::CTL_NET, PF_ROUTE, 0, af, op, arg];
    Ok(rt_messages(&c.sysctl_read(&mib)?))
}

/// Interface names by index, from the interface list.
pub fn if_names(c: &rumpclient::Client) -> Result<std::collections::HashMap<u16, String>, Errno> {
    Ok(rtable(c, 0, NET_RT_IFLIST, 0)?
        .into_iter()
        .filter(|m| m.typ == RTM_IFINFO)
        .filter_map(|m| {
            let sdl = m.addr(RTAX_IFP)?;
            Some((m.index, sdl_name(sdl)))
        })
        .collect())
}

/// A byte of a `sockaddr_dl` (0 past its end).
fn sdl_byte(s: &[u8], f: netbsd_abi::Field) -> usize {
    f.get(s).unwrap_or(0) as usize
}

/// The interface name in a `sockaddr_dl`.
pub fn sdl_name(s: &[u8]) -> String {
    let n = sdl_byte(s, sdl::sdl_addr__dl_nlen);
    let data = sdl::sdl_addr__dl_data.offset;
    String::from_utf8_lossy(s.get(data..data + n).unwrap_or(&[])).into_owned()
}

/// The link-level address in a `sockaddr_dl` (`LLADDR`).
pub fn sdl_lladdr(s: &[u8]) -> &[u8] {
    let nlen = sdl_byte(s, sdl::sdl_addr__dl_nlen);
    let alen = sdl_byte(s, sdl::sdl_addr__dl_alen);
    let at = sdl::sdl_addr__dl_data.offset + nlen;
    s.get(at..at + alen).unwrap_or(&[])
}

/// A `sockaddr_dl` as netstat prints it: `link#N` when it names nothing,
/// the hardware address for Ethernet, else the name.
pub fn link_text(s: &[u8]) -> String {
    let (nlen, alen, slen) = (
        sdl_byte(s, sdl::sdl_addr__dl_nlen),
        sdl_byte(s, sdl::sdl_addr__dl_alen),
        sdl_byte(s, sdl::sdl_addr__dl_slen),
    );
    if nlen == 0 && alen == 0 && slen == 0 {
        return format!("link#{}", sdl_byte(s, sdl::sdl_index));
    }
    if alen > 0 {
        return hw_text(sdl_lladdr(s));
    }
    sdl_name(s)
}

/// Lowercase hex bytes joined by `:`.
pub fn hw_text(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The IPv4 address in a sockaddr (0 if it is shorter).
pub fn sa_ipv4(sa: &[u8]) -> [u8; 4] {
    ipv4_at(sa, sin::sin_addr)
}

/// The `struct in_addr` at field `f` of `b` (0 where `b` is shorter).
pub fn ipv4_at(b: &[u8], f: netbsd_abi::Field) -> [u8; 4] {
    let mut a = [0u8; 4];
    for (i, x) in a.iter_mut().enumerate() {
        *x = *b.get(f.offset + i).unwrap_or(&0);
    }
    a
}

/// `netname4` with `-n`: a network shortened by whole octets, `127/8`,
/// `10.0.0/24`; `default` for 0/0.
pub fn netname4(addr: [u8; 4], mask: u32) -> String {
    let bits = if mask == 0 {
        0
    } else {
        33 - (mask.trailing_zeros() + 1)
    };
    let a = addr;
    match bits {
        0 if a == [0; 4] => "default".into(),
        0..=8 => format!("{}/{bits}", a[0]),
        9..=16 => format!("{}.{}/{bits}", a[0], a[1]),
        17..=24 => format!("{}.{}.{}/{bits}", a[0], a[1], a[2]),
        _ => format!("{}/{bits}", fmt_ipv4(a)),
    }
}

/// A routing socket (`PF_ROUTE`) on the kernel.
pub struct RouteSock<'a> {
    c: &'a rumpclient::Client,
    fd: u64,
    pid: i32,
    seq: i32,
}

impl<'a> RouteSock<'a> {
    /// `socket(PF_ROUTE, SOCK_RAW, 0)`.
    pub fn open(c: &'a rumpclient::Client) -> Result<RouteSock<'a>, Errno> {
        let r = c.syscall(
            SYS___socket30,
            &[arg(PF_ROUTE), arg(SOCK_RAW), 0],
            &Regions::new(),
        )?;
        Ok(RouteSock {
            c,
            fd: r[0] as u64,
            pid: c.getpid().unwrap_or(0),
            seq: 0,
        })
    }

    /// The socket's descriptor.
    pub fn fd(&self) -> u64 {
        self.fd
    }

    /// Write one message (`typ`, `flags`, sockaddrs by `RTA_*` bit) and
    /// read the kernel's answer to it. Err: what the write failed with.
    pub fn request(
        &mut self,
        typ: i32,
        flags: i32,
        addrs: &[(i32, &[u8])],
    ) -> Result<RtMsg, Errno> {
        self.request_expiring(typ, flags, addrs, 0)
    }

    /// As [`RouteSock::request`], with `rmx_expire` set to `expire` (and
    /// `RTV_EXPIRE` in `rtm_inits`) when it is not 0, as `arp -s ... temp`
    /// and `ndp -s ... temp` send it.
    pub fn request_expiring(
        &mut self,
        typ: i32,
        flags: i32,
        addrs: &[(i32, &[u8])],
        expire: i64,
    ) -> Result<RtMsg, Errno> {
        self.seq += 1;
        let mut msg = vec![0u8; rt_msghdr::SIZE];
        if expire != 0 {
            metric(netbsd_abi::layout::rt_metrics::rmx_expire).put(&mut msg, expire as u64);
            rt_msghdr::rtm_inits.put(&mut msg, netbsd_abi::RTV_EXPIRE as u64);
        }
        rt_msghdr::rtm_version.put(&mut msg, RTM_VERSION as u64);
        rt_msghdr::rtm_type.put(&mut msg, typ as u64);
        rt_msghdr::rtm_flags.put(&mut msg, flags as u32 as u64);
        let mut bits = 0i32;
        for (bit, sa) in addrs {
            bits |= bit;
            let at = msg.len();
            msg.extend_from_slice(sa);
            msg.resize(at + roundup8(sa.len()), 0);
        }
        rt_msghdr::rtm_addrs.put(&mut msg, bits as u32 as u64);
        rt_msghdr::rtm_pid.put(&mut msg, self.pid as u32 as u64);
        rt_msghdr::rtm_seq.put(&mut msg, self.seq as u32 as u64);
        let len = msg.len() as u64;
        rt_msghdr::rtm_msglen.put(&mut msg, len);
        let m = Regions::new();
        let buf = m.add(&msg);
        self.c.syscall(SYS_write, &[self.fd, buf, len], &m)?;
        const ANSWER: usize = 2048;
        let rb = m.add_zeroed(ANSWER);
        loop {
            let n = self
                .c
                .syscall(SYS_read, &[self.fd, rb, ANSWER as u64], &m)?[0]
                as usize;
            let r = m.get(rb);
            let Some(a) = rt_messages(&r[..n.min(r.len())]).into_iter().next() else {
                continue;
            };
            let mine = a.get(rt_msghdr::rtm_pid) as i32 == self.pid
                && a.get(rt_msghdr::rtm_seq) as i32 == self.seq;
            if a.raw.len() >= rt_msghdr::SIZE && mine {
                return Ok(a);
            }
        }
    }
}

/// The header length of an IP packet in bytes (`ip_hl`, a 4-bit field
/// counting 32-bit words).
pub fn ip_header_len(pkt: &[u8]) -> usize {
    let f = netbsd_abi::layout::ip::ip_hl;
    let byte = pkt.get(f.offset).copied().unwrap_or(0);
    usize::from((byte >> f.bit_offset) & ((1 << f.bit_width) - 1)) * 4
}

/// `poll(2)` for input on one descriptor for up to `ms` milliseconds:
/// whether it became readable.
pub fn poll_in(c: &Client, fd: u64, ms: u64) -> Result<bool, Errno> {
    use netbsd_abi::layout::pollfd;
    let mut p = [0u8; pollfd::SIZE];
    pollfd::fd.put(&mut p, fd);
    pollfd::events.put(&mut p, netbsd_abi::POLLIN as u64);
    let m = Regions::new();
    let pf = m.add(&p);
    Ok(c.syscall(netbsd_abi::SYS_poll, &[pf, 1, ms], &m)?[0] > 0)
}

/// Route flag letters in netstat's order, as NetBSD 7.99's
/// `sbin/route/rtutil.c` has them: `RTF_XRESOLVE`, `RTF_LLINFO` (which a
/// local route on an Ethernet carries) and `RTF_CLONED` are not shown.
const RT_FLAGS: [(i32, char); 16] = {
    use netbsd_abi::*;
    [
        (RTF_UP, 'U'),
        (RTF_GATEWAY, 'G'),
        (RTF_HOST, 'H'),
        (RTF_REJECT, 'R'),
        (RTF_BLACKHOLE, 'B'),
        (RTF_DYNAMIC, 'D'),
        (RTF_MODIFIED, 'M'),
        (RTF_DONE, 'd'),
        (RTF_MASK, 'm'),
        (RTF_CONNECTED, 'C'),
        (RTF_STATIC, 'S'),
        (RTF_PROTO1, '1'),
        (RTF_PROTO2, '2'),
        (RTF_ANNOUNCE, 'p'),
        (RTF_LOCAL, 'l'),
        (RTF_BROADCAST, 'b'),
    ]
};

/// The flag letters of `f`.
fn rt_flags(f: u32) -> String {
    RT_FLAGS
        .iter()
        .filter(|(b, _)| f & *b as u32 != 0)
        .map(|(_, c)| *c)
        .collect()
}

/// Print the routing table as netstat -rn and route show do
/// (`p_rttables`), of family `af` (0: all): only the flags in
/// `interesting` are shown.
pub fn print_rttables(c: &rumpclient::Client, af: i32, interesting: u32) -> Result<(), Errno> {
    let names = if_names(c)?;
    let msgs = rtable(c, af, NET_RT_DUMP, 0)?;
    println!("Routing tables");
    let mut family = None;
    for m in msgs {
        let Some(dst) = m.addr(netbsd_abi::RTAX_DST) else {
            continue;
        };
        let af = sa_family(dst).unwrap_or(0);
        let v6 = af == netbsd_abi::AF_INET6;
        // netstat's WID_DST and WID_GW, numeric.
        let (wd, wg) = if v6 { (39, 30) } else { (18, 18) };
        if family != Some(af) {
            match af {
                AF_INET => println!("\nInternet:"),
                netbsd_abi::AF_INET6 => println!("\nInternet6:"),
                _ => println!("\nProtocol Family {af}:"),
            }
            println!(
                "{:<wd$.wd$} {:<wg$.wg$} {:<6.6} {:>6.6} {:>8.8} {:>6.6} Interface",
                "Destination", "Gateway", "Flags", "Refs", "Use", "Mtu"
            );
            family = Some(af);
        }
        let mask = m.addr(RTAX_NETMASK);
        let host = m.flags & RTF_HOST as u32 != 0 || mask.is_none();
        let dest = if v6 {
            inet6::route_dst_text(dst, mask.filter(|_| !host), &names)
        } else if host {
            let a = sa_ipv4(dst);
            if a == [0; 4] {
                "default".into()
            } else {
                fmt_ipv4(a)
            }
        } else {
            let mask = u32::from_be_bytes(sa_ipv4(mask.unwrap_or(&[])));
            netname4(sa_ipv4(dst), mask)
        };
        let gw = match m.addr(RTAX_GATEWAY) {
            Some(g) if sa_family(g) == Some(AF_LINK) => link_text(g),
            Some(g) if v6 => inet6::route_host_text(g),
            Some(g) => fmt_ipv4(sa_ipv4(g)),
            None => String::new(),
        };
        let mtu = m.mtu();
        let mtu = if mtu == 0 {
            "-".to_string()
        } else {
            mtu.to_string()
        };
        let ifname = names.get(&m.index).cloned().unwrap_or_default();
        println!(
            "{dest:<wd$} {gw:<wg$} {:<6.6} {:>6} {:>8} {mtu:>6}  {ifname:.16}",
            rt_flags(m.flags & interesting),
            "-",
            "-"
        );
    }
    Ok(())
}
