//! TCP segments (RFC 9293) as a view over bytes, with the options of
//! [`super::tcp_option`].
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
use super::pseudo::Pseudo;
pub use super::tcp_option::{MAX_SACK_BLOCKS, OptionIter, SackBlocks, TcpOption};
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

/// Bytes of the longest header: the data offset is four bits of words.
pub const MAX_HEADER_LEN: usize = HEADER_LEN + super::tcp_option::MAX_OPTIONS_LEN;

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

/// The sum that makes a segment's checksum: the pseudo-header's and the
/// segment's own.
fn segment_sum(ph: &Pseudo, seg: &[u8]) -> u16 {
    checksum::combine(&[ph.sum(proto::TCP, seg.len()), checksum::sum(seg)])
}

/// A view of a TCP segment (header and payload, to the end of the buffer).
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// A view of `buffer` that is not checked: accessors may panic unless
    /// it holds a valid header (use it to write one).
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// A view of `buffer`: the fixed header, a data offset of at least
    /// five words inside the buffer, and options whose lengths are right.
    /// After this no accessor panics.
    pub fn new_checked(buffer: T) -> WireResult<Packet<T>> {
        let p = Packet::new_unchecked(buffer);
        p.check()?;
        Ok(p)
    }

    fn check(&self) -> WireResult<()> {
        let len = self.b().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let hl = self.header_len();
        if hl < HEADER_LEN {
            return Err(WireError::Malformed);
        }
        if hl > len {
            return Err(WireError::Truncated);
        }
        super::tcp_option::check(self.options())
    }

    /// The bytes.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        be16(self.b(), field::SRC)
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be16(self.b(), field::DST)
    }

    /// Sequence number.
    pub fn seq_number(&self) -> u32 {
        be32(self.b(), field::SEQ)
    }

    /// Acknowledgment number (meaningful with the ACK flag).
    pub fn ack_number(&self) -> u32 {
        be32(self.b(), field::ACK)
    }

    /// Header length in bytes (the data offset), options included.
    pub fn header_len(&self) -> usize {
        usize::from(self.b()[field::OFF] >> 4) * 4
    }

    /// The flag bits ([`flags`]).
    pub fn flags(&self) -> u8 {
        self.b()[field::FLAGS]
    }

    /// Window (unscaled).
    pub fn window_len(&self) -> u16 {
        be16(self.b(), field::WINDOW)
    }

    /// Checksum.
    pub fn checksum(&self) -> u16 {
        be16(self.b(), field::CHECKSUM)
    }

    /// Urgent pointer.
    pub fn urgent_at(&self) -> u16 {
        be16(self.b(), field::URGENT)
    }

    /// The option bytes.
    pub fn options(&self) -> &[u8] {
        &self.b()[HEADER_LEN..self.header_len()]
    }

    /// The options, parsed one by one.
    pub fn option_iter(&self) -> OptionIter<'_> {
        OptionIter::new(self.options())
    }

    /// The payload.
    pub fn payload(&self) -> &[u8] {
        &self.b()[self.header_len()..]
    }

    /// Whether the checksum over the pseudo-header (from `src` to `dst`)
    /// and the whole segment is right.
    pub fn verify_checksum(&self, src: Address, dst: Address) -> bool {
        self.verify_checksum_in(&Pseudo::v4(src, dst))
    }

    /// Whether the checksum over pseudo-header `ph` (IPv4's or IPv6's)
    /// and the whole segment is right.
    pub fn verify_checksum_in(&self, ph: &Pseudo) -> bool {
        segment_sum(ph, self.b()) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn b_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Set the source port.
    pub fn set_src_port(&mut self, v: u16) {
        put16(self.b_mut(), field::SRC, v);
    }

    /// Set the destination port.
    pub fn set_dst_port(&mut self, v: u16) {
        put16(self.b_mut(), field::DST, v);
    }

    /// Set the sequence number.
    pub fn set_seq_number(&mut self, v: u32) {
        put32(self.b_mut(), field::SEQ, v);
    }

    /// Set the acknowledgment number.
    pub fn set_ack_number(&mut self, v: u32) {
        put32(self.b_mut(), field::ACK, v);
    }

    /// Set the header length in bytes (a multiple of four, at most
    /// [`MAX_HEADER_LEN`]); the reserved bits are cleared.
    pub fn set_header_len(&mut self, len: usize) {
        self.b_mut()[field::OFF] = ((len / 4) as u8) << 4;
    }

    /// Set the flag bits.
    pub fn set_flags(&mut self, v: u8) {
        self.b_mut()[field::FLAGS] = v;
    }

    /// Set the window.
    pub fn set_window_len(&mut self, v: u16) {
        put16(self.b_mut(), field::WINDOW, v);
    }

    /// Set the checksum.
    pub fn set_checksum(&mut self, v: u16) {
        put16(self.b_mut(), field::CHECKSUM, v);
    }

    /// Set the urgent pointer.
    pub fn set_urgent_at(&mut self, v: u16) {
        put16(self.b_mut(), field::URGENT, v);
    }

    /// The option bytes, to fill.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        &mut self.b_mut()[HEADER_LEN..hl]
    }

    /// The payload, to fill.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        &mut self.b_mut()[hl..]
    }

    /// Compute and store the checksum over the pseudo-header and the whole
    /// segment.
    pub fn fill_checksum(&mut self, src: Address, dst: Address) {
        self.fill_checksum_in(&Pseudo::v4(src, dst));
    }

    /// Compute and store the checksum over pseudo-header `ph` and the
    /// whole segment.
    pub fn fill_checksum_in(&mut self, ph: &Pseudo) {
        self.set_checksum(0);
        let c = !segment_sum(ph, self.b());
        self.set_checksum(c);
    }
}

/// A TCP segment's header, parsed; the payload stays in the packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
    /// SACK blocks (left, right edges), up to the first `None`.
    pub sack: SackBlocks,
    /// Timestamps option (value, echo reply).
    pub timestamp: Option<(u32, u32)>,
    /// Payload bytes.
    pub payload_len: usize,
}

/// The options a [`Repr`] writes, in order, each with the no-ops before it
/// that align it to four bytes (as the BSDs' `TCPOPT_TSTAMP_HDR` and
/// `TCPOPT_SACK_PERMIT_HDR` words do).
type Layout = [Option<(usize, TcpOption<'static>)>; 5];

impl Repr {
    /// Parse a checked view of a segment sent from `src` to `dst`: the
    /// checksum must be right. A window scale above 14 is taken as 14
    /// (RFC 7323 2.3).
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>, src: Address, dst: Address) -> WireResult<Repr> {
        Repr::parse_in(p, &Pseudo::v4(src, dst))
    }

    /// Parse a checked view of a segment whose network header gives
    /// pseudo-header `ph`: the checksum must be right.
    pub fn parse_in<T: AsRef<[u8]>>(p: &Packet<T>, ph: &Pseudo) -> WireResult<Repr> {
        if !p.verify_checksum_in(ph) {
            return Err(WireError::Checksum);
        }
        let f = p.flags();
        let mut r = Repr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            seq: p.seq_number(),
            ack: (f & flags::ACK != 0).then(|| p.ack_number()),
            flags: f & !flags::ACK,
            window: p.window_len(),
            urgent: p.urgent_at(),
            payload_len: p.payload().len(),
            ..Repr::default()
        };
        if let Some(ts) = super::tcp_option::appendix_a_timestamp(p.options()) {
            r.timestamp = Some(ts);
            return Ok(r);
        }
        for o in p.option_iter() {
            match o? {
                TcpOption::MaxSegmentSize(m) => r.mss = Some(m),
                TcpOption::WindowScale(s) => r.wscale = Some(s.min(MAX_WINSHIFT)),
                TcpOption::SackPermitted => r.sack_permitted = true,
                TcpOption::Sack(b) => r.sack = b,
                TcpOption::Timestamp { value, echo } => r.timestamp = Some((value, echo)),
                TcpOption::EndOfList | TcpOption::NoOperation | TcpOption::Unknown { .. } => {}
            }
        }
        Ok(r)
    }

    fn layout(&self) -> Layout {
        [
            self.mss.map(|m| (0, TcpOption::MaxSegmentSize(m))),
            self.wscale.map(|s| (1, TcpOption::WindowScale(s))),
            self.sack_permitted.then_some((2, TcpOption::SackPermitted)),
            self.timestamp
                .map(|(value, echo)| (2, TcpOption::Timestamp { value, echo })),
            self.sack[0].map(|_| (2, TcpOption::Sack(self.sack))),
        ]
    }

    /// Bytes of the header `emit` writes, options included.
    pub fn header_len(&self) -> usize {
        let options: usize = self
            .layout()
            .iter()
            .flatten()
            .map(|(nops, o)| nops + o.buffer_len())
            .sum();
        HEADER_LEN + options.next_multiple_of(4)
    }

    /// Bytes of the segment `emit` writes: header and payload.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload_len
    }

    /// Write the header (options included) and the checksum into `p`,
    /// whose buffer is exactly [`Repr::buffer_len`] bytes with the payload
    /// already at its end. Malformed if the options do not fit in a header
    /// or the buffer is longer, Truncated if it is shorter.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        p: &mut Packet<T>,
        src: Address,
        dst: Address,
    ) -> WireResult<()> {
        self.emit_in(p, &Pseudo::v4(src, dst))
    }

    /// As [`Repr::emit`], the checksum over pseudo-header `ph`.
    pub fn emit_in<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        p: &mut Packet<T>,
        ph: &Pseudo,
    ) -> WireResult<()> {
        let hl = self.header_len();
        if hl > MAX_HEADER_LEN {
            return Err(WireError::Malformed);
        }
        let len = p.b().len();
        if len < hl + self.payload_len {
            return Err(WireError::Truncated);
        }
        if len > hl + self.payload_len {
            return Err(WireError::Malformed);
        }
        p.set_src_port(self.src_port);
        p.set_dst_port(self.dst_port);
        p.set_seq_number(self.seq);
        p.set_ack_number(self.ack.unwrap_or(0));
        p.set_header_len(hl);
        p.set_flags(self.flags | if self.ack.is_some() { flags::ACK } else { 0 });
        p.set_window_len(self.window);
        p.set_urgent_at(self.urgent);
        let o = p.options_mut();
        let mut at = 0;
        for (nops, opt) in self.layout().iter().flatten() {
            o[at..at + nops].fill(super::tcp_option::kind::NOP);
            at += nops;
            at += opt.emit(&mut o[at..])?;
        }
        o[at..].fill(super::tcp_option::kind::END);
        p.fill_checksum_in(ph);
        Ok(())
    }
}

/// The largest window shift (`TCP_MAX_WINSHIFT`).
const MAX_WINSHIFT: u8 = netbsd_abi::TCP_MAX_WINSHIFT as u8;

#[cfg(test)]
mod tests {
    use super::*;

    const LO: Address = Address([127, 0, 0, 1]);

    /// A SYN Linux sent over loopback from port 35060 to 8080 (captured;
    /// the checksum is the one tcpdump computed, as loopback leaves it to
    /// offload): MSS 65495, SACK permitted, timestamps, window scale 10.
    const LINUX_SYN: [u8; 40] = [
        0x88, 0xf4, 0x1f, 0x90, 0xac, 0x84, 0x17, 0x07, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xff,
        0xd7, 0xe4, 0xb2, 0x00, 0x00, 0x02, 0x04, 0xff, 0xd7, 0x04, 0x02, 0x08, 0x0a, 0xbb, 0x02,
        0x44, 0x39, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
    ];

    /// The same connection's first data: PSH|ACK, timestamps, "hello".
    const LINUX_DATA: [u8; 37] = [
        0x88, 0xf4, 0x1f, 0x90, 0xac, 0x84, 0x17, 0x08, 0x6f, 0xea, 0xfb, 0xaf, 0x80, 0x18, 0x00,
        0x40, 0x62, 0x5e, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0xbb, 0x02, 0x44, 0x39, 0x2a, 0xbe,
        0xd0, 0x97, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
    ];

    fn parse(b: &[u8]) -> WireResult<Repr> {
        Repr::parse(&Packet::new_checked(b)?, LO, LO)
    }

    /// `b` with its checksum made right again after a change.
    fn fixed(mut b: Vec<u8>) -> Vec<u8> {
        Packet::new_unchecked(&mut b[..]).fill_checksum(LO, LO);
        b
    }

    #[test]
    fn reads_every_field() {
        let p = Packet::new_checked(&LINUX_SYN[..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port()), (35060, 8080));
        assert_eq!((p.seq_number(), p.ack_number()), (0xac84_1707, 0));
        assert_eq!(
            (p.header_len(), p.flags(), p.window_len()),
            (40, flags::SYN, 65495)
        );
        assert_eq!((p.checksum(), p.urgent_at()), (0xe4b2, 0));
        assert_eq!(p.options(), &LINUX_SYN[20..]);
        assert!(p.payload().is_empty());
        assert!(p.verify_checksum(LO, LO));
        assert!(!p.verify_checksum(LO, Address([127, 0, 0, 2])));
        let r = Repr::parse(&p, LO, LO).unwrap();
        assert_eq!(
            (r.src_port, r.dst_port, r.seq, r.ack, r.flags),
            (35060, 8080, 0xac84_1707, None, flags::SYN)
        );
        assert_eq!(
            (r.mss, r.wscale, r.sack_permitted, r.timestamp),
            (Some(65495), Some(10), true, Some((3_137_487_929, 0)))
        );
        assert_eq!((r.window, r.payload_len, r.sack[0]), (65495, 0, None));
    }

    #[test]
    fn builds_the_same_bytes() {
        let p = Packet::new_checked(&LINUX_DATA[..]).unwrap();
        let r = Repr::parse(&p, LO, LO).unwrap();
        assert_eq!(
            (r.ack, r.flags, r.timestamp),
            (
                Some(0x6fea_fbaf),
                flags::PSH,
                Some((3_137_487_929, 0x2abe_d097))
            )
        );
        assert_eq!(p.payload(), b"hello");
        assert_eq!((r.header_len(), r.buffer_len()), (32, 37));
        let mut out = vec![0xeeu8; r.buffer_len()];
        out[r.header_len()..].copy_from_slice(b"hello");
        r.emit(&mut Packet::new_unchecked(&mut out[..]), LO, LO)
            .unwrap();
        assert_eq!(out, LINUX_DATA);
    }

    #[test]
    fn round_trips_every_option_and_a_payload() {
        let mut sack: SackBlocks = [None; MAX_SACK_BLOCKS];
        sack[0] = Some((10, 20));
        sack[1] = Some((30, 40));
        let r = Repr {
            src_port: 1,
            dst_port: 2,
            seq: 100,
            ack: Some(200),
            flags: flags::PSH | flags::URG,
            window: 1000,
            urgent: 3,
            mss: Some(1460),
            wscale: Some(7),
            sack_permitted: true,
            timestamp: Some((7, 8)),
            sack,
            payload_len: 5,
        };
        // 4 + 4 + 4 + 12 + 20 bytes of options: the sum of their layouts.
        assert_eq!(r.header_len(), HEADER_LEN + 44);
        assert_eq!(
            r.emit(&mut Packet::new_unchecked(&mut [0u8; 69][..]), LO, LO),
            Err(WireError::Malformed),
            "options past 40 bytes"
        );
        let r = Repr { mss: None, ..r };
        let hl = r.header_len();
        let mut seg = vec![0u8; r.buffer_len()];
        seg[hl..].copy_from_slice(b"hello");
        r.emit(&mut Packet::new_unchecked(&mut seg[..]), LO, LO)
            .unwrap();
        let p = Packet::new_checked(&seg[..]).unwrap();
        assert_eq!(Repr::parse(&p, LO, LO), Ok(r));
        assert_eq!((p.header_len(), p.payload()), (hl, &b"hello"[..]));
    }

    #[test]
    fn emits_only_into_a_buffer_of_its_size() {
        let r = Repr {
            payload_len: 3,
            ..Repr::default()
        };
        for (len, e) in [(22, WireError::Truncated), (24, WireError::Malformed)] {
            let mut b = vec![0u8; len];
            assert_eq!(
                r.emit(&mut Packet::new_unchecked(&mut b[..]), LO, LO),
                Err(e)
            );
        }
    }

    #[test]
    fn bad_input() {
        let s = LINUX_SYN.to_vec();
        assert_eq!(parse(&s[..19]), Err(WireError::Truncated));
        assert_eq!(parse(&s[..39]), Err(WireError::Truncated), "options cut");
        assert_eq!(
            Repr::parse(
                &Packet::new_checked(&s[..]).unwrap(),
                LO,
                Address([9, 9, 9, 9])
            ),
            Err(WireError::Checksum)
        );
        let mut off = s.clone();
        off[12] = 0x40; // a header of 16 bytes
        assert_eq!(parse(&fixed(off)), Err(WireError::Malformed));
        let mut mss = s.clone();
        mss[21] = 5; // MSS of the wrong length
        assert_eq!(parse(&fixed(mss)), Err(WireError::Malformed));
        let mut zero = s.clone();
        zero[25] = 0; // an option of length 0 would never end
        assert_eq!(parse(&fixed(zero)), Err(WireError::Malformed));
        let mut runs_off = s.clone();
        runs_off[38] = 9; // window scale running past the end of the options
        assert_eq!(parse(&fixed(runs_off)), Err(WireError::Malformed));
        let mut big_shift = s.clone();
        big_shift[39] = 20;
        assert_eq!(parse(&fixed(big_shift)).unwrap().wscale, Some(14));
    }
}
