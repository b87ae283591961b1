//! The device tree and `/dev/drvctl` in one kernel: `mainbus0` at the
//! root, `vnd0` beside it from its first open until it is neither
//! configured nor open, `DRVLISTDEV`'s counting and copying out, and
//! `DRVDETACHDEV` unconfiguring an idle vnd (EBUSY while it is open), as
//! NetBSD's rump kernel answers them (measured with a client of its own).

use netbsd_abi::SYS_ioctl;
use rump::usermem::BufferSpace;
use rump::{BootConfig, Errno, Kernel, KernelBuilder};
use rumpdev::drvctl::{
    DRVDETACHDEV, DRVGETEVENT, DRVLISTDEV, DRVRESCANBUS, devlistargs, devrescanargs,
};
use rumpdev_vnd::vndio::{VNDIOCSET, vnd_ioctl};
use rumpvfs::VfsCalls;
use rumpvfs::flags::*;
use std::sync::Arc;

/// Where the arguments live in the simulated caller.
const ARG: u64 = 0x1000;
/// Where `DRVLISTDEV` copies the children's names.
const NAMES: u64 = 0x2000;

fn boot() -> Arc<Kernel> {
    let k = KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .component(&rumpdev::COMPONENT)
        .component(&rumpdev::drvctl::COMPONENT)
        .component(&rumpdev_vnd::COMPONENT)
        .boot()
        .unwrap();
    k.sys_mkdir("/img", 0o755).unwrap();
    k.sys_mount("tmpfs", "/img", 0, &rumpfs_tmpfs::args(0, 0))
        .unwrap();
    let fd = k.sys_open("/img/f", O_CREAT | O_RDWR, 0o644).unwrap();
    k.sys_ftruncate(fd, 1 << 20).unwrap();
    k.sys_close(fd).unwrap();
    k
}

/// `DRVLISTDEV` of `name` with room for `room` names: the count and the
/// names copied out.
fn list(k: &Kernel, fd: i32, name: &str, room: u64) -> Result<(u64, Vec<String>), Errno> {
    let us = BufferSpace::new(ARG, 0x2000);
    let mut arg = [0u8; rumpdev::drvctl::DEVLISTARGS_SIZE];
    arg[..name.len()].copy_from_slice(name.as_bytes());
    devlistargs::L_CHILDNAME.put(&mut arg, if room > 0 { NAMES } else { 0 });
    devlistargs::L_CHILDREN.put(&mut arg, room);
    us.poke(ARG, &arg);
    k.syscall(SYS_ioctl, &[fd as u64, DRVLISTDEV, ARG], &us)?;
    let out = us.peek(ARG, arg.len());
    let n = devlistargs::L_CHILDREN.get(&out).unwrap();
    let names = (0..n.min(room))
        .map(|i| {
            let slot = us.peek(NAMES + i * 16, 16);
            let end = slot.iter().position(|&b| b == 0).unwrap();
            String::from_utf8(slot[..end].to_vec()).unwrap()
        })
        .collect();
    Ok((n, names))
}

fn root(k: &Kernel, fd: i32) -> Vec<String> {
    list(k, fd, "", 16).unwrap().1
}

/// An ioctl whose argument is one device name.
fn by_name(k: &Kernel, fd: i32, cmd: u64, name: &str) -> Result<(), Errno> {
    let us = BufferSpace::new(ARG, 0x100);
    us.poke(ARG, name.as_bytes());
    us.poke(ARG + name.len() as u64, &[0]);
    k.syscall(SYS_ioctl, &[fd as u64, cmd, ARG], &us).map(drop)
}

fn vnconfig(k: &Kernel, file: &str) -> i32 {
    let fd = k.sys_open("/dev/rvnd0d", O_RDWR, 0).unwrap();
    let us = BufferSpace::new(ARG, 0x1000);
    let mut arg = [0u8; vnd_ioctl::SIZE];
    vnd_ioctl::vnd_file.put(&mut arg, ARG + 0x800);
    us.poke(ARG, &arg);
    us.poke(ARG + 0x800, file.as_bytes());
    us.poke(ARG + 0x800 + file.len() as u64, &[0]);
    k.syscall(SYS_ioctl, &[fd as u64, VNDIOCSET, ARG], &us)
        .unwrap();
    fd
}

#[test]
fn drvctl_lists_mainbus_and_vnd_units_while_they_exist() {
    let k = boot();
    let fd = k.sys_open("/dev/drvctl", O_RDONLY, 0).unwrap();
    assert_eq!(root(&k, fd), ["mainbus0"]);
    // Counting without room, room for fewer than there are.
    assert_eq!(list(&k, fd, "", 0).unwrap(), (1, vec![]));
    assert_eq!(list(&k, fd, "mainbus0", 4).unwrap(), (0, vec![]));
    assert_eq!(list(&k, fd, "nosuch0", 4), Err(Errno::ENXIO));
    assert_eq!(
        list(&k, fd, "0123456789abcdef", 4),
        Err(Errno::EINVAL),
        "a name without its NUL"
    );

    // Opening a unit makes it; its last close, unconfigured, ends it.
    let v = k.sys_open("/dev/rvnd0d", O_RDONLY, 0).unwrap();
    assert_eq!(root(&k, fd), ["mainbus0", "vnd0"]);
    assert_eq!(list(&k, fd, "", 1).unwrap(), (2, vec!["mainbus0".into()]));
    k.sys_close(v).unwrap();
    assert_eq!(root(&k, fd), ["mainbus0"]);

    // Configured, it stays after the close.
    let v = vnconfig(&k, "/img/f");
    k.sys_close(v).unwrap();
    assert_eq!(root(&k, fd), ["mainbus0", "vnd0"]);

    // DRVDETACHDEV: EBUSY while open, else vnd unconfigures and goes;
    // mainbus0 cannot detach, an unknown name is ENXIO.
    let v = k.sys_open("/dev/rvnd0d", O_RDONLY, 0).unwrap();
    assert_eq!(by_name(&k, fd, DRVDETACHDEV, "vnd0"), Err(Errno::EBUSY));
    k.sys_close(v).unwrap();
    assert_eq!(by_name(&k, fd, DRVDETACHDEV, "vnd0"), Ok(()));
    assert_eq!(root(&k, fd), ["mainbus0"]);
    assert_eq!(by_name(&k, fd, DRVDETACHDEV, "vnd0"), Err(Errno::ENXIO));
    assert_eq!(
        by_name(&k, fd, DRVDETACHDEV, "mainbus0"),
        Err(Errno::EOPNOTSUPP)
    );
    // The unit is no longer configured: its partition a is gone.
    assert_eq!(k.sys_open("/dev/vnd0a", O_RDONLY, 0), Err(Errno::ENXIO));

    // No bus here rescans; property lists are not built.
    let us = BufferSpace::new(ARG, 0x100);
    let mut arg = [0u8; rumpdev::drvctl::DEVRESCANARGS_SIZE];
    arg[..8].copy_from_slice(b"mainbus0");
    us.poke(ARG, &arg);
    let rescan = |us: &BufferSpace| k.syscall(SYS_ioctl, &[fd as u64, DRVRESCANBUS, ARG], us);
    assert_eq!(rescan(&us).err(), Some(Errno::ENODEV));
    devrescanargs::NUMLOCATORS.put(&mut arg, 101);
    us.poke(ARG, &arg);
    assert_eq!(rescan(&us).err(), Some(Errno::EINVAL));
    arg[..8].copy_from_slice(b"nosuch0\0");
    devrescanargs::NUMLOCATORS.put(&mut arg, 0);
    us.poke(ARG, &arg);
    assert_eq!(rescan(&us).err(), Some(Errno::ENXIO));
    assert_eq!(
        k.syscall(SYS_ioctl, &[fd as u64, DRVGETEVENT, ARG], &us)
            .err(),
        Some(Errno::EOPNOTSUPP)
    );
    // Reads and writes are ENODEV, unknown commands ENOTTY.
    let mut b = [0u8; 16];
    assert_eq!(k.sys_read(fd, &mut b), Err(Errno::ENODEV));
    k.sys_close(fd).unwrap();
}
