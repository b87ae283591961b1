//! Compiling the C programs of `tests/c` with the host's `cc`, against our
//! headers (`include/`) or NetBSD's (the peer's `rump/include`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace's root folder.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// NetBSD's numbers and offsets that `rumpdefs.h` does not carry, for the
/// C programs (`-DNB_...`), from the netbsd_abi crate.
pub fn abi_defines() -> Vec<String> {
    use netbsd_abi::layout::{dirent, stat, tmpfs_args, ufs_args};
    [
        ("NB_SYS_getpid", netbsd_abi::SYS_getpid as i64),
        ("NB_STAT_SIZE", stat::SIZE as i64),
        ("NB_ST_SIZE_OFF", stat::st_size.offset as i64),
        ("NB_D_RECLEN_OFF", dirent::d_reclen.offset as i64),
        ("NB_D_NAMLEN_OFF", dirent::d_namlen.offset as i64),
        ("NB_D_NAME_OFF", dirent::d_name.offset as i64),
        ("NB_CTL_KERN", netbsd_abi::CTL_KERN.into()),
        ("NB_KERN_OSTYPE", netbsd_abi::KERN_OSTYPE.into()),
        ("NB_SEEK_SET", netbsd_abi::SEEK_SET.into()),
        ("NB_TMPFS_ARGS_SIZE", tmpfs_args::SIZE as i64),
        (
            "NB_TMPFS_ARGS_VERSION",
            netbsd_abi::TMPFS_ARGS_VERSION.into(),
        ),
        ("NB_UFS_ARGS_SIZE", ufs_args::SIZE as i64),
    ]
    .iter()
    .map(|(k, v)| format!("-D{k}={v}"))
    .collect()
}

/// The flags that compile a program against NetBSD's rump headers in the
/// peer's folder: the host headers they expect to be included first, and
/// their folder.
pub fn netbsd_header_flags(peer: &Path) -> Vec<String> {
    let mut flags: Vec<String> = [
        "stdint.h",
        "sys/types.h",
        "time.h",
        "sys/socket.h",
        "sys/stat.h",
        "poll.h",
        "signal.h",
    ]
    .iter()
    .map(|h| format!("-include{h}"))
    .collect();
    flags.push(format!("-I{}", peer.join("rump/include").display()));
    flags
}

/// The flags that compile a program against NetBSD's rump headers and
/// link it with NetBSD's own librumpclient, both in the peer's folder.
pub fn netbsd_client_flags(peer: &Path) -> Vec<String> {
    let lib = peer.join("rump/lib");
    let mut flags = netbsd_header_flags(peer);
    flags.extend([
        format!("-L{}", lib.display()),
        "-lrumpclient".into(),
        format!("-Wl,-rpath,{}", lib.display()),
    ]);
    flags
}

/// Run `cc` with `args` and fail the test with its messages if it fails.
pub fn cc(what: &str, args: &[String]) {
    let out = Command::new("cc").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "cc {what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Compile `source` (under tests/c) into `dir` with `cc` and `flags`.
pub fn compile(source: &str, dir: &Path, flags: &[String]) -> PathBuf {
    compile_file(
        &workspace().join("rump_server/tests/c").join(source),
        dir,
        flags,
    )
}

/// Compile the C program `text`, a test's own, as `dir/NAME` with `cc`
/// and `flags`.
pub fn compile_text(name: &str, text: &str, dir: &Path, flags: &[String]) -> PathBuf {
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, text).unwrap();
    compile_file(&src, dir, flags)
}

/// Compile the C file `src` into `dir`, named as it is without `.c`.
fn compile_file(src: &Path, dir: &Path, flags: &[String]) -> PathBuf {
    let name = src.file_name().unwrap().to_string_lossy().into_owned();
    let exe = dir.join(name.trim_end_matches(".c"));
    let mut args = vec![
        "-Wall".to_string(),
        "-o".into(),
        exe.display().to_string(),
        src.display().to_string(),
    ];
    args.extend(flags.iter().cloned());
    cc(&name, &args);
    exe
}

/// The peer's folder, or `None` (and a line saying the test was skipped).
pub fn peer(test: &str) -> Option<PathBuf> {
    match std::env::var_os("NETBSD_PEER") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!("{test}: skipped, NETBSD_PEER is not set");
            None
        }
    }
}
