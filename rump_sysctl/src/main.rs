//! `rump.sysctl`: NetBSD's `sysctl(8)` against the rump kernel named by
//! `RUMP_SERVER`. `rump.sysctl [-denq] name ...`, `rump.sysctl [-den] -a`,
//! `rump.sysctl [-enq] -w name=value ...`; output `name = value`, with
//! NetBSD's printers for `kern.clockrate` and the `proc.*.rlimit` limits.
//! Installed as `rump.sysctl`. Names are resolved, as NetBSD's libc does,
//! by walking the tree with CTL_QUERY.

#![forbid(unsafe_code)]

mod user;

use netbsd_abi::layout::{sysctldesc, sysctlnode};
use netbsd_abi::{CTL_DESCRIBE, CTL_USER, RLIM_INFINITY, SYSCTL_VERSION};
use netbsd_abi::{CTLFLAG_HEX, CTLFLAG_HIDDEN, CTLFLAG_UNSIGNED, SYSCTL_TYPEMASK};
use netbsd_abi::{CTLTYPE_BOOL, CTLTYPE_INT, CTLTYPE_NODE, CTLTYPE_QUAD, CTLTYPE_STRING};
use netbsd_abi::{CTLTYPE_STRUCT, SYSCTL_NAMELEN};
use rumpclient::SysctlReply;
use rumpclient::{Client, Errno};
use std::process::ExitCode;

const PROG: &str = "rump.sysctl";
/// The buffer for a value whose size the type does not fix.
const VALUE_BUF: usize = 1024;
const ORDINALS: [&str; 12] = [
    "top", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth",
];

/// A node as a CTL_QUERY record describes it.
#[derive(Clone, Debug)]
struct Node {
    flags: i32,
    num: i32,
    name: String,
    /// `sysctl_size`: a string's room, NUL included (0: no bound).
    size: u64,
}

impl Node {
    fn parse(r: &[u8]) -> Node {
        let name = r.get(sysctlnode::sysctl_name.range()).unwrap_or(&[]);
        let end = name
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(SYSCTL_NAMELEN as usize)
            .min(name.len());
        let int = |f: netbsd_abi::Field| f.get(r).unwrap_or(0) as u32 as i32;
        Node {
            flags: int(sysctlnode::sysctl_flags),
            num: int(sysctlnode::sysctl_num),
            name: String::from_utf8_lossy(&name[..end]).into_owned(),
            size: sysctlnode::_sysctl_size.get(r).unwrap_or(0),
        }
    }

    fn typ(&self) -> i32 {
        self.flags & SYSCTL_TYPEMASK
    }
}

struct Opts {
    all: bool,
    hidden: bool,
    value_only: bool,
    quiet: bool,
    write: bool,
    describe: bool,
    eq: &'static str,
}

/// `struct clockinfo` (`sys/time.h`): five ints, in this order.
const CLOCKINFO: [&str; 5] = ["hz", "tick", "tickadj", "stathz", "profhz"];

/// Whether `path` is one side of a process's limit
/// (`proc.<pid>.rlimit.<limit>.<soft|hard>`), which NetBSD's sysctl(8)
/// shows and takes as `unlimited` at RLIM_INFINITY.
fn is_limit(path: &str) -> bool {
    let p: Vec<&str> = path.split('.').collect();
    p.len() == 5 && p[0] == "proc" && p[2] == "rlimit"
}

/// What NetBSD's sysctl(8) says instead of printing a node (its
/// `printother` handler).
#[derive(Clone, Copy)]
enum Other {
    /// The program that shows it.
    Tool(&'static str),
    /// A hint.
    Hint(&'static str),
}

impl Other {
    fn message(self, path: &str) -> String {
        match self {
            Other::Tool(t) => format!("{path}: use '{t}' to view this information"),
            Other::Hint(h) => format!("{path}: {h}"),
        }
    }
}

/// What NetBSD's sysctl(8) says instead of printing the node at `path`,
/// for the nodes it knows.
fn other_tool(path: &str) -> Option<Other> {
    let p: Vec<&str> = path.split('.').collect();
    Some(Other::Tool(match p.as_slice() {
        ["kern", "evcnt"] => "vmstat -e",
        ["kern", "vnode" | "file" | "file2"] => "pstat",
        ["kern", "proc" | "proc2" | "proc_args"] => "ps",
        ["kern", "ntptime"] => "ntpdc -c kerninfo",
        ["kern", "msgbuf"] => "dmesg",
        ["kern", "sysvipc_info"] => "ipcs",
        ["kern", "intr", "list" | "affinity" | "intr" | "nointr"] => "intrctl",
        ["vm", "vmmeter" | "uvmexp" | "uvmexp2"] => "vmstat' or 'systat",
        ["vfs", "nfs", "nfsstats"] => "nfsstat",
        ["net", _, _, "pcblist"] => "netstat' or 'sockstat",
        ["net", "inet" | "inet6", _, "stats"] => "netstat",
        ["net", "bpf", "stats" | "peers"] => "netstat",
        ["hw", "diskstats"] => "iostat",
        // Its generic hints for top nodes with nothing below them.
        ["debug"] => return Some(Other::Hint("missing 'options DEBUG' from kernel?")),
        ["ddb"] => return Some(Other::Hint("missing 'options DDB' from kernel?")),
        ["vendor"] => return Some(Other::Hint("no vendor extensions installed")),
        _ => return None,
    }))
}

/// `kern.clockrate` as NetBSD's sysctl(8) prints it (`kern_clockrate`).
fn clockrate(v: &[u8]) -> Option<String> {
    let f = |name: &str| {
        let i = CLOCKINFO.iter().position(|n| *n == name)?;
        Some(i32::from_ne_bytes(
            v.get(4 * i..4 * i + 4)?.try_into().ok()?,
        ))
    };
    Some(format!(
        "tick = {}, tickadj = {}, hz = {}, profhz = {}, stathz = {}",
        f("tick")?,
        f("tickadj")?,
        f("hz")?,
        f("profhz")?,
        f("stathz")?
    ))
}

struct Sysctl {
    client: Client,
    opts: Opts,
    errors: bool,
}

/// Why a name could not be resolved: the message NetBSD prints.
struct BadName(String);

impl Sysctl {
    fn children(&self, mib: &[i32]) -> Result<Vec<Node>, Errno> {
        if mib == [CTL_USER] {
            return Ok(user::USER_NODES
                .iter()
                .map(|n| Node {
                    flags: n.flags(),
                    num: n.num,
                    name: n.name.to_owned(),
                    size: n.bytes().len() as u64,
                })
                .collect());
        }
        let nodes = self.client.sysctl_children(mib)?;
        Ok(nodes.iter().map(|r| Node::parse(r)).collect())
    }

    /// Resolve `kern.hostname` to its MIB and node, as sysctlgetmibinfo does.
    fn resolve(&self, arg: &str) -> Result<(Vec<i32>, Node), BadName> {
        let parts: Vec<&str> = arg.split(['.', '/']).filter(|p| !p.is_empty()).collect();
        let mut mib = Vec::new();
        let mut node = None::<Node>;
        if parts.is_empty() {
            return Err(BadName(format!("top level name '' in '{arg}' is invalid")));
        }
        for (i, part) in parts.iter().enumerate() {
            let bad = || {
                BadName(format!(
                    "{} level name '{part}' in '{arg}' is invalid",
                    ORDINALS.get(i).unwrap_or(&"deep")
                ))
            };
            if node.as_ref().is_some_and(|n| n.typ() != CTLTYPE_NODE) || i >= ORDINALS.len() {
                return Err(bad());
            }
            let kids = self.children(&mib).map_err(|_| bad())?;
            let found = kids
                .into_iter()
                .find(|k| k.name == *part || part.parse::<i32>().is_ok_and(|n| n == k.num))
                .ok_or_else(bad)?;
            mib.push(found.num);
            node = Some(found);
        }
        Ok((mib, node.expect("at least one component")))
    }

    /// The value at `mib`, read as NetBSD's sysctl(8) reads it: a number
    /// with a buffer of its own size (`kern.arandom` gives as many bytes
    /// as there is room for), anything else with room to spare.
    fn read(&self, mib: &[i32], node: &Node) -> Result<Vec<u8>, Errno> {
        let mut cap = match node.typ() {
            CTLTYPE_INT => size_of::<i32>(),
            CTLTYPE_QUAD => size_of::<u64>(),
            CTLTYPE_BOOL => size_of::<bool>(),
            _ => VALUE_BUF,
        };
        loop {
            let r = self.call(mib, Some(cap), None)?;
            match r.result {
                Err(Errno::ENOMEM) if r.oldlen > cap => cap = r.oldlen,
                Err(e) => return Err(e),
                Ok(()) => return Ok(r.old),
            }
        }
    }

    /// Report a name that does not resolve; `-q` keeps it quiet (the exit
    /// status still says), as NetBSD's `sysctlparseerror` does.
    fn bad_name(&self, BadName(m): BadName) {
        if !self.opts.quiet {
            eprintln!("{PROG}: {m}");
        }
    }

    /// A warning (`sysctlperror`): on stderr, but on stdout with `-A`,
    /// among the values, as NetBSD's sysctl(8) writes it.
    fn complain(&mut self, msg: &str) {
        self.errors = true;
        if self.opts.hidden {
            println!("{PROG}: {msg}");
        } else {
            eprintln!("{PROG}: {msg}");
        }
    }

    /// `__sysctl(2)` as NetBSD's libc makes it: calls under `user` are
    /// answered here, as libc answers them, and never reach the kernel.
    fn call(
        &self,
        mib: &[i32],
        cap: Option<usize>,
        new: Option<&[u8]>,
    ) -> Result<SysctlReply, Errno> {
        if mib.first() != Some(&CTL_USER) {
            return self.client.sysctl(mib, cap, new);
        }
        let fail = |e| SysctlReply {
            result: Err(e),
            old: Vec::new(),
            oldlen: 0,
        };
        let node = match mib {
            [_, num] => user::find(*num),
            _ => return Ok(fail(Errno::EINVAL)),
        };
        if new.is_some() {
            return Ok(fail(Errno::EPERM));
        }
        let Some(node) = node else {
            return Ok(fail(Errno::EOPNOTSUPP));
        };
        let v = node.bytes();
        let n = v.len().min(cap.unwrap_or(0));
        Ok(SysctlReply {
            result: if n < v.len() && cap.is_some() {
                Err(Errno::ENOMEM)
            } else {
                Ok(())
            },
            old: v[..n].to_vec(),
            oldlen: v.len(),
        })
    }

    /// The description of the node at `mib` (CTL_DESCRIBE on its parent
    /// for its number, as NetBSD's sysctl(8) asks for one), None if it
    /// has none.
    fn description(&self, mib: &[i32]) -> Option<String> {
        let (num, parent) = mib.split_last()?;
        if parent == [CTL_USER] {
            return user::find(*num).map(|n| n.descr.to_owned());
        }
        let mut req = vec![0u8; sysctlnode::SIZE];
        sysctlnode::sysctl_flags.put(&mut req, SYSCTL_VERSION as u32 as u64);
        sysctlnode::sysctl_num.put(&mut req, *num as u32 as u64);
        let name = [parent, &[CTL_DESCRIBE]].concat();
        let r = self
            .client
            .sysctl(&name, Some(VALUE_BUF), Some(&req))
            .ok()?;
        r.result.ok()?;
        let len = sysctldesc::descr_len.get(&r.old)? as usize;
        let at = sysctldesc::descr_str.offset;
        let text = r.old.get(at..at + len)?;
        let text = text.split(|&b| b == 0).next().unwrap_or(&[]);
        (!text.is_empty()).then(|| String::from_utf8_lossy(text).into_owned())
    }

    /// `-d`: a leaf asked for by name always gets a line, one met on a
    /// walk only if it has a description (NetBSD's `print_tree`).
    fn show_description(&self, path: &str, mib: &[i32], named: bool) {
        let d = self.description(mib);
        if d.is_none() && !named {
            return;
        }
        let d = d.unwrap_or_else(|| "(no description)".to_owned());
        if self.opts.value_only {
            println!("{d}");
        } else {
            println!("{path}: {d}");
        }
    }

    fn format(&self, path: &str, node: &Node, v: &[u8]) -> Option<String> {
        let hex = node.flags & CTLFLAG_HEX != 0;
        Some(match node.typ() {
            CTLTYPE_QUAD
                if is_limit(path)
                    && u64::from_ne_bytes(v.get(..8)?.try_into().ok()?) == RLIM_INFINITY =>
            {
                "unlimited".to_owned()
            }
            CTLTYPE_STRUCT if path == "kern.clockrate" => clockrate(v)?,
            CTLTYPE_INT => {
                let x = i32::from_ne_bytes(v.get(..4)?.try_into().ok()?);
                if hex {
                    format!("{:#x}", x)
                } else if node.flags & CTLFLAG_UNSIGNED != 0 {
                    (x as u32).to_string()
                } else {
                    x.to_string()
                }
            }
            CTLTYPE_QUAD => {
                let x = u64::from_ne_bytes(v.get(..8)?.try_into().ok()?);
                if hex {
                    format!("{x:#x}")
                } else {
                    x.to_string()
                }
            }
            CTLTYPE_BOOL => u8::from(v.first().is_some_and(|&b| b != 0)).to_string(),
            CTLTYPE_STRING => {
                String::from_utf8_lossy(v.split(|&b| b == 0).next().unwrap_or(&[])).into_owned()
            }
            CTLTYPE_STRUCT if node.name == "boottime" => {
                // kern.boottime is a struct timespec.
                let secs = netbsd_abi::layout::timespec::tv_sec.get(v)? as i64;
                if self.opts.value_only {
                    secs.to_string()
                } else {
                    rumpclient::ctime(secs)
                }
            }
            _ => return None,
        })
    }

    /// Print one leaf; `named` when the user asked for it by name.
    fn show(&mut self, path: &str, mib: &[i32], node: &Node, named: bool) {
        if self.opts.describe {
            self.show_description(path, mib, named || self.opts.hidden);
            return;
        }
        if let Some(other) = other_tool(path) {
            if named || self.opts.hidden {
                self.complain(&other.message(path));
            }
            return;
        }
        let v = match self.read(mib, node) {
            Ok(v) => v,
            Err(e) => {
                if named || self.opts.hidden {
                    let what = match e {
                        Errno::ENOENT
                        | Errno::ENOPROTOOPT
                        | Errno::ENOTDIR
                        | Errno::EINVAL
                        | Errno::EOPNOTSUPP => {
                            format!("the value is not available ({e})")
                        }
                        e => e.to_string(),
                    };
                    self.complain(&format!("{path}: {what}"));
                }
                return;
            }
        };
        match self.format(path, node, &v) {
            Some(text) if !self.opts.quiet => {
                if self.opts.value_only {
                    println!("{text}");
                } else if path_is_struct_printer(path, node) && node.name != "boottime" {
                    // NetBSD's kern_clockrate printer writes `name: value`.
                    println!("{path}: {text}");
                } else {
                    println!("{path}{}{text}", self.opts.eq);
                }
            }
            Some(_) => {}
            None if named || self.opts.hidden => {
                self.complain(&format!("{path}: this type is unknown to this program"))
            }
            None => {}
        }
    }

    fn walk(&mut self, path: &str, mib: &mut Vec<i32>, named: bool) {
        let kids = match self.children(mib) {
            Ok(k) => k,
            Err(e) => {
                if named {
                    self.complain(&format!("{path}: {e}"));
                }
                return;
            }
        };
        if kids.is_empty() && (named || self.opts.hidden) && !self.opts.describe {
            match other_tool(path) {
                Some(other) => self.complain(&other.message(path)),
                None => println!("{path}: no children"),
            }
        }
        for k in kids {
            if k.flags & CTLFLAG_HIDDEN != 0 && !self.opts.hidden {
                continue;
            }
            let p = if path.is_empty() {
                k.name.clone()
            } else {
                format!("{path}.{}", k.name)
            };
            mib.push(k.num);
            if k.typ() == CTLTYPE_NODE {
                // -d -A describes every node on the way (`print_tree`).
                if self.opts.describe && self.opts.hidden {
                    self.show_description(&p, mib, true);
                }
                self.walk(&p, mib, false);
            } else {
                self.show(&p, mib, &k, false);
            }
            mib.pop();
        }
    }

    /// `name=value`: write and print `name: old -> new`.
    fn assign(&mut self, name: &str, value: &str) -> Result<(), ExitCode> {
        let (mib, node) = self.resolve(name).map_err(|b| {
            self.bad_name(b);
            ExitCode::FAILURE
        })?;
        if !self.opts.write {
            eprintln!("{PROG}: Must specify -w to set variables");
            return Err(ExitCode::FAILURE);
        }
        if path_is_struct_printer(name, &node) {
            // NetBSD's sysctl(8) has a printer but no writer for these.
            eprintln!("{PROG}: Cannot write `{name}': {}", Errno::EOPNOTSUPP);
            return Err(ExitCode::FAILURE);
        }
        let bytes = match node.typ() {
            CTLTYPE_QUAD if is_limit(name) => {
                let n = if value == "unlimited" {
                    Ok(RLIM_INFINITY)
                } else {
                    parse_number(value)
                };
                let Ok(n) = n else {
                    eprintln!("{PROG}: {name}: '{value}' is not a valid limit");
                    return Err(ExitCode::FAILURE);
                };
                n.to_ne_bytes().to_vec()
            }
            CTLTYPE_INT | CTLTYPE_QUAD | CTLTYPE_BOOL => {
                let n = parse_number(value).map_err(|m| {
                    eprintln!("{PROG}: {value}: {m}");
                    ExitCode::FAILURE
                })?;
                match node.typ() {
                    CTLTYPE_INT => {
                        let hi = n >> 32;
                        if hi != 0 && hi != 0xffff_ffff {
                            eprintln!("{PROG}: {value}: Result too large");
                            return Err(ExitCode::FAILURE);
                        }
                        (n as u32).to_ne_bytes().to_vec()
                    }
                    CTLTYPE_BOOL => vec![u8::from(n != 0)],
                    _ => n.to_ne_bytes().to_vec(),
                }
            }
            CTLTYPE_STRING => {
                if value.len() as u64 + 1 > node.size && node.size != 0 {
                    eprintln!("{PROG}: {value}: string too long");
                    return Err(ExitCode::FAILURE);
                }
                let mut b = value.as_bytes().to_vec();
                b.push(0);
                b
            }
            CTLTYPE_NODE => {
                self.walk(name, &mut mib.clone(), true);
                return Ok(());
            }
            _ => {
                self.complain(&format!("{name}: this type is unknown to this program"));
                return Ok(());
            }
        };
        let old = match self.call(&mib, Some(VALUE_BUF), Some(&bytes)) {
            Ok(r) if r.result.is_ok() => r.old,
            Ok(r) => {
                eprintln!("{PROG}: {name}: {}", r.result.unwrap_err());
                return Err(ExitCode::FAILURE);
            }
            Err(e) => {
                eprintln!("{PROG}: {name}: {e}");
                return Err(ExitCode::FAILURE);
            }
        };
        let old = self.format(name, &node, &old).unwrap_or_default();
        let new = self.format(name, &node, &bytes).unwrap_or_default();
        if self.opts.value_only {
            println!("{new}");
        } else if !self.opts.quiet {
            println!("{name}: {old} -> {new}");
        }
        Ok(())
    }
}

/// Whether NetBSD's sysctl(8) prints `name` with a printer of its own
/// that cannot write.
fn path_is_struct_printer(name: &str, node: &Node) -> bool {
    node.typ() == CTLTYPE_STRUCT && (name == "kern.clockrate" || node.name == "boottime")
}

/// `strtouq(value, &end, 0)`: decimal, `0x` hex or leading-0 octal.
fn parse_number(v: &str) -> Result<u64, &'static str> {
    let (neg, body) = match v.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let (radix, digits) =
        if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, h)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() {
        return Err("not a number");
    }
    let n = u64::from_str_radix(digits, radix).map_err(|e| match e.kind() {
        // NetBSD's strerror(ERANGE).
        std::num::IntErrorKind::PosOverflow => "Result too large or too small",
        _ => "not a number",
    })?;
    Ok(if neg { n.wrapping_neg() } else { n })
}

fn usage() -> ExitCode {
    eprintln!("usage:\t{PROG} [-dneq] variable ...");
    eprintln!("\t{PROG} [-neq] -w variable=value ...");
    eprintln!("\t{PROG} [-ne] -a");
    eprintln!("\t{PROG} [-ne] -A");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let mut opts = Opts {
        all: false,
        hidden: false,
        value_only: false,
        quiet: false,
        write: false,
        describe: false,
        eq: " = ",
    };
    let mut names = Vec::new();
    for a in std::env::args().skip(1) {
        match a
            .strip_prefix('-')
            .filter(|f| !f.is_empty() && names.is_empty())
        {
            Some(flags) => {
                for f in flags.chars() {
                    match f {
                        'a' => opts.all = true,
                        'A' => {
                            opts.all = true;
                            opts.hidden = true;
                        }
                        'n' => opts.value_only = true,
                        'q' => opts.quiet = true,
                        'w' => opts.write = true,
                        'd' => opts.describe = true,
                        'e' => opts.eq = "=",
                        _ => {
                            eprintln!("{PROG}: unknown option -- {f}");
                            return usage();
                        }
                    }
                }
            }
            None => names.push(a),
        }
    }
    // -d alone describes everything, as -A does (NetBSD's main).
    if opts.describe && names.is_empty() {
        opts.all = true;
    }
    if (opts.all && opts.quiet) || (!opts.all && names.is_empty()) {
        return usage();
    }
    let Some(client) = Client::for_tool(PROG) else {
        return ExitCode::FAILURE;
    };
    let mut s = Sysctl {
        client,
        opts,
        errors: false,
    };
    if s.opts.all {
        s.walk("", &mut Vec::new(), false);
        return ExitCode::SUCCESS;
    }
    for n in names {
        if let Some((name, value)) = n.split_once('=') {
            if let Err(code) = s.assign(name, value) {
                return code;
            }
            continue;
        }
        match s.resolve(&n) {
            Ok((mut mib, node)) if node.typ() == CTLTYPE_NODE => s.walk(&n, &mut mib, true),
            Ok((mib, node)) => s.show(&n, &mib, &node, true),
            Err(b) => {
                s.bad_name(b);
                return ExitCode::FAILURE;
            }
        }
    }
    if s.errors {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_strtouq() {
        assert_eq!(parse_number("42"), Ok(42));
        assert_eq!(parse_number("0x10"), Ok(16));
        assert_eq!(parse_number("010"), Ok(8));
        assert_eq!(parse_number("-1"), Ok(u64::MAX));
        assert_eq!(parse_number("12a"), Err("not a number"));
        assert_eq!(parse_number(""), Err("not a number"));
        assert_eq!(
            parse_number("99999999999999999999"),
            Err("Result too large or too small")
        );
    }

    #[test]
    fn ctime_utc() {
        assert_eq!(rumpclient::ctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(rumpclient::ctime(1_795_251_660), "Sat Nov 21 09:01:00 2026");
    }
}
