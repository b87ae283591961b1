//! The command line of `rump_server(1)` and what it does, in NetBSD's order:
//! parse, detach, boot, load libraries and modules, map drives, serve, and
//! halt cleanly on SIGTERM or SIGINT.

use crate::access::AccessOptions;
use crate::drivespec::{self, DriveSpec};
use crate::sp::SpServer;
use rump::component::Component;
use rump::{BootConfig, KernelBuilder};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use sysproxy::{Side, Url};

/// Parsed options.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `-s`: stay in the foreground.
    pub foreground: bool,
    /// Values for `RUMP_*` parameters given by `-c`, `-r` and `-v`.
    pub params: HashMap<&'static str, String>,
    /// `-d` drives.
    pub drives: Vec<DriveSpec>,
    /// `-l` libraries.
    pub libraries: Vec<String>,
    /// `-m` modules.
    pub modules: Vec<String>,
    /// The URL to serve.
    pub url: String,
    /// `-A`, `-k`, `-M` and `-T`: who may connect, as whom, and whether
    /// clients may load module files.
    pub access: AccessOptions,
    /// `-h` or `--help`: print the options and exit.
    pub help: bool,
}

/// Why the command line was refused: a message for stderr (may be empty),
/// followed by the usage line.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

fn usage_line(prog: &str) -> String {
    format!(
        "usage: {prog} [-AhMsTv] [-c ncpu] [-d drivespec] [-k keyfile] [-l library] [-m module] [-r total_ram] url"
    )
}

/// What `--help` prints after the usage line: the options beyond
/// NetBSD's in full, NetBSD's in a word.
const HELP: &str = "  -c ncpu       virtual CPUs (default: the host's)
  -d drivespec  map a host file into the kernel's namespace (key=,hostpath=,size=,...)
  -l library    load a component library (rumpvfs, rumpfs_ffs, ...)
  -m module     load a module file
  -r total_ram  limit the kernel's memory (bytes, k, m or g)
  -s            stay in the foreground
  -v            verbose boot
  -h, --help    print this help
Access (not in NetBSD's rump_server):
  -T            trust every client: a unix-socket client of any host user is root
                in the kernel (by default only clients of the server's user and of
                root are; others get their host uid, gid and groups)
  -k keyfile    clients must prove they hold the key in keyfile (mode 0600) before
                their first call; clients name the file in RUMP_SERVER_KEY. The key
                is never sent: the server sends a random challenge, the client
                answers HMAC-SHA256 of it under the key
  -A            let anyone who reaches a tcp:// URL beyond loopback connect without
                a key (such a server refuses to start with neither -k nor -A)
  -M            forbid every client to load module files (modctl load of a file
                runs its code with the server's host privileges); the default for
                a tcp:// URL beyond loopback
";

impl Options {
    /// Parse `args` (without the program name) as getopt `c:d:l:m:r:sv`.
    pub fn parse(args: &[String]) -> Result<Options, UsageError> {
        let mut o = Options::default();
        let mut i = 0;
        let mut operands = Vec::new();
        while i < args.len() {
            let a = &args[i];
            i += 1;
            if a == "--help" {
                o.help = true;
                continue;
            }
            if a == "--" {
                operands.extend(args[i..].iter().cloned());
                break;
            }
            if !a.starts_with('-') || a == "-" {
                operands.push(a.clone());
                continue;
            }
            let mut flags = a[1..].chars();
            while let Some(f) = flags.next() {
                match f {
                    's' => o.foreground = true,
                    'h' => o.help = true,
                    'A' => o.access.anyone = true,
                    'M' => o.access.forbid_modules = true,
                    'T' => o.access.trust_all = true,
                    'v' => {
                        o.params.insert("RUMP_VERBOSE", "1".into());
                    }
                    'c' | 'd' | 'k' | 'l' | 'm' | 'r' => {
                        let rest: String = flags.by_ref().collect();
                        let value = if !rest.is_empty() {
                            rest
                        } else if i < args.len() {
                            i += 1;
                            args[i - 1].clone()
                        } else {
                            return Err(UsageError(format!("option requires an argument -- {f}")));
                        };
                        match f {
                            'c' => {
                                o.params.insert("RUMP_NCPU", value);
                            }
                            'r' => {
                                check_memlimit(&value).map_err(UsageError)?;
                                o.params.insert("RUMP_MEMLIMIT", value);
                            }
                            'd' => o.drives.push(drivespec::parse(&value).map_err(UsageError)?),
                            'l' => o.libraries.push(value),
                            'k' => o.access.key_file = Some(value),
                            _ => o.modules.push(value),
                        }
                    }
                    other => return Err(UsageError(format!("unknown option -- {other}"))),
                }
            }
        }
        match operands.as_slice() {
            _ if o.help => {}
            [url] => o.url = url.clone(),
            _ => return Err(UsageError(String::new())),
        }
        Ok(o)
    }
}

/// The least memory `-r` gives a kernel. NetBSD's kernel refuses 0
/// ("no memory available"); its own tests run kernels in 1 MiB (t_vm's
/// uvmwait), and ours needs about that for the pools and buffers of a
/// file system or a socket, so less is refused at once rather than left
/// to fail later with ENOMEM.
pub const MIN_MEMLIMIT: u64 = 1 << 20;

/// Check a `-r total_ram` value: a byte count with an optional k, m or g
/// suffix, at least [`MIN_MEMLIMIT`].
fn check_memlimit(v: &str) -> Result<(), String> {
    match rump::config::parse_size(v) {
        None => Err(format!(
            "-r {v}: expected a byte count, optionally with a k, m or g suffix"
        )),
        Some(n) if n < MIN_MEMLIMIT => Err(format!(
            "-r {v}: too little memory for a kernel: at least 1m ({MIN_MEMLIMIT} bytes)"
        )),
        Some(_) => Ok(()),
    }
}

fn progname() -> String {
    std::env::args()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "rump_server".into())
}

/// Where `-l` libraries are looked for before the host's search path: next
/// to the binary and in the install prefix's `lib/`.
fn library_dirs() -> Vec<PathBuf> {
    let Ok(exe) = std::env::current_exe() else {
        return Vec::new();
    };
    let Some(bin) = exe.parent() else {
        return Vec::new();
    };
    let mut dirs = vec![bin.to_path_buf()];
    if let Some(prefix) = bin.parent() {
        dirs.push(prefix.join("lib"));
    }
    dirs
}

/// Reports startup failures to the terminal, through the detached parent
/// when there is one.
struct Startup {
    prog: String,
    daemon: Option<rumpuser::Daemon>,
}

impl Startup {
    fn fail(self, msg: &str) -> ExitCode {
        let msg = format!("{}: {msg}", self.prog);
        match self.daemon {
            Some(d) => d.done(Err(&msg)),
            None => eprintln!("{msg}"),
        }
        ExitCode::FAILURE
    }
}

/// Map a `-d` drive: prepare the host file as NetBSD's server does (create
/// it with mode 0644 unless `size=host`, extend but never shrink a regular
/// file) and register its key with etfs.
/// `-m`: load a module file as NetBSD's server does, through the kernel's
/// VFS: the host file is mapped with etfs and handed to `modctl` load.
/// The file is known to the kernel by its own absolute path (NetBSD's
/// server uses the fixed key `/module.mod`), so that what the kernel's
/// module loader reports names the file the user gave.
fn load_module(kernel: &rump::Kernel, path: &str) -> Result<(), String> {
    use rumpvfs::etfs::{self, EtfsType};
    let absolute = std::path::absolute(path)
        .map_err(|e| format!("module load failed: {path}: {}", rumpuser::strerror(&e)))?;
    let key = absolute.to_string_lossy();
    let key = key.as_ref();
    if !kernel.has_faction(rump::Faction::Vfs) {
        return Err(format!(
            "module load failed: {path}: -m needs the VFS faction: add -lrumpvfs"
        ));
    }
    etfs::register(kernel, key, path, EtfsType::Reg)
        .map_err(|e| format!("module etfs register failed: {path}: {}", e.description()))?;
    let loaded = kernel.sys_modctl_load(key);
    // The key only names the file while it is read.
    let _ = etfs::remove(kernel, key);
    loaded.map_err(|e| format!("module load failed: {path}: {}", e.description()))
}

fn map_drive(kernel: &rump::Kernel, d: &DriveSpec) -> Result<(), String> {
    use crate::drivespec::{DriveType, Extent};
    use rumpvfs::etfs::{self, EtfsType};
    if !kernel.has_faction(rump::Faction::Vfs) {
        return Err("-d needs the VFS faction: add -lrumpvfs".into());
    }
    let host_msg = |e: std::io::Error| rumpuser::strerror(&e);
    let create = d.extent != Extent::Host;
    let host = rumpuser::HostFile::open(
        &d.hostpath,
        rumpuser::OpenFlags {
            write: true,
            create,
            exclusive: false,
        },
    )
    .map_err(|e| format!("etfs hostpath open: {}", host_msg(e)))?;
    let (offset, size) = match d.extent {
        Extent::Window { offset, size } => (offset, size),
        Extent::Host => (0, 0),
        Extent::Label(part) => {
            let mut head = vec![0u8; crate::disklabel::SCAN_BYTES];
            let n = host
                .pread(&mut head, 0)
                .map_err(|e| format!("could not read disk device: {}", host_msg(e)))?;
            head.truncate(n);
            crate::disklabel::find_partition(&head, part).map_err(|e| e.to_string())?
        }
    };
    let info = host
        .info()
        .map_err(|e| format!("fstat etfs hostpath: {}", host_msg(e)))?;
    let size = match d.extent {
        Extent::Host if info.size == 0 => {
            return Err("size=host, but cannot query non-zero size: Invalid argument".into());
        }
        Extent::Host => info.size,
        // type=reg without a size: the whole file.
        _ if size == 0 => info.size.saturating_sub(offset),
        _ => size,
    };
    let end = offset
        .checked_add(size)
        .ok_or("-d: offset+size overflows")?;
    if info.kind == rumpuser::FileKind::Regular && info.size < end {
        host.set_len(end)
            .map_err(|e| format!("truncate: {}", host_msg(e)))?;
    }
    drop(host);
    let typ = match d.typ {
        DriveType::Blk => EtfsType::Blk,
        DriveType::Chr => EtfsType::Chr,
        DriveType::Reg => EtfsType::Reg,
    };
    etfs::register_withsize(kernel, &d.key, &d.hostpath, typ, offset, size)
        .map_err(|e| format!("etfs register: {e}"))
}

/// Run a server with `builtin` components linked in: `rump_server(1)`.
pub fn main(builtin: &[&'static Component]) -> ExitCode {
    // Before any thread exists, so that every thread inherits the mask and
    // only the halting thread below receives them.
    rumpuser::block_termination_signals();
    let prog = progname();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match Options::parse(&args) {
        Ok(o) => o,
        Err(UsageError(msg)) => {
            if !msg.is_empty() {
                eprintln!("{prog}: {msg}");
            }
            eprintln!("{}", usage_line(&prog));
            return ExitCode::FAILURE;
        }
    };
    if opts.help {
        print!("{}\n{HELP}", usage_line(&prog));
        return ExitCode::SUCCESS;
    }
    let url = match Url::parse(&opts.url, Side::Server) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("{prog}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let access = match opts.access.policy(&url) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{prog}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let config = match BootConfig::from_lookup(|n| {
        opts.params.get(n).cloned().or_else(|| rumpuser::param(n))
    }) {
        Ok(c) => c,
        Err(e) => {
            let flag = match e.variable {
                "RUMP_NCPU" if opts.params.contains_key("RUMP_NCPU") => "-c ",
                "RUMP_MEMLIMIT" if opts.params.contains_key("RUMP_MEMLIMIT") => "-r ",
                _ => "",
            };
            if flag.is_empty() {
                eprintln!("{prog}: {e}");
            } else {
                eprintln!("{prog}: {flag}{:?}: expected {}", e.value, e.expected);
            }
            return ExitCode::FAILURE;
        }
    };
    let daemon = if opts.foreground {
        None
    } else {
        match rumpuser::daemonize_begin() {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("{prog}: rump daemonize: {}", rumpuser::strerror(&e));
                return ExitCode::FAILURE;
            }
        }
    };
    // The host's descriptors, not a default soft limit, bound the clients.
    if let Err(e) = rumpuser::raise_descriptor_limit() {
        eprintln!(
            "{prog}: cannot raise the descriptor limit: {}",
            rumpuser::strerror(&e)
        );
    }
    let startup = Startup { prog, daemon };
    let mut builder = KernelBuilder::new()
        .config(config)
        .console(Box::new(|_, m| rumpuser::console_write(&format!("{m}\n"))));
    for &c in builtin {
        builder = builder.component(c);
    }
    let kernel = match builder.boot() {
        Ok(k) => k,
        Err(e) => return startup.fail(&format!("rump init failed: {e}")),
    };
    // Libraries and modules must agree with every kernel crate this program
    // links, not only with the base.
    if let Err(e) = kernel.join_build("rump_server", env!("RUMP_BUILD_MANIFEST")) {
        return startup.fail(&format!("rump init failed: {e}"));
    }
    if !opts.libraries.is_empty() {
        let names: Vec<&str> = opts.libraries.iter().map(String::as_str).collect();
        if let Err(e) = kernel.load_libraries(&names, &library_dirs()) {
            return startup.fail(&format!("failed to load -libraries: {e}"));
        }
    }
    for m in &opts.modules {
        if let Err(e) = load_module(&kernel, m) {
            return startup.fail(&e);
        }
    }
    for d in &opts.drives {
        if let Err(e) = map_drive(&kernel, d) {
            return startup.fail(&e);
        }
    }
    // After the server's own -m modules, which are the host user's choice.
    if opts.access.forbids_modules(&url) {
        kernel.modules().forbid_files();
    }
    let server = match SpServer::start_with_access(kernel.clone(), &url, access) {
        Ok(s) => s,
        Err(e) => return startup.fail(&format!("rump server init failed: {e}")),
    };
    if let Some(d) = startup.daemon {
        d.done(Ok(()));
    }
    let _server = server;
    rumpuser::wait_termination_signal();
    kernel.printf("rump kernel halting...");
    // A kernel halted earlier (rump.halt -h) has nothing left to flush.
    let _ = kernel.reboot(0);
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(a: &[&str]) -> Result<Options, UsageError> {
        Options::parse(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options() {
        let o = parse(&[
            "-s",
            "-c",
            "2",
            "-lrumpvfs",
            "-l",
            "rumpfs_tmpfs",
            "-r16m",
            "-v",
            "unix://sock",
        ])
        .unwrap();
        assert!(o.foreground);
        assert_eq!(o.params["RUMP_NCPU"], "2");
        assert_eq!(o.params["RUMP_MEMLIMIT"], "16m");
        assert_eq!(o.params["RUMP_VERBOSE"], "1");
        assert_eq!(o.libraries, ["rumpvfs", "rumpfs_tmpfs"]);
        assert_eq!(o.url, "unix://sock");
        let d = parse(&[
            "-d",
            "key=/dev/dk,hostpath=dk.img,size=1g",
            "-sv",
            "tcp://0:3755/",
        ])
        .unwrap();
        assert_eq!(d.drives.len(), 1);
        assert!(d.foreground);
    }

    #[test]
    fn access_options() {
        let o = parse(&["-TM", "-A", "-k", "key", "tcp://0:1/"]).unwrap();
        assert!(o.access.trust_all && o.access.forbid_modules && o.access.anyone);
        assert_eq!(o.access.key_file.as_deref(), Some("key"));
        assert_eq!(
            parse(&["-kfile", "u"]).unwrap().access.key_file.as_deref(),
            Some("file")
        );
        // Help needs no URL.
        assert!(parse(&["--help"]).unwrap().help);
        assert!(parse(&["-h"]).unwrap().help);
        assert_eq!(
            parse(&["u", "-k"]),
            Err(UsageError("option requires an argument -- k".into()))
        );
        // Every option of the usage line is in the help.
        for f in [
            "-A", "-c", "-d", "-h", "-k", "-l", "-m", "-M", "-r", "-s", "-T", "-v",
        ] {
            assert!(HELP.contains(&format!("  {f}")), "{f}");
        }
    }

    #[test]
    fn usage_errors() {
        assert_eq!(parse(&[]), Err(UsageError(String::new())));
        assert_eq!(parse(&["a", "b"]), Err(UsageError(String::new())));
        assert_eq!(
            parse(&["-x", "u"]),
            Err(UsageError("unknown option -- x".into()))
        );
        assert_eq!(
            parse(&["u", "-c"]),
            Err(UsageError("option requires an argument -- c".into()))
        );
        assert_eq!(
            parse(&["-d", "key=/k", "u"]),
            Err(UsageError("incomplete drivespec".into()))
        );
        for small in ["0", "1k", "1023k"] {
            let e = parse(&["-r", small, "u"]).unwrap_err().0;
            assert!(e.contains("too little memory"), "{e}");
        }
        assert!(
            parse(&["-r", "12x", "u"])
                .unwrap_err()
                .0
                .contains("byte count")
        );
        assert!(parse(&["-r", "1m", "u"]).is_ok());
    }
}
