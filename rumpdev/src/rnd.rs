//! The rnd driver (NetBSD's `rndpseudo.c`, component `librumpdev_rnd`):
//! `/dev/random` (minor 0) and `/dev/urandom` (minor 1) at character
//! major 256, reading the kernel's generator (`rump::rnd`), and the
//! `rndctl` ioctls on either.

use crate::rndio::{self, NAME_LEN, RND_MAXSTATCOUNT, RNDDATA_MAX, SOURCE_EST_SIZE, SOURCE_SIZE};
use netbsd_abi::{FIOASYNC, FIONBIO};
use rump::component::{AttachResult, Component, Phase};
use rump::devsw::{CharDriver, DevKind, DevSw, DeviceOpen};
use rump::module::ModuleClass;
use rump::rnd::{HARD_READ_MAX, RND_POOLWORDS, Rnd};
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{Errno, KResult, Kernel};
use std::sync::{Arc, Mutex};

/// The rnd driver's character major on amd64 (`conf/majors`).
pub const RND_MAJOR: u32 = 256;
/// `RND_DEV_RANDOM`: the minor of `/dev/random` (`sys/rnd.h`).
pub const RND_DEV_RANDOM: u32 = 0;
/// `RND_DEV_URANDOM`: the minor of `/dev/urandom`.
pub const RND_DEV_URANDOM: u32 = 1;
/// `RND_TEMP_BUFFER_SIZE` (`rndpseudo.c`): a write mixes this much at a time.
const RND_TEMP_BUFFER_SIZE: usize = 512;

/// The rnd driver component (`librumpdev_rnd`).
pub static COMPONENT: Component = Component {
    name: "rumpdev_rnd",
    module: "rnd",
    class: ModuleClass::Driver,
    phase: Phase::Dev,
    faction: None,
    requires: &["rumpdev"],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    let sw = DevSw::of(k);
    let rnd = Rnd::of(k);
    sw.attach_char("random", RND_MAJOR, Arc::new(RndDriver { rnd }))
        .map_err(|e| format!("cannot attach rnd: {e}"))?;
    for (path, minor) in [
        ("/dev/random", RND_DEV_RANDOM),
        ("/dev/urandom", RND_DEV_URANDOM),
    ] {
        sw.make_node(k, path, DevKind::Char, RND_MAJOR, minor)
            .map_err(|e| format!("cannot create {path}: {e}"))?;
    }
    Ok(())
}

struct RndDriver {
    rnd: Arc<Rnd>,
}

impl CharDriver for RndDriver {
    fn open(&self, _ctx: &Ctx, minor: u32, _flags: u32) -> KResult<Box<dyn DeviceOpen>> {
        let hard = match minor {
            RND_DEV_RANDOM => true,
            RND_DEV_URANDOM => false,
            _ => return Err(Errno::ENXIO),
        };
        Ok(Box::new(RndOpen {
            rnd: Arc::clone(&self.rnd),
            hard,
            remaining: Mutex::new(HARD_READ_MAX),
        }))
    }
}

/// An open `/dev/random` or `/dev/urandom` (NetBSD's `rnd_ctx`).
struct RndOpen {
    rnd: Arc<Rnd>,
    hard: bool,
    /// What a `/dev/random` open may read before its generator rekeys
    /// (`cs_remaining`): a read returns at most this.
    remaining: Mutex<usize>,
}

impl DeviceOpen for RndOpen {
    fn read(&self, _ctx: &Ctx, buf: &mut [u8], _offset: u64) -> KResult<usize> {
        if !self.hard {
            self.rnd.fill(buf)?;
            return Ok(buf.len());
        }
        let mut left = rump::sync::lock(&self.remaining);
        let n = buf.len().min(*left);
        let got = self.rnd.fill_hard(&mut buf[..n])?;
        *left = if got >= *left {
            HARD_READ_MAX
        } else {
            *left - got
        };
        Ok(got)
    }

    fn write(&self, ctx: &Ctx, buf: &[u8], _offset: u64) -> KResult<usize> {
        // KAUTH_DEVICE_RND_ADDDATA and _ESTIMATE: root's, as NetBSD's suser.
        ctx.cred().require_root()?;
        let mut added = 0;
        for chunk in buf.chunks(RND_TEMP_BUFFER_SIZE) {
            // Not to flood the pool, as rnd_write.
            if added > RND_POOLWORDS as usize * 4 {
                break;
            }
            let estimate = if added > RND_POOLWORDS as usize / 2 {
                0
            } else {
                chunk.len() as u32 * 8 / 2
            };
            self.rnd.add_data_bits(estimate);
            added += chunk.len();
        }
        Ok(added)
    }

    fn ioctl(&self, ctx: &Ctx, cmd: u64, data: &mut [u8], _user: &dyn UserSpace) -> KResult<()> {
        match cmd {
            FIONBIO | FIOASYNC => Ok(()),
            _ => rnd_system_ioctl(&self.rnd, ctx, cmd, data),
        }
    }

    fn poll(&self, events: i16) -> i16 {
        // Always writable, and readable: the host never runs dry.
        events & rump::file::POLL_ALWAYS_READY
    }

    fn may_block(&self) -> bool {
        false
    }
}

/// NetBSD's `rnd_system_ioctl`: statistics need root, as do changes.
fn rnd_system_ioctl(rnd: &Rnd, ctx: &Ctx, cmd: u64, data: &mut [u8]) -> KResult<()> {
    match cmd {
        rndio::RNDGETENTCNT => return rndio::put_count(data, rnd.entropy_count()),
        rndio::RNDGETPOOLSTAT
        | rndio::RNDGETSRCNUM
        | rndio::RNDGETSRCNAME
        | rndio::RNDGETESTNUM
        | rndio::RNDGETESTNAME
        | rndio::RNDCTL
        | rndio::RNDADDDATA => ctx.cred().require_root()?,
        _ => return Err(Errno::ENOTTY),
    }
    match cmd {
        rndio::RNDGETPOOLSTAT => rndio::put_poolstat(data, &rnd.pool_stat()),
        rndio::RNDGETSRCNUM | rndio::RNDGETESTNUM => {
            let est = cmd == rndio::RNDGETESTNUM;
            let start = rndio::u32_at(data, rndio::STAT_START)? as usize;
            let count = rndio::u32_at(data, rndio::STAT_COUNT)? as usize;
            if count == 0 {
                return Ok(());
            }
            if count > RND_MAXSTATCOUNT {
                return Err(Errno::EINVAL);
            }
            let size = if est { SOURCE_EST_SIZE } else { SOURCE_SIZE };
            let sources = rnd.sources(start, count);
            for (i, s) in sources.iter().enumerate() {
                rndio::put_source(data, rndio::STAT_SOURCES + i * size, s, est)?;
            }
            rndio::put_stat_count(data, sources.len() as u32)
        }
        rndio::RNDGETSRCNAME | rndio::RNDGETESTNAME => {
            let s = rnd.source_named(rndio::name_at(data, 0)?)?;
            rndio::put_source(data, NAME_LEN, &s, cmd == rndio::RNDGETESTNAME)
        }
        rndio::RNDCTL => {
            let name = rndio::name_at(data, 0)?.to_vec();
            let typ = rndio::u32_at(data, rndio::CTL_TYPE)?;
            let flags = rndio::u32_at(data, rndio::CTL_FLAGS)?;
            let mask = rndio::u32_at(data, rndio::CTL_MASK)?;
            rnd.set_flags(&name, typ, flags, mask)
        }
        rndio::RNDADDDATA => {
            let len = rndio::u32_at(data, rndio::DATA_LEN)?;
            let entropy = rndio::u32_at(data, rndio::DATA_ENTROPY)?;
            if len as usize > RNDDATA_MAX {
                return Err(Errno::EINVAL);
            }
            // Root may estimate (KAUTH_DEVICE_RND_ADDDATA_ESTIMATE).
            rnd.add_data(len, entropy, true);
            Ok(())
        }
        _ => Err(Errno::ENOTTY),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rump::devsw::makedev;
    use rumpvfs::VfsCalls;

    fn kernel() -> Arc<Kernel> {
        rump::KernelBuilder::new()
            .config(rump::BootConfig::default())
            .component(&rumpvfs::COMPONENT)
            .component(&crate::COMPONENT)
            .component(&COMPONENT)
            .boot()
            .unwrap()
    }

    struct NoUser;
    impl UserSpace for NoUser {
        fn copyin(&self, _: u64, _: &mut [u8]) -> KResult<()> {
            Err(Errno::EFAULT)
        }
        fn copyout(&self, _: u64, _: &[u8]) -> KResult<()> {
            Err(Errno::EFAULT)
        }
    }

    #[test]
    fn random_reads_are_short_urandom_reads_are_whole() {
        let k = kernel();
        let st = k.sys_stat("/dev/urandom").unwrap();
        assert_eq!(st.rdev, makedev(RND_MAJOR, RND_DEV_URANDOM));
        assert_eq!(st.mode, 0o020644);
        let sw = DevSw::of(&k);
        k.with_ctx(|ctx| {
            let hard = sw.open(ctx, DevKind::Char, makedev(256, 0), 0)?;
            let mut buf = vec![0u8; 65536];
            assert_eq!(hard.read(ctx, &mut buf, 0)?, 16);
            // What is left of the generator's strength since its rekeying.
            assert_eq!(hard.read(ctx, &mut buf[..10], 0)?, 10);
            assert_eq!(hard.read(ctx, &mut buf, 0)?, 6);
            assert_eq!(hard.read(ctx, &mut buf, 0)?, 16);
            let soft = sw.open(ctx, DevKind::Char, makedev(256, 1), 0)?;
            assert_eq!(soft.read(ctx, &mut buf, 0)?, 65536);
            assert!(buf.iter().filter(|&&b| b == 0).count() < 1024);
            assert_eq!(
                sw.open(ctx, DevKind::Char, makedev(256, 2), 0).err(),
                Some(Errno::ENXIO)
            );
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn rndctl_ioctls_list_sources_and_change_flags() {
        let k = kernel();
        let sw = DevSw::of(&k);
        k.with_ctx(|ctx| {
            let d = sw.open(ctx, DevKind::Char, makedev(256, 1), 0)?;
            let mut cnt = [0u8; 4];
            d.ioctl(ctx, rndio::RNDGETENTCNT, &mut cnt, &NoUser)?;
            assert_eq!(u32::from_ne_bytes(cnt), 4096);
            let mut st = vec![0u8; rndio::STAT_EST_SIZE];
            rndio::put_u32(&mut st, rndio::STAT_COUNT, 10)?;
            d.ioctl(ctx, rndio::RNDGETESTNUM, &mut st, &NoUser)?;
            assert_eq!(rndio::u32_at(&st, rndio::STAT_COUNT)?, 5);
            assert_eq!(
                &st[rndio::STAT_SOURCES + SOURCE_EST_SIZE..][..14],
                b"rump_hyperent\0"
            );
            // Past the end: a count of zero, no error.
            rndio::put_u32(&mut st, rndio::STAT_START, 5)?;
            rndio::put_u32(&mut st, rndio::STAT_COUNT, 10)?;
            d.ioctl(ctx, rndio::RNDGETESTNUM, &mut st, &NoUser)?;
            assert_eq!(rndio::u32_at(&st, rndio::STAT_COUNT)?, 0);
            rndio::put_u32(&mut st, rndio::STAT_COUNT, 11)?;
            assert_eq!(
                d.ioctl(ctx, rndio::RNDGETESTNUM, &mut st, &NoUser),
                Err(Errno::EINVAL)
            );
            // rndctl -c -d callout: stop collecting from one source by name.
            let mut c = vec![0u8; rndio::CTL_SIZE];
            c[..7].copy_from_slice(b"callout");
            rndio::put_u32(&mut c, rndio::CTL_TYPE, 0xff)?;
            rndio::put_u32(&mut c, rndio::CTL_FLAGS, rump::rnd::flag::NO_COLLECT)?;
            rndio::put_u32(&mut c, rndio::CTL_MASK, rump::rnd::flag::NO_COLLECT)?;
            d.ioctl(ctx, rndio::RNDCTL, &mut c, &NoUser)?;
            let mut n = vec![0u8; rndio::STAT_NAME_SIZE];
            n[..7].copy_from_slice(b"callout");
            d.ioctl(ctx, rndio::RNDGETSRCNAME, &mut n, &NoUser)?;
            let flags = rndio::u32_at(&n, NAME_LEN + rndio::SOURCE_FLAGS)?;
            assert_ne!(flags & rump::rnd::flag::NO_COLLECT, 0);
            // A data length past the buffer is EINVAL; a short argument too.
            let mut ad = vec![0u8; rndio::DATA_SIZE];
            rndio::put_u32(&mut ad, rndio::DATA_LEN, 513)?;
            assert_eq!(
                d.ioctl(ctx, rndio::RNDADDDATA, &mut ad, &NoUser),
                Err(Errno::EINVAL)
            );
            assert_eq!(
                d.ioctl(ctx, rndio::RNDGETSRCNUM, &mut [0u8; 4], &NoUser),
                Err(Errno::EINVAL)
            );
            assert_eq!(
                d.ioctl(ctx, 0x2000_7201, &mut [], &NoUser),
                Err(Errno::ENOTTY)
            );
            Ok(())
        })
        .unwrap();
        // Statistics are root's; the entropy count is everyone's.
        k.lwproc_rfork(0).unwrap();
        k.sys_setuid(7).unwrap();
        k.with_ctx(|ctx| {
            let d = sw.open(ctx, DevKind::Char, makedev(256, 1), 0)?;
            d.ioctl(ctx, rndio::RNDGETENTCNT, &mut [0u8; 4], &NoUser)?;
            let mut ps = [0u8; rndio::POOLSTAT_SIZE];
            assert_eq!(
                d.ioctl(ctx, rndio::RNDGETPOOLSTAT, &mut ps, &NoUser),
                Err(Errno::EPERM)
            );
            assert_eq!(d.write(ctx, b"seed", 0), Err(Errno::EPERM));
            Ok(())
        })
        .unwrap();
    }
}
