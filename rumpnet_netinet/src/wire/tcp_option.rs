//! TCP options (RFC 9293 3.1): read by an iterator over a header's option
//! bytes and written straight into the header, so that neither needs a
//! buffer of its own.
//!
//! ```text
//! +------+                      one byte: end of list (0), no-op (1)
//! | kind |
//! +------+------+---------------
//! | kind | len  | data (len - 2 bytes)   every other option
//! +------+------+---------------
//! ```
//!
//! The options this stack understands are MSS, window scale (RFC 7323),
//! SACK permitted and SACK blocks (RFC 2018) and timestamps (RFC 7323);
//! one of these with the wrong length is malformed, any other kind is
//! passed over by its length.

use super::{WireError, WireResult};

/// Option kinds (`TCPOPT_*`).
#[allow(missing_docs)]
pub mod kind {
    pub const END: u8 = netbsd_abi::TCPOPT_EOL as u8;
    pub const NOP: u8 = netbsd_abi::TCPOPT_NOP as u8;
    pub const MSS: u8 = netbsd_abi::TCPOPT_MAXSEG as u8;
    pub const WSCALE: u8 = netbsd_abi::TCPOPT_WINDOW as u8;
    pub const SACK_PERMITTED: u8 = netbsd_abi::TCPOPT_SACK_PERMITTED as u8;
    pub const SACK: u8 = netbsd_abi::TCPOPT_SACK as u8;
    pub const TIMESTAMP: u8 = netbsd_abi::TCPOPT_TIMESTAMP as u8;
}

/// Option lengths, kind and length bytes included (`TCPOLEN_*`).
mod len {
    pub const MSS: usize = netbsd_abi::TCPOLEN_MAXSEG as usize;
    pub const WSCALE: usize = netbsd_abi::TCPOLEN_WINDOW as usize;
    pub const SACK_PERMITTED: usize = netbsd_abi::TCPOLEN_SACK_PERMITTED as usize;
    pub const TIMESTAMP: usize = netbsd_abi::TCPOLEN_TIMESTAMP as usize;
    /// A SACK option's kind and length bytes (`TCPOLEN_SACK` is one block).
    pub const SACK_HEAD: usize = 2;
    /// One SACK block: left and right edges.
    pub const SACK_BLOCK: usize = 8;
}

/// Most bytes of options a header holds: the 4-bit data offset counts up to
/// 60 bytes of header, 20 of them fixed (`TCP_MAXOLEN` in
/// `netinet/tcp.h`).
pub const MAX_OPTIONS_LEN: usize = 0xf * 4 - netbsd_abi::layout::tcphdr::SIZE;

/// Most SACK blocks one option carries: as many as fit in the option
/// space after the kind and length bytes.
pub const MAX_SACK_BLOCKS: usize = (MAX_OPTIONS_LEN - len::SACK_HEAD) / len::SACK_BLOCK;

/// SACK blocks (left and right edges), the first `None` ending the list.
pub type SackBlocks = [Option<(u32, u32)>; MAX_SACK_BLOCKS];

/// One TCP option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// End of the option list; the bytes after it are padding.
    EndOfList,
    /// No-operation, used to align the next option.
    NoOperation,
    /// Maximum segment size.
    MaxSegmentSize(u16),
    /// Window scale: the shift count (RFC 7323 2).
    WindowScale(u8),
    /// SACK may be used (RFC 2018 2).
    SackPermitted,
    /// Blocks of data received out of order (RFC 2018 3).
    Sack(SackBlocks),
    /// Timestamps (RFC 7323 3).
    Timestamp {
        /// The sender's clock (TSval).
        value: u32,
        /// The peer's latest value echoed (TSecr).
        echo: u32,
    },
    /// An option of another kind, kept as its data bytes.
    Unknown {
        /// Kind.
        kind: u8,
        /// The bytes after kind and length.
        data: &'a [u8],
    },
}

/// The blocks of a SACK option, up to the first `None`.
pub fn sack_blocks(blocks: &SackBlocks) -> impl Iterator<Item = (u32, u32)> + '_ {
    blocks.iter().map_while(|b| *b)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Whether `n` is a right length (kind and length bytes included) for an
/// option of kind `k`; any length is, for kinds this stack does not know.
fn length_fits(k: u8, n: usize) -> bool {
    match k {
        kind::MSS => n == len::MSS,
        kind::WSCALE => n == len::WSCALE,
        kind::SACK_PERMITTED => n == len::SACK_PERMITTED,
        kind::TIMESTAMP => n == len::TIMESTAMP,
        kind::SACK => {
            n > len::SACK_HEAD
                && (n - len::SACK_HEAD).is_multiple_of(len::SACK_BLOCK)
                && (n - len::SACK_HEAD) / len::SACK_BLOCK <= MAX_SACK_BLOCKS
        }
        _ => true,
    }
}

/// The length of the option that starts `b` (not an end of list), checked:
/// Malformed when the length byte is missing, below 2, past the end of `b`
/// or wrong for the kind.
fn option_len(b: &[u8]) -> WireResult<usize> {
    match *b {
        [kind::NOP, ..] => Ok(1),
        [k, n, ..] => {
            let n = usize::from(n);
            if n < 2 || n > b.len() || !length_fits(k, n) {
                return Err(WireError::Malformed);
            }
            Ok(n)
        }
        _ => Err(WireError::Malformed),
    }
}

/// The timestamps of options laid out as RFC 7323 Appendix A suggests
/// (two no-ops, then the timestamps option, then nothing or an end of
/// list), the options of nearly every segment after the handshake; `None`
/// for any other options. NetBSD's `tcp_input` takes the same shortcut
/// before `tcp_dooptions` (`TCPOLEN_TSTAMP_APPA`).
pub fn appendix_a_timestamp(options: &[u8]) -> Option<(u32, u32)> {
    let alone = match options.get(TSTAMP_APPA_LEN) {
        None => options.len() == TSTAMP_APPA_LEN,
        Some(&next) => next == kind::END,
    };
    if !alone || be32(&options[..4]) != TSTAMP_HDR {
        return None;
    }
    Some((be32(&options[4..8]), be32(&options[8..])))
}

/// Bytes of the Appendix A layout (`TCPOLEN_TSTAMP_APPA`).
const TSTAMP_APPA_LEN: usize = netbsd_abi::TCPOLEN_TSTAMP_APPA as usize;
/// Its first four bytes, as a big-endian word (`TCPOPT_TSTAMP_HDR`).
const TSTAMP_HDR: u32 = netbsd_abi::TCPOPT_TSTAMP_HDR as u32;

/// Check every option's length in `options` (a header's bytes after the
/// fixed part), up to an end of list, without decoding them.
pub fn check(options: &[u8]) -> WireResult<()> {
    if appendix_a_timestamp(options).is_some() {
        return Ok(());
    }
    let mut rest = options;
    while let Some(&k) = rest.first() {
        if k == kind::END {
            break;
        }
        rest = &rest[option_len(rest)?..];
    }
    Ok(())
}

impl<'a> TcpOption<'a> {
    /// The option at the start of `b` and the bytes after it: Malformed
    /// when a length byte is missing, below 2 or past the end of `b`, or
    /// wrong for the kind.
    pub fn parse(b: &'a [u8]) -> WireResult<(TcpOption<'a>, &'a [u8])> {
        let (&k, _) = b.split_first().ok_or(WireError::Truncated)?;
        if k == kind::END {
            return Ok((TcpOption::EndOfList, &b[1..]));
        }
        let (this, rest) = b.split_at(option_len(b)?);
        let data = this.get(2..).unwrap_or_default();
        let option = match k {
            kind::NOP => TcpOption::NoOperation,
            kind::MSS => TcpOption::MaxSegmentSize(u16::from_be_bytes([data[0], data[1]])),
            kind::WSCALE => TcpOption::WindowScale(data[0]),
            kind::SACK_PERMITTED => TcpOption::SackPermitted,
            kind::SACK => {
                let mut blocks: SackBlocks = [None; MAX_SACK_BLOCKS];
                for (slot, c) in blocks.iter_mut().zip(data.chunks_exact(len::SACK_BLOCK)) {
                    *slot = Some((be32(&c[..4]), be32(&c[4..])));
                }
                TcpOption::Sack(blocks)
            }
            kind::TIMESTAMP => TcpOption::Timestamp {
                value: be32(&data[..4]),
                echo: be32(&data[4..]),
            },
            _ => TcpOption::Unknown { kind: k, data },
        };
        Ok((option, rest))
    }

    /// Bytes this option takes.
    pub fn buffer_len(&self) -> usize {
        match self {
            TcpOption::EndOfList | TcpOption::NoOperation => 1,
            TcpOption::MaxSegmentSize(_) => len::MSS,
            TcpOption::WindowScale(_) => len::WSCALE,
            TcpOption::SackPermitted => len::SACK_PERMITTED,
            TcpOption::Sack(blocks) => {
                len::SACK_HEAD + len::SACK_BLOCK * sack_blocks(blocks).count()
            }
            TcpOption::Timestamp { .. } => len::TIMESTAMP,
            TcpOption::Unknown { data, .. } => 2 + data.len(),
        }
    }

    /// Write the option at the start of `b`; the bytes written.
    /// Truncated if `b` is shorter than [`TcpOption::buffer_len`];
    /// Malformed for a SACK option without blocks, or an unknown option of
    /// a one-byte kind or whose data does not fit its length byte.
    pub fn emit(&self, b: &mut [u8]) -> WireResult<usize> {
        let n = self.buffer_len();
        let out = b.get_mut(..n).ok_or(WireError::Truncated)?;
        let k = match self {
            TcpOption::EndOfList => {
                out[0] = kind::END;
                return Ok(1);
            }
            TcpOption::NoOperation => {
                out[0] = kind::NOP;
                return Ok(1);
            }
            TcpOption::MaxSegmentSize(m) => {
                out[2..].copy_from_slice(&m.to_be_bytes());
                kind::MSS
            }
            TcpOption::WindowScale(s) => {
                out[2] = *s;
                kind::WSCALE
            }
            TcpOption::SackPermitted => kind::SACK_PERMITTED,
            TcpOption::Sack(blocks) => {
                if blocks[0].is_none() {
                    return Err(WireError::Malformed);
                }
                let body = out[len::SACK_HEAD..].chunks_exact_mut(len::SACK_BLOCK);
                for (c, (l, r)) in body.zip(sack_blocks(blocks)) {
                    c[..4].copy_from_slice(&l.to_be_bytes());
                    c[4..].copy_from_slice(&r.to_be_bytes());
                }
                kind::SACK
            }
            TcpOption::Timestamp { value, echo } => {
                out[2..6].copy_from_slice(&value.to_be_bytes());
                out[6..10].copy_from_slice(&echo.to_be_bytes());
                kind::TIMESTAMP
            }
            TcpOption::Unknown { kind: k, data } => {
                // The one-byte kinds have no length byte to carry data.
                if n > usize::from(u8::MAX) || matches!(*k, kind::END | kind::NOP) {
                    return Err(WireError::Malformed);
                }
                out[2..].copy_from_slice(data);
                *k
            }
        };
        out[0] = k;
        out[1] = n as u8;
        Ok(n)
    }
}

/// The options of a header, in order, up to and including an end of list.
/// After an option that does not parse it yields that error and stops.
#[derive(Clone, Debug)]
pub struct OptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> OptionIter<'a> {
    /// The options in `options` (a header's bytes after the fixed part).
    pub fn new(options: &'a [u8]) -> OptionIter<'a> {
        OptionIter { rest: options }
    }
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = WireResult<TcpOption<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match TcpOption::parse(self.rest) {
            Ok((o, rest)) => {
                // The bytes after an end of list are padding, not options.
                self.rest = if o == TcpOption::EndOfList { &[] } else { rest };
                Some(Ok(o))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options of a SYN Linux sent (captured): MSS 65495, SACK
    /// permitted, timestamps 3137487929/0, a no-op, window scale 10.
    const LINUX_SYN: [u8; 20] = [
        0x02, 0x04, 0xff, 0xd7, 0x04, 0x02, 0x08, 0x0a, 0xbb, 0x02, 0x44, 0x39, 0x00, 0x00, 0x00,
        0x00, 0x01, 0x03, 0x03, 0x0a,
    ];

    #[test]
    fn reads_linux_syn_options() {
        let got: Vec<_> = OptionIter::new(&LINUX_SYN).map(Result::unwrap).collect();
        assert_eq!(
            got,
            [
                TcpOption::MaxSegmentSize(65495),
                TcpOption::SackPermitted,
                TcpOption::Timestamp {
                    value: 3_137_487_929,
                    echo: 0
                },
                TcpOption::NoOperation,
                TcpOption::WindowScale(10),
            ]
        );
    }

    #[test]
    fn reads_the_appendix_a_layout_directly() {
        // Linux's options on its data segments (captured).
        let linux = [1, 1, 8, 10, 0xbb, 0x02, 0x44, 0x39, 0x2a, 0xbe, 0xd0, 0x97];
        assert_eq!(
            appendix_a_timestamp(&linux),
            Some((3_137_487_929, 0x2abe_d097))
        );
        let walked: Vec<_> = OptionIter::new(&linux).map(Result::unwrap).collect();
        assert_eq!(
            walked[2],
            TcpOption::Timestamp {
                value: 3_137_487_929,
                echo: 0x2abe_d097
            }
        );
        assert_eq!(appendix_a_timestamp(&linux[..11]), None);
        let mut ended = linux.to_vec();
        ended.extend_from_slice(&[kind::END, 0x77, 0x77, 0x77]);
        assert_eq!(
            appendix_a_timestamp(&ended),
            Some((3_137_487_929, 0x2abe_d097))
        );
        ended[12] = kind::NOP;
        assert_eq!(appendix_a_timestamp(&ended), None);
        assert_eq!(appendix_a_timestamp(&LINUX_SYN), None);
        let mut other = linux;
        other[1] = 0;
        assert_eq!(appendix_a_timestamp(&other), None);
    }

    #[test]
    fn checks_without_decoding() {
        assert_eq!(check(&LINUX_SYN), Ok(()));
        assert_eq!(check(&[]), Ok(()));
        // Nothing after an end of list is read.
        assert_eq!(check(&[kind::NOP, kind::END, kind::MSS, 9]), Ok(()));
    }

    #[test]
    fn writes_the_same_bytes() {
        let mut out = [0xeeu8; 20];
        let mut at = 0;
        for o in OptionIter::new(&LINUX_SYN) {
            at += o.unwrap().emit(&mut out[at..]).unwrap();
        }
        assert_eq!((at, out), (20, LINUX_SYN));
    }

    #[test]
    fn sack_blocks_round_trip() {
        let mut blocks: SackBlocks = [None; MAX_SACK_BLOCKS];
        blocks[0] = Some((1, 2));
        blocks[1] = Some((0xffff_fff0, 0x10));
        let o = TcpOption::Sack(blocks);
        let mut b = [0u8; 18];
        assert_eq!(o.emit(&mut b), Ok(18));
        assert_eq!(&b[..2], &[kind::SACK, 18]);
        assert_eq!(TcpOption::parse(&b), Ok((o, &[][..])));
        assert_eq!(o.emit(&mut b[..17]), Err(WireError::Truncated));
    }

    #[test]
    fn unknown_options_are_passed_over() {
        // An MD5 signature option (kind 19, 18 bytes), then end of list and
        // padding that is not read.
        let mut b = vec![19, 18];
        b.extend_from_slice(&[0xab; 16]);
        b.extend_from_slice(&[kind::END, 0x55, 0x55]);
        let got: Vec<_> = OptionIter::new(&b).map(Result::unwrap).collect();
        assert_eq!(
            got,
            [
                TcpOption::Unknown {
                    kind: 19,
                    data: &[0xab; 16]
                },
                TcpOption::EndOfList
            ]
        );
    }

    #[test]
    fn bad_lengths_are_malformed() {
        for bad in [
            &[kind::MSS][..],                             // no length byte
            &[kind::MSS, 5, 0, 0, 0],                     // MSS of the wrong length
            &[kind::WSCALE, 0],                           // length 0 would never end
            &[77, 1],                                     // length 1 neither
            &[kind::TIMESTAMP, 10, 0, 0, 0, 0],           // past the end
            &[kind::SACK, 2],                             // SACK without a block
            &[kind::SACK, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0], // part of a block
        ] {
            assert_eq!(check(bad), Err(WireError::Malformed), "{bad:?}");
            let mut it = OptionIter::new(bad);
            assert_eq!(it.next(), Some(Err(WireError::Malformed)), "{bad:?}");
            assert_eq!(it.next(), None, "{bad:?}");
        }
        let mut b = [0u8; 8];
        for bad in [
            TcpOption::Sack([None; MAX_SACK_BLOCKS]),
            TcpOption::Unknown {
                kind: kind::NOP,
                data: &[1],
            },
        ] {
            assert_eq!(bad.emit(&mut b), Err(WireError::Malformed), "{bad:?}");
        }
        // Five SACK blocks cannot fit in a header.
        let mut five = vec![kind::SACK, 42];
        five.resize(42, 0);
        assert_eq!(TcpOption::parse(&five), Err(WireError::Malformed));
    }
}
