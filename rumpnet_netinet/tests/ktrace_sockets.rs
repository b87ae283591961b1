//! The ktrace records of socket calls, as NetBSD's `uipc_syscalls.c`
//! makes them: a send records the `struct msghdr` it works with
//! (`KTR_USER` "msghdr"), the destination it was given ("mbsoname", as
//! `sockargs` records it) and the data sent (`KTR_GENIO`); a receive its
//! msghdr, the data and the sender's address. The trace goes to a pipe,
//! as ktruss's does.

use netbsd_abi::layout::{msghdr, sockaddr_in};
use netbsd_abi::{
    AF_INET, RUMP_KTR_GENIO, RUMP_KTR_USER, RUMP_KTRFAC_GENIO, RUMP_KTRFAC_USER, RUMP_KTRFACv2,
    RUMP_KTROP_CLEAR, RUMP_KTROP_SET, SOCK_DGRAM, SYS___socket30, SYS_bind, SYS_fktrace, SYS_pipe2,
    SYS_read, SYS_recvfrom, SYS_sendto,
};
use rump::usermem::BufferSpace;
use rump::{BootConfig, KernelBuilder};

const BASE: u64 = 0x10000;
const HEADER: usize = 56;
/// `KTR_USER_MAXIDLEN`: the id before a `KTR_USER` record's data.
const IDLEN: usize = netbsd_abi::RUMP_KTR_USER_MAXIDLEN as usize;
/// `sizeof(struct ktr_genio)` (`sys/ktrace.h`): `int ktr_fd; enum uio_rw
/// ktr_rw;`, before the data.
const GENIO_HEAD: usize = 8;

fn sockaddr(port: u16) -> Vec<u8> {
    let mut sa = vec![0u8; sockaddr_in::SIZE];
    sockaddr_in::sin_len.put(&mut sa, sockaddr_in::SIZE as u64);
    sockaddr_in::sin_family.put(&mut sa, AF_INET as u64);
    sa[sockaddr_in::sin_port.range()].copy_from_slice(&port.to_be_bytes());
    sa[sockaddr_in::sin_addr.range()].copy_from_slice(&[127, 0, 0, 1]);
    sa
}

#[test]
fn sendto_and_recvfrom_record_msghdr_address_and_data() {
    let k = KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_netinet::COMPONENT)
        .console(Box::new(|_, _| ()))
        .boot()
        .unwrap();
    let l = k.lwproc_rfork(rump::lwproc::RUMP_RFCFDG).unwrap();
    let pid = l.proc().pid as u64;
    let us = BufferSpace::new(BASE, 64 << 10);
    let sys = |n: usize, args: &[u64]| k.syscall(n, args, &us).unwrap()[0];
    let s = sys(SYS___socket30, &[AF_INET as u64, SOCK_DGRAM as u64, 0]);
    us.poke(BASE, &sockaddr(7777));
    sys(SYS_bind, &[s, BASE, sockaddr_in::SIZE as u64]);
    sys(SYS_pipe2, &[BASE + 64, 0]);
    let ends = us.peek(BASE + 64, 8);
    let (r, w) = (
        u64::from(u32::from_le_bytes(ends[0..4].try_into().unwrap())),
        u64::from(u32::from_le_bytes(ends[4..8].try_into().unwrap())),
    );
    let facs = (RUMP_KTRFAC_USER | RUMP_KTRFAC_GENIO) as u64;
    let set = (RUMP_KTROP_SET | RUMP_KTRFACv2) as u64;
    sys(SYS_fktrace, &[w, set, facs, pid]);

    us.poke(BASE + 128, b"ping");
    assert_eq!(sys(SYS_sendto, &[s, BASE + 128, 4, 0, BASE, 16]), 4);
    us.poke(BASE + 256, &16u32.to_le_bytes());
    let got = sys(
        SYS_recvfrom,
        &[s, BASE + 192, 64, 0, BASE + 320, BASE + 256],
    );
    assert_eq!(got, 4);
    sys(SYS_fktrace, &[w, RUMP_KTROP_CLEAR as u64, facs, pid]);

    let n = sys(SYS_read, &[r, BASE + 4096, 8192]) as usize;
    let b = us.peek(BASE + 4096, n);
    let mut recs = Vec::new();
    let mut at = 0;
    while at + HEADER <= n {
        let len = i32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        let ty = i32::from(i16::from_le_bytes(b[at + 4..at + 6].try_into().unwrap()));
        recs.push((ty, b[at + HEADER..at + HEADER + len].to_vec()));
        at += HEADER + len;
    }
    assert_eq!(at, n, "whole records");
    let user = |id: &str, data: &[u8]| {
        let mut v = id.as_bytes().to_vec();
        v.resize(IDLEN, 0);
        v.extend_from_slice(data);
        (RUMP_KTR_USER, v)
    };
    let genio = |rw: i32, data: &[u8]| {
        let mut v = (s as i32).to_le_bytes().to_vec();
        v.extend_from_slice(&rw.to_le_bytes());
        v.extend_from_slice(data);
        (RUMP_KTR_GENIO, v)
    };
    let kinds: Vec<(i32, usize)> = recs.iter().map(|(t, p)| (*t, p.len())).collect();
    assert_eq!(
        kinds,
        [
            (RUMP_KTR_USER, IDLEN + msghdr::SIZE),
            (RUMP_KTR_USER, IDLEN + sockaddr_in::SIZE),
            (RUMP_KTR_GENIO, GENIO_HEAD + 4),
            (RUMP_KTR_USER, IDLEN + msghdr::SIZE),
            (RUMP_KTR_GENIO, GENIO_HEAD + 4),
            (RUMP_KTR_USER, IDLEN + sockaddr_in::SIZE),
        ]
    );
    assert_eq!(&recs[0].1[..IDLEN], &user("msghdr", &[]).1[..]);
    let m = &recs[0].1[IDLEN..];
    assert_eq!(
        msghdr::msg_name.get(m),
        Some(BASE),
        "the destination's address"
    );
    assert_eq!(msghdr::msg_namelen.get(m), Some(16));
    assert_eq!(recs[1], user("mbsoname", &sockaddr(7777)));
    assert_eq!(recs[2], genio(1, b"ping"));
    assert_eq!(recs[4], genio(0, b"ping"));
    assert_eq!(recs[5], user("mbsoname", &sockaddr(7777)));
}
