//! File system calls made remotely, by NetBSD number with NetBSD's
//! structures, as a NetBSD program linked with librumpclient makes them.

mod common;

use rumpclient::{Client, Regions};
use std::sync::Arc;

fn server() -> (Arc<rump::Kernel>, rump_server::SpServer, String) {
    let dir = common::tempdir("remotefs");
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .console(Box::new(|_, _| ()))
        .boot()
        .unwrap();
    let url = sysproxy::Url::Unix(dir.join("s").to_string_lossy().into_owned());
    let s = rump_server::SpServer::start(Arc::clone(&k), &url).unwrap();
    (k, s, url.to_string())
}

fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

#[test]
fn mount_create_write_read_list_stat() {
    let (k, _s, url) = server();
    let c = Client::connect(&url).unwrap();
    let m = Regions::new();
    // mkdir("/mnt", 0755); mount("tmpfs", "/mnt", 0, &tmpfs_args, 40)
    c.syscall(netbsd_abi::SYS_mkdir, &[m.add(&cstr("/mnt")), 0o755], &m)
        .unwrap();
    let mut ta = [0u8; 40];
    ta[0..4].copy_from_slice(&1i32.to_le_bytes()); // TMPFS_ARGS_VERSION
    ta[16..24].copy_from_slice(&(1u64 << 20).to_le_bytes()); // ta_size_max
    ta[32..36].copy_from_slice(&0o1777u32.to_le_bytes());
    c.syscall(
        netbsd_abi::SYS___mount50,
        &[
            m.add(&cstr("tmpfs")),
            m.add(&cstr("/mnt")),
            0,
            m.add(&ta),
            40,
        ],
        &m,
    )
    .unwrap();
    // fd = open("/mnt/hello", O_CREAT|O_RDWR, 0644); write; pread back
    let fd = c
        .syscall(
            netbsd_abi::SYS_open,
            &[m.add(&cstr("/mnt/hello")), 0x200 | 2, 0o644],
            &m,
        )
        .unwrap()[0] as u64;
    assert_eq!(
        c.syscall(netbsd_abi::SYS_write, &[fd, m.add(b"remote bytes"), 12], &m)
            .unwrap()[0],
        12
    );
    let buf = m.add_zeroed(32);
    assert_eq!(
        c.syscall(netbsd_abi::SYS_pread, &[fd, buf, 32, 0, 7], &m)
            .unwrap()[0],
        5
    );
    assert_eq!(&m.get(buf)[..5], b"bytes");
    // getdents of /mnt: ".", "..", "hello" as struct dirent records
    let dfd = c
        .syscall(netbsd_abi::SYS_open, &[m.add(&cstr("/mnt")), 0, 0], &m)
        .unwrap()[0] as u64;
    let dbuf = m.add_zeroed(1024);
    let n = c
        .syscall(netbsd_abi::SYS___getdents30, &[dfd, dbuf, 1024], &m)
        .unwrap()[0] as usize;
    let raw = m.get(dbuf);
    let mut names = Vec::new();
    let mut off = 0;
    while off < n {
        let reclen = u16::from_le_bytes([raw[off + 8], raw[off + 9]]) as usize;
        let namlen = u16::from_le_bytes([raw[off + 10], raw[off + 11]]) as usize;
        names.push(String::from_utf8_lossy(&raw[off + 13..off + 13 + namlen]).into_owned());
        assert_eq!(reclen % 8, 0);
        off += reclen;
    }
    assert_eq!(names, [".", "..", "hello"]);
    // __stat50 and statvfs1 with NetBSD's layouts
    let st = m.add_zeroed(152);
    c.syscall(
        netbsd_abi::SYS___stat50,
        &[m.add(&cstr("/mnt/hello")), st],
        &m,
    )
    .unwrap();
    let stb = m.get(st);
    assert_eq!(
        i64::from_le_bytes(stb[112..120].try_into().unwrap()),
        12,
        "st_size"
    );
    assert_eq!(
        u32::from_le_bytes(stb[8..12].try_into().unwrap()) & 0o170000,
        0o100000,
        "S_IFREG"
    );
    let sv = m.add_zeroed(2256);
    c.syscall(netbsd_abi::SYS_statvfs1, &[m.add(&cstr("/mnt")), sv, 1], &m)
        .unwrap();
    assert_eq!(&m.get(sv)[172..177], b"tmpfs");
    // Errors travel as NetBSD errno values.
    assert_eq!(
        c.syscall(netbsd_abi::SYS_rmdir, &[m.add(&cstr("/mnt"))], &m),
        Err(rump::Errno::EBUSY)
    );
    assert_eq!(
        c.syscall(netbsd_abi::SYS_open, &[m.add(&cstr("/nonesuch")), 0, 0], &m),
        Err(rump::Errno::ENOENT)
    );
    // The file is really in the kernel.
    use rumpvfs::VfsCalls;
    assert_eq!(k.sys_stat("/mnt/hello").unwrap().size, 12);
}
