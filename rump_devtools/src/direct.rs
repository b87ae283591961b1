//! A label on the medium itself, as disklabel(8) reads and writes it with
//! `-r` (and `-F`, a regular file): NetBSD's `find_label`, `process_mbr`,
//! `update_label`, `readlabel_direct` and `writelabel_direct`
//! (sbin/disklabel/main.c) for amd64, where no filecore boot block is
//! looked for. Where the label lies comes from the kernel
//! (`kern.labelsector`, `kern.labeloffset`, `kern.labelusesmbr`) or the
//! environment (`DISKLABELSECTOR`, `DISKLABELOFFSET`), as NetBSD's
//! disklabel takes it: through the small fields of its `disklabel_params`
//! (7 bits of sector, 16 of offset, 1 of MBR use), so that a kernel
//! without the sysctls, such as a rump kernel, has a label place past the
//! boot area and no label is found there.

use crate::label::{DISKLABEL_SIZE, DISKMAGIC, Label, OwnedLabel};
use netbsd_abi::Errno;

/// `DEV_BSIZE`.
const DEV_BSIZE: u64 = 512;
/// `BBSIZE` (main.c): the boot area read around a label.
const BBSIZE: usize = 8192;
/// `LABELOFFSET_MBR` (main.c): where a label goes in an MBR partition's
/// first sector.
const LABELOFFSET_MBR: u32 = 512;
/// `sys/bootblock.h`: the MBR's partition table, its magic and the
/// partition types disklabel follows.
const MBR_PART_OFFSET: usize = 446;
const MBR_PART_SIZE: usize = 16;
const MBR_PART_COUNT: usize = 4;
const MBR_MAGIC_OFFSET: usize = 510;
const MBR_MAGIC: u16 = 0xaa55;
const MBR_PTYPE_NETBSD: u8 = 0xa9;
const MBR_PTYPE_EXT: u8 = 0x05;
const MBR_PTYPE_EXT_LBA: u8 = 0x0f;
const MBR_PTYPE_EXT_LNX: u8 = 0x85;

/// The disk (or file) a label is read from and written to.
pub trait Medium {
    /// `pread`: bytes read at `off`.
    fn pread(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno>;
    /// `pwrite`: bytes written at `off`.
    fn pwrite(&self, data: &[u8], off: u64) -> Result<usize, Errno>;
}

/// Where labels are looked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    /// `LABEL_OFFSET`: the label's byte offset in sector 0's boot area.
    pub label_offset: i64,
    /// `mflag`: the disk is expected to have an MBR.
    pub mbr: bool,
    /// `maxpartitions`: more in a label makes it corrupt.
    pub maxpartitions: u32,
    /// `-v`: how much to tell.
    pub verbose: u32,
}

/// What the kernel's sysctls say, each `None` when it has none.
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelParams {
    /// `kern.labelsector`.
    pub labelsector: Option<i32>,
    /// `kern.labeloffset`.
    pub labeloffset: Option<i32>,
    /// `kern.labelusesmbr`.
    pub labelusesmbr: Option<i32>,
}

impl Place {
    /// The place disklabel computes: the kernel's values (-1 when
    /// missing) through `disklabel_params`' bit fields, the environment's
    /// `DISKLABELSECTOR`/`DISKLABELOFFSET` over them. `Err` with the
    /// message of a number in the environment too large.
    pub fn new(
        k: KernelParams,
        env_sector: Option<&str>,
        env_offset: Option<&str>,
        maxpartitions: u32,
    ) -> Result<Place, String> {
        let sector = u64::from(k.labelsector.unwrap_or(-1) as u8 & 0x7f);
        let offset = u64::from(k.labeloffset.unwrap_or(-1) as u16);
        let env = |v: Option<&str>, name: &str, dflt: u64| match v {
            None => Ok(dflt),
            Some(s) => match s.trim_start().parse::<u64>() {
                Ok(n) => Ok(n),
                // err(3) with ERANGE, in the words of NetBSD's libc
                // (sys/errno.h), which netbsd_abi's strerror shortens.
                Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => Err(format!(
                    "{name} in environment: Result too large or too small"
                )),
                // strtoul: the digits it could read, else 0.
                Err(_) => Ok(leading_number(s)),
            },
        };
        let sector = env(env_sector, "DISKLABELSECTOR", sector)?;
        let offset = env(env_offset, "DISKLABELOFFSET", offset)?;
        Ok(Place {
            label_offset: (sector as i64)
                .wrapping_mul(DEV_BSIZE as i64)
                .wrapping_add(offset as i64),
            mbr: k.labelusesmbr.unwrap_or(-1) & 1 != 0,
            maxpartitions,
            verbose: 0,
        })
    }
}

/// `strtoul`'s value of what starts `s` (base 10), 0 when no digits.
fn leading_number(s: &str) -> u64 {
    let t = s.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    let v = digits.parse::<u64>().unwrap_or(0);
    if neg { v.wrapping_neg() } else { v }
}

/// Why writing stopped: NetBSD's `err`/`errx` with exit status 1.
#[derive(Debug, PartialEq, Eq)]
pub struct Failed(pub String);

/// The boot area read from a sector, and the offset of a good label in it.
struct BootArea {
    sector: u32,
    bytes: Vec<u8>,
}

fn text_errno(e: Errno) -> &'static str {
    e.description()
}

/// `find_label`: read the boot area at `sector` and look for a label, at
/// the expected offset first, then every 4 bytes.
fn find_label(
    m: &dyn Medium,
    sector: u32,
    p: &Place,
    warn: &mut dyn FnMut(String),
) -> (BootArea, Option<usize>) {
    let mut bytes = vec![0u8; BBSIZE];
    let len = match m.pread(&mut bytes, u64::from(sector) * DEV_BSIZE) {
        Ok(n) => n,
        Err(e) => {
            if p.verbose > 0 {
                warn(format!(
                    "failed to read bootarea from sector {sector}: {}",
                    text_errno(e)
                ));
            }
            0
        }
    };
    bytes.truncate(len);
    let area = BootArea { sector, bytes };
    if len == 0 {
        if p.verbose > 0 {
            warn(format!("failed to read bootarea from sector {sector}"));
        }
        return (area, None);
    }
    if p.verbose > 2 {
        warn(format!("read sector {sector} len {len} looking for label"));
    }
    let candidates =
        std::iter::once(p.label_offset).chain((0..).step_by(4).filter(|&i| i != p.label_offset));
    for offset in candidates {
        if offset < 0 || offset as u64 + DISKLABEL_SIZE as u64 > len as u64 {
            break;
        }
        let at = offset as usize;
        let Some(l) = Label::new(&area.bytes[at..]) else {
            break;
        };
        if l.magic2() != l.magic() {
            continue;
        }
        if l.magic() != DISKMAGIC {
            if l.magic() == DISKMAGIC.swap_bytes() && l.magic2() == DISKMAGIC.swap_bytes() {
                warn(format!(
                    "ignoring byteswapped label at offset {offset} from sector {sector}"
                ));
            }
            continue;
        }
        if u32::from(l.npartitions()) > p.maxpartitions || !sums_to_zero(&area.bytes[at..], &l) {
            if p.verbose > 0 {
                warn(format!(
                    "corrupt label found at offset {offset} in sector {sector}"
                ));
            }
            continue;
        }
        if p.verbose > 1 {
            warn(format!(
                "label found at offset {offset} from sector {sector}"
            ));
        }
        return (area, Some(at));
    }
    (area, None)
}

/// `dkcksum` of the label at the start of `b` over its own partitions,
/// which may run past the label's 16 into the boot area (none past it).
fn sums_to_zero<T: AsRef<[u8]>>(b: &[u8], l: &Label<T>) -> bool {
    let end =
        crate::label::PARTITIONS + usize::from(l.npartitions()) * crate::label::PARTITION_SIZE;
    b.get(..end).is_some_and(|words| {
        words
            .chunks_exact(2)
            .fold(0u16, |s, w| s ^ u16::from_ne_bytes([w[0], w[1]]))
            == 0
    })
}

/// What `process_mbr` does with a NetBSD partition: its first sector in,
/// disklabel's answer out (0 or less: done).
type MbrAction<'a> = dyn FnMut(u32, &mut dyn FnMut(String)) -> Result<i32, Failed> + 'a;

/// `process_mbr`: the NetBSD partitions of the MBR and its extended
/// partitions, each given to `action` with its first sector; the first
/// answer of 0 or less ends the walk, else the largest.
fn process_mbr(
    m: &dyn Medium,
    p: &Place,
    warn: &mut dyn FnMut(String),
    action: &mut MbrAction<'_>,
) -> Result<i32, Failed> {
    let mut rval = 1;
    let (mut ext_base, mut next_ext) = (0u32, 0u32);
    loop {
        let this_ext = next_ext;
        next_ext = 0;
        if p.verbose > 1 {
            warn(format!("reading mbr sector {this_ext}"));
        }
        let mut mbr = [0u8; DEV_BSIZE as usize];
        match m.pread(&mut mbr, u64::from(this_ext) * DEV_BSIZE) {
            Ok(n) if n == mbr.len() => {}
            r => {
                if p.verbose > 0 {
                    let why = r
                        .err()
                        .map_or(String::new(), |e| format!(": {}", text_errno(e)));
                    warn(format!("Can't read master boot record {this_ext}{why}"));
                }
                break;
            }
        }
        if u16::from_le_bytes([mbr[MBR_MAGIC_OFFSET], mbr[MBR_MAGIC_OFFSET + 1]]) != MBR_MAGIC {
            if p.verbose > 0 {
                warn(format!("Invalid signature in mbr record {this_ext}"));
            }
            break;
        }
        for part in 0..MBR_PART_COUNT {
            let e = &mbr[MBR_PART_OFFSET + part * MBR_PART_SIZE..][..MBR_PART_SIZE];
            let start = u32::from_le_bytes([e[8], e[9], e[10], e[11]]);
            match e[4] {
                MBR_PTYPE_NETBSD => {
                    let res = action(this_ext.wrapping_add(start), warn)?;
                    if res <= 0 {
                        return Ok(res);
                    }
                    rval = rval.max(res);
                }
                MBR_PTYPE_EXT | MBR_PTYPE_EXT_LBA | MBR_PTYPE_EXT_LNX => next_ext = start,
                _ => {}
            }
        }
        if next_ext == 0 {
            break;
        }
        next_ext = next_ext.wrapping_add(ext_base);
        if ext_base == 0 {
            ext_base = next_ext;
        }
        if next_ext <= this_ext {
            if p.verbose > 0 {
                warn(format!(
                    "Invalid extended chain {next_ext:x} <= {this_ext:x}"
                ));
            }
            break;
        }
    }
    Ok(rval)
}

/// `readlabel_direct`: the label on the medium, in an MBR's NetBSD
/// partition or in sector 0's boot area, or `None`.
pub fn read_label(m: &dyn Medium, p: &Place, warn: &mut dyn FnMut(String)) -> Option<OwnedLabel> {
    if p.mbr
        && let Some(l) = label_in_mbr(m, p, warn)
    {
        return Some(l);
    }
    let (area, at) = find_label(m, 0, p, warn);
    if let Some(l) = at.and_then(|at| label_at(&area.bytes, at)) {
        return Some(l);
    }
    if !p.mbr {
        return label_in_mbr(m, p, warn);
    }
    None
}

/// `process_mbr(f, readlabel_mbr)`: the label of the first NetBSD
/// partition that has one.
fn label_in_mbr(m: &dyn Medium, p: &Place, warn: &mut dyn FnMut(String)) -> Option<OwnedLabel> {
    let mut found = None;
    let r = process_mbr(m, p, warn, &mut |sector, warn| {
        let (area, at) = find_label(m, sector, p, warn);
        Ok(match at.and_then(|at| label_at(&area.bytes, at)) {
            Some(l) => {
                found = Some(l);
                0
            }
            None => 1,
        })
    });
    if r == Ok(0) { found } else { None }
}

fn label_at(b: &[u8], at: usize) -> Option<OwnedLabel> {
    let bytes: [u8; DISKLABEL_SIZE] = b.get(at..at + DISKLABEL_SIZE)?.try_into().ok()?;
    Label::new(bytes)
}

/// `update_label`: put `lab` where a label is found in the boot area at
/// `sector`, or at `label_offset` in it (nowhere when that is `u32::MAX`),
/// and write the boot area back. Whether it was written.
fn update_label(
    m: &dyn Medium,
    sector: u32,
    label_offset: u32,
    lab: &OwnedLabel,
    p: &Place,
    warn: &mut dyn FnMut(String),
) -> Result<bool, Failed> {
    let (mut area, at) = find_label(m, sector, p, warn);
    let at = match at {
        Some(at) => at,
        None if label_offset == u32::MAX => return Ok(false),
        None => {
            let at = label_offset as usize;
            if at.saturating_add(DISKLABEL_SIZE) > area.bytes.len() {
                return Err(Failed(format!(
                    "no space in bootarea (sector {sector}) to create label"
                )));
            }
            at
        }
    };
    // htotargetlabel: the label as it is, its checksum taken again.
    let mut l = lab.clone();
    l.set_checksum(0);
    let sum = l.dkcksum();
    l.set_checksum(sum);
    area.bytes[at..at + DISKLABEL_SIZE].copy_from_slice(l.bytes());
    write_bootarea(m, &area)?;
    Ok(true)
}

/// `write_bootarea`.
fn write_bootarea(m: &dyn Medium, area: &BootArea) -> Result<(), Failed> {
    let (sector, len) = (area.sector, area.bytes.len());
    if len == 0 {
        return Err(Failed("attempting to write after failed read".into()));
    }
    match m.pwrite(&area.bytes, u64::from(sector) * DEV_BSIZE) {
        Ok(n) if n == len => Ok(()),
        Ok(n) => Err(Failed(format!(
            "disklabel write (sector {sector}) size {len} truncated to {n}"
        ))),
        Err(e) => Err(Failed(format!(
            "disklabel write (sector {sector}) size {len} failed: {}",
            text_errno(e)
        ))),
    }
}

/// `writelabel_direct`: `lab` into each MBR NetBSD partition that has a
/// label (or gets one, with an MBR expected), then into sector 0's boot
/// area: where one is, or at the label's place when no MBR partition took
/// it.
pub fn write_label(
    m: &dyn Medium,
    p: &Place,
    lab: &OwnedLabel,
    warn: &mut dyn FnMut(String),
) -> Result<(), Failed> {
    let in_part = if p.mbr { LABELOFFSET_MBR } else { u32::MAX };
    let rval = process_mbr(m, p, warn, &mut |sector, warn| {
        Ok(if update_label(m, sector, in_part, lab, p, warn)? {
            2
        } else {
            0
        })
    })?;
    let at = if rval == 2 {
        u32::MAX
    } else {
        p.label_offset as u32
    };
    update_label(m, 0, at, lab, p, warn)?;
    Ok(())
}

#[cfg(test)]
mod tests;
