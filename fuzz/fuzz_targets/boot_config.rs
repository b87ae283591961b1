//! Fuzz target: see `rumpfuzz::boot_config`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::boot_config(data));
