//! `RUMPHIJACK`: which paths, socket families and calls go to the rump
//! kernel. The syntax, the default and the error texts are NetBSD's
//! (`rumphijack(3)`): comma-separated `name=value` specifiers, a name
//! matched by its prefix (`sock=` is `socket=`).

/// The value used when `RUMPHIJACK` is not set (NetBSD's).
pub const DEFAULT: &str = "path=/rump,socket=all:nolocal";

/// NetBSD reads the variable into a buffer of this size; a longer value
/// counts as unset.
const MAX_LEN: usize = 1024;

/// Linux socket families by their `socket=` names. Linux has no PF_ROUTE
/// or PF_LINK: `route` is glibc's PF_ROUTE (the netlink family) and `link`
/// is PF_PACKET, the families that do those jobs here.
pub const SOCKET_FAMILIES: &[(&str, i32)] = &[
    ("local", libc::AF_UNIX),
    ("inet", libc::AF_INET),
    ("inet6", libc::AF_INET6),
    ("route", libc::AF_NETLINK),
    ("link", libc::AF_PACKET),
];

/// The NetBSD-only calls `vfs=` names. Linux programs cannot make them, so
/// the choice is recorded and has nothing to act on.
pub const VFS_CALLS: &[&str] = &["nfssvc", "getvfsstat", "fhcalls"];

/// What the hijack sends to the rump kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `path=`: paths under this prefix go to the kernel, the prefix taken off.
    pub prefix: Option<Vec<u8>>,
    /// `blanket=`: paths starting with one of these go to the kernel as they are.
    pub blanket: Vec<Vec<u8>>,
    /// `socket=`: bit `f` set when sockets of Linux family `f` go to the kernel.
    pub sockets: u64,
    /// `vfs=`: bit `i` set when `VFS_CALLS[i]` goes to the kernel.
    pub vfs: u8,
    /// `sysctl`: sysctl calls go to the kernel.
    pub sysctl: bool,
    /// `modctl`: module calls go to the kernel.
    pub modctl: bool,
    /// `fdoff=`: kernel descriptor `n` is `n + fdoff` to the program.
    pub fdoff: i32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            prefix: None,
            blanket: Vec::new(),
            sockets: 0,
            vfs: 0,
            sysctl: false,
            modctl: false,
            // NetBSD's FD_SETSIZE/2, as its code gives under glibc's FD_SETSIZE.
            fdoff: (libc::FD_SETSIZE / 2) as i32,
        }
    }
}

/// A specifier's parser: the value (None when there was no `=`), or the
/// message to stop with.
type Parse = fn(&mut Config, Option<&str>) -> Result<(), String>;

/// In NetBSD's table order, which decides what an abbreviation means.
const SPECIFIERS: &[(&str, Parse)] = &[
    ("socket", parse_socket),
    ("path", parse_path),
    ("blanket", parse_blanket),
    ("vfs", parse_vfs),
    ("sysctl", parse_sysctl),
    ("modctl", parse_modctl),
    ("fdoff", parse_fdoff),
];

impl Config {
    /// The configuration `RUMPHIJACK` asks for (`None`: unset).
    pub fn from_env_value(v: Option<&str>) -> Result<Config, String> {
        match v {
            Some(v) if v.len() < MAX_LEN => Config::parse(v),
            _ => Config::parse(DEFAULT),
        }
    }

    /// Parse a `RUMPHIJACK` value.
    pub fn parse(spec: &str) -> Result<Config, String> {
        let mut c = Config::default();
        for token in spec.split(',').filter(|t| !t.is_empty()) {
            let (name, value) = match token.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (token, None),
            };
            let Some((_, parse)) = SPECIFIERS.iter().find(|(n, _)| n.starts_with(name)) else {
                return Err(format!("invalid hijack specifier name in {token}"));
            };
            parse(&mut c, value).map_err(|e| {
                if e.is_empty() {
                    format!("invalid hijack specifier: {spec}")
                } else {
                    e
                }
            })?;
        }
        Ok(c)
    }

    /// Whether sockets of Linux family `family` go to the kernel.
    pub fn socket_in_rump(&self, family: i32) -> bool {
        (0..64).contains(&family) && self.sockets & (1 << family) != 0
    }
}

/// Set in a parsed list when it began with `all` (beyond any name's bit).
const ALL_BIT: u64 = 1 << 63;

/// A value the specifier cannot do without (the empty error becomes
/// NetBSD's message naming the whole string).
fn needed(v: Option<&str>) -> Result<&str, String> {
    v.ok_or_else(String::new)
}

/// A `socket=` or `vfs=` style list: `all` first sets everything, a name
/// sets its entry, `noNAME` clears it; later entries win.
fn parse_list(v: &str, names: &[&str], what: &str) -> Result<u64, String> {
    let mut set = 0u64;
    for (i, item) in v.split(':').enumerate() {
        if i == 0 && item == "all" {
            set = u64::MAX;
            continue;
        }
        let (on, name) = match item.strip_prefix("no") {
            Some(n) => (false, n),
            None => (true, item),
        };
        let Some(k) = names.iter().position(|n| *n == name) else {
            return Err(format!("invalid {what} specifier {item}"));
        };
        if on {
            set |= 1 << k;
        } else {
            set &= !(1 << k);
        }
    }
    Ok(set)
}

fn parse_socket(c: &mut Config, v: Option<&str>) -> Result<(), String> {
    let names: Vec<&str> = SOCKET_FAMILIES.iter().map(|(n, _)| *n).collect();
    let set = parse_list(needed(v)?, &names, "socket")?;
    // `all` also takes the families that have no name.
    c.sockets = if set & ALL_BIT != 0 { u64::MAX } else { 0 };
    for (k, (_, family)) in SOCKET_FAMILIES.iter().enumerate() {
        if set & (1 << k) != 0 {
            c.sockets |= 1 << family;
        } else {
            c.sockets &= !(1 << family);
        }
    }
    Ok(())
}

fn parse_vfs(c: &mut Config, v: Option<&str>) -> Result<(), String> {
    c.vfs = parse_list(needed(v)?, VFS_CALLS, "vfscall")? as u8 & ((1 << VFS_CALLS.len()) - 1);
    Ok(())
}

fn parse_path(c: &mut Config, v: Option<&str>) -> Result<(), String> {
    let p = needed(v)?;
    if !p.starts_with('/') {
        return Err("hijack path specifier must begin with ``/''".into());
    }
    if p.len() < 2 {
        return Err(format!("invalid hijack prefix: {p}"));
    }
    if p.ends_with('/') && !p.bytes().all(|b| b == b'/') {
        return Err(format!(
            "hijack prefix may end in slash only if pure slash, gave {p}"
        ));
    }
    c.prefix = Some(p.as_bytes().to_vec());
    Ok(())
}

fn parse_blanket(c: &mut Config, v: Option<&str>) -> Result<(), String> {
    let mut list = Vec::new();
    for p in needed(v)?.split(':') {
        if p.is_empty() || !p.starts_with('/') || p.ends_with('/') {
            return Err(format!("invalid blanket specifier {p}"));
        }
        list.push(p.as_bytes().to_vec());
    }
    c.blanket = list;
    Ok(())
}

fn yes_no(v: Option<&str>, what: &str) -> Result<bool, String> {
    match v.map(str::to_ascii_lowercase).as_deref() {
        None | Some("y" | "yes" | "yep" | "tottakai") => Ok(true),
        Some("n" | "no") => Ok(false),
        Some(_) => Err(format!(
            "{what} value should be y(es)/n(o), gave: {}",
            v.unwrap_or_default()
        )),
    }
}

fn parse_sysctl(c: &mut Config, v: Option<&str>) -> Result<(), String> {
    c.sysctl = yes_no(v, "sysctl")?;
    Ok(())
}

fn parse_modctl(c: &mut Config, v: Option<&str>) -> Result<(), String> {
    c.modctl = yes_no(v, "modctl")?;
    Ok(())
}

fn parse_fdoff(c: &mut Config, v: Option<&str>) -> Result<(), String> {
    let v = needed(v)?;
    if v.starts_with('-') {
        return Err("fdoff must not be negative".into());
    }
    let n: u64 = v
        .parse()
        .map_err(|_| format!("invalid fdoff specifier \"{v}\""))?;
    if !(3..(i32::MAX / 2) as u64).contains(&n) {
        return Err("fdoff out of range".into());
    }
    c.fdoff = n as i32;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_hijacks_rump_paths_and_non_local_sockets() {
        let c = Config::from_env_value(None).unwrap();
        assert_eq!(c.prefix.as_deref(), Some(&b"/rump"[..]));
        assert!(c.socket_in_rump(libc::AF_INET));
        assert!(c.socket_in_rump(libc::AF_INET6));
        assert!(!c.socket_in_rump(libc::AF_UNIX));
        assert!(c.blanket.is_empty());
        assert!(!c.sysctl && !c.modctl);
        assert_eq!(c.fdoff, 512);
        // Too long for NetBSD's buffer: the default.
        assert_eq!(Config::from_env_value(Some(&"x".repeat(2000))).unwrap(), c);
        // Empty: nothing at all is hijacked.
        let none = Config::from_env_value(Some("")).unwrap();
        assert_eq!(none.prefix, None);
        assert!(!none.socket_in_rump(libc::AF_INET));
    }

    #[test]
    fn each_specifier() {
        let c =
            Config::parse("path=/mnt,blanket=/dev/bpf:/etc/x,fdoff=64,sysctl,modctl=no").unwrap();
        assert_eq!(c.prefix.as_deref(), Some(&b"/mnt"[..]));
        assert_eq!(c.blanket, vec![b"/dev/bpf".to_vec(), b"/etc/x".to_vec()]);
        assert_eq!(c.fdoff, 64);
        assert!(c.sysctl && !c.modctl);
        let s = Config::parse("socket=inet:inet6").unwrap();
        assert!(s.socket_in_rump(libc::AF_INET) && !s.socket_in_rump(libc::AF_UNIX));
        let s = Config::parse("socket=all:noinet6").unwrap();
        assert!(s.socket_in_rump(libc::AF_UNIX) && !s.socket_in_rump(libc::AF_INET6));
        let s = Config::parse("socket=inet:noinet").unwrap();
        assert!(!s.socket_in_rump(libc::AF_INET));
        assert_eq!(Config::parse("vfs=all:nofhcalls").unwrap().vfs, 0b011);
        assert_eq!(Config::parse("vfs=getvfsstat").unwrap().vfs, 0b010);
        // Abbreviations match in table order, and `/` alone of slashes is allowed.
        assert_eq!(
            Config::parse("p=//").unwrap().prefix.as_deref(),
            Some(&b"//"[..])
        );
        assert!(
            Config::parse("s=inet")
                .unwrap()
                .socket_in_rump(libc::AF_INET)
        );
        assert!(Config::parse("sysctl=TOTTAKAI").unwrap().sysctl);
    }

    #[test]
    fn errors_name_the_offender() {
        let e = |s| Config::parse(s).unwrap_err();
        assert_eq!(e("bogus=1"), "invalid hijack specifier name in bogus=1");
        assert_eq!(e("path"), "invalid hijack specifier: path");
        assert_eq!(
            e("path=rump"),
            "hijack path specifier must begin with ``/''"
        );
        assert_eq!(e("path=/"), "invalid hijack prefix: /");
        assert_eq!(
            e("path=/rump/"),
            "hijack prefix may end in slash only if pure slash, gave /rump/"
        );
        assert_eq!(e("blanket=/a:b"), "invalid blanket specifier b");
        assert_eq!(e("blanket=/a/"), "invalid blanket specifier /a/");
        assert_eq!(e("socket=inet:ipx"), "invalid socket specifier ipx");
        assert_eq!(e("vfs=mount"), "invalid vfscall specifier mount");
        assert_eq!(
            e("sysctl=maybe"),
            "sysctl value should be y(es)/n(o), gave: maybe"
        );
        assert_eq!(e("fdoff=-1"), "fdoff must not be negative");
        assert_eq!(e("fdoff=12x"), "invalid fdoff specifier \"12x\"");
        assert_eq!(e("fdoff=2"), "fdoff out of range");
        assert_eq!(e("fdoff=2000000000"), "fdoff out of range");
    }
}
