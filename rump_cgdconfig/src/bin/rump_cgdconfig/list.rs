//! Listing configured units (`-l`).

use crate::*;
use netbsd_abi::O_RDONLY;
use rump_cgdconfig::cgdio::{
    CGD_CIPHER_CBC_ENCBLKNO1, CGD_CIPHER_CBC_ENCBLKNO8, CGDIOCGET, cgd_user,
};
use rumpclient::Regions;

impl Run {
    /// `do_list`: each unit (or `cgd`): its disk, and with `-v` the
    /// cipher, with `-vv` the key length, block size and IV method.
    pub(crate) fn list(&mut self, argv: &[String]) -> Result<i32, Usage> {
        if argv.len() > 1 {
            return Err(Usage);
        }
        if self.client().is_none() {
            return Ok(1);
        }
        if let Some(d) = argv.first() {
            return Ok(self.show(d));
        }
        // The units the kernel has nodes for, from cgd0 on (found by
        // their block nodes, which stat_rdev answers for).
        let mut unit = 0;
        while self
            .stat_rdev(&format!("/dev/cgd{unit}{RAW_PART_LETTER}"))
            .is_some()
        {
            let r = self.show(&format!("cgd{unit}"));
            if r != 0 {
                return Ok(r);
            }
            unit += 1;
        }
        Ok(0)
    }

    /// `show`: one unit's line.
    pub(crate) fn show(&mut self, dev: &str) -> i32 {
        let fd = match self.opendisk(dev, O_RDONLY, false) {
            Ok((fd, _)) => fd,
            Err(e) => {
                warnx(&format!("open: {dev}: {e}"));
                return 0;
            }
        };
        let m = Regions::new();
        let mut cgu = [0u8; cgd_user::SIZE];
        cgd_user::cgu_unit.put(&mut cgu, u64::from(u32::MAX));
        let arg = m.add(&cgu);
        if let Err(e) = self.ioctl(fd, CGDIOCGET, &m, arg) {
            self.close(fd);
            warnx(&format!("CGDIOCGET: {e}"));
            return 1;
        }
        self.close(fd);
        let cgu = m.get(arg);
        let get = |f: netbsd_abi::Field| f.get(&cgu).unwrap_or(0);
        let mut line = format!("{dev}: ");
        let tdev = get(cgd_user::cgu_dev);
        if tdev == 0 {
            line += "not in use";
        } else {
            line += &format!("{} ", self.devname(tdev));
            if self.verbose >= 1 {
                let alg = &cgu[16..48];
                let end = alg.iter().position(|&b| b == 0).unwrap_or(alg.len());
                line += &format!("{} ", String::from_utf8_lossy(&alg[..end]));
            }
            if self.verbose >= 2 {
                let mode = match get(cgd_user::cgu_mode) {
                    CGD_CIPHER_CBC_ENCBLKNO8 => "encblkno8",
                    CGD_CIPHER_CBC_ENCBLKNO1 => "encblkno1",
                    _ => "unknown",
                };
                line += &format!(
                    "keylen {} blksize {} {mode} ",
                    get(cgd_user::cgu_keylen) as u32 as i32,
                    get(cgd_user::cgu_blocksize)
                );
            }
        }
        println!("{line}");
        0
    }
}
