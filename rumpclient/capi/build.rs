//! The build manifest of this image (see `rump_buildinfo`), and NetBSD's
//! soname, so that programs linked against NetBSD's `librumpclient.so.0`
//! (the rumpctrl tools) find this library under that name.

fn main() {
    rump_buildinfo::image();
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,librumpclient.so.0");
}
