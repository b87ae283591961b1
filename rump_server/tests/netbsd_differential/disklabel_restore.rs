use crate::*;

/// A label for a 1 MiB vnd (32 sectors, 64 tracks, one cylinder) in the
/// form disklabel prints, with `PARTS` for its partition lines.
fn proto(head: &str, parts: &str) -> String {
    format!(
        "type: vnd\ndisk: vnd\nlabel: restored\nflags:\n{head}sectors/track: 32\n\
         tracks/cylinder: 64\nsectors/cylinder: 2048\ncylinders: 1\ntotal sectors: 2048\n\
         rpm: 3600\ninterleave: 1\ntrackskew: 0\ncylinderskew: 0\n\
         headswitch: 0\t\t# microseconds\ntrack-to-track seek: 0\t# microseconds\n\
         drivedata: 0 \n\n{parts}"
    )
}

const SECSIZE: &str = "bytes/sector: 512\n";
const FIVE: &str = "5 partitions:\n#        size    offset     fstype [fsize bsize cpg/sgs]\n \
     a:      1024         0     4.2BSD   1024  8192    16\n \
     d:      2048         0     unused      0     0\n \
     e:      1024      1024     4.2BSD   2048 16384    16\n";

/// The protofiles: (name, text).
fn protofiles() -> Vec<(&'static str, String)> {
    vec![
        ("changed", proto(SECSIZE, FIVE)),
        // Partition a grown over e: an overlap is a warning only.
        (
            "overlap",
            proto(SECSIZE, &FIVE.replace("1024         0", "1536         0")),
        ),
        (
            "past",
            proto(SECSIZE, &FIVE.replace("1024      1024", "1025      1024")),
        ),
        ("secsize", proto("bytes/sector: 100\n", FIVE)),
        ("unknown", proto(&format!("{SECSIZE}colour: blue\n"), FIVE)),
        ("nocolon", proto(&format!("{SECSIZE}just words\n"), FIVE)),
        (
            "count",
            proto(SECSIZE, &FIVE.replace("5 partitions", "17 partitions")),
        ),
        (
            "letter",
            proto(SECSIZE, &format!("{FIVE} z: 1 0 unused 0 0\n")),
        ),
        (
            "short",
            proto(SECSIZE, &FIVE.replace("unused      0     0", "unused")),
        ),
        (
            "chs",
            proto(SECSIZE, &FIVE.replace("1024      1024", "0/32/0 0/32/0")),
        ),
        (
            "badchs",
            proto(SECSIZE, &FIVE.replace("1024      1024", "0/x/0 1024")),
        ),
        (
            "fstype",
            proto(SECSIZE, &FIVE.replace("4.2BSD   2048", "wobbly   2048")),
        ),
        (
            "notype",
            proto(
                SECSIZE,
                &FIVE.replace(
                    "     e:      1024      1024     4.2BSD   2048 16384    16",
                    " e: 1024 1024",
                ),
            ),
        ),
        ("blank", "\n".to_owned()),
    ]
}

/// The disklabel -R group: NetBSD's disklabel restores labels from
/// protofiles (in the kernel's namespace, as rumpctrl's tools open files)
/// on a vnd over a file: a changed table reads back, through the kernel
/// and from the medium after the unit is configured again; each kind of
/// bad protofile is refused with disklabel's message and leaves the label
/// as it was; `-N`/`-W` and `-R -r`.
const DISKLABEL_RESTORE_STEPS: &[Step] = &[
    ("vnconfig", &["vnd0", "/img"]),
    ("disklabel", &["vnd0"]),
    ("disklabel", &["-R", "vnd0", "/pchanged"]),
    ("disklabel", &["vnd0"]),
    ("disklabel", &["/dev/rvnd0e"]),
    ("disklabel", &["-R", "vnd0", "/poverlap"]),
    ("disklabel", &["vnd0"]),
    ("disklabel", &["-R", "vnd0", "/pchanged"]),
    ("disklabel", &["-R", "vnd0", "/ppast"]),
    ("disklabel", &["-R", "vnd0", "/psecsize"]),
    ("disklabel", &["-R", "vnd0", "/punknown"]),
    ("disklabel", &["-R", "vnd0", "/pnocolon"]),
    ("disklabel", &["-R", "vnd0", "/pcount"]),
    ("disklabel", &["-R", "vnd0", "/pletter"]),
    ("disklabel", &["-R", "vnd0", "/pshort"]),
    ("disklabel", &["-R", "vnd0", "/pbadchs"]),
    ("disklabel", &["-R", "vnd0", "/pnotype"]),
    ("disklabel", &["-R", "vnd0", "/pblank"]),
    ("disklabel", &["-R", "vnd0", "/nosuch"]),
    ("disklabel", &["-R", "vnd0"]),
    ("disklabel", &["vnd0"]),
    ("disklabel", &["-R", "vnd0", "/pfstype"]),
    ("disklabel", &["vnd0"]),
    ("disklabel", &["-R", "vnd0", "/pchs"]),
    ("disklabel", &["vnd0"]),
    ("disklabel", &["-N", "vnd0"]),
    ("disklabel", &["-W", "vnd0"]),
    ("disklabel", &["-R", "-r", "vnd0", "/pchanged"]),
    ("vnconfig", &["-u", "vnd0"]),
    ("vnconfig", &["vnd0", "/img"]),
    ("disklabel", &["vnd0"]),
    ("vnconfig", &["-u", "vnd0"]),
];

/// Every step behaves as on NetBSD's kernel.
const DISKLABEL_RESTORE_NOT_YET: &[NotYet] = &[];

#[test]
fn disklabel_restore() {
    let dir = tempdir("disklabel-proto");
    let mut args = vec![
        "-d".to_owned(),
        "key=/img,hostpath=img,size=1048576,type=reg".to_owned(),
    ];
    for (name, text) in protofiles() {
        let f = dir.join(name);
        std::fs::write(&f, text).unwrap();
        args.push("-d".to_owned());
        args.push(format!(
            "key=/p{name},hostpath={},size=host,type=reg",
            f.display()
        ));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    differential(
        "disklabel_restore",
        &args,
        DISKLABEL_RESTORE_STEPS,
        DISKLABEL_RESTORE_NOT_YET,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
