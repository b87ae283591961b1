//! Run-time components: shared libraries that join an already booted kernel.
//!
//! A component library (`librumpfs_tmpfs.so`) is a `cdylib` made by
//! `rump_capi::export_components!`. The loader opens it
//! through the hypercall layer, refuses it unless it was built against our
//! hypercall interface and every kernel crate it shares with the images
//! already in this kernel comes from the same build (see [`crate::buildinfo`]),
//! collects the components it offers, and attaches them in rounds so that the
//! order libraries are given in does not matter.

use crate::buildinfo::BuildManifest;
use crate::component::{AttachError, ComponentSet};
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::module::ModuleSource;
use crate::sync::lock;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The union of the build manifests of every image that has joined this
/// kernel: the program's (at least its base) and each loaded library's.
struct JoinedBuilds(Mutex<BuildManifest>);

/// Why component libraries could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The library could not be found or opened.
    Open {
        /// The name as given.
        library: String,
        /// Every place that was tried, with the host's reason.
        reason: String,
    },
    /// The library is not a component of this build.
    Refused {
        /// The library's path.
        library: String,
        /// The reason (wrong fingerprint, missing symbols).
        reason: String,
    },
    /// Its components could not attach.
    Attach(AttachError),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Open { library, reason } => write!(f, "cannot load {library}: {reason}"),
            LoadError::Refused { library, reason } => write!(f, "refusing {library}: {reason}"),
            LoadError::Attach(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// The file names tried for `-l NAME`: `NAME` as given, then `libNAME.so`,
/// each in `extra_dirs` and then on the host's library search path.
pub fn candidates(name: &str, extra_dirs: &[PathBuf]) -> Vec<String> {
    let mut names = vec![name.to_owned()];
    if !name.contains('/') && !name.ends_with(".so") {
        names.push(format!("lib{name}.so"));
    }
    let mut out = Vec::new();
    for n in &names {
        if n.contains('/') {
            out.push(n.clone());
            continue;
        }
        for d in extra_dirs {
            let p = d.join(n).to_string_lossy().into_owned();
            if rumpuser::file_info(&p).is_ok() {
                out.push(p);
            }
        }
        out.push(n.clone());
    }
    out
}

fn open(name: &str, extra_dirs: &[PathBuf]) -> Result<(String, rumpuser::DlLibrary), LoadError> {
    let mut reasons = Vec::new();
    for c in candidates(name, extra_dirs) {
        match rumpuser::DlLibrary::open(&c) {
            Ok(lib) => return Ok((c, lib)),
            Err(e) => reasons.push(e.to_string()),
        }
    }
    Err(LoadError::Open {
        library: name.to_owned(),
        reason: reasons.join("; "),
    })
}

impl Kernel {
    /// Check that an image built separately (`image` names it in messages)
    /// may share this kernel: every kernel crate its `manifest` names that
    /// an image already in the kernel also contains must come from the same
    /// build. Its crates then join the kernel's. A program that links more
    /// kernel crates than the base declares its own manifest here (made by
    /// `rump_buildinfo::image` in its build script) before loading libraries.
    pub fn join_build(&self, image: &str, manifest: &str) -> Result<(), String> {
        let joined = self.extension(|| JoinedBuilds(Mutex::new(BuildManifest::of_base())));
        let mut joined = lock(&joined.0);
        let theirs = BuildManifest::parse(manifest).map_err(|e| format!("{image}: {e}"))?;
        if let Some((krate, ours, other)) = joined.conflict(&theirs) {
            return Err(format!(
                "{image} comes from a different build: its {krate} is {other}, this kernel's is {ours} \
                 (library build: {theirs}; kernel build: {joined})"
            ));
        }
        joined.merge(&theirs);
        Ok(())
    }

    /// Load component libraries into this booted kernel, as `rump_server -l`
    /// does: each name is tried as given, then as `libNAME.so`, in
    /// `extra_dirs` first and then on the host's search path. All libraries
    /// are opened and checked first; their components then attach in rounds
    /// in boot-phase order. Returns the names of the components attached.
    pub fn load_libraries(
        &self,
        names: &[&str],
        extra_dirs: &[PathBuf],
    ) -> Result<Vec<&'static str>, LoadError> {
        let mut libs = Vec::new();
        for name in names {
            libs.push(open(name, extra_dirs)?);
        }
        self.attach_libraries(libs, ModuleSource::Kernel)
    }

    /// Collect the components of opened libraries, after checking each
    /// library's fingerprint, and attach them in rounds.
    fn attach_libraries(
        &self,
        libs: Vec<(String, rumpuser::DlLibrary)>,
        source: ModuleSource,
    ) -> Result<Vec<&'static str>, LoadError> {
        let set = ComponentSet::default();
        for (path, lib) in libs {
            lib.call_entry(|manifest| self.join_build("the library", manifest), &set)
                .map_err(|e| LoadError::Refused {
                    library: path.clone(),
                    reason: e.to_string(),
                })?;
            self.aprint_verbose(&format!("loaded component library {path}"));
        }
        let offered = set.take();
        self.attach_from(&offered, source)
            .map_err(LoadError::Attach)?;
        Ok(offered.iter().map(|c| c.name).collect())
    }

    /// Load a module file's image (a component library read through the
    /// VFS faction) and attach its components as modules loaded from the
    /// file system. Why it failed goes to the console, as NetBSD's module
    /// loader reports it; the caller gets the errno.
    pub(crate) fn load_module_image(&self, image: &[u8], path: &str) -> KResult<()> {
        let loaded = rumpuser::DlLibrary::open_image(image, path)
            .map_err(|e| LoadError::Open {
                library: path.to_owned(),
                reason: e.to_string(),
            })
            .and_then(|lib| {
                self.attach_libraries(vec![(path.to_owned(), lib)], ModuleSource::Filesys)
            });
        loaded.map(|_| ()).map_err(|e| {
            self.printf(&format!("module load of {path} failed: {e}"));
            match e {
                LoadError::Open { .. } | LoadError::Refused { .. } => Errno::ENOEXEC,
                LoadError::Attach(AttachError::Duplicate(_)) => Errno::EEXIST,
                LoadError::Attach(AttachError::MissingRequirement { .. }) => Errno::ENOENT,
                LoadError::Attach(_) => Errno::EINVAL,
            }
        })
    }

    /// Load one component library from `path` (see [`Kernel::load_libraries`]).
    pub fn load_library(&self, path: &Path) -> Result<Vec<&'static str>, LoadError> {
        self.load_libraries(&[&path.to_string_lossy()], &[])
    }
}
