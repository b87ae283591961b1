use crate::*;

/// ktrace(1) of the rumpctrl set: setting, clearing and the errors of
/// ktrace(2) (by pid, by process group, with descendants), on a kernel
/// whose processes start in group and session 0. The records themselves
/// are compared by `ktrace_records_are_netbsds`.
const KTRACE_STEPS: &[Step] = &[
    ("ktrace", &["-p", "1", "-f", "/tmp/kt"]),
    ("ls", &["/tmp"]),
    ("ktrace", &["-c", "-p", "1"]),
    ("ktrace", &["-C"]),
    ("ktrace", &["-p", "99999", "-f", "/tmp/kt"]),
    ("ktrace", &["-g", "0", "-f", "/tmp/kt"]),
    ("ktrace", &["-g", "77", "-f", "/tmp/kt"]),
    ("ktrace", &["-f", "/tmp", "-p", "1"]),
    ("ktrace", &["-f", "/tmp/", "-p", "1"]),
    ("ktrace", &["-f", "/nonexist/x", "-p", "1"]),
    ("ktrace", &["-t", "x", "-p", "1"]),
    ("ktrace", &["-d", "-p", "0", "-f", "/tmp/kt"]),
    ("ktrace", &["-t", "cn", "-p", "1", "-f", "/tmp/kt"]),
    ("ktrace", &["-c", "-f", "/tmp/kt"]),
    ("ktrace", &["-C", "-f", "/tmp/kt"]),
    ("ktrace", &["-a", "-f", "/tmp/kt", "-p", "1"]),
    ("ktrace", &["-C"]),
];

/// Every ktrace step behaves as on NetBSD's kernel.
const KTRACE_NOT_YET: &[NotYet] = &[];

#[test]
fn ktrace_behaves_as_on_netbsds_kernel() {
    differential("ktrace", &[], KTRACE_STEPS, KTRACE_NOT_YET);
}

/// The records of a ktrace file, with what must differ between two runs
/// taken out: the time, pid and lwp id of each header, the bytes of the
/// command name after its NUL (NetBSD copies `p_comm` whole, stale bytes
/// and all), and arguments that are addresses in the traced program.
fn ktrace_records(b: &[u8]) -> Vec<String> {
    const HEADER: usize = 56;
    let mut out = Vec::new();
    let mut at = 0;
    while at + HEADER <= b.len() {
        let h = &b[at..at + HEADER];
        let len = i32::from_le_bytes(h[0..4].try_into().unwrap()) as usize;
        let ty = i16::from_le_bytes(h[4..6].try_into().unwrap());
        let version = i16::from_le_bytes(h[6..8].try_into().unwrap());
        let comm = h[12..29].split(|&c| c == 0).next().unwrap();
        let Some(payload) = b.get(at + HEADER..at + HEADER + len) else {
            out.push(format!("truncated record at {at}"));
            break;
        };
        let shown = if i32::from(ty) == netbsd_abi::RUMP_KTR_SYSCALL {
            let words: Vec<String> = payload[8.min(len)..]
                .chunks(8)
                .map(|c| {
                    let v = u64::from_le_bytes(c.try_into().unwrap_or_default());
                    if v >= 0x10_0000 {
                        "addr".into()
                    } else {
                        format!("{v:#x}")
                    }
                })
                .collect();
            format!("{:?} {}", &payload[..8.min(len)], words.join(","))
        } else {
            format!("{payload:?}")
        };
        out.push(format!(
            "type {ty} v{version} len {len} comm {} {shown}",
            String::from_utf8_lossy(comm)
        ));
        at += HEADER + len;
    }
    out
}

/// `line` with `<time>` for a time `dumpfs` prints (`time\tSun Dec  6
/// 20:47:58 2026`, the superblock's and each group's) and `<id>` for the
/// file system id (`id\t[ 6b15c9fe 552263a1 ]`, a time and a random
/// number `newfs` picks). Nothing else `dumpfs` prints may differ.
pub(crate) fn normalize_ffs_stamps(line: &str) -> String {
    let mut out = line.to_owned();
    if let Some(at) = out.find("\ttime\t") {
        let rest = &out[at + "\ttime\t".len()..];
        // A ctime(3) date: weekday, month, day, hh:mm:ss, year.
        let words: Vec<&str> = rest.split_whitespace().collect();
        if words.len() == 5 && words[3].split(':').count() == 3 {
            out = format!("{}\ttime\t<time>", &out[..at]);
        }
    }
    if let Some(at) = out.find("\tid\t[ ")
        && out.ends_with(" ]")
    {
        out = format!("{}\tid\t[ <id> ]", &out[..at]);
    }
    out
}

/// A trace taken by NetBSD's ktrace tool, of NetBSD's mkdir, sysctl,
/// chmod, ln, rm and rmdir, holds the same records on our kernel as on
/// NetBSD's. (Not of a directory listing: NetBSD's rumpfs lists no `.`
/// and `..` entries, which is the VFS's business, not ktrace's.)
#[test]
fn ktrace_records_are_netbsds() {
    let Some(peer) = peer_or_skip("ktrace records") else {
        return;
    };
    let (theirs, ours) = start_pair(&peer, &[]);
    let tools = peer.join("rumpctrl/bin");
    // Each into a file of its own: ktrace(2) writes from the start of the
    // file it opens, whatever the tool's -a says.
    let traced: &[(&str, &[&str])] = &[
        ("/tmp/k1", &["mkdir", "/tmp/d"]),
        ("/tmp/k2", &["sysctl", "kern.ostype"]),
        ("/tmp/k3", &["chmod", "700", "/tmp/d"]),
        ("/tmp/k4", &["ln", "-s", "/tmp/d", "/tmp/l"]),
        ("/tmp/k5", &["rm", "/tmp/l"]),
        ("/tmp/k6", &["rmdir", "/tmp/d"]),
    ];
    let trace = |side: &Side| {
        let mut records = Vec::new();
        for (file, command) in traced {
            // The tool execs the traced program: by its full path.
            let prog = tools.join(command[0]).to_string_lossy().into_owned();
            let mut args = vec!["-f", file, &prog];
            args.extend_from_slice(&command[1..]);
            let o = side.run(&peer, "ktrace", &args);
            assert!(o.status.success(), "{}: ktrace {args:?}: {o:?}", side.name);
            records.push(format!("{command:?}"));
            records.extend(ktrace_records(&side.run(&peer, "cat", &[file]).stdout));
        }
        records
    };
    let (want, got) = (trace(&theirs), trace(&ours));
    assert!(want.len() > 20, "NetBSD's trace: {want:#?}");
    assert_eq!(want, got);
}
