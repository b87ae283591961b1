//! This crate's build manifest entry (see `rump_buildinfo`).

fn main() {
    rump_buildinfo::kernel_crate();
}
