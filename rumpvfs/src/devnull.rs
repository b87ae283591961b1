//! `/dev/null` and `/dev/zero`, which NetBSD's rump kernel attaches with
//! the VFS faction (`rumpvfs/devnull.c`, the `null` character driver at
//! major 2): a kernel with file systems has them even without the DEV
//! faction. And the faction's answer to drivers that make device nodes
//! (`makeonedevnode` in `rumpvfs/devnodes.c`).

use crate::node::{NewNode, VType};
use crate::vfs::Vfs;
use rump::devsw::{CharDriver, DevKind, DevNodeMaker, DevSw, DeviceOpen};
use rump::syscall::Ctx;
use rump::{Errno, KResult, Kernel};
use std::sync::Arc;

/// The `null` driver's major number on amd64 (`conf/majors`).
pub const NULL_MAJOR: u32 = 2;
/// `DEV_NULL`, the minor of `/dev/null` (`sys/conf.h`).
pub const DEV_NULL: u32 = 2;
/// `DEV_ZERO`, the minor of `/dev/zero` (`sys/conf.h`).
pub const DEV_ZERO: u32 = 12;

/// The `null` character driver.
struct NullDriver;

/// An open `/dev/null` or `/dev/zero`.
struct NullOpen {
    zero: bool,
}

impl CharDriver for NullDriver {
    fn open(&self, _ctx: &Ctx, minor: u32, _flags: u32) -> KResult<Box<dyn DeviceOpen>> {
        match minor {
            DEV_NULL => Ok(Box::new(NullOpen { zero: false })),
            DEV_ZERO => Ok(Box::new(NullOpen { zero: true })),
            _ => Err(Errno::ENXIO),
        }
    }
}

impl DeviceOpen for NullOpen {
    fn read(&self, _ctx: &Ctx, buf: &mut [u8], _offset: u64) -> KResult<usize> {
        if !self.zero {
            return Ok(0);
        }
        buf.fill(0);
        Ok(buf.len())
    }

    fn write(&self, _ctx: &Ctx, buf: &[u8], _offset: u64) -> KResult<usize> {
        Ok(buf.len())
    }

    fn may_block(&self) -> bool {
        false
    }
}

/// Makes device nodes from the root, as the kernel's own lwp would.
struct NodeMaker;

impl DevNodeMaker for NodeMaker {
    fn make_node(&self, k: &Kernel, path: &str, kind: DevKind, dev: u64, mode: u32) -> KResult<()> {
        let v = Vfs::of(k);
        let p = v.lookup_parent(k.procs().local_proc(), None, path.as_bytes())?;
        if p.name.is_empty() {
            return Err(Errno::EEXIST);
        }
        if p.dir.node.lookup(&p.name).is_ok() {
            return Err(Errno::EEXIST);
        }
        let typ = match kind {
            DevKind::Char => VType::Chr,
            DevKind::Block => VType::Blk,
        };
        p.dir
            .node
            .create(
                &p.name,
                NewNode {
                    typ,
                    mode: mode & 0o7777,
                    uid: 0,
                    gid: 0,
                    rdev: dev,
                },
            )
            .map(drop)
    }
}

/// Let drivers make nodes, attach the `null` driver and make `/dev/null`
/// and `/dev/zero` (`rump_devnull_init`).
pub(crate) fn attach(k: &Kernel) -> KResult<()> {
    let sw = DevSw::of(k);
    sw.set_node_maker(Arc::new(NodeMaker));
    sw.attach_char("null", NULL_MAJOR, Arc::new(NullDriver))?;
    sw.make_node(k, "/dev/null", DevKind::Char, NULL_MAJOR, DEV_NULL)?;
    sw.make_node(k, "/dev/zero", DevKind::Char, NULL_MAJOR, DEV_ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_swallows_and_reads_eof_zero_reads_zeros() {
        let k = rump::KernelBuilder::new()
            .config(rump::BootConfig::default())
            .component(&crate::COMPONENT)
            .boot()
            .unwrap();
        let sw = DevSw::of(&k);
        k.with_ctx(|ctx| {
            let null = sw.open(ctx, DevKind::Char, rump::devsw::makedev(2, 2), 0)?;
            let mut buf = vec![7u8; 65536];
            assert_eq!(null.read(ctx, &mut buf, 0)?, 0);
            assert_eq!(null.write(ctx, &buf, 0)?, 65536);
            let zero = sw.open(ctx, DevKind::Char, rump::devsw::makedev(2, 12), 0)?;
            assert_eq!(zero.read(ctx, &mut buf, 12345)?, 65536);
            assert!(buf.iter().all(|&b| b == 0));
            assert_eq!(zero.write(ctx, &[1, 2, 3], 0)?, 3);
            assert_eq!(
                sw.open(ctx, DevKind::Char, rump::devsw::makedev(2, 3), 0)
                    .err(),
                Some(Errno::ENXIO)
            );
            Ok(())
        })
        .unwrap();
    }

    /// What NetBSD's rump kernel answers on `/dev/null` and `/dev/zero`,
    /// measured with a client of its own: the null driver has no ioctl
    /// (FIONBIO, FIOASYNC and `fcntl`'s O_NONBLOCK are ENODEV), any
    /// offset goes, a truncation does nothing, and poll is `seltrue`'s.
    #[test]
    fn null_and_zero_answer_as_netbsds() {
        use crate::VfsCalls;
        use crate::flags::*;
        use netbsd_abi::layout::pollfd;
        use netbsd_abi::{
            F_GETFL, F_SETFL, FIOASYNC, FIONBIO, FIONREAD, O_ASYNC, O_NONBLOCK, POLLIN, POLLOUT,
            POLLRDBAND, POLLRDNORM, POLLWRBAND, SYS_fcntl, SYS_ioctl, SYS_poll,
        };
        use rump::usermem::BufferSpace;
        let k = rump::KernelBuilder::new()
            .config(rump::BootConfig::default())
            .component(&crate::COMPONENT)
            .boot()
            .unwrap();
        const ARG: u64 = 0x1000;
        let us = BufferSpace::new(ARG, 64);
        for path in ["/dev/null", "/dev/zero"] {
            let fd = k.sys_open(path, O_RDWR, 0).unwrap();
            let fcntl = |cmd: i32, arg: i32| {
                k.syscall(SYS_fcntl, &[fd as u64, cmd as u64, arg as u64], &us)
                    .map(|r| r[0])
            };
            let ioctl = |cmd: u64, v: i32| {
                us.poke(ARG, &v.to_ne_bytes());
                k.syscall(SYS_ioctl, &[fd as u64, cmd, ARG], &us).map(drop)
            };
            assert_eq!(ioctl(FIONBIO, 1), Err(Errno::ENODEV));
            assert_eq!(ioctl(FIONBIO, 0), Err(Errno::ENODEV));
            assert_eq!(ioctl(FIOASYNC, 1), Err(Errno::ENODEV));
            // The flags change even so, as NetBSD's sys_ioctl changes them.
            assert_eq!(fcntl(F_GETFL, 0), Ok((O_RDWR | O_ASYNC) as u64));
            assert_eq!(ioctl(FIOASYNC, 0), Err(Errno::ENODEV));
            assert_eq!(ioctl(FIONREAD, 0), Err(Errno::ENODEV));
            assert_eq!(fcntl(F_SETFL, O_NONBLOCK), Err(Errno::ENODEV));
            assert_eq!(fcntl(F_GETFL, 0), Ok(O_RDWR as u64), "{path}");
            let mut b = [7u8; 10];
            let want = if path == "/dev/zero" { 10 } else { 0 };
            assert_eq!(k.sys_pread(fd, &mut b, -5), Ok(want));
            assert_eq!(k.sys_pwrite(fd, &b, -5), Ok(10));
            assert_eq!(k.sys_ftruncate(fd, 0), Ok(()));
            let mut p = [0u8; 8];
            pollfd::fd.put(&mut p, fd as u64);
            let asked = POLLIN | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRBAND;
            pollfd::events.put(&mut p, asked as u64);
            us.poke(ARG, &p);
            assert_eq!(k.syscall(SYS_poll, &[ARG, 1, 0], &us).unwrap()[0], 1);
            let got = pollfd::revents.get(&us.peek(ARG, 8)).unwrap() as i32;
            assert_eq!(got, POLLIN | POLLOUT | POLLRDNORM, "{path}");
            k.sys_close(fd).unwrap();
        }
    }
}
