//! The C-ABI shim of run-time component libraries: a component's `capi`
//! crate (a `cdylib`) is one line, `rump_capi::export_components!(...)`.
//! The exported symbols need `no_mangle`, which the kernel crates forbid
//! along with all other unsafe code; this crate is where it lives.

pub use rump;

/// Export a component from a shared library built as a `cdylib` (a C-ABI
/// shim crate: the symbols need `no_mangle`, which kernel crates forbid).
#[macro_export]
macro_rules! export_components {
    ($($c:expr),+ $(,)?) => {
        /// The build fingerprint of this library, checked by the loader.
        #[unsafe(no_mangle)]
        pub extern "C" fn rump_component_fingerprint() -> *const ::std::ffi::c_char {
            $crate::rump::BUILD_FINGERPRINT_C.as_ptr()
        }

        /// Offer this library's components to the kernel that loads it.
        #[unsafe(no_mangle)]
        pub fn rump_component_entry(set: &$crate::rump::component::ComponentSet) {
            $( set.add(&$c); )+
        }
    };
}
