//! The `rndctl` ioctls' arguments (NetBSD's `sys/rndio.h`), as typed
//! views over the bytes the system call layer copies in and out.
//!
//! ```text
//! rndsource_t      { char name[16]; uint32_t total, type, flags; }        28 bytes
//! rndsource_est_t  { rndsource_t rt; uint32_t dt_samples, dt_total,
//!                    dv_samples, dv_total; }                              44 bytes
//! rndstat_t        { uint32_t start, count; rndsource_t source[10]; }    288 bytes
//! rndstat_est_t    { uint32_t start, count; rndsource_est_t source[10]; } 448 bytes
//! rndstat_name_t   { char name[16]; rndsource_t source; }                 44 bytes
//! rndstat_est_name_t { char name[16]; rndsource_est_t source; }           60 bytes
//! rndctl_t         { char name[16]; uint32_t type, flags, mask; }         28 bytes
//! rnddata_t        { uint32_t len, entropy; u_char data[512]; }          520 bytes
//! rndpoolstat_t    { uint32_t poolsize, threshold, maxentropy, added,
//!                    curentropy, removed, discarded, generated; }         32 bytes
//! ```

use netbsd_abi::{IOC_IN, IOC_INOUT, IOC_OUT};
use rump::rnd::{PoolStat, Source};
use rump::{Errno, KResult};

/// The length of a source's name field.
pub const NAME_LEN: usize = 16;
/// `RND_MAXSTATCOUNT`: sources per `RNDGETSRCNUM`/`RNDGETESTNUM`.
pub const RND_MAXSTATCOUNT: usize = 10;
/// `RND_SAVEWORDS * sizeof(uint32_t)`: the data of one `RNDADDDATA`.
pub const RNDDATA_MAX: usize = 512;

/// `sizeof(rndsource_t)`.
pub const SOURCE_SIZE: usize = NAME_LEN + 3 * 4;
/// `sizeof(rndsource_est_t)`.
pub const SOURCE_EST_SIZE: usize = SOURCE_SIZE + 4 * 4;
/// `sizeof(rndstat_t)`.
pub const STAT_SIZE: usize = STAT_SOURCES + RND_MAXSTATCOUNT * SOURCE_SIZE;
/// `sizeof(rndstat_est_t)`.
pub const STAT_EST_SIZE: usize = STAT_SOURCES + RND_MAXSTATCOUNT * SOURCE_EST_SIZE;
/// `sizeof(rndstat_name_t)`.
pub const STAT_NAME_SIZE: usize = NAME_LEN + SOURCE_SIZE;
/// `sizeof(rndstat_est_name_t)`.
pub const STAT_EST_NAME_SIZE: usize = NAME_LEN + SOURCE_EST_SIZE;
/// `sizeof(rndctl_t)`.
pub const CTL_SIZE: usize = NAME_LEN + 3 * 4;
/// `sizeof(rnddata_t)`.
pub const DATA_SIZE: usize = 8 + RNDDATA_MAX;
/// `sizeof(rndpoolstat_t)`.
pub const POOLSTAT_SIZE: usize = 8 * 4;

/// `rndstat_t`/`rndstat_est_t`: the first source asked for.
pub const STAT_START: usize = 0;
/// `rndstat_t`/`rndstat_est_t`: how many, asked and answered.
pub const STAT_COUNT: usize = 4;
/// `rndstat_t`/`rndstat_est_t`: the sources.
pub const STAT_SOURCES: usize = 8;
/// `rndctl_t.type` (the name is first).
pub const CTL_TYPE: usize = NAME_LEN;
/// `rndctl_t.flags`.
pub const CTL_FLAGS: usize = NAME_LEN + 4;
/// `rndctl_t.mask`.
pub const CTL_MASK: usize = NAME_LEN + 8;
/// `rnddata_t.len`.
pub const DATA_LEN: usize = 0;
/// `rnddata_t.entropy`.
pub const DATA_ENTROPY: usize = 4;
/// `rndsource_t.flags`, from the start of the source.
pub const SOURCE_FLAGS: usize = NAME_LEN + 8;

/// `_IOC(dir, 'R', num, len)` as `sys/ioccom.h` builds it.
const fn ioc(dir: u64, num: u8, len: usize) -> u64 {
    netbsd_abi::ioc(dir, b'R', num, len)
}

/// `RNDGETENTCNT`: `_IOR('R', 101, uint32_t)`.
pub const RNDGETENTCNT: u64 = ioc(IOC_OUT, 101, 4);
/// `RNDGETSRCNUM`: `_IOWR('R', 102, rndstat_t)`.
pub const RNDGETSRCNUM: u64 = ioc(IOC_INOUT, 102, STAT_SIZE);
/// `RNDGETSRCNAME`: `_IOWR('R', 103, rndstat_name_t)`.
pub const RNDGETSRCNAME: u64 = ioc(IOC_INOUT, 103, STAT_NAME_SIZE);
/// `RNDCTL`: `_IOW('R', 104, rndctl_t)`.
pub const RNDCTL: u64 = ioc(IOC_IN, 104, CTL_SIZE);
/// `RNDADDDATA`: `_IOW('R', 105, rnddata_t)`.
pub const RNDADDDATA: u64 = ioc(IOC_IN, 105, DATA_SIZE);
/// `RNDGETPOOLSTAT`: `_IOR('R', 106, rndpoolstat_t)`.
pub const RNDGETPOOLSTAT: u64 = ioc(IOC_OUT, 106, POOLSTAT_SIZE);
/// `RNDGETESTNUM`: `_IOWR('R', 107, rndstat_est_t)`.
pub const RNDGETESTNUM: u64 = ioc(IOC_INOUT, 107, STAT_EST_SIZE);
/// `RNDGETESTNAME`: `_IOWR('R', 108, rndstat_est_name_t)`.
pub const RNDGETESTNAME: u64 = ioc(IOC_INOUT, 108, STAT_EST_NAME_SIZE);

/// The `u32` at `off` of `b`; EINVAL if `b` is too short.
pub fn u32_at(b: &[u8], off: usize) -> KResult<u32> {
    let bytes = b.get(off..off + 4).ok_or(Errno::EINVAL)?;
    Ok(u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// Write `v` at `off` of `b`; EINVAL if `b` is too short.
pub fn put_u32(b: &mut [u8], off: usize, v: u32) -> KResult<()> {
    b.get_mut(off..off + 4)
        .ok_or(Errno::EINVAL)?
        .copy_from_slice(&v.to_ne_bytes());
    Ok(())
}

/// The name field at `off` (16 bytes, NUL-padded).
pub fn name_at(b: &[u8], off: usize) -> KResult<&[u8]> {
    b.get(off..off + NAME_LEN).ok_or(Errno::EINVAL)
}

/// Write `s` as `rndsource_t` (and its estimates, as `rndsource_est_t`,
/// when `est`) at `off`.
pub fn put_source(b: &mut [u8], off: usize, s: &Source, est: bool) -> KResult<()> {
    let name = b.get_mut(off..off + NAME_LEN).ok_or(Errno::EINVAL)?;
    name.fill(0);
    let n = s.name.len().min(NAME_LEN - 1);
    name[..n].copy_from_slice(&s.name.as_bytes()[..n]);
    put_u32(b, off + NAME_LEN, s.total)?;
    put_u32(b, off + NAME_LEN + 4, s.typ)?;
    put_u32(b, off + SOURCE_FLAGS, s.flags)?;
    if est {
        let e = off + SOURCE_SIZE;
        put_u32(b, e, s.dt_samples)?;
        put_u32(b, e + 4, s.dt_total)?;
        put_u32(b, e + 8, s.dv_samples)?;
        put_u32(b, e + 12, s.dv_total)?;
    }
    Ok(())
}

/// Write `p` as `rndpoolstat_t`.
pub fn put_poolstat(b: &mut [u8], p: &PoolStat) -> KResult<()> {
    let fields = [
        p.poolsize,
        p.threshold,
        p.maxentropy,
        p.added,
        p.curentropy,
        p.removed,
        p.discarded,
        p.generated,
    ];
    for (i, v) in fields.into_iter().enumerate() {
        put_u32(b, i * 4, v)?;
    }
    Ok(())
}

/// Write a `uint32_t` answer.
pub fn put_count(b: &mut [u8], v: u32) -> KResult<()> {
    put_u32(b, 0, v)
}

/// Set the `count` of an `rndstat_t` or `rndstat_est_t`.
pub fn put_stat_count(b: &mut [u8], count: u32) -> KResult<()> {
    put_u32(b, STAT_COUNT, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_are_netbsds() {
        // As NetBSD's rndctl is built (sys/rndio.h with sys/ioccom.h).
        assert_eq!(RNDGETENTCNT, 0x4004_5265);
        assert_eq!(RNDGETSRCNUM, 0xc120_5266);
        assert_eq!(RNDCTL, 0x801c_5268);
        assert_eq!(RNDADDDATA, 0x8208_5269);
        assert_eq!(RNDGETPOOLSTAT, 0x4020_526a);
        assert_eq!(RNDGETESTNUM, 0xc1c0_526b);
        assert_eq!(RNDGETESTNAME, 0xc03c_526c);
    }

    #[test]
    fn a_source_is_laid_out_as_rndsource_est_t() {
        let s = Source {
            name: "rump_hyperent".into(),
            total: 40960,
            typ: 8,
            flags: 0x2800,
            dt_samples: 1,
            dt_total: 2,
            dv_samples: 3,
            dv_total: 4,
        };
        let mut b = [0xffu8; SOURCE_EST_SIZE];
        put_source(&mut b, 0, &s, true).unwrap();
        let mut want = b"rump_hyperent\0\0\0".to_vec();
        for v in [40960u32, 8, 0x2800, 1, 2, 3, 4] {
            want.extend_from_slice(&v.to_ne_bytes());
        }
        assert_eq!(b.to_vec(), want);
        // Too short a buffer is EINVAL, never a panic.
        assert_eq!(put_source(&mut b[..20], 0, &s, false), Err(Errno::EINVAL));
        assert_eq!(u32_at(&b, SOURCE_EST_SIZE - 2), Err(Errno::EINVAL));
    }
}
