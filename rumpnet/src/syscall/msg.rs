//! Moving data through sockets: `sendto`, `recvfrom`, `sendmsg` and
//! `recvmsg` (`struct msghdr` from `netbsd_abi::layout`).

use super::{Calls, KTR_SONAME, MAX_IO, ktrace_msghdr, sendto_name, sockaddr_out, with_sock};
use crate::socket::MSG_CTRUNC;
use netbsd_abi::layout::msghdr;
use netbsd_abi::{IOV_MAX, SYS_recvfrom, SYS_recvmsg, SYS_sendmsg, SYS_sendto};
use rump::syscall::args::{arg_int, ret};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::{UserSpace, copyin_array, copyin_vec};
use rump::{Errno, KResult};

pub(super) const CALLS: Calls = &[
    (SYS_sendto, "sendto", sys_sendto),
    (SYS_recvfrom, "recvfrom", sys_recvfrom),
    (SYS_sendmsg, "sendmsg", sys_sendmsg),
    (SYS_recvmsg, "recvmsg", sys_recvmsg),
];

fn sys_sendto(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let len = (a[2] as usize).min(MAX_IO);
    let _charge = ctx.kernel().charge(len as u64)?;
    ktrace_msghdr(ctx, a[4], a[5] as u32, 0);
    let buf = copyin_vec(us, a[1], len)?;
    let to = if a[4] != 0 {
        Some(sendto_name(ctx, us, a[4], a[5])?)
    } else {
        None
    };
    let n = with_sock(ctx, arg_int(a, 0), |s| {
        s.send(ctx, &buf, to.as_deref(), arg_int(a, 3))
    })?;
    rump::ktrace::genio(
        ctx,
        arg_int(a, 0),
        rump::ktrace::UIO_WRITE,
        &buf[..n.min(len)],
    );
    ret(n as u64)
}

fn sys_recvfrom(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let len = (a[2] as usize).min(MAX_IO);
    let _charge = ctx.kernel().charge(len as u64)?;
    let mut buf = vec![0u8; len];
    ktrace_msghdr(ctx, 0, 0, arg_int(a, 3));
    let r = with_sock(ctx, arg_int(a, 0), |s| s.recv(ctx, &mut buf, arg_int(a, 3)))?;
    us.copyout(a[1], &buf[..r.len])?;
    rump::ktrace::genio(ctx, arg_int(a, 0), rump::ktrace::UIO_READ, &buf[..r.len]);
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
    if m.control != 0 && m.controllen != 0 {
        // No control messages are defined for the protocols here yet.
        return Err(Errno::EINVAL);
    }
    let total: usize = m.iov.iter().map(|v| v.1).sum::<usize>().min(MAX_IO);
    let _charge = ctx.kernel().charge(total as u64)?;
    let mut buf = Vec::with_capacity(total);
    for &(base, len) in &m.iov {
        let take = len.min(total - buf.len());
        buf.extend_from_slice(&copyin_vec(us, base, take)?);
    }
    let to = if m.name != 0 {
        Some(sendto_name(ctx, us, m.name, u64::from(m.namelen))?)
    } else {
        None
    };
    let n = with_sock(ctx, arg_int(a, 0), |s| {
        s.send(ctx, &buf, to.as_deref(), arg_int(a, 2))
    })?;
    rump::ktrace::genio(
        ctx,
        arg_int(a, 0),
        rump::ktrace::UIO_WRITE,
        &buf[..n.min(buf.len())],
    );
    ret(n as u64)
}

fn sys_recvmsg(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let m = msghdr_in(us, a[1])?;
    ktrace_msghdr(ctx, m.name, m.namelen, arg_int(a, 2));
    let total: usize = m.iov.iter().map(|v| v.1).sum::<usize>().min(MAX_IO);
    let _charge = ctx.kernel().charge(total as u64)?;
    let mut buf = vec![0u8; total];
    let r = with_sock(ctx, arg_int(a, 0), |s| s.recv(ctx, &mut buf, arg_int(a, 2)))?;
    rump::ktrace::genio(ctx, arg_int(a, 0), rump::ktrace::UIO_READ, &buf[..r.len]);
    let mut off = 0;
    for &(base, len) in &m.iov {
        if off >= r.len {
            break;
        }
        let n = len.min(r.len - off);
        us.copyout(base, &buf[off..off + n])?;
        off += n;
    }
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
    us.copyout(
        a[1] + msghdr::msg_controllen.offset as u64,
        &0u32.to_le_bytes(),
    )?;
    let mut flags = r.flags;
    if m.controllen != 0 && m.control != 0 {
        flags &= !MSG_CTRUNC;
    }
    us.copyout(a[1] + msghdr::msg_flags.offset as u64, &flags.to_le_bytes())?;
    ret(r.len as u64)
}
