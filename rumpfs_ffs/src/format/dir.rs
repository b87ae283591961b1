//! Directory blocks: a directory is a file of `DIRBLKSIZ`-byte chunks, each
//! a chain of `struct direct` entries whose record lengths cover the chunk
//! exactly. An entry may not cross a chunk; a free slot is an entry with
//! inode 0 (only first in a chunk) or the slack at the end of a record.
//!
//! ```text
//! 0 d_ino(32) 4 d_reclen(16) 6 d_type(8) 7 d_namlen(8) 8 d_name[namlen] NUL, padded to 4
//! (4.2BSD format: 6 d_namlen(16), no type)
//! ```

use super::{Endian, Flaw};
use rump::KResult;

/// `DIRBLKSIZ`: a directory chunk, the unit of atomic update.
pub const DIRBLKSIZ: usize = 512;
/// `FFS_MAXNAMLEN` (`ufs/ufs/dir.h`): FFS's longest name, shorter than
/// `sys/dirent.h`'s `MAXNAMLEN`.
pub const FFS_MAXNAMLEN: usize = 255;
/// Bytes before the name.
const HEADER: usize = 8;

/// `DT_*` values of `d_type`.
#[allow(missing_docs)]
pub mod dt {
    pub const UNKNOWN: u8 = netbsd_abi::DT_UNKNOWN as u8;
    pub const FIFO: u8 = netbsd_abi::DT_FIFO as u8;
    pub const CHR: u8 = netbsd_abi::DT_CHR as u8;
    pub const DIR: u8 = netbsd_abi::DT_DIR as u8;
    pub const BLK: u8 = netbsd_abi::DT_BLK as u8;
    pub const REG: u8 = netbsd_abi::DT_REG as u8;
    pub const LNK: u8 = netbsd_abi::DT_LNK as u8;
    pub const SOCK: u8 = netbsd_abi::DT_SOCK as u8;
    pub const WHT: u8 = netbsd_abi::DT_WHT as u8;
}

/// Bytes an entry with a name of `namlen` bytes needs (`DIRSIZ`).
pub fn dirsiz(namlen: usize) -> usize {
    (HEADER + namlen + 1 + 3) & !3
}

/// How entries are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirFormat {
    /// Byte order.
    pub endian: Endian,
    /// 4.4BSD entries carry a type byte; 4.2BSD ones a 16-bit name length.
    pub typed: bool,
}

/// One entry of a chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Byte offset within the chunk.
    pub off: usize,
    /// Inode (0: a free slot).
    pub ino: u32,
    /// Record length, slack included.
    pub reclen: usize,
    /// `DT_*` type (`UNKNOWN` in the 4.2BSD format).
    pub typ: u8,
    /// Name.
    pub name: Vec<u8>,
}

impl Entry {
    /// Bytes of the record not needed by the entry itself.
    pub fn slack(&self) -> usize {
        if self.ino == 0 {
            self.reclen
        } else {
            self.reclen.saturating_sub(dirsiz(self.name.len()))
        }
    }
}

impl DirFormat {
    fn namlen(&self, b: &[u8], off: usize) -> usize {
        if self.typed {
            b.get(off + 7).copied().unwrap_or(0) as usize
        } else {
            self.endian.u16(b, off + 6) as usize
        }
    }

    /// Parse a chunk (exactly `DIRBLKSIZ` bytes). EIO, saying what is
    /// wrong in NetBSD's `ufs_dirbadentry` words, if the records do not
    /// chain to its end or an entry is malformed.
    pub fn entries(&self, chunk: &[u8]) -> Result<Vec<Entry>, Flaw> {
        if chunk.len() != DIRBLKSIZ {
            return Err(Flaw::damaged(format!(
                "directory block of {} bytes, not {DIRBLKSIZ}",
                chunk.len()
            )));
        }
        let mut v = Vec::new();
        let mut off = 0;
        while off < DIRBLKSIZ {
            let left = DIRBLKSIZ - off;
            if left < HEADER {
                return Err(Flaw::damaged(format!(
                    "entry at byte {off} too big ({left} bytes left)"
                )));
            }
            let ino = self.endian.u32(chunk, off);
            let reclen = usize::from(self.endian.u16(chunk, off + 4));
            let namlen = self.namlen(chunk, off);
            let bad = |why: &str| {
                Flaw::damaged(format!(
                    "entry at byte {off} {why} (reclen {reclen}, namlen {namlen})"
                ))
            };
            if reclen == 0 || reclen % 4 != 0 {
                return Err(bad("not rounded"));
            }
            if reclen > left {
                return Err(bad("too big"));
            }
            let mut name = Vec::new();
            let typ = if self.typed {
                chunk[off + 6]
            } else {
                dt::UNKNOWN
            };
            if ino != 0 {
                if namlen == 0 {
                    return Err(bad("without a name"));
                }
                if namlen > FFS_MAXNAMLEN {
                    return Err(bad("long name"));
                }
                if reclen < dirsiz(namlen) {
                    return Err(bad("too small"));
                }
                name = chunk[off + HEADER..off + HEADER + namlen].to_vec();
                if name.contains(&0) {
                    return Err(bad("NUL in name"));
                }
                if name.contains(&b'/') {
                    return Err(bad("'/' in name"));
                }
            } else if off != 0 && reclen < HEADER {
                return Err(bad("too small"));
            }
            v.push(Entry {
                off,
                ino,
                reclen,
                typ,
                name,
            });
            off += reclen;
        }
        Ok(v)
    }

    /// Write an entry's header and name at `off` (its record length is `reclen`).
    fn put(&self, chunk: &mut [u8], off: usize, ino: u32, reclen: usize, typ: u8, name: &[u8]) {
        self.endian.put_u32(chunk, off, ino);
        self.endian.put_u16(chunk, off + 4, reclen as u16);
        if self.typed {
            if let Some(t) = chunk.get_mut(off + 6..off + 8) {
                t[0] = typ;
                t[1] = name.len() as u8;
            }
        } else {
            self.endian.put_u16(chunk, off + 6, name.len() as u16);
        }
        let end = (off + dirsiz(name.len())).min(chunk.len());
        if let Some(n) = chunk.get_mut(off + HEADER..end) {
            n.fill(0);
            let k = name.len().min(n.len());
            n[..k].copy_from_slice(&name[..k]);
        }
    }

    /// An empty chunk: one free record spanning it.
    pub fn empty_chunk(&self) -> Vec<u8> {
        let mut c = vec![0u8; DIRBLKSIZ];
        self.put(&mut c, 0, 0, DIRBLKSIZ, 0, b"");
        c
    }

    /// A new directory's first chunk: `.` and `..`.
    pub fn new_dir_chunk(&self, me: u32, parent: u32) -> Vec<u8> {
        let mut c = vec![0u8; DIRBLKSIZ];
        let dot = dirsiz(1);
        self.put(&mut c, 0, me, dot, dt::DIR, b".");
        self.put(&mut c, dot, parent, DIRBLKSIZ - dot, dt::DIR, b"..");
        c
    }

    /// Add `name` -> `ino` to the chunk if it fits, compacting the chunk's
    /// records when the free space is there but scattered. Returns whether
    /// it went in. The chunk must have parsed.
    pub fn insert(&self, chunk: &mut [u8], ino: u32, typ: u8, name: &[u8]) -> KResult<bool> {
        let need = dirsiz(name.len());
        let ents = self.entries(chunk)?;
        // A record with room to spare: split it.
        if let Some(e) = ents.iter().find(|e| e.slack() >= need) {
            if e.ino == 0 {
                self.put(chunk, e.off, ino, e.reclen, typ, name);
            } else {
                let keep = dirsiz(e.name.len());
                self.put(chunk, e.off, e.ino, keep, e.typ, &e.name);
                self.put(chunk, e.off + keep, ino, e.reclen - keep, typ, name);
            }
            return Ok(true);
        }
        let free: usize = ents.iter().map(Entry::slack).sum();
        if free < need {
            return Ok(false);
        }
        // Pack the live records at the front, then the new one takes the rest.
        let live: Vec<&Entry> = ents.iter().filter(|e| e.ino != 0).collect();
        let mut fresh = vec![0u8; DIRBLKSIZ];
        let mut off = 0;
        for e in live {
            let len = dirsiz(e.name.len());
            self.put(&mut fresh, off, e.ino, len, e.typ, &e.name);
            off += len;
        }
        self.put(&mut fresh, off, ino, DIRBLKSIZ - off, typ, name);
        chunk.copy_from_slice(&fresh);
        Ok(true)
    }

    /// Remove `name` from the chunk: its record joins the one before, or
    /// becomes a free slot if it is first. Returns whether it was there.
    pub fn remove(&self, chunk: &mut [u8], name: &[u8]) -> KResult<bool> {
        let ents = self.entries(chunk)?;
        let Some(i) = ents.iter().position(|e| e.ino != 0 && e.name == name) else {
            return Ok(false);
        };
        let e = &ents[i];
        if i == 0 {
            self.endian.put_u32(chunk, 0, 0);
        } else {
            let p = &ents[i - 1];
            self.endian
                .put_u16(chunk, p.off + 4, (p.reclen + e.reclen) as u16);
        }
        Ok(true)
    }

    /// Point `name` at another inode (rename over an existing name, `..`
    /// of a moved directory). Returns whether it was there.
    pub fn retarget(&self, chunk: &mut [u8], name: &[u8], ino: u32, typ: u8) -> KResult<bool> {
        let ents = self.entries(chunk)?;
        let Some(e) = ents.iter().find(|e| e.ino != 0 && e.name == name) else {
            return Ok(false);
        };
        self.endian.put_u32(chunk, e.off, ino);
        if self.typed {
            chunk[e.off + 6] = typ;
        }
        Ok(true)
    }

    /// Whether the chunk holds no names (other than `.`/`..` when
    /// `ignore_dots`).
    pub fn is_empty(&self, chunk: &[u8], ignore_dots: bool) -> KResult<bool> {
        Ok(self
            .entries(chunk)?
            .iter()
            .all(|e| e.ino == 0 || (ignore_dots && (e.name == b"." || e.name == b".."))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: DirFormat = DirFormat {
        endian: Endian::Little,
        typed: true,
    };

    /// The first chunk of a directory as NetBSD writes it: `.` (ino 2),
    /// `..` (ino 2), `a.txt` (ino 3, a file) with the rest of the chunk.
    fn sample() -> Vec<u8> {
        let mut c = vec![0u8; DIRBLKSIZ];
        c[0..4].copy_from_slice(&2u32.to_le_bytes());
        c[4..6].copy_from_slice(&12u16.to_le_bytes());
        c[6] = dt::DIR;
        c[7] = 1;
        c[8] = b'.';
        c[12..16].copy_from_slice(&2u32.to_le_bytes());
        c[16..18].copy_from_slice(&12u16.to_le_bytes());
        c[18] = dt::DIR;
        c[19] = 2;
        c[20..22].copy_from_slice(b"..");
        c[24..28].copy_from_slice(&3u32.to_le_bytes());
        c[28..30].copy_from_slice(&488u16.to_le_bytes());
        c[30] = dt::REG;
        c[31] = 5;
        c[32..37].copy_from_slice(b"a.txt");
        c
    }

    #[test]
    fn reads_a_real_chunk() {
        let e = F.entries(&sample()).unwrap();
        let names: Vec<_> = e.iter().map(|e| (e.name.clone(), e.ino, e.typ)).collect();
        assert_eq!(
            names,
            vec![
                (b".".to_vec(), 2, dt::DIR),
                (b"..".to_vec(), 2, dt::DIR),
                (b"a.txt".to_vec(), 3, dt::REG)
            ]
        );
        assert_eq!(e[2].slack(), 488 - 16);
        let mut built = F.new_dir_chunk(2, 2);
        assert!(F.insert(&mut built, 3, dt::REG, b"a.txt").unwrap());
        assert_eq!(built, sample());
    }

    #[test]
    fn insert_remove_and_compaction() {
        let mut c = F.new_dir_chunk(5, 2);
        let mut n = 0;
        while F
            .insert(&mut c, 100 + n, dt::REG, format!("file{n:03}").as_bytes())
            .unwrap()
        {
            n += 1;
        }
        assert_eq!(n, (DIRBLKSIZ - 24) as u32 / 16);
        // Free every other name: the space is there but scattered.
        for i in (0..n).step_by(2) {
            assert!(F.remove(&mut c, format!("file{i:03}").as_bytes()).unwrap());
        }
        assert!(!F.remove(&mut c, b"file000").unwrap());
        let long = [b'x'; 40];
        assert!(F.insert(&mut c, 999, dt::DIR, &long).unwrap());
        let e = F.entries(&c).unwrap();
        assert!(e.iter().any(|e| e.name == long && e.ino == 999));
        assert_eq!(
            e.iter().filter(|e| e.ino != 0).count(),
            2 + n as usize / 2 + 1
        );
        assert!(F.retarget(&mut c, b"..", 77, dt::DIR).unwrap());
        assert_eq!(F.entries(&c).unwrap()[1].ino, 77);
    }

    #[test]
    fn removing_the_first_leaves_a_free_slot() {
        let mut c = F.empty_chunk();
        assert!(F.is_empty(&c, false).unwrap());
        F.insert(&mut c, 9, dt::REG, b"x").unwrap();
        F.insert(&mut c, 10, dt::REG, b"y").unwrap();
        F.remove(&mut c, b"x").unwrap();
        let e = F.entries(&c).unwrap();
        assert_eq!((e[0].ino, e[1].name.as_slice()), (0, &b"y"[..]));
        assert!(F.insert(&mut c, 11, dt::REG, b"z").unwrap());
        assert_eq!(F.entries(&c).unwrap()[0].name, b"z");
    }

    #[test]
    fn malformed_chunks_are_eio_and_say_why() {
        let s = sample();
        let why = |chunk: &[u8]| {
            let flaw = F.entries(chunk).unwrap_err();
            assert_eq!(flaw.errno(), rump::Errno::EIO);
            flaw.reason().to_string()
        };
        let mut bad = s.clone();
        bad[28..30].copy_from_slice(&500u16.to_le_bytes()); // runs past the chunk
        assert_eq!(why(&bad), "entry at byte 24 too big (reclen 500, namlen 5)");
        let mut bad = s.clone();
        bad[4..6].copy_from_slice(&0u16.to_le_bytes()); // would loop forever
        assert_eq!(
            why(&bad),
            "entry at byte 0 not rounded (reclen 0, namlen 1)"
        );
        let mut bad = s.clone();
        bad[31] = 200; // name running into the zeros after it
        assert!(why(&bad).starts_with("entry at byte 24 NUL in name"));
        let mut bad = s.clone();
        bad[16..18].copy_from_slice(&8u16.to_le_bytes()); // `..` in too short a record
        assert_eq!(why(&bad), "entry at byte 12 too small (reclen 8, namlen 2)");
        let mut bad = s.clone();
        bad[33] = b'/';
        assert!(why(&bad).starts_with("entry at byte 24 '/' in name"));
        assert_eq!(why(&s[..100]), "directory block of 100 bytes, not 512");
        let old = DirFormat {
            endian: Endian::Little,
            typed: false,
        };
        let mut c = old.new_dir_chunk(2, 2);
        old.insert(&mut c, 3, 0, b"abc").unwrap();
        assert_eq!(old.entries(&c).unwrap()[2].name, b"abc");
    }
}
