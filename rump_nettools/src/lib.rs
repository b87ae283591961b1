//! What the network tools share: system calls on a remote kernel's
//! sockets, interface ioctls and their structures in NetBSD's layout.

use rumpclient::{Client, Errno, Regions};

/// `AF_INET`.
pub const AF_INET: u8 = 2;
/// `AF_LINK`.
pub const AF_LINK: u8 = 18;
/// `SOCK_DGRAM`, `SOCK_RAW`.
pub const SOCK_DGRAM: u64 = 2;
/// `SOCK_RAW`.
pub const SOCK_RAW: u64 = 3;
/// `IPPROTO_ICMP`.
pub const IPPROTO_ICMP: u64 = 1;

/// Interface ioctls.
pub mod sio {
    /// `SIOCSIFFLAGS`.
    pub const SIFFLAGS: u64 = 0x8090_6910;
    /// `SIOCGIFFLAGS`.
    pub const GIFFLAGS: u64 = 0xc090_6911;
    /// `SIOCGIFMTU`.
    pub const GIFMTU: u64 = 0xc090_697e;
    /// `SIOCSIFMTU`.
    pub const SIFMTU: u64 = 0x8090_697f;
    /// `SIOCGIFMETRIC`.
    pub const GIFMETRIC: u64 = 0xc090_6917;
    /// `SIOCGIFCONF`.
    pub const GIFCONF: u64 = 0xc010_6926;
    /// `SIOCIFCREATE`.
    pub const IFCREATE: u64 = 0x8090_697a;
    /// `SIOCIFDESTROY`.
    pub const IFDESTROY: u64 = 0x8090_6979;
    /// `SIOCIFGCLONERS`.
    pub const IFGCLONERS: u64 = 0xc010_6978;
    /// `SIOCGLINKSTR`.
    pub const GLINKSTR: u64 = 0xc028_6987;
    /// `SIOCSLINKSTR`.
    pub const SLINKSTR: u64 = 0x8028_6988;
    /// `SIOCAIFADDR`.
    pub const AIFADDR: u64 = 0x8040_691a;
    /// `SIOCDIFADDR`.
    pub const DIFADDR: u64 = 0x8090_6919;
    /// `SIOCGIFADDR`.
    pub const GIFADDR: u64 = 0xc090_6921;
    /// `SIOCGIFALIAS`.
    pub const GIFALIAS: u64 = 0xc040_691b;
    /// `SIOCGIFAFLAG_IN`.
    pub const GIFAFLAG_IN: u64 = 0xc090_6927;
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
        match c.syscall(394, &[u64::from(AF_INET), SOCK_DGRAM, 0], &m) {
            Ok(r) => Some(Ctl { c, fd: r[0] as u64 }),
            Err(e) => {
                eprintln!("{prog}: socket: {}", e.description());
                None
            }
        }
    }

    /// `ioctl(fd, cmd, data)`: `data` is copied in and out.
    pub fn ioctl(&self, cmd: u64, data: &mut [u8]) -> Result<(), Errno> {
        let m = Regions::new();
        let a = m.add(data);
        self.c.syscall(54, &[self.fd, cmd, a], &m)?;
        data.copy_from_slice(&m.get(a)[..data.len()]);
        Ok(())
    }

    /// `ioctl` with extra memory the structure points into.
    pub fn ioctl_with(&self, cmd: u64, data: &mut [u8], m: &Regions) -> Result<(), Errno> {
        let a = m.add(data);
        self.c.syscall(54, &[self.fd, cmd, a], m)?;
        data.copy_from_slice(&m.get(a)[..data.len()]);
        Ok(())
    }
}

/// A `struct ifreq` (144 bytes) naming `name`.
pub fn ifreq(name: &str) -> [u8; 144] {
    let mut r = [0u8; 144];
    let n = name.len().min(15);
    r[..n].copy_from_slice(&name.as_bytes()[..n]);
    r
}

/// `struct sockaddr_in` for `a`.
pub fn sockaddr_in(a: [u8; 4], port: u16) -> [u8; 16] {
    let mut s = [0u8; 16];
    s[0] = 16;
    s[1] = AF_INET;
    s[2..4].copy_from_slice(&port.to_be_bytes());
    s[4..8].copy_from_slice(&a);
    s
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
    let mut req = [0u8; 16];
    ctl.ioctl_with(sio::GIFCONF, &mut req, &m)?;
    let len = u32::from_le_bytes(req[0..4].try_into().unwrap_or_default()) as usize + 144 * 4;
    let m = Regions::new();
    let buf = m.add_zeroed(len);
    req[0..4].copy_from_slice(&(len as u32).to_le_bytes());
    req[8..16].copy_from_slice(&buf.to_le_bytes());
    ctl.ioctl_with(sio::GIFCONF, &mut req, &m)?;
    let got = u32::from_le_bytes(req[0..4].try_into().unwrap_or_default()) as usize;
    Ok(m.get(buf)[..got.min(len)]
        .chunks_exact(144)
        .map(|r| {
            let end = r[..16].iter().position(|&b| b == 0).unwrap_or(16);
            let salen = usize::from(r[16]).clamp(2, 128);
            IfConfEntry {
                name: String::from_utf8_lossy(&r[..end]).into_owned(),
                sa: r[16..16 + salen].to_vec(),
            }
        })
        .collect())
}

/// `NET_RT_DUMP`, `NET_RT_FLAGS`, `NET_RT_IFLIST`.
pub const NET_RT_DUMP: i32 = 1;
/// See [`NET_RT_DUMP`].
pub const NET_RT_FLAGS: i32 = 2;
/// See [`NET_RT_DUMP`].
pub const NET_RT_IFLIST: i32 = 5;
/// `RTM_IFINFO`, `RTM_NEWADDR`.
pub const RTM_IFINFO: u8 = 20;
/// See [`RTM_IFINFO`].
pub const RTM_NEWADDR: u8 = 12;
/// `RTF_LLDATA`.
pub const RTF_LLDATA: u32 = 0x400;

/// One routing message from a `net.route.rtable` dump.
#[derive(Clone, Debug, Default)]
pub struct RtMsg {
    /// `RTM_*`.
    pub typ: u8,
    /// Flags (`rtm_flags`, `ifm_flags`, `ifam_flags`).
    pub flags: u32,
    /// Interface index.
    pub index: u16,
    /// The sockaddrs by `RTA_*` bit number.
    pub addrs: [Option<Vec<u8>>; 9],
    /// The whole message.
    pub raw: Vec<u8>,
}

impl RtMsg {
    /// A 64-bit field of the header at `off`.
    pub fn u64_at(&self, off: usize) -> u64 {
        self.raw
            .get(off..off + 8)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u64::from_le_bytes)
    }
}

/// `RT_ROUNDUP`.
fn roundup8(n: usize) -> usize {
    if n == 0 { 8 } else { n.div_ceil(8) * 8 }
}

/// Split a dump into messages; a damaged tail is left out.
pub fn rt_messages(mut b: &[u8]) -> Vec<RtMsg> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let len = usize::from(u16::from_le_bytes([b[0], b[1]]));
        if len < 4 || len > b.len() {
            break;
        }
        let m = &b[..len];
        let word = |at: usize| {
            m.get(at..at + 4)
                .and_then(|x| x.try_into().ok())
                .map_or(0, u32::from_le_bytes)
        };
        let half = |at: usize| {
            m.get(at..at + 2)
                .and_then(|x| x.try_into().ok())
                .map_or(0, u16::from_le_bytes)
        };
        let (hdr, addrs, flags, index) = match m[3] {
            RTM_IFINFO => (152, word(4), word(8), half(12)),
            // RTM_NEWADDR, RTM_DELADDR; RTM_IFANNOUNCE has no addresses.
            RTM_NEWADDR | 13 => (24, word(4), word(8), half(16)),
            16 => (24, 0, 0, half(4)),
            _ => (120, word(12), word(8), half(4)),
        };
        let mut msg = RtMsg {
            typ: m[3],
            flags,
            index,
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
    Ok(rt_messages(&c.sysctl_read(&[4, 34, 0, af, op, arg])?))
}

/// Interface names by index, from the interface list.
pub fn if_names(c: &rumpclient::Client) -> Result<std::collections::HashMap<u16, String>, Errno> {
    Ok(rtable(c, 0, NET_RT_IFLIST, 0)?
        .into_iter()
        .filter(|m| m.typ == RTM_IFINFO)
        .filter_map(|m| {
            let sdl = m.addrs[4].as_ref()?;
            Some((m.index, sdl_name(sdl)))
        })
        .collect())
}

/// The interface name in a `sockaddr_dl`.
pub fn sdl_name(sdl: &[u8]) -> String {
    let n = usize::from(*sdl.get(5).unwrap_or(&0));
    String::from_utf8_lossy(sdl.get(8..8 + n).unwrap_or(&[])).into_owned()
}

/// A `sockaddr_dl` as netstat prints it: `link#N` when it names nothing,
/// the hardware address for Ethernet, else the name.
pub fn link_text(sdl: &[u8]) -> String {
    let (nlen, alen, slen) = (
        usize::from(*sdl.get(5).unwrap_or(&0)),
        usize::from(*sdl.get(6).unwrap_or(&0)),
        *sdl.get(7).unwrap_or(&0),
    );
    let index = u16::from_le_bytes([*sdl.get(2).unwrap_or(&0), *sdl.get(3).unwrap_or(&0)]);
    if nlen == 0 && alen == 0 && slen == 0 {
        return format!("link#{index}");
    }
    if alen > 0 {
        return hw_text(sdl.get(8 + nlen..8 + nlen + alen).unwrap_or(&[]));
    }
    sdl_name(sdl)
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
    let mut a = [0u8; 4];
    for (i, x) in a.iter_mut().enumerate() {
        *x = *sa.get(4 + i).unwrap_or(&0);
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
        let r = c.syscall(394, &[34, SOCK_RAW, 0], &Regions::new())?;
        Ok(RouteSock {
            c,
            fd: r[0] as u64,
            pid: c.getpid().unwrap_or(0),
            seq: 0,
        })
    }

    /// Write one message (`typ`, `flags`, sockaddrs by `RTA_*` bit) and
    /// read the kernel's answer to it. Err: what the write failed with.
    pub fn request(&mut self, typ: u8, flags: u32, addrs: &[(u32, &[u8])]) -> Result<RtMsg, Errno> {
        self.seq += 1;
        let mut msg = vec![0u8; 120];
        msg[2] = 4; // RTM_VERSION
        msg[3] = typ;
        msg[8..12].copy_from_slice(&flags.to_le_bytes());
        let mut bits = 0u32;
        for (bit, sa) in addrs {
            bits |= bit;
            let at = msg.len();
            msg.extend_from_slice(sa);
            msg.resize(at + roundup8(sa.len()), 0);
        }
        msg[12..16].copy_from_slice(&bits.to_le_bytes());
        msg[16..20].copy_from_slice(&self.pid.to_le_bytes());
        msg[20..24].copy_from_slice(&self.seq.to_le_bytes());
        let len = msg.len() as u16;
        msg[0..2].copy_from_slice(&len.to_le_bytes());
        let m = Regions::new();
        let buf = m.add(&msg);
        self.c.syscall(4, &[self.fd, buf, msg.len() as u64], &m)?;
        let rb = m.add_zeroed(2048);
        loop {
            let n = self.c.syscall(3, &[self.fd, rb, 2048], &m)?[0] as usize;
            let r = m.get(rb);
            let Some(a) = rt_messages(&r[..n.min(r.len())]).into_iter().next() else {
                continue;
            };
            let word =
                |at: usize| i32::from_le_bytes(a.raw[at..at + 4].try_into().unwrap_or_default());
            if a.raw.len() >= 120 && word(16) == self.pid && word(20) == self.seq {
                return Ok(a);
            }
        }
    }
}

/// Route flag letters in netstat's order, as NetBSD 7.99's
/// `sbin/route/rtutil.c` has them: `RTF_XRESOLVE`, `RTF_LLINFO` (which a
/// local route on an Ethernet carries) and `RTF_CLONED` are not shown.
const RT_FLAGS: [(u32, char); 16] = [
    (0x1, 'U'),
    (0x2, 'G'),
    (0x4, 'H'),
    (0x8, 'R'),
    (0x1000, 'B'),
    (0x10, 'D'),
    (0x20, 'M'),
    (0x40, 'd'),
    (0x80, 'm'),
    (0x100, 'C'),
    (0x800, 'S'),
    (0x8000, '1'),
    (0x4000, '2'),
    (0x20000, 'p'),
    (0x40000, 'l'),
    (0x80000, 'b'),
];

/// The flag letters of `f` that are in `interesting`.
fn rt_flags(f: u32) -> String {
    RT_FLAGS
        .iter()
        .filter(|(b, _)| f & b != 0)
        .map(|(_, c)| *c)
        .collect()
}

/// Print the routing table as netstat -rn and route show do
/// (`p_rttables`): only the flags in `interesting` are shown.
pub fn print_rttables(c: &rumpclient::Client, interesting: u32) -> Result<(), Errno> {
    let names = if_names(c)?;
    let msgs = rtable(c, 0, NET_RT_DUMP, 0)?;
    println!("Routing tables");
    let mut family = None;
    for m in msgs {
        let Some(dst) = m.addrs[0].as_ref() else {
            continue;
        };
        let af = dst.get(1).copied().unwrap_or(0);
        if family != Some(af) {
            match af {
                AF_INET => println!("\nInternet:"),
                _ => println!("\nProtocol Family {af}:"),
            }
            println!(
                "{:<18.18} {:<18.18} {:<6.6} {:>6.6} {:>8.8} {:>6.6} Interface",
                "Destination", "Gateway", "Flags", "Refs", "Use", "Mtu"
            );
            family = Some(af);
        }
        let dest = if m.flags & 0x4 != 0 || m.addrs[2].is_none() {
            let a = sa_ipv4(dst);
            if a == [0; 4] {
                "default".into()
            } else {
                fmt_ipv4(a)
            }
        } else {
            let mask = u32::from_be_bytes(sa_ipv4(m.addrs[2].as_deref().unwrap_or(&[])));
            netname4(sa_ipv4(dst), mask)
        };
        let gw = match m.addrs[1].as_deref() {
            Some(g) if g.get(1) == Some(&AF_LINK) => link_text(g),
            Some(g) => fmt_ipv4(sa_ipv4(g)),
            None => String::new(),
        };
        let mtu = m.u64_at(48);
        let mtu = if mtu == 0 {
            "-".to_string()
        } else {
            mtu.to_string()
        };
        let ifname = names.get(&m.index).cloned().unwrap_or_default();
        println!(
            "{dest:<18} {gw:<18} {:<6.6} {:>6} {:>8} {mtu:>6}  {ifname:.16}",
            rt_flags(m.flags & interesting),
            "-",
            "-"
        );
    }
    Ok(())
}
