//! The client's memory, reached over its connection: COPYIN, COPYOUT and
//! COPYINSTR requests, and copyout bytes held back to go with the reply.

use super::*;

/// The client's memory, reached over the connection.
pub(super) struct RemoteSpace<'a> {
    pub(super) conn: &'a Arc<Conn>,
    /// COPYOUT frames not sent yet: they go out with the next frame that
    /// needs an answer, or with the call's reply.
    pub(super) held: std::cell::RefCell<Vec<u8>>,
    /// Set when the call runs on the connection's reader thread: replies
    /// are read right here, other frames dispatched as the reader would.
    pub(super) inline: Option<&'a Arc<Shared>>,
}

impl RemoteSpace<'_> {
    /// The copyouts held so far, taken.
    pub(super) fn take_held(&self) -> Vec<u8> {
        std::mem::take(&mut *self.held.borrow_mut())
    }

    pub(super) fn request(&self, typ: Type, payload: &[u8]) -> KResult<Vec<u8>> {
        let mut reply = Vec::new();
        self.request_with(typ, payload, Reply::Vec(&mut reply))?;
        Ok(reply)
    }

    /// Send request `typ` and take its reply as `into` says. A call on the
    /// reader thread reads the reply itself (into the kernel's buffer,
    /// without a copy of its own), dispatching what else comes first.
    pub(super) fn request_with(&self, typ: Type, payload: &[u8], into: Reply<'_>) -> KResult<()> {
        let Some(shared) = self.inline else {
            // The client must see the copyouts before it answers.
            self.conn.send_raw(&self.take_held())?;
            let reply = self.conn.request(typ, payload)?;
            return into.fill(reply);
        };
        let reqno = self.conn.next_reqno.fetch_add(1, Ordering::Relaxed);
        self.conn.send_after(
            self.take_held(),
            Header::new(reqno, Class::Req, typ, 0, payload.len()),
            payload,
        )?;
        let lost = || {
            // The client left or sent a length no frame can have: end the
            // connection, so that the reader loop sees the end next.
            self.conn.dead.store(true, Ordering::Release);
            self.conn.shutdown();
            Errno::EFAULT
        };
        loop {
            let mut input = lock(&self.conn.input);
            let h = input.answer_header(&self.conn.stream).ok_or_else(lost)?;
            if h.class == Class::Resp && h.reqno == reqno {
                let s = &self.conn.stream;
                return match into {
                    Reply::Vec(v) => {
                        *v = input.payload(s, &h).ok_or_else(lost)?;
                        Ok(())
                    }
                    Reply::Exact(out) => match input.payload_into(s, &h, out) {
                        Some(true) => Ok(()),
                        // NetBSD copies whatever arrived; a short or long
                        // reply is a fault.
                        Some(false) => Err(Errno::EFAULT),
                        None => Err(lost()),
                    },
                };
            }
            let p = input.payload(&self.conn.stream, &h).ok_or_else(lost)?;
            drop(input);
            if !shared.dispatch(self.conn, h, p, false) {
                self.conn.shutdown();
                return Err(Errno::EFAULT);
            }
        }
    }
}

/// Where the reply to a request to the client goes.
pub(super) enum Reply<'a> {
    /// Into a vector of its length.
    Vec(&'a mut Vec<u8>),
    /// Into this buffer, which it must fill exactly (else EFAULT).
    Exact(&'a mut [u8]),
}

impl Reply<'_> {
    /// Put a reply read by the reader thread where it goes.
    pub(super) fn fill(self, reply: Vec<u8>) -> KResult<()> {
        match self {
            Reply::Vec(v) => *v = reply,
            Reply::Exact(out) if out.len() == reply.len() => out.copy_from_slice(&reply),
            Reply::Exact(_) => return Err(Errno::EFAULT),
        }
        Ok(())
    }
}

impl UserSpace for RemoteSpace<'_> {
    /// In requests of at most `MAX_COPY` bytes each, so that no reply
    /// (nor the memory this call holds for one) grows with the length.
    fn copyin(&self, addr: u64, buf: &mut [u8]) -> KResult<()> {
        if buf.is_empty() {
            return Ok(());
        }
        if addr == 0 {
            return Err(Errno::EFAULT);
        }
        let mut at = addr;
        for piece in buf.chunks_mut(MAX_COPY) {
            let req = CopyData {
                len: piece.len() as u64,
                addr: at,
            }
            .emit(&[]);
            self.request_with(Type::Copyin, &req, Reply::Exact(piece))?;
            at = at.checked_add(piece.len() as u64).ok_or(Errno::EFAULT)?;
        }
        Ok(())
    }

    /// As COPYOUT frames of at most `MAX_COPY` bytes each.
    fn copyout(&self, addr: u64, data: &[u8]) -> KResult<()> {
        if data.is_empty() {
            return Ok(());
        }
        if addr == 0 {
            return Err(Errno::EFAULT);
        }
        let mut at = addr;
        for piece in data.chunks(MAX_COPY) {
            let cd = CopyData {
                len: piece.len() as u64,
                addr: at,
            }
            .emit(&[]);
            let h = Header::new(
                self.conn.next_reqno.fetch_add(1, Ordering::Relaxed),
                Class::Req,
                Type::Copyout,
                0,
                cd.len() + piece.len(),
            );
            let mut held = self.held.borrow_mut();
            held.extend_from_slice(&h.emit());
            held.extend_from_slice(&cd);
            held.extend_from_slice(piece);
            // Bounded: a large read goes out as it is copied.
            if held.len() >= MAX_HELD {
                let frames = std::mem::take(&mut *held);
                drop(held);
                self.conn.send_raw(&frames).map_err(|_| Errno::EFAULT)?;
            }
            at = at.checked_add(piece.len() as u64).ok_or(Errno::EFAULT)?;
        }
        Ok(())
    }

    fn copyinstr(&self, addr: u64, max: usize) -> KResult<Vec<u8>> {
        if max == 0 {
            return Err(Errno::ENAMETOOLONG);
        }
        if addr == 0 {
            return Err(Errno::EFAULT);
        }
        let req = CopyData {
            len: max as u64,
            addr,
        }
        .emit(&[]);
        let data = self.request(Type::Copyinstr, &req)?;
        if data.len() > max {
            return Err(Errno::EFAULT);
        }
        match data.iter().position(|&b| b == 0) {
            Some(n) => Ok(data[..n].to_vec()),
            None => Err(Errno::ENAMETOOLONG),
        }
    }

    fn copies_block(&self) -> bool {
        true
    }
}
