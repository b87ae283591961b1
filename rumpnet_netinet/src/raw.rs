//! Raw IP sockets (`rip_usrreq`): they receive a copy of every datagram of
//! their protocol, header included, and send either a payload the stack
//! puts a header on or, with `IP_HDRINCL`, a whole datagram.

use crate::addr::{self, ANY, PcbAddr};
use crate::inet::Inet;
use crate::pcb::{Datagram, DgramState, Pcb};
use crate::wire::ipv4::{self, Repr as IpRepr};
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use rumpnet::pkt::Pkt;
use rumpnet::socket::{ProtoSocket, Received, SOCK_RAW, SockShared};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// Default buffers (`rip_recvspace`, `rip_sendspace`).
const RECVSPACE: usize = 65536;
const SENDSPACE: usize = 65536;

/// A raw socket for protocol `proto` (0: every protocol).
pub struct RawSocket {
    inet: Arc<Inet>,
    proto: u8,
    shared: SockShared,
    st: Mutex<DgramState>,
    me: Weak<RawSocket>,
}

impl RawSocket {
    /// A new raw socket, registered for input. Only root may make one.
    pub fn new(ctx: &Ctx, inet: &Arc<Inet>, proto: i32) -> KResult<Arc<RawSocket>> {
        if ctx.cred().euid != 0 {
            return Err(Errno::EACCES);
        }
        let proto = u8::try_from(proto).map_err(|_| Errno::EPROTONOSUPPORT)?;
        let s = Arc::new_cyclic(|me| RawSocket {
            inet: Arc::clone(inet),
            proto,
            shared: SockShared::new(inet.kernel_weak(), RECVSPACE, SENDSPACE),
            // IPPROTO_RAW sockets always supply their header.
            st: Mutex::new(DgramState::new(proto == 255)),
            me: me.clone(),
        });
        let mut st = inet.lock();
        st.raw.retain(|w| w.strong_count() > 0);
        st.raw.push(Arc::downgrade(&s));
        Ok(s)
    }

    fn lock(&self) -> MutexGuard<'_, DgramState> {
        rump::sync::lock(&self.st)
    }

    /// The socket's protocol and addressing (for `netstat`, `sockstat`).
    pub fn describe(&self) -> (u8, Pcb) {
        (self.proto, self.lock().pcb.clone())
    }

    /// Every open raw socket.
    pub fn list(inet: &Inet) -> Vec<Arc<RawSocket>> {
        inet.lock().raw.iter().filter_map(Weak::upgrade).collect()
    }
}

impl ProtoSocket for RawSocket {
    fn shared(&self) -> &SockShared {
        &self.shared
    }

    fn kind(&self) -> (i32, i32, i32) {
        (i32::from(addr::AF_INET), SOCK_RAW, i32::from(self.proto))
    }

    fn bind(&self, _ctx: &Ctx, sa: &[u8]) -> KResult<()> {
        let (a, _) = addr::parse_sockaddr(sa)?;
        // rip_bind refuses a duplicated or detached address but takes a
        // tentative one: it tests IN6_IFF_NOTREADY (IPv6's tentative and
        // duplicated bits, IPv4's duplicated and detached ones).
        let refused = crate::dad::IN_IFF_DUPLICATED | crate::dad::IN_IFF_DETACHED;
        if a != ANY && self.inet.local_flags(a).is_none_or(|f| f & refused != 0) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        self.lock().pcb.laddr = PcbAddr::v4(a);
        Ok(())
    }

    fn connect(&self, _ctx: &Ctx, sa: &[u8]) -> KResult<()> {
        let (a, _) = addr::parse_sockaddr(sa)?;
        let mut s = self.lock();
        s.pcb.faddr = PcbAddr::v4(a);
        s.pcb.connected = true;
        Ok(())
    }

    fn send(&self, _ctx: &Ctx, data: &[u8], to: Option<&[u8]>, _flags: i32) -> KResult<usize> {
        let (pcb, wr_shut) = {
            let s = self.lock();
            (s.pcb.clone(), s.wr_shut)
        };
        if wr_shut {
            return Err(Errno::EPIPE);
        }
        let dst = match (to, pcb.connected) {
            (Some(sa), _) => addr::parse_sockaddr(sa)?.0,
            (None, true) => pcb.faddr.low32(),
            (None, false) => return Err(Errno::EDESTADDRREQ),
        };
        if data.len() > self.shared.opts().sndbuf {
            return Err(Errno::EMSGSIZE);
        }
        let so = self.shared.opts();
        let o = pcb.out_opts(&self.inet, &so, dst);
        if pcb.hdrincl {
            // The caller's header; its length and checksum are the
            // kernel's to fill in (NetBSD takes ip_len in host order from
            // a raw socket, so both orders are accepted here).
            if data.len() < ipv4::HEADER_LEN {
                return Err(Errno::EINVAL);
            }
            let hl = usize::from(data[0] & 0xf) * 4;
            if data[0] >> 4 != 4 || hl < ipv4::HEADER_LEN || hl > data.len() {
                return Err(Errno::EINVAL);
            }
            let mut pkt = Pkt::with_payload(data);
            let b = pkt.data_mut();
            b[2..4].copy_from_slice(&(data.len() as u16).to_be_bytes());
            // The destination is the one given to sendto.
            b[16..20].copy_from_slice(&dst.to_be_bytes());
            b[10..12].copy_from_slice(&[0, 0]);
            let c = rumpnet::wire::checksum::checksum(&b[..hl]);
            b[10..12].copy_from_slice(&c.to_be_bytes());
            self.inet.output_raw(pkt, &o)?;
        } else {
            let src = (!pcb.laddr.is_any()).then_some(pcb.laddr.low32());
            self.inet
                .output(self.proto, src, dst, Pkt::with_payload(data), &o)?;
        }
        Ok(data.len())
    }

    fn recv(&self, buf: &mut [u8], flags: i32) -> KResult<Received> {
        self.lock().recv(buf, flags)
    }

    fn shutdown(&self, how: i32) -> KResult<()> {
        self.lock().shutdown(how);
        self.shared.wait.wakeup();
        Ok(())
    }

    fn sockname(&self) -> KResult<Vec<u8>> {
        Ok(addr::sockaddr(self.lock().pcb.laddr.low32(), 0))
    }

    fn peername(&self) -> KResult<Vec<u8>> {
        let s = self.lock();
        if !s.pcb.connected {
            return Err(Errno::ENOTCONN);
        }
        Ok(addr::sockaddr(s.pcb.faddr.low32(), 0))
    }

    fn setopt(&self, level: i32, name: i32, v: &[u8]) -> KResult<()> {
        self.lock().setopt(level, name, v)
    }

    fn getopt(&self, level: i32, name: i32) -> KResult<Vec<u8>> {
        self.lock().getopt(&self.inet, level, name)
    }

    fn poll(&self, events: i16) -> i16 {
        self.lock().poll(events)
    }

    fn close(&self) {
        let me = self.me.clone();
        self.inet
            .lock()
            .raw
            .retain(|w| w.strong_count() > 0 && !w.ptr_eq(&me));
    }

    fn nread(&self) -> usize {
        self.lock().rcv.next_len()
    }

    fn rcv_cc(&self) -> usize {
        self.lock().rcv.cc()
    }
}

/// Give a copy of datagram `pkt` (its header `ip` included) to every raw
/// socket that wants it (`rip_input`); whether any did.
pub fn input(inet: &Inet, ip: &IpRepr, pkt: &Pkt) -> bool {
    let socks = RawSocket::list(inet);
    if socks.is_empty() {
        return false;
    }
    let (src, dst) = (addr::to_u32(ip.src), addr::to_u32(ip.dst));
    let from = addr::sockaddr(src, 0);
    let (src, dst) = (PcbAddr::v4(src), PcbAddr::v4(dst));
    let mut any = false;
    for s in socks {
        let ok = {
            let st = s.lock();
            (s.proto == 0 || s.proto == ip.protocol)
                && (st.pcb.laddr.is_any() || st.pcb.laddr == dst)
                && (!st.pcb.connected || st.pcb.faddr == src)
                && !st.rd_shut
        };
        if !ok {
            continue;
        }
        any = true;
        let limit = s.shared.opts().rcvbuf;
        let queued = s.lock().rcv.push(
            Datagram {
                from: from.clone(),
                data: pkt.data().to_vec(),
                control: Vec::new(),
            },
            limit,
        );
        if queued {
            s.shared.wait.wakeup();
        }
    }
    any
}
