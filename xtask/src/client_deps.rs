//! Remote clients reach a kernel through the sysproxy protocol and the ABI
//! crate, never by linking the kernel base (DESIGN.md, "Layering"): so a
//! kernel edit does not rebuild them. `cargo xtask client-deps` fails when
//! the normal dependencies of a client crate contain `rump` (every kernel
//! crate above the base depends on it, so this catches them all); a test
//! runs the same check.

use crate::install_list;
use anyhow::{Context, Result, bail};
use std::process::Command;

/// The kernel base's package name.
const KERNEL_BASE: &str = "rump";

/// The client crates: the client library, the protocol and the hijack
/// library, and the package of every installed `rump.*` tool.
pub fn clients() -> Result<Vec<&'static str>> {
    let mut out = vec!["rumpclient", "sysproxy", "rumphijack", "rumpclient_capi"];
    for e in install_list::entries()? {
        if e.name.starts_with("rump.") && !out.contains(&e.package) {
            out.push(e.package);
        }
    }
    Ok(out)
}

/// Whether a `cargo tree --prefix none --format {p}` listing names `package`.
fn lists(tree: &str, package: &str) -> bool {
    tree.lines()
        .any(|l| l.split_whitespace().next() == Some(package))
}

fn tree(cargo: &dyn Fn() -> Command, args: &[&str]) -> Result<String> {
    let mut c = cargo();
    c.arg("tree").args(["-e", "normal"]).args(args);
    let out = c.output().with_context(|| format!("running {c:?}"))?;
    if !out.status.success() {
        bail!(
            "{c:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Check every client crate; the error names each that links the base and
/// how.
pub fn check(cargo: &dyn Fn() -> Command) -> Result<()> {
    let mut wrong = Vec::new();
    for client in clients()? {
        let listing = tree(
            cargo,
            &["-p", client, "--prefix", "none", "--format", "{p}"],
        )?;
        if lists(&listing, KERNEL_BASE) {
            let how = tree(cargo, &["-p", client, "-i", KERNEL_BASE])?;
            wrong.push(format!("{client} links the kernel base:\n{how}"));
        }
    }
    if !wrong.is_empty() {
        bail!(
            "{}remote clients must reach a kernel through sysproxy and netbsd_abi only",
            wrong.concat()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_is_found_in_a_listing_and_not_in_its_neighbours() {
        let with = "rump_sysctl v0.1.0 (/w/rump_sysctl)\nrump v0.1.0 (/w/rump)\nrumpuser v0.1.0 (/w/rumpuser)\n";
        let without = "rump_sysctl v0.1.0 (/w/rump_sysctl)\nrumpuser v0.1.0 (/w/rumpuser)\nrumpclient v0.1.0 (/w/rumpclient) (*)\n";
        assert!(lists(with, KERNEL_BASE));
        assert!(!lists(without, KERNEL_BASE));
    }

    #[test]
    fn every_installed_tool_is_a_client() {
        let c = clients().unwrap();
        for p in [
            "rumpclient",
            "rumphijack",
            "rump_halt",
            "rump_sysctl",
            "rump_mount",
            "rump_nettools",
        ] {
            assert!(c.contains(&p), "{p} in {c:?}");
        }
        assert!(!c.contains(&"rump_server"), "{c:?}");
    }

    #[test]
    fn no_client_links_the_kernel_base() {
        check(&crate::cargo).unwrap();
    }
}
