use crate::*;

/// Parameters files with stored keys, as `cgdconfig -g -k storedkey`
/// writes them: (name, text). NetBSD 7.99 has no aes-xts.
const PARAMS: &[(&str, &str)] = &[
    (
        "aes256",
        "algorithm aes-cbc;\niv-method encblkno1;\nkeylength 256;\nverify_method none;\n\
         keygen storedkey key AAABAKWryn5b9e93ERH+/GFT8Cb1Zx \\\n\
         \x20                    czEryXaopgDDpww8T0;\n",
    ),
    (
        "aes128-8",
        "algorithm aes-cbc;\niv-method encblkno8;\nkeylength 128;\nverify_method none;\n\
         keygen storedkey key AAAAgFMQ2rAZ6PnWtTwbSnGa9w8=;\n",
    ),
    (
        "aes192",
        "algorithm aes-cbc;\niv-method encblkno1;\nkeylength 192;\nverify_method none;\n\
         keygen storedkey key AAAAwE9RTVEiveclE6+hG7BxTRJxHx \\\n\
         \x20                    kME9V8lw==;\n",
    ),
    (
        "3des",
        "algorithm 3des-cbc;\niv-method encblkno1;\nkeylength 192;\nverify_method none;\n\
         keygen storedkey key AAAAwPtV9CE2hTROcdFiDOL4SmrfKc \\\n\
         \x20                    F+Gk/zRA==;\n",
    ),
    (
        "bf448-8",
        "algorithm blowfish-cbc;\niv-method encblkno8;\nkeylength 448;\nverify_method ffs;\n\
         keygen storedkey key AAABwNWADR4POaTOCyOOKJk4mdlJct \\\n\
         \x20                    1l2YX2fI0YhKt97m+X9jekIAXQl5J9 \\\n\
         \x20                    CDSnauB+NX5MXCRzP1J4;\n",
    ),
    (
        "badalg",
        "algorithm rot13-cbc;\nkeylength 128;\nkeygen storedkey key AAAAgFMQ2rAZ6PnWtTwbSnGa9w8=;\n",
    ),
];

/// The parameters files written to `dir`, and the drives that show each
/// to a kernel as `/p/NAME` (NetBSD's cgdconfig, run by rumpctrl, opens
/// its files in the kernel's namespace).
fn params_drives(dir: &Path) -> Vec<String> {
    PARAMS
        .iter()
        .map(|(name, text)| {
            let f = dir.join(name);
            std::fs::write(&f, text).unwrap();
            format!("key=/p{name},hostpath={},size=host,type=reg", f.display())
        })
        .collect()
}

fn with_d(drives: &[String]) -> Vec<&str> {
    drives.iter().flat_map(|d| ["-d", d.as_str()]).collect()
}

/// The cgd group: NetBSD's cgdconfig with parameters files over a vnd in
/// tmpfs, `-l`, the fictitious label, newfs, fsck_ffs and mount_ffs on
/// `/dev/rcgd0a` and `/dev/cgd0a`, unconfigured and configured again (the
/// files are there), each cipher and IV method, and the errors.
const CGD_STEPS: &[Step] = &[
    ("cgdconfig", &["-l"]),
    ("mkdir", &["/img", "/mnt"]),
    ("mount_tmpfs", &["tmpfs", "/img"]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/img/a.img",
            "bs=1m",
            "count=8",
            "msgfmt=quiet",
        ],
    ),
    ("vnconfig", &["vnd0", "/img/a.img"]),
    ("cgdconfig", &["-u", "cgd0"]),
    ("cgdconfig", &["cgd0", "/dev/vnd0d", "/paes256"]),
    ("cgdconfig", &["-l"]),
    ("cgdconfig", &["-l", "-v", "-v", "cgd0"]),
    ("cgdconfig", &["cgd0", "/dev/vnd0d", "/paes256"]),
    ("disklabel", &["cgd0"]),
    ("newfs", &["/dev/rcgd0a"]),
    ("fsck_ffs", &["-n", "/dev/rcgd0a"]),
    ("mount_ffs", &["/dev/cgd0a", "/mnt"]),
    ("cgdconfig", &["-u", "cgd0"]),
    ("mkdir", &["/mnt/d"]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/mnt/z",
            "bs=4k",
            "count=10",
            "msgfmt=quiet",
        ],
    ),
    ("ls", &["-l", "/mnt"]),
    ("umount", &["/mnt"]),
    ("cgdconfig", &["-u", "cgd0"]),
    ("cgdconfig", &["-u", "cgd0"]),
    ("cgdconfig", &["-l", "cgd0"]),
    ("cgdconfig", &["cgd0", "/dev/vnd0d", "/paes256"]),
    ("fsck_ffs", &["-f", "-n", "/dev/rcgd0a"]),
    ("mount_ffs", &["-o", "rdonly", "/dev/cgd0a", "/mnt"]),
    ("ls", &["-l", "/mnt"]),
    ("umount", &["/mnt"]),
    ("cgdconfig", &["-u", "cgd0"]),
    // Another key on the same disk: noise, no file system.
    ("cgdconfig", &["cgd0", "/dev/vnd0d", "/paes192"]),
    ("mount_ffs", &["-o", "rdonly", "/dev/cgd0a", "/mnt"]),
    ("cgdconfig", &["-u", "cgd0"]),
    // Each cipher and IV method: a file system made and read back.
    ("cgdconfig", &["cgd0", "/dev/vnd0d", "/paes128-8"]),
    ("cgdconfig", &["-l", "-v", "-v", "cgd0"]),
    ("newfs", &["/dev/rcgd0a"]),
    ("mount_ffs", &["/dev/cgd0a", "/mnt"]),
    ("mkdir", &["/mnt/aes128"]),
    ("umount", &["/mnt"]),
    ("cgdconfig", &["-u", "cgd0"]),
    ("cgdconfig", &["cgd0", "/dev/vnd0d", "/p3des"]),
    ("cgdconfig", &["-l", "-v", "-v", "cgd0"]),
    ("newfs", &["/dev/rcgd0a"]),
    ("mount_ffs", &["/dev/cgd0a", "/mnt"]),
    ("mkdir", &["/mnt/3des"]),
    ("umount", &["/mnt"]),
    ("cgdconfig", &["-u", "cgd0"]),
    // verify_method ffs: not yet an FFS under this key, refused.
    ("cgdconfig", &["cgd0", "/dev/vnd0d", "/pbf448-8"]),
    ("cgdconfig", &["-l", "cgd0"]),
    (
        "cgdconfig",
        &["-V", "none", "cgd0", "/dev/vnd0d", "/pbf448-8"],
    ),
    ("newfs", &["/dev/rcgd0a"]),
    ("cgdconfig", &["-u", "cgd0"]),
    ("cgdconfig", &["cgd0", "/dev/vnd0d", "/pbf448-8"]),
    ("mount_ffs", &["/dev/cgd0a", "/mnt"]),
    ("ls", &["-l", "/mnt"]),
    ("umount", &["/mnt"]),
    ("cgdconfig", &["-u", "cgd0"]),
    // Errors: a cipher the kernel does not have, a disk that is not a
    // block device or not there, a file that is not there.
    ("cgdconfig", &["cgd0", "/dev/vnd0d", "/pbadalg"]),
    ("cgdconfig", &["cgd0", "/img/a.img", "/paes256"]),
    ("cgdconfig", &["cgd0", "/dev/nosuch", "/paes256"]),
    ("cgdconfig", &["cgd0", "/dev/vnd0d", "/nosuch"]),
    ("cgdconfig", &["-l"]),
];

/// Steps of the cgd group known to differ.
const CGD_NOT_YET: &[NotYet] = &[];

#[test]
fn cgd() {
    let dir = tempdir("cgd-params");
    let drives = params_drives(&dir);
    differential("cgd", &with_d(&drives), CGD_STEPS, CGD_NOT_YET);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Run NetBSD's `tool` against `side`, and fail with what it said unless
/// it succeeded.
fn ok(side: &Side, peer: &Path, tool: &str, args: &[&str]) -> String {
    let o = side.run(peer, tool, args);
    assert!(
        o.status.success(),
        "{} {tool} {args:?}: {}{}",
        side.name,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// An image encrypted by one kernel opens in the other with the same
/// parameters, for each cipher and IV method both have: NetBSD's kernel
/// makes the file system through its cgd (NetBSD's cgdconfig and newfs)
/// and a directory on it; ours, configured by rump.cgdconfig from the same
/// file on the host, finds the file system clean and the directory, and
/// adds one; NetBSD's then finds both.
#[test]
fn cgd_images_open_in_either_kernel() {
    let Some(peer) = std::env::var_os("NETBSD_PEER").map(PathBuf::from) else {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"netbsd_differential cgd images: skipped: NETBSD_PEER is not set\n",
        );
        return;
    };
    let dir = tempdir("cgd-images");
    let drives = params_drives(&dir);
    let lib = peer.join("rump/lib").to_string_lossy().into_owned();
    let netbsd = |args: &[&str]| {
        Side::start(
            "netbsd",
            &peer.join("rump/bin/rump_allserver"),
            &[("LD_LIBRARY_PATH", lib.clone())],
            args,
        )
    };
    for name in ["aes256", "aes128-8", "3des", "bf448-8"] {
        let img = dir.join(format!("{name}.img"));
        std::fs::write(&img, vec![0u8; 8 << 20]).unwrap();
        let disk = format!("key=/dk,hostpath={},size=host,type=blk", img.display());
        let mut args = with_d(&drives);
        args.extend(["-d", disk.as_str()]);
        let pfile = format!("/p{name}");
        let theirs = netbsd(&args);
        ok(
            &theirs,
            &peer,
            "cgdconfig",
            &["-V", "none", "cgd0", "/dk", &pfile],
        );
        ok(&theirs, &peer, "newfs", &["/dev/rcgd0a"]);
        ok(&theirs, &peer, "mkdir", &["/mnt"]);
        ok(&theirs, &peer, "mount_ffs", &["/dev/cgd0a", "/mnt"]);
        ok(&theirs, &peer, "mkdir", &["/mnt/by-netbsd"]);
        ok(&theirs, &peer, "umount", &["/mnt"]);
        ok(&theirs, &peer, "cgdconfig", &["-u", "cgd0"]);
        // Halted, NetBSD's kernel has written its drive out.
        ok(&theirs, &peer, "halt", &[]);
        drop(theirs);

        let ours = Side::start("ours", &bin("rump_allserver"), &[], &args);
        let o = tool(
            &ours.dir,
            &ours.url,
            "rump.cgdconfig",
            &["cgd0", "/dk", dir.join(name).to_str().unwrap()],
        );
        assert!(o.status.success(), "{name}: rump.cgdconfig: {}", stderr(&o));
        let fsck = ok(&ours, &peer, "fsck_ffs", &["-n", "/dev/rcgd0a"]);
        assert!(fsck.contains("clean"), "{name}: {fsck}");
        ok(&ours, &peer, "mkdir", &["/mnt"]);
        ok(&ours, &peer, "mount_ffs", &["/dev/cgd0a", "/mnt"]);
        let ls = ok(&ours, &peer, "ls", &["-1", "/mnt"]);
        assert_eq!(ls, "by-netbsd\n", "{name}");
        ok(&ours, &peer, "mkdir", &["/mnt/by-ours"]);
        ok(&ours, &peer, "umount", &["/mnt"]);
        let o = tool(&ours.dir, &ours.url, "rump.cgdconfig", &["-u", "cgd0"]);
        assert!(
            o.status.success(),
            "{name}: rump.cgdconfig -u: {}",
            stderr(&o)
        );
        ok(&ours, &peer, "halt", &[]);
        drop(ours);

        let theirs = netbsd(&args);
        ok(&theirs, &peer, "cgdconfig", &["cgd0", "/dk", &pfile]);
        let fsck = ok(&theirs, &peer, "fsck_ffs", &["-n", "/dev/rcgd0a"]);
        assert!(fsck.contains("clean"), "{name}: {fsck}");
        ok(&theirs, &peer, "mkdir", &["/mnt"]);
        ok(
            &theirs,
            &peer,
            "mount_ffs",
            &["-o", "rdonly", "/dev/cgd0a", "/mnt"],
        );
        let ls = ok(&theirs, &peer, "ls", &["-1", "/mnt"]);
        assert_eq!(ls, "by-netbsd\nby-ours\n", "{name}");
        ok(&theirs, &peer, "umount", &["/mnt"]);
        ok(&theirs, &peer, "cgdconfig", &["-u", "cgd0"]);
        ok(&theirs, &peer, "halt", &[]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
