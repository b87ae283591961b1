//! Fuzz target: see `rumpfuzz::sp_stream`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::sp_stream(data));
