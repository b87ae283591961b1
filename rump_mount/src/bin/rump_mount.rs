//! `rump.mount`: NetBSD's `mount(8)`, `mount_ffs(8)` and `mount_tmpfs(8)`
//! against the rump kernel named by `RUMP_SERVER`.
//!
//! - `rump.mount [-v] [-t types]` lists what is mounted as NetBSD's
//!   `mount` does (`-v` adds the hidden flags, the file system id and the
//!   I/O counts; `-t` picks types, `-t noX,Y` leaves them out).
//! - `rump.mount [-dfruvw] [-t type] [-o options] special node` mounts;
//!   `rump.mount -u [-fruw] [-o options] special|node` updates a mount.
//!
//! Types: `ffs` (the default; `special` is a block device such as a
//! `rump_server -d` key), `tmpfs` (`special` is ignored) and `nfs`
//! (`special` is `host:/path`; see `rump_mount::nfs`). Options are
//! mount_ffs's and mount_tmpfs's (`ro`, `rw`, `update`, `force`, `noexec`,
//! `nosuid`, `nodev`, `async`, `noatime`, ... with `no` prefixes), and for
//! tmpfs `size=N[kmg]`, `nodes=N`, `mode=OCTAL`, `uid=N`, `gid=N`
//! (mount_tmpfs's -s, -n, -m, -u, -g; what is not given comes from the
//! mount point). Names are made absolute in the kernel with NetBSD's
//! warnings, and errors read as mount_ffs's and mount_tmpfs's.

#![forbid(unsafe_code)]

use rump_mount::nfs::{self, NfsOptions};
use rump_mount::{MNT_FORCE, MNT_RDONLY, MNT_UPDATE, cstr, mounted, realpath};
use rumpclient::{Client, Errno, Regions};
use std::process::ExitCode;

const PROG: &str = "rump.mount";
const USAGE: &str = "Usage: rump.mount [-Aadfruvw] [-t type]
\trump.mount [-dfruvw] special | node
\trump.mount [-dfruvw] [-o options] [-t type] special node";

fn fail(msg: &str) -> ExitCode {
    eprintln!("{PROG}: {msg}");
    ExitCode::FAILURE
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::FAILURE
}

/// `checkvfsname` over `makevfslist`: is `fstype` among `list` (a comma
/// list, all negated by a leading `no`)?
fn type_listed(list: &str, fstype: &str) -> bool {
    let (negated, names) = match list.strip_prefix("no") {
        Some(rest) => (true, rest),
        None => (false, list),
    };
    names.split(',').any(|n| n == fstype) != negated
}

#[derive(Default)]
struct Tmpfs {
    size: u64,
    nodes: u64,
    mode: Option<u32>,
    uid: Option<u32>,
    gid: Option<u32>,
}

/// `pathadj`: `input` made absolute by `realpath` in the kernel, with
/// NetBSD's warnings when that fails or changes it.
fn pathadj(c: &Client, input: &str) -> String {
    match realpath(c, input) {
        Ok(p) => {
            if p != input {
                eprintln!("{PROG}: \"{input}\" is a non-resolved or relative path.");
                eprintln!("{PROG}: using \"{p}\" instead.");
            }
            p
        }
        Err(e) => {
            eprintln!("{PROG}: Warning: realpath {input}: {e}");
            input.to_owned()
        }
    }
}

/// The mode, owner and group of `path` in the kernel.
fn owner_of(c: &Client, path: &str) -> Result<(u32, u32, u32), Errno> {
    use netbsd_abi::layout::stat;
    let m = Regions::new();
    let st = m.add_zeroed(stat::SIZE);
    c.syscall(netbsd_abi::SYS___stat50, &[m.add(&cstr(path)), st], &m)?;
    let b = m.get(st);
    let f = |f: netbsd_abi::Field| f.get(&b).unwrap_or(0) as u32;
    Ok((f(stat::st_mode) & 0o7777, f(stat::st_uid), f(stat::st_gid)))
}

fn size(v: &str) -> Option<u64> {
    let (n, mult) = match v.char_indices().last()? {
        (i, 'k' | 'K') => (&v[..i], 1 << 10),
        (i, 'm' | 'M') => (&v[..i], 1 << 20),
        (i, 'g' | 'G') => (&v[..i], 1 << 30),
        _ => (v, 1),
    };
    n.parse::<u64>().ok()?.checked_mul(mult)
}

/// The `-o` flag options mount_ffs and mount_tmpfs take (`mntopts.h`:
/// `MOPT_STDOPTS` and the ones each adds) as (name, inverse, flag): a
/// `no` prefix clears what the name sets, or sets it for an inverse one.
const FLAG_OPTIONS: &[(&str, bool, i64)] = {
    use netbsd_abi::*;
    &[
        ("userquota", false, 0),
        ("groupquota", false, 0),
        ("ro", false, MNT_RDONLY as i64),
        ("rw", true, MNT_RDONLY as i64),
        ("auto", false, 0),
        ("coredump", true, MNT_NOCOREDUMP as i64),
        ("dev", true, MNT_NODEV as i64),
        ("exec", true, MNT_NOEXEC as i64),
        ("suid", true, MNT_NOSUID as i64),
        ("rdonly", false, MNT_RDONLY as i64),
        ("union", false, MNT_UNION as i64),
        ("hidden", false, MNT_IGNORE as i64),
        ("symperm", false, MNT_SYMPERM as i64),
        ("rump", false, 0),
        ("async", false, MNT_ASYNC as i64),
        ("sync", false, MNT_SYNCHRONOUS as i64),
        ("update", false, MNT_UPDATE as i64),
        ("reload", false, MNT_RELOAD as i64),
        ("atime", true, MNT_NOATIME as i64),
        ("relatime", false, MNT_RELATIME as i64),
        ("devmtime", true, MNT_NODEVMTIME as i64),
        ("force", false, MNT_FORCE as i64),
        ("softdep", false, MNT_SOFTDEP as i64),
        ("log", false, MNT_LOG as i64),
        ("extattr", false, MNT_EXTATTR as i64),
        ("discard", false, MNT_DISCARD as i64),
    ]
};

/// Apply `-o` options to the flags (as `getmntopts`) and the tmpfs
/// arguments (`size=`, `nodes=`, `mode=`, `uid=`, `gid=`: mount_tmpfs's
/// `-s`, `-n`, `-m`, `-u`, `-g`).
fn options(
    list: &str,
    flags: &mut u64,
    t: &mut Tmpfs,
    mut nfs: Option<&mut NfsOptions>,
) -> Result<(), String> {
    for o in list.split(',').filter(|o| !o.is_empty()) {
        let (k, v) = o.split_once('=').unwrap_or((o, ""));
        // mount_nfs's own options, for an NFS mount only.
        if let Some(answer) = nfs.as_deref_mut().and_then(|n| nfs::option(n, k, v)) {
            answer?;
            continue;
        }
        let num = || {
            v.parse::<u64>()
                .map_err(|_| format!("-o {o}: not a number"))
        };
        match k {
            "size" => t.size = size(v).ok_or(format!("-o {o}: not a size"))?,
            "nodes" => t.nodes = num()?,
            "uid" => t.uid = Some(num()? as u32),
            "gid" => t.gid = Some(num()? as u32),
            "mode" => {
                t.mode = Some(
                    u32::from_str_radix(v, 8).map_err(|_| format!("-o {o}: not an octal mode"))?,
                )
            }
            // mount_tmpfs prints the arguments a mount has; not here yet.
            "getargs" => return Err(format!("-o {o}: not supported by this rump.mount")),
            _ => {
                let (negative, name) = match k.strip_prefix("no") {
                    Some(rest) => (true, rest),
                    None => (false, k),
                };
                let Some(&(_, inverse, flag)) = FLAG_OPTIONS
                    .iter()
                    .find(|(n, ..)| n.eq_ignore_ascii_case(name))
                else {
                    return Err(format!("-o {name}: option not supported"));
                };
                if negative == inverse {
                    *flags |= flag as u64;
                } else {
                    *flags &= !(flag as u64);
                }
            }
        }
    }
    Ok(())
}

fn list(c: &Client, verbose: bool, types: Option<&str>) -> ExitCode {
    match mounted(c) {
        Ok(all) => {
            for m in all {
                if types.is_none_or(|t| type_listed(t, &m.fstype)) {
                    println!("{}", m.line(verbose));
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("getvfsstat: {e}")),
    }
}

/// What the command line asks for.
struct Request {
    /// `-t`: the file system type (ffs unless given).
    fstype: String,
    /// `-t` as given, which also filters the listing.
    types: Option<String>,
    /// `MNT_*` flags from the options.
    flags: u64,
    /// `-d`: say what would be mounted, mount nothing.
    dry: bool,
    /// `-v`: list the new mount (or every mount, verbosely).
    verbose: bool,
    /// tmpfs's `-o` settings.
    tmpfs: Tmpfs,
    /// mount_nfs's `-o` settings.
    nfs: NfsOptions,
    /// The `-o` lists, read once the type is known.
    option_lists: Vec<String>,
    /// The operands: nothing, a name with `-u`, or special and node.
    operands: Vec<String>,
}

/// Read the options and operands; `Err` is the exit for a usage error.
fn parse_args(args: &[String]) -> Result<Request, ExitCode> {
    let mut r = Request {
        fstype: "ffs".to_string(),
        types: None,
        flags: 0,
        dry: false,
        verbose: false,
        tmpfs: Tmpfs::default(),
        nfs: NfsOptions::default(),
        option_lists: Vec::new(),
        operands: Vec::new(),
    };
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        let Some(opts) = a
            .strip_prefix('-')
            .filter(|o| !o.is_empty() && r.operands.is_empty())
        else {
            r.operands.push(a.clone());
            continue;
        };
        let mut chars = opts.chars();
        while let Some(c) = chars.next() {
            match c {
                'd' => r.dry = true,
                'f' => r.flags |= MNT_FORCE,
                'r' => r.flags |= MNT_RDONLY,
                'w' => r.flags &= !MNT_RDONLY,
                'u' => r.flags |= MNT_UPDATE,
                'v' => r.verbose = true,
                't' | 'o' => {
                    let inline: String = chars.by_ref().collect();
                    let v = if inline.is_empty() {
                        i += 1;
                        match args.get(i - 1) {
                            Some(v) => v.clone(),
                            None => {
                                eprintln!("{PROG}: option requires an argument -- {c}");
                                return Err(usage());
                            }
                        }
                    } else {
                        inline
                    };
                    if c == 't' {
                        if r.types.is_some() {
                            return Err(fail("Only one -t option may be specified."));
                        }
                        r.fstype = v.clone();
                        r.types = Some(v);
                    } else {
                        r.option_lists.push(v);
                    }
                }
                'A' | 'a' | 'F' | 'N' => {
                    return Err(fail(&format!(
                        "-{c}: there is no fstab in a rump kernel; name special and node"
                    )));
                }
                _ => {
                    eprintln!("{PROG}: unknown option -- {c}");
                    return Err(usage());
                }
            }
        }
    }
    let nfs = r.fstype == "nfs";
    for list in std::mem::take(&mut r.option_lists) {
        let n = nfs.then_some(&mut r.nfs);
        if let Err(m) = options(&list, &mut r.flags, &mut r.tmpfs, n) {
            return Err(fail(&m));
        }
    }
    Ok(r)
}

/// The special and node to mount, from the operands; `Err` is the exit
/// when there is nothing to mount (the listing, or an error).
fn special_and_node(c: &Client, r: &mut Request) -> Result<(Option<String>, String), ExitCode> {
    let (special, node) = match r.operands.as_slice() {
        [] => return Err(list(c, r.verbose, r.types.as_deref())),
        // One name: with -u, the mounted file system it names (there is no
        // fstab for the rest).
        [name] if r.types.is_none() => {
            let unknown = || fail(&format!("Unknown special file or file system `{name}'"));
            if r.flags & MNT_UPDATE == 0 {
                return Err(unknown());
            }
            let canonical = realpath(c, name).ok();
            let all = mounted(c).unwrap_or_default();
            let found = [canonical.as_deref(), Some(name.as_str())]
                .into_iter()
                .flatten()
                .find_map(|n| all.iter().find(|m| m.on == n || m.from == n));
            let Some(m) = found else {
                return Err(unknown());
            };
            r.fstype = m.fstype.clone();
            (Some(m.from.clone()), m.on.clone())
        }
        [special, node] => (Some(special.clone()), node.clone()),
        _ => return Err(usage()),
    };
    // As mount_ffs and mount_tmpfs do (pathadj): names made absolute in
    // the kernel, saying so when that changes them.
    let adjust = r.flags & MNT_UPDATE == 0;
    Ok(match r.fstype.as_str() {
        "ffs" if adjust => (special.map(|s| pathadj(c, &s)), pathadj(c, &node)),
        "tmpfs" | "nfs" if adjust => (special, pathadj(c, &node)),
        _ => (special, node),
    })
}

/// The type's own argument structure (`ufs_args`, `tmpfs_args`), its
/// strings placed in `m`; `Err` is the exit for a type or node we cannot
/// mount.
fn mount_data(
    c: &Client,
    r: &Request,
    special: Option<&str>,
    node: &str,
    m: &Regions,
) -> Result<Vec<u8>, ExitCode> {
    match r.fstype.as_str() {
        "ffs" => {
            let spec = match special {
                Some(s) => m.add(&cstr(s)),
                None => 0,
            };
            Ok(spec.to_ne_bytes().to_vec())
        }
        "tmpfs" => {
            use netbsd_abi::layout::tmpfs_args as ta;
            let t = &r.tmpfs;
            let mut a = vec![0u8; ta::SIZE];
            ta::ta_version.put(&mut a, netbsd_abi::TMPFS_ARGS_VERSION as u64);
            ta::ta_nodes_max.put(&mut a, t.nodes);
            ta::ta_size_max.put(&mut a, t.size);
            // mount_tmpfs: what is not given comes from the mount point.
            let (mode, uid, gid) = match owner_of(c, node) {
                Ok(st) => st,
                Err(e) => return Err(fail(&format!("cannot stat `{node}': {e}"))),
            };
            ta::ta_root_uid.put(&mut a, t.uid.unwrap_or(uid).into());
            ta::ta_root_gid.put(&mut a, t.gid.unwrap_or(gid).into());
            ta::ta_root_mode.put(&mut a, t.mode.unwrap_or(mode).into());
            Ok(a)
        }
        "nfs" => {
            let spec = special.unwrap_or_default();
            let (nfsd, fh) = nfs::locate(spec, &r.nfs).map_err(|e| fail(&e))?;
            Ok(nfs::mount_args(spec, nfsd, &fh, &r.nfs, m))
        }
        other => Err(fail(&format!(
            "{other}: file system type not supported by this rump.mount"
        ))),
    }
}

/// Why a mount failed, in the words mount_ffs and mount_tmpfs use.
fn mount_failure(r: &Request, e: Errno, special: Option<&str>, node: &str) -> String {
    let cause = match e {
        _ if r.fstype == "tmpfs" || r.fstype == "nfs" => e.to_string(),
        Errno::EMFILE => "mount table full".to_string(),
        Errno::EINVAL if r.flags & MNT_UPDATE != 0 => {
            "specified device does not match mounted device".to_string()
        }
        Errno::EINVAL => "incorrect super block".to_string(),
        _ => e.to_string(),
    };
    let what = match r.fstype.as_str() {
        "tmpfs" => "tmpfs",
        _ => special.unwrap_or(node),
    };
    format!("{what} on {node}: {cause}")
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut r = match parse_args(&args) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::FAILURE;
    };
    let (special, node) = match special_and_node(&c, &mut r) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let m = Regions::new();
    let data = match mount_data(&c, &r, special.as_deref(), &node, &m) {
        Ok(data) => data,
        Err(code) => return code,
    };
    if r.dry {
        println!(
            "mount -t {} {} {node} (flags {:#x})",
            r.fstype,
            special.as_deref().unwrap_or("-"),
            r.flags
        );
        return ExitCode::SUCCESS;
    }
    let args = [
        m.add(&cstr(&r.fstype)),
        m.add(&cstr(&node)),
        r.flags,
        m.add(&data),
        data.len() as u64,
    ];
    if let Err(e) = c.syscall(netbsd_abi::SYS___mount50, &args, &m) {
        return fail(&mount_failure(&r, e, special.as_deref(), &node));
    }
    if r.verbose
        && let Ok(all) = mounted(&c)
    {
        for mnt in all.iter().filter(|x| x.on == node) {
            println!("{}", mnt.line(r.verbose));
        }
    }
    ExitCode::SUCCESS
}
