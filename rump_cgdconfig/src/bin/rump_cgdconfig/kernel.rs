//! The kernel's side: the connection, descriptors, disks and cgd units reached through it.

use crate::*;
use netbsd_abi::{O_RDWR, SYS___stat50, SYS_close, SYS_ioctl, SYS_open, SYS_pread};
use rumpclient::{Client, Errno, Regions};

impl Run {
    pub(crate) fn client(&mut self) -> Option<&Client> {
        if self.client.is_none() {
            self.client = Some(Client::for_tool(PROG)?);
        }
        self.client.as_ref()
    }

    pub(crate) fn open(&mut self, path: &str, flags: i32) -> Result<i32, Errno> {
        let c = self.client().ok_or(Errno::ENOTCONN)?;
        let m = Regions::new();
        let r = c.syscall(SYS_open, &[m.add(&cstr(path)), flags as u64, 0], &m)?;
        Ok(r[0] as i32)
    }

    pub(crate) fn close(&mut self, fd: i32) {
        if let Some(c) = self.client() {
            let _ = c.syscall(SYS_close, &[fd as u64], &Regions::new());
        }
    }

    /// `opendisk1`: a bare name is tried in `/dev` (raw unless `cooked`),
    /// as is and with the raw partition's letter; then as a path.
    pub(crate) fn opendisk(
        &mut self,
        name: &str,
        flags: i32,
        cooked: bool,
    ) -> Result<(i32, String), Errno> {
        let mut tries = Vec::new();
        if !name.contains('/') {
            let r = if cooked { "" } else { "r" };
            tries.push(format!("/dev/{r}{name}"));
            tries.push(format!("/dev/{r}{name}{RAW_PART_LETTER}"));
        }
        tries.push(name.to_owned());
        tries.push(format!("{name}{RAW_PART_LETTER}"));
        let mut last = Errno::ENOENT;
        for t in tries {
            match self.open(&t, flags) {
                Ok(fd) => return Ok((fd, t)),
                Err(Errno::ENOENT) => last = Errno::ENOENT,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    pub(crate) fn ioctl(&mut self, fd: i32, cmd: u64, m: &Regions, arg: u64) -> Result<(), Errno> {
        let c = self.client().ok_or(Errno::ENOTCONN)?;
        c.syscall(SYS_ioctl, &[fd as u64, cmd, arg], m).map(drop)
    }

    pub(crate) fn pread(&mut self, fd: i32, len: usize, off: u64) -> Result<Vec<u8>, Errno> {
        let c = self.client().ok_or(Errno::ENOTCONN)?;
        let m = Regions::new();
        let buf = m.add_zeroed(len);
        let n = c.syscall(SYS_pread, &[fd as u64, buf, len as u64, 0, off], &m)?[0] as usize;
        let mut out = m.get(buf);
        out.truncate(n);
        Ok(out)
    }

    /// `opendisk_werror`: the cgd's raw device, read-write.
    pub(crate) fn open_cgd(&mut self, cgd: &str) -> Option<(i32, String)> {
        if self.nflag {
            return Some((-1, cgd.to_owned()));
        }
        match self.opendisk(cgd, O_RDWR, false) {
            Ok(x) => Some(x),
            Err(e) => {
                warnx(&format!("can't open cgd \"{cgd}\": {e}"));
                None
            }
        }
    }

    pub(crate) fn stat_rdev(&mut self, path: &str) -> Option<u64> {
        use netbsd_abi::layout::stat;
        let c = self.client()?;
        let m = Regions::new();
        let st = m.add_zeroed(stat::SIZE);
        c.syscall(SYS___stat50, &[m.add(&cstr(path)), st], &m)
            .ok()?;
        let b = m.get(st);
        let mode = stat::st_mode.get(&b)? as u32;
        (mode & netbsd_abi::S_IFMT as u32 == netbsd_abi::S_IFBLK as u32)
            .then(|| stat::st_rdev.get(&b))
            .flatten()
    }

    /// `devname(dev, S_IFBLK)`: the block node in the kernel's `/dev` of
    /// that number (among the disks' names), else `dev M,m`.
    pub(crate) fn devname(&mut self, dev: u64) -> String {
        for prefix in ["vnd", "cgd", "md", "dk", "wd", "sd", "ld"] {
            for unit in 0..4 {
                for part in 'a'..='p' {
                    let name = format!("{prefix}{unit}{part}");
                    match self.stat_rdev(&format!("/dev/{name}")) {
                        Some(d) if d == dev => return name,
                        Some(_) => {}
                        None if part == 'a' => break,
                        None => {}
                    }
                }
            }
        }
        let major = (dev & 0x000f_ff00) >> 8;
        let minor = ((dev & 0xfff0_0000) >> 12) | (dev & 0xff);
        format!("dev {major},{minor}")
    }
}
