//! File system calls made remotely, by NetBSD number with NetBSD's
//! structures, as a NetBSD program linked with librumpclient makes them.

mod common;
use common::cstr;

use rumpclient::{Client, Regions};
use std::sync::Arc;

fn server() -> (Arc<rump::Kernel>, rump_server::SpServer, String) {
    common::in_process_server("remotefs", &[&rumpvfs::COMPONENT, &rumpfs_tmpfs::COMPONENT])
}

#[test]
fn mount_create_write_read_list_stat() {
    let (k, _s, url) = server();
    let c = Client::connect(&url).unwrap();
    let m = Regions::new();
    // mkdir("/mnt", 0755); mount("tmpfs", "/mnt", 0, &tmpfs_args, size)
    c.syscall(netbsd_abi::SYS_mkdir, &[m.add(&cstr("/mnt")), 0o755], &m)
        .unwrap();
    common::mount_tmpfs(&c, "/mnt", 1 << 20, 0o1777);
    // fd = open("/mnt/hello", O_CREAT|O_RDWR, 0644); write; pread back
    let fd = c
        .syscall(
            netbsd_abi::SYS_open,
            &[
                m.add(&cstr("/mnt/hello")),
                (netbsd_abi::O_CREAT | netbsd_abi::O_RDWR) as u64,
                0o644,
            ],
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
    use netbsd_abi::layout::{dirent, stat, statvfs};
    while off < n {
        let rec = &raw[off..];
        let reclen = dirent::d_reclen.get(rec).unwrap() as usize;
        let namlen = dirent::d_namlen.get(rec).unwrap() as usize;
        let name = &rec[dirent::d_name.offset..dirent::d_name.offset + namlen];
        names.push(String::from_utf8_lossy(name).into_owned());
        assert_eq!(reclen % 8, 0);
        off += reclen;
    }
    assert_eq!(names, [".", "..", "hello"]);
    // __stat50 and statvfs1 with NetBSD's layouts
    let st = m.add_zeroed(stat::SIZE);
    c.syscall(
        netbsd_abi::SYS___stat50,
        &[m.add(&cstr("/mnt/hello")), st],
        &m,
    )
    .unwrap();
    let stb = m.get(st);
    assert_eq!(stat::st_size.get(&stb), Some(12), "st_size");
    assert_eq!(
        stat::st_mode.get(&stb).unwrap() as i32 & netbsd_abi::S_IFMT,
        netbsd_abi::S_IFREG,
        "S_IFREG"
    );
    let sv = m.add_zeroed(statvfs::SIZE);
    let wait = netbsd_abi::ST_WAIT as u64;
    c.syscall(
        netbsd_abi::SYS_statvfs1,
        &[m.add(&cstr("/mnt")), sv, wait],
        &m,
    )
    .unwrap();
    let fstype = &m.get(sv)[statvfs::f_fstypename.range()];
    assert_eq!(&fstype[..6], b"tmpfs\0");
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
