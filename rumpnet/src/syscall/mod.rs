//! The socket system calls by NetBSD number, one module per group: each
//! decodes its argument slots and copies sockaddrs, buffers and options
//! through the caller's memory (layouts from `netbsd_abi::layout`). Every
//! group has a `CALLS` table; [`register`] adds them all to a kernel.

pub(crate) mod msg;
mod socket;
mod sockopt;

pub use socket::socket;
pub use sockopt::{getsockopt, setsockopt};

use crate::net::Net;
use crate::socket::{ProtoSocket, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_NOSIGPIPE, Socket};
use netbsd_abi::{O_NONBLOCK, O_RDWR};
use rump::file::File;
use rump::syscall::{Ctx, SyscallFn};
use rump::usermem::{UserSpace, copyin_array, copyin_vec};
use rump::{Errno, KResult, Kernel};
use std::sync::Arc;

/// Longest sockaddr a call takes (`sockaddr_storage`, or `sockaddr_un`).
const MAX_SOCKADDR: usize = 255;

/// One group's table: NetBSD's number, the name it has there, the handler.
type Calls = &'static [(usize, &'static str, SyscallFn)];

/// The socket open at `fd`: ENOTSOCK if it is another kind of file.
pub(super) fn with_sock<R>(
    ctx: &Ctx,
    fd: i32,
    f: impl FnOnce(&Socket) -> KResult<R>,
) -> KResult<R> {
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
pub(super) fn install(ctx: &Ctx, proto: Arc<dyn ProtoSocket>, flags: i32) -> KResult<i32> {
    let nonblock = flags & SOCK_NONBLOCK != 0;
    let sock = Socket::new(proto, nonblock, flags & SOCK_NOSIGPIPE != 0);
    let nosigpipe = if flags & SOCK_NOSIGPIPE != 0 {
        netbsd_abi::O_NOSIGPIPE
    } else {
        0
    };
    let fl = O_RDWR | if nonblock { O_NONBLOCK } else { 0 } | nosigpipe;
    ctx.fd_alloc_cloexec(
        File::new(Box::new(sock), fl as u32),
        flags & SOCK_CLOEXEC != 0,
    )
}

/// A sockaddr argument, checked for length.
pub(super) fn sockaddr_in(us: &dyn UserSpace, addr: u64, len: u64) -> KResult<Vec<u8>> {
    let len = usize::try_from(len).map_err(|_| Errno::EINVAL)?;
    if !(2..=MAX_SOCKADDR).contains(&len) {
        return Err(Errno::EINVAL);
    }
    let mut sa = copyin_vec(us, addr, len)?;
    // The length the caller passed is the one that counts (sockargs).
    sa[0] = len as u8;
    Ok(sa)
}

/// The id of the `KTR_USER` record of a socket address a call passes or
/// gets (`mbuftypes[MT_SONAME]`, `sys/mbuf.h`), and of its `struct msghdr`.
pub(super) const KTR_SONAME: &str = "mbsoname";
const KTR_MSGHDR: &str = "msghdr";

/// The `struct msghdr` a send or receive call works with, as NetBSD's
/// `do_sys_sendmsg`/`do_sys_recvmsg` record it: for sendto and recvfrom
/// the one they make (its iovec lives in the kernel: no address of it is
/// shown).
pub(super) fn ktrace_msghdr(ctx: &Ctx, name: u64, namelen: u32, flags: i32) {
    use netbsd_abi::layout::msghdr;
    let mut m = [0u8; msghdr::SIZE];
    msghdr::msg_name.put(&mut m, name);
    msghdr::msg_namelen.put(&mut m, u64::from(namelen));
    msghdr::msg_iovlen.put(&mut m, 1);
    msghdr::msg_flags.put(&mut m, flags as u32 as u64);
    rump::ktrace::kuser(ctx, KTR_MSGHDR, &m);
}

/// The destination of a send, recorded as NetBSD's `sockargs` records it
/// (bind and connect take theirs without a record, `sockargs_sb`).
pub(super) fn sendto_name(ctx: &Ctx, us: &dyn UserSpace, addr: u64, len: u64) -> KResult<Vec<u8>> {
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
pub(super) fn sockaddr_out(
    ctx: &Ctx,
    us: &dyn UserSpace,
    asa: u64,
    alen: u64,
    sa: &[u8],
) -> KResult<()> {
    if asa == 0 || alen == 0 {
        return Ok(());
    }
    let have = u32::from_le_bytes(copyin_array::<4>(us, alen)?) as usize;
    let n = have.min(sa.len());
    rump::ktrace::kuser(ctx, KTR_SONAME, &sa[..n]);
    us.copyout(asa, &sa[..n])?;
    us.copyout(alen, &(n as u32).to_le_bytes())
}

/// Register the socket calls in `k`'s table.
pub(crate) fn register(k: &Kernel) -> KResult<()> {
    for table in [socket::CALLS, msg::CALLS, sockopt::CALLS] {
        for &(n, name, f) in table {
            k.register_syscall(n, name, f)?;
        }
    }
    Ok(())
}
