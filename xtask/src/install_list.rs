//! What an install prefix holds, read from `install.tsv` at the workspace
//! root: the one list of installed programs and libraries, which the server
//! tests also lay out their prefix from.

use anyhow::{Result, bail};

/// One installed file.
#[derive(Debug, PartialEq, Eq)]
pub struct Installed {
    /// The directory under the prefix (`bin`, `lib`).
    pub dir: &'static str,
    /// The cargo package that builds it.
    pub package: &'static str,
    /// The file cargo builds, in `target/PROFILE`.
    pub built: &'static str,
    /// The name it is installed as (`rump.halt`).
    pub name: &'static str,
}

/// The table's text.
const TABLE: &str = include_str!("../../install.tsv");

/// Every installed file, in the table's order.
pub fn entries() -> Result<Vec<Installed>> {
    parse(TABLE)
}

fn parse(table: &'static str) -> Result<Vec<Installed>> {
    let mut out = Vec::new();
    for (n, line) in table.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split('\t').collect::<Vec<_>>()[..] {
            [dir @ ("bin" | "lib"), package, built, name]
                if !package.is_empty() && !built.is_empty() && !name.is_empty() =>
            {
                out.push(Installed {
                    dir,
                    package,
                    built,
                    name,
                })
            }
            _ => bail!(
                "install.tsv line {}: want `bin|lib<TAB>package<TAB>built file<TAB>installed name`, got {line:?}",
                n + 1
            ),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_names_each_installed_file_once() {
        let all = entries().unwrap();
        assert!(
            all.iter()
                .any(|e| e.name == "rump.halt" && e.package == "rump_halt")
        );
        assert!(
            all.iter()
                .any(|e| e.name == "librumpnet_shmif.so" && e.dir == "lib")
        );
        for e in &all {
            let same = all.iter().filter(|o| o.dir == e.dir && o.name == e.name);
            assert_eq!(same.count(), 1, "{e:?}");
        }
    }

    #[test]
    fn a_malformed_line_is_named() {
        let err = parse("# c\nbin\trump_halt\trump_halt\n").unwrap_err();
        assert!(err.to_string().starts_with("install.tsv line 2:"), "{err}");
        assert!(parse("etc\ta\tb\tc\n").is_err());
    }
}
