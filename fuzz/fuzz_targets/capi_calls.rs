//! Fuzz target: the exported `rump_sys_*` calls of `librump.so`, with the
//! numbers, flags and lengths the input gives, over valid buffers: every
//! pointer argument points into one buffer, filled from the input, and
//! every length fits it. The library is a `cdylib`, so its modules are
//! compiled in here by path; the kernel boots with the VFS faction and
//! tmpfs built in. Each input runs as a new process of the kernel, which
//! exits at the end and closes what the calls opened.
//!
//! Run it with a kernel memory limit (`RUMP_MEMLIMIT=1g`) and stdin from
//! /dev/null: an aio read moves its data through kernel memory, charged
//! to that limit, and an unlimited kernel gives a read of gigabytes from
//! `/dev/zero` all it asks for; the console reads the host's stdin.
#![no_main]

#[path = "../../rump/capi/librump/src/call.rs"]
mod call;
#[path = "../../rump/capi/librump/src/cstr.rs"]
mod cstr;
#[path = "../../rump/capi/librump/src/etfs.rs"]
mod etfs;
#[path = "../../rump/capi/librump/src/init.rs"]
mod init;
#[path = "../../rump/capi/librump/src/lwproc.rs"]
mod lwproc;
#[path = "../../rump/capi/librump/src/memory.rs"]
mod memory;
#[path = "../../rump/capi/librump/src/module.rs"]
#[allow(dead_code)]
mod module;
#[path = "../../rump/capi/librump/src/pipe.rs"]
mod pipe;
#[path = "../../rump/capi/librump/src/sched.rs"]
mod sched;
#[path = "../../rump/capi/librump/src/sysimpl.rs"]
mod sysimpl;

mod capi_calls_table;

use std::ffi::c_void;
use std::sync::Once;

/// The calls left out: they end the process (`reboot`), signal it (a
/// signal the kernel posts to a local process reaches the host's), make
/// descriptors a read may wait on forever (pipes, sockets, FIFOs, which
/// `mknod` makes too), serve forever (`nfssvc`), or wait
/// for something no call of the same input can bring (a sleep of any
/// length, a child, a signal, a lock another descriptor holds), which the
/// fuzzer would report as a hang.
const SKIPPED: &[&str] = &[
    "reboot",
    "nfssvc",
    "select",
    "pselect",
    "pollts",
    "kevent",
    "__aio_suspend50",
    "mknod",
    "__mknod50",
    "mknodat",
    "poll",
    "__pollts50",
    "__select50",
    "__pselect50",
    "__kevent50",
    "__nanosleep50",
    "clock_nanosleep",
    "__sigsuspend14",
    "____sigtimedwait50",
    "wait4",
    "__wait450",
    "wait6",
    "accept",
    "paccept",
    "recvfrom",
    "recvmsg",
    "recvmmsg",
    "connect",
    "flock",
    "fcntl",
    "pipe2",
    "socket",
    "__socket30",
    "socketpair",
    "mkfifo",
    "mkfifoat",
    "_ksem_wait",
    "_ksem_timedwait",
    "kill",
    "__setitimer50",
    "timer_create",
    "__timer_settime50",
];

/// The buffer every pointer argument points into.
const ARENA: usize = 64 * 1024;

/// Draws a call's arguments from the input.
pub struct Draw<'a> {
    data: &'a [u8],
    arena: *mut u8,
}

impl Draw<'_> {
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        let n = N.min(self.data.len());
        b[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        b
    }

    /// A 32-bit number or flag word.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.bytes())
    }

    /// A 64-bit number.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.bytes())
    }

    /// A length that fits the buffer.
    pub fn len(&mut self) -> u64 {
        u64::from(self.u32()) % (ARENA as u64 / 2 + 1)
    }

    /// A pointer into the first half of the buffer, so that any length
    /// still fits after it.
    pub fn ptr(&mut self) -> *mut c_void {
        let at = usize::from(u16::from_le_bytes(self.bytes())) % (ARENA / 2);
        self.arena.wrapping_add(at).cast()
    }
}

static BOOT: Once = Once::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    BOOT.call_once(|| {
        let r = init::init_with(&[&rumpvfs::COMPONENT, &rumpfs_tmpfs::COMPONENT]);
        assert_eq!(r, 0, "rump_init");
    });
    if data.len() < 4 {
        return;
    }
    let (fill, data) = data.split_at(data.len().min(256));
    let mut arena = vec![0u8; ARENA];
    for (i, b) in arena.iter_mut().enumerate() {
        *b = fill[i % fill.len()];
    }
    assert_eq!(lwproc::rump_pub_lwproc_rfork(netbsd_abi::RUMP_RFCFDG), 0);
    let mut d = Draw {
        data,
        arena: arena.as_mut_ptr(),
    };
    let calls = capi_calls_table::CALLS;
    for _ in 0..16 {
        if d.data.is_empty() {
            break;
        }
        let (name, call) = calls[usize::from(u16::from_le_bytes(d.bytes())) % calls.len()];
        if !SKIPPED.contains(&name) {
            call(&mut d);
        }
    }
    lwproc::rump_pub_lwproc_releaselwp();
});
