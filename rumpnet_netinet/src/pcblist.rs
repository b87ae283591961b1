//! `net.inet.{tcp,udp,raw}.pcblist`: the protocol control blocks as NetBSD's
//! `struct kinfo_pcb` records, which `netstat -a` and `sockstat` read with
//! `sysctl(CTL_NET, PF_INET, proto, <pcblist>, op, arg, elem_size,
//! elem_count)`.

use crate::addr::{self, AF_INET};
use crate::inet::Inet;
use crate::pcb::Pcb;
use rump::sysctl::{NodeData, NodeSpec, SysctlAnswer, SysctlHandler};
use rump::{Errno, KResult, Kernel};
use std::sync::{Arc, Weak};

/// `sizeof(struct kinfo_pcb)`.
pub const KINFO_PCB_LEN: usize = 640;
/// `PCB_SLOP`: entries a size asked for leaves room for.
const PCB_SLOP: usize = 20;

/// The fields of `struct kinfo_pcb`, byte offsets on amd64.
mod field {
    pub const PCBADDR: usize = 0;
    pub const SOCKADDR: usize = 16;
    pub const FAMILY: usize = 24;
    pub const TYPE: usize = 28;
    pub const PROTOCOL: usize = 32;
    pub const PRSTATE: usize = 44;
    pub const TSTATE: usize = 48;
    pub const RCVQ: usize = 56;
    pub const SNDQ: usize = 64;
    pub const SRC: usize = 72;
    pub const DST: usize = 336;
}

/// The protocols with a list.
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;
const IPPROTO_RAW: u8 = 255;

/// `INP_BOUND`, `INP_CONNECTED` (`ki_prstate`).
const INP_BOUND: u32 = 1;
const INP_CONNECTED: u32 = 2;

/// One protocol control block as the list reports it.
#[derive(Clone, Debug, Default)]
pub struct PcbInfo {
    /// A number that names the socket (NetBSD gives kernel addresses).
    pub id: u64,
    /// `SOCK_*`.
    pub typ: u32,
    /// `IPPROTO_*`.
    pub proto: u32,
    /// The addresses and ports.
    pub pcb: Pcb,
    /// `TCPS_*` for TCP, else 0.
    pub tstate: i32,
    /// Bytes waiting to be read.
    pub rcvq: u64,
    /// Bytes waiting to be sent (or acknowledged).
    pub sndq: u64,
}

impl PcbInfo {
    /// The `struct kinfo_pcb`.
    pub fn record(&self) -> [u8; KINFO_PCB_LEN] {
        let mut r = [0u8; KINFO_PCB_LEN];
        let put32 =
            |r: &mut [u8], at: usize, v: u32| r[at..at + 4].copy_from_slice(&v.to_ne_bytes());
        let put64 =
            |r: &mut [u8], at: usize, v: u64| r[at..at + 8].copy_from_slice(&v.to_ne_bytes());
        put64(&mut r, field::PCBADDR, self.id);
        put64(&mut r, field::SOCKADDR, self.id);
        put32(&mut r, field::FAMILY, u32::from(AF_INET));
        put32(&mut r, field::TYPE, self.typ);
        put32(&mut r, field::PROTOCOL, self.proto);
        let connected = self.pcb.connected || self.pcb.fport != 0;
        let prstate = if connected {
            INP_CONNECTED
        } else if self.pcb.lport != 0 {
            INP_BOUND
        } else {
            0
        };
        put32(&mut r, field::PRSTATE, prstate);
        put32(&mut r, field::TSTATE, self.tstate as u32);
        put64(&mut r, field::RCVQ, self.rcvq);
        put64(&mut r, field::SNDQ, self.sndq);
        let src = addr::sockaddr(self.pcb.laddr, self.pcb.lport);
        r[field::SRC..field::SRC + src.len()].copy_from_slice(&src);
        // The foreign address only once connected: zeros read as `*.*`.
        if connected {
            let dst = addr::sockaddr(self.pcb.faddr, self.pcb.fport);
            r[field::DST..field::DST + dst.len()].copy_from_slice(&dst);
        }
        r
    }
}

/// The blocks of one protocol, newest first, as NetBSD keeps its table.
fn entries(inet: &Inet, proto: u8) -> Vec<PcbInfo> {
    use rumpnet::socket::ProtoSocket;
    let Some(k) = inet.kernel_weak().upgrade() else {
        return Vec::new();
    };
    // Named as kern.file2 names the socket's file, without its address.
    let id = |p: *const ()| k.kaddr(p as usize);
    let mut v: Vec<PcbInfo> = match proto {
        IPPROTO_TCP => crate::tcp::socket::TcpSocket::list(inet)
            .iter()
            .map(|s| {
                let (pcb, tstate, rcvq, sndq) = s.describe_numeric();
                PcbInfo {
                    id: id(Arc::as_ptr(s).cast()),
                    typ: rumpnet::socket::SOCK_STREAM as u32,
                    proto: u32::from(proto),
                    pcb,
                    tstate,
                    rcvq: rcvq as u64,
                    sndq: sndq as u64,
                }
            })
            .collect(),
        IPPROTO_UDP => crate::udp::UdpSocket::sockets(inet)
            .iter()
            .map(|s| PcbInfo {
                id: id(Arc::as_ptr(s).cast()),
                typ: rumpnet::socket::SOCK_DGRAM as u32,
                proto: u32::from(proto),
                pcb: s.pcb(),
                rcvq: s.nread() as u64,
                ..PcbInfo::default()
            })
            .collect(),
        _ => crate::raw::RawSocket::list(inet)
            .iter()
            .map(|s| {
                let (p, pcb) = s.describe();
                PcbInfo {
                    id: id(Arc::as_ptr(s).cast()),
                    typ: rumpnet::socket::SOCK_RAW as u32,
                    proto: u32::from(p),
                    pcb,
                    rcvq: s.nread() as u64,
                    ..PcbInfo::default()
                }
            })
            .collect(),
    };
    v.reverse();
    v
}

/// The answer to `pcblist.<op>.<arg>.<elem_size>.<elem_count>`
/// (`sysctl_inpcblist`): a size with room for [`PCB_SLOP`] more when the
/// caller asks how much; otherwise at most `elem_count` records, and the
/// length of all of them.
fn pcblist(inet: &Inet, proto: u8, name: &[i32], cap: Option<usize>) -> KResult<SysctlAnswer> {
    let &[_op, _arg, elem_size, elem_count] = name else {
        return Err(Errno::EINVAL);
    };
    let all = entries(inet, proto);
    let Some(cap) = cap else {
        return Ok(SysctlAnswer {
            data: Vec::new(),
            len: (all.len() + PCB_SLOP) * KINFO_PCB_LEN,
        });
    };
    if usize::try_from(elem_size).ok() != Some(KINFO_PCB_LEN) {
        return Err(Errno::EINVAL);
    }
    // NetBSD copies what fits and reports it without ENOMEM.
    let n = all
        .len()
        .min(usize::try_from(elem_count).unwrap_or(0))
        .min(cap / KINFO_PCB_LEN);
    Ok(all[..n]
        .iter()
        .flat_map(|e| e.record())
        .collect::<Vec<u8>>()
        .into())
}

/// Make the `pcblist` nodes (numbered at boot, as NetBSD does).
pub(crate) fn register(k: &Kernel, inet: &Arc<Inet>) -> KResult<()> {
    for (parent, proto) in [
        ("net.inet.tcp", IPPROTO_TCP),
        ("net.inet.udp", IPPROTO_UDP),
        ("net.inet.raw", IPPROTO_RAW),
    ] {
        let w: Weak<Inet> = Arc::downgrade(inet);
        let h: SysctlHandler = Arc::new(move |name, _cred, cap, new| {
            if new.is_some() {
                return Err(Errno::EPERM);
            }
            let inet = w.upgrade().ok_or(Errno::ENXIO)?;
            pcblist(&inet, proto, name, cap)
        });
        k.sysctl().create(
            parent,
            NodeSpec::new(
                "pcblist",
                0,
                "Protocol control block list",
                NodeData::Handler(h),
            ),
        )?;
    }
    Ok(())
}
