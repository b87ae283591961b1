//! The build manifest of this image (see `rump_buildinfo`).

fn main() {
    rump_buildinfo::image();
}
