//! `librump.so` from C: a program compiled with `cc` against our headers
//! and linked with our libraries (`-lrump -lrumpvfs -lrumpfs_tmpfs
//! -lrumpfs_ffs`) boots a kernel inside its own process and works in it:
//! tmpfs, processes and credentials, etfs and an FFS image made by
//! Debian's `makefs`, modules. With `NETBSD_PEER` set, the same program
//! compiled against NetBSD's headers prints the same with NetBSD's
//! libraries and with ours.

mod common;

use common::cc::{abi_defines, cc, compile, netbsd_header_flags, peer, workspace};
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The component libraries the program links, after `librump.so`.
const COMPONENTS: &[&str] = &["-lrumpvfs", "-lrumpfs_tmpfs", "-lrumpfs_ffs"];

/// Link flags for our libraries as installed. The program names no
/// symbol of a component library, so a linker that drops such libraries
/// by default (Debian's `cc` passes `--as-needed`) must be told to keep
/// them, as NetBSD's libraries need too.
fn our_libraries() -> Vec<String> {
    let lib = prefix().join("lib");
    let mut v = vec![
        format!("-L{}", lib.display()),
        "-Wl,--no-as-needed".into(),
        "-lrump".into(),
    ];
    v.extend(COMPONENTS.iter().map(|s| s.to_string()));
    v.push(format!("-Wl,-rpath,{}", lib.display()));
    v
}

/// An FFSv1 image made by Debian's `makefs` with `hello.txt` in it.
fn ffs_image(dir: &Path) -> PathBuf {
    let tree = dir.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("hello.txt"), "hello from makefs\n").unwrap();
    let img = dir.join("ffs.img");
    let out = Command::new("makefs")
        .args(["-t", "ffs", "-o", "version=1", "-s", "4m"])
        .arg(&img)
        .arg(&tree)
        .output()
        .unwrap();
    assert!(out.status.success(), "makefs: {}", stderr(&out));
    img
}

fn run(exe: &Path, img: &Path) -> Output {
    Command::new(exe)
        .arg(img)
        .env_remove("RUMP_VERBOSE")
        .output()
        .unwrap()
}

/// What the program prints with either library; `ours` adds what only
/// our headers let it do.
fn expected(ours: bool) -> String {
    let mut s = String::new();
    if ours {
        s.push_str("getpid before init: -1 errno 6\nerrno is ENXIO: 1\n");
    }
    s.push_str(
        "rump_init: status 0\n\
         rump_init again: status 0\n\
         version: 1\n\
         getpid positive: 1\n\
         mkdir /mnt: 0 errno 0\n\
         mount tmpfs: 0 errno 0\n\
         open: 1\n\
         write: 19 errno 0\n\
         lseek: 7 errno 0\n\
         read: 12 errno 0\n\
         got local kernel\n\
         close: 0 errno 0\n\
         stat size: 19\n",
    );
    if ours {
        s.push_str("stat to a bad pointer: -1 errno 14\n");
    }
    s.push_str(
        "open missing: -1 errno 2\n\
         errno after getpid 2\n\
         pipe: 0 errno 0\n\
         pipe write: 2 errno 0\n\
         pipe read: 2 errno 0\n\
         mkdir private 0700: 0 errno 0\n\
         implicit curlwp is NULL: 1\n\
         rfork: status 0\n\
         child curlwp: 1\n\
         child pid differs: 1\n\
         child's parent: 1\n\
         setuid 1000: 0 errno 0\n\
         getuid: 1000 errno 0\n\
         open in 0700 dir: -1 errno 13\n\
         errno is EACCES: 1\n\
         mkdir in 0700 dir: -1 errno 13\n\
         setuid 0 again: -1 errno 1\n\
         implicit getuid: 0 errno 0\n\
         child getuid again: 1000 errno 0\n\
         released, curlwp is NULL: 1\n\
         back in the parent: 1\n\
         newlwp in a missing process: status 3\n\
         etfs register: status 0\n\
         mkdir /ffs: 0 errno 0\n\
         mount ffs: 0 errno 0\n\
         open hello.txt: 1\n\
         read hello.txt: 18 errno 0\n\
         got hello from makefs\n\
         close: 0 errno 0\n\
         write new.txt: 24 errno 0\n\
         close: 0 errno 0\n\
         unmount ffs: 0 errno 0\n\
         stat after unmount: -1 errno 2\n\
         etfs remove: status 0\n\
         etfs remove again: status 2\n\
         etfs reg: status 0\n\
         etfs reg again: status 17\n\
         etfs reg size: 4194304\n\
         etfs reg remove: status 0\n",
    );
    if ours {
        s.push_str(
            "module init: status 0\n\
             module init again: status 17\n\
             inits 1\n\
             module fini: status 0\n\
             finis 1\n",
        );
    }
    if ours {
        s.push_str("getpid while scheduled: 1\n");
    }
    s.push_str("unscheduled\n");
    s
}

/// What sleuthkit (not our code) finds of the file the program wrote.
fn sleuthkit_reads(img: &Path, name: &str) -> String {
    let fls = Command::new("fls")
        .args(["-f", "ufs1"])
        .arg(img)
        .output()
        .unwrap();
    assert!(fls.status.success(), "fls: {}", stderr(&fls));
    let listing = stdout(&fls);
    let line = listing
        .lines()
        .find(|l| l.ends_with(&format!("\t{name}")))
        .unwrap_or_else(|| panic!("{name} not in fls output:\n{listing}"));
    let inode = line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches(':');
    let icat = Command::new("icat")
        .args(["-f", "ufs1"])
        .arg(img)
        .arg(inode)
        .output()
        .unwrap();
    stdout(&icat)
}

#[test]
fn a_c_program_boots_a_kernel_in_its_own_process() {
    let dir = tempdir("c-local");
    let img = ffs_image(&dir);
    let mut flags = vec![format!("-I{}", workspace().join("include").display())];
    flags.extend(abi_defines());
    flags.extend(our_libraries());
    let exe = compile("local_client.c", &dir, &flags);
    let out = run(&exe, &img);
    assert_eq!(stdout(&out), expected(true), "stderr: {}", stderr(&out));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(
        sleuthkit_reads(&img, "new.txt"),
        "written by the C client\n"
    );
}

#[test]
fn without_component_libraries_the_kernel_has_no_file_systems() {
    let dir = tempdir("c-local-bare");
    let lib = prefix().join("lib");
    let src = dir.join("bare.c");
    std::fs::write(
        &src,
        "#include <rump/rump.h>\n#include <rump/rump_syscalls.h>\n#include <errno.h>\n\
         #include <stdio.h>\n\
         int main(void) {\n\
         \tprintf(\"init %d\\n\", rump_init());\n\
         \tprintf(\"etfs %d\\n\", rump_pub_etfs_register(\"/k\", \"/etc/passwd\", RUMP_ETFS_REG));\n\
         \tint r = rump_sys_mkdir(\"/d\", 0755);\n\
         \tprintf(\"mkdir %d errno %d\\n\", r, r ? errno : 0);\n\
         \treturn 0;\n}\n",
    )
    .unwrap();
    let exe = dir.join("bare");
    cc(
        "bare.c",
        &[
            "-Wall".into(),
            "-o".into(),
            exe.display().to_string(),
            src.display().to_string(),
            format!("-I{}", workspace().join("include").display()),
            format!("-L{}", lib.display()),
            "-lrump".into(),
            format!("-Wl,-rpath,{}", lib.display()),
        ],
    );
    let out = Command::new(&exe).output().unwrap();
    assert_eq!(
        stdout(&out),
        format!(
            "init 0\netfs {}\nmkdir -1 errno {}\n",
            netbsd_abi::Errno::ENOSYS.0,
            netbsd_abi::Errno::ENOSYS.0
        ),
        "stderr: {}",
        stderr(&out)
    );
    // A preloaded component library joins the kernel as a linked one does.
    let out = Command::new(&exe)
        .env("LD_PRELOAD", lib.join("librumpvfs.so"))
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        "init 0\netfs 0\nmkdir 0 errno 0\n",
        "stderr: {}",
        stderr(&out)
    );
}

/// NetBSD's libraries for the same program: the components, their
/// device and VFS factions, the base and its hypercall layer, all linked
/// even though the program names none of their symbols.
const NETBSD_LIBRARIES: &[&str] = &[
    "-Wl,--no-as-needed",
    "-lrumpfs_ffs",
    "-lrumpfs_tmpfs",
    "-lrumpdev_disk",
    "-lrumpdev",
    "-lrumpvfs",
    "-lrump",
    "-lrumpuser",
];

/// The program's output up to the kernel's own messages at the reboot
/// that ends it (NetBSD's console is the program's stdout, ours stderr).
fn before_halt(out: &Output) -> String {
    let text = stdout(out);
    match text.find("unscheduled\n") {
        Some(at) => text[..at + "unscheduled\n".len()].to_string(),
        None => text,
    }
}

#[test]
fn a_program_built_on_netbsds_headers_runs_the_same_with_our_librump() {
    let Some(peer) = peer("c_local netbsd_headers") else {
        return;
    };
    let dir = tempdir("c-local-netbsd");
    let obj = dir.join("local_client.o");
    let mut args = vec![
        "-Wall".to_string(),
        "-DNETBSD_HEADERS".into(),
        "-c".into(),
        "-o".into(),
        obj.display().to_string(),
        workspace()
            .join("rump_server/tests/c/local_client.c")
            .display()
            .to_string(),
    ];
    args.extend(netbsd_header_flags(&peer));
    args.extend(abi_defines());
    cc("local_client.c", &args);
    let link = |name: &str, libdir: &Path, libs: Vec<String>| {
        let exe = dir.join(name);
        let mut args = vec![
            obj.display().to_string(),
            "-o".into(),
            exe.display().to_string(),
            format!("-L{}", libdir.display()),
            format!("-Wl,-rpath,{}", libdir.display()),
        ];
        args.extend(libs);
        cc(name, &args);
        exe
    };
    let theirs = link(
        "with_netbsds",
        &peer.join("rump/lib"),
        NETBSD_LIBRARIES.iter().map(|s| s.to_string()).collect(),
    );
    let ours = link("with_ours", &prefix().join("lib"), our_libraries());
    let outs = [theirs, ours].map(|exe| {
        let img = ffs_image(&dir.join(format!("{}-image", exe.display())));
        let out = run(&exe, &img);
        let written = sleuthkit_reads(&img, "new.txt");
        (out, written)
    });
    let [(t, t_written), (o, o_written)] = outs;
    assert_eq!(t.status.code(), Some(0), "NetBSD's: {}", stderr(&t));
    assert_eq!(before_halt(&t), expected(false), "NetBSD's libraries");
    assert_eq!(before_halt(&o), before_halt(&t), "stderr: {}", stderr(&o));
    assert_eq!(o.status.code(), t.status.code());
    assert_eq!(o_written, t_written);
}
