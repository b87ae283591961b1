//! Processes: `fork` and `vfork` (the child becomes a copy of the parent's
//! process in the kernel, through the client library's fork support), the
//! `exec` family (the connection, the descriptor map and the current
//! directory go on into the new program), and closing ranges of
//! descriptors.

use super::{errno, set_errno};
use crate::route::LOWFDS_ENV;
use crate::state::{self, Hijack, PWD_ENV};
use libc::{c_char, c_int, c_uint, pid_t};
use rumpclient::{Client, ExecEnv};
use std::ffi::{CStr, CString};
use std::sync::Arc;

type CStrP = *const c_char;

unsafe extern "C" {
    static environ: *const CStrP;
}

fn host_fork() -> pid_t {
    host!(fork() as fn() -> pid_t)
}

/// In a new child: the process in the kernel the parent prepared with
/// `cookie` becomes this one's, over a connection of its own.
fn attach_child(h: &Hijack, slot: &mut Arc<Client>, cookie: [u8; sysproxy::payload::COOKIE_LEN]) {
    let old_fd = state::connection_fd();
    let fresh =
        state::inside(|| Client::connect_forked_placed(&h.url, cookie, state::place_connection));
    match fresh {
        Ok(c) => {
            let c = c.with_signal_window(state::signal_window);
            let old = std::mem::replace(slot, Arc::new(c));
            // The parent's connection is the parent's: let go of the copy,
            // even if a thread that does not exist here held a reference.
            match Arc::try_unwrap(old) {
                Ok(c) => drop(c),
                Err(shared) => {
                    std::mem::forget(shared);
                    host!(close(old_fd) as fn(c_int) -> c_int);
                }
            }
        }
        Err(e) => crate::die(&format!("rumpclient fork init: {e}")),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fork() -> pid_t {
    let Some(h) = state::get() else {
        return host_fork();
    };
    if super::mmap::held_here() {
        // Called from inside the mapping code (which holds its table):
        // the host's fork, as the library's own work.
        return host_fork();
    }
    // No handler runs until the fork is done (as in NetBSD's client): one
    // that made a kernel call would wait for the slot held here.
    let mask = rumpuser::block_all_signals();
    let pid = fork_holding_signals(h);
    rumpuser::restore_signal_mask(&mask);
    pid
}

fn fork_holding_signals(h: &state::Hijack) -> pid_t {
    // The mappings' table first (its users take the connection under it),
    // written back: what a child runs may read the files.
    let maps = super::mmap::hold_written_back(h);
    // Held across the fork, so the child finds the slot as it was.
    let mut slot = h.client_slot();
    let cookie = match state::inside(|| slot.prefork()) {
        Ok(c) => c,
        Err(e) => {
            set_errno(crate::xlate::errno_to_linux(e.0));
            return -1;
        }
    };
    // The library's other tables are held too, so that no other thread
    // is half-way through one when the child is copied.
    let held = (
        super::dir::dirs(),
        super::epoll::hold(),
        super::stdio::hold(),
        h.low(),
    );
    let pid = host_fork();
    drop(held);
    drop(maps);
    if pid == 0 {
        attach_child(h, &mut slot, cookie);
    }
    // A fork that failed leaves a prepared copy in the server, which it
    // drops when the cookie is never used (NetBSD's client does the same).
    pid
}

/// The child of `vfork` may do anything a child of `fork` may, so a fork
/// it is: a child sharing the parent's memory would also share its
/// connection.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vfork() -> pid_t {
    // SAFETY: fork as above.
    unsafe { fork() }
}

/// The C strings of a NULL-terminated array.
fn strings(mut p: *const CStrP) -> Vec<CStrP> {
    let mut v = Vec::new();
    if p.is_null() {
        return v;
    }
    loop {
        // SAFETY: the program passed a NULL-terminated array, as execve asks.
        let s = unsafe { *p };
        if s.is_null() {
            return v;
        }
        v.push(s);
        // SAFETY: within the array, which goes on up to its NULL.
        p = unsafe { p.add(1) };
    }
}

/// The environment for the new program: the program's, without what an
/// earlier image handed on, with what this one hands on.
fn exec_env(h: &Hijack, conn: c_int) -> ExecEnv {
    let mut env = ExecEnv::new(conn, &h.url);
    env.hand_on(LOWFDS_ENV, Some(&low_fds_for_exec(h).encode()));
    env.hand_on(PWD_ENV, h.cwd_in_rump().then_some("true"));
    env
}

/// The low descriptors that go on into the new program: those whose kernel
/// descriptor is not closed on exec. The placeholders of the others are
/// made close-on-exec, so they go with it; if the exec fails, nothing has
/// changed for this program.
fn low_fds_for_exec(h: &Hijack) -> crate::route::LowFds {
    let mut keep = crate::route::LowFds::default();
    let entries: Vec<(i32, i32)> = h.low().entries().collect();
    for (fd, k) in entries {
        let cloexec = h
            .sys(netbsd_abi::SYS_fcntl, &[k as u64, libc::F_GETFD as u64, 0])
            .map_or(true, |f| f & 1 != 0);
        let flag = if cloexec { libc::FD_CLOEXEC } else { 0 };
        host!(fcntl(fd, libc::F_SETFD, flag) as fn(c_int, c_int, c_int) -> c_int);
        if !cloexec {
            keep.insert(fd, k);
        }
    }
    keep
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn execve(path: CStrP, argv: *const CStrP, envp: *const CStrP) -> c_int {
    let Some(h) = state::get() else {
        return host!(execve(path, argv, envp) as fn(CStrP, *const CStrP, *const CStrP) -> c_int);
    };
    super::mmap::before_exec(h);
    let conn = state::connection_fd();
    let handed_on = exec_env(h, conn);
    let env = handed_on.pointers(strings(envp).into_iter().map(|s| {
        // SAFETY: an environment string of the program's, NUL-terminated.
        unsafe { CStr::from_ptr(s) }
    }));
    let setfd = |v: c_int| {
        host!(fcntl(conn, libc::F_SETFD, v as libc::c_ulong)
            as fn(c_int, c_int, libc::c_ulong) -> c_int)
    };
    setfd(0);
    let r =
        host!(execve(path, argv, env.as_ptr()) as fn(CStrP, *const CStrP, *const CStrP) -> c_int);
    // Still here: the exec failed, and the connection stays this program's.
    // SAFETY: errno of this thread, kept across the fcntl.
    let err = unsafe { *libc::__errno_location() };
    setfd(libc::FD_CLOEXEC);
    set_errno(err);
    r
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn execv(path: CStrP, argv: *const CStrP) -> c_int {
    // SAFETY: the program's arguments, with its environment.
    unsafe { execve(path, argv, environ) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn execvp(file: CStrP, argv: *const CStrP) -> c_int {
    // SAFETY: the program's arguments, with its environment.
    unsafe { execvpe(file, argv, environ) }
}

/// `execvpe` as glibc does it (its own goes straight to the kernel, past
/// this library): a name without `/` is looked for along PATH, a file
/// without a known format is run by `/bin/sh`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn execvpe(file: CStrP, argv: *const CStrP, envp: *const CStrP) -> c_int {
    if file.is_null() {
        set_errno(libc::EFAULT);
        return -1;
    }
    // SAFETY: the program's NUL-terminated file name.
    let name = unsafe { CStr::from_ptr(file) }.to_bytes().to_vec();
    if name.is_empty() {
        set_errno(libc::ENOENT);
        return -1;
    }
    let try_one = |path: &CStr| -> c_int {
        // SAFETY: a NUL-terminated path and the program's arrays.
        let r = unsafe { execve(path.as_ptr(), argv, envp) };
        // SAFETY: this thread's errno.
        if r < 0 && unsafe { *libc::__errno_location() } == libc::ENOEXEC {
            let mut args = vec![c"/bin/sh".as_ptr(), path.as_ptr()];
            args.extend(strings(argv).into_iter().skip(1));
            args.push(std::ptr::null());
            // SAFETY: a NULL-terminated array of NUL-terminated strings.
            unsafe { execve(c"/bin/sh".as_ptr(), args.as_ptr(), envp) };
        }
        -1
    };
    if name.contains(&b'/') {
        let Ok(p) = CString::new(name) else {
            set_errno(libc::ENOENT);
            return -1;
        };
        return try_one(&p);
    }
    let path = std::env::var_os("PATH")
        .map(std::os::unix::ffi::OsStringExt::into_vec)
        .unwrap_or_else(|| b"/bin:/usr/bin".to_vec());
    let mut saw_eacces = false;
    for dir in path.split(|&b| b == b':') {
        let mut full = if dir.is_empty() {
            b".".to_vec()
        } else {
            dir.to_vec()
        };
        full.push(b'/');
        full.extend_from_slice(&name);
        let Ok(p) = CString::new(full) else { continue };
        try_one(&p);
        // SAFETY: this thread's errno.
        match unsafe { *libc::__errno_location() } {
            libc::EACCES => saw_eacces = true,
            libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => {}
            _ => return -1,
        }
    }
    set_errno(if saw_eacces {
        libc::EACCES
    } else {
        libc::ENOENT
    });
    -1
}

/// Close host descriptors `first..=last` except the connection's, and the
/// kernel descriptors with numbers in the range.
fn close_all(h: &Hijack, first: c_uint, last: c_uint, flags: c_uint) -> c_int {
    let fdoff = h.cfg.fdoff as c_uint;
    let host_range = |a: c_uint, b: c_uint| -> c_int {
        if a > b {
            return 0;
        }
        host!(close_range(a, b, flags as c_int) as fn(c_uint, c_uint, c_int) -> c_int)
    };
    if flags & !(libc::CLOSE_RANGE_CLOEXEC | libc::CLOSE_RANGE_UNSHARE) != 0 || first > last {
        set_errno(libc::EINVAL);
        return -1;
    }
    let cloexec = flags & libc::CLOSE_RANGE_CLOEXEC != 0;
    // Low numbers of kernel descriptors: as the program's close would.
    let low: Vec<(i32, i32)> = h
        .low()
        .entries()
        .filter(|&(fd, _)| (first..=last).contains(&(fd as c_uint)))
        .collect();
    for (fd, k) in low {
        if cloexec {
            let _ = h.sys(
                netbsd_abi::SYS_fcntl,
                &[
                    k as u64,
                    netbsd_abi::F_SETFD as u64,
                    netbsd_abi::FD_CLOEXEC as u64,
                ],
            );
        } else {
            // SAFETY: closing the program's own descriptor as it asked.
            unsafe { super::fd::close(fd) };
        }
    }
    // Host numbers that stay: the connection, a spawn's error pipe, and
    // the library's own descriptors (the pages of shared mappings).
    let mut keep: Vec<c_uint> = [state::connection_fd(), SPAWN_PIPE.with(|p| p.get())]
        .into_iter()
        .chain(state::OWN_HOST_FDS.list())
        .filter(|&k| k >= 0)
        .map(|k| k as c_uint)
        .collect();
    keep.sort_unstable();
    let host_last = last.min(fdoff.saturating_sub(1));
    let mut from = first;
    for &k in keep.iter().filter(|&&k| (first..=host_last).contains(&k)) {
        if host_range(from, k.saturating_sub(1)) < 0 {
            return -1;
        }
        from = k + 1;
    }
    if host_range(from, host_last) < 0 {
        return -1;
    }
    if last >= fdoff {
        // The kernel copies behind low numbers, and the library's own
        // descriptors, are not the program's.
        let hidden: Vec<u64> = h.hidden_kfds().into_iter().map(|k| k as u64).collect();
        let lo = u64::from(first.max(fdoff) - fdoff);
        let hi = u64::from(last - fdoff);
        let one = |k: u64| {
            if !hidden.contains(&k) {
                let _ = if cloexec {
                    h.sys(
                        netbsd_abi::SYS_fcntl,
                        &[k, netbsd_abi::F_SETFD as u64, netbsd_abi::FD_CLOEXEC as u64],
                    )
                } else {
                    h.sys(netbsd_abi::SYS_close, &[k])
                };
            }
        };
        if cloexec {
            (lo..=hi.min(4095)).for_each(one);
        } else if hi >= u64::from(OPEN_ENDED) {
            // To the end (callers pass ~0 or INT_MAX): one by one up to the
            // last hidden copy, then NetBSD's F_CLOSEM for all the rest.
            let above = hidden.iter().map(|&k| k + 1).max().unwrap_or(0).max(lo);
            (lo..above).for_each(one);
            let closem = netbsd_abi::F_CLOSEM as u64;
            let _ = h.sys(netbsd_abi::SYS_fcntl, &[above, closem, 0]);
        } else {
            (lo..=hi).for_each(one);
        }
    }
    0
}

thread_local! {
    /// A spawn's error pipe in the child, which its file actions must not close.
    static SPAWN_PIPE: std::cell::Cell<c_int> = const { std::cell::Cell::new(-1) };
}

/// A range of kernel numbers this long counts as "to the end": the kernel
/// has no descriptor numbers that high.
const OPEN_ENDED: c_uint = 1 << 20;

#[unsafe(no_mangle)]
pub unsafe extern "C" fn close_range(first: c_uint, last: c_uint, flags: c_int) -> c_int {
    match state::get() {
        Some(h) => close_all(h, first, last, flags as c_uint),
        None => host!(close_range(first, last, flags) as fn(c_uint, c_uint, c_int) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn closefrom(lowfd: c_int) {
    match state::get() {
        Some(h) => {
            close_all(h, lowfd.max(0) as c_uint, c_uint::MAX, 0);
        }
        None => host!(closefrom(lowfd) as fn(c_int) -> ()),
    }
}

// posix_spawn. glibc's starts the child with clone and execs it with its
// own internal execve, past this library: the new program would then find
// no connection handed on and start as a new process in the kernel. So
// spawning is done here: fork (the child becomes a copy of the process in
// the kernel), the file actions and attributes through this library's
// calls (a file action may name a kernel path or descriptor), then exec.
// An exec failure reaches the parent through a pipe, as an error number.

/// glibc's `struct __spawn_action` tags.
const SPAWN_CLOSE: i32 = 0;
const SPAWN_DUP2: i32 = 1;
const SPAWN_OPEN: i32 = 2;
const SPAWN_CHDIR: i32 = 3;
const SPAWN_FCHDIR: i32 = 4;
const SPAWN_CLOSEFROM: i32 = 5;
const SPAWN_TCSETPGRP: i32 = 6;
/// `sizeof(struct __spawn_action)`: the tag, then a union of at most an
/// int, a pointer, an int and a mode_t.
const SPAWN_ACTION_LEN: usize = 32;

fn i32_at(b: &[u8], o: usize) -> i32 {
    b.get(o..o + 4)
        .map_or(0, |x| i32::from_ne_bytes([x[0], x[1], x[2], x[3]]))
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    b.get(o..o + 8)
        .map_or(0, |x| u64::from_ne_bytes(x.try_into().unwrap_or_default()))
}

/// Carry out the file actions (glibc's `posix_spawn_file_actions_t`:
/// `__allocated`, `__used`, then the array) in the child.
fn file_actions(fa: *const libc::c_void) -> Result<(), i32> {
    if fa.is_null() {
        return Ok(());
    }
    // An action's target that is the error pipe's number moves the pipe.
    let clear = |to: c_int| {
        if SPAWN_PIPE.with(|p| p.get()) == to {
            let moved =
                host!(fcntl(to, libc::F_DUPFD_CLOEXEC, to + 1) as fn(c_int, c_int, c_int) -> c_int);
            if moved >= 0 {
                SPAWN_PIPE.with(|p| p.set(moved));
            }
        }
    };
    let head = super::mem_read(fa as u64, 16)?;
    let used = i32_at(&head, 4).max(0) as usize;
    let actions = super::mem_read(u64_at(&head, 8), used * SPAWN_ACTION_LEN)?;
    let ok = |r: c_int| if r < 0 { Err(errno()) } else { Ok(()) };
    for a in actions.chunks_exact(SPAWN_ACTION_LEN) {
        let (tag, fd) = (i32_at(a, 0), i32_at(a, 8));
        // SAFETY (all below): this library's own functions, with arguments
        // the program put in its file actions.
        unsafe {
            match tag {
                SPAWN_CLOSE => {
                    super::fd::close(fd);
                }
                SPAWN_DUP2 => {
                    let to = i32_at(a, 12);
                    clear(to);
                    if fd == to {
                        ok(super::fd::fcntl(fd, libc::F_SETFD, 0))?;
                    } else {
                        ok(super::fd::dup2(fd, to))?;
                    }
                }
                SPAWN_OPEN => {
                    let path = u64_at(a, 16) as *const c_char;
                    let (flags, mode) = (i32_at(a, 24), i32_at(a, 28) as u32);
                    let got = super::path::open_at(libc::AT_FDCWD, path, flags, mode);
                    ok(got)?;
                    if got != fd {
                        clear(fd);
                        ok(super::fd::dup2(got, fd))?;
                        super::fd::close(got);
                    }
                }
                SPAWN_CHDIR => ok(super::path::chdir(u64_at(a, 8) as *const c_char))?,
                SPAWN_FCHDIR => ok(super::path::fchdir(fd))?,
                SPAWN_CLOSEFROM => closefrom(fd),
                SPAWN_TCSETPGRP => ok(libc::tcsetpgrp(fd, libc::getpgrp()))?,
                _ => return Err(libc::EINVAL),
            }
        }
    }
    Ok(())
}

/// Apply the attributes (glibc's `posix_spawnattr_t`: flags, process
/// group, default signals, signal mask, scheduling) in the child.
fn attributes(attr: *const libc::c_void) -> Result<(), i32> {
    if attr.is_null() {
        return Ok(());
    }
    let a = super::mem_read(attr as u64, 272)?;
    let flags = i32::from(i16::from_ne_bytes([a[0], a[1]]));
    let set = |o: usize| -> libc::sigset_t {
        // SAFETY: sigset_t is plain data, filled from the attribute's bytes.
        let mut s: libc::sigset_t = unsafe { std::mem::zeroed() };
        let n = std::mem::size_of::<libc::sigset_t>();
        // SAFETY: `s` is n bytes long; the bytes are the program's sigset.
        unsafe {
            std::ptr::copy_nonoverlapping(
                a[o..o + n].as_ptr(),
                (&mut s as *mut libc::sigset_t).cast(),
                n,
            )
        };
        s
    };
    let ok = |r: c_int| if r < 0 { Err(errno()) } else { Ok(()) };
    // SAFETY (all below): plain process calls on this child.
    unsafe {
        if flags & libc::POSIX_SPAWN_SETSIGMASK != 0 {
            ok(libc::sigprocmask(
                libc::SIG_SETMASK,
                &set(136),
                std::ptr::null_mut(),
            ))?;
        }
        if flags & libc::POSIX_SPAWN_SETSIGDEF != 0 {
            let sd = set(8);
            for sig in 1..libc::SIGRTMAX() {
                if libc::sigismember(&sd, sig) == 1 {
                    libc::signal(sig, libc::SIG_DFL);
                }
            }
        }
        if flags & i32::from(libc::POSIX_SPAWN_SETSID) != 0 {
            ok(libc::setsid())?;
        }
        if flags & libc::POSIX_SPAWN_SETPGROUP != 0 {
            ok(libc::setpgid(0, i32_at(&a, 4)))?;
        }
        let param = libc::sched_param {
            sched_priority: i32_at(&a, 264),
        };
        if flags & libc::POSIX_SPAWN_SETSCHEDULER != 0 {
            ok(libc::sched_setscheduler(0, i32_at(&a, 268), &param))?;
        } else if flags & libc::POSIX_SPAWN_SETSCHEDPARAM != 0 {
            ok(libc::sched_setparam(0, &param))?;
        }
        if flags & libc::POSIX_SPAWN_RESETIDS != 0 {
            ok(libc::setgid(libc::getgid()))?;
            ok(libc::setuid(libc::getuid()))?;
        }
    }
    Ok(())
}

fn spawn(
    pid: *mut pid_t,
    file: CStrP,
    fa: *const libc::c_void,
    attr: *const libc::c_void,
    argv: *const CStrP,
    envp: *const CStrP,
    search: bool,
) -> c_int {
    let mut p = [0 as c_int; 2];
    if host!(pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) as fn(*mut c_int, c_int) -> c_int) < 0 {
        return errno();
    }
    // SAFETY: this library's fork.
    let child = unsafe { fork() };
    if child < 0 {
        let e = errno();
        host!(close(p[0]) as fn(c_int) -> c_int);
        host!(close(p[1]) as fn(c_int) -> c_int);
        return e;
    }
    if child == 0 {
        host!(close(p[0]) as fn(c_int) -> c_int);
        // The error pipe goes high, out of the file actions' way, and
        // closing ranges leave it.
        let floor = state::get().map_or(64, |h| h.cfg.fdoff / 2 - 8).max(3);
        let moved =
            host!(fcntl(p[1], libc::F_DUPFD_CLOEXEC, floor) as fn(c_int, c_int, c_int) -> c_int);
        if moved >= 0 {
            host!(close(p[1]) as fn(c_int) -> c_int);
            p[1] = moved;
        }
        SPAWN_PIPE.with(|s| s.set(p[1]));
        let r = attributes(attr).and_then(|_| file_actions(fa));
        if r.is_ok() {
            // SAFETY: the program's file, arguments and environment.
            unsafe {
                if search {
                    execvpe(file, argv, envp);
                } else {
                    execve(file, argv, envp);
                }
            }
        }
        let e = r.err().unwrap_or_else(errno);
        let p1 = SPAWN_PIPE.with(|p| p.get());
        host!(write(p1, (&e as *const i32).cast(), 4)
            as fn(c_int, *const libc::c_void, usize) -> isize);
        // SAFETY: the child ends here, as glibc's does, without the parent's handlers.
        unsafe { libc::_exit(127) };
    }
    host!(close(p[1]) as fn(c_int) -> c_int);
    let mut e = [0u8; 4];
    let n = loop {
        let n =
            host!(read(p[0], e.as_mut_ptr().cast(), 4)
                as fn(c_int, *mut libc::c_void, usize) -> isize);
        if n >= 0 || errno() != libc::EINTR {
            break n;
        }
    };
    host!(close(p[0]) as fn(c_int) -> c_int);
    if n == 4 {
        let mut status = 0;
        host!(waitpid(child, &mut status, 0) as fn(pid_t, *mut c_int, c_int) -> pid_t);
        return i32::from_ne_bytes(e);
    }
    if !pid.is_null() {
        let _ = super::put(pid, &child);
    }
    0
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn posix_spawn(
    pid: *mut pid_t,
    path: CStrP,
    fa: *const libc::c_void,
    attr: *const libc::c_void,
    argv: *const CStrP,
    envp: *const CStrP,
) -> c_int {
    if state::get().is_none() {
        return host!(posix_spawn(pid, path, fa, attr, argv, envp)
            as fn(
                *mut pid_t,
                CStrP,
                *const libc::c_void,
                *const libc::c_void,
                *const CStrP,
                *const CStrP,
            ) -> c_int);
    }
    spawn(pid, path, fa, attr, argv, envp, false)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn posix_spawnp(
    pid: *mut pid_t,
    file: CStrP,
    fa: *const libc::c_void,
    attr: *const libc::c_void,
    argv: *const CStrP,
    envp: *const CStrP,
) -> c_int {
    if state::get().is_none() {
        return host!(posix_spawnp(pid, file, fa, attr, argv, envp)
            as fn(
                *mut pid_t,
                CStrP,
                *const libc::c_void,
                *const libc::c_void,
                *const CStrP,
                *const CStrP,
            ) -> c_int);
    }
    spawn(pid, file, fa, attr, argv, envp, true)
}

/// `system(3)` as POSIX describes it (glibc's own spawns with its internal
/// exec): `/bin/sh -c` in a child made by this library's fork, with
/// SIGINT and SIGQUIT ignored and SIGCHLD blocked while waiting.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn system(cmd: CStrP) -> c_int {
    if state::get().is_none() {
        return host!(system(cmd) as fn(CStrP) -> c_int);
    }
    if cmd.is_null() {
        // A shell is there.
        return 1;
    }
    // SAFETY (this block): signal dispositions and masks of this process,
    // saved and restored around the child, with local structures.
    unsafe {
        let mut ignore: libc::sigaction = std::mem::zeroed();
        ignore.sa_sigaction = libc::SIG_IGN;
        let (mut old_int, mut old_quit): (libc::sigaction, libc::sigaction) =
            (std::mem::zeroed(), std::mem::zeroed());
        libc::sigaction(libc::SIGINT, &ignore, &mut old_int);
        libc::sigaction(libc::SIGQUIT, &ignore, &mut old_quit);
        let mut chld: libc::sigset_t = std::mem::zeroed();
        let mut old_mask: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut chld);
        libc::sigaddset(&mut chld, libc::SIGCHLD);
        libc::sigprocmask(libc::SIG_BLOCK, &chld, &mut old_mask);
        let restore = || {
            libc::sigaction(libc::SIGINT, &old_int, std::ptr::null_mut());
            libc::sigaction(libc::SIGQUIT, &old_quit, std::ptr::null_mut());
            libc::sigprocmask(libc::SIG_SETMASK, &old_mask, std::ptr::null_mut());
        };
        let pid = fork();
        if pid == 0 {
            restore();
            let argv = [c"sh".as_ptr(), c"-c".as_ptr(), cmd, std::ptr::null()];
            execve(c"/bin/sh".as_ptr(), argv.as_ptr(), environ);
            libc::_exit(127);
        }
        let mut status = -1;
        if pid > 0 {
            while libc::waitpid(pid, &mut status, 0) < 0 {
                if errno() != libc::EINTR {
                    status = -1;
                    break;
                }
            }
        }
        restore();
        status
    }
}

/// Streams made by this library's `popen`, with their children.
static POPENED: std::sync::Mutex<Vec<(usize, pid_t)>> = std::sync::Mutex::new(Vec::new());

/// `popen(3)` (glibc's spawns with its internal exec): a pipe, a child
/// made by this library's fork running `/bin/sh -c`, and a stream on the
/// parent's end.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn popen(cmd: CStrP, mode: CStrP) -> *mut libc::FILE {
    if state::get().is_none() {
        return host!(popen(cmd, mode) as fn(CStrP, CStrP) -> *mut libc::FILE);
    }
    let m = super::read_path(mode).unwrap_or_default();
    let reading = match m.first() {
        Some(b'r') => true,
        Some(b'w') => false,
        _ => {
            set_errno(libc::EINVAL);
            return std::ptr::null_mut();
        }
    };
    let mut p = [0 as c_int; 2];
    if host!(pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) as fn(*mut c_int, c_int) -> c_int) < 0 {
        return std::ptr::null_mut();
    }
    // The child's end goes on its standard input or output.
    let (mine, theirs, target) = if reading {
        (p[0], p[1], 1)
    } else {
        (p[1], p[0], 0)
    };
    // SAFETY: this library's fork.
    let pid = unsafe { fork() };
    if pid == 0 {
        // SAFETY: the child sets up its end and runs the shell.
        unsafe {
            super::fd::dup2(theirs, target);
            let argv = [c"sh".as_ptr(), c"-c".as_ptr(), cmd, std::ptr::null()];
            execve(c"/bin/sh".as_ptr(), argv.as_ptr(), environ);
            libc::_exit(127);
        }
    }
    host!(close(theirs) as fn(c_int) -> c_int);
    if pid < 0 {
        host!(close(mine) as fn(c_int) -> c_int);
        return std::ptr::null_mut();
    }
    let fmode = if reading { c"r" } else { c"w" };
    let f = host!(fdopen(mine, fmode.as_ptr()) as fn(c_int, CStrP) -> *mut libc::FILE);
    if f.is_null() {
        host!(close(mine) as fn(c_int) -> c_int);
        return f;
    }
    POPENED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((f as usize, pid));
    f
}

/// `pclose(3)` for this library's streams: close, then wait for the child.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pclose(f: *mut libc::FILE) -> c_int {
    let pid = {
        let mut v = POPENED.lock().unwrap_or_else(|e| e.into_inner());
        let at = v.iter().position(|&(p, _)| p == f as usize);
        at.map(|i| v.remove(i).1)
    };
    let Some(pid) = pid else {
        return host!(pclose(f) as fn(*mut libc::FILE) -> c_int);
    };
    // SAFETY: the stream this library's popen made.
    unsafe { libc::fclose(f) };
    let mut status = 0;
    loop {
        // SAFETY: waiting for our own child.
        if unsafe { libc::waitpid(pid, &mut status, 0) } >= 0 {
            return status;
        }
        if errno() != libc::EINTR {
            return -1;
        }
    }
}
