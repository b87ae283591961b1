//! One tool run: the common options before the image (fs-utils'
//! `fsu_mount`: `-o mnt_args`, `-t fstype`), the image's file system type
//! read from its superblock, a kernel booted in this process with the
//! image as an etfs block device, the mount, a process of the tool's own
//! chrooted into it, and at the end the unmount that leaves the image
//! clean.

use crate::opts::{self, Parsed};
use rump::kernel::ConsoleLevel;
use rump::{BootConfig, Errno, Kernel, KernelBuilder};
use rumpfs_ffs::format::superblock::{SBLOCKSIZE, SEARCH, Superblock};
use rumpvfs::VfsCalls;
use rumpvfs::etfs::{self, EtfsType};
use rumpvfs::flags::MNT_RDONLY;
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The etfs key the image is registered under.
const DEVICE: &str = "/fsu_dev";
/// Where the image is mounted in the kernel's root before the tool's
/// process is chrooted into it.
const MOUNT_POINT: &str = "/fsu_mnt";

/// The common part of every usage line, after the program's name.
pub const COMMON_USAGE: &str = "[-o mnt_args] [-t fstype] image";

/// Whether a tool only reads the image or also writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Mounted read-only: the image may be read-only on the host.
    ReadOnly,
    /// Mounted read-write: the image must be writable and clean.
    ReadWrite,
}

/// A parsed command line: the common options, the image and the tool's
/// own options and operands.
pub struct Command {
    prog: &'static str,
    usage: &'static str,
    image: String,
    read_only: bool,
    /// `-t ffs` given: mount without looking for the magic number first.
    forced: bool,
    /// The tool's options and operands.
    pub args: Parsed,
}

/// Print `usage` and end with status 1, as every tool does on a usage error.
pub fn usage_exit(usage: &str) -> ! {
    eprintln!("{usage}");
    std::process::exit(1)
}

fn die(prog: &str, msg: &str) -> ! {
    eprintln!("{prog}: {msg}");
    std::process::exit(1)
}

impl Command {
    /// Read the command line: the common options, the image, then the
    /// tool's options by getopt `spec`. A usage error prints `usage` and
    /// ends the process with status 1.
    pub fn parse(prog: &'static str, usage: &'static str, spec: &str) -> Command {
        rumpuser::sigpipe_ends_process();
        let args: Vec<String> = std::env::args().skip(1).collect();
        Command::parse_args(prog, usage, Some(spec), &args)
    }

    /// As [`Command::parse`], for a tool that reads the words after the
    /// image itself (`fsu_find`'s primaries).
    pub fn parse_words(prog: &'static str, usage: &'static str) -> Command {
        rumpuser::sigpipe_ends_process();
        let args: Vec<String> = std::env::args().skip(1).collect();
        Command::parse_args(prog, usage, None, &args)
    }

    fn parse_args(
        prog: &'static str,
        usage: &'static str,
        spec: Option<&str>,
        args: &[String],
    ) -> Command {
        let common = opts::parse(args, "o:t:sfp").unwrap_or_else(|e| {
            eprintln!("{prog}: {e}");
            usage_exit(usage)
        });
        let mut read_only = false;
        let mut forced = false;
        for (c, v) in &common.flags {
            match (c, v.as_deref()) {
                ('o', Some(list)) => {
                    for o in list.split(',') {
                        match o {
                            "ro" | "rdonly" => read_only = true,
                            "rw" => read_only = false,
                            _ => die(prog, &format!("-o {o}: not supported yet")),
                        }
                    }
                }
                ('t', Some("ffs")) => forced = true,
                ('t', Some(t)) => die(prog, &format!("-t {t}: only ffs is supported yet")),
                (c, _) => die(prog, &format!("-{c}: not supported yet")),
            }
        }
        let Some((image, rest)) = common.operands.split_first() else {
            usage_exit(usage)
        };
        let args = if spec.is_none() {
            Parsed {
                flags: Vec::new(),
                operands: rest.to_vec(),
            }
        } else {
            opts::parse(rest, spec.unwrap_or_default()).unwrap_or_else(|e| {
                eprintln!("{prog}: {e}");
                usage_exit(usage)
            })
        };
        Command {
            prog,
            usage,
            image: image.clone(),
            read_only,
            forced,
            args,
        }
    }

    /// The usage error: print the usage lines and end with status 1.
    pub fn usage(&self) -> ! {
        usage_exit(self.usage)
    }

    /// Boot the kernel, mount the image for `access` and enter it. Any
    /// failure ends the process with a one-line message and status 1.
    pub fn mount(self, access: Access) -> Session {
        let prog = self.prog;
        let image = self.image.clone();
        let read_only = self.read_only || access == Access::ReadOnly;
        check_image(&image, read_only, self.forced)
            .unwrap_or_else(|m| die(prog, &format!("{image}: {m}")));
        let config = BootConfig::from_host().unwrap_or_else(|e| die(prog, &e.to_string()));
        let console = Arc::new(Console::default());
        let hook = Arc::clone(&console);
        let k = KernelBuilder::new()
            .config(config)
            .console(Box::new(move |level, msg| hook.say(prog, level, msg)))
            .component(&rumpvfs::COMPONENT)
            .component(&rumpfs_ffs::COMPONENT)
            .boot()
            .unwrap_or_else(|e| die(prog, &format!("cannot boot the kernel: {e}")));
        let kerr = |what: &str, e: Errno| -> ! { die(prog, &format!("{what}: {e}")) };
        etfs::register(&k, DEVICE, &image, EtfsType::Blk).unwrap_or_else(|e| kerr(&image, e));
        k.sys_mkdir(MOUNT_POINT, 0o755)
            .unwrap_or_else(|e| kerr(MOUNT_POINT, e));
        let flags = if read_only { MNT_RDONLY } else { 0 };
        if let Err(e) = k.sys_mount_dev("ffs", DEVICE, MOUNT_POINT, flags) {
            die(prog, &console.mount_failure(&image, e));
        }
        console.mounted.store(true, Ordering::Release);
        let entered = k
            .procs()
            .rfork(rump::lwproc::ForkFd::Clear, Some(prog))
            .and_then(|_| k.sys_chroot(MOUNT_POINT))
            .and_then(|()| k.sys_chdir("/"));
        let mut s = Session {
            prog,
            image,
            k,
            status: 0,
        };
        if let Err(e) = entered {
            s.warnx(&format!("cannot enter the image: {e}"));
            s.finish();
        }
        s
    }
}

/// Kernel messages: kept while mounting, to give a refused mount's
/// reason; printed on stderr once the image is mounted, and at once
/// when `RUMP_VERBOSE` asked for them.
#[derive(Default)]
struct Console {
    mounted: AtomicBool,
    held: Mutex<Vec<String>>,
}

impl Console {
    fn say(&self, prog: &str, level: ConsoleLevel, msg: &str) {
        if level == ConsoleLevel::Verbose || self.mounted.load(Ordering::Acquire) {
            eprintln!("{prog}: kernel: {msg}");
        } else {
            self.held
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(msg.to_string());
        }
    }

    /// A refused mount in `rump.mount`'s words, with the file system's
    /// own reason from the console when it gave one.
    fn mount_failure(&self, image: &str, e: Errno) -> String {
        let cause = match e {
            Errno::EINVAL => "incorrect super block".to_string(),
            _ => e.to_string(),
        };
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        match held
            .iter()
            .rev()
            .find_map(|m| m.split_once("cannot mount: "))
        {
            Some((_, why)) => format!("{image}: {cause} ({why})"),
            None => format!("{image}: {cause}"),
        }
    }
}

/// Refuse what cannot be mounted before booting: an image we cannot
/// open (for writing when the tool writes), or, unless the type is
/// `forced`, one with no FFS superblock magic number where FFS keeps it.
fn check_image(image: &str, read_only: bool, forced: bool) -> Result<(), String> {
    let err = |e: std::io::Error| rumpuser::strerror(&e);
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(!read_only)
        .open(image)
        .map_err(err)?;
    let meta = f.metadata().map_err(err)?;
    if meta.is_dir() {
        return Err(Errno::EISDIR.to_string());
    }
    if forced {
        return Ok(());
    }
    let mut raw = vec![0u8; SBLOCKSIZE];
    for loc in SEARCH {
        if loc + SBLOCKSIZE as u64 > meta.len() {
            continue;
        }
        f.seek(SeekFrom::Start(loc)).map_err(err)?;
        f.read_exact(&mut raw).map_err(err)?;
        if Superblock::sniff(&raw).is_some() {
            return Ok(());
        }
    }
    let places: Vec<String> = SEARCH.iter().map(u64::to_string).collect();
    Err(format!(
        "not an FFS image (no superblock magic number at byte {}); other file systems are not supported yet",
        places.join(", ")
    ))
}

/// A mounted image and the tool's process in it.
pub struct Session {
    /// The program's name, for messages.
    pub prog: &'static str,
    /// The image's path on the host.
    pub image: String,
    k: Arc<Kernel>,
    status: i32,
}

impl Session {
    /// The kernel, for system calls inside the image.
    pub fn k(&self) -> &Kernel {
        &self.k
    }

    /// The kernel, shared, for helpers that outlive a borrow of the session.
    pub fn kernel(&self) -> Arc<Kernel> {
        Arc::clone(&self.k)
    }

    /// `prog: what: strerror`, and the exit status becomes 1.
    pub fn warn(&mut self, what: &str, e: Errno) {
        self.warnx(&format!("{what}: {e}"));
    }

    /// `prog: msg`, and the exit status becomes 1.
    pub fn warnx(&mut self, msg: &str) {
        eprintln!("{}: {msg}", self.prog);
        self.status = self.status.max(1);
    }

    /// A host error on `what`: `prog: what: strerror`, status 1.
    pub fn warn_host(&mut self, what: &str, e: &std::io::Error) {
        self.warnx(&format!("{what}: {}", rumpuser::strerror(e)));
    }

    /// Set the exit status without a message (`fsu_diff`'s 1 for "differ").
    pub fn set_status(&mut self, status: i32) {
        self.status = self.status.max(status);
    }

    /// Leave the image: end the tool's process, unmount (which writes the
    /// file system back clean) and flush the device to the host file; then
    /// exit with the status the run earned.
    pub fn finish(mut self) -> ! {
        let _ = self.k.procs().releaselwp();
        if let Err(e) = self.k.sys_unmount(MOUNT_POINT, 0) {
            self.warnx(&format!("unmount failed, image may be dirty: {e}"));
        }
        if let Err(e) = etfs::remove(&self.k, DEVICE) {
            self.warnx(&format!("writing the image back failed: {e}"));
        }
        std::process::exit(self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_ffs_magic_is_refused() {
        let dir = std::env::temp_dir().join(format!("fsu-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("zeros.img");
        std::fs::write(&p, vec![0u8; 1 << 20]).unwrap();
        let e = check_image(p.to_str().unwrap(), true, false).unwrap_err();
        assert!(e.starts_with("not an FFS image"), "{e}");
        assert_eq!(
            check_image(p.to_str().unwrap(), true, true),
            Ok(()),
            "-t ffs"
        );
        let e = check_image(dir.join("none").to_str().unwrap(), true, false).unwrap_err();
        assert_eq!(e, "No such file or directory");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
