use crate::*;

/// `line` with `<bits>` where `rndctl` prints an entropy count: a source's
/// bits (`rndctl -l`: `%-16s %10u %-4s %s`), its estimator's samples
/// (`-v`) and the pool's statistics (`-s`). They grow with time and use
/// (NetBSD's callout source samples every tick, and the pool counts every
/// read), so two kernels never agree on them; names, types, flags and the
/// lines themselves must.
pub(crate) fn normalize_entropy_counts(line: &str) -> String {
    const TYPES: &[&str] = &[
        "???", "disk", "net", "tape", "tty", "rng", "skew", "env", "vm", "power",
    ];
    const FLAGS: &[&str] = &["estimate", "collect", "v", "t", "dv", "dt"];
    const POOL: &[&str] = &[
        "bits mixed into pool",
        "bits currently stored in pool",
        "bits of entropy discarded due to full pool",
        "hard-random bits generated",
        "pseudo-random bits generated",
    ];
    const ESTIMATES: &[&str] = &["Dt samples =", "Dt bits =", "Dv samples =", "Dv bits ="];
    let words: Vec<&str> = line.split_whitespace().collect();
    let is_count = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit());
    if words.len() >= 3
        && is_count(words[1])
        && TYPES.contains(&words[2])
        && words[3..]
            .iter()
            .all(|f| FLAGS.contains(&f.trim_end_matches(',')))
    {
        return format!("{} <bits> {} {}", words[0], words[2], words[3..].join(" "));
    }
    if let Some((n, rest)) = line.split_once(' ')
        && is_count(n)
        && POOL.iter().any(|p| rest.starts_with(p))
    {
        return format!("<bits> {rest}");
    }
    for e in ESTIMATES {
        if line.strip_prefix(e).is_some_and(|n| is_count(n.trim())) {
            return format!("{e} <bits>");
        }
    }
    line.to_owned()
}

/// The devices group's drives: a disk image seen as a block and a
/// character device (rumpblk), and a regular file, made by each server
/// in its own directory (`size=` in bytes, as NetBSD's takes it on Linux).
const DEVICE_DRIVES: &[&str] = &[
    "-d",
    "key=/dev/xd,hostpath=xd.img,size=1048576,type=blk",
    "-d",
    "key=/dev/rxd,hostpath=xd.img,size=1048576,type=chr",
    "-d",
    "key=/img,hostpath=reg.img,size=65536,type=reg",
];

/// `/dev` at boot, the null, zero and rnd drivers, `rndctl`, nodes made by
/// hand for a driver we build and one we do not, and etfs keys seen by
/// name (never in a listing).
const DEVICE_STEPS: &[Step] = &[
    ("ls", &["-ld", "/dev"]),
    (
        "ls",
        &[
            "-l",
            "/dev/null",
            "/dev/zero",
            "/dev/random",
            "/dev/urandom",
        ],
    ),
    (
        "ls",
        &[
            "-l",
            "/dev/null",
            "/dev/random",
            "/dev/urandom",
            "/dev/zero",
            "/dev/nosuch",
        ],
    ),
    (
        "dd",
        &["if=/dev/zero", "of=/tmp/z", "bs=1k", "count=4", DD_COUNTS],
    ),
    ("ls", &["-l", "/tmp/z"]),
    (
        "dd",
        &[
            "if=/dev/urandom",
            "of=/tmp/u",
            "bs=64k",
            "count=1",
            DD_COUNTS,
        ],
    ),
    ("ls", &["-l", "/tmp/u"]),
    (
        "dd",
        &["if=/dev/random", "of=/tmp/r", "bs=1k", "count=4", DD_COUNTS],
    ),
    ("ls", &["-l", "/tmp/r"]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/dev/null",
            "bs=64k",
            "count=16",
            DD_COUNTS,
        ],
    ),
    ("cat", &["/dev/null"]),
    ("cat", &["/dev/null", "/tmp/nosuch"]),
    ("rndctl", &["-l"]),
    ("rndctl", &["-s"]),
    ("rndctl", &["-l", "-v"]),
    ("rndctl", &["-l", "-d", "rump_hyperent"]),
    ("rndctl", &["-l", "-t", "skew"]),
    ("rndctl", &["-l", "-d", "nosuch"]),
    ("rndctl", &["-C", "-d", "callout"]),
    ("rndctl", &["-l", "-d", "callout"]),
    ("rndctl", &["-c", "-t", "skew"]),
    ("rndctl", &["-l", "-t", "skew"]),
    ("mknod", &["/dev/null", "c", "2", "2"]),
    ("mknod", &["/tmp/mynull", "c", "2", "2"]),
    ("ls", &["-l", "/tmp/mynull"]),
    ("dd", &["if=/tmp/mynull", "of=/tmp/empty", DD_COUNTS]),
    ("mknod", &["/tmp/nodrv", "c", "200", "0"]),
    ("ls", &["-l", "/tmp/nodrv"]),
    ("cat", &["/tmp/nodrv"]),
    ("mknod", &["/tmp/nodrvb", "b", "200", "0"]),
    ("cat", &["/tmp/nodrvb"]),
    ("ls", &["-l", "/dev/xd", "/dev/rxd", "/img"]),
    ("ls", &["-l", "dev/xd"]),
    ("ls", &["/dev/null", "/dev/xd"]),
    (
        "dd",
        &["if=/dev/rxd", "of=/dev/null", "bs=4k", "count=2", DD_COUNTS],
    ),
    ("dd", &["if=/img", "of=/tmp/img", "bs=4k", DD_COUNTS]),
];

/// Steps of [`DEVICE_STEPS`] that do not behave as on NetBSD's kernel yet.
const DEVICE_NOT_YET: &[NotYet] = &[];

#[test]
fn devices() {
    differential("devices", DEVICE_DRIVES, DEVICE_STEPS, DEVICE_NOT_YET);
}
