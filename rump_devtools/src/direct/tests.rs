use super::*;
use crate::label::Partition;
use std::cell::RefCell;

/// A disk in memory.
struct Ram(RefCell<Vec<u8>>);

impl Ram {
    fn new(bytes: usize) -> Ram {
        Ram(RefCell::new(vec![0; bytes]))
    }
}

impl Medium for Ram {
    fn pread(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let d = self.0.borrow();
        let off = (off as usize).min(d.len());
        let n = buf.len().min(d.len() - off);
        buf[..n].copy_from_slice(&d[off..off + n]);
        Ok(n)
    }
    fn pwrite(&self, data: &[u8], off: u64) -> Result<usize, Errno> {
        let mut d = self.0.borrow_mut();
        let off = off as usize;
        let n = data.len().min(d.len().saturating_sub(off));
        d[off..off + n].copy_from_slice(&data[..n]);
        Ok(n)
    }
}

fn label() -> OwnedLabel {
    let mut l = OwnedLabel::zeroed();
    l.set_secsize(512);
    l.set_npartitions(4);
    l.set_partition(
        0,
        Partition {
            size: 2048,
            fstype: crate::label::FS_BSDFFS,
            ..Partition::default()
        },
    );
    l.seal();
    l
}

/// What amd64's kernel says: sector 1, offset 0, an MBR expected.
fn amd64() -> Place {
    let k = KernelParams {
        labelsector: Some(1),
        labeloffset: Some(0),
        labelusesmbr: Some(1),
    };
    Place::new(k, None, None, 16).unwrap()
}

fn quiet() -> impl FnMut(String) {
    |m| panic!("unexpected message: {m}")
}

#[test]
fn without_the_kernels_word_the_label_place_is_past_the_boot_area() {
    // NetBSD's disklabel keeps -1 in 7 and 16 bits: sector 127, offset
    // 65535, and an MBR expected.
    let p = Place::new(KernelParams::default(), None, None, 255).unwrap();
    assert_eq!((p.label_offset, p.mbr), (127 * 512 + 65535, true));
    let m = Ram::new(1 << 20);
    assert_eq!(read_label(&m, &p, &mut quiet()), None);
    assert_eq!(
        write_label(&m, &p, &label(), &mut quiet()),
        Err(Failed(
            "no space in bootarea (sector 0) to create label".into()
        ))
    );
    // The environment puts it where amd64 has it.
    let p = Place::new(KernelParams::default(), Some("1"), Some("0"), 255).unwrap();
    assert_eq!(p.label_offset, 512);
    assert_eq!(
        Place::new(
            KernelParams::default(),
            Some("99999999999999999999999"),
            None,
            16
        ),
        Err("DISKLABELSECTOR in environment: Result too large or too small".into())
    );
}

#[test]
fn a_label_written_to_sector_one_reads_back() {
    let (m, p) = (Ram::new(1 << 20), amd64());
    write_label(&m, &p, &label(), &mut quiet()).unwrap();
    assert_eq!(&m.0.borrow()[512..512 + DISKLABEL_SIZE], label().bytes());
    assert_eq!(m.0.borrow()[..512], [0; 512]);
    assert_eq!(read_label(&m, &p, &mut quiet()), Some(label()));
    // Written again, it replaces the one found.
    let mut other = label();
    other.set_packname(b"again");
    other.seal();
    write_label(&m, &p, &other, &mut quiet()).unwrap();
    assert_eq!(read_label(&m, &p, &mut quiet()), Some(other));
}

#[test]
fn an_mbrs_netbsd_partition_takes_the_label() {
    let (m, p) = (Ram::new(1 << 20), amd64());
    {
        let mut d = m.0.borrow_mut();
        let e = MBR_PART_OFFSET + MBR_PART_SIZE;
        d[e + 4] = MBR_PTYPE_NETBSD;
        d[e + 8..e + 12].copy_from_slice(&63u32.to_le_bytes());
        d[MBR_MAGIC_OFFSET..MBR_MAGIC_OFFSET + 2].copy_from_slice(&MBR_MAGIC.to_le_bytes());
    }
    write_label(&m, &p, &label(), &mut quiet()).unwrap();
    let at = 63 * 512 + LABELOFFSET_MBR as usize;
    assert_eq!(&m.0.borrow()[at..at + DISKLABEL_SIZE], label().bytes());
    // Sector 0's boot area had none, and gets none.
    assert_eq!(m.0.borrow()[512..1024], [0; 512]);
    assert_eq!(read_label(&m, &p, &mut quiet()), Some(label()));
}

#[test]
fn corrupt_and_byteswapped_labels_are_passed_over() {
    let (m, p) = (Ram::new(1 << 20), amd64());
    let mut bad = label();
    bad.set_checksum(bad.checksum() ^ 1);
    m.pwrite(bad.bytes(), 512).unwrap();
    assert_eq!(read_label(&m, &p, &mut quiet()), None);
    let mut swapped = label();
    swapped.set_magic(DISKMAGIC.swap_bytes());
    swapped.set_magic2(DISKMAGIC.swap_bytes());
    m.pwrite(swapped.bytes(), 512).unwrap();
    let mut said = Vec::new();
    assert_eq!(read_label(&m, &p, &mut |s| said.push(s)), None);
    assert_eq!(
        said,
        ["ignoring byteswapped label at offset 512 from sector 0"]
    );
}
