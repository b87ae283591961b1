//! Sequence number comparisons modulo 2^32 (RFC 9293 section 3.4).

/// `a < b` in sequence space.
pub fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `a <= b` in sequence space.
pub fn le(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) <= 0
}

/// `a > b` in sequence space.
pub fn gt(a: u32, b: u32) -> bool {
    lt(b, a)
}

/// `a >= b` in sequence space.
pub fn ge(a: u32, b: u32) -> bool {
    le(b, a)
}

/// The larger of two sequence numbers.
pub fn max(a: u32, b: u32) -> u32 {
    if gt(a, b) { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_wrap() {
        assert!(lt(u32::MAX - 1, 2));
        assert!(gt(3, u32::MAX));
        assert!(le(5, 5) && ge(5, 5));
        assert_eq!(max(u32::MAX, 1), 1);
    }
}
