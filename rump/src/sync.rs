//! Locking as the kernel does it everywhere.

use std::sync::{Mutex, MutexGuard};

/// Lock `m`, taking the guard even if a thread panicked while holding it.
///
/// A panic in kernel code is a bug already reported by the panic itself
/// (and by the server's trace); refusing every later system call that
/// touches the same lock would turn one failed call into a dead kernel.
/// The state behind our locks is kept consistent between statements that
/// can panic, so the kernel goes on with it, as NetBSD's `mutex_enter` has
/// no notion of poisoning either.
pub fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_still_locks() {
        let m = std::sync::Arc::new(Mutex::new(1));
        let m2 = std::sync::Arc::clone(&m);
        let panicked = std::thread::spawn(move || {
            let _g = m2.lock().unwrap();
            panic!("holding the lock");
        })
        .join();
        assert!(panicked.is_err());
        assert!(m.is_poisoned());
        *lock(&m) += 1;
        assert_eq!(*lock(&m), 2);
    }
}
