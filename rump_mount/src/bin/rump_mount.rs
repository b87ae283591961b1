//! `rump.mount`: NetBSD's `mount(8)` against the rump kernel named by
//! `RUMP_SERVER`.
//!
//! - `rump.mount [-v]` lists what is mounted, as NetBSD's `mount` does.
//! - `rump.mount [-dfruw] [-t type] [-o options] special node` mounts.
//!
//! Types: `ffs` (the default; `special` is a block device such as a
//! `rump_server -d` key) and `tmpfs` (`special` is ignored). Options:
//! `ro`/`rdonly`, `rw`, `update`, `force`, and for tmpfs `size=N[kmg]`,
//! `nodes=N`, `mode=OCTAL`, `uid=N`, `gid=N` (mount_tmpfs's -s, -n, -m,
//! -u, -g).

#![forbid(unsafe_code)]

use rump_mount::{MNT_FORCE, MNT_RDONLY, MNT_UPDATE, cstr, mounted};
use rumpclient::{Client, Regions};
use std::process::ExitCode;

const PROG: &str = "rump.mount";
const USAGE: &str =
    "usage: rump.mount [-dfruvw] [-t type] [-o options] special node\n       rump.mount [-v]";

fn fail(msg: &str) -> ExitCode {
    eprintln!("{PROG}: {msg}");
    ExitCode::FAILURE
}

#[derive(Default)]
struct Tmpfs {
    size: u64,
    nodes: u64,
    mode: Option<u32>,
    uid: u32,
    gid: u32,
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

/// Apply `-o` options to the flags and the tmpfs arguments.
fn options(list: &str, flags: &mut u64, t: &mut Tmpfs) -> Result<(), String> {
    for o in list.split(',').filter(|o| !o.is_empty()) {
        let (k, v) = o.split_once('=').unwrap_or((o, ""));
        let num = || {
            v.parse::<u64>()
                .map_err(|_| format!("-o {o}: not a number"))
        };
        match k {
            "ro" | "rdonly" => *flags |= MNT_RDONLY,
            "rw" => *flags &= !MNT_RDONLY,
            "update" => *flags |= MNT_UPDATE,
            "force" => *flags |= MNT_FORCE,
            "size" => t.size = size(v).ok_or(format!("-o {o}: not a size"))?,
            "nodes" => t.nodes = num()?,
            "uid" => t.uid = num()? as u32,
            "gid" => t.gid = num()? as u32,
            "mode" => {
                t.mode = Some(
                    u32::from_str_radix(v, 8).map_err(|_| format!("-o {o}: not an octal mode"))?,
                )
            }
            _ => return Err(format!("-o {o}: unknown option")),
        }
    }
    Ok(())
}

fn list(c: &Client) -> ExitCode {
    match mounted(c) {
        Ok(all) => {
            for m in all {
                println!("{}", m.line());
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("getvfsstat: {e}")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut fstype, mut flags, mut dry, mut verbose) = ("ffs".to_string(), 0u64, false, false);
    let mut t = Tmpfs::default();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        let Some(opts) = a
            .strip_prefix('-')
            .filter(|o| !o.is_empty() && rest.is_empty())
        else {
            rest.push(a.clone());
            continue;
        };
        let mut chars = opts.chars();
        while let Some(c) = chars.next() {
            match c {
                'd' => dry = true,
                'f' => flags |= MNT_FORCE,
                'r' => flags |= MNT_RDONLY,
                'w' => flags &= !MNT_RDONLY,
                'u' => flags |= MNT_UPDATE,
                'v' => verbose = true,
                't' | 'o' => {
                    let inline: String = chars.by_ref().collect();
                    let v = if inline.is_empty() {
                        i += 1;
                        match args.get(i - 1) {
                            Some(v) => v.clone(),
                            None => return fail(USAGE),
                        }
                    } else {
                        inline
                    };
                    if c == 't' {
                        fstype = v;
                    } else if let Err(m) = options(&v, &mut flags, &mut t) {
                        return fail(&m);
                    }
                }
                'A' | 'a' | 'F' | 'N' => {
                    return fail(&format!(
                        "-{c}: there is no fstab in a rump kernel; name special and node"
                    ));
                }
                _ => return fail(USAGE),
            }
        }
    }
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::FAILURE;
    };
    let (special, node) = match rest.as_slice() {
        [] => return list(&c),
        [node] if flags & MNT_UPDATE != 0 => (None, node.clone()),
        [special, node] => (Some(special.clone()), node.clone()),
        _ => return fail(USAGE),
    };
    let m = Regions::new();
    let data = match fstype.as_str() {
        "ffs" => {
            let spec = match &special {
                Some(s) => m.add(&cstr(s)),
                None => 0,
            };
            spec.to_ne_bytes().to_vec()
        }
        "tmpfs" => {
            use netbsd_abi::layout::tmpfs_args as ta;
            let mut a = vec![0u8; ta::SIZE];
            ta::ta_version.put(&mut a, netbsd_abi::TMPFS_ARGS_VERSION as u64);
            ta::ta_nodes_max.put(&mut a, t.nodes);
            ta::ta_size_max.put(&mut a, t.size);
            ta::ta_root_uid.put(&mut a, t.uid.into());
            ta::ta_root_gid.put(&mut a, t.gid.into());
            ta::ta_root_mode.put(&mut a, t.mode.unwrap_or(0o1777).into());
            a
        }
        other => {
            return fail(&format!(
                "{other}: file system type not supported by this rump.mount"
            ));
        }
    };
    if dry {
        println!(
            "mount -t {fstype} {} {node} (flags {flags:#x})",
            special.as_deref().unwrap_or("-")
        );
        return ExitCode::SUCCESS;
    }
    let args = [
        m.add(&cstr(&fstype)),
        m.add(&cstr(&node)),
        flags,
        m.add(&data),
        data.len() as u64,
    ];
    if let Err(e) = c.syscall(netbsd_abi::SYS___mount50, &args, &m) {
        let what = special.as_deref().unwrap_or(&node);
        return fail(&format!("{what} on {node}: {e}"));
    }
    if verbose && let Ok(all) = mounted(&c) {
        for mnt in all.iter().filter(|x| x.on == node) {
            println!("{}", mnt.line());
        }
    }
    ExitCode::SUCCESS
}
