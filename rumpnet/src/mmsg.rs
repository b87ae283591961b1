//! `sendmmsg(2)` and `recvmmsg(2)`: many messages in one call, as NetBSD's
//! `sys_sendmmsg` and `sys_recvmmsg` (`sys/kern/uipc_syscalls.c`).
//!
//! Each `struct mmsghdr` is one `sendmsg`/`recvmsg` whose byte count lands
//! in its `msg_len`; the call answers how many were done. At most 1024
//! are taken per call. A failure after some messages went answers their
//! count; a failure on the first answers the error. `recvmmsg` with
//! `MSG_WAITFORONE` waits for the first message only; its timeout is
//! looked at after each message, as NetBSD's (it does not bound the wait
//! for one, and ends the batch only once it is passed by a second).

use crate::net::Net;
use crate::socket::{MSG_OOB, Socket};
use netbsd_abi::layout::{mmsghdr, msghdr, timespec};
use rump::syscall::{Ctx, SysArgs, SysRet, SyscallFn};
use rump::usermem::{UserSpace, copyin_array, copyin_vec};
use rump::{Errno, KResult, Kernel};
use std::time::Duration;

/// Most messages one call takes (`vlen` is cut down to it).
const MAX_VLEN: u64 = 1024;
/// The flags a caller may pass (`MSG_USERFLAGS`, `sys/socket.h`).
const MSG_USERFLAGS: i32 = netbsd_abi::MSG_USERFLAGS;
/// `MSG_IOVUSRSPACE` (`sys/socket.h`): the kernel's mark that the buffers
/// are the caller's, which `sendmmsg` leaves in each `msg_flags`.
const MSG_IOVUSRSPACE: i32 = netbsd_abi::MSG_IOVUSRSPACE;
/// Largest single message (a bounce buffer is allocated for it).
const MAX_IO: usize = 1 << 24;
/// Longest sockaddr a call takes.
const MAX_SOCKADDR: usize = 255;
/// `IOV_MAX`: more buffers than this is EMSGSIZE (`do_sys_sendmsg`).
const IOV_MAX: usize = netbsd_abi::IOV_MAX as usize;

/// The socket open at `fd` (EBADF, ENOTSOCK), given to `f`; the loopback
/// output the calls queued is processed after.
fn with_sock<R>(ctx: &Ctx, fd: i32, f: impl FnOnce(&Socket) -> R) -> KResult<R> {
    let file = ctx.proc().fdt().get(fd)?;
    let s = file
        .ops()
        .as_any()
        .and_then(|a| a.downcast_ref::<Socket>())
        .ok_or(Errno::ENOTSOCK)?;
    let r = f(s);
    Net::of(ctx.kernel()).drain();
    Ok(r)
}

fn field(b: &[u8], f: netbsd_abi::Field) -> u64 {
    f.get(b).unwrap_or_default()
}

/// One `struct mmsghdr`, its `msghdr` decoded.
struct Mmsg {
    raw: [u8; mmsghdr::SIZE],
    iov: Vec<(u64, usize)>,
}

impl Mmsg {
    fn copyin(us: &dyn UserSpace, addr: u64) -> KResult<Mmsg> {
        let raw: [u8; mmsghdr::SIZE] = copyin_array(us, addr)?;
        let hdr = &raw[mmsghdr::msg_hdr.range()];
        let iovlen = field(hdr, msghdr::msg_iovlen) as u32 as usize;
        if iovlen > IOV_MAX {
            return Err(Errno::EMSGSIZE);
        }
        let iov = rump::syscall::iovecs(us, field(hdr, msghdr::msg_iov), iovlen as i32)?;
        Ok(Mmsg { raw, iov })
    }

    fn hdr(&self) -> &[u8] {
        &self.raw[mmsghdr::msg_hdr.range()]
    }

    fn put(&mut self, f: netbsd_abi::Field, v: u64) {
        let off = mmsghdr::msg_hdr.offset;
        let f = netbsd_abi::Field {
            offset: off + f.offset,
            ..f
        };
        f.put(&mut self.raw, v);
    }

    /// The bytes the buffers hold together, up to one transfer.
    fn total(&self) -> usize {
        self.iov.iter().map(|v| v.1).sum::<usize>().min(MAX_IO)
    }
}

/// The address of message `i` of the array at `base`.
fn nth(base: u64, i: u64) -> KResult<u64> {
    i.checked_mul(mmsghdr::SIZE as u64)
        .and_then(|o| base.checked_add(o))
        .ok_or(Errno::EFAULT)
}

/// Send one message as `sendmsg` does; its byte count.
fn send_one(ctx: &Ctx, us: &dyn UserSpace, s: &Socket, m: &Mmsg, flags: i32) -> KResult<usize> {
    let hdr = m.hdr();
    let control = crate::syscall::msg::control_in(
        us,
        field(hdr, msghdr::msg_control),
        field(hdr, msghdr::msg_controllen) as u32 as usize,
    )?;
    let total = m.total();
    let _charge = ctx.kernel().charge(total as u64)?;
    let mut buf = Vec::with_capacity(total);
    for &(base, len) in &m.iov {
        let take = len.min(total - buf.len());
        buf.extend_from_slice(&copyin_vec(us, base, take)?);
    }
    let name = field(hdr, msghdr::msg_name);
    let to = if name != 0 {
        let len = field(hdr, msghdr::msg_namelen) as u32 as usize;
        if !(2..=MAX_SOCKADDR).contains(&len) {
            return Err(Errno::EINVAL);
        }
        let mut sa = copyin_vec(us, name, len)?;
        // The length the caller passed is the one that counts (sockargs).
        sa[0] = len as u8;
        Some(sa)
    } else {
        None
    };
    s.send_msg(ctx, &buf, to.as_deref(), flags, &control)
}

/// Receive one message as `recvmsg` does into `m`, filling in its
/// `msg_namelen`, `msg_controllen` and `msg_flags`; its byte count and
/// flags.
fn recv_one(
    ctx: &Ctx,
    us: &dyn UserSpace,
    s: &Socket,
    m: &mut Mmsg,
    flags: i32,
) -> KResult<(usize, i32)> {
    let total = m.total();
    let _charge = ctx.kernel().charge(total as u64)?;
    let mut buf = vec![0u8; total];
    let r = s.recv(ctx, &mut buf, flags)?;
    let mut off = 0;
    for &(base, len) in &m.iov {
        if off >= r.len {
            break;
        }
        let n = len.min(r.len - off);
        us.copyout(base, &buf[off..off + n])?;
        off += n;
    }
    let (name, namelen) = (
        field(m.hdr(), msghdr::msg_name),
        field(m.hdr(), msghdr::msg_namelen) as u32 as usize,
    );
    // `copyout_sockname`: without a buffer the length is left alone;
    // without a sender it is 0.
    if name != 0 {
        let mut written = 0;
        if let Some(from) = &r.from {
            written = namelen.min(from.len());
            us.copyout(name, &from[..written])?;
        }
        m.put(msghdr::msg_namelen, written as u64);
    }
    // No control messages: none is given back.
    m.put(msghdr::msg_controllen, 0);
    // `soreceive` adds what happened to the flags the call passed.
    m.put(
        msghdr::msg_flags,
        ((flags & MSG_USERFLAGS) | r.flags) as u32 as u64,
    );
    Ok((r.len, r.flags))
}

/// `sendmmsg(s, mmsg, vlen, flags)`.
fn sys_sendmmsg(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (fd, base) = (a[0] as i32, a[1]);
    let vlen = u64::from(a[2] as u32).min(MAX_VLEN);
    let flags = a[3] as i32 & MSG_USERFLAGS;
    let (done, err) = with_sock(ctx, fd, |s| {
        let mut done = 0;
        while done < vlen {
            let step = (|| {
                let at = nth(base, done)?;
                let mut m = Mmsg::copyin(us, at)?;
                let n = send_one(ctx, us, s, &m, flags)?;
                mmsghdr::msg_len.put(&mut m.raw, n as u64);
                m.put(msghdr::msg_flags, (flags | MSG_IOVUSRSPACE) as u32 as u64);
                us.copyout(at, &m.raw)
            })();
            if let Err(e) = step {
                return (done, Some(e));
            }
            done += 1;
        }
        (done, None)
    })?;
    match err {
        Some(e) if done == 0 => Err(e),
        _ => Ok([done, 0]),
    }
}

/// The `timespec` at `addr` as a time on the realtime clock from now.
fn deadline_in(ctx: &Ctx, us: &dyn UserSpace, addr: u64) -> KResult<Option<Duration>> {
    if addr == 0 {
        return Ok(None);
    }
    let ts: [u8; timespec::SIZE] = copyin_array(us, addr)?;
    let sec = field(&ts, timespec::tv_sec) as i64;
    let nsec = field(&ts, timespec::tv_nsec) as i64;
    // As NetBSD's timespecadd: no check of the fields.
    let add = Duration::from_secs(sec.max(0) as u64) + Duration::from_nanos(nsec.max(0) as u64);
    Ok(Some(ctx.kernel().clock().wall() + add))
}

/// `recvmmsg(s, mmsg, vlen, flags, timeout)`.
fn sys_recvmmsg(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let deadline = deadline_in(ctx, us, a[4])?;
    let clock = ctx.kernel().clock();
    let (fd, base) = (a[0] as i32, a[1]);
    let vlen = u64::from(a[2] as u32).min(MAX_VLEN);
    let mut flags = a[3] as i32 & MSG_USERFLAGS;
    let (done, err) = with_sock(ctx, fd, |s| {
        let mut done = 0;
        while done < vlen {
            let step = (|| {
                let at = nth(base, done)?;
                let mut m = Mmsg::copyin(us, at)?;
                let (n, got) = recv_one(ctx, us, s, &mut m, flags & !netbsd_abi::MSG_WAITFORONE)?;
                mmsghdr::msg_len.put(&mut m.raw, n as u64);
                us.copyout(at, &m.raw)?;
                Ok(got)
            })();
            let got = match step {
                Ok(got) => got,
                // Nothing more now, after some: the batch is what came.
                Err(Errno::EAGAIN) if done > 0 => return (done, None),
                Err(e) => return (done, Some(e)),
            };
            done += 1;
            if got & MSG_OOB != 0 {
                break;
            }
            // NetBSD ends the batch once the time is passed by a second
            // or more (`now - deadline` with `tv_sec > 0`).
            if deadline.is_some_and(|d| clock.wall().saturating_sub(d) >= Duration::from_secs(1)) {
                break;
            }
            if flags & netbsd_abi::MSG_WAITFORONE != 0 {
                flags |= netbsd_abi::MSG_DONTWAIT;
            }
        }
        (done, None)
    })?;
    match err {
        Some(e) if done == 0 => Err(e),
        _ => Ok([done, 0]),
    }
}

/// Register `recvmmsg` and `sendmmsg`.
pub(crate) fn register(k: &Kernel) -> KResult<()> {
    let calls: &[(usize, &'static str, SyscallFn)] = &[
        (netbsd_abi::SYS_recvmmsg, "recvmmsg", sys_recvmmsg),
        (netbsd_abi::SYS_sendmmsg, "sendmmsg", sys_sendmmsg),
    ];
    for &(n, name, f) in calls {
        k.register_syscall(n, name, f)?;
    }
    Ok(())
}
