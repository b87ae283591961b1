//! cgd's ciphers (`sys/dev/cgd_crypto.c`) and how `cgd_cipher` (`cgd.c`)
//! derives each sector's IV, so that a disk written by NetBSD's cgd reads
//! here and back.
//!
//! - CBC ciphers (`aes-cbc`, `3des-cbc`, `blowfish-cbc`): every sector is
//!   one CBC chain whose IV comes from the sector number `blkno`: the
//!   number, little-endian in 8 bytes and padded with zeros to the IV
//!   method's length, is CBC-encrypted from a zero IV, and the last
//!   cipher block is the IV. `encblkno1` pads to one cipher block (so the
//!   IV is `E_k(blkno)`); `encblkno8` (and its old name `encblkno`) to
//!   eight, because the block size was once given in bits where bytes
//!   were meant.
//! - `aes-xts` (NetBSD 8 and later): IEEE 1619 XTS with two AES keys (the
//!   key's halves) and the sector number as the data unit number; both IV
//!   methods give the same tweak, `E_k2(blkno)`.
//!
//! The block ciphers are RustCrypto's (`aes`, `des`, `blowfish`, and
//! `xts-mode` for XTS); the CBC chaining is done here, in place, on the one
//! key schedule: `cbc`'s modes own their cipher, and a copy of an AES key
//! schedule (960 bytes) per 512-byte sector halved the speed of reads.

use crate::cgdio::{CGD_CIPHER_CBC_ENCBLKNO1, CGD_CIPHER_CBC_ENCBLKNO8};
use aes::cipher::generic_array::GenericArray;
use aes::cipher::inout::InOutBuf;
use aes::cipher::{BlockCipher, BlockDecrypt, BlockEncrypt, BlockSizeUser, KeyInit};
use aes::{Aes128, Aes192, Aes256};
use blowfish::Blowfish;
use des::TdesEde3;
use xts_mode::Xts128;

/// The length of `daddr_t`, the sector number the IV is made from.
const DADDR_LEN: usize = 8;

/// An IV method (`encblkno[]` in `cgd.c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IvMethod {
    /// `encblkno1`.
    EncBlkNo1,
    /// `encblkno8`, also called `encblkno`.
    EncBlkNo8,
}

impl IvMethod {
    /// The method called `name`, as `CGDIOCSET` takes it.
    pub fn from_name(name: &[u8]) -> Option<IvMethod> {
        match name {
            b"encblkno" | b"encblkno8" => Some(IvMethod::EncBlkNo8),
            b"encblkno1" => Some(IvMethod::EncBlkNo1),
            _ => None,
        }
    }

    /// The divisor the block size in bits is taken by (`encblkno[].d`).
    fn divisor(self) -> u64 {
        match self {
            IvMethod::EncBlkNo1 => 8,
            IvMethod::EncBlkNo8 => 1,
        }
    }

    /// `cgu_mode` (`CGD_CIPHER_CBC_ENCBLKNO*`).
    pub fn mode(self) -> u32 {
        match self {
            IvMethod::EncBlkNo1 => CGD_CIPHER_CBC_ENCBLKNO1,
            IvMethod::EncBlkNo8 => CGD_CIPHER_CBC_ENCBLKNO8,
        }
    }
}

/// Why a cipher could not be made; `CGDIOCSET` answers EINVAL for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CipherError {
    /// No cipher has this name.
    UnknownAlgorithm,
    /// The cipher does not take a key of this many bits.
    BadKeyLength,
    /// The cipher does not have this block size.
    BadBlockSize,
}

/// A keyed cipher.
enum Keyed {
    Aes128(Aes128),
    Aes192(Aes192),
    Aes256(Aes256),
    Tdes(TdesEde3),
    Blowfish(Box<Blowfish>),
    Xts128(Box<Xts128<Aes128>>),
    Xts256(Box<Xts128<Aes256>>),
}

/// One unit's cipher, key and IV method (`struct cryptdata` with the
/// `cryptfuncs` it names).
pub struct CgdCipher {
    name: &'static str,
    keyed: Keyed,
    ivmethod: IvMethod,
    keylen: u64,
    /// `cf_blocksize`: the block size in bits over the IV method's divisor.
    blocksize: u64,
}

/// The names `cryptfuncs_find` knows.
pub const ALGORITHMS: &[&str] = &["aes-cbc", "aes-xts", "3des-cbc", "blowfish-cbc"];

impl CgdCipher {
    /// `cryptfuncs_find` and `cf_init`: the cipher `alg` with the key's
    /// first `keylen` bits (the key must hold that many); `blocksize` is
    /// in bits, `u64::MAX` for the cipher's own.
    pub fn new(
        alg: &[u8],
        ivmethod: IvMethod,
        keylen: u64,
        key: &[u8],
        blocksize: u64,
    ) -> Result<CgdCipher, CipherError> {
        let name = *ALGORITHMS
            .iter()
            .find(|n| n.as_bytes() == alg)
            .ok_or(CipherError::UnknownAlgorithm)?;
        let own = match name {
            "aes-cbc" | "aes-xts" => 128,
            _ => 64,
        };
        let blocksize = if blocksize == u64::MAX {
            own
        } else {
            blocksize
        };
        let key_ok = match name {
            "aes-cbc" => matches!(keylen, 128 | 192 | 256),
            "aes-xts" => matches!(keylen, 256 | 512),
            // DES_KEY_SZ * 3 * 8
            "3des-cbc" => keylen == 192,
            _ => (40..=448).contains(&keylen) && keylen.is_multiple_of(8),
        };
        if !key_ok {
            return Err(CipherError::BadKeyLength);
        }
        if blocksize != own {
            return Err(CipherError::BadBlockSize);
        }
        let bytes = key
            .get(..(keylen / 8) as usize)
            .ok_or(CipherError::BadKeyLength)?;
        let bad = |_| CipherError::BadKeyLength;
        let keyed = match (name, keylen) {
            ("aes-cbc", 128) => Keyed::Aes128(Aes128::new_from_slice(bytes).map_err(bad)?),
            ("aes-cbc", 192) => Keyed::Aes192(Aes192::new_from_slice(bytes).map_err(bad)?),
            ("aes-cbc", _) => Keyed::Aes256(Aes256::new_from_slice(bytes).map_err(bad)?),
            ("aes-xts", 256) => {
                let (k1, k2) = bytes.split_at(bytes.len() / 2);
                Keyed::Xts128(Box::new(Xts128::new(
                    Aes128::new_from_slice(k1).map_err(bad)?,
                    Aes128::new_from_slice(k2).map_err(bad)?,
                )))
            }
            ("aes-xts", _) => {
                let (k1, k2) = bytes.split_at(bytes.len() / 2);
                Keyed::Xts256(Box::new(Xts128::new(
                    Aes256::new_from_slice(k1).map_err(bad)?,
                    Aes256::new_from_slice(k2).map_err(bad)?,
                )))
            }
            ("3des-cbc", _) => Keyed::Tdes(TdesEde3::new_from_slice(bytes).map_err(bad)?),
            _ => Keyed::Blowfish(Box::new(Blowfish::new_from_slice(bytes).map_err(bad)?)),
        };
        Ok(CgdCipher {
            name,
            keyed,
            ivmethod,
            keylen,
            blocksize: blocksize / ivmethod.divisor(),
        })
    }

    /// The cipher's name (`cf_name`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The key length in bits (`cf_keylen`).
    pub fn keylen(&self) -> u64 {
        self.keylen
    }

    /// `cf_blocksize` as `CGDIOCGET` reports it.
    pub fn blocksize(&self) -> u64 {
        self.blocksize
    }

    /// The IV method.
    pub fn ivmethod(&self) -> IvMethod {
        self.ivmethod
    }

    /// The IV's length in bytes: the block size as the IV method counts it.
    fn iv_len(&self) -> usize {
        self.blocksize as usize
    }

    /// Encrypt `buf` in place: whole sectors of `secsize` bytes, the first
    /// being sector `blkno`. `buf` must be whole sectors.
    pub fn encrypt(&self, buf: &mut [u8], blkno: u64, secsize: usize) {
        self.each_sector(buf, blkno, secsize, true);
    }

    /// Decrypt `buf` in place, as [`CgdCipher::encrypt`] encrypted it.
    pub fn decrypt(&self, buf: &mut [u8], blkno: u64, secsize: usize) {
        self.each_sector(buf, blkno, secsize, false);
    }

    fn each_sector(&self, buf: &mut [u8], blkno: u64, secsize: usize, enc: bool) {
        let ivlen = self.iv_len();
        match &self.keyed {
            Keyed::Aes128(c) => cbc_run(c, buf, blkno, secsize, ivlen, enc),
            Keyed::Aes192(c) => cbc_run(c, buf, blkno, secsize, ivlen, enc),
            Keyed::Aes256(c) => cbc_run(c, buf, blkno, secsize, ivlen, enc),
            Keyed::Tdes(c) => cbc_run(c, buf, blkno, secsize, ivlen, enc),
            Keyed::Blowfish(c) => cbc_run(&**c, buf, blkno, secsize, ivlen, enc),
            Keyed::Xts128(x) => xts_run(x, buf, blkno, secsize, enc),
            Keyed::Xts256(x) => xts_run(x, buf, blkno, secsize, enc),
        }
    }
}

/// Sectors through XTS, the first being data unit `blkno`.
fn xts_run<C>(x: &Xts128<C>, buf: &mut [u8], blkno: u64, secsize: usize, enc: bool)
where
    C: BlockCipher
        + BlockEncrypt
        + BlockDecrypt
        + BlockSizeUser<BlockSize = aes::cipher::consts::U16>,
{
    for (i, sector) in buf.chunks_mut(secsize).enumerate() {
        xts(x, sector, blkno.wrapping_add(i as u64), enc);
    }
}

/// Sectors through CBC, the first being sector `blkno`. With `encblkno1`
/// the IVs of a run of sectors are one block each, encrypted together
/// (the cipher pipelines them); the chaining works on the one key
/// schedule, which `cbc`'s modes would each want a copy of.
fn cbc_run<C: BlockEncrypt + BlockDecrypt>(
    c: &C,
    buf: &mut [u8],
    blkno: u64,
    secsize: usize,
    ivlen: usize,
    enc: bool,
) {
    let bs = C::block_size();
    let mut ivs: [GenericArray<u8, C::BlockSize>; IV_BATCH] = Default::default();
    for (b, batch) in buf.chunks_mut(secsize * IV_BATCH).enumerate() {
        let first = blkno.wrapping_add((b * IV_BATCH) as u64);
        let n = batch.len().div_ceil(secsize);
        if ivlen == bs {
            for (i, iv) in ivs[..n].iter_mut().enumerate() {
                *iv = GenericArray::default();
                iv[..DADDR_LEN].copy_from_slice(&first.wrapping_add(i as u64).to_le_bytes());
            }
            c.encrypt_blocks(&mut ivs[..n]);
        } else {
            for (i, iv) in ivs[..n].iter_mut().enumerate() {
                *iv = cbc_iv(c, first.wrapping_add(i as u64), ivlen);
            }
        }
        for (sector, iv) in batch.chunks_mut(secsize).zip(ivs.iter()) {
            if enc {
                cbc_encrypt(c, sector, iv);
            } else {
                cbc_decrypt(c, sector, iv);
            }
        }
    }
}

/// How many sectors' IVs are made at once.
const IV_BATCH: usize = 32;
/// Decryption keeps a copy of this much ciphertext for the chaining.
const CHUNK: usize = 512;

/// One sector CBC-encrypted in place from `iv`: each block after the last.
fn cbc_encrypt<C: BlockEncrypt>(c: &C, sector: &mut [u8], iv: &GenericArray<u8, C::BlockSize>) {
    let mut prev = iv.clone();
    for block in sector.chunks_exact_mut(C::block_size()) {
        let block = GenericArray::from_mut_slice(block);
        for (b, p) in block.iter_mut().zip(prev.iter()) {
            *b ^= p;
        }
        c.encrypt_block(block);
        prev.copy_from_slice(block);
    }
}

/// One sector CBC-decrypted in place from `iv`: the blocks of a chunk
/// decrypted together, then each XORed with the ciphertext before it.
fn cbc_decrypt<C: BlockDecrypt>(c: &C, sector: &mut [u8], iv: &GenericArray<u8, C::BlockSize>) {
    let bs = C::block_size();
    let mut prev = iv.clone();
    let mut saved = [0u8; CHUNK];
    for chunk in sector.chunks_mut(CHUNK) {
        let n = chunk.len() - chunk.len() % bs;
        if n == 0 {
            continue;
        }
        let chunk = &mut chunk[..n];
        saved[..n].copy_from_slice(chunk);
        let (blocks, _) = InOutBuf::from(&mut *chunk).into_chunks::<C::BlockSize>();
        c.decrypt_blocks_inout(blocks);
        for (b, p) in chunk[..bs].iter_mut().zip(prev.iter()) {
            *b ^= p;
        }
        for (b, p) in chunk[bs..].iter_mut().zip(saved[..n - bs].iter()) {
            *b ^= p;
        }
        prev.copy_from_slice(&saved[n - bs..n]);
    }
}

/// One sector through XTS, data unit `blkno`.
fn xts<C>(x: &Xts128<C>, sector: &mut [u8], blkno: u64, enc: bool)
where
    C: BlockCipher
        + BlockEncrypt
        + BlockDecrypt
        + BlockSizeUser<BlockSize = aes::cipher::consts::U16>,
{
    let tweak = xts_mode::get_tweak_default(u128::from(blkno));
    if enc {
        x.encrypt_sector(sector, tweak);
    } else {
        x.decrypt_sector(sector, tweak);
    }
}

/// The CBC IV of sector `blkno` (`cgd_cipher`'s first pass): the last
/// block of the CBC encryption, from a zero IV, of the sector number
/// padded with zeros to `ivlen` bytes.
pub fn cbc_iv<C: BlockEncrypt>(c: &C, blkno: u64, ivlen: usize) -> GenericArray<u8, C::BlockSize> {
    let bs = C::block_size();
    let mut chain = GenericArray::<u8, C::BlockSize>::default();
    let mut number = [0u8; DADDR_LEN];
    number.copy_from_slice(&blkno.to_le_bytes());
    for i in 0..(ivlen / bs).max(1) {
        for (j, b) in chain.iter_mut().enumerate() {
            *b ^= number.get(i * bs + j).copied().unwrap_or(0);
        }
        c.encrypt_block(&mut chain);
    }
    chain
}

#[cfg(test)]
mod tests;
