//! Which kernel a path or a descriptor belongs to.
//!
//! Paths: an absolute path under the `path=` prefix (as whole components:
//! `/rumpx` is not under `/rump`) goes to the rump kernel with the prefix
//! taken off; one under a `blanket=` prefix goes there as it is; a
//! relative path goes where the current directory is.
//!
//! Descriptors: the kernel's descriptor `n` is `n + fdoff` to the program.
//! A kernel descriptor may also be given a number below `fdoff` with
//! `dup2` (a shell redirecting standard output into the kernel): those
//! numbers are kept in a [`LowFds`] map, and the host's descriptor of that
//! number is closed.

use crate::config::Config;
use std::collections::BTreeMap;

/// Where a path goes.
#[derive(Debug, PartialEq, Eq)]
pub enum PathRoute<'a> {
    /// To the host, unchanged.
    Host,
    /// To the rump kernel, as this path.
    Rump(&'a [u8]),
}

/// Route `path` for a program whose current directory is in the rump
/// kernel when `cwd_in_rump`.
pub fn route_path<'a>(cfg: &Config, cwd_in_rump: bool, path: &'a [u8]) -> PathRoute<'a> {
    if path.first() != Some(&b'/') {
        return if cwd_in_rump {
            PathRoute::Rump(path)
        } else {
            PathRoute::Host
        };
    }
    if let Some(prefix) = &cfg.prefix
        && let Some(rest) = path.strip_prefix(prefix.as_slice())
    {
        if rest.is_empty() {
            return PathRoute::Rump(b"/");
        }
        // A pure-slash prefix ends in `/` itself; otherwise the next
        // byte must start a component.
        if prefix.ends_with(b"/") || rest[0] == b'/' {
            return PathRoute::Rump(rest);
        }
    }
    if cfg.blanket.iter().any(|b| path.starts_with(b)) {
        return PathRoute::Rump(path);
    }
    PathRoute::Host
}

// Relative names under host directories. A program may name a kernel file
// from a host directory: rsync opens `/` and then `rump/rs` relative to
// that descriptor, a shell in `/` says `ls rump`. Such a name goes to the
// kernel when the lexical join of the directory's real path (the host's
// own name for it, free of symbolic links) with the name *enters* a
// hijacked prefix: the directory is outside it and the join inside.
// Leading `..` of the name are taken off the directory (its real path has
// no links, so that is what the host would do); any later `..` is kept as
// it is, since the components before it may be links on the host. A host
// directory inside the prefix (only a program that inherited one has it)
// keeps its relative names on the host, as NetBSD's hijack does.

/// The components of the hijacked prefixes (`path=` and `blanket=`).
fn prefix_components(cfg: &Config) -> impl Iterator<Item = &[u8]> {
    cfg.prefix
        .iter()
        .chain(cfg.blanket.iter())
        .flat_map(|p| p.split(|&b| b == b'/'))
        .filter(|c| !c.is_empty())
}

/// The first component of `name` after its leading `.`, `..` and slashes.
fn first_real_component(name: &[u8]) -> Option<&[u8]> {
    name.split(|&b| b == b'/')
        .find(|c| !matches!(*c, b"" | b"." | b".."))
}

/// Whether the relative `name` may enter a hijacked prefix from some host
/// directory, without a system call: a join that enters a prefix continues
/// the directory's path with the prefix's next component, so the name's
/// first component must be one of the prefix's (or, for a blanket, begin
/// like its last one).
pub fn may_enter(cfg: &Config, name: &[u8]) -> bool {
    if name.first() == Some(&b'/') {
        return false;
    }
    let Some(first) = first_real_component(name) else {
        return false;
    };
    prefix_components(cfg).any(|c| first.starts_with(c))
}

/// The kernel's path for the relative `name` under the host directory
/// whose real path is `dir`, when their join enters a hijacked prefix (see
/// above); `None` when the name stays the host's.
pub fn join_entering(cfg: &Config, dir: &[u8], name: &[u8]) -> Option<Vec<u8>> {
    if dir.first() != Some(&b'/') || name.is_empty() || name.first() == Some(&b'/') {
        return None;
    }
    if route_path(cfg, false, dir) != PathRoute::Host {
        return None;
    }
    let mut parts: Vec<&[u8]> = dir
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect();
    let mut rest = name;
    loop {
        let (head, tail) = match rest.iter().position(|&b| b == b'/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        match head {
            b"" | b"." if !rest.is_empty() => {}
            b".." => {
                parts.pop();
            }
            _ => break,
        }
        rest = tail;
    }
    if rest.is_empty() {
        // Only dots: the directory or one above it, never inside.
        return None;
    }
    let mut joined = Vec::with_capacity(dir.len() + name.len() + 1);
    for p in &parts {
        joined.push(b'/');
        joined.extend_from_slice(p);
    }
    joined.push(b'/');
    joined.extend_from_slice(rest);
    match route_path(cfg, false, &joined) {
        PathRoute::Rump(k) => Some(k.to_vec()),
        PathRoute::Host => None,
    }
}

/// Where a descriptor goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdRoute {
    /// The host's descriptor of that number.
    Host(i32),
    /// The rump kernel's descriptor of that number.
    Rump(i32),
}

/// Kernel descriptors given numbers below `fdoff`: program number to
/// kernel number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LowFds(BTreeMap<i32, i32>);

/// The variable that carries [`LowFds`] across `execve` (the name is
/// NetBSD's; the value is `n:k,n:k`, since the map is not limited to 0-2).
pub const LOWFDS_ENV: &str = "RUMPHIJACK__DUP2INFO";

impl LowFds {
    /// Where the program's descriptor `fd` goes.
    pub fn route(&self, fd: i32, fdoff: i32) -> FdRoute {
        if fd >= fdoff {
            FdRoute::Rump(fd - fdoff)
        } else if let Some(&k) = self.0.get(&fd) {
            FdRoute::Rump(k)
        } else {
            FdRoute::Host(fd)
        }
    }

    /// Whether kernel descriptor `k` is the copy behind a low number.
    pub fn backs(&self, k: i32) -> bool {
        self.0.values().any(|&v| v == k)
    }

    /// Whether `fd` (below fdoff) names a kernel descriptor.
    pub fn contains(&self, fd: i32) -> bool {
        self.0.contains_key(&fd)
    }

    /// Give kernel descriptor `k` the program number `fd`; returns the
    /// kernel descriptor that number named before, if any.
    pub fn insert(&mut self, fd: i32, k: i32) -> Option<i32> {
        self.0.insert(fd, k)
    }

    /// Forget the program number `fd`; returns its kernel descriptor.
    pub fn remove(&mut self, fd: i32) -> Option<i32> {
        self.0.remove(&fd)
    }

    /// The kernel descriptors that have low numbers.
    pub fn entries(&self) -> impl Iterator<Item = (i32, i32)> + '_ {
        self.0.iter().map(|(&a, &b)| (a, b))
    }

    /// The value for [`LOWFDS_ENV`].
    pub fn encode(&self) -> String {
        self.entries()
            .map(|(n, k)| format!("{n}:{k}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Read a [`LOWFDS_ENV`] value; `None` if it is malformed.
    pub fn decode(s: &str, fdoff: i32) -> Option<LowFds> {
        let mut m = LowFds::default();
        for item in s.split(',').filter(|i| !i.is_empty()) {
            let (n, k) = item.split_once(':')?;
            let (n, k) = (n.parse::<i32>().ok()?, k.parse::<i32>().ok()?);
            if !(0..fdoff).contains(&n) || k < 0 {
                return None;
            }
            m.insert(n, k);
        }
        Some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(spec: &str) -> Config {
        Config::parse(spec).unwrap()
    }

    #[test]
    fn paths_route_by_whole_components() {
        let c = cfg("path=/rump,blanket=/dev/bpf:/x/y");
        let r = |p: &'static [u8], cwd| route_path(&c, cwd, p);
        assert_eq!(r(b"/rump", false), PathRoute::Rump(b"/"));
        assert_eq!(r(b"/rump/", false), PathRoute::Rump(b"/"));
        assert_eq!(r(b"/rump/a/b", false), PathRoute::Rump(b"/a/b"));
        assert_eq!(r(b"/rumpx", false), PathRoute::Host);
        assert_eq!(r(b"/etc/passwd", true), PathRoute::Host);
        assert_eq!(r(b"a/b", false), PathRoute::Host);
        assert_eq!(r(b"a/b", true), PathRoute::Rump(b"a/b"));
        // Blankets are plain string prefixes, passed on unchanged.
        assert_eq!(r(b"/dev/bpf0", false), PathRoute::Rump(b"/dev/bpf0"));
        assert_eq!(r(b"/x/y/z", false), PathRoute::Rump(b"/x/y/z"));
        assert_eq!(r(b"", false), PathRoute::Host);
        let slash = cfg("path=//");
        assert_eq!(route_path(&slash, false, b"//a"), PathRoute::Rump(b"a"));
        assert_eq!(route_path(&slash, false, b"/a"), PathRoute::Host);
        assert_eq!(route_path(&cfg(""), false, b"/rump/a"), PathRoute::Host);
    }

    #[test]
    fn relative_names_enter_the_prefix_from_host_directories() {
        let c = cfg("path=/rump,blanket=/dev/bpf");
        let j = |d: &[u8], n: &[u8]| join_entering(&c, d, n);
        assert_eq!(j(b"/", b"rump/rs"), Some(b"/rs".to_vec()));
        assert_eq!(j(b"/", b"rump"), Some(b"/".to_vec()));
        assert_eq!(j(b"/", b"./rump/"), Some(b"/".to_vec()));
        assert_eq!(j(b"/usr", b"../rump/a"), Some(b"/a".to_vec()));
        assert_eq!(j(b"/usr/share", b"../../../rump/a"), Some(b"/a".to_vec()));
        assert_eq!(j(b"/dev", b"bpf0"), Some(b"/dev/bpf0".to_vec()));
        // Later `..` stay: the components before them may be host links.
        assert_eq!(j(b"/", b"x/../rump/a"), None);
        assert_eq!(j(b"/", b"rump/a/../b"), Some(b"/a/../b".to_vec()));
        assert_eq!(j(b"/", b"rumpx"), None);
        assert_eq!(j(b"/usr", b"rump/a"), None);
        assert_eq!(j(b"/", b".."), None);
        assert_eq!(j(b"/", b""), None);
        assert_eq!(j(b"/", b"/rump/a"), None);
        assert_eq!(j(b"socket:[7]", b"rump"), None);
        // A host directory inside the prefix keeps its names.
        assert_eq!(j(b"/rump", b"a"), None);
        assert_eq!(j(b"/rump/x", b"../a"), None);
        // The filter lets every entering name through, and few others.
        for n in [&b"rump/rs"[..], b"./rump", b"../rump/a", b"bpf0"] {
            assert!(may_enter(&c, n), "{n:?}");
        }
        for n in [&b"usr"[..], b"..", b".", b"", b"/rump", b"x/rump"] {
            assert!(!may_enter(&c, n), "{n:?}");
        }
        assert!(!may_enter(&cfg("path=//"), b"a"));
        assert!(!may_enter(&cfg(""), b"rump"));
    }

    #[test]
    fn descriptors_offset_and_low_numbers() {
        let mut m = LowFds::default();
        assert_eq!(m.route(3, 512), FdRoute::Host(3));
        assert_eq!(m.route(512, 512), FdRoute::Rump(0));
        assert_eq!(m.route(520, 512), FdRoute::Rump(8));
        assert_eq!(m.insert(1, 9), None);
        assert_eq!(m.route(1, 512), FdRoute::Rump(9));
        assert_eq!(m.insert(1, 4), Some(9));
        m.insert(7, 5);
        let s = m.encode();
        assert_eq!(s, "1:4,7:5");
        assert_eq!(LowFds::decode(&s, 512), Some(m.clone()));
        assert_eq!(LowFds::decode("", 512), Some(LowFds::default()));
        for bad in ["1", "1:x", "600:1", "-1:2", "1:-2", "1:2,,x"] {
            assert_eq!(LowFds::decode(bad, 512), None, "{bad}");
        }
        assert_eq!(m.remove(1), Some(4));
        assert_eq!(m.route(1, 512), FdRoute::Host(1));
    }
}
