//! The vnode operations of NFS nodes over the NFSv3 procedures. Each call
//! waits for the server off the virtual CPU ([`crate::conn`]), as the
//! calling process. Writes are sent UNSTABLE and kept until a COMMIT, as
//! NetBSD keeps its `B_NEEDCOMMIT` buffers: one COMMIT at `close` of the
//! last descriptor, `fsync`, `sync`, unmount, before a SETATTR, or once
//! [`MAX_UNCOMMITTED`] bytes wait. A COMMIT whose verifier differs from the
//! WRITEs' (the server restarted in between and may have lost them) sends
//! the kept data again with FILE_SYNC, in the order it was written.
//! Sequential writes are gathered first and sent together, several WRITEs
//! on the wire at once, as NetBSD's nfsiods send full blocks while the
//! writer goes on; a read, a stat, a COMMIT and anything that changes the
//! file send what is gathered first.

use crate::attr::{self, Cached};
use crate::fs::Shared;
use crate::nfs3::{Fattr, FileType, Nfs3Client, NfsError, RpcCall, Sattr, Stable, VERFSIZE};
use crate::readahead::{ReadAhead, Sent};
use rump::sync::lock;
use rump::{Errno, KResult};
use rumpvfs::node::{Attr, DirEntry, NewNode, Node, SetAttr, VType};
use std::sync::{Arc, Mutex};

/// A file of the server, known by its handle.
pub struct NfsNode {
    shared: Arc<Shared>,
    fh: Vec<u8>,
    ino: u64,
    typ: VType,
    cache: Mutex<Cached>,
    uncommitted: Mutex<Uncommitted>,
    ahead: Mutex<ReadAhead>,
}

/// Bytes written UNSTABLE to one file and kept until a COMMIT: NetBSD's
/// buffer cache bounds what waits; ours, each file's.
pub const MAX_UNCOMMITTED: usize = 32 << 20;

/// Writes the server has in its memory only, with their data, to send
/// again should it lose them.
#[derive(Default)]
struct Uncommitted {
    /// Each write(2)'s offset and where its bytes are in `data`, in the
    /// order written.
    writes: Vec<(u64, std::ops::Range<usize>)>,
    /// Their bytes, one after another: one buffer, reused from COMMIT to
    /// COMMIT while the file is open, where a buffer of its own for each
    /// write(2) cost the host a fresh page for every 4 KiB kept.
    data: Vec<u8>,
    /// The server's write verifier when they were written.
    verf: Option<[u8; VERFSIZE]>,
    /// The server answered with different verifiers: it restarted among
    /// them, and some may be lost whatever COMMIT answers.
    lost: bool,
    /// `writes[unsent..]` are gathered and not sent yet; their bytes are
    /// the end of `data`.
    unsent: usize,
    /// What sending gathered writes met when a call that cannot report it
    /// sent them (a read, a stat): the next write, fsync or close gives it
    /// (NetBSD's `n_error`).
    error: Option<Errno>,
}

impl Uncommitted {
    /// Gather a write, one with the last gathered one when it follows it.
    fn stage(&mut self, off: u64, data: &[u8]) {
        let end = self.data.len();
        self.data.extend_from_slice(data);
        let staged = self.unsent < self.writes.len();
        match self.writes.last_mut() {
            Some((o, r)) if staged && r.end == end && *o + r.len() as u64 == off => {
                r.end = self.data.len();
            }
            _ => self.writes.push((off, end..self.data.len())),
        }
    }

    /// The bytes gathered and not sent.
    fn staged_bytes(&self) -> usize {
        let start = self
            .writes
            .get(self.unsent)
            .map_or(self.data.len(), |w| w.1.start);
        self.data.len() - start
    }

    /// The first gathered write was sent, and its WRITEs reached `how` far.
    fn sent(&mut self, how: Written) {
        match how {
            // On disk already; kept only while older writes wait, so that
            // sending those again cannot overwrite it.
            Written::Stable if self.unsent == 0 => {
                self.writes.remove(0);
                if self.writes.is_empty() {
                    self.data.clear();
                }
                return;
            }
            Written::Stable => {}
            Written::Unstable(v) => {
                self.lost |= self.verf.is_some_and(|old| old != v);
                self.verf = Some(v);
            }
            Written::Lost => self.lost = true,
        }
        self.unsent += 1;
    }

    /// Forget the gathered writes (sending them failed).
    fn drop_staged(&mut self) {
        if let Some(w) = self.writes.get(self.unsent) {
            self.data.truncate(w.1.start);
            self.writes.truncate(self.unsent);
        }
    }

    /// Keep a write whose WRITEs reached `how` far.
    #[cfg(test)]
    fn keep(&mut self, off: u64, data: &[u8], how: Written) {
        self.stage(off, data);
        self.sent(how);
    }

    /// The writes, each with its bytes.
    fn each(&self) -> impl Iterator<Item = (u64, &[u8])> {
        self.writes
            .iter()
            .map(|(off, r)| (*off, &self.data[r.clone()]))
    }

    /// Take what waits, its buffer with it ([`Uncommitted::reuse`] gives
    /// the buffer back).
    fn take(&mut self) -> Uncommitted {
        std::mem::take(self)
    }

    /// Put back `older` writes whose COMMIT failed, before the ones made
    /// meanwhile.
    fn put_back(&mut self, mut older: Uncommitted) {
        self.unsent += older.writes.len();
        self.error = self.error.or(older.error);
        let shift = older.data.len();
        older.data.extend_from_slice(&self.data);
        older.writes.extend(
            self.writes
                .drain(..)
                .map(|(off, r)| (off, r.start + shift..r.end + shift)),
        );
        self.writes = older.writes;
        self.data = older.data;
        self.lost |= older.lost || matches!((older.verf, self.verf), (Some(a), Some(b)) if a != b);
        self.verf = self.verf.or(older.verf);
    }

    /// Give the buffer of committed writes back for the next ones, when
    /// none came meanwhile.
    fn reuse(&mut self, mut done: Uncommitted) {
        if self.writes.is_empty() && self.data.capacity() < done.data.capacity() {
            done.data.clear();
            self.data = done.data;
        }
    }
}

/// How far WRITEs reached.
#[derive(Clone, Copy)]
enum Written {
    /// The server's disk: nothing to commit.
    Stable,
    /// The server's memory, under this write verifier.
    Unstable([u8; VERFSIZE]),
    /// The server answered with two verifiers: it restarted among the
    /// WRITEs, and the earlier ones may be lost.
    Lost,
}

/// A made node's handle and attributes; LOOKUP when the server sent
/// neither (RFC 1813 lets it leave them out).
fn made<C: RpcCall>(
    c: &mut Nfs3Client<C>,
    dir: &[u8],
    name: &[u8],
    got: (Option<Vec<u8>>, Option<Fattr>),
) -> Result<(Vec<u8>, Fattr), NfsError> {
    match got {
        (Some(fh), Some(a)) => Ok((fh, a)),
        (Some(fh), None) => {
            let a = c.getattr(&fh)?;
            Ok((fh, a))
        }
        (None, _) => {
            let (fh, a) = c.lookup(dir, name)?;
            let a = match a {
                Some(a) => a,
                None => c.getattr(&fh)?,
            };
            Ok((fh, a))
        }
    }
}

impl NfsNode {
    pub(crate) fn new(shared: Arc<Shared>, fh: Vec<u8>, cached: Cached) -> NfsNode {
        NfsNode {
            shared,
            fh,
            ino: cached.attr.fileid,
            typ: attr::vtype(cached.attr.ftype),
            cache: Mutex::new(cached),
            uncommitted: Mutex::new(Uncommitted::default()),
            ahead: Mutex::new(ReadAhead::default()),
        }
    }

    /// Send what waits for a COMMIT to stable storage (NetBSD's
    /// `nfs_flush` and `nfs_commit`): one COMMIT of the whole file, and the
    /// kept data again with FILE_SYNC when the server's verifier says it
    /// lost them. What fails stays kept for the next try.
    pub(crate) fn commit(&self) -> KResult<()> {
        let waiting = {
            let mut u = self.shared.conn.lock_off_cpu(&self.uncommitted);
            let sent = self.send_staged(&mut u);
            if let Some(e) = u.error.take() {
                return Err(e);
            }
            match sent {
                Ok(()) | Err(Errno::ESTALE) => u.take(),
                Err(e) => return Err(e),
            }
        };
        if waiting.writes.is_empty() {
            return Ok(());
        }
        match self.commit_or_resend(&waiting) {
            // A file removed meanwhile (its handle stale: there is no
            // silly rename yet) has nothing left to keep its data for.
            Ok(()) | Err(Errno::ESTALE) => {
                self.shared
                    .conn
                    .lock_off_cpu(&self.uncommitted)
                    .reuse(waiting);
                self.shared
                    .committed(&self.fh, || self.nothing_uncommitted());
                Ok(())
            }
            Err(e) => {
                self.shared
                    .conn
                    .lock_off_cpu(&self.uncommitted)
                    .put_back(waiting);
                Err(e)
            }
        }
    }

    /// Send the gathered writes, [`WRITES_IN_FLIGHT`] WRITEs on the wire
    /// at a time; when that fails they are forgotten and the error given.
    fn send_staged(&self, u: &mut Uncommitted) -> KResult<()> {
        while let Some((off, r)) = u.writes.get(u.unsent).cloned() {
            match self.write_all(off, &u.data[r], Stable::Unstable) {
                Ok(how) => u.sent(how),
                Err(e) => {
                    u.drop_staged();
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Send the gathered writes before a call that must see them on the
    /// server (a read, a stat); a failure waits for the next write, fsync
    /// or close.
    fn send_staged_quietly(&self) {
        let mut u = self.shared.conn.lock_off_cpu(&self.uncommitted);
        if u.unsent < u.writes.len()
            && let Err(e) = self.send_staged(&mut u)
        {
            u.error = Some(e);
        }
    }

    fn nothing_uncommitted(&self) -> bool {
        self.shared
            .conn
            .lock_off_cpu(&self.uncommitted)
            .writes
            .is_empty()
    }

    fn commit_or_resend(&self, w: &Uncommitted) -> KResult<()> {
        let lost = w.lost
            || match w.verf {
                // COMMIT's offset and count 0: the whole file.
                Some(v) => self.shared.conn.call(|c| c.commit(&self.fh, 0, 0))? != v,
                None => false,
            };
        if lost {
            for (off, data) in w.each() {
                self.write_all(off, data, Stable::FileSync)?;
            }
        }
        Ok(())
    }

    /// New attributes from the server (`nfs_loadattrcache`).
    pub(crate) fn load(&self, a: Fattr) {
        *lock(&self.cache) = Cached::new(a, self.shared.generation());
    }

    fn load_opt(&self, a: Option<Fattr>) {
        if let Some(a) = a {
            self.load(a);
        }
    }

    /// The attributes, from the cache while they are fresh, else from
    /// GETATTR; the last ones known when the server cannot be asked
    /// (`getattr` has no way to fail).
    fn attrs(&self) -> Fattr {
        {
            let c = lock(&self.cache);
            if c.fresh(self.shared.generation()) {
                return c.attr;
            }
        }
        match self.shared.conn.call(|c| c.getattr(&self.fh)) {
            Ok(a) => {
                self.load(a);
                a
            }
            Err(_) => lock(&self.cache).attr,
        }
    }

    fn node_of(&self, fh: Vec<u8>, a: Fattr) -> Arc<dyn Node> {
        self.shared.node(fh, a) as Arc<dyn Node>
    }

    fn downcast(n: &Arc<dyn Node>) -> KResult<&NfsNode> {
        n.as_any().downcast_ref::<NfsNode>().ok_or(Errno::EXDEV)
    }

    /// Write `data` at `off` in WRITEs of at most `wsize` bytes, each as
    /// `how`, [`WRITES_IN_FLIGHT`] of them on the wire at a time; how far
    /// they reached.
    fn write_all(&self, off: u64, data: &[u8], how: Stable) -> KResult<Written> {
        let wsize = self.shared.wsize as usize;
        let mut done = 0usize;
        let mut verf: Option<[u8; VERFSIZE]> = None;
        let mut mixed = false;
        while done < data.len() {
            let pieces: Vec<(u64, &[u8])> = data[done..]
                .chunks(wsize)
                .take(PIECES_PER_BATCH)
                .enumerate()
                .map(|(i, p)| (off + (done + i * wsize) as u64, p))
                .collect();
            let results = self
                .shared
                .conn
                .call(|c| c.write_each(&self.fh, &pieces, how, WRITES_IN_FLIGHT))?;
            self.load_newest(results.iter().map(|w| w.attr));
            for (w, &(_, part)) in results.iter().zip(&pieces) {
                if w.count == 0 || w.count as usize > part.len() {
                    return Err(Errno::EIO);
                }
                if w.committed == Stable::Unstable {
                    mixed |= verf.is_some_and(|v| v != w.verf);
                    verf = Some(w.verf);
                }
                done += w.count as usize;
                if (w.count as usize) < part.len() {
                    // A short write: the rest goes again from there.
                    break;
                }
            }
        }
        Ok(match verf {
            _ if mixed => Written::Lost,
            Some(v) => Written::Unstable(v),
            None => Written::Stable,
        })
    }

    /// Of the attributes several calls in flight at once brought back, the
    /// server's latest (the last changed; the largest at one change time),
    /// since the server may have answered them in any order.
    fn load_newest(&self, attrs: impl Iterator<Item = Option<Fattr>>) {
        let key = |a: &Fattr| (a.ctime.seconds, a.ctime.nseconds, a.size);
        self.load_opt(attrs.flatten().max_by_key(key));
    }

    /// Read `buf` at `off` with READs of at most `rsize`, the block asked
    /// for and `readahead` more on the wire at once; fewer bytes at the
    /// end of the file or where the server gave fewer.
    fn read_blocks(&self, off: u64, buf: &mut [u8]) -> KResult<usize> {
        // The block asked for and `readahead` more on the wire at once, as
        // NetBSD's nfs_bioread has its nfsiods read ahead.
        let window = 1 + self.shared.conn.params().readahead as usize;
        let rsize = self.shared.rsize as usize;
        let mut done = 0usize;
        while done < buf.len() {
            // Past the first block, only what the file is known to hold
            // (NetBSD reads ahead below n_size); a file that grew
            // meanwhile is read on by the next batch.
            let size = lock(&self.cache).attr.size;
            let pieces: Vec<(u64, u32)> = (done..buf.len())
                .step_by(rsize)
                .take(PIECES_PER_BATCH)
                .enumerate()
                .filter(|&(i, at)| i == 0 || off + (at as u64) < size)
                .map(|(_, at)| (off + at as u64, (buf.len() - at).min(rsize) as u32))
                .collect();
            // Each reply's bytes go straight from the receive buffer to
            // their place in `buf`, in whatever order the replies come.
            let mut got = vec![(0usize, false, None); pieces.len()];
            self.shared.conn.call(|c| {
                c.read_each(&self.fh, &pieces, window, |i, r| {
                    let at = (pieces[i].0 - off) as usize;
                    let n = r.data.len().min(buf.len() - at);
                    buf[at..at + n].copy_from_slice(&r.data[..n]);
                    got[i] = (n, r.eof, r.attr);
                    Ok(())
                })
            })?;
            self.load_newest(got.iter().map(|g| g.2));
            for (&(n, eof, _), &(_, asked)) in got.iter().zip(&pieces) {
                done += n;
                if eof || n == 0 {
                    return Ok(done);
                }
                if n < asked as usize {
                    // A short read: the pieces after it start too late.
                    break;
                }
            }
        }
        Ok(done)
    }

    /// The reply to READ `s` sent ahead, into `buf`: the bytes it gave and
    /// whether the file goes on after them; `None` when the reply no
    /// longer waits.
    fn take_ahead(&self, s: Sent, buf: &mut [u8]) -> KResult<Option<(usize, bool)>> {
        let mut got = (0usize, false, None);
        let taken = self.shared.conn.call(|c| {
            c.take_read(s.xid, s.count, |r| {
                let n = r.data.len().min(buf.len());
                buf[..n].copy_from_slice(&r.data[..n]);
                got = (n, r.eof, r.attr);
                Ok(())
            })
        })?;
        if !taken {
            return Ok(None);
        }
        let (n, eof, attr) = got;
        self.load_opt(attr);
        Ok(Some((n, !eof && n == s.count as usize)))
    }

    /// Send READs of `count` bytes ahead of a sequential reader, up to the
    /// mount's `readahead` of them. A failure here is not the reader's: it
    /// meets it, if it lasts, when it reads on.
    fn send_ahead(&self, ra: &mut ReadAhead, count: u32) {
        let want = self.shared.conn.params().readahead as usize;
        let size = lock(&self.cache).attr.size;
        for offset in ra.wanted(want, count, size) {
            match self
                .shared
                .conn
                .call(|c| c.send_read(&self.fh, offset, count))
            {
                Ok(Some(xid)) => ra.push(Sent { offset, count, xid }),
                _ => break,
            }
        }
    }
}

/// WRITEs of one write(2) kept on the wire at once: NetBSD's client has
/// that many writes outstanding with its default four nfsiods.
const WRITES_IN_FLIGHT: usize = 4;
/// Pieces sent as one batch, resent whole if the connection drops.
const PIECES_PER_BATCH: usize = 32;

/// How many bytes of sequential writes are gathered before they are sent
/// together: enough to keep [`WRITES_IN_FLIGHT`] WRITEs of `wsize` on the
/// wire twice over, at most 8 MiB.
fn staging_limit(wsize: usize) -> usize {
    (2 * WRITES_IN_FLIGHT * wsize).min(8 << 20)
}

impl Node for NfsNode {
    fn ino(&self) -> u64 {
        self.ino
    }

    fn getattr(&self) -> Attr {
        self.send_staged_quietly();
        attr::to_vattr(&self.attrs())
    }

    fn vtype(&self) -> VType {
        self.typ
    }

    fn flags(&self) -> u32 {
        0
    }

    fn setattr(&self, s: &SetAttr) -> KResult<()> {
        // Kept writes sent again after a truncation would bring back what
        // it cut (NetBSD flushes before a size change, `nfs_vinvalbuf`).
        self.commit()?;
        self.shared.conn.lock_off_cpu(&self.ahead).forget();
        let sattr = attr::to_sattr(s)?;
        let a = self.shared.conn.call(|c| c.setattr(&self.fh, &sattr))?;
        match a {
            Some(a) => self.load(a),
            None => self.shared.names_changed(),
        }
        Ok(())
    }

    fn lookup(&self, name: &[u8]) -> KResult<Arc<dyn Node>> {
        let (fh, a) = self.shared.conn.call(|c| {
            let (fh, a) = c.lookup(&self.fh, name)?;
            let a = match a {
                Some(a) => a,
                None => c.getattr(&fh)?,
            };
            Ok((fh, a))
        })?;
        Ok(self.node_of(fh, a))
    }

    fn parent(&self) -> KResult<Arc<dyn Node>> {
        if self.typ != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        if self.fh == self.shared.root_fh {
            let a = self.attrs();
            return Ok(self.node_of(self.fh.clone(), a));
        }
        self.lookup(b"..")
    }

    /// The new file's owner and group are the server's choice, as with
    /// NetBSD's client, which sends only the mode (a Linux server gives
    /// the caller's, where a local file system gives the directory's group).
    fn create(&self, name: &[u8], new: NewNode) -> KResult<Arc<dyn Node>> {
        let mode = Sattr {
            mode: Some(new.mode & 0o7777),
            ..Sattr::default()
        };
        let dev = (rump::devsw::major(new.rdev), rump::devsw::minor(new.rdev));
        let (fh, a) = self.shared.conn.call(|c| {
            let got = match new.typ {
                VType::Reg => c.create(&self.fh, name, &mode, true)?,
                VType::Dir => c.mkdir(&self.fh, name, &mode)?,
                VType::Blk => c.mknod(&self.fh, name, FileType::Block, &mode, dev)?,
                VType::Chr => c.mknod(&self.fh, name, FileType::Char, &mode, dev)?,
                VType::Fifo => c.mknod(&self.fh, name, FileType::Fifo, &mode, dev)?,
                VType::Sock => c.mknod(&self.fh, name, FileType::Socket, &mode, dev)?,
                VType::Lnk => return Err(NfsError::Status(Errno::EINVAL)),
            };
            made(c, &self.fh, name, got)
        })?;
        self.shared.names_changed();
        Ok(self.node_of(fh, a))
    }

    fn symlink(&self, name: &[u8], target: &[u8], _uid: u32, _gid: u32) -> KResult<Arc<dyn Node>> {
        let (fh, a) = self.shared.conn.call(|c| {
            let got = c.symlink(&self.fh, name, target, &Sattr::default())?;
            made(c, &self.fh, name, got)
        })?;
        self.shared.names_changed();
        Ok(self.node_of(fh, a))
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Node>) -> KResult<()> {
        let t = Self::downcast(target)?;
        let a = self.shared.conn.call(|c| c.link(&t.fh, &self.fh, name))?;
        self.shared.names_changed();
        t.load_opt(a);
        Ok(())
    }

    fn remove(&self, name: &[u8], dir: bool) -> KResult<()> {
        self.shared.conn.call(|c| {
            if dir {
                c.rmdir(&self.fh, name)
            } else {
                c.remove(&self.fh, name)
            }
        })?;
        self.shared.names_changed();
        Ok(())
    }

    fn rename(&self, from: &[u8], to_dir: &Arc<dyn Node>, to: &[u8]) -> KResult<()> {
        let t = Self::downcast(to_dir)?;
        if self.fh == t.fh && from == to {
            return Ok(());
        }
        self.shared.conn.call(|c| {
            // Both names links to one file: NetBSD's rename removes the
            // first (its VFS does, for every file system), where the
            // server's rename(2) would leave both.
            let same = match (c.lookup(&self.fh, from), c.lookup(&t.fh, to)) {
                (Ok((a, _)), Ok((b, _))) => a == b,
                _ => false,
            };
            if same {
                c.remove(&self.fh, from)
            } else {
                c.rename(&self.fh, from, &t.fh, to)
            }
        })?;
        self.shared.names_changed();
        Ok(())
    }

    fn read(&self, off: u64, buf: &mut [u8]) -> KResult<usize> {
        if self.typ == VType::Dir {
            return Err(Errno::EISDIR);
        }
        self.send_staged_quietly();
        let mut ra = self.shared.conn.lock_off_cpu(&self.ahead);
        let sequential = ra.sequential(off);
        let mut done = 0usize;
        let mut ended = false;
        while let Some(s) = ra.take(off + done as u64, buf.len() - done) {
            match self.take_ahead(s, &mut buf[done..])? {
                None => {
                    ra.forget();
                    break;
                }
                Some((n, more)) => {
                    done += n;
                    if !more {
                        ra.forget();
                        ended = true;
                        break;
                    }
                }
            }
        }
        if !ended && done < buf.len() {
            done += self.read_blocks(off + done as u64, &mut buf[done..])?;
        }
        ra.read_to(off + done as u64);
        if sequential && done == buf.len() {
            let count = buf.len().min(self.shared.rsize as usize) as u32;
            self.send_ahead(&mut ra, count);
        }
        Ok(done)
    }

    fn write(&self, off: u64, data: &[u8]) -> KResult<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        // What was read ahead may be what this overwrites.
        self.shared.conn.lock_off_cpu(&self.ahead).forget();
        let (kept, full) = {
            let mut u = self.shared.conn.lock_off_cpu(&self.uncommitted);
            if let Some(e) = u.error.take() {
                return Err(e);
            }
            u.stage(off, data);
            if u.staged_bytes() >= staging_limit(self.shared.wsize as usize) {
                self.send_staged(&mut u)?;
            }
            (!u.writes.is_empty(), u.data.len() >= MAX_UNCOMMITTED)
        };
        if kept {
            self.shared.uncommitted(&self.fh);
        }
        if full {
            self.commit()?;
        }
        Ok(data.len())
    }

    fn readdir(&self) -> KResult<Vec<DirEntry>> {
        let (dircount, maxcount) = (self.shared.readdirsize, self.shared.rsize);
        let mut out = Vec::new();
        let (mut cookie, mut verf) = (0u64, [0u8; VERFSIZE]);
        loop {
            let page = self
                .shared
                .conn
                .call(|c| c.readdirplus(&self.fh, cookie, verf, dircount, maxcount))?;
            for e in &page.entries {
                let typ = match (&e.attr, &e.fh) {
                    (Some(a), _) => attr::vtype(a.ftype),
                    (None, Some(fh)) => {
                        attr::vtype(self.shared.conn.call(|c| c.getattr(fh))?.ftype)
                    }
                    (None, None) => self.lookup(&e.name)?.vtype(),
                };
                out.push(DirEntry {
                    name: e.name.clone(),
                    ino: e.fileid,
                    typ,
                });
            }
            if page.eof {
                return Ok(out);
            }
            // A page with no entries and no end would loop for ever.
            cookie = page.entries.last().ok_or(Errno::EIO)?.cookie;
            verf = page.verf;
        }
    }

    fn readlink(&self) -> KResult<Vec<u8>> {
        if self.typ != VType::Lnk {
            return Err(Errno::EINVAL);
        }
        self.shared.conn.call(|c| c.readlink(&self.fh))
    }

    fn fsync(&self) -> KResult<()> {
        self.commit()
    }

    fn close(&self) -> KResult<()> {
        // The next open reads from the start again, or from anywhere.
        *self.shared.conn.lock_off_cpu(&self.ahead) = ReadAhead::default();
        self.commit()?;
        // A closed file keeps no buffer (what waits meanwhile keeps its own).
        let mut u = self.shared.conn.lock_off_cpu(&self.uncommitted);
        if u.writes.is_empty() {
            u.data = Vec::new();
        }
        Ok(())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_writes_are_kept_in_order_and_a_verifier_change_loses_them() {
        let mut u = Uncommitted::default();
        // A stable write with nothing waiting needs no keeping.
        u.keep(0, b"ab", Written::Stable);
        assert!(u.writes.is_empty());
        u.keep(0, b"abcd", Written::Unstable([1; VERFSIZE]));
        u.keep(4, b"ef", Written::Unstable([1; VERFSIZE]));
        assert_eq!(
            (u.data.len(), u.lost, u.verf),
            (6, false, Some([1; VERFSIZE]))
        );
        // Kept behind the older ones, so that sending those again cannot
        // overwrite it.
        u.keep(0, b"XY", Written::Stable);
        assert_eq!(u.each().last(), Some((0, &b"XY"[..])));
        // The server restarted between two writes.
        u.keep(6, b"g", Written::Unstable([2; VERFSIZE]));
        assert!(u.lost);

        // A failed COMMIT puts its writes back before newer ones.
        let mut now = Uncommitted::default();
        now.keep(9, b"z", Written::Unstable([3; VERFSIZE]));
        let mut older = Uncommitted::default();
        older.keep(0, b"abc", Written::Unstable([3; VERFSIZE]));
        now.put_back(older);
        let kept: Vec<(u64, &[u8])> = now.each().collect();
        assert_eq!(kept, [(0, &b"abc"[..]), (9, &b"z"[..])]);
        assert!(!now.lost);
        let mut older = Uncommitted::default();
        older.keep(0, b"abc", Written::Unstable([4; VERFSIZE]));
        now.put_back(older);
        assert!(now.lost, "two verifiers among the writes");
        let mut lost = Uncommitted::default();
        lost.keep(1, b"q", Written::Lost);
        assert!(lost.lost && lost.writes.len() == 1);
        // A committed buffer serves the next writes when none came.
        let mut next = Uncommitted::default();
        let done = lost.take();
        let cap = done.data.capacity();
        next.reuse(done);
        assert_eq!((next.data.len(), next.data.capacity()), (0, cap));
    }

    #[test]
    fn sequential_writes_are_gathered_and_a_failed_send_forgets_only_them() {
        let mut u = Uncommitted::default();
        u.keep(0, b"old", Written::Unstable([1; VERFSIZE]));
        u.stage(10, b"ab");
        // Follows the last: one write.
        u.stage(12, b"cd");
        u.stage(20, b"x");
        assert_eq!((u.writes.len(), u.staged_bytes()), (3, 5));
        let staged: Vec<(u64, &[u8])> = u.each().skip(1).collect();
        assert_eq!(staged, [(10, &b"abcd"[..]), (20, &b"x"[..])]);
        u.drop_staged();
        assert_eq!((u.writes.len(), u.data.len(), u.staged_bytes()), (1, 3, 0));
        // Writes put back after a failed COMMIT were sent: what is
        // gathered stays the end.
        u.stage(30, b"y");
        let mut older = Uncommitted::default();
        older.keep(0, b"zz", Written::Unstable([1; VERFSIZE]));
        u.put_back(older);
        assert_eq!((u.unsent, u.staged_bytes()), (2, 1));
        assert_eq!(u.each().last(), Some((30, &b"y"[..])));
    }
}
