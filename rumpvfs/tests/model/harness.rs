//! The harness: one file system under test beside the model, the
//! descriptors open on both, and what a divergence reports.

use super::*;

/// A descriptor open on a regular file.
pub(crate) struct OpenFile {
    pub(crate) fd: i32,
    pub(crate) id: Id,
    pub(crate) read: bool,
    pub(crate) write: bool,
    pub(crate) append: bool,
    pub(crate) offset: u64,
}

pub(crate) struct Harness {
    pub(crate) k: Arc<Kernel>,
    pub(crate) fs: Fs,
    pub(crate) base: String,
    pub(crate) seed: u64,
    pub(crate) step: u64,
    pub(crate) cur: String,
    pub(crate) rng: Rng,
    pub(crate) model: Model,
    pub(crate) fds: Vec<OpenFile>,
    /// Model node -> the file system's inode number, as first observed.
    pub(crate) real_ino: HashMap<Id, u64>,
    /// The reverse, to catch two live nodes sharing an inode number.
    pub(crate) model_of: HashMap<u64, Id>,
    pub(crate) history: VecDeque<String>,
    /// The image of an FFS under test, checked with fsck at the end.
    pub(crate) image: Option<common::FfsImage>,
}

impl Harness {
    pub(crate) fn new(fs: Fs, seed: u64) -> Harness {
        let k = common::boot_for(fs);
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

    pub(crate) fn abs(&self, rel: &str) -> String {
        format!("{}/{rel}", self.base)
    }

    /// Stop with everything needed to reproduce the divergence.
    #[track_caller]
    pub(crate) fn diverged(&self, what: String) -> ! {
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
    pub(crate) fn observe(&mut self, id: Id, ino: u64, what: &str) {
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
    pub(crate) fn forget(&mut self, dead: Vec<Id>) {
        for id in dead {
            if let Some(ino) = self.real_ino.remove(&id) {
                self.model_of.remove(&ino);
            }
        }
    }

    pub(crate) fn close_all(&mut self) {
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
pub(crate) fn describe_diff(got: Result<Vec<u8>, Errno>, want: &[u8]) -> String {
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
