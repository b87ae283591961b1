//! How amd64 finds a disk label on a medium (`sys/kern/subr_disk_mbr.c`):
//! an MBR's NetBSD partition (its label at the partition's sector
//! `LABELSECTOR`), else sector `LABELSECTOR` of the disk; the other MBR
//! partitions become `e` and up when no label is found; and the label is
//! written back to every place it is read from.
//! A disk with neither whose start holds an ISO 9660 or UDF volume
//! recognition sequence gets an `iso partition` label (`scan_iso_vrs`;
//! the per-session scan of SCSI MMC drives is not needed, as no disk of
//! this kernel is one).

use super::label::{
    Disklabel, FS_APPLEUFS, FS_BSDFFS, FS_EX2FS, FS_MINIXFS3, FS_MSDOS, FS_NTFS, FS_OTHER, FS_SWAP,
    FS_UNUSED, MAXPARTITIONS, Partition, disklabel,
};
use rump::devsw::RAW_PART;
use rump::{Errno, KResult};

/// `LABELSECTOR` (`arch/amd64/include/disklabel.h`).
pub const LABELSECTOR: u64 = 1;
/// `LABELOFFSET`: the label starts its sector.
pub const LABELOFFSET: usize = 0;
/// `SCANBLOCKS` (`subr_disk_mbr.c`): sectors searched for a label.
const SCANBLOCKS: usize = 3;
/// `MBR_LABELSECTOR`: the label's sector within a NetBSD MBR partition.
const MBR_LABELSECTOR: u64 = 1;
/// `MBR_PART_OFFSET` (`sys/bootblock.h`).
const MBR_PART_OFFSET: usize = 446;
/// `MBR_MAGIC_OFFSET`.
const MBR_MAGIC_OFFSET: usize = 510;
/// `MBR_MAGIC`.
const MBR_MAGIC: u16 = 0xaa55;
/// `MBR_PART_COUNT`.
const MBR_PART_COUNT: usize = 4;
/// `sizeof(struct mbr_partition)`: type at 4, start at 8, size at 12.
const MBR_PART_SIZE: usize = 16;
const MBR_PTYPE_UNUSED: u8 = 0x00;
const MBR_PTYPE_EXT: u8 = 0x05;
const MBR_PTYPE_EXT_LBA: u8 = 0x0f;
const MBR_PTYPE_EXT_LNX: u8 = 0x85;
const MBR_PTYPE_DM6_DDO: u8 = 0x54;
const MBR_PTYPE_NETBSD: u8 = 0xa9;
const MBR_PTYPE_PMBR: u8 = 0xee;

/// `xlat_mbr_fstype` (`sys/lib/libkern/xlat_mbr_fstype.c`).
fn xlat_mbr_fstype(t: u8) -> u8 {
    match t {
        0xa5 | MBR_PTYPE_NETBSD | 0xa6 => FS_BSDFFS,
        0xa8 => FS_APPLEUFS,
        0x01 | 0x04 | 0x06 | 0x0b | 0x0c | 0x0e => FS_MSDOS,
        0x83 => FS_EX2FS,
        0x82 => FS_SWAP,
        0x07 => FS_NTFS,
        0x81 => FS_MINIXFS3,
        _ => FS_OTHER,
    }
}

/// Reads and writes whole sectors of the raw disk (the driver's strategy
/// on its `RAW_PART` device).
pub trait SectorIo {
    /// Read `buf.len()` bytes (whole sectors) from sector `sector`.
    fn read(&self, sector: u64, buf: &mut [u8]) -> KResult<()>;
    /// Write whole sectors at sector `sector`.
    fn write(&self, sector: u64, buf: &[u8]) -> KResult<()>;
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Read,
    Update,
    Write,
}

enum Scan {
    Continue,
    Found,
    Error,
}

struct Args<'a> {
    lp: &'a mut Disklabel,
    io: &'a dyn SectorIo,
    msg: Option<&'static str>,
    error: Option<Errno>,
    written: usize,
    found_mbr: bool,
    action: Action,
    secperunit: u32,
}

impl Args<'_> {
    fn secsize(&self) -> usize {
        self.lp.secsize() as usize
    }

    fn read_sectors(&mut self, sector: u64, count: usize) -> KResult<Vec<u8>> {
        let mut buf = vec![0u8; count * self.secsize()];
        self.io.read(sector, &mut buf).inspect_err(|&e| {
            self.error = Some(e);
        })?;
        Ok(buf)
    }
}

struct MbrPart {
    typ: u8,
    start: u32,
    size: u32,
}

type PartAction = fn(&mut Args<'_>, &MbrPart, usize, u32) -> Scan;

/// `scan_mbr`: call `actn` for each partition of the MBR and its chain of
/// extended partitions.
fn scan_mbr(a: &mut Args<'_>, actn: PartAction) -> Scan {
    let mut ext_base: u32 = 0;
    let mut this_ext: u32 = 0;
    loop {
        let Ok(sec) = a.read_sectors(u64::from(this_ext), 1) else {
            a.msg = Some("dos partition I/O error");
            return Scan::Error;
        };
        if sec.len() < MBR_MAGIC_OFFSET + 2
            || u16::from_le_bytes([sec[MBR_MAGIC_OFFSET], sec[MBR_MAGIC_OFFSET + 1]]) != MBR_MAGIC
        {
            return Scan::Continue;
        }
        let parts: Vec<MbrPart> = (0..MBR_PART_COUNT)
            .map(|i| {
                let p = &sec[MBR_PART_OFFSET + i * MBR_PART_SIZE..][..MBR_PART_SIZE];
                let le = |o: usize| u32::from_le_bytes([p[o], p[o + 1], p[o + 2], p[o + 3]]);
                MbrPart {
                    typ: p[4],
                    start: le(8),
                    size: le(12),
                }
            })
            .collect();
        if parts[0].typ == MBR_PTYPE_PMBR && parts[1..].iter().all(|p| p.typ == MBR_PTYPE_UNUSED) {
            return Scan::Continue;
        }
        if ext_base == 0
            && parts[0].typ == MBR_PTYPE_DM6_DDO
            && parts[1..].iter().all(|p| p.typ == MBR_PTYPE_UNUSED)
        {
            let ntracks = a.lp.get(disklabel::d_ntracks) as u32;
            let secpercyl = a.lp.get(disklabel::d_secpercyl) as u32;
            this_ext = secpercyl.checked_div(ntracks).unwrap_or(0);
            continue;
        }
        let mut next_ext: u32 = 0;
        let mut j = 0;
        for dp in &parts {
            if dp.typ == MBR_PTYPE_UNUSED {
                continue;
            }
            if u64::from(ext_base) + u64::from(dp.start) + u64::from(dp.size)
                > a.lp.get(disklabel::d_secperunit)
            {
                a.msg = Some("mbr partition exceeds disk size");
                return Scan::Continue;
            }
            a.found_mbr = true;
            if matches!(
                dp.typ,
                MBR_PTYPE_EXT | MBR_PTYPE_EXT_LBA | MBR_PTYPE_EXT_LNX
            ) {
                next_ext = dp.start;
                continue;
            }
            match actn(a, dp, j, this_ext) {
                Scan::Continue => {}
                r => return r,
            }
            j += 1;
        }
        if next_ext == 0 {
            break;
        }
        if ext_base == 0 {
            ext_base = next_ext;
            next_ext = 0;
        }
        next_ext = next_ext.wrapping_add(ext_base);
        if next_ext <= this_ext {
            break;
        }
        this_ext = next_ext;
    }
    Scan::Continue
}

/// `look_netbsd_part`: a NetBSD partition's label, else the partition as
/// `e` and up.
fn look_netbsd_part(a: &mut Args<'_>, dp: &MbrPart, slot: usize, ext_base: u32) -> Scan {
    let ptn_base = ext_base.wrapping_add(dp.start);
    if dp.typ == MBR_PTYPE_NETBSD {
        let rval = validate_label(a, u64::from(ptn_base));
        // RAW_PART is 3: partition c records where the label was found.
        let c = a.lp.partition(2);
        if matches!(rval, Scan::Found) || c.size == 0 {
            a.lp.set_partition(
                2,
                Partition {
                    size: dp.size,
                    offset: ptn_base,
                    ..c
                },
            );
        }
        if matches!(rval, Scan::Found) {
            return rval;
        }
    }
    let slot = if ext_base == 0 {
        slot + 4
    } else {
        let mut s = 4 + MBR_PART_COUNT;
        while s < MAXPARTITIONS {
            let pp = a.lp.partition(s);
            if (pp.offset == ptn_base && pp.size == dp.size) || pp.size == 0 {
                break;
            }
            s += 1;
        }
        s
    };
    if slot < MAXPARTITIONS {
        let mut p0 = a.lp.partition(0);
        p0.size = 0;
        p0.fstype = FS_UNUSED;
        a.lp.set_partition(0, p0);
        let mut pp = a.lp.partition(slot);
        pp.offset = ptn_base;
        pp.size = dp.size;
        pp.fstype = xlat_mbr_fstype(dp.typ);
        a.lp.set_partition(slot, pp);
        if slot >= a.lp.npartitions() {
            a.lp.set(disklabel::d_npartitions, slot as u64 + 1);
        }
    }
    Scan::Continue
}

fn write_netbsd_label(a: &mut Args<'_>, dp: &MbrPart, _slot: usize, ext_base: u32) -> Scan {
    if dp.typ != MBR_PTYPE_NETBSD {
        return Scan::Continue;
    }
    validate_label(a, u64::from(ext_base.wrapping_add(dp.start)))
}

/// `validate_label`: find a label in the `SCANBLOCKS` sectors from
/// `label_sector`, then read it, or put ours in its place.
fn validate_label(a: &mut Args<'_>, label_sector: u64) -> Scan {
    let Ok(mut buf) = a.read_sectors(label_sector, SCANBLOCKS) else {
        a.msg = Some("disk label read failed");
        return Scan::Error;
    };
    // The label may sit at any `long` boundary of the sectors read.
    let step = std::mem::size_of::<u64>();
    let mut at = None;
    let mut off = 0;
    while off + disklabel::SIZE <= buf.len() {
        if let Some(l) = Disklabel::from_bytes(&buf[off..])
            && l.has_magic()
        {
            if l.is_valid() {
                at = Some(off);
                break;
            }
            a.msg = Some("disk label corrupted");
        }
        off += step;
    }
    let at = match at {
        Some(o) => o,
        None if a.action != Action::Write => return Scan::Continue,
        None => {
            let sector = if label_sector != 0 {
                MBR_LABELSECTOR
            } else {
                LABELSECTOR
            };
            LABELOFFSET + sector as usize * a.secsize()
        }
    };
    match a.action {
        Action::Read => {
            let Some(found) = Disklabel::from_bytes(&buf[at..]) else {
                return Scan::Continue;
            };
            *a.lp = found;
            if let Some(msg) = convertdisklabel(a) {
                a.msg = Some(msg);
                return Scan::Error;
            }
            Scan::Found
        }
        Action::Update | Action::Write => {
            let Some(dst) = buf.get_mut(at..at + disklabel::SIZE) else {
                return Scan::Continue;
            };
            dst.copy_from_slice(a.lp.as_bytes());
            if let Err(e) = a.io.write(label_sector, &buf) {
                a.error = Some(e);
                a.msg = Some("disk label write failed");
                return Scan::Error;
            }
            a.written += 1;
            Scan::Continue
        }
    }
}

/// `convertdisklabel` (`subr_disk.c`): make sure a label read from the
/// medium has a raw partition; the reason when it cannot have one.
fn convertdisklabel(a: &mut Args<'_>) -> Option<&'static str> {
    let secperunit = a.secperunit;
    let rp = Partition {
        size: secperunit,
        fstype: FS_UNUSED,
        ..Partition::default()
    };
    let geom_ok = secperunit != 0 && a.read_sectors(u64::from(secperunit) - 1, 1).is_ok();
    let raw = RAW_PART as usize;
    // RAW_PART is 'd': the alternative is 'c'.
    let alt = 2;
    let n = a.lp.npartitions();
    let p = a.lp.partition(raw);
    let altp = a.lp.partition(alt);
    if n > raw && p.offset == 0 && p.size != 0 {
        None
    } else if n > 3 && altp.offset == 0 && altp.size != 0 {
        a.lp.set_partition(raw, altp);
        a.lp.set_partition(alt, p);
        None
    } else if n <= raw && n > alt {
        a.lp.set(disklabel::d_npartitions, raw as u64 + 1);
        a.lp.set_partition(raw, altp);
        None
    } else if !geom_ok {
        Some("no raw partition and disk reports bad geometry")
    } else if n <= raw {
        for i in n..raw {
            a.lp.set_partition(i, Partition::default());
        }
        a.lp.set_partition(raw, rp);
        a.lp.set(disklabel::d_npartitions, raw as u64 + 1);
        None
    } else if n < MAXPARTITIONS {
        for i in (raw..n).rev() {
            let q = a.lp.partition(i);
            a.lp.set_partition(i + 1, q);
        }
        a.lp.set_partition(raw, rp);
        a.lp.set(disklabel::d_npartitions, n as u64 + 1);
        None
    } else {
        Some("no raw partition and partition table is full")
    }
}

/// `readdisklabel`: fill `lp` (which holds the driver's default label)
/// from the medium. `Err` carries NetBSD's message when no label was
/// found or it could not be read; `lp` then holds what the MBR gave.
pub fn readdisklabel(io: &dyn SectorIo, lp: &mut Disklabel) -> Result<(), &'static str> {
    if lp.secsize() == 0 {
        lp.set(disklabel::d_secsize, rump::devsw::DEV_BSIZE);
    }
    if lp.get(disklabel::d_secperunit) == 0 {
        lp.set(disklabel::d_secperunit, 0x1fff_ffff);
    }
    let secperunit = lp.get(disklabel::d_secperunit) as u32;
    let raw = RAW_PART as usize;
    lp.set(disklabel::d_npartitions, raw as u64 + 1);
    for i in 0..raw {
        let mut p = lp.partition(i);
        p.size = 0;
        p.offset = 0;
        lp.set_partition(i, p);
    }
    let mut rp = lp.partition(raw);
    if rp.size == 0 {
        rp.size = secperunit;
    }
    rp.offset = 0;
    lp.set_partition(raw, rp);
    // Partition a is the whole disk until an MBR or a label says otherwise.
    let mut p0 = lp.partition(0);
    p0.size = rp.size;
    p0.fstype = FS_BSDFFS;
    lp.set_partition(0, p0);
    if !u64::from(lp.secsize()).is_multiple_of(rump::devsw::DEV_BSIZE) {
        return Err("disk label read failed");
    }
    let mut a = Args {
        lp,
        io,
        msg: None,
        error: None,
        written: 0,
        found_mbr: false,
        action: Action::Read,
        secperunit,
    };
    let mut rval = scan_mbr(&mut a, look_netbsd_part);
    if matches!(rval, Scan::Continue) {
        rval = validate_label(&mut a, 0);
    }
    if matches!(rval, Scan::Continue) {
        rval = scan_iso_vrs(&mut a);
    }
    // Nothing found and nothing wrong is no error: the label in core is
    // the default one as changed above.
    match (rval, a.msg) {
        (Scan::Found, _) | (_, None) => Ok(()),
        (_, Some(msg)) => Err(msg),
    }
}

/// `FS_ISO9660` (`sys/disklabel.h`).
const FS_ISO9660: u8 = 12;

/// `scan_iso_vrs` at the start of the disk: ISO 9660 (`CD001`) and UDF
/// (`BEA01` then `NSR0x`) volume recognition sequences, from 32 KiB on.
fn scan_iso_vrs(a: &mut Args<'_>) -> Scan {
    let secsize = a.secsize() as u64;
    let blks = secsize / rump::devsw::DEV_BSIZE;
    let inc = (2048 / secsize).max(1);
    let mut vrs = (32 * 1024u64).div_ceil(secsize);
    let ident = |a: &mut Args<'_>, vrs: u64| -> Option<[u8; 5]> {
        let sec = a.read_sectors(vrs.checked_mul(blks)?, 1).ok()?;
        sec.get(1..6)?.try_into().ok()
    };
    let mut iso = false;
    let mut udf = false;
    let mut id = ident(a, vrs);
    while id == Some(*b"CD001") {
        iso = true;
        vrs += inc;
        id = ident(a, vrs);
    }
    if id == Some(*b"BEA01") {
        vrs += inc;
        if ident(a, vrs).is_some_and(|n| n.starts_with(b"NSR0")) {
            udf = true;
        }
    }
    if !iso && !udf {
        return Scan::Continue;
    }
    a.lp.set_name(disklabel::d_typename, "iso partition");
    if iso {
        let secperunit = a.lp.get(disklabel::d_secperunit) as u32;
        let mut p = a.lp.partition(0);
        p.offset = 0;
        p.size = secperunit;
        // p_cdsession shares p_fsize's place: session 0.
        p.fsize = 0;
        p.fstype = FS_ISO9660;
        a.lp.set_partition(0, p);
    }
    Scan::Found
}

/// `writedisklabel`: put `lp` in every NetBSD MBR partition and at the
/// start of a disk without an MBR (updating one already there). ESRCH
/// when there was nowhere to write it.
pub fn writedisklabel(io: &dyn SectorIo, lp: &Disklabel) -> KResult<()> {
    let mut label = lp.clone();
    if label.secsize() == 0 || !u64::from(label.secsize()).is_multiple_of(rump::devsw::DEV_BSIZE) {
        return Err(Errno::EINVAL);
    }
    let mut a = Args {
        lp: &mut label,
        io,
        msg: None,
        error: None,
        written: 0,
        found_mbr: false,
        action: Action::Write,
        secperunit: 0,
    };
    scan_mbr(&mut a, write_netbsd_label);
    a.action = if a.found_mbr {
        Action::Update
    } else {
        Action::Write
    };
    validate_label(&mut a, 0);
    match a.error {
        Some(e) => Err(e),
        None if a.written == 0 => Err(Errno::ESRCH),
        None => Ok(()),
    }
}
