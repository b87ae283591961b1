//! Host tap devices (Linux `/dev/net/tun` in tap mode): what NetBSD's
//! `rumpcomp_virtif_*` host calls do for `virt(4)` — open the device by
//! name, read and write whole Ethernet frames, and wait for one.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::time::Duration;

/// `IFF_TAP`, `IFF_NO_PI` (linux/if_tun.h).
const IFF_TAP: libc::c_short = 0x0002;
const IFF_NO_PI: libc::c_short = 0x1000;
/// `TUNSETIFF`: `_IOW('T', 202, int)`.
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
/// Linux's `IFNAMSIZ`.
const IFNAMSIZ: usize = libc::IFNAMSIZ;

/// An open tap device.
pub struct Tap {
    file: File,
    name: String,
}

/// `struct ifreq` as TUNSETIFF reads it: the name, then the flags.
#[repr(C)]
struct IfReq {
    name: [u8; IFNAMSIZ],
    flags: libc::c_short,
    _pad: [u8; 22],
}

impl Tap {
    /// Open (creating, if allowed) the host tap device `name`.
    pub fn open(name: &str) -> std::io::Result<Tap> {
        if name.is_empty() || name.len() >= IFNAMSIZ || name.contains(['/', '\0']) {
            return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/net/tun")?;
        let mut req = IfReq {
            name: [0; IFNAMSIZ],
            flags: IFF_TAP | IFF_NO_PI,
            _pad: [0; 22],
        };
        req.name[..name.len()].copy_from_slice(name.as_bytes());
        // SAFETY: `req` is a valid, initialised `struct ifreq` for the
        // duration of the call, and the fd is open.
        let r = unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF, &mut req) };
        if r < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Tap {
            file,
            name: name.to_owned(),
        })
    }

    /// The device's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Wait up to `timeout` for a frame; true if one can be read.
    pub fn wait(&self, timeout: Duration) -> bool {
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        crate::sock::poll_in(self.file.as_raw_fd(), ms) > 0
    }

    /// Read one frame into `buf` (a read takes exactly one); its length.
    pub fn read_frame(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        (&self.file).read(buf)
    }

    /// Write one frame.
    pub fn write_frame(&self, frame: &[u8]) -> std::io::Result<()> {
        (&self.file).write(frame).map(drop)
    }
}
