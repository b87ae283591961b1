//! File modes as `chmod(1)` and `mkdir -m` take them, after NetBSD's
//! `setmode(3)`/`getmode(3)`: an octal number, or symbolic clauses such
//! as `u=rwx,go-w` or `a+rX`, applied to a starting mode.

const S_ISUID: u32 = netbsd_abi::S_ISUID as u32;
const S_ISGID: u32 = netbsd_abi::S_ISGID as u32;
const S_ISVTX: u32 = netbsd_abi::S_ISVTX as u32;
/// What `a` names (`STANDARD_BITS`: the sticky bit is not among them).
const STANDARD: u32 = S_ISUID | S_ISGID | 0o777;
/// The bits a clause with no one named may set: all, the umask being 0
/// here, as `mkdir -m` applies the mode as given.
const MASK: u32 = 0o7777;

/// One step of a compiled mode (`struct bitcmd`).
#[derive(Clone, Copy, Debug)]
enum Cmd {
    Add(u32),
    Clear(u32),
    /// `X`: add these execute bits if the starting mode has any.
    AddIfExec(u32),
    /// `u`, `g`, `o` as permissions: copy that class's bits (`shift`) to
    /// the classes named, within `bits`, adding and/or clearing.
    Copy {
        shift: u32,
        to: [bool; 3],
        bits: u32,
        set: bool,
        clear: bool,
    },
}

/// `mode` applied to `base`: the new mode, or `None` if `mode` is not a
/// mode (`setmode` returns NULL with EINVAL then).
pub fn apply(mode: &str, base: u32) -> Option<u32> {
    if mode.starts_with(|c: char| c.is_ascii_digit()) {
        let n = u32::from_str_radix(mode, 8).ok()?;
        return (n <= 0o7777).then_some(n);
    }
    Some(run(&compile(mode)?, base))
}

/// `addcmd`: the steps of operator `op` for `who` with `arg` (bits, or
/// the copy's operator).
fn add(cmds: &mut Vec<Cmd>, op: char, who: u32, arg: u32, copy_op: char) {
    let within = if who != 0 { who } else { MASK };
    match op {
        '=' => {
            cmds.push(Cmd::Clear(if who != 0 { who } else { STANDARD }));
            cmds.push(Cmd::Add(within & arg));
        }
        '+' => cmds.push(Cmd::Add(within & arg)),
        '-' => cmds.push(Cmd::Clear(within & arg)),
        'X' => cmds.push(Cmd::AddIfExec(within & arg)),
        _ => {
            let shift = match op {
                'u' => 6,
                'g' => 3,
                _ => 0,
            };
            let (to, bits) = if who != 0 {
                ([who & 0o400 != 0, who & 0o040 != 0, who & 0o004 != 0], !0)
            } else {
                ([true; 3], MASK)
            };
            cmds.push(Cmd::Copy {
                shift,
                to,
                bits,
                set: copy_op != '-',
                clear: copy_op != '+',
            });
        }
    }
}

/// `setmode`'s parser: clauses `[ugoa]*` then operators `[+-=]` each
/// followed by `[rwxXstugo]*`, separated by commas.
fn compile(mode: &str) -> Option<Vec<Cmd>> {
    let b = mode.as_bytes();
    let mut cmds = Vec::new();
    let mut i = 0;
    loop {
        let mut who = 0;
        while let Some(&c) = b.get(i) {
            who |= match c {
                b'a' => STANDARD,
                b'u' => S_ISUID | 0o700,
                b'g' => S_ISGID | 0o070,
                b'o' => 0o007,
                _ => break,
            };
            i += 1;
        }
        loop {
            let op = match b.get(i) {
                Some(b'+') => '+',
                Some(b'-') => '-',
                Some(b'=') => '=',
                _ => return None,
            };
            i += 1;
            let mut equal_done = op != '=';
            who &= !S_ISVTX;
            let (mut perm, mut xbits) = (0, 0);
            loop {
                match b.get(i) {
                    Some(b'r') => perm |= 0o444,
                    Some(b'w') => perm |= 0o222,
                    Some(b'x') => perm |= 0o111,
                    Some(b'X') => xbits = 0o111,
                    // Set-id and sticky bits are not the others' to have.
                    Some(b's') if who == 0 || who & !0o007 != 0 => perm |= S_ISUID | S_ISGID,
                    Some(b't') if who == 0 || who & !0o007 != 0 => {
                        who |= S_ISVTX;
                        perm |= S_ISVTX;
                    }
                    Some(b's' | b't') => {}
                    Some(&c @ (b'u' | b'g' | b'o')) => {
                        if perm != 0 {
                            add(&mut cmds, op, who, perm, op);
                            perm = 0;
                        }
                        if op == '=' {
                            equal_done = true;
                        }
                        if op == '+' && xbits != 0 {
                            add(&mut cmds, 'X', who, xbits, op);
                            xbits = 0;
                        }
                        add(&mut cmds, c as char, who, 0, op);
                    }
                    _ => {
                        if perm != 0 || !equal_done {
                            add(&mut cmds, op, who, perm, op);
                        }
                        if xbits != 0 {
                            add(&mut cmds, 'X', who, xbits, op);
                        }
                        break;
                    }
                }
                i += 1;
            }
            match b.get(i) {
                None => return Some(cmds),
                Some(b',') => {
                    i += 1;
                    break;
                }
                Some(_) => {}
            }
        }
    }
}

/// `getmode`: the compiled steps applied to `base`.
fn run(cmds: &[Cmd], base: u32) -> u32 {
    let mut m = base;
    for c in cmds {
        match *c {
            Cmd::Add(bits) => m |= bits,
            Cmd::Clear(bits) => m &= !bits,
            Cmd::AddIfExec(bits) => {
                if base & 0o111 != 0 {
                    m |= bits;
                }
            }
            Cmd::Copy {
                shift,
                to,
                bits,
                set,
                clear,
            } => {
                let value = (m >> shift) & 7;
                let spread = |v: u32| {
                    (if to[0] { v << 6 } else { 0 })
                        | (if to[1] { v << 3 } else { 0 })
                        | (if to[2] { v } else { 0 })
                };
                if clear {
                    m &= !(spread(if set { 7 } else { value }) & bits);
                }
                if set {
                    m |= spread(value) & bits;
                }
            }
        }
    }
    m
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
        // As NetBSD's setmode: `=` keeps the sticky bit, a copy keeps the
        // set-id bits, and X only ever adds.
        assert_eq!(apply("+t,u=rwx", 0o777), Some(0o1777));
        assert_eq!(apply("u-X", 0o777), Some(0o777));
        assert_eq!(apply("u+s,g=u", 0o755), Some(0o4775));
        assert_eq!(apply("=", 0o1777), Some(0o1000));
        assert_eq!(apply("o+t", 0o755), Some(0o755));
        for bad in ["", "8", "77777", "z+w", "u+q", "rwx", "u"] {
            assert_eq!(apply(bad, 0o777), None, "{bad}");
        }
    }
}
