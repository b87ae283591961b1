//! Build manifests: which build each kernel crate in an image comes from.
//!
//! Rust types are only compatible within one build, so every image that
//! joins a kernel (the program that booted it, each component library
//! loaded later) carries a manifest made by `rump_buildinfo` from its
//! crates' own build scripts: a summary for people, then one `crate=hash`
//! per kernel crate linked into it. Two images may share a kernel when
//! every crate they both contain has the same hash; the kernel keeps the
//! union of what has joined it, so two libraries that each carry their own
//! copy of the VFS faction must agree with each other too.

use std::collections::BTreeMap;

/// The manifest of the kernel crates linked into this image below the
/// program: `rump` and the hypercall layer.
pub const BUILD_MANIFEST: &str = env!("RUMP_BUILD_MANIFEST");

/// A parsed manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildManifest {
    /// Compiler, target and profile, for messages.
    summary: String,
    /// Kernel crate name to its build hash.
    crates: BTreeMap<String, String>,
}

/// Why a manifest is not one `rump_buildinfo` writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedManifest(pub String);

impl std::fmt::Display for MalformedManifest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed build manifest {:?}", self.0)
    }
}

impl BuildManifest {
    /// Parse `summary; crate=hash crate=hash ...`. Every manifest of a
    /// kernel image names `rump`.
    pub fn parse(text: &str) -> Result<BuildManifest, MalformedManifest> {
        let bad = || MalformedManifest(text.to_owned());
        let (summary, list) = text.split_once("; ").ok_or_else(bad)?;
        let mut crates = BTreeMap::new();
        for entry in list.split(' ') {
            let (name, hash) = entry.split_once('=').ok_or_else(bad)?;
            if name.is_empty() || hash.is_empty() || crates.contains_key(name) {
                return Err(bad());
            }
            crates.insert(name.to_owned(), hash.to_owned());
        }
        if !crates.contains_key("rump") {
            return Err(bad());
        }
        Ok(BuildManifest {
            summary: summary.to_owned(),
            crates,
        })
    }

    /// The manifest of this image's `rump` and `rumpuser`.
    pub fn of_base() -> BuildManifest {
        BuildManifest::parse(BUILD_MANIFEST).expect("rump_buildinfo wrote rump's manifest")
    }

    /// The first crate both contain with different builds: `(name, ours,
    /// theirs)`.
    pub fn conflict<'a>(&'a self, other: &'a BuildManifest) -> Option<(&'a str, &'a str, &'a str)> {
        self.crates.iter().find_map(|(name, ours)| {
            let theirs = other.crates.get(name)?;
            (theirs != ours).then_some((name.as_str(), ours.as_str(), theirs.as_str()))
        })
    }

    /// Add `other`'s crates. Call only after [`BuildManifest::conflict`]
    /// found none.
    pub fn merge(&mut self, other: &BuildManifest) {
        for (name, hash) in &other.crates {
            self.crates
                .entry(name.clone())
                .or_insert_with(|| hash.clone());
        }
    }

    /// Whether this manifest names `krate`.
    pub fn contains(&self, krate: &str) -> bool {
        self.crates.contains_key(krate)
    }
}

impl std::fmt::Display for BuildManifest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{};", self.summary)?;
        for (name, hash) in &self.crates {
            write!(f, " {name}={hash}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_build_has_a_manifest_naming_the_base() {
        let m = BuildManifest::of_base();
        assert!(m.contains("rump") && m.contains("rumpuser"), "{m}");
        assert_eq!(m.to_string(), BUILD_MANIFEST);
    }

    #[test]
    fn shared_crates_must_agree_and_others_join() {
        let host = BuildManifest::parse("r x; rump=1 rumpuser=2 rumpvfs=3").unwrap();
        let same = BuildManifest::parse("r x; rump=1 rumpfs_tmpfs=4 rumpvfs=3").unwrap();
        let other = BuildManifest::parse("r y; rump=1 rumpvfs=9").unwrap();
        assert_eq!(host.conflict(&same), None);
        assert_eq!(host.conflict(&other), Some(("rumpvfs", "3", "9")));
        let mut all = host.clone();
        all.merge(&same);
        assert_eq!(
            all.to_string(),
            "r x; rump=1 rumpfs_tmpfs=4 rumpuser=2 rumpvfs=3"
        );
    }

    #[test]
    fn malformed_manifests_are_named() {
        for text in [
            "",
            "no list",
            "r x; rumpvfs=3",
            "r x; rump=1 rump=1",
            "r x; rump",
        ] {
            assert!(BuildManifest::parse(text).is_err(), "{text:?}");
        }
    }
}
