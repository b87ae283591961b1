//! Fuzz target: see `rumpfuzz::disklabel`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::disklabel(data));
