//! `rump.mkdir`: NetBSD's `mkdir(1)` against the rump kernel named by
//! `RUMP_SERVER`: `rump.mkdir [-p] [-m mode] dirname ...`, so that a
//! mount point can be made before `rump.mount`.

#![forbid(unsafe_code)]

use rump_mount::{cstr, mode};
use rumpclient::{Client, Errno, Regions};
use std::process::ExitCode;

const PROG: &str = "rump.mkdir";
const USAGE: &str = "usage: rump.mkdir [-p] [-m mode] dirname ...";

use netbsd_abi::{SYS___stat50, SYS_chmod, SYS_mkdir, SYS_umask, layout::stat};

const S_IFMT: u32 = netbsd_abi::S_IFMT as u32;
const S_IFDIR: u32 = netbsd_abi::S_IFDIR as u32;
const S_IRWXUGO: u32 = netbsd_abi::ACCESSPERMS as u32;

struct Mkdir {
    c: Client,
}

impl Mkdir {
    fn mkdir(&self, path: &str, mode: u32) -> Result<(), Errno> {
        let m = Regions::new();
        self.c
            .syscall(SYS_mkdir, &[m.add(&cstr(path)), mode.into()], &m)
            .map(drop)
    }

    fn chmod(&self, path: &str, mode: u32) -> Result<(), Errno> {
        let m = Regions::new();
        self.c
            .syscall(SYS_chmod, &[m.add(&cstr(path)), mode.into()], &m)
            .map(drop)
    }

    fn is_dir(&self, path: &str) -> Result<bool, Errno> {
        let m = Regions::new();
        let st = m.add_zeroed(stat::SIZE);
        self.c
            .syscall(SYS___stat50, &[m.add(&cstr(path)), st], &m)?;
        let mode = stat::st_mode.get(&m.get(st)).unwrap_or(0) as u32;
        Ok(mode & S_IFMT == S_IFDIR)
    }

    /// mkdir, then chmod when the mode has bits mkdir(2) leaves out.
    fn make(&self, path: &str, mode: u32) -> Result<(), Errno> {
        self.mkdir(path, mode)?;
        if mode & !S_IRWXUGO != 0 {
            self.chmod(path, mode)?;
        }
        Ok(())
    }

    /// `-p`: each missing component in turn; existing directories are fine.
    fn make_path(&self, path: &str, mode: u32, dir_mode: u32) -> bool {
        let mut end = 0;
        loop {
            let rest = &path[end..];
            let start = end + (rest.len() - rest.trim_start_matches('/').len());
            let comp_end = path[start..].find('/').map_or(path.len(), |i| start + i);
            let done = path[comp_end..].trim_start_matches('/').is_empty();
            let prefix = &path[..comp_end];
            match self.mkdir(prefix, if done { mode } else { dir_mode }) {
                Ok(()) => {
                    if done
                        && mode & !S_IRWXUGO != 0
                        && let Err(e) = self.chmod(prefix, mode)
                    {
                        eprintln!("{PROG}: {prefix}: {e}");
                        return false;
                    }
                }
                Err(made) => match self.is_dir(prefix) {
                    Ok(true) => {}
                    Ok(false) => {
                        eprintln!("{PROG}: {prefix}: {}", Errno::ENOTDIR);
                        return false;
                    }
                    Err(_) => {
                        eprintln!("{PROG}: {prefix}: {made}");
                        return false;
                    }
                },
            }
            if done {
                return true;
            }
            end = comp_end;
        }
    }
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut parents, mut mode_arg) = (false, None);
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            i += 1;
            break;
        }
        let Some(opts) = a.strip_prefix('-').filter(|o| !o.is_empty()) else {
            break;
        };
        i += 1;
        for (at, c) in opts.char_indices() {
            match c {
                'p' => parents = true,
                'm' => {
                    let rest = &opts[at + 1..];
                    mode_arg = Some(if !rest.is_empty() {
                        rest.to_owned()
                    } else if i < args.len() {
                        i += 1;
                        args[i - 1].clone()
                    } else {
                        eprintln!("{PROG}: option requires an argument -- m");
                        eprintln!("{USAGE}");
                        return ExitCode::FAILURE;
                    });
                    break;
                }
                _ => {
                    eprintln!("{PROG}: unknown option -- {c}");
                    eprintln!("{USAGE}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    let dirs = &args[i..];
    if dirs.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    }
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::FAILURE;
    };
    let t = Mkdir { c };
    // As mkdir(1): a=rwx less the umask, which is then cleared so that the
    // kernel applies the mode as computed.
    let mask = match t.c.syscall(SYS_umask, &[0], &Regions::new()) {
        Ok([old, _]) => old as u32 & S_IRWXUGO,
        Err(e) => {
            eprintln!("{PROG}: umask: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut mode = S_IRWXUGO & !mask;
    let dir_mode = mode | 0o300;
    if let Some(m) = &mode_arg {
        match mode::apply(m, S_IRWXUGO) {
            Some(v) => mode = v,
            None => {
                eprintln!("{PROG}: Cannot set file mode `{m}': {}", Errno::EINVAL);
                return ExitCode::FAILURE;
            }
        }
    }
    let mut status = ExitCode::SUCCESS;
    for d in dirs {
        let ok = if parents {
            t.make_path(d, mode, dir_mode)
        } else {
            t.make(d, mode)
                .map_err(|e| eprintln!("{PROG}: {d}: {e}"))
                .is_ok()
        };
        if !ok {
            status = ExitCode::FAILURE;
        }
    }
    status
}
