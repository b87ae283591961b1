//! Time and randomness come from the kernel (issue #19): outside `rumpuser`
//! and the kernel's own clock and random modules, no code reads the host's
//! clock or entropy or spins on the host's scheduler, so that a kernel on a
//! manual clock drives every timer and a test of a long timeout is quick.

use std::path::{Path, PathBuf};

/// What only the kernel's services may call: built from pieces so that
/// this file does not name them itself.
fn host_services() -> [String; 3] {
    [
        ["rumpuser", "::clock_"].concat(),
        ["rumpuser", "::random_fill"].concat(),
        ["yield", "_now"].concat(),
    ]
}

/// The files that are those services.
const SERVICES: &[&str] = &["rump/src/clock.rs", "rump/src/cprng.rs", "rump/src/rnd.rs"];

/// Each line outside `rumpuser` and [`SERVICES`] that calls the host's
/// clock, entropy or scheduler directly: (file, line number, line).
pub fn scan(root: &Path) -> std::io::Result<Vec<(PathBuf, usize, String)>> {
    let mut files = Vec::new();
    crate::bare_numbers::rust_files(root, root, &mut files, &["rumpuser"])?;
    files.sort();
    let banned = host_services();
    let mut found = Vec::new();
    for path in files {
        let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        if SERVICES.iter().any(|s| rel == Path::new(s)) {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        for (i, line) in text.lines().enumerate() {
            if banned.iter().any(|b| line.contains(b.as_str())) {
                found.push((rel.clone(), i + 1, line.trim().to_owned()));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_services_named_exist() {
        for s in SERVICES {
            assert!(crate::root().join(s).is_file(), "{s} is gone");
        }
    }

    #[test]
    fn only_the_kernel_reads_the_hosts_clock_and_entropy() {
        let found = scan(&crate::root()).unwrap();
        let lines: Vec<String> = found
            .iter()
            .map(|(f, n, l)| format!("{}:{n}: {l}", f.display()))
            .collect();
        assert!(
            lines.is_empty(),
            "use the kernel's clock (Kernel::clock) and random service (cprng, rnd) instead:\n{}",
            lines.join("\n")
        );
    }
}
