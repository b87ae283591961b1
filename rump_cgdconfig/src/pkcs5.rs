//! PKCS #5 PBKDF2 with HMAC-SHA1 (`pkcs5_pbkdf2.c`), including NetBSD's
//! historic variant (keygen `pkcs5_pbkdf2`, `compat`), which numbered the
//! blocks from 0 instead of 1: old parameters files still need it.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// `PRF_BLOCKLEN`: SHA-1's output.
const PRF_BLOCKLEN: usize = 20;

/// `dklen` bytes derived from `pass` and `salt` in `iterations` rounds;
/// `None` for no bytes or no rounds (as NetBSD refuses them).
pub fn pbkdf2(
    pass: &[u8],
    salt: &[u8],
    iterations: usize,
    dklen: usize,
    compat: bool,
) -> Option<Vec<u8>> {
    if dklen == 0 || iterations < 1 {
        return None;
    }
    let blocks = dklen.div_ceil(PRF_BLOCKLEN);
    let mut out = Vec::with_capacity(blocks * PRF_BLOCKLEN);
    let prf = Hmac::<Sha1>::new_from_slice(pass).ok()?;
    for i in 0..blocks {
        let index = if compat { i } else { i + 1 } as u32;
        let mut m = prf.clone();
        m.update(salt);
        m.update(&index.to_be_bytes());
        let mut u: [u8; PRF_BLOCKLEN] = m.finalize().into_bytes().into();
        let mut r = u;
        for _ in 1..iterations {
            let mut m = prf.clone();
            m.update(&u);
            u = m.finalize().into_bytes().into();
            for (a, b) in r.iter_mut().zip(u.iter()) {
                *a ^= b;
            }
        }
        out.extend_from_slice(&r);
    }
    out.truncate(dklen);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn rfc_6070_vectors() {
        assert_eq!(
            hex(&pbkdf2(b"password", b"salt", 1, 20, false).unwrap()),
            "0c60c80f961f0e71f3a9b524af6012062fe037a6"
        );
        assert_eq!(
            hex(&pbkdf2(b"password", b"salt", 4096, 20, false).unwrap()),
            "4b007901b765489abead49d926f721d065a429c1"
        );
        assert_eq!(
            hex(&pbkdf2(
                b"passwordPASSWORDpassword",
                b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
                4096,
                25,
                false
            )
            .unwrap()),
            "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"
        );
    }

    #[test]
    fn the_historic_variant_numbers_blocks_from_zero() {
        let old = pbkdf2(b"password", b"salt", 2, 40, true).unwrap();
        let new = pbkdf2(b"password", b"salt", 2, 60, false).unwrap();
        // Its block i is the standard block i - 1: the second old block
        // is the first new one.
        assert_eq!(old[20..40], new[..20]);
        assert_ne!(old[..20], new[..20]);
        assert!(pbkdf2(b"p", b"s", 0, 20, false).is_none());
        assert!(pbkdf2(b"p", b"s", 1, 0, false).is_none());
    }
}
