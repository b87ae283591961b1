//! What a datagram costs the receive buffer it waits in, counted as
//! NetBSD counts it: `sbappendaddr` takes a record while its sender's
//! address and data fit in `sbspace`, the lesser of the bytes left below the
//! high water mark (`sb_cc` against `sb_hiwat`) and the mbuf storage left
//! below `sb_mbmax` (`sb_mbcnt`, every mbuf's `MSIZE` and every cluster's
//! `MCLBYTES`). The chain of mbufs is the one `sosend` builds for an atomic
//! send. The sizes are amd64's, and each was confirmed against NetBSD's rump
//! kernel by counting the datagrams of each size a buffer takes.

/// `MSIZE`: an mbuf.
const MSIZE: usize = 512;
/// `MCLBYTES`: a cluster.
const MCLBYTES: usize = 2048;
/// `MLEN`: the data an mbuf holds.
const MLEN: usize = 456;
/// `MHLEN`: the data a packet's first mbuf holds beside its header.
const MHLEN: usize = 400;
/// `MINCLSIZE`: the least data `sosend` puts in a cluster.
const MINCLSIZE: usize = MHLEN + MLEN + 1;
/// `max_hdr` (`max_linkhdr` 16 and `max_protohdr` 60, with IPv6): room a
/// datagram's first cluster leaves in front for headers.
const MAX_HDR: usize = 76;
/// `SB_MAX`: the most `sb_mbmax` grows to.
const SB_MAX: usize = 256 * 1024;

/// One record's charge: its bytes (`sb_cc`) and its mbuf storage
/// (`sb_mbcnt`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Charge {
    /// Bytes: the sender's address and the data.
    pub cc: usize,
    /// Storage: the address's mbuf and the data's chain.
    pub mbcnt: usize,
}

impl Charge {
    /// What a datagram of `len` bytes from an address of `addr_len`
    /// bytes costs, sent through a send buffer of `sndbuf` bytes (which
    /// decides whether `sosend` may use clusters).
    pub fn of(len: usize, addr_len: usize, sndbuf: usize) -> Charge {
        Charge {
            cc: addr_len + len,
            mbcnt: MSIZE + data_mbcnt(len, sndbuf),
        }
    }
}

/// The storage of the chain `sosend` builds for `len` bytes with `space`
/// bytes of send buffer: a packet header mbuf first, clusters for what is
/// at least `MINCLSIZE` while a cluster's worth of space is left, plain
/// mbufs otherwise. An empty datagram is one mbuf.
fn data_mbcnt(len: usize, space: usize) -> usize {
    let (mut resid, mut space, mut first, mut total) = (len, space, true, 0);
    loop {
        let n = if resid >= MINCLSIZE && space >= MCLBYTES {
            total += MSIZE + MCLBYTES;
            let room = if first { MCLBYTES - MAX_HDR } else { MCLBYTES };
            room.min(resid)
        } else {
            total += MSIZE;
            let mlen = if first { MHLEN } else { MLEN };
            mlen.min(resid).min(space)
        };
        resid -= n;
        space = space.saturating_sub(n);
        first = false;
        if resid == 0 || space == 0 || n == 0 {
            return total;
        }
    }
}

/// A receive buffer's datagram accounting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Held {
    /// The records' charges summed.
    pub sum: Charge,
}

impl Held {
    /// Take `c` if it fits a buffer of `rcvbuf` bytes (`sbappendaddr`'s
    /// test against `sbspace`); false if not.
    pub fn take(&mut self, c: Charge, rcvbuf: usize) -> bool {
        let mbmax = (2 * rcvbuf).min(SB_MAX);
        let space = rcvbuf
            .saturating_sub(self.sum.cc)
            .min(mbmax.saturating_sub(self.sum.mbcnt));
        if c.cc > space {
            return false;
        }
        self.sum.cc += c.cc;
        self.sum.mbcnt += c.mbcnt;
        true
    }

    /// A record of charge `c` was read.
    pub fn release(&mut self, c: Charge) {
        self.sum.cc -= c.cc;
        self.sum.mbcnt -= c.mbcnt;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many datagrams of `len` bytes from an unnamed sender (2 bytes)
    /// an empty buffer of `rcvbuf` takes.
    fn fits(len: usize, rcvbuf: usize, sndbuf: usize) -> usize {
        let mut held = Held::default();
        let mut n = 0;
        while held.take(Charge::of(len, 2, sndbuf), rcvbuf) {
            n += 1;
        }
        n
    }

    #[test]
    fn the_counts_measured_on_netbsd_come_out() {
        // (len, rcvbuf, sndbuf, datagrams), from NetBSD's rump kernel.
        for (len, rcvbuf, sndbuf, n) in [
            (0, 4096, 2560, 8),
            (400, 4096, 2560, 8),
            (402, 4096, 2560, 6),
            (600, 4096, 2560, 5),
            (900, 4096, 2560, 3),
            (1500, 4096, 2560, 2),
            (2560, 4096, 2560, 1),
            (856, 200_000, 2560, 171),
            (860, 200_000, 2560, 86),
            (1972, 200_000, 2560, 85),
            (1976, 200_000, 2560, 73),
            (2560, 200_000, 2560, 64),
            (0, 200_000, 2560, 256),
            (1000, 200_000, 1500, 128),
        ] {
            assert_eq!(
                (len, rcvbuf, sndbuf, fits(len, rcvbuf, sndbuf)),
                (len, rcvbuf, sndbuf, n)
            );
        }
    }

    #[test]
    fn reading_a_record_gives_its_room_back() {
        let mut held = Held::default();
        let c = Charge::of(2049, 2, 2560);
        assert!(held.take(c, 4096));
        assert!(!held.take(Charge::of(2048, 2, 2560), 4096));
        held.release(c);
        assert_eq!(held, Held::default());
        assert!(held.take(Charge::of(2048, 2, 2560), 4096));
    }
}
