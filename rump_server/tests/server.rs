//! `rump_server`, `rump.halt` and `rump.sysctl` used as a new user would:
//! the installed binaries, a server detaching once it serves, clients
//! found through `RUMP_SERVER`.

mod common;

use common::*;
use std::process::Command;

/// Start a detached server in `dir`; it must return 0 once serving.
fn start(dir: &std::path::Path, server: &str, args: &[&str]) {
    let out = Command::new(bin(server))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{server} {args:?}: {}", stderr(&out));
}

/// Acceptance 1 of the remote issue: the server returns once serving, the
/// client sees tmpfs registered, rump.halt stops it and removes its socket.
fn serve_query_halt(dir: &std::path::Path, url: &str, needle: &str) {
    start(dir, "rump_server", &["-lrumpvfs", "-lrumpfs_tmpfs", url]);
    assert_eq!(pids_with(needle).len(), 1, "one server process");
    let q = tool(
        dir,
        url,
        "rump.sysctl",
        &["vfs.generic.fstypes", "kern.ostype"],
    );
    assert!(q.status.success(), "{}", stderr(&q));
    assert_eq!(
        stdout(&q),
        "vfs.generic.fstypes = rumpfs tmpfs\nkern.ostype = NetBSD\n"
    );
    let h = tool(dir, url, "rump.halt", &[]);
    assert!(h.status.success(), "{}", stderr(&h));
    eventually("the server to exit", || pids_with(needle).is_empty());
}

#[test]
fn unix_socket_serve_query_halt() {
    let dir = tempdir("unix");
    serve_query_halt(&dir, "unix://sock", dir.to_str().unwrap());
    assert!(!dir.join("sock").exists(), "socket removed at halt");
    // Absolute form, three slashes.
    let abs = format!("unix://{}/abs.sock", dir.display());
    serve_query_halt(&dir, &abs, &abs);
    assert!(!dir.join("abs.sock").exists());
}

#[test]
fn tcp_serve_query_halt() {
    let dir = tempdir("tcp");
    let url = format!("tcp://127.0.0.1:{}/", free_port());
    serve_query_halt(&dir, &url, &url);
}

#[test]
fn a_halted_server_is_reported_in_one_line() {
    let dir = tempdir("gone");
    let h = tool(&dir, "unix://nonesuch", "rump.halt", &[]);
    assert!(!h.status.success());
    assert_eq!(
        stderr(&h),
        "rump.halt: init failed: No such file or directory\n"
    );
    let h = Command::new(bin("rump.halt"))
        .env_remove("RUMP_SERVER")
        .output()
        .unwrap();
    assert!(stderr(&h).contains("RUMP_SERVER not set"));
}

#[test]
fn halt_h_stops_the_kernel_but_not_the_process() {
    let dir = tempdir("halt-h");
    let url = format!("unix://{}/s", dir.display());
    start(&dir, "rump_server", &[&url]);
    let h = tool(&dir, &url, "rump.halt", &["-h"]);
    assert!(h.status.success(), "{}", stderr(&h));
    std::thread::sleep(std::time::Duration::from_millis(200));
    let pids = pids_with(&url);
    assert_eq!(pids.len(), 1, "the host process stays");
    // Later calls fail cleanly: the server no longer listens.
    let q = tool(&dir, &url, "rump.sysctl", &["kern.ostype"]);
    assert!(!q.status.success());
    assert!(
        stderr(&q).starts_with("rump.sysctl: prog init failed:"),
        "{}",
        stderr(&q)
    );
    kill("-TERM", pids[0]);
    eventually("the halted server to exit on SIGTERM", || {
        pids_with(&url).is_empty()
    });
}

#[test]
fn halt_d_dumps_core() {
    let dir = tempdir("halt-d");
    let url = format!("unix://{}/s", dir.display());
    // Foreground, so that the test sees how the process ended.
    let mut server = Command::new(bin("rump_server"))
        .args(["-s", &url])
        .spawn()
        .unwrap();
    eventually("the socket", || dir.join("s").exists());
    let h = tool(&dir, &url, "rump.halt", &["-d"]);
    assert!(h.status.success(), "{}", stderr(&h));
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        server.wait().unwrap().signal(),
        Some(6),
        "SIGABRT: a core dump"
    );
}

#[test]
fn sigterm_and_sigint_halt_cleanly() {
    for sig in ["-TERM", "-INT"] {
        let dir = tempdir("sig");
        let url = format!("unix://{}/s", dir.display());
        let mut server = Command::new(bin("rump_server"))
            .args(["-s", &url])
            .spawn()
            .unwrap();
        eventually("the socket", || dir.join("s").exists());
        kill(sig, server.id() as i32);
        assert!(server.wait().unwrap().success(), "{sig}: exit 0");
        assert!(!dir.join("s").exists(), "{sig}: socket removed");
    }
}

#[test]
fn bad_drivespecs_give_netbsds_messages() {
    for (spec, msg) in [
        ("key=/k", "incomplete drivespec"),
        ("key=/k,hostpath=h,bogus=1", "invalid dtoken"),
        (
            "key=/k,hostpath=h,size=1m,disklabel=a",
            "disklabel needs to be used alone",
        ),
        (
            "key=/k,hostpath=h,size=host,offset=1",
            "cannot specify offset with size=host",
        ),
        ("key=/k,hostpath=h,size=1m,type=tape", "invalid type tape"),
        (
            "key=/k,hostpath=h,size=12q",
            "-d size `12q': illegal number",
        ),
    ] {
        let out = Command::new(bin("rump_server"))
            .args(["-d", spec, "unix://never"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{spec}");
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("rump_server: {msg}\n")),
            "{spec}: {err}"
        );
    }
}

#[test]
fn a_missing_library_is_named() {
    let dir = tempdir("nolib");
    let err = start_fails(&dir, &["-lrumpfs_nonesuch", "unix://s"]);
    assert!(
        err.contains("failed to load -libraries") && err.contains("rumpfs_nonesuch"),
        "{err}"
    );
    assert!(!dir.join("s").exists());
}

#[test]
fn libraries_in_the_wrong_order_resolve_in_rounds() {
    let dir = tempdir("rounds");
    let url = format!("unix://{}/s", dir.display());
    start(&dir, "rump_server", &["-lk_helper2", "-lk_helper", &url]);
    let q = tool(
        &dir,
        &url,
        "rump.sysctl",
        &["vendor.k_helper.present", "vendor.k_helper.present2"],
    );
    assert_eq!(
        stdout(&q),
        "vendor.k_helper.present = 1\nvendor.k_helper.present2 = 1\n",
        "{}",
        stderr(&q)
    );
    assert!(tool(&dir, &url, "rump.halt", &[]).status.success());
    // Alone, k_helper2 names what it lacks.
    let err = start_fails(&dir, &["-lk_helper2", &url]);
    assert!(err.contains("requires k_helper"), "{err}");
}

#[test]
fn allserver_has_the_vfs_faction_built_in() {
    let dir = tempdir("all");
    let url = format!("unix://{}/s", dir.display());
    start(&dir, "rump_allserver", &[&url]);
    let q = tool(
        &dir,
        &url,
        "rump.sysctl",
        &["-n", "kern.maxvnodes", "vfs.generic.fstypes"],
    );
    assert_eq!(stdout(&q), "1024\nrumpfs tmpfs ffs nfs\n");
    assert!(tool(&dir, &url, "rump.halt", &[]).status.success());
}

#[test]
fn server_options_reach_the_kernel() {
    let dir = tempdir("opts");
    let url = format!("unix://{}/s", dir.display());
    start(&dir, "rump_server", &["-c", "3", "-r", "64m", &url]);
    let q = tool(&dir, &url, "rump.sysctl", &["hw.ncpu", "hw.physmem"]);
    assert_eq!(
        stdout(&q),
        // hw.physmem is NetBSD's rump kernel's nominal 512 MiB, as on
        // NetBSD's rump_server -r 64m.
        format!("hw.ncpu = 3\nhw.physmem = {}\n", 512 << 20)
    );
    assert!(tool(&dir, &url, "rump.halt", &[]).status.success());
    let err = start_fails(&dir, &["-c", "lots", &url]);
    assert!(
        err.starts_with("rump_server: -c \"lots\": expected"),
        "{err}"
    );
}

#[test]
fn sysctl_tool_writes_and_reports() {
    let dir = tempdir("sysctl");
    let url = format!("unix://{}/s", dir.display());
    start(&dir, "rump_server", &[&url]);
    let w = tool(&dir, &url, "rump.sysctl", &["kern.hostname=x"]);
    assert_eq!(
        stderr(&w),
        "rump.sysctl: Must specify -w to set variables\n"
    );
    let w = tool(
        &dir,
        &url,
        "rump.sysctl",
        &["-w", "kern.hostname=rumpkernel"],
    );
    assert!(stdout(&w).ends_with(" -> rumpkernel\n"), "{}", stdout(&w));
    let r = tool(&dir, &url, "rump.sysctl", &["kern.hostname"]);
    assert_eq!(stdout(&r), "kern.hostname = rumpkernel\n");
    let bad = tool(&dir, &url, "rump.sysctl", &["kern.nonesuch"]);
    assert_eq!(
        stderr(&bad),
        "rump.sysctl: second level name 'nonesuch' in 'kern.nonesuch' is invalid\n"
    );
    let ro = tool(&dir, &url, "rump.sysctl", &["-w", "kern.ostype=Linux"]);
    assert_eq!(
        stderr(&ro),
        "rump.sysctl: kern.ostype: Operation not permitted\n"
    );
    let all = tool(&dir, &url, "rump.sysctl", &["-a"]);
    assert!(stdout(&all).lines().any(|l| l == "hw.machine = amd64"));
    assert!(tool(&dir, &url, "rump.halt", &[]).status.success());
}

#[test]
fn drives_map_host_files_and_halt_flushes_them() {
    let dir = tempdir("drive");
    let url = format!("unix://{}/s", dir.display());
    start(
        &dir,
        "rump_server",
        &[
            "-lrumpvfs",
            "-d",
            "key=/dev/dk,hostpath=dk.img,size=1m",
            &url,
        ],
    );
    assert_eq!(
        std::fs::metadata(dir.join("dk.img")).unwrap().len(),
        1 << 20,
        "created and sized"
    );
    let c = rumpclient::Client::connect(&url).unwrap();
    let m = rumpclient::Regions::new();
    let fd = c
        .syscall(netbsd_abi::SYS_open, &[m.add(b"/dev/dk\0"), 2, 0], &m)
        .unwrap()[0] as u64;
    c.syscall(
        netbsd_abi::SYS_pwrite,
        &[fd, m.add(b"on the disk"), 11, 0, 4096],
        &m,
    )
    .unwrap();
    drop(c);
    // A block device is cached in the kernel: the halt writes it out.
    assert!(tool(&dir, &url, "rump.halt", &[]).status.success());
    eventually("the server to exit", || pids_with(&url).is_empty());
    assert_eq!(
        &std::fs::read(dir.join("dk.img")).unwrap()[4096..4107],
        b"on the disk"
    );
    // Without the VFS faction there is no etfs.
    let err = start_fails(&dir, &["-d", "key=/dev/dk,hostpath=dk.img,size=1m", &url]);
    assert!(err.contains("-d needs the VFS faction"), "{err}");
    // size=host of an empty file is NetBSD's error.
    std::fs::write(dir.join("empty.img"), b"").unwrap();
    let err = start_fails(
        &dir,
        &[
            "-lrumpvfs",
            "-d",
            "key=/dev/e,hostpath=empty.img,size=host",
            &url,
        ],
    );
    assert!(
        err.contains("size=host, but cannot query non-zero size"),
        "{err}"
    );
}

/// Start `rump_server` with `args` and return its stderr, expecting failure.
fn start_fails(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(bin("rump_server"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{args:?} should fail");
    stderr(&out)
}

#[test]
fn m_loads_a_module_file_through_the_vfs() {
    let dir = tempdir("modfile");
    let url = format!("unix://{}/s", dir.display());
    // As the man page's example: a module file under any name.
    let kmod = dir.join("tmpfs.kmod");
    std::fs::copy(prefix().join("lib/librumpfs_tmpfs.so"), &kmod).unwrap();
    let kmod = kmod.to_str().unwrap();
    start(&dir, "rump_server", &["-lrumpvfs", "-m", kmod, &url]);
    let q = tool(&dir, &url, "rump.sysctl", &["-n", "vfs.generic.fstypes"]);
    assert_eq!(stdout(&q), "rumpfs tmpfs\n", "{}", stderr(&q));
    assert!(tool(&dir, &url, "rump.halt", &[]).status.success());

    // Two modules, the one that requires the other first: each -m is one
    // modctl load, so the order matters as it does on NetBSD.
    let h1 = prefix().join("lib/libk_helper.so");
    let h2 = prefix().join("lib/libk_helper2.so");
    let (h1, h2) = (h1.to_str().unwrap(), h2.to_str().unwrap());
    start(
        &dir,
        "rump_server",
        &["-lrumpvfs", "-m", h1, "-m", h2, &url],
    );
    let q = tool(
        &dir,
        &url,
        "rump.sysctl",
        &["-n", "vendor.k_helper.present2"],
    );
    assert_eq!(stdout(&q), "1\n", "{}", stderr(&q));
    assert!(tool(&dir, &url, "rump.halt", &[]).status.success());
    let err = start_fails(&dir, &["-lrumpvfs", "-m", h2, &url]);
    assert!(
        err.contains(&format!(
            "module load failed: {h2}: No such file or directory"
        )),
        "{err}"
    );
}

#[test]
fn m_refuses_what_is_not_a_module() {
    let dir = tempdir("modbad");
    let url = format!("unix://{}/s", dir.display());
    let text = dir.join("notes.kmod");
    std::fs::write(&text, "not an object file\n").unwrap();
    let text = text.to_str().unwrap();
    let err = start_fails(&dir, &["-lrumpvfs", "-m", text, &url]);
    assert!(
        err.contains(&format!("module load failed: {text}: Exec format error")),
        "{err}"
    );
    let gone = dir.join("nonesuch.kmod");
    let gone = gone.to_str().unwrap();
    let err = start_fails(&dir, &["-lrumpvfs", "-m", gone, &url]);
    assert!(
        err.contains("module etfs register failed") && err.contains(gone),
        "{err}"
    );
    // The same module twice.
    let tmpfs = prefix().join("lib/librumpfs_tmpfs.so");
    let tmpfs = tmpfs.to_str().unwrap();
    let err = start_fails(&dir, &["-lrumpvfs", "-lrumpfs_tmpfs", "-m", tmpfs, &url]);
    assert!(err.contains("File exists"), "{err}");
    // Without the VFS faction there is no way to read the file.
    let err = start_fails(&dir, &["-m", tmpfs, &url]);
    assert!(
        err.contains("-m needs the VFS faction: add -lrumpvfs"),
        "{err}"
    );
    assert!(!dir.join("s").exists());
}

#[test]
fn l_refuses_a_library_of_another_build_or_hypercall_interface() {
    let dir = tempdir("badlib");
    let url = format!("unix://{}/s", dir.display());
    // Built with this very tree, but against the next hypercall interface.
    let err = start_fails(&dir, &["-lbadversion", &url]);
    let ours = rumpuser::RUMPUSER_VERSION;
    let want = format!(
        "libbadversion.so: built against hypercall interface version {}, this kernel's hypercall layer is version {ours}",
        ours + 1
    );
    assert!(
        err.contains("failed to load -libraries: refusing "),
        "{err}"
    );
    assert!(err.contains(&want), "{err}");
    // Its kernel base comes from another build.
    let err = start_fails(&dir, &["-lbadprint", &url]);
    assert!(
        err.contains("the library comes from a different build: its rump is 0000000000000000"),
        "{err}"
    );
    assert!(!dir.join("s").exists());
}

/// A 64 KiB image with a BSD disklabel in sector 1: partition a is 8
/// sectors at sector 32, b is 4 sectors at sector 64. Written by hand from
/// the layout of NetBSD's `struct disklabel`, not by our own parser.
fn labelled_image() -> Vec<u8> {
    let mut img = vec![0u8; 1 << 16];
    let mut l = vec![0u8; 148 + 2 * 16];
    l[0..4].copy_from_slice(&0x8256_4557u32.to_le_bytes());
    l[132..136].copy_from_slice(&0x8256_4557u32.to_le_bytes());
    l[138..140].copy_from_slice(&2u16.to_le_bytes());
    for (i, (size, offset)) in [(8u32, 32u32), (4, 64)].into_iter().enumerate() {
        l[148 + i * 16..152 + i * 16].copy_from_slice(&size.to_le_bytes());
        l[152 + i * 16..156 + i * 16].copy_from_slice(&offset.to_le_bytes());
    }
    let sum = l
        .chunks(2)
        .fold(0u16, |s, w| s ^ u16::from_le_bytes([w[0], w[1]]));
    l[136..138].copy_from_slice(&sum.to_le_bytes());
    img[512..512 + l.len()].copy_from_slice(&l);
    img[64 * 512..64 * 512 + 11].copy_from_slice(b"partition b");
    img
}

#[test]
fn disklabel_drives_map_one_partition() {
    let dir = tempdir("disklabel");
    let url = format!("unix://{}/s", dir.display());
    std::fs::write(dir.join("dl.img"), labelled_image()).unwrap();
    start(
        &dir,
        "rump_server",
        &[
            "-lrumpvfs",
            "-d",
            "key=/dev/a,hostpath=dl.img,disklabel=a",
            "-d",
            "key=/dev/b,hostpath=dl.img,disklabel=b",
            &url,
        ],
    );
    let c = rumpclient::Client::connect(&url).unwrap();
    let m = rumpclient::Regions::new();
    let open = |path: &[u8]| {
        c.syscall(netbsd_abi::SYS_open, &[m.add(path), 2, 0], &m)
            .unwrap()[0] as u64
    };
    let (a, b) = (open(b"/dev/a\0"), open(b"/dev/b\0"));
    let buf = m.add_zeroed(11);
    assert_eq!(
        c.syscall(netbsd_abi::SYS_pread, &[b, buf, 11, 0, 0], &m)
            .unwrap()[0],
        11
    );
    assert_eq!(m.get(buf), b"partition b");
    c.syscall(
        netbsd_abi::SYS_pwrite,
        &[a, m.add(b"partition a"), 11, 0, 512],
        &m,
    )
    .unwrap();
    drop(c);
    assert!(tool(&dir, &url, "rump.halt", &[]).status.success());
    eventually("the server to exit", || pids_with(&url).is_empty());
    let img = std::fs::read(dir.join("dl.img")).unwrap();
    assert_eq!(&img[33 * 512..33 * 512 + 11], b"partition a");
    assert_eq!(img.len(), 1 << 16, "the image keeps its size");

    // NetBSD's errors: a partition the label lacks, an image without one.
    let err = start_fails(
        &dir,
        &[
            "-lrumpvfs",
            "-d",
            "key=/dev/c,hostpath=dl.img,disklabel=c",
            &url,
        ],
    );
    assert!(
        err.contains("partition not available: No such file or directory"),
        "{err}"
    );
    std::fs::write(dir.join("blank.img"), vec![0u8; 1 << 16]).unwrap();
    let err = start_fails(
        &dir,
        &[
            "-lrumpvfs",
            "-d",
            "key=/dev/a,hostpath=blank.img,disklabel=a",
            &url,
        ],
    );
    assert!(
        err.contains("disklabel not found: No such file or directory"),
        "{err}"
    );
}
