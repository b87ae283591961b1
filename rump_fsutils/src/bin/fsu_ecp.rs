//! `fsu_ecp`: copy files between the host and the image, `-p` (put:
//! host to image) or `-g` (get: image to host).

use rump_fsutils::session::Command;

const USAGE: &str = "usage: fsu_ecp [-o mnt_args] [-t fstype] image [-gLpRv] src target\n\
                     usage: fsu_ecp [-o mnt_args] [-t fstype] image [-gLpRv] src ... directory";

fn main() {
    let cmd = Command::parse("fsu_ecp", USAGE, "gLpRv");
    let put = cmd.args.flags.iter().rev().find_map(|(c, _)| match c {
        'p' => Some(true),
        'g' => Some(false),
        _ => None,
    });
    let Some(put) = put else {
        eprintln!("fsu_ecp: -g or -p should be specified");
        cmd.usage()
    };
    rump_fsutils::xfer::run_ecp(cmd, put)
}
