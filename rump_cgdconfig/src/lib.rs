//! `rump.cgdconfig`'s parts that know no kernel: the parameters file
//! ([`params`], after NetBSD's `sbin/cgdconfig/params.c`, `cgdlex.l` and
//! `cgdparse.y`), the bit strings it stores keys and salts in ([`bits`]),
//! PKCS #5 PBKDF2 with NetBSD's historic variant ([`pkcs5`]), the checks
//! a configured disk is verified with ([`verify`]), and the ioctl
//! arguments ([`cgdio`]).

#![forbid(unsafe_code)]

pub mod bits;
pub mod cgdio;
pub mod params;
pub mod pkcs5;
pub mod verify;
