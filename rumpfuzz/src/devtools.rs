//! The device tools' parsers of what a user or a medium hands them:
//! `rump.disklabel -R`'s protofiles and the labels `-r` hunts for in a
//! boot area and an MBR.

use netbsd_abi::Errno;
use rump_devtools::direct::{self, KernelParams, Medium, Place};
use rump_devtools::label::{DISKLABEL_SIZE, OwnedLabel};
use rump_devtools::protofile::getasciilabel;
use std::cell::RefCell;

/// A medium in memory that grows no larger than it began.
struct Ram(RefCell<Vec<u8>>);

impl Medium for Ram {
    fn pread(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let d = self.0.borrow();
        let off = usize::try_from(off).unwrap_or(usize::MAX).min(d.len());
        let n = buf.len().min(d.len() - off);
        buf[..n].copy_from_slice(&d[off..off + n]);
        Ok(n)
    }
    fn pwrite(&self, data: &[u8], off: u64) -> Result<usize, Errno> {
        let mut d = self.0.borrow_mut();
        let off = usize::try_from(off).unwrap_or(usize::MAX).min(d.len());
        let n = data.len().min(d.len() - off);
        d[off..off + n].copy_from_slice(&data[..n]);
        Ok(n)
    }
}

/// The input as a protofile (any bytes: a label or disklabel's messages),
/// then as a medium: a label found there reads back as written, and one
/// restored from the protofile is found where it was put.
pub fn disklabel_proto(data: &[u8]) {
    let mut lab = OwnedLabel::zeroed();
    let ok = getasciilabel(data, &mut lab, 16, &mut |m| assert!(!m.is_empty()));
    let amd64 = KernelParams {
        labelsector: Some(1),
        labeloffset: Some(0),
        labelusesmbr: Some(i32::from(data.first().is_some_and(|b| b & 1 != 0))),
    };
    let Ok(p) = Place::new(amd64, None, None, 16) else {
        return;
    };
    let m = Ram(RefCell::new(data.to_vec()));
    if let Some(found) = direct::read_label(&m, &p, &mut |_| {}) {
        assert_eq!(found.dkcksum(), 0);
    }
    if ok {
        lab.seal();
        let mut disk = data.to_vec();
        disk.resize(disk.len().max(2 * DISKLABEL_SIZE + 8192), 0);
        let m = Ram(RefCell::new(disk));
        if direct::write_label(&m, &p, &lab, &mut |_| {}).is_ok() {
            assert!(direct::read_label(&m, &p, &mut |_| {}).is_some());
        }
    }
}
