//! The thread that watches host sockets (NetBSD's `sockin_process`
//! thread): a socket that `poll`, `select` or kqueue asked about says what
//! they wait for, and this thread wakes the kernel's pollers once the
//! host socket has it. (Blocking calls wait on their host socket
//! themselves.)

use crate::socket::SockinSocket;
use rump::{KResult, Kernel};
use rumpuser::{InetWaker, poll_sockets};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

/// The socket waits to read (or accept, or see the end).
pub const WANT_READ: u8 = 1;
/// The socket waits to write (or for its connect to finish).
pub const WANT_WRITE: u8 = 2;
/// A kevent filter waits for more bytes than the socket holds now.
pub const WANT_READ_LEVEL: u8 = 4;
/// A kevent filter waits for more room than the socket has now.
pub const WANT_WRITE_LEVEL: u8 = 8;

/// How often the thread looks whether the kernel is still there.
const RECHECK: Duration = Duration::from_secs(1);
/// How often it looks at the levels filters wait for: the host's `poll`
/// says nothing of a socket that is ready already and gets more.
const LEVEL_TICK: Duration = Duration::from_millis(10);

/// The sockets of one kernel's sockin domain and their watcher.
pub struct Poller {
    waker: InetWaker,
    sockets: Mutex<Vec<Weak<SockinSocket>>>,
    thread: OnceLock<rump::kthread::KThread>,
}

impl Poller {
    /// A poller; its thread starts with the first socket.
    pub fn new() -> KResult<Arc<Poller>> {
        let waker = InetWaker::new().map_err(|e| crate::errno::host(&e))?;
        Ok(Arc::new(Poller {
            waker,
            sockets: Mutex::new(Vec::new()),
            thread: OnceLock::new(),
        }))
    }

    /// Watch `s` from now on, starting the thread if it is not running.
    pub fn add(self: &Arc<Self>, k: &Kernel, s: &Arc<SockinSocket>) -> KResult<()> {
        if self.thread.get().is_none() {
            let me = Arc::downgrade(self);
            let t = k.kthread_spawn("sockin", move |kernel| run(&me, kernel))?;
            // Two first sockets at once: the loser's thread finds the
            // same poller and works alongside; either suffices.
            let _ = self.thread.set(t);
        }
        rump::sync::lock(&self.sockets).push(Arc::downgrade(s));
        Ok(())
    }

    /// A socket's interest changed: look again.
    pub fn kick(&self) {
        self.waker.wake();
    }

    /// The live sockets that wait for something.
    fn waiting(&self) -> Vec<Arc<SockinSocket>> {
        let mut list = rump::sync::lock(&self.sockets);
        list.retain(|w| w.strong_count() > 0);
        list.iter()
            .filter_map(Weak::upgrade)
            .filter(|s| s.interest() != 0)
            .collect()
    }
}

fn run(me: &Weak<Poller>, kernel: &Weak<Kernel>) {
    loop {
        let Some(p) = me.upgrade() else { return };
        if kernel.upgrade().is_none_or(|k| k.is_halted()) {
            return;
        }
        let socks = p.waiting();
        let mut set: Vec<_> = socks
            .iter()
            .map(|s| {
                let i = s.interest();
                (s.host(), i & WANT_READ != 0, i & WANT_WRITE != 0)
            })
            .collect();
        let levels = socks
            .iter()
            .any(|s| s.interest() & (WANT_READ_LEVEL | WANT_WRITE_LEVEL) != 0);
        let wait = if levels { LEVEL_TICK } else { RECHECK };
        let Ok(ready) = poll_sockets(&mut set, Some(&p.waker), Some(wait)) else {
            // Only a bad descriptor fails a poll: one of ours was closed
            // under us; look again at a fresh list.
            continue;
        };
        for (s, r) in socks.iter().zip(ready) {
            let mut done = 0;
            if r.readable || r.hangup || r.error {
                done |= WANT_READ;
            }
            if r.writable || r.hangup || r.error {
                done |= WANT_WRITE;
            }
            for level in [WANT_READ_LEVEL, WANT_WRITE_LEVEL] {
                if s.interest() & level != 0 && s.level_reached(level) {
                    done |= level;
                }
            }
            if s.satisfy(done) {
                s.wakeup();
            }
        }
    }
}
