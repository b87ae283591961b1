//! `rump_ffs`: an FFS image mounted on the host through a rump kernel
//! inside this daemon and FUSE.

use rump_fuse::opts::Kind;
use std::process::ExitCode;

const USAGE: &str = "usage: rump_ffs [-df] [-o options] image mountpoint";

fn main() -> ExitCode {
    rump_fuse::daemon::main("rump_ffs", Kind::Ffs, USAGE)
}
