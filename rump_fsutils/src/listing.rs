//! `ls -l`'s pieces as GNU coreutils prints them in the C locale: the
//! mode string, the date column and the aligned long lines.

use crate::names::Names;
use rump::file::Stat;
use rumpvfs::flags::*;

/// The ten-character mode column (`drwxr-xr-x`).
pub fn mode_string(mode: u32) -> String {
    let kind = match mode & S_IFMT {
        S_IFDIR => 'd',
        S_IFLNK => 'l',
        S_IFCHR => 'c',
        S_IFBLK => 'b',
        S_IFIFO => 'p',
        S_IFSOCK => 's',
        _ => '-',
    };
    let mut s = String::from(kind);
    let special = [(S_ISUID, 's'), (S_ISGID, 's'), (S_ISVTX, 't')];
    for (class, (bit, mark)) in special.iter().enumerate() {
        let rwx = (mode >> (6 - 3 * class)) & 7;
        s.push(if rwx & 4 != 0 { 'r' } else { '-' });
        s.push(if rwx & 2 != 0 { 'w' } else { '-' });
        s.push(match (rwx & 1 != 0, mode & bit != 0) {
            (true, true) => *mark,
            (false, true) => mark.to_ascii_uppercase(),
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    s
}

/// `-F`'s mark after a name.
pub fn type_mark(mode: u32) -> &'static str {
    match mode & S_IFMT {
        S_IFDIR => "/",
        S_IFLNK => "@",
        S_IFIFO => "|",
        S_IFSOCK => "=",
        _ if mode & 0o111 != 0 => "*",
        _ => "",
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Civil date (year, month 1-12, day) of a day count since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `ls -l`'s date in UTC: `Mon dd HH:MM` for the last six months,
/// `Mon dd  YYYY` otherwise (GNU's rule).
pub fn ls_date(t: i64, now: i64) -> String {
    const HALF_YEAR: i64 = 31_556_952 / 2;
    let (y, m, d) = civil(t.div_euclid(86_400));
    let secs = t.rem_euclid(86_400);
    let month = MONTHS[(m - 1) as usize];
    if now - HALF_YEAR < t && t <= now {
        format!("{month} {d:>2} {:02}:{:02}", secs / 3600, secs / 60 % 60)
    } else {
        format!("{month} {d:>2}  {y}")
    }
}

/// ISO date and time in UTC, as `stat` prints them.
pub fn iso_time((sec, nsec): (i64, i64)) -> String {
    let (y, m, d) = civil(sec.div_euclid(86_400));
    let s = sec.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{nsec:09} +0000",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// One entry of a listing.
pub struct Entry {
    /// The name to print.
    pub name: String,
    /// Its attributes (`lstat`'s).
    pub st: Stat,
    /// A symbolic link's target.
    pub target: Option<String>,
    /// The mode of what the link points to, if it resolves (`-F` marks it).
    pub target_mode: Option<u32>,
}

/// How long lines are printed.
pub struct Style<'a> {
    /// Numbers instead of names (`-n`).
    pub numeric: bool,
    /// Inode numbers first (`-i`).
    pub inode: bool,
    /// Type marks (`-F`).
    pub classify: bool,
    /// The host's names.
    pub names: &'a Names,
    /// Seconds since the epoch now.
    pub now: i64,
}

/// The major and minor numbers of NetBSD's `dev_t`.
pub fn major_minor(rdev: u64) -> (u64, u64) {
    (
        (rdev & 0x000f_ff00) >> 8,
        (rdev & 0xff) | ((rdev & 0xfff0_0000) >> 12),
    )
}

/// An owner or group column's cell: a name is left-aligned, a number
/// right-aligned, as GNU's `ls` pads them.
struct Id {
    text: String,
    numeric: bool,
}

impl Id {
    fn new(name: Option<String>, id: u32) -> Id {
        match name {
            Some(text) => Id {
                text,
                numeric: false,
            },
            None => Id {
                text: id.to_string(),
                numeric: true,
            },
        }
    }

    fn pad(&self, w: usize) -> String {
        if self.numeric {
            format!("{:>w$}", self.text)
        } else {
            format!("{:<w$}", self.text)
        }
    }
}

/// One long line's cells: inode, links and size; owner; group.
type Row = ([String; 3], Id, Id);

/// The long lines of `entries`, columns as wide as the widest value of
/// `entries` and `also` (GNU's `ls` sizes the columns of the files named
/// on its command line by the directories named with them).
pub fn long_lines(entries: &[Entry], also: &[Entry], style: &Style) -> Vec<String> {
    let cols: Vec<Row> = entries
        .iter()
        .chain(also)
        .map(|e| {
            let (owner, group) = if style.numeric {
                (Id::new(None, e.st.uid), Id::new(None, e.st.gid))
            } else {
                (
                    Id::new(style.names.user_name(e.st.uid), e.st.uid),
                    Id::new(style.names.group_name(e.st.gid), e.st.gid),
                )
            };
            let size = match e.st.mode & S_IFMT {
                S_IFCHR | S_IFBLK => {
                    let (ma, mi) = major_minor(e.st.rdev);
                    format!("{ma}, {mi}")
                }
                _ => e.st.size.to_string(),
            };
            (
                [e.st.ino.to_string(), e.st.nlink.to_string(), size],
                owner,
                group,
            )
        })
        .collect();
    let width = |f: &dyn Fn(&Row) -> usize| cols.iter().map(f).max().unwrap_or(0);
    let (wi, wl, ws) = (
        width(&|c| c.0[0].len()),
        width(&|c| c.0[1].len()),
        width(&|c| c.0[2].len()),
    );
    let (wo, wg) = (width(&|c| c.1.text.len()), width(&|c| c.2.text.len()));
    entries
        .iter()
        .zip(&cols)
        .map(|(e, (c, owner, group))| {
            let mut line = String::new();
            if style.inode {
                line.push_str(&format!("{:>wi$} ", c[0]));
            }
            line.push_str(&format!(
                "{} {:>wl$} {} {} {:>ws$} {} {}",
                mode_string(e.st.mode),
                c[1],
                owner.pad(wo),
                group.pad(wg),
                c[2],
                ls_date(e.st.mtime.0, style.now),
                e.name,
            ));
            if let Some(t) = &e.target {
                line.push_str(&format!(" -> {t}"));
                if let Some(m) = e.target_mode.filter(|_| style.classify) {
                    line.push_str(type_mark(m));
                }
            } else if style.classify {
                line.push_str(type_mark(e.st.mode));
            }
            line
        })
        .collect()
}

/// A byte count as GNU's `-h` prints it: powers of 1024, rounded up, one
/// decimal below ten (`512`, `4.0K`, `12K`, `1.5M`).
pub fn human(bytes: u64) -> String {
    if bytes < 1024 {
        return bytes.to_string();
    }
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < 6 {
        v /= 1024.0;
        unit += 1;
    }
    let suffix = ["", "K", "M", "G", "T", "P", "E"][unit];
    if v < 10.0 {
        let tenths = (v * 10.0).ceil() / 10.0;
        if tenths < 10.0 {
            return format!("{tenths:.1}{suffix}");
        }
        return format!("10{suffix}");
    }
    format!("{}{suffix}", v.ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human(512), "512");
        assert_eq!(human(4096), "4.0K");
        assert_eq!(human(4097), "4.1K");
        assert_eq!(human(12 * 1024), "12K");
        assert_eq!(human(1536 * 1024), "1.5M");
    }

    #[test]
    fn modes_and_dates() {
        assert_eq!(mode_string(S_IFDIR | 0o755), "drwxr-xr-x");
        assert_eq!(mode_string(S_IFREG | 0o4754), "-rwsr-xr--");
        assert_eq!(mode_string(S_IFDIR | 0o1777), "drwxrwxrwt");
        assert_eq!(mode_string(S_IFREG | 0o2644), "-rw-r-Sr--");
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(19_723), (2024, 1, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
        let t = 1_700_000_000; // 2023-11-14 22:13:20 UTC
        assert_eq!(ls_date(t, t + 60), "Nov 14 22:13");
        assert_eq!(ls_date(t, t + 400 * 86_400), "Nov 14  2023");
        assert_eq!(
            ls_date(t, t - 60),
            "Nov 14  2023",
            "the future shows a year"
        );
        assert_eq!(iso_time((t, 5)), "2023-11-14 22:13:20.000000005 +0000");
    }
}
