//! The socket system calls by NetBSD number: argument slots decoded,
//! sockaddrs, buffers and options copied through the caller's memory.

use crate::net::Net;
use crate::socket::*;
use rump::file::File;
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::{UserSpace, copyin_array, copyin_vec};
use rump::{Errno, KResult, Kernel};
use std::sync::Arc;
use std::time::Duration;

/// Largest single transfer (a bounce buffer is allocated for it).
const MAX_IO: usize = 1 << 24;
/// Longest sockaddr a call takes (`sockaddr_storage`, or `sockaddr_un`).
const MAX_SOCKADDR: usize = 255;
/// Longest option value.
const MAX_OPT: usize = 1024;
/// `IOV_MAX`.
const IOV_MAX: usize = 1024;
/// `O_RDWR`, `O_NONBLOCK`.
const O_RDWR: u32 = 0x2;
const O_NONBLOCK: u32 = 0x4;

fn int(a: &SysArgs, i: usize) -> i32 {
    a[i] as u32 as i32
}

fn ok(v: u64) -> KResult<SysRet> {
    Ok([v, 0])
}

/// The socket open at `fd`: ENOTSOCK if it is another kind of file.
fn with_sock<R>(ctx: &Ctx, fd: i32, f: impl FnOnce(&Socket) -> KResult<R>) -> KResult<R> {
    let file = ctx.proc().fdt().get(fd)?;
    let s = file
        .ops()
        .as_any()
        .and_then(|a| a.downcast_ref::<Socket>())
        .ok_or(Errno::ENOTSOCK)?;
    let r = f(s);
    // Loopback output queued by the call is processed now that the
    // protocol has let go of its locks.
    Net::of(ctx.kernel()).drain();
    r
}

/// Make a socket file and give it a descriptor.
fn install(ctx: &Ctx, proto: Arc<dyn ProtoSocket>, flags: i32) -> KResult<i32> {
    let nonblock = flags & SOCK_NONBLOCK != 0;
    let sock = Socket::new(proto, nonblock, flags & SOCK_NOSIGPIPE != 0);
    let fl = O_RDWR | if nonblock { O_NONBLOCK } else { 0 };
    ctx.fd_alloc_cloexec(File::new(Box::new(sock), fl), flags & SOCK_CLOEXEC != 0)
}

/// `socket(2)` in the kernel's own terms.
pub fn socket(ctx: &Ctx, domain: i32, typ: i32, protocol: i32) -> KResult<i32> {
    let flags = typ & SOCK_FLAGS_MASK;
    if flags & !(SOCK_CLOEXEC | SOCK_NONBLOCK | SOCK_NOSIGPIPE) != 0 {
        return Err(Errno::EINVAL);
    }
    let d = u8::try_from(domain)
        .ok()
        .and_then(|af| Net::of(ctx.kernel()).domain(af))
        .ok_or(Errno::EAFNOSUPPORT)?;
    let proto = d.socket(ctx, typ & !SOCK_FLAGS_MASK, protocol)?;
    install(ctx, proto, flags)
}

fn sys_socket(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ok(socket(ctx, int(a, 0), int(a, 1), int(a, 2))? as u64)
}

/// The id of the `KTR_USER` record of a socket address a call passes or
/// gets (`mbuftypes[MT_SONAME]`, `sys/mbuf.h`), and of its `struct msghdr`.
const KTR_SONAME: &str = "mbsoname";
const KTR_MSGHDR: &str = "msghdr";

/// The `struct msghdr` a send or receive call works with, as NetBSD's
/// `do_sys_sendmsg`/`do_sys_recvmsg` record it: for sendto and recvfrom
/// the one they make (its iovec lives in the kernel: no address of it is
/// shown).
fn ktrace_msghdr(ctx: &Ctx, name: u64, namelen: u32, flags: i32) {
    use netbsd_abi::layout::msghdr;
    let mut m = [0u8; msghdr::SIZE];
    msghdr::msg_name.put(&mut m, name);
    msghdr::msg_namelen.put(&mut m, u64::from(namelen));
    msghdr::msg_iovlen.put(&mut m, 1);
    msghdr::msg_flags.put(&mut m, flags as u32 as u64);
    rump::ktrace::kuser(ctx, KTR_MSGHDR, &m);
}

/// A sockaddr argument, checked for length.
fn sockaddr_in(us: &dyn UserSpace, addr: u64, len: u64) -> KResult<Vec<u8>> {
    let len = usize::try_from(len).map_err(|_| Errno::EINVAL)?;
    if !(2..=MAX_SOCKADDR).contains(&len) {
        return Err(Errno::EINVAL);
    }
    let mut sa = copyin_vec(us, addr, len)?;
    // The length the caller passed is the one that counts (sockargs).
    sa[0] = len as u8;
    Ok(sa)
}

/// The destination of a send, recorded as NetBSD's `sockargs` records it
/// (bind and connect take theirs without a record, `sockargs_sb`).
fn sendto_name(ctx: &Ctx, us: &dyn UserSpace, addr: u64, len: u64) -> KResult<Vec<u8>> {
    let sa = sockaddr_in(us, addr, len)?;
    // What the caller passed, before its sa_len was set: read again only
    // for a process that is traced.
    if rump::ktrace::traces(ctx, netbsd_abi::RUMP_KTR_USER)
        && let Ok(raw) = copyin_vec(us, addr, sa.len())
    {
        rump::ktrace::kuser(ctx, KTR_SONAME, &raw);
    }
    Ok(sa)
}

/// Copy `sa` out to `asa` with its length at `alen` (`copyout_sockname`):
/// at most the caller's length is written; the length written back is
/// what was copied.
fn sockaddr_out(ctx: &Ctx, us: &dyn UserSpace, asa: u64, alen: u64, sa: &[u8]) -> KResult<()> {
    if asa == 0 || alen == 0 {
        return Ok(());
    }
    let have = u32::from_le_bytes(copyin_array::<4>(us, alen)?) as usize;
    let n = have.min(sa.len());
    rump::ktrace::kuser(ctx, KTR_SONAME, &sa[..n]);
    us.copyout(asa, &sa[..n])?;
    us.copyout(alen, &(n as u32).to_le_bytes())
}

fn sys_bind(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let sa = sockaddr_in(us, a[1], a[2])?;
    with_sock(ctx, int(a, 0), |s| s.proto().bind(ctx, &sa))?;
    ok(0)
}

fn sys_connect(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let sa = sockaddr_in(us, a[1], a[2])?;
    with_sock(ctx, int(a, 0), |s| s.connect(ctx, &sa))?;
    ok(0)
}

fn sys_listen(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    with_sock(ctx, int(a, 0), |s| s.proto().listen(int(a, 1)))?;
    ok(0)
}

fn accept(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace, flags: i32) -> KResult<SysRet> {
    let child = with_sock(ctx, int(a, 0), |s| s.accept(ctx))?;
    let peer = child.peername().unwrap_or_default();
    let fd = install(ctx, child, flags)?;
    if let Err(e) = sockaddr_out(ctx, us, a[1], a[2], &peer) {
        let _ = ctx.proc().fdt().close(fd);
        return Err(e);
    }
    ok(fd as u64)
}

fn sys_accept(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    accept(ctx, a, us, 0)
}

/// `paccept(s, name, anamelen, sigmask, flags)`: the mask is not kept (no
/// signals are delivered inside the kernel); the flags are honoured.
fn sys_paccept(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let flags = int(a, 4);
    if flags & !(SOCK_CLOEXEC | SOCK_NONBLOCK | SOCK_NOSIGPIPE) != 0 {
        return Err(Errno::EINVAL);
    }
    accept(ctx, a, us, flags)
}

fn sys_shutdown(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    let how = int(a, 1);
    if !(SHUT_RD..=SHUT_RDWR).contains(&how) {
        return Err(Errno::EINVAL);
    }
    with_sock(ctx, int(a, 0), |s| s.proto().shutdown(how))?;
    ok(0)
}

fn sys_getsockname(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let sa = with_sock(ctx, int(a, 0), |s| s.proto().sockname())?;
    sockaddr_out(ctx, us, a[1], a[2], &sa)?;
    ok(0)
}

fn sys_getpeername(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let sa = with_sock(ctx, int(a, 0), |s| s.proto().peername())?;
    sockaddr_out(ctx, us, a[1], a[2], &sa)?;
    ok(0)
}

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
    let n = with_sock(ctx, int(a, 0), |s| {
        s.send(ctx, &buf, to.as_deref(), int(a, 3))
    })?;
    rump::ktrace::genio(ctx, int(a, 0), rump::ktrace::UIO_WRITE, &buf[..n.min(len)]);
    ok(n as u64)
}

fn sys_recvfrom(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let len = (a[2] as usize).min(MAX_IO);
    let _charge = ctx.kernel().charge(len as u64)?;
    let mut buf = vec![0u8; len];
    ktrace_msghdr(ctx, 0, 0, int(a, 3));
    let r = with_sock(ctx, int(a, 0), |s| s.recv(ctx, &mut buf, int(a, 3)))?;
    us.copyout(a[1], &buf[..r.len])?;
    rump::ktrace::genio(ctx, int(a, 0), rump::ktrace::UIO_READ, &buf[..r.len]);
    if let Some(from) = &r.from {
        sockaddr_out(ctx, us, a[4], a[5], from)?;
    } else if a[5] != 0 && a[4] != 0 {
        us.copyout(a[5], &0u32.to_le_bytes())?;
    }
    ok(r.len as u64)
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
    let m = copyin_array::<48>(us, addr)?;
    let u64_at = |o: usize| u64::from_le_bytes(m[o..o + 8].try_into().unwrap_or_default());
    let u32_at = |o: usize| u32::from_le_bytes(m[o..o + 4].try_into().unwrap_or_default());
    let iovlen = u32_at(24) as usize;
    if iovlen > IOV_MAX {
        return Err(Errno::EMSGSIZE);
    }
    let iov = rump::syscall::iovecs(us, u64_at(16), iovlen as i32)?;
    Ok(MsgHdr {
        name: u64_at(0),
        namelen: u32_at(8),
        iov,
        control: u64_at(32),
        controllen: u32_at(40),
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
    let n = with_sock(ctx, int(a, 0), |s| {
        s.send(ctx, &buf, to.as_deref(), int(a, 2))
    })?;
    rump::ktrace::genio(
        ctx,
        int(a, 0),
        rump::ktrace::UIO_WRITE,
        &buf[..n.min(buf.len())],
    );
    ok(n as u64)
}

fn sys_recvmsg(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let m = msghdr_in(us, a[1])?;
    ktrace_msghdr(ctx, m.name, m.namelen, int(a, 2));
    let total: usize = m.iov.iter().map(|v| v.1).sum::<usize>().min(MAX_IO);
    let _charge = ctx.kernel().charge(total as u64)?;
    let mut buf = vec![0u8; total];
    let r = with_sock(ctx, int(a, 0), |s| s.recv(ctx, &mut buf, int(a, 2)))?;
    rump::ktrace::genio(ctx, int(a, 0), rump::ktrace::UIO_READ, &buf[..r.len]);
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
    us.copyout(a[1] + 8, &namelen.to_le_bytes())?;
    us.copyout(a[1] + 40, &0u32.to_le_bytes())?;
    let mut flags = r.flags;
    if m.controllen != 0 && m.control != 0 {
        flags &= !MSG_CTRUNC;
    }
    us.copyout(a[1] + 44, &flags.to_le_bytes())?;
    ok(r.len as u64)
}

fn timeval_in(v: &[u8]) -> KResult<Option<Duration>> {
    if v.len() < 16 {
        return Err(Errno::EINVAL);
    }
    let sec = i64::from_le_bytes(v[0..8].try_into().unwrap_or_default());
    let usec = i64::from(i32::from_le_bytes(v[8..12].try_into().unwrap_or_default()));
    if sec < 0 || !(0..1_000_000).contains(&usec) {
        return Err(Errno::EDOM);
    }
    let d = Duration::from_secs(sec as u64) + Duration::from_micros(usec as u64);
    Ok((!d.is_zero()).then_some(d))
}

fn timeval_out(d: Option<Duration>) -> Vec<u8> {
    let d = d.unwrap_or_default();
    let mut v = vec![0u8; 16];
    v[0..8].copy_from_slice(&(d.as_secs() as i64).to_le_bytes());
    v[8..12].copy_from_slice(&(d.subsec_micros() as i32).to_le_bytes());
    v
}

fn int_in(v: &[u8]) -> KResult<i32> {
    Ok(i32::from_le_bytes(
        v.get(..4)
            .ok_or(Errno::EINVAL)?
            .try_into()
            .unwrap_or_default(),
    ))
}

/// `setsockopt(2)`.
pub fn setsockopt(s: &Socket, level: i32, name: i32, v: &[u8]) -> KResult<()> {
    if level != SOL_SOCKET {
        return s.proto().setopt(level, name, v);
    }
    {
        let mut o = s
            .proto()
            .shared()
            .opts
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let flag = |v: &[u8]| int_in(v).map(|i| i != 0);
        match name {
            SO_REUSEADDR => o.reuseaddr = flag(v)?,
            SO_REUSEPORT => o.reuseport = flag(v)?,
            SO_KEEPALIVE => o.keepalive = flag(v)?,
            SO_BROADCAST => o.broadcast = flag(v)?,
            SO_DONTROUTE => o.dontroute = flag(v)?,
            SO_OOBINLINE => o.oobinline = flag(v)?,
            SO_DEBUG => o.debug = flag(v)?,
            SO_TIMESTAMP => o.timestamp = flag(v)?,
            SO_NOSIGPIPE => o.nosigpipe = flag(v)?,
            SO_USELOOPBACK => {
                flag(v)?;
            }
            SO_LINGER => {
                let on = int_in(v)?;
                let secs = int_in(v.get(4..).ok_or(Errno::EINVAL)?)?;
                o.linger = (on != 0).then_some(secs.max(0));
            }
            SO_SNDBUF | SO_RCVBUF | SO_SNDLOWAT | SO_RCVLOWAT => {
                let n = usize::try_from(int_in(v)?)
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or(Errno::EINVAL)?;
                // sb_max: NetBSD refuses buffers beyond 256 KiB * 4.
                if matches!(name, SO_SNDBUF | SO_RCVBUF) && n > 1 << 22 {
                    return Err(Errno::ENOBUFS);
                }
                match name {
                    SO_SNDBUF => (o.sndbuf, o.snd_autosize) = (n, false),
                    SO_RCVBUF => (o.rcvbuf, o.rcv_autosize) = (n, false),
                    SO_SNDLOWAT => o.sndlowat = n.min(o.sndbuf),
                    _ => o.rcvlowat = n.min(o.rcvbuf),
                }
            }
            SO_SNDTIMEO => o.sndtimeo = timeval_in(v)?,
            SO_RCVTIMEO => o.rcvtimeo = timeval_in(v)?,
            _ => return Err(Errno::ENOPROTOOPT),
        }
    }
    // Tell the protocol; most do not care.
    match s.proto().setopt(level, name, v) {
        Err(Errno::ENOPROTOOPT) => Ok(()),
        r => r,
    }
}

/// `getsockopt(2)`.
pub fn getsockopt(s: &Socket, level: i32, name: i32) -> KResult<Vec<u8>> {
    if level != SOL_SOCKET {
        return s.proto().getopt(level, name);
    }
    let o = s.proto().shared().opts();
    let i = |v: i32| v.to_le_bytes().to_vec();
    let b = |v: bool| i(if v { name } else { 0 });
    Ok(match name {
        SO_REUSEADDR => b(o.reuseaddr),
        SO_REUSEPORT => b(o.reuseport),
        SO_KEEPALIVE => b(o.keepalive),
        SO_BROADCAST => b(o.broadcast),
        SO_DONTROUTE => b(o.dontroute),
        SO_OOBINLINE => b(o.oobinline),
        SO_DEBUG => b(o.debug),
        SO_TIMESTAMP => b(o.timestamp),
        SO_NOSIGPIPE => b(o.nosigpipe),
        SO_USELOOPBACK => b(false),
        SO_ACCEPTCONN => b(s.proto().is_listening()),
        SO_LINGER => {
            let mut v = i(i32::from(o.linger.is_some()));
            v.extend_from_slice(&o.linger.unwrap_or(0).to_le_bytes());
            v
        }
        SO_SNDBUF => i(o.sndbuf as i32),
        SO_RCVBUF => i(o.rcvbuf as i32),
        SO_SNDLOWAT => i(o.sndlowat as i32),
        SO_RCVLOWAT => i(o.rcvlowat as i32),
        SO_SNDTIMEO => timeval_out(o.sndtimeo),
        SO_RCVTIMEO => timeval_out(o.rcvtimeo),
        SO_TYPE => i(s.proto().kind().1),
        SO_ERROR => i(s.proto().take_error()),
        _ => return Err(Errno::ENOPROTOOPT),
    })
}

fn sys_setsockopt(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let len = a[4] as usize;
    if len > MAX_OPT {
        return Err(Errno::EINVAL);
    }
    let v = if a[3] != 0 {
        copyin_vec(us, a[3], len)?
    } else {
        Vec::new()
    };
    with_sock(ctx, int(a, 0), |s| setsockopt(s, int(a, 1), int(a, 2), &v))?;
    ok(0)
}

fn sys_getsockopt(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let v = with_sock(ctx, int(a, 0), |s| getsockopt(s, int(a, 1), int(a, 2)))?;
    if a[3] != 0 && a[4] != 0 {
        let have = u32::from_le_bytes(copyin_array::<4>(us, a[4])?) as usize;
        let n = have.min(v.len());
        us.copyout(a[3], &v[..n])?;
        us.copyout(a[4], &(n as u32).to_le_bytes())?;
    }
    ok(0)
}

fn sys_socketpair(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let typ = int(a, 1);
    let flags = typ & SOCK_FLAGS_MASK;
    let domain = int(a, 0);
    let (x, y) = crate::local::pair(ctx, domain, typ & !SOCK_FLAGS_MASK, int(a, 2))?;
    let fx = install(ctx, x, flags)?;
    let fy = match install(ctx, y, flags) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = ctx.proc().fdt().close(fx);
            return Err(e);
        }
    };
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&fx.to_le_bytes());
    out[4..].copy_from_slice(&fy.to_le_bytes());
    if let Err(e) = us.copyout(a[3], &out) {
        let _ = ctx.proc().fdt().close(fx);
        let _ = ctx.proc().fdt().close(fy);
        return Err(e);
    }
    ok(0)
}

pub(crate) fn register(k: &Kernel) -> KResult<()> {
    let calls: &[(usize, &'static str, rump::syscall::SyscallFn)] = &[
        (27, "recvmsg", sys_recvmsg),
        (28, "sendmsg", sys_sendmsg),
        (29, "recvfrom", sys_recvfrom),
        (30, "accept", sys_accept),
        (31, "getpeername", sys_getpeername),
        (32, "getsockname", sys_getsockname),
        (98, "connect", sys_connect),
        (104, "bind", sys_bind),
        (105, "setsockopt", sys_setsockopt),
        (106, "listen", sys_listen),
        (118, "getsockopt", sys_getsockopt),
        (133, "sendto", sys_sendto),
        (134, "shutdown", sys_shutdown),
        (135, "socketpair", sys_socketpair),
        (394, "__socket30", sys_socket),
        (456, "paccept", sys_paccept),
    ];
    for &(n, name, f) in calls {
        k.register_syscall(n, name, f)?;
    }
    Ok(())
}
