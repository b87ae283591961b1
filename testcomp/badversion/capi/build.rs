//! The build manifest of this image (see `rump_buildinfo`): this build's own.

fn main() {
    rump_buildinfo::image();
}
