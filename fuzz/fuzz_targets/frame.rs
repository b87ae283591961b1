//! Fuzz target: see `rumpfuzz::frame`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::frame(data));
