//! The portmapper, version 2 (RFC 1833 section 3): where a program's
//! server listens. rpcbind answers version 2 on port 111 as well.

use crate::rpc::{Credentials, RpcError};
use crate::xdr::{Decoder, Encoder, XdrError};

/// The portmapper's program number.
pub const PMAP_PROG: u32 = 100_000;
/// Its version 2.
pub const PMAP_VERS: u32 = 2;
/// Its well-known port.
pub const PMAP_PORT: u16 = 111;
/// `PMAPPROC_GETPORT`.
pub const PMAPPROC_GETPORT: u32 = 3;
/// `IPPROTO_TCP` as the portmapper names transports.
pub const IPPROTO_TCP: u32 = netbsd_abi::IPPROTO_TCP as u32;
/// `IPPROTO_UDP`.
pub const IPPROTO_UDP: u32 = netbsd_abi::IPPROTO_UDP as u32;

/// The arguments of `GETPORT`: program, version and transport.
pub fn getport_args(prog: u32, vers: u32, prot: u32) -> Vec<u8> {
    let mut e = Encoder::new();
    e.u32(prog).u32(vers).u32(prot).u32(0);
    e.into_bytes()
}

/// The port a `GETPORT` reply names; `None` when the program is not
/// registered (port 0). A port beyond 16 bits is garbage.
pub fn getport_result(res: &[u8]) -> Result<Option<u16>, RpcError> {
    let mut d = Decoder::new(res);
    let port = d.u32()?;
    d.finish()?;
    match u16::try_from(port) {
        Ok(0) => Ok(None),
        Ok(p) => Ok(Some(p)),
        Err(_) => Err(XdrError::BadValue.into()),
    }
}

/// Ask the portmapper on `client` where `prog` version `vers` listens on
/// transport `prot`.
pub fn getport<S: std::io::Read + std::io::Write>(
    client: &mut crate::rpc::StreamClient<S>,
    prog: u32,
    vers: u32,
    prot: u32,
) -> Result<Option<u16>, RpcError> {
    let args = getport_args(prog, vers, prot);
    let res = client.call(
        PMAP_PROG,
        PMAP_VERS,
        PMAPPROC_GETPORT,
        &Credentials::None,
        &args,
    )?;
    getport_result(&res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getport_results_are_checked() {
        assert_eq!(getport_result(&[0, 0, 8, 1]), Ok(Some(2049)));
        assert_eq!(getport_result(&[0, 0, 0, 0]), Ok(None));
        assert!(getport_result(&[0, 1, 0, 0]).is_err());
        assert!(getport_result(&[0, 0, 8]).is_err());
        assert!(getport_result(&[0, 0, 8, 1, 0, 0, 0, 0]).is_err());
    }
}
