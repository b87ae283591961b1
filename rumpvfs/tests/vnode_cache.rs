//! The vnode cache is bounded by `kern.maxvnodes` (`RUMP_NVNODES`), and a
//! walk over far more files than that works.

use rump::KernelBuilder;
use rumpvfs::VfsCalls;
use rumpvfs::flags::*;
use rumpvfs::vfs::Vfs;

#[test]
fn walking_ten_thousand_files_with_sixteen_vnodes() {
    let cfg =
        rump::BootConfig::from_lookup(|v| (v == "RUMP_NVNODES").then(|| "16".to_string())).unwrap();
    let k = KernelBuilder::new()
        .config(cfg)
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .boot()
        .unwrap();
    let vfs = Vfs::of(&k);
    assert_eq!(vfs.maxvnodes(), 16);
    k.sys_mkdir("/t", 0o755).unwrap();
    k.sys_mount("tmpfs", "/t", 0, &rumpfs_tmpfs::args(0, 0))
        .unwrap();
    let mut most = 0;
    for d in 0..100 {
        k.sys_mkdir(&format!("/t/d{d}"), 0o755).unwrap();
        for f in 0..100 {
            let fd = k
                .sys_open(&format!("/t/d{d}/f{f}"), O_CREAT | O_WRONLY, 0o644)
                .unwrap();
            k.sys_write(fd, format!("{d}/{f}").as_bytes()).unwrap();
            k.sys_close(fd).unwrap();
            most = most.max(vfs.cached_vnodes());
        }
    }
    // Walk: list every directory, stat and read every file.
    let mut seen = 0;
    for d in 0..100 {
        let dfd = k.sys_open(&format!("/t/d{d}"), O_RDONLY, 0).unwrap();
        let names = k.sys_getdents(dfd).unwrap();
        k.sys_close(dfd).unwrap();
        for e in names.iter().filter(|e| e.name != b"." && e.name != b"..") {
            let path = format!("/t/d{d}/{}", String::from_utf8_lossy(&e.name));
            let st = k.sys_stat(&path).unwrap();
            assert_eq!(st.ino, e.ino);
            let fd = k.sys_open(&path, O_RDONLY, 0).unwrap();
            let mut buf = [0u8; 16];
            let n = k.sys_read(fd, &mut buf).unwrap();
            assert!(buf[..n].starts_with(format!("{d}/").as_bytes()));
            k.sys_close(fd).unwrap();
            seen += 1;
            most = most.max(vfs.cached_vnodes());
        }
    }
    assert_eq!(seen, 10_000);
    assert!(most <= 16, "the cache held {most} vnodes");
    // kern.maxvnodes is writable and shrinks the cache at once.
    let mib = k.sysctl().name_to_mib("kern.maxvnodes").unwrap();
    k.sys_sysctl(&mib, None, Some(&8i32.to_le_bytes()))
        .unwrap()
        .result
        .unwrap();
    assert!(vfs.cached_vnodes() <= 8);
    assert_eq!(vfs.maxvnodes(), 8);
}
