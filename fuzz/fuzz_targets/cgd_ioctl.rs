//! Fuzz target: see `rumpfuzz::cgd_ioctl`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::cgd_ioctl(data));
