use crate::*;

/// `vnconfig -l`'s line for a unit in use names the backing file's file
/// system and inode (`vnd0: dev 171,1 inode 648079931123`): NetBSD's tmpfs
/// numbers its inodes from kernel addresses and its mounts by its own
/// count, so both differ by nature; the vnd test checks ours against
/// stat(2).
pub(crate) fn normalize_vnd_file(line: &str) -> String {
    let Some(rest) = line.strip_prefix("vnd") else {
        return line.to_owned();
    };
    let Some((unit, tail)) = rest.split_once(": dev ") else {
        return line.to_owned();
    };
    let Some((dev, ino)) = tail.split_once(" inode ") else {
        return line.to_owned();
    };
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b',');
    if numeric(unit) && numeric(dev) && numeric(ino) {
        format!("vnd{unit}: dev <fs> inode <ino>")
    } else {
        line.to_owned()
    }
}

/// A label for `disklabel -R`, in the form `disklabel` prints: `a` and `e`
/// as 4.2BSD partitions of a 16 MiB vnd, `d` the whole disk.
const VND_PROTO: &str = "type: vnd
disk: vnd
label: mylabel
flags:
bytes/sector: 512
sectors/track: 32
tracks/cylinder: 64
sectors/cylinder: 2048
cylinders: 16
total sectors: 32768
rpm: 3600
interleave: 1
trackskew: 0
cylinderskew: 0
headswitch: 0
track-to-track seek: 0
drivedata: 0

5 partitions:
#        size    offset     fstype [fsize bsize cpg/sgs]
 a:     16384        64     4.2BSD   1024  8192    16
 d:     32768         0     unused      0     0
 e:     16320     16448     4.2BSD   2048 16384    16
";

/// `dd` quietly: what vnd moves is checked by what the tools find after.
const DD_QUIET: &str = "msgfmt=quiet";

/// The vnd group: vnconfig (set, `-l`, `-u`, `-v`, `-r`, a geometry, its
/// errors), disklabel of a configured unit (the default label, `-R` from
/// a file, `-r`, `-W`), newfs, fsck_ffs and mount_ffs on `/dev/rvnd0a`
/// and `/dev/vnd0a` over an image in tmpfs, a partition of a label, the
/// raw device's bounds, and a second unit through nodes made by mknod
/// (minor 16 is vnd1a: amd64 has 16 partitions a unit).
const VND_STEPS: &[Step] = &[
    ("vnconfig", &["-l"]),
    ("disklabel", &["vnd0"]),
    ("mkdir", &["/img", "/mnt"]),
    ("mount_tmpfs", &["tmpfs", "/img"]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/img/a.img",
            "bs=1m",
            "count=16",
            DD_QUIET,
        ],
    ),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/img/small.img",
            "bs=1k",
            "count=100",
            DD_QUIET,
        ],
    ),
    ("vnconfig", &["-l"]),
    ("vnconfig", &["-v", "vnd0", "/img/a.img"]),
    ("vnconfig", &["-l"]),
    ("vnconfig", &["-l", "vnd0"]),
    ("vnconfig", &["-l", "vnd1"]),
    ("vnconfig", &["-v", "vnd0", "/img/a.img"]),
    ("disklabel", &["vnd0"]),
    ("disklabel", &["-r", "vnd0"]),
    ("disklabel", &["/dev/rvnd0a"]),
    ("newfs", &["/dev/rvnd0a"]),
    ("fsck_ffs", &["-n", "/dev/rvnd0a"]),
    ("mount_ffs", &["/dev/vnd0a", "/mnt"]),
    ("mount", &[]),
    ("vnconfig", &["-u", "vnd0"]),
    (
        "dd",
        &["if=/dev/zero", "of=/mnt/z", "bs=4k", "count=10", DD_QUIET],
    ),
    ("mkdir", &["/mnt/d"]),
    ("ls", &["-l", "/mnt"]),
    ("df", &["/mnt"]),
    ("umount", &["/mnt"]),
    ("fsck_ffs", &["-f", "-n", "/dev/rvnd0a"]),
    ("mount_ffs", &["-o", "rdonly", "/dev/vnd0a", "/mnt"]),
    ("ls", &["-l", "/mnt"]),
    ("umount", &["/mnt"]),
    ("vnconfig", &["-v", "-u", "vnd0"]),
    ("vnconfig", &["-u", "vnd0"]),
    ("vnconfig", &["-l"]),
    ("mount_ffs", &["/dev/vnd0a", "/mnt"]),
    ("vnconfig", &["vnd0", "/img/nosuch"]),
    ("vnconfig", &["vnd0", "/img"]),
    ("vnconfig", &["vnd0", "/img/a.img", "512/32/64/80"]),
    ("vnconfig", &["vnd0", "/img/a.img", "100/32/64/8"]),
    ("vnconfig", &["-z", "vnd0", "/img/a.img"]),
    ("vnconfig", &["vnd0", "/img/a.img", "512/32/64/8"]),
    ("disklabel", &["vnd0"]),
    ("vnconfig", &["-u", "vnd0"]),
    // Read-only: writes are refused, reads and a read-only mount work.
    ("vnconfig", &["-r", "vnd0", "/img/a.img"]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/dev/rvnd0d",
            "bs=512",
            "count=1",
            DD_QUIET,
        ],
    ),
    (
        "dd",
        &[
            "if=/dev/rvnd0d",
            "of=/dev/null",
            "bs=512",
            "count=1",
            DD_QUIET,
        ],
    ),
    ("newfs", &["/dev/rvnd0a"]),
    ("mount_ffs", &["-o", "rdonly", "/dev/vnd0a", "/mnt"]),
    ("ls", &["-l", "/mnt"]),
    ("umount", &["/mnt"]),
    ("vnconfig", &["-u", "vnd0"]),
    // A label from a file: partition e is a disk of its own.
    ("vnconfig", &["vnd0", "/img/a.img"]),
    ("disklabel", &["-R", "vnd0", "/proto"]),
    ("disklabel", &["vnd0"]),
    ("disklabel", &["/dev/rvnd0e"]),
    ("disklabel", &["-R", "-r", "vnd0", "/proto"]),
    ("newfs", &["/dev/rvnd0e"]),
    ("newfs", &["/dev/rvnd0b"]),
    ("fsck_ffs", &["-n", "/dev/rvnd0e"]),
    ("mount_ffs", &["/dev/vnd0e", "/mnt"]),
    ("mkdir", &["/mnt/x"]),
    ("ls", &["-l", "/mnt"]),
    ("umount", &["/mnt"]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/dev/rvnd0a",
            "bs=512",
            "count=2",
            DD_QUIET,
        ],
    ),
    ("disklabel", &["-W", "vnd0"]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/dev/rvnd0e",
            "bs=512",
            "seek=16319",
            "count=2",
            DD_QUIET,
        ],
    ),
    (
        "dd",
        &[
            "if=/dev/rvnd0e",
            "of=/dev/null",
            "bs=512",
            "skip=16320",
            "count=2",
            DD_QUIET,
        ],
    ),
    (
        "dd",
        &[
            "if=/dev/rvnd0e",
            "of=/dev/null",
            "bs=512",
            "skip=16321",
            "count=2",
            DD_QUIET,
        ],
    ),
    (
        "dd",
        &[
            "if=/dev/rvnd0e",
            "of=/dev/null",
            "bs=100",
            "count=1",
            DD_QUIET,
        ],
    ),
    ("fsck_ffs", &["-n", "/dev/rvnd0e"]),
    ("vnconfig", &["-u", "vnd0"]),
    // A second unit.
    ("mknod", &["/dev/rvnd1d", "c", "41", "19"]),
    ("mknod", &["/dev/vnd1a", "b", "14", "16"]),
    ("mknod", &["/dev/rvnd1a", "c", "41", "16"]),
    ("vnconfig", &["-v", "vnd1", "/img/small.img"]),
    ("disklabel", &["vnd1"]),
    ("vnconfig", &["vnd0", "/img/a.img"]),
    ("vnconfig", &["-l"]),
    ("newfs", &["/dev/rvnd1a"]),
    ("fsck_ffs", &["-f", "-n", "/dev/rvnd1a"]),
    ("mount_ffs", &["/dev/vnd1a", "/mnt"]),
    ("mount", &[]),
    ("umount", &["/mnt"]),
    ("vnconfig", &["-u", "vnd1"]),
    ("vnconfig", &["-u", "vnd0"]),
    ("vnconfig", &["-l", "vnd0", "vnd1"]),
];

/// Steps of [`VND_STEPS`] that do not behave as on NetBSD's kernel yet.
const VND_NOT_YET: &[NotYet] = &[];

#[test]
fn vnd() {
    let dir = tempdir("vnd-proto");
    let proto = dir.join("proto");
    std::fs::write(&proto, VND_PROTO).unwrap();
    let drive = format!("key=/proto,hostpath={},size=host,type=reg", proto.display());
    differential("vnd", &["-d", &drive], VND_STEPS, VND_NOT_YET);
    let _ = std::fs::remove_dir_all(&dir);
}
