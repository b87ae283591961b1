//! Descriptors across processes and waits: poll, select and epoll over host
//! and kernel descriptors, children, posix_spawn, fork, and sockets.

use super::*;

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
