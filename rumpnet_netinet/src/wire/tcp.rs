//! TCP segments (RFC 9293) with the options this stack uses: MSS, window
//! scale (RFC 7323), SACK permitted and SACK blocks (RFC 2018), and
//! timestamps (RFC 7323).
//!
//! ```text
//!  0              16             32
//! +--------------+--------------+
//! | source port  |  dest port   |
//! |       sequence number       |
//! |    acknowledgment number    |
//! |off|res|flags |    window    |
//! |   checksum   |urgent pointer|
//! |   options (off > 5) ...     |
//! ```

use super::ipv4::{Address, proto};
use super::{Field, WireError, WireResult, be16, be32, put16, put32};
use rumpnet::wire::checksum;

mod field {
    use super::Field;
    pub const SRC: Field = 0..2;
    pub const DST: Field = 2..4;
    pub const SEQ: Field = 4..8;
    pub const ACK: Field = 8..12;
    pub const OFF: usize = 12;
    pub const FLAGS: usize = 13;
    pub const WINDOW: Field = 14..16;
    pub const CHECKSUM: Field = 16..18;
    pub const URGENT: Field = 18..20;
}

/// Bytes of a header without options.
pub const HEADER_LEN: usize = netbsd_abi::layout::tcphdr::SIZE;

/// TCP flag bits.
#[allow(missing_docs)]
pub mod flags {
    pub const FIN: u8 = netbsd_abi::TH_FIN as u8;
    pub const SYN: u8 = netbsd_abi::TH_SYN as u8;
    pub const RST: u8 = netbsd_abi::TH_RST as u8;
    pub const PSH: u8 = netbsd_abi::TH_PUSH as u8;
    pub const ACK: u8 = netbsd_abi::TH_ACK as u8;
    pub const URG: u8 = netbsd_abi::TH_URG as u8;
    pub const ECE: u8 = netbsd_abi::TH_ECE as u8;
    pub const CWR: u8 = netbsd_abi::TH_CWR as u8;
}

/// Option kinds.
mod opt {
    pub const END: u8 = netbsd_abi::TCPOPT_EOL as u8;
    pub const NOP: u8 = netbsd_abi::TCPOPT_NOP as u8;
    pub const MSS: u8 = netbsd_abi::TCPOPT_MAXSEG as u8;
    pub const WSCALE: u8 = netbsd_abi::TCPOPT_WINDOW as u8;
    pub const SACK_PERMITTED: u8 = netbsd_abi::TCPOPT_SACK_PERMITTED as u8;
    pub const SACK: u8 = netbsd_abi::TCPOPT_SACK as u8;
    pub const TIMESTAMP: u8 = netbsd_abi::TCPOPT_TIMESTAMP as u8;
}

/// A TCP segment, parsed; its payload is `seg[header_len..]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Repr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (the ACK flag is set when present).
    pub ack: Option<u32>,
    /// Flags other than ACK (SYN, FIN, RST, PSH, URG, ECE, CWR).
    pub flags: u8,
    /// Window (unscaled).
    pub window: u16,
    /// Urgent pointer.
    pub urgent: u16,
    /// Maximum segment size option.
    pub mss: Option<u16>,
    /// Window scale option (shift count).
    pub wscale: Option<u8>,
    /// SACK permitted option.
    pub sack_permitted: bool,
    /// SACK blocks (left, right edges), at most four.
    pub sack: Vec<(u32, u32)>,
    /// Timestamps option (value, echo reply).
    pub timestamp: Option<(u32, u32)>,
    /// Header bytes, options included (as parsed).
    pub header_len: usize,
    /// Payload bytes.
    pub payload_len: usize,
}

impl Repr {
    /// Parse segment `seg` (an IPv4 payload from `src` to `dst`), checking
    /// the header length, the options and the checksum.
    pub fn parse(seg: &[u8], src: Address, dst: Address) -> WireResult<Repr> {
        if seg.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let hl = usize::from(seg[field::OFF] >> 4) * 4;
        if hl < HEADER_LEN {
            return Err(WireError::Malformed);
        }
        if hl > seg.len() {
            return Err(WireError::Truncated);
        }
        let ph = checksum::pseudo_header_v4(src.0, dst.0, proto::TCP, seg.len() as u32);
        if checksum::combine(&[ph, checksum::sum(seg)]) != 0xffff {
            return Err(WireError::Checksum);
        }
        let f = seg[field::FLAGS];
        let mut r = Repr {
            src_port: be16(seg, field::SRC),
            dst_port: be16(seg, field::DST),
            seq: be32(seg, field::SEQ),
            ack: (f & flags::ACK != 0).then(|| be32(seg, field::ACK)),
            flags: f & !flags::ACK,
            window: be16(seg, field::WINDOW),
            urgent: be16(seg, field::URGENT),
            header_len: hl,
            payload_len: seg.len() - hl,
            ..Repr::default()
        };
        r.parse_options(&seg[HEADER_LEN..hl])?;
        Ok(r)
    }

    fn parse_options(&mut self, mut o: &[u8]) -> WireResult<()> {
        while let Some(&kind) = o.first() {
            match kind {
                opt::END => break,
                opt::NOP => {
                    o = &o[1..];
                    continue;
                }
                _ => {}
            }
            let len = usize::from(*o.get(1).ok_or(WireError::Malformed)?);
            if len < 2 || len > o.len() {
                return Err(WireError::Malformed);
            }
            let body = &o[2..len];
            match (kind, len) {
                (opt::MSS, 4) => self.mss = Some(u16::from_be_bytes([body[0], body[1]])),
                (opt::WSCALE, 3) => self.wscale = Some(body[0].min(14)),
                (opt::SACK_PERMITTED, 2) => self.sack_permitted = true,
                (opt::SACK, n) if n >= 10 && (n - 2) % 8 == 0 && n <= 34 => {
                    self.sack = body
                        .chunks_exact(8)
                        .map(|c| {
                            (
                                u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
                                u32::from_be_bytes([c[4], c[5], c[6], c[7]]),
                            )
                        })
                        .collect();
                }
                (opt::TIMESTAMP, 10) => {
                    self.timestamp = Some((
                        u32::from_be_bytes([body[0], body[1], body[2], body[3]]),
                        u32::from_be_bytes([body[4], body[5], body[6], body[7]]),
                    ))
                }
                (opt::MSS | opt::WSCALE | opt::SACK_PERMITTED | opt::SACK | opt::TIMESTAMP, _) => {
                    return Err(WireError::Malformed);
                }
                _ => {} // unknown options are skipped by their length
            }
            o = &o[len..];
        }
        Ok(())
    }

    /// The options this writes, padded to a multiple of four.
    fn options(&self) -> Vec<u8> {
        let mut o = Vec::new();
        if let Some(m) = self.mss {
            o.extend_from_slice(&[opt::MSS, 4]);
            o.extend_from_slice(&m.to_be_bytes());
        }
        if let Some(w) = self.wscale {
            o.extend_from_slice(&[opt::NOP, opt::WSCALE, 3, w]);
        }
        if self.sack_permitted {
            o.extend_from_slice(&[opt::NOP, opt::NOP, opt::SACK_PERMITTED, 2]);
        }
        if let Some((v, e)) = self.timestamp {
            o.extend_from_slice(&[opt::NOP, opt::NOP, opt::TIMESTAMP, 10]);
            o.extend_from_slice(&v.to_be_bytes());
            o.extend_from_slice(&e.to_be_bytes());
        }
        if !self.sack.is_empty() {
            let n = self.sack.len().min(4);
            o.extend_from_slice(&[opt::NOP, opt::NOP, opt::SACK, (2 + 8 * n) as u8]);
            for (l, r) in &self.sack[..n] {
                o.extend_from_slice(&l.to_be_bytes());
                o.extend_from_slice(&r.to_be_bytes());
            }
        }
        while o.len() % 4 != 0 {
            o.push(opt::END);
        }
        o
    }

    /// Bytes of the header `emit` writes.
    pub fn emit_header_len(&self) -> usize {
        HEADER_LEN + self.options().len()
    }

    /// Write the header (options included) of a segment whose payload is
    /// already at `seg[emit_header_len()..]`, and the checksum. `seg` must
    /// be exactly header plus payload.
    pub fn emit(&self, seg: &mut [u8], src: Address, dst: Address) -> WireResult<()> {
        let o = self.options();
        let hl = HEADER_LEN + o.len();
        if hl > 60 {
            return Err(WireError::Malformed);
        }
        if seg.len() < hl {
            return Err(WireError::Truncated);
        }
        put16(seg, field::SRC, self.src_port);
        put16(seg, field::DST, self.dst_port);
        put32(seg, field::SEQ, self.seq);
        put32(seg, field::ACK, self.ack.unwrap_or(0));
        seg[field::OFF] = ((hl / 4) as u8) << 4;
        seg[field::FLAGS] = self.flags | if self.ack.is_some() { flags::ACK } else { 0 };
        put16(seg, field::WINDOW, self.window);
        put16(seg, field::URGENT, self.urgent);
        seg[HEADER_LEN..hl].copy_from_slice(&o);
        put16(seg, field::CHECKSUM, 0);
        let ph = checksum::pseudo_header_v4(src.0, dst.0, proto::TCP, seg.len() as u32);
        let c = !checksum::combine(&[ph, checksum::sum(seg)]);
        put16(seg, field::CHECKSUM, c);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: Address = Address([10, 0, 0, 1]);
    const DST: Address = Address([10, 0, 0, 2]);

    /// A SYN as Linux sends it: MSS 1460, SACK permitted, timestamps,
    /// window scale 7 (40 bytes of header).
    fn linux_syn() -> Vec<u8> {
        let mut s = vec![
            0xc3, 0x50, 0x00, 0x50, // ports 50000 -> 80
            0x12, 0x34, 0x56, 0x78, // seq
            0x00, 0x00, 0x00, 0x00, // ack
            0xa0, 0x02, 0xfa, 0xf0, // off 10, SYN, window 64240
            0x00, 0x00, 0x00, 0x00, // checksum, urgent
            0x02, 0x04, 0x05, 0xb4, // MSS 1460
            0x04, 0x02, // SACK permitted
            0x08, 0x0a, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, // TS 4096, 0
            0x01, // NOP
            0x03, 0x03, 0x07, // WS 7
        ];
        let ph = checksum::pseudo_header_v4(SRC.0, DST.0, proto::TCP, s.len() as u32);
        let c = !checksum::combine(&[ph, checksum::sum(&s)]);
        s[16..18].copy_from_slice(&c.to_be_bytes());
        s
    }

    #[test]
    fn reads_a_linux_syn() {
        let r = Repr::parse(&linux_syn(), SRC, DST).unwrap();
        assert_eq!(
            (r.src_port, r.dst_port, r.seq, r.ack),
            (50000, 80, 0x1234_5678, None)
        );
        assert_eq!(
            (r.flags, r.window, r.header_len, r.payload_len),
            (flags::SYN, 64240, 40, 0)
        );
        assert_eq!(
            (r.mss, r.wscale, r.sack_permitted),
            (Some(1460), Some(7), true)
        );
        assert_eq!(r.timestamp, Some((4096, 0)));
    }

    #[test]
    fn round_trips_with_payload() {
        let r = Repr {
            src_port: 1,
            dst_port: 2,
            seq: 100,
            ack: Some(200),
            flags: flags::PSH,
            window: 1000,
            timestamp: Some((7, 8)),
            sack: vec![(10, 20), (30, 40)],
            payload_len: 5,
            ..Repr::default()
        };
        let hl = r.emit_header_len();
        let mut seg = vec![0u8; hl + 5];
        seg[hl..].copy_from_slice(b"hello");
        r.emit(&mut seg, SRC, DST).unwrap();
        let back = Repr::parse(&seg, SRC, DST).unwrap();
        assert_eq!(
            back,
            Repr {
                header_len: hl,
                ..r
            }
        );
        assert_eq!(&seg[back.header_len..], b"hello");
    }

    #[test]
    fn bad_input() {
        let s = linux_syn();
        assert_eq!(Repr::parse(&s[..19], SRC, DST), Err(WireError::Truncated));
        assert_eq!(Repr::parse(&s[..39], SRC, DST), Err(WireError::Truncated));
        assert_eq!(
            Repr::parse(&s, SRC, Address([9, 9, 9, 9])),
            Err(WireError::Checksum)
        );
        let fix = |mut b: Vec<u8>| {
            b[16] = 0;
            b[17] = 0;
            let ph = checksum::pseudo_header_v4(SRC.0, DST.0, proto::TCP, b.len() as u32);
            let c = !checksum::combine(&[ph, checksum::sum(&b)]);
            b[16..18].copy_from_slice(&c.to_be_bytes());
            b
        };
        let mut off = s.clone();
        off[12] = 0x40; // a header of 16 bytes
        assert_eq!(Repr::parse(&fix(off), SRC, DST), Err(WireError::Malformed));
        let mut mss = s.clone();
        mss[21] = 5; // MSS of the wrong length
        assert_eq!(Repr::parse(&fix(mss), SRC, DST), Err(WireError::Malformed));
        let mut zero = s.clone();
        zero[25] = 0; // an option of length 0 would never end
        assert_eq!(Repr::parse(&fix(zero), SRC, DST), Err(WireError::Malformed));
        let mut runs_off = s.clone();
        runs_off[38] = 9; // window scale running past the end of the options
        assert_eq!(
            Repr::parse(&fix(runs_off), SRC, DST),
            Err(WireError::Malformed)
        );
    }
}
