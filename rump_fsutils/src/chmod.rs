//! `chmod`'s mode operands: octal, or symbolic clauses
//! (`u+x,go-w`, `a=rX`) as POSIX `chmod` defines them.

use rumpvfs::flags::{S_IFDIR, S_IFMT, S_ISGID, S_ISUID, S_ISVTX};

/// A parsed mode operand, applied to a file's current mode by [`Mode::apply`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// An absolute octal mode.
    Absolute(u32),
    /// Symbolic clauses, applied in order.
    Symbolic(Vec<Clause>),
}

/// One `who op perms` action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    who: u32,
    op: char,
    perms: String,
}

const USER: u32 = 0o4700;
const GROUP: u32 = 0o2070;
const OTHER: u32 = 0o1007;
const ALL: u32 = 0o7777;

impl Mode {
    /// Parse `s`; `None` for an invalid mode.
    pub fn parse(s: &str) -> Option<Mode> {
        if !s.is_empty() && s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            let m = u32::from_str_radix(s, 8).ok()?;
            return (m <= ALL).then_some(Mode::Absolute(m));
        }
        let mut clauses = Vec::new();
        for part in s.split(',') {
            let split = part.find(['+', '-', '='])?;
            let mut who = 0;
            for c in part[..split].chars() {
                who |= match c {
                    'u' => USER,
                    'g' => GROUP,
                    'o' => OTHER,
                    'a' => ALL,
                    _ => return None,
                };
            }
            // Each further operator starts an action with the same who.
            let mut rest = &part[split..];
            while let Some(op) = rest.chars().next() {
                let end = rest[1..]
                    .find(['+', '-', '='])
                    .map_or(rest.len(), |e| e + 1);
                let perms = &rest[1..end];
                if !perms.chars().all(|c| "rwxXstugo".contains(c)) {
                    return None;
                }
                clauses.push(Clause {
                    who,
                    op,
                    perms: perms.to_string(),
                });
                rest = &rest[end..];
            }
        }
        (!clauses.is_empty()).then_some(Mode::Symbolic(clauses))
    }

    /// The new permission bits for a file of mode `old`; `umask` limits
    /// clauses that name no one, as POSIX says.
    pub fn apply(&self, old: u32, umask: u32) -> u32 {
        let clauses = match self {
            Mode::Absolute(m) => return *m,
            Mode::Symbolic(c) => c,
        };
        let mut mode = old & ALL;
        for c in clauses {
            let (who, mask) = if c.who == 0 {
                (ALL, !umask & ALL)
            } else {
                (c.who, ALL)
            };
            let mut bits = 0;
            for p in c.perms.chars() {
                bits |= match p {
                    'r' => 0o444,
                    'w' => 0o222,
                    'x' => 0o111,
                    'X' if old & S_IFMT == S_IFDIR || mode & 0o111 != 0 => 0o111,
                    'X' => 0,
                    's' => S_ISUID | S_ISGID,
                    't' => S_ISVTX,
                    'u' => copy_class((mode >> 6) & 7),
                    'g' => copy_class((mode >> 3) & 7),
                    _ => copy_class(mode & 7),
                };
            }
            let bits = bits & who & mask;
            mode = match c.op {
                '+' => mode | bits,
                '-' => mode & !bits,
                _ => (mode & !who) | bits,
            };
        }
        mode
    }
}

/// Permission bits `rwx` copied to all three classes.
fn copy_class(rwx: u32) -> u32 {
    rwx | (rwx << 3) | (rwx << 6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumpvfs::flags::S_IFREG;

    fn apply(m: &str, old: u32) -> u32 {
        Mode::parse(m).unwrap().apply(S_IFREG | old, 0o022)
    }

    #[test]
    fn octal_and_symbolic_modes() {
        assert_eq!(apply("755", 0o600), 0o755);
        assert_eq!(apply("u+x", 0o644), 0o744);
        assert_eq!(apply("go-r", 0o644), 0o600);
        assert_eq!(apply("a=rw", 0o755), 0o666);
        assert_eq!(apply("+x", 0o644), 0o755);
        assert_eq!(apply("u=rwx,g=rx,o=", 0o000), 0o750);
        assert_eq!(apply("a+X", 0o644), 0o644);
        assert_eq!(apply("a+X", 0o744), 0o755);
        assert_eq!(apply("u+s", 0o755), 0o4755);
        assert_eq!(apply("g=u", 0o640), 0o660);
        for bad in ["", "8", "77777", "q+x", "u+z", "u"] {
            assert_eq!(Mode::parse(bad), None, "{bad}");
        }
    }
}
