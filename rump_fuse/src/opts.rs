//! The daemons' command line: `[-df] [-o options] [-s size] operands`.

use rump_fsutils::opts;
use std::time::Duration;

/// Which daemon: what it mounts and what its operands are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `rump_ffs image mountpoint`.
    Ffs,
    /// `rump_tmpfs [-s size] mountpoint`.
    Tmpfs,
}

/// A parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `-f`: stay in the foreground.
    pub foreground: bool,
    /// `-d`: trace every request on stderr (implies `-f`).
    pub debug: bool,
    /// `-o ro`.
    pub read_only: bool,
    /// `-o allow_other`.
    pub allow_other: bool,
    /// `-o uid=N`: every request acts as user N.
    pub uid: Option<u32>,
    /// `-o gid=N`: every request acts as group N.
    pub gid: Option<u32>,
    /// `-o timeout=S`: a request still in the kernel after S seconds is
    /// answered EIO.
    pub timeout: Duration,
    /// `-o threads=N`: request threads.
    pub threads: usize,
    /// `-s size` (tmpfs): most bytes the file system holds, 0 for no limit.
    pub size: u64,
    /// The image (FFS).
    pub image: Option<String>,
    /// The host directory to mount on.
    pub mountpoint: String,
}

/// Read the command line of daemon `kind`; `Err` is the message to print
/// before the usage.
pub fn parse(kind: Kind, args: &[String]) -> Result<Options, String> {
    let spec = match kind {
        Kind::Ffs => "dfo:",
        Kind::Tmpfs => "dfo:s:",
    };
    let p = opts::parse(args, spec)?;
    let mut o = Options {
        foreground: false,
        debug: false,
        read_only: false,
        allow_other: false,
        uid: None,
        gid: None,
        timeout: Duration::from_secs(30),
        threads: 4,
        size: 0,
        image: None,
        mountpoint: String::new(),
    };
    for (c, v) in &p.flags {
        match (c, v.as_deref()) {
            ('f', _) => o.foreground = true,
            ('d', _) => {
                o.debug = true;
                o.foreground = true;
            }
            ('o', Some(list)) => {
                for opt in list.split(',').filter(|s| !s.is_empty()) {
                    mount_option(&mut o, opt)?;
                }
            }
            ('s', Some(s)) => {
                o.size = rump::config::parse_size(s).ok_or_else(|| format!("-s {s}: bad size"))?
            }
            (c, _) => return Err(format!("-{c}: not supported")),
        }
    }
    let mut operands = p.operands.into_iter();
    if kind == Kind::Ffs {
        o.image = Some(operands.next().ok_or("missing image")?);
    }
    o.mountpoint = operands.next().ok_or("missing mount point")?;
    if let Some(extra) = operands.next() {
        return Err(format!("{extra}: unexpected operand"));
    }
    Ok(o)
}

fn number<T: std::str::FromStr>(opt: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("-o {opt}: {v} is not a number"))
}

fn mount_option(o: &mut Options, opt: &str) -> Result<(), String> {
    let (name, value) = match opt.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (opt, None),
    };
    match (name, value) {
        ("ro" | "rdonly", None) => o.read_only = true,
        ("rw", None) => o.read_only = false,
        ("allow_other", None) => o.allow_other = true,
        ("uid", Some(v)) => o.uid = Some(number(opt, v)?),
        ("gid", Some(v)) => o.gid = Some(number(opt, v)?),
        ("timeout", Some(v)) => {
            let s: u64 = number(opt, v)?;
            if s == 0 {
                return Err(format!("-o {opt}: the timeout must be at least 1 second"));
            }
            o.timeout = Duration::from_secs(s);
        }
        ("threads", Some(v)) => {
            let n: usize = number(opt, v)?;
            if !(2..=64).contains(&n) {
                return Err(format!("-o {opt}: between 2 and 64 threads"));
            }
            o.threads = n;
        }
        _ => return Err(format!("-o {opt}: unknown option")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ffs_options_and_operands() {
        let o = parse(
            Kind::Ffs,
            &args(&["-f", "-o", "ro,uid=1000,gid=5,timeout=3", "img", "/mnt"]),
        )
        .unwrap();
        assert!(o.foreground && o.read_only && !o.debug);
        assert_eq!((o.uid, o.gid), (Some(1000), Some(5)));
        assert_eq!(o.timeout, Duration::from_secs(3));
        assert_eq!(o.image.as_deref(), Some("img"));
        assert_eq!(o.mountpoint, "/mnt");
        assert!(
            parse(Kind::Ffs, &args(&["-d", "i", "m"]))
                .unwrap()
                .foreground
        );
    }

    #[test]
    fn bad_command_lines_say_why() {
        let e = |k, a: &[&str]| parse(k, &args(a)).unwrap_err();
        assert_eq!(
            e(Kind::Ffs, &["-o", "nosuch", "i", "m"]),
            "-o nosuch: unknown option"
        );
        assert_eq!(
            e(Kind::Ffs, &["-o", "uid=x", "i", "m"]),
            "-o uid=x: x is not a number"
        );
        assert_eq!(e(Kind::Ffs, &["i"]), "missing mount point");
        assert_eq!(e(Kind::Tmpfs, &["m", "x"]), "x: unexpected operand");
        assert_eq!(e(Kind::Tmpfs, &["-s", "lots", "m"]), "-s lots: bad size");
        assert_eq!(e(Kind::Ffs, &["-s", "1m", "i", "m"]), "unknown option -- s");
        let t = parse(Kind::Tmpfs, &args(&["-s", "1m", "m"])).unwrap();
        assert_eq!(t.size, 1 << 20);
    }
}
