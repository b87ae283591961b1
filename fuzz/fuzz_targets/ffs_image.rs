//! Fuzz target: see `rumpfuzz::ffs_image`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::ffs_image(data));
