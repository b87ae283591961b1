use crate::*;

/// The sysctl group: names, types, flags and values of the `kern`, `hw`,
/// `vfs.sync`, `proc.curproc` and `security` nodes as NetBSD's rump
/// kernel has them, writes and their errors, descriptions (NetBSD's rump
/// kernels have none), `-n` and `-q`. Values that change with time
/// (`kern.hardclock_ticks`, `kern.urandom`, `kern.arandom`) are read with
/// `-q`, which checks that they exist and are readable.
const SYSCTL_STEPS: &[Step] = &[
    ("sysctl", &["kern.clockrate"]),
    ("sysctl", &["-n", "kern.clockrate"]),
    ("sysctl", &["-w", "kern.clockrate=1"]),
    ("sysctl", &["kern.domainname"]),
    ("sysctl", &["-w", "kern.domainname=example.org"]),
    ("sysctl", &["kern.domainname"]),
    ("sysctl", &["kern.rawpartition", "hw.alignbytes"]),
    ("sysctl", &["-w", "kern.rawpartition=2"]),
    (
        "sysctl",
        &["-q", "kern.hardclock_ticks", "kern.urandom", "kern.arandom"],
    ),
    ("sysctl", &["kern.version"]),
    ("sysctl", &["kern.boottime"]),
    ("sysctl", &["-w", "kern.ostype=Linux"]),
    ("sysctl", &["-w", "kern.hostname=a.b", "kern.domainname=b"]),
    ("sysctl", &["-w", "hw.ncpu=3"]),
    ("sysctl", &["-w", "kern.hostname"]),
    ("sysctl", &["-w", "kern.nosuch=1"]),
    ("sysctl", &["-q", "-w", "kern.nosuch=1"]),
    (
        "sysctl",
        &["hw.model", "hw.machine", "hw.machine_arch", "hw.byteorder"],
    ),
    ("sysctl", &["hw.physmem", "hw.physmem64", "hw.pagesize"]),
    ("sysctl", &["hw"]),
    ("sysctl", &["hw.usermem64"]),
    ("sysctl", &["security"]),
    ("sysctl", &["-n", "security.models.suser.name"]),
    ("sysctl", &["-w", "security.models.suser.name=x"]),
    (
        "sysctl",
        &["-d", "kern.ostype", "kern.clockrate", "hw.model"],
    ),
    (
        "sysctl",
        &[
            "-d",
            "vfs.sync.delay",
            "proc.curproc.rlimit.descriptors.soft",
        ],
    ),
    ("sysctl", &["proc.curproc.rlimit"]),
    ("sysctl", &["proc.curproc.rlimit.descriptors.soft"]),
    ("sysctl", &["-n", "proc.curproc.rlimit.descriptors.hard"]),
    ("sysctl", &["-w", "proc.curproc.rlimit.descriptors.soft=64"]),
    (
        "sysctl",
        &["-w", "proc.curproc.rlimit.descriptors.soft=100000"],
    ),
    (
        "sysctl",
        &["-w", "proc.curproc.rlimit.descriptors.hard=100"],
    ),
    (
        "sysctl",
        &["-w", "proc.curproc.rlimit.stacksize.soft=unlimited"],
    ),
    (
        "sysctl",
        &["-w", "proc.curproc.rlimit.cputime.soft=unlimited"],
    ),
    ("sysctl", &["-w", "proc.curproc.rlimit.maxproc.soft=x"]),
    ("sysctl", &["proc.curproc.rlimit.descriptors.nosuch"]),
    ("sysctl", &["-n", "vfs.sync.delay"]),
    ("sysctl", &["-w", "vfs.sync.delay=5"]),
    ("sysctl", &["vfs.sync.delay"]),
    ("sysctl", &["kern.ostype.x"]),
    (
        "sysctl",
        &["-q", "kern.uidinfo.proccnt", "kern.uidinfo.lwpcnt"],
    ),
    ("sysctl", &["-w", "kern.uidinfo.proccnt=3"]),
    ("sysctl", &["vm.bufmem"]),
    ("sysctl", &["-w", "vm.bufmem=1"]),
];

/// Steps of [`SYSCTL_STEPS`] that do not behave as on NetBSD's kernel yet.
const SYSCTL_NOT_YET: &[NotYet] = &[(
    "sysctl hw",
    "we build no firmload (hw.firmware), swsensor or swwdog",
)];

#[test]
fn sysctl() {
    differential("sysctl", &[], SYSCTL_STEPS, SYSCTL_NOT_YET);
}
