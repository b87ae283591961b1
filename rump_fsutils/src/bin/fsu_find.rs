//! `fsu_find`: walk trees in the image and print the paths that match
//! `-name` and `-type`.

use rump_fsutils::session::{Access, Command};
use rump_fsutils::tree::{self, Visit};
use rumpvfs::flags::*;

const USAGE: &str =
    "usage: fsu_find [-o mnt_args] [-t fstype] image [path ...] [-name pattern] [-type c]";

/// `fnmatch(3)` without flags: `*`, `?`, `[...]` (with `!` and ranges)
/// and `\` quoting.
fn fnmatch(pat: &[u8], name: &[u8]) -> bool {
    match pat.first() {
        None => name.is_empty(),
        Some(b'*') => (0..=name.len()).any(|i| fnmatch(&pat[1..], &name[i..])),
        Some(b'?') => !name.is_empty() && fnmatch(&pat[1..], &name[1..]),
        Some(b'[') => {
            let Some((&c, rest)) = name.split_first() else {
                return false;
            };
            let mut i = 1;
            let negate = matches!(pat.get(1), Some(b'!' | b'^'));
            if negate {
                i += 1;
            }
            let mut hit = false;
            let mut first = true;
            while i < pat.len() && (pat[i] != b']' || first) {
                first = false;
                if pat.get(i + 1) == Some(&b'-') && pat.get(i + 2).is_some_and(|&e| e != b']') {
                    hit |= (pat[i]..=pat[i + 2]).contains(&c);
                    i += 3;
                } else {
                    hit |= pat[i] == c;
                    i += 1;
                }
            }
            if i >= pat.len() {
                // No closing bracket: a literal '['.
                return c == b'[' && fnmatch(&pat[1..], rest);
            }
            hit != negate && fnmatch(&pat[i + 1..], rest)
        }
        Some(b'\\') if pat.len() > 1 => {
            name.first() == Some(&pat[1]) && fnmatch(&pat[2..], &name[1..])
        }
        Some(&p) => name.first() == Some(&p) && fnmatch(&pat[1..], &name[1..]),
    }
}

fn type_bits(c: &str) -> Option<u32> {
    Some(match c {
        "f" => S_IFREG,
        "d" => S_IFDIR,
        "l" => S_IFLNK,
        "p" => S_IFIFO,
        "c" => S_IFCHR,
        "b" => S_IFBLK,
        "s" => S_IFSOCK,
        _ => return None,
    })
}

fn main() {
    let cmd = Command::parse_words("fsu_find", USAGE);
    let ops = cmd.args.operands.clone();
    let split = ops
        .iter()
        .position(|o| o.starts_with('-'))
        .unwrap_or(ops.len());
    let mut paths = ops[..split].to_vec();
    if paths.is_empty() {
        paths.push(".".to_string());
    }
    let (mut names, mut types) = (Vec::new(), Vec::new());
    let mut rest = ops[split..].iter();
    while let Some(p) = rest.next() {
        let Some(v) = rest.next() else {
            eprintln!("fsu_find: {p}: requires additional arguments");
            cmd.usage()
        };
        match p.as_str() {
            "-name" => names.push(v.clone()),
            "-type" => types.push(type_bits(v).unwrap_or_else(|| {
                eprintln!("fsu_find: -type: {v}: unknown type");
                std::process::exit(1)
            })),
            "-print" => {
                eprintln!("fsu_find: -print takes no argument; it is the default action");
                std::process::exit(1)
            }
            _ => {
                eprintln!(
                    "fsu_find: {p}: unknown primary or operator (only -name and -type are supported yet)"
                );
                std::process::exit(1)
            }
        }
    }
    let mut s = cmd.mount(Access::ReadOnly);
    let k = s.kernel();
    for root in &paths {
        tree::walk(&k, root, &mut |v| {
            match v {
                Visit::Pre(p, st) => {
                    let trimmed = p.trim_end_matches('/');
                    let base = trimmed
                        .rsplit('/')
                        .next()
                        .filter(|b| !b.is_empty())
                        .unwrap_or(p);
                    let named = names.iter().all(|n| fnmatch(n.as_bytes(), base.as_bytes()));
                    let typed = types.iter().all(|t| st.mode & S_IFMT == *t);
                    if named && typed {
                        println!("{p}");
                    }
                }
                Visit::Error(p, e) => s.warn(p, e),
                Visit::Post(..) => {}
            }
            true
        });
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::fnmatch;

    #[test]
    fn patterns() {
        let m = |p: &str, n: &str| fnmatch(p.as_bytes(), n.as_bytes());
        assert!(m("*.txt", "a.txt") && !m("*.txt", "a.txd"));
        assert!(m("f?le", "file") && !m("f?le", "fle"));
        assert!(m("[a-c]x", "bx") && !m("[!a-c]x", "bx") && m("[!a-c]x", "dx"));
        assert!(m("\\*", "*") && !m("\\*", "a"));
        assert!(m("[]]", "]") && m("[", "["));
    }
}
