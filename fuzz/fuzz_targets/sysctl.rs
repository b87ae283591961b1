//! Fuzz target: see `rumpfuzz::sysctl`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::sysctl(data));
