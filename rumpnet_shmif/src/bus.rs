//! The shmif bus file, in NetBSD's format (`shmifvar.h`, bus version 3):
//! a 32-byte header, then a ring of packets, each a header (length,
//! timestamp, sender id) and an Ethernet frame, which may wrap around the
//! end of the ring. Every field is in the host's byte order.
//!
//! ```text
//!  0      4        8        16      20     24     28      32
//! +------+--------+--------+-------+------+------+-------+-----------
//! |magic |version |  gen   | first | last | lock | spare | ring ...
//! +------+--------+--------+-------+------+------+-------+-----------
//! packet: | len u32 | sec u32 | usec u32 | pad u32 | sender u64 | frame |
//! ```
//!
//! `last` is the offset of the last packet written; `first` the oldest
//! still whole (`DATASIZE` until the ring first wraps); `gen` counts wraps.
//! The bus is shared with other processes, so nothing read from it is
//! trusted: offsets are always reduced into the ring and lengths bounded.

use std::time::Duration;

/// `SHMIF_MAGIC`.
pub const MAGIC: u32 = 0xca11_d054;
/// `SHMIF_VERSION`.
pub const VERSION: u32 = 3;
/// `BUSMEM_SIZE`: the bus file's size.
pub const SIZE: usize = 1024 * 1024;
/// Size of the bus header (`sizeof(struct shmif_mem)`).
pub const HEADER: usize = 32;
/// `BUSMEM_DATASIZE`: bytes in the ring.
pub const DATASIZE: u32 = (SIZE - HEADER) as u32;
/// `sizeof(struct shmif_pkthdr)` on LP64.
pub const PKTHDR: u32 = 24;
/// Longest frame a sender puts on the bus (`ETHERMTU + ETHER_HDR_LEN`).
pub const MAX_FRAME: usize = 1514;

/// Header offsets.
pub mod field {
    /// `shm_magic`.
    pub const MAGIC: usize = 0;
    /// `shm_version`, also where the wakeup write goes (`IFMEM_WAKEUP`).
    pub const VERSION: usize = 4;
    /// `shm_gen`.
    pub const GEN: usize = 8;
    /// `shm_first`.
    pub const FIRST: usize = 16;
    /// `shm_last`.
    pub const LAST: usize = 20;
    /// `shm_lock`.
    pub const LOCK: usize = 24;
}

/// `LOCK_UNLOCKED`, `LOCK_LOCKED`.
const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
/// Spins before sleeping (`LOCK_COOLDOWN`).
const COOLDOWN: u32 = 1001;
/// A lock still held after this many sleeps of [`LOCK_NAP`] (two
/// seconds and more) belongs to a process that died holding it.
const LOCK_STALE_NAPS: u32 = 2000;
/// The sleep between rounds of spinning on the bus lock.
const LOCK_NAP: Duration = Duration::from_millis(1);
/// Rounds of spinning separated by a yield of the CPU before the rounds
/// are separated by naps.
const LOCK_YIELD_ROUNDS: u32 = 64;

/// What a thread that found the bus lock taken does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockStep {
    /// Try again at once (a spin-loop hint between tries).
    Spin,
    /// Give the CPU to another thread, then try again.
    Yield,
    /// Sleep [`LOCK_NAP`], then try again.
    Nap,
    /// The holder is gone: take the lock over.
    TakeOver,
}

/// How a thread waits for the bus lock. NetBSD's `shmif_lockbus` spins
/// `LOCK_COOLDOWN` times, then sleeps a millisecond, and again. Holders here
/// never sleep with the lock, so a lock still held after a round of spins
/// belongs to a thread that is not running: preempted, often by the very
/// thread that now waits for it on the same CPU (two kernels' receivers
/// on one CPU). Giving the CPU away lets such a holder finish at once,
/// where a nap cost a millisecond each time (85 to 150 naps per 64 MiB
/// between two kernels whose receivers shared a CPU); naps come only after
/// [`LOCK_YIELD_ROUNDS`] such rounds, for a holder in another process or
/// on another busy CPU. Rounds are counted rather than timed: the lock is
/// shared with other processes, whose time is the host's, not this
/// kernel's.
#[derive(Debug, Default)]
pub struct LockBackoff {
    spins: u32,
    rounds: u32,
    naps: u32,
}

impl LockBackoff {
    /// The step after one more failed try.
    pub fn after_failed_try(&mut self) -> LockStep {
        self.spins += 1;
        if self.spins <= COOLDOWN {
            return LockStep::Spin;
        }
        self.spins = 0;
        if self.rounds < LOCK_YIELD_ROUNDS {
            self.rounds += 1;
            return LockStep::Yield;
        }
        if self.naps < LOCK_STALE_NAPS {
            self.naps += 1;
            return LockStep::Nap;
        }
        LockStep::TakeOver
    }
}

/// The memory a bus lives in: the shared file mapping, or a plain buffer
/// in tests and the fuzzer.
pub trait BusMem {
    /// Copy bytes out from `off`.
    fn read(&self, off: usize, buf: &mut [u8]);
    /// Copy `len` bytes out from `off` onto the end of `out`.
    fn read_append(&self, off: usize, len: usize, out: &mut Vec<u8>) {
        let at = out.len();
        out.resize(at + len, 0);
        self.read(off, &mut out[at..]);
    }
    /// Copy bytes in at `off`.
    fn write(&self, off: usize, data: &[u8]);
    /// Read a 32-bit word.
    fn load32(&self, off: usize) -> u32;
    /// Write a 32-bit word.
    fn store32(&self, off: usize, v: u32);
    /// Compare-and-swap a 32-bit word; the value found.
    fn cas32(&self, off: usize, old: u32, new: u32) -> u32;
    /// Read a 64-bit word.
    fn load64(&self, off: usize) -> u64;
    /// Write a 64-bit word.
    fn store64(&self, off: usize, v: u64);
}

impl BusMem for rumpuser::SharedFileMap {
    fn read(&self, off: usize, buf: &mut [u8]) {
        rumpuser::SharedFileMap::read(self, off, buf)
    }
    fn read_append(&self, off: usize, len: usize, out: &mut Vec<u8>) {
        rumpuser::SharedFileMap::read_append(self, off, len, out)
    }
    fn write(&self, off: usize, data: &[u8]) {
        rumpuser::SharedFileMap::write(self, off, data)
    }
    fn load32(&self, off: usize) -> u32 {
        rumpuser::SharedFileMap::load32(self, off)
    }
    fn store32(&self, off: usize, v: u32) {
        rumpuser::SharedFileMap::store32(self, off, v)
    }
    fn cas32(&self, off: usize, old: u32, new: u32) -> u32 {
        rumpuser::SharedFileMap::cas32(self, off, old, new)
    }
    fn load64(&self, off: usize) -> u64 {
        rumpuser::SharedFileMap::load64(self, off)
    }
    fn store64(&self, off: usize, v: u64) {
        rumpuser::SharedFileMap::store64(self, off, v)
    }
}

/// A bus in ordinary memory (one process), for tests and fuzzing.
pub struct MemBus(std::sync::Mutex<Vec<u8>>);

impl MemBus {
    /// A zeroed bus, as a new file is.
    pub fn new() -> MemBus {
        MemBus(std::sync::Mutex::new(vec![0; SIZE]))
    }

    /// A bus holding `bytes` (padded or cut to the bus size).
    pub fn from_bytes(bytes: &[u8]) -> MemBus {
        let mut v = bytes.to_vec();
        v.resize(SIZE, 0);
        MemBus(std::sync::Mutex::new(v))
    }

    fn with<R>(&self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        f(&mut rump::sync::lock(&self.0))
    }
}

impl Default for MemBus {
    fn default() -> Self {
        MemBus::new()
    }
}

impl BusMem for MemBus {
    fn read(&self, off: usize, buf: &mut [u8]) {
        self.with(|m| buf.copy_from_slice(&m[off..off + buf.len()]))
    }
    fn write(&self, off: usize, data: &[u8]) {
        self.with(|m| m[off..off + data.len()].copy_from_slice(data))
    }
    fn load32(&self, off: usize) -> u32 {
        self.with(|m| u32::from_ne_bytes(m[off..off + 4].try_into().unwrap_or_default()))
    }
    fn store32(&self, off: usize, v: u32) {
        self.with(|m| m[off..off + 4].copy_from_slice(&v.to_ne_bytes()))
    }
    fn cas32(&self, off: usize, old: u32, new: u32) -> u32 {
        self.with(|m| {
            let cur = u32::from_ne_bytes(m[off..off + 4].try_into().unwrap_or_default());
            if cur == old {
                m[off..off + 4].copy_from_slice(&new.to_ne_bytes());
            }
            cur
        })
    }
    fn load64(&self, off: usize) -> u64 {
        self.with(|m| u64::from_ne_bytes(m[off..off + 8].try_into().unwrap_or_default()))
    }
    fn store64(&self, off: usize, v: u64) {
        self.with(|m| m[off..off + 8].copy_from_slice(&v.to_ne_bytes()))
    }
}

/// Why a bus cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusError {
    /// The file holds something else ("bus is not magical", ENOEXEC).
    NotMagical,
}

/// A packet's header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PktHdr {
    /// Frame length.
    pub len: u32,
    /// Sender's uptime, seconds.
    pub sec: u32,
    /// Sender's uptime, microseconds.
    pub usec: u32,
    /// The sending interface's random id.
    pub sender: u64,
}

impl PktHdr {
    /// The header's bytes.
    pub fn to_bytes(&self) -> [u8; PKTHDR as usize] {
        let mut b = [0u8; PKTHDR as usize];
        b[0..4].copy_from_slice(&self.len.to_ne_bytes());
        b[4..8].copy_from_slice(&self.sec.to_ne_bytes());
        b[8..12].copy_from_slice(&self.usec.to_ne_bytes());
        b[16..24].copy_from_slice(&self.sender.to_ne_bytes());
        b
    }

    /// Parse a header.
    pub fn from_bytes(b: &[u8; PKTHDR as usize]) -> PktHdr {
        let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap_or_default());
        PktHdr {
            len: u32_at(0),
            sec: u32_at(4),
            usec: u32_at(8),
            sender: u64::from_ne_bytes(b[16..24].try_into().unwrap_or_default()),
        }
    }
}

/// `off + delta` reduced into the ring (`shmif_advance`), whatever the
/// inputs: a corrupt length cannot send an offset out of the ring.
pub fn advance(off: u32, delta: u64) -> u32 {
    ((u64::from(off) + delta) % u64::from(DATASIZE)) as u32
}

/// A bus: its memory and the operations on it.
pub struct Bus<M: BusMem> {
    /// The memory.
    pub mem: M,
}

/// Where a reader is (`sc_nextpacket`, `sc_devgen`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadPos {
    /// Offset of the next packet's header.
    pub next: u32,
    /// The generation that offset belongs to.
    pub generation: u64,
}

/// What one read found.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// Nothing new.
    Empty,
    /// A packet; the frame is in the buffer given (empty if its length was
    /// impossible).
    Packet(PktHdr),
}

impl<M: BusMem> Bus<M> {
    /// Take the bus lock (`shmif_lockbus`), waiting as [`LockBackoff`]
    /// says. A lock held for seconds belongs to a process that died with
    /// it, and is taken over.
    pub fn lock(&self) {
        let mut backoff = LockBackoff::default();
        while self.mem.cas32(field::LOCK, UNLOCKED, LOCKED) != UNLOCKED {
            match backoff.after_failed_try() {
                LockStep::Spin => std::hint::spin_loop(),
                LockStep::Yield => rumpuser::yield_cpu(),
                LockStep::Nap => rumpuser::sleep_rel(LOCK_NAP),
                LockStep::TakeOver => {
                    self.mem.store32(field::LOCK, LOCKED);
                    break;
                }
            }
        }
        std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
    }

    /// Release the bus lock.
    pub fn unlock(&self) {
        std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
        self.mem.store32(field::LOCK, UNLOCKED);
    }

    /// Check the magic and make a new (all-zero) bus usable
    /// (`initbackend`); returns where a new reader starts.
    pub fn attach(&self) -> Result<ReadPos, BusError> {
        let magic = self.mem.load32(field::MAGIC);
        if magic != 0 && magic != MAGIC {
            return Err(BusError::NotMagical);
        }
        self.lock();
        if self.mem.load32(field::MAGIC) == 0 {
            self.mem.store32(field::MAGIC, MAGIC);
            self.mem.store32(field::FIRST, DATASIZE);
        }
        let pos = self.tail();
        self.unlock();
        Ok(pos)
    }

    /// Where a reader starting now begins: the last packet written.
    pub fn tail(&self) -> ReadPos {
        ReadPos {
            next: self.mem.load32(field::LAST) % DATASIZE,
            generation: self.mem.load64(field::GEN),
        }
    }

    /// Copy `buf.len()` ring bytes from `off`, wrapping; the offset after
    /// and whether the end of the ring was reached (`shmif_busread`).
    fn busread(&self, off: u32, buf: &mut [u8]) -> (u32, bool) {
        let off = off.min(DATASIZE);
        let chunk = (buf.len() as u32).min(DATASIZE - off) as usize;
        self.mem.read(HEADER + off as usize, &mut buf[..chunk]);
        let wrap = off as usize + chunk == DATASIZE as usize;
        let rest = buf.len() - chunk;
        if rest == 0 {
            return (advance(off, chunk as u64), wrap);
        }
        self.mem.read(HEADER, &mut buf[chunk..]);
        (rest as u32, true)
    }

    /// As [`Bus::busread`], `len` bytes appended to `out`: a frame is
    /// copied once into a vector of its size, not zeroed first.
    fn busread_append(&self, off: u32, len: usize, out: &mut Vec<u8>) -> (u32, bool) {
        let off = off.min(DATASIZE);
        let chunk = (len as u32).min(DATASIZE - off) as usize;
        out.reserve_exact(len);
        self.mem.read_append(HEADER + off as usize, chunk, out);
        let wrap = off as usize + chunk == DATASIZE as usize;
        let rest = len - chunk;
        if rest == 0 {
            return (advance(off, chunk as u64), wrap);
        }
        self.mem.read_append(HEADER, rest, out);
        (rest as u32, true)
    }

    fn header_at(&self, off: u32) -> PktHdr {
        let mut b = [0u8; PKTHDR as usize];
        self.busread(off, &mut b);
        PktHdr::from_bytes(&b)
    }

    /// The offset of the packet after the one at `off` (`shmif_nextpktoff`).
    pub fn next_packet(&self, off: u32) -> u32 {
        let h = self.header_at(off);
        advance(off, u64::from(PKTHDR) + u64::from(h.len))
    }

    /// Move `first` past every packet that `len` bytes written at `off`
    /// overwrite (`shmif_advancefirst`). Bounded, whatever the ring holds.
    fn advance_first(&self, off: u32, len: u32) {
        let mut first = self.mem.load32(field::FIRST);
        for _ in 0..DATASIZE / PKTHDR {
            let (o, f) = (u64::from(off), u64::from(first));
            if !(o <= f + u64::from(PKTHDR) && o + u64::from(len) > f) {
                break;
            }
            first = self.next_packet(first);
        }
        self.mem.store32(field::FIRST, first);
    }

    fn buswrite(&self, off: u32, data: &[u8]) -> (u32, bool) {
        let off = off.min(DATASIZE);
        let chunk = (data.len() as u32).min(DATASIZE - off);
        let filled = off + chunk == DATASIZE;
        self.advance_first(off, chunk + u32::from(filled));
        self.mem
            .write(HEADER + off as usize, &data[..chunk as usize]);
        let rest = data.len() - chunk as usize;
        if rest == 0 {
            return (advance(off, u64::from(chunk)), filled);
        }
        self.advance_first(0, rest as u32);
        self.mem.write(HEADER, &data[chunk as usize..]);
        (rest as u32, true)
    }

    /// Append one frame (`shmif_start`), the lock held by the caller.
    pub fn write_locked(&self, hdr: PktHdr, frame: &[u8]) {
        let last = self.next_packet(self.mem.load32(field::LAST) % DATASIZE);
        self.mem.store32(field::LAST, last);
        let (off, w1) = self.buswrite(last, &hdr.to_bytes());
        let (_, w2) = self.buswrite(off, frame);
        if w1 || w2 {
            let g = self.mem.load64(field::GEN);
            self.mem.store64(field::GEN, g.wrapping_add(1));
        }
    }

    /// Append one frame, taking the lock.
    pub fn write(&self, hdr: PktHdr, frame: &[u8]) {
        self.lock();
        self.write_locked(hdr, frame);
        self.unlock();
    }

    /// Whether the reader at `pos` still reads valid packets, or was
    /// lapped by writers (`stillvalid_p`).
    fn still_valid(&self, pos: ReadPos) -> bool {
        let generation = self.mem.load64(field::GEN);
        let first = u64::from(self.mem.load32(field::FIRST));
        let last = self.mem.load32(field::LAST) % DATASIZE;
        let gendiff = generation.wrapping_sub(pos.generation);
        if gendiff > 1 {
            return false;
        }
        let mut lastoff = u64::from(self.next_packet(last));
        let mut devoff = u64::from(pos.next);
        if first >= lastoff {
            lastoff += u64::from(DATASIZE);
            if gendiff == 0 {
                devoff += u64::from(DATASIZE);
            }
        } else if gendiff != 0 {
            return false;
        }
        first <= devoff && devoff <= lastoff
    }

    /// Read the next packet for the reader at `pos` into `frame`
    /// (`shmif_rcv`): a lapped reader skips to the oldest packet left.
    pub fn read(&self, pos: &mut ReadPos, frame: &mut Vec<u8>) -> Read {
        self.lock();
        let r = self.read_locked(pos, frame);
        self.unlock();
        r
    }

    /// Read up to `max` packets for the reader at `pos` under one hold of
    /// the lock, appending them to `out`; how many were read. An empty
    /// bus is seen without the lock: a writer wakes the watch after it.
    pub fn read_batch(
        &self,
        pos: &mut ReadPos,
        out: &mut Vec<(PktHdr, Vec<u8>)>,
        max: usize,
    ) -> usize {
        if self.is_empty_for(*pos) {
            return 0;
        }
        self.lock();
        let mut n = 0;
        while n < max {
            let mut frame = Vec::new();
            match self.read_locked(pos, &mut frame) {
                Read::Empty => break,
                Read::Packet(h) => out.push((h, frame)),
            }
            n += 1;
        }
        self.unlock();
        n
    }

    /// Whether the reader at `pos` has read everything (looked at without
    /// the lock: a writer wakes the watch after it is done).
    pub fn is_empty_for(&self, pos: ReadPos) -> bool {
        let generation = self.mem.load64(field::GEN);
        let last = self.mem.load32(field::LAST) % DATASIZE;
        pos.generation == generation && self.next_packet(last) == pos.next
    }

    fn read_locked(&self, pos: &mut ReadPos, frame: &mut Vec<u8>) -> Read {
        if self.is_empty_for(*pos) {
            return Read::Empty;
        }
        let generation = self.mem.load64(field::GEN);
        let last = self.mem.load32(field::LAST) % DATASIZE;
        let mut next = pos.next % DATASIZE;
        if !self.still_valid(*pos) {
            let first = self.mem.load32(field::FIRST);
            next = if first >= DATASIZE { 0 } else { first };
            pos.generation = if first > last {
                generation.wrapping_sub(1)
            } else {
                generation
            };
        }
        let mut hb = [0u8; PKTHDR as usize];
        let (off, w1) = self.busread(next, &mut hb);
        let hdr = PktHdr::from_bytes(&hb);
        frame.clear();
        let mut w2 = false;
        if (hdr.len as usize) <= MAX_FRAME.max(65535) && hdr.len < DATASIZE / 2 {
            w2 = self.busread_append(off, hdr.len as usize, frame).1;
        } else {
            // An impossible length: step over it as the writer would have.
            w2 = u64::from(off) + u64::from(hdr.len) >= u64::from(DATASIZE) || w2;
        }
        pos.next = advance(off, u64::from(hdr.len));
        if w1 || w2 {
            pos.generation = pos.generation.wrapping_add(1);
        }
        Read::Packet(hdr)
    }

    /// Every packet on the bus from the oldest, as `shmif_dumpbus` walks
    /// it (without the lock, so it is for a bus at rest): the offset of
    /// each frame, its header and its bytes. Empty packets are left out.
    pub fn walk(&self) -> Vec<(u32, PktHdr, Vec<u8>)> {
        let first = self.mem.load32(field::FIRST);
        let last = self.mem.load32(field::LAST) % DATASIZE;
        let mut cur = if first >= DATASIZE { 0 } else { first };
        let mut bonus = last < cur;
        let mut out = Vec::new();
        for _ in 0..DATASIZE / PKTHDR {
            if !(cur <= last || bonus) {
                break;
            }
            let mut hb = [0u8; PKTHDR as usize];
            let (off, w1) = self.busread(cur, &mut hb);
            let h = PktHdr::from_bytes(&hb);
            if w1 {
                bonus = false;
            }
            if h.len as usize > 65535 {
                break; // damage: nothing after it can be trusted
            }
            let mut f = vec![0u8; h.len as usize];
            let (next, w2) = self.busread(off, &mut f);
            if w2 {
                bonus = false;
            }
            if h.len != 0 {
                out.push((off, h, f));
            }
            if next == cur {
                break;
            }
            cur = next;
        }
        out
    }

    /// The bus header's fields: (version, lock, gen, first, last).
    pub fn header(&self) -> (u32, u32, u64, u32, u32) {
        (
            self.mem.load32(field::VERSION),
            self.mem.load32(field::LOCK),
            self.mem.load64(field::GEN),
            self.mem.load32(field::FIRST),
            self.mem.load32(field::LAST),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(len: usize, sender: u64) -> PktHdr {
        PktHdr {
            len: len as u32,
            sec: 1,
            usec: 2,
            sender,
        }
    }

    #[test]
    fn a_waiter_spins_then_yields_then_naps_then_takes_a_dead_holders_lock() {
        let mut b = LockBackoff::default();
        let mut steps = Vec::new();
        loop {
            let s = b.after_failed_try();
            steps.push(s);
            if s == LockStep::TakeOver {
                break;
            }
        }
        let count = |k: LockStep| steps.iter().filter(|&&s| s == k).count() as u32;
        assert_eq!(count(LockStep::Yield), LOCK_YIELD_ROUNDS);
        assert_eq!(count(LockStep::Nap), LOCK_STALE_NAPS);
        // Every yield and nap comes after a full round of spins, and no
        // nap before the last yield.
        assert_eq!(
            count(LockStep::Spin),
            COOLDOWN * (LOCK_YIELD_ROUNDS + LOCK_STALE_NAPS + 1)
        );
        assert!(
            steps[..COOLDOWN as usize]
                .iter()
                .all(|&s| s == LockStep::Spin)
        );
        assert_eq!(steps[COOLDOWN as usize], LockStep::Yield);
        let last_yield = steps.iter().rposition(|&s| s == LockStep::Yield).unwrap();
        let first_nap = steps.iter().position(|&s| s == LockStep::Nap).unwrap();
        assert!(last_yield < first_nap);
        // Still two seconds of naps before a holder counts as dead.
        assert!(LOCK_NAP * LOCK_STALE_NAPS >= Duration::from_secs(2));
    }

    #[test]
    fn a_lock_held_by_another_thread_is_taken_once_released() {
        let bus = std::sync::Arc::new(Bus { mem: MemBus::new() });
        bus.attach().unwrap();
        bus.lock();
        let b = std::sync::Arc::clone(&bus);
        let t = std::thread::spawn(move || {
            b.lock();
            b.write_locked(hdr(60, 9), &[9; 60]);
            b.unlock();
        });
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(bus.mem.load32(field::LOCK), LOCKED, "still ours");
        bus.unlock();
        t.join().unwrap();
        assert_eq!(bus.mem.load32(field::LOCK), UNLOCKED);
        let mut pos = ReadPos {
            next: 0,
            generation: 0,
        };
        let mut f = Vec::new();
        bus.read(&mut pos, &mut f);
        assert_eq!(bus.read(&mut pos, &mut f), Read::Packet(hdr(60, 9)));
    }

    #[test]
    fn batches_read_what_is_there_up_to_their_size() {
        let bus = Bus { mem: MemBus::new() };
        let mut pos = bus.attach().unwrap();
        let mut out = Vec::new();
        assert_eq!(bus.read_batch(&mut pos, &mut out, 8), 1, "the empty packet");
        assert!(bus.is_empty_for(pos));
        for i in 0..5u8 {
            bus.write(hdr(60, 7), &[i; 60]);
        }
        assert!(!bus.is_empty_for(pos));
        out.clear();
        assert_eq!(bus.read_batch(&mut pos, &mut out, 3), 3);
        assert_eq!(bus.read_batch(&mut pos, &mut out, 3), 2);
        assert_eq!(bus.read_batch(&mut pos, &mut out, 3), 0);
        let frames: Vec<Vec<u8>> = out.into_iter().map(|(_, f)| f).collect();
        assert_eq!(frames, (0..5u8).map(|i| vec![i; 60]).collect::<Vec<_>>());
        assert_eq!(bus.mem.load32(field::LOCK), UNLOCKED);
    }

    #[test]
    fn a_reader_sees_each_frame_once_in_order() {
        let bus = Bus { mem: MemBus::new() };
        let mut pos = bus.attach().unwrap();
        assert_eq!(bus.mem.load32(field::FIRST), DATASIZE);
        let mut f = Vec::new();
        // A reader starts at the last packet written; on a new bus that is
        // the zero-length packet at offset 0.
        assert_eq!(bus.read(&mut pos, &mut f), Read::Packet(PktHdr::default()));
        assert_eq!(bus.read(&mut pos, &mut f), Read::Empty);
        for i in 0..3u8 {
            bus.write(hdr(60, 7), &[i; 60]);
        }
        for i in 0..3u8 {
            assert_eq!(bus.read(&mut pos, &mut f), Read::Packet(hdr(60, 7)));
            assert_eq!(f, vec![i; 60]);
        }
        assert_eq!(bus.read(&mut pos, &mut f), Read::Empty);
    }

    #[test]
    fn frames_wrap_around_and_lapped_readers_recover() {
        let bus = Bus { mem: MemBus::new() };
        let mut slow = bus.attach().unwrap();
        let mut fast = slow;
        let mut f = Vec::new();
        let frame: Vec<u8> = (0..1514).map(|i| i as u8).collect();
        let mut seen = 0;
        for n in 0..2000u32 {
            bus.write(hdr(frame.len(), u64::from(n)), &frame);
            while let Read::Packet(h) = bus.read(&mut fast, &mut f) {
                if h.len == 1514 {
                    assert_eq!(f, frame, "frame {n} intact across the wrap");
                    seen += 1;
                }
            }
        }
        assert_eq!(seen, 2000);
        assert!(bus.mem.load64(field::GEN) >= 2);
        // The slow reader was lapped: it jumps to the oldest frame and
        // reads only whole frames from there.
        let mut got = 0;
        while let Read::Packet(h) = bus.read(&mut slow, &mut f) {
            if h.len == 1514 {
                assert_eq!(f, frame);
                got += 1;
            }
            assert!(got <= 2000);
        }
        assert!(got > 0 && got < 2000, "{got}");
    }

    #[test]
    fn wrong_magic_is_refused_and_garbage_never_escapes_the_ring() {
        let bad = Bus {
            mem: MemBus::from_bytes(&[1, 2, 3, 4]),
        };
        assert_eq!(bad.attach(), Err(BusError::NotMagical));
        // A bus full of garbage: reads stay in bounds and end.
        let mut junk = vec![0xffu8; SIZE];
        junk[0..4].copy_from_slice(&MAGIC.to_ne_bytes());
        junk[24..28].copy_from_slice(&0u32.to_ne_bytes());
        let bus = Bus {
            mem: MemBus::from_bytes(&junk),
        };
        let mut pos = bus.attach().unwrap();
        let mut f = Vec::new();
        for _ in 0..100 {
            if bus.read(&mut pos, &mut f) == Read::Empty {
                break;
            }
        }
        bus.write(hdr(14, 1), &[0; 14]);
    }
}
