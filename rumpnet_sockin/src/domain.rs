//! sockin's families as the socket layer sees them (`sockindomain`,
//! `sockin6domain`): TCP and UDP sockets only.

use crate::poller::Poller;
use crate::socket::SockinSocket;
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use rumpnet::net::Domain;
use rumpnet::socket::{ProtoSocket, SOCK_DGRAM, SOCK_STREAM};
use std::sync::Arc;

const IPPROTO_TCP: i32 = netbsd_abi::IPPROTO_TCP;
const IPPROTO_UDP: i32 = netbsd_abi::IPPROTO_UDP;

/// `AF_INET` or `AF_INET6` over host sockets.
pub struct SockinDomain {
    /// `AF_INET` or `AF_INET6`.
    pub family: u8,
    /// The kernel's watcher of host sockets.
    pub poller: Arc<Poller>,
}

impl Domain for SockinDomain {
    fn family(&self) -> u8 {
        self.family
    }

    /// As sockin's protosw: stream sockets are TCP, datagram sockets UDP;
    /// another type is EPROTONOSUPPORT (no raw sockets: the host's
    /// stack is not ours to inject into).
    fn socket(&self, ctx: &Ctx, typ: i32, protocol: i32) -> KResult<Arc<dyn ProtoSocket>> {
        let default = match typ {
            SOCK_STREAM => IPPROTO_TCP,
            SOCK_DGRAM => IPPROTO_UDP,
            _ => return Err(Errno::EPROTONOSUPPORT),
        };
        if protocol != 0 && protocol != default {
            return Err(Errno::EPROTONOSUPPORT);
        }
        let s = SockinSocket::create(ctx, &self.poller, self.family, typ, default)?;
        Ok(s)
    }
}
