//! FIFOs and pipes: a FIFO's `open` waits for the other side (ENXIO for a
//! non-blocking writer alone), its data flows through a pipe that holds
//! `PIPE_SIZE` bytes, a reader sees end-of-file once the writers are gone
//! and a writer EPIPE once the readers are; `pipe(2)` and `pipe2(2)` by
//! number, as NetBSD's return their descriptors.

use rump::usermem::BufferSpace;
use rump::{BootConfig, Errno, Kernel, KernelBuilder};
use rumpvfs::VfsCalls;
use rumpvfs::flags::*;
use std::sync::Arc;
use std::time::Duration;

fn boot() -> Arc<Kernel> {
    KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .boot()
        .unwrap()
}

/// Read `fd` to end-of-file.
fn read_all(k: &Kernel, fd: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 7000];
    loop {
        match k.sys_read(fd, &mut buf).unwrap() {
            0 => return out,
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn a_fifo_joins_a_reader_and_a_writer() {
    let k = boot();
    k.sys_mkfifo("/f", 0o644).unwrap();
    assert_eq!(k.sys_stat("/f").unwrap().mode & 0o170000, 0o010000);
    // A non-blocking writer with no reader: ENXIO; a non-blocking reader
    // opens at once and reads end-of-file.
    assert_eq!(
        k.sys_open("/f", O_WRONLY | O_NONBLOCK, 0),
        Err(Errno::ENXIO)
    );
    let fd = k.sys_open("/f", O_RDONLY | O_NONBLOCK, 0).unwrap();
    assert_eq!(k.sys_read(fd, &mut [0u8; 8]), Ok(0));
    k.sys_close(fd).unwrap();
    // A reader waits in open for a writer.
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let k2 = Arc::clone(&k);
    let reader = std::thread::spawn(move || {
        let fd = k2.sys_open("/f", O_RDONLY, 0).unwrap();
        let got = read_all(&k2, fd);
        k2.sys_close(fd).unwrap();
        got
    });
    std::thread::sleep(Duration::from_millis(200));
    assert!(!reader.is_finished(), "open for reading did not wait");
    let w = k.sys_open("/f", O_WRONLY, 0).unwrap();
    assert_eq!(k.sys_fstat(w).unwrap().mode & 0o170000, 0o010000);
    // More than the pipe holds: the writer waits for the reader.
    for piece in data.chunks(30_000) {
        assert_eq!(k.sys_write(w, piece), Ok(piece.len()));
    }
    k.sys_close(w).unwrap();
    assert_eq!(reader.join().unwrap(), data);
    // A writer whose reader has gone: EPIPE.
    let r = k.sys_open("/f", O_RDONLY | O_NONBLOCK, 0).unwrap();
    let w = k.sys_open("/f", O_WRONLY, 0).unwrap();
    k.sys_close(r).unwrap();
    assert_eq!(k.sys_write(w, b"x"), Err(Errno::EPIPE));
    k.sys_close(w).unwrap();
    // Both ends in one descriptor never waits; a full pipe is EAGAIN when
    // non-blocking.
    let rw = k.sys_open("/f", O_RDWR | O_NONBLOCK, 0).unwrap();
    let big = vec![1u8; 20_000];
    assert_eq!(k.sys_write(rw, &big), Ok(rump::pipe::PIPE_SIZE));
    assert_eq!(k.sys_write(rw, b"y"), Err(Errno::EAGAIN));
    k.sys_close(rw).unwrap();
    // The data of a FIFO nobody has open is gone.
    let rw = k.sys_open("/f", O_RDWR | O_NONBLOCK, 0).unwrap();
    assert_eq!(k.sys_read(rw, &mut [0u8; 8]), Err(Errno::EAGAIN));
    k.sys_close(rw).unwrap();
}

#[test]
fn pipe_and_pipe2_by_number() {
    let k = boot();
    let us = BufferSpace::new(0x1000, 4096);
    let [r, w] = k.syscall(netbsd_abi::SYS_pipe, &[], &us).unwrap();
    let (r, w) = (r as i32, w as i32);
    assert_eq!(k.sys_write(w, b"hello"), Ok(5));
    assert_eq!(k.sys_read(w, &mut [0u8; 4]), Err(Errno::EBADF));
    k.sys_close(w).unwrap();
    assert_eq!(read_all(&k, r), b"hello");
    k.sys_close(r).unwrap();
    // pipe2(fildes, O_NONBLOCK | O_CLOEXEC)
    k.syscall(
        netbsd_abi::SYS_pipe2,
        &[0x1000, (O_NONBLOCK | O_CLOEXEC) as u64],
        &us,
    )
    .unwrap();
    let fds = us.peek(0x1000, 8);
    let r = i32::from_le_bytes(fds[..4].try_into().unwrap());
    let w = i32::from_le_bytes(fds[4..].try_into().unwrap());
    assert_eq!(k.sys_read(r, &mut [0u8; 4]), Err(Errno::EAGAIN));
    assert_eq!(k.sys_write(w, b"ab"), Ok(2));
    assert_eq!(k.sys_read(r, &mut [0u8; 4]), Ok(2));
    k.sys_close(r).unwrap();
    assert_eq!(k.sys_write(w, b"ab"), Err(Errno::EPIPE));
    assert_eq!(
        k.syscall(netbsd_abi::SYS_pipe2, &[0x1000, 0x8000_0000], &us),
        Err(Errno::EINVAL)
    );
}

/// A pipe's two descriptors by `pipe(2)`.
fn pipe(k: &Kernel) -> (i32, i32) {
    let us = BufferSpace::new(0x1000, 16);
    let [r, w] = k.syscall(netbsd_abi::SYS_pipe, &[], &us).unwrap();
    (r as i32, w as i32)
}

#[test]
fn readers_that_share_a_pipe_never_see_a_false_end_of_file() {
    let k = boot();
    let (r, w) = pipe(&k);
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let k = Arc::clone(&k);
            std::thread::spawn(move || {
                let mut got = 0usize;
                let mut b = [0u8; 1];
                // End of file comes only once the writer has closed.
                while k.sys_read(r, &mut b).unwrap() == 1 {
                    got += 1;
                }
                got
            })
        })
        .collect();
    for _ in 0..2000 {
        k.sys_write(w, b"z").unwrap();
    }
    std::thread::sleep(Duration::from_millis(50));
    let early: Vec<bool> = readers.iter().map(|t| t.is_finished()).collect();
    assert!(
        !early.iter().any(|&f| f),
        "a reader saw end-of-file with the writer open"
    );
    k.sys_close(w).unwrap();
    let total: usize = readers.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(total, 2000);
}

#[test]
fn writes_of_pipe_buf_bytes_from_many_writers_stay_whole() {
    let k = boot();
    let (r, w) = pipe(&k);
    let writers: Vec<_> = (0..4u8)
        .map(|id| {
            let k = Arc::clone(&k);
            std::thread::spawn(move || {
                let rec = [b'a' + id; rump::pipe::PIPE_BUF];
                for _ in 0..500 {
                    assert_eq!(k.sys_write(w, &rec), Ok(rec.len()));
                }
            })
        })
        .collect();
    let reader = {
        let k = Arc::clone(&k);
        std::thread::spawn(move || read_all(&k, r))
    };
    for t in writers {
        t.join().unwrap();
    }
    k.sys_close(w).unwrap();
    let all = reader.join().unwrap();
    assert_eq!(all.len(), 4 * 500 * rump::pipe::PIPE_BUF);
    for rec in all.chunks(rump::pipe::PIPE_BUF) {
        assert!(rec.iter().all(|&b| b == rec[0]), "a record was split");
    }
}

#[test]
fn vector_reads_lose_nothing_and_a_fifo_is_a_vnode_without_an_offset() {
    let k = boot();
    let us = BufferSpace::new(0x1000, 4096);
    // pipe2(fildes, O_NONBLOCK)
    k.syscall(netbsd_abi::SYS_pipe2, &[0x1000, O_NONBLOCK as u64], &us)
        .unwrap();
    let fds = us.peek(0x1000, 8);
    let r = i32::from_le_bytes(fds[..4].try_into().unwrap());
    let w = i32::from_le_bytes(fds[4..].try_into().unwrap());
    k.sys_write(w, &[7u8; 100]).unwrap();
    // readv(r, [{0x1100, 100}, {0x1200, 100}], 2): the 100 bytes, not EAGAIN.
    let mut iov = Vec::new();
    for (base, len) in [(0x1100u64, 100u64), (0x1200, 100)] {
        iov.extend_from_slice(&base.to_le_bytes());
        iov.extend_from_slice(&len.to_le_bytes());
    }
    us.poke(0x1010, &iov);
    assert_eq!(
        k.syscall(netbsd_abi::SYS_readv, &[r as u64, 0x1010, 2], &us),
        Ok([100, 0])
    );
    assert_eq!(us.peek(0x1100, 100), vec![7u8; 100]);
    // A pipe has no offset either (NetBSD's sys_pread: not a vnode).
    assert_eq!(k.sys_pread(r, &mut [0u8; 4], 0), Err(Errno::ESPIPE));
    assert_eq!(k.sys_pwrite(w, b"x", 0), Err(Errno::ESPIPE));
    // A FIFO's descriptor is a vnode's (fchmod, fstat) without an offset.
    k.sys_mkfifo("/f", 0o600).unwrap();
    let fd = k.sys_open("/f", O_RDWR, 0).unwrap();
    k.sys_fchmod(fd, 0o640).unwrap();
    assert_eq!(k.sys_fstat(fd).unwrap().mode & 0o7777, 0o640);
    assert_eq!(k.sys_lseek(fd, 0, SEEK_SET), Err(Errno::ESPIPE));
    assert_eq!(k.sys_pread(fd, &mut [0u8; 4], 0), Err(Errno::ESPIPE));
    k.sys_close(fd).unwrap();
}

#[test]
fn mknod_makes_no_fifo_and_no_untyped_file() {
    // As NetBSD's do_sys_mknodat: a FIFO is mkfifo's to make, and a type
    // of 0 is EINVAL; S_IFREG makes an empty regular file.
    let k = boot();
    let us = BufferSpace::new(0x1000, 64);
    for (name, mode, want) in [
        (&b"/p\0"[..], S_IFIFO | 0o644, Err(Errno::EINVAL)),
        (b"/z\0", 0o644, Err(Errno::EINVAL)),
        (b"/r\0", S_IFREG | 0o644, Ok(0)),
    ] {
        us.poke(0x1000, name);
        let got = k
            .syscall(
                netbsd_abi::SYS___mknod50,
                &[0x1000, u64::from(mode), 0],
                &us,
            )
            .map(|r| r[0]);
        assert_eq!(got, want, "mknod {:?}", std::str::from_utf8(name));
    }
    assert_eq!(k.sys_stat("/p"), Err(Errno::ENOENT));
    assert_eq!(k.sys_stat("/r").unwrap().mode & S_IFMT, S_IFREG);
    us.poke(0x1000, b"/p\0");
    k.syscall(netbsd_abi::SYS_mkfifo, &[0x1000, 0o644], &us)
        .unwrap();
    assert_eq!(k.sys_stat("/p").unwrap().mode & S_IFMT, S_IFIFO);
}
