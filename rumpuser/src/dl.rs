//! Dynamic loading of kernel components built as shared libraries.
//!
//! A component library exports three symbols:
//! `rump_component_hypercall_version`, a C function returning the version of
//! the hypercall interface the library was built against;
//! `rump_component_fingerprint`, a C function returning the NUL-terminated
//! build manifest of the image; and `rump_component_entry`, a Rust-ABI
//! function taking a reference to the kernel's registrar. The library's
//! hypercall version must be ours: this is where two separately built images
//! meet. Rust types are only compatible within one build, so the entry point
//! is only ever called after the caller has accepted the library's build.

use std::ffi::{CStr, c_char};

/// Symbol of the fingerprint function every component library exports.
pub const FINGERPRINT_SYMBOL: &str = "rump_component_fingerprint";
/// Symbol of the hypercall-version function every component library exports.
pub const HYPERCALL_VERSION_SYMBOL: &str = "rump_component_hypercall_version";
/// Symbol of the registration entry point every component library exports.
pub const ENTRY_SYMBOL: &str = "rump_component_entry";

/// Why a library could not be used.
#[derive(Debug)]
pub enum DlError {
    /// The host loader could not open the library.
    Open(String),
    /// A required symbol is missing: not a rump component.
    MissingSymbol(&'static str),
    /// The library was built against another hypercall interface.
    HypercallVersion {
        /// The library's version.
        library: u32,
        /// This hypercall layer's version ([`crate::RUMPUSER_VERSION`]).
        ours: u32,
    },
    /// The caller refused the library's build: why.
    Build(String),
}

impl std::fmt::Display for DlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DlError::Open(e) => write!(f, "{e}"),
            DlError::MissingSymbol(s) => write!(f, "not a rump component: no symbol {s}"),
            DlError::HypercallVersion { library, ours } => write!(
                f,
                "built against hypercall interface version {library}, this kernel's hypercall layer is version {ours}"
            ),
            DlError::Build(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for DlError {}

/// A shared library opened by the host loader. It stays mapped for the life
/// of the process: code registered from it may be called at any time.
pub struct DlLibrary {
    lib: &'static libloading::Library,
}

type FingerprintFn = extern "C" fn() -> *const c_char;
type HypercallVersionFn = extern "C" fn() -> u32;

impl DlLibrary {
    /// Open the library at `path` (a file name is searched for on the host's
    /// library search path, as `dlopen` does).
    pub fn open(path: &str) -> Result<DlLibrary, DlError> {
        // SAFETY: loading a library runs its initialisers. Component libraries
        // are ordinary Rust cdylibs with no global constructors of their own.
        let lib =
            unsafe { libloading::Library::new(path) }.map_err(|e| DlError::Open(e.to_string()))?;
        // Components must never be unloaded while their code may be registered.
        Ok(DlLibrary {
            lib: Box::leak(Box::new(lib)),
        })
    }

    /// Open a library from its image in memory (a module file the kernel
    /// read through its own VFS, as `kobj_load_vfs` does). The image goes
    /// into an anonymous memory file that the host loader maps; `label`
    /// names it in error messages.
    pub fn open_image(image: &[u8], label: &str) -> Result<DlLibrary, DlError> {
        use std::io::Write;
        use std::os::fd::FromRawFd;
        let name = c"rump-module";
        // SAFETY: `name` is a valid NUL-terminated string; the call has no
        // other memory arguments.
        let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(DlError::Open(format!(
                "{label}: memfd_create: {}",
                std::io::Error::last_os_error()
            )));
        }
        // SAFETY: `fd` was just created and is owned by nothing else.
        let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
        file.write_all(image)
            .map_err(|e| DlError::Open(format!("{label}: writing the image: {e}")))?;
        let path = format!("/proc/self/fd/{fd}");
        let lib = DlLibrary::open(&path).map_err(|e| {
            let e = e.to_string();
            // The host loader names the descriptor's path, which means
            // nothing to the caller.
            let why = e.strip_prefix(&format!("{path}: ")).unwrap_or(&e);
            DlError::Open(why.to_owned())
        })?;
        // The host loader knows a library by its path name: were this
        // descriptor closed, a later image could get the same number and
        // the loader would hand back this library instead of opening it.
        // The library stays mapped for the life of the process anyway.
        std::mem::forget(file);
        Ok(lib)
    }

    /// The build fingerprint the library reports.
    pub fn fingerprint(&self) -> Result<String, DlError> {
        // SAFETY: the symbol is declared by every component library as
        // `extern "C" fn() -> *const c_char`, which is the type we ask for.
        let f: libloading::Symbol<FingerprintFn> = unsafe {
            self.lib
                .get(FINGERPRINT_SYMBOL.as_bytes())
                .map_err(|_| DlError::MissingSymbol(FINGERPRINT_SYMBOL))?
        };
        let p = f();
        if p.is_null() {
            return Ok(String::new());
        }
        // SAFETY: the function returns a pointer to a static NUL-terminated string.
        Ok(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    /// The version of the hypercall interface the library was built against.
    pub fn hypercall_version(&self) -> Result<u32, DlError> {
        // SAFETY: the symbol is declared by every component library as
        // `extern "C" fn() -> u32`, which is the type we ask for.
        let f: libloading::Symbol<HypercallVersionFn> = unsafe {
            self.lib
                .get(HYPERCALL_VERSION_SYMBOL.as_bytes())
                .map_err(|_| DlError::MissingSymbol(HYPERCALL_VERSION_SYMBOL))?
        };
        Ok(f())
    }

    /// Call the library's entry point with `arg`, after checking that it was
    /// built against this hypercall interface and that `accept` takes its
    /// build manifest as this program's own build (or says why not).
    pub fn call_entry<T>(
        &self,
        accept: impl FnOnce(&str) -> Result<(), String>,
        arg: &T,
    ) -> Result<(), DlError> {
        let library = self.hypercall_version()?;
        if library != crate::RUMPUSER_VERSION {
            return Err(DlError::HypercallVersion {
                library,
                ours: crate::RUMPUSER_VERSION,
            });
        }
        accept(&self.fingerprint()?).map_err(DlError::Build)?;
        // SAFETY: the caller accepted the library's build as its own: the
        // same compiler, profile and kernel crate sources, so the entry
        // point was declared `extern "Rust" fn(&T)` for this very `T`, with
        // an identical layout.
        let entry: libloading::Symbol<fn(&T)> = unsafe {
            self.lib
                .get(ENTRY_SYMBOL.as_bytes())
                .map_err(|_| DlError::MissingSymbol(ENTRY_SYMBOL))?
        };
        entry(arg);
        Ok(())
    }
}

/// The paths of the shared objects already loaded into this process that
/// are component libraries themselves (they define
/// [`ENTRY_SYMBOL`]), in the host loader's order: the libraries a program
/// was linked with (`cc prog.c -lrump -lrumpvfs -lrumpfs_tmpfs`) or that
/// were preloaded, as NetBSD's link sets gather a kernel's components. A
/// library that merely depends on a component is not one.
pub fn loaded_components() -> Vec<String> {
    loaded_objects()
        .into_iter()
        .filter(|name| defines_entry(name))
        .collect()
}

/// The file names of the shared objects loaded into this process; the
/// program itself and the vDSO, which have no file name, are left out.
fn loaded_objects() -> Vec<String> {
    unsafe extern "C" fn each(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: the host loader hands a valid `dl_phdr_info` for the
        // duration of the call, and `data` is the vector passed below,
        // which outlives `dl_iterate_phdr`.
        let (info, names) = unsafe { (&*info, &mut *(data as *mut Vec<String>)) };
        if !info.dlpi_name.is_null() {
            // SAFETY: a non-null `dlpi_name` is a NUL-terminated string
            // owned by the loader for as long as the object is loaded.
            let name = unsafe { CStr::from_ptr(info.dlpi_name) };
            if !name.is_empty() {
                names.push(name.to_string_lossy().into_owned());
            }
        }
        0
    }
    let mut names: Vec<String> = Vec::new();
    // SAFETY: `each` matches the callback type and only touches `names`
    // through the pointer given here, while `names` is alive.
    unsafe {
        libc::dl_iterate_phdr(
            Some(each),
            &mut names as *mut Vec<String> as *mut libc::c_void,
        )
    };
    names
}

/// Whether the loaded object `name` itself defines [`ENTRY_SYMBOL`]: a
/// look-up through its handle also searches its dependencies, so the
/// object that holds the definition is asked of the loader.
fn defines_entry(name: &str) -> bool {
    let (Ok(path), Ok(symbol)) = (
        std::ffi::CString::new(name),
        std::ffi::CString::new(ENTRY_SYMBOL),
    ) else {
        return false;
    };
    // SAFETY: `path` is NUL-terminated; RTLD_NOLOAD only hands back a
    // handle to an object that is already loaded, running no initialiser.
    let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD) };
    if handle.is_null() {
        return false;
    }
    // SAFETY: `handle` is a live handle and `symbol` is NUL-terminated.
    let addr = unsafe { libc::dlsym(handle, symbol.as_ptr()) };
    let mut info: libc::Dl_info = empty_dl_info();
    // SAFETY: `info` is a valid place for the loader to fill in; a null
    // or foreign `addr` makes `dladdr` answer 0.
    let found = !addr.is_null() && unsafe { libc::dladdr(addr, &mut info) } != 0;
    // SAFETY: `dli_fname` is the loader's NUL-terminated name of the
    // object holding `addr`, valid while that object is loaded.
    let own = found
        && !info.dli_fname.is_null()
        && unsafe { CStr::from_ptr(info.dli_fname) } == path.as_c_str();
    // SAFETY: balances the reference the RTLD_NOLOAD `dlopen` took.
    unsafe { libc::dlclose(handle) };
    own
}

/// An empty `Dl_info` for `dladdr` to fill in.
fn empty_dl_info() -> libc::Dl_info {
    libc::Dl_info {
        dli_fname: std::ptr::null(),
        dli_fbase: std::ptr::null_mut(),
        dli_sname: std::ptr::null(),
        dli_saddr: std::ptr::null_mut(),
    }
}
