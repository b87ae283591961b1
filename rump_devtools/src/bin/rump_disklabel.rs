//! `rump.disklabel`: NetBSD's disklabel(8) as a rump kernel client. It
//! prints the label the kernel holds for a disk (`DIOCGDINFO`), with
//! `-C` in cylinder/head/sector form, checked as NetBSD's `checklabel`
//! checks it, with NetBSD's output, messages and exit codes. Writing,
//! restoring (`-R`), editing and reading the medium directly (`-r`,
//! `-F`, `-A`) are not supported yet, and say so.

use netbsd_abi::{O_RDONLY, S_IFMT, S_IFREG, SYS___fstat50};
use rump_devtools::label::*;
use rump_devtools::{getopt, opendisk};
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
fn showinfo(out: &mut String, l: &Label, special: &str) {
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
fn showpartition(out: &mut String, l: &Label, i: usize, cts: bool) {
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

/// `checklabel`: the warnings NetBSD prints for a label and the count of
/// its errors.
fn checklabel(l: &Label) -> u32 {
    let warn = |m: String| eprintln!("{PROG}: {m}");
    if l.secsize() == 0 {
        warn(format!("sector size {}", l.secsize()));
        return 1;
    }
    if l.nsectors() == 0 {
        warn(format!("sectors/track {}", l.nsectors()));
        return 1;
    }
    if l.ntracks() == 0 {
        warn(format!("tracks/cylinder {}", l.ntracks()));
        return 1;
    }
    let mut errors = 0;
    if l.ncylinders() == 0 {
        warn(format!("cylinders/unit {}", l.ncylinders()));
        errors += 1;
    }
    if l.rpm() == 0 {
        warn(format!("warning, revolutions/minute {}", l.rpm()));
    }
    let spc = if l.secpercyl() == 0 {
        l.nsectors().wrapping_mul(l.ntracks())
    } else {
        l.secpercyl()
    };
    let unit = if l.secperunit() == 0 {
        spc.wrapping_mul(l.ncylinders())
    } else {
        l.secperunit()
    };
    let _ = spc;
    if l.bbsize() == 0 {
        warn(format!("boot block size {}", l.bbsize()));
        errors += 1;
    } else if !l.bbsize().is_multiple_of(l.secsize()) {
        warn("warning, boot block size % sector-size != 0".into());
    }
    if l.sbsize() == 0 {
        warn(format!("super block size {}", l.sbsize()));
        errors += 1;
    } else if !l.sbsize().is_multiple_of(l.secsize()) {
        warn("warning, super block size % sector-size != 0".into());
    }
    let mut npart = usize::from(l.npartitions());
    if npart > MAXPARTITIONS {
        warn(format!(
            "warning, number of partitions ({npart}) > MAXPARTITIONS ({MAXPARTITIONS})"
        ));
        npart = MAXPARTITIONS;
    } else {
        for i in (npart..MAXPARTITIONS).rev() {
            let p = l.partition(i);
            if p.size != 0 || p.offset != 0 {
                warn(format!(
                    "warning, partition {} increased number of partitions from {npart} to {}",
                    char::from(b'a' + i as u8),
                    i + 1
                ));
                npart = i + 1;
                break;
            }
        }
    }
    for i in 0..npart {
        let part = char::from(b'a' + i as u8);
        let p = l.partition(i);
        if p.size == 0 && p.offset != 0 {
            warn(format!(
                "warning, partition {part}: size 0, but offset {}",
                p.offset
            ));
        }
        if p.offset > unit {
            warn(format!("partition {part}: offset past end of unit"));
            errors += 1;
        }
        if u64::from(p.offset) + u64::from(p.size) > u64::from(unit) {
            warn(format!(
                "partition {part}: partition extends past end of unit"
            ));
            errors += 1;
        }
        if p.fstype != FS_UNUSED {
            for j in i + 1..npart {
                let q = l.partition(j);
                if q.fstype == FS_UNUSED {
                    continue;
                }
                if u64::from(p.offset) < u64::from(q.offset) + u64::from(q.size)
                    && u64::from(q.offset) < u64::from(p.offset) + u64::from(p.size)
                {
                    warn(format!(
                        "partitions {part} and {} overlap",
                        char::from(b'a' + j as u8)
                    ));
                }
            }
        }
    }
    errors
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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (opts, rest) = match getopt(&args, "AB:CDFIM:NRWef:ilmrtvw") {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("{PROG}: {msg}");
            return usage();
        }
    };
    let mut cts = false;
    for (ch, _) in &opts {
        match ch {
            'C' => cts = true,
            'v' | 'm' => {}
            'A' | 'B' | 'D' | 'F' | 'I' | 'M' | 'N' | 'R' | 'W' | 'e' | 'f' | 'i' | 'l' | 'r'
            | 't' | 'w' => {
                eprintln!("{PROG}: -{ch}: not supported yet (only printing the kernel's label)");
                return ExitCode::from(1);
            }
            _ => return usage(),
        }
    }
    if rest.len() != 1 {
        return usage();
    }
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    let (special, fd) = opendisk(&c, &rest[0], O_RDONLY);
    let dev = match fd {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{PROG}: {special}: {}", e.description());
            return ExitCode::from(4);
        }
    };
    if is_regular(&c, &dev) {
        eprintln!("{PROG}: {special}: labels in regular files (-F) are not supported yet");
        return ExitCode::from(1);
    }
    let mut b = vec![0u8; DISKLABEL_SIZE];
    if let Err(e) = dev.ioctl(DIOCGDINFO, &mut b) {
        eprintln!("{PROG}: ioctl DIOCGDINFO: {}", e.description());
        return ExitCode::from(4);
    }
    let Some(l) = Label::new(&b) else {
        return ExitCode::from(4);
    };
    let mut out = String::new();
    showinfo(&mut out, &l, &special);
    let _ = writeln!(out, "{} partitions:", l.npartitions());
    out.push_str("#        size    offset     fstype [fsize bsize cpg/sgs]\n");
    for i in 0..usize::from(l.npartitions()).min(MAXPARTITIONS) {
        showpartition(&mut out, &l, i, cts);
    }
    print!("{out}");
    let errors = checklabel(&l);
    ExitCode::from(if errors > 0 {
        (100 + errors).min(255) as u8
    } else {
        0
    })
}
