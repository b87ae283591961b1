//! The kernel's fast random numbers (NetBSD's `cprng_fast(9)`): TCP
//! initial sequence numbers, ephemeral ports, IP identifications, timer
//! jitter, inode generation numbers and the key that hides kernel
//! addresses all come from here.
//!
//! As NetBSD's `cprng_fast`, it is a ChaCha stream keyed once from the
//! kernel's entropy, so that a draw costs no system call. The key comes
//! from the host (through `rumpuser`) when the kernel boots, or from a seed
//! the kernel's builder was given, which makes every "random" choice of a
//! test kernel the same from run to run. `/dev/random`, `/dev/urandom` and
//! `kern.arandom` read the entropy pool instead ([`crate::rnd`]).

use crate::errno::{Errno, KResult};
use std::sync::{Mutex, MutexGuard};

/// The bytes of a key.
pub const SEED_LEN: usize = 32;
/// ChaCha20's rounds (RFC 8439); NetBSD's `cprng_fast` runs ChaCha too.
const ROUNDS: usize = 20;
/// The bytes one ChaCha block gives.
const BLOCK_LEN: usize = 64;
/// "expand 32-byte k", ChaCha's constant words.
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

struct Stream {
    key: [u32; 8],
    counter: u64,
    block: [u8; BLOCK_LEN],
    /// How much of `block` has been handed out.
    used: usize,
}

fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// ChaCha20's block function with a 64-bit block counter and a zero nonce.
fn chacha_block(key: &[u32; 8], counter: u64) -> [u8; BLOCK_LEN] {
    let mut input = [0u32; 16];
    input[..4].copy_from_slice(&SIGMA);
    input[4..12].copy_from_slice(key);
    input[12] = counter as u32;
    input[13] = (counter >> 32) as u32;
    let mut s = input;
    for _ in 0..ROUNDS / 2 {
        quarter(&mut s, 0, 4, 8, 12);
        quarter(&mut s, 1, 5, 9, 13);
        quarter(&mut s, 2, 6, 10, 14);
        quarter(&mut s, 3, 7, 11, 15);
        quarter(&mut s, 0, 5, 10, 15);
        quarter(&mut s, 1, 6, 11, 12);
        quarter(&mut s, 2, 7, 8, 13);
        quarter(&mut s, 3, 4, 9, 14);
    }
    let mut out = [0u8; BLOCK_LEN];
    for (i, w) in s.iter().enumerate() {
        let word = w.wrapping_add(input[i]);
        out[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
    }
    out
}

/// A kernel's generator of fast random numbers.
pub struct Cprng {
    stream: Mutex<Stream>,
}

impl std::fmt::Debug for Cprng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cprng")
    }
}

impl Cprng {
    /// A generator keyed with `seed`: the same seed gives the same numbers.
    pub fn from_seed(seed: [u8; SEED_LEN]) -> Cprng {
        let mut key = [0u32; 8];
        for (k, c) in key.iter_mut().zip(seed.chunks_exact(4)) {
            *k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        Cprng {
            stream: Mutex::new(Stream {
                key,
                counter: 0,
                block: [0; BLOCK_LEN],
                used: BLOCK_LEN,
            }),
        }
    }

    /// A generator keyed from the host's entropy; the host's error if it
    /// has none to give.
    pub fn from_host() -> KResult<Cprng> {
        let mut seed = [0u8; SEED_LEN];
        rumpuser::random_fill(&mut seed).map_err(|e| Errno::from_host(&e))?;
        Ok(Cprng::from_seed(seed))
    }

    fn lock(&self) -> MutexGuard<'_, Stream> {
        crate::sync::lock(&self.stream)
    }

    /// Fill `buf` with random bytes (`cprng_fast`).
    pub fn fill(&self, buf: &mut [u8]) {
        let mut s = self.lock();
        let mut done = 0;
        while done < buf.len() {
            if s.used == BLOCK_LEN {
                s.block = chacha_block(&s.key, s.counter);
                s.counter = s.counter.wrapping_add(1);
                s.used = 0;
            }
            let n = (BLOCK_LEN - s.used).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&s.block[s.used..s.used + n]);
            // Bytes handed out are not kept: a later look at the state
            // cannot tell what was drawn.
            let used = s.used;
            s.block[used..used + n].fill(0);
            s.used += n;
            done += n;
        }
    }

    /// A random 16-bit number.
    pub fn u16(&self) -> u16 {
        let mut b = [0u8; 2];
        self.fill(&mut b);
        u16::from_le_bytes(b)
    }

    /// A random 32-bit number (`cprng_fast32`).
    pub fn u32(&self) -> u32 {
        let mut b = [0u8; 4];
        self.fill(&mut b);
        u32::from_le_bytes(b)
    }

    /// A random 64-bit number (`cprng_fast64`).
    pub fn u64(&self) -> u64 {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        u64::from_le_bytes(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_function_is_chacha20s() {
        // The key 00 01 .. 1f with a zero nonce and counter: the first
        // bytes of the keystream `openssl enc -chacha20` gives for them.
        let mut seed = [0u8; SEED_LEN];
        for (i, b) in seed.iter_mut().enumerate() {
            *b = i as u8;
        }
        let c = Cprng::from_seed(seed);
        let mut out = [0u8; 8];
        c.fill(&mut out);
        assert_eq!(out, [0x39, 0xfd, 0x2b, 0x7d, 0xd9, 0xc5, 0x19, 0x6a]);
    }

    #[test]
    fn one_seed_one_stream_whatever_the_draws() {
        let (a, b) = (
            Cprng::from_seed([7; SEED_LEN]),
            Cprng::from_seed([7; SEED_LEN]),
        );
        let mut whole = [0u8; 200];
        a.fill(&mut whole);
        let mut pieces = Vec::new();
        for n in [1usize, 3, 60, 64, 72] {
            let mut p = vec![0u8; n];
            b.fill(&mut p);
            pieces.extend(p);
        }
        assert_eq!(&whole[..], &pieces[..]);
        let other = Cprng::from_seed([8; SEED_LEN]);
        assert_ne!(other.u64(), Cprng::from_seed([7; SEED_LEN]).u64());
        let host = Cprng::from_host().unwrap();
        assert_ne!((host.u64(), host.u64()), (0, 0));
    }
}
