//! The engine's own rules: names (create, link, remove, rename and their
//! link counts), listings, sizes and owners under each set of [`Rules`],
//! the limits, and file data with holes and truncation.

use super::{Limits, Listing, MemFs, Rules, Sizes};
use crate::node::{NewNode, Node, SetAttr, VType};
use rump::Errno;
use rump::clock::KernelClock;
use rump::kmem::Kmem;
use std::sync::Arc;

/// A full memory file system's rules (a component's, mountable anywhere).
const FULL: Rules = Rules {
    root_ino: 2,
    makers_own: true,
    stamps_times: true,
    renames_and_links: true,
    dirs_count_subdirs: true,
    sizes: Sizes::Counted { dirent: 48 },
    listing: Listing::DotsThenByName,
};

/// A small one's (what the root file system gives).
const SMALL: Rules = Rules {
    root_ino: 3,
    makers_own: false,
    stamps_times: false,
    renames_and_links: false,
    dirs_count_subdirs: false,
    sizes: Sizes::Fixed(512),
    listing: Listing::NewestFirst,
};

fn fs(rules: Rules, limits: Limits) -> MemFs {
    let root = NewNode {
        typ: VType::Dir,
        mode: 0o755,
        uid: 0,
        gid: 0,
        rdev: 0,
    };
    MemFs::new(
        rules,
        Kmem::new(None),
        Arc::new(KernelClock::new()),
        limits,
        root,
    )
}

fn new(typ: VType) -> NewNode {
    NewNode {
        typ,
        mode: 0o644,
        uid: 1,
        gid: 1,
        rdev: 0,
    }
}

fn names(dir: &Arc<dyn Node>) -> Vec<String> {
    dir.readdir()
        .unwrap()
        .into_iter()
        .map(|e| String::from_utf8(e.name).unwrap())
        .collect()
}

#[test]
fn type_and_flags_answer_as_getattr_does() {
    let fs = fs(FULL, Limits::default());
    let root = fs.root();
    let mut nodes = vec![Arc::clone(&root)];
    for (i, typ) in [VType::Reg, VType::Dir, VType::Chr, VType::Fifo]
        .into_iter()
        .enumerate()
    {
        nodes.push(root.create(format!("n{i}").as_bytes(), new(typ)).unwrap());
    }
    nodes.push(root.symlink(b"l", b"n0", 1, 1).unwrap());
    nodes[1]
        .setattr(&SetAttr {
            flags: Some(netbsd_abi::UF_APPEND as u32),
            ..SetAttr::default()
        })
        .unwrap();
    for n in &nodes {
        let a = n.getattr();
        assert_eq!(n.vtype(), a.typ);
        assert_eq!(n.flags(), a.flags);
    }
    assert_eq!(nodes[5].vtype(), VType::Lnk);
    assert_eq!(nodes[1].flags(), netbsd_abi::UF_APPEND as u32);
}

#[test]
fn a_directory_never_moves_below_itself() {
    let fs = fs(FULL, Limits::default());
    let root = fs.root();
    let a = root.create(b"a", new(VType::Dir)).unwrap();
    let b = a.create(b"b", new(VType::Dir)).unwrap();
    assert_eq!(root.rename(b"a", &b, b"x"), Err(Errno::EINVAL));
    assert_eq!(root.rename(b"a", &a, b"x"), Err(Errno::EINVAL));
    assert!(root.lookup(b"a").is_ok());
}

#[test]
fn rename_moves_link_counts_with_directories() {
    let fs = fs(FULL, Limits::default());
    let root = fs.root();
    let a = root.create(b"a", new(VType::Dir)).unwrap();
    let b = root.create(b"b", new(VType::Dir)).unwrap();
    a.create(b"d", new(VType::Dir)).unwrap();
    assert_eq!((a.getattr().nlink, b.getattr().nlink), (3, 2));
    a.rename(b"d", &b, b"d2").unwrap();
    assert_eq!((a.getattr().nlink, b.getattr().nlink), (2, 3));
    let d = b.lookup(b"d2").unwrap();
    assert_eq!(d.parent().unwrap().ino(), b.ino());
    assert_eq!(a.lookup(b"d").err(), Some(Errno::ENOENT));
}

#[test]
fn rename_over_a_name_follows_its_type() {
    let fs = fs(FULL, Limits::default());
    let root = fs.root();
    let f = root.create(b"f", new(VType::Reg)).unwrap();
    root.create(b"g", new(VType::Reg)).unwrap();
    let d = root.create(b"d", new(VType::Dir)).unwrap();
    root.create(b"e", new(VType::Dir)).unwrap();
    d.create(b"inside", new(VType::Reg)).unwrap();
    assert_eq!(root.rename(b"f", &root, b"d"), Err(Errno::EISDIR));
    assert_eq!(root.rename(b"e", &root, b"f"), Err(Errno::ENOTDIR));
    assert_eq!(root.rename(b"e", &root, b"d"), Err(Errno::ENOTEMPTY));
    let g = root.lookup(b"g").unwrap();
    root.rename(b"f", &root, b"g").unwrap();
    // The replaced file lost its name; the moved one kept its node.
    assert_eq!(g.getattr().nlink, 0);
    assert_eq!(root.lookup(b"g").unwrap().ino(), f.ino());
}

#[test]
fn rename_between_two_names_of_one_file_drops_the_source() {
    let fs = fs(FULL, Limits::default());
    let root = fs.root();
    let f = root.create(b"f", new(VType::Reg)).unwrap();
    root.link(b"h", &f).unwrap();
    assert_eq!(f.getattr().nlink, 2);
    root.rename(b"f", &root, b"f").unwrap();
    assert_eq!(f.getattr().nlink, 2);
    root.rename(b"f", &root, b"h").unwrap();
    assert_eq!(f.getattr().nlink, 1);
    assert_eq!(root.lookup(b"f").err(), Some(Errno::ENOENT));
    assert_eq!(root.lookup(b"h").unwrap().ino(), f.ino());
}

#[test]
fn links_refuse_directories_and_other_file_systems() {
    let one = fs(FULL, Limits::default());
    let other = fs(FULL, Limits::default());
    let d = one.root().create(b"d", new(VType::Dir)).unwrap();
    assert_eq!(one.root().link(b"d2", &d), Err(Errno::EPERM));
    let f = other.root().create(b"f", new(VType::Reg)).unwrap();
    assert_eq!(one.root().link(b"f", &f), Err(Errno::EXDEV));
    assert_eq!(
        one.root().rename(b"d", &other.root(), b"d"),
        Err(Errno::EXDEV)
    );
}

#[test]
fn a_removed_directory_takes_no_new_entries() {
    let fs = fs(FULL, Limits::default());
    let root = fs.root();
    let d = root.create(b"d", new(VType::Dir)).unwrap();
    assert_eq!(root.remove(b"d", false), Err(Errno::EPERM));
    root.remove(b"d", true).unwrap();
    assert_eq!(d.getattr().nlink, 0);
    assert_eq!(d.create(b"x", new(VType::Reg)).err(), Some(Errno::ENOENT));
}

#[test]
fn the_small_rules_refuse_names_own_everything_and_list_newest_first() {
    let fs = fs(SMALL, Limits::default());
    let root = fs.root();
    assert_eq!(root.ino(), 3);
    let f = root.create(b"b", new(VType::Reg)).unwrap();
    let d = root.create(b"a", new(VType::Dir)).unwrap();
    root.create(b"c", new(VType::Fifo)).unwrap();
    d.create(b"sub", new(VType::Dir)).unwrap();
    assert_eq!(root.link(b"l", &f), Err(Errno::EOPNOTSUPP));
    assert_eq!(root.rename(b"b", &root, b"z"), Err(Errno::EOPNOTSUPP));
    assert_eq!((f.getattr().uid, f.getattr().gid), (0, 0));
    assert_eq!(names(&root), ["c", "a", "b"]);
    let (da, fa) = (d.getattr(), f.getattr());
    assert_eq!((da.size, da.bytes, da.nlink), (512, 512, 2));
    assert_eq!((fa.size, fa.bytes), (0, 512));
    assert_eq!(root.lookup(b"c").unwrap().getattr().size, 512);
}

#[test]
fn the_full_rules_count_entries_pages_and_subdirectories() {
    let fs = fs(FULL, Limits::default());
    let root = fs.root();
    assert_eq!(root.ino(), 2);
    let f = root.create(b"b", new(VType::Reg)).unwrap();
    root.create(b"a", new(VType::Dir)).unwrap();
    assert_eq!((f.getattr().uid, f.getattr().gid), (1, 1));
    assert_eq!(names(&root), [".", "..", "a", "b"]);
    let r = root.getattr();
    assert_eq!((r.size, r.bytes, r.nlink), (96, 4096, 3));
    f.write(0, b"x").unwrap();
    assert_eq!((f.getattr().size, f.getattr().bytes), (1, 4096));
}

#[test]
fn limits_fill_the_file_system() {
    let limits = Limits {
        size_max: 2 * 4096,
        nodes_max: 2,
    };
    let fs = fs(FULL, limits);
    let root = fs.root();
    let f = root.create(b"f", new(VType::Reg)).unwrap();
    assert_eq!(
        root.create(b"g", new(VType::Reg)).err(),
        Some(Errno::ENOSPC)
    );
    // A short write where some data went in, then the error.
    assert_eq!(f.write(0, &[7; 3 * 4096]), Ok(2 * 4096));
    assert_eq!(f.write(2 * 4096, b"x"), Err(Errno::ENOSPC));
    assert_eq!(fs.bytes_used(), 2 * 4096);
    f.setattr(&SetAttr {
        size: Some(0),
        ..SetAttr::default()
    })
    .unwrap();
    assert_eq!(fs.bytes_used(), 0);
}

#[test]
fn holes_read_as_zeros_and_truncation_zeroes_the_tail() {
    let fs = fs(FULL, Limits::default());
    let f = fs.root().create(b"f", new(VType::Reg)).unwrap();
    f.write(2 * 4096 + 10, b"end").unwrap();
    let mut buf = [1u8; 16];
    assert_eq!(f.read(4096, &mut buf), Ok(16));
    assert_eq!(buf, [0; 16]);
    assert_eq!(fs.bytes_used(), 4096);
    // A read across pages and holes: a hole, data, a hole, data.
    f.write(4096 - 2, b"xy").unwrap();
    let mut across = [7u8; 3 * 4096];
    assert_eq!(f.read(4, &mut across), Ok(2 * 4096 + 9));
    let mut want = vec![0u8; 2 * 4096 + 9];
    want[4096 - 6..4096 - 4].copy_from_slice(b"xy");
    want[2 * 4096 + 6..].copy_from_slice(b"end");
    assert_eq!(&across[..want.len()], &want[..]);
    f.write(0, b"abcdef").unwrap();
    let shrink = |size| SetAttr {
        size: Some(size),
        ..SetAttr::default()
    };
    f.setattr(&shrink(2)).unwrap();
    f.setattr(&shrink(6)).unwrap();
    let mut back = [9u8; 8];
    assert_eq!(f.read(0, &mut back), Ok(6));
    assert_eq!(&back[..6], b"ab\0\0\0\0");
    assert_eq!(fs.root().read(0, &mut back), Err(Errno::EISDIR));
}

/// What `read_to` hands out for `len` bytes at `off`, and the pieces' sizes.
fn sunk(f: &dyn Node, off: u64, len: usize) -> (Result<usize, Errno>, Vec<u8>, Vec<usize>) {
    let (mut bytes, mut pieces) = (Vec::new(), Vec::new());
    let r = f.read_to(off, len, &mut |p| {
        bytes.extend_from_slice(p);
        pieces.push(p.len());
        Ok(())
    });
    (r, bytes, pieces)
}

#[test]
fn the_sink_path_hands_out_what_read_reads_page_by_page() {
    let fs = fs(FULL, Limits::default());
    let f = fs.root().create(b"f", new(VType::Reg)).unwrap();
    // Data, a hole of two pages, data across a page boundary, a tail.
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 + 1) as u8).collect();
    f.write(100, &data).unwrap();
    f.write(4 * 4096 - 30, &data[..60]).unwrap();
    f.write(5 * 4096 + 17, b"tail").unwrap();
    let size = 5 * 4096 + 21;
    for (off, len) in [
        (0, size),
        (1, 3 * 4096 + 5),
        (4095, 2),
        (2 * 4096 + 3, 4096),
        (4 * 4096 - 31, 62),
        (size as u64 - 3, 100),
        (size as u64, 10),
        (size as u64 + 4096, 10),
        (7, 0),
    ] {
        let mut want = vec![0xa5u8; len];
        let n = f.read(off, &mut want).unwrap();
        want.truncate(n);
        let (r, got, pieces) = sunk(&*f, off, len);
        assert_eq!(r, Ok(n), "{off} {len}");
        assert_eq!(got, want, "{off} {len}");
        // Page slices (or zeros for holes), none crossing a page.
        assert!(pieces.iter().all(|&p| p > 0 && p <= 4096), "{pieces:?}");
    }
    // The sink's error ends the read.
    let mut calls = 0;
    let r = f.read_to(0, size, &mut |_| {
        calls += 1;
        Err(Errno::EFAULT)
    });
    assert_eq!((r, calls), (Err(Errno::EFAULT), 1));
    let sink = &mut |_: &[u8]| Ok(());
    assert_eq!(fs.root().read_to(0, 8, sink), Err(Errno::EISDIR));
}

#[test]
fn file_handles_find_live_nodes_only() {
    let fs = fs(FULL, Limits::default());
    let root = fs.root();
    let f = root.create(b"f", new(VType::Reg)).unwrap();
    let ino = f.ino();
    assert_eq!(fs.node(ino).unwrap().ino(), ino);
    root.remove(b"f", false).unwrap();
    // An open file keeps its node.
    assert!(fs.node(ino).is_ok());
    drop(f);
    assert_eq!(fs.node(ino).err(), Some(Errno::ESTALE));
}

#[test]
fn usage_counts_names_and_each_link_target_once() {
    let fs = fs(FULL, Limits::default());
    let root = fs.root();
    let d = root.create(b"dir", new(VType::Dir)).unwrap();
    let l = d.symlink(b"l", b"target", 1, 1).unwrap();
    d.link(b"l2", &l).unwrap();
    let u = fs.usage();
    assert_eq!(u.nodes, 3);
    let mut lens = u.name_lens.clone();
    lens.sort();
    assert_eq!(lens, [1, 2, 3]);
    assert_eq!(u.target_lens, [6]);
}
