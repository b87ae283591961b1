//! disklabel(8)'s protofiles: a label in the text form `disklabel` prints
//! (`type:`, `disk:`, ..., `N partitions:`, one line per partition), read
//! as NetBSD's `getasciilabel` (sbin/disklabel/main.c) reads it, with its
//! messages, its number syntax (`strtoul` in base 10, a field ending at a
//! blank) and its quirks: lines are `fgets` pieces of at most 1022
//! bytes, `#` starts a comment, a partition line cut short before its
//! file system type ends the reading, and the label is checked at the end.

use crate::label::{
    BBSIZE, D_BADSECT, D_ECC, D_REMOVABLE, DKTYPE_NAMES, FS_ADOS, FS_APPLEUFS, FS_BSDFFS,
    FS_BSDLFS, FS_EX2FS, FS_ISO9660, FS_UNUSED, FSTYPE_NAMES, Label, MAXPARTITIONS, NDDATA,
    SBLOCKSIZE, checklabel,
};

/// `BUFSIZ` of NetBSD's stdio: `fgets(line, sizeof(line) - 1, f)` keeps
/// at most this less two bytes of a line.
const BUFSIZ: usize = 1024;

/// C's `isspace` in the C locale.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `strtoul(s, &end, 10)`: the value (wrapped for a minus sign, the
/// maximum on overflow) and where the number ends (0 when there is none).
fn strtoul(s: &[u8]) -> (u64, usize) {
    let mut i = s.iter().take_while(|&&c| is_space(c)).count();
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = s[i.min(s.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 {
        return (0, 0);
    }
    let mut v: u64 = 0;
    let mut overflow = false;
    for &c in &s[i..i + digits] {
        match v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
        {
            Some(n) => v = n,
            None => overflow = true,
        }
    }
    let v = if overflow {
        u64::MAX
    } else if neg {
        v.wrapping_neg()
    } else {
        v
    };
    (v, i + digits)
}

/// disklabel's `getulong`: a number no larger than `max` that ends at the
/// end of `s`, at `sep` or at a blank. The value and where it ends, or
/// the value alone when it is no such number.
fn getulong(s: &[u8], sep: u8, max: u64) -> Result<(u64, usize), u64> {
    let (v, end) = strtoul(s);
    if v > max {
        return Err(v);
    }
    match s.get(end) {
        _ if s.is_empty() => Err(v),
        None => Ok((v, end)),
        Some(&c) if c == sep || is_space(c) => Ok((v, end)),
        Some(_) => Err(v),
    }
}

fn getnum(s: &[u8], max: u64) -> Option<u64> {
    getulong(s, 0, max).ok().map(|(v, _)| v)
}

/// `skip`: past blanks; `None` when nothing is left.
fn skip(s: &[u8]) -> Option<&[u8]> {
    let n = s.iter().take_while(|&&c| c == b' ' || c == b'\t').count();
    (n < s.len()).then(|| &s[n..])
}

/// `word`: the first word of `s`, and the rest after the blanks that end
/// it (`None` when nothing follows).
fn word(s: &[u8]) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&c| c == b' ' || c == b'\t') {
        None => (s, None),
        Some(n) => (&s[..n], skip(&s[n + 1..])),
    }
}

/// The lines `fgets` hands `getasciilabel`: each up to and with its
/// newline, at most `BUFSIZ - 2` bytes, as the C string it is (cut at a
/// NUL byte).
fn fgets_lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let max = BUFSIZ - 2;
        let n = match rest.iter().take(max).position(|&c| c == b'\n') {
            Some(nl) => nl + 1,
            None => rest.len().min(max),
        };
        let (line, tail) = rest.split_at(n);
        rest = tail;
        let end = line.iter().position(|&c| c == 0).unwrap_or(line.len());
        Some(&line[..end])
    })
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Why a field of a partition line stopped the line (its message given,
/// an error to count).
enum FieldError {
    /// Go on with the next line.
    Line,
    /// Stop reading: NetBSD's `_CHECKLINE` leaves the reading loop.
    Stop,
}

/// A partition line's fields after its letter.
struct Fields<'a> {
    rest: &'a [u8],
    lineno: usize,
}

impl Fields<'_> {
    /// `nxtnum`: the next number.
    fn num(&mut self, warn: &mut dyn FnMut(String)) -> Result<u64, FieldError> {
        if self.rest.is_empty() {
            warn(format!("line {}: too few fields", self.lineno));
            return Err(FieldError::Line);
        }
        match getulong(self.rest, 0, u64::from(u32::MAX)) {
            Ok((v, end)) => {
                self.rest = &self.rest[end..];
                Ok(v)
            }
            Err(_) => {
                warn(format!("line {}: syntax error", self.lineno));
                Err(FieldError::Line)
            }
        }
    }

    /// `nxtxnum`: the next number of sectors, or cylinder/track/sector.
    fn sectors(
        &mut self,
        secpercyl: u32,
        nsectors: u32,
        warn: &mut dyn FnMut(String),
    ) -> Result<u64, FieldError> {
        let lineno = self.lineno;
        if self.rest.is_empty() {
            warn(format!("line {lineno}: too few fields"));
            return Err(FieldError::Line);
        }
        let mut bad = || {
            warn(format!("line {lineno}: invalid format"));
            FieldError::Line
        };
        let max = u64::from(u32::MAX);
        let cp = self.rest;
        let (mut n, end) = getulong(cp, b'/', max).map_err(|_| bad())?;
        let mut end_at = end;
        if cp.get(end) == Some(&b'/') {
            n = n.wrapping_mul(u64::from(secpercyl));
            let cp2 = cp.get(end + 1..).unwrap_or_default();
            let (v, e2) = getulong(cp2, b'/', max).map_err(|_| bad())?;
            n = n.wrapping_add(v.wrapping_mul(u64::from(nsectors)));
            let cp3 = cp2.get(e2 + 1..).unwrap_or_default();
            let (v, e3) = getulong(cp3, 0, max).map_err(|_| bad())?;
            n = n.wrapping_add(v);
            end_at = end + 1 + e2 + 1 + e3;
        }
        self.rest = &cp[end_at..];
        Ok(n)
    }
}

/// What a line comes to.
enum Line {
    /// Read on.
    Next,
    /// A partition line too short for its file system type: the reading
    /// stops there.
    Stop,
}

/// `getasciilabel`: fill `lp` (a label of zeros to begin with) from the
/// protofile `text`, telling what is wrong through `warn`, and check it
/// (`checklabel`, with the kernel's `maxpartitions`). Whether it came
/// through without an error.
pub fn getasciilabel<T: AsRef<[u8]> + AsMut<[u8]>>(
    text: &[u8],
    lp: &mut Label<T>,
    maxpartitions: u32,
    warn: &mut dyn FnMut(String),
) -> bool {
    let mut errors = 0u32;
    lp.set_bbsize(BBSIZE);
    lp.set_sbsize(SBLOCKSIZE);
    for (i, line) in fgets_lines(text).enumerate() {
        let end = line
            .iter()
            .position(|c| b"#\r\n".contains(c))
            .unwrap_or(line.len());
        let Some(cp) = skip(&line[..end]) else {
            continue;
        };
        let at = Place {
            lineno: i + 1,
            maxpartitions,
        };
        match field_line(cp, at, lp, &mut errors, warn) {
            Line::Next => {}
            Line::Stop => break,
        }
    }
    errors += checklabel(lp, maxpartitions, warn);
    errors == 0
}

/// Where a line is read: its number, and the kernel's partition count.
#[derive(Clone, Copy)]
struct Place {
    lineno: usize,
    maxpartitions: u32,
}

/// One line that is not blank: `key: value`.
fn field_line<T: AsRef<[u8]> + AsMut<[u8]>>(
    cp: &[u8],
    at: Place,
    lp: &mut Label<T>,
    errors: &mut u32,
    warn: &mut dyn FnMut(String),
) -> Line {
    let lineno = at.lineno;
    let Some(colon) = cp.iter().position(|&c| c == b':') else {
        warn(format!("line {lineno}: syntax error"));
        *errors += 1;
        return Line::Next;
    };
    let key = &cp[..colon];
    let tp = skip(&cp[colon + 1..]);
    if let Some(line) = listed_field(key, tp, lineno, lp, errors, warn) {
        return line;
    }
    // sscanf(cp, "%lu partitions", &v) == 1: any key that starts with a
    // number.
    let (v, end) = strtoul(key);
    if end != 0 {
        if v == 0 || v > u64::from(at.maxpartitions) {
            warn(format!("line {lineno}: bad # of partitions"));
            // Into a u16, as C stores it.
            lp.set_npartitions(at.maxpartitions as u16);
            *errors += 1;
        } else {
            lp.set_npartitions(v as u16);
        }
        return Line::Next;
    }
    let tp = tp.unwrap_or_default();
    let u32max = u64::from(u32::MAX);
    let u16max = u64::from(u16::MAX);
    let num32 = |set: &mut dyn FnMut(u32)| getnum(tp, u32max).map(|v| set(v as u32));
    let num16 = |set: &mut dyn FnMut(u16)| getnum(tp, u16max).map(|v| set(v as u16));
    let name = text(key);
    let done = match key {
        b"disk" => {
            lp.set_typename(tp);
            Some(())
        }
        b"label" => {
            lp.set_packname(tp);
            Some(())
        }
        b"bytes/sector" => getnum(tp, u32max)
            .filter(|&v| v > 0 && v % 512 == 0)
            .map(|v| lp.set_secsize(v as u32)),
        b"sectors/track" => num32(&mut |v| lp.set_nsectors(v)),
        b"sectors/cylinder" => num32(&mut |v| lp.set_secpercyl(v)),
        b"tracks/cylinder" => num32(&mut |v| lp.set_ntracks(v)),
        b"cylinders" => num32(&mut |v| lp.set_ncylinders(v)),
        b"total sectors" | b"sectors/unit" => num32(&mut |v| lp.set_secperunit(v)),
        b"rpm" => num16(&mut |v| lp.set_rpm(v)),
        b"interleave" => num16(&mut |v| lp.set_interleave(v)),
        b"trackskew" => num16(&mut |v| lp.set_trackskew(v)),
        b"cylinderskew" => num16(&mut |v| lp.set_cylskew(v)),
        b"headswitch" => num32(&mut |v| lp.set_headswitch(v)),
        b"track-to-track seek" => num32(&mut |v| lp.set_trkseek(v)),
        [c @ b'a'..=b'z'] => {
            let part = usize::from(c - b'a');
            if part as u64 >= u64::from(at.maxpartitions) {
                warn(format!("line {lineno}: bad partition name: {name}"));
                *errors += 1;
                return Line::Next;
            }
            if part >= MAXPARTITIONS {
                warn(format!(
                    "line {lineno}: partition id {name}, >= {MAXPARTITIONS}"
                ));
                *errors += 1;
                return Line::Next;
            }
            return partition_line(tp, lineno, part, lp, errors, warn);
        }
        _ => {
            warn(format!("line {lineno}: unknown field: {name}"));
            *errors += 1;
            return Line::Next;
        }
    };
    if done.is_none() {
        warn(format!("line {lineno}: bad {name}: {}", text(tp)));
        *errors += 1;
    }
    Line::Next
}

/// The fields whose values are lists or names: `type`, `flags` and
/// `drivedata`; `None` for any other key.
fn listed_field<T: AsRef<[u8]> + AsMut<[u8]>>(
    key: &[u8],
    tp: Option<&[u8]>,
    lineno: usize,
    lp: &mut Label<T>,
    errors: &mut u32,
    warn: &mut dyn FnMut(String),
) -> Option<Line> {
    match key {
        b"type" => {
            let tp = tp.unwrap_or(b"unknown");
            if let Some(t) = DKTYPE_NAMES
                .iter()
                .position(|n| n.as_bytes().eq_ignore_ascii_case(tp))
            {
                lp.set_typ(t as u16);
                return Some(Line::Next);
            }
            let Some(v) = getnum(tp, u64::from(u16::MAX)) else {
                warn(format!("line {lineno}: syntax error"));
                *errors += 1;
                return Some(Line::Next);
            };
            if v >= DKTYPE_NAMES.len() as u64 {
                warn(format!(
                    "line {lineno}: warning, unknown disk type: {}",
                    text(tp)
                ));
            }
            lp.set_typ(v as u16);
            Some(Line::Next)
        }
        b"flags" => {
            let mut v = 0;
            let mut rest = tp;
            while let Some(cp) = rest {
                let (w, tail) = word(cp);
                rest = tail;
                if w.eq_ignore_ascii_case(b"removable") {
                    v |= D_REMOVABLE;
                } else if w.eq_ignore_ascii_case(b"ecc") {
                    v |= D_ECC;
                } else if w.eq_ignore_ascii_case(b"badsect") {
                    v |= D_BADSECT;
                } else {
                    warn(format!("line {lineno}: bad flag: {}", text(w)));
                    *errors += 1;
                }
            }
            lp.set_flags(v);
            Some(Line::Next)
        }
        b"drivedata" => {
            let mut rest = tp;
            let mut i = 0;
            while let Some(cp) = rest {
                if i >= NDDATA {
                    break;
                }
                match getnum(cp, u64::from(u32::MAX)) {
                    Some(v) => lp.set_drivedata(i, v as u32),
                    None => {
                        warn(format!("line {lineno}: bad drive data"));
                        *errors += 1;
                    }
                }
                i += 1;
                rest = word(cp).1;
            }
            Some(Line::Next)
        }
        _ => None,
    }
}

/// A partition's line after `x:`: size, offset, file system type and the
/// numbers that type has.
fn partition_line<T: AsRef<[u8]> + AsMut<[u8]>>(
    tp: &[u8],
    lineno: usize,
    part: usize,
    lp: &mut Label<T>,
    errors: &mut u32,
    warn: &mut dyn FnMut(String),
) -> Line {
    let mut p = lp.partition(part);
    let mut f = Fields { rest: tp, lineno };
    // Each field is stored as it comes, so that what came before an error
    // stays, as in NetBSD's.
    let r = partition_fields(&mut f, &mut p, lp, errors, warn);
    lp.set_partition(part, p);
    match r {
        Ok(()) => Line::Next,
        Err(FieldError::Line) => {
            *errors += 1;
            Line::Next
        }
        Err(FieldError::Stop) => {
            *errors += 1;
            Line::Stop
        }
    }
}

fn partition_fields<T: AsRef<[u8]> + AsMut<[u8]>>(
    f: &mut Fields<'_>,
    p: &mut crate::label::Partition,
    lp: &Label<T>,
    errors: &mut u32,
    warn: &mut dyn FnMut(String),
) -> Result<(), FieldError> {
    let (spc, nsec) = (lp.secpercyl(), lp.nsectors());
    let size = f.sectors(spc, nsec, warn);
    p.size = *size.as_ref().unwrap_or(&0) as u32;
    size?;
    let offset = f.sectors(spc, nsec, warn);
    p.offset = *offset.as_ref().unwrap_or(&0) as u32;
    offset?;
    // Not word(): some type names have blanks in them.
    let Some(cp) = skip(f.rest) else {
        warn(format!("line {}: too few fields", f.lineno));
        return Err(FieldError::Stop);
    };
    let named = FSTYPE_NAMES.iter().position(|n| {
        let n = n.as_bytes();
        cp.starts_with(n) && matches!(cp.get(n.len()), None | Some(b' ') | Some(b'\t'))
    });
    f.rest = match named {
        Some(t) => {
            p.fstype = t as u8;
            skip(&cp[FSTYPE_NAMES[t].len()..]).unwrap_or_default()
        }
        None => {
            let (w, rest) = word(cp);
            let mut v = FSTYPE_NAMES.len() as u64;
            if w.first().is_some_and(|c| c.is_ascii_digit()) {
                v = match getulong(w, 0, u64::from(u8::MAX)) {
                    Ok((v, _)) => v,
                    Err(v) => {
                        warn(format!("line {}: syntax error", f.lineno));
                        // Counted, and the line goes on.
                        *errors += 1;
                        v
                    }
                };
            }
            if v >= FSTYPE_NAMES.len() as u64 {
                warn(format!(
                    "line {}: warning, unknown file system type: {}",
                    f.lineno,
                    text(w)
                ));
                warn("tip: use -l to see all valid file system types".into());
                v = u64::from(FS_UNUSED);
            }
            p.fstype = v as u8;
            rest.unwrap_or_default()
        }
    };
    let frag = |v: u64, fsize: u32| (v / u64::from(fsize)) as u8;
    match p.fstype {
        FS_UNUSED | FS_EX2FS => {
            p.fsize = 0;
            p.fsize = f.num(warn)? as u32;
            if p.fsize != 0 {
                p.frag = frag(f.num(warn)?, p.fsize);
            }
        }
        FS_BSDFFS | FS_ADOS | FS_APPLEUFS | FS_BSDLFS => {
            p.fsize = 0;
            p.fsize = f.num(warn)? as u32;
            if p.fsize != 0 {
                p.frag = frag(f.num(warn)?, p.fsize);
                p.cpg = 0;
                p.cpg = f.num(warn)? as u16;
            }
        }
        FS_ISO9660 => {
            p.fsize = 0;
            p.fsize = f.num(warn)? as u32;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::{DISKMAGIC, OwnedLabel, Partition};

    /// What NetBSD's disklabel prints for a 16 MiB vnd given a label of
    /// three partitions (its `showinfo` and `showpartitions`).
    const PRINTED: &str = "# /dev/rvnd0d:
type: vnd
disk: vnd
label: mylabel
flags:
bytes/sector: 512
sectors/track: 32
tracks/cylinder: 64
sectors/cylinder: 2048
cylinders: 16
total sectors: 32768
rpm: 3600
interleave: 1
trackskew: 0
cylinderskew: 0
headswitch: 0\t\t# microseconds
track-to-track seek: 0\t# microseconds
drivedata: 0 

5 partitions:
#        size    offset     fstype [fsize bsize cpg/sgs]
 a:     16384        64     4.2BSD   1024  8192    16  # (Cyl.      0*-      8*)
 d:     32768         0     unused      0     0        # (Cyl.      0 -     15)
 e:     16320     16448     4.2BSD   2048 16384    16  # (Cyl.      8*-     15)
";

    fn parse(text: &str) -> (bool, OwnedLabel, Vec<String>) {
        let mut l = OwnedLabel::zeroed();
        let mut said = Vec::new();
        let ok = getasciilabel(text.as_bytes(), &mut l, 16, &mut |m| said.push(m));
        (ok, l, said)
    }

    #[test]
    fn a_printed_label_reads_back_field_by_field() {
        let (ok, mut l, said) = parse(PRINTED);
        assert!(ok, "{said:?}");
        assert!(said.is_empty(), "{said:?}");
        assert_eq!(
            (l.typ(), l.typename(), l.packname()),
            (12, "vnd".into(), "mylabel".into())
        );
        assert_eq!((l.secsize(), l.nsectors(), l.ntracks()), (512, 32, 64));
        assert_eq!(
            (l.secpercyl(), l.ncylinders(), l.secperunit()),
            (2048, 16, 32768)
        );
        assert_eq!((l.rpm(), l.interleave(), l.npartitions()), (3600, 1, 5));
        assert_eq!((l.bbsize(), l.sbsize()), (BBSIZE, SBLOCKSIZE));
        let ffs = |size, offset, fsize, frag| Partition {
            size,
            offset,
            fsize,
            fstype: FS_BSDFFS,
            frag,
            cpg: 16,
        };
        assert_eq!(l.partition(0), ffs(16384, 64, 1024, 8));
        assert_eq!(
            l.partition(3),
            Partition {
                size: 32768,
                ..Partition::default()
            }
        );
        assert_eq!(l.partition(4), ffs(16320, 16448, 2048, 8));
        assert_eq!(l.partition(1), Partition::default());
        l.seal();
        assert_eq!((l.magic(), l.magic2()), (DISKMAGIC, DISKMAGIC));
        // A sealed label sums to zero, as the kernel checks it.
        assert_eq!(l.dkcksum(), 0);
    }

    #[test]
    fn sizes_in_cylinders_tracks_and_sectors_count_by_the_geometry_read_so_far() {
        let text = PRINTED.replace(" a:     16384        64", " a: 8/0/0 0/2/0");
        let (ok, l, said) = parse(&text);
        assert!(ok, "{said:?}");
        assert_eq!((l.partition(0).size, l.partition(0).offset), (8 * 2048, 64));
    }

    #[test]
    fn bad_lines_are_refused_in_netbsds_words() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "bytes/sector: 512",
                "bytes/sector: 100",
                &["line 6: bad bytes/sector: 100"],
            ),
            ("rpm: 3600", "rpm: 70000", &["line 12: bad rpm: 70000"]),
            (
                "cylinders: 16",
                "cylinders: 1x",
                &["line 10: bad cylinders: 1x"],
            ),
            (
                "interleave: 1",
                "interleave:",
                &["line 13: bad interleave: "],
            ),
            ("flags:", "flags: ecc wobbly", &["line 5: bad flag: wobbly"]),
            (
                "drivedata: 0 ",
                "drivedata: 0 q",
                &["line 18: bad drive data"],
            ),
            (
                "5 partitions:",
                "17 partitions:",
                &["line 20: bad # of partitions"],
            ),
            ("trackskew: 0", "trackskew 0", &["line 14: syntax error"]),
            (
                "cylinderskew: 0",
                "skew: 0",
                &["line 15: unknown field: skew"],
            ),
            (
                " d:     32768 ",
                " q:     32768 ",
                &["line 23: bad partition name: q"],
            ),
            (
                " d:     32768         0     unused      0     0 ",
                " d: 32768 0 unused",
                &["line 23: too few fields"],
            ),
            (
                " a:     16384        64",
                " a: 1/x/0 64",
                &["line 22: invalid format"],
            ),
            (
                "  8192    16  # (Cyl.      0*",
                "  8192    1z  # (Cyl.      0*",
                &["line 22: syntax error"],
            ),
        ];
        for (from, to, want) in cases {
            assert!(PRINTED.contains(from), "{from}");
            let (ok, _, said) = parse(&PRINTED.replacen(from, to, 1));
            assert!(!ok, "{to}");
            // What checklabel then finds may follow.
            assert_eq!(said[..want.len()], **want, "{to}");
        }
    }

    #[test]
    fn an_unknown_type_is_a_warning_and_the_check_still_runs() {
        let text = PRINTED
            .replace("type: vnd", "type: 99")
            .replace(" 4.2BSD   2048 16384    16", " wobblyfs 0");
        let (ok, l, said) = parse(&text);
        assert!(ok, "{said:?}");
        assert_eq!(l.typ(), 99);
        assert_eq!(l.partition(4).fstype, FS_UNUSED);
        assert_eq!(
            said,
            [
                "line 2: warning, unknown disk type: 99",
                "line 24: warning, unknown file system type: wobblyfs",
                "tip: use -l to see all valid file system types",
            ]
        );
    }

    #[test]
    fn a_line_short_of_its_type_ends_the_reading() {
        // The partition after it is never read; the check still runs and
        // finds nothing more.
        let text = PRINTED.replace(
            " d:     32768         0     unused      0     0 ",
            " d: 32768 0",
        );
        let (ok, l, said) = parse(&text);
        assert!(!ok);
        assert_eq!(said, ["line 23: too few fields"]);
        assert_eq!(l.partition(4), Partition::default());
    }

    #[test]
    fn the_check_refuses_what_does_not_fit_the_unit() {
        let text = PRINTED.replace("16448     4.2BSD", "16449     4.2BSD");
        let (ok, _, said) = parse(&text);
        assert!(!ok);
        assert_eq!(said, ["partition e: partition extends past end of unit"]);
        let text = PRINTED.replace("5 partitions:", "2 partitions:");
        let (ok, l, said) = parse(&text);
        assert!(ok);
        assert_eq!(
            said,
            ["warning, partition e increased number of partitions from 2 to 5"]
        );
        assert_eq!(l.npartitions(), 5);
        let (ok, _, said) = parse("# nothing\n");
        assert!(!ok);
        assert_eq!(said, ["sector size 0"]);
    }

    #[test]
    fn numbers_read_as_strtoul_reads_them() {
        assert_eq!(strtoul(b"  42 x"), (42, 4));
        assert_eq!(strtoul(b"x"), (0, 0));
        assert_eq!(strtoul(b"-1"), (u64::MAX, 2));
        assert_eq!(strtoul(b"99999999999999999999999"), (u64::MAX, 23));
        assert_eq!(getulong(b"7/", b'/', 10), Ok((7, 1)));
        assert_eq!(getulong(b"", 0, 10), Err(0));
        assert_eq!(getulong(b"11", 0, 10), Err(11));
        let lines: Vec<&[u8]> = fgets_lines(b"ab\ncd\0ef\ngh").collect();
        assert_eq!(lines, [&b"ab\n"[..], b"cd", b"gh"]);
        let long = vec![b'x'; 2000];
        assert_eq!(
            fgets_lines(&long).map(<[u8]>::len).collect::<Vec<_>>(),
            [1022, 978]
        );
    }
}
