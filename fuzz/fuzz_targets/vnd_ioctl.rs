//! Fuzz target: see `rumpfuzz::vnd_ioctl`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::vnd_ioctl(data));
