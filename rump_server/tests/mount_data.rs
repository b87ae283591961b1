//! The mount data a remote caller gives reaches the file system type's own
//! reader as NetBSD's `do_sys_mount` hands it over; each answer measured on
//! NetBSD's `rump_allserver` with a C client of its librumpclient:
//!
//! - a null data pointer, or a length short of `struct tmpfs_args`, or
//!   past `VFS_MAX_MOUNT_DATA` (8192), or another `ta_version`: EINVAL;
//! - a length of 0 means the type's own argument size (`vfs_min_mount_data`),
//!   and any length up to 8192 is taken;
//! - FFS without data or with a null `fspec`: EINVAL.

mod common;

use common::*;
use netbsd_abi::errno::Errno;
use netbsd_abi::layout::{tmpfs_args, ufs_args};
use netbsd_abi::{SYS___mount50, SYS_mkdir};
use rumpclient::{Client, Regions};

/// `mount(2)` of `fstype` on a new directory `dir`, with `data` (null
/// when `None`) and `len`.
fn mount(
    c: &Client,
    fstype: &str,
    dir: &str,
    data: Option<&[u8]>,
    len: usize,
) -> Result<(), Errno> {
    let m = Regions::new();
    c.syscall(SYS_mkdir, &[m.add(&cstr(dir)), 0o755], &m)
        .unwrap();
    let data = data.map_or(0, |d| m.add(d));
    c.syscall(
        SYS___mount50,
        &[m.add(&cstr(fstype)), m.add(&cstr(dir)), 0, data, len as u64],
        &m,
    )
    .map(drop)
}

#[test]
fn mount_data_is_handed_over_as_on_netbsd() {
    let dir = tempdir("mount-data");
    let url = format!("unix://{}/s", dir.display());
    let (mut server, c) = serve("rump_allserver", &[], &url);

    let args = tmpfs_args(0, 0o755);
    let mut big = args.clone();
    big.resize(9000, 0);
    let size = tmpfs_args::SIZE;
    let mut v2 = args.clone();
    tmpfs_args::ta_version.put(&mut v2, 2);
    let u = vec![0u8; ufs_args::SIZE + 64];
    // Asked before any assertion, so the server is stopped whatever the
    // answers are.
    let answers = [
        mount(&c, "tmpfs", "/null", None, size),
        mount(&c, "tmpfs", "/zero", Some(&args), 0),
        mount(&c, "tmpfs", "/short", Some(&args), size - 1),
        mount(&c, "tmpfs", "/9000", Some(&big), 9000),
        mount(&c, "tmpfs", "/8192", Some(&big), 8192),
        mount(&c, "tmpfs", "/v2", Some(&v2), size),
        mount(&c, "ffs", "/f1", Some(&u), 0),
        mount(&c, "ffs", "/f2", None, 0),
    ];
    let _ = server.kill();
    let _ = server.wait();
    let einval = Err(Errno::EINVAL);
    let expected = [
        einval,
        Ok(()),
        einval,
        einval,
        Ok(()),
        einval,
        einval,
        einval,
    ];
    assert_eq!(answers, expected);
}
