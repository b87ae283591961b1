//! The vnd driver loaded at run time (`rump_server -lrumpdev_vnd`) and
//! configured by a remote client, as NetBSD's vnconfig does it: the file's
//! path is in the client's memory, the unit then reads and writes the
//! file, and an unmodified Linux `dd` under the hijack reads the raw disk.

mod common;

use common::*;
use netbsd_abi::{O_CREAT, O_RDWR, SYS_close, SYS_ioctl, SYS_open, SYS_pread, SYS_pwrite};
use rumpclient::Regions;
use rumpdev_vnd::vndio::{VNDIOCCLR, VNDIOCGET, VNDIOCSET, vnd_ioctl, vnd_user};
/// The image: 4 MiB.
const SIZE: u64 = 4 << 20;

#[test]
fn a_remote_client_configures_vnd_loaded_at_run_time() {
    let dir = tempdir("vnd-remote");
    let url = format!("unix://{}", dir.join("s").display());
    let (server, c) = serve(
        "rump_server",
        &["-lrumpvfs", "-lrumpdev", "-lrumpdev_vnd"],
        &url,
    );
    let _server = KillOnDrop(server);
    let m = Regions::new();
    let call = |n: usize, args: &[u64]| c.syscall(n, args, &m).map(|r| r[0] as u64);

    // The image, in the kernel's root file system.
    let img = call(
        SYS_open,
        &[m.add(b"/disk.img\0"), (O_CREAT | O_RDWR) as u64, 0o644],
    )
    .unwrap();
    call(SYS_pwrite, &[img, m.add(&[0u8; 512]), 512, 0, SIZE - 512]).unwrap();

    let ctl = call(SYS_open, &[m.add(b"/dev/rvnd0d\0"), O_RDWR as u64]).unwrap();
    // struct vnd_ioctl: the path's address, no flags.
    let mut arg = [0u8; vnd_ioctl::SIZE];
    vnd_ioctl::vnd_file.put(&mut arg, m.add(b"/disk.img\0"));
    let vio = m.add(&arg);
    call(SYS_ioctl, &[ctl, VNDIOCSET, vio]).unwrap();
    let out = m.get(vio);
    assert_eq!(vnd_ioctl::vnd_size.get(&out), Some(SIZE));
    assert_eq!(vnd_ioctl::vnd_osize.get(&out), Some(SIZE & 0xffff_ffff));
    // Twice: EBUSY.
    let again = m.add(&arg);
    assert_eq!(
        c.syscall(SYS_ioctl, &[ctl, VNDIOCSET, again], &m)
            .unwrap_err(),
        rump::Errno::EBUSY
    );
    // struct vnd_user of unit 0: the image's inode.
    let vnu = m.add(&[0u8; vnd_user::SIZE]);
    call(SYS_ioctl, &[ctl, VNDIOCGET, vnu]).unwrap();
    assert_ne!(vnd_user::vnu_ino.get(&m.get(vnu)), Some(0));

    // Written through partition a, found in the file.
    let raw = call(SYS_open, &[m.add(b"/dev/rvnd0a\0"), O_RDWR as u64]).unwrap();
    let data: Vec<u8> = (0..1024u32).map(|i| (i * 13 + 7) as u8).collect();
    assert_eq!(
        call(SYS_pwrite, &[raw, m.add(&data), 1024, 0, 8 * 512]).unwrap(),
        1024
    );
    let back = m.add(&[0u8; 1024]);
    assert_eq!(
        call(SYS_pread, &[img, back, 1024, 0, 8 * 512]).unwrap(),
        1024
    );
    assert_eq!(m.get(back), data);

    // An unmodified dd reads it from the raw disk.
    let copy = dir.join("copy");
    let o = hijacked(
        &url,
        &[
            "dd",
            "if=/rump/dev/rvnd0a",
            &format!("of={}", copy.display()),
            "bs=512",
            "skip=8",
            "count=2",
        ],
    );
    assert!(o.status.success(), "dd: {}", stderr(&o));
    assert_eq!(std::fs::read(&copy).unwrap(), data);

    // Cleared: busy while partition a is open, then cleared.
    let clr = m.add(&[0u8; vnd_ioctl::SIZE]);
    assert_eq!(
        c.syscall(SYS_ioctl, &[ctl, VNDIOCCLR, clr], &m)
            .unwrap_err(),
        rump::Errno::EBUSY
    );
    call(SYS_close, &[raw]).unwrap();
    call(SYS_ioctl, &[ctl, VNDIOCCLR, clr]).unwrap();
    call(SYS_ioctl, &[ctl, VNDIOCGET, vnu]).unwrap();
    let u = m.get(vnu);
    assert_eq!(vnd_user::vnu_dev.get(&u), Some(0));
    assert_eq!(vnd_user::vnu_ino.get(&u), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The server, stopped however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
