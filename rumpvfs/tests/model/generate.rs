//! Generating operations: paths, lengths and the next operation, from
//! what the model holds now.

use super::*;

impl Harness {
    /// A path: an existing one, a name in an existing directory (new or
    /// not), or random names that may run through missing directories and
    /// files.
    pub(crate) fn gen_path(&mut self) -> String {
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

    pub(crate) fn gen_fresh_path(&mut self) -> String {
        let depth = self.rng.range(1, MAX_DEPTH as u64);
        (0..depth)
            .map(|_| *self.rng.pick(&NAMES))
            .collect::<Vec<_>>()
            .join("/")
    }

    pub(crate) fn gen_len(&mut self) -> usize {
        match self.rng.below(100) {
            0..=79 => self.rng.range(1, 4096) as usize,
            80..=94 => self.rng.range(1, 32 * 1024) as usize,
            _ => self.rng.range(1, 64 * 1024) as usize,
        }
    }

    pub(crate) fn gen_op(&mut self) -> Op {
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

    pub(crate) fn gen_trunc_len(&mut self, size: u64) -> u64 {
        match self.rng.below(4) {
            0 => 0,
            1 => self.rng.range(0, size),
            _ => self.rng.range(0, MAX_FILE),
        }
    }

    pub(crate) fn gen_open(&mut self) -> Op {
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
}
