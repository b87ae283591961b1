//! A directory's names in core (NetBSD's dirhash), and the edits of its
//! chunks on disk that keep the two in step: find, add, remove and
//! retarget an entry.

use super::*;

/// A directory's names in core (NetBSD's dirhash): where each name is and
/// how much room each chunk has.
pub(super) struct DirIndex {
    names: HashMap<Vec<u8>, DirSlot>,
    /// Free bytes in each chunk (`DIRBLKSIZ` block), by chunk number.
    slack: Vec<u16>,
}

/// Where a directory entry is and what it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct DirSlot {
    /// The inode it names (`WINO` for a whiteout).
    pub(super) ino: u32,
    /// Its `DT_*` type.
    pub(super) typ: u8,
    /// The chunk that holds it.
    pub(super) chunk: u32,
}

impl DirSlot {
    /// Whether the entry is a whiteout (left by a union mount over the
    /// file system), which names nothing. Only 4.4BSD directories, which
    /// keep a type in each entry, have them.
    pub(super) fn is_whiteout(&self) -> bool {
        self.typ == dt::WHT
    }
}

impl FfsNode {
    pub(super) fn index<'a>(&self, st: &'a mut InodeState) -> KResult<&'a mut DirIndex> {
        if st.d.ifmt() != IFDIR {
            return Err(Errno::ENOTDIR);
        }
        if st.index.is_none() {
            let blocks = self.fs.dir_blocks(self.ino, &st.d)?;
            let mut names = HashMap::new();
            let mut slack = Vec::with_capacity(blocks.len());
            for (i, ents) in blocks.into_iter().enumerate() {
                slack.push(ents.iter().map(|e| e.slack()).sum::<usize>() as u16);
                for e in ents.into_iter().filter(|e| e.ino != 0) {
                    names.insert(
                        e.name,
                        DirSlot {
                            ino: e.ino,
                            typ: e.typ,
                            chunk: i as u32,
                        },
                    );
                }
            }
            st.index = Some(DirIndex { names, slack });
        }
        st.index.as_mut().ok_or(Errno::EIO)
    }

    pub(super) fn read_chunk(&self, st: &InodeState, i: u32) -> KResult<Vec<u8>> {
        let mut c = vec![0u8; DIRBLKSIZ];
        let off = u64::from(i) * DIRBLKSIZ as u64;
        if self.fs.read_data(&st.d, off, &mut c)? != DIRBLKSIZ {
            return Err(Errno::EIO);
        }
        Ok(c)
    }

    pub(super) fn write_chunk(&self, st: &mut InodeState, i: u32, c: &[u8]) -> KResult<()> {
        let off = u64::from(i) * DIRBLKSIZ as u64;
        let res = self.fs.write_data(self.ino, &mut st.d, off, c);
        st.dirty = true;
        let n = res?;
        if n != c.len() {
            return Err(Errno::ENOSPC);
        }
        let slack = self
            .fs
            .dirfmt()
            .entries(c)?
            .iter()
            .map(|e| e.slack())
            .sum::<usize>() as u16;
        if let Some(ix) = st.index.as_mut() {
            if ix.slack.len() <= i as usize {
                ix.slack.resize(i as usize + 1, 0);
            }
            ix.slack[i as usize] = slack;
        }
        Ok(())
    }

    /// The entry of `name`; a whiteout is no entry, as to `ufs_lookup`
    /// without `DOWHITEOUT`.
    pub(super) fn dir_find(&self, st: &mut InodeState, name: &[u8]) -> KResult<Option<DirSlot>> {
        Ok(self
            .index(st)?
            .names
            .get(name)
            .copied()
            .filter(|s| !s.is_whiteout()))
    }

    /// Add `name` -> `ino` to this directory, in the first chunk with room
    /// or in a new chunk at the end.
    pub(super) fn dir_add(
        &self,
        st: &mut InodeState,
        name: &[u8],
        ino: u64,
        typ: u8,
    ) -> KResult<()> {
        let need = dirsiz(name.len());
        let fmt = self.fs.dirfmt();
        let ix = self.index(st)?;
        if let Some(white) = ix.names.get(name).copied().filter(DirSlot::is_whiteout) {
            // The name takes its whiteout's place, as NetBSD's
            // `ufs_direnter` takes the slot `ufs_lookup` found it in.
            let mut chunk = self.read_chunk(st, white.chunk)?;
            if !fmt.retarget(&mut chunk, name, ino as u32, typ)? {
                return Err(Errno::EIO);
            }
            self.write_chunk(st, white.chunk, &chunk)?;
            if let Some(ix) = st.index.as_mut() {
                ix.names.insert(
                    name.to_vec(),
                    DirSlot {
                        ino: ino as u32,
                        typ,
                        chunk: white.chunk,
                    },
                );
            }
            self.touch(st, true, true);
            return Ok(());
        }
        let slot = ix.slack.iter().position(|&s| usize::from(s) >= need);
        let (i, mut chunk) = match slot {
            Some(i) => (i as u32, self.read_chunk(st, i as u32)?),
            None => ((st.d.size / DIRBLKSIZ as u64) as u32, fmt.empty_chunk()),
        };
        if !fmt.insert(&mut chunk, ino as u32, typ, name)? {
            return Err(Errno::EIO);
        }
        self.write_chunk(st, i, &chunk)?;
        if let Some(ix) = st.index.as_mut() {
            ix.names.insert(
                name.to_vec(),
                DirSlot {
                    ino: ino as u32,
                    typ,
                    chunk: i,
                },
            );
        }
        self.touch(st, true, true);
        Ok(())
    }

    /// Remove `name` from this directory; trailing chunks left empty are
    /// cut off.
    pub(super) fn dir_remove(&self, st: &mut InodeState, name: &[u8]) -> KResult<()> {
        self.edit_entry(st, name, None, |fmt, chunk| fmt.remove(chunk, name))?;
        // Compact: drop empty chunks at the end (never the first).
        let mut n = st.d.size / DIRBLKSIZ as u64;
        while n > 1 {
            let last = (n - 1) as u32;
            let empty = st.index.as_ref().is_some_and(|ix| {
                ix.slack
                    .get(last as usize)
                    .is_some_and(|&s| usize::from(s) == DIRBLKSIZ)
            });
            if !empty {
                break;
            }
            n -= 1;
        }
        if n < st.d.size / DIRBLKSIZ as u64 {
            self.fs
                .truncate(self.ino, &mut st.d, n * DIRBLKSIZ as u64)?;
            if let Some(ix) = st.index.as_mut() {
                ix.slack.truncate(n as usize);
            }
        }
        self.touch(st, true, true);
        Ok(())
    }

    pub(super) fn dir_retarget(
        &self,
        st: &mut InodeState,
        name: &[u8],
        ino: u64,
        typ: u8,
    ) -> KResult<()> {
        self.edit_entry(st, name, Some((ino as u32, typ)), |fmt, chunk| {
            fmt.retarget(chunk, name, ino as u32, typ)
        })?;
        self.touch(st, true, true);
        Ok(())
    }

    /// Change the chunk holding `name` with `edit` (which must find it),
    /// write it back, and record `name`'s new target (`None`: gone).
    pub(super) fn edit_entry(
        &self,
        st: &mut InodeState,
        name: &[u8],
        now: Option<(u32, u8)>,
        edit: impl FnOnce(&DirFormat, &mut [u8]) -> KResult<bool>,
    ) -> KResult<()> {
        let i = self.dir_find(st, name)?.ok_or(Errno::ENOENT)?.chunk;
        let mut chunk = self.read_chunk(st, i)?;
        if !edit(&self.fs.dirfmt(), &mut chunk)? {
            return Err(Errno::EIO);
        }
        self.write_chunk(st, i, &chunk)?;
        if let Some(ix) = st.index.as_mut() {
            match now {
                Some((ino, typ)) => ix
                    .names
                    .insert(name.to_vec(), DirSlot { ino, typ, chunk: i }),
                None => ix.names.remove(name),
            };
        }
        Ok(())
    }

    /// Whether the directory names nothing but `.` and `..`; whiteouts
    /// do not count (NetBSD's `ufs_dirempty`).
    pub(super) fn dir_is_empty(&self, st: &mut InodeState) -> KResult<bool> {
        Ok(self
            .index(st)?
            .names
            .iter()
            .all(|(n, s)| n == b"." || n == b".." || s.ino == WINO))
    }
}
