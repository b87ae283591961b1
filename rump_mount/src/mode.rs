//! File modes as `chmod(1)` and `mkdir -m` take them, after NetBSD's
//! `setmode(3)`/`getmode(3)`: an octal number, or symbolic clauses such
//! as `u=rwx,go-w` or `a+rX`, applied to a starting mode.

const S_ISUID: u32 = 0o4000;
const S_ISGID: u32 = 0o2000;
const S_ISVTX: u32 = 0o1000;
const USER: u32 = 0o4700;
const GROUP: u32 = 0o2070;
const OTHER: u32 = 0o0007;
const ALL: u32 = USER | GROUP | OTHER | S_ISVTX;

/// `mode` applied to `base`: the new mode, or `None` if `mode` is not a
/// mode (`setmode` returns NULL with EINVAL then).
pub fn apply(mode: &str, base: u32) -> Option<u32> {
    if mode.starts_with(|c: char| c.is_ascii_digit()) {
        let n = u32::from_str_radix(mode, 8).ok()?;
        return (n <= 0o7777).then_some(n);
    }
    let mut m = base;
    for clause in mode.split(',') {
        m = apply_clause(clause, m)?;
    }
    Some(m)
}

/// One clause: `[ugoa]*` then one or more `[+-=][rwxXstugo]*`.
fn apply_clause(clause: &str, mut m: u32) -> Option<u32> {
    let ops_at = clause.find(['+', '-', '='])?;
    let (who_s, mut rest) = clause.split_at(ops_at);
    let mut who = 0;
    for c in who_s.chars() {
        who |= match c {
            'u' => USER,
            'g' => GROUP,
            'o' => OTHER,
            'a' => ALL,
            _ => return None,
        };
    }
    // No one named: everyone (the umask is 0 here, as in mkdir(1)).
    let who_given = who != 0;
    if !who_given {
        who = ALL;
    }
    while let Some(op) = rest.chars().next() {
        if !matches!(op, '+' | '-' | '=') {
            return None;
        }
        rest = &rest[1..];
        let end = rest.find(['+', '-', '=']).unwrap_or(rest.len());
        let (perms_s, after) = rest.split_at(end);
        rest = after;
        let mut perm = 0;
        for c in perms_s.chars() {
            perm |= match c {
                'r' => 0o444,
                'w' => 0o222,
                'x' => 0o111,
                // Directories are what mkdir makes: X is x.
                'X' => 0o111,
                's' => S_ISUID | S_ISGID,
                't' => S_ISVTX,
                'u' => copy(m >> 6 & 7),
                'g' => copy(m >> 3 & 7),
                'o' => copy(m & 7),
                _ => return None,
            };
        }
        // As setmode(3): `t` counts unless only "o" is named; `s` goes to
        // the set-id bits of whoever is named.
        let sticky = if !who_given || who & !OTHER != 0 {
            S_ISVTX
        } else {
            0
        };
        let bits = perm & (who | sticky);
        m = match op {
            '+' => m | bits,
            '-' => m & !bits,
            _ => (m & !((who & !S_ISVTX) | sticky)) | bits,
        };
    }
    Some(m)
}

/// Permission bits `p` (rwx as 0-7) copied to user, group and other.
fn copy(p: u32) -> u32 {
    p << 6 | p << 3 | p
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn octal_and_symbolic_as_chmod() {
        assert_eq!(apply("755", 0o777), Some(0o755));
        assert_eq!(apply("1777", 0o777), Some(0o1777));
        assert_eq!(apply("0700", 0o777), Some(0o700));
        assert_eq!(apply("u=rwx,go=rx", 0o777), Some(0o755));
        assert_eq!(apply("go-w", 0o777), Some(0o755));
        assert_eq!(apply("a=rX", 0o777), Some(0o555));
        assert_eq!(apply("o=", 0o777), Some(0o770));
        assert_eq!(apply("+t", 0o777), Some(0o1777));
        assert_eq!(apply("g+s", 0o755), Some(0o2755));
        assert_eq!(apply("u=rw,g=u", 0o777), Some(0o667));
        assert_eq!(apply("u-w+x", 0o644), Some(0o544));
        for bad in ["", "8", "77777", "z+w", "u+q", "rwx", "u"] {
            assert_eq!(apply(bad, 0o777), None, "{bad}");
        }
    }
}
