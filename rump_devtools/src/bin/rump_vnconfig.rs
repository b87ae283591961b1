//! `rump.vnconfig`: NetBSD's vnconfig(8) as a rump kernel client.
//! Configures a vnd unit over a file in the kernel's namespace
//! (`-c`, the default, with `-r`, `-v` and a geometry), unconfigures it
//! (`-u`, `-F`), and lists units (`-l`, `-m`), with NetBSD's options,
//! output and messages. Disk types from `/etc/disktab` (`-f`, `-t`) are
//! not supported yet; compressed images (`-z`) are refused by the
//! kernel's vnd, as NetBSD's rump kernel refuses them.

use netbsd_abi::{O_RDONLY, O_RDWR};
use rump_devtools::vndio::*;
use rump_devtools::{Dev, getopt, opendisk, put_u32, u32_at};
use rumpclient::{Client, Errno, Regions};
use std::process::ExitCode;

const PROG: &str = "rump.vnconfig";

fn usage() -> ExitCode {
    eprint!(
        "usage: vnconfig [-crvz] [-f dsktab] [-t type] vnode_disk reg-file [geomspec]\n       vnconfig -u [-Fv] vnode_disk\n       vnconfig -l [-m num | vnode_disk...]\n"
    );
    ExitCode::from(1)
}

#[derive(PartialEq)]
enum Action {
    Config,
    Unconfig,
    Get,
}

/// `getgeom`: "secsize/nsectors/ntracks/ncylinders", as `strtol` reads
/// each (a leading sign and spaces allowed, nothing after the digits).
fn getgeom(s: &str) -> Option<[u32; 4]> {
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() != 4 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut g = [0u32; 4];
    for (v, p) in g.iter_mut().zip(parts) {
        *v = p.trim_start().parse::<i64>().ok()? as u32;
    }
    Some(g)
}

/// `major(dev)` and `minor(dev)` as NetBSD's `sys/types.h`.
fn major_minor(dev: u64) -> (u64, u64) {
    let d = dev as u32;
    (
        u64::from((d & 0x000f_ff00) >> 8),
        u64::from(((d & 0xfff0_0000) >> 12) | (d & 0x0000_00ff)),
    )
}

/// `show`: one unit's line; `Some(true)` shown in use, `Some(false)`
/// not in use, `None` past the last unit (ENXIO) or on an error.
fn show(dev: &Dev, unit: i32, name: Option<&str>, minimum: i32) -> Option<bool> {
    let mut u = [0u8; VND_USER_SIZE];
    put_u32(&mut u, VNU_UNIT, unit as u32);
    if let Err(e) = dev.ioctl(VNDIOCGET, &mut u) {
        if e != Errno::ENXIO {
            match name {
                None => {
                    eprintln!("{PROG}: VNDIOCGET: {}", e.description());
                    std::process::exit(1);
                }
                Some(n) => eprintln!("{PROG}: {n}: VNDIOCGET: {}", e.description()),
            }
        }
        return None;
    }
    let shown = u32_at(&u, VNU_UNIT) as i32;
    let ino = u64::from_ne_bytes(u[VNU_INO..VNU_INO + 8].try_into().unwrap_or([0; 8]));
    if ino == 0 {
        if minimum != 0 {
            println!("vnd{shown}: not in use");
        }
        return Some(false);
    }
    let vdev = u64::from_ne_bytes(u[VNU_DEV..VNU_DEV + 8].try_into().unwrap_or([0; 8]));
    // devname(3) finds no block device for a file system that is not on
    // one (rumpfs, tmpfs): NetBSD's vnconfig then prints the numbers.
    let (ma, mi) = major_minor(vdev);
    println!("vnd{shown}: dev {ma},{mi} inode {ino}");
    Some(true)
}

fn config(c: &Client, disk: &str, file: Option<&str>, geom: Option<&str>, o: &Opts) -> i32 {
    let (rdev, fd) = opendisk(c, disk, O_RDWR);
    let dev = match fd {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{PROG}: {rdev}: opendisk: {}", e.description());
            return 1;
        }
    };
    let m = Regions::new();
    let mut v = [0u8; VND_IOCTL_SIZE];
    let mut flags = 0;
    if let Some(file) = file {
        let mut p = file.as_bytes().to_vec();
        p.push(0);
        v[VND_FILE..VND_FILE + 8].copy_from_slice(&m.add(&p).to_ne_bytes());
    }
    if let Some(g) = geom {
        let Some(g) = getgeom(g) else {
            // What strsep left of the string: its first field.
            let first = g.split('/').next().unwrap_or_default();
            eprintln!("{PROG}: invalid geometry: {first}");
            std::process::exit(1);
        };
        for (i, x) in g.iter().enumerate() {
            put_u32(&mut v, VND_GEOM + 4 * i, *x);
        }
        flags = VNDIOF_HASGEOM;
    }
    if o.readonly {
        flags |= VNDIOF_READONLY;
    }
    if o.compressed {
        flags |= VNF_COMP;
    }
    let mut failed = false;
    if o.action == Action::Unconfig {
        if o.force {
            flags |= VNDIOF_FORCE;
        }
        put_u32(&mut v, VND_FLAGS, flags);
        match dev.ioctl_with(VNDIOCCLR, &mut v, &m) {
            Err(e) => {
                eprintln!("{PROG}: {rdev}: VNDIOCCLR: {}", e.description());
                failed = true;
            }
            Ok(()) if o.verbose => println!("{rdev}: cleared"),
            Ok(()) => {}
        }
    }
    if o.action == Action::Config {
        let file = file.unwrap_or_default();
        put_u32(&mut v, VND_FLAGS, flags);
        let mode = if o.readonly { O_RDONLY } else { O_RDWR };
        match Dev::open(c, file, mode) {
            Err(e) => {
                eprintln!("{PROG}: {file}: {}", e.description());
                failed = true;
            }
            Ok(f) => {
                drop(f);
                match dev.ioctl_with(VNDIOCSET, &mut v, &m) {
                    Err(e) => {
                        eprintln!("{PROG}: {rdev}: VNDIOCSET: {}", e.description());
                        failed = true;
                    }
                    Ok(()) if o.verbose => {
                        let size = u64::from_ne_bytes(
                            v[VND_SIZE..VND_SIZE + 8].try_into().unwrap_or([0; 8]),
                        );
                        let mut line = format!("{rdev}: {size} bytes on {file}");
                        if flags & VNDIOF_HASGEOM != 0 {
                            let g: Vec<String> = (0..4)
                                .map(|i| (u32_at(&v, VND_GEOM + 4 * i) as i32).to_string())
                                .collect();
                            line.push_str(&format!(" using geometry {}", g.join("/")));
                        }
                        println!("{line}");
                    }
                    Ok(()) => {}
                }
            }
        }
    }
    i32::from(failed)
}

struct Opts {
    action: Action,
    force: bool,
    readonly: bool,
    verbose: bool,
    compressed: bool,
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (opts, rest) = match getopt(&args, "Fcf:lm:rt:uvz") {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("{PROG}: {msg}");
            return usage();
        }
    };
    let mut o = Opts {
        action: Action::Config,
        force: false,
        readonly: false,
        verbose: false,
        compressed: false,
    };
    // `DUMMY_FREE`: -l shows at least this many units.
    let mut minimum = 4i32;
    for (ch, val) in opts {
        match ch {
            'F' => o.force = true,
            'c' => o.action = Action::Config,
            'f' | 't' => {
                eprintln!("{PROG}: -{ch}: disk types (disktab) are not supported yet");
                return ExitCode::from(1);
            }
            'l' => o.action = Action::Get,
            'm' => match val.as_deref().map(str::parse::<u64>) {
                Some(Ok(n)) if n < i32::MAX as u64 => minimum = n as i32,
                _ => return usage(),
            },
            'r' => o.readonly = true,
            'u' => o.action = Action::Unconfig,
            'v' => o.verbose = true,
            'z' => {
                o.compressed = true;
                o.readonly = true;
            }
            _ => return usage(),
        }
    }
    match o.action {
        Action::Config if !(2..=3).contains(&rest.len()) => return usage(),
        Action::Unconfig if rest.len() != 1 => return usage(),
        _ => {}
    }
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    match o.action {
        Action::Config => {
            let rv = config(
                &c,
                &rest[0],
                Some(&rest[1]),
                rest.get(2).map(|s| s.as_str()),
                &o,
            );
            ExitCode::from(rv as u8)
        }
        Action::Unconfig => ExitCode::from(config(&c, &rest[0], None, None, &o) as u8),
        Action::Get if rest.is_empty() => {
            let (_, fd) = opendisk(&c, "vnd0", O_RDONLY);
            let dev = match fd {
                Ok(d) => d,
                Err(e) if minimum != 0 => {
                    eprintln!("{PROG}: open: vnd0: {}", e.description());
                    return ExitCode::from(1);
                }
                Err(_) => return ExitCode::from(1),
            };
            let mut n = 0;
            while show(&dev, n, None, minimum).is_some() {
                n += 1;
            }
            while n < minimum {
                println!("vnd{n}: not in use");
                n += 1;
            }
            ExitCode::SUCCESS
        }
        Action::Get => {
            let mut rv = 0;
            for vn in &rest {
                let (_, fd) = opendisk(&c, vn, O_RDONLY);
                match fd {
                    Err(e) => {
                        eprintln!("{PROG}: open: {vn}: {}", e.description());
                        rv = 1;
                    }
                    Ok(dev) => {
                        if show(&dev, -1, Some(vn), minimum).is_none() {
                            rv = 1;
                        }
                    }
                }
            }
            ExitCode::from(rv)
        }
    }
}
