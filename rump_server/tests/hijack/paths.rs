//! Names: temporary files made in the kernel, and relative names under host
//! directories that lead into it.

use super::*;

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
# '@' in a name is a template's six Xs.
def t(s):
    return ctypes.create_string_buffer(s.replace('@', 'X' * 6).encode())
def err():
    return os.strerror(ctypes.get_errno())
fd, name = tempfile.mkstemp(dir='/rump/t')
print('py', fd >= 512, os.path.exists(name))
print('py', os.path.isdir(tempfile.mkdtemp(dir='/rump/t')))
b = t('/rump/t/s@'); fd = libc.mkstemp(b); name = b.value.decode()
st = os.stat(name)
print('mkstemp', fd >= 512, name[:9], len(name), oct(st.st_mode & 0o777), os.fstat(fd).st_ino == st.st_ino)
os.write(fd, b'via the descriptor'); print(open(name).read())
b = t('/rump/t/o@'); fd = libc.mkostemp(b, os.O_CLOEXEC | os.O_APPEND)
print('mkostemp', fd >= 512, os.get_inheritable(fd), fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND != 0)
b = t('/rump/t/p@.txt'); fd = libc.mkstemps(b, 4); print('mkstemps', fd >= 512, b.value.decode()[-4:], os.path.exists(b.value))
b = t('/rump/t/q@.c'); fd = libc.mkostemps(b, 2, 0); print('mkostemps', fd >= 512, b.value.decode()[-2:])
d = libc.mkdtemp(t('/rump/t/d@')).decode()
print('mkdtemp', d[:9], oct(os.stat(d).st_mode & 0o777))
n = libc.mktemp(t('/rump/t/n@')).decode(); print('mktemp', n[:9], len(n), os.path.exists(n))
for bad in ['/rump/t/' + 'X' * 5, '/rump/t/a@b', '/rump/t/@/x']:
    print('bad', libc.mkstemp(t(bad)), err())
print('bad', libc.mkstemps(t('/rump/t/@'), -1), err())
print('bad', libc.mkdtemp(t('/rump/t/x')), err())
print('bad', libc.mktemp(t('/rump/t/x')), err())
print('nodir', libc.mkstemp(t('/rump/none/@')), err())
host = t(os.getcwd() + '/h@'); fd = libc.mkstemp(host)
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
