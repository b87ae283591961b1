//! A pool of host threads that run system calls for remote clients, as
//! NetBSD's server keeps one: threads are started when every one is busy
//! and the surplus beyond a few idle ones exits. Unlike NetBSD's (at most
//! 128), the pool has no limit of its own: a call that blocks for good (an
//! `accept`, a `read` of a socket) holds its thread, and a fixed number of
//! such calls would leave every later call of every client waiting. Only
//! the host's limit on threads bounds it; a job that finds no thread and
//! cannot start one waits for the next thread that comes free, or, when
//! there is none at all, is handed back to be refused.

use rump::sync::lock;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// A job for the pool.
pub type Job = Box<dyn FnOnce() + Send>;

/// Idle threads kept waiting for work (NetBSD: 16).
const KEEP_IDLE: usize = 16;

struct State {
    /// Jobs waiting, each with its number.
    queue: VecDeque<(u64, Job)>,
    next: u64,
    idle: usize,
    threads: usize,
}

/// The pool.
pub struct WorkerPool {
    name: &'static str,
    inner: Arc<(Mutex<State>, Condvar)>,
}

impl WorkerPool {
    /// An empty pool whose threads are called `name`.
    pub fn new(name: &'static str) -> WorkerPool {
        WorkerPool {
            name,
            inner: Arc::new((
                Mutex::new(State {
                    queue: VecDeque::new(),
                    next: 0,
                    idle: 0,
                    threads: 0,
                }),
                Condvar::new(),
            )),
        }
    }

    /// Run `job` on a pool thread, starting one if none is idle. The job
    /// comes back when no thread runs and none can be started: nothing
    /// would ever run it.
    pub fn submit(&self, job: Job) -> Result<(), Job> {
        let (m, cv) = &*self.inner;
        let mut st = lock(m);
        st.next += 1;
        let id = st.next;
        st.queue.push_back((id, job));
        if st.idle >= st.queue.len() {
            cv.notify_one();
            return Ok(());
        }
        st.threads += 1;
        drop(st);
        let inner = Arc::clone(&self.inner);
        if rumpuser::thread_create(self.name, move || worker(inner)).is_err() {
            let mut st = lock(m);
            st.threads -= 1;
            if st.threads == 0
                && let Some(at) = st.queue.iter().position(|(i, _)| *i == id)
                && let Some((_, job)) = st.queue.remove(at)
            {
                return Err(job);
            }
            // The queued job waits for a running thread.
            cv.notify_one();
        }
        Ok(())
    }
}

fn worker(inner: Arc<(Mutex<State>, Condvar)>) {
    let (m, cv) = &*inner;
    let mut st = lock(m);
    loop {
        if let Some((_, job)) = st.queue.pop_front() {
            drop(st);
            job();
            st = lock(m);
            continue;
        }
        if st.idle >= KEEP_IDLE {
            st.threads -= 1;
            return;
        }
        st.idle += 1;
        let (g, _) = cv
            .wait_timeout(st, Duration::from_secs(10))
            .unwrap_or_else(|e| e.into_inner());
        st = g;
        st.idle -= 1;
    }
}
