//! etfs as `rump_etfs(3)` defines it: host files under keys, REG through
//! to the host, BLK cached and flushed by sync, NetBSD's key rules.

use rump::{BootConfig, Errno, KernelBuilder};
use rumpvfs::VfsCalls;
use rumpvfs::etfs::{self, EtfsType};
use rumpvfs::flags::*;

fn kernel() -> std::sync::Arc<rump::Kernel> {
    KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .boot()
        .unwrap()
}

fn host_file(tag: &str, bytes: &[u8]) -> String {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().join("etfs-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{tag}-{}", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn reg_reads_and_writes_through_to_the_host() {
    let k = kernel();
    let h = host_file("reg", b"host data");
    etfs::register(&k, "/hostfile", &h, EtfsType::Reg).unwrap();
    let fd = k.sys_open("/hostfile", O_RDWR, 0).unwrap();
    let mut b = [0u8; 9];
    assert_eq!(k.sys_read(fd, &mut b).unwrap(), 9);
    assert_eq!(&b, b"host data");
    k.sys_pwrite(fd, b"HOST", 0).unwrap();
    assert_eq!(
        std::fs::read(&h).unwrap(),
        b"HOST data",
        "written straight through"
    );
    k.sys_pwrite(fd, b"+more", 9).unwrap();
    assert_eq!(k.sys_stat("/hostfile").unwrap().size, 14);
    assert_eq!(k.sys_stat("/hostfile").unwrap().mode & S_IFMT, S_IFREG);
}

#[test]
fn blk_is_cached_and_flushed_by_sync() {
    let k = kernel();
    let h = host_file("blk", &[0u8; 16384]);
    etfs::register(&k, "/dev/dk", &h, EtfsType::Blk).unwrap();
    assert_eq!(k.sys_stat("/dev/dk").unwrap().mode & S_IFMT, S_IFBLK);
    let fd = k.sys_open("/dev/dk", O_RDWR, 0).unwrap();
    k.sys_pwrite(fd, b"cached", 8192).unwrap();
    assert_eq!(
        &std::fs::read(&h).unwrap()[8192..8198],
        &[0u8; 6],
        "not on the host before sync"
    );
    let mut b = [0u8; 6];
    k.sys_pread(fd, &mut b, 8192).unwrap();
    assert_eq!(&b, b"cached");
    k.sys_sync().unwrap();
    assert_eq!(
        &std::fs::read(&h).unwrap()[8192..8198],
        b"cached",
        "on the host after sync"
    );
    // Writing at the end of the window takes nothing, as NetBSD's block
    // device answers (dd's "end of device"); the host file does not grow.
    assert_eq!(k.sys_pwrite(fd, b"x", 16384), Ok(0));
    assert_eq!(std::fs::metadata(&h).unwrap().len(), 16384);
}

#[test]
fn halt_flushes_the_cache_unless_nosync() {
    for (howto, flushed) in [
        (rump::kernel::RB_HALT, true),
        (rump::kernel::RB_HALT | rump::kernel::RB_NOSYNC, false),
    ] {
        let k = kernel();
        let h = host_file(&format!("halt{howto}"), &[0u8; 4096]);
        etfs::register(&k, "/dev/halt", &h, EtfsType::Blk).unwrap();
        let fd = k.sys_open("/dev/halt", O_RDWR, 0).unwrap();
        k.sys_pwrite(fd, b"bye", 0).unwrap();
        k.sys_reboot(howto).unwrap();
        assert_eq!(
            &std::fs::read(&h).unwrap()[..3] == b"bye",
            flushed,
            "howto {howto:#x}"
        );
    }
}

#[test]
fn windows_and_key_rules() {
    let k = kernel();
    let h = host_file("win", b"0123456789abcdef");
    etfs::register_withsize(&k, "//part", &h, EtfsType::Reg, 4, 8).unwrap();
    let fd = k.sys_open("/part", O_RDONLY, 0).unwrap();
    let mut b = [0u8; 16];
    assert_eq!(k.sys_read(fd, &mut b).unwrap(), 8);
    assert_eq!(&b[..8], b"456789ab");
    // Slashes collapse at the front only, so this is the same key.
    assert_eq!(
        etfs::register(&k, "/part", &h, EtfsType::Reg).unwrap_err(),
        Errno::EEXIST
    );
    assert_eq!(
        etfs::register(&k, "nolead", &h, EtfsType::Reg).unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(
        etfs::register_withsize(&k, "/past", &h, EtfsType::Reg, 8, 9).unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(
        etfs::register_withsize(&k, "/past", &h, EtfsType::Reg, 17, 0).unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(etfs::remove(&k, "/nonesuch").unwrap_err(), Errno::ENOENT);
    assert_eq!(
        etfs::register(&k, "/x", "/nonexistent/host/file", EtfsType::Reg).unwrap_err(),
        Errno::ENOENT
    );
    // Keys do not show in directory listings.
    let dfd = k.sys_open("/", O_RDONLY, 0).unwrap();
    assert!(
        k.sys_getdents(dfd)
            .unwrap()
            .iter()
            .all(|d| d.name != b"part")
    );
    etfs::remove(&k, "/part").unwrap();
    assert_eq!(k.sys_stat("/part").unwrap_err(), Errno::ENOENT);
}

#[test]
fn dir_keys_show_host_files_and_subdirs_keys_their_trees() {
    let k = kernel();
    let exe = std::env::current_exe().unwrap();
    let top = exe
        .parent()
        .unwrap()
        .join(format!("etfs-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&top);
    std::fs::create_dir_all(top.join("sub")).unwrap();
    std::fs::write(top.join("a.txt"), b"alpha").unwrap();
    std::fs::write(top.join("sub/b.txt"), b"beta").unwrap();
    let t = top.to_string_lossy().into_owned();
    etfs::register(&k, "/host", &t, EtfsType::Dir).unwrap();
    etfs::register(&k, "/tree", &t, EtfsType::DirSubdirs).unwrap();
    // DIR: files only.
    let fd = k.sys_open("/host/a.txt", O_RDWR, 0).unwrap();
    let mut b = [0u8; 5];
    k.sys_read(fd, &mut b).unwrap();
    assert_eq!(&b, b"alpha");
    k.sys_pwrite(fd, b"A", 0).unwrap();
    assert_eq!(
        std::fs::read(top.join("a.txt")).unwrap(),
        b"Alpha",
        "through to the host"
    );
    assert_eq!(k.sys_stat("/host/sub").unwrap_err(), Errno::ENOENT);
    let dfd = k.sys_open("/host", O_RDONLY, 0).unwrap();
    let names: Vec<_> = k
        .sys_getdents(dfd)
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, [b".".to_vec(), b"..".to_vec(), b"a.txt".to_vec()]);
    // DIR_SUBDIRS: the whole tree.
    assert_eq!(k.sys_stat("/tree/sub/b.txt").unwrap().size, 4);
    assert_eq!(k.sys_stat("/tree/sub").unwrap().mode & S_IFMT, S_IFDIR);
    k.sys_chdir("/tree/sub").unwrap();
    assert_eq!(k.sys_stat("b.txt").unwrap().size, 4);
    // The tree takes no new names; a DIR key must be a directory.
    assert_eq!(
        k.sys_open("/tree/new", O_CREAT | O_RDWR, 0o644)
            .unwrap_err(),
        Errno::EOPNOTSUPP
    );
    assert_eq!(
        etfs::register(
            &k,
            "/notdir",
            &top.join("a.txt").to_string_lossy(),
            EtfsType::Dir
        )
        .unwrap_err(),
        Errno::ENOTDIR
    );
    assert_eq!(
        etfs::register(&k, "/host", &t, EtfsType::Dir).unwrap_err(),
        Errno::EEXIST
    );
    etfs::remove(&k, "/host").unwrap();
    assert_eq!(k.sys_stat("/host/a.txt").unwrap_err(), Errno::ENOENT);
}

#[test]
fn keys_are_found_from_the_root_by_name_and_listed_nowhere() {
    let k = kernel();
    let img = host_file("ns", &[0u8; 8192]);
    let other = host_file("ns2", &[0u8; 4096]);
    etfs::register(&k, "/dev/xd", &img, EtfsType::Blk).unwrap();
    etfs::register(&k, "/dev/rxd", &img, EtfsType::Chr).unwrap();
    etfs::register(&k, "/dev/yd", &other, EtfsType::Blk).unwrap();
    // NetBSD's rumpfs: RUMPFS_DEFAULTMODE, one rumpblk minor per host file.
    let xd = k.sys_stat("/dev/xd").unwrap();
    assert_eq!(xd.mode, S_IFBLK | 0o755);
    assert_eq!(k.sys_stat("/dev/rxd").unwrap().rdev, xd.rdev);
    assert_ne!(k.sys_stat("/dev/yd").unwrap().rdev, xd.rdev);
    // A path relative to the root finds the key; from elsewhere it does not.
    assert_eq!(k.sys_stat("dev/xd").unwrap().ino, xd.ino);
    k.sys_chdir("/dev").unwrap();
    assert_eq!(k.sys_stat("xd").unwrap_err(), Errno::ENOENT);
    // The key is in no directory: /dev lists what the drivers made.
    let fd = k.sys_open("/dev", O_RDONLY | O_DIRECTORY, 0).unwrap();
    let names: Vec<Vec<u8>> = k
        .sys_getdents(fd)
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert!(names.contains(&b"null".to_vec()));
    assert!(!names.contains(&b"xd".to_vec()));
}

/// `vm.bufmem` is what the block caches of BLK keys hold: nothing at
/// boot, a block once one is written through a key, released with it.
#[test]
fn vm_bufmem_is_the_block_cache() {
    let k = kernel();
    let bufmem = |k: &rump::Kernel| {
        let mib = k.sysctl().name_to_mib("vm.bufmem").unwrap();
        let out = k.sys_sysctl(&mib, Some(8), None).unwrap();
        out.result.unwrap();
        u64::from_ne_bytes(out.old[..8].try_into().unwrap())
    };
    assert_eq!(bufmem(&k), 0);
    let h = host_file("bufmem", &[0u8; 16384]);
    etfs::register(&k, "/dev/bm", &h, EtfsType::Blk).unwrap();
    let fd = k.sys_open("/dev/bm", O_RDWR, 0).unwrap();
    k.sys_pwrite(fd, b"cached", 8192).unwrap();
    assert_eq!(bufmem(&k), 4096);
    k.sys_close(fd).unwrap();
    etfs::remove(&k, "/dev/bm").unwrap();
    assert_eq!(bufmem(&k), 0);
}
