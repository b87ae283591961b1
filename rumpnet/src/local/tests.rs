//! The local domain under the socket layer: stream and datagram buffers,
//! low water marks, shutdown and close, names, listen queues and timeouts.
//! Expected values are what NetBSD's kernel answers (`uipc_usrreq.c`,
//! `uipc_socket.c`, measured against NetBSD's rump kernel); names live in
//! the test kit's fake file system and time in a manual clock.

use super::*;
use crate::setsockopt;
use crate::socket::{
    MSG_DONTWAIT, MSG_TRUNC, MSG_WAITALL, SO_ERROR, SO_RCVBUF, SO_RCVLOWAT, SO_RCVTIMEO, SO_SNDBUF,
    SO_SNDLOWAT, SO_SNDTIMEO, SOL_SOCKET,
};
use crate::testkit::*;
use rump::file::FileOps;
use std::sync::mpsc;
use std::time::Duration;

// ---- stream buffers

#[test]
fn a_stream_pair_has_pipsiz_buffers_and_a_cluster_of_send_low_water() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, _b) = pair_of(&ctx, SOCK_STREAM, true);
    assert_eq!(get_int(&a, SO_SNDBUF), 4096);
    assert_eq!(get_int(&a, SO_RCVBUF), 4096);
    assert_eq!(get_int(&a, SO_SNDLOWAT), 2048);
    assert_eq!(get_int(&a, SO_RCVLOWAT), 1);
}

#[test]
fn a_stream_holds_what_the_senders_buffer_allows_then_would_block() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    assert_eq!(send(&ctx, &a, &[7; 10000]), Ok(4096));
    assert_eq!(send(&ctx, &a, &[7; 10]), Err(Errno::EAGAIN));
    assert_eq!(b.proto().nread(), 4096);
}

#[test]
fn the_receivers_own_buffer_size_does_not_limit_a_stream() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    set_int(&b, SO_RCVBUF, 100).unwrap();
    assert_eq!(send(&ctx, &a, &[1; 10000]), Ok(4096));
}

#[test]
fn a_stream_send_waits_for_room_of_the_low_water_mark() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    send(&ctx, &a, &[1; 10000]).unwrap();
    assert_eq!(recv(&ctx, &b, 100).unwrap().len(), 100);
    // 100 bytes of room: less than the 2048 of SO_SNDLOWAT and the send.
    assert_eq!(send(&ctx, &a, &[2; 10000]), Err(Errno::EAGAIN));
    assert_eq!(a.poll(POLLOUT) & POLLOUT, 0, "not writable below lowat");
    // A send that fits whole goes, low water mark or not.
    assert_eq!(send(&ctx, &a, &[2; 50]), Ok(50));
    assert_eq!(recv(&ctx, &b, 3050).unwrap().len(), 3050);
    assert_eq!(a.poll(POLLOUT) & POLLOUT, POLLOUT);
    assert_eq!(send(&ctx, &a, &[3; 10000]), Ok(3100));
}

#[test]
fn shrinking_the_send_buffer_lowers_its_low_water_mark() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, _b) = pair_of(&ctx, SOCK_STREAM, true);
    set_int(&a, SO_SNDBUF, 100).unwrap();
    assert_eq!(get_int(&a, SO_SNDLOWAT), 100);
    assert_eq!(send(&ctx, &a, &[1; 10000]), Ok(100));
    assert_eq!(send(&ctx, &a, &[1; 10000]), Err(Errno::EAGAIN));
}

#[test]
fn low_water_marks_are_kept_within_their_buffers() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, _b) = pair_of(&ctx, SOCK_STREAM, true);
    set_int(&a, SO_SNDBUF, 1000).unwrap();
    set_int(&a, SO_SNDLOWAT, 5000).unwrap();
    assert_eq!(get_int(&a, SO_SNDLOWAT), 1000);
    set_int(&a, SO_RCVLOWAT, 99999).unwrap();
    assert_eq!(get_int(&a, SO_RCVLOWAT), 4096);
}

#[test]
fn buffer_sizes_sbreserve_cannot_grant_are_refused() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, _b) = pair_of(&ctx, SOCK_STREAM, true);
    assert_eq!(set_int(&a, SO_SNDBUF, 0), Err(Errno::EINVAL));
    assert_eq!(set_int(&a, SO_SNDBUF, -1), Err(Errno::EINVAL));
    assert_eq!(set_int(&a, SO_RCVBUF, 209_716), Err(Errno::ENOBUFS));
    assert_eq!(set_int(&a, SO_SNDBUF, 209_715), Ok(()));
    assert_eq!(get_int(&a, SO_SNDBUF), 209_715);
    assert_eq!(
        setsockopt(&a, SOL_SOCKET, SO_SNDBUF, &[1, 0]),
        Err(Errno::EINVAL),
        "a short value"
    );
}

#[test]
fn a_read_short_of_the_receive_low_water_mark_waits_unless_dontwait() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    set_int(&b, SO_RCVLOWAT, 10).unwrap();
    send(&ctx, &a, b"abc").unwrap();
    assert_eq!(recv(&ctx, &b, 100), Err(Errno::EAGAIN));
    assert_eq!(b.poll(POLLIN) & POLLIN, 0, "not readable below lowat");
    // Asking for no more than is there is no wait.
    assert_eq!(recv(&ctx, &b, 2).unwrap(), b"ab");
    let (d, _) = recv_flags(&ctx, &b, 100, MSG_DONTWAIT).unwrap();
    assert_eq!(d, b"c");
}

#[test]
fn the_end_of_a_stream_gives_way_to_the_receive_low_water_mark() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    set_int(&b, SO_RCVLOWAT, 10).unwrap();
    send(&ctx, &a, b"abc").unwrap();
    a.proto().shutdown(SHUT_WR).unwrap();
    assert_eq!(recv(&ctx, &b, 100).unwrap(), b"abc");
    assert_eq!(recv(&ctx, &b, 100).unwrap(), b"");
}

#[test]
fn stream_reads_take_what_is_asked_and_keep_the_rest_in_order() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    send(&ctx, &a, b"hello").unwrap();
    send(&ctx, &a, b"world").unwrap();
    let (d, _) = recv_flags(&ctx, &b, 3, MSG_PEEK).unwrap();
    assert_eq!(d, b"hel");
    assert_eq!(b.proto().nread(), 10, "a peek takes nothing");
    assert_eq!(recv(&ctx, &b, 7).unwrap(), b"hellowo");
    assert_eq!(recv(&ctx, &b, 7).unwrap(), b"rld");
    assert_eq!(recv(&ctx, &b, 7), Err(Errno::EAGAIN));
    assert_eq!(send(&ctx, &a, b""), Ok(0));
}

#[test]
fn a_blocking_stream_send_waits_until_everything_is_queued() {
    let (k, _) = boot();
    let (a, b) = k
        .with_ctx(|ctx| Ok(pair_of(ctx, SOCK_STREAM, false)))
        .unwrap();
    let data: Vec<u8> = (0..20000u32).map(|i| (i % 251) as u8).collect();
    let k2 = Arc::clone(&k);
    let sent = data.clone();
    let writer = std::thread::spawn(move || k2.with_ctx(|ctx| send(ctx, &a, &sent)));
    let mut got = Vec::new();
    while got.len() < data.len() {
        got.extend(k.with_ctx(|ctx| recv(ctx, &b, 3000)).unwrap());
    }
    assert_eq!(writer.join().unwrap(), Ok(data.len()));
    assert_eq!(got, data);
}

#[test]
fn msg_waitall_reads_until_the_buffer_is_full() {
    let (k, _) = boot();
    let (a, b) = k
        .with_ctx(|ctx| Ok(pair_of(ctx, SOCK_STREAM, false)))
        .unwrap();
    let k2 = Arc::clone(&k);
    let reader =
        std::thread::spawn(move || k2.with_ctx(|ctx| recv_flags(ctx, &b, 10, MSG_WAITALL)));
    k.with_ctx(|ctx| send(ctx, &a, b"abc")).unwrap();
    until_blocked(&k);
    k.with_ctx(|ctx| send(ctx, &a, b"defghij")).unwrap();
    let (d, r) = reader.join().unwrap().unwrap();
    assert_eq!(d, b"abcdefghij");
    assert_eq!(r.full, 10);
}

// ---- datagrams

#[test]
fn a_datagram_pair_has_soreserves_least_send_buffer() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, _b) = pair_of(&ctx, SOCK_DGRAM, true);
    assert_eq!(get_int(&a, SO_SNDBUF), 2560);
    assert_eq!(get_int(&a, SO_RCVBUF), 4096);
    assert!(a.keeps_records());
}

#[test]
fn a_datagram_larger_than_the_send_buffer_is_emsgsize() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_DGRAM, true);
    assert_eq!(send(&ctx, &a, &[0; 2561]), Err(Errno::EMSGSIZE));
    assert_eq!(send(&ctx, &a, &[0; 2560]), Ok(2560));
    assert_eq!(b.proto().nread(), 2560);
}

#[test]
fn a_full_datagram_receiver_answers_enobufs() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_DGRAM, true);
    assert_eq!(send(&ctx, &a, &[0; 2049]), Ok(2049));
    assert_eq!(send(&ctx, &a, &[0; 2048]), Err(Errno::ENOBUFS));
    assert_eq!(recv(&ctx, &b, 4096).unwrap().len(), 2049);
    assert_eq!(send(&ctx, &a, &[0; 2048]), Ok(2048), "room again");
}

#[test]
fn a_datagram_buffer_fills_by_mbufs_as_well_as_bytes() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let fill = |len: usize, first: Option<usize>| {
        let (a, _b) = pair_of(&ctx, SOCK_DGRAM, true);
        if let Some(f) = first {
            send(&ctx, &a, &vec![0; f]).unwrap();
        }
        let mut n = 0;
        while send(&ctx, &a, &vec![0; len]).is_ok() {
            n += 1;
        }
        assert_eq!(send(&ctx, &a, &vec![0; len]), Err(Errno::ENOBUFS));
        n
    };
    // Each empty datagram takes two mbufs of 512 bytes of the 8192 a
    // 4096-byte buffer may hold.
    assert_eq!(fill(0, None), 8);
    assert_eq!(fill(100, Some(2049)), 5);
}

#[test]
fn datagrams_keep_their_boundaries_and_a_short_read_truncates() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_DGRAM, true);
    send(&ctx, &a, b"0123456789").unwrap();
    send(&ctx, &a, b"ab").unwrap();
    let (d, r) = recv_flags(&ctx, &b, 4, MSG_PEEK).unwrap();
    assert_eq!((d.as_slice(), r.full), (&b"0123"[..], 10));
    let (d, r) = recv_flags(&ctx, &b, 4, 0).unwrap();
    assert_eq!(d, b"0123");
    assert_eq!((r.full, r.flags & MSG_TRUNC), (10, MSG_TRUNC));
    // The rest of the first datagram is gone with it.
    let (d, r) = recv_flags(&ctx, &b, 100, 0).unwrap();
    assert_eq!((d.as_slice(), r.flags), (&b"ab"[..], 0));
    assert_eq!(recv(&ctx, &b, 100), Err(Errno::EAGAIN));
}

#[test]
fn a_datagram_says_who_sent_it_named_or_not() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let rx = socket(&ctx, SOCK_DGRAM, true);
    rx.proto().bind(&ctx, &sun("/rx")).unwrap();
    let anon = socket(&ctx, SOCK_DGRAM, true);
    anon.proto().send(&ctx, b"1", Some(&sun("/rx")), 0).unwrap();
    let named = socket(&ctx, SOCK_DGRAM, true);
    named.proto().bind(&ctx, &sun("/tx")).unwrap();
    named
        .proto()
        .send(&ctx, b"2", Some(&sun("/rx")), 0)
        .unwrap();
    let (_, r) = recv_flags(&ctx, &rx, 10, 0).unwrap();
    assert_eq!(r.from.unwrap(), sun_noname(), "sun_noname");
    let (_, r) = recv_flags(&ctx, &rx, 10, 0).unwrap();
    assert_eq!(r.from.unwrap(), sun("/tx"));
}

#[test]
fn an_unconnected_datagram_without_an_address_is_edestaddrreq() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let s = socket(&ctx, SOCK_DGRAM, true);
    assert_eq!(send(&ctx, &s, b"x"), Err(Errno::EDESTADDRREQ));
    assert_eq!(recv(&ctx, &s, 1), Err(Errno::EAGAIN));
}

#[test]
fn a_datagram_to_a_missing_or_dead_name_is_refused() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let s = socket(&ctx, SOCK_DGRAM, true);
    let to = |p: &str| s.proto().send(&ctx, b"x", Some(&sun(p)), 0);
    assert_eq!(to("/nowhere"), Err(Errno::ENOENT));
    let gone = socket(&ctx, SOCK_DGRAM, true);
    gone.proto().bind(&ctx, &sun("/gone")).unwrap();
    drop(gone);
    assert_eq!(to("/gone"), Err(Errno::ECONNREFUSED));
}

#[test]
fn a_connected_datagram_socket_refuses_another_address_with_eisconn() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let rx = socket(&ctx, SOCK_DGRAM, true);
    rx.proto().bind(&ctx, &sun("/rx")).unwrap();
    let s = socket(&ctx, SOCK_DGRAM, true);
    s.connect(&ctx, &sun("/rx")).unwrap();
    assert_eq!(
        s.proto().send(&ctx, b"x", Some(&sun("/rx")), 0),
        Err(Errno::EISCONN)
    );
    assert_eq!(send(&ctx, &s, b"x"), Ok(1));
    assert_eq!(s.proto().peername().unwrap(), sun("/rx"));
}

#[test]
fn a_datagram_socket_whose_peer_closes_gets_econnreset_once() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let rx = socket(&ctx, SOCK_DGRAM, true);
    rx.proto().bind(&ctx, &sun("/rx")).unwrap();
    let s = socket(&ctx, SOCK_DGRAM, true);
    s.connect(&ctx, &sun("/rx")).unwrap();
    rx.close();
    assert_eq!(s.poll(POLLIN) & POLLIN, POLLIN, "the error is readable");
    assert_eq!(send(&ctx, &s, b"x"), Err(Errno::ECONNRESET));
    // Disconnected now: sendto would need an address.
    assert_eq!(send(&ctx, &s, b"x"), Err(Errno::EDESTADDRREQ));
    assert_eq!(get_int(&s, SO_ERROR), 0);
}

#[test]
fn the_econnreset_of_a_closed_datagram_peer_is_read_or_taken_once() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let rx = socket(&ctx, SOCK_DGRAM, true);
    rx.proto().bind(&ctx, &sun("/rx")).unwrap();
    let (s, t) = (
        socket(&ctx, SOCK_DGRAM, true),
        socket(&ctx, SOCK_DGRAM, true),
    );
    s.connect(&ctx, &sun("/rx")).unwrap();
    t.connect(&ctx, &sun("/rx")).unwrap();
    rx.close();
    assert_eq!(recv(&ctx, &s, 10), Err(Errno::ECONNRESET));
    assert_eq!(recv(&ctx, &s, 10), Err(Errno::EAGAIN));
    assert_eq!(get_int(&t, SO_ERROR), Errno::ECONNRESET.0);
    assert_eq!(get_int(&t, SO_ERROR), 0);
}

#[test]
fn the_datagram_pair_left_after_a_close_gets_econnreset_then_wants_an_address() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_DGRAM, true);
    b.close();
    drop(b);
    assert_eq!(send(&ctx, &a, b"x"), Err(Errno::ECONNRESET));
    assert_eq!(send(&ctx, &a, b"x"), Err(Errno::EDESTADDRREQ));
    assert_eq!(recv(&ctx, &a, 1), Err(Errno::EAGAIN));
}

#[test]
fn shutting_a_datagram_sockets_halves() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_DGRAM, true);
    send(&ctx, &a, b"queued").unwrap();
    a.proto().shutdown(SHUT_WR).unwrap();
    assert_eq!(send(&ctx, &a, b"x"), Err(Errno::EPIPE));
    b.proto().shutdown(SHUT_RD).unwrap();
    assert_eq!(recv(&ctx, &b, 10).unwrap(), b"", "flushed, then EOF");
    // The other direction is untouched.
    assert_eq!(send(&ctx, &b, b"y"), Ok(1));
    assert_eq!(recv(&ctx, &a, 10).unwrap(), b"y");
}

// ---- stream shutdown and close

#[test]
fn shutting_the_sending_half_gives_epipe_here_and_eof_there() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    send(&ctx, &a, b"last").unwrap();
    a.proto().shutdown(SHUT_WR).unwrap();
    assert_eq!(send(&ctx, &a, b"x"), Err(Errno::EPIPE));
    assert!(a.proto().cant_send_more());
    assert_eq!(recv(&ctx, &b, 10).unwrap(), b"last");
    assert_eq!(recv(&ctx, &b, 10).unwrap(), b"", "EOF after the data");
    // The other direction still works.
    assert_eq!(send(&ctx, &b, b"back"), Ok(4));
    assert_eq!(recv(&ctx, &a, 10).unwrap(), b"back");
}

#[test]
fn shutting_the_receiving_half_reads_eof_and_drops_what_arrives() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    send(&ctx, &a, b"abc").unwrap();
    b.proto().shutdown(SHUT_RD).unwrap();
    assert_eq!(recv(&ctx, &b, 10).unwrap(), b"", "sorflush dropped abc");
    assert_eq!(send(&ctx, &a, b"more"), Ok(4), "accepted and dropped");
    assert_eq!(b.proto().nread(), 0);
    assert_eq!(recv(&ctx, &b, 10).unwrap(), b"");
}

#[test]
fn shutdown_takes_only_shut_rd_wr_and_rdwr() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    assert_eq!(a.proto().shutdown(7), Err(Errno::EINVAL));
    assert_eq!(a.proto().shutdown(-1), Err(Errno::EINVAL));
    a.proto().shutdown(SHUT_RDWR).unwrap();
    assert_eq!(send(&ctx, &a, b"x"), Err(Errno::EPIPE));
    assert_eq!(recv(&ctx, &a, 1).unwrap(), b"");
    assert_eq!(recv(&ctx, &b, 1).unwrap(), b"");
}

#[test]
fn a_closed_peer_gives_eof_to_reads_and_epipe_to_writes() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    send(&ctx, &b, b"bye").unwrap();
    b.close();
    drop(b);
    assert_eq!(recv(&ctx, &a, 10).unwrap(), b"bye", "data first");
    assert_eq!(recv(&ctx, &a, 10).unwrap(), b"");
    assert_eq!(send(&ctx, &a, b"x"), Err(Errno::EPIPE));
    // The end is EV_EOF for kqueue; poll says readable, and never POLLHUP
    // (NetBSD's sopoll has no hang-up).
    assert!(a.proto().cant_recv_more());
    // Writable as well: the send fails at once (sowritable's
    // SS_CANTSENDMORE); NetBSD answers POLLIN | POLLOUT here.
    assert_eq!(a.poll(POLLIN | POLLOUT | POLLHUP), POLLIN | POLLOUT);
}

#[test]
fn an_unconnected_stream_is_enotconn_but_may_be_shut() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let s = socket(&ctx, SOCK_STREAM, true);
    assert_eq!(send(&ctx, &s, b"x"), Err(Errno::ENOTCONN));
    assert_eq!(recv(&ctx, &s, 1), Err(Errno::ENOTCONN));
    assert_eq!(s.proto().shutdown(SHUT_WR), Ok(()));
    assert_eq!(s.proto().peername(), Err(Errno::ENOTCONN));
}

// ---- names, listen and accept

#[test]
fn a_connection_waits_for_accept_and_then_carries_data_both_ways() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let l = socket(&ctx, SOCK_STREAM, true);
    l.proto().bind(&ctx, &sun("/srv")).unwrap();
    assert_eq!(l.accept(&ctx).err(), Some(Errno::EINVAL), "not listening");
    l.proto().listen(5).unwrap();
    assert_eq!(l.accept(&ctx).err(), Some(Errno::EAGAIN));
    let c = socket(&ctx, SOCK_STREAM, true);
    c.connect(&ctx, &sun("/srv")).unwrap();
    assert_eq!(l.proto().accept_ready(), 1);
    assert_eq!(l.poll(POLLIN) & POLLIN, POLLIN);
    let s = open(l.accept(&ctx).unwrap(), true);
    assert_eq!(s.proto().sockname().unwrap(), sun("/srv"));
    assert_eq!(c.proto().peername().unwrap(), sun("/srv"));
    send(&ctx, &c, b"ping").unwrap();
    assert_eq!(recv(&ctx, &s, 10).unwrap(), b"ping");
    send(&ctx, &s, b"pong").unwrap();
    assert_eq!(recv(&ctx, &c, 10).unwrap(), b"pong");
    assert_eq!(c.connect(&ctx, &sun("/srv")), Err(Errno::EISCONN));
}

#[test]
fn a_full_listen_queue_refuses_as_sonewconn_does() {
    // sonewconn queues while no more than 3/2 of the backlog wait.
    for (backlog, fits) in [(-1, 1), (0, 1), (1, 2), (2, 4), (3, 5), (4, 7), (5, 8)] {
        let (k, _) = boot();
        let ctx = k.enter().unwrap();
        let l = socket(&ctx, SOCK_STREAM, true);
        l.proto().bind(&ctx, &sun("/q")).unwrap();
        l.proto().listen(backlog).unwrap();
        let mut clients = Vec::new();
        let refused = loop {
            let c = socket(&ctx, SOCK_STREAM, true);
            match c.connect(&ctx, &sun("/q")) {
                Ok(()) => clients.push(c),
                Err(e) => break e,
            }
            assert!(clients.len() <= 200, "never refused");
        };
        assert_eq!((backlog, clients.len()), (backlog, fits));
        assert_eq!(refused, Errno::ECONNREFUSED);
        // One accepted makes room for one more.
        l.accept(&ctx).unwrap();
        assert_eq!(
            socket(&ctx, SOCK_STREAM, true).connect(&ctx, &sun("/q")),
            Ok(())
        );
    }
}

#[test]
fn connecting_to_a_name_nobody_listens_on_or_of_another_type_fails() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let quiet = socket(&ctx, SOCK_STREAM, true);
    quiet.proto().bind(&ctx, &sun("/quiet")).unwrap();
    let d = socket(&ctx, SOCK_DGRAM, true);
    d.proto().bind(&ctx, &sun("/dgram")).unwrap();
    let c = socket(&ctx, SOCK_STREAM, true);
    assert_eq!(c.connect(&ctx, &sun("/quiet")), Err(Errno::ECONNREFUSED));
    assert_eq!(c.connect(&ctx, &sun("/dgram")), Err(Errno::EPROTOTYPE));
    assert_eq!(c.connect(&ctx, &sun("/none")), Err(Errno::ENOENT));
    assert_eq!(c.connect(&ctx, &sun_noname()), Err(Errno::EINVAL));
    // After those failures the socket is still unconnected.
    assert_eq!(send(&ctx, &c, b"x"), Err(Errno::ENOTCONN));
}

#[test]
fn binding_twice_or_to_a_taken_name_fails_and_listen_wants_a_name() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let a = socket(&ctx, SOCK_STREAM, true);
    assert_eq!(a.proto().listen(1), Err(Errno::EINVAL), "unbound");
    let d = socket(&ctx, SOCK_DGRAM, true);
    assert_eq!(d.proto().listen(1), Err(Errno::EINVAL), "unbound datagram");
    a.proto().bind(&ctx, &sun("/a")).unwrap();
    assert_eq!(a.proto().bind(&ctx, &sun("/b")), Err(Errno::EINVAL));
    let b = socket(&ctx, SOCK_STREAM, true);
    assert_eq!(b.proto().bind(&ctx, &sun("/a")), Err(Errno::EADDRINUSE));
    assert_eq!(a.proto().sockname().unwrap(), sun("/a"));
    assert_eq!(b.proto().sockname().unwrap(), sun_noname());
}

#[test]
fn a_bound_datagram_socket_may_listen_and_still_takes_datagrams() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let d = socket(&ctx, SOCK_DGRAM, true);
    d.proto().bind(&ctx, &sun("/d")).unwrap();
    assert_eq!(d.proto().listen(1), Ok(()));
    assert_eq!(
        get_int(&d, netbsd_abi::SO_ACCEPTCONN),
        netbsd_abi::SO_ACCEPTCONN
    );
    assert_eq!(d.accept(&ctx).err(), Some(Errno::EAGAIN), "nothing comes");
    let s = socket(&ctx, SOCK_DGRAM, true);
    s.proto().send(&ctx, b"x", Some(&sun("/d")), 0).unwrap();
    assert_eq!(d.poll(POLLIN | POLLOUT), POLLIN | POLLOUT);
    assert_eq!(recv(&ctx, &d, 10).unwrap(), b"x");
    // A connected datagram socket may not.
    s.proto().bind(&ctx, &sun("/s")).unwrap();
    s.connect(&ctx, &sun("/d")).unwrap();
    assert_eq!(s.proto().listen(1), Err(Errno::EINVAL));
}

#[test]
fn closing_a_listener_ends_the_connections_nobody_accepted() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let l = socket(&ctx, SOCK_STREAM, true);
    l.proto().bind(&ctx, &sun("/srv")).unwrap();
    l.proto().listen(5).unwrap();
    let c = socket(&ctx, SOCK_STREAM, true);
    c.connect(&ctx, &sun("/srv")).unwrap();
    l.close();
    assert_eq!(recv(&ctx, &c, 10).unwrap(), b"");
    assert_eq!(send(&ctx, &c, b"x"), Err(Errno::EPIPE));
}

// ---- timeouts on the kernel's clock

#[test]
fn a_receive_timeout_ends_in_ewouldblock_when_the_clock_says_so() {
    let (k, clock) = boot();
    let (a, b) = k
        .with_ctx(|ctx| Ok(pair_of(ctx, SOCK_STREAM, false)))
        .unwrap();
    set_timeout(&b, SO_RCVTIMEO, Duration::from_secs(30));
    let (tx, rx) = mpsc::channel();
    let k2 = Arc::clone(&k);
    let reader = std::thread::spawn(move || {
        let _ = tx.send(k2.with_ctx(|ctx| recv(ctx, &b, 10)));
    });
    until_blocked(&k);
    clock.advance(Duration::from_secs(29));
    assert!(
        rx.recv_timeout(Duration::from_millis(50)).is_err(),
        "29 s of 30"
    );
    clock.advance(Duration::from_secs(2));
    assert_eq!(rx.recv().unwrap(), Err(Errno::EAGAIN));
    reader.join().unwrap();
    drop(a);
}

#[test]
fn data_before_the_receive_timeout_is_returned() {
    let (k, _) = boot();
    let (a, b) = k
        .with_ctx(|ctx| Ok(pair_of(ctx, SOCK_STREAM, false)))
        .unwrap();
    set_timeout(&b, SO_RCVTIMEO, Duration::from_secs(30));
    let k2 = Arc::clone(&k);
    let reader = std::thread::spawn(move || k2.with_ctx(|ctx| recv(ctx, &b, 10)));
    until_blocked(&k);
    k.with_ctx(|ctx| send(ctx, &a, b"in time")).unwrap();
    assert_eq!(reader.join().unwrap().unwrap(), b"in time");
}

#[test]
fn a_send_timeout_on_a_full_stream_returns_what_was_queued() {
    let (k, clock) = boot();
    let (a, b) = k
        .with_ctx(|ctx| Ok(pair_of(ctx, SOCK_STREAM, false)))
        .unwrap();
    set_timeout(&a, SO_SNDTIMEO, Duration::from_secs(5));
    let k2 = Arc::clone(&k);
    let writer = std::thread::spawn(move || k2.with_ctx(|ctx| send(ctx, &a, &[9; 5000])));
    until_blocked(&k);
    clock.advance(Duration::from_secs(6));
    // sosend: a timeout after some was sent is a short count.
    assert_eq!(writer.join().unwrap(), Ok(4096));
    let k3 = Arc::clone(&k);
    let (a2, _b2) = k3
        .with_ctx(|ctx| Ok(pair_of(ctx, SOCK_STREAM, false)))
        .unwrap();
    set_timeout(&a2, SO_SNDTIMEO, Duration::from_secs(5));
    k.with_ctx(|ctx| send(ctx, &a2, &[9; 4096])).unwrap();
    let writer = std::thread::spawn(move || k3.with_ctx(|ctx| send(ctx, &a2, &[9; 10])));
    until_blocked(&k);
    clock.advance(Duration::from_secs(6));
    assert_eq!(writer.join().unwrap(), Err(Errno::EAGAIN), "nothing sent");
    drop(b);
}

// ---- what poll, FIONREAD and the pcblist see

#[test]
fn poll_follows_the_buffers_and_the_peer() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    assert_eq!(a.poll(POLLIN | POLLOUT), POLLOUT);
    send(&ctx, &a, &[0; 4096]).unwrap();
    assert_eq!(a.poll(POLLIN | POLLOUT), 0, "full");
    assert_eq!(b.poll(POLLIN | POLLOUT), POLLIN | POLLOUT);
    b.close();
    drop(b);
    assert_eq!(a.poll(POLLIN), POLLIN, "the end reads, with no POLLHUP");
}

#[test]
fn fionread_counts_stream_bytes_or_the_next_datagram() {
    let (k, _) = boot();
    let ctx = k.enter().unwrap();
    let (a, b) = pair_of(&ctx, SOCK_STREAM, true);
    send(&ctx, &a, b"abc").unwrap();
    send(&ctx, &a, b"de").unwrap();
    assert_eq!(b.proto().nread(), 5);
    let (a, b) = pair_of(&ctx, SOCK_DGRAM, true);
    send(&ctx, &a, b"abc").unwrap();
    send(&ctx, &a, b"de").unwrap();
    assert_eq!(b.proto().nread(), 3);
    // sb_cc counts each datagram's sender address with its bytes.
    assert_eq!(b.proto().rcv_cc(), 3 + 2 + 2 * sun_noname().len());
}
