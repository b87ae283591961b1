//! The manual pages against the code: every installed program and library
//! has one, each documents exactly the options its program's usage text
//! lists, and each renders without a warning.

use super::{PAGES, Page};
use crate::{install_list, root};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn man_dir() -> PathBuf {
    root().join("docs/man")
}

fn text(p: &Page) -> String {
    let path = man_dir().join(p.file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines of section `name` (`.Sh name` up to the next `.Sh`).
fn section<'a>(page: &'a str, name: &str) -> Vec<&'a str> {
    let mut lines = page
        .lines()
        .skip_while(|l| l.strip_prefix(".Sh ") != Some(name));
    if lines.next().is_none() {
        return Vec::new();
    }
    lines.take_while(|l| !l.starts_with(".Sh ")).collect()
}

fn section_names(page: &str) -> Vec<&str> {
    page.lines()
        .filter_map(|l| l.strip_prefix(".Sh "))
        .collect()
}

/// The argument of each `Fl` macro on the given mdoc lines.
fn flags<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    for l in lines.iter().filter(|l| l.starts_with('.')) {
        let words: Vec<&str> = l[1..].split_whitespace().collect();
        for w in words.windows(2) {
            if w[0] == "Fl" {
                out.push(w[1]);
            }
        }
    }
    out
}

/// The options a page's DESCRIPTION lists, one `.It Fl x` item each.
fn listed_options<'a>(description: &[&'a str]) -> BTreeSet<&'a str> {
    description
        .iter()
        .filter_map(|l| l.strip_prefix(".It Fl "))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect()
}

/// Read a Rust string literal starting just after its opening quote, with
/// the escapes usage texts use; returns the text and what follows it.
fn literal(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &s[i + 1..]),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, '\n')) => {
                    // A continued line: the next line's indentation goes.
                    let rest = chars.as_str();
                    let skip = rest.len() - rest.trim_start().len();
                    for _ in 0..rest[..skip].chars().count() {
                        chars.next();
                    }
                }
                Some((_, other)) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    (out, "")
}

/// A program's usage text, from its source: the string literal that starts
/// with `usage:` (or `Usage:`), and the literals of the `eprintln!` lines
/// right after it, which continue it.
fn usage_text(source: &str) -> Option<String> {
    let at = source
        .find("\"usage:")
        .or_else(|| source.find("\"Usage:"))?;
    let (mut usage, rest) = literal(&source[at + 1..]);
    let mut lines = rest.lines();
    lines.next(); // the rest of the literal's own line
    for l in lines {
        let Some(more) = l.trim_start().strip_prefix("eprintln!(\"") else {
            break;
        };
        usage.push('\n');
        usage.push_str(&literal(more).0);
    }
    Some(usage)
}

/// The option words of a usage text: `-x`, `-xyz` or `-word` where a word
/// starts (after a space, a bracket or a bar), without the dash.
fn usage_options(usage: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = usage.as_bytes();
    for (i, _) in usage.match_indices('-') {
        let starts = i == 0 || matches!(bytes[i - 1], b' ' | b'[' | b'|' | b'\t' | b'\n');
        let word: &str = usage[i + 1..]
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or("");
        if starts && !word.is_empty() {
            out.push(word);
        }
        // rndctl's "-[L|S] file": one of the options in the brackets.
        if starts && usage[i + 1..].starts_with('[') {
            let inside = usage[i + 2..].split(']').next().unwrap_or("");
            out.extend(inside.split('|').filter(|w| !w.is_empty()));
        }
    }
    out
}

/// Option words as single options: a word the page documents as one
/// option (`-linkstr`) stays whole, any other (`-dneq`) is that many
/// one-letter options.
fn options(words: &[&str], whole: &BTreeSet<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for w in words {
        if whole.contains(w) {
            out.insert(w.to_string());
        } else {
            out.extend(w.chars().map(String::from));
        }
    }
    out
}

/// Compare a page with its program's usage text: the same options in the
/// SYNOPSIS as in the usage, and one DESCRIPTION item for each.
fn check_options(page: &str, usage: &str) -> Result<(), String> {
    let description = section(page, "DESCRIPTION");
    let listed = listed_options(&description);
    let listed_set: BTreeSet<String> = listed.iter().map(|s| s.to_string()).collect();
    let from_usage = options(&usage_options(usage), &listed);
    let synopsis = section(page, "SYNOPSIS");
    let from_synopsis = options(&flags(&synopsis), &listed);
    if from_usage.is_empty() {
        return Err(format!("no options found in the usage text {usage:?}"));
    }
    if from_synopsis != from_usage {
        return Err(format!(
            "SYNOPSIS has options {from_synopsis:?}, the usage text {from_usage:?}"
        ));
    }
    if listed_set != from_usage {
        return Err(format!(
            "DESCRIPTION lists options {listed_set:?}, the usage text has {from_usage:?}"
        ));
    }
    Ok(())
}

#[test]
fn every_installed_program_and_library_has_a_page() {
    let installed = install_list::entries().unwrap();
    for name in installed.iter().filter(|e| e.dir == "bin").map(|e| &e.name) {
        assert!(
            PAGES.iter().any(|p| p.names.contains(name)),
            "no manual page names {name}"
        );
    }
    let all: Vec<String> = PAGES.iter().map(text).collect();
    for lib in installed.iter().filter(|e| e.dir == "lib").map(|e| e.name) {
        let named = |t: &String| t.lines().any(|l| l.starts_with(&format!(".Pa {lib}")));
        assert!(all.iter().any(named), "no manual page names {lib}");
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(man_dir())
        .expect("docs/man")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = PAGES.iter().map(|p| p.file.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "docs/man and man::PAGES differ");
}

#[test]
fn pages_name_what_they_document() {
    for p in PAGES {
        let t = text(p);
        let names: Vec<&str> = section(&t, "NAME")
            .iter()
            .filter_map(|l| l.strip_prefix(".Nm "))
            .map(|n| n.trim_end_matches(" ,"))
            .collect();
        assert_eq!(names, p.names, "{}: NAME section", p.file);
        let title = format!(".Dt {} {}", p.names[0].to_uppercase(), p.section());
        assert!(t.lines().any(|l| l == title), "{}: no {title:?}", p.file);
    }
}

#[test]
fn pages_have_the_sections_a_reader_looks_for() {
    for p in PAGES {
        let t = text(p);
        let have = section_names(&t);
        let mut want = vec![
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "EXAMPLES",
            "DIFFERENCES FROM NETBSD",
            "SEE ALSO",
        ];
        // The host-side tools (newfs_ffs, fsck_ffs, shmif_dumpbus) read no
        // variables; everything that talks to a kernel reads RUMP_SERVER.
        if p.names[0].starts_with("rump") {
            want.push("ENVIRONMENT");
        }
        if p.section() != "3" {
            want.push("EXIT STATUS");
        }
        for w in want {
            assert!(have.contains(&w), "{}: no {w} section", p.file);
            assert!(
                section(&t, w).iter().any(|l| !l.trim().is_empty()),
                "{}: {w} is empty",
                p.file
            );
        }
    }
}

#[test]
fn pages_document_exactly_the_options_of_the_usage_text() {
    for p in PAGES {
        let Some(src) = p.usage_in else { continue };
        let path = root().join(src);
        let source =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let usage = usage_text(&source)
            .unwrap_or_else(|| panic!("{src}: no usage text found for {}", p.file));
        if let Err(e) = check_options(&text(p), &usage) {
            panic!("{}: {e}", p.file);
        }
    }
}

#[test]
fn the_option_check_finds_a_missing_or_extra_option() {
    let page = ".Sh SYNOPSIS\n.Nm\n.Op Fl ab\n.Op Fl linkstr\n.Sh DESCRIPTION\n\
                .Bl -tag\n.It Fl a\n.It Fl b\n.It Fl linkstr\n.El\n.Sh SEE ALSO\n";
    assert_eq!(check_options(page, "usage: x [-ab] [-linkstr]"), Ok(()));
    assert!(check_options(page, "usage: x [-abc] [-linkstr]").is_err());
    assert!(check_options(page, "usage: x [-a] [-linkstr]").is_err());
    let undocumented = page.replace(".It Fl b\n", "");
    assert!(check_options(&undocumented, "usage: x [-ab] [-linkstr]").is_err());
}

#[test]
fn usage_texts_are_read_as_the_program_prints_them() {
    let src = "fn usage() {\n    eprintln!(\"usage:\\t{PROG} [-dn] variable ...\");\n    \
               eprintln!(\"\\t{PROG} [-q] -w variable=value\");\n    ExitCode::FAILURE\n}\n\
               const OTHER: &str = \"[-z]\";\n";
    let u = usage_text(src).expect("usage");
    assert_eq!(
        u,
        "usage:\t{PROG} [-dn] variable ...\n\t{PROG} [-q] -w variable=value"
    );
    assert_eq!(usage_options(&u), ["dn", "q", "w"]);
    let continued = "const USAGE: &str = \"usage: t [-F] \\\n    [-B byte-order] x\";";
    let u = usage_text(continued).expect("usage");
    assert_eq!(u, "usage: t [-F] [-B byte-order] x");
    assert_eq!(usage_options(&u), ["F", "B"]);
}

/// A renderer's complaints about `file`, or `None` when it is not installed.
fn complaints(program: &str, args: &[&str], file: &str) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .arg(man_dir().join(file))
        .output()
        .ok()?;
    let mut said = String::from_utf8_lossy(&out.stderr).into_owned();
    // mandoc -T lint reports on stdout.
    said.push_str(&String::from_utf8_lossy(&out.stdout));
    if !out.status.success() && said.is_empty() {
        said = format!("exit status {}", out.status);
    }
    Some(said)
}

#[test]
fn pages_render_without_warnings() {
    let renderers: [(&str, &[&str]); 2] = [
        // What `man -l` runs, with every warning turned on.
        ("groff", &["-mandoc", "-ww", "-z", "-Tutf8"]),
        ("mandoc", &["-T", "lint", "-W", "warning"]),
    ];
    let mut ran = 0;
    for (program, args) in renderers {
        for p in PAGES {
            let Some(said) = complaints(program, args, p.file) else {
                break;
            };
            ran += 1;
            assert!(said.is_empty(), "{program} on {}:\n{said}", p.file);
        }
    }
    if ran == 0 {
        eprintln!(
            "skipped: neither groff nor mandoc is installed (apt-get install groff-base mandoc)"
        );
    }
}

#[test]
fn install_puts_each_page_in_its_section_with_links_for_other_names() {
    let dir = std::env::temp_dir().join(format!("xtask-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    super::install(&man_dir(), &dir).expect("install");
    for p in PAGES {
        for name in p.names {
            let path = dir.join(format!("man{}/{name}.{}", p.section(), p.section()));
            let got = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(got, text(p), "{}", path.display());
        }
    }
    // A second install replaces what the first left.
    super::install(&man_dir(), &dir).expect("install again");
    std::fs::remove_dir_all(&dir).expect("clean up");
}
