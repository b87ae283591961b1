//! Wedges on md in one kernel: `struct dkwedge_info` and
//! `struct dkwedge_list` as NetBSD's `sys/disk.h` lays them out, adding
//! (overlaps, duplicate names, busy parents), listing, deleting, the `dk`
//! devices' transfers cut at the wedge's end and landing at its offset in
//! the parent, and an FFS made on a wedge.

mod common;

use common::*;
use rump::Errno;
use rump::devsw::makedev;
use rumpdev::disk::wedge::{
    DIOCAWEDGE, DIOCDWEDGE, DIOCGWEDGEINFO, DIOCLWEDGES, DIOCMWEDGES, DK_MAJOR, dkwedge_info,
    dkwedge_list,
};
use rumpdev::disk::{DIOCGMEDIASIZE, DIOCGPARTINFO, DIOCGSECTORSIZE, partinfo};
use rumpvfs::VfsCalls;
use rumpvfs::flags::*;

/// A `struct dkwedge_info` written byte by byte as `sys/disk.h` lays it
/// out on amd64: names at 0, 16, 144 and 176, offset and size at 160 and
/// 168, 208 bytes in all.
fn info_bytes(wname: &str, offset: i64, size: u64, ptype: &str) -> Vec<u8> {
    let mut b = vec![0u8; 208];
    b[..4].copy_from_slice(b"junk");
    b[16..16 + wname.len()].copy_from_slice(wname.as_bytes());
    b[144..148].copy_from_slice(b"junk");
    b[160..168].copy_from_slice(&offset.to_le_bytes());
    b[168..176].copy_from_slice(&size.to_le_bytes());
    b[176..176 + ptype.len()].copy_from_slice(ptype.as_bytes());
    b
}

fn name_at(b: &[u8], at: usize, len: usize) -> String {
    let f = &b[at..at + len];
    let n = f.iter().position(|&c| c == 0).unwrap_or(len);
    String::from_utf8_lossy(&f[..n]).into_owned()
}

/// `DIOCAWEDGE`: the device name the kernel gave.
fn add(k: &rump::Kernel, fd: i32, wname: &str, offset: i64, size: u64) -> Result<String, Errno> {
    let out = ioctl(k, fd, DIOCAWEDGE, &info_bytes(wname, offset, size, "ffs"))?;
    assert_eq!(name_at(&out, 144, 16), "md0");
    Ok(name_at(&out, 0, 16))
}

fn del(k: &rump::Kernel, fd: i32, devname: &str) -> Result<(), Errno> {
    let mut b = info_bytes("", 0, 0, "");
    b[..16].fill(0);
    b[..devname.len()].copy_from_slice(devname.as_bytes());
    ioctl(k, fd, DIOCDWEDGE, &b).map(drop)
}

/// `DIOCLWEDGES` with room for `room` bytes: (nwedges, the copied wedges
/// as (devname, wname, offset, size)).
fn list(k: &rump::Kernel, fd: i32, room: u64) -> (u32, Vec<(String, String, u64, u64)>) {
    let us = space();
    let mut arg = [0u8; 24];
    arg[..8].copy_from_slice(&OUT.to_le_bytes());
    arg[8..16].copy_from_slice(&room.to_le_bytes());
    us.poke(ARG, &arg);
    ioctl_in(k, fd, DIOCLWEDGES, &us).unwrap();
    let out = us.peek(ARG, 24);
    let nwedges = u32::from_le_bytes(out[16..20].try_into().unwrap());
    let ncopied = u32::from_le_bytes(out[20..24].try_into().unwrap());
    let wedges = (0..ncopied as u64)
        .map(|i| {
            let w = us.peek(OUT + i * 208, 208);
            (
                name_at(&w, 0, 16),
                name_at(&w, 16, 128),
                u64::from_le_bytes(w[160..168].try_into().unwrap()),
                u64::from_le_bytes(w[168..176].try_into().unwrap()),
            )
        })
        .collect();
    (nwedges, wedges)
}

#[test]
fn layouts_and_commands_are_netbsds() {
    assert_eq!(dkwedge_info::SIZE, 208);
    assert_eq!(dkwedge_list::SIZE, 24);
    let b = info_bytes("w", -1, 7, "t");
    assert_eq!(dkwedge_info::dkw_offset.get(&b), Some(u64::MAX));
    assert_eq!(dkwedge_info::dkw_size.get(&b), Some(7));
    assert_eq!(b[dkwedge_info::dkw_wname.range()][0], b'w');
    assert_eq!(b[dkwedge_info::dkw_ptype.range()][0], b't');
    // sys/dkio.h: _IOWR('d', 121, 208), _IOR('d', 122, 208),
    // _IOW('d', 123, 208), _IOWR('d', 124, 24), _IOR('d', 131, int).
    assert_eq!(DIOCAWEDGE, 0xc0d0_6479);
    assert_eq!(DIOCGWEDGEINFO, 0x40d0_647a);
    assert_eq!(DIOCDWEDGE, 0x80d0_647b);
    assert_eq!(DIOCLWEDGES, 0xc018_647c);
    assert_eq!(DIOCMWEDGES, 0x4004_6483);
}

#[test]
fn add_list_and_delete() {
    let k = boot();
    let fd = k.sys_open("/dev/rmd0d", O_RDWR, 0).unwrap();
    md_kalloc(&k, fd, 4 << 20).unwrap();
    assert_eq!(add(&k, fd, "one", 0, 2048).unwrap(), "dk0");
    assert_eq!(add(&k, fd, "two", 2048, 2048).unwrap(), "dk1");
    // Overlaps: the same wedge again is EEXIST, any other EINVAL.
    assert_eq!(add(&k, fd, "one", 0, 2048), Err(Errno::EEXIST));
    assert_eq!(add(&k, fd, "three", 1000, 2000), Err(Errno::EINVAL));
    assert_eq!(add(&k, fd, "three", 4095, 10), Err(Errno::EINVAL));
    assert_eq!(add(&k, fd, "three", 0, 1), Err(Errno::EINVAL));
    // A name is unique in the kernel; a negative offset is refused.
    assert_eq!(add(&k, fd, "two", 5000, 10), Err(Errno::EEXIST));
    assert_eq!(add(&k, fd, "three", -1, 10), Err(Errno::EINVAL));
    // Nothing past the parent's end is refused at add (NetBSD 7.99 does
    // not look); its transfers are cut at the parent's end.
    assert_eq!(add(&k, fd, "far", 8000, 1000).unwrap(), "dk2");
    // Lists: newest first, as many as fit.
    let (n, ws) = list(&k, fd, 208 * 3);
    assert_eq!(n, 3);
    let names: Vec<_> = ws.iter().map(|w| w.0.as_str()).collect();
    assert_eq!(names, ["dk2", "dk1", "dk0"]);
    assert_eq!(ws[1], ("dk1".into(), "two".into(), 2048, 2048));
    let (n, ws) = list(&k, fd, 208 * 2 - 1);
    assert_eq!((n, ws.len()), (3, 1));
    // Delete: by device name; ESRCH for none; the slot is taken again.
    assert_eq!(del(&k, fd, "dk7"), Err(Errno::ESRCH));
    del(&k, fd, "dk2").unwrap();
    assert_eq!(del(&k, fd, "dk2"), Err(Errno::ESRCH));
    assert_eq!(add(&k, fd, "again", 6000, 100).unwrap(), "dk2");
    del(&k, fd, "dk2").unwrap();
    // Read-only parents may list but not change.
    let ro = k.sys_open("/dev/rmd0d", O_RDONLY, 0).unwrap();
    assert_eq!(add(&k, ro, "ro", 5000, 10), Err(Errno::EBADF));
    assert_eq!(del(&k, ro, "dk0"), Err(Errno::EBADF));
    assert_eq!(list(&k, ro, 0).0, 2);
    // DIOCMWEDGES finds nothing: the rump kernel has no discovery method.
    assert_eq!(ioctl(&k, fd, DIOCMWEDGES, &[0; 4]), Ok(vec![0; 4]));
    assert_eq!(list(&k, fd, 0).0, 2);
    // A partition other than the raw one open: no new wedges.
    let a = k.sys_open("/dev/rmd0a", O_RDONLY, 0).unwrap();
    assert_eq!(add(&k, fd, "busy", 5000, 10), Err(Errno::EBUSY));
    k.sys_close(a).unwrap();
    // Wedges are open to I/O only through nodes one makes (NetBSD's rump
    // kernel makes none).
    assert_eq!(k.sys_stat("/dev/rdk0").unwrap_err(), Errno::ENOENT);
    mknod(&k, "/dev/rdk0", S_IFCHR | 0o600, makedev(DK_MAJOR, 0));
    let w = k.sys_open("/dev/rdk0", O_RDWR, 0).unwrap();
    assert_eq!(del(&k, fd, "dk0"), Err(Errno::EBUSY));
    let info = ioctl(&k, w, DIOCGWEDGEINFO, &[0xff; 208]).unwrap();
    assert_eq!(name_at(&info, 0, 16), "dk0");
    assert_eq!(name_at(&info, 16, 128), "one");
    assert_eq!(name_at(&info, 144, 16), "md0");
    assert_eq!(name_at(&info, 176, 32), "ffs");
    assert_eq!(
        &info[160..176],
        &[0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0]
    );
    k.sys_close(w).unwrap();
    del(&k, fd, "dk0").unwrap();
    assert_eq!(
        k.sys_open("/dev/rdk0", O_RDWR, 0).unwrap_err(),
        Errno::ENXIO
    );
    k.sys_close(ro).unwrap();
    k.sys_close(fd).unwrap();
}

#[test]
fn transfers_stay_inside_the_wedge() {
    let k = boot();
    let fd = k.sys_open("/dev/rmd0d", O_RDWR, 0).unwrap();
    md_kalloc(&k, fd, 4 << 20).unwrap();
    assert_eq!(add(&k, fd, "mid", 2048, 1024).unwrap(), "dk0");
    assert_eq!(add(&k, fd, "tail", 8000, 1000).unwrap(), "dk1");
    mknod(&k, "/dev/rdk0", S_IFCHR | 0o600, makedev(DK_MAJOR, 0));
    mknod(&k, "/dev/dk0", S_IFBLK | 0o600, makedev(DK_MAJOR, 0));
    mknod(&k, "/dev/rdk1", S_IFCHR | 0o600, makedev(DK_MAJOR, 1));
    let w = k.sys_open("/dev/rdk0", O_RDWR, 0).unwrap();
    assert_eq!(fstat_size(&k, w), 1024 * 512);
    let size = ioctl(&k, w, DIOCGMEDIASIZE, &[0; 8]).unwrap();
    assert_eq!(u64::from_le_bytes(size.try_into().unwrap()), 1024 * 512);
    let secsize = ioctl(&k, w, DIOCGSECTORSIZE, &[0; 4]).unwrap();
    assert_eq!(u32::from_le_bytes(secsize.try_into().unwrap()), 512);
    // A wedge answers no label ioctls.
    assert_eq!(
        ioctl(&k, w, DIOCGPARTINFO, &[0; partinfo::SIZE]).unwrap_err(),
        Errno::ENOTTY
    );
    // Sector 0 of the wedge is sector 2048 of the parent.
    let data: Vec<u8> = (0..4096u32).map(|i| (i * 13 + 1) as u8).collect();
    assert_eq!(k.sys_pwrite(w, &data, 0).unwrap(), data.len());
    let mut back = vec![0u8; data.len()];
    assert_eq!(k.sys_pread(fd, &mut back, 2048 * 512).unwrap(), data.len());
    assert_eq!(back, data);
    // At the end: cut, then nothing, then EINVAL past it.
    let end = 1024 * 512;
    assert_eq!(k.sys_pwrite(w, &data, end - 1024).unwrap(), 1024);
    assert_eq!(
        k.sys_pread(fd, &mut back[..1024], 2048 * 512 + end - 1024)
            .unwrap(),
        1024
    );
    assert_eq!(&back[..1024], &data[..1024]);
    assert_eq!(
        k.sys_pread(fd, &mut back[..512], 2048 * 512 + end).unwrap(),
        512
    );
    assert_ne!(
        &back[..512],
        &data[1024..1536],
        "nothing written past the wedge"
    );
    assert_eq!(k.sys_pread(w, &mut back, end).unwrap(), 0);
    assert_eq!(
        k.sys_pread(w, &mut back, end + 512).unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(k.sys_pread(w, &mut back, 1).unwrap_err(), Errno::EINVAL);
    // The block device sees the same bytes, at any offset.
    let b = k.sys_open("/dev/dk0", O_RDONLY, 0).unwrap();
    let mut some = [0u8; 100];
    assert_eq!(k.sys_pread(b, &mut some, 7).unwrap(), 100);
    assert_eq!(&some[..], &data[7..107]);
    k.sys_close(b).unwrap();
    // A wedge past the parent's end moves what the parent has.
    let t = k.sys_open("/dev/rdk1", O_RDWR, 0).unwrap();
    let mut big = vec![0u8; 200 * 512];
    assert_eq!(k.sys_pread(t, &mut big, 0).unwrap(), 192 * 512);
    assert_eq!(k.sys_pread(t, &mut big, 192 * 512).unwrap(), 0);
    k.sys_close(t).unwrap();
    k.sys_close(w).unwrap();
    k.sys_close(fd).unwrap();
}

#[test]
fn ffs_on_a_wedge() {
    let k = boot();
    let fd = k.sys_open("/dev/rmd0d", O_RDWR, 0).unwrap();
    md_kalloc(&k, fd, 24 << 20).unwrap();
    assert_eq!(add(&k, fd, "fs", 4096, 32768).unwrap(), "dk0");
    mknod(&k, "/dev/rdk0", S_IFCHR | 0o600, makedev(DK_MAJOR, 0));
    mknod(&k, "/dev/dk0", S_IFBLK | 0o600, makedev(DK_MAJOR, 0));
    ffs_round_trip(&k, "/dev/rdk0", "/dev/dk0", 16 << 20);
    // The file system lies inside the wedge: the parent's first 2 MiB
    // are untouched.
    let mut head = vec![0xffu8; 4096 * 512];
    assert_eq!(k.sys_pread(fd, &mut head, 0).unwrap(), head.len());
    assert!(head.iter().all(|&b| b == 0));
    k.sys_close(fd).unwrap();
}
