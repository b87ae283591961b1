//! `librumphijack.so` under unmodified Debian programs, against a real
//! `rump_server` with tmpfs: every result is compared with what the same
//! program gives on a host directory.

#[path = "../common/mod.rs"]
mod common;
mod connection;
mod dot_listings;
mod ffs;
mod ipv6;
mod mmap;
mod paths;
mod processes;
mod rig;
mod sqlite;
mod tools;

use common::*;
use rig::*;
use rumpclient::{Client, Regions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
