//! Proof of a shared key before the first call: an extension of ours that
//! NetBSD's protocol does not have, used only by a server that asks for it.
//!
//! A server that asks for a key sends NetBSD's banner with a challenge
//! before its newline, ` key-nonce=` and [`NONCE_LEN`] random bytes in hex
//! (NetBSD's client reads the banner up to the newline and does not parse
//! it). A client that has the key answers with one AUTH request ([`Type::Auth`])
//! whose payload is [`proof`]: HMAC-SHA256 of the nonce under the key, so the
//! key itself never crosses the wire. The server answers an AUTH response
//! (empty) and goes on as NetBSD's would, or an ERROR frame of code AUTH
//! whose payload says why, and closes the connection. A server that asks
//! for no key sends NetBSD's banner unchanged, and a client then sends no
//! AUTH request: both ends behave exactly as NetBSD's.
//!
//! [`Type::Auth`]: crate::Type::Auth

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Random bytes in a challenge: 128 bits, never repeated in practice.
pub const NONCE_LEN: usize = 16;

/// Bytes in a proof (a SHA-256 sized MAC).
pub const PROOF_LEN: usize = 32;

/// What precedes the challenge's hex in the banner.
const MARKER: &str = " key-nonce=";

/// Said before the nonce in the MAC, so that a proof made for this
/// protocol is worth nothing elsewhere with the same key.
const CONTEXT: &[u8] = b"rump_sp key proof 1\0";

/// `banner` (a NetBSD banner ending in a newline) with the challenge for
/// `nonce` before its newline, shortening the banner's text if needed so
/// that the whole stays within NetBSD's [`MAX_BANNER`](crate::payload::MAX_BANNER).
pub fn banner_with_challenge(banner: &str, nonce: &[u8; NONCE_LEN]) -> String {
    let text = banner.trim_end_matches('\n');
    let suffix = format!("{MARKER}{}", hex(nonce));
    let room = crate::payload::MAX_BANNER - 1 - suffix.len();
    let mut cut = text.len().min(room);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{suffix}\n", &text[..cut])
}

/// The challenge in a banner, if the server asks for a key.
pub fn challenge(banner: &[u8]) -> Option<[u8; NONCE_LEN]> {
    let text = std::str::from_utf8(banner).ok()?.trim_end_matches('\n');
    let (_, h) = text.rsplit_once(MARKER)?;
    if h.len() != NONCE_LEN * 2 {
        return None;
    }
    let mut nonce = [0u8; NONCE_LEN];
    for (i, b) in nonce.iter_mut().enumerate() {
        *b = u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(nonce)
}

/// The proof that the sender holds `key`, for challenge `nonce`.
pub fn proof(key: &[u8], nonce: &[u8; NONCE_LEN]) -> [u8; PROOF_LEN] {
    let mut mac = mac(key);
    mac.update(CONTEXT);
    mac.update(nonce);
    mac.finalize().into_bytes().into()
}

/// Whether `answer` proves `key` for `nonce`, compared in constant time.
pub fn verify(key: &[u8], nonce: &[u8; NONCE_LEN], answer: &[u8]) -> bool {
    let mut mac = mac(key);
    mac.update(CONTEXT);
    mac.update(nonce);
    mac.verify_slice(answer).is_ok()
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length; the error case does not arise.
    <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{MAX_BANNER, banner};

    #[test]
    fn challenge_travels_in_the_banner() {
        let nonce = [0xa5u8; NONCE_LEN];
        let b = banner_with_challenge(&banner("NetBSD", "7.99.34", "amd64"), &nonce);
        assert_eq!(
            b,
            "RUMPSP-0.4-NetBSD-7.99.34/amd64 key-nonce=a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5\n"
        );
        assert_eq!(challenge(b.as_bytes()), Some(nonce));
        let long = banner_with_challenge(&banner(&"x".repeat(200), "1", "m"), &nonce);
        assert_eq!(long.len(), MAX_BANNER);
        assert_eq!(challenge(long.as_bytes()), Some(nonce));
        // NetBSD's banner carries none.
        assert_eq!(
            challenge(banner("NetBSD", "7.99.34", "amd64").as_bytes()),
            None
        );
        assert_eq!(challenge(b"RUMPSP-0.4-x key-nonce=zz\n"), None);
    }

    #[test]
    fn proof_is_rfc_2104_hmac_sha256() {
        // RFC 4231 test case 2's key and data, with our context before the
        // nonce: checked against Python's hmac module.
        let p = proof(b"Jefe", b"what do ya want ");
        assert_eq!(
            hex(&p),
            "d27213746a3eea2a4ecc0e09dfcf5cf7d5de7e6c6477ad4176570269d7de53fb"
        );
        assert!(verify(b"Jefe", b"what do ya want ", &p));
        assert!(!verify(b"Jeff", b"what do ya want ", &p));
        assert!(!verify(b"Jefe", b"what do ya want ", &p[..31]));
    }
}
