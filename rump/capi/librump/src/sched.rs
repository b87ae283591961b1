//! `rump_schedule` / `rump_unschedule`: the calling host thread holds one
//! of the kernel's virtual CPUs between the two, as NetBSD's local clients
//! do around direct calls into kernel code. Our exported calls enter the
//! kernel on their own, so a call made while the thread holds its CPU
//! gives it back for the call's duration and takes one again after: the
//! thread never needs two.

use kernel::Kernel;
use kernel::cpu::CpuGuard;
use std::cell::RefCell;

/// What `rump_schedule` gave the calling thread: its CPU and how many
/// `rump_schedule` calls it has not yet undone.
struct Held {
    // Held for its drop, which gives the CPU back.
    _cpu: CpuGuard<'static>,
    depth: usize,
}

thread_local! {
    static HELD: RefCell<Option<Held>> = const { RefCell::new(None) };
}

/// Run `f`, which enters `k` itself, without the CPU the calling thread
/// holds from `rump_schedule`, if it holds one.
pub fn unscheduled<R>(k: &'static Kernel, f: impl FnOnce() -> R) -> R {
    let Some(depth) = HELD.with(|h| h.borrow_mut().take().map(|held| held.depth)) else {
        return f();
    };
    let r = f();
    let cpu = k.cpus().schedule();
    HELD.with(|h| *h.borrow_mut() = Some(Held { _cpu: cpu, depth }));
    r
}

/// `rump_schedule`: take a virtual CPU of the default kernel for the
/// calling thread (waiting for one if all are busy). Nested calls count.
#[unsafe(no_mangle)]
pub extern "C" fn rump_schedule() {
    let Ok(k) = crate::init::kernel() else {
        rumpuser::console_write("rump_schedule: no rump kernel booted (call rump_init first)\n");
        return;
    };
    let nested = HELD.with(|h| match h.borrow_mut().as_mut() {
        Some(held) => {
            held.depth += 1;
            true
        }
        None => false,
    });
    if !nested {
        let cpu = k.cpus().schedule();
        HELD.with(|h| {
            *h.borrow_mut() = Some(Held {
                _cpu: cpu,
                depth: 1,
            })
        });
    }
}

/// `rump_unschedule`: give back the CPU of the matching `rump_schedule`.
#[unsafe(no_mangle)]
pub extern "C" fn rump_unschedule() {
    let released = HELD.with(|h| {
        let mut h = h.borrow_mut();
        match h.as_mut() {
            Some(held) if held.depth > 1 => {
                held.depth -= 1;
                true
            }
            Some(_) => {
                // Dropping the guard gives the CPU back.
                h.take();
                true
            }
            None => false,
        }
    });
    if !released {
        rumpuser::console_write("rump_unschedule: the calling thread holds no virtual CPU\n");
    }
}
