//! The bookkeeping of a program's mappings of kernel files: which address
//! ranges map which file at which offset, split as `munmap` and `mprotect`
//! cut them, and which bytes of a shared mapping differ from what the file
//! was last known to hold. Nothing here touches memory or the host; the
//! mapping calls themselves are in `exports::mmap`.

use std::ops::Range;

/// The page size the ranges are counted in (x86-64 Linux).
pub const PAGE: usize = 4096;

/// `n` rounded up to whole pages, `None` on overflow.
pub fn page_up(n: usize) -> Option<usize> {
    Some(n.checked_add(PAGE - 1)? & !(PAGE - 1))
}

/// A file in the kernel, as its `st_dev` and `st_ino` name it: several
/// descriptors (and mappings) of one file share one identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId {
    /// The kernel's `st_dev`.
    pub dev: u64,
    /// The kernel's `st_ino`.
    pub ino: u64,
}

impl From<&libc::stat> for FileId {
    fn from(st: &libc::stat) -> FileId {
        FileId {
            dev: st.st_dev,
            ino: st.st_ino,
        }
    }
}

/// One mapped range of a kernel file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// First address (page aligned).
    pub start: usize,
    /// Length in bytes (whole pages).
    pub len: usize,
    /// The file mapped.
    pub file: FileId,
    /// The file offset of `start`.
    pub offset: u64,
    /// The `PROT_*` bits in force.
    pub prot: i32,
    /// `MAP_SHARED` (writes reach the file) rather than `MAP_PRIVATE`.
    pub shared: bool,
    /// The descriptor it was made from allowed a shared writable mapping,
    /// so `mprotect` may add `PROT_WRITE` to a shared one.
    pub may_write: bool,
}

impl Mapping {
    /// One past the last address.
    pub fn end(&self) -> usize {
        self.start + self.len
    }

    /// The file offsets the mapping covers.
    pub fn file_range(&self) -> Range<u64> {
        self.offset..self.offset + self.len as u64
    }

    /// The part of this mapping inside `a..b`, if any.
    pub fn clip(&self, a: usize, b: usize) -> Option<Mapping> {
        let s = self.start.max(a);
        let e = self.end().min(b);
        (s < e).then(|| Mapping {
            start: s,
            len: e - s,
            offset: self.offset + (s - self.start) as u64,
            ..*self
        })
    }
}

/// The live mappings of kernel files in this process.
#[derive(Debug, Default)]
pub struct MapTable {
    maps: Vec<Mapping>,
}

impl MapTable {
    /// An empty table.
    pub const fn new() -> MapTable {
        MapTable { maps: Vec::new() }
    }

    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.maps.is_empty()
    }

    /// How many ranges are recorded.
    pub fn len(&self) -> usize {
        self.maps.len()
    }

    /// Record a new mapping (its range must be free in the table).
    pub fn insert(&mut self, m: Mapping) {
        self.maps.push(m);
    }

    /// The parts of mappings inside `a..b`.
    pub fn overlapping(&self, a: usize, b: usize) -> Vec<Mapping> {
        self.maps.iter().filter_map(|m| m.clip(a, b)).collect()
    }

    /// The mapping that holds address `addr`.
    pub fn containing(&self, addr: usize) -> Option<Mapping> {
        self.maps
            .iter()
            .find(|m| (m.start..m.end()).contains(&addr))
            .copied()
    }

    /// Take `a..b` out of the table, splitting mappings that reach past
    /// it; returns the parts removed.
    pub fn remove_range(&mut self, a: usize, b: usize) -> Vec<Mapping> {
        let mut removed = Vec::new();
        let mut kept = Vec::with_capacity(self.maps.len() + 1);
        for m in self.maps.drain(..) {
            let Some(cut) = m.clip(a, b) else {
                kept.push(m);
                continue;
            };
            kept.extend(m.clip(m.start, cut.start));
            kept.extend(m.clip(cut.end(), m.end()));
            removed.push(cut);
        }
        self.maps = kept;
        removed
    }

    /// Give `a..b` the protection `prot`, splitting where needed.
    pub fn set_prot(&mut self, a: usize, b: usize, prot: i32) {
        for mut m in self.remove_range(a, b) {
            m.prot = prot;
            self.maps.push(m);
        }
    }

    /// Whether any mapping is of `file`.
    pub fn uses(&self, file: FileId) -> bool {
        self.maps.iter().any(|m| m.file == file)
    }

    /// Every mapping.
    pub fn iter(&self) -> impl Iterator<Item = &Mapping> {
        self.maps.iter()
    }
}

/// A set of byte offsets kept as sorted, disjoint, non-adjacent ranges:
/// which parts of a file's shared pages have been read from the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeSet {
    ranges: Vec<Range<usize>>,
}

impl RangeSet {
    /// The empty set.
    pub const fn new() -> RangeSet {
        RangeSet { ranges: Vec::new() }
    }

    /// Add `r`, merging it with what it touches.
    pub fn add(&mut self, r: Range<usize>) {
        if r.is_empty() {
            return;
        }
        let (mut lo, mut hi) = (r.start, r.end);
        self.ranges.retain(|x| {
            if x.end < lo || x.start > hi {
                return true;
            }
            lo = lo.min(x.start);
            hi = hi.max(x.end);
            false
        });
        let at = self.ranges.partition_point(|x| x.start < lo);
        self.ranges.insert(at, lo..hi);
    }

    /// The parts of `lo..hi` in the set.
    pub fn within(&self, lo: usize, hi: usize) -> Vec<Range<usize>> {
        self.ranges
            .iter()
            .map(|x| x.start.max(lo)..x.end.min(hi))
            .filter(|x| !x.is_empty())
            .collect()
    }

    /// The parts of `lo..hi` not in the set.
    pub fn gaps(&self, lo: usize, hi: usize) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut at = lo;
        for x in self.within(lo, hi) {
            if x.start > at {
                out.push(at..x.start);
            }
            at = x.end;
        }
        if at < hi {
            out.push(at..hi);
        }
        out
    }
}

/// A sparse copy of a file's bytes, kept by page: what this process last
/// read from the file or wrote to it. Pages never stored read as zero, and
/// cost nothing, so a mapping far into a big file keeps one page.
#[derive(Clone, Debug, Default)]
pub struct PageCopy {
    pages: std::collections::BTreeMap<usize, Box<[u8]>>,
}

impl PageCopy {
    /// An empty copy.
    pub const fn new() -> PageCopy {
        PageCopy {
            pages: std::collections::BTreeMap::new(),
        }
    }

    /// Bytes `a..b`.
    pub fn get(&self, a: usize, b: usize) -> Vec<u8> {
        let mut out = vec![0u8; b - a];
        let mut at = a;
        while at < b {
            let (page, within) = (at / PAGE, at % PAGE);
            let n = (PAGE - within).min(b - at);
            if let Some(p) = self.pages.get(&page) {
                out[at - a..at - a + n].copy_from_slice(&p[within..within + n]);
            }
            at += n;
        }
        out
    }

    /// Make bytes `a..b` zero (whole pages among them are let go).
    pub fn zero(&mut self, a: usize, b: usize) {
        if a >= b {
            return;
        }
        let stored: Vec<usize> = self
            .pages
            .range(a / PAGE..=(b - 1) / PAGE)
            .map(|(&k, _)| k)
            .collect();
        for page in stored {
            let lo = a.max(page * PAGE) - page * PAGE;
            let hi = b.min((page + 1) * PAGE) - page * PAGE;
            if hi - lo == PAGE {
                self.pages.remove(&page);
            } else if let Some(p) = self.pages.get_mut(&page) {
                p[lo..hi].fill(0);
            }
        }
    }

    /// Store `data` at `a`.
    pub fn set(&mut self, a: usize, data: &[u8]) {
        let mut done = 0;
        while done < data.len() {
            let at = a + done;
            let (page, within) = (at / PAGE, at % PAGE);
            let n = (PAGE - within).min(data.len() - done);
            let p = self
                .pages
                .entry(page)
                .or_insert_with(|| vec![0u8; PAGE].into_boxed_slice());
            p[within..within + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
    }
}

/// The byte ranges where `now` differs from `clean` (same length). Runs
/// at most `join` bytes apart are written as one, to save calls; the bytes
/// between are unchanged, so writing them is harmless unless the file was
/// changed by other means meanwhile.
pub fn dirty_runs(now: &[u8], clean: &[u8], join: usize) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    let n = now.len().min(clean.len());
    let mut base = 0;
    // Whole pages compare as one memcmp; only pages that differ are walked.
    while base < n {
        let end = (base + PAGE).min(n);
        if now[base..end] != clean[base..end] {
            let mut i = base;
            while i < end {
                if now[i] == clean[i] {
                    i += 1;
                    continue;
                }
                let s = i;
                while i < end && now[i] != clean[i] {
                    i += 1;
                }
                match runs.last_mut() {
                    Some(last) if s - last.end <= join => last.end = i,
                    _ => runs.push(s..i),
                }
            }
        }
        base = end;
    }
    runs
}

/// The byte ranges where `file` (what the file now holds) differs from
/// `clean` (what this process last read or wrote there) while `now` (the
/// mappings) still equals `clean`: what another process changed and this
/// one did not, to be taken into the mappings. All three have one length.
pub fn foreign_runs(file: &[u8], now: &[u8], clean: &[u8]) -> Vec<Range<usize>> {
    let n = file.len().min(now.len()).min(clean.len());
    let take = |i: usize| file[i] != clean[i] && now[i] == clean[i];
    let mut runs = Vec::new();
    let mut i = 0;
    while i < n {
        if !take(i) {
            i += 1;
            continue;
        }
        let s = i;
        while i < n && take(i) {
            i += 1;
        }
        runs.push(s..i);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: FileId = FileId { dev: 1, ino: 2 };

    fn map(start: usize, pages: usize, offset: u64) -> Mapping {
        Mapping {
            start,
            len: pages * PAGE,
            file: F,
            offset,
            prot: 3,
            shared: true,
            may_write: true,
        }
    }

    #[test]
    fn partial_unmap_splits_and_keeps_offsets() {
        let mut t = MapTable::new();
        t.insert(map(0x10000, 4, 0x2000));
        // Out of the middle: two pieces stay, with their own offsets.
        let gone = t.remove_range(0x11000, 0x12000);
        assert_eq!(gone, vec![map(0x11000, 1, 0x3000)]);
        let mut left: Vec<Mapping> = t.iter().copied().collect();
        left.sort_by_key(|m| m.start);
        assert_eq!(left, vec![map(0x10000, 1, 0x2000), map(0x12000, 2, 0x4000)]);
        // A range over both pieces and beyond removes what is there.
        let gone = t.remove_range(0, 0x13000);
        assert_eq!(gone.len(), 2);
        assert_eq!(t.overlapping(0, usize::MAX), vec![map(0x13000, 1, 0x5000)]);
        assert!(t.uses(F));
        t.remove_range(0x13000, 0x14000);
        assert!(t.is_empty() && !t.uses(F));
    }

    #[test]
    fn mprotect_splits_the_protection() {
        let mut t = MapTable::new();
        t.insert(map(0x10000, 3, 0));
        t.set_prot(0x11000, 0x12000, 1);
        assert_eq!(t.len(), 3);
        assert_eq!(t.containing(0x11fff).unwrap().prot, 1);
        assert_eq!(t.containing(0x12000).unwrap().prot, 3);
        assert_eq!(t.containing(0x10000).unwrap().prot, 3);
        assert_eq!(t.containing(0x13000), None);
    }

    #[test]
    fn dirty_runs_find_changed_bytes_only() {
        let clean = vec![0u8; 3 * PAGE];
        let mut now = clean.clone();
        assert!(dirty_runs(&now, &clean, 64).is_empty());
        now[10] = 1;
        now[20] = 1;
        now[PAGE + 100] = 7;
        now[3 * PAGE - 1] = 9;
        assert_eq!(
            dirty_runs(&now, &clean, 64),
            vec![10..21, PAGE + 100..PAGE + 101, 3 * PAGE - 1..3 * PAGE]
        );
        // Without joining, the two close changes stay apart.
        assert_eq!(dirty_runs(&now, &clean, 0)[..2], [10..11, 20..21]);
        // Runs across a page boundary join.
        now[PAGE - 1] = 5;
        now[PAGE] = 5;
        assert_eq!(dirty_runs(&now, &clean, 0)[2], PAGE - 1..PAGE + 1);
    }

    #[test]
    fn foreign_changes_are_taken_where_this_process_changed_nothing() {
        let clean = b"aaaaaaaa";
        let file = b"abbaaaca";
        let now = b"aaaaaxcx";
        // Byte 6: both changed it, this process's value stays (to be
        // written back); 1..3: only the file changed.
        assert_eq!(foreign_runs(file, now, clean), vec![1..3]);
        assert!(foreign_runs(clean, now, clean).is_empty());
    }

    #[test]
    fn page_copies_are_sparse_and_read_zero_where_unset() {
        let mut c = PageCopy::new();
        c.set(PAGE - 2, b"abcd");
        c.set(1 << 40, b"far");
        assert_eq!(c.get(PAGE - 3, PAGE + 3), b"\0abcd\0");
        assert_eq!(c.get(1 << 40, (1 << 40) + 4), b"far\0");
        assert_eq!(c.get(10 * PAGE, 10 * PAGE + 2), b"\0\0");
        assert_eq!(c.pages.len(), 3);
        c.zero(PAGE - 1, 1 << 41);
        assert_eq!(c.get(PAGE - 3, PAGE + 3), b"\0a\0\0\0\0");
        assert_eq!(c.pages.len(), 1);
    }

    #[test]
    fn range_sets_merge_and_find_gaps() {
        let mut s = RangeSet::new();
        s.add(10..20);
        s.add(30..40);
        assert_eq!(s.gaps(0, 50), vec![0..10, 20..30, 40..50]);
        assert_eq!(s.within(15, 35), vec![15..20, 30..35]);
        // Touching ranges merge; an empty one changes nothing.
        s.add(20..30);
        s.add(5..5);
        assert_eq!(s.within(0, 100), vec![10..40]);
        assert_eq!(s.gaps(10, 40), Vec::<Range<usize>>::new());
        s.add(0..100);
        assert_eq!(s.within(0, usize::MAX), vec![0..100]);
    }

    #[test]
    fn page_rounding_refuses_overflow() {
        assert_eq!(page_up(1), Some(PAGE));
        assert_eq!(page_up(PAGE), Some(PAGE));
        assert_eq!(page_up(usize::MAX), None);
    }
}
