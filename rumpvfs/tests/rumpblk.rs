//! etfs disks as NetBSD's rumpblk answers for them: the label ioctls
//! through the system call (the bytes a NetBSD program receives, at the
//! offsets of `sys/disklabel.h`), the raw device's sector rules, one
//! cache for the block and character keys of one host file, and
//! `kern.rawpartition`.

use rump::usermem::BufferSpace;
use rump::{BootConfig, Errno, KernelBuilder};
use rumpvfs::VfsCalls;
use rumpvfs::etfs::{self, EtfsType};
use rumpvfs::flags::*;
use rumpvfs::rumpblk::{DIOCCACHESYNC, DIOCGDINFO, DIOCGMEDIASIZE, DIOCGPARTINFO};
use std::sync::Arc;

/// The disk's size: 1 MiB, 2048 sectors.
const SIZE: usize = 1 << 20;
/// `DIOCGWEDGEINFO` (`sys/dkio.h`), which rumpblk does not answer.
const DIOCGWEDGEINFO: u64 = 0x40d0_647a;
/// Where the tests' user memory starts.
const UVA: u64 = 0x1000;

fn disk(tag: &str) -> (Arc<rump::Kernel>, String) {
    let k = KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .boot()
        .unwrap();
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().join("rumpblk-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{tag}-{}", std::process::id()));
    std::fs::write(&p, vec![0u8; SIZE]).unwrap();
    let h = p.to_string_lossy().into_owned();
    etfs::register(&k, "/dev/dk", &h, EtfsType::Blk).unwrap();
    etfs::register(&k, "/dev/rdk", &h, EtfsType::Chr).unwrap();
    (k, h)
}

fn ioctl(k: &rump::Kernel, fd: i32, cmd: u64, us: &BufferSpace) -> Result<(), Errno> {
    k.syscall(netbsd_abi::SYS_ioctl, &[fd as u64, cmd, UVA], us)
        .map(drop)
}

fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

fn le16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(b[off..off + 2].try_into().unwrap())
}

#[test]
fn the_label_is_rumpblks_fictitious_one() {
    let (k, _) = disk("label");
    let us = BufferSpace::new(UVA, 4096);
    for key in ["/dev/rdk", "/dev/dk"] {
        let fd = k.sys_open(key, O_RDONLY, 0).unwrap();
        ioctl(&k, fd, DIOCGDINFO, &us).unwrap();
        // Offsets of struct disklabel in NetBSD's sys/disklabel.h (amd64).
        let l = us.peek(UVA, 408);
        assert_eq!(le32(&l, 0), 0x8256_4557, "d_magic");
        assert_eq!(le16(&l, 4), 21, "d_type DKTYPE_RUMPD");
        assert_eq!(&l[8..14], b"rumpd\0");
        assert_eq!(&l[24..35], b"fictitious\0");
        assert_eq!(le32(&l, 40), 512, "d_secsize");
        assert_eq!(le32(&l, 44), 2048, "d_nsectors");
        assert_eq!(le32(&l, 56), 2048, "d_secpercyl");
        assert_eq!(le32(&l, 60), SIZE as u32, "d_secperunit, bytes as NetBSD's");
        assert_eq!(le16(&l, 72), 11, "d_rpm");
        assert_eq!(le32(&l, 132), 0x8256_4557, "d_magic2");
        assert_eq!(le16(&l, 138), 1, "d_npartitions");
        assert_eq!(le32(&l, 148), 2048, "partition a's p_size");
        assert!(l[152..].iter().all(|&b| b == 0));

        us.poke(UVA, &[0xee; 8]);
        ioctl(&k, fd, DIOCGMEDIASIZE, &us).unwrap();
        assert_eq!(us.peek(UVA, 8), (SIZE as u64).to_le_bytes());

        // _IOW: answered, and nothing comes back to the caller.
        us.poke(UVA, &[0xee; 32]);
        ioctl(&k, fd, DIOCGPARTINFO, &us).unwrap();
        assert_eq!(us.peek(UVA, 32), [0xee; 32]);

        assert_eq!(ioctl(&k, fd, DIOCGWEDGEINFO, &us), Err(Errno::ENOTTY));
        k.sys_close(fd).unwrap();
    }
}

/// `pread(2)` through the system call, as a client makes it (the typed
/// `sys_pread` reads the node itself).
fn pread(k: &rump::Kernel, fd: i32, len: usize, off: usize) -> Result<u64, Errno> {
    let us = BufferSpace::new(UVA, 4096);
    k.syscall(
        netbsd_abi::SYS_pread,
        &[fd as u64, UVA, len as u64, 0, off as u64],
        &us,
    )
    .map(|r| r[0])
}

/// `pwrite(2)` of `len` bytes through the system call.
fn pwrite(k: &rump::Kernel, fd: i32, len: usize, off: usize) -> Result<u64, Errno> {
    let us = BufferSpace::new(UVA, 4096);
    us.poke(UVA, &vec![b'w'; len]);
    k.syscall(
        netbsd_abi::SYS_pwrite,
        &[fd as u64, UVA, len as u64, 0, off as u64],
        &us,
    )
    .map(|r| r[0])
}

#[test]
fn the_raw_device_moves_whole_sectors() {
    let (k, h) = disk("raw");
    let fd = k.sys_open("/dev/rdk", O_RDWR, 0).unwrap();
    // Reads: part sectors or from the end on move nothing, without error.
    assert_eq!(pread(&k, fd, 100, 0), Ok(0));
    assert_eq!(pread(&k, fd, 512, SIZE), Ok(0));
    assert_eq!(pread(&k, fd, 512, SIZE + 512), Ok(0));
    assert_eq!(pread(&k, fd, 1024, SIZE - 512), Ok(512));
    assert_eq!(pread(&k, fd, 512, 100), Err(Errno::EINVAL));
    // Writes: part sectors and past the end are EINVAL, the end takes none.
    assert_eq!(pwrite(&k, fd, 100, 0), Err(Errno::EINVAL));
    assert_eq!(pwrite(&k, fd, 512, 100), Err(Errno::EINVAL));
    assert_eq!(pwrite(&k, fd, 512, SIZE), Ok(0));
    assert_eq!(pwrite(&k, fd, 512, SIZE + 512), Err(Errno::EINVAL));
    assert_eq!(pwrite(&k, fd, 1024, SIZE - 512), Ok(512));
    // The block device takes any bytes, and nothing at the end.
    let bfd = k.sys_open("/dev/dk", O_RDWR, 0).unwrap();
    assert_eq!(pwrite(&k, bfd, 3, 7), Ok(3));
    assert_eq!(pwrite(&k, bfd, 3, SIZE), Ok(0));
    assert_eq!(pread(&k, bfd, 3, 7), Ok(3));
    k.sys_sync().unwrap();
    let host = std::fs::read(&h).unwrap();
    assert_eq!(host.len(), SIZE, "the host file does not grow");
    assert_eq!(&host[7..10], b"www");
    assert!(host[SIZE - 512..].iter().all(|&b| b == b'w'));
}

#[test]
fn both_keys_of_one_file_share_their_blocks_and_cache_sync_writes_them() {
    let (k, h) = disk("shared");
    let us = BufferSpace::new(UVA, 4096);
    let raw = k.sys_open("/dev/rdk", O_RDWR, 0).unwrap();
    let blk = k.sys_open("/dev/dk", O_RDWR, 0).unwrap();
    let mut b = [0u8; 512];
    // Read through the block device first, so that it has the block cached.
    k.sys_pread(blk, &mut b, 8192).unwrap();
    let mut sector = [0u8; 512];
    sector[..5].copy_from_slice(b"newfs");
    k.sys_pwrite(raw, &sector, 8192).unwrap();
    k.sys_pread(blk, &mut b, 8192).unwrap();
    assert_eq!(&b[..5], b"newfs", "the block device sees the raw write");
    ioctl(&k, raw, DIOCCACHESYNC, &us).unwrap();
    assert_eq!(&std::fs::read(&h).unwrap()[8192..8197], b"newfs");
}

#[test]
fn kern_rawpartition_is_d() {
    let (k, _) = disk("sysctl");
    let mib = k.sysctl().name_to_mib("kern.rawpartition").unwrap();
    assert_eq!(mib, [netbsd_abi::CTL_KERN, netbsd_abi::KERN_RAWPARTITION]);
    let out = k.sys_sysctl(&mib, Some(4), None).unwrap();
    out.result.unwrap();
    assert_eq!(out.old, 3i32.to_le_bytes());
}
