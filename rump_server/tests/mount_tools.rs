//! `rump.mount` and `rump.umount` against a running server: listing as
//! NetBSD's mount does, mounting an FFS drive and a tmpfs, switching
//! read-only and back, refusing what must be refused; the image is clean
//! after the server halts.

mod common;

use common::*;
use rumpclient::Regions;
use std::process::Command;

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "failed: {}{}", stdout(o), stderr(o));
    stdout(o)
}

#[test]
fn mount_list_update_unmount() {
    let dir = tempdir("mounttools");
    let img = dir.join("ffs.img");
    newfs(&img, &["-s", "32m"]);
    let url = format!("unix://{}", dir.join("s").display());
    let spec = format!("key=/dev/ffs,hostpath={},size=host", img.display());
    // FFS and tmpfs loaded at run time, as `rump_server -l` does it.
    let args = ["-lrumpvfs", "-lrumpfs_tmpfs", "-lrumpfs_ffs", "-d", &spec];
    let (mut server, c) = serve("rump_server", &args, &url);
    let m = Regions::new();
    // /tmp is there from boot, as in NetBSD's rump kernel.
    c.syscall(netbsd_abi::SYS_mkdir, &[m.add(b"/mnt\0"), 0o755], &m)
        .unwrap();
    let mount = |args: &[&str]| tool(&dir, &url, "rump.mount", args);
    assert_eq!(ok(&mount(&[])), "rumpfs on / type rumpfs (local)\n");
    ok(&mount(&["-t", "ffs", "/dev/ffs", "/mnt"]));
    ok(&mount(&[
        "-t",
        "tmpfs",
        "-o",
        "size=1m,mode=700",
        "tmpfs",
        "/tmp",
    ]));
    assert_eq!(
        ok(&mount(&[])),
        "rumpfs on / type rumpfs (local)\n/dev/ffs on /mnt type ffs (local)\ntmpfs on /tmp type tmpfs (local)\n"
    );
    ok(&mount(&["-u", "-o", "ro", "/mnt"]));
    assert!(ok(&mount(&[])).contains("/dev/ffs on /mnt type ffs (read-only, local)"));
    ok(&mount(&["-u", "-w", "/mnt"]));
    assert!(ok(&mount(&["-v"])).contains("/dev/ffs on /mnt type ffs (local, fsid: 0x"));
    // Refusals, each with its reason.
    let again = mount(&["-t", "ffs", "/dev/ffs", "/tmp"]);
    assert!(
        !again.status.success() && stderr(&again).contains("busy"),
        "{}",
        stderr(&again)
    );
    let nodev = mount(&["-t", "ffs", "/dev/nothing", "/mnt"]);
    assert!(
        !nodev.status.success() && stderr(&nodev).contains("/dev/nothing"),
        "{}",
        stderr(&nodev)
    );
    let msdos = mount(&["-t", "msdos", "/dev/ffs", "/mnt"]);
    assert!(
        stderr(&msdos).contains("not supported"),
        "{}",
        stderr(&msdos)
    );
    let nfs = mount(&["-t", "nfs", "-o", "nfsv2", "host:/x", "/mnt"]);
    assert_eq!(stderr(&nfs), "rump.mount: -o nfsv2: not supported yet\n");
    let bad = mount(&["-o", "frobnicate", "/dev/ffs", "/mnt"]);
    assert!(
        stderr(&bad).contains("frobnicate: option not supported"),
        "{}",
        stderr(&bad)
    );
    let umount = |args: &[&str]| tool(&dir, &url, "rump.umount", args);
    ok(&umount(&["/mnt", "/tmp"]));
    assert_eq!(ok(&mount(&[])), "rumpfs on / type rumpfs (local)\n");
    let twice = umount(&["/mnt"]);
    assert!(!twice.status.success() && stderr(&twice).starts_with("rump.umount: /mnt: "));
    ok(&tool(&dir, &url, "rump.halt", &[]));
    server.wait().unwrap();
    let check = Command::new(bin("fsck_ffs"))
        .arg("-n")
        .arg(&img)
        .output()
        .unwrap();
    assert!(!ok(&check).contains('?'), "{}", stdout(&check));
}
