//! `rump_tmpfs`: a tmpfs in a rump kernel inside this daemon, mounted on
//! the host through FUSE.

use rump_fuse::opts::Kind;
use std::process::ExitCode;

const USAGE: &str = "usage: rump_tmpfs [-df] [-o options] [-s size] mountpoint";

fn main() -> ExitCode {
    rump_fuse::daemon::main("rump_tmpfs", Kind::Tmpfs, USAGE)
}
