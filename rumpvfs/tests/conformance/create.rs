//! Cases on many files in one directory and on odd names.

use super::*;

/// 1200 files in one directory are each listed exactly once by getdents,
/// with distinct inode numbers, and can all be removed (NetBSD
/// `create_many`, PR kern/50607).
pub(crate) fn create_many(fx: &Fx) {
    let k = &fx.k;
    const N: usize = 1200;
    k.sys_mkdir(&fx.p("subdir"), 0o777).unwrap();
    fx.enter();
    k.sys_chdir("subdir").unwrap();
    for i in 0..N {
        let fd = k
            .sys_open(&format!("testfile{i}"), O_RDWR | O_CREAT | O_EXCL, 0o666)
            .unwrap_or_else(|e| panic!("create testfile{i}: {e:?}"));
        k.sys_close(fd).unwrap();
    }
    let ents = list(k, ".");
    assert_eq!(ents.len(), N + dots(fx));
    let inos: BTreeSet<u64> = ents
        .iter()
        .filter(|(n, _)| n.as_slice() != b"." && n.as_slice() != b"..")
        .map(|(_, (ino, _))| *ino)
        .collect();
    assert_eq!(inos.len(), N, "every file has its own inode number");
    for i in 0..N {
        let name = format!("testfile{i}");
        let (ino, typ) = ents[name.as_bytes()];
        assert_eq!(typ, DT_REG, "{name}");
        assert_eq!(k.sys_stat(&name).unwrap().ino, ino, "{name}");
    }
    for i in (0..N).step_by(2) {
        k.sys_unlink(&format!("testfile{i}")).unwrap();
    }
    assert_eq!(list(k, ".").len(), N / 2 + dots(fx));
    for i in (1..N).step_by(2) {
        k.sys_unlink(&format!("testfile{i}")).unwrap();
    }
    assert!(names(k, ".").is_empty());
    k.sys_chdir("..").unwrap();
    k.sys_rmdir("subdir").unwrap();
}

/// Every one-character name but "/" (as UTF-8) can be created, listed and
/// removed (NetBSD `create_nonalphanum`).
pub(crate) fn create_nonalphanum(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let mut made = BTreeSet::new();
    for c in (1u32..256).filter_map(char::from_u32) {
        if c == '/' || c == '.' {
            continue;
        }
        let name = c.to_string();
        let fd = k
            .sys_open(&name, O_RDWR | O_CREAT | O_EXCL, 0o666)
            .unwrap_or_else(|e| panic!("create {name:?}: {e:?}"));
        k.sys_close(fd).unwrap();
        made.insert(name.into_bytes());
    }
    let listed: BTreeSet<Vec<u8>> = names(k, ".").into_iter().collect();
    assert_eq!(listed, made);
    for name in &made {
        k.sys_unlink(std::str::from_utf8(name).unwrap()).unwrap();
    }
    assert!(names(k, ".").is_empty());
}

/// O_CREAT|O_EXCL on an existing name gives EEXIST; plain O_CREAT opens it
/// (NetBSD `create_exist`).
pub(crate) fn create_exist(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let name = "hoge";
    let fd = k.sys_open(name, O_RDWR | O_CREAT | O_EXCL, 0o666).unwrap();
    k.sys_close(fd).unwrap();
    k.sys_unlink(name).unwrap();
    let fd = k.sys_open(name, O_RDWR | O_CREAT, 0o666).unwrap();
    k.sys_close(fd).unwrap();
    let fd = k.sys_open(name, O_RDWR | O_CREAT, 0o666).unwrap();
    k.sys_close(fd).unwrap();
    assert_errno!(
        k.sys_open(name, O_RDWR | O_CREAT | O_EXCL, 0o666),
        Errno::EEXIST
    );
    k.sys_mkdir("dir", 0o755).unwrap();
    assert_errno!(
        k.sys_open("dir", O_RDWR | O_CREAT | O_EXCL, 0o666),
        Errno::EEXIST
    );
    k.sys_unlink(name).unwrap();
}

/// Creating a file with a 256-byte name gives ENAMETOOLONG (NetBSD
/// `create_nametoolong`).
pub(crate) fn create_nametoolong(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    assert_errno!(
        k.sys_open(&"a".repeat(256), O_RDWR | O_CREAT, 0o666),
        Errno::ENAMETOOLONG
    );
    assert!(names(k, ".").is_empty());
}

/// Names are bytes: 255-byte names (ASCII and multi-byte UTF-8), spaces,
/// newlines, tabs, leading dashes and dots all round-trip through create,
/// getdents, read, rename and unlink; NAME_MAX counts bytes, not characters.
pub(crate) fn long_and_odd_names(fx: &Fx) {
    let k = &fx.k;
    let utf8_255 = format!("{}x", "é".repeat(127));
    assert_eq!(utf8_255.len(), 255);
    let odd: Vec<String> = vec![
        "a".repeat(255),
        utf8_255,
        "with space".into(),
        " leading space".into(),
        "trailing space ".into(),
        "new\nline".into(),
        "\n".into(),
        "tab\there".into(),
        "-dash".into(),
        "...".into(),
        "..a".into(),
        ".hidden".into(),
        "日本語のファイル名".into(),
        "emoji \u{1F600}".into(),
        "back\\slash".into(),
        "quote\"'`".into(),
        "#%&*?[]{}<>|;:~$!".into(),
        "\u{7f}del".into(),
    ];
    for name in &odd {
        put(k, &fx.p(name), name.as_bytes());
    }
    let listed: BTreeSet<Vec<u8>> = names(k, &fx.mp).into_iter().collect();
    let expect: BTreeSet<Vec<u8>> = odd.iter().map(|n| n.as_bytes().to_vec()).collect();
    assert_eq!(listed, expect);
    for name in &odd {
        assert_eq!(get(k, &fx.p(name)), name.as_bytes(), "{name:?}");
        let renamed = format!("{}~", name.chars().take(100).collect::<String>());
        if !renames_and_links(fx) {
            k.sys_unlink(&fx.p(name)).unwrap();
            continue;
        }
        k.sys_rename(&fx.p(name), &fx.p(&renamed)).unwrap();
        assert_eq!(get(k, &fx.p(&renamed)), name.as_bytes(), "{renamed:?}");
        k.sys_unlink(&fx.p(&renamed)).unwrap();
    }
    assert!(names(k, &fx.mp).is_empty());
    let utf8_256 = "é".repeat(128);
    assert_errno!(
        k.sys_open(&fx.p(&utf8_256), O_RDWR | O_CREAT, 0o644),
        Errno::ENAMETOOLONG
    );
}
