//! Mounting NFS in a kernel of the test's own: the kernel, and mount(2)
//! with `struct nfs_args` as NetBSD's `mount_nfs` fills it, in the
//! caller's memory.
#![allow(dead_code)]

use netbsd_abi::layout::nfs_args as na;
use rump::usermem::BufferSpace;
use rump::{Errno, Kernel, KernelBuilder};
use rumpfs_nfs::transport::sockaddr_in;
use rumpvfs::VfsCalls;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;

/// A kernel of one virtual CPU: every NFS call must give it up while it
/// waits, or the kernel's own socket calls under it could never run.
pub fn boot() -> Arc<Kernel> {
    let config = rump::BootConfig {
        ncpu: 1,
        ..rump::BootConfig::default()
    };
    KernelBuilder::new()
        .config(config)
        .component(&rumpvfs::COMPONENT)
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_sockin::COMPONENT)
        .component(&rumpfs_nfs::COMPONENT)
        .boot()
        .expect("boot")
}

/// mount(2) of "nfs" on `on` with `struct nfs_args` as mount_nfs fills it
/// by default (NFSv3 over TCP, its sizes and timeouts), in the caller's
/// memory: the arguments, the server's address, the handle, the name.
pub fn mount_nfs(
    k: &Kernel,
    on: &str,
    fh: &[u8],
    host: &str,
    extra_flags: i32,
) -> Result<(), Errno> {
    let flags = netbsd_abi::NFSMNT_NFSV3 | extra_flags;
    mount_nfs_args(k, on, fh, host, 2049, flags, netbsd_abi::SOCK_STREAM)
}

/// [`mount_nfs`] with the port, the flags (NFSv3 not implied) and the
/// socket type given.
pub fn mount_nfs_args(
    k: &Kernel,
    on: &str,
    fh: &[u8],
    host: &str,
    port: u16,
    flags: i32,
    sotype: i32,
) -> Result<(), Errno> {
    // Taken only with NFSMNT_WSIZE and NFSMNT_RSIZE among the flags
    // (mount_nfs -w 65536 -r 65536: NFS_MAXDATA, the most NetBSD takes).
    mount_nfs_sized(k, on, fh, host, port, flags, sotype, 65536)
}

/// [`mount_nfs_args`] asking READs and WRITEs of `iosize` bytes (with
/// NFSMNT_RSIZE and NFSMNT_WSIZE among the flags).
#[allow(clippy::too_many_arguments)]
pub fn mount_nfs_sized(
    k: &Kernel,
    on: &str,
    fh: &[u8],
    host: &str,
    port: u16,
    flags: i32,
    sotype: i32,
    iosize: u64,
) -> Result<(), Errno> {
    mount_nfs_timed(k, on, fh, host, port, flags, sotype, iosize, (10, 10))
}

/// [`mount_nfs_sized`] with `timeo` (tenths of a second) and `retrans`
/// (taken with NFSMNT_TIMEO and NFSMNT_RETRANS among the flags).
#[allow(clippy::too_many_arguments)]
pub fn mount_nfs_timed(
    k: &Kernel,
    on: &str,
    fh: &[u8],
    host: &str,
    port: u16,
    flags: i32,
    sotype: i32,
    iosize: u64,
    (timeo, retrans): (u64, u64),
) -> Result<(), Errno> {
    const BASE: u64 = 0x10000;
    let us = BufferSpace::new(BASE, 4096);
    let (fstype, path, args, addr, fhp, name) = (
        BASE,
        BASE + 64,
        BASE + 512,
        BASE + 1024,
        BASE + 1280,
        BASE + 1536,
    );
    us.poke(fstype, b"nfs\0");
    us.poke(path, format!("{on}\0").as_bytes());
    let sa = sockaddr_in(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
    us.poke(addr, &sa);
    us.poke(fhp, fh);
    us.poke(name, format!("{host}\0").as_bytes());
    let mut a = vec![0u8; na::SIZE];
    let flags = flags | netbsd_abi::NFSMNT_NOCONN | netbsd_abi::NFSMNT_RESVPORT;
    for (f, v) in [
        (na::version, netbsd_abi::NFS_ARGSVERSION as u64),
        (na::addr, addr),
        (na::addrlen, sa.len() as u64),
        (na::sotype, sotype as u64),
        (na::fh, fhp),
        (na::fhsize, fh.len() as u64),
        (na::flags, flags as u64),
        (na::wsize, iosize),
        (na::rsize, iosize),
        (na::readdirsize, 8192),
        (na::timeo, timeo),
        (na::retrans, retrans),
        (na::maxgrouplist, 16),
        (na::readahead, 2),
        (na::deadthresh, 9),
        (na::hostname, name),
    ] {
        assert!(f.put(&mut a, v));
    }
    us.poke(args, &a);
    let call = [fstype, path, 0, args, a.len() as u64];
    k.syscall(netbsd_abi::SYS___mount50, &call, &us).map(drop)
}

/// `n` bytes of a pattern that does not repeat at powers of two.
pub fn pattern(n: usize, seed: usize) -> Vec<u8> {
    (0..n)
        .map(|i| ((i * 7 + i / 251 + seed) % 256) as u8)
        .collect()
}

/// Create `path` (it must not exist) and write `data` in `chunk`-byte writes.
pub fn write_file(k: &Kernel, path: &str, data: &[u8], chunk: usize) {
    let fd = k
        .sys_open(
            path,
            netbsd_abi::O_WRONLY | netbsd_abi::O_CREAT | netbsd_abi::O_EXCL,
            0o644,
        )
        .unwrap();
    for part in data.chunks(chunk) {
        assert_eq!(k.sys_write(fd, part).unwrap(), part.len());
    }
    k.sys_close(fd).unwrap();
}

/// All of `path`, read 100,000 bytes at a time.
pub fn read_file(k: &Kernel, path: &str) -> Vec<u8> {
    let fd = k.sys_open(path, netbsd_abi::O_RDONLY, 0).unwrap();
    let (mut out, mut buf) = (Vec::new(), vec![0u8; 100_000]);
    loop {
        let n = k.sys_read(fd, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    k.sys_close(fd).unwrap();
    out
}
