//! Reading ahead of a sequential reader: READs of the blocks after a
//! read(2) are sent before it returns, their replies left on the wire, so
//! that the server reads them while the reader works on what it got (as
//! NetBSD's `nfs_bioread` hands them to its nfsiods). A read(2) that does
//! not start where they expect it, a write, a truncation or a close
//! forgets them; their replies are skipped when they come.

use std::collections::VecDeque;

/// The most bytes on the wire ahead of a reader, however many blocks the
/// mount's `readahead` asks (at least one READ goes): the server's work on
/// one MiB ahead covers the reader's on the last, and more only sets the
/// server's threads against the reader for the same CPUs (reading 256 MiB
/// from nfs-ganesha on two cores took 113-140 ms one 1 MiB READ ahead,
/// 220-282 ms two ahead, 187-208 ms none).
pub const MAX_AHEAD_BYTES: u64 = 1 << 20;

/// A READ sent ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    /// Where it reads.
    pub offset: u64,
    /// How many bytes it asks.
    pub count: u32,
    /// Its call's xid.
    pub xid: u32,
}

/// One file's READs sent ahead, oldest first.
#[derive(Default)]
pub struct ReadAhead {
    /// Where a sequential reader's next read(2) starts.
    next: u64,
    sent: VecDeque<Sent>,
}

impl ReadAhead {
    /// Whether a read(2) at `off` continues the last one (the first read
    /// of a file at its start counts as one).
    pub fn sequential(&self, off: u64) -> bool {
        off == self.next
    }

    /// The READ sent ahead that a read(2) of `len` bytes at `off` takes
    /// next, whole; none when the first does not fit there, and then the
    /// others are forgotten too.
    pub fn take(&mut self, off: u64, len: usize) -> Option<Sent> {
        match self.sent.front() {
            Some(s) if s.offset == off && s.count as usize <= len => self.sent.pop_front(),
            _ => {
                self.forget();
                None
            }
        }
    }

    /// Forget the READs sent ahead.
    pub fn forget(&mut self) {
        self.sent.clear();
    }

    /// A read(2) ended at `end`.
    pub fn read_to(&mut self, end: u64) {
        self.next = end;
    }

    /// Where READs of `count` bytes go to have `want` of them ahead of the
    /// reader, below the file's `size` (NetBSD reads ahead below
    /// `n_size`) and [`MAX_AHEAD_BYTES`] at most.
    pub fn wanted(&self, want: usize, count: u32, size: u64) -> Vec<u64> {
        let mut at = self
            .sent
            .back()
            .map_or(self.next, |s| s.offset + u64::from(s.count));
        let mut ahead: u64 = self.sent.iter().map(|s| u64::from(s.count)).sum();
        let mut out = Vec::new();
        while self.sent.len() + out.len() < want && at < size && count > 0 {
            let first = self.sent.is_empty() && out.is_empty();
            if !first && ahead + u64::from(count) > MAX_AHEAD_BYTES {
                break;
            }
            out.push(at);
            at += u64::from(count);
            ahead += u64::from(count);
        }
        out
    }

    /// A READ was sent ahead.
    pub fn push(&mut self, s: Sent) {
        self.sent.push_back(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sequential_reader_takes_what_was_sent_ahead_and_others_forget_it() {
        let mut ra = ReadAhead::default();
        assert!(ra.sequential(0));
        ra.read_to(100);
        assert_eq!(ra.wanted(2, 100, 1000), [100, 200]);
        // One READ at least, however large, and no more than
        // MAX_AHEAD_BYTES.
        let mib = MAX_AHEAD_BYTES as u32;
        assert_eq!(ra.wanted(2, mib, 1 << 40), [100]);
        assert_eq!(ra.wanted(4, mib / 2, 1 << 40).len(), 2);
        // Not past the end of the file.
        assert_eq!(ra.wanted(5, 400, 1000), [100, 500, 900]);
        for (i, at) in ra.wanted(2, 100, 1000).into_iter().enumerate() {
            let xid = i as u32;
            ra.push(Sent {
                offset: at,
                count: 100,
                xid,
            });
        }
        assert!(ra.sequential(100) && !ra.sequential(0));
        assert_eq!(ra.wanted(3, 100, 1000), [300]);
        let first = ra.take(100, 150);
        assert_eq!(first.map(|s| s.xid), Some(0));
        // The next is asked for by a read too short for it: forgotten.
        assert_eq!(ra.take(200, 50), None);
        assert_eq!(ra.wanted(2, 100, 1000), [100, 200]);
        ra.push(Sent {
            offset: 100,
            count: 100,
            xid: 7,
        });
        assert_eq!(ra.take(300, 100), None, "not where the reader is");
        assert!(ra.wanted(1, 100, 1000) == [100]);
    }
}
