//! The C-ABI shim of run-time component libraries: a component's `capi`
//! crate (a `cdylib`) is one line, `rump_capi::export_components!(...)`.
//! The exported symbols need `no_mangle`, which the kernel crates forbid
//! along with all other unsafe code; this crate is where it lives.

pub use rump;
pub use rumpuser;

/// Export a component from a shared library built as a `cdylib` (a C-ABI
/// shim crate: the symbols need `no_mangle`, which kernel crates forbid).
/// The crate's build script must be `rump_buildinfo::image()`, which gives
/// the library the build manifest the loader checks.
#[macro_export]
macro_rules! export_components {
    ($($c:expr),+ $(,)?) => {
        /// The hypercall interface version this library was built against.
        #[unsafe(no_mangle)]
        pub extern "C" fn rump_component_hypercall_version() -> u32 {
            $crate::rumpuser::RUMPUSER_VERSION
        }

        /// The build manifest of this library, checked by the loader.
        #[unsafe(no_mangle)]
        pub extern "C" fn rump_component_fingerprint() -> *const ::std::ffi::c_char {
            const MANIFEST: &::std::ffi::CStr =
                match ::std::ffi::CStr::from_bytes_with_nul(
                    concat!(env!("RUMP_BUILD_MANIFEST"), "\0").as_bytes(),
                ) {
                    Ok(c) => c,
                    Err(_) => panic!("a build manifest has no NUL byte"),
                };
            MANIFEST.as_ptr()
        }

        /// Offer this library's components to the kernel that loads it.
        #[unsafe(no_mangle)]
        pub fn rump_component_entry(set: &$crate::rump::component::ComponentSet) {
            $( set.add(&$c); )+
        }
    };
}
