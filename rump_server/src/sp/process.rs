//! The client's process: the GUEST and FORK handshakes that give a
//! connection its process, PREFORK and EXEC, and the end of a connection.

use super::*;

impl Shared {
    /// The first request of a connection: GUEST (a new process) or FORK
    /// (attach to a process copied at PREFORK).
    pub(super) fn handshake_new(&self, conn: &Arc<Conn>, h: Header, payload: &[u8]) -> bool {
        let k = &self.kernel;
        if h.typ != Type::Handshake {
            conn.send_error(h.reqno, SpError::Auth);
            return false;
        }
        let lwp = if h.union == Handshake::Guest as u32 {
            let Some(name) = payload::parse_name(payload) else {
                conn.send_error(h.reqno, SpError::MalformedRequest);
                return false;
            };
            // A new client's process starts with 0, 1 and 2 on the
            // console, as NetBSD's server gives it (rump_consdev_init).
            let spawned = k
                .procs()
                .spawn(k.procs().local_proc(), ForkFd::Clear, &name)
                .and_then(|l| match rump::console::open_console_fds(k, l.proc()) {
                    Ok(()) => Ok(l),
                    Err(e) => {
                        let _ = k.procs().release(&l);
                        Err(e)
                    }
                });
            match spawned {
                Ok(l) => l,
                Err(e) => {
                    let why = format!(
                        "the server cannot create a process for the client: {}",
                        e.description()
                    );
                    let _ = conn.send_raw(&refusal(h.reqno, &why));
                    return false;
                }
            }
        } else if h.union == Handshake::Fork as u32 {
            let Some(f) = HandshakeFork::parse(payload) else {
                conn.send_error(h.reqno, SpError::MalformedRequest);
                return false;
            };
            let Some(copy) = lock(&self.preforks).remove(&f.cookie) else {
                conn.send_error(h.reqno, SpError::InvalidPrefork);
                return false;
            };
            if f.cancel != 0 {
                let _ = k.procs().release(&copy);
                return false;
            }
            let child = k
                .procs()
                .spawn(copy.proc(), ForkFd::Share, &copy.proc().comm());
            let _ = k.procs().release(&copy);
            match child {
                Ok(l) => l,
                Err(_) => {
                    conn.send_error(h.reqno, SpError::RforkFailed);
                    return false;
                }
            }
        } else {
            conn.send_error(h.reqno, SpError::Auth);
            return false;
        };
        if h.union == Handshake::Guest as u32
            && let Err(why) = self.access.set_credentials(&conn.stream, lwp.proc())
        {
            let _ = k.procs().release(&lwp);
            let _ = conn.send_raw(&refusal(h.reqno, &why));
            return false;
        }
        // Signals posted to the client's process are raised in the client.
        let weak = Arc::downgrade(conn);
        lwp.proc().set_signal_sink(Arc::new(move |sig| {
            if let Some(c) = weak.upgrade() {
                let h = Header::new(
                    c.next_reqno.fetch_add(1, Ordering::Relaxed),
                    Class::Req,
                    Type::Raise,
                    sig as u32,
                    0,
                );
                let _ = c.send(h, &[]);
            }
        }));
        *lock(&conn.main) = Some(lwp);
        conn.send_resp(h.reqno, Type::Handshake, &0i32.to_ne_bytes());
        true
    }

    /// PREFORK: copy the client's process and hand out a cookie for it.
    pub(super) fn prefork(&self, conn: &Arc<Conn>, h: Header) -> bool {
        if conn.in_exec.load(Ordering::Acquire) {
            conn.send_error(h.reqno, SpError::InExec);
            return false;
        }
        let Some(main) = lock(&conn.main).clone() else {
            return false;
        };
        let k = &self.kernel;
        let copy = match k
            .procs()
            .spawn(main.proc(), ForkFd::Copy, &main.proc().comm())
        {
            Ok(l) => l,
            Err(_) => {
                conn.send_error(h.reqno, SpError::RforkFailed);
                return true;
            }
        };
        let mut cookie = [0u8; payload::COOKIE_LEN];
        k.cprng().fill(&mut cookie);
        lock(&self.preforks).insert(cookie, copy);
        conn.send_resp(h.reqno, Type::Prefork, &cookie);
        true
    }

    /// EXEC: the client replaced its image; once its other calls are done,
    /// close the close-on-exec descriptors and take the new name.
    pub(super) fn exec(self: &Arc<Self>, conn: &Arc<Conn>, h: Header, payload: &[u8]) -> bool {
        let Some(name) = payload::parse_name(payload) else {
            conn.send_error(h.reqno, SpError::MalformedRequest);
            return false;
        };
        if conn.in_exec.swap(true, Ordering::AcqRel) {
            conn.send_error(h.reqno, SpError::InExec);
            return false;
        }
        conn.begin();
        let job_conn = Arc::clone(conn);
        let job = self.workers.submit(Box::new(move || {
            job_conn.drain(1);
            if let Some(main) = lock(&job_conn.main).as_ref() {
                main.proc().fdt().close_on_exec();
                main.proc().set_comm(&name);
            }
            job_conn.in_exec.store(false, Ordering::Release);
            job_conn.send_resp(h.reqno, Type::Handshake, &0i32.to_ne_bytes());
            job_conn.end();
        }));
        if job.is_err() {
            conn.in_exec.store(false, Ordering::Release);
            conn.send_error(h.reqno, SpError::TryAgain);
            conn.end();
        }
        true
    }

    /// The client is gone: fail its pending copies, let its calls finish,
    /// and end its process, which closes its descriptors.
    pub(super) fn disconnect(&self, conn: &Arc<Conn>) {
        conn.dead.store(true, Ordering::Release);
        conn.shutdown();
        lock(&conn.waiters).clear();
        // Sleeping calls wake (EINTR); an exec in progress keeps its process.
        if !conn.in_exec.load(Ordering::Acquire)
            && let Some(main) = lock(&conn.main).as_ref()
        {
            main.proc().post_exit();
        }
        conn.drain(0);
        if let Some(main) = lock(&conn.main).take() {
            let _ = self.kernel.procs().release(&main);
        }
    }
}
