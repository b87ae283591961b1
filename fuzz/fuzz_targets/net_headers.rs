//! Fuzz target: see `rumpfuzz::net_headers`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::net_headers(data));
