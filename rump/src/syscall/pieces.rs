//! Transfers of any length between a caller's buffers and a file, moved in
//! pieces of at most [`IO_PIECE`] bytes, as NetBSD moves a `uio` through a
//! file block by block: the kernel's memory for one call stays bounded
//! whatever length the caller gives, and a 1 GiB `write` is one call.

use super::Ctx;
use crate::errno::{Errno, KResult};
use crate::file::File;
use crate::ktrace;
use crate::usermem::UserSpace;

/// Most bytes of a caller's buffers the kernel holds at once for one call.
pub const IO_PIECE: usize = 1 << 20;

/// Largest record (a datagram) taken or given whole: records are not split,
/// and no protocol here queues one larger.
pub const MAX_RECORD: usize = 1 << 24;

/// How a transfer may be cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// A stream or a file whose reads never wait: piece after piece for as
    /// long as each moves whole.
    Pieces,
    /// A stream whose reads may wait (a pipe, a stream socket, a device):
    /// writes go piece after piece, a read takes one piece (what is there),
    /// as a read of such a file returns what has come.
    OnePieceRead,
    /// Records (a datagram socket): the transfer is one record, taken
    /// whole up to [`MAX_RECORD`] bytes.
    Record,
}

impl Cut {
    /// How transfers to and from `f` may be cut.
    pub fn of(f: &File) -> Cut {
        if f.ops().keeps_records() {
            Cut::Record
        } else if f.ops().may_block() {
            Cut::OnePieceRead
        } else {
            Cut::Pieces
        }
    }

    fn piece(self, total: usize) -> usize {
        match self {
            Cut::Record => total.min(MAX_RECORD),
            _ => total.min(IO_PIECE),
        }
    }
}

/// A transfer's length: EINVAL beyond `SSIZE_MAX`, as NetBSD's `read` and
/// `write` answer.
pub fn io_len(len: u64) -> KResult<usize> {
    usize::try_from(len)
        .ok()
        .filter(|&l| l <= isize::MAX as usize)
        .ok_or(Errno::EINVAL)
}

/// Whether an error after part of a transfer was done leaves the part as
/// the call's result (NetBSD's `dofileread`/`dofilewrite`: an interrupted
/// or would-block transfer reports what it moved; any other error wins).
fn partial_ok(e: Errno) -> bool {
    e == Errno::EINTR || e == Errno::EAGAIN || e.0 == netbsd_abi::errno::raw::ERESTART
}

/// The next piece of the buffers `iov` from byte `from` on: at most `max`
/// bytes, as (address, length) segments.
fn segments(iov: &[(u64, usize)], from: usize, max: usize) -> Vec<(u64, usize)> {
    let mut out = Vec::new();
    let (mut skip, mut want) = (from, max);
    for &(base, len) in iov {
        if want == 0 {
            break;
        }
        if skip >= len {
            skip -= len;
            continue;
        }
        let take = (len - skip).min(want);
        out.push((base + skip as u64, take));
        want -= take;
        skip = 0;
    }
    out
}

/// Write the caller's buffers `iov` (for descriptor `fd`, which ktrace
/// names) through `write`, piece by piece: each piece is copied in, charged
/// to the kernel's memory and written; the transfer stops at the first
/// piece not written whole. Returns the bytes written.
pub fn write_pieces(
    ctx: &Ctx,
    us: &dyn UserSpace,
    fd: i32,
    iov: &[(u64, usize)],
    cut: Cut,
    mut write: impl FnMut(&[u8]) -> KResult<usize>,
) -> KResult<usize> {
    let total = iov.iter().map(|v| v.1).sum::<usize>();
    let mut done = 0usize;
    loop {
        let want = cut.piece(total - done);
        let _charge = ctx.kernel().charge(want as u64)?;
        let mut buf = vec![0u8; want];
        let mut at = 0;
        for (base, len) in segments(iov, done, want) {
            // A fault after part was written is still the call's error,
            // as NetBSD's dofilewrite answers it.
            us.copyin(base, &mut buf[at..at + len])?;
            at += len;
        }
        let n = match write(&buf) {
            Ok(n) => n.min(want),
            Err(e) if done > 0 && partial_ok(e) => return Ok(done),
            Err(e) => return Err(e),
        };
        ktrace::genio(ctx, fd, ktrace::UIO_WRITE, &buf[..n]);
        done += n;
        if n < want || done >= total || cut == Cut::Record {
            return Ok(done);
        }
    }
}

/// Read into the caller's buffers `iov` (for descriptor `fd`) through
/// `read`, piece by piece as `cut` allows: each piece is read, charged to
/// the kernel's memory and copied out; the transfer stops at the first
/// piece not filled. Returns the bytes read.
pub fn read_pieces(
    ctx: &Ctx,
    us: &dyn UserSpace,
    fd: i32,
    iov: &[(u64, usize)],
    cut: Cut,
    mut read: impl FnMut(&mut [u8]) -> KResult<usize>,
) -> KResult<usize> {
    let total = iov.iter().map(|v| v.1).sum::<usize>();
    let mut done = 0usize;
    loop {
        let want = cut.piece(total - done);
        let _charge = ctx.kernel().charge(want as u64)?;
        let mut buf = vec![0u8; want];
        let n = match read(&mut buf) {
            Ok(n) => n.min(want),
            Err(e) if done > 0 && partial_ok(e) => return Ok(done),
            Err(e) => return Err(e),
        };
        let mut at = 0;
        for (base, len) in segments(iov, done, n) {
            us.copyout(base, &buf[at..at + len])?;
            at += len;
        }
        ktrace::genio(ctx, fd, ktrace::UIO_READ, &buf[..n]);
        done += n;
        if n < want || done >= total || cut != Cut::Pieces {
            return Ok(done);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_walk_the_buffers() {
        let iov = [(0x1000, 3), (0x2000, 0), (0x3000, 5)];
        assert_eq!(segments(&iov, 0, 4), [(0x1000, 3), (0x3000, 1)]);
        assert_eq!(segments(&iov, 4, 10), [(0x3001, 4)]);
        assert_eq!(segments(&iov, 8, 10), []);
        assert_eq!(segments(&iov, 1, 1), [(0x1001, 1)]);
    }

    #[test]
    fn pieces_are_bounded() {
        assert_eq!(Cut::Pieces.piece(5 << 30), IO_PIECE);
        assert_eq!(Cut::OnePieceRead.piece(10), 10);
        assert_eq!(Cut::Record.piece(1 << 30), MAX_RECORD);
    }
}
