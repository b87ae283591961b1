//! One connection shared by all of a client's threads, as NetBSD's client
//! library shares one: any number of calls wait on it at once, each for the
//! answer with its own request number, so a call that blocks in the kernel
//! (an `accept`, a long `poll`) holds up no other thread.
//!
//! One waiting thread at a time reads frames (it holds `reading`). It files
//! each answer with the call it names and serves the server's copy requests
//! for its own memory at once; a copy into memory of another waiting call
//! goes to that call's inbox, to be served by its own thread (see
//! [`Span`]). While the connection is quiet, one waiting thread sleeps in
//! the host until it is readable (the `poller`), with the signal mask the
//! program had: every signal is blocked during a call except there, so a
//! signal handler never runs while this code holds a lock, and a handler
//! may make calls of its own.

use crate::memory::{ClientMemory, Span};
use crate::stream::Stream;
use netbsd_abi::Errno;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use std::thread::ThreadId;
use std::time::{Duration, Instant};
use sysproxy::payload::{self, CopyData};
use sysproxy::{Class, HEADER_LEN, Header, SpError, Type};

/// The server's answer to a request.
pub(crate) enum Reply {
    /// A response, with its payload.
    Resp(Vec<u8>),
    /// An error frame, with its payload: empty from NetBSD's server, the
    /// reason from ours when it turns a client away.
    Error(SpError, Vec<u8>),
}

/// A call that failed with the connection: the error, and the connection
/// (its generation) it was on.
pub(crate) type Lost = (Errno, u64);

/// How much the reader reads ahead: a reply often comes with the frames
/// before it in one read.
const READ_AHEAD: usize = 64 << 10;

/// How long a waiting call sleeps before it looks again whether the
/// connection has something nobody reads (the poller's thread may have
/// left its wait for good, by `longjmp` out of a signal handler).
const RECHECK: Duration = Duration::from_millis(200);

/// A call waiting for its answer.
struct Waiting {
    span: Span,
    /// Copy requests for this call's memory that another thread read.
    inbox: VecDeque<Routed>,
    /// The answer, or why there will be none.
    outcome: Option<Result<Reply, Errno>>,
    /// The frame that brought the answer.
    seq: u64,
}

/// A copy request waiting in a call's inbox.
struct Routed {
    seq: u64,
    header: Header,
    payload: Vec<u8>,
}

/// Who waits for what, under one lock.
struct Table {
    next_reqno: u64,
    /// Counts reconnections: a call knows which connection it was sent on.
    generation: u64,
    /// The connection of this generation is gone.
    lost: bool,
    /// A thread is reading frames.
    reading: bool,
    /// The thread asleep until the connection is readable.
    poller: Option<ThreadId>,
    /// When the poller last went to sleep.
    polled_at: Instant,
    calls: HashMap<u64, Waiting>,
    /// Frames read so far.
    frames: u64,
    /// Copies into the process's memory that the reader could not serve
    /// (its own call's memory is a window): any call with the process's
    /// memory serves them.
    process_copies: VecDeque<Routed>,
    /// The frames in `process_copies` or being served from it: an answer
    /// that came after one waits until it is served, as the copies come
    /// before the answer.
    routed: BTreeSet<u64>,
    /// RAISE requests not raised.
    signals: Vec<u32>,
}

impl Default for Table {
    fn default() -> Table {
        Table {
            next_reqno: 0,
            generation: 0,
            lost: false,
            reading: false,
            poller: None,
            polled_at: Instant::now(),
            calls: HashMap::new(),
            frames: 0,
            process_copies: VecDeque::new(),
            routed: BTreeSet::new(),
            signals: Vec::new(),
        }
    }
}

/// Bytes read and not yet used, `buf[pos..]`; only the reader touches it.
#[derive(Default)]
struct Input {
    buf: Vec<u8>,
    pos: usize,
}

/// How a turn at reading looks for a frame.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Look {
    /// Spin a little for it: an answer usually comes within the spin.
    Spin,
    /// Look once.
    Once,
}

/// What a turn at reading did.
enum Turn {
    /// A frame was read and dealt with (or the connection was found gone).
    Frame,
    /// Nothing came: the connection's descriptor, to sleep on.
    Quiet(std::os::fd::RawFd),
}

/// The connection and its waiting calls.
pub(crate) struct Link {
    stream: RwLock<Stream>,
    /// Held while a frame is written, so frames never interleave.
    sending: Mutex<()>,
    input: Mutex<Input>,
    table: Mutex<Table>,
    /// Signalled when anything in `table` changes.
    changed: Condvar,
    /// Whether RAISE requests are raised (else kept).
    raise: AtomicBool,
    /// Runs the moments a signal handler may run (see [`SignalWindow`]).
    pub(crate) signal_window: SignalWindow,
}

/// Runs the function it is given, at a moment when the program's signal
/// handlers may run in this thread: a program that routes its calls
/// through this library (the hijack) lets a handler's calls take their
/// usual way there.
pub type SignalWindow = fn(&mut dyn FnMut());

fn just_run(f: &mut dyn FnMut()) {
    f()
}

/// Lock `m`, taking the guard even if a thread panicked while holding
/// it: the state behind the client's locks stays consistent between
/// statements that can panic (the client's copy of `rump::sync::lock`,
/// as the client does not link the kernel).
pub(crate) fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Link {
    pub(crate) fn new(stream: Stream) -> Link {
        Link {
            stream: RwLock::new(stream),
            sending: Mutex::new(()),
            input: Mutex::new(Input::default()),
            table: Mutex::new(Table::default()),
            changed: Condvar::new(),
            raise: AtomicBool::new(true),
            signal_window: just_run,
        }
    }

    /// The socket.
    pub(crate) fn stream(&self) -> RwLockReadGuard<'_, Stream> {
        self.stream.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Replace the socket by what `f` makes of it, once no thread uses it.
    pub(crate) fn replace_stream(
        &self,
        f: impl FnOnce(&Stream) -> std::io::Result<Stream>,
    ) -> std::io::Result<()> {
        let mut s = self.stream.write().unwrap_or_else(|e| e.into_inner());
        *s = f(&s)?;
        Ok(())
    }

    /// Go on over `fresh`, a new connection that has made its handshake:
    /// the calls that failed with the old one may be sent again.
    pub(crate) fn adopt(&self, fresh: Link) {
        let stream = fresh.stream.into_inner().unwrap_or_else(|e| e.into_inner());
        let input = fresh.input.into_inner().unwrap_or_else(|e| e.into_inner());
        let next = fresh
            .table
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .next_reqno;
        *self.stream.write().unwrap_or_else(|e| e.into_inner()) = stream;
        *lock(&self.input) = input;
        let mut t = lock(&self.table);
        t.generation += 1;
        t.lost = false;
        t.next_reqno = next;
        self.changed.notify_all();
    }

    /// The connection's generation (see [`Lost`]).
    pub(crate) fn generation(&self) -> u64 {
        lock(&self.table).generation
    }

    /// The request number the next call takes.
    pub(crate) fn next_reqno(&self) -> u64 {
        lock(&self.table).next_reqno
    }

    /// Number requests from `n` on (a reconnection goes on from where
    /// the lost connection was, as NetBSD's client does).
    pub(crate) fn set_next_reqno(&self, n: u64) {
        lock(&self.table).next_reqno = n;
    }

    /// Choose whether RAISE requests are raised.
    pub(crate) fn set_raise(&self, yes: bool) {
        self.raise.store(yes, Ordering::Relaxed);
    }

    /// RAISE requests kept, oldest first.
    pub(crate) fn take_signals(&self) -> Vec<u32> {
        std::mem::take(&mut lock(&self.table).signals)
    }

    /// Send request `typ` and wait for its answer, serving the server's copy
    /// requests for `mem` meanwhile. `mask` is the signal mask the program
    /// had before the call blocked every signal.
    pub(crate) fn call(
        &self,
        typ: Type,
        union: u32,
        body: &[u8],
        mem: &dyn ClientMemory,
        mask: &rumpuser::SignalMask,
    ) -> Result<Reply, Lost> {
        let (reqno, generation) = {
            let mut t = lock(&self.table);
            if t.lost {
                return Err((Errno::ENOTCONN, t.generation));
            }
            let reqno = t.next_reqno;
            t.next_reqno += 1;
            t.calls.insert(
                reqno,
                Waiting {
                    span: mem.span(),
                    inbox: VecDeque::new(),
                    outcome: None,
                    seq: 0,
                },
            );
            (reqno, t.generation)
        };
        let frame = sysproxy::frame(
            &Header::new(reqno, Class::Req, typ, union, body.len()),
            body,
        );
        if self.send(generation, &[&frame]).is_err() {
            lock(&self.table).calls.remove(&reqno);
            self.fail(generation, Errno::ENOTCONN);
            return Err((Errno::ENOTCONN, generation));
        }
        self.wait(reqno, mem, mask).map_err(|e| (e, generation))
    }

    /// Write a whole frame, given in `parts`, on the connection of
    /// `generation`; fails if that one is gone (a frame meant for it must
    /// not reach another).
    fn send(&self, generation: u64, parts: &[&[u8]]) -> std::io::Result<()> {
        let _one = lock(&self.sending);
        let s = self.stream();
        {
            let t = lock(&self.table);
            if t.generation != generation || t.lost {
                return Err(std::io::ErrorKind::NotConnected.into());
            }
        }
        s.write_all_parts(parts)
    }

    /// The connection of `generation` is gone: every call waiting on it
    /// without an answer fails with `why`, and the socket is shut. Copies
    /// already read stay: a call that has its answer still needs them.
    fn fail(&self, generation: u64, why: Errno) {
        {
            let mut t = lock(&self.table);
            if t.generation != generation || t.lost {
                return;
            }
            t.lost = true;
            for w in t.calls.values_mut() {
                w.outcome.get_or_insert(Err(why));
            }
            self.changed.notify_all();
        }
        self.stream().shutdown();
    }

    fn wait(
        &self,
        reqno: u64,
        mem: &dyn ClientMemory,
        mask: &rumpuser::SignalMask,
    ) -> Result<Reply, Errno> {
        let me = std::thread::current().id();
        let mut t = lock(&self.table);
        let mut look = Look::Spin;
        loop {
            let generation = t.generation;
            let Some(w) = t.calls.get_mut(&reqno) else {
                return Err(Errno::ENOTCONN);
            };
            // Copies before the answer are the call's; a failed call's are
            // void (the server will not use what a copy-in brings).
            let process = w.span == Span::Process;
            let before = match &w.outcome {
                None => u64::MAX,
                Some(Ok(_)) => w.seq,
                Some(Err(_)) => {
                    w.inbox.clear();
                    u64::MAX
                }
            };
            let mine = w.inbox.pop_front();
            let shared = match (&mine, process) {
                (None, true) => t.process_copies.pop_front(),
                _ => None,
            };
            if let Some(r) = mine.or(shared) {
                drop(t);
                let served = self.serve(generation, &r.header, &r.payload, mem);
                t = lock(&self.table);
                t.routed.remove(&r.seq);
                if let Err(e) = served {
                    drop(t);
                    self.fail(generation, e);
                    t = lock(&self.table);
                }
                self.changed.notify_all();
                continue;
            }
            // A call with all of the process's memory also waits for the
            // copies into it that other threads are serving: they may be
            // this call's.
            let copies_done = !process || t.routed.first().is_none_or(|&s| s > before);
            let done = t.calls.get(&reqno).is_some_and(|w| w.outcome.is_some());
            if done
                && copies_done
                && let Some(w) = t.calls.remove(&reqno)
            {
                return w.outcome.unwrap_or(Err(Errno::ENOTCONN));
            }
            if done {
                t = self.sleep(t);
                continue;
            }
            // While a thread sleeps on the connection it alone reads: a
            // frame read by another could leave it asleep with its answer
            // filed. One that has not looked for a while has left its
            // sleep for good (a handler jumped out of it).
            if t.poller.is_some_and(|p| p != me) && t.polled_at.elapsed() > 3 * RECHECK {
                t.poller = None;
            }
            if t.reading || t.lost || t.poller.is_some_and(|p| p != me) {
                t = self.sleep(t);
                continue;
            }
            t.reading = true;
            t.poller = None;
            drop(t);
            let turn = self.read_turn(generation, reqno, mem, look);
            t = lock(&self.table);
            t.reading = false;
            self.changed.notify_all();
            look = Look::Spin;
            let Turn::Quiet(fd) = turn else {
                continue;
            };
            // Sleep until the connection speaks, letting the program's
            // signals in (a handler may make calls: nothing is held).
            t.poller = Some(me);
            t.polled_at = std::time::Instant::now();
            drop(t);
            (self.signal_window)(&mut || {
                rumpuser::wait_readable_with_mask(fd, mask, RECHECK);
            });
            // Readable or not, look once: the number may have changed hands.
            look = Look::Once;
            t = lock(&self.table);
            if t.poller == Some(me) {
                t.poller = None;
            }
        }
    }

    /// Wait for a change in the table, or for `RECHECK`.
    fn sleep<'a>(&self, t: MutexGuard<'a, Table>) -> MutexGuard<'a, Table> {
        self.changed
            .wait_timeout(t, RECHECK)
            .unwrap_or_else(|e| e.into_inner())
            .0
    }

    /// One turn at reading (the caller holds `reading`): a frame if one
    /// comes soon, dealt with.
    fn read_turn(&self, generation: u64, reqno: u64, mem: &dyn ClientMemory, look: Look) -> Turn {
        let frame = {
            let mut input = lock(&self.input);
            let s = self.stream();
            let limit = match look {
                Look::Spin => rumpuser::SPIN_FOR_ANSWER,
                Look::Once => Duration::ZERO,
            };
            if input.pos == input.buf.len() && !rumpuser::spin_until_readable(s.as_fd(), limit) {
                return Turn::Quiet(s.raw_fd());
            }
            input.read_frame(&s)
        };
        match frame {
            Ok((h, p)) => self.dispatch(generation, reqno, h, p, mem),
            Err(_) => self.fail(generation, Errno::ENOTCONN),
        }
        Turn::Frame
    }

    /// Deal with a frame the reader (whose call is `mine`) read.
    fn dispatch(&self, generation: u64, mine: u64, h: Header, p: Vec<u8>, mem: &dyn ClientMemory) {
        match h.class {
            Class::Resp | Class::Error => {
                let reply = match h.class {
                    Class::Resp => Reply::Resp(p),
                    _ => Reply::Error(SpError::from_code(h.union), p),
                };
                let mut t = lock(&self.table);
                t.frames += 1;
                let seq = t.frames;
                // An answer nobody waits for (its call gave up) is dropped.
                if let Some(w) = t.calls.get_mut(&h.reqno)
                    && w.outcome.is_none()
                {
                    w.outcome = Some(Ok(reply));
                    w.seq = seq;
                }
            }
            Class::Req => match h.typ {
                Type::Copyin | Type::Copyinstr | Type::Copyout | Type::Copyoutstr => {
                    let Some(cd) = CopyData::parse(&p) else {
                        return self.fail(generation, Errno::EINVAL);
                    };
                    let mut t = lock(&self.table);
                    t.frames += 1;
                    let seq = t.frames;
                    let routed = Routed {
                        seq,
                        header: h,
                        payload: p,
                    };
                    match route(&t, cd.addr, mine) {
                        Some(Route::Call(owner)) => {
                            if let Some(w) = t.calls.get_mut(&owner) {
                                w.inbox.push_back(routed);
                            }
                        }
                        Some(Route::Process) => {
                            t.routed.insert(seq);
                            t.process_copies.push_back(routed);
                        }
                        Some(Route::Reader) => {
                            drop(t);
                            let r = &routed;
                            if let Err(e) = self.serve(generation, &r.header, &r.payload, mem) {
                                self.fail(generation, e);
                            }
                        }
                        None => {
                            drop(t);
                            // Memory nobody waiting owns: the protocol cannot
                            // report a fault, so the only honest answer is to
                            // end the connection (NetBSD's client crashes).
                            self.fail(generation, Errno::EFAULT);
                        }
                    }
                }
                Type::Anonmmap => {
                    // A client has no memory to lend the kernel: NULL (ENOMEM there).
                    let _ = self.answer(generation, h.reqno, Type::Anonmmap, &0u64.to_ne_bytes());
                }
                Type::Raise => {
                    // Raised now with every signal blocked, it is handled
                    // when the program's mask is back, as NetBSD's client does.
                    if !(self.raise.load(Ordering::Relaxed)
                        && rumpuser::raise_netbsd_signal(h.union))
                    {
                        lock(&self.table).signals.push(h.union);
                    }
                }
                Type::Handshake | Type::Syscall | Type::Prefork | Type::Auth => {}
            },
        }
    }

    fn answer(&self, generation: u64, reqno: u64, typ: Type, body: &[u8]) -> Result<(), Errno> {
        let h = Header::new(reqno, Class::Resp, typ, 0, body.len());
        let sent = if body.len() < READ_AHEAD {
            self.send(generation, &[&sysproxy::frame(&h, body)])
        } else {
            // A large copy-in goes out from where it lies, not copied
            // behind its header first.
            self.send(generation, &[&h.emit(), body])
        };
        sent.map_err(|_| Errno::ENOTCONN)
    }

    /// Serve a copy request from `mem`.
    fn serve(
        &self,
        generation: u64,
        h: &Header,
        p: &[u8],
        mem: &dyn ClientMemory,
    ) -> Result<(), Errno> {
        let cd = CopyData::parse(p).ok_or(Errno::EINVAL)?;
        let len = usize::try_from(cd.len).map_err(|_| Errno::EFAULT)?;
        match h.typ {
            Type::Copyin | Type::Copyinstr => {
                let data = if h.typ == Type::Copyin {
                    mem.read(cd.addr, len)
                } else {
                    mem.read_str(cd.addr, len)
                };
                let data = data.ok_or(Errno::EFAULT)?;
                self.answer(generation, h.reqno, Type::Copyin, &data)
            }
            _ => {
                let data = &p[payload::COPYDATA_LEN..];
                if len != data.len() || !mem.write(cd.addr, data) {
                    return Err(Errno::EFAULT);
                }
                Ok(())
            }
        }
    }
}

/// Who serves a copy.
enum Route {
    /// The reader, from its own call's memory, at once and so in order.
    Reader,
    /// The call with this request number, whose window holds the address.
    Call(u64),
    /// Any call that has all of the process's memory.
    Process,
}

/// Who serves a copy at `addr` that the reader (whose call is `mine`)
/// read; `None` when no waiting call's memory holds it.
fn route(t: &Table, addr: u64, mine: u64) -> Option<Route> {
    let window = t.calls.iter().find(|(_, w)| match &w.span {
        Span::Window(r) => r.contains(&addr),
        Span::Process => false,
    });
    if let Some((&r, _)) = window {
        return Some(if r == mine {
            Route::Reader
        } else {
            Route::Call(r)
        });
    }
    if t.calls.get(&mine).is_some_and(|w| w.span == Span::Process) {
        return Some(Route::Reader);
    }
    t.calls
        .values()
        .any(|w| w.span == Span::Process && w.outcome.is_none())
        .then_some(Route::Process)
}

impl Input {
    /// Fill `out` from what was read ahead, then from the stream: small
    /// reads go through the read-ahead buffer, large ones straight in.
    fn read_exact(&mut self, s: &Stream, out: &mut [u8]) -> std::io::Result<()> {
        let have = (self.buf.len() - self.pos).min(out.len());
        out[..have].copy_from_slice(&self.buf[self.pos..self.pos + have]);
        self.pos += have;
        let rest = &mut out[have..];
        if rest.is_empty() {
            return Ok(());
        }
        if rest.len() >= READ_AHEAD {
            return s.read_exact(rest);
        }
        self.buf.resize(READ_AHEAD, 0);
        let mut got = 0;
        while got < rest.len() {
            match s.read(&mut self.buf[got..]) {
                Ok(0) => {
                    self.buf.clear();
                    self.pos = 0;
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.clear();
                    self.pos = 0;
                    return Err(e);
                }
            }
        }
        rest.copy_from_slice(&self.buf[..rest.len()]);
        self.buf.truncate(got);
        self.pos = rest.len();
        Ok(())
    }

    fn read_frame(&mut self, s: &Stream) -> std::io::Result<(Header, Vec<u8>)> {
        let mut hb = [0u8; HEADER_LEN];
        self.read_exact(s, &mut hb)?;
        let h = Header::parse(&hb)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let mut p = vec![0u8; h.payload_len()];
        self.read_exact(s, &mut p)?;
        Ok((h, p))
    }
}
