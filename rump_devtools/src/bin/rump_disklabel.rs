//! `rump.disklabel`: NetBSD's disklabel(8) as a rump kernel client. It
//! prints the label the kernel holds for a disk (`DIOCGDINFO`), with
//! `-C` in cylinder/head/sector form, checked as NetBSD's `checklabel`
//! checks it; restores a label from a protofile on the host (`-R`, with
//! `DIOCWDINFO`, the kernel writing it to the medium); reads and writes the
//! label on the medium itself (`-r`, `-F` and regular files, as
//! `rump_devtools::direct`); and write-protects or unprotects the label
//! sector (`-N`, `-W`), with NetBSD's output, messages and exit codes.
//! Writing from disktab, editing, deleting, every label (`-w`, `-e`, `-i`,
//! `-D`, `-A`, `-I`), the disktab form and other machines' labels are not
//! supported yet, and say so.

use netbsd_abi::{Errno, O_RDONLY, O_RDWR, S_IFMT, S_IFREG, SYS___fstat50};
use rump_devtools::direct::{self, KernelParams, Place};
use rump_devtools::label::*;
use rump_devtools::{getopt, max_partitions, opendisk, sysctl_int};
use rumpclient::{Client, Regions};
use std::fmt::Write as _;
use std::process::ExitCode;

const PROG: &str = "rump.disklabel";

fn usage() -> ExitCode {
    eprint!(
        "usage: {PROG} [-ABCFMrtv] disk\n\t(to read label)\n\
         or {PROG} -w [-BDFMrv] [-f disktab] disk disktype [packid]\n\t(to write label)\n\
         or {PROG} -e [-BCDFMIrv] disk\n\t(to edit label)\n\
         or {PROG} -i [-BDFMIrv] disk\n\t(to create a label interactively)\n\
         or {PROG} -D [-v] disk\n\t(to delete existing label(s))\n\
         or {PROG} -R [-BDFMrv] disk protofile\n\t(to restore label)\n\
         or {PROG} [-NW] disk\n\t(to write disable/enable label)\n\
         or {PROG} -l\n\t(to show all known file system types)\n"
    );
    ExitCode::from(1)
}

/// `showinfo`: the label's header.
fn showinfo<T: AsRef<[u8]>>(out: &mut String, l: &Label<T>, special: &str) {
    let _ = writeln!(out, "# {special}:");
    match DKTYPE_NAMES.get(l.typ() as usize) {
        Some(n) => {
            let _ = writeln!(out, "type: {n}");
        }
        None => {
            let _ = writeln!(out, "type: {}", l.typ());
        }
    }
    let _ = writeln!(out, "disk: {}", l.typename());
    let _ = writeln!(out, "label: {}", l.packname());
    out.push_str("flags:");
    for (bit, w) in [
        (D_REMOVABLE, " removable"),
        (D_ECC, " ecc"),
        (D_BADSECT, " badsect"),
    ] {
        if l.flags() & bit != 0 {
            out.push_str(w);
        }
    }
    out.push('\n');
    let _ = writeln!(out, "bytes/sector: {}", l.secsize());
    let _ = writeln!(out, "sectors/track: {}", l.nsectors());
    let _ = writeln!(out, "tracks/cylinder: {}", l.ntracks());
    let _ = writeln!(out, "sectors/cylinder: {}", l.secpercyl());
    let _ = writeln!(out, "cylinders: {}", l.ncylinders());
    let _ = writeln!(out, "total sectors: {}", l.secperunit());
    let _ = writeln!(out, "rpm: {}", l.rpm());
    let _ = writeln!(out, "interleave: {}", l.interleave());
    let _ = writeln!(out, "trackskew: {}", l.trackskew());
    let _ = writeln!(out, "cylinderskew: {}", l.cylskew());
    let _ = writeln!(out, "headswitch: {}\t\t# microseconds", l.headswitch());
    let _ = writeln!(out, "track-to-track seek: {}\t# microseconds", l.trkseek());
    out.push_str("drivedata: ");
    let dd = l.drivedata();
    let last = dd.iter().rposition(|&d| d != 0).unwrap_or(0);
    for d in &dd[..=last] {
        let _ = write!(out, "{d} ");
    }
    out.push_str("\n\n");
}

/// `showpartition`: one partition's line (none for an empty one).
fn showpartition<T: AsRef<[u8]>>(out: &mut String, l: &Label<T>, i: usize, cts: bool) {
    let p = l.partition(i);
    if p.size == 0 {
        return;
    }
    let letter = char::from(b'a' + i as u8);
    let (spc, nsec) = (l.secpercyl(), l.nsectors());
    if cts && spc != 0 && nsec != 0 {
        let chs = |v: u32| format!("{}/{}/{}", v / spc, (v % spc) / nsec, v % nsec);
        let _ = write!(out, " {letter}: {:>9} {:>9} ", chs(p.size), chs(p.offset));
    } else {
        let _ = write!(out, " {letter}: {:>9} {:>9} ", p.size, p.offset);
    }
    match FSTYPE_NAMES.get(p.fstype as usize) {
        Some(n) => {
            let n: String = n.chars().take(10).collect();
            let _ = write!(out, "{n:>10}");
        }
        None => {
            let _ = write!(out, "{:>10}", p.fstype);
        }
    }
    let bsize = u64::from(p.fsize) * u64::from(p.frag);
    match p.fstype {
        FS_UNUSED => {
            let _ = write!(out, "  {:>5} {:>5} {:>5} ", p.fsize, bsize, "");
        }
        FS_BSDFFS | FS_ADOS | FS_APPLEUFS | FS_BSDLFS => {
            let _ = write!(out, "  {:>5} {:>5} {:>5} ", p.fsize, bsize, p.cpg);
        }
        FS_EX2FS => {
            let _ = write!(out, "  {:>5} {:>5}       ", p.fsize, bsize);
        }
        FS_ISO9660 => {
            let _ = write!(out, "  {:>6}            ", p.fsize);
        }
        _ => {
            let _ = write!(out, "{:20}", "");
        }
    }
    if let Some(cyl) = p.offset.checked_div(spc) {
        let unit = l.secperunit();
        let _ = write!(out, " # (Cyl. {cyl:>6}");
        if p.offset > unit {
            out.push('+');
        } else if !p.offset.is_multiple_of(spc) {
            out.push('*');
        } else {
            out.push(' ');
        }
        let end = u64::from(p.offset) + u64::from(p.size);
        let _ = write!(out, "- {:>6}", end.div_ceil(u64::from(spc)) - 1);
        if end > u64::from(unit) {
            out.push('+');
        } else if !end.is_multiple_of(u64::from(spc)) {
            out.push('*');
        }
        out.push_str(")\n");
    } else {
        out.push('\n');
    }
}

/// Whether the open file at `fd` is a regular file (`fstat`).
fn is_regular(c: &Client, fd: &rump_devtools::Dev) -> bool {
    let m = Regions::new();
    let st = m.add_zeroed(netbsd_abi::layout::stat::SIZE);
    c.syscall(SYS___fstat50, &[fd.fd(), st], &m).is_ok()
        && netbsd_abi::layout::stat::st_mode
            .get(&m.get(st))
            .is_some_and(|mode| mode as u32 & S_IFMT as u32 == S_IFREG as u32)
}

/// What disklabel is asked to do (its `op`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Read,
    Restore,
    SetReadOnly,
    SetWritable,
}

/// NetBSD's `warnx`: the message after the program's name.
fn warnx(m: String) {
    eprintln!("{PROG}: {m}");
}

/// `l_perror`: what a failed label ioctl means, in NetBSD's words.
fn l_perror(what: &str, e: Errno) {
    match e {
        Errno::ESRCH => warnx(format!(
            "{what}: No disk label on disk;\nuse \"disklabel -I\" to install initial label"
        )),
        Errno::EINVAL => warnx(format!(
            "{what}: Label magic number or checksum is wrong!\n(disklabel or kernel is out of date?)"
        )),
        Errno::EBUSY => warnx(format!("{what}: Open partition would move or shrink")),
        Errno::EXDEV => warnx(format!(
            "{what}: Labeled partition or 'a' partition must start at beginning of disk"
        )),
        _ => warnx(format!("{what}: {}", e.description())),
    }
}

/// The options that change how an operation goes.
#[derive(Clone, Copy, Default)]
struct Flags {
    /// `-C`: cylinder/track/sector form.
    cts: bool,
    /// `-r`: the label on the medium, not the kernel's.
    direct: bool,
    /// `-F`: a regular file: no label ioctls at all.
    file: bool,
    /// `-m` given an odd number of times: the MBR expectation turned over.
    mbr_toggled: bool,
    /// `-v`, counted.
    verbose: u32,
}

/// The options, checked as NetBSD's main checks them: the operation, its
/// flags and the operands; `Err` with the exit status when the tool is
/// done.
fn options(args: &[String]) -> Result<(Op, Flags, Vec<String>), ExitCode> {
    let (opts, rest) = match getopt(args, "AB:CDFIM:NRWef:ilmrtvw") {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("{PROG}: {msg}");
            return Err(usage());
        }
    };
    let mut op = None;
    let mut f = Flags::default();
    for (ch, _) in &opts {
        let old = op;
        match ch {
            'C' => f.cts = true,
            'v' => f.verbose += 1,
            'm' => f.mbr_toggled = !f.mbr_toggled,
            'r' => f.direct = true,
            'F' => (f.file, f.direct) = (true, true),
            'R' => op = Some(Op::Restore),
            'N' => op = Some(Op::SetReadOnly),
            'W' => op = Some(Op::SetWritable),
            'A' | 'B' | 'D' | 'I' | 'M' | 'e' | 'f' | 'i' | 'l' | 't' | 'w' => {
                eprintln!(
                    "{PROG}: -{ch}: not supported yet (printing a label, -R, -N, -W, -r, -F, -C, -m and -v are)"
                );
                return Err(ExitCode::from(1));
            }
            _ => return Err(usage()),
        }
        if old.is_some() && old != op {
            return Err(usage());
        }
    }
    for var in ["MACHINE", "MACHINE_ARCH"] {
        if std::env::var_os(var).is_some() {
            eprintln!(
                "{PROG}: {var} in the environment: other machines' labels are not supported yet"
            );
            return Err(ExitCode::from(1));
        }
    }
    let op = op.unwrap_or(Op::Read);
    let operands = match op {
        Op::Restore => 2,
        _ => 1,
    };
    if rest.len() != operands {
        return Err(usage());
    }
    Ok((op, f, rest))
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (op, mut f, rest) = match options(&args) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    let flags = if op == Op::Read { O_RDONLY } else { O_RDWR };
    let (special, fd) = opendisk(&c, &rest[0], flags);
    let dev = match fd {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{PROG}: {special}: {}", e.description());
            return ExitCode::from(4);
        }
    };
    if !f.file && is_regular(&c, &dev) {
        (f.file, f.direct) = (true, true);
    }
    match op {
        Op::Read => read(&c, &dev, &special, f),
        Op::Restore => restore(&c, &dev, &rest[1], f),
        Op::SetReadOnly => set_writable(&dev, false),
        Op::SetWritable => set_writable(&dev, true),
    }
}

/// Where the label lies on the medium, as the kernel and the environment
/// say (`Err` with the exit status when a number there is too large).
fn place(c: &Client, f: Flags) -> Result<Place, ExitCode> {
    let k = KernelParams {
        labelsector: sysctl_int(c, "kern.labelsector"),
        labeloffset: sysctl_int(c, "kern.labeloffset"),
        labelusesmbr: sysctl_int(c, "kern.labelusesmbr"),
    };
    let env = |v: &str| std::env::var_os(v).map(|s| s.to_string_lossy().into_owned());
    let (sector, offset) = (env("DISKLABELSECTOR"), env("DISKLABELOFFSET"));
    match Place::new(k, sector.as_deref(), offset.as_deref(), max_partitions(c)) {
        Ok(mut p) => {
            p.mbr ^= f.mbr_toggled;
            p.verbose = f.verbose;
            Ok(p)
        }
        Err(m) => {
            warnx(m);
            Err(ExitCode::from(1))
        }
    }
}

/// Print the label (the kernel's, or with `-r` the medium's) and check
/// it: 100 and more for its errors.
fn read(c: &Client, dev: &rump_devtools::Dev, special: &str, f: Flags) -> ExitCode {
    let mut l = if f.direct {
        let p = match place(c, f) {
            Ok(p) => p,
            Err(code) => return code,
        };
        match direct::read_label(dev, &p, &mut warnx) {
            Some(l) => l,
            None => {
                warnx("could not read existing label".into());
                return ExitCode::from(1);
            }
        }
    } else {
        let mut b = [0u8; DISKLABEL_SIZE];
        if let Err(e) = dev.ioctl(DIOCGDINFO, &mut b) {
            eprintln!("{PROG}: ioctl DIOCGDINFO: {}", e.description());
            return ExitCode::from(4);
        }
        let Some(l) = Label::new(b) else {
            return ExitCode::from(4);
        };
        l
    };
    let mut out = String::new();
    showinfo(&mut out, &l, special);
    let _ = writeln!(out, "{} partitions:", l.npartitions());
    out.push_str("#        size    offset     fstype [fsize bsize cpg/sgs]\n");
    for i in 0..usize::from(l.npartitions()).min(MAXPARTITIONS) {
        showpartition(&mut out, &l, i, f.cts);
    }
    print!("{out}");
    let errors = checklabel(&mut l, max_partitions(c), &mut warnx);
    ExitCode::from(if errors > 0 {
        (100 + errors).min(255) as u8
    } else {
        0
    })
}

/// `-R`: read the protofile (on the host), and if it holds a sound label
/// have the kernel take it and write it to the disk (`DIOCWDINFO`), or
/// with `-r` write it to the medium as well (`write_label`'s `rflag`).
fn restore(c: &Client, dev: &rump_devtools::Dev, protofile: &str, f: Flags) -> ExitCode {
    let text = match std::fs::read(protofile) {
        Ok(t) => t,
        Err(e) => {
            // err(3)'s text: strerror alone, without Rust's "(os error N)".
            let e = e.to_string();
            let e = e.split(" (os error").next().unwrap_or_default();
            eprintln!("{PROG}: {protofile}: {e}");
            return ExitCode::from(4);
        }
    };
    let mut lab = OwnedLabel::zeroed();
    if !rump_devtools::protofile::getasciilabel(&text, &mut lab, max_partitions(c), &mut warnx) {
        return ExitCode::from(1);
    }
    lab.seal();
    let mut b = lab.bytes().to_vec();
    if !f.direct {
        if let Err(e) = dev.ioctl(DIOCWDINFO, &mut b) {
            l_perror("ioctl DIOCWDINFO", e);
            return ExitCode::from(1);
        }
        return ExitCode::SUCCESS;
    }
    let p = match place(c, f) {
        Ok(p) => p,
        Err(code) => return code,
    };
    if f.file {
        return match direct::write_label(dev, &p, &lab, &mut warnx) {
            Ok(()) => ExitCode::SUCCESS,
            Err(direct::Failed(m)) => {
                warnx(m);
                ExitCode::from(1)
            }
        };
    }
    // The kernel's label first: its checks may refuse the change.
    match dev.ioctl(DIOCSDINFO, &mut b) {
        Err(e) if e != Errno::ENODEV && e != Errno::ENOTTY => {
            l_perror("ioctl DIOCSDINFO", e);
            return ExitCode::from(1);
        }
        _ => {}
    }
    // The label sector writable while it is written, and not after, as
    // NetBSD's atexit(clear_writable) leaves it however the tool ends.
    if let Err(e) = dev.ioctl(DIOCWLABEL, &mut 1i32.to_ne_bytes()) {
        eprintln!("ioctl DIOCWLABEL: {}", e.description());
    }
    let code = match direct::write_label(dev, &p, &lab, &mut warnx) {
        Err(direct::Failed(m)) => {
            warnx(m);
            ExitCode::from(1)
        }
        Ok(()) => match dev.ioctl(DIOCWDINFO, &mut b) {
            Err(e) => {
                l_perror("ioctl DIOCWDINFO", e);
                ExitCode::from(1)
            }
            Ok(()) => ExitCode::SUCCESS,
        },
    };
    let _ = dev.ioctl(DIOCWLABEL, &mut 0i32.to_ne_bytes());
    code
}

/// `-N`/`-W`: forbid or allow writes to the label sector (`DIOCWLABEL`).
fn set_writable(dev: &rump_devtools::Dev, writable: bool) -> ExitCode {
    let mut flag = i32::from(writable).to_ne_bytes();
    if let Err(e) = dev.ioctl(DIOCWLABEL, &mut flag) {
        eprintln!("{PROG}: ioctl DIOCWLABEL: {}", e.description());
        return ExitCode::from(4);
    }
    ExitCode::SUCCESS
}
