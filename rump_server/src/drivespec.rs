//! The `-d` drivespec of `rump_server(1)`: `key=...,hostpath=...,size=...`
//! and friends, with NetBSD's grammar and error messages.

/// How the host file appears inside the kernel (`RUMP_ETFS_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriveType {
    /// A block device (the default).
    Blk,
    /// A character device.
    Chr,
    /// A regular file.
    Reg,
}

/// How much of the host file is mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extent {
    /// `size=` bytes from `offset=`.
    Window {
        /// Start of the window in the host file.
        offset: u64,
        /// Length; 0 only for `type=reg` without a size (the whole file).
        size: u64,
    },
    /// `size=host`: the host file's current size.
    Host,
    /// `disklabel=X`: the window of partition X of the label in the first 64 KiB.
    Label(u8),
}

/// A parsed drivespec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriveSpec {
    /// The etfs key (path inside the kernel).
    pub key: String,
    /// The host file.
    pub hostpath: String,
    /// The mapped window.
    pub extent: Extent,
    /// The type of file it appears as.
    pub typ: DriveType,
}

/// Parse a size or offset as NetBSD's `strsuftoll(desc, ...)`: base-10
/// digits with one lowercase suffix (`b` 512, `k`, `m`, `g`, `t`, `w` 4) and
/// products with `x` or `*`. Errors are NetBSD's messages.
pub fn parse_number(desc: &str, value: &str) -> Result<u64, String> {
    let v = value.trim_start();
    let illegal = || format!("{desc} `{v}': illegal number");
    let digits = v
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'-')
        .count();
    if digits == 0 {
        return Err(illegal());
    }
    let n: i64 = v[..digits].parse().map_err(|e: std::num::ParseIntError| {
        if matches!(
            e.kind(),
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow
        ) {
            format!("{desc}: Result too large")
        } else {
            illegal()
        }
    })?;
    if n < 0 {
        return Err(format!("{desc} {n} is less than 0."));
    }
    let mut rest = &v[digits..];
    let mult: u64 = match rest.as_bytes().first() {
        Some(b'b') => 512,
        Some(b'k') => 1 << 10,
        Some(b'm') => 1 << 20,
        Some(b'g') => 1 << 30,
        Some(b't') => 1 << 40,
        Some(b'w') => 4,
        _ => 1,
    };
    if mult != 1 {
        rest = &rest[1..];
    }
    let mut total = (n as u64)
        .checked_mul(mult)
        .ok_or_else(|| format!("{desc}: Result too large"))?;
    if let Some(more) = rest.strip_prefix('x').or_else(|| rest.strip_prefix('*')) {
        let m = parse_number(desc, more).map_err(|e| {
            if e.ends_with("illegal number") {
                illegal()
            } else {
                e
            }
        })?;
        total = total
            .checked_mul(m)
            .ok_or_else(|| format!("{desc}: Result too large"))?;
        rest = "";
    }
    if !rest.is_empty() {
        return Err(illegal());
    }
    if total > i64::MAX as u64 {
        return Err(format!("{desc}: Result too large"));
    }
    Ok(total)
}

/// Parse one `-d` argument. Token errors give NetBSD's one-line messages
/// (NetBSD then prints the usage); number errors give `strsuftoll`'s.
pub fn parse(spec: &str) -> Result<DriveSpec, String> {
    let (mut key, mut hostpath, mut typ) = (None::<String>, None::<String>, None::<DriveType>);
    let (mut size, mut offset, mut host, mut label) = (0u64, 0u64, false, None::<u8>);
    let tokens: Vec<&str> = spec
        .split([',', ' ', '\t'])
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.is_empty() {
        return Err("invalid dtoken".into());
    }
    for tok in tokens {
        let (name, value) = match tok.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (tok, None),
        };
        // A name with no value: NetBSD crashes on most of these; we refuse.
        let need = |v: Option<&str>| {
            v.map(str::to_owned)
                .ok_or_else(|| "incomplete drivespec".to_string())
        };
        match name {
            "key" => {
                if key.is_some() {
                    return Err("key already given".into());
                }
                key = value.map(str::to_owned);
            }
            "hostpath" => {
                if hostpath.is_some() {
                    return Err("hostpath already given".into());
                }
                hostpath = value.map(str::to_owned);
            }
            "size" => {
                let v = need(value)?;
                if size != 0 || host {
                    return Err("size already given".into());
                }
                if v == "host" {
                    if offset != 0 {
                        return Err("cannot specify offset with size=host".into());
                    }
                    host = true;
                } else {
                    size = parse_number("-d size", &v)?;
                }
            }
            "offset" => {
                let v = need(value)?;
                if offset != 0 {
                    return Err("offset already given".into());
                }
                if host {
                    return Err("cannot specify offset with size=host".into());
                }
                offset = parse_number("-d offset", &v)?;
            }
            "disklabel" => {
                let v = need(value)?;
                if offset != 0 || size != 0 || host {
                    return Err("disklabel needs to be used alone".into());
                }
                match v.as_bytes() {
                    [c @ b'a'..=b'z'] => label = Some(*c),
                    _ => return Err("invalid label part".into()),
                }
            }
            "type" => {
                let v = need(value)?;
                if typ.is_some() {
                    return Err("type already specified".into());
                }
                typ = Some(match v.as_str() {
                    "blk" => DriveType::Blk,
                    "chr" => DriveType::Chr,
                    "reg" => DriveType::Reg,
                    other => return Err(format!("invalid type {other}")),
                });
            }
            _ => return Err("invalid dtoken".into()),
        }
    }
    let (Some(key), Some(hostpath)) = (key, hostpath) else {
        return Err("incomplete drivespec".into());
    };
    if size == 0 && !host && label.is_none() && typ != Some(DriveType::Reg) {
        return Err("incomplete drivespec".into());
    }
    // A label given first wins over a later size or offset, as in NetBSD.
    let extent = match (label, host) {
        (Some(l), _) => Extent::Label(l),
        (None, true) => Extent::Host,
        (None, false) => Extent::Window { offset, size },
    };
    Ok(DriveSpec {
        key,
        hostpath,
        extent,
        typ: typ.unwrap_or(DriveType::Blk),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("-d size", "1g"), Ok(1 << 30));
        assert_eq!(parse_number("-d size", " 2b"), Ok(1024));
        assert_eq!(parse_number("-d size", "2x1m"), Ok(2 << 20));
        assert_eq!(parse_number("-d size", "3*2w"), Ok(24));
        assert_eq!(
            parse_number("-d size", "1G"),
            Err("-d size `1G': illegal number".into())
        );
        assert_eq!(
            parse_number("-d size", "x"),
            Err("-d size `x': illegal number".into())
        );
        assert_eq!(
            parse_number("-d size", "-5"),
            Err("-d size -5 is less than 0.".into())
        );
        assert_eq!(
            parse_number("-d size", "99999999999t"),
            Err("-d size: Result too large".into())
        );
        assert_eq!(
            parse_number("-d size", "99999999999999999999"),
            Err("-d size: Result too large".into())
        );
    }

    #[test]
    fn whole_specs() {
        let d = parse("key=/dev/dk,hostpath=dk.img,size=1g").unwrap();
        assert_eq!(d.key, "/dev/dk");
        assert_eq!(d.hostpath, "dk.img");
        assert_eq!(
            d.extent,
            Extent::Window {
                offset: 0,
                size: 1 << 30
            }
        );
        assert_eq!(d.typ, DriveType::Blk);
        assert_eq!(
            parse("key=/k,hostpath=h,size=host,type=chr")
                .unwrap()
                .extent,
            Extent::Host
        );
        assert_eq!(
            parse(",key=/k hostpath=h\tdisklabel=e,").unwrap().extent,
            Extent::Label(b'e')
        );
        assert_eq!(
            parse("key=/k,hostpath=h,type=reg").unwrap().extent,
            Extent::Window { offset: 0, size: 0 }
        );
        assert_eq!(
            parse("key=/k,hostpath=h,size=1m,offset=4k").unwrap().extent,
            Extent::Window {
                offset: 4096,
                size: 1 << 20
            }
        );
        assert_eq!(
            parse("key=/k,hostpath=h,disklabel=a,size=1m")
                .unwrap()
                .extent,
            Extent::Label(b'a')
        );
    }

    #[test]
    fn netbsd_errors() {
        for (spec, msg) in [
            ("", "invalid dtoken"),
            (",,", "invalid dtoken"),
            ("key=/k,bogus=1", "invalid dtoken"),
            ("key=/k,key=/j", "key already given"),
            ("hostpath=a,hostpath=b", "hostpath already given"),
            ("size=1m,size=2m", "size already given"),
            ("size=host,size=1m", "size already given"),
            (
                "offset=1k,size=host",
                "cannot specify offset with size=host",
            ),
            (
                "size=host,offset=1k",
                "cannot specify offset with size=host",
            ),
            ("offset=1k,offset=2k", "offset already given"),
            ("size=1m,disklabel=a", "disklabel needs to be used alone"),
            ("disklabel=A", "invalid label part"),
            ("disklabel=ab", "invalid label part"),
            ("type=blk,type=chr", "type already specified"),
            ("type=tape", "invalid type tape"),
            ("hostpath=h,size=1m", "incomplete drivespec"),
            ("key=/k,size=1m", "incomplete drivespec"),
            ("key=/k,hostpath=h", "incomplete drivespec"),
            ("key=/k,hostpath=h,size=0", "incomplete drivespec"),
            ("key,hostpath=h,size=1m", "incomplete drivespec"),
            ("key=/k,hostpath=h,size", "incomplete drivespec"),
        ] {
            assert_eq!(parse(spec), Err(msg.to_string()), "{spec}");
        }
        assert_eq!(
            parse("size=0,size=5,key=/k,hostpath=h").unwrap().extent,
            Extent::Window { offset: 0, size: 5 }
        );
    }
}
