//! Fuzz target: see `rumpfuzz::net6_input`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::net6_input(data));
