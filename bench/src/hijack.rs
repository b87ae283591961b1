//! Unmodified programs under the hijack library against the same programs on the host.

use crate::*;
use netbsd_abi::{O_CREAT, O_WRONLY, SYS_close, SYS_mkdir, SYS_open};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Mount tmpfs on the root of the server at `url` (the hijack benchmarks
/// work in the server's tmpfs).
pub(crate) fn mount_tmpfs_root(url: &str) -> rumpclient::Client {
    let c = rumpclient::Client::connect(url).expect("connect");
    let m = rumpclient::Regions::new();
    let args = rumpfs_tmpfs::TmpfsArgs {
        mode: 0o755,
        ..Default::default()
    }
    .bytes();
    c.syscall(
        netbsd_abi::SYS___mount50,
        &[
            m.add(b"tmpfs\0"),
            m.add(b"/\0"),
            0,
            m.add(&args),
            args.len() as u64,
        ],
        &m,
    )
    .expect("mount tmpfs");
    c
}

/// Median time of running `args` (under the hijack when `hijack` names the
/// library and the server), output thrown away.
pub(crate) fn time_command(runs: usize, args: &[&str], hijack: Option<(&Path, &str)>) -> Duration {
    time_runs(runs, || {
        let mut c = Command::new(args[0]);
        c.args(&args[1..]).stdout(Stdio::null());
        if let Some((lib, url)) = hijack {
            c.env("LD_PRELOAD", lib).env("RUMP_SERVER", url);
        }
        let st = c.status().expect("run command");
        assert!(st.success(), "{args:?} failed");
    })
}

/// Unmodified programs under `librumphijack.so` against a server's tmpfs,
/// next to the same programs on the host's tmpfs.
pub(crate) fn hijack(records: &mut Vec<Record>, runs: usize) {
    let exe = std::env::current_exe().expect("exe");
    let server = exe.with_file_name("rump_server");
    let lib = exe.with_file_name("librumphijack.so");
    if !server.exists() || !lib.exists() {
        eprintln!(
            "rumpbench: rump_server or librumphijack.so not built: skipping the hijack benchmarks"
        );
        return;
    }
    let dir = scratch();
    let sock = dir.join("hj.sock");
    let child = start_server(&server, &["-lrumpvfs", "-lrumpfs_tmpfs"], &sock);
    let url = format!("unix://{}", sock.display());
    let c = mount_tmpfs_root(&url);
    let shm = Path::new("/dev/shm").join(format!("rumpbench-{}", std::process::id()));
    std::fs::create_dir_all(&shm).expect("host tmpfs directory");

    // cp of a 256 MiB file from the host into each tmpfs.
    let src = shm.join("src");
    std::fs::write(&src, vec![0x5au8; 256 << 20]).expect("256 MiB source");
    let src = src.to_string_lossy().into_owned();
    let host_dst = shm.join("copy").to_string_lossy().into_owned();
    let n = runs.clamp(1, 5);
    let host_cp = time_command(n, &["cp", &src, &host_dst], None);
    let ours_cp = time_command(n, &["cp", &src, "/rump/copy"], Some((&lib, &url)));
    let _ = std::fs::remove_file(&host_dst);
    let _ = std::fs::remove_file(&src);
    records.push(Record::ms(
        "hijack cp 256 MiB",
        ours_cp,
        "host: the same cp within /dev/shm",
        host_cp,
    ));

    // ls -l of a directory of 10,000 files, made through the client.
    let m = rumpclient::Regions::new();
    c.syscall(SYS_mkdir, &[m.add(b"/many\0"), 0o755], &m)
        .expect("mkdir");
    let host_many = shm.join("many");
    std::fs::create_dir_all(&host_many).expect("host directory");
    for i in 0..10_000 {
        let name = format!("/many/file{i}\0");
        let fd = c
            .syscall(
                SYS_open,
                &[m.add(name.as_bytes()), arg(O_CREAT | O_WRONLY), 0o644],
                &m,
            )
            .expect("create")[0];
        c.syscall(SYS_close, &[fd as u64], &m).expect("close");
        std::fs::write(host_many.join(format!("file{i}")), b"").expect("host file");
    }
    let host_many = host_many.to_string_lossy().into_owned();
    let host_ls = time_command(n, &["ls", "-l", &host_many], None);
    let ours_ls = time_command(n, &["ls", "-l", "/rump/many"], Some((&lib, &url)));
    records.push(Record::ms(
        "hijack ls -l 10k entries",
        ours_ls,
        "host: the same ls -l in /dev/shm",
        host_ls,
    ));
    drop(c);
    stop(child);
    let _ = std::fs::remove_dir_all(&shm);
    let _ = std::fs::remove_dir_all(&dir);
}
