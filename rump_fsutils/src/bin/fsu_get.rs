//! `fsu_get`: copy files of the image to the host (`fsu_ecp -g`).

use rump_fsutils::session::Command;

const USAGE: &str = "usage: fsu_get [-o mnt_args] [-t fstype] image [-LRv] src target\n\
                     usage: fsu_get [-o mnt_args] [-t fstype] image [-LRv] src ... directory";

fn main() {
    rump_fsutils::xfer::run_ecp(Command::parse("fsu_get", USAGE, "LRv"), false)
}
