//! Fuzz target: see `rumpfuzz::disk_label`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::disk_label(data));
