//! Fuzz target: see `rumpfuzz::syscall`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::syscall(data));
