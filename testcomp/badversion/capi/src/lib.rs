//! `libbadversion.so`: a component library of this very build that says it
//! was built against the next hypercall interface, as a library built with
//! a newer `rumpuser` would. The loader must refuse it before calling
//! anything in it, although its build manifest is the kernel's own.

use std::ffi::c_char;

/// The next hypercall interface version.
#[unsafe(no_mangle)]
pub extern "C" fn rump_component_hypercall_version() -> u32 {
    rumpuser::RUMPUSER_VERSION + 1
}

/// This build's manifest, which the loader would accept.
#[unsafe(no_mangle)]
pub extern "C" fn rump_component_fingerprint() -> *const c_char {
    const MANIFEST: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(env!("RUMP_BUILD_MANIFEST"), "\0").as_bytes(),
    ) {
        Ok(c) => c,
        Err(_) => panic!("a build manifest has no NUL byte"),
    };
    MANIFEST.as_ptr()
}

/// Would offer `k_helper`; must never be called.
#[unsafe(no_mangle)]
pub fn rump_component_entry(set: &rump::ComponentSet) {
    set.add(&k_helper::COMPONENT);
}
