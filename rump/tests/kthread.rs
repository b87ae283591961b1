//! Kernel threads and the kernel condition variable.

mod common;

use rump::kthread::KCondvar;
use rump::{BootConfig, Errno, KernelBuilder};
use std::sync::{Arc, Mutex};

#[test]
fn kernel_threads_run_in_the_kernel_process() {
    let k = common::boot();
    let seen = Arc::new(Mutex::new(None));
    let s = Arc::clone(&seen);
    let t = k
        .kthread_create("ktest", move |k| {
            *s.lock().unwrap() = Some(k.sys_getpid().unwrap())
        })
        .unwrap();
    assert_eq!(t.name(), "ktest");
    assert!(t.join());
    assert_eq!(*seen.lock().unwrap(), Some(0));
}

#[test]
fn rump_threads_0_means_no_kernel_threads() {
    let cfg = BootConfig {
        threads: false,
        ..BootConfig::default()
    };
    let said = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&said);
    let k = KernelBuilder::new()
        .config(cfg)
        .console(Box::new(move |_, m| s.lock().unwrap().push(m.to_owned())))
        .boot()
        .unwrap();
    assert_eq!(
        k.kthread_create("ktest", |_| ()).err(),
        Some(Errno::EOPNOTSUPP)
    );
    assert!(
        said.lock()
            .unwrap()
            .iter()
            .any(|m| m.contains("RUMP_THREADS=0"))
    );
}

#[test]
fn waiting_on_a_kernel_condvar_gives_the_only_vcpu_up() {
    // One vCPU: the waiter sleeps inside the kernel on the condition
    // variable; the notifier can only get in because the waiter gave its CPU up.
    let k = common::boot_with(1, None);
    let state = Arc::new((Mutex::new(false), KCondvar::new()));
    let waiter = {
        let (k, state) = (Arc::clone(&k), Arc::clone(&state));
        std::thread::spawn(move || {
            k.with_ctx(|ctx| {
                let (m, cv) = &*state;
                let mut g = m.lock().unwrap();
                while !*g {
                    g = cv.wait(ctx, m, g);
                }
                Ok(())
            })
            .unwrap()
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(50));
    k.with_ctx(|_| {
        let (m, cv) = &*state;
        *m.lock().unwrap() = true;
        cv.notify_all();
        Ok(())
    })
    .unwrap();
    waiter.join().unwrap();
}

#[test]
fn a_condvar_wait_times_out() {
    let k = common::boot_with(1, None);
    let m = Mutex::new(());
    let cv = KCondvar::new();
    let timed_out = k
        .with_ctx(|ctx| {
            Ok(cv
                .wait_timeout(
                    ctx,
                    &m,
                    m.lock().unwrap(),
                    std::time::Duration::from_millis(10),
                )
                .1)
        })
        .unwrap();
    assert!(timed_out);
}
