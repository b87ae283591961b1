//! `sys/rndio.h`: the rnd driver's ioctls and their structures.
//!
//! ```text
//! rndsource_t        { char name[16]; uint32_t total, type, flags; }      28 bytes
//! rndsource_est_t    { rndsource_t rt; uint32_t dt_samples, dt_total,
//!                      dv_samples, dv_total; }                            44 bytes
//! rndstat_est_t      { uint32_t start, count; rndsource_est_t source[10]; } 448 bytes
//! rndstat_est_name_t { char name[16]; rndsource_est_t source; }           60 bytes
//! rndctl_t           { char name[16]; uint32_t type, flags, mask; }       28 bytes
//! rndpoolstat_t      { uint32_t poolsize, threshold, maxentropy, added,
//!                      curentropy, removed, discarded, generated; }       32 bytes
//! ```

use netbsd_abi::{IOC_IN, IOC_INOUT, IOC_OUT, ioc};

/// The length of a source's name.
pub const NAME_LEN: usize = 16;
/// `RND_MAXSTATCOUNT`: sources per `RNDGETESTNUM`.
pub const RND_MAXSTATCOUNT: usize = 10;
/// `sizeof(rndsource_est_t)`.
pub const SOURCE_EST_SIZE: usize = NAME_LEN + 7 * 4;
/// `sizeof(rndstat_est_t)`.
pub const STAT_EST_SIZE: usize = 8 + RND_MAXSTATCOUNT * SOURCE_EST_SIZE;
/// `sizeof(rndstat_est_name_t)`.
pub const STAT_EST_NAME_SIZE: usize = NAME_LEN + SOURCE_EST_SIZE;
/// `sizeof(rndctl_t)`.
pub const CTL_SIZE: usize = NAME_LEN + 3 * 4;
/// `sizeof(rndpoolstat_t)`.
pub const POOLSTAT_SIZE: usize = 8 * 4;

/// `rndstat_est_t.start`, `.count` and the first source.
pub const STAT_START: usize = 0;
/// See [`STAT_START`].
pub const STAT_COUNT: usize = 4;
/// See [`STAT_START`].
pub const STAT_SOURCES: usize = 8;
/// In a source: `total`, `type`, `flags`, then the four estimates.
pub const SRC_TOTAL: usize = NAME_LEN;
/// See [`SRC_TOTAL`].
pub const SRC_TYPE: usize = NAME_LEN + 4;
/// See [`SRC_TOTAL`].
pub const SRC_FLAGS: usize = NAME_LEN + 8;
/// See [`SRC_TOTAL`]: `dt_samples`, `dt_total`, `dv_samples`, `dv_total`.
pub const SRC_ESTIMATES: usize = NAME_LEN + 12;
/// `rndctl_t.type`, `.flags`, `.mask`.
pub const CTL_TYPE: usize = NAME_LEN;
/// See [`CTL_TYPE`].
pub const CTL_FLAGS: usize = NAME_LEN + 4;
/// See [`CTL_TYPE`].
pub const CTL_MASK: usize = NAME_LEN + 8;
/// `rndpoolstat_t`'s fields in order, as offsets.
pub const POOL_MAXENTROPY: usize = 8;
/// See [`POOL_MAXENTROPY`].
pub const POOL_ADDED: usize = 12;
/// See [`POOL_MAXENTROPY`].
pub const POOL_CURENTROPY: usize = 16;
/// See [`POOL_MAXENTROPY`].
pub const POOL_REMOVED: usize = 20;
/// See [`POOL_MAXENTROPY`].
pub const POOL_DISCARDED: usize = 24;
/// See [`POOL_MAXENTROPY`].
pub const POOL_GENERATED: usize = 28;

/// `RNDCTL`: `_IOW('R', 104, rndctl_t)`.
pub const RNDCTL: u64 = ioc(IOC_IN, b'R', 104, CTL_SIZE);
/// `RNDGETPOOLSTAT`: `_IOR('R', 106, rndpoolstat_t)`.
pub const RNDGETPOOLSTAT: u64 = ioc(IOC_OUT, b'R', 106, POOLSTAT_SIZE);
/// `RNDGETESTNUM`: `_IOWR('R', 107, rndstat_est_t)`.
pub const RNDGETESTNUM: u64 = ioc(IOC_INOUT, b'R', 107, STAT_EST_SIZE);
/// `RNDGETESTNAME`: `_IOWR('R', 108, rndstat_est_name_t)`.
pub const RNDGETESTNAME: u64 = ioc(IOC_INOUT, b'R', 108, STAT_EST_NAME_SIZE);

/// `RND_FLAG_NO_ESTIMATE`.
pub const RND_FLAG_NO_ESTIMATE: u32 = 0x100;
/// `RND_FLAG_NO_COLLECT`.
pub const RND_FLAG_NO_COLLECT: u32 = 0x200;
/// `RND_FLAG_COLLECT_TIME`.
pub const RND_FLAG_COLLECT_TIME: u32 = 0x1000;
/// `RND_FLAG_COLLECT_VALUE`.
pub const RND_FLAG_COLLECT_VALUE: u32 = 0x2000;
/// `RND_FLAG_ESTIMATE_TIME`.
pub const RND_FLAG_ESTIMATE_TIME: u32 = 0x4000;
/// `RND_FLAG_ESTIMATE_VALUE`.
pub const RND_FLAG_ESTIMATE_VALUE: u32 = 0x8000;

/// rndctl's names of `RND_TYPE_*`, by number (`source_types`).
pub const TYPE_NAMES: [&str; 10] = [
    "???", "disk", "net", "tape", "tty", "rng", "skew", "env", "vm", "power",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_netbsds() {
        // The sizes NetBSD's compiler gives: 448, 60, 28 and 32 bytes.
        assert_eq!(RNDGETESTNUM, 0xc1c0_526b);
        assert_eq!(RNDGETESTNAME, 0xc03c_526c);
        assert_eq!(RNDCTL, 0x801c_5268);
        assert_eq!(RNDGETPOOLSTAT, 0x4020_526a);
    }
}
