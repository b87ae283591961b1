//! The mount(2) entry of file system type "nfs": the caller's `struct
//! nfs_args` read with `nfs_mount`'s checks, the server's address, the
//! root handle and the host name copied in from where it points, then a
//! connection to the server and the root's attributes. Like NetBSD's
//! kernel, it talks only NFS: `mount_nfs` asks the server's mount daemon
//! for the handle before it calls mount(2).

use crate::args::{MountParams, RawArgs};
use crate::conn::Connection;
use crate::fs::NfsFs;
use netbsd_abi::layout::sockaddr_in as sin;
use rump::usermem::{UserSpace, copyin_vec};
use rump::{Errno, KResult, Kernel};
use rumpvfs::MountArgs;
use rumpvfs::node::FileSystem;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;

/// `MNAMELEN`: the longest "host:/path" kept.
const MNAMELEN: usize = netbsd_abi::MNAMELEN as usize;
/// The largest socket address `sockargs` takes (`MLEN` on amd64; ours:
/// NetBSD's limit of a `sockaddr`'s one-byte length).
const MAX_SOCKADDR: u32 = 255;
const AF_INET: u64 = netbsd_abi::AF_INET as u64;

/// What an NFS mount was asked for, copied in.
#[derive(Clone, Debug)]
pub struct NfsMountArgs {
    /// The arguments as given.
    pub raw: RawArgs,
    /// The server's socket address, as the caller's bytes.
    pub addr: Vec<u8>,
    /// The root's file handle.
    pub fh: Vec<u8>,
    /// "host:/path", for the mount's name.
    pub hostname: Vec<u8>,
}

/// `ArgsReader` of "nfs": `struct nfs_args` and what it points at.
pub fn read_args(data: &[u8], us: &dyn UserSpace) -> KResult<MountArgs> {
    let raw = RawArgs::parse(data)?;
    if raw.addrlen < 2 || raw.addrlen > MAX_SOCKADDR {
        return Err(Errno::EINVAL);
    }
    let addr = copyin_vec(us, raw.addr, raw.addrlen as usize)?;
    let fh = copyin_vec(us, raw.fh, raw.fhsize)?;
    let hostname = us.copyinstr(raw.hostname, MNAMELEN)?;
    Ok(MountArgs {
        fs_args: Some(Arc::new(NfsMountArgs {
            raw,
            addr,
            fh,
            hostname,
        })),
        ..MountArgs::default()
    })
}

/// The server's IPv4 address from a NetBSD `sockaddr_in`.
fn server_address(sa: &[u8]) -> KResult<SocketAddrV4> {
    if sa.len() < sin::SIZE {
        return Err(Errno::EINVAL);
    }
    if sin::sin_family.get(sa) != Some(AF_INET) {
        return Err(Errno::EAFNOSUPPORT);
    }
    let port = u16::from_be_bytes([sa[sin::sin_port.offset], sa[sin::sin_port.offset + 1]]);
    let mut ip = [0u8; 4];
    ip.copy_from_slice(&sa[sin::sin_addr.range()]);
    Ok(SocketAddrV4::new(Ipv4Addr::from(ip), port))
}

/// `Mounter` of "nfs".
pub fn mount(k: &Kernel, a: &MountArgs) -> KResult<Arc<dyn FileSystem>> {
    let args = a.fs_args::<NfsMountArgs>().ok_or(Errno::EINVAL)?;
    let params = MountParams::decode(&args.raw)?;
    let refuse = |what: &str, e: Errno| {
        k.printf(&format!(
            "nfs: {}: {what} is not supported yet\n",
            String::from_utf8_lossy(&args.hostname)
        ));
        Err(e)
    };
    if !params.v3 {
        return refuse("NFSv2", Errno::EPROGMISMATCH);
    }
    let server = match server_address(&args.addr) {
        Err(Errno::EAFNOSUPPORT) => {
            return refuse("a server address other than IPv4", Errno::EAFNOSUPPORT);
        }
        r => r?,
    };
    let conn = Connection::new(k, server, params);
    let name = args.hostname.strip_suffix(&[0]).unwrap_or(&args.hostname);
    let from = String::from_utf8_lossy(name).into_owned();
    let fs = NfsFs::mount(conn, args.fh.clone(), from)?;
    Ok(fs as Arc<dyn FileSystem>)
}
