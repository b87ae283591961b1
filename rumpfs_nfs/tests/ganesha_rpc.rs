//! The RPC layer against a real server (nfs-ganesha with rpcbind, see
//! `ganesha/mod.rs`): portmapper lookups, the NFS NULL procedure and its
//! version range, MOUNT v3 of the export and of a path that is not
//! exported.

mod ganesha;

use rumpfs_nfs::mount::{self, MountError};
use rumpfs_nfs::portmap::{self, IPPROTO_TCP, PMAP_PORT};
use rumpfs_nfs::rpc::{AUTH_SYS, AuthSys, Credentials, RpcError, StreamClient};
use std::net::TcpStream;
use std::path::Path;

const NFS_PROG: u32 = 100_003;

fn connect(port: u16) -> StreamClient<TcpStream> {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    StreamClient::new(s, 0x5eed_0000)
}

fn root() -> Credentials {
    Credentials::Sys(AuthSys {
        stamp: 1,
        machine: b"rumptest".to_vec(),
        uid: 0,
        gid: 0,
        gids: vec![0],
    })
}

fn talk_to_the_server(export: &Path) {
    let mut pmap = connect(PMAP_PORT);
    let mountd = portmap::getport(&mut pmap, mount::MOUNT_PROG, mount::MOUNT_V3, IPPROTO_TCP)
        .unwrap()
        .expect("mountd v3 over TCP is registered");
    let nfsd = portmap::getport(&mut pmap, NFS_PROG, 3, IPPROTO_TCP).unwrap();
    assert_eq!(nfsd, Some(2049));
    assert_eq!(
        portmap::getport(&mut pmap, 0x2fff_ffff, 1, IPPROTO_TCP),
        Ok(None)
    );

    let mut nfs = connect(2049);
    assert_eq!(nfs.call(NFS_PROG, 3, 0, &root(), &[]), Ok(Vec::new()));
    assert_eq!(
        nfs.call(NFS_PROG, 7, 0, &root(), &[]),
        Err(RpcError::ProgMismatch(3, 4))
    );

    let mut md = connect(mountd);
    let path = export.as_os_str().as_encoded_bytes();
    let m = mount::mnt(&mut md, &root(), path).unwrap();
    assert!(!m.fh.is_empty() && m.fh.len() <= mount::FHSIZE3);
    assert!(m.flavors.contains(&AUTH_SYS), "{:?}", m.flavors);
    // The same export gives the same root handle.
    assert_eq!(mount::mnt(&mut md, &root(), path).unwrap().fh, m.fh);
    // ganesha refuses a path it does not export with MNT3ERR_ACCES.
    let e = mount::mnt(&mut md, &root(), b"/not/exported").unwrap_err();
    assert_eq!(e, MountError::Refused(rump::Errno::EACCES));
    mount::umnt(&mut md, &root(), path).unwrap();
}

#[test]
fn portmap_nfs_null_and_mount_against_ganesha() {
    if let Some(export) = ganesha::inside() {
        talk_to_the_server(&export);
        return;
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let Some(g) = ganesha::Ganesha::start(base, "rpc") else {
        return;
    };
    g.run_inside("portmap_nfs_null_and_mount_against_ganesha");
}
