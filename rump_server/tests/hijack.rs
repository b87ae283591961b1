//! `librumphijack.so` under unmodified Debian programs, against a real
//! `rump_server` with tmpfs: every result is compared with what the same
//! program gives on a host directory.

mod common;

use common::*;
use rumpclient::{Client, Regions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

/// A server with tmpfs mounted on its root, and a host directory to
/// compare with.
struct Rig {
    child: Child,
    url: String,
    /// The host directory that plays `/rump`'s part.
    host: PathBuf,
    dir: PathBuf,
}

impl Rig {
    fn start(tag: &str) -> Rig {
        let dir = tempdir(tag);
        let sock = dir.join("s");
        let url = format!("unix://{}", sock.display());
        let child = Command::new(bin("rump_server"))
            .args(["-s", "-lrumpvfs", "-lrumpfs_tmpfs", &url])
            .spawn()
            .unwrap();
        // The socket's name appears at bind, before the server listens.
        let mut client = None;
        eventually("the server to answer", || {
            client = Client::connect(&url).ok();
            client.is_some()
        });
        let c = client.unwrap();
        mount_tmpfs(&c, "/", 0, 0o755);
        let host = dir.join("host");
        std::fs::create_dir(&host).unwrap();
        Rig {
            child,
            url,
            host,
            dir,
        }
    }

    /// `args` run under the hijack.
    fn rump(&self, args: &[&str]) -> Output {
        self.rump_env(args, &[])
    }

    fn rump_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = Command::new(args[0]);
        c.args(&args[1..])
            .current_dir(&self.dir)
            .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
            .env("RUMP_SERVER", &self.url);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    /// The same command on the host, `/rump` being the host directory.
    fn host(&self, args: &[&str]) -> Output {
        let h = self.host.to_string_lossy().into_owned();
        let args: Vec<String> = args.iter().map(|a| a.replace("/rump", &h)).collect();
        Command::new(&args[0])
            .args(&args[1..])
            .current_dir(&self.dir)
            .output()
            .unwrap()
    }

    /// Run `args` both ways; both must succeed. Returns both stdouts, the
    /// host directory's name written as `/rump`.
    fn both(&self, args: &[&str]) -> (String, String) {
        let r = self.rump(args);
        let h = self.host(args);
        assert!(
            r.status.success(),
            "{args:?} under the hijack: {}",
            stderr(&r)
        );
        assert!(h.status.success(), "{args:?} on the host: {}", stderr(&h));
        let hp = self.host.to_string_lossy().into_owned();
        (stdout(&r), stdout(&h).replace(&hp, "/rump"))
    }

    /// Run `args` both ways and require the same output.
    fn same(&self, args: &[&str]) -> String {
        let (r, h) = self.both(args);
        assert_eq!(r, h, "{args:?}");
        r
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ls -la` lines without what legitimately differs between two file
/// systems: directory sizes, times, owners' names are kept (same user).
fn ls_shape(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| !l.starts_with("total"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 9 {
                return l.to_string();
            }
            let size = if f[0].starts_with('d') { "-" } else { f[4] };
            format!("{} {} {} {} {}", f[0], f[2], f[3], size, f[8..].join(" "))
        })
        .collect()
}

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

/// Python's `mmap` (and libc's calls through ctypes) on a kernel file,
/// run the same on a host directory: every line must agree with Linux's.
const MMAP_PROG: &str = r#"
import ctypes, errno, mmap, os, subprocess, sys
P = mmap.PAGESIZE
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mremap.restype = ctypes.c_void_p
libc.mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.msync.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
FAILED = ctypes.c_void_p(-1).value
def err(r):
    return 'ok' if r not in (-1, FAILED) else errno.errorcode[ctypes.get_errno()]
def fresh(path, a=0, n=4):
    with open(path, 'rb') as f:
        return f.read()[a:a + n]
path = sys.argv[1] + '/f'
open(path, 'wb').write(b''.join(bytes([65 + i]) * P for i in range(3)))
fd = os.open(path, os.O_RDWR)
# Two shared mappings of one file see each other's writes.
a = mmap.mmap(fd, 3 * P)
b = mmap.mmap(fd, P, offset=P)
b[0:4] = b'bbbb'
print('shared', a[P:P + 4])
# A private mapping starts from the file and keeps its writes to itself.
p = mmap.mmap(fd, 3 * P, flags=mmap.MAP_PRIVATE)
print('private', p[P:P + 4], p[0:2])
p[0:4] = b'pppp'
# Reads of the file see what the shared mappings hold.
print('pread', os.pread(fd, 4, P), os.pread(fd, 4, 0))
a[2 * P:2 * P + 4] = b'aaaa'
a.flush()
dd = ['dd', 'if=' + path, 'bs=1', 'skip=%d' % (2 * P), 'count=4', 'status=none']
print('other process', subprocess.run(dd, capture_output=True).stdout)
b.close(); p.close(); a.close()
print('after close', fresh(path), fresh(path, P), fresh(path, 2 * P))
# Growing a shared mapping (python: ftruncate, then mremap).
m = mmap.mmap(fd, 3 * P)
m.resize(4 * P)
m[3 * P:3 * P + 4] = b'gggg'
print('resized', len(m), m[3 * P - 1:3 * P + 4])
m.close()
print('size', os.fstat(fd).st_size, fresh(path, 3 * P))
# Partial munmap: the middle page goes, both ends stay and are written back.
x = libc.mmap(None, 3 * P, 3, mmap.MAP_SHARED, fd, 0)
print('middle', err(libc.munmap(x + P, P)))
ctypes.memmove(x, b'1111', 4)
ctypes.memmove(x + 2 * P, b'3333', 4)
print('ends', err(libc.munmap(x, P)), err(libc.munmap(x + 2 * P, P)))
print('written', fresh(path), fresh(path, 2 * P))
# MAP_FIXED over host memory; replacing it by host memory writes back.
y = libc.mmap(None, 3 * P, 3, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
z = libc.mmap(y + P, P, 3, mmap.MAP_SHARED | 0x10, fd, P)
print('fixed', z == y + P, ctypes.string_at(z, 4))
ctypes.memmove(z, b'FFFF', 4)
libc.mmap(y, 3 * P, 3, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | 0x10, -1, 0)
print('fixed replaced', fresh(path, P), ctypes.string_at(z, 4))
libc.munmap(y, 3 * P)
# mremap of a private mapping: the new pages hold the file's next bytes.
q = libc.mmap(None, P, 1, mmap.MAP_PRIVATE, fd, 0)
q2 = libc.mremap(q, P, 4 * P, 1, None)
print('mremap', err(q2), ctypes.string_at(q2, 4), ctypes.string_at(q2 + 3 * P, 4))
libc.munmap(q2, 4 * P)
# A child writes through a mapping and leaves without unmapping.
pid = os.fork()
if pid == 0:
    c = mmap.mmap(fd, P)
    c[0:4] = b'kid!'
    os._exit(0)
os.waitpid(pid, 0)
print('child exit', fresh(path))
prog = 'import mmap, os; m = mmap.mmap(os.open(%r, os.O_RDWR), 4096); m[4:8] = b"exit"' % path
subprocess.run([sys.executable, '-c', prog])
print('program exit', fresh(path, 0, 8))
# What cannot be mapped says so, as Linux says it.
ro = os.open(path, os.O_RDONLY)
wo = os.open(path, os.O_WRONLY)
ap = os.open(path, os.O_RDWR | os.O_APPEND)
d = os.open(sys.argv[1], os.O_RDONLY)
print('shared write of read-only', err(libc.mmap(None, P, 3, mmap.MAP_SHARED, ro, 0)))
print('write-only', err(libc.mmap(None, P, 1, mmap.MAP_PRIVATE, wo, 0)))
print('directory', err(libc.mmap(None, P, 1, mmap.MAP_PRIVATE, d, 0)))
print('unaligned', err(libc.mmap(None, P, 1, mmap.MAP_PRIVATE, fd, 1)))
print('no type', err(libc.mmap(None, P, 1, 0, fd, 0)))
print('MAP_SYNC', err(libc.mmap(None, P, 3, 0x03 | 0x80000, fd, 0)))
print('bad fd', err(libc.mmap(None, P, 1, mmap.MAP_PRIVATE, 600, 0)))
r = libc.mmap(None, P, 1, mmap.MAP_SHARED, ro, 0)
print('mprotect', err(libc.mprotect(r, P, 3)), err(libc.mprotect(r, P, 0)))
print('msync', err(libc.msync(r, P, 4)), err(libc.msync(r, P, 6)))
# O_APPEND does not move what a mapping writes back.
m = mmap.mmap(ap, P)
m[8:12] = b'apnd'
m.close()
print('append', fresh(path, 0, 12), os.fstat(fd).st_size)
# What this process writes through a descriptor reaches its mappings.
m = mmap.mmap(fd, P)
os.pwrite(fd, b'PW', 100)
os.lseek(fd, 200, 0)
os.write(fd, b'WR')
m[300:302] = b'MM'
os.pwrite(fd, b'pw', 300)
print('write seen', m[100:102], m[200:202], m[300:302])
m.close()
print('last wins', fresh(path, 300, 2))
# MS_INVALIDATE takes in what another process wrote (Linux's has it anyway).
m = mmap.mmap(fd, P)
cbuf = ctypes.c_char.from_buffer(m)
dd = ['dd', 'of=' + path, 'bs=1', 'seek=500', 'conv=notrunc', 'status=none']
subprocess.run(dd, input=b'XY')
MS_INVALIDATE = 2
print('invalidate', err(libc.msync(ctypes.addressof(cbuf), P, MS_INVALIDATE)), m[500:502])
del cbuf
m.close()
# Far into a big file: only what is mapped is read.
big = os.open(sys.argv[1] + '/big', os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(big, 1 << 40)
os.pwrite(big, b"far", (1 << 40) - P)
m = mmap.mmap(big, P, offset=(1 << 40) - P)
m[3:6] = b'out'
m.close()
print("far", os.pread(big, 6, (1 << 40) - P))
os.ftruncate(big, 0)
# Dropped pages of a private mapping come back from the file.
m = mmap.mmap(fd, P, flags=mmap.MAP_PRIVATE)
m[0:4] = b'zzzz'
m.madvise(mmap.MADV_DONTNEED)
print('dontneed', m[0:4])
for name in ('MADV_FREE', 'MADV_REMOVE'):
    try:
        m.madvise(getattr(mmap, name))
        print(name, 'ok')
    except OSError as e:
        print(name, errno.errorcode[e.errno])
# Truncation cuts what a shared mapping holds past the new end.
m = mmap.mmap(fd, P)
os.ftruncate(fd, 16)
print('cut', m[12:20])
os.ftruncate(fd, P)
print('cut grown', m[12:20], os.pread(fd, 8, 12))
m.close()
"#;

#[test]
fn python_mmap_of_kernel_files_behaves_as_on_linux() {
    let r = Rig::start("hj-mmap");
    let out = r.same(&["/usr/bin/python3", "-c", MMAP_PROG, "/rump"]);
    // The host is the oracle; these lines say what it agreed on.
    for line in [
        "shared b'bbbb'",
        "private b'bbbb' b'AA'",
        "pread b'bbbb' b'AAAA'",
        "other process b'aaaa'",
        "after close b'AAAA' b'bbbb' b'aaaa'",
        "written b'1111' b'3333'",
        "fixed replaced b'FFFF' b'\\x00\\x00\\x00\\x00'",
        "mremap ok b'1111' b'gggg'",
        "child exit b'kid!'",
        "program exit b'kid!exit'",
        "directory ENODEV",
        "append b'kid!exitapnd' 16384",
        "dontneed b'kid!'",
        "far b'farout'",
        "write seen b'PW' b'WR' b'pw'",
        "last wins b'pw'",
        "invalidate ok b'XY'",
        "cut grown b'AAAA\\x00\\x00\\x00\\x00' b'AAAA\\x00\\x00\\x00\\x00'",
    ] {
        assert!(out.lines().any(|l| l == line), "{line:?} not in\n{out}");
    }
}

/// What a review found wrong with mappings of kernel files, run the same
/// on a host directory: the library's own descriptors survive a program
/// that closes every descriptor, `munmap` keeps the program's locks,
/// mappings of 16 MiB and more work, and `write` and `open(O_TRUNC)` reach
/// the mappings as in Linux's page cache.
const MMAP_REVIEW_PROG: &str = r#"
import ctypes, fcntl, mmap, os, subprocess, sys
P = mmap.PAGESIZE
d = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
libc.msync.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
FAILED = ctypes.c_void_p(-1).value
def fresh(path, a=0, n=4):
    with open(path, 'rb') as f:
        f.seek(a)
        return f.read(n)
# A program that closes every descriptor it does not know of leaves the
# mapping's file as it was: nothing it opens next receives the mapping.
open(d + '/f3', 'wb').write(b'F' * P + b'G' * P)
fd = os.open(d + '/f3', os.O_RDWR)
x = libc.mmap(None, P, 3, mmap.MAP_SHARED, fd, 0)
os.closerange(3, 4096)
outs = [os.open(d + '/o%d' % i, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644) for i in range(4)]
ctypes.memmove(x, b'map!', 4)
print('msync', libc.msync(x, P, 4))
for o in outs:
    os.close(o)
print('closed all', fresh(d + '/f3'), [fresh(d + '/o%d' % i) for i in range(4)])
# More of the file, mapped after the close, joins the same pages.
fd = os.open(d + '/f3', os.O_RDWR)
y = libc.mmap(None, 2 * P, 3, mmap.MAP_SHARED, fd, 0)
print('mapped again', ctypes.string_at(y, 4) if y != FAILED else 'failed', ctypes.string_at(y + P, 4))
libc.munmap(x, P)
libc.munmap(y, 2 * P)
os.close(fd)
print('unmapped', fresh(d + '/f3'))
# So does a child that closes every descriptor one by one before exec.
open(d + '/f4', 'wb').write(b'H' * P)
fd = os.open(d + '/f4', os.O_RDWR)
x = libc.mmap(None, P, 3, mmap.MAP_SHARED, fd, 0)
pid = os.fork()
if pid == 0:
    for n in range(3, 4096):
        try:
            os.close(n)
        except OSError:
            pass
    os.open(d + '/o9', os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    ctypes.memmove(x, b'kid!', 4)
    os.execv('/bin/true', ['true'])
os.waitpid(pid, 0)
print('child closed all', fresh(d + '/f4'), fresh(d + '/o9'), ctypes.string_at(x, 4))
libc.munmap(x, P)
# munmap keeps the process's record locks on the file.
probe = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print('taken')
except OSError:
    print('refused')
"""
def other_locks(path):
    r = subprocess.run([sys.executable, '-c', probe, path], capture_output=True, text=True)
    return r.stdout.strip() + r.stderr
for kind in (mmap.MAP_SHARED, mmap.MAP_PRIVATE):
    path = d + '/locked%d' % kind
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    os.write(fd, b'L' * P)
    fcntl.lockf(fd, fcntl.LOCK_EX)
    x = libc.mmap(None, P, 3, kind, fd, 0)
    libc.munmap(x, P)
    print('lock after munmap', kind, other_locks(path))
    os.close(fd)
    print('lock after close', kind, other_locks(path))
# 32 MiB, shared and private.
N = 32 << 20
big = os.open(d + '/big32', os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
os.ftruncate(big, N)
os.pwrite(big, b'end!', N - 4)
s = mmap.mmap(big, N)
s[N - 8:N - 4] = b'shr!'
s[0:4] = b'head'
s[N // 2:N // 2 + 4] = b'half'
print('big shared', s[N - 8:N], s[0:4])
s.close()
p = mmap.mmap(big, N, flags=mmap.MAP_PRIVATE)
print('big private', p[0:4], p[N // 2:N // 2 + 4], p[N - 8:N])
p[N - 4:N] = b'priv'
p.close()
print('big file', fresh(d + '/big32'), fresh(d + '/big32', N // 2), fresh(d + '/big32', N - 8, 8))
# A write over bytes the mapping changed past the old end of the file
# is what the file and the mapping then hold.
fd = os.open(d + '/grow', os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b'g' * 100)
x = libc.mmap(None, P, 3, mmap.MAP_SHARED, fd, 0)
ctypes.memmove(x + 200, b'MMMM', 4)
os.pwrite(fd, b'WWWW', 200)
print('write past end', ctypes.string_at(x + 200, 4), fresh(d + '/grow', 200))
libc.munmap(x, P)
print('written past end', fresh(d + '/grow', 200))
# open(O_TRUNC) cuts the mappings of the file.
open(d + '/trunc', 'wb').write(b'T' * P)
fd = os.open(d + '/trunc', os.O_RDWR)
x = libc.mmap(None, P, 3, mmap.MAP_SHARED, fd, 0)
t = os.open(d + '/trunc', os.O_RDWR | os.O_TRUNC)
os.write(t, b'new!' * 4)
print('o_trunc', ctypes.string_at(x, 20))
libc.munmap(x, P)
print('o_trunc file', fresh(d + '/trunc', 0, 20))
"#;

#[test]
fn mmap_review_descriptors_locks_large_maps_and_writes() {
    let r = Rig::start("hj-mmap-review");
    let out = r.same(&["/usr/bin/python3", "-c", MMAP_REVIEW_PROG, "/rump"]);
    for line in [
        "msync 0",
        "closed all b'map!' [b'', b'', b'', b'']",
        "mapped again b'map!' b'GGGG'",
        "child closed all b'kid!' b'' b'kid!'",
        "unmapped b'map!'",
        "lock after munmap 1 refused",
        "lock after munmap 2 refused",
        "lock after close 1 taken",
        "lock after close 2 taken",
        "big shared b'shr!end!' b'head'",
        "big private b'head' b'half' b'shr!end!'",
        "big file b'head' b'half' b'shr!end!'",
        "write past end b'WWWW' b'WWWW'",
        "written past end b'WWWW'",
        "o_trunc b'new!new!new!new!\\x00\\x00\\x00\\x00'",
        "o_trunc file b'new!new!new!new!'",
    ] {
        assert!(out.lines().any(|l| l == line), "{line:?} not in\n{out}");
    }
}

/// A C program whose signal handlers use a kernel mapping (`msync`) and
/// leave (`_exit`) while the same thread is writing the mapping back: the
/// handler must neither wait for the library's table held by the very
/// thread it interrupted, nor find it half changed.
const MMAP_SIGNAL_PROG: &str = r#"
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#define LEN (1 << 20)
static char *map;
static volatile sig_atomic_t handled, leave;

static void on_alarm(int sig) {
    (void)sig;
    if (leave && handled > 20)
        _exit(msync(map, 4096, MS_ASYNC) == 0 ? 7 : 8);
    if (msync(map, 4096, MS_SYNC) == 0)
        handled++;
}

int main(int argc, char **argv) {
    leave = argv[2][0] == 'x';
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, LEN) < 0)
        return 2;
    map = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return 3;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 300}, {0, 300}};
    setitimer(ITIMER_REAL, &it, NULL);
    for (int i = 0; i < 200 || handled < 20; i++) {
        memset(map, 'a' + i % 26, LEN);
        msync(map, LEN, MS_SYNC);
    }
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, NULL);
    memset(map, 'z', LEN);
    munmap(map, LEN);
    char b[4];
    if (pread(fd, b, 4, LEN - 4) != 4)
        return 4;
    printf("handled %.4s\n", b);
    return 0;
}
"#;

#[test]
fn signal_handlers_use_kernel_mappings_while_they_are_written_back() {
    let r = Rig::start("hj-mmap-signal");
    let src = r.dir.join("sig.c");
    let prog = r.dir.join("sig");
    std::fs::write(&src, MMAP_SIGNAL_PROG).unwrap();
    let cc = Command::new("cc")
        .arg("-o")
        .arg(&prog)
        .arg(&src)
        .output()
        .unwrap();
    assert!(cc.status.success(), "cc: {}", stderr(&cc));
    let prog = prog.to_str().unwrap();
    // `timeout`: a handler waiting for a table its own thread holds
    // would wait for ever.
    let o = r.rump(&["timeout", "60", prog, "/rump/sig", "m"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "handled zzzz\n");
    let o = r.rump(&["timeout", "60", prog, "/rump/sig", "x"]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
}

/// `sqlite3` in WAL mode keeps its shared-memory index in a shared mapping
/// of the `-shm` file.
#[test]
fn sqlite_in_wal_mode_under_the_hijack() {
    let r = Rig::start("hj-sqlite");
    let mut sql =
        String::from("PRAGMA journal_mode=WAL;\nCREATE TABLE t(i INTEGER PRIMARY KEY, v TEXT);\n");
    for batch in 0..100 {
        sql.push_str("BEGIN;\n");
        for i in 0..100 {
            sql.push_str(&format!(
                "INSERT INTO t(v) VALUES('row {}');\n",
                batch * 100 + i
            ));
        }
        sql.push_str("COMMIT;\n");
    }
    sql.push_str("PRAGMA integrity_check;\nSELECT count(*) FROM t;\n");
    std::fs::write(r.dir.join("fill.sql"), sql).unwrap();
    let o = r.rump(&["sh", "-c", "/usr/bin/sqlite3 /rump/db < fill.sql"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "wal\nok\n10000\n");
    // Another program finds all of it.
    let o = r.rump(&[
        "/usr/bin/sqlite3",
        "/rump/db",
        "PRAGMA journal_mode; PRAGMA integrity_check; SELECT count(*), sum(i), max(v) FROM t;",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "wal\nok\n10000|50005000|row 9999\n");
    // Two connections in one process share the index; a reader in a
    // child process sees what was committed.
    let prog = r#"
import sqlite3, subprocess, sys
w = sqlite3.connect('/rump/db')
rd = sqlite3.connect('/rump/db')
for i in range(500):
    w.execute('INSERT INTO t(v) VALUES (?)', ('py %d' % i,))
    w.commit()
    if i % 100 == 0:
        print(rd.execute('SELECT count(*) FROM t').fetchone()[0])
child = "import sqlite3; print(sqlite3.connect('/rump/db').execute('SELECT count(*) FROM t').fetchone()[0])"
print(subprocess.run([sys.executable, '-c', child], capture_output=True, text=True).stdout, end='')
print(w.execute('PRAGMA integrity_check').fetchone()[0])
"#;
    assert_eq!(
        python(&r, prog, &[]),
        "10001\n10101\n10201\n10301\n10401\n10500\nok\n"
    );
    // Two processes at once, each with the index mapped: each sees the
    // other's commits (the mappings agree at every lock), as on the host.
    let out = r.same(&["/usr/bin/python3", "-c", SQLITE_TWO_PROCESSES, "/rump"]);
    assert_eq!(out, "0 1 done 2 3 done 4 5 done 6 ok\n");
    // With mmap_size, sqlite reads the database through a mapping and
    // writes it with pwrite: the mapping must show those writes.
    for mode in ["wal", "delete"] {
        let out = r.same(&["/usr/bin/python3", "-c", SQLITE_MMAP, "/rump", mode]);
        assert!(out.ends_with("(4000, 215800) ('ok',)\n"), "{out}");
    }
}

/// sqlite reading its database through a mapping (`PRAGMA mmap_size`).
const SQLITE_MMAP: &str = r#"
import sqlite3, sys
db = sys.argv[1] + '/mapped-' + sys.argv[2] + '.db'
c = sqlite3.connect(db)
c.execute('PRAGMA mmap_size=268435456')
print(c.execute('PRAGMA journal_mode=%s' % sys.argv[2]).fetchone())
c.execute('CREATE TABLE t(i INTEGER PRIMARY KEY, v TEXT)')
for b in range(20):
    for i in range(200):
        c.execute('INSERT INTO t(v) VALUES (?)', ('x' * 50 + str(i),))
    c.commit()
    if b % 5 == 4 and sys.argv[2] == 'wal':
        c.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    c.execute('UPDATE t SET v = v || ? WHERE i % 7 = ?', ('u', b % 7))
    c.commit()
print(c.execute('SELECT count(*), sum(length(v)) FROM t').fetchone())
c.close()
c = sqlite3.connect(db)
c.execute('PRAGMA mmap_size=268435456')
print(c.execute('SELECT count(*), sum(length(v)) FROM t').fetchone(),
      c.execute('PRAGMA integrity_check').fetchone())
"#;

/// A parent and a child process write one WAL database in turns.
const SQLITE_TWO_PROCESSES: &str = r#"
import sqlite3, subprocess, sys
db = sys.argv[1] + '/two.db'
w = sqlite3.connect(db, isolation_level=None)
w.execute('PRAGMA journal_mode=WAL')
w.execute('CREATE TABLE t(i INTEGER PRIMARY KEY, who TEXT)')
child = '''
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
for line in sys.stdin:
    if line.startswith('count'):
        print(c.execute('SELECT count(*) FROM t').fetchone()[0], flush=True)
    else:
        c.execute("INSERT INTO t(who) VALUES ('child')")
        print('done', flush=True)
'''
p = subprocess.Popen([sys.executable, '-c', child, db], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True)
def ask(cmd):
    p.stdin.write(cmd + '\n')
    p.stdin.flush()
    return p.stdout.readline().strip()
out = [ask('count')]
for n in range(3):
    w.execute("INSERT INTO t(who) VALUES ('parent')")
    out += [ask('count'), ask('insert'), str(w.execute('SELECT count(*) FROM t').fetchone()[0])]
p.stdin.close()
p.wait()
print(' '.join(out), w.execute('PRAGMA integrity_check').fetchone()[0])
"#;

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
fn unreachable_server_is_a_one_line_error() {
    let dir = tempdir("hj-noserver");
    let o = Command::new("true")
        .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
        .env("RUMP_SERVER", format!("unix://{}/nothing", dir.display()))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("rumpclient init"), "{e}");
}

#[test]
fn rumphijack_specifiers() {
    let r = Rig::start("hj-spec");
    let run = |spec: &str, args: &[&str]| r.rump_env(args, &[("RUMPHIJACK", spec)]);
    // path=: another prefix.
    let o = run("path=/kern", &["sh", "-c", "mkdir /kern/x && ls /kern"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "x\n");
    // blanket=: paths go in as they are.
    let o = run("blanket=/x", &["ls", "-d", "/x"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Nothing hijacked: /rump is the host's, which has none.
    let o = run("", &["ls", "/rump"]);
    assert!(!o.status.success());
    // fdoff=: kernel descriptors from 100.
    let o = run(
        "path=/rump,fdoff=100",
        &[
            "/usr/bin/python3",
            "-c",
            "import os; print(os.open('/rump/x', os.O_RDONLY) >= 100)",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "True\n");
    // socket= and sysctl parse; errors stop the program with NetBSD's words.
    for (spec, msg) in [
        ("bogus=1", "invalid hijack specifier name in bogus=1"),
        ("path=rump", "hijack path specifier must begin with ``/''"),
        ("blanket=x", "invalid blanket specifier x"),
        ("socket=ipx", "invalid socket specifier ipx"),
        ("vfs=x", "invalid vfscall specifier x"),
        (
            "sysctl=maybe",
            "sysctl value should be y(es)/n(o), gave: maybe",
        ),
        ("fdoff=1", "fdoff out of range"),
    ] {
        let o = run(spec, &["true"]);
        assert!(!o.status.success(), "{spec}");
        let e = stderr(&o);
        assert_eq!(e.lines().count(), 1, "{spec}: {e}");
        assert!(e.contains(msg), "{spec}: {e}");
    }
    for spec in [
        "socket=all:nolocal",
        "socket=inet:inet6",
        "sysctl=yes,modctl",
        "vfs=all:nofhcalls",
    ] {
        let o = run(spec, &["true"]);
        assert!(o.status.success(), "{spec}: {}", stderr(&o));
    }
    let o = r.rump_env(&["true"], &[("RUMPHIJACK_RETRYCONNECT", "sometimes")]);
    assert!(stderr(&o).contains("RUMPHIJACK_RETRYCONNECT must be keyword or integer"));
}

/// Run a Python program under the hijack; it must succeed. Returns stdout.
fn python(r: &Rig, prog: &str, env: &[(&str, &str)]) -> String {
    let o = r.rump_env(&["/usr/bin/python3", "-c", prog], env);
    assert!(o.status.success(), "python: {}{}", stdout(&o), stderr(&o));
    stdout(&o)
}

#[test]
fn poll_select_epoll_with_host_and_kernel_descriptors() {
    let r = Rig::start("hj-poll");
    let prog = r#"
import os, select
fd = os.open('/rump/p', os.O_RDWR | os.O_CREAT, 0o644)
r, w = os.pipe()
print(fd >= 512, r < 512)
p = select.poll(); p.register(fd, select.POLLIN); p.register(r, select.POLLIN)
print(sorted(x == fd for x, _ in p.poll(1000)))
os.write(w, b'x')
print(sorted(ev for _, ev in p.poll(1000)))
rs, _, _ = select.select([fd, r], [], [], 1)
print(sorted(x == fd for x in rs))
e = select.epoll(); e.register(fd, select.EPOLLIN); e.register(r, select.EPOLLIN)
print(sorted(x == fd for x, _ in e.poll(1)))
os.read(r, 1)
print(sorted(x == fd for x, _ in e.poll(1)))
e.unregister(fd)
print(e.poll(0.05))
"#;
    assert_eq!(
        python(&r, prog, &[]),
        "True True\n[True]\n[1, 1]\n[False, True]\n[False, True]\n[True]\n[]\n"
    );
}

#[test]
fn children_inherit_cwd_descriptors_and_redirections() {
    let r = Rig::start("hj-proc");
    let prog = r#"
import os, subprocess, sys
os.chdir('/rump')
open('f', 'w').write('hello\n')
print(subprocess.run(['cat', 'f'], capture_output=True).stdout.decode(), end='')
print(subprocess.run(['pwd'], capture_output=True).stdout.decode(), end='')
fd = os.open('/rump/g', os.O_WRONLY | os.O_CREAT, 0o644)
subprocess.run([sys.executable, '-c', 'import os; os.write(%d, b"child\\n")' % fd], pass_fds=[fd], check=True)
pid = os.fork()
if pid == 0:
    os.write(fd, b'forked\n')
    os._exit(0)
os.waitpid(pid, 0)
print(open('/rump/g').read(), end='')
subprocess.run(['sh', '-c', 'ls > /rump/listing; ls -d /nonexistent 2>> /rump/listing'])
print(open('/rump/listing').read(), end='')
"#;
    assert_eq!(
        python(&r, prog, &[]),
        "hello\n/rump\nchild\nforked\nf\ng\nlisting\n\
         ls: cannot access '/nonexistent': No such file or directory\n"
    );
}

#[test]
fn sockets_go_where_socket_says() {
    let r = Rig::start("hj-sock");
    // A socket in the kernel has a number from fdoff (or fails there, with
    // no network component); one of the host's is below it and works.
    let prog = r#"
import socket, sys
def where(fam):
    try:
        s = socket.socket(fam, socket.SOCK_STREAM)
    except OSError:
        return 'kernel'
    return 'kernel' if s.fileno() >= 512 else 'host'
print(where(socket.AF_INET), where(socket.AF_INET6), where(socket.AF_UNIX))
"#;
    let cases = [
        (None, "kernel kernel host"),
        (Some("path=/rump,socket=all"), "kernel kernel kernel"),
        (Some("path=/rump,socket=inet"), "kernel host host"),
        (
            Some("path=/rump,socket=all:noinet6:nolocal"),
            "kernel host host",
        ),
        (Some("path=/rump,socket=local"), "host host kernel"),
        (Some("path=/rump"), "host host host"),
    ];
    for (spec, want) in cases {
        let env: Vec<(&str, &str)> = spec.map(|s| ("RUMPHIJACK", s)).into_iter().collect();
        assert_eq!(python(&r, prog, &env).trim(), want, "{spec:?}");
    }
}

#[test]
fn posix_spawn_runs_file_actions_in_the_kernel() {
    let r = Rig::start("hj-spawn");
    let prog = r#"
import os
os.chdir('/rump')
fa = [(os.POSIX_SPAWN_OPEN, 1, '/rump/stdout', os.O_WRONLY | os.O_CREAT, 0o644)]
pid = os.posix_spawn('/bin/sh', ['sh', '-c', 'echo spawned; pwd'], os.environ, file_actions=fa)
os.waitpid(pid, 0)
print(open('/rump/stdout').read(), end='')
pid = os.posix_spawnp('sh', ['sh', '-c', 'cat stdout | wc -l'], os.environ)
os.waitpid(pid, 0)
try:
    os.posix_spawnp('no-such-program-xyz', ['x'], os.environ)
except OSError as e:
    print(e.errno == 2)
"#;
    assert_eq!(python(&r, prog, &[]), "spawned\n/rump\n2\nTrue\n");
}

#[test]
fn retryconnect_says_what_a_lost_connection_does() {
    let prog = r#"
import os, sys, time
os.stat('/rump')
print('ready', flush=True)
sys.stdin.readline()
try:
    os.stat('/rump')
    print('stat ok')
except OSError as e:
    print('errno', e.errno)
"#;
    for (policy, code, out) in [
        (None, 0, "errno 107"),
        (Some("once"), 0, "errno 107"),
        (Some("die"), 1, ""),
    ] {
        let mut r = Rig::start("hj-retry");
        let mut c = Command::new("/usr/bin/python3");
        c.args(["-c", prog])
            .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
            .env("RUMP_SERVER", &r.url)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(p) = policy {
            c.env("RUMPHIJACK_RETRYCONNECT", p);
        }
        let mut child = c.spawn().unwrap();
        let mut line = String::new();
        let mut rd = std::io::BufReader::new(child.stdout.take().unwrap());
        std::io::BufRead::read_line(&mut rd, &mut line).unwrap();
        assert_eq!(line, "ready\n");
        // The server goes away between two calls.
        let _ = r.child.kill();
        let _ = r.child.wait();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"go\n").unwrap();
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut rd, &mut rest).unwrap();
        let st = child.wait().unwrap();
        assert_eq!(st.code(), Some(code), "{policy:?}: {rest}");
        assert_eq!(rest.trim(), out, "{policy:?}");
    }
}

#[test]
fn the_connection_survives_a_program_closing_or_reusing_its_number() {
    let r = Rig::start("hj-conn");
    let prog = r#"
import os
os.mkdir('/rump/d')
os.closerange(3, 100000)
print(os.path.isdir('/rump/d'))
for fd in range(3, 512):
    try:
        os.close(fd)
    except OSError:
        pass
print(os.path.isdir('/rump/d'))
r, w = os.pipe()
for fd in range(3, 400):
    if fd not in (r, w):
        os.dup2(w, fd)
print(os.path.isdir('/rump/d'))
"#;
    assert_eq!(python(&r, prog, &[]), "True\nTrue\nTrue\n");
}

#[test]
fn forks_over_tcp_and_system_and_closefrom_keep_the_kernel() {
    // A TCP server: the client library's own socket calls must go to the
    // host even though socket=all:nolocal sends AF_INET to the kernel.
    let dir = tempdir("hj-tcp");
    let port = free_port();
    let url = format!("tcp://127.0.0.1:{port}/");
    let mut server = Command::new(bin("rump_server"))
        .args(["-s", "-lrumpvfs", &url])
        .spawn()
        .unwrap();
    eventually("the server to listen", || Client::connect(&url).is_ok());
    let hj = |args: &[&str]| {
        Command::new(args[0])
            .args(&args[1..])
            .current_dir(&dir)
            .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
            .env("RUMP_SERVER", &url)
            .output()
            .unwrap()
    };
    let o = hj(&[
        "sh",
        "-c",
        "mkdir /rump/t && cd /rump/t && echo over tcp > f && cat f",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "over tcp\n");
    let prog = r#"
import os
os.chdir('/rump/t')
os.system('echo via system > s')
print(open('s').read(), end='')
os.symlink('s', 'link')
try:
    os.open('link', os.O_RDONLY | os.O_NOFOLLOW)
except OSError as e:
    print('nofollow', e.errno == 40)
import ctypes
libc = ctypes.CDLL(None)
libc.popen.restype = ctypes.c_void_p
libc.fgets.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p]
libc.pclose.argtypes = [ctypes.c_void_p]
f = libc.popen(b'cat s', b'r')
buf = ctypes.create_string_buffer(100)
libc.fgets(buf, 100, f)
print('popen', buf.value.decode(), end='')
print('pclose', libc.pclose(f))
fd = os.open('/rump/t/x', os.O_CREAT | os.O_WRONLY, 0o644)
os.dup2(fd, 256)
os.write(256, b'on the connection number\n')
print(open('/rump/t/x').read(), end='')
"#;
    let o = hj(&["/usr/bin/python3", "-c", prog]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "via system\nnofollow True\npopen via system\npclose 0\non the connection number\n"
    );
    // A program that closes every descriptor it does not know keeps a
    // standard output that was redirected into the kernel.
    let o = hj(&[
        "sh",
        "-c",
        "/usr/bin/python3 -c 'import os; os.closerange(3, 1 << 30); print(\"kept\")' > /rump/t/out; cat /rump/t/out",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "kept\n");
    let _ = server.kill();
    let _ = server.wait();
}

/// A server of its own with an FFS image of `tag`'s mounted on `/mnt`
/// (`/rump/mnt` to the hijack): the server, its URL, the image.
fn ffs_server(tag: &str) -> (Child, String, PathBuf) {
    let dir = tempdir(tag);
    let img = dir.join("ffs.img");
    newfs(&img, &["-s", "16m"]);
    let url = format!("unix://{}", dir.join("s").display());
    let spec = format!("key=/dev/ffs,hostpath={},size=host", img.display());
    let (server, c) = serve(
        "rump_server",
        &["-lrumpvfs", "-lrumpfs_ffs", "-d", &spec],
        &url,
    );
    let m = Regions::new();
    c.syscall(netbsd_abi::SYS_mkdir, &[m.add(&cstr("/mnt")), 0o755], &m)
        .unwrap();
    let o = tool(&dir, &url, "rump.mount", &["-t", "ffs", "/dev/ffs", "/mnt"]);
    assert!(o.status.success(), "rump.mount: {}", stderr(&o));
    (server, url, img)
}

/// The contents of `name` in the root directory of the FFS image `img`,
/// as sleuthkit reads it (`None` if it has no such name).
fn sleuthkit_file(img: &Path, name: &str) -> Option<Vec<u8>> {
    let fls = Command::new("fls")
        .args(["-r", "-f", "ufs2"])
        .arg(img)
        .output()
        .unwrap();
    assert!(fls.status.success(), "fls: {}", stderr(&fls));
    // Lines such as "r/r 4:\tname".
    let inode = stdout(&fls).lines().find_map(|l| {
        let (head, n) = l.split_once(":\t")?;
        (n == name).then(|| head.rsplit(' ').next().unwrap().to_string())
    })?;
    let icat = Command::new("icat")
        .args(["-f", "ufs2"])
        .arg(img)
        .arg(&inode)
        .output()
        .unwrap();
    assert!(icat.status.success(), "icat: {}", stderr(&icat));
    Some(icat.stdout)
}

#[test]
fn sync_reaches_the_kernel_before_a_crash() {
    let py_sync = "import os\nopen('/rump/mnt/f', 'w').write('data\\n')\nos.sync()";
    let py_fsync = "import os\nf = open('/rump/mnt/f', 'w')\nf.write('data\\n')\nf.flush()\nos.fsync(f.fileno())";
    let cases: [(&str, &[&str]); 6] = [
        ("sync", &["sh", "-c", "echo data > /rump/mnt/f && sync"]),
        (
            "syncfs",
            &["sh", "-c", "echo data > /rump/mnt/f && sync -f /rump/mnt/f"],
        ),
        (
            "fsync",
            &["sh", "-c", "echo data > /rump/mnt/f && sync /rump/mnt/f"],
        ),
        (
            "fdatasync",
            &["sh", "-c", "echo data > /rump/mnt/f && sync -d /rump/mnt/f"],
        ),
        ("os.sync", &["/usr/bin/python3", "-c", py_sync]),
        ("os.fsync", &["/usr/bin/python3", "-c", py_fsync]),
    ];
    for (what, args) in cases {
        let (mut server, url, img) = ffs_server("hj-sync");
        let o = hijacked(&url, args);
        assert!(o.status.success(), "{what}: {}", stderr(&o));
        // Nothing is written after the sync: the server dies at once.
        server.kill().unwrap();
        server.wait().unwrap();
        let fsck = Command::new(bin("fsck_ffs"))
            .arg("-n")
            .arg(&img)
            .output()
            .unwrap();
        assert!(
            fsck.status.success() && !stdout(&fsck).contains('?'),
            "{what}: fsck_ffs -n: {}{}",
            stdout(&fsck),
            stderr(&fsck)
        );
        assert_eq!(
            sleuthkit_file(&img, "f").as_deref(),
            Some(&b"data\n"[..]),
            "{what}"
        );
    }
    // Without a sync the file is not on the image yet: the cases above
    // are what wrote it.
    let (mut server, url, img) = ffs_server("hj-nosync");
    let o = hijacked(&url, &["sh", "-c", "echo data > /rump/mnt/f"]);
    assert!(o.status.success(), "{}", stderr(&o));
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(sleuthkit_file(&img, "f"), None);
    // syncfs on a descriptor that is not open is EBADF.
    let r = Rig::start("hj-syncfs");
    let prog = "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n\
        fd = os.open('/rump', os.O_RDONLY)\nprint(libc.syncfs(fd))\nos.close(fd)\n\
        print(libc.syncfs(fd), ctypes.get_errno() == 9)";
    assert_eq!(python(&r, prog, &[]), "0\n-1 True\n");
}

#[test]
fn temporary_files_are_made_in_the_kernel() {
    let r = Rig::start("hj-temp");
    r.same(&["mkdir", "/rump/t"]);
    let o = r.rump(&[
        "sh",
        "-c",
        "printf 'abc\\naaa\\n' > /rump/t/f && sed -i s/a/b/ /rump/t/f && cat /rump/t/f \
         && sed -i.orig 's/b/c/g' /rump/t/f && cat /rump/t/f /rump/t/f.orig && ls -a /rump/t",
    ]);
    assert!(o.status.success(), "sed: {}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "bbc\nbaa\nccc\ncaa\nbbc\nbaa\n.\n..\nf\nf.orig\n"
    );
    // coreutils' mktemp makes its names itself, through open and mkdir.
    let o = r.rump(&[
        "sh",
        "-c",
        "f=$(mktemp -p /rump/t) && d=$(mktemp -d -p /rump/t) && test -f $f && test -d $d && echo $f $d",
    ]);
    assert!(o.status.success(), "mktemp: {}", stderr(&o));
    assert!(stdout(&o).starts_with("/rump/t/tmp."), "{}", stdout(&o));
    // glibc's family, called as C programs call it.
    let prog = r#"
import ctypes, fcntl, os, tempfile
libc = ctypes.CDLL(None, use_errno=True)
libc.mkdtemp.restype = ctypes.c_char_p
libc.mktemp.restype = ctypes.c_char_p
def t(s):
    return ctypes.create_string_buffer(s.encode())
def err():
    return os.strerror(ctypes.get_errno())
fd, name = tempfile.mkstemp(dir='/rump/t')
print('py', fd >= 512, os.path.exists(name))
print('py', os.path.isdir(tempfile.mkdtemp(dir='/rump/t')))
b = t('/rump/t/sXXXXXX'); fd = libc.mkstemp(b); name = b.value.decode()
st = os.stat(name)
print('mkstemp', fd >= 512, name[:9], len(name), oct(st.st_mode & 0o777), os.fstat(fd).st_ino == st.st_ino)
os.write(fd, b'via the descriptor'); print(open(name).read())
b = t('/rump/t/oXXXXXX'); fd = libc.mkostemp(b, os.O_CLOEXEC | os.O_APPEND)
print('mkostemp', fd >= 512, os.get_inheritable(fd), fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND != 0)
b = t('/rump/t/pXXXXXX.txt'); fd = libc.mkstemps(b, 4); print('mkstemps', fd >= 512, b.value.decode()[-4:], os.path.exists(b.value))
b = t('/rump/t/qXXXXXX.c'); fd = libc.mkostemps(b, 2, 0); print('mkostemps', fd >= 512, b.value.decode()[-2:])
d = libc.mkdtemp(t('/rump/t/dXXXXXX')).decode()
print('mkdtemp', d[:9], oct(os.stat(d).st_mode & 0o777))
n = libc.mktemp(t('/rump/t/nXXXXXX')).decode(); print('mktemp', n[:9], len(n), os.path.exists(n))
for bad in ['/rump/t/XXXXX', '/rump/t/aXXXXXXb', '/rump/t/XXXXXX/x']:
    print('bad', libc.mkstemp(t(bad)), err())
print('bad', libc.mkstemps(t('/rump/t/XXXXXX'), -1), err())
print('bad', libc.mkdtemp(t('/rump/t/x')), err())
print('bad', libc.mktemp(t('/rump/t/x')), err())
print('nodir', libc.mkstemp(t('/rump/none/XXXXXX')), err())
host = t(os.getcwd() + '/hXXXXXX'); fd = libc.mkstemp(host)
print('host', 0 <= fd < 512, os.path.exists(host.value))
"#;
    let out = python(&r, prog, &[]);
    let want = "py True True\npy True\n\
        mkstemp True /rump/t/s 15 0o600 True\nvia the descriptor\n\
        mkostemp True False True\nmkstemps True .txt True\nmkostemps True .c\n\
        mkdtemp /rump/t/d 0o700\nmktemp /rump/t/n 15 False\n\
        bad -1 Invalid argument\nbad -1 Invalid argument\nbad -1 Invalid argument\n\
        bad -1 Invalid argument\nbad None Invalid argument\nbad b'' Invalid argument\n\
        nodir -1 No such file or directory\nhost True True\n";
    assert_eq!(out, want);
    // The host file went to the host, into the rig's directory.
    assert!(
        std::fs::read_dir(&r.dir).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with('h')),
        "no host file"
    );
    // tmpfile: in /tmp, which RUMPHIJACK can give to the kernel.
    r.same(&["mkdir", "/rump/tmp"]);
    let prog = r#"
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.tmpfile.restype = ctypes.c_void_p
libc.fileno.argtypes = [ctypes.c_void_p]
libc.fputs.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
libc.rewind.argtypes = [ctypes.c_void_p]
libc.fgets.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p]
f = libc.tmpfile()
libc.fputs(b'in a temporary file', f)
libc.rewind(f)
buf = ctypes.create_string_buffer(64)
libc.fgets(buf, 64, f)
print(buf.value.decode(), libc.fileno(f) >= 512, os.listdir('/tmp'))
"#;
    let env = [("RUMPHIJACK", "path=/rump,blanket=/tmp")];
    assert_eq!(python(&r, prog, &env), "in a temporary file True []\n");
}

#[test]
fn relative_names_under_host_directories_reach_the_kernel() {
    let r = Rig::start("hj-hostdir");
    r.same(&["mkdir", "-p", "/rump/t/sub"]);
    r.same(&["cp", "/etc/hostname", "/rump/t/f"]);
    let prog = r#"
import os, stat
root = os.open('/', os.O_RDONLY | os.O_DIRECTORY)
usr = os.open('/usr', os.O_RDONLY | os.O_DIRECTORY)
print(sorted(os.listdir('/rump/t')))
os.mkdir('rump/t/made', dir_fd=root)
print(os.path.isdir('/rump/t/made'), os.stat('rump/t/f', dir_fd=root).st_size == os.stat('/rump/t/f').st_size)
fd = os.open('rump/t/new', os.O_WRONLY | os.O_CREAT, 0o640, dir_fd=root)
print(fd >= 512, os.write(fd, b'x'), oct(os.stat('/rump/t/new').st_mode & 0o777))
print(os.stat('../rump/t/new', dir_fd=usr).st_size)
os.rename('rump/t/new', '/rump/t/renamed', src_dir_fd=root)
os.symlink('renamed', 'rump/t/link', dir_fd=root)
print(os.readlink('rump/t/link', dir_fd=root), os.access('rump/t/link', os.R_OK, dir_fd=root))
os.chmod('rump/t/renamed', 0o600, dir_fd=root)
os.utime('rump/t/renamed', (1, 2), dir_fd=root)
s = os.stat('/rump/t/renamed'); print(oct(s.st_mode & 0o777), s.st_mtime)
os.mknod('rump/t/null', 0o666 | stat.S_IFCHR, os.makedev(1, 3), dir_fd=root)
os.mknod('/rump/t/fifo', 0o644 | stat.S_IFIFO)
s = os.lstat('/rump/t/null'); f = os.lstat('/rump/t/fifo')
print(stat.S_ISCHR(s.st_mode), os.major(s.st_rdev), os.minor(s.st_rdev), stat.S_ISFIFO(f.st_mode))
for n in ['link', 'null', 'fifo']:
    os.unlink('rump/t/' + n, dir_fd=root)
os.rmdir('rump/t/made', dir_fd=root)
print(sorted(os.listdir('/rump/t')))
# Names that do not enter the prefix stay the host's.
print(os.path.isdir(os.path.join('/proc/self/fd', str(usr))), os.stat('bin', dir_fd=usr).st_ino == os.stat('/usr/bin').st_ino)
try:
    os.stat('rumpx', dir_fd=root)
except FileNotFoundError:
    print(False)
# The current directory: chdir and fchdir to host directories.
os.chdir('/')
print(sorted(os.listdir('rump/t')), open('rump/t/renamed').read())
os.fchdir(usr)
print(os.path.exists('../rump/t/sub'), os.getcwd())
os.chdir('../rump/t')
print(os.getcwd(), sorted(os.listdir('.')))
"#;
    assert_eq!(
        python(&r, prog, &[]),
        "['f', 'sub']\nTrue True\nTrue 1 0o640\n1\nrenamed True\n0o600 2.0\n\
         True 1 3 True\n['f', 'renamed', 'sub']\nTrue True\nFalse\n\
         ['f', 'renamed', 'sub'] x\nTrue /usr\n/rump/t ['f', 'renamed', 'sub']\n"
    );
    // coreutils, from the host's root and from beside it.
    let o = r.rump(&[
        "sh",
        "-c",
        "cd / && ls rump/t && find rump/t -name sub && cd /usr && cat ../rump/t/f && stat -c %n ../rump/t/sub",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let host = std::fs::read_to_string("/etc/hostname").unwrap();
    assert_eq!(
        stdout(&o),
        format!("f\nrenamed\nsub\nrump/t/sub\n{host}../rump/t/sub\n")
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

#[test]
fn a_relative_socket_url_survives_changes_of_directory() {
    let r = Rig::start("hj-relurl");
    r.same(&["mkdir", "/rump/d"]);
    let rel = [("RUMP_SERVER", "unix://s")];
    // Every fork of bash connects again: with the URL as given, from /usr.
    let o = r.rump_env(&["bash", "-c", "cd /usr; /bin/echo hi"], &rel);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "hi\n");
    // Children exec'd after the cd reach the kernel, and the URL handed on
    // in the environment names the socket from anywhere.
    let o = r.rump_env(
        &[
            "bash",
            "-c",
            "cd /usr; ls -d /rump/d; (cd /; ls /rump); printenv RUMP_SERVER",
        ],
        &rel,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("/rump/d\nd\nunix://{}/s\n", r.dir.display())
    );
    // A program started by glibc's own exec (execl: past the hijack, so
    // with nothing handed on) connects anew with RUMP_SERVER.
    let prog = r#"
import ctypes, os
os.chdir('/usr')
libc = ctypes.CDLL(None)
libc.execl(b'/bin/ls', b'ls', b'-d', b'/rump/d', None)
"#;
    let o = r.rump_env(&["/usr/bin/python3", "-c", prog], &rel);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "/rump/d\n");
    // An absolute URL is left as it was.
    let o = r.rump(&["printenv", "RUMP_SERVER"]);
    assert_eq!(stdout(&o).trim(), r.url);
}
