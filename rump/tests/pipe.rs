//! Pipes as NetBSD's `tests/lib/libc/sys/t_pipe.c` and `t_pipe2.c` and
//! `tests/kernel/t_pipe*` check them: `pipe2`'s flags (and EINVAL for any
//! other), `O_NOSIGPIPE` and `F_SETNOSIGPIPE`/`F_GETNOSIGPIPE`, SIGPIPE and
//! EPIPE when the reader is gone, EOF when the writer is, non-blocking
//! EAGAIN when full, `PIPE_BUF` atomicity, `poll` readiness and wake-ups,
//! `fstat` of a pipe.

mod common;

use netbsd_abi::*;
use rump::syscall::PollFd;
use rump::usermem::BufferSpace;
use rump::{Errno, Kernel};
use std::sync::Arc;
use std::time::Duration;

/// `pipe2(flags)`: (read end, write end), or the error.
fn pipe2(k: &Kernel, flags: i32) -> Result<(i32, i32), Errno> {
    let us = BufferSpace::new(0x1000, 16);
    k.syscall(SYS_pipe2, &[0x1000, flags as u32 as u64], &us)?;
    let b = us.peek(0x1000, 8);
    let fd = |i: usize| i32::from_le_bytes(b[i..i + 4].try_into().unwrap());
    Ok((fd(0), fd(4)))
}

/// The signals posted to the local process since the last look.
fn signals(k: &Kernel) -> Vec<i32> {
    k.procs().local_proc().take_pending_signals()
}

#[test]
fn pipe2_takes_only_its_flags() {
    let k = common::boot();
    let (r, w) = pipe2(&k, O_CLOEXEC | O_NONBLOCK | O_NOSIGPIPE).unwrap();
    for fd in [r, w] {
        assert_eq!(k.sys_fcntl(fd, F_GETFD, 0).unwrap(), FD_CLOEXEC as u64);
        let fl = k.sys_fcntl(fd, F_GETFL, 0).unwrap() as i32;
        assert_eq!(fl & O_NONBLOCK, O_NONBLOCK);
        assert_eq!(k.sys_fcntl(fd, F_GETNOSIGPIPE, 0).unwrap(), 1);
    }
    assert_eq!(
        k.sys_fcntl(r, F_GETFL, 0).unwrap() as i32 & O_ACCMODE,
        O_RDONLY
    );
    assert_eq!(
        k.sys_fcntl(w, F_GETFL, 0).unwrap() as i32 & O_ACCMODE,
        O_WRONLY
    );
    let (r2, w2) = pipe2(&k, 0).unwrap();
    for fd in [r2, w2] {
        assert_eq!(k.sys_fcntl(fd, F_GETFD, 0).unwrap(), 0);
        assert_eq!(k.sys_fcntl(fd, F_GETNOSIGPIPE, 0).unwrap(), 0);
    }
    // t_pipe2's pipe2_einval: any other flag.
    for bad in [O_APPEND, O_CREAT, O_RDWR, 0x4000_0000] {
        assert_eq!(pipe2(&k, bad), Err(Errno::EINVAL), "{bad:#x}");
    }
}

#[test]
fn a_writer_without_a_reader_gets_epipe_and_sigpipe_unless_nosigpipe() {
    let k = common::boot();
    signals(&k);
    let (r, w) = pipe2(&k, 0).unwrap();
    k.sys_close(r).unwrap();
    assert_eq!(k.sys_write(w, b"x"), Err(Errno::EPIPE));
    assert_eq!(signals(&k), [SIGPIPE]);
    // F_SETNOSIGPIPE: EPIPE alone, and F_GETNOSIGPIPE says so; F_SETFL
    // keeps it.
    k.sys_fcntl(w, F_SETNOSIGPIPE, 1).unwrap();
    assert_eq!(k.sys_fcntl(w, F_GETNOSIGPIPE, 0).unwrap(), 1);
    k.sys_fcntl(w, F_SETFL, O_NONBLOCK as u64).unwrap();
    assert_eq!(k.sys_fcntl(w, F_GETNOSIGPIPE, 0).unwrap(), 1);
    assert_eq!(k.sys_write(w, b"x"), Err(Errno::EPIPE));
    assert!(signals(&k).is_empty());
    k.sys_fcntl(w, F_SETNOSIGPIPE, 0).unwrap();
    assert_eq!(k.sys_write(w, b"x"), Err(Errno::EPIPE));
    assert_eq!(signals(&k), [SIGPIPE]);
    // O_NOSIGPIPE from pipe2.
    let (r, w) = pipe2(&k, O_NOSIGPIPE).unwrap();
    k.sys_close(r).unwrap();
    assert_eq!(k.sys_write(w, b"x"), Err(Errno::EPIPE));
    assert!(signals(&k).is_empty());
}

#[test]
fn the_reader_sees_the_data_then_end_of_file() {
    let k = common::boot();
    let (r, w) = pipe2(&k, 0).unwrap();
    assert_eq!(k.sys_write(w, b"hello").unwrap(), 5);
    let st = k.sys_fstat(r).unwrap();
    assert_eq!(st.mode & S_IFMT as u32, S_IFIFO as u32);
    k.sys_close(w).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(k.sys_read(r, &mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"hello");
    assert_eq!(k.sys_read(r, &mut buf).unwrap(), 0);
}

#[test]
fn a_full_nonblocking_pipe_is_eagain_and_small_writes_are_atomic() {
    let k = common::boot();
    let (r, w) = pipe2(&k, O_NONBLOCK).unwrap();
    let chunk = [7u8; PIPE_BUF as usize];
    let mut total = 0;
    loop {
        match k.sys_write(w, &chunk) {
            Ok(n) => {
                // At most PIPE_BUF bytes go in whole or not at all.
                assert_eq!(n, chunk.len());
                total += n;
            }
            Err(e) => {
                assert_eq!(e, Errno::EAGAIN);
                break;
            }
        }
        assert!(total < 1 << 24, "the pipe never filled");
    }
    assert!(total >= PIPE_BUF as usize);
    // Empty and non-blocking: EAGAIN for the reader too.
    let mut buf = vec![0u8; total];
    let mut got = 0;
    while got < total {
        got += k.sys_read(r, &mut buf[got..]).unwrap();
    }
    assert_eq!(k.sys_read(r, &mut buf), Err(Errno::EAGAIN));
}

#[test]
fn poll_says_readable_writable_and_hangup_and_wakes_a_reader() {
    let k = common::boot();
    let (r, w) = pipe2(&k, 0).unwrap();
    let ev = (POLLIN | POLLOUT) as i16;
    let mut fds = [
        PollFd {
            fd: r,
            events: ev,
            revents: 0,
        },
        PollFd {
            fd: w,
            events: ev,
            revents: 0,
        },
    ];
    assert_eq!(k.sys_poll(&mut fds, 0).unwrap(), 1);
    assert_eq!(fds[0].revents, 0);
    assert_eq!(fds[1].revents, POLLOUT as i16);
    // A reader blocked in poll wakes when another thread writes.
    let k2 = Arc::clone(&k);
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        k2.sys_write(w, b"z").unwrap();
    });
    let mut rfd = [PollFd {
        fd: r,
        events: POLLIN as i16,
        revents: 0,
    }];
    assert_eq!(k.sys_poll(&mut rfd, 10_000).unwrap(), 1);
    assert_eq!(rfd[0].revents, POLLIN as i16);
    writer.join().unwrap();
    // The writer gone: the reader sees POLLHUP beside the data.
    k.sys_close(w).unwrap();
    rfd[0].revents = 0;
    k.sys_poll(&mut rfd, 0).unwrap();
    assert_eq!(rfd[0].revents & POLLHUP as i16, POLLHUP as i16);
}

/// select counts a hang-up as readable and writable, as NetBSD's selscan
/// does (`sel_flag`): the read end of a pipe whose writer is gone is in
/// the write set, and the write end of one whose reader is gone is in the
/// read set (answers of NetBSD 7.99's rump kernel to the same calls).
#[test]
fn select_counts_a_widowed_pipe_in_every_set_it_is_asked_in() {
    let k = common::boot();
    let (r, w) = pipe2(&k, 0).unwrap();
    k.sys_close(w).unwrap();
    let (r2, w2) = pipe2(&k, 0).unwrap();
    k.sys_close(r2).unwrap();
    let us = BufferSpace::new(0x1000, 64);
    let set = |fd: i32| {
        let mut b = [0u8; 8];
        b[fd as usize / 8] |= 1 << (fd % 8);
        b
    };
    // Read set at 0x1000 with w2, write set at 0x1010 with r; timeout zero.
    us.poke(0x1000, &set(w2));
    us.poke(0x1010, &set(r));
    us.poke(0x1020, &[0u8; 16]);
    let nfds = (r.max(w2) + 1) as u64;
    let n = k
        .syscall(SYS___select50, &[nfds, 0x1000, 0x1010, 0, 0x1020], &us)
        .unwrap()[0];
    assert_eq!(n, 2);
    assert_eq!(us.peek(0x1000, 8), set(w2));
    assert_eq!(us.peek(0x1010, 8), set(r));
}

/// Read `fd` in a thread of its own, by number (`syscall`: the way of
/// librump and remote clients) or typed (`sys_read`), while this thread
/// closes it.
fn read_closed_under(k: &Arc<Kernel>, fd: i32, by_number: bool) -> Result<usize, Errno> {
    let k2 = Arc::clone(k);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = if by_number {
            let us = BufferSpace::new(0x1000, 16);
            k2.syscall(SYS_read, &[fd as u64, 0x1000, 16], &us)
                .map(|r| r[0] as usize)
        } else {
            k2.sys_read(fd, &mut [0u8; 16])
        };
        let _ = tx.send(r);
    });
    std::thread::sleep(Duration::from_millis(300));
    k.sys_close(fd).unwrap();
    rx.recv_timeout(Duration::from_secs(5))
        .expect("the read did not end when its descriptor was closed")
}

#[test]
fn a_read_blocked_while_another_thread_closes_the_pipe_ends_at_once() {
    let k = common::boot();
    // A system call runs again and finds the descriptor gone, as NetBSD's
    // restarts; a typed call, which cannot run again, says EINTR.
    let (r, _w) = pipe2(&k, 0).unwrap();
    assert_eq!(read_closed_under(&k, r, true), Err(Errno::EBADF));
    let (r, _w) = pipe2(&k, 0).unwrap();
    assert_eq!(read_closed_under(&k, r, false), Err(Errno::EINTR));
}
