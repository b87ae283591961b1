use crate::*;
use std::io::Write;
use std::process::Stdio;

#[path = "../../../rumpfs_nfs/tests/ganesha/mod.rs"]
mod ganesha;

/// NFS through NetBSD's own `mount_nfs` (issue #21): each side's server
/// runs in a network namespace of its own with an nfs-ganesha that exports
/// a directory of the side's (the same tree on both), reached through a
/// `virt0` on a host tap device. The export's host path is `<dir>/...`,
/// the side's own directory, so that what the tools print compares.
const NFS_STEPS: &[Step] = &[
    ("mkdir", &["/mnt"]),
    ("mount_nfs", &["-T", SPEC, "/mnt"]),
    ("mount", &[]),
    ("ls", &["-l", "/mnt"]),
    ("ls", &["-l", "/mnt/sub"]),
    ("cat", &["/mnt/hello.txt"]),
    ("cat", &["/mnt/sub/deep.txt"]),
    ("cat", &["/mnt/nosuch"]),
    ("mkdir", &["/mnt/new"]),
    ("mkdir", &["/mnt/new"]),
    ("cp", &["/mnt/hello.txt", "/mnt/new/copy"]),
    ("cat", &["/mnt/new/copy"]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/mnt/new/zeros",
            "bs=64k",
            "count=16",
            DD_COUNTS,
        ],
    ),
    (
        "dd",
        &["if=/mnt/new/zeros", "of=/dev/null", "bs=8k", DD_COUNTS],
    ),
    ("ln", &["-s", "hello.txt", "/mnt/link"]),
    ("ln", &["/mnt/hello.txt", "/mnt/hard"]),
    ("ls", &["-F", "/mnt"]),
    ("cat", &["/mnt/link"]),
    ("mv", &["/mnt/new/copy", "/mnt/moved"]),
    ("ls", &["/mnt", "/mnt/new"]),
    ("rmdir", &["/mnt/new"]),
    ("chmod", &["600", "/mnt/hello.txt"]),
    ("ls", &["-l", "/mnt/hello.txt"]),
    (
        "rm",
        &["/mnt/new/zeros", "/mnt/moved", "/mnt/link", "/mnt/hard"],
    ),
    ("rmdir", &["/mnt/new"]),
    ("ls", &["-F", "/mnt"]),
    ("umount", &["/mnt"]),
    ("ls", &["/mnt"]),
    ("mount_nfs", &["-T", "-o", "ro", SPEC, "/mnt"]),
    ("mkdir", &["/mnt/ro"]),
    ("cat", &["/mnt/hello.txt"]),
    ("umount", &["/mnt"]),
    (
        "mount_nfs",
        &["-T", "-R", "1", "10.93.0.1:/nonexistent", "/mnt"],
    ),
    ("mount_nfs", &["-T", "-2", "-R", "1", SPEC, "/mnt"]),
    ("mount_nfs", &["-R", "1", SPEC, "/mnt"]),
    ("ls", &["-F", "/mnt/sub"]),
    // Small transfers only: NetBSD's kernel hangs writing 32 KiB over UDP
    // through its virt(4) here (fragments), so only ours would be tested.
    ("cat", &["/mnt/sub/deep.txt"]),
    ("cp", &["/mnt/hello.txt", "/mnt/udp"]),
    ("cat", &["/mnt/udp"]),
    ("rm", &["/mnt/udp"]),
    ("umount", &["-f", "/mnt"]),
];

/// The export as `mount_nfs` names it.
const SPEC: &str = "10.93.0.1:<dir>/ganesha-n/export";

const NFS_NOT_YET: &[NotYet] = &[];

/// The host's end of each side's tap: NetBSD's virt(4) on Linux opens
/// `tun<unit>`, ours the interface's own name.
const THEIR_TAP: &str = "tun0";
const OUR_TAP: &str = "virt0";

/// What the tools look up in the kernel's own `/etc` before they mount:
/// `getaddrinfo(3)` the service `nfs`, the RPC library its transports.
const SERVICES: &str = "nfs\t\t2049/tcp\nnfs\t\t2049/udp\nsunrpc\t\t111/tcp\nsunrpc\t\t111/udp\n";
const NETCONFIG: &str = "udp\ttpi_clts\tv\tinet\tudp\t-\t-\n\
                         tcp\ttpi_cots_ord\tv\tinet\ttcp\t-\t-\n";

/// One side: its server inside the namespace of its own ganesha.
struct NfsSide {
    // The NFS server goes first: its pid files are in the side's
    // directory, which the side removes when it goes.
    server: ganesha::Ganesha,
    side: Side,
}

impl NfsSide {
    fn start(name: &'static str, tag: &str, server: &Path, env: &[(&str, String)]) -> Option<Self> {
        // Directories of the same length on both sides, so that a name
        // mount_nfs cuts at MNAMELEN is cut at the same place.
        let dir = tempdir(tag);
        let nfs = ganesha::Ganesha::start(&dir, "n")?;
        let export = nfs.export();
        std::fs::write(export.join("hello.txt"), "hello over NFS\n").unwrap();
        std::fs::create_dir(export.join("sub")).unwrap();
        std::fs::write(export.join("sub/deep.txt"), "deeper\n").unwrap();
        for p in ["hello.txt", "sub/deep.txt", "sub", ""] {
            let st = Command::new("touch")
                .args(["-h", "-d", "2024-03-01 12:00:00"])
                .arg(export.join(p))
                .status()
                .unwrap();
            assert!(st.success(), "touch {p}");
        }
        let side = Side::launch(name, dir, nfs.command(server), env, &[]);
        Some(NfsSide { server: nfs, side })
    }

    /// Bring the kernel's `virt0` and the host's end of it up, and give the
    /// kernel the files its tools read; none of this is compared.
    fn prepare(&self, peer: &Path, tap: &str) {
        let tool = |t: &str, args: &[&str]| {
            let o = self.side.run(peer, t, args);
            assert!(o.status.success(), "{} {t} {args:?}: {o:?}", self.side.name);
        };
        tool("ifconfig", &["virt0", "create"]);
        tool(
            "ifconfig",
            &[
                "virt0",
                "inet",
                "10.93.0.2",
                "netmask",
                "255.255.255.0",
                "up",
            ],
        );
        for args in [
            &["ip", "addr", "add", "10.93.0.1/24", "dev", tap][..],
            &["ip", "link", "set", tap, "up"],
        ] {
            let st = self
                .server
                .command(args[0])
                .args(&args[1..])
                .status()
                .unwrap();
            assert!(st.success(), "{args:?} for {}", self.side.name);
        }
        tool("mkdir", &["-p", "/etc"]);
        for (file, text) in [("/etc/services", SERVICES), ("/etc/netconfig", NETCONFIG)] {
            let mut dd = self
                .side
                .tool(peer, "dd", &[&format!("of={file}")])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            dd.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
            assert!(dd.wait().unwrap().success(), "dd {file}");
        }
        // The host answers once its end is up and neighbours are known.
        let t = Instant::now();
        while !self
            .side
            .run(peer, "ping", &["-c", "1", "-w", "1", "10.93.0.1"])
            .status
            .success()
        {
            assert!(
                t.elapsed() < Duration::from_secs(15),
                "{}: the host's end of the tap does not answer",
                self.side.name
            );
        }
    }
}

#[test]
fn nfs() {
    let Some(peer) = peer_or_skip("nfs") else {
        return;
    };
    let lib = peer.join("rump/lib").to_string_lossy().into_owned();
    let Some(theirs) = NfsSide::start(
        "netbsd",
        "nfsdiff-a",
        &peer.join("rump/bin/rump_allserver"),
        &[("LD_LIBRARY_PATH", lib)],
    ) else {
        return;
    };
    let Some(ours) = NfsSide::start("ours", "nfsdiff-b", &bin("rump_allserver"), &[]) else {
        return;
    };
    theirs.prepare(&peer, THEIR_TAP);
    ours.prepare(&peer, OUR_TAP);
    compare(
        "nfs",
        &peer,
        &theirs.side,
        &ours.side,
        NFS_STEPS,
        NFS_NOT_YET,
    );
}
