//! Making, naming and connecting sockets: `__socket30`, `socketpair`,
//! `bind`, `connect`, `listen`, `accept`, `paccept`, `shutdown`,
//! `getsockname` and `getpeername`.

use super::{Calls, install, sockaddr_in, sockaddr_out, with_sock};
use crate::net::Net;
use crate::socket::*;
use netbsd_abi::{
    SYS___socket30, SYS_accept, SYS_bind, SYS_connect, SYS_getpeername, SYS_getsockname,
    SYS_listen, SYS_paccept, SYS_shutdown, SYS_socketpair,
};
use rump::syscall::args::{arg_int, ret};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::UserSpace;
use rump::{Errno, KResult};

pub(super) const CALLS: Calls = &[
    (SYS___socket30, "__socket30", sys_socket),
    (SYS_socketpair, "socketpair", sys_socketpair),
    (SYS_bind, "bind", sys_bind),
    (SYS_connect, "connect", sys_connect),
    (SYS_listen, "listen", sys_listen),
    (SYS_accept, "accept", sys_accept),
    (SYS_paccept, "paccept", sys_paccept),
    (SYS_shutdown, "shutdown", sys_shutdown),
    (SYS_getsockname, "getsockname", sys_getsockname),
    (SYS_getpeername, "getpeername", sys_getpeername),
];

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
    ret(socket(ctx, arg_int(a, 0), arg_int(a, 1), arg_int(a, 2))? as u64)
}

fn sys_bind(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let sa = sockaddr_in(us, a[1], a[2])?;
    with_sock(ctx, arg_int(a, 0), |s| s.proto().bind(ctx, &sa))?;
    ret(0)
}

fn sys_connect(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let sa = sockaddr_in(us, a[1], a[2])?;
    with_sock(ctx, arg_int(a, 0), |s| s.connect(ctx, &sa))?;
    ret(0)
}

fn sys_listen(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    with_sock(ctx, arg_int(a, 0), |s| s.proto().listen(arg_int(a, 1)))?;
    ret(0)
}

fn accept(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace, flags: i32) -> KResult<SysRet> {
    let child = with_sock(ctx, arg_int(a, 0), |s| s.accept(ctx))?;
    let peer = child.peername().unwrap_or_default();
    let fd = install(ctx, child, flags)?;
    if let Err(e) = sockaddr_out(ctx, us, a[1], a[2], &peer) {
        let _ = ctx.proc().fdt().close(fd);
        return Err(e);
    }
    ret(fd as u64)
}

fn sys_accept(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    accept(ctx, a, us, 0)
}

/// `paccept(s, name, anamelen, sigmask, flags)`: the mask is not kept (no
/// signals are delivered inside the kernel); the flags are honoured.
fn sys_paccept(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let flags = arg_int(a, 4);
    if flags & !(SOCK_CLOEXEC | SOCK_NONBLOCK | SOCK_NOSIGPIPE) != 0 {
        return Err(Errno::EINVAL);
    }
    accept(ctx, a, us, flags)
}

fn sys_shutdown(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    let how = arg_int(a, 1);
    if !(SHUT_RD..=SHUT_RDWR).contains(&how) {
        return Err(Errno::EINVAL);
    }
    with_sock(ctx, arg_int(a, 0), |s| s.proto().shutdown(how))?;
    ret(0)
}

fn sys_getsockname(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let sa = with_sock(ctx, arg_int(a, 0), |s| s.proto().sockname())?;
    sockaddr_out(ctx, us, a[1], a[2], &sa)?;
    ret(0)
}

fn sys_getpeername(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let sa = with_sock(ctx, arg_int(a, 0), |s| s.proto().peername())?;
    sockaddr_out(ctx, us, a[1], a[2], &sa)?;
    ret(0)
}

fn sys_socketpair(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let typ = arg_int(a, 1);
    let flags = typ & SOCK_FLAGS_MASK;
    let domain = arg_int(a, 0);
    let (x, y) = crate::local::pair(ctx, domain, typ & !SOCK_FLAGS_MASK, arg_int(a, 2))?;
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
    ret(0)
}
