//! The device benchmarks (issue #18): `dd` from `/dev/zero` in a local
//! kernel against the host's `/dev/zero`, and FFS on a vnd disk over a
//! file in tmpfs against FFS on an etfs drive, in the same run.

use crate::{Record, median, scratch, time_runs};
use netbsd_abi::SYS_ioctl;
use rump::usermem::BufferSpace;
use rumpdev_vnd::vndio::{VNDIOCSET, vnd_ioctl};
use rumpvfs::VfsCalls;
use rumpvfs::etfs::{self, EtfsType};
use rumpvfs::flags::{O_CREAT, O_RDONLY, O_RDWR, O_WRONLY};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::time::Instant;

/// `dd bs=64k` reads of 256 MiB.
const DD_TOTAL: usize = 256 << 20;
const DD_BLOCK: usize = 64 << 10;

/// The FFS image, and the file written to it and read back.
const IMAGE: u64 = 256 << 20;
const FFS_TOTAL: usize = 128 << 20;
const CHUNK: usize = 64 << 10;

/// Where the `VNDIOCSET` argument and the file's name sit in the
/// simulated caller.
const ARG: u64 = 0x1000;
const NAME: u64 = 0x1800;

/// Both device groups.
pub fn dev(records: &mut Vec<Record>) {
    dd_zero(records);
    ffs_on_vnd(records);
}

fn dd_zero(records: &mut Vec<Record>) {
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .boot()
        .expect("boot");
    let mut buf = vec![1u8; DD_BLOCK];
    let ours = time_runs(5, || {
        let fd = k.sys_open("/dev/zero", O_RDONLY, 0).expect("open");
        for _ in 0..DD_TOTAL / DD_BLOCK {
            assert_eq!(k.sys_read(fd, &mut buf).expect("read"), DD_BLOCK);
        }
        k.sys_close(fd).expect("close");
    });
    let host = time_runs(5, || {
        let mut f = std::fs::File::open("/dev/zero").expect("host /dev/zero");
        for _ in 0..DD_TOTAL / DD_BLOCK {
            f.read_exact(&mut buf).expect("read");
        }
    });
    records.push(Record::ms(
        "dd 256 MiB /dev/zero bs=64k",
        ours,
        "host: read(2) of /dev/zero",
        host,
    ));
}

/// Write `FFS_TOTAL` bytes to `/m/big` and fsync, then remount with
/// `attach` and read them back: the two times.
fn write_then_read(
    k: &rump::Kernel,
    attach: &dyn Fn(),
    detach: &dyn Fn(),
) -> (std::time::Duration, std::time::Duration) {
    let chunk = vec![0x5au8; CHUNK];
    let mut back = vec![0u8; CHUNK];
    attach();
    let t = Instant::now();
    let fd = k
        .sys_open("/m/big", O_CREAT | O_WRONLY, 0o644)
        .expect("create");
    for _ in 0..FFS_TOTAL / CHUNK {
        k.sys_write(fd, &chunk).expect("write");
    }
    k.sys_fsync(fd).expect("fsync");
    k.sys_close(fd).expect("close");
    let w = t.elapsed();
    detach();
    attach();
    let t = Instant::now();
    let fd = k.sys_open("/m/big", O_RDONLY, 0).expect("open");
    for _ in 0..FFS_TOTAL / CHUNK {
        k.sys_read(fd, &mut back).expect("read");
    }
    k.sys_close(fd).expect("close");
    let r = t.elapsed();
    k.sys_unlink("/m/big").expect("unlink");
    detach();
    (w, r)
}

fn ffs_on_vnd(records: &mut Vec<Record>) {
    let dir = scratch();
    let img = dir.join("dev-ffs.img");
    let path = img.to_str().expect("utf-8 path").to_string();
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
        .component(&rumpfs_tmpfs::COMPONENT)
        .component(&rumpfs_ffs::COMPONENT)
        .component(&rumpdev::COMPONENT)
        .component(&rumpdev_vnd::COMPONENT)
        .boot()
        .expect("boot");
    k.sys_mkdir("/m", 0o755).expect("mkdir");
    k.sys_mkdir("/t", 0o755).expect("mkdir");
    k.sys_mount("tmpfs", "/t", 0, &rumpfs_tmpfs::args(0, 0))
        .expect("tmpfs");

    // The same image in a tmpfs file, as the disk of vnd0.
    let image = std::fs::read(&img).expect("read the image");
    let fd = k
        .sys_open("/t/ffs.img", O_CREAT | O_RDWR, 0o644)
        .expect("image in tmpfs");
    for piece in image.chunks(1 << 20) {
        k.sys_write(fd, piece).expect("copy the image");
    }
    k.sys_close(fd).expect("close");
    drop(image);
    let ctl = k.sys_open("/dev/rvnd0d", O_RDWR, 0).expect("rvnd0d");
    let us = BufferSpace::new(ARG, 0x1000);
    let mut arg = [0u8; vnd_ioctl::SIZE];
    vnd_ioctl::vnd_file.put(&mut arg, NAME);
    us.poke(ARG, &arg);
    us.poke(NAME, b"/t/ffs.img\0");
    k.syscall(SYS_ioctl, &[ctl as u64, VNDIOCSET, ARG], &us)
        .expect("VNDIOCSET");

    let (mut vw, mut vr, mut ew, mut er) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let unmount = || k.sys_unmount("/m", 0).expect("unmount");
    // Medians of five: the host's disk and its other work make single
    // runs vary by half.
    for _ in 0..5 {
        let (w, r) = write_then_read(
            &k,
            &|| {
                k.sys_mount_dev("ffs", "/dev/vnd0a", "/m", 0)
                    .expect("mount vnd0a")
            },
            &unmount,
        );
        vw.push(w);
        vr.push(r);
        // A fresh etfs device each time, so that reads start from the image.
        let (w, r) = write_then_read(
            &k,
            &|| {
                let _ = etfs::remove(&k, "/dev/ffs");
                etfs::register(&k, "/dev/ffs", &path, EtfsType::Blk).expect("register");
                k.sys_mount_dev("ffs", "/dev/ffs", "/m", 0)
                    .expect("mount etfs");
            },
            &unmount,
        );
        ew.push(w);
        er.push(r);
    }
    k.sys_close(ctl).expect("close");
    let _ = std::fs::remove_file(&img);
    records.push(Record::ms(
        "ffs on vnd 128M write+fsync",
        median(vw),
        "ffs on an etfs drive",
        median(ew),
    ));
    records.push(Record::ms(
        "ffs on vnd 128M read",
        median(vr),
        "ffs on an etfs drive",
        median(er),
    ));
}
