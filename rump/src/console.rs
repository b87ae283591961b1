//! The console device behind descriptors 0, 1 and 2 (NetBSD's `rumpcons`):
//! a process of a remote client starts with them open on it, as the init
//! process of NetBSD's rump kernel does. Writes go to the host console
//! (the server's output); it is write-only; it says it is a terminal
//! (`TIOCGETA` succeeds, as NetBSD's does) and is otherwise no tty.

use crate::errno::{Errno, KResult};
use crate::file::{DTYPE_MISC, File, FileOps, Stat};
use crate::kernel::Kernel;
use crate::lwproc::Proc;
use crate::syscall::Ctx;
use crate::usermem::UserSpace;

/// `TIOCGETA`: `_IOR('t', 19, struct termios)`, a 44-byte termios.
const TIOCGETA: u64 = 0x402c_7413;
/// `S_IFCHR`.
const S_IFCHR: u32 = netbsd_abi::S_IFCHR as u32;
/// `O_WRONLY`: the console's descriptors are open for writing only.
const O_WRONLY: u32 = netbsd_abi::O_WRONLY as u32;
const POLLOUT: i16 = netbsd_abi::POLLOUT as i16;
const POLLWRNORM: i16 = POLLOUT;

/// The console as an open file.
struct Console {
    /// When the kernel booted: the console's times.
    boot: (i64, i64),
}

impl FileOps for Console {
    fn write(&self, _ctx: &Ctx, buf: &[u8], _offset: Option<u64>) -> KResult<usize> {
        rumpuser::console_write_bytes(buf);
        Ok(buf.len())
    }

    fn stat(&self, _ctx: &Ctx) -> KResult<Stat> {
        Ok(Stat {
            mode: S_IFCHR | 0o600,
            atime: self.boot,
            mtime: self.boot,
            ctime: self.boot,
            birthtime: self.boot,
            ..Stat::default()
        })
    }

    fn ioctl(&self, _ctx: &Ctx, cmd: u64, _data: &mut [u8], _user: &dyn UserSpace) -> KResult<()> {
        match cmd {
            TIOCGETA => Ok(()),
            _ => Err(Errno::ENOTTY),
        }
    }

    fn poll(&self, events: i16) -> i16 {
        events & (POLLOUT | POLLWRNORM)
    }

    fn may_block(&self) -> bool {
        false
    }

    fn dtype(&self) -> u32 {
        DTYPE_MISC
    }
}

/// Open descriptors 0, 1 and 2 of `p`, whose table is empty, on the
/// console (`rump_consdev_init`).
pub fn open_console_fds(k: &Kernel, p: &Proc) -> KResult<()> {
    let boot = k.boot_time();
    let boot = (boot.as_secs() as i64, i64::from(boot.subsec_nanos()));
    let file = File::new(Box::new(Console { boot }), O_WRONLY);
    for fd in 0..3 {
        p.fdt()
            .install_at(fd, std::sync::Arc::clone(&file), 3, false)?;
    }
    Ok(())
}
