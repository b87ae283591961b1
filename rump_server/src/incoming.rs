//! A connection's incoming frames, as the server reads them.
//!
//! Bytes are read ahead into a small buffer, so that a request's header and
//! its payload (and often the next request) come in one host read instead
//! of one read each. A frame's length is checked against
//! [`sysproxy::MAX_CLIENT_FRAME`] (a COPYIN reply of the most the server
//! asks for) before anything is allocated for its payload, and a payload
//! larger than the buffer is read straight into its own.

use crate::spin::RequestSpin;
use rumpuser::HostStream;
use std::io::ErrorKind;
use std::os::fd::AsFd;
use sysproxy::{Class, HEADER_LEN, Header, HeaderError, MAX_CLIENT_FRAME, Type};

/// How much is read ahead: requests are a header and at most eight
/// argument slots, so a few fit; larger payloads (copy-in replies) bypass it.
const READ_AHEAD: usize = 4 << 10;

/// The read-ahead buffer of one connection: `buf[pos..end]` is read and
/// not yet used. Only the thread that reads the connection holds it.
#[derive(Default)]
pub(crate) struct FrameReader {
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Whether to look for the next request a moment before sleeping.
    spin: RequestSpin,
}

impl FrameReader {
    /// Fill `out` from what was read ahead, then from `s`.
    fn read_exact(&mut self, s: &HostStream, out: &mut [u8]) -> std::io::Result<()> {
        let have = (self.end - self.pos).min(out.len());
        out[..have].copy_from_slice(&self.buf[self.pos..self.pos + have]);
        self.pos += have;
        let rest = &mut out[have..];
        if rest.is_empty() {
            return Ok(());
        }
        if rest.len() >= READ_AHEAD {
            let mut got = 0;
            while got < rest.len() {
                // The frame is on its way, its sender writing the rest
                // now: a moment's look takes it without a sleep and a
                // wake-up in the host.
                rumpuser::spin_until_readable(s.as_fd(), rumpuser::SPIN_FOR_ANSWER);
                match s.read(&mut rest[got..]) {
                    Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
                    Ok(n) => got += n,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            return Ok(());
        }
        if self.buf.len() < READ_AHEAD {
            self.buf.resize(READ_AHEAD, 0);
        }
        self.pos = 0;
        self.end = 0;
        self.spin.before_read(s);
        while self.end < rest.len() {
            match s.read(&mut self.buf[self.end..]) {
                Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
                Ok(n) => self.end += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        rest.copy_from_slice(&self.buf[..rest.len()]);
        self.pos = rest.len();
        Ok(())
    }

    /// Pass over `len` bytes without keeping them.
    fn skip(&mut self, s: &HostStream, mut len: usize) -> std::io::Result<()> {
        let mut scratch = [0u8; 512];
        while len > 0 {
            let n = len.min(scratch.len());
            self.read_exact(s, &mut scratch[..n])?;
            len -= n;
        }
        Ok(())
    }

    /// Read one frame; `None` at the end of the stream or on a header no
    /// request can have (see [`FrameReader::header`]).
    pub(crate) fn read_frame(&mut self, s: &HostStream) -> Option<(Header, Vec<u8>)> {
        let h = self.header(s)?;
        let payload = self.payload(s, &h)?;
        Some((h, payload))
    }

    /// Read the next frame's header, its payload left to
    /// [`FrameReader::payload`] or [`FrameReader::payload_into`]. `None`
    /// at the end of the stream or on a length below the header's or
    /// above `MAX_CLIENT_FRAME`. A frame of unknown class or type is skipped and
    /// comes back as an ERROR-class header without payload, with its
    /// request number, which the caller answers as a malformed request.
    /// The header of the answer to a request this side has just sent: the
    /// peer is at work on it, so look for it a moment before sleeping, as
    /// a client looks for the answer to its call.
    pub(crate) fn answer_header(&mut self, s: &HostStream) -> Option<Header> {
        if self.pos == self.end {
            rumpuser::spin_until_readable(s.as_fd(), rumpuser::SPIN_FOR_ANSWER);
        }
        self.header(s)
    }

    pub(crate) fn header(&mut self, s: &HostStream) -> Option<Header> {
        let mut hb = [0u8; HEADER_LEN];
        self.read_exact(s, &mut hb).ok()?;
        match Header::parse_within(&hb, MAX_CLIENT_FRAME) {
            Ok(h) => Some(h),
            Err(HeaderError::BadLength(_)) => None,
            Err(_) => {
                // The length was checked before the class and the type.
                let len = u64::from_ne_bytes(hb[..8].try_into().ok()?);
                self.skip(s, (len as usize).saturating_sub(HEADER_LEN))
                    .ok()?;
                let reqno = u64::from_ne_bytes(hb[8..16].try_into().ok()?);
                Some(Header::new(reqno, Class::Error, Type::Handshake, 0, 0))
            }
        }
    }

    /// The payload of the frame whose header `h` was just read.
    pub(crate) fn payload(&mut self, s: &HostStream, h: &Header) -> Option<Vec<u8>> {
        let mut payload = vec![0u8; h.payload_len()];
        self.read_exact(s, &mut payload).ok()?;
        Some(payload)
    }

    /// The payload of the frame whose header `h` was just read, straight
    /// into `out` when it is exactly that long (`Some(true)`); otherwise
    /// passed over (`Some(false)`).
    pub(crate) fn payload_into(
        &mut self,
        s: &HostStream,
        h: &Header,
        out: &mut [u8],
    ) -> Option<bool> {
        if h.payload_len() != out.len() {
            self.skip(s, h.payload_len()).ok()?;
            return Some(false);
        }
        self.read_exact(s, out).ok()?;
        Some(true)
    }
}
