//! `fsu_cat`: copy files of the image to standard output.

use rump_fsutils::session::{Access, Command};
use rump_fsutils::xfer::{Image, Side};
use std::io::Write;

const USAGE: &str = "usage: fsu_cat [-o mnt_args] [-t fstype] image file ...";

/// Copy standard input to `out`, for the operand `-`.
fn stdin_to(out: &mut dyn Write) -> std::io::Result<()> {
    std::io::copy(&mut std::io::stdin().lock(), out).map(|_| ())
}

fn main() {
    let cmd = Command::parse("fsu_cat", USAGE, "");
    if cmd.args.operands.is_empty() {
        cmd.usage();
    }
    let files = cmd.args.operands.clone();
    let mut s = cmd.mount(Access::ReadOnly);
    let mut out = std::io::stdout().lock();
    for f in &files {
        if f == "-" {
            if let Err(e) = stdin_to(&mut out) {
                s.warn_host("stdin", &e);
            }
            continue;
        }
        let r = Image(s.k()).read_into(f, &mut |chunk| {
            out.write_all(chunk)
                .map_err(|e| ("stdout".to_string(), rumpuser::strerror(&e)))
        });
        if let Err((p, why)) = r {
            s.warnx(&format!("{p}: {why}"));
        }
    }
    if let Err(e) = out.flush() {
        s.warn_host("stdout", &e);
    }
    s.finish()
}
