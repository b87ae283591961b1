//! The md driver loaded at run time (`rump_server -lrumpdev_md`) and
//! configured by a remote client: memory past the server's `-r` limit is
//! refused with ENOMEM and the kernel goes on serving, a unit that fits
//! reads and writes, a wedge on it is listed into the client's memory,
//! and an unmodified Linux `dd` under the hijack reads the raw disk.

mod common;

use common::*;
use netbsd_abi::{O_RDWR, SYS_close, SYS_ioctl, SYS_open, SYS_pwrite};
use rumpclient::Regions;
use rumpdev::disk::wedge::{DIOCAWEDGE, DIOCLWEDGES, dkwedge_info, dkwedge_list};
use rumpdev::md::mdio::{MD_GETCONF, MD_KMEM_ALLOCATED, MD_SETCONF, md_conf};

#[test]
fn a_remote_client_configures_md_loaded_at_run_time() {
    let dir = tempdir("md-remote");
    let url = format!("unix://{}", dir.join("s").display());
    let (server, c) = serve(
        "rump_server",
        &["-r", "48m", "-lrumpvfs", "-lrumpdev", "-lrumpdev_md"],
        &url,
    );
    let _server = KillOnDrop(server);
    let m = Regions::new();
    let call = |n: usize, args: &[u64]| c.syscall(n, args, &m).map(|r| r[0] as u64);
    let conf = |size: u64| {
        let mut arg = [0u8; md_conf::SIZE];
        md_conf::md_size.put(&mut arg, size);
        md_conf::md_type.put(&mut arg, u64::from(MD_KMEM_ALLOCATED));
        m.add(&arg)
    };

    let ctl = call(SYS_open, &[m.add(b"/dev/rmd0d\0"), O_RDWR as u64]).unwrap();
    // Past the limit: ENOMEM, and the server answers on.
    assert_eq!(
        c.syscall(SYS_ioctl, &[ctl, MD_SETCONF, conf(64 << 20)], &m)
            .unwrap_err(),
        rump::Errno::ENOMEM
    );
    call(SYS_ioctl, &[ctl, MD_SETCONF, conf(4 << 20)]).unwrap();
    let got = m.add(&[0u8; md_conf::SIZE]);
    call(SYS_ioctl, &[ctl, MD_GETCONF, got]).unwrap();
    let out = m.get(got);
    assert_eq!(md_conf::md_size.get(&out), Some(4 << 20));
    assert_eq!(
        md_conf::md_type.get(&out),
        Some(u64::from(MD_KMEM_ALLOCATED))
    );

    // Written through the raw partition a.
    let raw = call(SYS_open, &[m.add(b"/dev/rmd0a\0"), O_RDWR as u64]).unwrap();
    let data: Vec<u8> = (0..1024u32).map(|i| (i * 13 + 7) as u8).collect();
    assert_eq!(
        call(SYS_pwrite, &[raw, m.add(&data), 1024, 0, 8 * 512]).unwrap(),
        1024
    );
    call(SYS_close, &[raw]).unwrap();

    // A wedge, listed into the client's memory.
    let mut w = [0u8; dkwedge_info::SIZE];
    w[dkwedge_info::dkw_wname.range()][..4].copy_from_slice(b"data");
    dkwedge_info::dkw_offset.put(&mut w, 8);
    dkwedge_info::dkw_size.put(&mut w, 2);
    call(SYS_ioctl, &[ctl, DIOCAWEDGE, m.add(&w)]).unwrap();
    let buf = m.add(&[0u8; 2 * dkwedge_info::SIZE]);
    let mut l = [0u8; dkwedge_list::SIZE];
    dkwedge_list::dkwl_buf.put(&mut l, buf);
    dkwedge_list::dkwl_bufsize.put(&mut l, 2 * dkwedge_info::SIZE as u64);
    let l = m.add(&l);
    call(SYS_ioctl, &[ctl, DIOCLWEDGES, l]).unwrap();
    let l = m.get(l);
    assert_eq!(dkwedge_list::dkwl_nwedges.get(&l), Some(1));
    assert_eq!(dkwedge_list::dkwl_ncopied.get(&l), Some(1));
    let info = m.get(buf);
    assert_eq!(&info[dkwedge_info::dkw_devname.range()][..4], b"dk0\0");
    assert_eq!(&info[dkwedge_info::dkw_parent.range()][..4], b"md0\0");
    assert_eq!(dkwedge_info::dkw_offset.get(&info), Some(8));

    // An unmodified dd reads it from the raw disk.
    let copy = dir.join("copy");
    let o = hijacked(
        &url,
        &[
            "dd",
            "if=/rump/dev/rmd0a",
            &format!("of={}", copy.display()),
            "bs=512",
            "skip=8",
            "count=2",
        ],
    );
    assert!(o.status.success(), "dd: {}", stderr(&o));
    assert_eq!(std::fs::read(&copy).unwrap(), data);
    call(SYS_close, &[ctl]).unwrap();
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
