//! Files that hold one concept and functions that fit on a screen (issue
//! #19, acceptance 5): a walk over the workspace's Rust sources that finds
//! every file over [`MAX_FILE_LINES`] lines and every function over
//! [`MAX_FN_LINES`] lines, apart from generated tables, declarative tables
//! and the files still waiting for their split (the allow lists below,
//! which only shrink).

use crate::bare_numbers::{code_only, rust_files};
use std::path::{Path, PathBuf};

/// The most lines a source file may have.
pub const MAX_FILE_LINES: usize = 900;

/// The most lines a function may have, from its `fn` line to its closing
/// brace.
pub const MAX_FN_LINES: usize = 150;

/// Files allowed to pass [`MAX_FILE_LINES`], each with the reason.
pub const LONG_FILES: &[(&str, &str)] = &[
    ("netbsd_abi/src/consts.rs", "generated table"),
    ("netbsd_abi/src/layout.rs", "generated table"),
    ("netbsd_abi/src/syscalls.rs", "generated table"),
    ("rumpclient/capi/src/sysimpl.rs", "generated table"),
    ("rump/capi/librump/src/sysimpl.rs", "generated table"),
];

/// Functions allowed to pass [`MAX_FN_LINES`]: (file, function, reason).
/// Declarative tables stay whole, so that a row is found where its
/// neighbours are; the others wait for their owners' split.
pub const LONG_FNS: &[(&str, &str, &str)] = &[
    (
        "rumpnet_netinet/src/sysctl.rs",
        "register",
        "declarative table: the net.inet nodes",
    ),
    (
        "rumpnet_netinet/src/sysctl.rs",
        "register_ip",
        "declarative table: the net.inet.ip nodes",
    ),
];

/// One file or function over its limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Oversize {
    /// The file, relative to the workspace root.
    pub file: PathBuf,
    /// The function's name, or `None` for the file itself.
    pub function: Option<String>,
    /// 1-based line where the file or function starts.
    pub line: usize,
    /// How many lines it has.
    pub lines: usize,
}

impl std::fmt::Display for Oversize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.function {
            Some(name) => write!(
                f,
                "{}:{}: fn {name}: {} lines (limit {MAX_FN_LINES})",
                self.file.display(),
                self.line,
                self.lines
            ),
            None => write!(
                f,
                "{}: {} lines (limit {MAX_FILE_LINES})",
                self.file.display(),
                self.lines
            ),
        }
    }
}

impl Oversize {
    /// The allow-list entry's reason that covers this finding, if one does.
    pub fn allowed(&self) -> Option<&'static str> {
        let file = self.file.to_string_lossy();
        match &self.function {
            None => LONG_FILES
                .iter()
                .find(|(f, _)| *f == file)
                .map(|(_, why)| *why),
            Some(name) => LONG_FNS
                .iter()
                .find(|(f, n, _)| *f == file && n == name)
                .map(|(_, _, why)| *why),
        }
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Every function in `text` as (name, first line, line count). A function
/// runs from its `fn` keyword to the brace that closes its body; one
/// declared without a body (in a trait or an `extern` block) is skipped,
/// and so is the `fn(..)` of a function-pointer type.
pub fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let code = code_only(text);
    let line_of = |at: usize| 1 + code[..at].iter().filter(|&&c| c == b'\n').count();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(p) = find(&code, b"fn ", at) {
        at = p + 3;
        if p > 0 && is_ident(code[p - 1]) {
            continue;
        }
        let name_start = p + 3 + code[p + 3..].iter().take_while(|c| **c == b' ').count();
        let name_len = code[name_start..]
            .iter()
            .take_while(|&&c| is_ident(c))
            .count();
        if name_len == 0 {
            continue;
        }
        let name = String::from_utf8_lossy(&code[name_start..name_start + name_len]).into_owned();
        let Some(open) = body_start(&code, name_start + name_len) else {
            continue;
        };
        let Some(close) = matching_brace(&code, open) else {
            continue;
        };
        let first = line_of(p);
        found.push((name, first, line_of(close) - first + 1));
    }
    found
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// The `{` that opens the body of the function whose signature starts at
/// `from`, or `None` when a `;` ends the declaration first. Brackets are
/// tracked so that `[u8; 4]` in a signature does not end it.
fn body_start(code: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &c) in code.iter().enumerate().skip(from) {
        match c {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'{' if depth == 0 => return Some(i),
            b';' if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

fn matching_brace(code: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &c) in code.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The files and functions of one file's text over their limits.
pub fn scan_text(file: &Path, text: &str) -> Vec<Oversize> {
    let mut found = Vec::new();
    let lines = text.lines().count();
    if lines > MAX_FILE_LINES {
        found.push(Oversize {
            file: file.to_owned(),
            function: None,
            line: 1,
            lines,
        });
    }
    for (name, line, lines) in functions(text) {
        if lines > MAX_FN_LINES {
            found.push(Oversize {
                file: file.to_owned(),
                function: Some(name),
                line,
                lines,
            });
        }
    }
    found
}

/// Every file and function of the workspace at `root` over its limit,
/// allowed or not.
pub fn scan(root: &Path) -> std::io::Result<Vec<Oversize>> {
    let mut files = Vec::new();
    rust_files(root, root, &mut files, &[])?;
    files.sort();
    let mut found = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path)?;
        let rel = path.strip_prefix(root).unwrap_or(&path);
        found.extend(scan_text(rel, &text));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_functions_from_fn_to_closing_brace() {
        let src = "trait T {\n    fn decl(&self) -> [u8; 4];\n}\nfn outer(a: [u8; 2], f: fn(u8) -> u8) -> u8 {\n    // fn in_comment() {}\n    let s = \"fn in_string() {\";\n    fn inner() {\n    }\n    0\n}\nconst F: fn() = g;\n";
        let got = functions(src);
        assert_eq!(
            got,
            [("outer".to_owned(), 4, 7), ("inner".to_owned(), 7, 2)],
            "{got:?}"
        );
    }

    #[test]
    fn reports_long_files_and_functions() {
        let body = "    x();\n".repeat(MAX_FN_LINES - 1);
        let long = format!(
            "fn long() {{\n{body}}}\nfn short() {{\n{}}}\n",
            "    x();\n"
        );
        let got = scan_text(Path::new("a.rs"), &long);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].function.as_deref(), Some("long"));
        assert_eq!(got[0].lines, MAX_FN_LINES + 1);
        let file = "\n".repeat(MAX_FILE_LINES + 1);
        let got = scan_text(Path::new("b.rs"), &file);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].function, None);
        assert!(scan_text(Path::new("c.rs"), &"\n".repeat(MAX_FILE_LINES)).is_empty());
    }

    /// An allowed file that no longer exists, or no longer needs the
    /// allowance, should leave the list.
    #[test]
    fn allow_lists_name_what_exists_and_still_needs_it() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let found = scan(&root).unwrap();
        let needed = |file: &str, function: Option<&str>| {
            found
                .iter()
                .any(|f| f.file.to_string_lossy() == file && f.function.as_deref() == function)
        };
        for (file, _) in LONG_FILES {
            assert!(root.join(file).is_file(), "{file} does not exist");
            assert!(
                needed(file, None),
                "{file} is short now: take it off LONG_FILES"
            );
        }
        for (file, name, _) in LONG_FNS {
            assert!(
                needed(file, Some(name)),
                "{file}: fn {name} is short now (or gone): take it off LONG_FNS"
            );
        }
    }

    /// No file or function over its limit outside the allow lists; the
    /// allowed ones are printed (run with `--nocapture`).
    #[test]
    fn workspace_files_and_functions_fit() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let found = scan(&root).unwrap();
        let mut failing = Vec::new();
        for f in &found {
            match f.allowed() {
                Some(why) => println!("allowed: {f} ({why})"),
                None => failing.push(f.to_string()),
            }
        }
        assert!(
            failing.is_empty(),
            "over the size limits (split along the concepts, or add a declarative \
             table to LONG_FNS with its reason):\n{}",
            failing.join("\n")
        );
    }
}
