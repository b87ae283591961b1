//! The ABI's numbers are named, never written (issue #16): a walk over the
//! workspace's Rust sources that finds, outside `netbsd_abi`, a system-call
//! number written as a literal where a call is made or registered, a local
//! `SYS_`/errno constant or `Errno(<number>)`, and a local redefinition of
//! a constant `netbsd_abi` has.
//!
//! A line may keep a literal when the code is about the number itself: a
//! `// abi-literal: <why>` comment on that line, or in the comment lines
//! right above it, says so.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Folders not walked: the ABI crate itself, build output, the fuzz crate.
const SKIPPED: &[&str] = &["netbsd_abi", "target", "fuzz", ".git"];

/// Folders whose findings are reported but do not fail the check, each
/// with the reason: none; every crate names its ABI numbers.
pub const ALLOWED: &[(&str, &str)] = &[];

/// The marker that lets a line keep a literal.
const MARKER: &str = "// abi-literal:";

/// One literal the check objects to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The file, relative to the workspace root.
    pub file: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// What was found.
    pub what: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.what)
    }
}

/// The names the ABI crate defines: its constants and its errno names.
pub struct AbiNames {
    consts: HashSet<String>,
    errnos: HashSet<String>,
}

impl AbiNames {
    /// Collect the names from `netbsd_abi/src/{consts,errno}.rs`.
    pub fn load(abi_src: &Path) -> std::io::Result<AbiNames> {
        let consts = std::fs::read_to_string(abi_src.join("consts.rs"))?;
        let errno = std::fs::read_to_string(abi_src.join("errno.rs"))?;
        Ok(AbiNames::from_sources(&consts, &errno))
    }

    /// The names declared `pub const NAME:` in the two generated files.
    pub fn from_sources(consts: &str, errno: &str) -> AbiNames {
        let names = |text: &str| -> HashSet<String> {
            text.lines()
                .filter_map(|l| l.trim_start().strip_prefix("pub const "))
                .filter_map(|l| l.split(':').next())
                .map(str::to_owned)
                .collect()
        };
        AbiNames {
            consts: names(consts),
            errnos: names(errno),
        }
    }
}

/// `text` with comments and the contents of string and character literals
/// replaced by spaces, byte for byte, so that offsets and lines still match.
pub(crate) fn code_only(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in out.iter_mut().take(to.min(b.len())).skip(from) {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let prev_ident = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| i + p);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
                blank(&mut out, i, end);
                i = end;
            }
            b'r' if !prev_ident && matches!(b.get(i + 1), Some(b'"' | b'#')) => {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let start = i + 2 + hashes;
                let end = text[start..].find(&close).map_or(b.len(), |p| start + p);
                blank(&mut out, start, end);
                i = end + close.len();
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i + 1, j);
                i = j + 1;
            }
            b'\'' => {
                // A character literal ('x', '\n', '"'), or a lifetime.
                let rest = &text[i + 1..];
                let len = if let Some(escaped) = rest.strip_prefix('\\') {
                    // The escaped character itself may be a quote.
                    escaped.get(1..).and_then(|e| e.find('\'')).map(|p| p + 2)
                } else {
                    rest.chars()
                        .next()
                        .map(char::len_utf8)
                        .filter(|&n| rest.as_bytes().get(n) == Some(&b'\''))
                };
                match len {
                    Some(n) => {
                        blank(&mut out, i + 1, i + 1 + n);
                        i += n + 2;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    out
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The identifier that ends just before `end`.
fn ident_before(code: &[u8], end: usize) -> &str {
    let start = code[..end]
        .iter()
        .rposition(|&c| !is_ident(c))
        .map_or(0, |p| p + 1);
    std::str::from_utf8(&code[start..end]).unwrap_or("")
}

/// The numeric literal (digits, hex, `_`, a type suffix) at `at`, if one
/// starts there.
fn number_at(code: &[u8], at: usize) -> Option<&str> {
    if !code.get(at)?.is_ascii_digit() {
        return None;
    }
    let end = code[at..]
        .iter()
        .position(|&c| !is_ident(c))
        .map_or(code.len(), |p| at + p);
    std::str::from_utf8(&code[at..end]).ok()
}

fn skip_space(code: &[u8], mut at: usize) -> usize {
    while code.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// Whether an expression is made of numeric literals and operators only.
fn literal_expr(e: &str) -> bool {
    let e = e.trim();
    let mut has_digit = false;
    let mut chars = e.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c.is_ascii_digit() {
            has_digit = true;
            // The rest of the literal, suffix included (0x1f, 1_000u32).
            let end = e[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(e.len(), |p| at + p);
            while chars.peek().is_some_and(|&(i, _)| i < end) {
                chars.next();
            }
        } else if !" \t\n|&<>+-*!()^~".contains(c) {
            return false;
        }
    }
    has_digit
}

/// The findings in one file's text.
pub fn scan_text(file: &Path, text: &str, names: &AbiNames) -> Vec<Finding> {
    let code = code_only(text);
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |at: usize| line_starts.partition_point(|&s| s <= at);
    let lines: Vec<&str> = text.lines().collect();
    let exempt = |line: usize| {
        let Some(own) = lines.get(line - 1) else {
            return false;
        };
        if own.contains(MARKER) {
            return true;
        }
        lines[..line - 1]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with("//"))
            .any(|l| l.contains(MARKER))
    };
    let mut found = Vec::new();
    let mut report = |at: usize, what: String| {
        let line = line_of(at);
        if !exempt(line) {
            found.push(Finding {
                file: file.to_owned(),
                line,
                what,
            });
        }
    };

    for (at, &c) in code.iter().enumerate() {
        if c != b'(' {
            continue;
        }
        let callee = ident_before(&code, at);
        let arg = skip_space(&code, at + 1);
        let Some(num) = number_at(&code, arg) else {
            continue;
        };
        if callee.ends_with("syscall") || callee == "sys" {
            report(at, format!("system call {num} by number in {callee}(...)"));
        } else if callee == "Errno" {
            report(at, format!("Errno({num}): name the errno"));
        } else if callee.is_empty() {
            // A table row (123, "name", handler).
            let comma = skip_space(&code, arg + num.len());
            if code.get(comma) != Some(&b',') {
                continue;
            }
            let q = skip_space(&code, comma + 1);
            let Some(close) = text[q + 1..].find('"').map(|p| q + 1 + p) else {
                continue;
            };
            let name = &text[q + 1..close];
            let after = skip_space(&code, close + 1);
            let row = code.get(q) == Some(&b'"')
                && !name.is_empty()
                && name.bytes().all(is_ident)
                && code.get(after) == Some(&b',')
                && code
                    .get(skip_space(&code, after + 1))
                    .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_');
            if row {
                report(
                    at,
                    format!("system call {num} by number in a table row ({name})"),
                );
            }
        }
    }

    // `const NAME: T = <literal>;`
    let code_text = String::from_utf8_lossy(&code);
    for (at, _) in code_text.match_indices("const ") {
        if at > 0 && is_ident(code[at - 1]) {
            continue;
        }
        let rest = &code_text[at + "const ".len()..];
        let Some(colon) = rest.find(':') else {
            continue;
        };
        let name = rest[..colon].trim();
        if rest[colon + 1..].starts_with(':') || name.is_empty() || !name.bytes().all(is_ident) {
            continue;
        }
        let Some(eq) = rest.find('=') else { continue };
        let Some(semi) = rest.find(';') else { continue };
        if eq > semi || colon > eq || !literal_expr(&rest[eq + 1..semi]) {
            continue;
        }
        if name.starts_with("SYS_") {
            report(
                at,
                format!("const {name}: a system-call number written out"),
            );
        } else if names.errnos.contains(name) {
            report(at, format!("const {name}: an errno written out"));
        } else if names.consts.contains(name) {
            report(at, format!("const {name}: netbsd_abi::{name} written out"));
        }
    }
    found.sort_by_key(|f| f.line);
    found
}

/// Every `*.rs` file under `root`, the top-level folders in `skipped` and
/// every `target` folder left out.
pub(crate) fn rust_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<PathBuf>,
    skipped: &[&str],
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            let top = path.parent() == Some(root);
            if !(top && (skipped.contains(&name) || name == ".git")) && name != "target" {
                rust_files(root, &path, out, skipped)?;
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// The findings in every Rust file of the workspace at `root`.
pub fn scan(root: &Path) -> std::io::Result<Vec<Finding>> {
    let names = AbiNames::load(&root.join("netbsd_abi/src"))?;
    let mut files = Vec::new();
    rust_files(root, root, &mut files, SKIPPED)?;
    files.sort();
    let mut found = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path)?;
        let rel = path.strip_prefix(root).unwrap_or(&path);
        found.extend(scan_text(rel, &text, &names));
    }
    Ok(found)
}

/// The entry of [`ALLOWED`] that covers `file`, if one does.
pub fn allowed(file: &Path) -> Option<&'static (&'static str, &'static str)> {
    let f = file.to_string_lossy();
    ALLOWED.iter().find(|(dir, _)| f.starts_with(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> AbiNames {
        AbiNames::from_sources(
            "pub const O_CREAT: i32 = 512;\npub const CTLFLAG_READWRITE: i32 = 112;\n",
            "    pub const EPERM: i32 = 1;\n    pub const ENOENT: Errno = Errno(raw::ENOENT);\n",
        )
    }

    fn whats(src: &str) -> Vec<(usize, String)> {
        scan_text(Path::new("x.rs"), src, &names())
            .into_iter()
            .map(|f| (f.line, f.what))
            .collect()
    }

    #[test]
    fn finds_numbers_in_calls_rows_and_constants() {
        let src = "fn f() {\n    c.syscall(394, &[2, 2, 0], &m);\n    k.register_syscall(\n        20,\n        \"getpid\",\n        h,\n    );\n    let t = &[(3, \"read\", desc::sys_read)];\n    s.sys(  54, &[]);\n    Err(Errno(2))\n}\nconst SYS_READ: u32 = 3;\npub const EPERM: i32 = 1;\nconst CTLFLAG_READWRITE: u32 = 0x70;\nconst O_CREAT: i32 = 0x200 | 0;\n";
        let got = whats(src);
        let lines: Vec<usize> = got.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [2, 3, 8, 9, 10, 12, 13, 14, 15], "{got:#?}");
        assert!(got[0].1.contains("394"));
        assert!(got[2].1.contains("read"));
        assert!(got[5].1.contains("SYS_READ"));
        assert!(got[6].1.contains("errno"));
        assert!(got[7].1.contains("netbsd_abi::CTLFLAG_READWRITE"));
    }

    #[test]
    fn named_values_comments_strings_and_marked_lines_pass() {
        let src = "// c.syscall(394, ...) in a comment\n/* Errno(2) */\nfn f() {\n    c.syscall(netbsd_abi::SYS_socket, &[]);\n    let s = \"syscall(3\";\n    let r = [(3, \"three words\", 1)];\n    let q = ('(', \"x\");\n    p(0, \"x\", y);\n}\nconst O_CREAT: i32 = netbsd_abi::O_CREAT;\nconst OTHER: i32 = 5;\nconst EPERM: Errno = Errno::EPERM;\n// abi-literal: the test is about number 3 itself\nconst SYS_READ: usize = 3;\nconst SYS_WRITE: usize = 4; // abi-literal: so is this\n";
        assert_eq!(whats(src), []);
    }

    /// An allowed folder that does not exist would allow nothing but
    /// hide a typo.
    #[test]
    fn allowed_folders_exist() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for (dir, _) in ALLOWED {
            assert!(root.join(dir).is_dir(), "{dir} is not a folder");
        }
    }

    #[test]
    fn lifetimes_and_raw_strings_do_not_hide_code() {
        let src = "fn f<'a>(x: &'a str) {\n    let _ = r#\"syscall(1\"#;\n    c.syscall(3, &[]);\n    let _ = ('\\'', '\\n', '\"');\n    c.syscall(4, &[]);\n}\n";
        let got = whats(src);
        let lines: Vec<usize> = got.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [3, 5], "{got:?}");
    }

    /// Outside the allowed kernel folders, no ABI number is written out;
    /// inside them the count per folder is printed (run with
    /// `--nocapture`) until their conversion lands.
    #[test]
    fn workspace_names_its_abi_numbers() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let found = scan(&root).unwrap();
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        let mut failing = Vec::new();
        for f in &found {
            match allowed(&f.file) {
                Some((dir, _)) => *counts.entry(dir).or_default() += 1,
                None => failing.push(f.to_string()),
            }
        }
        for (dir, why) in ALLOWED {
            let n = counts.get(dir).copied().unwrap_or(0);
            println!("allowed for now: {dir}: {n} ({why})");
        }
        for f in found.iter().filter(|f| allowed(&f.file).is_some()) {
            println!("  {f}");
        }
        assert!(
            failing.is_empty(),
            "ABI numbers written as literals (name them from netbsd_abi, or mark a test \
             about the number itself with `{MARKER} <why>`):\n{}",
            failing.join("\n")
        );
    }
}
