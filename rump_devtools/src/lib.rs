//! What the device tools share: devices opened in a remote kernel, their
//! ioctls, NetBSD's `getopt` and `opendisk`, and the ioctl structures of
//! `sys/rndio.h`, `sys/dev/vndvar.h` and `sys/disklabel.h` (the tools
//! reach a kernel through the protocol only, so they carry the layouts).

#![forbid(unsafe_code)]

pub mod direct;
pub mod label;
pub mod protofile;
pub mod rndio;
pub mod vndio;

use netbsd_abi::{O_RDONLY, SYS_close, SYS_ioctl, SYS_open};
use rumpclient::{Client, Errno, Regions};

/// An open file in the remote kernel; closed when dropped.
pub struct Dev<'a> {
    c: &'a Client,
    fd: u64,
}

impl<'a> Dev<'a> {
    /// `open(path, flags)` in the kernel's namespace.
    pub fn open(c: &'a Client, path: &str, flags: i32) -> Result<Dev<'a>, Errno> {
        let m = Regions::new();
        let mut p = path.as_bytes().to_vec();
        p.push(0);
        let r = c.syscall(SYS_open, &[m.add(&p), flags as u32 as u64, 0], &m)?;
        Ok(Dev { c, fd: r[0] as u64 })
    }

    /// The descriptor, for calls of a tool's own.
    pub fn fd(&self) -> u64 {
        self.fd
    }

    /// `ioctl(fd, cmd, data)`: `data` is copied in and out.
    pub fn ioctl(&self, cmd: u64, data: &mut [u8]) -> Result<(), Errno> {
        self.ioctl_with(cmd, data, &Regions::new())
    }

    /// `ioctl` with more memory the structure points into (in `m`).
    pub fn ioctl_with(&self, cmd: u64, data: &mut [u8], m: &Regions) -> Result<(), Errno> {
        let a = m.add(data);
        self.c.syscall(SYS_ioctl, &[self.fd, cmd, a], m)?;
        data.copy_from_slice(&m.get(a)[..data.len()]);
        Ok(())
    }

    /// `pread(fd, buf, off)`: how many bytes came.
    pub fn pread(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let m = Regions::new();
        let a = m.add_zeroed(buf.len());
        let args = [self.fd, a, buf.len() as u64, 0, off];
        let r = self.c.syscall(netbsd_abi::SYS_pread, &args, &m)?;
        let n = (r[0] as usize).min(buf.len());
        buf[..n].copy_from_slice(&m.get(a)[..n]);
        Ok(n)
    }

    /// `pwrite(fd, data, off)`: how many bytes went.
    pub fn pwrite(&self, data: &[u8], off: u64) -> Result<usize, Errno> {
        let m = Regions::new();
        let args = [self.fd, m.add(data), data.len() as u64, 0, off];
        let r = self.c.syscall(netbsd_abi::SYS_pwrite, &args, &m)?;
        Ok((r[0] as usize).min(data.len()))
    }

    /// `read(fd, buf)`: how many bytes came.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        let m = Regions::new();
        let a = m.add_zeroed(buf.len());
        let r = self
            .c
            .syscall(netbsd_abi::SYS_read, &[self.fd, a, buf.len() as u64], &m)?;
        let n = (r[0] as usize).min(buf.len());
        buf[..n].copy_from_slice(&m.get(a)[..n]);
        Ok(n)
    }
}

impl direct::Medium for Dev<'_> {
    fn pread(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        Dev::pread(self, buf, off)
    }
    fn pwrite(&self, data: &[u8], off: u64) -> Result<usize, Errno> {
        Dev::pwrite(self, data, off)
    }
}

impl Drop for Dev<'_> {
    fn drop(&mut self) {
        let _ = self.c.syscall(SYS_close, &[self.fd], &Regions::new());
    }
}

/// An `int` sysctl of the kernel's, by name; `None` when it has none.
pub fn sysctl_int(c: &Client, name: &str) -> Option<i32> {
    c.sysctl_name_to_mib(name)
        .and_then(|mib| c.sysctl_read(&mib))
        .ok()
        .and_then(|v| {
            v.get(..4)
                .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        })
}

/// `maxpartitions` as NetBSD's disklabel has it: `getmaxpartitions()`
/// (`kern.maxpartitions`, -1 when the kernel does not say, as NetBSD's
/// rump kernel does not) kept in the `u_char` of its `disklabel_params`,
/// so 255 then.
pub fn max_partitions(c: &Client) -> u32 {
    u32::from(sysctl_int(c, "kern.maxpartitions").unwrap_or(-1) as u8)
}

/// The partition letter of a whole disk, from `kern.rawpartition` as
/// NetBSD's `getrawpartition` reads it ('d' on amd64 if it cannot).
pub fn raw_part_letter(c: &Client) -> char {
    /// `RAW_PART` of amd64 (`arch/amd64/include/disklabel.h`).
    const AMD64_RAW_PART: u8 = 3;
    let part = c
        .sysctl_name_to_mib("kern.rawpartition")
        .and_then(|mib| c.sysctl_read(&mib))
        .ok()
        .and_then(|v| {
            v.get(..4)
                .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        })
        .and_then(|p| u8::try_from(p).ok())
        .filter(|p| *p < 26)
        .unwrap_or(AMD64_RAW_PART);
    char::from(b'a' + part)
}

/// NetBSD's `opendisk(path, flags, buf, buflen, 0)`: for a bare name
/// `/dev/r<path>` then `/dev/r<path><rawpart>`, then `path` itself and
/// `<path><rawpart>`, each tried only while the one before does not
/// exist. The path last tried comes back with the result.
pub fn opendisk<'a>(c: &'a Client, path: &str, flags: i32) -> (String, Result<Dev<'a>, Errno>) {
    let part = raw_part_letter(c);
    let mut names = Vec::new();
    if !path.contains('/') {
        names.push(format!("/dev/r{path}"));
        names.push(format!("/dev/r{path}{part}"));
    }
    names.push(path.to_owned());
    names.push(format!("{path}{part}"));
    let mut last = (String::new(), Err(Errno::ENOENT));
    for name in names {
        let r = Dev::open(c, &name, flags);
        let again = matches!(r, Err(Errno::ENOENT));
        last = (name, r);
        if !again {
            break;
        }
    }
    last
}

/// `O_RDONLY` as an `open` flag.
pub const RDONLY: i32 = O_RDONLY;

/// One option `getopt` found: its letter and its argument.
pub type Opt = (char, Option<String>);

/// NetBSD's `getopt(3)` over `args` (without the program name) with
/// `spec` ("ab:c"): the options in order and the operands after them, or
/// the message NetBSD's getopt prints ("unknown option -- x", "option
/// requires an argument -- x"), after which a tool prints its usage.
pub fn getopt(args: &[String], spec: &str) -> Result<(Vec<Opt>, Vec<String>), String> {
    let mut opts = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            i += 1;
            break;
        }
        if !a.starts_with('-') || a == "-" {
            break;
        }
        let chars: Vec<char> = a[1..].chars().collect();
        let mut j = 0;
        while j < chars.len() {
            let ch = chars[j];
            let at = spec.find(ch).filter(|_| ch != ':');
            let Some(at) = at else {
                return Err(format!("unknown option -- {ch}"));
            };
            if spec[at + ch.len_utf8()..].starts_with(':') {
                let rest: String = chars[j + 1..].iter().collect();
                let val = if !rest.is_empty() {
                    rest
                } else {
                    i += 1;
                    match args.get(i) {
                        Some(v) => v.clone(),
                        None => return Err(format!("option requires an argument -- {ch}")),
                    }
                };
                opts.push((ch, Some(val)));
                break;
            }
            opts.push((ch, None));
            j += 1;
        }
        i += 1;
    }
    Ok((opts, args[i..].to_vec()))
}

/// The NUL-terminated string at the start of `b`.
pub fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&x| x == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// The native-endian `u32` at `off` of `b` (0 past the end).
pub fn u32_at(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4)
        .map_or(0, |x| u32::from_ne_bytes([x[0], x[1], x[2], x[3]]))
}

/// Write `v` at `off` of `b`.
pub fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn getopt_reads_clusters_arguments_and_stops_at_operands() {
        let (o, rest) = getopt(&args(&["-lv", "-d", "x", "-tdisk", "a", "-s"]), "ld:t:sv").unwrap();
        assert_eq!(
            o,
            vec![
                ('l', None),
                ('v', None),
                ('d', Some("x".into())),
                ('t', Some("disk".into()))
            ]
        );
        assert_eq!(rest, ["a", "-s"]);
        assert_eq!(
            getopt(&args(&["-q"]), "l").unwrap_err(),
            "unknown option -- q"
        );
        assert_eq!(
            getopt(&args(&["-d"]), "d:").unwrap_err(),
            "option requires an argument -- d"
        );
        assert_eq!(getopt(&args(&["--", "-l"]), "l").unwrap().1, ["-l"]);
    }
}
