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

mod apply;
#[path = "../common/mod.rs"]
mod common;
mod compare;
mod generate;
mod generator;
mod harness;
mod model;
mod nfs;

use generator::*;
use harness::*;
use model::*;

use common::Fs;
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
/// Operations on NFS unless `RUMPVFS_MODEL_OPS` says otherwise: every one
/// is a few calls to the server, and CI has two cores.
const DEFAULT_NFS_OPS: u64 = 20_000;
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

#[test]
fn model_nfs() {
    common::nfs::run_inside("model_nfs", || run(Fs::Nfs));
}

/// Run the configured number of operations on `fs`.
fn run(fs: Fs) {
    let default = if fs == Fs::Nfs {
        DEFAULT_NFS_OPS
    } else {
        DEFAULT_OPS
    };
    let ops = env_u64("RUMPVFS_MODEL_OPS").unwrap_or(default);
    let seed = env_u64("RUMPVFS_MODEL_SEED").unwrap_or(DEFAULT_SEED);
    let mut h = Harness::new(fs, seed);
    for step in 0..ops {
        h.step = step;
        let mut op = h.gen_op();
        while fs == Fs::Nfs && nfs::differs(&h, &op).is_some() {
            op = h.gen_op();
        }
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
