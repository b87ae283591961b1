//! `libbadprint.so`: a component library whose fingerprint names another
//! build, as a library left over from an older compiler would. The loader
//! must refuse it before calling anything in it.

use std::ffi::c_char;

/// A fingerprint no build of this tree produces.
#[unsafe(no_mangle)]
pub extern "C" fn rump_component_fingerprint() -> *const c_char {
    c"rump-0.0.1 rustc_1.60.0 x86_64-unknown-linux-gnu profile=release opt=3 debug=false features=[] sources=0000000000000000".as_ptr()
}

/// Would offer `k_helper`; must never be called.
#[unsafe(no_mangle)]
pub fn rump_component_entry(set: &rump::ComponentSet) {
    set.add(&k_helper::COMPONENT);
}
