//! cgd's ioctl decoders (`CGDIOCSET`'s `struct cgd_ioctl` and what it
//! points to, `CGDIOCCLR`, `CGDIOCGET`, the disk ioctls) and
//! `rump.cgdconfig`'s parameters-file parser.

use crate::{BASE, SIZE};
use rump::usermem::BufferSpace;
use rump::{BootConfig, KernelBuilder};
use rumpdev_cgd::cgdio::{CGDIOCCLR, CGDIOCGET, CGDIOCSET, cgd_ioctl};

/// The ioctls a caller may make on cgd's devices.
const CGD_IOCTLS: &[u64] = &[
    CGDIOCSET,
    CGDIOCCLR,
    CGDIOCGET,
    rumpdev::disk::DIOCGDINFO,
    rumpdev::disk::DIOCSDINFO,
    rumpdev::disk::DIOCWDINFO,
    rumpdev::disk::DIOCGPARTINFO,
    rumpdev::disk::DIOCWLABEL,
    rumpdev::disk::DIOCKLABEL,
    rumpdev::disk::DIOCGDEFLABEL,
    rumpdev::disk::DIOCCACHESYNC,
    rumpdev::disk::DIOCGMEDIASIZE,
];

/// Names `CGDIOCSET` may be given, right and wrong.
const NAMES: &[&[u8]] = &[
    b"aes-cbc\0",
    b"aes-xts\0",
    b"3des-cbc\0",
    b"blowfish-cbc\0",
    b"encblkno1\0",
    b"encblkno8\0",
    b"encblkno\0",
    b"/dev/vnd0d\0",
    b"/img\0",
];

/// cgd's ioctl decoders: `SetRequest::decode` on the input as the
/// structure and the caller's memory, then a run of ioctls chosen by the
/// input on the raw devices of cgd0 over vnd0 (a `CGDIOCSET` of names and
/// a key length from the input, the key in it), each followed by a read
/// and a write. Nothing may panic, and the kernel still answers.
pub fn cgd_ioctl(data: &[u8]) {
    use rumpvfs::VfsCalls;
    use rumpvfs::flags::{O_CREAT, O_RDWR};
    let Some((&count, rest)) = data.split_first() else {
        return;
    };
    let us = BufferSpace::new(BASE, SIZE);
    us.poke(BASE, &rest[..rest.len().min(SIZE)]);
    let mut at = BASE + SIZE as u64 - 256;
    let mut names = Vec::new();
    for n in NAMES {
        us.poke(at, n);
        names.push(at);
        at += 24;
    }
    let _ = rumpdev_cgd::SetRequest::decode(&rest[..rest.len().min(64)], &us);
    let k = KernelBuilder::new()
        // No kernel threads: a syncer would outlive each input's kernel.
        .config(BootConfig {
            ncpu: 1,
            threads: false,
            ..BootConfig::default()
        })
        .component(&rumpvfs::COMPONENT)
        .component(&rumpdev::COMPONENT)
        .component(&rumpdev_vnd::COMPONENT)
        .component(&rumpdev_cgd::COMPONENT)
        .boot()
        .expect("boot");
    let Ok(img) = k.sys_open("/img", O_CREAT | O_RDWR, 0o644) else {
        return;
    };
    let size = 512 * (64 + u64::from(rest.first().copied().unwrap_or(0)) * 16);
    let _ = k.sys_pwrite(img, &[0], size as i64 - 1);
    if let Ok(v) = k.sys_open("/dev/rvnd0d", O_RDWR, 0) {
        let mut arg = [0u8; rumpdev_vnd::vndio::vnd_ioctl::SIZE];
        rumpdev_vnd::vndio::vnd_ioctl::vnd_file.put(&mut arg, names[8]);
        let vus = BufferSpace::new(BASE, SIZE);
        vus.poke(BASE, &arg);
        vus.poke(names[8], NAMES[8]);
        let _ = k.syscall(
            netbsd_abi::SYS_ioctl,
            &[v as u64, rumpdev_vnd::vndio::VNDIOCSET, BASE],
            &vus,
        );
        let _ = k.sys_close(v);
    }
    for (i, op) in rest.chunks(6).take(usize::from(count % 16)).enumerate() {
        let byte = |j: usize| op.get(j).copied().unwrap_or(0);
        let cmd = CGD_IOCTLS[usize::from(byte(0)) % CGD_IOCTLS.len()];
        let path = format!("/dev/rcgd0{}", char::from(b'a' + byte(1) % 8));
        let Ok(fd) = k.sys_open(&path, O_RDWR, 0) else {
            continue;
        };
        let arg = BASE + u64::from(byte(2)) * 8;
        if cmd == CGDIOCSET && i % 2 == 0 {
            let pick = |j: usize| names[usize::from(byte(j)) % names.len()];
            let mut c = [0u8; cgd_ioctl::SIZE];
            cgd_ioctl::ci_disk.put(&mut c, names[7]);
            cgd_ioctl::ci_alg.put(&mut c, pick(3));
            cgd_ioctl::ci_ivmethod.put(&mut c, pick(4));
            cgd_ioctl::ci_key.put(&mut c, BASE);
            cgd_ioctl::ci_keylen.put(&mut c, u64::from(byte(5)) * 8);
            cgd_ioctl::ci_blocksize.put(&mut c, u64::MAX);
            us.poke(arg, &c);
        }
        let _ = k.syscall(netbsd_abi::SYS_ioctl, &[fd as u64, cmd, arg], &us);
        let mut buf = [0u8; 1536];
        let off = i64::from(byte(3)) * 512;
        let _ = k.sys_pread(fd, &mut buf, off);
        let _ = k.sys_pwrite(fd, &buf, off);
        let _ = k.sys_close(fd);
    }
    if let Ok(fd) = k.sys_open("/dev/cgd0a", O_RDWR, 0) {
        let mut buf = [0u8; 700];
        let _ = k.sys_pread(fd, &mut buf, 300);
        let _ = k.sys_pwrite(fd, &buf, 1000);
        let _ = k.sys_close(fd);
    }
    assert!(k.sys_getpid().is_ok());
}

/// A word `params_fput` writes that reads back as the same word.
fn plain(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./+=".contains(&b))
}

/// cgdconfig's parameters files: any text is parsed without panicking; a
/// file that parses is checked, and when it can be written out (plain
/// words, known methods) what is written parses, and writes out the same
/// again.
pub fn cgd_params(data: &[u8]) {
    use rump_cgdconfig::params::{Params, parse};
    let _ = rump_cgdconfig::bits::Bits::decode(&String::from_utf8_lossy(data));
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((p, _)) = parse(text) else {
        return;
    };
    let _ = p.verify(&mut |_| {});
    let mut filled: Params = p.clone();
    let _ = filled.fill_defaults();
    let words = [&p.algorithm, &p.ivmeth];
    if words
        .iter()
        .any(|w| w.as_deref().is_some_and(|w| !plain(w)))
    {
        return;
    }
    let Ok(out) = p.to_text() else {
        return;
    };
    let (q, _) = parse(&out).expect("what params_fput writes parses");
    // Written again, it is the same text (a method writes only what it
    // uses, and bsize has no keyword to be read back by, as NetBSD's).
    assert_eq!(q.to_text().as_deref(), Ok(out.as_str()));
    if p.bsize.is_none() {
        assert_eq!(q.algorithm, p.algorithm);
        assert_eq!(q.keylen, p.keylen);
    }
}
