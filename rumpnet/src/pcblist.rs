//! `struct kinfo_pcb` and the `pcblist` sysctl nodes' answer
//! (`sysctl_inpcblist`, `sysctl_unpcblist`): each protocol family lists
//! its sockets in this one record format, which netstat and sockstat read
//! with `sysctl(..., <pcblist>, op, arg, elem_size, elem_count)`.

use rump::sysctl::SysctlAnswer;
use rump::{Errno, KResult};

/// `sizeof(struct kinfo_pcb)`.
pub const KINFO_PCB_LEN: usize = 640;
/// `PCB_SLOP`: entries a size asked for leaves room for.
const PCB_SLOP: usize = 20;

/// The fields of `struct kinfo_pcb`, byte offsets on amd64.
mod field {
    pub const PCBADDR: usize = 0;
    pub const SOCKADDR: usize = 16;
    pub const FAMILY: usize = 24;
    pub const TYPE: usize = 28;
    pub const PROTOCOL: usize = 32;
    pub const PRSTATE: usize = 44;
    pub const TSTATE: usize = 48;
    pub const RCVQ: usize = 56;
    pub const SNDQ: usize = 64;
    /// The local and foreign address unions, 264 bytes each.
    pub const SRC: usize = 72;
    pub const DST: usize = 336;
    pub const ADDR_LEN: usize = 264;
    pub const CONN: usize = 616;
}

/// One socket as a `pcblist` reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KinfoPcb {
    /// A number that names the socket, as `kern.file2`'s `ki_fdata` does.
    pub id: u64,
    /// `AF_*`.
    pub family: u32,
    /// `SOCK_*`.
    pub typ: u32,
    /// The protocol.
    pub protocol: u32,
    /// `INP_BOUND`, `INP_CONNECTED` (0 for local sockets).
    pub prstate: u32,
    /// `TCPS_*` for TCP, else 0.
    pub tstate: i32,
    /// Bytes waiting to be read.
    pub rcvq: u64,
    /// Bytes waiting to be sent (or acknowledged).
    pub sndq: u64,
    /// The local address (a sockaddr).
    pub src: Vec<u8>,
    /// The foreign address, once connected.
    pub dst: Option<Vec<u8>>,
    /// The connected peer (local sockets: `ki_conn`), 0 if none.
    pub conn: u64,
}

impl KinfoPcb {
    /// The record.
    pub fn record(&self) -> [u8; KINFO_PCB_LEN] {
        let mut r = [0u8; KINFO_PCB_LEN];
        let put32 =
            |r: &mut [u8], at: usize, v: u32| r[at..at + 4].copy_from_slice(&v.to_ne_bytes());
        let put64 =
            |r: &mut [u8], at: usize, v: u64| r[at..at + 8].copy_from_slice(&v.to_ne_bytes());
        put64(&mut r, field::PCBADDR, self.id);
        put64(&mut r, field::SOCKADDR, self.id);
        put32(&mut r, field::FAMILY, self.family);
        put32(&mut r, field::TYPE, self.typ);
        put32(&mut r, field::PROTOCOL, self.protocol);
        put32(&mut r, field::PRSTATE, self.prstate);
        put32(&mut r, field::TSTATE, self.tstate as u32);
        put64(&mut r, field::RCVQ, self.rcvq);
        put64(&mut r, field::SNDQ, self.sndq);
        let n = self.src.len().min(field::ADDR_LEN);
        r[field::SRC..field::SRC + n].copy_from_slice(&self.src[..n]);
        // The foreign address only once connected: zeros read as `*.*`.
        if let Some(d) = &self.dst {
            let n = d.len().min(field::ADDR_LEN);
            r[field::DST..field::DST + n].copy_from_slice(&d[..n]);
        }
        put64(&mut r, field::CONN, self.conn);
        r
    }
}

/// The answer to `<pcblist>.<op>.<arg>.<elem_size>.<elem_count>` for the
/// sockets `all`, newest first: with no buffer, the length needed and room
/// for [`PCB_SLOP`] more; otherwise at most `elem_count` records, as many as
/// fit, and the length of those (NetBSD reports no ENOMEM here).
pub fn answer(all: &[KinfoPcb], name: &[i32], cap: Option<usize>) -> KResult<SysctlAnswer> {
    let &[_op, _arg, elem_size, elem_count] = name else {
        return Err(Errno::EINVAL);
    };
    let Some(cap) = cap else {
        return Ok(SysctlAnswer {
            data: Vec::new(),
            len: (all.len() + PCB_SLOP) * KINFO_PCB_LEN,
        });
    };
    if usize::try_from(elem_size).ok() != Some(KINFO_PCB_LEN) {
        return Err(Errno::EINVAL);
    }
    let n = all
        .len()
        .min(usize::try_from(elem_count).unwrap_or(0))
        .min(cap / KINFO_PCB_LEN);
    Ok(all[..n]
        .iter()
        .flat_map(KinfoPcb::record)
        .collect::<Vec<u8>>()
        .into())
}
