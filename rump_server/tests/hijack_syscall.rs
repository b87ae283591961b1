//! Raw `syscall(2)` under the hijack: calls on kernel paths and
//! descriptors made through it take the same routes as glibc's functions
//! of those names (a raw `close_range` used to close the connection).

mod common;

use common::*;
use std::process::Command;

#[test]
fn raw_system_calls_take_the_kernels_routes() {
    let dir = tempdir("rawsys");
    let url = format!("unix://{}", dir.join("s").display());
    let (mut server, _c) = serve("rump_server", &["-lrumpvfs", "-lrumpfs_tmpfs"], &url);
    // renameat2 needs a file system that renames: the root (NetBSD's
    // rumpfs) does not, so the files live on a tmpfs at /tmp.
    let m = tool(&dir, &url, "rump.mount", &["-t", "tmpfs", "tmpfs", "/tmp"]);
    assert!(m.status.success(), "mount tmpfs: {}", stderr(&m));
    // x86-64 numbers: statx 332, renameat2 316, faccessat2 439, close_range 436.
    let prog = r#"
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
with open('/rump/tmp/a', 'w') as f: f.write('x' * 10)
buf = ctypes.create_string_buffer(256)
r = libc.syscall(332, AT_FDCWD, b'/rump/tmp/a', 0, 0x7ff, buf)
size = int.from_bytes(buf.raw[40:48], 'little')
print('statx', r, size)
print('renameat2', libc.syscall(316, AT_FDCWD, b'/rump/tmp/a', AT_FDCWD, b'/rump/tmp/b', 0), sorted(os.listdir('/rump/tmp')))
open('/rump/r', 'w').close()
print('on the root', libc.syscall(316, AT_FDCWD, b'/rump/r', AT_FDCWD, b'/rump/r2', 0), ctypes.get_errno())
print('faccessat2', libc.syscall(439, AT_FDCWD, b'/rump/tmp/b', 4, 0), libc.syscall(439, AT_FDCWD, b'/rump/tmp/a', 4, 0), ctypes.get_errno())
fd = os.open('/rump/tmp/b', os.O_RDONLY)
print('close_range', libc.syscall(436, 3, 0xffffffff, 0))
try:
    os.fstat(fd)
    print('still open')
except OSError as e:
    print('closed', e.errno)
print('after', sorted(os.listdir('/rump/tmp')))
"#;
    let o = Command::new("/usr/bin/python3")
        .args(["-c", prog])
        .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
        .env("RUMP_SERVER", &url)
        .output()
        .unwrap();
    assert!(o.status.success(), "python3: {}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "statx 0 10\nrenameat2 0 ['b']\non the root -1 95\nfaccessat2 0 -1 2\nclose_range 0\nclosed 9\nafter ['b']\n"
    );
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
