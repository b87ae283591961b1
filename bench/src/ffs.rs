//! FFS on an image file against the host's own I/O on that file.

use crate::*;
use std::time::Instant;

/// FFS on an image file, next to the host doing the same I/O on the same
/// file with pread/pwrite (the most the image can give).
pub(crate) fn ffs(records: &mut Vec<Record>) {
    use rumpvfs::VfsCalls;
    use rumpvfs::etfs::{self, EtfsType};
    use rumpvfs::flags::{O_CREAT, O_RDONLY, O_WRONLY};
    use std::os::unix::fs::FileExt;
    const IMAGE: u64 = 1 << 30;
    const TOTAL: usize = 256 << 20;
    const CHUNK: usize = 64 << 10;
    const FILES: usize = 10_000;
    const SMALL: usize = 2000;
    let dir = scratch();
    let img = dir.join("ffs.img");
    let path = img.to_str().expect("utf-8 path").to_string();
    // Written out whole first (newfs -Z), so that neither side pays for the
    // host allocating a sparse file.
    {
        let f = std::fs::File::create(&img).expect("image");
        let zeros = vec![0u8; 1 << 20];
        for i in 0..IMAGE >> 20 {
            f.write_all_at(&zeros, i << 20).expect("zero the image");
        }
    }
    let dev = rumpfs_ffs::dev::HostDev::open(&path, true).expect("image");
    rumpfs_ffs::mkfs::newfs(
        std::sync::Arc::new(dev),
        &rumpfs_ffs::mkfs::Params::default(),
    )
    .expect("newfs");
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_ffs::COMPONENT)
        .boot()
        .expect("boot");
    k.sys_mkdir("/m", 0o755).expect("mkdir");
    // A fresh device each time, so that reads start from the image.
    let attach = || {
        let _ = etfs::remove(&k, "/dev/ffs");
        etfs::register(&k, "/dev/ffs", &path, EtfsType::Blk).expect("register");
        k.sys_mount_dev("ffs", "/dev/ffs", "/m", 0).expect("mount");
    };
    let chunk = vec![0x5au8; CHUNK];
    let mut back = vec![0u8; CHUNK];
    let (mut w, mut r) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        attach();
        let t = Instant::now();
        let fd = k
            .sys_open("/m/big", O_CREAT | O_WRONLY, 0o644)
            .expect("create");
        for _ in 0..TOTAL / CHUNK {
            k.sys_write(fd, &chunk).expect("write");
        }
        k.sys_fsync(fd).expect("fsync");
        k.sys_close(fd).expect("close");
        w.push(t.elapsed());
        k.sys_unmount("/m", 0).expect("unmount");
        attach();
        let t = Instant::now();
        let fd = k.sys_open("/m/big", O_RDONLY, 0).expect("open");
        for _ in 0..TOTAL / CHUNK {
            k.sys_read(fd, &mut back).expect("read");
        }
        k.sys_close(fd).expect("close");
        r.push(t.elapsed());
        k.sys_unlink("/m/big").expect("unlink");
        k.sys_unmount("/m", 0).expect("unmount");
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&img)
        .expect("image");
    // The second half of the image: past what the file system wrote.
    let base = IMAGE / 2;
    let host_w = time_runs(3, || {
        for i in 0..TOTAL / CHUNK {
            file.write_all_at(&chunk, base + (i * CHUNK) as u64)
                .expect("pwrite");
        }
        file.sync_data().expect("fdatasync");
    });
    let host_r = time_runs(3, || {
        for i in 0..TOTAL / CHUNK {
            file.read_exact_at(&mut back, base + (i * CHUNK) as u64)
                .expect("pread");
        }
    });
    records.push(Record::ms(
        "ffs 256 MiB write+fsync",
        median(w),
        "host: pwrite+fdatasync of the image",
        host_w,
    ));
    records.push(Record::ms(
        "ffs 256 MiB read",
        median(r),
        "host: pread of the image",
        host_r,
    ));
    let small = vec![0x33u8; SMALL];
    let mut c = Vec::new();
    for round in 0..3 {
        attach();
        let t = Instant::now();
        for i in 0..FILES {
            let fd = k
                .sys_open(&format!("/m/s{round}-{i}"), O_CREAT | O_WRONLY, 0o644)
                .expect("create");
            k.sys_write(fd, &small).expect("write");
            k.sys_close(fd).expect("close");
        }
        k.sys_sync().expect("sync");
        c.push(t.elapsed());
        k.sys_unmount("/m", 0).expect("unmount");
    }
    // The same bytes, each file's data, inode and entry, written in place.
    let host_c = time_runs(3, || {
        for i in 0..FILES as u64 {
            file.write_all_at(&small, base + i * 4096).expect("pwrite");
            file.write_all_at(&small[..256], base + (1 << 28) + i * 256)
                .expect("pwrite");
        }
        file.sync_data().expect("fdatasync");
    });
    records.push(Record::ms(
        "ffs 10k small files",
        median(c),
        "host: pwrite of their bytes",
        host_c,
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
