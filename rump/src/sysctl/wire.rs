//! The binary records sysctl exchanges with user space: `struct sysctlnode`
//! (CTL_QUERY, CTL_CREATE, CTL_DESTROY, CTL_DESCRIBE requests and answers)
//! and `struct sysctldesc` (CTL_DESCRIBE answers), as on NetBSD/amd64 in
//! host (little-endian) byte order.

use crate::errno::{Errno, KResult};
use netbsd_abi::layout::{sysctldesc, sysctlnode};

/// `SYSCTL_VERSION`: the only node layout a caller may send.
pub const SYSCTL_VERSION: u32 = netbsd_abi::SYSCTL_VERSION as u32;
/// `SYSCTL_VERS_MASK`: where the layout version sits in `sysctl_flags`.
pub const SYSCTL_VERS_MASK: u32 = netbsd_abi::SYSCTL_VERS_MASK;
/// `sizeof(struct sysctlnode)`.
pub const NODE_LEN: usize = sysctlnode::SIZE;
/// `SYSCTL_NAMELEN`: name bytes including the NUL.
pub const NAMELEN: usize = netbsd_abi::SYSCTL_NAMELEN as usize;
/// Bytes of the `sysctl_un` union.
pub const UN_LEN: usize = sysctlnode::sysctl_un.size;
/// `MAXDESCLEN`: the kernel's scratch buffer for one description record.
pub const MAXDESCLEN: usize = 1024;

/// Field offsets of `struct sysctlnode` (LP64):
///
/// ```text
///  0 +----------------+----------------+
///    | sysctl_flags   | sysctl_num     |   u32, i32
///  8 +----------------+----------------+
///    | sysctl_name[32]                 |
/// 40 +----------------+----------------+
///    | sysctl_ver     | __rsvd         |   u32, u32
/// 48 +----------------+----------------+   union sysctl_un:
///    | csize | idata  | clen           |   node: u32 csize, u32 clen
///    | qdata / bdata / data pointer    |   leaf: immediate value or pointer
/// 56 +---------------------------------+
///    | child pointer / data offset     |
/// 64 +---------------------------------+
///    | sysctl_size                     |   u64
/// 72 | sysctl_func                     |   pointer
/// 80 | sysctl_parent                   |   pointer
/// 88 | sysctl_desc                     |   pointer
/// 96 +---------------------------------+
/// ```
mod field {
    use netbsd_abi::layout::sysctlnode as n;
    use std::ops::Range;
    pub const FLAGS: Range<usize> = n::sysctl_flags.range();
    pub const NUM: Range<usize> = n::sysctl_num.range();
    pub const NAME: Range<usize> = n::sysctl_name.range();
    pub const VER: Range<usize> = n::sysctl_ver.range();
    pub const UN: Range<usize> = n::sysctl_un.range();
    pub const SIZE: Range<usize> = n::_sysctl_size.range();
    pub const FUNC: Range<usize> = n::_sysctl_func.range();
    pub const PARENT: Range<usize> = n::_sysctl_parent.range();
    pub const DESC: Range<usize> = n::_sysctl_desc.range();
    /// `suc_csize` and `suc_clen`, from the start of `sysctl_un`.
    pub const CSIZE: Range<usize> = rel(n::sysctl_un__scu_child__suc_csize);
    pub const CLEN: Range<usize> = rel(n::sysctl_un__scu_child__suc_clen);

    const fn rel(f: netbsd_abi::Field) -> Range<usize> {
        let at = f.offset - n::sysctl_un.offset;
        at..at + f.size
    }
}

/// Field offsets of `struct sysctldesc`: `descr_num` i32 at 0, `descr_ver`
/// u32 at 4, `descr_len` u32 at 8 (string length including NUL), then the
/// string at 12, padded with NULs to a multiple of four (`NEXT_DESCR`).
const DESC_HEADER: usize = sysctldesc::descr_str.offset;

/// A `struct sysctlnode` as plain values. Pointers are kept as numbers: a
/// request's pointers are user addresses, and an answer's are always 0
/// because this kernel has no addresses worth showing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeRepr {
    /// `sysctl_flags`: version, CTLFLAG_* and CTLTYPE_*.
    pub flags: u32,
    /// `sysctl_num`.
    pub num: i32,
    /// `sysctl_name`, NUL padded.
    pub name: [u8; NAMELEN],
    /// `sysctl_ver`.
    pub ver: u32,
    /// The 16-byte `sysctl_un` union, interpreted by the accessors.
    pub un: [u8; UN_LEN],
    /// `sysctl_size`.
    pub size: u64,
    /// `sysctl_func`.
    pub func: u64,
    /// `sysctl_parent`.
    pub parent: u64,
    /// `sysctl_desc`.
    pub desc: u64,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

impl NodeRepr {
    /// Read a node from exactly `NODE_LEN` bytes.
    pub fn parse(b: &[u8]) -> KResult<NodeRepr> {
        if b.len() != NODE_LEN {
            return Err(Errno::EINVAL);
        }
        let mut n = NodeRepr {
            flags: u32_at(b, field::FLAGS.start),
            num: u32_at(b, field::NUM.start) as i32,
            ver: u32_at(b, field::VER.start),
            size: u64_at(b, field::SIZE.start),
            func: u64_at(b, field::FUNC.start),
            parent: u64_at(b, field::PARENT.start),
            desc: u64_at(b, field::DESC.start),
            ..NodeRepr::default()
        };
        n.name.copy_from_slice(&b[field::NAME]);
        n.un.copy_from_slice(&b[field::UN]);
        Ok(n)
    }

    /// `sysctl_cvt_in`: the node a caller passed in newp. NetBSD 7 accepts
    /// only a full-size node carrying SYSCTL_VERSION; anything else
    /// (NULL, short, version 0, garbage) is EINVAL.
    pub fn from_request(new: Option<&[u8]>) -> KResult<NodeRepr> {
        let b = new.ok_or(Errno::EINVAL)?;
        if b.len() != NODE_LEN || u32_at(b, field::FLAGS.start) & SYSCTL_VERS_MASK != SYSCTL_VERSION
        {
            return Err(Errno::EINVAL);
        }
        NodeRepr::parse(b)
    }

    /// The node's bytes.
    pub fn emit(&self) -> [u8; NODE_LEN] {
        let mut b = [0u8; NODE_LEN];
        b[field::FLAGS].copy_from_slice(&self.flags.to_le_bytes());
        b[field::NUM].copy_from_slice(&self.num.to_le_bytes());
        b[field::NAME].copy_from_slice(&self.name);
        b[field::VER].copy_from_slice(&self.ver.to_le_bytes());
        b[field::UN].copy_from_slice(&self.un);
        b[field::SIZE].copy_from_slice(&self.size.to_le_bytes());
        b[field::FUNC].copy_from_slice(&self.func.to_le_bytes());
        b[field::PARENT].copy_from_slice(&self.parent.to_le_bytes());
        b[field::DESC].copy_from_slice(&self.desc.to_le_bytes());
        b
    }

    /// The name up to its NUL (all 32 bytes if it has none).
    pub fn name_bytes(&self) -> &[u8] {
        let end = self.name.iter().position(|&c| c == 0).unwrap_or(NAMELEN);
        &self.name[..end]
    }

    /// Store `name` NUL padded (truncated to 31 bytes).
    pub fn set_name(&mut self, name: &[u8]) {
        let n = name.len().min(NAMELEN - 1);
        self.name = [0; NAMELEN];
        self.name[..n].copy_from_slice(&name[..n]);
    }

    /// `sysctl_qdata`, also `sysctl_data` (a pointer) and, for a node,
    /// `sysctl_csize | sysctl_clen << 32`.
    pub fn qdata(&self) -> u64 {
        u64_at(&self.un, 0)
    }

    /// Set `sysctl_csize` and `sysctl_clen`, leaving the child pointer 0.
    pub fn set_children(&mut self, csize: u32, clen: u32) {
        self.un = [0; UN_LEN];
        self.un[field::CSIZE].copy_from_slice(&csize.to_le_bytes());
        self.un[field::CLEN].copy_from_slice(&clen.to_le_bytes());
    }

    /// Set the immediate value bytes (`idata`, `qdata` or `bdata`).
    pub fn set_immediate(&mut self, v: &[u8]) {
        self.un = [0; UN_LEN];
        let n = v.len().min(8);
        self.un[..n].copy_from_slice(&v[..n]);
    }
}

/// One `struct sysctldesc` record. `descr_len` counts the NUL; a missing
/// description, or one too long for the kernel's scratch buffer, is sent
/// as the empty string (length 1), as NetBSD does.
pub fn desc_record(num: i32, ver: u32, text: Option<&[u8]>) -> Vec<u8> {
    let text = text.filter(|t| t.len() < MAXDESCLEN - 16).unwrap_or(b"");
    let len = text.len() + 1;
    let mut r = vec![0u8; DESC_HEADER + len.div_ceil(4) * 4];
    sysctldesc::descr_num.put(&mut r, u64::from(num as u32));
    sysctldesc::descr_ver.put(&mut r, u64::from(ver));
    sysctldesc::descr_len.put(&mut r, len as u64);
    r[DESC_HEADER..DESC_HEADER + text.len()].copy_from_slice(text);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `kern.hostname` as a NetBSD/amd64 query answers it, pointers zeroed:
    /// flags SYSCTL_VERSION|PERMANENT|READWRITE|CTLTYPE_STRING, num 10,
    /// ver 7, size 256 (MAXHOSTNAMELEN).
    fn hostname() -> [u8; 96] {
        let mut b = [0u8; 96];
        b[..16].copy_from_slice(b"\x73\x02\x00\x01\x0a\0\0\0hostname");
        (b[40], b[65]) = (7, 1);
        b
    }

    #[test]
    fn node_parse_and_emit() {
        let n = NodeRepr::parse(&hostname()).unwrap();
        assert_eq!(
            (n.flags, n.num, n.name_bytes()),
            (0x0100_0273, 10, &b"hostname"[..])
        );
        assert_eq!((n.ver, n.size, n.func, n.parent, n.desc), (7, 256, 0, 0, 0));
        let mut m = NodeRepr::default();
        (m.flags, m.num, m.ver, m.size) = (0x0100_0273, 10, 7, 256);
        m.set_name(b"hostname");
        assert_eq!(m.emit(), hostname());
    }

    #[test]
    fn node_union_views() {
        let mut n = NodeRepr::default();
        n.set_children(8, 3);
        assert_eq!(n.qdata(), 8 | 3 << 32);
        n.set_immediate(&(-2i32).to_le_bytes());
        assert_eq!(n.qdata(), 0xffff_fffe);
        let b = n.emit();
        assert_eq!(&b[48..52], &[0xfe, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn requests_must_be_versioned_full_nodes() {
        let mut v0 = hostname();
        v0[3] = 0;
        let h = hostname();
        let bad: [&[u8]; 5] = [&[], &h[..95], &v0, &[0xff; 96], &[0xff; 200]];
        for b in bad {
            assert_eq!(NodeRepr::from_request(Some(b)), Err(Errno::EINVAL));
        }
        assert_eq!(NodeRepr::from_request(None), Err(Errno::EINVAL));
        assert!(NodeRepr::from_request(Some(&h)).is_ok());
    }

    #[test]
    fn desc_records_pad_to_four() {
        assert_eq!(
            desc_record(1, 2, Some(b"abc")),
            [1, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, b'a', b'b', b'c', 0]
        );
        let r = desc_record(-3, 9, Some(b"abcd"));
        assert_eq!(r.len(), 20);
        assert_eq!(&r[8..20], &[5, 0, 0, 0, b'a', b'b', b'c', b'd', 0, 0, 0, 0]);
        assert_eq!(desc_record(5, 0, None), desc_record(5, 0, Some(b"")));
        assert_eq!(desc_record(5, 0, None).len(), 16);
        assert_eq!(desc_record(5, 0, Some(&[b'x'; 1008]))[8], 1);
        assert_eq!(desc_record(5, 0, Some(&[b'x'; 1007]))[8..10], [0xf0, 0x03]);
    }
}
