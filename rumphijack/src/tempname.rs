//! glibc's rules for temporary names (`mkstemp(3)`, `mkdtemp(3)`,
//! `mktemp(3)`): the six `X`s that end a template (before a suffix of
//! `suffixlen` bytes) become letters and digits, and another name is tried
//! while the one made exists, up to glibc's number of tries.

/// The characters a name is made of (glibc's).
const LETTERS: &[u8; 62] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Names tried before giving up with EEXIST (glibc's `ATTEMPTS_MIN`, 62³).
pub const ATTEMPTS: u32 = 62 * 62 * 62;

/// Where the six `X`s of `template` (without its NUL) start, given the
/// suffix length: EINVAL unless they are there, as glibc says.
pub fn x_span(template: &[u8], suffixlen: i32) -> Result<usize, i32> {
    let suffix = usize::try_from(suffixlen).map_err(|_| libc::EINVAL)?;
    let at = template
        .len()
        .checked_sub(6)
        .and_then(|n| n.checked_sub(suffix))
        .ok_or(libc::EINVAL)?;
    if &template[at..at + 6] != b"XXXXXX" {
        return Err(libc::EINVAL);
    }
    Ok(at)
}

/// Six name characters from `bits`.
pub fn letters(mut bits: u64) -> [u8; 6] {
    let mut out = [0u8; 6];
    for c in &mut out {
        *c = LETTERS[(bits % 62) as usize];
        bits /= 62;
    }
    out
}

/// Make names until `attempt` does not answer EEXIST (the name is taken):
/// it is given each name's six characters, drawn from `bits`. EEXIST after
/// [`ATTEMPTS`] names, as glibc gives up.
pub fn try_names<T>(
    mut bits: impl FnMut() -> u64,
    mut attempt: impl FnMut(&[u8; 6]) -> Result<T, i32>,
) -> Result<T, i32> {
    for _ in 0..ATTEMPTS {
        match attempt(&letters(bits())) {
            Err(libc::EEXIST) => continue,
            r => return r,
        }
    }
    Err(libc::EEXIST)
}

/// Random bits for a name: the host's random source, or when that has
/// nothing to give (early boot), the clock mixed with a counter, as glibc
/// falls back to the clock.
pub fn random_bits() -> u64 {
    let mut v = 0u64;
    // SAFETY: getrandom writes at most 8 bytes into `v`.
    let n = unsafe {
        libc::getrandom(
            (&mut v as *mut u64).cast(),
            std::mem::size_of::<u64>(),
            libc::GRND_NONBLOCK,
        )
    };
    if n == std::mem::size_of::<u64>() as isize {
        return v;
    }
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let c = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // A 64-bit mix (splitmix64's) so that close times give far-apart names.
    let mut z = t ^ c.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_need_six_xs_before_the_suffix() {
        assert_eq!(x_span(b"/rump/t/sedXXXXXX", 0), Ok(11));
        assert_eq!(x_span(b"XXXXXX", 0), Ok(0));
        assert_eq!(x_span(b"/a/XXXXXX.txt", 4), Ok(3));
        assert_eq!(x_span(b"/a/XXXXX", 0), Err(libc::EINVAL));
        assert_eq!(x_span(b"/a/XXXXXX.txt", 0), Err(libc::EINVAL));
        assert_eq!(x_span(b"/a/XXXXXX", -1), Err(libc::EINVAL));
        assert_eq!(x_span(b"XXXXXX", 1), Err(libc::EINVAL));
        assert_eq!(x_span(b"", 0), Err(libc::EINVAL));
    }

    #[test]
    fn taken_names_are_tried_again_until_glibc_gives_up() {
        let mut n = 0u64;
        let mut tried = Vec::new();
        let r = try_names(
            || {
                n += 1;
                n
            },
            |name| {
                tried.push(*name);
                if tried.len() < 4 {
                    Err(libc::EEXIST)
                } else {
                    Ok(7)
                }
            },
        );
        assert_eq!(r, Ok(7));
        assert_eq!(tried, [*b"baaaaa", *b"caaaaa", *b"daaaaa", *b"eaaaaa"]);
        let mut calls = 0u32;
        let r: Result<(), i32> = try_names(random_bits, |_| {
            calls += 1;
            Err(libc::EEXIST)
        });
        assert_eq!((r, calls), (Err(libc::EEXIST), ATTEMPTS));
        let mut calls = 0u32;
        let r: Result<(), i32> = try_names(random_bits, |_| {
            calls += 1;
            Err(libc::ENOENT)
        });
        assert_eq!((r, calls), (Err(libc::ENOENT), 1));
    }

    #[test]
    fn names_are_letters_and_digits() {
        assert_eq!(&letters(0), b"aaaaaa");
        assert_eq!(&letters(61), b"9aaaaa");
        assert_eq!(&letters(62), b"abaaaa");
        let a = letters(random_bits());
        assert!(a.iter().all(u8::is_ascii_alphanumeric), "{a:?}");
        // Two draws of 36 random bits agree about once in 5.7e10.
        assert_ne!(letters(random_bits()), letters(random_bits()));
    }
}
