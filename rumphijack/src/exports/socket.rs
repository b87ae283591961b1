//! The socket calls. `socket` and `socketpair` go to the kernel for the
//! families `RUMPHIJACK`'s `socket=` names; every other call follows its
//! descriptor. Addresses, flags and option names are translated here;
//! control messages (descriptor passing, credentials) are not offered for
//! kernel sockets yet and fail with EOPNOTSUPP.

use super::{Scratch, by_fd, host_fd, ret, ret0, rump_fd};
use crate::state::{self, Hijack};
use crate::xlate;
use libc::{c_int, c_void, size_t, sockaddr, socklen_t, ssize_t};
use rumpclient::ClientMemory as _;

/// Room for any address the kernel gives back.
const ADDR_ROOM: usize = 256;
/// The most control-message room a receive asks of the kernel: more than
/// every message the kernel makes for one datagram, and a bound on what a
/// program's `msg_controllen` makes the library allocate.
const MAX_CONTROL: usize = 64 * 1024;

/// The program's address at `addr` (`len` bytes), as NetBSD's.
fn addr_in(addr: *const sockaddr, len: socklen_t) -> Result<Vec<u8>, i32> {
    let b = super::mem_read(addr as u64, len as usize)?;
    xlate::sockaddr_to_netbsd(&b)
}

/// A NetBSD address the kernel wrote in `buf`, given to the program at
/// `addr` and `*lenp` as `getsockname` does: truncated to the room the
/// program gave, `*lenp` set to the whole length.
fn addr_out(buf: &[u8], addr: *mut sockaddr, lenp: *mut socklen_t) -> Result<(), i32> {
    if addr.is_null() || lenp.is_null() {
        return Ok(());
    }
    let room: socklen_t = super::get(lenp)?;
    let linux = xlate::sockaddr_from_netbsd(buf).unwrap_or_default();
    let n = linux.len().min(room as usize);
    super::mem_write(addr as u64, &linux[..n])?;
    super::put(lenp, &(linux.len() as socklen_t))
}

/// A call that gives an address back: `nr(k, rest_before..., buf, &len, rest_after...)`.
fn with_addr_out(
    h: &Hijack,
    nr: usize,
    before: &[u64],
    after: &[u64],
    addr: *mut sockaddr,
    lenp: *mut socklen_t,
) -> Result<i64, i32> {
    let mut buf = Scratch::new(ADDR_ROOM);
    let mut len = Scratch::new(4);
    len.0.copy_from_slice(&(ADDR_ROOM as u32).to_ne_bytes());
    let want = !addr.is_null() && !lenp.is_null();
    let mut args = before.to_vec();
    if want {
        args.extend([buf.arg(), len.arg()]);
    } else {
        args.extend([0, 0]);
    }
    args.extend_from_slice(after);
    let r = h.sys(nr, &args)?;
    if want {
        let n = u32::from_ne_bytes(len.bytes().try_into().unwrap_or_default()) as usize;
        addr_out(&buf.bytes()[..n.min(ADDR_ROOM)], addr, lenp)?;
    }
    Ok(r)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn socket(domain: c_int, typ: c_int, proto: c_int) -> c_int {
    match state::get() {
        Some(h) if h.cfg.socket_in_rump(domain) => {
            let r = xlate::family_to_netbsd(domain)
                .ok_or(libc::EAFNOSUPPORT)
                .and_then(|d| Ok((d, xlate::socket_type_to_netbsd(typ)?)))
                .and_then(|(d, t)| {
                    h.sys(
                        netbsd_abi::SYS___socket30,
                        &[u64::from(d), t as u64, proto as u64],
                    )
                });
            rump_fd(h, r)
        }
        _ => host_fd(host!(
            socket(domain, typ, proto) as fn(c_int, c_int, c_int) -> c_int
        )),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn socketpair(
    domain: c_int,
    typ: c_int,
    proto: c_int,
    sv: *mut c_int,
) -> c_int {
    match state::get() {
        Some(h) if h.cfg.socket_in_rump(domain) => {
            let mut pair = Scratch::new(8);
            let r = xlate::family_to_netbsd(domain)
                .ok_or(libc::EAFNOSUPPORT)
                .and_then(|d| Ok((d, xlate::socket_type_to_netbsd(typ)?)))
                .and_then(|(d, t)| {
                    h.sys(
                        netbsd_abi::SYS_socketpair,
                        &[u64::from(d), t as u64, proto as u64, pair.arg()],
                    )
                })
                .and_then(|_| {
                    let b = pair.bytes();
                    let off = h.cfg.fdoff;
                    let fds = [
                        i32::from_ne_bytes(b[0..4].try_into().unwrap_or_default()) + off,
                        i32::from_ne_bytes(b[4..8].try_into().unwrap_or_default()) + off,
                    ];
                    super::put(sv.cast::<[c_int; 2]>(), &fds).map(|_| 0)
                });
            ret0(r)
        }
        _ => {
            host!(socketpair(domain, typ, proto, sv) as fn(c_int, c_int, c_int, *mut c_int) -> c_int)
        }
    }
}

/// Define `bind` or `connect`.
macro_rules! addr_call {
    ($name:ident, $nr:expr) => {
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(fd: c_int, addr: *const sockaddr, len: socklen_t) -> c_int {
            match by_fd(fd) {
                Some((h, k)) => ret0(
                    addr_in(addr, len)
                        .and_then(|a| h.sys($nr, &[k as u64, a.as_ptr() as u64, a.len() as u64])),
                ),
                None => {
                    host!($name(fd, addr, len) as fn(c_int, *const sockaddr, socklen_t) -> c_int)
                }
            }
        }
    };
}

addr_call!(bind, netbsd_abi::SYS_bind);
addr_call!(connect, netbsd_abi::SYS_connect);

#[unsafe(no_mangle)]
pub unsafe extern "C" fn listen(fd: c_int, backlog: c_int) -> c_int {
    match by_fd(fd) {
        Some((h, k)) => ret0(h.sys(netbsd_abi::SYS_listen, &[k as u64, backlog as u64])),
        None => host!(listen(fd, backlog) as fn(c_int, c_int) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn shutdown(fd: c_int, how: c_int) -> c_int {
    // SHUT_RD, SHUT_WR and SHUT_RDWR are the same numbers.
    match by_fd(fd) {
        Some((h, k)) => ret0(h.sys(netbsd_abi::SYS_shutdown, &[k as u64, how as u64])),
        None => host!(shutdown(fd, how) as fn(c_int, c_int) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn accept(fd: c_int, addr: *mut sockaddr, lenp: *mut socklen_t) -> c_int {
    match by_fd(fd) {
        Some((h, k)) => rump_fd(
            h,
            with_addr_out(h, netbsd_abi::SYS_accept, &[k as u64], &[], addr, lenp),
        ),
        None => host_fd(host!(
            accept(fd, addr, lenp) as fn(c_int, *mut sockaddr, *mut socklen_t) -> c_int
        )),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn accept4(
    fd: c_int,
    addr: *mut sockaddr,
    lenp: *mut socklen_t,
    flags: c_int,
) -> c_int {
    match by_fd(fd) {
        Some((h, k)) => rump_fd(
            h,
            xlate::accept_flags_to_netbsd(flags).and_then(|f| {
                with_addr_out(
                    h,
                    netbsd_abi::SYS_paccept,
                    &[k as u64],
                    &[0, f as u64],
                    addr,
                    lenp,
                )
            }),
        ),
        None => host_fd(host!(accept4(fd, addr, lenp, flags)
            as fn(c_int, *mut sockaddr, *mut socklen_t, c_int) -> c_int)),
    }
}

/// Define `getsockname` or `getpeername`.
macro_rules! name_call {
    ($name:ident, $nr:expr) => {
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(fd: c_int, addr: *mut sockaddr, lenp: *mut socklen_t) -> c_int {
            match by_fd(fd) {
                Some((h, k)) if addr.is_null() || lenp.is_null() => {
                    let _ = (h, k);
                    ret0(Err(libc::EFAULT))
                }
                Some((h, k)) => ret0(with_addr_out(h, $nr, &[k as u64], &[], addr, lenp)),
                None => host!($name(fd, addr, lenp) as fn(c_int, *mut sockaddr, *mut socklen_t) -> c_int),
            }
        }
    };
}

name_call!(getsockname, netbsd_abi::SYS_getsockname);
name_call!(getpeername, netbsd_abi::SYS_getpeername);

fn rump_sendto(
    h: &Hijack,
    k: i32,
    buf: *const c_void,
    len: size_t,
    flags: c_int,
    addr: *const sockaddr,
    alen: socklen_t,
) -> Result<i64, i32> {
    let f = xlate::msg_flags_to_netbsd(flags)?;
    let a = if addr.is_null() {
        Vec::new()
    } else {
        addr_in(addr, alen)?
    };
    let (ap, al) = if a.is_empty() {
        (0, 0)
    } else {
        (a.as_ptr() as u64, a.len() as u64)
    };
    h.sys(
        netbsd_abi::SYS_sendto,
        &[k as u64, buf as u64, len as u64, f as u64, ap, al],
    )
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn send(fd: c_int, buf: *const c_void, len: size_t, flags: c_int) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => ret(rump_sendto(h, k, buf, len, flags, std::ptr::null(), 0)),
        None => {
            host!(send(fd, buf, len, flags) as fn(c_int, *const c_void, size_t, c_int) -> ssize_t)
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn sendto(
    fd: c_int,
    buf: *const c_void,
    len: size_t,
    flags: c_int,
    addr: *const sockaddr,
    alen: socklen_t,
) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => ret(rump_sendto(h, k, buf, len, flags, addr, alen)),
        None => host!(sendto(fd, buf, len, flags, addr, alen)
            as fn(
                c_int,
                *const c_void,
                size_t,
                c_int,
                *const sockaddr,
                socklen_t,
            ) -> ssize_t),
    }
}

fn rump_recvfrom(
    h: &Hijack,
    k: i32,
    buf: *mut c_void,
    len: size_t,
    flags: c_int,
    addr: *mut sockaddr,
    lenp: *mut socklen_t,
) -> Result<i64, i32> {
    let f = xlate::msg_flags_to_netbsd(flags)?;
    with_addr_out(
        h,
        netbsd_abi::SYS_recvfrom,
        &[k as u64, buf as u64, len as u64, f as u64],
        &[],
        addr,
        lenp,
    )
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn recv(fd: c_int, buf: *mut c_void, len: size_t, flags: c_int) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => ret(rump_recvfrom(
            h,
            k,
            buf,
            len,
            flags,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )),
        None => {
            host!(recv(fd, buf, len, flags) as fn(c_int, *mut c_void, size_t, c_int) -> ssize_t)
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn recvfrom(
    fd: c_int,
    buf: *mut c_void,
    len: size_t,
    flags: c_int,
    addr: *mut sockaddr,
    lenp: *mut socklen_t,
) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => ret(rump_recvfrom(h, k, buf, len, flags, addr, lenp)),
        None => host!(recvfrom(fd, buf, len, flags, addr, lenp)
            as fn(
                c_int,
                *mut c_void,
                size_t,
                c_int,
                *mut sockaddr,
                *mut socklen_t,
            ) -> ssize_t),
    }
}

/// `sendmsg`/`recvmsg` on a kernel socket, without control messages.
fn rump_msg(
    h: &Hijack,
    k: i32,
    msg: *mut libc::msghdr,
    flags: c_int,
    send: bool,
) -> Result<i64, i32> {
    let m: libc::msghdr = super::get(msg)?;
    let f = xlate::msg_flags_to_netbsd(flags)?;
    // The control buffer: the program's messages translated for a send;
    // for a receive, as much room as the program gave (the headers and
    // data of the translated types take the same room on both systems).
    let has_control = !m.msg_control.is_null() && m.msg_controllen != 0;
    let mut control = match (send, has_control) {
        (_, false) => Scratch::new(0),
        (true, true) => Scratch(xlate::control_to_netbsd(&super::mem_read(
            m.msg_control as u64,
            m.msg_controllen,
        )?)?),
        (false, true) => Scratch::new(m.msg_controllen.min(MAX_CONTROL)),
    };
    let mut name_buf = Scratch::new(ADDR_ROOM);
    let name_in = if send && !m.msg_name.is_null() {
        addr_in(m.msg_name.cast(), m.msg_namelen)?
    } else {
        Vec::new()
    };
    let (np, nl) = match (send, m.msg_name.is_null()) {
        (_, true) => (0, 0),
        (true, false) => (name_in.as_ptr() as u64, name_in.len() as u32),
        (false, false) => (name_buf.arg(), ADDR_ROOM as u32),
    };
    // NetBSD's iovec is Linux's; the header around it differs.
    use netbsd_abi::layout::msghdr;
    let mut hdr = Scratch::new(msghdr::SIZE);
    {
        let b = &mut hdr.0;
        msghdr::msg_name.put(b, np);
        msghdr::msg_namelen.put(b, nl.into());
        msghdr::msg_iov.put(b, m.msg_iov as u64);
        msghdr::msg_iovlen.put(b, m.msg_iovlen as u64);
        if !control.bytes().is_empty() {
            msghdr::msg_control.put(b, control.arg());
            msghdr::msg_controllen.put(b, control.bytes().len() as u64);
        }
    }
    let nr = if send {
        netbsd_abi::SYS_sendmsg
    } else {
        netbsd_abi::SYS_recvmsg
    };
    let r = h.sys(nr, &[k as u64, hdr.arg(), f as u64])?;
    if !send {
        let b = hdr.bytes();
        let got_len = msghdr::msg_namelen.get(b).unwrap_or(0) as usize;
        let got_flags = msghdr::msg_flags.get(b).unwrap_or(0) as u32 as i32;
        let mut out = m;
        out.msg_flags = xlate::msg_flags_to_linux(got_flags);
        out.msg_controllen = 0;
        if has_control {
            let got = msghdr::msg_controllen.get(b).unwrap_or(0) as usize;
            let kernel = &control.bytes()[..got.min(control.bytes().len())];
            let (linux, cut) = xlate::control_to_linux(kernel, m.msg_controllen);
            super::mem_write(m.msg_control as u64, &linux)?;
            out.msg_controllen = linux.len();
            if cut {
                out.msg_flags |= libc::MSG_CTRUNC;
            }
        }
        if !m.msg_name.is_null() {
            let mut len = m.msg_namelen;
            addr_out(
                &name_buf.bytes()[..got_len.min(ADDR_ROOM)],
                m.msg_name.cast(),
                &mut len,
            )?;
            out.msg_namelen = len;
        }
        super::put(msg, &out)?;
    }
    Ok(r)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn sendmsg(fd: c_int, msg: *const libc::msghdr, flags: c_int) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => ret(rump_msg(h, k, msg.cast_mut(), flags, true)),
        None => host!(sendmsg(fd, msg, flags) as fn(c_int, *const libc::msghdr, c_int) -> ssize_t),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn recvmsg(fd: c_int, msg: *mut libc::msghdr, flags: c_int) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => ret(rump_msg(h, k, msg, flags, false)),
        None => host!(recvmsg(fd, msg, flags) as fn(c_int, *mut libc::msghdr, c_int) -> ssize_t),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn setsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    val: *const c_void,
    len: socklen_t,
) -> c_int {
    match by_fd(fd) {
        Some((h, k)) if xlate::is_icmp6_filter(level, name) => {
            ret0(set_icmp6_filter(h, k, val, len))
        }
        Some((h, k)) => ret0(
            xlate::sockopt_to_netbsd(level, name)
                .ok_or(libc::ENOPROTOOPT)
                .and_then(|(l, n)| {
                    let set = |v: *const c_void| {
                        h.sys(
                            netbsd_abi::SYS_setsockopt,
                            &[k as u64, l as u64, n as u64, v as u64, u64::from(len)],
                        )
                    };
                    match set(val) {
                        Err(libc::ENOBUFS) if is_buffer_size(level, name, len) => {
                            // SAFETY: an int, as is_buffer_size checked the length.
                            let want = unsafe { *(val as *const c_int) };
                            largest_buffer(want, |v| set(&v as *const c_int as *const c_void))
                        }
                        r => r,
                    }
                }),
        ),
        None => host!(setsockopt(fd, level, name, val, len)
            as fn(c_int, c_int, c_int, *const c_void, socklen_t) -> c_int),
    }
}

/// The kernel's `ICMP6_FILTER` of socket `k`, in Linux's meaning.
fn linux_icmp6_filter(h: &Hijack, k: c_int) -> Result<[u8; xlate::ICMP6_FILTER_SIZE], i32> {
    let mut f = [0u8; xlate::ICMP6_FILTER_SIZE];
    let mut len = xlate::ICMP6_FILTER_SIZE as socklen_t;
    h.sys(
        netbsd_abi::SYS_getsockopt,
        &[
            k as u64,
            netbsd_abi::IPPROTO_ICMPV6 as u64,
            xlate::NETBSD_ICMP6_FILTER as u64,
            f.as_mut_ptr() as u64,
            &mut len as *mut socklen_t as u64,
        ],
    )?;
    Ok(xlate::icmp6_filter_invert(&f))
}

/// Linux's setsockopt(ICMP6_FILTER): like Linux, a shorter value sets
/// the filter's first bytes and keeps the rest; the kernel gets the
/// whole filter in NetBSD's meaning.
fn set_icmp6_filter(h: &Hijack, k: c_int, val: *const c_void, len: socklen_t) -> Result<i64, i32> {
    let n = (len as usize).min(xlate::ICMP6_FILTER_SIZE);
    let mut f = if n < xlate::ICMP6_FILTER_SIZE {
        linux_icmp6_filter(h, k)?
    } else {
        [0u8; xlate::ICMP6_FILTER_SIZE]
    };
    if n > 0 {
        let given = crate::mem::ProcessMemory
            .read(val as u64, n)
            .ok_or(libc::EFAULT)?;
        f[..n].copy_from_slice(&given);
    }
    let nb = xlate::icmp6_filter_invert(&f);
    h.sys(
        netbsd_abi::SYS_setsockopt,
        &[
            k as u64,
            netbsd_abi::IPPROTO_ICMPV6 as u64,
            xlate::NETBSD_ICMP6_FILTER as u64,
            nb.as_ptr() as u64,
            xlate::ICMP6_FILTER_SIZE as u64,
        ],
    )
}

/// Linux's getsockopt(ICMP6_FILTER): the filter in Linux's meaning, cut
/// to the caller's length as Linux cuts it.
fn get_icmp6_filter(
    h: &Hijack,
    k: c_int,
    val: *mut c_void,
    lenp: *mut socklen_t,
) -> Result<i64, i32> {
    let want = super::get(lenp)?;
    if (want as i32) < 0 {
        return Err(libc::EINVAL);
    }
    let f = linux_icmp6_filter(h, k)?;
    let n = (want as usize).min(xlate::ICMP6_FILTER_SIZE);
    if n > 0 && !crate::mem::ProcessMemory.write(val as u64, &f[..n]) {
        return Err(libc::EFAULT);
    }
    super::put(lenp, &(n as socklen_t))?;
    Ok(0)
}

/// Whether a setsockopt sets a socket buffer's size, an int.
fn is_buffer_size(level: c_int, name: c_int, len: socklen_t) -> bool {
    level == libc::SOL_SOCKET
        && (name == libc::SO_SNDBUF || name == libc::SO_RCVBUF)
        && len as usize == std::mem::size_of::<c_int>()
}

/// Linux caps a socket buffer size over its limit quietly, where NetBSD
/// refuses it (ENOBUFS over `sb_max`'s share): so that programs written
/// for Linux work, set the largest size below `want` that the kernel
/// takes, found by halving (the limit is a sysctl, `kern.sbmax`).
fn largest_buffer(want: c_int, set: impl Fn(c_int) -> Result<i64, i32>) -> Result<i64, i32> {
    let (mut ok, mut bad) = (0, want);
    while bad - ok > 1 {
        let mid = ok + (bad - ok) / 2;
        match set(mid) {
            Ok(_) => ok = mid,
            Err(libc::ENOBUFS) => bad = mid,
            Err(e) => return Err(e),
        }
    }
    // The last size taken is `ok`: the kernel holds it already.
    if ok == 0 { Err(libc::ENOBUFS) } else { Ok(0) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn getsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    val: *mut c_void,
    lenp: *mut socklen_t,
) -> c_int {
    let Some((h, k)) = by_fd(fd) else {
        return host!(getsockopt(fd, level, name, val, lenp)
            as fn(c_int, c_int, c_int, *mut c_void, *mut socklen_t) -> c_int);
    };
    if xlate::is_icmp6_filter(level, name) {
        return ret0(get_icmp6_filter(h, k, val, lenp));
    }
    let r = xlate::sockopt_to_netbsd(level, name)
        .ok_or(libc::ENOPROTOOPT)
        .and_then(|(l, n)| {
            h.sys(
                netbsd_abi::SYS_getsockopt,
                &[k as u64, l as u64, n as u64, val as u64, lenp as u64],
            )
        });
    match r {
        Ok(_) if level == libc::SOL_SOCKET && name == libc::SO_ERROR => {
            // The pending error is an errno: Linux's number for it.
            let r = super::get(val.cast::<c_int>()).and_then(|e| {
                super::put(
                    val.cast::<c_int>(),
                    &(if e == 0 { 0 } else { xlate::errno_to_linux(e) }),
                )
            });
            ret0(r.map(|_| 0))
        }
        r => ret0(r),
    }
}
