//! An fsx-like model test: long seeded random sequences of file operations
//! run against each file system and against a small in-memory model of
//! NetBSD's semantics kept here, compared after every step.
//!
//! Every operation's result (data, sizes, errno) is compared with the
//! model's prediction, the objects it touched are stat'ed and compared, and
//! every [`FULL_CHECK_EVERY`] steps (and at the end) the whole tree is walked:
//! every directory listing, every file's attributes and contents, every open
//! descriptor. On divergence the test panics with the seed, the step number,
//! the operation and the operations before it.
//!
//! `RUMPVFS_MODEL_OPS` sets the number of operations per file system
//! (default 100 000) and `RUMPVFS_MODEL_SEED` the seed (decimal or 0x-hex).

mod common;

use common::{Fs, boot};
use rump::{Errno, Kernel};
use rumpvfs::VfsCalls;
use rumpvfs::flags::{
    DT_DIR, DT_REG, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
    S_IFDIR, S_IFMT, S_IFREG, SEEK_CUR, SEEK_END, SEEK_SET,
};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

/// Operations per file system unless `RUMPVFS_MODEL_OPS` says otherwise.
const DEFAULT_OPS: u64 = 100_000;
/// The seed unless `RUMPVFS_MODEL_SEED` says otherwise.
const DEFAULT_SEED: u64 = 0x5eed_0f5c_2026_0003;
/// Walk and compare the whole tree this often.
const FULL_CHECK_EVERY: u64 = 1000;
/// Path components are drawn from these, so that names collide often.
const NAMES: [&str; 5] = ["a", "b", "c", "d", "e"];
/// Deepest path generated.
const MAX_DEPTH: usize = 4;
/// Offsets and truncation lengths stay below this (holes included).
const MAX_FILE: u64 = 128 * 1024;
/// Most descriptors held open at once.
const MAX_FDS: usize = 6;
/// How many previous operations a divergence report lists.
const HISTORY: usize = 24;

#[test]
fn model_rumpfs() {
    run(Fs::Rumpfs);
}

#[test]
fn model_tmpfs() {
    run(Fs::Tmpfs);
}

#[test]
fn model_ffs1() {
    run(Fs::Ffs1);
}

#[test]
fn model_ffs2() {
    run(Fs::Ffs2);
}

/// Run the configured number of operations on `fs`.
fn run(fs: Fs) {
    let ops = env_u64("RUMPVFS_MODEL_OPS").unwrap_or(DEFAULT_OPS);
    let seed = env_u64("RUMPVFS_MODEL_SEED").unwrap_or(DEFAULT_SEED);
    let mut h = Harness::new(fs, seed);
    for step in 0..ops {
        h.step = step;
        let op = h.gen_op();
        h.history.push_back(format!("{step}: {op:?}"));
        if h.history.len() > HISTORY {
            h.history.pop_front();
        }
        h.cur = format!("{op:?}");
        h.apply(&op);
        if (step + 1) % FULL_CHECK_EVERY == 0 {
            h.full_check();
        }
    }
    h.cur = "final check".into();
    h.full_check();
    h.close_all();
    eprintln!("model {fs:?}: {ops} operations, seed {seed:#x}, no divergence");
}

/// An unsigned number from the environment, decimal or `0x` hexadecimal.
fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim().replace('_', "");
    let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v:?} is not a number")))
}

// ---------------------------------------------------------------------------
// the generator

/// xorshift64*, seeded through splitmix64 so that small seeds spread out.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Rng(if z == 0 { 1 } else { z })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `pct` percent.
    fn pct(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

/// One operation. Paths are relative to the test directory; `slot` indexes
/// the harness's table of open descriptors.
#[derive(Debug, Clone)]
enum Op {
    Open {
        path: String,
        flags: i32,
    },
    Close {
        slot: usize,
    },
    Pwrite {
        slot: usize,
        off: u64,
        len: usize,
        tag: u8,
    },
    Write {
        slot: usize,
        len: usize,
        tag: u8,
    },
    Pread {
        slot: usize,
        off: u64,
        len: usize,
    },
    Read {
        slot: usize,
        len: usize,
    },
    Lseek {
        slot: usize,
        off: i64,
        whence: i32,
    },
    Ftruncate {
        slot: usize,
        len: u64,
    },
    Truncate {
        path: String,
        len: u64,
    },
    Fstat {
        slot: usize,
    },
    Stat {
        path: String,
    },
    Unlink {
        path: String,
    },
    Mkdir {
        path: String,
    },
    Rmdir {
        path: String,
    },
    Rename {
        from: String,
        to: String,
    },
    Link {
        from: String,
        to: String,
    },
    Readdir {
        path: String,
    },
}

/// The bytes a write with `tag` puts at file offset `off + i`: never zero,
/// and different for every tag and offset, so misplaced data shows.
fn data(tag: u8, off: u64, len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| {
            let x = (off + i)
                .wrapping_mul(0x9e37_79b9)
                .wrapping_add(tag as u64 * 131);
            ((x >> 7) as u8) | 1
        })
        .collect()
}

// ---------------------------------------------------------------------------
// the model

type Id = usize;

enum Kind {
    File(Vec<u8>),
    /// Entries, and the parent directory (the root is its own parent).
    Dir(BTreeMap<String, Id>, Id),
}

struct Node {
    kind: Kind,
    /// Names of a file (directories count theirs from their contents).
    links: u32,
    /// Open descriptors referring to it.
    opens: u32,
}

/// What the model says about one path: the node, or why there is none.
type Lookup = Result<Id, Errno>;

struct Model {
    nodes: HashMap<Id, Node>,
    next_id: Id,
    root: Id,
}

impl Model {
    fn new() -> Model {
        let mut nodes = HashMap::new();
        nodes.insert(
            0,
            Node {
                kind: Kind::Dir(BTreeMap::new(), 0),
                links: 0,
                opens: 0,
            },
        );
        Model {
            nodes,
            next_id: 1,
            root: 0,
        }
    }

    fn is_dir(&self, id: Id) -> bool {
        matches!(self.nodes[&id].kind, Kind::Dir(..))
    }

    fn entries(&self, id: Id) -> &BTreeMap<String, Id> {
        match &self.nodes[&id].kind {
            Kind::Dir(e, _) => e,
            Kind::File(_) => unreachable!("entries of a file"),
        }
    }

    fn entries_mut(&mut self, id: Id) -> &mut BTreeMap<String, Id> {
        match &mut self.nodes.get_mut(&id).unwrap().kind {
            Kind::Dir(e, _) => e,
            Kind::File(_) => unreachable!("entries of a file"),
        }
    }

    fn file(&self, id: Id) -> &Vec<u8> {
        match &self.nodes[&id].kind {
            Kind::File(d) => d,
            Kind::Dir(..) => unreachable!("data of a directory"),
        }
    }

    fn file_mut(&mut self, id: Id) -> &mut Vec<u8> {
        match &mut self.nodes.get_mut(&id).unwrap().kind {
            Kind::File(d) => d,
            Kind::Dir(..) => unreachable!("data of a directory"),
        }
    }

    fn parent(&self, dir: Id) -> Id {
        match self.nodes[&dir].kind {
            Kind::Dir(_, p) => p,
            Kind::File(_) => unreachable!("parent of a file"),
        }
    }

    fn set_parent(&mut self, dir: Id, parent: Id) {
        if let Kind::Dir(_, p) = &mut self.nodes.get_mut(&dir).unwrap().kind {
            *p = parent;
        }
    }

    /// st_nlink as NetBSD reports it: names for a file, 2 + subdirectories
    /// for a directory.
    fn nlink(&self, id: Id) -> u32 {
        match &self.nodes[&id].kind {
            Kind::File(_) => self.nodes[&id].links,
            Kind::Dir(e, _) => 2 + e.values().filter(|&&c| self.is_dir(c)).count() as u32,
        }
    }

    /// Resolve all components: ENOTDIR when a file is used as a directory,
    /// ENOENT when a name is missing, in path order.
    fn lookup(&self, comps: &[&str]) -> Lookup {
        let mut cur = self.root;
        for c in comps {
            if !self.is_dir(cur) {
                return Err(Errno::ENOTDIR);
            }
            cur = *self.entries(cur).get(*c).ok_or(Errno::ENOENT)?;
        }
        Ok(cur)
    }

    /// Resolve the directory a path's last component is in.
    fn lookup_parent(&self, comps: &[&str]) -> Result<Id, Errno> {
        let dir = self.lookup(&comps[..comps.len() - 1])?;
        if self.is_dir(dir) {
            Ok(dir)
        } else {
            Err(Errno::ENOTDIR)
        }
    }

    /// Whether `anc` is `node` or one of its ancestors (directories only).
    fn is_ancestor(&self, anc: Id, mut node: Id) -> bool {
        loop {
            if node == anc {
                return true;
            }
            if node == self.root {
                return false;
            }
            node = self.parent(node);
        }
    }

    fn new_node(&mut self, kind: Kind, links: u32) -> Id {
        let id = self.next_id;
        self.next_id += 1;
        self.nodes.insert(
            id,
            Node {
                kind,
                links,
                opens: 0,
            },
        );
        id
    }

    /// Drop a name's reference; return the ids of nodes that died.
    fn unref(&mut self, id: Id) -> Vec<Id> {
        if self.is_dir(id) {
            assert!(
                self.entries(id).is_empty(),
                "model: freeing a full directory"
            );
            self.nodes.remove(&id);
            return vec![id];
        }
        let n = self.nodes.get_mut(&id).unwrap();
        n.links -= 1;
        if n.links == 0 && n.opens == 0 {
            self.nodes.remove(&id);
            vec![id]
        } else {
            vec![]
        }
    }

    /// Every path in the tree with its node, parents before children.
    fn paths(&self) -> Vec<(String, Id)> {
        let mut out = Vec::new();
        let mut stack = vec![(String::new(), self.root)];
        while let Some((p, id)) = stack.pop() {
            if let Kind::Dir(e, _) = &self.nodes[&id].kind {
                for (name, &child) in e.iter().rev() {
                    let cp = if p.is_empty() {
                        name.clone()
                    } else {
                        format!("{p}/{name}")
                    };
                    stack.push((cp.clone(), child));
                    out.push((cp, child));
                }
            }
        }
        out
    }
}

fn comps(path: &str) -> Vec<&str> {
    path.split('/').collect()
}

// ---------------------------------------------------------------------------
// the harness

/// A descriptor open on a regular file.
struct OpenFile {
    fd: i32,
    id: Id,
    read: bool,
    write: bool,
    append: bool,
    offset: u64,
}

struct Harness {
    k: Arc<Kernel>,
    fs: Fs,
    base: String,
    seed: u64,
    step: u64,
    cur: String,
    rng: Rng,
    model: Model,
    fds: Vec<OpenFile>,
    /// Model node -> the file system's inode number, as first observed.
    real_ino: HashMap<Id, u64>,
    /// The reverse, to catch two live nodes sharing an inode number.
    model_of: HashMap<u64, Id>,
    history: VecDeque<String>,
    /// The image of an FFS under test, checked with fsck at the end.
    image: Option<common::FfsImage>,
}

impl Harness {
    fn new(fs: Fs, seed: u64) -> Harness {
        let k = boot();
        let base = "/model".to_string();
        k.sys_mkdir(&base, 0o755).unwrap();
        let image = fs.mount(&k, &base, 0, 0);
        let mut h = Harness {
            k,
            fs,
            base,
            seed,
            step: 0,
            cur: "setup".into(),
            rng: Rng::new(seed),
            model: Model::new(),
            fds: Vec::new(),
            real_ino: HashMap::new(),
            model_of: HashMap::new(),
            history: VecDeque::new(),
            image,
        };
        let root_ino = h.k.sys_stat(&h.base).unwrap().ino;
        h.observe(h.model.root, root_ino, "the test directory");
        h
    }

    fn abs(&self, rel: &str) -> String {
        format!("{}/{rel}", self.base)
    }

    /// Stop with everything needed to reproduce the divergence.
    #[track_caller]
    fn diverged(&self, what: String) -> ! {
        let hist: Vec<&str> = self.history.iter().map(|s| s.as_str()).collect();
        panic!(
            "model divergence on {:?}: {what}\n  seed {:#x}, step {}, operation {}\n  \
             reproduce with RUMPVFS_MODEL_SEED={:#x} RUMPVFS_MODEL_OPS={}\n  \
             open descriptors: {:?}\n  last operations:\n    {}",
            self.fs,
            self.seed,
            self.step,
            self.cur,
            self.seed,
            self.step + 1,
            self.fds.iter().map(|f| f.fd).collect::<Vec<_>>(),
            hist.join("\n    ")
        );
    }

    /// Record (or check) that model node `id` is inode `ino`.
    fn observe(&mut self, id: Id, ino: u64, what: &str) {
        match self.real_ino.get(&id) {
            Some(&known) if known != ino => self.diverged(format!(
                "{what}: inode number {ino}, but this object was inode {known} before"
            )),
            Some(_) => {}
            None => {
                if let Some(&other) = self.model_of.get(&ino)
                    && other != id
                {
                    self.diverged(format!(
                        "{what}: inode number {ino} is already another live object's"
                    ));
                }
                self.real_ino.insert(id, ino);
                self.model_of.insert(ino, id);
            }
        }
    }

    /// Forget the inode numbers of nodes that no longer exist.
    fn forget(&mut self, dead: Vec<Id>) {
        for id in dead {
            if let Some(ino) = self.real_ino.remove(&id) {
                self.model_of.remove(&ino);
            }
        }
    }

    // --- generating --------------------------------------------------------

    /// A path: an existing one, a name in an existing directory (new or
    /// not), or random names that may run through missing directories and
    /// files.
    fn gen_path(&mut self) -> String {
        let roll = self.rng.below(100);
        if roll < 40 {
            let paths = self.model.paths();
            if !paths.is_empty() {
                return self.rng.pick(&paths).0.clone();
            }
        } else if roll < 85 {
            let mut dirs: Vec<String> = self
                .model
                .paths()
                .into_iter()
                .filter(|(p, id)| self.model.is_dir(*id) && p.split('/').count() < MAX_DEPTH)
                .map(|(p, _)| p)
                .collect();
            dirs.push(String::new());
            let dir = self.rng.pick(&dirs).clone();
            let name = *self.rng.pick(&NAMES);
            return if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
        }
        self.gen_fresh_path()
    }

    fn gen_fresh_path(&mut self) -> String {
        let depth = self.rng.range(1, MAX_DEPTH as u64);
        (0..depth)
            .map(|_| *self.rng.pick(&NAMES))
            .collect::<Vec<_>>()
            .join("/")
    }

    fn gen_len(&mut self) -> usize {
        match self.rng.below(100) {
            0..=79 => self.rng.range(1, 4096) as usize,
            80..=94 => self.rng.range(1, 32 * 1024) as usize,
            _ => self.rng.range(1, 64 * 1024) as usize,
        }
    }

    fn gen_op(&mut self) -> Op {
        let have_fd = !self.fds.is_empty();
        let slot = if have_fd {
            self.rng.below(self.fds.len() as u64) as usize
        } else {
            0
        };
        let size = if have_fd {
            self.model.file(self.fds[slot].id).len() as u64
        } else {
            0
        };
        let roll = self.rng.below(110);
        let fd_op = (14..74).contains(&roll);
        if fd_op && !have_fd {
            return self.gen_open();
        }
        if roll < 14 && self.fds.len() >= MAX_FDS {
            return Op::Close { slot };
        }
        match roll {
            0..=13 => self.gen_open(),
            14..=21 => Op::Close { slot },
            22..=35 => {
                let off = if self.rng.pct(70) {
                    self.rng.range(0, size)
                } else {
                    self.rng.range(size, size.max(MAX_FILE))
                };
                let len = self.gen_len();
                let tag = self.rng.next() as u8;
                Op::Pwrite {
                    slot,
                    off,
                    len,
                    tag,
                }
            }
            36..=41 => {
                let len = self.gen_len();
                Op::Write {
                    slot,
                    len,
                    tag: self.rng.next() as u8,
                }
            }
            42..=53 => {
                let off = self.rng.range(0, size + 4096);
                let len = self.gen_len();
                Op::Pread { slot, off, len }
            }
            54..=58 => {
                let len = self.gen_len();
                Op::Read { slot, len }
            }
            59..=62 => {
                let (off, whence) = match self.rng.below(3) {
                    0 => (self.rng.range(0, MAX_FILE) as i64, SEEK_SET),
                    1 => (self.rng.range(0, 8192) as i64 - 4096, SEEK_CUR),
                    _ => (
                        self.rng.range(0, size + 4106) as i64 - size as i64 - 10,
                        SEEK_END,
                    ),
                };
                Op::Lseek { slot, off, whence }
            }
            63..=68 => {
                let len = self.gen_trunc_len(size);
                Op::Ftruncate { slot, len }
            }
            69..=73 => Op::Fstat { slot },
            74..=76 => {
                let path = self.gen_path();
                let len = self.gen_trunc_len(size);
                Op::Truncate { path, len }
            }
            77..=82 => Op::Stat {
                path: self.gen_path(),
            },
            83..=87 => Op::Unlink {
                path: self.gen_path(),
            },
            88..=92 => Op::Mkdir {
                path: self.gen_path(),
            },
            93..=96 => Op::Rmdir {
                path: self.gen_path(),
            },
            97..=103 => Op::Rename {
                from: self.gen_path(),
                to: self.gen_path(),
            },
            104..=106 => Op::Link {
                from: self.gen_path(),
                to: self.gen_path(),
            },
            _ => Op::Readdir {
                path: if self.rng.pct(20) {
                    String::new()
                } else {
                    self.gen_path()
                },
            },
        }
    }

    fn gen_trunc_len(&mut self, size: u64) -> u64 {
        match self.rng.below(4) {
            0 => 0,
            1 => self.rng.range(0, size),
            _ => self.rng.range(0, MAX_FILE),
        }
    }

    fn gen_open(&mut self) -> Op {
        let path = self.gen_path();
        let mut flags = *self.rng.pick(&[O_RDONLY, O_WRONLY, O_RDWR, O_RDWR]);
        if flags != O_RDONLY {
            if self.rng.pct(50) {
                flags |= O_CREAT;
                if self.rng.pct(30) {
                    flags |= O_EXCL;
                }
            }
            if self.rng.pct(15) {
                flags |= O_TRUNC;
            }
            if self.rng.pct(20) {
                flags |= O_APPEND;
            }
        }
        Op::Open { path, flags }
    }

    // --- applying ----------------------------------------------------------

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Open { path, flags } => self.do_open(path, *flags),
            Op::Close { slot } => {
                let f = self.fds.remove(*slot);
                if let Err(e) = self.k.sys_close(f.fd) {
                    self.diverged(format!("close({}) failed: {e:?}", f.fd));
                }
                let n = self.model.nodes.get_mut(&f.id).unwrap();
                n.opens -= 1;
                if n.opens == 0 && n.links == 0 {
                    self.model.nodes.remove(&f.id);
                    self.forget(vec![f.id]);
                }
            }
            Op::Pwrite {
                slot,
                off,
                len,
                tag,
            } => self.do_write(*slot, Some(*off), *len, *tag),
            Op::Write { slot, len, tag } => self.do_write(*slot, None, *len, *tag),
            Op::Pread { slot, off, len } => self.do_read(*slot, Some(*off), *len),
            Op::Read { slot, len } => self.do_read(*slot, None, *len),
            Op::Lseek { slot, off, whence } => self.do_lseek(*slot, *off, *whence),
            Op::Ftruncate { slot, len } => {
                let f = &self.fds[*slot];
                let (fd, id, write) = (f.fd, f.id, f.write);
                let got = self.k.sys_ftruncate(fd, *len as i64);
                let want = if write { Ok(()) } else { Err(Errno::EINVAL) };
                if got != want {
                    self.diverged(format!(
                        "ftruncate({fd}, {len}): got {got:?}, want {want:?}"
                    ));
                }
                if got.is_ok() {
                    self.model.file_mut(id).resize(*len as usize, 0);
                }
                self.check_fd(*slot);
            }
            Op::Truncate { path, len } => {
                let want = match self.model.lookup(&comps(path)) {
                    Err(e) => Err(e),
                    Ok(id) if self.model.is_dir(id) => Err(Errno::EISDIR),
                    Ok(id) => Ok(id),
                };
                let got = self.k.sys_truncate(&self.abs(path), *len as i64);
                match (want, got) {
                    (Ok(id), Ok(())) => self.model.file_mut(id).resize(*len as usize, 0),
                    (Err(w), Err(g)) if w == g => {}
                    (w, g) => self.diverged(format!(
                        "truncate({path}, {len}): got {g:?}, want {:?}",
                        w.map(|_| ())
                    )),
                }
                self.check_path(path);
            }
            Op::Fstat { slot } => self.check_fd(*slot),
            Op::Stat { path } => self.check_path(path),
            Op::Unlink { path } => self.do_unlink(path),
            Op::Mkdir { path } => self.do_mkdir(path),
            Op::Rmdir { path } => self.do_rmdir(path),
            Op::Rename { from, to } => self.do_rename(from, to),
            Op::Link { from, to } => self.do_link(from, to),
            Op::Readdir { path } => self.do_readdir(path),
        }
    }

    fn do_open(&mut self, path: &str, flags: i32) {
        let c = comps(path);
        let acc = flags & 3;
        let writes = acc != O_RDONLY;
        // (node or "create", is a directory)
        let want: Result<Option<Id>, Errno> = match self.model.lookup_parent(&c) {
            Err(e) => Err(e),
            Ok(dir) => match self.model.entries(dir).get(*c.last().unwrap()) {
                Some(_) if flags & O_CREAT != 0 && flags & O_EXCL != 0 => Err(Errno::EEXIST),
                Some(&id) if self.model.is_dir(id) && (writes || flags & O_TRUNC != 0) => {
                    Err(Errno::EISDIR)
                }
                Some(&id) => Ok(Some(id)),
                None if flags & O_CREAT != 0 => Ok(None),
                None => Err(Errno::ENOENT),
            },
        };
        let got = self.k.sys_open(&self.abs(path), flags, 0o644);
        let fd = match (&want, got) {
            (Ok(_), Ok(fd)) => fd,
            (Err(w), Err(g)) if *w == g => return,
            (w, g) => self.diverged(format!("open({path}, {flags:#x}): got {g:?}, want {w:?}")),
        };
        let id = match want.unwrap() {
            Some(id) if self.model.is_dir(id) => {
                // a directory opened for reading: nothing to track
                if let Err(e) = self.k.sys_close(fd) {
                    self.diverged(format!("close of a directory descriptor: {e:?}"));
                }
                return;
            }
            Some(id) => {
                if flags & O_TRUNC != 0 {
                    self.model.file_mut(id).clear();
                }
                id
            }
            None => {
                let dir = self.model.lookup_parent(&c).unwrap();
                let id = self.model.new_node(Kind::File(Vec::new()), 1);
                self.model
                    .entries_mut(dir)
                    .insert(c.last().unwrap().to_string(), id);
                id
            }
        };
        self.model.nodes.get_mut(&id).unwrap().opens += 1;
        self.fds.push(OpenFile {
            fd,
            id,
            read: acc != O_WRONLY,
            write: writes,
            append: flags & O_APPEND != 0,
            offset: 0,
        });
        self.check_fd(self.fds.len() - 1);
        self.check_path(path);
    }

    fn do_write(&mut self, slot: usize, off: Option<u64>, len: usize, tag: u8) {
        let f = &self.fds[slot];
        let (fd, id, append) = (f.fd, f.id, f.append);
        let size = self.model.file(id).len() as u64;
        // NetBSD: an O_APPEND descriptor writes at the end, pwrite included.
        let at = if append {
            size
        } else {
            off.unwrap_or(f.offset)
        };
        let buf = data(tag, at, len);
        let got = match off {
            Some(o) => self.k.sys_pwrite(fd, &buf, o as i64),
            None => self.k.sys_write(fd, &buf),
        };
        let want = if f.write { Ok(len) } else { Err(Errno::EBADF) };
        if got != want {
            self.diverged(format!(
                "{}({fd}, {len} bytes{}): got {got:?}, want {want:?}",
                if off.is_some() { "pwrite" } else { "write" },
                off.map(|o| format!(" at {o}")).unwrap_or_default()
            ));
        }
        if got.is_ok() {
            let d = self.model.file_mut(id);
            let end = at as usize + len;
            if d.len() < end {
                d.resize(end, 0);
            }
            d[at as usize..end].copy_from_slice(&buf);
            if off.is_none() {
                self.fds[slot].offset = end as u64;
            }
            // read the written range back
            if self.fds[slot].read {
                let back = self.pread_all(fd, at, len);
                if back.as_deref() != Ok(&buf[..]) {
                    self.diverged(format!(
                        "reading back {len} bytes written at {at} through fd {fd}: {}",
                        describe_diff(back, &buf)
                    ));
                }
            }
        }
        self.check_fd(slot);
    }

    fn do_read(&mut self, slot: usize, off: Option<u64>, len: usize) {
        let f = &self.fds[slot];
        let (fd, id) = (f.fd, f.id);
        let at = off.unwrap_or(f.offset);
        let mut buf = vec![0u8; len];
        let got = match off {
            Some(o) => self.k.sys_pread(fd, &mut buf, o as i64),
            None => self.k.sys_read(fd, &mut buf),
        };
        if !f.read {
            if got != Err(Errno::EBADF) {
                self.diverged(format!(
                    "read on write-only fd {fd}: got {got:?}, want EBADF"
                ));
            }
            return;
        }
        let d = self.model.file(id);
        let start = (at as usize).min(d.len());
        let end = (at as usize + len).min(d.len());
        let want = &d[start..end];
        match got {
            Ok(n) if n == want.len() && &buf[..n] == want => {}
            Ok(n) => self.diverged(format!(
                "read {len} at {at} from fd {fd} (size {}): got {n} bytes, {}",
                d.len(),
                describe_diff(Ok(buf[..n].to_vec()), want)
            )),
            Err(e) => self.diverged(format!("read {len} at {at} from fd {fd}: {e:?}")),
        }
        if off.is_none() {
            self.fds[slot].offset = at + want.len() as u64;
        }
    }

    fn do_lseek(&mut self, slot: usize, off: i64, whence: i32) {
        let f = &self.fds[slot];
        let fd = f.fd;
        let base = match whence {
            SEEK_SET => 0,
            SEEK_CUR => f.offset as i64,
            _ => self.model.file(f.id).len() as i64,
        };
        let want = if base + off < 0 {
            Err(Errno::EINVAL)
        } else {
            Ok(base + off)
        };
        let got = self.k.sys_lseek(fd, off, whence);
        if got != want {
            self.diverged(format!(
                "lseek({fd}, {off}, {whence}): got {got:?}, want {want:?}"
            ));
        }
        if let Ok(n) = got {
            self.fds[slot].offset = n as u64;
        }
    }

    fn do_unlink(&mut self, path: &str) {
        let c = comps(path);
        let want = match self.model.lookup(&c) {
            Err(e) => Err(e),
            Ok(id) if self.model.is_dir(id) => Err(Errno::EPERM),
            Ok(id) => Ok(id),
        };
        let got = self.k.sys_unlink(&self.abs(path));
        match (want, got) {
            (Ok(id), Ok(())) => {
                let dir = self.model.lookup_parent(&c).unwrap();
                self.model.entries_mut(dir).remove(*c.last().unwrap());
                let dead = self.model.unref(id);
                self.forget(dead);
            }
            (Err(w), Err(g)) if w == g => {}
            (w, g) => self.diverged(format!(
                "unlink({path}): got {g:?}, want {:?}",
                w.map(|_| ())
            )),
        }
        self.check_path(path);
        self.check_parent(path);
    }

    fn do_mkdir(&mut self, path: &str) {
        let c = comps(path);
        let want = match self.model.lookup_parent(&c) {
            Err(e) => Err(e),
            Ok(dir) if self.model.entries(dir).contains_key(*c.last().unwrap()) => {
                Err(Errno::EEXIST)
            }
            Ok(dir) => Ok(dir),
        };
        let got = self.k.sys_mkdir(&self.abs(path), 0o755);
        match (want, got) {
            (Ok(dir), Ok(())) => {
                let id = self.model.new_node(Kind::Dir(BTreeMap::new(), dir), 0);
                self.model
                    .entries_mut(dir)
                    .insert(c.last().unwrap().to_string(), id);
            }
            (Err(w), Err(g)) if w == g => {}
            (w, g) => self.diverged(format!(
                "mkdir({path}): got {g:?}, want {:?}",
                w.map(|_| ())
            )),
        }
        self.check_path(path);
        self.check_parent(path);
    }

    fn do_rmdir(&mut self, path: &str) {
        let c = comps(path);
        let want = match self.model.lookup(&c) {
            Err(e) => Err(e),
            Ok(id) if !self.model.is_dir(id) => Err(Errno::ENOTDIR),
            Ok(id) if !self.model.entries(id).is_empty() => Err(Errno::ENOTEMPTY),
            Ok(id) => Ok(id),
        };
        let got = self.k.sys_rmdir(&self.abs(path));
        match (want, got) {
            (Ok(id), Ok(())) => {
                let dir = self.model.lookup_parent(&c).unwrap();
                self.model.entries_mut(dir).remove(*c.last().unwrap());
                let dead = self.model.unref(id);
                self.forget(dead);
            }
            (Err(w), Err(g)) if w == g => {}
            (w, g) => self.diverged(format!(
                "rmdir({path}): got {g:?}, want {:?}",
                w.map(|_| ())
            )),
        }
        self.check_path(path);
        self.check_parent(path);
    }

    /// rename as NetBSD does it: lookup errors of the source first, then of
    /// the target; then the rename rules. Where several rules are broken at
    /// once NetBSD's order is an implementation detail, so any of their
    /// errors is accepted; where exactly one is broken, only its errno.
    fn rename_want(&self, from: &str, to: &str) -> Result<(), Vec<Errno>> {
        let m = &self.model;
        let fc = comps(from);
        let tc = comps(to);
        let src = m.lookup(&fc).map_err(|e| vec![e])?;
        let tdir = m.lookup_parent(&tc).map_err(|e| vec![e])?;
        if self.fs == Fs::Rumpfs {
            // NetBSD's rumpfs refuses the target's lookup for RENAME.
            return Err(vec![Errno::EOPNOTSUPP]);
        }
        let tgt = m.entries(tdir).get(*tc.last().unwrap()).copied();
        let fdir = m.lookup_parent(&fc).unwrap();
        if fdir == tdir && fc.last() == tc.last() {
            return Ok(()); // the same entry: nothing to do
        }
        if tgt == Some(src) {
            return Ok(()); // hard links of one file: the source name goes
        }
        let mut errs = Vec::new();
        let src_dir = m.is_dir(src);
        if src_dir && m.is_ancestor(src, tdir) {
            errs.push(Errno::EINVAL);
        }
        if let Some(t) = tgt {
            let t_dir = m.is_dir(t);
            if src_dir && !t_dir {
                errs.push(Errno::ENOTDIR);
            }
            if !src_dir && t_dir {
                errs.push(Errno::EISDIR);
            }
            if src_dir && t_dir && !m.entries(t).is_empty() {
                errs.push(Errno::ENOTEMPTY);
            }
            if t_dir && m.is_ancestor(t, fdir) {
                // the target contains the source: also refused as EINVAL
                errs.push(Errno::EINVAL);
                if !src_dir {
                    errs.push(Errno::EISDIR);
                } else {
                    errs.push(Errno::ENOTEMPTY);
                }
            }
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }

    fn do_rename(&mut self, from: &str, to: &str) {
        let want = self.rename_want(from, to);
        let got = self.k.sys_rename(&self.abs(from), &self.abs(to));
        match (&want, got) {
            (Ok(()), Ok(())) => self.apply_rename(from, to),
            (Err(set), Err(g)) if set.contains(&g) => {}
            (w, g) => self.diverged(format!("rename({from}, {to}): got {g:?}, want {w:?}")),
        }
        for p in [from, to] {
            self.check_path(p);
            self.check_parent(p);
        }
    }

    fn apply_rename(&mut self, from: &str, to: &str) {
        let fc = comps(from);
        let tc = comps(to);
        let m = &mut self.model;
        let src = m.lookup(&fc).unwrap();
        let fdir = m.lookup_parent(&fc).unwrap();
        let tdir = m.lookup_parent(&tc).unwrap();
        let fname = fc.last().unwrap().to_string();
        let tname = tc.last().unwrap().to_string();
        if fdir == tdir && fname == tname {
            return;
        }
        let tgt = m.entries(tdir).get(&tname).copied();
        m.entries_mut(fdir).remove(&fname);
        let dead = if tgt == Some(src) {
            // hard links of one file: NetBSD removes the source name
            m.unref(src)
        } else {
            m.entries_mut(tdir).insert(tname, src);
            if m.is_dir(src) {
                m.set_parent(src, tdir);
            }
            match tgt {
                Some(t) => m.unref(t),
                None => Vec::new(),
            }
        };
        self.forget(dead);
    }

    fn do_link(&mut self, from: &str, to: &str) {
        let fc = comps(from);
        let tc = comps(to);
        let want: Result<Id, Vec<Errno>> = (|| {
            let m = &self.model;
            let src = m.lookup(&fc).map_err(|e| vec![e])?;
            let tdir = m.lookup_parent(&tc).map_err(|e| vec![e])?;
            let exists = m.entries(tdir).contains_key(*tc.last().unwrap());
            let mut errs = Vec::new();
            if exists {
                errs.push(Errno::EEXIST);
            }
            if m.is_dir(src) {
                errs.push(Errno::EPERM);
            }
            if errs.is_empty() && self.fs == Fs::Rumpfs {
                // NetBSD's rumpfs has no VOP_LINK.
                errs.push(Errno::EOPNOTSUPP);
            }
            if errs.is_empty() { Ok(src) } else { Err(errs) }
        })();
        let got = self.k.sys_link(&self.abs(from), &self.abs(to));
        match (&want, got) {
            (Ok(src), Ok(())) => {
                let src = *src;
                let tdir = self.model.lookup_parent(&tc).unwrap();
                self.model
                    .entries_mut(tdir)
                    .insert(tc.last().unwrap().to_string(), src);
                self.model.nodes.get_mut(&src).unwrap().links += 1;
            }
            (Err(set), Err(g)) if set.contains(&g) => {}
            (w, g) => self.diverged(format!("link({from}, {to}): got {g:?}, want {w:?}")),
        }
        self.check_path(from);
        self.check_path(to);
    }

    fn do_readdir(&mut self, path: &str) {
        let want = if path.is_empty() {
            Ok(self.model.root)
        } else {
            match self.model.lookup(&comps(path)) {
                Ok(id) if !self.model.is_dir(id) => Err(Errno::ENOTDIR),
                r => r,
            }
        };
        let abs = if path.is_empty() {
            self.base.clone()
        } else {
            self.abs(path)
        };
        let got = self.k.sys_open(&abs, O_RDONLY | O_DIRECTORY, 0);
        match (want, got) {
            (Ok(id), Ok(fd)) => {
                self.compare_listing(path, id, fd);
                if let Err(e) = self.k.sys_close(fd) {
                    self.diverged(format!("close of directory fd: {e:?}"));
                }
            }
            (Err(w), Err(g)) if w == g => {}
            (w, g) => self.diverged(format!(
                "open({path:?}, O_DIRECTORY): got {g:?}, want {:?}",
                w.map(|_| ())
            )),
        }
    }

    // --- comparing ---------------------------------------------------------

    /// getdents on `fd` must list exactly the model's entries of `dir`, each
    /// once, with the right types and inode numbers, plus "." and ".."
    /// (not on rumpfs).
    fn compare_listing(&mut self, path: &str, dir: Id, fd: i32) {
        let ents = match self.k.sys_getdents(fd) {
            Ok(e) => e,
            Err(e) => self.diverged(format!("getdents of {path:?}: {e:?}")),
        };
        let mut seen = BTreeMap::new();
        for d in &ents {
            let name = String::from_utf8_lossy(&d.name).into_owned();
            if seen.insert(name.clone(), (d.ino, d.typ)).is_some() {
                self.diverged(format!("getdents of {path:?} lists {name:?} twice"));
            }
        }
        let dot = seen.remove(".");
        let dotdot = seen.remove("..");
        if self.fs == Fs::Rumpfs {
            // NetBSD's rumpfs lists neither, and the newest entry first:
            // without renames and links, the highest number first.
            if dot.is_some() || dotdot.is_some() {
                self.diverged(format!("getdents of {path:?} lists \".\" or \"..\""));
            }
            if ents.windows(2).any(|w| w[0].ino < w[1].ino) {
                self.diverged(format!("getdents of {path:?} is not newest first"));
            }
        } else {
            if dot.is_none() || dotdot.is_none() {
                self.diverged(format!(
                    "getdents of {path:?} lacks \".\" or \"..\": {seen:?}"
                ));
            }
            let (dot_ino, _) = dot.unwrap();
            self.observe(dir, dot_ino, &format!("\".\" of {path:?}"));
            if dir != self.model.root {
                let parent = self.model.parent(dir);
                self.observe(parent, dotdot.unwrap().0, &format!("\"..\" of {path:?}"));
            }
        }
        let want: Vec<(String, Id)> = self
            .model
            .entries(dir)
            .iter()
            .map(|(n, &id)| (n.clone(), id))
            .collect();
        let got_names: Vec<&String> = seen.keys().collect();
        let want_names: Vec<&String> = want.iter().map(|(n, _)| n).collect();
        if got_names != want_names {
            self.diverged(format!(
                "listing of {path:?}: got {got_names:?}, want {want_names:?}"
            ));
        }
        for (name, id) in want {
            let (ino, typ) = seen[&name];
            let want_typ = if self.model.is_dir(id) {
                DT_DIR
            } else {
                DT_REG
            };
            if typ != want_typ {
                self.diverged(format!(
                    "d_type of {path:?}/{name}: got {typ}, want {want_typ}"
                ));
            }
            self.observe(id, ino, &format!("dirent {path:?}/{name}"));
        }
    }

    /// stat `path` and compare it with the model.
    fn check_path(&mut self, path: &str) {
        let want = self.model.lookup(&comps(path));
        let got = self.k.sys_lstat(&self.abs(path));
        match (want, got) {
            (Ok(id), Ok(st)) => self.compare_stat(id, &st, &format!("lstat({path})")),
            (Err(w), Err(g)) if w == g => {}
            (w, g) => self.diverged(format!(
                "lstat({path}): got {:?}, want {:?}",
                g.map(|st| (st.mode, st.size, st.nlink)),
                w
            )),
        }
    }

    /// stat the directory `path` is in (its link count may have changed).
    fn check_parent(&mut self, path: &str) {
        match path.rsplit_once('/') {
            Some((parent, _)) => self.check_path(parent),
            None => {
                let st = self.k.sys_lstat(&self.base).unwrap();
                self.compare_stat(self.model.root, &st, "lstat of the test directory");
            }
        }
    }

    fn compare_stat(&mut self, id: Id, st: &rump::file::Stat, what: &str) {
        let is_dir = self.model.is_dir(id);
        let want_type = if is_dir { S_IFDIR } else { S_IFREG };
        if st.mode & S_IFMT != want_type {
            self.diverged(format!(
                "{what}: mode {:o}, want type {want_type:o}",
                st.mode
            ));
        }
        // NetBSD's rumpfs keeps a directory's count at 2 (`makeprivate`).
        let want_nlink = if is_dir && self.fs == Fs::Rumpfs {
            2
        } else {
            self.model.nlink(id)
        };
        if st.nlink != want_nlink {
            self.diverged(format!("{what}: nlink {}, want {want_nlink}", st.nlink));
        }
        if !is_dir {
            let size = self.model.file(id).len() as i64;
            if st.size != size {
                self.diverged(format!("{what}: size {}, want {size}", st.size));
            }
        }
        self.observe(id, st.ino, what);
    }

    fn check_fd(&mut self, slot: usize) {
        let (fd, id) = (self.fds[slot].fd, self.fds[slot].id);
        match self.k.sys_fstat(fd) {
            Ok(st) => self.compare_stat(id, &st, &format!("fstat({fd})")),
            Err(e) => self.diverged(format!("fstat({fd}): {e:?}")),
        }
    }

    /// pread `len` bytes at `off`, retrying short reads.
    fn pread_all(&self, fd: i32, off: u64, len: usize) -> Result<Vec<u8>, Errno> {
        let mut out = vec![0u8; len];
        let mut done = 0;
        while done < len {
            let n = self
                .k
                .sys_pread(fd, &mut out[done..], (off as usize + done) as i64)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        out.truncate(done);
        Ok(out)
    }

    /// Compare everything: every listing, every object's attributes, every
    /// file's contents, every open descriptor.
    fn full_check(&mut self) {
        let root_fd = match self.k.sys_open(&self.base, O_RDONLY | O_DIRECTORY, 0) {
            Ok(fd) => fd,
            Err(e) => self.diverged(format!("open of the test directory: {e:?}")),
        };
        self.compare_listing("", self.model.root, root_fd);
        self.k.sys_close(root_fd).unwrap();
        for (path, id) in self.model.paths() {
            self.check_path(&path);
            if self.model.is_dir(id) {
                self.do_readdir(&path);
            } else {
                let want = self.model.file(id).clone();
                let fd = match self.k.sys_open(&self.abs(&path), O_RDONLY, 0) {
                    Ok(fd) => fd,
                    Err(e) => self.diverged(format!("open({path}) for the full check: {e:?}")),
                };
                let got = self.pread_all(fd, 0, want.len() + 1);
                self.k.sys_close(fd).unwrap();
                if got.as_deref() != Ok(&want[..]) {
                    self.diverged(format!("contents of {path}: {}", describe_diff(got, &want)));
                }
            }
        }
        for slot in 0..self.fds.len() {
            self.check_fd(slot);
            let (fd, id, read) = (self.fds[slot].fd, self.fds[slot].id, self.fds[slot].read);
            if read {
                let want = self.model.file(id).clone();
                let got = self.pread_all(fd, 0, want.len() + 1);
                if got.as_deref() != Ok(&want[..]) {
                    self.diverged(format!(
                        "contents through fd {fd}: {}",
                        describe_diff(got, &want)
                    ));
                }
            }
        }
    }

    fn close_all(&mut self) {
        for f in std::mem::take(&mut self.fds) {
            self.k.sys_close(f.fd).unwrap();
        }
        if self.fs.mounted() {
            self.k
                .sys_unmount(&self.base, 0)
                .expect("unmount after the model run");
        }
        if let Some(img) = &self.image {
            img.assert_clean();
        }
    }
}

/// Where two byte strings first differ, for a divergence report.
fn describe_diff(got: Result<Vec<u8>, Errno>, want: &[u8]) -> String {
    let got = match got {
        Ok(g) => g,
        Err(e) => return format!("error {e:?}, want {} bytes", want.len()),
    };
    if got.len() != want.len() {
        return format!("{} bytes, want {}", got.len(), want.len());
    }
    match (0..got.len()).find(|&i| got[i] != want[i]) {
        Some(i) => format!(
            "first difference at byte {i}: got {:#04x}, want {:#04x}",
            got[i], want[i]
        ),
        None => "equal".into(),
    }
}
