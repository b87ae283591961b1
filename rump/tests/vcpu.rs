//! Acceptance: with one virtual CPU, two threads never execute inside the
//! kernel at once, and a thread sleeping inside the kernel lets another in.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// A kernel configured the way `RUMP_NCPU=1` in the environment configures it.
fn boot_rump_ncpu_1() -> Arc<rump::Kernel> {
    let cfg =
        rump::BootConfig::from_lookup(|v| (v == "RUMP_NCPU").then(|| "1".to_string())).unwrap();
    assert_eq!(cfg.ncpu, 1);
    rump::KernelBuilder::new().config(cfg).boot().unwrap()
}

#[test]
fn one_vcpu_admits_one_thread_at_a_time() {
    let k = boot_rump_ncpu_1();
    let inside = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(2));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (k, inside, most, start) = (
                Arc::clone(&k),
                Arc::clone(&inside),
                Arc::clone(&most),
                Arc::clone(&start),
            );
            std::thread::spawn(move || {
                start.wait();
                for _ in 0..200 {
                    k.with_ctx(|_ctx| {
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        // Stay inside long enough for the other thread to try.
                        let t = Instant::now();
                        while t.elapsed() < Duration::from_micros(50) {
                            std::hint::spin_loop();
                        }
                        inside.fetch_sub(1, Ordering::SeqCst);
                        Ok(())
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(most.load(Ordering::SeqCst), 1);

    // With two virtual CPUs the same load does overlap: the check above can fail.
    let k2 = common::boot_with(2, None);
    let barrier = Arc::new(Barrier::new(2));
    let both = Arc::new(AtomicUsize::new(0));
    let ts: Vec<_> = (0..2)
        .map(|_| {
            let (k2, barrier, both) = (Arc::clone(&k2), Arc::clone(&barrier), Arc::clone(&both));
            std::thread::spawn(move || {
                k2.with_ctx(|_| {
                    both.fetch_add(1, Ordering::SeqCst);
                    barrier.wait(); // both threads inside at once
                    Ok(())
                })
                .unwrap()
            })
        })
        .collect();
    for t in ts {
        t.join().unwrap();
    }
    assert_eq!(both.load(Ordering::SeqCst), 2);
}

#[test]
fn a_sleeping_thread_gives_its_vcpu_up() {
    let k = boot_rump_ncpu_1();
    let sleeper = {
        let k = Arc::clone(&k);
        std::thread::spawn(move || k.sys_nanosleep((0, 400_000_000)).unwrap())
    };
    // Wait until the sleeper is inside the kernel, asleep.
    let t = Instant::now();
    while k.threads_inside() == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "sleeper never entered"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    // The only vCPU was the sleeper's; we get in while it is still inside.
    let both_inside = k.with_ctx(|_| Ok(k.threads_inside())).unwrap();
    assert_eq!(both_inside, 2);
    sleeper.join().unwrap();
}

/// A caller whose memory copies wait, as a remote client's do.
struct SlowClient;

impl rump::usermem::UserSpace for SlowClient {
    fn copyin(&self, _: u64, buf: &mut [u8]) -> rump::KResult<()> {
        std::thread::sleep(Duration::from_millis(300));
        buf.fill(0);
        Ok(())
    }
    fn copyout(&self, _: u64, _: &[u8]) -> rump::KResult<()> {
        Ok(())
    }
    fn copies_block(&self) -> bool {
        true
    }
}

#[test]
fn a_slow_client_copy_does_not_hold_the_vcpu() {
    let k = boot_rump_ncpu_1();
    let slow = {
        let k = Arc::clone(&k);
        // __sysctl copies the name in from the slow client.
        std::thread::spawn(move || {
            k.syscall(
                netbsd_abi::SYS___sysctl,
                &[0x1000, 2, 0, 0, 0, 0],
                &SlowClient,
            )
        })
    };
    let t = Instant::now();
    while k.threads_inside() == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "slow call never entered"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(k.with_ctx(|_| Ok(k.threads_inside())).unwrap(), 2);
    let _ = slow.join().unwrap();
}

#[test]
fn a_thread_that_holds_its_vcpu_keeps_others_out() {
    // The negative control for the test above: a wait that does not give the
    // CPU up (busy work inside the kernel) does keep the other thread out.
    let k = common::boot_with(1, None);
    let holder = {
        let k = Arc::clone(&k);
        std::thread::spawn(move || {
            k.with_ctx(|_| {
                std::thread::sleep(Duration::from_millis(300));
                Ok(Instant::now())
            })
            .unwrap()
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    let entered = k.with_ctx(|_| Ok(Instant::now())).unwrap();
    let left = holder.join().unwrap();
    assert!(entered >= left);
}
