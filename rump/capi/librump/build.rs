//! The build manifest of this image (see `rump_buildinfo`), which the
//! component libraries a program links are checked against, and NetBSD's
//! soname, so that programs linked against NetBSD's `librump.so.0` find
//! this library under that name.

fn main() {
    rump_buildinfo::image();
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,librump.so.0");
}
