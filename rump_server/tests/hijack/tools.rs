//! Unmodified programs on a kernel directory, compared with the same on a
//! host directory: coreutils, a shell, tar, python, git and rsync.

use super::*;

#[test]
fn coreutils_work_as_on_the_host() {
    let r = Rig::start("hj-core");
    r.same(&["mkdir", "-p", "/rump/a/b"]);
    r.same(&["cp", "/etc/services", "/rump/a/"]);
    assert_eq!(
        r.same(&["cat", "/rump/a/services"]),
        std::fs::read_to_string("/etc/services").unwrap()
    );
    r.same(&["mv", "/rump/a/services", "/rump/a/b/svc"]);
    r.same(&["ln", "-s", "b/svc", "/rump/a/sym"]);
    r.same(&["ln", "/rump/a/b/svc", "/rump/a/hard"]);
    r.same(&["readlink", "/rump/a/sym"]);
    r.same(&[
        "stat",
        "-c",
        "%n %s %F %h %a %u %g",
        "/rump/a/b/svc",
        "/rump/a/sym",
        "/rump/a/hard",
    ]);
    r.same(&["stat", "-L", "-c", "%n %s %F", "/rump/a/sym"]);
    let (x, y) = r.both(&["ls", "-la", "/rump/a"]);
    assert_eq!(ls_shape(&x), ls_shape(&y));
    let (x, y) = r.both(&["ls", "-laR", "/rump"]);
    assert_eq!(ls_shape(&x), ls_shape(&y));
    r.same(&[
        "dd",
        "if=/dev/zero",
        "of=/rump/z",
        "bs=64k",
        "count=100",
        "status=none",
    ]);
    r.same(&["stat", "-c", "%s", "/rump/z"]);
    r.same(&["cmp", "/rump/z", "/rump/z"]);
    // Directory order is the file system's own: compare sorted.
    let (x, y) = r.both(&["find", "/rump"]);
    let sorted = |s: &str| {
        let mut v: Vec<String> = s.lines().map(String::from).collect();
        v.sort();
        v
    };
    let f = sorted(&x);
    assert_eq!(f, sorted(&y));
    assert!(f.contains(&"/rump/a/b/svc".to_string()), "{f:?}");
    // Directory sizes are each file system's own; file sizes must agree.
    r.same(&["du", "--apparent-size", "-b", "/rump/a/b/svc", "/rump/z"]);
    let (x, y) = r.both(&["du", "-s", "/rump/a"]);
    assert!(
        x.ends_with("\t/rump/a\n") && y.ends_with("\t/rump/a\n"),
        "{x} {y}"
    );
    r.same(&["rm", "-r", "/rump/a"]);
    r.same(&["ls", "/rump"]);
}

#[test]
fn shell_cd_and_redirect_into_the_kernel() {
    let r = Rig::start("hj-sh");
    r.same(&["mkdir", "/rump/a"]);
    let (x, y) = r.both(&[
        "sh",
        "-c",
        "cd /rump/a && echo hi > f && cat f && pwd && ls",
    ]);
    assert_eq!(x, y);
    assert_eq!(x, "hi\n/rump/a\nf\n");
    // Append, and standard error into the kernel too.
    r.same(&[
        "sh",
        "-c",
        "cd /rump/a && echo more >> f && ls /nonexistent 2> err; cat f; wc -l < err",
    ]);
}

#[test]
fn tar_pipe_copies_a_tree_exactly() {
    let r = Rig::start("hj-tar");
    let src = "/usr/share/doc";
    r.same(&["mkdir", "/rump/docs"]);
    let o = r.rump_env(
        &[
            "sh",
            "-c",
            &format!("tar -cf - -C {src} . | tar -xf - -C /rump/docs"),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // diff under the hijack reads both trees; symbolic links are compared
    // as links (an absolute one points elsewhere in each namespace).
    let d = r.rump(&["diff", "-r", "--no-dereference", src, "/rump/docs"]);
    assert!(d.status.success(), "diff: {}{}", stdout(&d), stderr(&d));
    let sums = |root: &str| {
        let o = r.rump(&[
            "sh",
            "-c",
            &format!("cd {root} && find . -type f | sort | xargs -d '\\n' md5sum"),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    assert_eq!(sums("/rump/docs"), sums(src));
}

#[test]
fn python_sees_the_same_tree() {
    let r = Rig::start("hj-py");
    r.same(&["mkdir", "-p", "/rump/p/q"]);
    r.same(&["cp", "/etc/hostname", "/rump/p/q/h"]);
    let prog = "import os,sys\n\
        r=sys.argv[1]\n\
        print(sorted(os.listdir(r+'/p')))\n\
        s=os.stat(r+'/p/q/h'); print(s.st_size, oct(s.st_mode))\n\
        open(r+'/p/new','w').write('written by python\\n')\n\
        print(open(r+'/p/new').read(), end='')\n\
        print(sorted((os.path.relpath(d,r),sorted(ds),sorted(fs)) for d,ds,fs in os.walk(r+'/p')))\n";
    r.same(&["/usr/bin/python3", "-c", prog, "/rump"]);
}

#[test]
fn host_files_and_kernel_files_in_one_program() {
    let r = Rig::start("hj-mixed");
    // cat reads a host file and its output goes into the kernel.
    let o = r.rump(&[
        "sh",
        "-c",
        "cat /etc/services > /rump/copy && cmp /etc/services /rump/copy && cat /rump/copy | wc -c",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        std::fs::metadata("/etc/services")
            .unwrap()
            .len()
            .to_string()
    );
    // The host sees nothing of it.
    assert!(!Path::new("/rump/copy").exists());
}

/// `git` maps its index, packs and objects and makes its temporary files
/// with mkstemp; the commits it makes in the kernel are the ones it makes
/// on the host, hash for hash.
#[test]
fn git_commits_in_a_kernel_directory() {
    let r = Rig::start("hj-git");
    let home = r.dir.join("home");
    std::fs::create_dir(&home).unwrap();
    let script = "git init -q -b main /rump/repo && cd /rump/repo && \
         cp /etc/services services && echo one > a && mkdir d && echo two > d/b && \
         git add . && git commit -q -m first && \
         echo more >> a && git rm -q d/b && git commit -q -am second && \
         git log --format='%H %s' && git fsck --full && git gc -q && git fsck --full && \
         git count-objects -v | grep -E '^(count|in-pack|packs):' && \
         git cat-file -p HEAD:a && git status --porcelain && git diff HEAD~1 --stat";
    let env = [
        ("HOME", home.to_str().unwrap()),
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_AUTHOR_NAME", "Rump Test"),
        ("GIT_AUTHOR_EMAIL", "rump@example.org"),
        ("GIT_COMMITTER_NAME", "Rump Test"),
        ("GIT_COMMITTER_EMAIL", "rump@example.org"),
        ("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z"),
        ("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z"),
        ("PATH", "/usr/bin:/bin"),
    ];
    let o = r.rump_env(&["sh", "-c", script], &env);
    assert!(
        o.status.success(),
        "git under the hijack: {}{}",
        stdout(&o),
        stderr(&o)
    );
    let hp = r.host.to_string_lossy().into_owned();
    let mut h = Command::new("sh");
    h.args(["-c", &script.replace("/rump", &hp)])
        .current_dir(&r.dir);
    for (k, v) in env {
        h.env(k, v);
    }
    let h = h.output().unwrap();
    assert!(h.status.success(), "git on the host: {}", stderr(&h));
    assert_eq!(stdout(&o), stdout(&h));
    let out = stdout(&o);
    assert!(
        out.contains(" second\n") && out.contains("packs: 1\n"),
        "{out}"
    );
}

#[test]
fn rsync_copies_a_tree_into_the_kernel() {
    let r = Rig::start("hj-rsync");
    // A modest tree: the first 150 packages' documentation.
    let src = r.dir.join("doc");
    std::fs::create_dir(&src).unwrap();
    let mut docs: Vec<PathBuf> = std::fs::read_dir("/usr/share/doc")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    docs.sort();
    let o = Command::new("cp")
        .arg("-a")
        .args(docs.iter().take(150))
        .arg(&src)
        .output()
        .unwrap();
    assert!(o.status.success(), "cp: {}", stderr(&o));
    let o = r.rump(&["rsync", "-a", "doc/", "/rump/rs/"]);
    assert!(o.status.success(), "rsync: {}", stderr(&o));
    let d = r.rump(&["diff", "-r", "--no-dereference", "doc", "/rump/rs"]);
    assert!(d.status.success(), "diff: {}{}", stdout(&d), stderr(&d));
    // A second run updates changed files from their old copies (rsync's
    // delta transfer opens the old file with openat2, which the kernel
    // lacks: rsync falls back to openat) and deletes what went away.
    let mine = r.dir.join("mine");
    std::fs::create_dir(&mine).unwrap();
    let text: String = (0..2000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(mine.join("a"), &text).unwrap();
    std::fs::write(mine.join("b"), "b\n").unwrap();
    let run = || {
        let o = r.rump(&[
            "rsync",
            "-a",
            "--delete",
            "--no-whole-file",
            "mine/",
            "/rump/mine/",
        ]);
        assert!(o.status.success(), "rsync: {}", stderr(&o));
        let d = r.rump(&["diff", "-r", "mine", "/rump/mine"]);
        assert!(d.status.success(), "diff: {}{}", stdout(&d), stderr(&d));
    };
    run();
    std::fs::write(mine.join("a"), text.replace("line 1000\n", "changed\n")).unwrap();
    std::fs::remove_file(mine.join("b")).unwrap();
    std::fs::write(mine.join("c"), "c\n").unwrap();
    run();
    let o = r.rump(&["ls", "-a", "/rump/mine"]);
    assert_eq!(stdout(&o), ".\n..\na\nc\n");
}
