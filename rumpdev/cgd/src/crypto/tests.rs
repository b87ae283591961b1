//! Known answers from NetBSD's `tests/dev/cgd/t_cgd_aes.c` (its aes-cbc
//! vectors, made by NetBSD's cgd, and IEEE 1619's XTS vector 4, which it
//! checks cgd's aes-xts against).

use super::*;

const AES_CBC_128_ENCBLKNO1_VEC0: &str = concat!(
    "1e951215f6e0a75695a0a73577f4dddc37c028200079a035e08323954eea8da2",
    "11bf9ad5211e15b9d12ed2d9a5cc2675ba3e3011b240dd1d073be600a7319e58",
    "41f302f5ad35799a9e03c87a9d1d589f9867e249810c2390d8c6f0c57346d514",
    "1d78247c9f5c8ce65d857a5f76ccd8e903fffdd4123fcbb0fefd86000ce3dda6",
    "8992fec8075a945575ae6847ba84755833302c165be93f2a09f9692377d72b95",
    "4b7859ccfaf579d20587665793bf05904d6dd2729224ec14e7bf8257bb1451e6",
    "ce3fa1fc6375eedef931d3a007cd4d8f837d65e1c6609e5c5176fa64dfdcaf38",
    "eee98f4ba03a21df583b73f530bb29e0ff60f0055e37bc78953fa8d4b4820de1",
    "10e3a761375828142257322880983e5f71cf34b86d6bc023c19e584fd5a41403",
    "2aedc4a7777c4f94911d473482e89d325cc738e992cd35fd1ccc3c28756fffd5",
    "e8bf909234131189e0a225eb82633180506c99aa970e594564b877786b24acc0",
    "c9a9bc13d15e509a911a08f7c5189f87979c0a27f166f80952094107c1a191a4",
    "590975575b537958a29e49a25ef7281c43a6cb884684c97f84db450cb37f0140",
    "713e48121fbc1edf4150b211678319040e21d5f25499fb47f25e024b616def78",
    "29e43a5614206f7082ea5dbc48893469db4a06a7d6c7b7068e64213ea6326159",
    "03eac371f02602e07195381132e63b2553142434e88ca8ef52fe062c20884fa6",
);
const AES_CBC_128_ENCBLKNO1_VEC2: &str = concat!(
    "bc49352ce31012657af4ded3f8e149970a07936cf80eb7df53ba1e8e14bdf681",
    "d6f63db2e76a9d5068c2758efb44fac89f3015d5bece04c199de3d2bc1c48ab1",
    "c5544752f63811cb11f6b7bd4d24a1ac04177e3cbc3ba08dfb228256a2befee7",
    "dea4e9eba07a45c9180b14d5ff4ce586acacaab4700c4a20b6d82dac09d8f624",
    "dfa562ef8c01a81d8f52eea62f9b81180e6ba3e567b3d530b19f8705d052626f",
    "b93bbc0c0ccb735523831478055b05f53ea7f34d0d346fe058520a82a7498ad2",
    "23b1c50da70f56fc7ef6194be763724cb85c8054f51fb0294088755442ca2cc3",
    "cfd7c1b2d690705ef55870e0ff5af5ee324f611cf6bfd57c73b91d30c2fb2f9a",
    "f7572e877dcbdd7edaec471a0e702d6e182b89c185586d4b4511cf829f31d042",
    "11caa85266f7f11d86e3b441cb92b19f8d8e08e9c466ce9dae91afe6a62e063a",
    "f52748e4310fc5df2956ed62f3efcaa658d18499d33467926ab2d1d1501fe9d8",
    "3cbe12977c4fc0be913215d5f25ee61386fac6ded8e170b4f75b9f7955227ae1",
    "54403911e1780101c044eb92b901dd56b97ea0504158b2131244d239f2763c53",
    "36fe1774918dbec540f7a2e965d9df807bd9c31fb4fc9f8d7a4e1e326db1821e",
    "0cb60be615825cccc84a73569d11facd21952371e8fe0643f61751280dfb0a49",
    "1b351e4a38086bcd6721940928ca0a18df6c86471029819a73ba78bdc061ee23",
);
const AES_XTS_256_VEC4: &str = concat!(
    "27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89c",
    "c78cf7f5e543445f8333d8fa7f56000005279fa5d8b5e4ad40e736ddb4d35412",
    "328063fd2aab53e5ea1e0a9f332500a5df9487d07a5c92cc512c8866c7e860ce",
    "93fdf166a24912b422976146ae20ce846bb7dc9ba94a767aaef20c0d61ad0265",
    "5ea92dc4c4e41a8952c651d33174be51a10c421110e6d81588ede82103a252d8",
    "a750e8768defffed9122810aaeb99f9172af82b604dc4b8e51bcb08235a6f434",
    "1332e4ca60482a4ba1a03b3e65008fc5da76b70bf1690db4eae29c5f1badd03c",
    "5ccf2a55d705ddcd86d449511ceb7ec30bf12b1fa35b913f9f747a8afd1b130e",
    "94bff94effd01a91735ca1726acd0b197c4e5b03393697e126826fb6bbde8ecc",
    "1e08298516e2c9ed03ff3c1b7860f6de76d4cecd94c8119855ef5297ca67e9f3",
    "e7ff72b1e99785ca0a7e7720c5b36dc6d72cac9574c8cbbc2f801e23e56fd344",
    "b07f22154beba0f08ce8891e643ed995c94d9a69c9f1b5f499027a78572aeebd",
    "74d20cc39881c213ee770b1010e4bea718846977ae119f7a023ab58cca0ad752",
    "afe656bb3c17256a9f6e9bf19fdd5a38fc82bbe872c5539edb609ef4f79c203e",
    "bb140f2e583cb2ad15b4aa5b655016a8449277dbd477ef2c8d6c017db738b18d",
    "eb4a427d1923ce3ff262735779a418f20a282df920147beabe421ee5319d0568",
);

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `aes_cbc_ptxt`: sixteen times sixteen spaces and `abcdefghijklmnop`.
fn aes_cbc_ptxt() -> Vec<u8> {
    b"                abcdefghijklmnop".repeat(16)
}

const AES_CBC_128_KEY: &[u8] = b"0123456789ABCDEF";

fn check(c: &CgdCipher, blkno: u64, ptxt: &[u8], ctxt: &[u8]) {
    let mut buf = ptxt.to_vec();
    c.encrypt(&mut buf, blkno, 512);
    assert_eq!(buf, ctxt, "encryption of sector {blkno}");
    let mut back = vec![0; buf.len()];
    c.decrypt(&buf, &mut back, blkno, 512);
    let buf = back;
    assert_eq!(buf, ptxt, "decryption of sector {blkno}");
}

#[test]
fn aes_cbc_128_encblkno1_is_netbsds() {
    let c = CgdCipher::new(
        b"aes-cbc",
        IvMethod::EncBlkNo1,
        128,
        AES_CBC_128_KEY,
        u64::MAX,
    )
    .unwrap();
    assert_eq!(c.blocksize(), 16);
    let p = aes_cbc_ptxt();
    check(&c, 0, &p, &unhex(AES_CBC_128_ENCBLKNO1_VEC0));
    check(&c, 2, &p, &unhex(AES_CBC_128_ENCBLKNO1_VEC2));
}

#[test]
fn sectors_of_a_transfer_take_their_own_numbers() {
    let c = CgdCipher::new(
        b"aes-cbc",
        IvMethod::EncBlkNo1,
        128,
        AES_CBC_128_KEY,
        u64::MAX,
    )
    .unwrap();
    let mut buf = aes_cbc_ptxt().repeat(3);
    c.encrypt(&mut buf, 0, 512);
    assert_eq!(buf[..512], unhex(AES_CBC_128_ENCBLKNO1_VEC0)[..]);
    assert_eq!(buf[1024..], unhex(AES_CBC_128_ENCBLKNO1_VEC2)[..]);
    let mut back = vec![0; buf.len()];
    c.decrypt(&buf, &mut back, 0, 512);
    assert_eq!(back, aes_cbc_ptxt().repeat(3));
}

#[test]
fn aes_xts_256_is_ieee_1619_vector_4() {
    let key: [u8; 32] = [
        0x27, 0x18, 0x28, 0x18, 0x28, 0x45, 0x90, 0x45, 0x23, 0x53, 0x60, 0x28, 0x74, 0x71, 0x35,
        0x26, 0x31, 0x41, 0x59, 0x26, 0x53, 0x58, 0x97, 0x93, 0x23, 0x84, 0x62, 0x64, 0x33, 0x83,
        0x27, 0x95,
    ];
    let ptxt: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
    for iv in [IvMethod::EncBlkNo1, IvMethod::EncBlkNo8] {
        let c = CgdCipher::new(b"aes-xts", iv, 256, &key, u64::MAX).unwrap();
        check(&c, 0, &ptxt, &unhex(AES_XTS_256_VEC4));
    }
}

#[test]
fn encblkno8_chains_the_number_through_eight_blocks() {
    // cgd_cipher's IV for encblkno8: CBC over 128 bytes (the number, then
    // zeros) from a zero IV, keeping the last block.
    let c = CgdCipher::new(
        b"aes-cbc",
        IvMethod::EncBlkNo8,
        128,
        AES_CBC_128_KEY,
        u64::MAX,
    )
    .unwrap();
    assert_eq!(c.blocksize(), 128);
    let aes = Aes128::new_from_slice(AES_CBC_128_KEY).unwrap();
    let mut chain = GenericArray::default();
    for i in 0..8 {
        if i == 0 {
            chain[..8].copy_from_slice(&5u64.to_le_bytes());
        }
        aes.encrypt_block(&mut chain);
    }
    assert_eq!(cbc_iv(&aes, 5, 128), chain);
    assert_ne!(cbc_iv(&aes, 5, 16), chain);
}

#[test]
fn keys_and_block_sizes_are_checked_as_cf_init_does() {
    let key = [7u8; 64];
    let new =
        |alg: &[u8], bits, bs| CgdCipher::new(alg, IvMethod::EncBlkNo1, bits, &key, bs).map(|_| ());
    assert_eq!(
        new(b"aes-cbc", 100, u64::MAX),
        Err(CipherError::BadKeyLength)
    );
    assert_eq!(new(b"aes-cbc", 192, u64::MAX), Ok(()));
    assert_eq!(new(b"aes-cbc", 256, 64), Err(CipherError::BadBlockSize));
    assert_eq!(
        new(b"aes-xts", 128, u64::MAX),
        Err(CipherError::BadKeyLength)
    );
    assert_eq!(new(b"aes-xts", 512, u64::MAX), Ok(()));
    assert_eq!(
        new(b"3des-cbc", 168, u64::MAX),
        Err(CipherError::BadKeyLength)
    );
    assert_eq!(new(b"3des-cbc", 192, 64), Ok(()));
    assert_eq!(
        new(b"blowfish-cbc", 32, u64::MAX),
        Err(CipherError::BadKeyLength)
    );
    assert_eq!(
        new(b"blowfish-cbc", 44, u64::MAX),
        Err(CipherError::BadKeyLength)
    );
    assert_eq!(new(b"blowfish-cbc", 448, u64::MAX), Ok(()));
    assert_eq!(
        new(b"blowfish-cbc", 456, u64::MAX),
        Err(CipherError::BadKeyLength)
    );
    assert_eq!(
        new(b"rot13", 128, u64::MAX),
        Err(CipherError::UnknownAlgorithm)
    );
    // A key shorter than its length says.
    assert_eq!(
        CgdCipher::new(b"aes-cbc", IvMethod::EncBlkNo1, 256, &key[..16], u64::MAX).map(|_| ()),
        Err(CipherError::BadKeyLength)
    );
}

#[test]
fn every_cipher_decrypts_what_it_encrypts() {
    let key: Vec<u8> = (0..64u8).collect();
    for (alg, bits) in [
        ("aes-cbc", 256),
        ("aes-xts", 256),
        ("3des-cbc", 192),
        ("blowfish-cbc", 128),
    ] {
        for iv in [IvMethod::EncBlkNo1, IvMethod::EncBlkNo8] {
            let c = CgdCipher::new(alg.as_bytes(), iv, bits, &key, u64::MAX).unwrap();
            let plain: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
            let mut buf = plain.clone();
            c.encrypt(&mut buf, 9, 1024);
            assert_ne!(buf, plain);
            // A sector's ciphertext depends on its number.
            let mut other = plain.clone();
            c.encrypt(&mut other, 10, 1024);
            assert_ne!(buf[..1024], other[..1024]);
            let mut back = vec![0; buf.len()];
            c.decrypt(&buf, &mut back, 9, 1024);
            assert_eq!(back, plain, "{alg} {iv:?}");
        }
    }
}

#[test]
fn long_transfers_decrypt_out_of_place_as_sectors_alone_do() {
    // 70 sectors cross two batches of IVs and every cipher's run of
    // blocks decrypted together; a transfer may start at any sector.
    let key: Vec<u8> = (0..64u8).map(|b| b.wrapping_mul(13)).collect();
    for (alg, bits) in [
        ("aes-cbc", 128),
        ("aes-cbc", 192),
        ("aes-cbc", 256),
        ("aes-xts", 256),
        ("aes-xts", 512),
        ("3des-cbc", 192),
        ("blowfish-cbc", 448),
    ] {
        for iv in [IvMethod::EncBlkNo1, IvMethod::EncBlkNo8] {
            let c = CgdCipher::new(alg.as_bytes(), iv, bits, &key, u64::MAX).unwrap();
            let plain: Vec<u8> = (0..70 * 512u32).map(|i| (i * 31 % 253) as u8).collect();
            let mut whole = plain.clone();
            c.encrypt(&mut whole, 1000, 512);
            for (i, sector) in plain.chunks(512).enumerate() {
                let mut alone = sector.to_vec();
                c.encrypt(&mut alone, 1000 + i as u64, 512);
                assert_eq!(
                    alone,
                    whole[i * 512..(i + 1) * 512],
                    "{alg} {bits} {iv:?} {i}"
                );
            }
            let mut back = vec![0; whole.len()];
            c.decrypt(&whole, &mut back, 1000, 512);
            assert_eq!(back, plain, "{alg} {bits} {iv:?}");
            let mut part = vec![0; 61 * 512];
            c.decrypt(&whole[5 * 512..66 * 512], &mut part, 1005, 512);
            assert_eq!(part, plain[5 * 512..66 * 512], "{alg} {bits} {iv:?} from 5");
        }
    }
}

#[test]
fn bytes_past_a_sectors_last_whole_block_pass_as_they_are() {
    let c = CgdCipher::new(
        b"aes-cbc",
        IvMethod::EncBlkNo1,
        128,
        AES_CBC_128_KEY,
        u64::MAX,
    )
    .unwrap();
    let plain: Vec<u8> = (0..3 * 520u32).map(|i| i as u8).collect();
    let mut buf = plain.clone();
    c.encrypt(&mut buf, 7, 520);
    assert_eq!(buf[512..520], plain[512..520]);
    assert_ne!(buf[..512], plain[..512]);
    let mut back = vec![0; buf.len()];
    c.decrypt(&buf, &mut back, 7, 520);
    assert_eq!(back, plain);
}
