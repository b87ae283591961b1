//! The client's memory as the server sees it. A Rust program does not hand
//! raw pointers to the server: each call lays its buffers out as regions at
//! addresses of its own choosing, and serves the server's copy requests
//! from them. (The hijack library, which has real pointers, brings its own.)
//!
//! The server's copy requests do not say which call they are for (NetBSD's
//! server numbers them on its own), so when several threads wait on one
//! connection the client routes each by its address: every live
//! [`Regions`] has an address window no other has.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Where a call's memory lies, so that a copy request reaches the call
/// that can serve it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Span {
    /// All of this process's memory: any of its threads can serve a copy.
    Process,
    /// Only these addresses, which belong to this call alone.
    Window(Range<u64>),
}

/// Memory the server may read and write during a call.
pub trait ClientMemory {
    /// `len` bytes at `addr`, or `None` if they are not all mapped.
    fn read(&self, addr: u64, len: usize) -> Option<Vec<u8>>;
    /// The string at `addr`, NUL included if one comes within `max` bytes.
    fn read_str(&self, addr: u64, max: usize) -> Option<Vec<u8>>;
    /// Store `data` at `addr`; `false` if it does not fit a region.
    fn write(&self, addr: u64, data: &[u8]) -> bool;
    /// Where this memory lies.
    fn span(&self) -> Span;
}

/// A call's buffers, each at an address of its own.
pub struct Regions {
    regions: RefCell<Vec<(u64, Vec<u8>)>>,
    /// The window this memory's addresses come from.
    window: u64,
}

/// Each window's size; the first starts one window up, so that NULL and
/// small numbers stay invalid.
const WINDOW: u64 = 1 << 32;
/// Where NetBSD's amd64 user addresses end: the server takes every window
/// address for a user one.
const USER_END: u64 = 0x7f7f_ffff_e000;
/// Windows there are: the last ends at or below `USER_END`.
const WINDOWS: usize = (USER_END / WINDOW - 1) as usize;
/// Gap between regions, so that running off one never lands in the next.
const GAP: u64 = 0x1000;

/// Which windows are in use. A flag per window, not a lock: a signal
/// handler may make a call while its thread is taking a window.
static WINDOW_USED: [AtomicBool; WINDOWS] = [const { AtomicBool::new(false) }; WINDOWS];
/// How long a call waits before looking again when every window is taken.
const WINDOW_NAP: std::time::Duration = std::time::Duration::from_micros(100);
/// Where the search for a free window starts.
static WINDOW_NEXT: AtomicUsize = AtomicUsize::new(0);

fn take_window() -> u64 {
    loop {
        let start = WINDOW_NEXT.fetch_add(1, Ordering::Relaxed);
        for k in 0..WINDOWS {
            let w = (start + k) % WINDOWS;
            if WINDOW_USED[w]
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return w as u64;
            }
        }
        // Every window in use: wait for one rather than share one. A nap,
        // not a condition variable: a signal handler's call may be the one
        // waiting here, and it must not take a lock its thread holds.
        std::thread::sleep(WINDOW_NAP);
    }
}

impl Default for Regions {
    fn default() -> Regions {
        Regions {
            regions: RefCell::new(Vec::new()),
            window: take_window(),
        }
    }
}

impl Drop for Regions {
    fn drop(&mut self) {
        WINDOW_USED[self.window as usize].store(false, Ordering::Release);
    }
}

impl Regions {
    /// No regions yet.
    pub fn new() -> Regions {
        Regions::default()
    }

    fn base(&self) -> u64 {
        WINDOW * (self.window + 1)
    }

    /// Add a region holding `data`; returns its address.
    pub fn add(&self, data: &[u8]) -> u64 {
        let mut r = self.regions.borrow_mut();
        let addr = r.last().map_or(self.base(), |(a, d)| {
            (a + d.len() as u64 + GAP) & !(GAP - 1)
        });
        r.push((addr, data.to_vec()));
        addr
    }

    /// Add a region of `len` zero bytes; returns its address.
    pub fn add_zeroed(&self, len: usize) -> u64 {
        self.add(&vec![0; len])
    }

    /// The current contents of the region at `addr`.
    pub fn get(&self, addr: u64) -> Vec<u8> {
        self.regions
            .borrow()
            .iter()
            .find(|(a, _)| *a == addr)
            .map(|(_, d)| d.clone())
            .unwrap_or_default()
    }

    fn with<R>(&self, addr: u64, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> Option<R> {
        let mut r = self.regions.borrow_mut();
        let (base, data) = r
            .iter_mut()
            .find(|(a, d)| addr >= *a && addr < a + d.len() as u64)?;
        let start = (addr - *base) as usize;
        let end = start.checked_add(len)?;
        data.get_mut(start..end).map(f)
    }
}

impl ClientMemory for Regions {
    fn read(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        self.with(addr, len, |b| b.to_vec())
    }

    fn read_str(&self, addr: u64, max: usize) -> Option<Vec<u8>> {
        let r = self.regions.borrow();
        let (base, data) = r
            .iter()
            .find(|(a, d)| addr >= *a && addr < a + d.len() as u64)?;
        let rest = &data[(addr - base) as usize..];
        let rest = &rest[..rest.len().min(max)];
        Some(match rest.iter().position(|&b| b == 0) {
            Some(n) => rest[..=n].to_vec(),
            None => rest.to_vec(),
        })
    }

    fn write(&self, addr: u64, data: &[u8]) -> bool {
        self.with(addr, data.len(), |b| b.copy_from_slice(data))
            .is_some()
    }

    fn span(&self) -> Span {
        Span::Window(self.base()..self.base() + WINDOW)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_separate_and_bounded() {
        let r = Regions::new();
        let a = r.add(b"hello\0");
        let b = r.add_zeroed(8);
        assert!(b >= a + 6 + GAP - (GAP - 1));
        assert_eq!(r.read(a, 5).unwrap(), b"hello");
        assert_eq!(r.read(a, 7), None);
        assert_eq!(r.read_str(a, 100).unwrap(), b"hello\0");
        assert_eq!(r.read_str(a, 3).unwrap(), b"hel");
        assert!(r.write(b + 4, &[1, 2, 3, 4]));
        assert!(!r.write(b + 6, &[1, 2, 3]));
        assert_eq!(r.get(b), [0, 0, 0, 0, 1, 2, 3, 4]);
        assert_eq!(r.read(0, 1), None);
    }

    #[test]
    fn live_regions_have_windows_of_their_own() {
        let a = Regions::new();
        let b = Regions::new();
        let (Span::Window(wa), Span::Window(wb)) = (a.span(), b.span()) else {
            panic!("regions have windows");
        };
        assert!(wa.end <= wb.start || wb.end <= wa.start);
        assert!(wa.contains(&a.add(b"x")) && wb.contains(&b.add(b"y")));
        assert!(wa.end <= USER_END && wb.end <= USER_END);
        assert!(
            WINDOW * (WINDOWS as u64 + 1) <= USER_END,
            "the last window fits"
        );
        assert!(wa.start > 0);
    }
}
