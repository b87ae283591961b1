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
