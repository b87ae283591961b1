//! A cheap hasher for maps keyed by numbers the kernel hands out itself:
//! `TypeId`s of extensions and process data, host thread ids, mount and
//! inode numbers. The standard `HashMap` hashes with SipHash, which resists
//! keys chosen to collide but costs about two hundred instructions a key;
//! the maps here are read several times in every system call (a path
//! lookup asks the mount table at each component), and their keys are not
//! chosen by a client, so a multiply-and-rotate mix is enough. Maps keyed
//! by names a client picks (file names, paths) keep SipHash.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The odd constant with well-spread bits that each word is multiplied by.
const MIX: u64 = 0xf135_7aea_2e62_a9c5;

/// The hasher: each word is added in and multiplied by [`MIX`], so that
/// every bit of a key reaches the high bits; `finish` rotates those down,
/// because a table picks its bucket from the low bits.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHasher {
    hash: u64,
}

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.hash = self.hash.wrapping_add(word).wrapping_mul(MIX);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length keeps "a" and "a\0" apart.
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_u128(&mut self, i: u128) {
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash.rotate_left(26)
    }
}

/// A `HashMap` keyed by kernel-assigned numbers, hashed with [`IdHasher`].
pub type IdHashMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// A `HashSet` of kernel-assigned numbers, hashed with [`IdHasher`].
pub type IdHashSet<K> = HashSet<K, BuildHasherDefault<IdHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash_of<T: Hash>(v: T) -> u64 {
        BuildHasherDefault::<IdHasher>::default().hash_one(v)
    }

    #[test]
    fn sequential_numbers_spread_over_buckets_and_control_bytes() {
        // hashbrown takes the bucket from the low bits and a 7-bit tag
        // from the top ones: consecutive inode numbers must vary in both.
        let buckets: HashSet<u64> = (0..1024u64).map(|i| hash_of(i) & 1023).collect();
        let tags: HashSet<u64> = (0..1024u64).map(|i| hash_of(i) >> 57).collect();
        assert!(buckets.len() > 600, "{} buckets of 1024", buckets.len());
        assert!(tags.len() > 64, "{} tags of 128", tags.len());
    }

    #[test]
    fn keys_that_differ_hash_differently() {
        assert_ne!(hash_of((1u64, 2u64)), hash_of((2u64, 1u64)));
        assert_ne!(hash_of(&b"a"[..]), hash_of(&b"a\0"[..]));
        assert_ne!(
            hash_of(std::any::TypeId::of::<u32>()),
            hash_of(std::any::TypeId::of::<u64>())
        );
    }

    #[test]
    fn a_map_keeps_many_entries_apart() {
        let mut m: IdHashMap<(u64, u64), u64> = IdHashMap::default();
        for mnt in 0..4 {
            for ino in 0..5000 {
                m.insert((mnt, ino), mnt * 10_000 + ino);
            }
        }
        assert_eq!(m.len(), 20_000);
        assert!((0..4).all(|mnt| (0..5000).all(|ino| m[&(mnt, ino)] == mnt * 10_000 + ino)));
        for ino in 0..5000 {
            m.remove(&(2, ino));
        }
        assert_eq!(m.len(), 15_000);
        assert!(!m.contains_key(&(2, 7)));
    }
}
