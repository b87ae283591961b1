//! Moving data through sockets: `sendto`, `recvfrom`, `sendmsg` and
//! `recvmsg` (`struct msghdr` from `netbsd_abi::layout`).

use super::{Calls, KTR_SONAME, ktrace_msghdr, sendto_name, sockaddr_out, with_sock};
use crate::socket::{MSG_CTRUNC, MSG_PEEK, MSG_WAITALL, Received};
use netbsd_abi::layout::msghdr;
use netbsd_abi::{IOV_MAX, SYS_recvfrom, SYS_recvmsg, SYS_sendmsg, SYS_sendto};
use rump::file::FileOps;
use rump::syscall::args::{arg_int, ret};
use rump::syscall::pieces::{Cut, io_len, read_pieces, write_pieces};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::{UserSpace, copyin_array, copyin_vec};
use rump::{Errno, KResult};

pub(super) const CALLS: Calls = &[
    (SYS_sendto, "sendto", sys_sendto),
    (SYS_recvfrom, "recvfrom", sys_recvfrom),
    (SYS_sendmsg, "sendmsg", sys_sendmsg),
    (SYS_recvmsg, "recvmsg", sys_recvmsg),
];

/// How a transfer on socket `fd` may be cut (see `rump::syscall::pieces`):
/// a stream in pieces (a receive fills more than one piece only with
/// `MSG_WAITALL`), a datagram whole.
fn sock_cut(ctx: &Ctx, fd: i32, recv_flags: Option<i32>) -> KResult<Cut> {
    let stream = with_sock(ctx, fd, |s| Ok(!s.keeps_records()))?;
    Ok(match recv_flags {
        _ if !stream => Cut::Record,
        Some(f) if f & (MSG_WAITALL | MSG_PEEK) == MSG_WAITALL => Cut::Pieces,
        Some(_) => Cut::OnePieceRead,
        None => Cut::Pieces,
    })
}

/// Send the caller's buffers `iov` on socket `fd`, piece by piece.
fn send_pieces(
    ctx: &Ctx,
    us: &dyn UserSpace,
    fd: i32,
    iov: &[(u64, usize)],
    to: Option<&[u8]>,
    flags: i32,
    control: &[u8],
) -> KResult<usize> {
    let cut = sock_cut(ctx, fd, None)?;
    write_pieces(ctx, us, fd, iov, cut, |buf| {
        with_sock(ctx, fd, |s| s.send_msg(ctx, buf, to, flags, control))
    })
}

/// `CMSG_ALIGN(sizeof(struct cmsghdr))` on NetBSD/amd64: the least
/// control data a `sendmsg` may pass (`do_sys_sendmsg_so`).
const CMSG_HDR_SPACE: usize = 16;
/// The most control data `sockargs` copies in (`PAGE_SIZE`).
const CONTROL_MAX: usize = 4096;

/// Copy in a `sendmsg`'s control data, with NetBSD's limits: EINVAL
/// for less than a header or more than a page.
pub(crate) fn control_in(us: &dyn UserSpace, addr: u64, len: usize) -> KResult<Vec<u8>> {
    if addr == 0 {
        return Ok(Vec::new());
    }
    if !(CMSG_HDR_SPACE..=CONTROL_MAX).contains(&len) {
        return Err(Errno::EINVAL);
    }
    copyin_vec(us, addr, len)
}

/// Receive into the caller's buffers `iov` from socket `fd`, piece by
/// piece; the first piece's sender and flags describe the whole.
fn recv_pieces(
    ctx: &Ctx,
    us: &dyn UserSpace,
    fd: i32,
    iov: &[(u64, usize)],
    flags: i32,
) -> KResult<Received> {
    let cut = sock_cut(ctx, fd, Some(flags))?;
    let mut first: Option<Received> = None;
    let len = read_pieces(ctx, us, fd, iov, cut, |buf| {
        let r = with_sock(ctx, fd, |s| s.recv(ctx, buf, flags))?;
        let n = r.len;
        first.get_or_insert(r);
        Ok(n)
    })?;
    let mut r = first.unwrap_or(Received {
        len: 0,
        full: 0,
        from: None,
        flags: 0,
        control: Vec::new(),
    });
    r.full = r.full.max(len);
    r.len = len;
    Ok(r)
}

fn sys_sendto(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let fd = arg_int(a, 0);
    ktrace_msghdr(ctx, a[4], a[5] as u32, 0);
    let to = if a[4] != 0 {
        Some(sendto_name(ctx, us, a[4], a[5])?)
    } else {
        None
    };
    let iov = [(a[1], io_len(a[2])?)];
    let n = send_pieces(ctx, us, fd, &iov, to.as_deref(), arg_int(a, 3), &[])?;
    ret(n as u64)
}

fn sys_recvfrom(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let fd = arg_int(a, 0);
    ktrace_msghdr(ctx, 0, 0, arg_int(a, 3));
    let iov = [(a[1], io_len(a[2])?)];
    let r = recv_pieces(ctx, us, fd, &iov, arg_int(a, 3))?;
    if let Some(from) = &r.from {
        sockaddr_out(ctx, us, a[4], a[5], from)?;
    } else if a[5] != 0 && a[4] != 0 {
        us.copyout(a[5], &0u32.to_le_bytes())?;
    }
    ret(r.len as u64)
}

/// `struct msghdr` as the call gives it.
struct MsgHdr {
    name: u64,
    namelen: u32,
    iov: Vec<(u64, usize)>,
    control: u64,
    controllen: u32,
}

fn msghdr_in(us: &dyn UserSpace, addr: u64) -> KResult<MsgHdr> {
    let m = copyin_array::<{ msghdr::SIZE }>(us, addr)?;
    let get = |f: netbsd_abi::Field| f.get(&m).unwrap_or_default();
    let iovlen = get(msghdr::msg_iovlen) as usize;
    if iovlen > IOV_MAX as usize {
        return Err(Errno::EMSGSIZE);
    }
    let iov = rump::syscall::iovecs(us, get(msghdr::msg_iov), iovlen as i32)?;
    Ok(MsgHdr {
        name: get(msghdr::msg_name),
        namelen: get(msghdr::msg_namelen) as u32,
        iov,
        control: get(msghdr::msg_control),
        controllen: get(msghdr::msg_controllen) as u32,
    })
}

fn sys_sendmsg(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let m = msghdr_in(us, a[1])?;
    ktrace_msghdr(ctx, m.name, m.namelen, 0);
    let control = control_in(us, m.control, m.controllen as usize)?;
    let to = if m.name != 0 {
        Some(sendto_name(ctx, us, m.name, u64::from(m.namelen))?)
    } else {
        None
    };
    let n = send_pieces(
        ctx,
        us,
        arg_int(a, 0),
        &m.iov,
        to.as_deref(),
        arg_int(a, 2),
        &control,
    )?;
    ret(n as u64)
}

fn sys_recvmsg(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let m = msghdr_in(us, a[1])?;
    ktrace_msghdr(ctx, m.name, m.namelen, arg_int(a, 2));
    let r = recv_pieces(ctx, us, arg_int(a, 0), &m.iov, arg_int(a, 2))?;
    // msg_namelen, msg_controllen and msg_flags are written back.
    let mut namelen = 0u32;
    if let (Some(from), true) = (&r.from, m.name != 0) {
        let n = (m.namelen as usize).min(from.len());
        rump::ktrace::kuser(ctx, KTR_SONAME, &from[..n]);
        us.copyout(m.name, &from[..n])?;
        namelen = n as u32;
    }
    us.copyout(
        a[1] + msghdr::msg_namelen.offset as u64,
        &namelen.to_le_bytes(),
    )?;
    // Control messages that do not fit are cut off (MSG_CTRUNC).
    let room = if m.control != 0 {
        m.controllen as usize
    } else {
        0
    };
    let clen = r.control.len().min(room);
    if clen > 0 {
        us.copyout(m.control, &r.control[..clen])?;
    }
    us.copyout(
        a[1] + msghdr::msg_controllen.offset as u64,
        &(clen as u32).to_le_bytes(),
    )?;
    let mut flags = r.flags & !MSG_CTRUNC;
    if clen < r.control.len() {
        flags |= MSG_CTRUNC;
    }
    us.copyout(a[1] + msghdr::msg_flags.offset as u64, &flags.to_le_bytes())?;
    ret(r.len as u64)
}
