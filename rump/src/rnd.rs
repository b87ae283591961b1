//! The kernel's randomness (NetBSD's `kern_rndq.c`, `kern_rndpool.c` and
//! `subr_cprng.c` in one): the entropy sources as NetBSD's rump kernel
//! attaches them, the pool's accounting, and the generator behind
//! `/dev/random`, `/dev/urandom` and `kern.arandom`.
//!
//! The bytes come from the host's entropy through `rumpuser` (the one
//! door), as NetBSD's rump kernel takes them through its `rump_hyperent`
//! source; reads never wait for entropy once the kernel has booted, since
//! the host's source is always there. What the pool counts (bits credited,
//! taken, discarded when full) follows NetBSD's rules, so that `rndctl`
//! reads the same kinds of numbers.

use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use std::sync::{Arc, Mutex, MutexGuard};

/// `RND_POOLWORDS` (`sys/rndpool.h`): the pool's size in 32-bit words.
pub const RND_POOLWORDS: u32 = 128;
/// `RND_POOLBITS` (`sys/rndpool.h`): the most entropy the pool holds.
pub const RND_POOLBITS: u32 = RND_POOLWORDS * 32;
/// `RND_ENTROPY_THRESHOLD` (`sys/rndpool.h`).
pub const RND_ENTROPY_THRESHOLD: u32 = 10;
/// `NIST_BLOCK_KEYLEN_BYTES` of NetBSD's AES-128 CTR_DRBG: what one
/// `/dev/random` read returns at most between rekeyings (`subr_cprng.c`).
pub const HARD_READ_MAX: usize = 16;

/// Source flags (`sys/rndio.h`).
pub mod flag {
    /// `RND_FLAG_NO_ESTIMATE`.
    pub const NO_ESTIMATE: u32 = 0x0000_0100;
    /// `RND_FLAG_NO_COLLECT`.
    pub const NO_COLLECT: u32 = 0x0000_0200;
    /// `RND_FLAG_HASCB`: the source is asked for data when the pool runs low.
    pub const HASCB: u32 = 0x0000_0800;
    /// `RND_FLAG_COLLECT_TIME`.
    pub const COLLECT_TIME: u32 = 0x0000_1000;
    /// `RND_FLAG_COLLECT_VALUE`.
    pub const COLLECT_VALUE: u32 = 0x0000_2000;
    /// `RND_FLAG_ESTIMATE_TIME`.
    pub const ESTIMATE_TIME: u32 = 0x0000_4000;
    /// `RND_FLAG_ESTIMATE_VALUE`.
    pub const ESTIMATE_VALUE: u32 = 0x0000_8000;
    /// `RND_FLAG_DEFAULT`.
    pub const DEFAULT: u32 = COLLECT_VALUE | COLLECT_TIME | ESTIMATE_TIME;
}

/// Source types (`RND_TYPE_*`, `sys/rndio.h`).
pub mod typ {
    /// `RND_TYPE_UNKNOWN`.
    pub const UNKNOWN: u32 = 0;
    /// `RND_TYPE_SKEW`.
    pub const SKEW: u32 = 6;
    /// `RND_TYPE_VM`.
    pub const VM: u32 = 8;
    /// `RND_TYPE_POWER`.
    pub const POWER: u32 = 9;
}

/// The sources NetBSD 7.99's rump kernel lists (`rndctl -l`), in its
/// order: the power-event source, the hypervisor's entropy
/// (`hyperentropy.c`), device attachment times, console output times, and
/// the clock skew of callouts.
const SOURCES: &[(&str, u32, u32)] = &[
    ("system-power", typ::POWER, flag::DEFAULT),
    ("rump_hyperent", typ::VM, flag::COLLECT_VALUE | flag::HASCB),
    (
        "autoconf",
        typ::UNKNOWN,
        flag::COLLECT_TIME | flag::ESTIMATE_TIME,
    ),
    ("printf", typ::UNKNOWN, flag::NO_ESTIMATE),
    (
        "callout",
        typ::SKEW,
        flag::COLLECT_VALUE | flag::ESTIMATE_VALUE,
    ),
];

/// The index of `rump_hyperent` in [`SOURCES`].
const HYPERENT: usize = 1;

/// An entropy source as `rndctl` sees it (`rndsource_est_t`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Source {
    /// Its name (at most 15 bytes).
    pub name: String,
    /// Bits of entropy credited from it.
    pub total: u32,
    /// `RND_TYPE_*`.
    pub typ: u32,
    /// `RND_FLAG_*`.
    pub flags: u32,
    /// Time-delta samples taken.
    pub dt_samples: u32,
    /// Bits the time-delta estimator credited.
    pub dt_total: u32,
    /// Value-delta samples taken.
    pub dv_samples: u32,
    /// Bits the value-delta estimator credited.
    pub dv_total: u32,
}

/// The pool's statistics (`rndpoolstat_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStat {
    /// `RND_POOLWORDS`.
    pub poolsize: u32,
    /// `RND_ENTROPY_THRESHOLD`.
    pub threshold: u32,
    /// `RND_POOLBITS`.
    pub maxentropy: u32,
    /// Bits of entropy mixed in.
    pub added: u32,
    /// Bits of entropy held now.
    pub curentropy: u32,
    /// Bits taken by hard (`/dev/random`) reads.
    pub removed: u32,
    /// Bits credited while the pool was full.
    pub discarded: u32,
    /// Pseudo-random bits handed out.
    pub generated: u32,
}

struct State {
    sources: Vec<Source>,
    pool: PoolStat,
}

/// A kernel's randomness.
pub struct Rnd {
    state: Mutex<State>,
}

fn bits(bytes: usize) -> u32 {
    u32::try_from(bytes.saturating_mul(8)).unwrap_or(u32::MAX)
}

fn host_fill(buf: &mut [u8]) -> KResult<()> {
    rumpuser::random_fill(buf).map_err(|e| Errno::from_host(&e))
}

impl Rnd {
    /// The randomness of kernel `k`, its sources attached and the pool
    /// filled from the host on first use (at boot).
    pub fn of(k: &Kernel) -> Arc<Rnd> {
        k.extension(Rnd::new)
    }

    fn new() -> Rnd {
        let sources = SOURCES
            .iter()
            .map(|&(name, typ, flags)| Source {
                name: name.to_owned(),
                typ,
                flags,
                ..Source::default()
            })
            .collect();
        let rnd = Rnd {
            state: Mutex::new(State {
                sources,
                pool: PoolStat {
                    poolsize: RND_POOLWORDS,
                    threshold: RND_ENTROPY_THRESHOLD,
                    maxentropy: RND_POOLBITS,
                    ..PoolStat::default()
                },
            }),
        };
        // As NetBSD's rnd_init asks every callback source for a pool's worth.
        rnd.feed_from_host(&mut rnd.lock());
        rnd
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        crate::sync::lock(&self.state)
    }

    /// Credit `n` bits from source `i` (or from no source) to the pool, as
    /// `rnd_add_data`: nothing if the source does not collect, the bits
    /// above the pool's room discarded.
    fn credit(st: &mut State, source: Option<usize>, n: u32) {
        let mut n = n;
        if let Some(s) = source.and_then(|i| st.sources.get_mut(i)) {
            if s.flags & flag::NO_COLLECT != 0 {
                return;
            }
            if s.flags & flag::NO_ESTIMATE != 0 {
                n = 0;
            }
            s.total = s.total.wrapping_add(n);
        }
        let p = &mut st.pool;
        p.added = p.added.wrapping_add(n);
        let room = p.maxentropy - p.curentropy.min(p.maxentropy);
        let kept = n.min(room);
        p.curentropy += kept;
        p.discarded = p.discarded.wrapping_add(n - kept);
    }

    /// `rump_hyperent`'s callback: a pool's worth of the host's entropy.
    fn feed_from_host(&self, st: &mut State) {
        let mut buf = [0u8; (RND_POOLBITS / 8) as usize];
        if host_fill(&mut buf).is_ok() {
            Self::credit(st, Some(HYPERENT), bits(buf.len()));
        }
    }

    /// Pseudo-random bytes (`/dev/urandom`, `kern.arandom`, `cprng_fast`).
    pub fn fill(&self, buf: &mut [u8]) -> KResult<()> {
        host_fill(buf)?;
        let mut st = self.lock();
        st.pool.generated = st.pool.generated.wrapping_add(bits(buf.len()));
        Ok(())
    }

    /// A hard read (`/dev/random`): at most [`HARD_READ_MAX`] bytes, their
    /// bits taken from the pool, which the host refills when it runs
    /// short, so that the read never waits. Returns the bytes given.
    pub fn fill_hard(&self, buf: &mut [u8]) -> KResult<usize> {
        let n = buf.len().min(HARD_READ_MAX);
        host_fill(&mut buf[..n])?;
        let mut st = self.lock();
        if st.pool.curentropy < bits(n).max(RND_ENTROPY_THRESHOLD * 8) {
            self.feed_from_host(&mut st);
        }
        st.pool.curentropy = st.pool.curentropy.saturating_sub(bits(n));
        st.pool.removed = st.pool.removed.wrapping_add(bits(n));
        Ok(n)
    }

    /// `RNDADDDATA`: `len` bytes of a caller's data with its estimate of
    /// their entropy, capped as NetBSD's `rnd_system_ioctl` caps it (half
    /// the bits given, half the pool), or no credit when `estimate_ok` is
    /// false.
    pub fn add_data(&self, len: u32, entropy: u32, estimate_ok: bool) {
        let estimate = if estimate_ok {
            (len.saturating_mul(8) / 2).min(entropy.min(RND_POOLBITS / 2))
        } else {
            0
        };
        Self::credit(&mut self.lock(), None, estimate);
    }

    /// Data written to `/dev/random` or `/dev/urandom`, credited with
    /// `estimate` bits (from no source), as `rnd_write` does.
    pub fn add_data_bits(&self, estimate: u32) {
        Self::credit(&mut self.lock(), None, estimate);
    }

    /// The bits of entropy the pool holds (`RNDGETENTCNT`).
    pub fn entropy_count(&self) -> u32 {
        self.lock().pool.curentropy
    }

    /// The pool's statistics (`RNDGETPOOLSTAT`).
    pub fn pool_stat(&self) -> PoolStat {
        self.lock().pool
    }

    /// Up to `count` sources from the `start`th on (`RNDGETSRCNUM`).
    pub fn sources(&self, start: usize, count: usize) -> Vec<Source> {
        self.lock()
            .sources
            .iter()
            .skip(start)
            .take(count)
            .cloned()
            .collect()
    }

    /// The source whose name matches `name` in its first 16 bytes, as
    /// NetBSD's `strncmp` compares them (`RNDGETSRCNAME`); ENOENT if none.
    pub fn source_named(&self, name: &[u8]) -> KResult<Source> {
        self.lock()
            .sources
            .iter()
            .find(|s| names_match(&s.name, name))
            .cloned()
            .ok_or(Errno::ENOENT)
    }

    /// `RNDCTL`: set the `mask` bits of the flags to those of `flags`, on
    /// every source of type `typ`, or on the source called `name` when
    /// `typ` is 0xff (ENOENT if there is none).
    pub fn set_flags(&self, name: &[u8], typ: u32, flags: u32, mask: u32) -> KResult<()> {
        /// `rndctl_t`'s type that selects by name.
        const BY_NAME: u32 = 0xff;
        let mut st = self.lock();
        let set = |s: &mut Source| s.flags = (s.flags & !mask) | (flags & mask);
        if typ != BY_NAME {
            st.sources.iter_mut().filter(|s| s.typ == typ).for_each(set);
            return Ok(());
        }
        let s = st
            .sources
            .iter_mut()
            .find(|s| names_match(&s.name, name))
            .ok_or(Errno::ENOENT)?;
        set(s);
        Ok(())
    }
}

/// NetBSD's `strncmp(kr->name, name, 16) == 0`: equal up to the first NUL
/// within 16 bytes.
fn names_match(ours: &str, theirs: &[u8]) -> bool {
    const NAME_LEN: usize = 16;
    let cut = |b: &[u8]| -> Vec<u8> {
        b.iter()
            .take(NAME_LEN)
            .take_while(|&&c| c != 0)
            .copied()
            .collect()
    };
    cut(ours.as_bytes()) == cut(theirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel() -> Arc<Kernel> {
        crate::KernelBuilder::new()
            .config(crate::BootConfig::default())
            .boot()
            .unwrap()
    }

    #[test]
    fn sources_are_netbsds_and_the_host_fills_the_pool_at_boot() {
        let k = kernel();
        let r = Rnd::of(&k);
        let names: Vec<String> = r.sources(0, 10).into_iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "system-power",
                "rump_hyperent",
                "autoconf",
                "printf",
                "callout"
            ]
        );
        assert_eq!(r.sources(4, 10).len(), 1);
        assert!(r.sources(5, 10).is_empty());
        let hyper = r.source_named(b"rump_hyperent\0junk").unwrap();
        assert_eq!(hyper.total, RND_POOLBITS);
        assert_eq!(r.entropy_count(), RND_POOLBITS);
        assert_eq!(r.source_named(b"nosuch").err(), Some(Errno::ENOENT));
    }

    #[test]
    fn hard_reads_are_short_take_entropy_and_never_run_dry() {
        let k = kernel();
        let r = Rnd::of(&k);
        let mut buf = [0u8; 1024];
        for _ in 0..100 {
            assert_eq!(r.fill_hard(&mut buf).unwrap(), HARD_READ_MAX);
        }
        let st = r.pool_stat();
        assert_eq!(st.removed, 100 * 128);
        // 12,800 bits were taken from a pool of 4,096: the host refilled it.
        assert!(r.source_named(b"rump_hyperent").unwrap().total > RND_POOLBITS);
        assert!(st.curentropy <= RND_POOLBITS);
        r.fill(&mut buf).unwrap();
        assert_eq!(r.pool_stat().generated, 8192);
    }

    #[test]
    fn added_data_is_capped_and_a_full_pool_discards() {
        let k = kernel();
        let r = Rnd::of(&k);
        let before = r.pool_stat();
        // Full pool: 100 bytes claiming 10,000 bits credit 400, all discarded.
        r.add_data(100, 10_000, true);
        let after = r.pool_stat();
        assert_eq!(after.added - before.added, 400);
        assert_eq!(after.discarded - before.discarded, 400);
        // Without the privilege to estimate, nothing is credited.
        r.add_data(100, 10_000, false);
        assert_eq!(r.pool_stat().added, after.added);
    }

    #[test]
    fn flags_change_by_type_or_by_name() {
        let k = kernel();
        let r = Rnd::of(&k);
        r.set_flags(b"", typ::UNKNOWN, flag::NO_COLLECT, flag::NO_COLLECT)
            .unwrap();
        assert!(r.source_named(b"autoconf").unwrap().flags & flag::NO_COLLECT != 0);
        assert!(r.source_named(b"printf").unwrap().flags & flag::NO_COLLECT != 0);
        r.set_flags(b"printf", 0xff, 0, flag::NO_COLLECT).unwrap();
        assert_eq!(r.source_named(b"printf").unwrap().flags, flag::NO_ESTIMATE);
        assert_eq!(r.set_flags(b"nosuch", 0xff, 0, 0), Err(Errno::ENOENT));
        // A source that does not collect credits nothing.
        r.set_flags(b"rump_hyperent", 0xff, flag::NO_COLLECT, flag::NO_COLLECT)
            .unwrap();
        let total = r.source_named(b"rump_hyperent").unwrap().total;
        let mut buf = [0u8; 16];
        for _ in 0..300 {
            r.fill_hard(&mut buf).unwrap();
        }
        assert_eq!(r.source_named(b"rump_hyperent").unwrap().total, total);
    }
}
