//! File data: pages charged to the kernel's memory, holes read as zeros,
//! and short writes when the file system or the kernel is full.

use super::{Content, Inner, MemNode, PAGE, lock};
use crate::node::VType;
use rump::kmem::MemCharge;
use rump::{Errno, KResult};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

/// One page of a file's data.
pub(super) struct Page {
    data: Box<[u8]>,
    _charge: MemCharge,
}

/// The error for reading or writing data of a node that holds none.
fn not_a_file(i: &Inner) -> Errno {
    if i.typ == VType::Dir {
        Errno::EISDIR
    } else {
        Errno::EINVAL
    }
}

/// What a hole reads as, handed out a page at a time.
static ZERO_PAGE: [u8; PAGE] = [0; PAGE];

/// Hand `n` zero bytes to `sink`.
fn hand_zeros(mut n: usize, sink: &mut rump::devsw::ReadSink<'_>) -> KResult<()> {
    while n > 0 {
        let take = n.min(PAGE);
        sink(&ZERO_PAGE[..take])?;
        n -= take;
    }
    Ok(())
}

impl MemNode {
    /// A new page holding `fill`, zeros after it (a page the write covers
    /// whole is built from the data, not zeroed first).
    fn page(&self, fill: &[u8]) -> KResult<Page> {
        let s = &self.shared;
        if s.pages.fetch_add(1, Ordering::Relaxed) >= s.max_pages() {
            s.pages.fetch_sub(1, Ordering::Relaxed);
            return Err(Errno::ENOSPC);
        }
        match s.kmem.charge(PAGE as u64) {
            Ok(c) => {
                let mut data = Vec::with_capacity(PAGE);
                data.extend_from_slice(&fill[..fill.len().min(PAGE)]);
                data.resize(PAGE, 0);
                Ok(Page {
                    data: data.into_boxed_slice(),
                    _charge: c,
                })
            }
            Err(e) => {
                s.pages.fetch_sub(1, Ordering::Relaxed);
                Err(if e == Errno::ENOMEM { Errno::ENOSPC } else { e })
            }
        }
    }

    /// Drop pages past `size` and zero the tail of the last one.
    fn shrink(&self, pages: &mut BTreeMap<u64, Page>, size: u64) {
        let keep = size.div_ceil(PAGE as u64);
        let gone = pages.split_off(&keep);
        self.shared
            .pages
            .fetch_sub(gone.len() as u64, Ordering::Relaxed);
        let tail = (size % PAGE as u64) as usize;
        if tail != 0
            && let Some(p) = pages.get_mut(&(size / PAGE as u64))
        {
            p.data[tail..].fill(0);
        }
    }

    /// Set a file's size to `size`: pages past it go, and the tail of the
    /// last one is zeroed.
    pub(super) fn truncate(&self, i: &mut Inner, size: u64) -> KResult<()> {
        let Content::File { size: cur, pages } = &mut i.content else {
            return Err(not_a_file(i));
        };
        if size < *cur {
            self.shrink(pages, size);
        }
        *cur = size;
        Ok(())
    }

    pub(super) fn read_data(&self, off: u64, buf: &mut [u8]) -> KResult<usize> {
        let mut i = lock(&self.inner);
        let Content::File { size, pages } = &i.content else {
            return Err(not_a_file(&i));
        };
        if off >= *size {
            return Ok(0);
        }
        let n = ((*size - off) as usize).min(buf.len());
        // One walk over the pages in range rather than a lookup per page;
        // what lies between them is a hole, read as zeros.
        let page = PAGE as u64;
        let mut done = 0;
        if n > 0 {
            for (&pno, p) in pages.range(off / page..=(off + n as u64 - 1) / page) {
                let start = pno * page;
                let at = (start.max(off) - off) as usize;
                buf[done..at].fill(0);
                let poff = (off.max(start) - start) as usize;
                let chunk = (PAGE - poff).min(n - at);
                buf[at..at + chunk].copy_from_slice(&p.data[poff..poff + chunk]);
                done = at + chunk;
            }
        }
        buf[done..n].fill(0);
        if self.shared.stamps_times() && !self.shared.noatime.load(Ordering::Relaxed) {
            i.atime = self.shared.now();
        }
        Ok(n)
    }

    /// [`MemNode::read_data`] handing the pages themselves to `sink`,
    /// under the node's lock (a hole as a page of zeros).
    pub(super) fn read_data_to(
        &self,
        off: u64,
        len: usize,
        sink: &mut rump::devsw::ReadSink<'_>,
    ) -> KResult<usize> {
        let mut i = lock(&self.inner);
        let Content::File { size, pages } = &i.content else {
            return Err(not_a_file(&i));
        };
        if off >= *size {
            return Ok(0);
        }
        let n = ((*size - off) as usize).min(len);
        let page = PAGE as u64;
        let mut done = 0;
        if n > 0 {
            for (&pno, p) in pages.range(off / page..=(off + n as u64 - 1) / page) {
                let start = pno * page;
                let at = (start.max(off) - off) as usize;
                hand_zeros(at - done, sink)?;
                let poff = (off.max(start) - start) as usize;
                let chunk = (PAGE - poff).min(n - at);
                sink(&p.data[poff..poff + chunk])?;
                done = at + chunk;
            }
        }
        hand_zeros(n - done, sink)?;
        if self.shared.stamps_times() && !self.shared.noatime.load(Ordering::Relaxed) {
            i.atime = self.shared.now();
        }
        Ok(n)
    }

    pub(super) fn write_data(&self, off: u64, data: &[u8]) -> KResult<usize> {
        let end = off.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        let mut i = lock(&self.inner);
        let Content::File { size, pages } = &mut i.content else {
            return Err(not_a_file(&i));
        };
        let mut done = 0;
        while done < data.len() {
            let pos = off + done as u64;
            let (pno, poff) = (pos / PAGE as u64, (pos % PAGE as u64) as usize);
            let chunk = (PAGE - poff).min(data.len() - done);
            let page = match pages.entry(pno) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) if poff == 0 && chunk == PAGE => {
                    match self.page(&data[done..done + chunk]) {
                        Ok(p) => {
                            v.insert(p);
                            done += chunk;
                            continue;
                        }
                        Err(e) if done == 0 => return Err(e),
                        Err(_) => break,
                    }
                }
                std::collections::btree_map::Entry::Vacant(v) => match self.page(&[]) {
                    Ok(p) => v.insert(p),
                    // A short write when some data went in, else the error.
                    Err(e) if done == 0 => return Err(e),
                    Err(_) => break,
                },
            };
            page.data[poff..poff + chunk].copy_from_slice(&data[done..done + chunk]);
            done += chunk;
        }
        let written_end = off + done as u64;
        if written_end > *size {
            *size = written_end.min(end);
        }
        self.stamp_changed(&mut i);
        Ok(done)
    }
}
