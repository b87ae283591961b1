//! Control messages (the ancillary data of `sendmsg` and `recvmsg`).
//!
//! Both systems align a message to 8 bytes and put its data 16 bytes
//! after its start, but the header differs: Linux's `cmsg_len` is a
//! `size_t`, NetBSD's a 32-bit `socklen_t` followed by four bytes of
//! padding. The level and type numbers differ too; the data of the types
//! translated here are laid out alike on both.

use netbsd_abi::layout::cmsghdr;

/// Bytes from a message's start to its data, on both systems
/// (`CMSG_DATA`: the header rounded up to 8).
const HDR: usize = 16;

/// Control message types both systems have, whose data are the same bytes:
/// (Linux level, Linux type, NetBSD level, NetBSD type).
const TYPES: &[(i32, i32, i32, i32)] = &[
    // struct timeval: two 64-bit words on both.
    (
        libc::SOL_SOCKET,
        libc::SCM_TIMESTAMP,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SCM_TIMESTAMP,
    ),
    // struct in6_pktinfo: the address, then the interface index.
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_PKTINFO,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_PKTINFO,
    ),
    // ints.
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_HOPLIMIT,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_HOPLIMIT,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_TCLASS,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_TCLASS,
    ),
];

/// `CMSG_ALIGN` of both systems on 64-bit machines.
fn align8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

fn word(b: &[u8], at: usize, size: usize) -> Option<usize> {
    let bytes = b.get(at..at + size)?;
    let mut w = [0u8; 8];
    w[..size].copy_from_slice(bytes);
    usize::try_from(u64::from_ne_bytes(w)).ok()
}

fn int(b: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The messages of a control buffer whose header keeps its length in
/// `len_size` bytes and its level and type at `level_at` and `type_at`:
/// (level, type, data) each, or `None` if a length runs outside the buffer
/// or is shorter than a header (`EINVAL` for a sender).
fn messages(
    b: &[u8],
    len_size: usize,
    level_at: usize,
    type_at: usize,
) -> Option<Vec<(i32, i32, &[u8])>> {
    let mut out = Vec::new();
    let mut at = 0;
    // A tail shorter than a header holds no message (CMSG_NXTHDR).
    while at + HDR <= b.len() {
        let len = word(b, at, len_size)?;
        if len < HDR || len > b.len() - at {
            return None;
        }
        out.push((
            int(b, at + level_at)?,
            int(b, at + type_at)?,
            &b[at + HDR..at + len],
        ));
        at += align8(len);
    }
    Some(out)
}

/// A program's control messages as NetBSD's: `EINVAL` for a malformed
/// buffer, `EOPNOTSUPP` for a type that is not translated (descriptors and
/// credentials among them, which the kernel does not pass).
pub fn control_to_netbsd(linux: &[u8]) -> Result<Vec<u8>, i32> {
    let msgs = messages(linux, 8, 8, 12).ok_or(libc::EINVAL)?;
    let mut out = Vec::with_capacity(linux.len());
    for (level, ty, data) in msgs {
        let &(_, _, nl, nt) = TYPES
            .iter()
            .find(|&&(l, t, _, _)| l == level && t == ty)
            .ok_or(libc::EOPNOTSUPP)?;
        let start = out.len();
        out.resize(start + HDR, 0);
        let hdr = &mut out[start..];
        cmsghdr::cmsg_len.put(hdr, (HDR + data.len()) as u64);
        cmsghdr::cmsg_level.put(hdr, nl as u32 as u64);
        cmsghdr::cmsg_type.put(hdr, nt as u32 as u64);
        out.extend_from_slice(data);
        out.resize(align8(out.len()), 0);
    }
    Ok(out)
}

/// The kernel's control messages as Linux's, in at most `room` bytes, as
/// Linux's `put_cmsg` fills a buffer: a message that does not fit whole is
/// cut at the room left. Also says whether anything was cut or left out
/// (`MSG_CTRUNC`): a type that is not translated is left out.
pub fn control_to_linux(netbsd: &[u8], room: usize) -> (Vec<u8>, bool) {
    let Some(msgs) = messages(
        netbsd,
        cmsghdr::cmsg_len.size,
        cmsghdr::cmsg_level.offset,
        cmsghdr::cmsg_type.offset,
    ) else {
        return (Vec::new(), true);
    };
    let mut out = Vec::new();
    let mut cut = false;
    for (level, ty, data) in msgs {
        let Some(&(ll, lt, _, _)) = TYPES
            .iter()
            .find(|&&(_, _, nl, nt)| nl == level && nt == ty)
        else {
            cut = true;
            continue;
        };
        let left = room - out.len();
        if left < HDR {
            cut = true;
            break;
        }
        let mut m = Vec::with_capacity(align8(HDR + data.len()));
        m.extend_from_slice(&((HDR + data.len()) as u64).to_ne_bytes());
        m.extend_from_slice(&ll.to_ne_bytes());
        m.extend_from_slice(&lt.to_ne_bytes());
        m.extend_from_slice(data);
        m.resize(align8(m.len()), 0);
        if m.len() > left {
            cut |= HDR + data.len() > left;
            m.truncate(left);
        }
        out.extend_from_slice(&m);
    }
    (out, cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux_msg(level: i32, ty: i32, data: &[u8]) -> Vec<u8> {
        let mut m = ((HDR + data.len()) as u64).to_ne_bytes().to_vec();
        m.extend_from_slice(&level.to_ne_bytes());
        m.extend_from_slice(&ty.to_ne_bytes());
        m.extend_from_slice(data);
        m.resize(align8(m.len()), 0);
        m
    }

    #[test]
    fn hop_limit_goes_both_ways_with_netbsd_numbers() {
        let linux = linux_msg(
            libc::IPPROTO_IPV6,
            libc::IPV6_HOPLIMIT,
            &64i32.to_ne_bytes(),
        );
        let n = control_to_netbsd(&linux).unwrap();
        assert_eq!(n.len(), 24);
        assert_eq!(cmsghdr::cmsg_len.get(&n), Some(20));
        assert_eq!(
            cmsghdr::cmsg_type.get(&n),
            Some(netbsd_abi::IPV6_HOPLIMIT as u64)
        );
        assert_eq!(&n[16..20], &64i32.to_ne_bytes());
        assert_eq!(control_to_linux(&n, 64), (linux, false));
    }

    #[test]
    fn two_messages_keep_their_order_and_alignment() {
        let mut linux = linux_msg(libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, &[7u8; 20]);
        linux.extend(linux_msg(
            libc::IPPROTO_IPV6,
            libc::IPV6_TCLASS,
            &3i32.to_ne_bytes(),
        ));
        let n = control_to_netbsd(&linux).unwrap();
        assert_eq!(n.len(), 40 + 24);
        assert_eq!(control_to_linux(&n, 1024), (linux, false));
    }

    #[test]
    fn malformed_or_foreign_messages_are_refused() {
        let mut short = linux_msg(libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT, &[0; 4]);
        short[0] = 8;
        assert_eq!(control_to_netbsd(&short), Err(libc::EINVAL));
        let mut long = linux_msg(libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT, &[0; 4]);
        long[0] = 200;
        assert_eq!(control_to_netbsd(&long), Err(libc::EINVAL));
        let rights = linux_msg(libc::SOL_SOCKET, libc::SCM_RIGHTS, &[0; 4]);
        assert_eq!(control_to_netbsd(&rights), Err(libc::EOPNOTSUPP));
        assert_eq!(control_to_netbsd(&[0; 7]), Ok(Vec::new()));
    }

    #[test]
    fn a_small_buffer_cuts_as_linux_does() {
        let linux = linux_msg(libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, &[9u8; 20]);
        let n = control_to_netbsd(&linux).unwrap();
        let (got, cut) = control_to_linux(&n, 24);
        assert!(cut);
        assert_eq!(got, linux[..24]);
        // Room for the message but not its trailing padding: not cut.
        let (got, cut) = control_to_linux(&n, 36);
        assert!(!cut);
        assert_eq!(got, linux[..36]);
        assert_eq!(control_to_linux(&n, 8), (Vec::new(), true));
    }

    #[test]
    fn unknown_kernel_types_are_left_out_and_said() {
        let mut n = vec![0u8; 24];
        cmsghdr::cmsg_len.put(&mut n, 20);
        cmsghdr::cmsg_level.put(&mut n, netbsd_abi::IPPROTO_IP as u64);
        cmsghdr::cmsg_type.put(&mut n, netbsd_abi::IP_RECVDSTADDR as u64);
        assert_eq!(control_to_linux(&n, 64), (Vec::new(), true));
    }
}
