//! A remote client's process starts with descriptors 0, 1 and 2 open on
//! the console, as NetBSD's server gives them (`rump_consdev_init`):
//! write-only, a character device, a terminal to `TIOCGETA`; writes go to
//! the server's console. Its first file is descriptor 3.

mod common;

use common::*;
use rumpclient::{Client, Regions};

/// `TIOCGETA`, `_IOR('t', 19, struct termios)`, and `sizeof(struct
/// termios)` (`sys/ttycom.h`, `sys/termios.h`; not in the ABI tables).
const TIOCGETA: u64 = 0x402c_7413;
const TERMIOS_LEN: usize = 44;

#[test]
fn a_new_client_has_the_console_on_0_1_and_2() {
    let dir = tempdir("console");
    let url = format!("unix://{}", dir.join("s").display());
    let (mut server, _c) = serve("rump_server", &["-lrumpvfs"], &url);
    let c = Client::connect(&url).unwrap();
    let m = Regions::new();
    for fd in 0..3u64 {
        use netbsd_abi::layout::stat;
        let st = m.add_zeroed(stat::SIZE);
        c.syscall(netbsd_abi::SYS___fstat50, &[fd, st], &m).unwrap();
        let mode = stat::st_mode.get(&m.get(st)).unwrap();
        assert_eq!(
            mode,
            (netbsd_abi::S_IFCHR | 0o600) as u64,
            "descriptor {fd}"
        );
    }
    assert_eq!(
        c.syscall(netbsd_abi::SYS_write, &[1, m.add(b"console\n"), 8], &m)
            .unwrap()[0],
        8
    );
    // Write-only: reading is EBADF.
    let buf = m.add_zeroed(8);
    assert_eq!(
        c.syscall(netbsd_abi::SYS_read, &[0, buf, 8], &m)
            .unwrap_err(),
        netbsd_abi::Errno::EBADF
    );
    // ioctl(1, TIOCGETA, &termios): a terminal, as NetBSD's console says.
    let tio = m.add_zeroed(TERMIOS_LEN);
    assert_eq!(
        c.syscall(netbsd_abi::SYS_ioctl, &[1, TIOCGETA, tio], &m)
            .unwrap()[0],
        0
    );
    // mkdir("/d"), then open("/d"): the first free descriptor is 3.
    c.syscall(netbsd_abi::SYS_mkdir, &[m.add(b"/d\0"), 0o755], &m)
        .unwrap();
    assert_eq!(
        c.syscall(netbsd_abi::SYS_open, &[m.add(b"/d\0"), 0, 0], &m)
            .unwrap()[0],
        3
    );
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
