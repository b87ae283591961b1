//! Mappings of kernel files: Python's `mmap`, large and shared maps,
//! descriptors and locks, and signal handlers that touch a mapping.

use super::*;

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
