//! Kernel memory accounting against `RUMP_MEMLIMIT`.
//!
//! Every allocation the kernel makes on behalf of its clients (file data,
//! vnodes, packet buffers) is charged here first. At the limit the kernel asks
//! the registered caches to give memory back, and only if that does not free
//! enough does the allocation fail with ENOMEM. Memory is taken from the host
//! only after the charge succeeded, so the host is never asked for more than
//! the limit.

use crate::errno::{Errno, KResult};
use crate::sync::lock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A cache that can give memory back when the kernel runs short, as NetBSD's
/// pagedaemon asks the vnode cache, the buffer cache and the pools.
pub trait Reclaimer: Send + Sync {
    /// The cache's name, for statistics and messages.
    fn name(&self) -> &str;
    /// Release about `want` bytes (dropping the charges that held them) and
    /// return how many bytes were released.
    fn reclaim(&self, want: u64) -> u64;
}

/// How many times one charge asks the caches before it gives up.
const MAX_RECLAIM_ROUNDS: u32 = 16;

/// The accounting state of one kernel.
pub struct Kmem {
    limit: Option<u64>,
    used: AtomicU64,
    reclaim_calls: AtomicU64,
    reclaimers: Mutex<Vec<Arc<dyn Reclaimer>>>,
}

/// Bytes charged to the kernel; released when dropped.
#[must_use = "the memory is uncharged as soon as the charge is dropped"]
pub struct MemCharge {
    kmem: Arc<Kmem>,
    bytes: u64,
}

impl std::fmt::Debug for MemCharge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MemCharge({} bytes)", self.bytes)
    }
}

impl Kmem {
    /// Accounting with an optional limit in bytes.
    pub fn new(limit: Option<u64>) -> Arc<Kmem> {
        Arc::new(Kmem {
            limit,
            used: AtomicU64::new(0),
            reclaim_calls: AtomicU64::new(0),
            reclaimers: Mutex::new(Vec::new()),
        })
    }

    /// The limit, if there is one.
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// Bytes currently charged.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// How many times caches were asked to give memory back.
    pub fn reclaim_calls(&self) -> u64 {
        self.reclaim_calls.load(Ordering::Relaxed)
    }

    /// Register a cache to be asked for memory at the limit.
    pub fn register_reclaimer(&self, r: Arc<dyn Reclaimer>) {
        lock(&self.reclaimers).push(r);
    }

    fn try_take(&self, bytes: u64) -> bool {
        let limit = self.limit.unwrap_or(u64::MAX);
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                u.checked_add(bytes).filter(|&n| n <= limit)
            })
            .is_ok()
    }

    /// Charge `bytes`. At the limit, the caches are asked to give back what
    /// is missing, then ENOMEM if that was not enough.
    pub fn charge(self: &Arc<Self>, bytes: u64) -> KResult<MemCharge> {
        if !self.try_take(bytes) {
            let limit = self.limit.unwrap_or(u64::MAX);
            if bytes > limit {
                return Err(Errno::ENOMEM);
            }
            // Ask without holding the list lock: a cache uncharges as it frees.
            let caches = lock(&self.reclaimers).clone();
            // What was freed may be taken by others first: ask again while
            // the caches give back all that was missing.
            for _ in 0..MAX_RECLAIM_ROUNDS {
                let short = self.used().saturating_add(bytes).saturating_sub(limit);
                let mut freed = 0;
                for cache in &caches {
                    let missing = self.used().saturating_add(bytes).saturating_sub(limit);
                    if missing == 0 {
                        break;
                    }
                    self.reclaim_calls.fetch_add(1, Ordering::Relaxed);
                    freed += cache.reclaim(missing);
                }
                if self.try_take(bytes) {
                    return Ok(MemCharge {
                        kmem: Arc::clone(self),
                        bytes,
                    });
                }
                if freed < short {
                    break;
                }
            }
            return Err(Errno::ENOMEM);
        }
        Ok(MemCharge {
            kmem: Arc::clone(self),
            bytes,
        })
    }
}

impl MemCharge {
    /// The number of bytes this charge holds.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl Drop for MemCharge {
    fn drop(&mut self) {
        self.kmem.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// A block of kernel memory: charged to the kernel, then taken from the host.
pub struct KmemBuf {
    mem: rumpuser::HostMem,
    _charge: MemCharge,
}

impl KmemBuf {
    /// Allocate `len` zeroed bytes aligned to `align`.
    pub fn alloc(kmem: &Arc<Kmem>, len: usize, align: usize) -> KResult<KmemBuf> {
        let charge = kmem.charge(len as u64)?;
        let mem = rumpuser::HostMem::alloc(len, align).map_err(|_| Errno::ENOMEM)?;
        Ok(KmemBuf {
            mem,
            _charge: charge,
        })
    }
}

impl std::fmt::Debug for KmemBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KmemBuf({} bytes)", self.mem.len())
    }
}

impl std::ops::Deref for KmemBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.mem
    }
}

impl std::ops::DerefMut for KmemBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.mem
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_and_limited() {
        let k = Kmem::new(Some(100));
        let a = k.charge(60).unwrap();
        assert_eq!(k.charge(41).unwrap_err(), Errno::ENOMEM);
        let b = k.charge(40).unwrap();
        assert_eq!(k.used(), 100);
        drop((a, b));
        assert_eq!(k.used(), 0);
        assert_eq!(k.charge(101).unwrap_err(), Errno::ENOMEM);
        assert!(Kmem::new(None).charge(u64::MAX / 2).is_ok());
    }

    /// Charges that add up past 2^64 are refused, not an overflow that
    /// panics the kernel (found by the capi_calls fuzz target: two aio
    /// jobs with huge lengths).
    #[test]
    fn charges_past_the_counters_range_are_enomem() {
        let k = Kmem::new(None);
        let _held = k.charge(u64::MAX / 4 * 3).unwrap();
        assert_eq!(k.charge(u64::MAX / 2).unwrap_err(), Errno::ENOMEM);
    }
}
