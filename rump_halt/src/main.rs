//! `rump.halt [-dhn]`: halt the rump kernel named by `RUMP_SERVER`, as
//! `rump.halt(1)` describes. Installed as `rump.halt`.

#![forbid(unsafe_code)]

use netbsd_abi::{RB_DUMP, RB_HALT, RB_NOSYNC};
use std::process::ExitCode;

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let prog = "rump.halt";
    let mut howto = 0;
    for a in std::env::args().skip(1) {
        let flags = a.strip_prefix('-').filter(|f| !f.is_empty());
        let Some(flags) = flags else {
            eprintln!("usage: {prog} [-dhn]");
            return ExitCode::FAILURE;
        };
        for f in flags.chars() {
            howto |= match f {
                'd' => RB_DUMP,
                'h' => RB_HALT,
                'n' => RB_NOSYNC,
                _ => {
                    eprintln!("{prog}: unknown option -- {f}");
                    eprintln!("usage: {prog} [-dhn]");
                    return ExitCode::FAILURE;
                }
            };
        }
    }
    let client = match rumpclient::Client::from_env() {
        Ok(c) => c,
        Err(e @ rumpclient::ConnectError::NotSet) => {
            eprintln!("{prog}: {e}");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("{prog}: init failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    match client.reboot(howto) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{prog}: reboot: {e}");
            ExitCode::FAILURE
        }
    }
}
