//! File flags and extended attributes, which no file system here keeps:
//! each call finds its file as NetBSD's does, then answers EOPNOTSUPP.

use netbsd_abi as abi;
use rump::usermem::BufferSpace;
use rump::{Errno, Kernel, KernelBuilder};
use rumpvfs::VfsCalls;
use std::sync::Arc;

const BASE: u64 = 0x1000;
const PATH: u64 = BASE;
const NAME: u64 = BASE + 0x100;
const FDS: u64 = BASE + 0x200;

fn boot() -> Arc<Kernel> {
    KernelBuilder::new()
        .component(&rumpvfs::COMPONENT)
        .boot()
        .expect("boot")
}

#[test]
fn flags_and_extended_attributes_are_not_supported_after_the_lookup() {
    let k = boot();
    let us = BufferSpace::new(BASE, 4096);
    let fd = k
        .sys_open("/tmp/f", abi::O_CREAT | abi::O_RDWR, 0o644)
        .unwrap();
    k.sys_symlink("nowhere", "/tmp/l").unwrap();
    us.poke(NAME, b"user.test\0");
    let path = |p: &str| {
        let mut b = p.as_bytes().to_vec();
        b.push(0);
        us.poke(PATH, &b);
        PATH
    };
    let call = |nr: usize, args: &[u64]| k.syscall(nr, args, &us).map(|_| ());
    let unsupported = Err(Errno::EOPNOTSUPP);
    assert_eq!(call(abi::SYS_chflags, &[path("/tmp/f"), 0]), unsupported);
    assert_eq!(
        call(abi::SYS_chflags, &[path("/tmp/no"), 0]),
        Err(Errno::ENOENT)
    );
    // chflags follows the link to nothing; lchflags takes the link.
    assert_eq!(
        call(abi::SYS_chflags, &[path("/tmp/l"), 0]),
        Err(Errno::ENOENT)
    );
    assert_eq!(call(abi::SYS_lchflags, &[path("/tmp/l"), 0]), unsupported);
    assert_eq!(call(abi::SYS_fchflags, &[fd as u64, 0]), unsupported);
    assert_eq!(call(abi::SYS_fchflags, &[99, 0]), Err(Errno::EBADF));
    let get = [path("/tmp/f"), 1, NAME, 0, 0];
    assert_eq!(call(abi::SYS_extattr_get_file, &get), unsupported);
    assert_eq!(
        call(abi::SYS_extattr_get_file, &[path("/tmp/f"), 1, 0, 0, 0]),
        Err(Errno::EFAULT),
        "the name is copied first"
    );
    assert_eq!(
        call(abi::SYS_extattr_list_fd, &[fd as u64, 1, 0, 0]),
        unsupported
    );
    assert_eq!(
        call(abi::SYS_extattr_set_link, &[path("/tmp/l"), 1, NAME, 0, 0]),
        unsupported
    );
    // A descriptor that is not a vnode's.
    k.syscall(abi::SYS_pipe2, &[FDS, 0], &us).unwrap();
    let r = u64::from(u32::from_le_bytes(us.peek(FDS, 4).try_into().unwrap()));
    assert_eq!(
        call(abi::SYS_extattr_list_fd, &[r, 1, 0, 0]),
        Err(Errno::EINVAL)
    );
    assert_eq!(call(abi::SYS_fchflags, &[r, 0]), Err(Errno::EINVAL));
    assert_eq!(
        call(abi::SYS_extattrctl, &[path("/tmp"), 1, 0, 1, 0]),
        unsupported
    );
}
