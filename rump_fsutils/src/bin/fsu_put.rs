//! `fsu_put`: copy host files into the image (`fsu_ecp -p`).

use rump_fsutils::session::Command;

const USAGE: &str = "usage: fsu_put [-o mnt_args] [-t fstype] image [-LRv] src target\n\
                     usage: fsu_put [-o mnt_args] [-t fstype] image [-LRv] src ... directory";

fn main() {
    rump_fsutils::xfer::run_ecp(Command::parse("fsu_put", USAGE, "LRv"), true)
}
