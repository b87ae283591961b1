//! One client connection: sending frames and answers, requests to the
//! client, and the count of its calls in flight.

use super::*;

/// One client connection.
pub(super) struct Conn {
    /// The connection: the reader thread reads it, and whoever sends
    /// writes whole frames to it holding `sending`; shutting it down wakes
    /// the reader when the server stops.
    pub(super) stream: HostStream,
    /// What the reader thread has read ahead (a call running inline on
    /// that thread reads its copy replies through it too).
    pub(super) input: Mutex<FrameReader>,
    pub(super) sending: Mutex<()>,
    pub(super) next_reqno: AtomicU64,
    pub(super) waiters: Mutex<HashMap<u64, SyncSender<Vec<u8>>>>,
    pub(super) dead: AtomicBool,
    pub(super) in_exec: AtomicBool,
    pub(super) inflight: Mutex<Inflight>,
    pub(super) idle: Condvar,
    pub(super) main: Mutex<Option<Arc<Lwp>>>,
}

/// The requests of a connection being served, and who waits for fewer.
#[derive(Default)]
pub(super) struct Inflight {
    pub(super) calls: usize,
    /// Threads waiting in [`Conn::drain`]: only they need a wake-up when a
    /// call ends (a notification costs a host call even when nobody waits).
    pub(super) drainers: usize,
}

impl Conn {
    pub(super) fn send(&self, h: Header, payload: &[u8]) -> KResult<()> {
        self.send_after(Vec::new(), h, payload)
    }

    /// Send the frames in `held` and then one more, in a single write: the
    /// client wakes once for a call's copyouts and its reply, not per frame.
    pub(super) fn send_after(&self, mut held: Vec<u8>, h: Header, payload: &[u8]) -> KResult<()> {
        if self.dead.load(Ordering::Acquire) {
            return Err(Errno::ENOTCONN);
        }
        held.reserve(HEADER_LEN + payload.len());
        held.extend_from_slice(&h.emit());
        held.extend_from_slice(payload);
        let _one = lock(&self.sending);
        self.stream.write_all(&held).map_err(|_| Errno::ENOTCONN)
    }

    /// Send frames already encoded.
    pub(super) fn send_raw(&self, frames: &[u8]) -> KResult<()> {
        if frames.is_empty() {
            return Ok(());
        }
        if self.dead.load(Ordering::Acquire) {
            return Err(Errno::ENOTCONN);
        }
        let _one = lock(&self.sending);
        self.stream.write_all(frames).map_err(|_| Errno::ENOTCONN)
    }

    pub(super) fn send_resp(&self, reqno: u64, typ: Type, payload: &[u8]) {
        self.send_resp_after(Vec::new(), reqno, typ, payload);
    }

    pub(super) fn send_resp_after(&self, held: Vec<u8>, reqno: u64, typ: Type, payload: &[u8]) {
        let _ = self.send_after(
            held,
            Header::new(reqno, Class::Resp, typ, 0, payload.len()),
            payload,
        );
    }

    /// Answer a system call: its held copyouts, then its reply (none when
    /// a halt has answered the reboot call itself).
    pub(super) fn answer_syscall(&self, reqno: u64, (resp, held): (Option<SysResp>, Vec<u8>)) {
        match resp {
            Some(r) => self.send_resp_after(held, reqno, Type::Syscall, &r.emit()),
            None => {
                let _ = self.send_raw(&held);
            }
        }
    }

    pub(super) fn send_error(&self, reqno: u64, e: SpError) {
        let _ = self.send(
            Header::new(reqno, Class::Error, Type::Handshake, e.code(), 0),
            &[],
        );
    }

    pub(super) fn shutdown(&self) {
        self.stream.shutdown();
    }

    /// Send a request to the client and wait for its reply.
    pub(super) fn request(&self, typ: Type, payload: &[u8]) -> KResult<Vec<u8>> {
        let reqno = self.next_reqno.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = sync_channel(1);
        lock(&self.waiters).insert(reqno, tx);
        if let Err(e) = self.send(
            Header::new(reqno, Class::Req, typ, 0, payload.len()),
            payload,
        ) {
            lock(&self.waiters).remove(&reqno);
            return Err(e);
        }
        // A dead connection drops every waiter's sender: the wait ends.
        rx.recv().map_err(|_| Errno::EFAULT)
    }

    pub(super) fn pid(&self) -> Option<i32> {
        lock(&self.main).as_ref().map(|l| l.proc().pid)
    }

    pub(super) fn begin(&self) {
        lock(&self.inflight).calls += 1;
    }

    pub(super) fn end(&self) {
        let mut n = lock(&self.inflight);
        n.calls -= 1;
        if n.drainers > 0 {
            self.idle.notify_all();
        }
    }

    /// Requests in flight.
    pub(super) fn calls(&self) -> usize {
        lock(&self.inflight).calls
    }

    /// Wait until at most `keep` requests are in flight.
    pub(super) fn drain(&self, keep: usize) {
        let mut n = lock(&self.inflight);
        n.drainers += 1;
        while n.calls > keep {
            n = self.idle.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        n.drainers -= 1;
    }

    /// The next frame from the client (see [`FrameReader::read_frame`]);
    /// only the connection's reader thread calls this.
    pub(super) fn read_frame(&self) -> Option<(Header, Vec<u8>)> {
        lock(&self.input).read_frame(&self.stream)
    }
}
