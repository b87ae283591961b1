//! The build manifest (see `rump_buildinfo`) that the `capi_calls`
//! target's compiled-in `librump.so` sources hand to the kernel they boot.

fn main() {
    rump_buildinfo::image();
}
