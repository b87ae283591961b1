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

/// `n` bytes of a pattern that does not repeat at powers of two.
fn pattern(n: usize, seed: usize) -> Vec<u8> {
    (0..n)
        .map(|i| ((i * 7 + i / 251 + seed) % 256) as u8)
        .collect()
}

fn nfs3_against(export: &Path) {
    use rump::Errno;
    use rumpfs_nfs::nfs3::{Nfs3Client, NfsError, Sattr, Stable};
    let mut pmap = connect(PMAP_PORT);
    let mountd = portmap::getport(&mut pmap, mount::MOUNT_PROG, mount::MOUNT_V3, IPPROTO_TCP)
        .unwrap()
        .unwrap();
    let path = export.as_os_str().as_encoded_bytes();
    let root = mount::mnt(&mut connect(mountd), &root(), path).unwrap().fh;
    let mut c = Nfs3Client::new(connect(2049), super_user());

    let info = c.fsinfo(&root).unwrap();
    assert!(info.rtmax >= 4096 && info.wtmax >= 4096, "{info:?}");
    let chunk = info.rtpref.min(32 * 1024);

    // A file the host wrote reads back byte for byte.
    let (fh, attr) = c.lookup(&root, b"hostfile").unwrap();
    let want = std::fs::read(export.join("hostfile")).unwrap();
    assert_eq!(attr.unwrap().size, want.len() as u64);
    let mut got = Vec::new();
    loop {
        let r = c.read(&fh, got.len() as u64, chunk).unwrap();
        got.extend_from_slice(&r.data);
        if r.eof {
            break;
        }
        assert!(!r.data.is_empty());
    }
    assert!(got == want, "hostfile differs");
    let (ln, _) = c.lookup(&root, b"ln").unwrap();
    assert_eq!(c.readlink(&ln).unwrap(), b"hostfile");
    assert_eq!(
        c.lookup(&root, b"missing").unwrap_err(),
        NfsError::Status(Errno::ENOENT)
    );

    // Unstable writes, then COMMIT with the same verifier: the host file
    // holds exactly the bytes.
    let mode = Sattr {
        mode: Some(0o640),
        ..Sattr::default()
    };
    let (fh, _) = c.create(&root, b"new", &mode, true).unwrap();
    let fh = fh.unwrap();
    let data = pattern(96 * 1024 + 123, 3);
    let mut verf = None;
    for (i, part) in data.chunks(32 * 1024).enumerate() {
        let w = c
            .write(&fh, (i * 32 * 1024) as u64, part, Stable::Unstable)
            .unwrap();
        assert_eq!(w.count as usize, part.len());
        assert!(verf.is_none_or(|v| v == w.verf));
        verf = Some(w.verf);
    }
    assert_eq!(Some(c.commit(&fh, 0, 0).unwrap()), verf);
    assert!(std::fs::read(export.join("new")).unwrap() == data);
    let a = c.getattr(&fh).unwrap();
    assert_eq!((a.size, a.mode & 0o777), (data.len() as u64, 0o640));
    assert_eq!(
        c.create(&root, b"new", &mode, true).unwrap_err(),
        NfsError::Status(Errno::EEXIST)
    );
    let trunc = Sattr {
        size: Some(10),
        ..Sattr::default()
    };
    c.setattr(&fh, &trunc).unwrap();
    assert_eq!(std::fs::read(export.join("new")).unwrap(), data[..10]);

    // Names: mkdir, rename into it, a hard link, a symbolic link.
    let (d, _) = c.mkdir(&root, b"d", &mode).unwrap();
    let d = d.unwrap();
    c.rename(&root, b"new", &d, b"moved").unwrap();
    assert!(export.join("d/moved").exists() && !export.join("new").exists());
    let after = c.link(&fh, &root, b"hard").unwrap().unwrap();
    assert_eq!(after.nlink, 2);
    c.symlink(&root, b"sl", b"d/moved", &Sattr::default())
        .unwrap();
    assert_eq!(
        std::fs::read_link(export.join("sl")).unwrap(),
        Path::new("d/moved")
    );
    assert_eq!(
        c.rmdir(&root, b"d").unwrap_err(),
        NfsError::Status(Errno::ENOTEMPTY)
    );
    for (dir, name) in [(&root, &b"hard"[..]), (&d, b"moved"), (&root, b"sl")] {
        c.remove(dir, name).unwrap();
    }
    c.rmdir(&root, b"d").unwrap();
    assert!(!export.join("d").exists() && !export.join("hard").exists());

    // READDIRPLUS over pages: every one of 2,000 names, once.
    let (many, _) = c.lookup(&root, b"many").unwrap();
    let (mut cookie, mut verf, mut names) = (0, [0u8; 8], Vec::new());
    loop {
        let page = c.readdirplus(&many, cookie, verf, 4096, 32 * 1024).unwrap();
        for e in &page.entries {
            if e.name != b"." && e.name != b".." {
                assert!(e.attr.is_some() && e.fh.is_some(), "{:?}", e.name);
                names.push(String::from_utf8(e.name.clone()).unwrap());
            }
        }
        if page.eof {
            break;
        }
        cookie = page.entries.last().unwrap().cookie;
        verf = page.verf;
    }
    names.sort();
    let mut want: Vec<String> = (0..2000).map(|i| format!("entry-{i:04}")).collect();
    want.sort();
    assert!(names == want, "{} names, not the 2,000 made", names.len());
}

fn super_user() -> Credentials {
    root()
}

#[test]
fn nfs3_procedures_against_ganesha() {
    if let Some(export) = ganesha::inside() {
        nfs3_against(&export);
        return;
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let Some(g) = ganesha::Ganesha::start(base, "nfs3") else {
        return;
    };
    let ex = g.export();
    std::fs::write(ex.join("hostfile"), pattern(200_000, 1)).unwrap();
    std::os::unix::fs::symlink("hostfile", ex.join("ln")).unwrap();
    std::fs::create_dir(ex.join("many")).unwrap();
    for i in 0..2000 {
        std::fs::write(ex.join(format!("many/entry-{i:04}")), b"").unwrap();
    }
    g.run_inside("nfs3_procedures_against_ganesha");
}

/// The same calls from inside a kernel: a rump kernel with only rumpnet
/// and sockin reaches rpcbind, mountd and nfsd over its own sockets, and
/// a file the host wrote reads back whole.
fn through_the_kernel(export: &Path) {
    use rumpfs_nfs::nfs3::Nfs3Client;
    use rumpfs_nfs::transport::KernelStream;
    use std::net::{Ipv4Addr, SocketAddrV4};
    let k = rump::KernelBuilder::new()
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_sockin::COMPONENT)
        .boot()
        .expect("boot");
    let at = |port| SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    let client = |port| StreamClient::new(KernelStream::connect(&k, at(port)).unwrap(), 77);
    let mountd = portmap::getport(&mut client(PMAP_PORT), mount::MOUNT_PROG, 3, IPPROTO_TCP)
        .unwrap()
        .unwrap();
    let path = export.as_os_str().as_encoded_bytes();
    let root = mount::mnt(&mut client(mountd), &root(), path).unwrap().fh;
    let mut c = Nfs3Client::new(client(2049), super_user());
    let (fh, _) = c.lookup(&root, b"hostfile").unwrap();
    let want = std::fs::read(export.join("hostfile")).unwrap();
    let mut got = Vec::new();
    loop {
        let r = c.read(&fh, got.len() as u64, 32 * 1024).unwrap();
        got.extend_from_slice(&r.data);
        if r.eof || r.data.is_empty() {
            break;
        }
    }
    assert!(
        got == want,
        "{} bytes read, {} on the host",
        got.len(),
        want.len()
    );
    // Nobody listens on port 1: the kernel's connect is refused.
    let e = KernelStream::connect(&k, at(1)).err();
    assert_eq!(e, Some(rump::Errno::ECONNREFUSED));
}

#[test]
fn rpc_through_a_kernel_with_sockin() {
    if let Some(export) = ganesha::inside() {
        through_the_kernel(&export);
        return;
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let Some(g) = ganesha::Ganesha::start(base, "kernel") else {
        return;
    };
    std::fs::write(g.export().join("hostfile"), pattern(300_000, 5)).unwrap();
    g.run_inside("rpc_through_a_kernel_with_sockin");
}
