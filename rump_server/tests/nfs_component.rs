//! The NFS client as a component library: `rump_server -lrumpvfs -lrumpnet
//! -lrumpnet_sockin -lrumpfs_nfs`, inside nfs-ganesha's network namespace
//! (see rumpfs_nfs/tests/ganesha), mounts the export through a remote
//! client's mount(2) with `struct nfs_args` in the client's memory, as
//! NetBSD's `mount_nfs` calls it, and unmodified programs under the hijack
//! library read and write its files; `rump.mount -t nfs` mounts it as
//! NetBSD's `mount_nfs` does and `rump.umount` tells the server's mount
//! daemon (UMNT) as NetBSD's `umount` does. `rump_allserver` does the same.

mod common;
#[path = "../../rumpfs_nfs/tests/ganesha/mod.rs"]
mod ganesha;

use common::*;
use netbsd_abi::layout::nfs_args as na;
use netbsd_abi::{SYS___mount50, SYS_mkdir, SYS_unmount};
use rumpclient::{Client, Regions};
use rumpfs_nfs::transport::sockaddr_in;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::Path;

/// mount(2) of the export on `on` from the remote client, `struct
/// nfs_args` and what it points at in the client's memory.
fn mount_nfs(
    c: &Client,
    on: &str,
    server: Ipv4Addr,
    fh: &[u8],
) -> Result<(), netbsd_abi::errno::Errno> {
    let m = Regions::new();
    c.syscall(SYS_mkdir, &[m.add(&cstr(on)), 0o755], &m)
        .unwrap();
    let sa = sockaddr_in(SocketAddrV4::new(server, 2049));
    let mut a = vec![0u8; na::SIZE];
    let flags = netbsd_abi::NFSMNT_NFSV3 | netbsd_abi::NFSMNT_NOCONN | netbsd_abi::NFSMNT_RESVPORT;
    for (f, v) in [
        (na::version, netbsd_abi::NFS_ARGSVERSION as u64),
        (na::addr, m.add(&sa)),
        (na::addrlen, sa.len() as u64),
        (na::sotype, netbsd_abi::SOCK_STREAM as u64),
        (na::fh, m.add(fh)),
        (na::fhsize, fh.len() as u64),
        (na::flags, flags as u64),
        (na::timeo, 10),
        (na::retrans, 10),
        (na::hostname, m.add(&cstr(&format!("{server}:/export")))),
    ] {
        assert!(f.put(&mut a, v));
    }
    let args = [
        m.add(&cstr("nfs")),
        m.add(&cstr(on)),
        0,
        m.add(&a),
        a.len() as u64,
    ];
    c.syscall(SYS___mount50, &args, &m).map(drop)
}

/// The components a plain `rump_server` needs for NFS.
const NFS_LIBS: [&str; 4] = ["-lrumpvfs", "-lrumpnet", "-lrumpnet_sockin", "-lrumpfs_nfs"];

/// How a server reaches ganesha: sockin's host sockets on the namespace's
/// loopback, or the kernel's own TCP/IP through a tap device.
#[derive(Clone, Copy, PartialEq)]
enum Route {
    Sockin,
    /// virt0 at [`TAP_OURS`] on a host tap at [`TAP_HOST`].
    Tap,
}

const TAP_HOST: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
const TAP_OURS: &str = "10.77.0.2/24";

/// A tap device `virt0` at [`TAP_HOST`] in the namespace this runs in
/// (ganesha's), for a kernel with netinet and virtif to reach the server.
fn host_tap() {
    for args in [
        &["tuntap", "add", "dev", "virt0", "mode", "tap"][..],
        &["addr", "add", "10.77.0.1/24", "dev", "virt0"],
        &["link", "set", "virt0", "up"],
    ] {
        let st = std::process::Command::new("ip").args(args).status();
        assert!(st.unwrap().success(), "ip {args:?}");
    }
}

/// The whole round through server `prog` started with `libs`.
fn through_the_server(export: &Path, prog: &str, libs: &[&str], way: Route) {
    let dir = tempdir(&format!("nfs-{prog}"));
    let url = format!("unix://{}/s", dir.display());
    if way == Route::Tap {
        host_tap();
    }
    let (mut server, c) = serve(prog, libs, &url);
    let ip = match way {
        Route::Sockin => Ipv4Addr::LOCALHOST,
        Route::Tap => {
            let o = tool(
                &dir,
                &url,
                "rump.ifconfig",
                &["virt0", "create", "inet", TAP_OURS],
            );
            ok(&o, "rump.ifconfig virt0");
            TAP_HOST
        }
    };
    let fh = ganesha::root_handle(export);
    let mounted = mount_nfs(&c, "/mnt", ip, &fh);
    // Asked before any assertion, so that the server is stopped whatever
    // the answers are.
    let cat = hijacked(&url, &["cat", "/rump/mnt/hostfile"]);
    let write = hijacked(
        &url,
        &[
            "/usr/bin/python3",
            "-c",
            "open('/rump/mnt/fromclient', 'wb').write(bytes(range(256)) * 4096)",
        ],
    );
    let ls = hijacked(&url, &["ls", "/rump/mnt"]);
    let m = Regions::new();
    let unmounted = c
        .syscall(SYS_unmount, &[m.add(&cstr("/mnt")), 0], &m)
        .map(drop);
    // rump.mount -t nfs does mount_nfs's host side itself: the portmapper,
    // MNT for the root handle, then mount(2).
    let spec = format!("{ip}:{}", export.display());
    let tool_dir = dir.clone();
    let by_tool = |args: &[&str]| tool(&tool_dir, &url, args[0], &args[1..]);
    let _ = by_tool(&["rump.mkdir", "/mnt2"]);
    let mount_t = by_tool(&["rump.mount", "-t", "nfs", "-o", "soft,intr", &spec, "/mnt2"]);
    let listed = by_tool(&["rump.mount", "-t", "nfs"]);
    let cat2 = hijacked(&url, &["cat", "/rump/mnt2/hostfile"]);
    let umnt = format!("Calling MNT_UMNT path {}", export.display());
    let umnt_before = ganesha::log(export).matches(&umnt).count();
    let umount_t = by_tool(&["rump.umount", "/mnt2"]);
    let umnt_after = ganesha::log(export).matches(&umnt).count();
    let bad = by_tool(&["rump.mount", "-t", "nfs", "-o", "nfsv2", &spec, "/mnt2"]);
    let udp = by_tool(&["rump.mount", "-t", "nfs", "-o", "udp", &spec, "/mnt2"]);
    let cat3 = hijacked(&url, &["cat", "/rump/mnt2/hostfile"]);
    let umount_udp = by_tool(&["rump.umount", "/mnt2"]);
    let missing = by_tool(&[
        "rump.mount",
        "-t",
        "nfs",
        &format!("{ip}:/nonesuch"),
        "/mnt2",
    ]);
    let _ = server.kill();
    let _ = server.wait();

    assert_eq!(mounted, Ok(()));
    assert!(cat.status.success(), "cat: {}", stderr(&cat));
    assert!(cat.stdout == std::fs::read(export.join("hostfile")).unwrap());
    assert!(write.status.success(), "python3: {}", stderr(&write));
    let want: Vec<u8> = (0..4096).flat_map(|_| 0..=255u8).collect();
    assert!(std::fs::read(export.join("fromclient")).unwrap() == want);
    assert_eq!(stdout(&ls), "fromclient\nhostfile\n");
    assert_eq!(unmounted, Ok(()));
    assert!(mount_t.status.success(), "rump.mount: {}", stderr(&mount_t));
    assert_eq!(
        stdout(&listed),
        format!("{spec} on /mnt2 type nfs\n"),
        "mounted from host:/path, and not local"
    );
    assert!(cat2.stdout == std::fs::read(export.join("hostfile")).unwrap());
    assert!(
        umount_t.status.success(),
        "rump.umount: {}",
        stderr(&umount_t)
    );
    assert_eq!(
        (umnt_before, umnt_after),
        (0, 1),
        "rump.umount sends UMNT for the export once, after the unmount"
    );
    assert_eq!(stderr(&bad), "rump.mount: -o nfsv2: not supported yet\n");
    assert!(udp.status.success(), "rump.mount -o udp: {}", stderr(&udp));
    assert!(cat3.stdout == std::fs::read(export.join("hostfile")).unwrap());
    assert!(umount_udp.status.success(), "{}", stderr(&umount_udp));
    assert!(
        stderr(&missing).starts_with("rump.mount: can't access /nonesuch: "),
        "{}",
        stderr(&missing)
    );
}

/// Start ganesha (its log naming each request) with the host file, and
/// run test `name` again inside its namespace.
fn beside_ganesha(name: &str, tag: &str) {
    // Built once, outside, before the copy inside the namespace looks.
    let _ = prefix();
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let Some(g) = ganesha::Ganesha::start_with(base, tag, true) else {
        return;
    };
    let text: Vec<u8> = (0..50_000u32)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    std::fs::write(g.export().join("hostfile"), text).unwrap();
    g.run_inside(name);
}

#[test]
fn rump_server_with_the_nfs_component_mounts_ganesha() {
    match ganesha::inside() {
        Some(export) => through_the_server(&export, "rump_server", &NFS_LIBS, Route::Sockin),
        None => beside_ganesha(
            "rump_server_with_the_nfs_component_mounts_ganesha",
            "component",
        ),
    }
}

#[test]
fn rump_allserver_mounts_ganesha_over_its_own_tcp_ip() {
    match ganesha::inside() {
        // rump_allserver has netinet, not sockin: its 127.0.0.1 is its own.
        Some(export) => through_the_server(&export, "rump_allserver", &[], Route::Tap),
        None => beside_ganesha(
            "rump_allserver_mounts_ganesha_over_its_own_tcp_ip",
            "allserver",
        ),
    }
}

#[test]
fn rump_allserver_has_the_nfs_file_system_type() {
    let dir = tempdir("nfs-allserver");
    let url = format!("unix://{}/s", dir.display());
    let (mut server, _c) = serve("rump_allserver", &[], &url);
    let o = tool(&dir, &url, "rump.sysctl", &["-n", "vfs.generic.fstypes"]);
    let _ = server.kill();
    let _ = server.wait();
    let types = stdout(&o);
    assert!(
        types.split_whitespace().any(|t| t == "nfs"),
        "vfs.generic.fstypes: {types}"
    );
}
