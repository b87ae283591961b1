//! One daemon run: check the command line's files, detach (unless `-f`),
//! boot a kernel with the file system's component, mount it in the kernel,
//! serve it to the host through p2k, and when the host unmounts it or a
//! SIGTERM/SIGINT arrives, unmount the kernel file system (FFS writes its
//! clean flag) and flush the image.

use crate::opts::{self, Kind, Options};
use p2k::{MountConfig, P2k};
use rump::file::FdTable;
use rump::kernel::ConsoleLevel;
use rump::{BootConfig, Kernel, KernelBuilder};
use rumpvfs::VfsCalls;
use rumpvfs::etfs::{self, EtfsType};
use rumpvfs::flags::{MNT_FORCE, MNT_RDONLY};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// The etfs key the image is registered under.
const DEVICE: &str = "/p2k_dev";
/// Where the file system is mounted in the kernel.
const MOUNT_POINT: &str = "/p2k_mnt";
/// The kernel's memory limit when `RUMP_MEMLIMIT` does not set one, so
/// that a hostile image cannot exhaust the host.
const DEFAULT_MEMLIMIT: u64 = 1 << 30;

/// Where startup failures go: the terminal, through the waiting parent
/// once detached.
struct Startup {
    prog: &'static str,
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

/// Run daemon `kind` named `prog` with the process's arguments.
pub fn main(prog: &'static str, kind: Kind, usage: &str) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = match opts::parse(kind, &args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{prog}: {e}");
            eprintln!("{usage}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = check_files(&o) {
        eprintln!("{prog}: {e}");
        return ExitCode::FAILURE;
    }
    let daemon = if o.foreground {
        None
    } else {
        match rumpuser::daemonize_begin() {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("{prog}: cannot detach: {}", rumpuser::strerror(&e));
                return ExitCode::FAILURE;
            }
        }
    };
    // Before any thread starts, so that all inherit the mask and the
    // signals wait for the thread that asks for them.
    rumpuser::block_termination_signals();
    let startup = Startup { prog, daemon };
    let console = Arc::new(Console::default());
    let k = match boot(prog, kind, &console) {
        Ok(k) => k,
        Err(e) => return startup.fail(&e),
    };
    if let Err(e) = mount_in_kernel(&k, kind, &o) {
        return match console.refusal() {
            Some(why) => startup.fail(&format!("{e} ({why})")),
            None => startup.fail(&e),
        };
    }
    console.release();
    let p2k_opts = p2k::Options {
        uid: o.uid,
        gid: o.gid,
        debug: o.debug,
        timeout: o.timeout,
        threads: o.threads,
    };
    let fs = match P2k::new(Arc::clone(&k), MOUNT_POINT, p2k_opts) {
        Ok(fs) => fs,
        Err(e) => {
            unmount_in_kernel(prog, &k, kind, &FdTable::new());
            return startup.fail(&e);
        }
    };
    let cfg = MountConfig {
        mountpoint: o.mountpoint.clone().into(),
        fsname: o.image.clone().unwrap_or_else(|| "tmpfs".into()),
        subtype: match kind {
            Kind::Ffs => "ffs",
            Kind::Tmpfs => "tmpfs",
        }
        .into(),
        read_only: o.read_only,
        allow_other: o.allow_other,
        threads: o.threads,
    };
    let mut startup = Some(startup);
    let files = fs.descriptors();
    let on_signal = (Arc::clone(&k), Arc::clone(&files));
    let mountpoint = o.mountpoint.clone();
    let served = p2k::serve(fs, &cfg, |mut served| {
        // SIGTERM or SIGINT: unmount from the host, which ends serve().
        // If the host will not (the mount was detached lazily and is still
        // in use), leave anyway, with the file system written back.
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                rumpuser::wait_termination_signal();
                if let Err(e) = served.unmount() {
                    eprintln!(
                        "{prog}: cannot unmount {}: {}; ending anyway",
                        mountpoint,
                        rumpuser::strerror(&e)
                    );
                    let (k, files) = on_signal;
                    let ok = unmount_in_kernel(prog, &k, kind, &files);
                    std::process::exit(if ok { 0 } else { 1 });
                }
            });
        if let Some(d) = startup.take().and_then(|s| s.daemon) {
            d.done(Ok(()));
        }
    });
    let status = match (served, startup) {
        // Never mounted on the host.
        (Err(e), Some(s)) => {
            unmount_in_kernel(prog, &k, kind, &files);
            return s.fail(&format!("{}: {}", o.mountpoint, rumpuser::strerror(&e)));
        }
        (Err(e), None) => {
            eprintln!("{prog}: serving ended: {}", rumpuser::strerror(&e));
            ExitCode::FAILURE
        }
        (Ok(()), _) => ExitCode::SUCCESS,
    };
    if unmount_in_kernel(prog, &k, kind, &files) {
        status
    } else {
        ExitCode::FAILURE
    }
}

/// Refuse before detaching what cannot work: a mount point that is not a
/// directory, an image that cannot be opened as asked.
fn check_files(o: &Options) -> Result<(), String> {
    let err = |what: &str, e: std::io::Error| format!("{what}: {}", rumpuser::strerror(&e));
    let meta = std::fs::metadata(&o.mountpoint).map_err(|e| err(&o.mountpoint, e))?;
    if !meta.is_dir() {
        return Err(format!("{}: Not a directory", o.mountpoint));
    }
    if let Some(image) = &o.image {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(!o.read_only)
            .open(image)
            .map_err(|e| err(image, e))?;
        if f.metadata().map_err(|e| err(image, e))?.is_dir() {
            return Err(format!("{image}: Is a directory"));
        }
    }
    Ok(())
}

/// Kernel messages: held until the file system is mounted, so that a
/// refused mount is one line with the file system's own reason; printed
/// on stderr after that, and at once when `RUMP_VERBOSE` asks for them.
#[derive(Default)]
struct Console {
    held: Mutex<Option<Vec<String>>>,
}

impl Console {
    fn say(&self, prog: &str, level: ConsoleLevel, msg: &str) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        match held.as_mut() {
            Some(h) if level != ConsoleLevel::Verbose => h.push(msg.to_string()),
            _ => eprintln!("{prog}: kernel: {msg}"),
        }
    }

    /// Mounted: messages go to stderr from now on.
    fn release(&self) {
        *self.held.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The reason the file system gave for refusing the mount, if any.
    fn refusal(&self) -> Option<String> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.as_ref()?.iter().rev().find_map(|m| {
            m.split_once("cannot mount: ")
                .map(|(_, why)| why.to_string())
        })
    }
}

fn boot(prog: &'static str, kind: Kind, console: &Arc<Console>) -> Result<Arc<Kernel>, String> {
    let mut config = BootConfig::from_host().map_err(|e| e.to_string())?;
    if config.memlimit.is_none() {
        config.memlimit = Some(DEFAULT_MEMLIMIT);
    }
    *console.held.lock().unwrap_or_else(|p| p.into_inner()) = Some(Vec::new());
    let hook = Arc::clone(console);
    let mut b = KernelBuilder::new()
        .config(config)
        .console(Box::new(move |level, msg| hook.say(prog, level, msg)))
        .component(&rumpvfs::COMPONENT);
    b = match kind {
        Kind::Ffs => b.component(&rumpfs_ffs::COMPONENT),
        Kind::Tmpfs => b.component(&rumpfs_tmpfs::COMPONENT),
    };
    b.boot().map_err(|e| format!("cannot boot the kernel: {e}"))
}

fn mount_in_kernel(k: &Kernel, kind: Kind, o: &Options) -> Result<(), String> {
    k.sys_mkdir(MOUNT_POINT, 0o755)
        .map_err(|e| format!("{MOUNT_POINT}: {e}"))?;
    let flags = if o.read_only { MNT_RDONLY } else { 0 };
    match kind {
        Kind::Ffs => {
            let image = o.image.as_deref().unwrap_or_default();
            etfs::register(k, DEVICE, image, EtfsType::Blk).map_err(|e| format!("{image}: {e}"))?;
            k.sys_mount_dev("ffs", DEVICE, MOUNT_POINT, flags)
                .map_err(|e| {
                    let _ = etfs::remove(k, DEVICE);
                    match e {
                        rump::Errno::EINVAL => format!("{image}: incorrect super block"),
                        e => format!("{image}: {e}"),
                    }
                })
        }
        Kind::Tmpfs => k
            .sys_mount("tmpfs", MOUNT_POINT, flags, &rumpfs_tmpfs::args(o.size, 0))
            .map_err(|e| format!("tmpfs: {e}")),
    }
}

/// Close what the host left open, unmount (FFS writes everything back and
/// marks itself clean) and flush the image to the host file. False, with
/// a message, if that failed.
fn unmount_in_kernel(prog: &str, k: &Kernel, kind: Kind, files: &FdTable) -> bool {
    files.close_all();
    let mut ok = true;
    if let Err(e) = k.sys_unmount(MOUNT_POINT, 0) {
        eprintln!("{prog}: unmount: {e}; forcing it");
        if let Err(e) = k.sys_unmount(MOUNT_POINT, MNT_FORCE) {
            eprintln!("{prog}: forced unmount failed, image may be dirty: {e}");
            ok = false;
        }
    }
    if kind == Kind::Ffs
        && let Err(e) = etfs::remove(k, DEVICE)
    {
        eprintln!("{prog}: writing the image back failed: {e}");
        ok = false;
    }
    ok
}
