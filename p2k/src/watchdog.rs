//! The watchdog: a request stuck in the kernel (a damaged image can
//! deadlock a file system, or a device can stop answering) is answered
//! EIO once it has taken longer than the timeout, so that the host's
//! program, and whoever waits on the host mount, is not left hanging.
//!
//! The stuck request's thread stays in the kernel; its answer, when it
//! comes, is dropped. Once all request threads but one are stuck, new
//! requests are answered EIO at once instead of entering the kernel, so
//! that one thread is always free to answer.

use fuser::{
    ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyDirectoryPlus, ReplyEmpty, ReplyEntry,
    ReplyOpen, ReplyStatfs, ReplyWrite, ReplyXattr,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// A FUSE reply that can be answered with an error.
pub trait Answer: Send + 'static {
    /// Answer with Linux error `e`.
    fn fail(self, e: fuser::Errno);
}

macro_rules! answer {
    ($($t:ty),*) => {$(
        impl Answer for $t {
            fn fail(self, e: fuser::Errno) {
                self.error(e)
            }
        }
    )*};
}

answer!(
    ReplyAttr,
    ReplyCreate,
    ReplyData,
    ReplyDirectory,
    ReplyDirectoryPlus,
    ReplyEmpty,
    ReplyEntry,
    ReplyOpen,
    ReplyStatfs,
    ReplyWrite,
    ReplyXattr
);

/// Where a request's reply waits: taken by the request when it is done,
/// or by the watchdog when it took too long.
struct Slot<R>(Mutex<Option<R>>);

/// A slot of any reply type, as the watchdog sees it.
trait Expire: Send + Sync {
    /// Answer EIO if the request has not answered yet.
    fn expire(&self) -> bool;
}

impl<R: Answer> Expire for Slot<R> {
    fn expire(&self) -> bool {
        match lock(&self.0).take() {
            Some(r) => {
                r.fail(fuser::Errno::EIO);
                true
            }
            None => false,
        }
    }
}

/// Told of each request answered EIO: its operation and seconds taken.
pub type Report = Box<dyn Fn(&str, u64) + Send + Sync>;

struct Live {
    op: &'static str,
    since: Instant,
    slot: Arc<dyn Expire>,
    expired: bool,
}

struct Table {
    next: u64,
    live: HashMap<u64, Live>,
    stuck: usize,
}

struct Inner {
    timeout: Duration,
    /// Most requests that may be stuck before new ones are refused.
    max_stuck: usize,
    table: Mutex<Table>,
    /// Told of each request answered EIO: (operation, seconds).
    report: Report,
}

/// The watchdog of one FUSE session.
#[derive(Clone)]
pub struct Watchdog {
    inner: Arc<Inner>,
}

/// A request in flight: finish it to get its reply back.
pub struct Ticket<R> {
    id: u64,
    slot: Arc<Slot<R>>,
    dog: Watchdog,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Watchdog {
    /// A watchdog answering requests older than `timeout` with EIO, for a
    /// session of `threads` request threads, telling `report` of each.
    /// Its thread ends with the last clone of the watchdog.
    pub fn start(timeout: Duration, threads: usize, report: Report) -> std::io::Result<Watchdog> {
        let inner = Arc::new(Inner {
            timeout,
            max_stuck: threads.saturating_sub(1).max(1),
            table: Mutex::new(Table {
                next: 0,
                live: HashMap::new(),
                stuck: 0,
            }),
            report,
        });
        let weak = Arc::downgrade(&inner);
        let tick = (timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        std::thread::Builder::new()
            .name("p2k-watchdog".into())
            .spawn(move || watch(weak, tick))?;
        Ok(Watchdog { inner })
    }

    /// Start a request: its reply is held where the watchdog can answer
    /// it. Gives the reply back at once when too many requests are stuck.
    pub fn begin<R: Answer>(&self, op: &'static str, reply: R) -> Result<Ticket<R>, R> {
        let mut t = lock(&self.inner.table);
        if t.stuck >= self.inner.max_stuck {
            return Err(reply);
        }
        let slot = Arc::new(Slot(Mutex::new(Some(reply))));
        let id = t.next;
        t.next += 1;
        t.live.insert(
            id,
            Live {
                op,
                since: Instant::now(),
                slot: Arc::clone(&slot) as Arc<dyn Expire>,
                expired: false,
            },
        );
        Ok(Ticket {
            id,
            slot,
            dog: self.clone(),
        })
    }

    /// Requests answered EIO whose threads are still in the kernel.
    pub fn stuck(&self) -> usize {
        lock(&self.inner.table).stuck
    }

    /// Answer EIO every request older than the timeout.
    fn sweep(&self) {
        let now = Instant::now();
        let mut told = Vec::new();
        let mut t = lock(&self.inner.table);
        let mut newly = 0;
        for l in t.live.values_mut() {
            if !l.expired && now.duration_since(l.since) >= self.inner.timeout {
                l.expired = true;
                newly += 1;
                if l.slot.expire() {
                    told.push((l.op, now.duration_since(l.since).as_secs()));
                }
            }
        }
        t.stuck += newly;
        drop(t);
        for (op, secs) in told {
            (self.inner.report)(op, secs);
        }
    }
}

impl<R> Ticket<R> {
    /// The request is done: its reply, unless the watchdog answered it.
    pub fn finish(self) -> Option<R> {
        let mut t = lock(&self.dog.inner.table);
        if let Some(l) = t.live.remove(&self.id)
            && l.expired
        {
            t.stuck -= 1;
        }
        drop(t);
        lock(&self.slot.0).take()
    }
}

fn watch(weak: Weak<Inner>, tick: Duration) {
    loop {
        std::thread::sleep(tick);
        let Some(inner) = weak.upgrade() else { return };
        Watchdog { inner }.sweep();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A reply that records how it was answered.
    struct Probe(Arc<Mutex<Vec<i32>>>);
    impl Answer for Probe {
        fn fail(self, e: fuser::Errno) {
            lock(&self.0).push(i32::from(e));
        }
    }

    #[test]
    fn a_slow_request_is_answered_eio_and_its_late_answer_dropped() {
        let told = Arc::new(AtomicUsize::new(0));
        let t2 = Arc::clone(&told);
        let dog = Watchdog::start(
            Duration::from_millis(50),
            2,
            Box::new(move |op, _| {
                assert_eq!(op, "read");
                t2.fetch_add(1, Ordering::SeqCst);
            }),
        )
        .unwrap();
        let answers = Arc::new(Mutex::new(Vec::new()));
        let quick = dog.begin("read", Probe(Arc::clone(&answers))).ok().unwrap();
        assert!(quick.finish().is_some(), "a quick request keeps its reply");
        let slow = dog.begin("read", Probe(Arc::clone(&answers))).ok().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(*lock(&answers), vec![libc::EIO]);
        assert_eq!(told.load(Ordering::SeqCst), 1);
        assert_eq!(dog.stuck(), 1);
        // One of two threads is stuck: the next request is refused at once.
        let refused = dog.begin("read", Probe(Arc::clone(&answers)));
        assert!(refused.is_err());
        assert!(slow.finish().is_none(), "the watchdog answered it");
        assert_eq!(dog.stuck(), 0);
        assert!(dog.begin("read", Probe(answers)).is_ok());
    }
}
