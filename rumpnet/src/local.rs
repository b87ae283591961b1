//! The local domain (`AF_LOCAL`).
//!
//! Not built yet: `socketpair` answers EOPNOTSUPP until local-domain
//! sockets arrive with the rest of the network issue.

use crate::socket::ProtoSocket;
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use std::sync::Arc;

/// `AF_LOCAL`.
pub const AF_LOCAL: i32 = 1;

/// A connected pair (`socketpair(2)`).
pub fn pair(
    _ctx: &Ctx,
    domain: i32,
    _typ: i32,
    _protocol: i32,
) -> KResult<(Arc<dyn ProtoSocket>, Arc<dyn ProtoSocket>)> {
    if domain != AF_LOCAL {
        return Err(Errno::EOPNOTSUPP);
    }
    Err(Errno::EOPNOTSUPP)
}
