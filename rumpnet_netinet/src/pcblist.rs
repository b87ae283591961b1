//! `net.inet.{tcp,udp,raw}.pcblist`: the protocol control blocks as NetBSD's
//! `struct kinfo_pcb` records, which `netstat -a` and `sockstat` read with
//! `sysctl(CTL_NET, PF_INET, proto, <pcblist>, op, arg, elem_size,
//! elem_count)`.

use crate::addr::{AF_INET, AF_INET6};
use crate::inet::Inet;
use crate::pcb::Pcb;
use rump::sysctl::{NodeData, NodeSpec, SysctlHandler};
use rump::{Errno, KResult, Kernel};
use rumpnet::pcblist::{KINFO_PCB_LEN, KinfoPcb};
use std::sync::{Arc, Weak};

/// The protocols with a list.
const IPPROTO_TCP: u8 = netbsd_abi::IPPROTO_TCP as u8;
const IPPROTO_UDP: u8 = netbsd_abi::IPPROTO_UDP as u8;
const IPPROTO_RAW: u8 = netbsd_abi::IPPROTO_RAW as u8;

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
        self.kinfo().record()
    }

    /// As the list's record format takes it.
    pub fn kinfo(&self) -> KinfoPcb {
        let connected = self.pcb.connected || self.pcb.fport != 0;
        let prstate = if connected {
            INP_CONNECTED
        } else if self.pcb.lport != 0 {
            INP_BOUND
        } else {
            0
        };
        KinfoPcb {
            id: self.id,
            family: u32::from(if self.pcb.v6 { AF_INET6 } else { AF_INET }),
            typ: self.typ,
            protocol: self.proto,
            prstate,
            tstate: self.tstate,
            rcvq: self.rcvq,
            sndq: self.sndq,
            src: self.pcb.local_sockaddr(),
            dst: connected.then(|| self.pcb.foreign_sockaddr()),
            conn: 0,
        }
    }
}

/// The blocks of one protocol and family (IPv6 when `v6`), newest first,
/// as NetBSD keeps its table.
fn entries(inet: &Inet, proto: u8, v6: bool) -> Vec<PcbInfo> {
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
    v.retain(|p| p.pcb.v6 == v6);
    v.reverse();
    v
}

/// Make the `pcblist` nodes (numbered at boot, as NetBSD does).
pub(crate) fn register(k: &Kernel, inet: &Arc<Inet>) -> KResult<()> {
    register_lists(
        k,
        inet,
        &[
            ("net.inet.tcp", IPPROTO_TCP),
            ("net.inet.udp", IPPROTO_UDP),
            ("net.inet.raw", IPPROTO_RAW),
        ],
        false,
    )
}

/// Make a `pcblist` node under each of `lists` (parent node, protocol)
/// listing the sockets of the IPv6 family when `v6`, else IPv4's:
/// `rumpnet_netinet6` makes `net.inet6.tcp6.pcblist` and
/// `net.inet6.udp6.pcblist` with it.
pub fn register_lists(k: &Kernel, inet: &Arc<Inet>, lists: &[(&str, u8)], v6: bool) -> KResult<()> {
    for &(parent, proto) in lists {
        let w: Weak<Inet> = Arc::downgrade(inet);
        let h: SysctlHandler = Arc::new(move |name, _cred, cap, new| {
            if new.is_some() {
                return Err(Errno::EPERM);
            }
            let inet = w.upgrade().ok_or(Errno::ENXIO)?;
            let all: Vec<KinfoPcb> = entries(&inet, proto, v6)
                .iter()
                .map(PcbInfo::kinfo)
                .collect();
            rumpnet::pcblist::answer(&all, name, cap)
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
