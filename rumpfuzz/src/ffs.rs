//! FFS images: a real image (FFSv1 or FFSv2, made by our newfs and filled
//! through the file system) with damage applied, mounted read-only and
//! walked, mounted read-write and changed, then checked and repaired. After
//! a repair that reports success the image must check clean.

use rumpfs_ffs::check::check;
use rumpfs_ffs::dev::{BlockDev, MemDev};
use rumpfs_ffs::format::Version;
use rumpfs_ffs::mkfs::{Params, newfs};
use rumpfs_ffs::{FfsMount, MountOptions};
use rumpvfs::node::{FileSystem, NewNode, Node, SetAttr, VType};
use std::sync::{Arc, OnceLock};

/// Bytes of a base image.
const IMAGE: usize = 1 << 20;
/// Most nodes a walk visits.
const WALK: usize = 300;

fn node(typ: VType) -> NewNode {
    NewNode {
        typ,
        mode: 0o755,
        uid: 0,
        gid: 0,
        rdev: 0,
    }
}

/// A small file system with something of every kind in it.
fn base(v: Version) -> Vec<u8> {
    let dev = Arc::new(MemDev::new(IMAGE));
    let p = Params {
        version: v,
        bsize: 4096,
        fsize: 512,
        density: 4096,
        time: 1_700_000_000,
        ..Params::default()
    };
    newfs(Arc::clone(&dev) as Arc<dyn BlockDev>, &p).expect("newfs of the base image");
    let m = FfsMount::open(
        Arc::clone(&dev) as Arc<dyn BlockDev>,
        MountOptions::default(),
    )
    .expect("mount the base image");
    let root = m.root();
    let a = root.create(b"a", node(VType::Dir)).expect("mkdir");
    let b = a.create(b"b", node(VType::Dir)).expect("mkdir");
    for (i, size) in [0usize, 100, 3000, 60_000].into_iter().enumerate() {
        let f = b
            .create(format!("f{i}").as_bytes(), node(VType::Reg))
            .expect("create");
        let data: Vec<u8> = (0..size).map(|k| (k * 7 + i) as u8).collect();
        f.write(0, &data).expect("write");
    }
    for i in 0..40 {
        a.create(format!("entry-{i:02}").as_bytes(), node(VType::Reg))
            .expect("create");
    }
    root.symlink(b"short", b"a/b/f1", 0, 0).expect("symlink");
    root.symlink(b"long", &[b'x'; 200], 0, 0).expect("symlink");
    root.create(b"fifo", node(VType::Fifo)).expect("mkfifo");
    let f1 = b.lookup(b"f1").expect("lookup");
    root.link(b"hard", &f1).expect("link");
    drop((f1, a, b, root));
    m.unmount().expect("unmount the base image");
    dev.bytes()
}

fn bases() -> &'static [Vec<u8>; 2] {
    static BASES: OnceLock<[Vec<u8>; 2]> = OnceLock::new();
    BASES.get_or_init(|| [base(Version::Ufs1), base(Version::Ufs2)])
}

/// Visit up to `WALK` nodes: list directories, look names up, read files
/// and links.
fn walk(root: Arc<dyn Node>) {
    let mut todo = vec![root];
    let mut seen = 0;
    let mut buf = vec![0u8; 1 << 16];
    while let Some(dir) = todo.pop() {
        let _ = dir.parent();
        let Ok(entries) = dir.readdir() else {
            continue;
        };
        for e in entries {
            if e.name == b"." || e.name == b".." {
                continue;
            }
            seen += 1;
            if seen > WALK {
                return;
            }
            let Ok(n) = dir.lookup(&e.name) else {
                continue;
            };
            let a = n.getattr();
            match a.typ {
                VType::Dir => todo.push(n),
                VType::Reg => {
                    let _ = n.read(0, &mut buf);
                    let _ = n.read(a.size.saturating_sub(100), &mut buf[..4096]);
                }
                VType::Lnk => {
                    let _ = n.readlink();
                }
                _ => {}
            }
        }
    }
}

/// Change things: new files and directories, growth, truncation,
/// renames and removals.
fn change(root: &Arc<dyn Node>) {
    if let Ok(f) = root.create(b"new", node(VType::Reg)) {
        let _ = f.write(0, &[5u8; 10_000]);
        let _ = f.write(70_000, b"far");
        let _ = f.setattr(&SetAttr {
            size: Some(1000),
            ..SetAttr::default()
        });
    }
    if let Ok(d) = root.create(b"nd", node(VType::Dir)) {
        let _ = root.rename(b"short", &d, b"moved");
        let _ = d.create(b"x", node(VType::Reg));
    }
    if let Ok(a) = root.lookup(b"a") {
        let _ = a.remove(b"entry-03", false);
        if let Ok(b) = a.lookup(b"b") {
            let _ = b.remove(b"f3", false);
            let _ = a.remove(b"b", true);
        }
    }
    let _ = root.remove(b"hard", false);
}

/// Fuzz entry: byte 0 picks the version; then records of a 32-bit offset,
/// a length byte and that many bytes are written over the image.
pub fn ffs_image(data: &[u8]) {
    let Some((&pick, mut rest)) = data.split_first() else {
        return;
    };
    let mut img = bases()[usize::from(pick & 1)].clone();
    while rest.len() >= 5 {
        let off = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize % img.len();
        let n = (usize::from(rest[4]) % 16 + 1).min(rest.len() - 5);
        let end = (off + n).min(img.len());
        img[off..end].copy_from_slice(&rest[5..5 + (end - off)]);
        rest = &rest[5 + n..];
    }
    let dev = Arc::new(MemDev::from_bytes(img));
    let ro = MountOptions::READ_ONLY;
    if let Ok(m) = FfsMount::open(Arc::clone(&dev) as Arc<dyn BlockDev>, ro) {
        walk(m.root());
        let _ = m.unmount();
    }
    let rw = MountOptions::FORCED;
    if let Ok(m) = FfsMount::open(Arc::clone(&dev) as Arc<dyn BlockDev>, rw) {
        walk(m.root());
        change(&m.root());
        let _ = m.unmount();
    }
    let quiet = &mut |_: &str| {};
    let _ = check(Arc::clone(&dev) as Arc<dyn BlockDev>, false, quiet);
    if let Ok(o) = check(Arc::clone(&dev) as Arc<dyn BlockDev>, true, quiet)
        && !o.unresolved
    {
        let mut log = String::new();
        let again = check(Arc::clone(&dev) as Arc<dyn BlockDev>, false, &mut |l| {
            log.push_str(l);
            log.push('\n');
        });
        if let Ok(again) = again {
            assert_eq!(again.problems, 0, "repaired image is not clean:\n{log}");
        }
    }
}
