//! `librump.so`: NetBSD's `rump(3)` C interface for local clients. A C
//! program links this library and the component libraries it wants
//! (`cc prog.c -lrump -lrumpvfs -lrumpfs_tmpfs`), calls `rump_init()` and
//! then the `rump_sys_*` calls of `<rump/rump_syscalls.h>` and the
//! `rump_pub_*` calls of `<rump/rump.h>`, which run in a kernel inside the
//! program's own process.
//!
//! As NetBSD's library: a system call that fails returns -1 with `errno`
//! set to NetBSD's error number (no translation to the host's), one that
//! succeeds sets `errno` to 0; the `rump_pub_*` calls return the error
//! number itself. A call made before `rump_init()` fails with ENXIO, as
//! one made after the kernel halted does.
//!
//! The kernel reads and writes the caller's buffers by their addresses,
//! through the hypercall layer's own-memory copies: an address that is not
//! mapped is EFAULT, not a crash (NetBSD's local kernel copies with
//! `memcpy` and faults only on NULL).
//!
//! The exported functions need `no_mangle`, and C callers hand raw
//! pointers: this shim is where that `unsafe` lives.

mod call;
mod cstr;
mod etfs;
mod init;
mod lwproc;
mod memory;
mod module;
mod pipe;
mod sched;
mod sysimpl;
