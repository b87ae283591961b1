//! Finding a partition in a BSD disklabel, for `-d ...,disklabel=p`.
//!
//! The rules are those of NetBSD's `rump_allserver`: the first 64 KiB of
//! the host file are scanned at every 4-byte step for a label whose two
//! magic numbers match in either byte order; the first one found must have
//! at most 22 partitions and a zero checksum, or there is no label. The
//! bytes come from a disk image that may be hostile: every offset is
//! checked, and offsets and sizes are computed in 64 bits (NetBSD's own
//! server truncates them to 32).

/// How much of the host file is scanned.
pub const SCAN_BYTES: usize = 1 << 16;
/// `DISKMAGIC`.
const MAGIC: u32 = 0x8256_4557;
/// The rump server's `MAXPARTITIONS`.
const MAX_PARTITIONS: usize = 22;
/// Where the partition table starts in `struct disklabel`.
const PARTITIONS_AT: usize = 148;
/// Size of one `struct partition`.
const PARTITION_SIZE: usize = 16;
/// Size of the label with the largest partition table.
const LABEL_SIZE: usize = PARTITIONS_AT + MAX_PARTITIONS * PARTITION_SIZE;
/// Offsets of `d_magic2` and `d_npartitions`.
const MAGIC2_AT: usize = 132;
const NPARTITIONS_AT: usize = 138;
/// Partition offsets and sizes count 512-byte sectors (`DEV_BSHIFT`).
const SECTOR: u64 = 512;

/// Why no partition was found; the text is NetBSD's, the errno ENOENT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelError {
    /// No valid label in the scanned bytes.
    NotFound,
    /// The label has no such partition.
    NoPartition,
}

impl std::fmt::Display for LabelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LabelError::NotFound => "disklabel not found: No such file or directory",
            LabelError::NoPartition => "partition not available: No such file or directory",
        })
    }
}

/// A label found in the scanned bytes, read in its own byte order.
struct Label<'a> {
    bytes: &'a [u8],
    swapped: bool,
}

impl Label<'_> {
    fn u16_at(&self, off: usize) -> u16 {
        let v = u16::from_ne_bytes([self.bytes[off], self.bytes[off + 1]]);
        if self.swapped { v.swap_bytes() } else { v }
    }

    fn u32_at(&self, off: usize) -> u32 {
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.bytes[off..off + 4]);
        let v = u32::from_ne_bytes(b);
        if self.swapped { v.swap_bytes() } else { v }
    }

    fn npartitions(&self) -> usize {
        usize::from(self.u16_at(NPARTITIONS_AT))
    }

    /// The XOR of every 16-bit word up to the end of the partition table,
    /// the checksum field included: zero for a good label.
    fn checksum(&self) -> u16 {
        let end = PARTITIONS_AT + self.npartitions() * PARTITION_SIZE;
        (0..end)
            .step_by(2)
            .fold(0, |sum, off| sum ^ self.u16_at(off))
    }
}

/// The first label in `buf`, which holds at least one label's worth of
/// bytes.
fn scan(buf: &[u8]) -> Result<Label<'_>, LabelError> {
    for start in (0..=buf.len() - LABEL_SIZE).step_by(4) {
        let bytes = &buf[start..start + LABEL_SIZE];
        for swapped in [false, true] {
            let l = Label { bytes, swapped };
            if l.u32_at(0) == MAGIC && l.u32_at(MAGIC2_AT) == MAGIC {
                // Only the first label counts, good or bad.
                if l.npartitions() > MAX_PARTITIONS || l.checksum() != 0 {
                    return Err(LabelError::NotFound);
                }
                return Ok(l);
            }
        }
    }
    Err(LabelError::NotFound)
}

/// The byte offset and size of partition `letter` (`a` to `v`) of the
/// label in `buf`, the start of the host file; bytes past its end count
/// as zero, as a short read leaves them.
pub fn find_partition(buf: &[u8], letter: u8) -> Result<(u64, u64), LabelError> {
    // The whole scan window, as NetBSD reads it into a 64 KiB buffer.
    let mut padded = buf[..buf.len().min(SCAN_BYTES)].to_vec();
    padded.resize(SCAN_BYTES, 0);
    let label = scan(&padded)?;
    let index = usize::from(letter.wrapping_sub(b'a'));
    if index >= label.npartitions() {
        return Err(LabelError::NoPartition);
    }
    let at = PARTITIONS_AT + index * PARTITION_SIZE;
    let size = u64::from(label.u32_at(at)) * SECTOR;
    let offset = u64::from(label.u32_at(at + 4)) * SECTOR;
    Ok((offset, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A label with `parts` as (sectors, first sector), checksummed, in
    /// host order or swapped.
    fn label(parts: &[(u32, u32)], swapped: bool) -> Vec<u8> {
        let mut b = vec![0u8; PARTITIONS_AT + parts.len() * PARTITION_SIZE];
        let put32 = |b: &mut Vec<u8>, off: usize, v: u32| {
            let v = if swapped { v.swap_bytes() } else { v };
            b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
        };
        put32(&mut b, 0, MAGIC);
        put32(&mut b, MAGIC2_AT, MAGIC);
        let n = parts.len() as u16;
        let n = if swapped { n.swap_bytes() } else { n };
        b[NPARTITIONS_AT..NPARTITIONS_AT + 2].copy_from_slice(&n.to_ne_bytes());
        for (i, &(size, offset)) in parts.iter().enumerate() {
            put32(&mut b, PARTITIONS_AT + i * PARTITION_SIZE, size);
            put32(&mut b, PARTITIONS_AT + i * PARTITION_SIZE + 4, offset);
        }
        let sum = (0..b.len())
            .step_by(2)
            .fold(0u16, |s, o| s ^ u16::from_ne_bytes([b[o], b[o + 1]]));
        b[136..138].copy_from_slice(&sum.to_ne_bytes());
        b
    }

    fn image_with(label: &[u8], at: usize) -> Vec<u8> {
        let mut img = vec![0u8; 8192];
        img[at..at + label.len()].copy_from_slice(label);
        img
    }

    #[test]
    fn finds_partitions_in_either_byte_order() {
        for swapped in [false, true] {
            let l = label(&[(100, 16), (2, 200), (8_000_000, 9_000_000)], swapped);
            let img = image_with(&l, 512);
            assert_eq!(find_partition(&img, b'a'), Ok((16 * 512, 100 * 512)));
            assert_eq!(find_partition(&img, b'b'), Ok((200 * 512, 1024)));
            // Past 4 GiB, where 32-bit arithmetic would wrap.
            assert_eq!(
                find_partition(&img, b'c'),
                Ok((9_000_000 * 512, 8_000_000 * 512))
            );
            assert_eq!(find_partition(&img, b'd'), Err(LabelError::NoPartition));
        }
    }

    #[test]
    fn rejects_what_is_not_a_good_label() {
        assert_eq!(find_partition(&[], b'a'), Err(LabelError::NotFound));
        assert_eq!(find_partition(&[0; 70000], b'a'), Err(LabelError::NotFound));
        let mut l = label(&[(1, 1)], false);
        l[20] ^= 1;
        assert_eq!(
            find_partition(&image_with(&l, 0), b'a'),
            Err(LabelError::NotFound),
            "bad checksum"
        );
        // Only 4-byte steps are scanned.
        let l = label(&[(1, 1)], false);
        assert_eq!(
            find_partition(&image_with(&l, 2), b'a'),
            Err(LabelError::NotFound)
        );
        // Too many partitions.
        let parts = vec![(1, 1); MAX_PARTITIONS + 1];
        let l = label(&parts, false);
        assert_eq!(
            find_partition(&image_with(&l, 0), b'a'),
            Err(LabelError::NotFound)
        );
        // A label past the scanned 64 KiB is not seen.
        let l = label(&[(1, 1)], false);
        let mut img = vec![0u8; SCAN_BYTES + 4096];
        img[SCAN_BYTES..SCAN_BYTES + l.len()].copy_from_slice(&l);
        assert_eq!(find_partition(&img, b'a'), Err(LabelError::NotFound));
        // A label at the very end of a short file.
        let img = image_with(&l, 8192 - l.len() - 4);
        assert_eq!(find_partition(&img, b'a'), Ok((512, 512)));
        assert_eq!(find_partition(&img, b'{'), Err(LabelError::NoPartition));
    }
}
