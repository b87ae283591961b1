//! `fsu_write`: write standard input to a file in the image.

use rump_fsutils::session::{Access, Command};
use rump_fsutils::tree;
use rumpvfs::VfsCalls;
use rumpvfs::flags::{O_APPEND, O_CREAT, O_TRUNC, O_WRONLY};
use std::io::Read;

const USAGE: &str = "usage: fsu_write [-o mnt_args] [-t fstype] image [-a] file";

fn main() {
    let cmd = Command::parse("fsu_write", USAGE, "a");
    if cmd.args.operands.len() != 1 {
        cmd.usage();
    }
    let file = cmd.args.operands[0].clone();
    let how = if cmd.args.has('a') { O_APPEND } else { O_TRUNC };
    let mut s = cmd.mount(Access::ReadWrite);
    let k = s.kernel();
    let fd = match k.sys_open(&file, O_WRONLY | O_CREAT | how, 0o666) {
        Ok(fd) => fd,
        Err(e) => {
            s.warn(&file, e);
            s.finish()
        }
    };
    let mut stdin = std::io::stdin().lock();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if let Err(e) = tree::write_all(&k, fd, &buf[..n]) {
                    s.warn(&file, e);
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                s.warn_host("stdin", &e);
                break;
            }
        }
    }
    if let Err(e) = k.sys_close(fd) {
        s.warn(&file, e);
    }
    s.finish()
}
