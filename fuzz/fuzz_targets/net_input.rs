//! Fuzz target: see `rumpfuzz::net_input`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::net_input(data));
