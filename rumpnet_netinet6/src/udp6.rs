//! UDP sockets of the IPv6 family, as far as they go without UDP over
//! IPv6: `connect` chooses the route and source address and
//! `getsockname` reports it (what `ping6` and `traceroute6` use a
//! "dummy" UDP socket for), and the address ioctls `ifconfig` makes on
//! one. Binding, sending and receiving need netinet's pcbs to take IPv6
//! addresses and fail with EOPNOTSUPP and a console message until then.

use crate::addr::{self, ScopedAddr};
use crate::inet6::Inet6;
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use rumpnet::ifnet::LinkType;
use rumpnet::socket::{ProtoSocket, Received, SOCK_DGRAM, SockShared};
use std::net::Ipv6Addr;
use std::sync::{Arc, Mutex, MutexGuard};

/// `udp6_sendspace`, `udp6_recvspace` (`net.inet6.udp6`).
const SENDSPACE: usize = 9216;
const RECVSPACE: usize = 42080;

#[derive(Debug, Default)]
struct State {
    laddr: Option<ScopedAddr>,
    faddr: Option<(ScopedAddr, u16)>,
}

/// A UDP socket of the IPv6 family.
pub struct Udp6Socket {
    inet: Arc<Inet6>,
    shared: SockShared,
    st: Mutex<State>,
}

impl Udp6Socket {
    /// A new socket.
    pub fn new(inet: &Arc<Inet6>) -> Arc<Udp6Socket> {
        Arc::new(Udp6Socket {
            inet: Arc::clone(inet),
            shared: SockShared::new(inet.kernel_weak(), RECVSPACE, SENDSPACE),
            st: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        rump::sync::lock(&self.st)
    }

    fn not_yet(&self, what: &str) -> Errno {
        if let Some(k) = self.inet.kernel() {
            k.printf(&format!(
                "udp6: {what} is not supported yet (no UDP over IPv6)"
            ));
        }
        Errno::EOPNOTSUPP
    }
}

impl ProtoSocket for Udp6Socket {
    fn shared(&self) -> &SockShared {
        &self.shared
    }

    fn kind(&self) -> (i32, i32, i32) {
        (
            i32::from(addr::AF_INET6),
            SOCK_DGRAM,
            netbsd_abi::IPPROTO_UDP,
        )
    }

    fn bind(&self, _ctx: &Ctx, _addr: &[u8]) -> KResult<()> {
        Err(self.not_yet("bind"))
    }

    /// `udp6_connect` as far as `in6_pcbconnect` goes: the route and the
    /// source address are chosen, no datagram moves.
    fn connect(&self, _ctx: &Ctx, sa: &[u8]) -> KResult<()> {
        let (dst, port) = addr::parse_sockaddr(sa)?;
        if port == 0 {
            return Err(Errno::EADDRNOTAVAIL);
        }
        let net = self.inet.net().ok_or(Errno::ENXIO)?;
        let ifp = self.inet.route(&net, &dst)?;
        let src = if ifp.link_type() == LinkType::Loopback {
            dst.addr
        } else {
            self.inet.select_source(&ifp, &dst.addr)?
        };
        let scope = if addr::is_link_scoped(&src) {
            u32::from(ifp.index)
        } else {
            0
        };
        let mut s = self.lock();
        s.laddr = Some(ScopedAddr { addr: src, scope });
        s.faddr = Some((dst, port));
        Ok(())
    }

    fn send(&self, _ctx: &Ctx, _data: &[u8], _to: Option<&[u8]>, _flags: i32) -> KResult<usize> {
        Err(self.not_yet("sending"))
    }

    fn recv(&self, _buf: &mut [u8], _flags: i32) -> KResult<Received> {
        Err(self.not_yet("receiving"))
    }

    fn sockname(&self) -> KResult<Vec<u8>> {
        let l = self.lock().laddr.unwrap_or(ScopedAddr {
            addr: Ipv6Addr::UNSPECIFIED,
            scope: 0,
        });
        // The port stays 0: nothing is bound without UDP over IPv6.
        Ok(addr::sockaddr(&l.addr, 0, l.scope))
    }

    fn peername(&self) -> KResult<Vec<u8>> {
        let (f, port) = self.lock().faddr.ok_or(Errno::ENOTCONN)?;
        Ok(addr::sockaddr(&f.addr, port, f.scope))
    }

    fn poll(&self, events: i16) -> i16 {
        rumpnet::socket::poll_bits(events, false, false, false)
    }
}
