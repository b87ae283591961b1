//! Fuzz target: see `rumpfuzz::cgd_params`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::cgd_params(data));
