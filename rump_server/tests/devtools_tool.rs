//! Issue #18, the device tools: `rump.vnconfig`, `rump.disklabel` and
//! `rump.rndctl` against a server of ours. Without the peer, what each
//! prints is checked against the formats of NetBSD's vnconfig.c,
//! printlabel.c and rndctl.c; with `NETBSD_PEER`, each command line also
//! runs through NetBSD's own tool on the same kernel, and exit status,
//! stdout and stderr must agree once the program name that starts a line
//! is the same (a command that changes the kernel is undone by NetBSD's
//! vnconfig after each of the two runs, so that both see one state).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A command line: our tool, NetBSD's, the arguments, and NetBSD's
/// vnconfig arguments that undo it (none for one that changes nothing).
type Line = (
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<&'static [&'static str]>,
);

const UNCONFIGURE: Option<&[&str]> = Some(&["-u", "vnd0"]);

/// Compared with NetBSD's tools: vnd0 is configured over /img (by
/// NetBSD's vnconfig) between the `-u` lines and the label lines.
const LINES: &[Line] = &[
    ("rump.vnconfig", "vnconfig", &["-l"], None),
    ("rump.vnconfig", "vnconfig", &["-l", "vnd0"], None),
    ("rump.vnconfig", "vnconfig", &["-l", "-m", "6"], None),
    ("rump.vnconfig", "vnconfig", &["-l", "-m", "x"], None),
    (
        "rump.vnconfig",
        "vnconfig",
        &["-v", "vnd0", "/img"],
        UNCONFIGURE,
    ),
    (
        "rump.vnconfig",
        "vnconfig",
        &["-v", "vnd0", "/img", "512/32/64/1"],
        UNCONFIGURE,
    ),
    (
        "rump.vnconfig",
        "vnconfig",
        &["-rv", "vnd0", "/img"],
        UNCONFIGURE,
    ),
    (
        "rump.vnconfig",
        "vnconfig",
        &["vnd0", "/img", "1/2/3"],
        None,
    ),
    ("rump.vnconfig", "vnconfig", &["vnd0", "/nosuch"], None),
    ("rump.vnconfig", "vnconfig", &["vnd1", "/img"], None),
    ("rump.vnconfig", "vnconfig", &["-z", "vnd0", "/img"], None),
    ("rump.vnconfig", "vnconfig", &["-u", "vnd0"], None),
    ("rump.vnconfig", "vnconfig", &["-u", "-v", "vnd0"], None),
    ("rump.vnconfig", "vnconfig", &["-q"], None),
    ("rump.vnconfig", "vnconfig", &[], None),
    ("rump.disklabel", "disklabel", &["/dev/rxd"], None),
    ("rump.disklabel", "disklabel", &["/dev/xd"], None),
    ("rump.disklabel", "disklabel", &["-C", "/dev/rxd"], None),
    ("rump.disklabel", "disklabel", &["nosuch"], None),
    ("rump.disklabel", "disklabel", &["/dev/null"], None),
    ("rump.disklabel", "disklabel", &[], None),
    ("rump.disklabel", "disklabel", &["-q", "x"], None),
    ("rump.rndctl", "rndctl", &["-l"], None),
    ("rump.rndctl", "rndctl", &["-lv"], None),
    ("rump.rndctl", "rndctl", &["-s"], None),
    ("rump.rndctl", "rndctl", &["-l", "-s"], None),
    ("rump.rndctl", "rndctl", &["-l", "-t", "vm"], None),
    ("rump.rndctl", "rndctl", &["-l", "-t", "nosuch"], None),
    ("rump.rndctl", "rndctl", &["-l", "-d", "nosuch"], None),
    ("rump.rndctl", "rndctl", &["-E", "-t", "skew"], None),
    ("rump.rndctl", "rndctl", &["-l", "-t", "skew"], None),
    ("rump.rndctl", "rndctl", &["-e", "-t", "skew"], None),
    ("rump.rndctl", "rndctl", &["-c", "-l"], None),
    ("rump.rndctl", "rndctl", &["-q"], None),
    ("rump.rndctl", "rndctl", &[], None),
];

/// Compared while vnd0 is configured over /img.
const CONFIGURED: &[Line] = &[
    ("rump.vnconfig", "vnconfig", &["-l"], None),
    ("rump.vnconfig", "vnconfig", &["-l", "vnd0", "vnd1"], None),
    ("rump.vnconfig", "vnconfig", &["vnd0", "/img"], None),
    ("rump.disklabel", "disklabel", &["vnd0"], None),
    ("rump.disklabel", "disklabel", &["-C", "vnd0"], None),
    ("rump.disklabel", "disklabel", &["/dev/vnd0a"], None),
    ("rump.disklabel", "disklabel", &["rvnd0a"], None),
];

/// The drives: a disk image as a block and a character device, and a
/// regular file for vnd.
fn drives(dir: &Path) -> Vec<String> {
    let d = dir.display();
    [
        format!("key=/dev/xd,hostpath={d}/xd.img,size=1048576,type=blk"),
        format!("key=/dev/rxd,hostpath={d}/xd.img,size=1048576,type=chr"),
        format!("key=/img,hostpath={d}/reg.img,size=1048576,type=reg"),
    ]
    .into_iter()
    .flat_map(|s| ["-d".to_owned(), s])
    .collect()
}

/// The text of `bytes` with `prog` at the start of a line made generic.
fn normalize(bytes: &[u8], prog: &str) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| {
            let l = l.replace(&format!("usage: {prog} "), "usage: <tool> ");
            let l = l.replace(&format!("or {prog} "), "or <tool> ");
            let l = l.replace(&format!("\t{prog} "), "\t<tool> ");
            let l = l.replace(&format!("       {prog} "), "       <tool> ");
            match l.strip_prefix(prog) {
                Some(rest) => format!("<tool>{rest}"),
                None => l,
            }
        })
        .map(|l| {
            // vnconfig's usage names the program "vnconfig" in both.
            l.replace("usage: vnconfig", "usage: <tool>")
                .replace("       vnconfig -", "       <tool> -")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The name a NetBSD tool calls itself: its path, or its last part.
fn netbsd_prog(path: &Path, o: &Output) -> String {
    let full = path.to_string_lossy().into_owned();
    let text = String::from_utf8_lossy(&o.stderr);
    if text.contains(&full) {
        full
    } else {
        path.file_name().unwrap().to_string_lossy().into_owned()
    }
}

struct Server {
    child: std::process::Child,
    dir: PathBuf,
    url: String,
}

impl Server {
    fn start(tag: &str) -> Server {
        let dir = tempdir(tag);
        let url = format!("unix://{}/s", dir.display());
        let args = drives(&dir);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (child, _client) = serve("rump_allserver", &args, &url);
        Server { child, dir, url }
    }

    fn ours(&self, tool: &str, args: &[&str]) -> Output {
        client_program(&bin(tool), &self.dir, &self.url, args)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn vnconfig_configures_lists_and_unconfigures() {
    let s = Server::start("devtools-vnd");
    let o = s.ours("rump.vnconfig", &["-l"]);
    assert_eq!(
        stdout(&o),
        "vnd0: not in use\nvnd1: not in use\nvnd2: not in use\nvnd3: not in use\n"
    );
    let o = s.ours("rump.vnconfig", &["-v", "vnd0", "/img", "512/32/64/1"]);
    assert_eq!(
        (o.status.code(), stdout(&o).as_str()),
        (
            Some(0),
            "/dev/rvnd0d: 1048576 bytes on /img using geometry 512/32/64/1\n"
        ),
        "{}",
        stderr(&o)
    );
    let o = s.ours("rump.vnconfig", &["vnd0", "/img"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "rump.vnconfig: /dev/rvnd0d: VNDIOCSET: Device busy\n"
    );
    let o = s.ours("rump.vnconfig", &["-l", "vnd0"]);
    let line = stdout(&o);
    assert!(
        line.starts_with("vnd0: dev ") && line.contains(" inode "),
        "{line}"
    );
    let o = s.ours("rump.vnconfig", &["-u", "-v", "vnd0"]);
    assert_eq!(stdout(&o), "/dev/rvnd0d: cleared\n");
    let o = s.ours("rump.vnconfig", &["-u", "vnd0"]);
    assert_eq!(
        (o.status.code(), stderr(&o).as_str()),
        (
            Some(1),
            "rump.vnconfig: /dev/rvnd0d: VNDIOCCLR: Device not configured\n"
        )
    );
    let o = s.ours("rump.vnconfig", &["vnd0", "/img", "1/2/3"]);
    assert_eq!(stderr(&o), "rump.vnconfig: invalid geometry: 1\n");
    let o = s.ours("rump.vnconfig", &["-t", "floppy", "vnd0", "/img"]);
    assert!(stderr(&o).contains("not supported yet"), "{}", stderr(&o));
}

#[test]
fn disklabel_prints_the_kernels_label() {
    let s = Server::start("devtools-label");
    let o = s.ours("rump.vnconfig", &["vnd0", "/img"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = s.ours("rump.disklabel", &["vnd0"]);
    // vnd's fictitious label has no boot or superblock size: NetBSD's
    // checklabel counts two errors, and the exit status is 102.
    assert_eq!(o.status.code(), Some(102));
    assert_eq!(
        stderr(&o),
        "rump.disklabel: boot block size 0\nrump.disklabel: super block size 0\n"
    );
    let want = "# /dev/rvnd0d:\ntype: vnd\ndisk: vnd\nlabel: fictitious\nflags:\n\
                bytes/sector: 512\nsectors/track: 32\ntracks/cylinder: 64\n\
                sectors/cylinder: 2048\ncylinders: 1\ntotal sectors: 2048\nrpm: 3600\n\
                interleave: 1\ntrackskew: 0\ncylinderskew: 0\n\
                headswitch: 0\t\t# microseconds\ntrack-to-track seek: 0\t# microseconds\n\
                drivedata: 0 \n\n4 partitions:\n\
                #        size    offset     fstype [fsize bsize cpg/sgs]\n \
                a:      2048         0     4.2BSD      0     0     0  # (Cyl.      0 -      0)\n \
                d:      2048         0     unused      0     0        # (Cyl.      0 -      0)\n";
    assert_eq!(stdout(&o), want);
    let o = s.ours("rump.disklabel", &["-C", "vnd0"]);
    assert!(stdout(&o).contains(" a:     1/0/0     0/0/0     4.2BSD"));
    let o = s.ours("rump.disklabel", &["nosuch"]);
    assert_eq!(
        (o.status.code(), stderr(&o).as_str()),
        (
            Some(4),
            "rump.disklabel: nosuchd: No such file or directory\n"
        )
    );
    let o = s.ours("rump.disklabel", &["-e", "vnd0"]);
    assert!(stderr(&o).contains("not supported yet"), "{}", stderr(&o));
}

#[test]
fn rndctl_lists_sources_and_pool_and_switches_estimation() {
    let s = Server::start("devtools-rnd");
    let o = s.ours("rump.rndctl", &["-l"]);
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("Source                 Bits Type      Flags")
    );
    let sources: Vec<&str> = lines.collect();
    assert!(!sources.is_empty());
    for l in &sources {
        // "%-16s %10u %-4s %s"
        assert_eq!(l.as_bytes()[16], b' ', "{l}");
        assert!(l[17..27].trim().parse::<u32>().is_ok(), "{l}");
    }
    let skew = sources
        .iter()
        .find(|l| l[28..].starts_with("skew"))
        .map(|l| l[..16].trim().to_owned());
    let o = s.ours("rump.rndctl", &["-s"]);
    assert!(
        stdout(&o).contains(" bits currently stored in pool (max "),
        "{}",
        stdout(&o)
    );
    if let Some(name) = skew {
        let o = s.ours("rump.rndctl", &["-E", "-d", &name]);
        assert!(o.status.success(), "{}", stderr(&o));
        let o = s.ours("rump.rndctl", &["-l", "-d", &name]);
        let l = stdout(&o);
        assert!(!l.contains("estimate"), "{l}");
        s.ours("rump.rndctl", &["-e", "-d", &name]);
        let o = s.ours("rump.rndctl", &["-l", "-d", &name]);
        assert!(stdout(&o).contains("estimate"));
    }
    let o = s.ours("rump.rndctl", &["-l", "-t", "nosuch"]);
    assert_eq!(
        (o.status.code(), stderr(&o).as_str()),
        (Some(1), "rump.rndctl: device name nosuch unknown\n")
    );
    let o = s.ours("rump.rndctl", &["-S", "/seed"]);
    assert!(stderr(&o).contains("not supported yet"));
}

#[test]
fn our_device_tools_answer_as_netbsds() {
    let Some(peer) = std::env::var_os("NETBSD_PEER").map(PathBuf::from) else {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"devtools_tool: skipped: NETBSD_PEER is not set (see issue #16)\n",
        );
        return;
    };
    let netbsd = |tool: &str| peer.join("rumpctrl/bin").join(tool);
    let s = Server::start("devtools-peer");
    let undo = |args: &[&str]| {
        client_program(&netbsd("vnconfig"), &s.dir, &s.url, args);
    };
    let mut differ = Vec::new();
    let mut compare = |lines: &[Line]| {
        for (ours, theirs, args, back) in lines {
            let path = netbsd(theirs);
            let a = client_program(&bin(ours), &s.dir, &s.url, args);
            if let Some(b) = back {
                undo(b);
            }
            let b = client_program(&path, &s.dir, &s.url, args);
            if let Some(b) = back {
                undo(b);
            }
            let prog = netbsd_prog(&path, &b);
            let seen = |o: &Output, prog: &str| {
                (
                    o.status.code(),
                    normalize(&o.stdout, prog),
                    normalize(&o.stderr, prog),
                )
            };
            let got = seen(&a, ours);
            let want = seen(&b, &prog);
            // rndctl's counts grow between two reads.
            let counts = |t: &(Option<i32>, String, String)| {
                (
                    t.0,
                    t.1.lines()
                        .map(|l| {
                            l.split_whitespace()
                                .filter(|w| {
                                    !w.chars().all(|c| c.is_ascii_digit()) || *ours != "rump.rndctl"
                                })
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .collect::<Vec<_>>(),
                    t.2.clone(),
                )
            };
            if counts(&got) != counts(&want) {
                differ.push(format!(
                    "{ours} {}\n  netbsd: {want:?}\n  ours:   {got:?}",
                    args.join(" ")
                ));
            }
        }
    };
    compare(LINES);
    undo(&["vnd0", "/img"]);
    compare(CONFIGURED);
    undo(&["-u", "vnd0"]);
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// `DRVLISTDEV` of `name` through a remote client: the children's names.
fn drvctl_list(c: &rumpclient::Client, fd: u64, name: &str) -> Vec<String> {
    use rumpdev::drvctl::{DEVLISTARGS_SIZE, DRVLISTDEV, devlistargs};
    let m = rumpclient::Regions::new();
    let names = m.add_zeroed(16 * 8);
    let mut arg = vec![0u8; DEVLISTARGS_SIZE];
    arg[..name.len()].copy_from_slice(name.as_bytes());
    devlistargs::L_CHILDNAME.put(&mut arg, names);
    devlistargs::L_CHILDREN.put(&mut arg, 8);
    let a = m.add(&arg);
    c.syscall(netbsd_abi::SYS_ioctl, &[fd, DRVLISTDEV, a], &m)
        .unwrap();
    let n = devlistargs::L_CHILDREN.get(&m.get(a)).unwrap() as usize;
    let all = m.get(names);
    (0..n.min(8))
        .map(|i| {
            let slot = &all[i * 16..i * 16 + 16];
            let end = slot.iter().position(|&b| b == 0).unwrap();
            String::from_utf8(slot[..end].to_vec()).unwrap()
        })
        .collect()
}

#[test]
fn drvctl_loaded_at_run_time_lists_the_device_tree() {
    let dir = tempdir("devtools-drvctl");
    let url = format!("unix://{}/s", dir.display());
    let (mut server, c) = serve(
        "rump_server",
        &[
            "-lrumpvfs",
            "-lrumpfs_tmpfs",
            "-lrumpdev",
            "-lrumpdev_drvctl",
            "-lrumpdev_vnd",
        ],
        &url,
    );
    let m = rumpclient::Regions::new();
    let path = m.add(b"/dev/drvctl\0");
    let fd = c
        .syscall(
            netbsd_abi::SYS_open,
            &[path, netbsd_abi::O_RDWR as u64, 0],
            &m,
        )
        .unwrap()[0] as u64;
    assert_eq!(drvctl_list(&c, fd, ""), ["mainbus0"]);
    // vnd0 is a device while a tool has it open.
    let raw = m.add(b"/dev/rvnd0d\0");
    let v = c
        .syscall(
            netbsd_abi::SYS_open,
            &[raw, netbsd_abi::O_RDONLY as u64, 0],
            &m,
        )
        .unwrap()[0] as u64;
    assert_eq!(drvctl_list(&c, fd, ""), ["mainbus0", "vnd0"]);
    c.syscall(netbsd_abi::SYS_close, &[v], &m).unwrap();
    assert_eq!(drvctl_list(&c, fd, ""), ["mainbus0"]);
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
