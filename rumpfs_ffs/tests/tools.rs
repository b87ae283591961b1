//! `newfs_ffs` and `fsck_ffs` as a user runs them: options, messages and
//! exit statuses.

mod common;

use common::*;
use std::process::Command;

fn tool(name: &str) -> Command {
    Command::new(match name {
        "newfs_ffs" => env!("CARGO_BIN_EXE_newfs_ffs"),
        _ => env!("CARGO_BIN_EXE_fsck_ffs"),
    })
}

#[test]
fn fsck_reports_repairs_and_exits_as_documented() {
    let dir = scratch("tools");
    let img = dir.join("t.img");
    let out = run(tool("newfs_ffs")
        .args(["-F", "-O", "1", "-s", "8m"])
        .arg(&img));
    assert!(out.contains("block size 4096, fragment size 512"), "{out}");
    // Clean: -n exits 0; -p does not even look.
    assert!(
        tool("fsck_ffs")
            .arg("-n")
            .arg(&img)
            .status()
            .unwrap()
            .success()
    );
    assert!(run(tool("fsck_ffs").arg("-p").arg(&img)).contains("clean; not checking"));
    // Damage the summary of group 0 on the device.
    let sb = rumpfs_ffs::read_superblock(
        &rumpfs_ffs::dev::HostDev::open(img.to_str().unwrap(), false).unwrap(),
    )
    .unwrap();
    let mut bytes = std::fs::read(&img).unwrap();
    let at = (sb.csaddr * sb.fsize) as usize;
    bytes[at + 4] ^= 0x55;
    std::fs::write(&img, &bytes).unwrap();
    let n = tool("fsck_ffs").arg("-n").arg(&img).output().unwrap();
    let text = String::from_utf8_lossy(&n.stdout);
    assert_eq!(n.status.code(), Some(8), "{text}");
    assert!(
        text.contains("SUMMARY INFORMATION BAD") && text.contains("FIX? no"),
        "{text}"
    );
    let y = run(tool("fsck_ffs").arg("-y").arg(&img));
    assert!(
        y.contains("FIX? yes") && y.contains("FILE SYSTEM WAS MODIFIED"),
        "{y}"
    );
    assert!(!run(tool("fsck_ffs").arg("-n").arg(&img)).contains('?'));
    // What is not supported says so.
    for (t, args) in [
        ("fsck_ffs", &["-c", "2"][..]),
        ("newfs_ffs", &["-O", "0"][..]),
    ] {
        let o = tool(t).args(args).arg(&img).output().unwrap();
        assert!(!o.status.success());
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("not supported"),
            "{t} {args:?}"
        );
    }
    let o = tool("newfs_ffs")
        .args(["-F", "-b", "3000", "-s", "8m"])
        .arg(&img)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("block size 3000"));
    // A directory or a missing device fails before anything is printed.
    for (t, args) in [
        ("newfs_ffs", &[][..]),
        ("newfs_ffs", &["-N"][..]),
        ("fsck_ffs", &["-n"][..]),
        ("fsck_ffs", &["-y"][..]),
    ] {
        let o = tool(t).args(args).arg(&dir).output().unwrap();
        assert!(!o.status.success(), "{t} {args:?} of a directory");
        assert!(o.stdout.is_empty(), "{t} {args:?} printed before failing");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            err.trim_end(),
            format!("{t}: {}: Is a directory", dir.display())
        );
    }
    let gone = dir.join("no/such.img");
    let o = tool("newfs_ffs").arg(&gone).output().unwrap();
    assert!(!o.status.success() && o.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
