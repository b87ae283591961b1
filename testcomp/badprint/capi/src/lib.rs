//! `libbadprint.so`: a component library whose build manifest names another
//! build, as a library left over from an older compiler would. The loader
//! must refuse it before calling anything in it.

use std::ffi::c_char;

/// The right hypercall interface, so that the build is what is refused.
#[unsafe(no_mangle)]
pub extern "C" fn rump_component_hypercall_version() -> u32 {
    rumpuser::RUMPUSER_VERSION
}

/// A manifest no build of this tree produces.
#[unsafe(no_mangle)]
pub extern "C" fn rump_component_fingerprint() -> *const c_char {
    c"rustc_1.60.0 x86_64-unknown-linux-gnu profile=release; k_helper=0000000000000000 rump=0000000000000000 rumpuser=0000000000000000".as_ptr()
}

/// Would offer `k_helper`; must never be called.
#[unsafe(no_mangle)]
pub fn rump_component_entry(set: &rump::ComponentSet) {
    set.add(&k_helper::COMPONENT);
}
