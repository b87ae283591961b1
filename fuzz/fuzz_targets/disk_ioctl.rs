//! Fuzz target: see `rumpfuzz::disk_ioctl`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::disk_ioctl(data));
