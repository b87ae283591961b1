//! Acceptance: at the memory limit, caches are asked to give memory back
//! first; only then does an allocation fail with ENOMEM, and the kernel keeps
//! working afterwards.

mod common;

use rump::Errno;
use rump::kmem::{MemCharge, Reclaimer};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A cache of charged blocks that frees its oldest blocks when asked.
#[derive(Default)]
struct Cache {
    blocks: Mutex<Vec<MemCharge>>,
    asked: AtomicUsize,
}

impl Reclaimer for Cache {
    fn name(&self) -> &str {
        "test cache"
    }
    fn reclaim(&self, want: u64) -> u64 {
        self.asked.fetch_add(1, Ordering::SeqCst);
        let mut blocks = self.blocks.lock().unwrap();
        let mut freed = 0;
        while freed < want && !blocks.is_empty() {
            freed += blocks.remove(0).bytes();
        }
        freed
    }
}

const LIMIT: u64 = 1 << 20;
const BLOCK: u64 = 64 << 10;

#[test]
fn caches_purge_first_then_enomem_then_kernel_works() {
    let k = common::boot_with(1, Some(LIMIT));
    let cache = Arc::new(Cache::default());
    k.register_reclaimer(cache.clone());

    // Fill half the memory with cache, the other half with pinned data.
    for _ in 0..(LIMIT / 2 / BLOCK) {
        cache.blocks.lock().unwrap().push(k.charge(BLOCK).unwrap());
    }
    let pinned: Vec<_> = (0..(LIMIT / 2 / BLOCK))
        .map(|_| k.kmem_alloc(BLOCK as usize, 4096).unwrap())
        .collect();
    assert_eq!(k.kmem().used(), LIMIT);

    // A request that fits once the cache gives some back succeeds.
    let got = k
        .kmem_alloc(2 * BLOCK as usize, 4096)
        .expect("purging the cache makes room");
    assert_eq!(cache.asked.load(Ordering::SeqCst), 1);
    assert_eq!(
        cache.blocks.lock().unwrap().len(),
        (LIMIT / 2 / BLOCK) as usize - 2
    );
    drop(got);

    // A request larger than everything the cache holds: the cache is asked
    // (and empties itself), and the allocation still fails with ENOMEM.
    let err = k.kmem_alloc((LIMIT / 2 + BLOCK) as usize, 8).unwrap_err();
    assert_eq!(err, Errno::ENOMEM);
    assert_eq!(cache.asked.load(Ordering::SeqCst), 2);
    assert!(cache.blocks.lock().unwrap().is_empty());
    assert!(k.kmem().used() <= LIMIT);

    // The kernel keeps working: system calls and smaller allocations succeed.
    assert_eq!(k.sys_getpid().unwrap(), 1);
    let small = k.kmem_alloc(BLOCK as usize, 8).unwrap();
    assert_eq!(small.len(), BLOCK as usize);
    drop(pinned);
    assert_eq!(k.kmem().used(), BLOCK);
}
