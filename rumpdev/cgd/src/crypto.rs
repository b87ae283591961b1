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
//! `xts-mode` for XTS); the CBC chaining is done here, on the one key
//! schedule: `cbc`'s modes own their cipher, and a copy of an AES key
//! schedule (960 bytes) per 512-byte sector halved the speed of reads.
//! Encryption works in place; decryption goes from the ciphertext to
//! where the plaintext belongs, XORing each block's output with the
//! ciphertext block before it as it is stored, so that the plaintext is
//! written once and no copy of the ciphertext is needed for the chaining.

use crate::cgdio::{CGD_CIPHER_CBC_ENCBLKNO1, CGD_CIPHER_CBC_ENCBLKNO8};
use aes::cipher::generic_array::GenericArray;
use aes::cipher::{
    Block, BlockBackend, BlockCipher, BlockClosure, BlockDecrypt, BlockEncrypt, BlockSizeUser,
    KeyInit, ParBlocks,
};
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
        let ivlen = self.iv_len();
        match &self.keyed {
            Keyed::Aes128(c) => cbc_encrypt_run(c, buf, blkno, secsize, ivlen),
            Keyed::Aes192(c) => cbc_encrypt_run(c, buf, blkno, secsize, ivlen),
            Keyed::Aes256(c) => cbc_encrypt_run(c, buf, blkno, secsize, ivlen),
            Keyed::Tdes(c) => cbc_encrypt_run(c, buf, blkno, secsize, ivlen),
            Keyed::Blowfish(c) => cbc_encrypt_run(&**c, buf, blkno, secsize, ivlen),
            Keyed::Xts128(x) => xts_encrypt_run(x, buf, blkno, secsize),
            Keyed::Xts256(x) => xts_encrypt_run(x, buf, blkno, secsize),
        }
    }

    /// Decrypt `src`, as [`CgdCipher::encrypt`] encrypted it, into `dst`
    /// (as long as `src`): whole sectors of `secsize` bytes, the first
    /// being sector `blkno`.
    pub fn decrypt(&self, src: &[u8], dst: &mut [u8], blkno: u64, secsize: usize) {
        assert_eq!(src.len(), dst.len(), "cgd decrypts into as many bytes");
        let ivlen = self.iv_len();
        match &self.keyed {
            Keyed::Aes128(c) => cbc_decrypt_run(c, src, dst, blkno, secsize, ivlen),
            Keyed::Aes192(c) => cbc_decrypt_run(c, src, dst, blkno, secsize, ivlen),
            Keyed::Aes256(c) => cbc_decrypt_run(c, src, dst, blkno, secsize, ivlen),
            Keyed::Tdes(c) => cbc_decrypt_run(c, src, dst, blkno, secsize, ivlen),
            Keyed::Blowfish(c) => cbc_decrypt_run(&**c, src, dst, blkno, secsize, ivlen),
            Keyed::Xts128(x) => xts_decrypt_run(x, src, dst, blkno, secsize),
            Keyed::Xts256(x) => xts_decrypt_run(x, src, dst, blkno, secsize),
        }
    }
}

/// The 128-bit block ciphers XTS is made of.
trait XtsCipher:
    BlockCipher + BlockEncrypt + BlockDecrypt + BlockSizeUser<BlockSize = aes::cipher::consts::U16>
{
}

impl<C> XtsCipher for C where
    C: BlockCipher
        + BlockEncrypt
        + BlockDecrypt
        + BlockSizeUser<BlockSize = aes::cipher::consts::U16>
{
}

/// Sectors encrypted in place through XTS, the first being data unit
/// `blkno`.
fn xts_encrypt_run<C: XtsCipher>(x: &Xts128<C>, buf: &mut [u8], blkno: u64, secsize: usize) {
    for (i, sector) in buf.chunks_mut(secsize).enumerate() {
        x.encrypt_sector(sector, xts_tweak(blkno.wrapping_add(i as u64)));
    }
}

/// Sectors decrypted through XTS from `src` into `dst`, the first being
/// data unit `blkno`: each sector is copied and then decrypted where it
/// landed, while it is in the cache (XTS needs no ciphertext kept).
fn xts_decrypt_run<C: XtsCipher>(
    x: &Xts128<C>,
    src: &[u8],
    dst: &mut [u8],
    blkno: u64,
    secsize: usize,
) {
    for (i, (s, d)) in src.chunks(secsize).zip(dst.chunks_mut(secsize)).enumerate() {
        d.copy_from_slice(s);
        x.decrypt_sector(d, xts_tweak(blkno.wrapping_add(i as u64)));
    }
}

/// The XTS tweak of data unit `blkno`.
fn xts_tweak(blkno: u64) -> [u8; 16] {
    xts_mode::get_tweak_default(u128::from(blkno))
}

/// How many sectors' IVs are made at once.
const IV_BATCH: usize = 32;

/// The IVs of the `ivs.len()` sectors from sector `first` on. With
/// `encblkno1` each IV is one block, and they are encrypted together (the
/// cipher pipelines them).
fn batch_ivs<C: BlockEncrypt>(
    c: &C,
    first: u64,
    ivs: &mut [GenericArray<u8, C::BlockSize>],
    ivlen: usize,
) {
    if ivlen == C::block_size() {
        for (i, iv) in ivs.iter_mut().enumerate() {
            *iv = GenericArray::default();
            iv[..DADDR_LEN].copy_from_slice(&first.wrapping_add(i as u64).to_le_bytes());
        }
        c.encrypt_blocks(ivs);
    } else {
        for (i, iv) in ivs.iter_mut().enumerate() {
            *iv = cbc_iv(c, first.wrapping_add(i as u64), ivlen);
        }
    }
}

/// Sectors encrypted in place through CBC, the first being sector
/// `blkno`.
fn cbc_encrypt_run<C: BlockEncrypt>(
    c: &C,
    buf: &mut [u8],
    blkno: u64,
    secsize: usize,
    ivlen: usize,
) {
    let mut ivs: [GenericArray<u8, C::BlockSize>; IV_BATCH] = Default::default();
    for (b, batch) in buf.chunks_mut(secsize * IV_BATCH).enumerate() {
        let n = batch.len().div_ceil(secsize);
        batch_ivs(
            c,
            blkno.wrapping_add((b * IV_BATCH) as u64),
            &mut ivs[..n],
            ivlen,
        );
        for (sector, iv) in batch.chunks_mut(secsize).zip(ivs.iter()) {
            cbc_encrypt(c, sector, iv);
        }
    }
}

/// Sectors decrypted through CBC from `src` into `dst`, the first being
/// sector `blkno`: a batch of sectors' IVs, then their blocks through the
/// cipher's backend (several at once where it can) by [`CbcDecrypt`].
fn cbc_decrypt_run<C: BlockEncrypt + BlockDecrypt>(
    c: &C,
    src: &[u8],
    dst: &mut [u8],
    blkno: u64,
    secsize: usize,
    ivlen: usize,
) {
    let mut ivs: [GenericArray<u8, C::BlockSize>; IV_BATCH] = Default::default();
    let batches = src
        .chunks(secsize * IV_BATCH)
        .zip(dst.chunks_mut(secsize * IV_BATCH));
    for (b, (src, dst)) in batches.enumerate() {
        let n = src.len().div_ceil(secsize);
        batch_ivs(
            c,
            blkno.wrapping_add((b * IV_BATCH) as u64),
            &mut ivs[..n],
            ivlen,
        );
        c.decrypt_with_backend(CbcDecrypt {
            src,
            dst,
            ivs: &ivs[..n],
            secsize,
        });
    }
}

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

/// CBC decryption of sectors from `src` into `dst`, each sector from its
/// IV, run with the cipher's backend: blocks go through the cipher as
/// many at once as the backend takes, and each output is XORed with the
/// ciphertext block before it (still in `src`) on its way to `dst`. A
/// sector's bytes past its last whole block are copied as they are.
struct CbcDecrypt<'a, BS: aes::cipher::ArrayLength<u8>> {
    src: &'a [u8],
    dst: &'a mut [u8],
    ivs: &'a [GenericArray<u8, BS>],
    secsize: usize,
}

impl<BS: aes::cipher::ArrayLength<u8>> BlockSizeUser for CbcDecrypt<'_, BS> {
    type BlockSize = BS;
}

impl<BS: aes::cipher::ArrayLength<u8>> BlockClosure for CbcDecrypt<'_, BS> {
    // Inlined into the backend's caller, which the `aes` crate compiles
    // for AES-NI: only there can its eight-block decryption be inlined.
    #[inline(always)]
    fn call<B: BlockBackend<BlockSize = BS>>(self, backend: &mut B) {
        let bs = BS::USIZE;
        let par = bs * <B::ParBlocksSize as aes::cipher::typenum::Unsigned>::USIZE;
        let sectors = self
            .src
            .chunks(self.secsize)
            .zip(self.dst.chunks_mut(self.secsize));
        for ((src, dst), iv) in sectors.zip(self.ivs) {
            let whole = src.len() - src.len() % bs;
            let (src, tail) = src.split_at(whole);
            let (dst, dst_tail) = dst.split_at_mut(whole);
            if !tail.is_empty() {
                dst_tail.copy_from_slice(tail);
            }
            // The ciphertext block before the one at hand: the IV first.
            let mut prev = iv.clone();
            let runs = src.chunks_exact(par).zip(dst.chunks_exact_mut(par));
            for (s, d) in runs {
                let mut ctxt = ParBlocks::<B>::default();
                for (c, sb) in ctxt.iter_mut().zip(s.chunks_exact(bs)) {
                    c.copy_from_slice(sb);
                }
                let mut t = ctxt.clone();
                backend.proc_par_blocks((&mut t).into());
                xor_in(&mut t[0], &prev);
                for i in 1..t.len() {
                    xor_in(&mut t[i], &ctxt[i - 1]);
                }
                for (tb, db) in t.iter().zip(d.chunks_exact_mut(bs)) {
                    db.copy_from_slice(tb);
                }
                prev = ctxt[ctxt.len() - 1].clone();
            }
            let rest = whole - whole % par;
            let singles = src[rest..]
                .chunks_exact(bs)
                .zip(dst[rest..].chunks_exact_mut(bs));
            for (s, d) in singles {
                let ctxt = Block::<B>::clone_from_slice(s);
                let mut t = ctxt.clone();
                backend.proc_block((&mut t).into());
                xor_in(&mut t, &prev);
                d.copy_from_slice(&t);
                prev = ctxt;
            }
        }
    }
}

/// `block ^= with`, a cipher block (the length fixed, so the XOR is a
/// vector instruction or two).
#[inline(always)]
fn xor_in<N: aes::cipher::ArrayLength<u8>>(
    block: &mut GenericArray<u8, N>,
    with: &GenericArray<u8, N>,
) {
    for (b, w) in block.iter_mut().zip(with.iter()) {
        *b ^= w;
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
