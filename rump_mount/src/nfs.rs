//! `rump.mount -t nfs host:/path node`: what NetBSD's `mount_nfs` does
//! on the host before mount(2). It asks the server's portmapper for the
//! mount daemon and the NFS daemon, asks the mount daemon for the
//! export's root handle (MNT, with the caller's credentials), and fills a
//! `struct nfs_args` with the address, the handle and `host:/path`; the
//! kernel's NFS client does the rest over its own sockets.

use netbsd_abi::layout::nfs_args as na;
use oncrpc::mount;
use oncrpc::portmap::{self, IPPROTO_TCP, IPPROTO_UDP, PMAP_PORT};
use oncrpc::rpc::{AuthSys, Credentials, StreamClient};
use rumpclient::Regions;
use std::net::{SocketAddr, SocketAddrV4, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The NFS program number (RFC 1813).
const NFS_PROGRAM: u32 = 100003;
/// The NFS port when the portmapper does not say (RFC 1813 §1.5).
const NFS_PORT: u16 = 2049;
/// How long the host side waits for the server's portmapper and mount
/// daemon, as mount_nfs's RPC timeouts bound it.
const RPC_TIMEOUT: Duration = Duration::from_secs(10);

/// mount_nfs's `-o` settings, with its defaults: NFSv3 over TCP from a
/// reserved port, unconnected, hard, `timeo=10`, `retrans=10`.
#[derive(Clone, Debug)]
pub struct NfsOptions {
    /// `NFSMNT_*` flags.
    pub flags: i32,
    /// `rsize=`, `wsize=` (0: the kernel's default).
    pub rsize: u32,
    /// See `rsize`.
    pub wsize: u32,
    /// `timeo=`, in tenths of a second.
    pub timeo: u32,
    /// `retrans=`.
    pub retrans: u32,
    /// `port=`: the NFS daemon's port instead of the portmapper's answer.
    pub port: Option<u16>,
    /// `udp` or `tcp` (the default): the NFS transport, a socket type.
    pub sotype: i32,
}

impl Default for NfsOptions {
    fn default() -> NfsOptions {
        use netbsd_abi::{NFSMNT_NFSV3, NFSMNT_NOCONN, NFSMNT_RESVPORT};
        NfsOptions {
            flags: NFSMNT_NFSV3 | NFSMNT_NOCONN | NFSMNT_RESVPORT,
            rsize: 0,
            wsize: 0,
            timeo: 10,
            retrans: 10,
            port: None,
            sotype: netbsd_abi::SOCK_STREAM,
        }
    }
}

/// Take `key[=value]` if it is one of mount_nfs's options: `None` if it
/// is not (the generic options handle it), else whether it was good.
pub fn option(o: &mut NfsOptions, key: &str, value: &str) -> Option<Result<(), String>> {
    use netbsd_abi::*;
    let num = |what: &str| {
        value
            .parse::<u32>()
            .map_err(|_| format!("-o {key}={value}: {what} is not a number"))
    };
    let mut set = |flag: i32, on: bool| {
        if on {
            o.flags |= flag;
        } else {
            o.flags &= !flag;
        }
        Ok(())
    };
    Some(match key {
        "soft" => set(NFSMNT_SOFT, true),
        "hard" => set(NFSMNT_SOFT, false),
        "intr" => set(NFSMNT_INT, true),
        "nointr" => set(NFSMNT_INT, false),
        "resvport" => set(NFSMNT_RESVPORT, true),
        "noresvport" => set(NFSMNT_RESVPORT, false),
        "conn" => set(NFSMNT_NOCONN, false),
        "noconn" => set(NFSMNT_NOCONN, true),
        "rdirplus" => set(NFSMNT_RDIRPLUS, true),
        "nfsv3" => Ok(()),
        "tcp" => {
            o.sotype = SOCK_STREAM;
            Ok(())
        }
        "udp" => {
            o.sotype = SOCK_DGRAM;
            Ok(())
        }
        "nfsv2" | "nqnfs" | "kerb" => Err(format!("-o {key}: not supported yet")),
        "rsize" => num("rsize").map(|n| {
            o.rsize = n;
            o.flags |= NFSMNT_RSIZE;
        }),
        "wsize" => num("wsize").map(|n| {
            o.wsize = n;
            o.flags |= NFSMNT_WSIZE;
        }),
        "timeo" => num("timeo").map(|n| {
            o.timeo = n;
            o.flags |= NFSMNT_TIMEO;
        }),
        "retrans" => num("retrans").map(|n| {
            o.retrans = n;
            o.flags |= NFSMNT_RETRANS;
        }),
        "port" => match value.parse::<u16>() {
            Ok(p) if p != 0 => {
                o.port = Some(p);
                Ok(())
            }
            _ => Err(format!("-o port={value}: not a port")),
        },
        _ => return None,
    })
}

/// `host:/path` taken apart, as mount_nfs's `getnfsargs` does (an IPv6
/// literal may be in brackets).
pub fn split_spec(spec: &str) -> Result<(&str, &str), String> {
    let (host, path) = match spec.strip_prefix('[') {
        Some(rest) => rest
            .split_once("]:")
            .ok_or_else(|| format!("{spec}: bad [host]:path"))?,
        None => spec
            .split_once(':')
            .ok_or_else(|| format!("no <host>:<dirpath> or <dirpath>@<host> spec: {spec}"))?,
    };
    if host.is_empty() || !path.starts_with('/') {
        return Err(format!(
            "no <host>:<dirpath> or <dirpath>@<host> spec: {spec}"
        ));
    }
    Ok((host, path))
}

/// The server's IPv4 address from the host's resolver.
fn server_address(host: &str) -> Result<SocketAddrV4, String> {
    let addrs = (host, PMAP_PORT)
        .to_socket_addrs()
        .map_err(|e| format!("can't get net id for host {host}: {e}"))?;
    let mut any6 = false;
    for a in addrs {
        match a {
            SocketAddr::V4(v4) => return Ok(v4),
            SocketAddr::V6(_) => any6 = true,
        }
    }
    Err(if any6 {
        format!("{host}: NFS over IPv6 is not supported yet")
    } else {
        format!("can't get net id for host {host}")
    })
}

/// The calling host user, as AUTH_SYS names it (`authunix_create_default`):
/// the effective user and group, which own `/proc/self`.
fn caller() -> Credentials {
    use std::os::unix::fs::MetadataExt;
    let (uid, gid) = std::fs::metadata("/proc/self").map_or((0, 0), |m| (m.uid(), m.gid()));
    let machine = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().as_bytes().to_vec())
        .unwrap_or_default();
    Credentials::Sys(AuthSys {
        stamp: 0,
        machine,
        uid,
        gid,
        gids: vec![gid],
    })
}

fn rpc_to(addr: SocketAddrV4, port: u16) -> Result<StreamClient<TcpStream>, String> {
    let to = SocketAddrV4::new(*addr.ip(), port);
    let s =
        TcpStream::connect_timeout(&to.into(), RPC_TIMEOUT).map_err(|e| format!("{to}: {e}"))?;
    let _ = s.set_read_timeout(Some(RPC_TIMEOUT));
    let _ = s.set_write_timeout(Some(RPC_TIMEOUT));
    Ok(StreamClient::new(s, std::process::id()))
}

/// What `host:/path` mounts: the NFS daemon's address and the export's
/// root handle, found as mount_nfs finds them.
pub fn locate(spec: &str, o: &NfsOptions) -> Result<(SocketAddrV4, Vec<u8>), String> {
    let (host, path) = split_spec(spec)?;
    let server = server_address(host)?;
    let mut pmap = rpc_to(server, PMAP_PORT)?;
    let mountd = portmap::getport(&mut pmap, mount::MOUNT_PROG, 3, IPPROTO_TCP)
        .map_err(|e| format!("{host}: portmapper: {e}"))?
        .ok_or_else(|| format!("{host}: no MOUNT v3 over TCP at the portmapper"))?;
    let fh = mount::mnt(&mut rpc_to(server, mountd)?, &caller(), path.as_bytes())
        .map_err(|e| format!("can't access {path}: {e}"))?
        .fh;
    let proto = if o.sotype == netbsd_abi::SOCK_DGRAM {
        IPPROTO_UDP
    } else {
        IPPROTO_TCP
    };
    let nfsd = match o.port {
        Some(p) => p,
        None => portmap::getport(&mut pmap, NFS_PROGRAM, 3, proto)
            .map_err(|e| format!("{host}: portmapper: {e}"))?
            .unwrap_or(NFS_PORT),
    };
    Ok((SocketAddrV4::new(*server.ip(), nfsd), fh))
}

/// What NetBSD's `umount` does after unmount(2) of an NFS mount of
/// `spec` (`host:/path`): tell the server's mount daemon (UMNT) that the
/// export is no longer mounted here, as the calling user. NetBSD's asks
/// MOUNT v1 over UDP; the procedure and its argument are the same in v3,
/// which we ask over TCP as [`locate`] asks MNT. The message of a
/// failure is umount's.
pub fn unmounted(spec: &str) -> Result<(), String> {
    let (host, path) = split_spec(spec)?;
    let server = server_address(host).map_err(|e| format!("Cannot MNT PRC: {e}"))?;
    let mountd = rpc_to(server, PMAP_PORT)
        .and_then(|mut pmap| {
            portmap::getport(&mut pmap, mount::MOUNT_PROG, mount::MOUNT_V3, IPPROTO_TCP)
                .map_err(|e| format!("{host}: portmapper: {e}"))?
                .ok_or_else(|| format!("{host}: no MOUNT v3 over TCP at the portmapper"))
        })
        .map_err(|e| format!("Cannot MNT PRC: {e}"))?;
    let mut client = rpc_to(server, mountd).map_err(|e| format!("Cannot MNT PRC: {e}"))?;
    mount::umnt(&mut client, &caller(), path.as_bytes())
        .map_err(|e| format!("Bad MNT RPC: {host}: {e}"))
}

/// NetBSD's `struct sockaddr_in` for `a`.
fn sockaddr_in(a: SocketAddrV4) -> Vec<u8> {
    use netbsd_abi::layout::sockaddr_in as sin;
    let mut sa = vec![0u8; sin::SIZE];
    sin::sin_len.put(&mut sa, sin::SIZE as u64);
    sin::sin_family.put(&mut sa, netbsd_abi::AF_INET as u64);
    sa[sin::sin_port.range()].copy_from_slice(&a.port().to_be_bytes());
    sa[sin::sin_addr.range()].copy_from_slice(&a.ip().octets());
    sa
}

/// `struct nfs_args` for a mount of `spec` at `nfsd` with root handle
/// `fh`, what it points at placed in `m`.
pub fn mount_args(
    spec: &str,
    nfsd: SocketAddrV4,
    fh: &[u8],
    o: &NfsOptions,
    m: &Regions,
) -> Vec<u8> {
    let sa = sockaddr_in(nfsd);
    let mut a = vec![0u8; na::SIZE];
    for (f, v) in [
        (na::version, netbsd_abi::NFS_ARGSVERSION as u64),
        (na::addr, m.add(&sa)),
        (na::addrlen, sa.len() as u64),
        (na::sotype, o.sotype as u64),
        (na::fh, m.add(fh)),
        (na::fhsize, fh.len() as u64),
        (na::flags, o.flags as u32 as u64),
        (na::wsize, o.wsize.into()),
        (na::rsize, o.rsize.into()),
        (na::timeo, o.timeo.into()),
        (na::retrans, o.retrans.into()),
        (na::hostname, m.add(&crate::cstr(spec))),
    ] {
        f.put(&mut a, v);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_split_as_mount_nfs_splits_them() {
        assert_eq!(split_spec("srv:/export"), Ok(("srv", "/export")));
        assert_eq!(split_spec("[::1]:/x"), Ok(("::1", "/x")));
        assert!(split_spec("srv").is_err());
        assert!(split_spec(":/x").is_err());
        assert!(split_spec("srv:rel").is_err());
    }

    #[test]
    fn options_set_mount_nfs_flags_and_refuse_what_is_not_built() {
        let mut o = NfsOptions::default();
        assert_eq!(option(&mut o, "soft", ""), Some(Ok(())));
        assert_eq!(option(&mut o, "intr", ""), Some(Ok(())));
        assert_eq!(option(&mut o, "rsize", "8192"), Some(Ok(())));
        assert_eq!(option(&mut o, "port", "2050"), Some(Ok(())));
        assert_ne!(o.flags & netbsd_abi::NFSMNT_SOFT, 0);
        assert_ne!(o.flags & netbsd_abi::NFSMNT_INT, 0);
        assert_ne!(o.flags & netbsd_abi::NFSMNT_RSIZE, 0);
        assert_eq!((o.rsize, o.port), (8192, Some(2050)));
        assert!(matches!(option(&mut o, "nfsv2", ""), Some(Err(_))));
        assert_eq!(option(&mut o, "udp", ""), Some(Ok(())));
        assert_eq!(o.sotype, netbsd_abi::SOCK_DGRAM);
        assert!(matches!(option(&mut o, "rsize", "x"), Some(Err(_))));
        assert_eq!(option(&mut o, "ro", ""), None);
    }

    #[test]
    fn the_arguments_point_at_the_address_handle_and_name() {
        let m = Regions::new();
        let nfsd = SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 2049);
        let a = mount_args("h:/e", nfsd, &[7; 32], &NfsOptions::default(), &m);
        let get = |f: netbsd_abi::Field| f.get(&a).unwrap();
        assert_eq!(get(na::version), netbsd_abi::NFS_ARGSVERSION as u64);
        assert_eq!(m.get(get(na::fh)), vec![7; 32]);
        assert_eq!(get(na::fhsize), 32);
        assert_eq!(m.get(get(na::addr)), sockaddr_in(nfsd));
        assert_eq!(m.get(get(na::hostname)), b"h:/e\0");
    }
}
