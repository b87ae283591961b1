//! The checks `cgdconfig` makes of a disk it has just configured, on the
//! disk's first bytes (`verify_disklabel`, `verify_ffs`, `verify_mbr`,
//! `verify_gpt`).

/// `SCANSIZE`: how much of the disk's start the label checks read.
pub const SCANSIZE: usize = 8192;
/// `SBLOCKSEARCH` (`ufs/ffs/fs.h`): where FFS superblocks are looked for.
pub const SBLOCK_TRY: [u64; 4] = [65536, 8192, 0, 262144];
/// `SBLOCKSIZE`: how much is read at each.
pub const SBLOCKSIZE: usize = 8192;

/// `DISKMAGIC` (`sys/disklabel.h`).
const DISKMAGIC: u32 = 0x8256_4557;
/// `offsetof(struct disklabel, d_magic2)`, `d_npartitions`,
/// `d_partitions`, and a partition's size; `MAXPARTITIONS` and
/// `sizeof(struct disklabel)` on amd64.
const D_MAGIC2: usize = 132;
const D_NPARTITIONS: usize = 138;
const D_PARTITIONS: usize = 148;
const PARTITION_SIZE: usize = 16;
const MAXPARTITIONS: usize = 16;
const DISKLABEL_SIZE: usize = 408;
/// `SCAN_INCR` (`disklabel_scan.c`).
const SCAN_INCR: usize = 4;
/// `offsetof(struct fs, fs_magic)` and its values (`ufs/ffs/fs.h`).
const FS_MAGIC: usize = 1372;
const FS_UFS1_MAGIC: u32 = 0x0001_1954;
const FS_UFS2_MAGIC: u32 = 0x1954_0119;
/// `MBR_MAGIC` at `MBR_MAGIC_OFFSET` (`sys/bootblock.h`).
const MBR_MAGIC: u16 = 0xaa55;
const MBR_MAGIC_OFFSET: usize = 510;
/// `GPT_HDR_SIG`, `GPT_HDR_REVISION`, `GPT_HDR_SIZE` and
/// `GPT_HDR_BLKNO` (`sys/disklabel_gpt.h`).
const GPT_HDR_SIG: &[u8; 8] = b"EFI PART";
const GPT_HDR_REVISION: u32 = 0x0001_0000;
const GPT_HDR_SIZE: u32 = 92;
const GPT_HDR_BLKNO: usize = 1;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// `disklabel_scan`: a label with both magics, at most `MAXPARTITIONS`
/// partitions and a good checksum somewhere in `buf`.
pub fn disklabel(buf: &[u8]) -> bool {
    let mut i = 0;
    while i + DISKLABEL_SIZE <= buf.len() {
        let lp = &buf[i..i + DISKLABEL_SIZE];
        if u32_at(lp, 0) == Some(DISKMAGIC) && u32_at(lp, D_MAGIC2) == Some(DISKMAGIC) {
            let n = usize::from(u16_at(lp, D_NPARTITIONS).unwrap_or(u16::MAX));
            if n > MAXPARTITIONS {
                return false;
            }
            let end = D_PARTITIONS + n * PARTITION_SIZE;
            let sum = lp[..end]
                .chunks_exact(2)
                .fold(0u16, |s, w| s ^ u16::from_le_bytes([w[0], w[1]]));
            return sum == 0;
        }
        i += SCAN_INCR;
    }
    false
}

/// Whether an `SBLOCKSIZE` block read at one of [`SBLOCK_TRY`] holds an
/// FFS superblock's magic, in either byte order.
pub fn ffs_superblock(block: &[u8]) -> bool {
    u32_at(block, FS_MAGIC).is_some_and(|m| {
        [FS_UFS1_MAGIC, FS_UFS2_MAGIC].contains(&m)
            || [FS_UFS1_MAGIC.swap_bytes(), FS_UFS2_MAGIC.swap_bytes()].contains(&m)
    })
}

/// `verify_mbr`: the MBR's magic.
pub fn mbr(buf: &[u8]) -> bool {
    u16_at(buf, MBR_MAGIC_OFFSET) == Some(MBR_MAGIC)
}

/// `verify_gpt`: a GPT header (signature, revision, size) in block 1 for
/// a block size from 512 bytes up, within `buf`. NetBSD's check of the
/// header's CRC passes whenever the CRC is not zero, so there is none.
pub fn gpt(buf: &[u8]) -> bool {
    let mut blksize = 512;
    while blksize * GPT_HDR_BLKNO + GPT_HDR_SIZE as usize <= buf.len() {
        let h = &buf[blksize * GPT_HDR_BLKNO..];
        if &h[..8] == GPT_HDR_SIG
            && u32_at(h, 8) == Some(GPT_HDR_REVISION)
            && u32_at(h, 12) == Some(GPT_HDR_SIZE)
        {
            return true;
        }
        blksize <<= 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_is_found_with_its_checksum() {
        let mut buf = vec![0u8; SCANSIZE];
        let at = 512;
        buf[at..at + 4].copy_from_slice(&DISKMAGIC.to_le_bytes());
        buf[at + D_MAGIC2..at + D_MAGIC2 + 4].copy_from_slice(&DISKMAGIC.to_le_bytes());
        buf[at + D_NPARTITIONS..at + D_NPARTITIONS + 2].copy_from_slice(&4u16.to_le_bytes());
        assert!(!disklabel(&buf));
        // The checksum makes the 16-bit XOR zero: the two magics cancel,
        // the partition count is left.
        buf[at + 136..at + 138].copy_from_slice(&4u16.to_le_bytes());
        assert!(disklabel(&buf));
        assert!(!disklabel(&buf[..at + 100]));
    }

    #[test]
    fn superblocks_mbrs_and_gpts() {
        let mut sb = vec![0u8; SBLOCKSIZE];
        assert!(!ffs_superblock(&sb));
        sb[FS_MAGIC..FS_MAGIC + 4].copy_from_slice(&FS_UFS2_MAGIC.to_le_bytes());
        assert!(ffs_superblock(&sb));
        sb[FS_MAGIC..FS_MAGIC + 4].copy_from_slice(&FS_UFS1_MAGIC.to_be_bytes());
        assert!(ffs_superblock(&sb));
        let mut m = vec![0u8; SCANSIZE];
        assert!(!mbr(&m) && !gpt(&m));
        m[510] = 0x55;
        m[511] = 0xaa;
        assert!(mbr(&m));
        m[4096..4104].copy_from_slice(GPT_HDR_SIG);
        m[4104..4108].copy_from_slice(&GPT_HDR_REVISION.to_le_bytes());
        m[4108..4112].copy_from_slice(&GPT_HDR_SIZE.to_le_bytes());
        assert!(gpt(&m));
    }
}
