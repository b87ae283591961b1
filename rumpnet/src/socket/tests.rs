//! The open socket as a file: its ioctls, kqueue filters, stat, status
//! flags and SIGPIPE, over local sockets. Expected values are NetBSD's
//! (`sys_socket.c` `soo_ioctl`, `uipc_socket.c` `filt_soread` and
//! `filt_sowrite`, measured against NetBSD's rump kernel).

use super::*;
use crate::testkit::*;
use rump::kqueue::FilterState;
// A filter a socket does not have.
use rump::kqueue::consts::EVFILT_VNODE;
use rump::usermem::BufferSpace;

/// A `SOL_SOCKET` option number NetBSD does not define.
const NO_SUCH_OPTION: i32 = 0x7777;

/// An int-sized ioctl's answer.
fn ioctl_int(ctx: &Ctx, s: &Socket, cmd: u64) -> KResult<i32> {
    let mut data = [0u8; 4];
    s.ioctl(ctx, cmd, &mut data, &BufferSpace::new(0, 0))?;
    Ok(i32::from_le_bytes(data))
}

/// What `filter` says now, with `NOTE_LOWAT` of `lowat` if given.
fn filter(s: &Socket, filter: u32, lowat: Option<i64>) -> (bool, FilterState) {
    let mut kn = FilterState {
        filter,
        sfflags: if lowat.is_some() { NOTE_LOWAT } else { 0 },
        sdata: lowat.unwrap_or(0),
        ..FilterState::default()
    };
    let fired = s.kevent(&mut kn);
    (fired, kn)
}

#[test]
fn fionread_is_what_the_receive_buffer_holds_sender_addresses_included() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    send(&ctx, &a, &[0; 1000]).unwrap();
    send(&ctx, &a, &[0; 10]).unwrap();
    assert_eq!(ioctl_int(&ctx, &b, FIONREAD), Ok(1010));
    assert_eq!(ioctl_int(&ctx, &a, FIONREAD), Ok(0));
    let (a, b) = pair_of(&ctx, SOCK_DGRAM, true);
    send(&ctx, &a, &[0; 1000]).unwrap();
    send(&ctx, &a, &[0; 10]).unwrap();
    // Two datagrams, each with its two-byte unnamed sender.
    assert_eq!(ioctl_int(&ctx, &b, FIONREAD), Ok(1014));
}

#[test]
fn fionspace_is_the_senders_room_less_what_its_peer_holds() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    send(&ctx, &a, &[0; 1010]).unwrap();
    assert_eq!(ioctl_int(&ctx, &a, FIONSPACE), Ok(3086));
    assert_eq!(ioctl_int(&ctx, &a, FIONWRITE), Ok(0), "nothing stays here");
    assert_eq!(ioctl_int(&ctx, &b, FIONSPACE), Ok(4096));
    let (a, _b) = pair_of(&ctx, SOCK_DGRAM, true);
    send(&ctx, &a, &[0; 1000]).unwrap();
    assert_eq!(ioctl_int(&ctx, &a, FIONSPACE), Ok(2560));
}

#[test]
fn an_ioctl_with_no_room_for_its_int_is_einval() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, _b) = pair_of(&ctx, SOCK_STREAM, true);
    let mut short = [0u8; 2];
    assert_eq!(
        a.ioctl(&ctx, FIONREAD, &mut short, &BufferSpace::new(0, 0)),
        Err(Errno::EINVAL)
    );
    assert_eq!(ioctl_int(&ctx, &a, SIOCATMARK), Ok(0));
}

#[test]
fn the_read_filter_reports_the_buffer_and_the_end() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    assert!(!filter(&b, EVFILT_READ, None).0);
    send(&ctx, &a, b"abc").unwrap();
    let (fired, kn) = filter(&b, EVFILT_READ, None);
    assert!(fired);
    assert_eq!(kn.data, 3);
    assert!(!filter(&b, EVFILT_READ, Some(4)).0, "below NOTE_LOWAT");
    assert!(filter(&b, EVFILT_READ, Some(3)).0);
    a.proto().shutdown(SHUT_WR).unwrap();
    let (fired, kn) = filter(&b, EVFILT_READ, Some(100));
    assert!(fired, "the end fires whatever the mark");
    assert_ne!(kn.flags & EV_EOF, 0);
}

#[test]
fn the_write_filter_reports_the_room_and_a_shut_sending_half() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, _b) = pair_of(&ctx, SOCK_STREAM, true);
    let (fired, kn) = filter(&a, EVFILT_WRITE, None);
    assert!(fired);
    assert_eq!(kn.data, 4096);
    send(&ctx, &a, &[0; 3000]).unwrap();
    let (fired, kn) = filter(&a, EVFILT_WRITE, None);
    assert_eq!(kn.data, 1096);
    assert!(!fired, "below the send low water mark");
    assert!(filter(&a, EVFILT_WRITE, Some(1000)).0);
    a.proto().shutdown(SHUT_WR).unwrap();
    let (fired, kn) = filter(&a, EVFILT_WRITE, None);
    assert!(fired);
    assert_ne!(kn.flags & EV_EOF, 0);
}

#[test]
fn a_listening_sockets_read_filter_counts_connections() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let l = socket(&ctx, SOCK_STREAM, true);
    l.proto().bind(&ctx, &sun("/l")).unwrap();
    l.proto().listen(5).unwrap();
    assert!(!filter(&l, EVFILT_READ, None).0);
    for _ in 0..2 {
        socket(&ctx, SOCK_STREAM, true)
            .connect(&ctx, &sun("/l"))
            .unwrap();
    }
    let (fired, kn) = filter(&l, EVFILT_READ, None);
    assert!(fired);
    assert_eq!(kn.data, 2);
}

#[test]
fn only_read_and_write_filters_attach_to_a_socket() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, _b) = pair_of(&ctx, SOCK_STREAM, true);
    assert_eq!(a.kqfilter(EVFILT_READ), Ok(None));
    assert_eq!(a.kqfilter(EVFILT_WRITE), Ok(None));
    assert_eq!(a.kqfilter(EVFILT_VNODE), Err(Errno::EINVAL));
}

#[test]
fn o_nonblock_set_later_makes_a_blocking_socket_answer_ewouldblock() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, false);
    assert!(!b.nonblocking());
    b.set_status_flags(netbsd_abi::O_NONBLOCK as u32);
    assert!(b.nonblocking());
    assert_eq!(recv(&ctx, &b, 1), Err(Errno::EAGAIN));
    send(&ctx, &a, b"x").unwrap();
    assert_eq!(recv(&ctx, &b, 1).unwrap(), b"x");
}

#[test]
fn epipe_raises_sigpipe_unless_the_caller_asked_not_to() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, _b) = crate::local::pair(&ctx, crate::local::AF_LOCAL, SOCK_STREAM, 0).unwrap();
    let a = Socket::new(a, true, false);
    a.proto().shutdown(SHUT_WR).unwrap();
    let _ = ctx.proc().take_pending_signals();
    assert_eq!(a.send(&ctx, b"x", None, MSG_NOSIGNAL), Err(Errno::EPIPE));
    assert!(ctx.proc().take_pending_signals().is_empty(), "MSG_NOSIGNAL");
    assert_eq!(a.send(&ctx, b"x", None, 0), Err(Errno::EPIPE));
    assert_eq!(ctx.proc().take_pending_signals(), vec![SIGPIPE]);
    // F_SETNOSIGPIPE (O_NOSIGPIPE) and SO_NOSIGPIPE each keep it quiet.
    a.set_status_flags(netbsd_abi::O_NOSIGPIPE as u32);
    assert_eq!(a.send(&ctx, b"x", None, 0), Err(Errno::EPIPE));
    a.set_status_flags(0);
    set_int(&a, SO_NOSIGPIPE, 1).unwrap();
    assert_eq!(a.send(&ctx, b"x", None, 0), Err(Errno::EPIPE));
    assert!(ctx.proc().take_pending_signals().is_empty());
}

#[test]
fn a_socket_stats_as_a_socket_of_its_callers_owner() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    send(&ctx, &a, b"12345").unwrap();
    let st = b.stat(&ctx).unwrap();
    assert_eq!(st.mode, S_IFSOCK | 0o666);
    assert_eq!(st.uid, ctx.cred().euid);
    assert_eq!(st.size, 5);
    assert_eq!(b.dtype(), rump::file::DTYPE_SOCKET);
    assert!(!b.keeps_records());
}

#[test]
fn socket_options_read_back_and_unknown_ones_are_enoprotoopt() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, _b) = pair_of(&ctx, SOCK_DGRAM, true);
    assert_eq!(get_int(&a, SO_TYPE), SOCK_DGRAM);
    assert_eq!(get_int(&a, SO_REUSEADDR), 0);
    set_int(&a, SO_REUSEADDR, 7).unwrap();
    assert_eq!(get_int(&a, SO_REUSEADDR), SO_REUSEADDR, "the option's bit");
    // struct linger: l_onoff, then l_linger in seconds.
    let linger: Vec<u8> = [1i32, 5].iter().flat_map(|v| v.to_le_bytes()).collect();
    crate::setsockopt(&a, SOL_SOCKET, SO_LINGER, &linger).unwrap();
    assert_eq!(crate::getsockopt(&a, SOL_SOCKET, SO_LINGER), Ok(linger));
    assert_eq!(set_int(&a, NO_SUCH_OPTION, 1), Err(Errno::ENOPROTOOPT));
    assert_eq!(
        crate::getsockopt(&a, SOL_SOCKET, NO_SUCH_OPTION),
        Err(Errno::ENOPROTOOPT)
    );
}
