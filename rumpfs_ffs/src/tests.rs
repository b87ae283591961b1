//! Whole-file-system tests on a device in memory.

use crate::dev::{BlockDev, MemDev};
use crate::format::Version;
use crate::mkfs::{Params, newfs};
use crate::{Ffs, FfsMount, MountOptions};
use rumpvfs::node::{FileSystem, NewNode, Node, SetAttr, VType};
use std::sync::Arc;

fn fresh(v: Version, size: u64, bsize: u64) -> Arc<MemDev> {
    let dev = Arc::new(MemDev::new(size as usize));
    newfs(
        Arc::clone(&dev) as Arc<dyn BlockDev>,
        &Params {
            version: v,
            bsize,
            ..Params::default()
        },
    )
    .unwrap();
    dev
}

/// Run the checker; returns the problems found and the messages.
fn fsck(dev: &Arc<MemDev>, repair: bool) -> (usize, String) {
    let mut log = String::new();
    let o = crate::check::check(Arc::clone(dev) as Arc<dyn BlockDev>, repair, &mut |l| {
        log.push_str(l);
        log.push('\n');
    })
    .unwrap();
    (o.problems, log)
}

fn assert_clean(dev: &Arc<MemDev>) {
    let (n, log) = fsck(dev, false);
    assert_eq!(n, 0, "fsck found problems:\n{log}");
}

fn mount(dev: &Arc<MemDev>) -> Arc<FfsMount> {
    FfsMount::open(
        Arc::clone(dev) as Arc<dyn BlockDev>,
        MountOptions::default(),
    )
    .unwrap()
}

fn file(mode: u32) -> NewNode {
    NewNode {
        typ: VType::Reg,
        mode,
        uid: 1,
        gid: 2,
        rdev: 0,
    }
}

fn dir() -> NewNode {
    NewNode {
        typ: VType::Dir,
        ..file(0o755)
    }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn read_all(n: &Arc<dyn Node>) -> Vec<u8> {
    let mut v = vec![0u8; n.getattr().size as usize];
    let mut done = 0;
    while done < v.len() {
        let k = n.read(done as u64, &mut v[done..]).unwrap();
        assert!(k > 0);
        done += k;
    }
    v
}

#[test]
fn files_of_every_size_survive_a_remount() {
    for v in [Version::Ufs1, Version::Ufs2] {
        let dev = fresh(v, 64 << 20, 4096);
        let sizes = [
            0usize,
            1,
            511,
            512,
            3000,
            4096,
            4097,
            12 * 4096,
            12 * 4096 + 1,
            600 * 4096,
            1100 * 4096,
        ];
        {
            let m = mount(&dev);
            let root = m.root();
            let d = root.create(b"d", dir()).unwrap();
            for (i, &n) in sizes.iter().enumerate() {
                let f = d.create(format!("f{i}").as_bytes(), file(0o644)).unwrap();
                // In pieces that do not line up with blocks.
                let data = pattern(n, i as u8);
                for (k, piece) in data.chunks(7000).enumerate() {
                    assert_eq!(f.write((k * 7000) as u64, piece).unwrap(), piece.len());
                }
                assert_eq!(read_all(&f), data, "{v:?} size {n}");
            }
            m.unmount().unwrap();
        }
        assert_clean(&dev);
        let m = mount(&dev);
        let d = m.root().lookup(b"d").unwrap();
        for (i, &n) in sizes.iter().enumerate() {
            let f = d.lookup(format!("f{i}").as_bytes()).unwrap();
            assert_eq!(
                read_all(&f),
                pattern(n, i as u8),
                "{v:?} size {n} after remount"
            );
        }
        let names: Vec<_> = d.readdir().unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names.len(), sizes.len() + 2);
        assert_eq!(&names[..2], &[b".".to_vec(), b"..".to_vec()]);
    }
}

#[test]
fn space_comes_back_after_truncate_and_remove() {
    for v in [Version::Ufs1, Version::Ufs2] {
        let dev = fresh(v, 64 << 20, 4096);
        let m = mount(&dev);
        let before = m.stats();
        let root = m.root();
        {
            let f = root.create(b"big", file(0o644)).unwrap();
            f.write(0, &pattern(5 << 20, 1)).unwrap();
            // A hole far out: triple indirection is only reached sparsely.
            f.write(3 << 30, b"end").unwrap();
            assert_eq!(f.getattr().size, (3 << 30) + 3);
            let mut b = [9u8; 3];
            f.read(3 << 30, &mut b).unwrap();
            assert_eq!(&b, b"end");
            f.read((2 << 30) + 5, &mut b).unwrap();
            assert_eq!(b, [0, 0, 0]);
            f.setattr(&SetAttr {
                size: Some(10_000),
                ..SetAttr::default()
            })
            .unwrap();
            assert_eq!(read_all(&f), pattern(10_000, 1));
            f.setattr(&SetAttr {
                size: Some(70_000),
                ..SetAttr::default()
            })
            .unwrap();
            let all = read_all(&f);
            assert_eq!(&all[..10_000], &pattern(10_000, 1)[..]);
            assert!(all[10_000..].iter().all(|&b| b == 0));
        }
        root.remove(b"big", false).unwrap();
        let sub = root.create(b"sub", dir()).unwrap();
        for i in 0..300 {
            sub.create(format!("name-{i:04}").as_bytes(), file(0o600))
                .unwrap();
        }
        for i in 0..300 {
            sub.remove(format!("name-{i:04}").as_bytes(), false)
                .unwrap();
        }
        drop(sub);
        root.remove(b"sub", true).unwrap();
        let after = m.stats();
        assert_eq!(
            (after.bfree, after.ffree),
            (before.bfree, before.ffree),
            "{v:?}"
        );
        m.unmount().unwrap();
    }
}

#[test]
fn rename_link_symlink_and_directories() {
    let dev = fresh(Version::Ufs2, 32 << 20, 8192);
    let m = mount(&dev);
    let root = m.root();
    let a = root.create(b"a", dir()).unwrap();
    let b = root.create(b"b", dir()).unwrap();
    let c = a.create(b"c", dir()).unwrap();
    let f = c.create(b"f", file(0o644)).unwrap();
    f.write(0, b"data").unwrap();
    assert_eq!(root.getattr().nlink, 4);
    // A directory may not go below itself.
    let c_dyn: Arc<dyn Node> = Arc::clone(&c);
    assert_eq!(a.rename(b"c", &c_dyn, b"x"), Err(rump::Errno::EINVAL));
    let b_dyn: Arc<dyn Node> = Arc::clone(&b);
    a.rename(b"c", &b_dyn, b"c2").unwrap();
    assert_eq!((a.getattr().nlink, b.getattr().nlink), (2, 3));
    let c2 = b.lookup(b"c2").unwrap();
    assert_eq!(c2.parent().unwrap().ino(), b.ino());
    let f_dyn: Arc<dyn Node> = c2.lookup(b"f").unwrap();
    root.link(b"hard", &f_dyn).unwrap();
    b.link(b"hard2", &f).unwrap();
    assert_eq!(f_dyn.getattr().nlink, 3);
    assert_eq!(root.link(b"hard", &f_dyn), Err(rump::Errno::EEXIST));
    let b_node: Arc<dyn Node> = Arc::clone(&b);
    assert_eq!(root.link(b"dirlink", &b_node), Err(rump::Errno::EPERM));
    root.symlink(b"short", b"a/c", 0, 0).unwrap();
    let long = vec![b'x'; 300];
    root.symlink(b"long", &long, 0, 0).unwrap();
    m.unmount().unwrap();
    assert_clean(&dev);
    let m = mount(&dev);
    let root = m.root();
    assert_eq!(root.lookup(b"short").unwrap().readlink().unwrap(), b"a/c");
    assert_eq!(root.lookup(b"long").unwrap().readlink().unwrap(), long);
    assert_eq!(read_all(&root.lookup(b"hard").unwrap()), b"data");
    let b = root.lookup(b"b").unwrap();
    let c2 = b.lookup(b"c2").unwrap();
    assert_eq!(read_all(&c2.lookup(b"f").unwrap()), b"data");
    assert_eq!(root.remove(b"b", true), Err(rump::Errno::ENOTEMPTY));
}

#[test]
fn read_only_and_unclean() {
    let dev = fresh(Version::Ufs1, 16 << 20, 0);
    let m = FfsMount::open(
        Arc::clone(&dev) as Arc<dyn BlockDev>,
        MountOptions::READ_ONLY,
    )
    .unwrap();
    assert_eq!(
        m.root().create(b"x", file(0o644)).err(),
        Some(rump::Errno::EROFS)
    );
    m.remount(false, false).unwrap();
    m.root().create(b"x", file(0o644)).unwrap();
    // While mounted read-write the image is not clean: a second mount is refused.
    let snapshot = Arc::new(MemDev::from_bytes(dev.bytes()));
    let refused = FfsMount::open(snapshot as Arc<dyn BlockDev>, MountOptions::default());
    let flaw = refused.err().expect("a second read-write mount");
    assert_eq!(
        (flaw.errno(), flaw.reason()),
        (
            rump::Errno::EPERM,
            "file system not clean (fs_clean=0x2); please fsck_ffs"
        )
    );
    m.remount(true, false).unwrap();
    let snapshot = Arc::new(MemDev::from_bytes(dev.bytes()));
    Ffs::open(snapshot as Arc<dyn BlockDev>, MountOptions::default()).unwrap();
}

#[test]
fn fsck_finds_and_repairs_damage() {
    use crate::format::dir::DirFormat;
    for v in [Version::Ufs1, Version::Ufs2] {
        let dev = fresh(v, 32 << 20, 8192);
        assert_clean(&dev);
        let (keep_ino, lost_ino, dir_ino) = {
            let m = mount(&dev);
            let root = m.root();
            let d = root.create(b"d", dir()).unwrap();
            let keep = d.create(b"keep", file(0o644)).unwrap();
            keep.write(0, &pattern(100_000, 3)).unwrap();
            let lost = d.create(b"lost", file(0o644)).unwrap();
            lost.write(0, b"find me").unwrap();
            let r = (keep.ino(), lost.ino(), d.ino());
            m.unmount().unwrap();
            r
        };
        // Damage: the directory entry of "lost" goes, the link count of
        // "keep" is wrong, and group 0's summary is off.
        let fs = Ffs::open(
            Arc::clone(&dev) as Arc<dyn BlockDev>,
            MountOptions::READ_ONLY,
        )
        .unwrap();
        let dd = fs.read_dinode(dir_ino).unwrap();
        let p = fs.bmap(&dd, 0).unwrap() as u64 * fs.geo.fsize;
        let mut chunk = vec![0u8; 512];
        dev.read_at(p, &mut chunk).unwrap();
        let fmt = DirFormat {
            endian: fs.geo.endian,
            typed: true,
        };
        assert!(fmt.remove(&mut chunk, b"lost").unwrap());
        dev.write_at(p, &chunk).unwrap();
        let mut kd = fs.read_dinode(keep_ino).unwrap();
        kd.nlink = 5;
        fs.write_dinode(keep_ino, &kd).unwrap();
        let cs_at = fs.geo.csaddr * fs.geo.fsize;
        dev.write_at(cs_at, &[0xff; 4]).unwrap();
        drop(fs);
        let (n, log) = fsck(&dev, false);
        assert!(n >= 3, "{log}");
        assert!(log.contains(&format!("UNREF FILE I={lost_ino}")), "{log}");
        assert!(log.contains("LINK COUNT FILE"), "{log}");
        // -n wrote nothing.
        assert_eq!(fsck(&dev, false).0, n);
        let (_, log) = fsck(&dev, true);
        assert!(log.contains("FILE SYSTEM WAS MODIFIED"), "{log}");
        assert_clean(&dev);
        let m = mount(&dev);
        let lf = m.root().lookup(b"lost+found").unwrap();
        let found = lf.lookup(format!("#{lost_ino}").as_bytes()).unwrap();
        assert_eq!(read_all(&found), b"find me");
        let keep = m.root().lookup(b"d").unwrap().lookup(b"keep").unwrap();
        assert_eq!(
            (keep.getattr().nlink, read_all(&keep)),
            (1, pattern(100_000, 3))
        );
        m.unmount().unwrap();
    }
}

/// Fill `root` with one big file until writes fail; returns it.
fn fill(root: &Arc<dyn Node>) -> Arc<dyn Node> {
    let f = root.create(b"filler", file(0o644)).unwrap();
    let buf = vec![0x55u8; 1 << 16];
    let mut off = 0u64;
    while let Ok(n) = f.write(off, &buf) {
        off += n as u64;
    }
    f
}

#[test]
fn enospc_changes_nothing_it_did_not_write() {
    let dev = fresh(Version::Ufs2, 16 << 20, 8192);
    let m = mount(&dev);
    let root = m.root();
    let g = root.create(b"g", file(0o644)).unwrap();
    g.write(0, &[9u8; 1000]).unwrap();
    m.sync().unwrap();
    let filler = fill(&root);
    // A write far out, and one that would make g's fragment whole.
    let e = root.create(b"e", file(0o644)).unwrap();
    assert_eq!(e.write(1_000_000, b"x"), Err(rump::Errno::ENOSPC));
    assert_eq!((e.getattr().size, e.getattr().bytes), (0, 0));
    assert!(g.write(2 * 8192, &[3u8; 8192]).is_err());
    assert_eq!(g.getattr().size, 1000);
    drop(filler);
    root.remove(b"filler", false).unwrap();
    let h = root.create(b"h", file(0o644)).unwrap();
    h.write(0, &[0xaa; 1000]).unwrap();
    assert_eq!(read_all(&g), vec![9u8; 1000]);
    drop((e, g, h, root));
    m.unmount().unwrap();
    assert_clean(&dev);
}

#[test]
fn damaged_images_do_not_hang_or_reuse_inodes() {
    use crate::format::dir::{DirFormat, dt};
    let dev = fresh(Version::Ufs2, 16 << 20, 8192);
    let fs = Ffs::open(
        Arc::clone(&dev) as Arc<dyn BlockDev>,
        MountOptions::READ_ONLY,
    )
    .unwrap();
    let sb = fs.superblock();
    let root_d = fs.read_dinode(2).unwrap();
    let chunk_at = fs.bmap(&root_d, 0).unwrap() as u64 * sb.fsize;
    drop(fs);
    // The root names itself as "loop", and its inode is marked free.
    let mut chunk = vec![0u8; 512];
    dev.read_at(chunk_at, &mut chunk).unwrap();
    DirFormat {
        endian: sb.endian,
        typed: true,
    }
    .insert(&mut chunk, 2, dt::DIR, b"loop")
    .unwrap();
    dev.write_at(chunk_at, &chunk).unwrap();
    let cg_at = sb.cgtod(0) * sb.fsize;
    let mut raw = vec![0u8; sb.cgsize as usize];
    dev.read_at(cg_at, &mut raw).unwrap();
    let iused = u32::from_le_bytes(raw[92..96].try_into().unwrap()) as usize;
    raw[iused] &= !(1 << 2);
    dev.write_at(cg_at, &raw).unwrap();
    let m = mount(&dev);
    let root = m.root();
    assert_eq!(root.remove(b"loop", true), Err(rump::Errno::EIO));
    let f = root.create(b"new", file(0o644)).unwrap();
    assert_ne!(f.ino(), 2, "the root's inode handed out again");
    drop((f, root));
    m.unmount().unwrap();
    // Left marked unclean for fsck, which repairs it.
    assert_ne!(
        crate::read_superblock(dev.as_ref()).unwrap().clean,
        crate::format::superblock::FS_ISCLEAN
    );
    fsck(&dev, true);
    assert_clean(&dev);
}

#[test]
fn fsck_sees_a_block_claimed_twice_by_one_inode() {
    let dev = fresh(Version::Ufs2, 16 << 20, 8192);
    let ino = {
        let m = mount(&dev);
        let f = m.root().create(b"f", file(0o644)).unwrap();
        f.write(0, &[5u8; 16384]).unwrap();
        let ino = f.ino();
        drop(f);
        m.unmount().unwrap();
        ino
    };
    let fs = Ffs::open(
        Arc::clone(&dev) as Arc<dyn BlockDev>,
        MountOptions::READ_ONLY,
    )
    .unwrap();
    let mut d = fs.read_dinode(ino).unwrap();
    d.db[1] = d.db[0];
    fs.write_dinode(ino, &d).unwrap();
    drop(fs);
    let (n, log) = fsck(&dev, false);
    assert!(
        n > 0 && log.contains(&format!("BAD INODE I={ino}")),
        "{log}"
    );
    fsck(&dev, true);
    assert_clean(&dev);
}

#[test]
fn removed_but_open_files_block_read_only_and_go_at_unmount() {
    let dev = fresh(Version::Ufs1, 16 << 20, 8192);
    let m = mount(&dev);
    let root = m.root();
    let f = root.create(b"f", file(0o644)).unwrap();
    f.write(0, &[1u8; 100_000]).unwrap();
    root.remove(b"f", false).unwrap();
    assert_eq!(m.remount(true, false), Err(rump::Errno::EBUSY));
    m.unmount().unwrap();
    drop((f, root));
    assert_eq!(
        crate::read_superblock(dev.as_ref()).unwrap().clean,
        crate::format::superblock::FS_ISCLEAN
    );
    assert_clean(&dev);
}

/// A device that counts the reads made of it.
struct CountingDev {
    inner: Arc<MemDev>,
    reads: std::sync::atomic::AtomicUsize,
}

impl BlockDev for CountingDev {
    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> rump::KResult<()> {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.read_at(off, buf)
    }

    fn write_at(&self, off: u64, data: &[u8]) -> rump::KResult<()> {
        self.inner.write_at(off, data)
    }

    fn flush(&self) -> rump::KResult<()> {
        self.inner.flush()
    }
}

#[test]
fn sequential_reads_take_runs_of_blocks_in_few_transfers() {
    const PIECE: usize = 64 << 10;
    for v in [Version::Ufs1, Version::Ufs2] {
        // 4 KiB blocks: 4 MiB reach the double indirect block of UFS2's
        // 512 pointers a block, and deep into UFS1's single one.
        let dev = fresh(v, 64 << 20, 4096);
        let big = pattern(4 << 20, 3);
        // Two files written a block at a time in turn, whose blocks take
        // turns on the device, and a file with a hole.
        let (a, b) = (pattern(1 << 20, 5), pattern(1 << 20, 6));
        {
            let m = mount(&dev);
            let root = m.root();
            let f = root.create(b"big", file(0o644)).unwrap();
            for (k, piece) in big.chunks(PIECE).enumerate() {
                f.write((k * PIECE) as u64, piece).unwrap();
            }
            let fa = root.create(b"a", file(0o644)).unwrap();
            let fb = root.create(b"b", file(0o644)).unwrap();
            for (k, (pa, pb)) in a.chunks(4096).zip(b.chunks(4096)).enumerate() {
                fa.write((k * 4096) as u64, pa).unwrap();
                fb.write((k * 4096) as u64, pb).unwrap();
            }
            let h = root.create(b"holey", file(0o644)).unwrap();
            h.write(0, &a[..100_000]).unwrap();
            h.write(3 << 20, &b[..100_000]).unwrap();
            drop((f, fa, fb, h, root));
            m.unmount().unwrap();
        }
        let counting = Arc::new(CountingDev {
            inner: Arc::clone(&dev),
            reads: 0.into(),
        });
        let m = FfsMount::open(
            Arc::clone(&counting) as Arc<dyn BlockDev>,
            MountOptions::default(),
        )
        .unwrap();
        let root = m.root();
        let f = root.lookup(b"big").unwrap();
        let before = counting.reads.load(std::sync::atomic::Ordering::Relaxed);
        let mut back = vec![0u8; big.len()];
        for (k, piece) in back.chunks_mut(PIECE).enumerate() {
            assert_eq!(f.read((k * PIECE) as u64, piece).unwrap(), PIECE);
        }
        let reads = counting.reads.load(std::sync::atomic::Ordering::Relaxed) - before;
        assert!(back == big, "{v:?}: the big file reads back");
        // One transfer of data and at most two of pointers (an indirect
        // block's, and the double indirect block's above it) a piece, where
        // a look-up a block took a read of each pointer on the way.
        let pieces = big.len() / PIECE;
        assert!(
            reads <= 3 * pieces,
            "{v:?}: {reads} reads for {pieces} pieces"
        );
        assert_eq!(read_all(&root.lookup(b"a").unwrap()), a, "{v:?}");
        assert_eq!(read_all(&root.lookup(b"b").unwrap()), b, "{v:?}");
        let h = read_all(&root.lookup(b"holey").unwrap());
        assert_eq!(h.len(), (3 << 20) + 100_000);
        assert_eq!(&h[..100_000], &a[..100_000], "{v:?}");
        assert!(h[100_000..3 << 20].iter().all(|&x| x == 0), "{v:?}");
        assert_eq!(&h[3 << 20..], &b[..100_000], "{v:?}");
        drop((f, root));
        m.unmount().unwrap();
        assert_clean(&dev);
    }
}
