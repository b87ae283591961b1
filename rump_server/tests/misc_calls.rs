//! Calls of issue #16 through the remote protocol, as NetBSD's clients make
//! them: a call of a module the kernel lacks (ENOSYS and SIGSYS raised in
//! the client), asynchronous I/O whose results reach the client's memory,
//! and named semaphores shared by two clients and let go at exit.

mod common;
use common::cstr;

use netbsd_abi as abi;
use rumpclient::{Client, Regions, SignalDelivery};
use std::time::{Duration, Instant};

/// NetBSD's `struct aiocb` on amd64 (`sys/aio.h`): offset, buffer, length,
/// descriptor; 88 bytes.
const AIOCB_OFFSET: usize = 0;
const AIOCB_BUF: usize = 8;
const AIOCB_NBYTES: usize = 16;
const AIOCB_FILDES: usize = 24;
const AIOCB_SIZE: usize = 88;

fn call(c: &Client, nr: usize, args: &[u64], m: &Regions) -> Result<i64, rumpclient::Errno> {
    c.syscall(nr, args, m).map(|r| r[0])
}

fn aiocb(fd: i32, offset: i64, buf: u64, n: u64) -> Vec<u8> {
    let mut cb = vec![0u8; AIOCB_SIZE];
    cb[AIOCB_OFFSET..AIOCB_OFFSET + 8].copy_from_slice(&offset.to_le_bytes());
    cb[AIOCB_BUF..AIOCB_BUF + 8].copy_from_slice(&buf.to_le_bytes());
    cb[AIOCB_NBYTES..AIOCB_NBYTES + 8].copy_from_slice(&n.to_le_bytes());
    cb[AIOCB_FILDES..AIOCB_FILDES + 4].copy_from_slice(&fd.to_le_bytes());
    cb
}

/// Wait for the job of the control block at `cb` (aio_error says).
fn finished(c: &Client, cb: u64, m: &Regions) -> i64 {
    let t = Instant::now();
    loop {
        let e = call(c, abi::SYS_aio_error, &[cb], m).unwrap();
        if e != i64::from(abi::errno::EINPROGRESS) {
            return e;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "the job never ended");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn remote_clients_get_sigsys_aio_results_and_shared_semaphores() {
    let dir = common::tempdir("misc-calls");
    let url = format!("unix://{}", dir.join("s").display());
    let (mut server, c) = common::serve("rump_allserver", &[], &url);
    let m = Regions::new();

    // compat_50_mknod belongs to the compat module we do not have.
    c.set_signal_delivery(SignalDelivery::Record);
    assert_eq!(
        call(&c, abi::SYS_compat_50_mknod, &[0, 0, 0], &m),
        Err(rumpclient::Errno::ENOSYS)
    );
    c.getpid().unwrap();
    assert_eq!(c.take_signals(), [abi::SIGSYS as u32]);

    // aio: the write's data comes from the client, the read's lands there.
    let path = m.add(&cstr("/tmp/aio"));
    let fd = call(
        &c,
        abi::SYS_open,
        &[path, (abi::O_CREAT | abi::O_RDWR) as u64, 0o644],
        &m,
    )
    .unwrap() as i32;
    let data = m.add(b"remote aio");
    let wcb = m.add(&aiocb(fd, 0, data, 10));
    call(&c, abi::SYS_aio_write, &[wcb], &m).unwrap();
    assert_eq!(finished(&c, wcb, &m), 0);
    assert_eq!(call(&c, abi::SYS_aio_return, &[wcb], &m), Ok(10));
    let buf = m.add_zeroed(16);
    let rcb = m.add(&aiocb(fd, 7, buf, 16));
    call(&c, abi::SYS_aio_read, &[rcb], &m).unwrap();
    assert_eq!(finished(&c, rcb, &m), 0);
    assert_eq!(&m.get(buf)[..3], b"aio");
    assert_eq!(call(&c, abi::SYS_aio_return, &[rcb], &m), Ok(3));

    // A named semaphore: one client waits, another posts.
    let c2 = Client::connect(&url).unwrap();
    let m2 = Regions::new();
    let name = m.add(&cstr("/shared"));
    let id = m.add_zeroed(8);
    call(
        &c,
        abi::SYS__ksem_open,
        &[name, abi::O_CREAT as u64, 0o600, 0, id],
        &m,
    )
    .unwrap();
    let sem = u64::from_le_bytes(m.get(id)[..8].try_into().unwrap());
    let (name2, id2) = (m2.add(&cstr("/shared")), m2.add_zeroed(8));
    call(&c2, abi::SYS__ksem_open, &[name2, 0, 0, 0, id2], &m2).unwrap();
    let sem2 = u64::from_le_bytes(m2.get(id2)[..8].try_into().unwrap());
    let t = Instant::now();
    let poster = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        call(&c2, abi::SYS__ksem_post, &[sem2], &m2).unwrap();
        (c2, m2, sem2)
    });
    call(&c, abi::SYS__ksem_wait, &[sem], &m).unwrap();
    assert!(t.elapsed() >= Duration::from_millis(250));
    let (c2, m2, sem2) = poster.join().unwrap();
    // The first client goes: its descriptor of the semaphore closes.
    let st = m2.add_zeroed(abi::layout::stat::SIZE);
    call(&c2, abi::SYS___fstat50, &[sem2, st], &m2).unwrap();
    assert_eq!(abi::layout::stat::st_nlink.get(&m2.get(st)), Some(2));
    drop(c);
    let t = Instant::now();
    loop {
        call(&c2, abi::SYS___fstat50, &[sem2, st], &m2).unwrap();
        if abi::layout::stat::st_nlink.get(&m2.get(st)) == Some(1) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the exit kept the semaphore open"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = server.kill();
    let _ = server.wait();
}
