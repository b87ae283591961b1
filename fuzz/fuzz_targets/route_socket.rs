//! Fuzz target: see `rumpfuzz::route_socket`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::route_socket(data));
