//! Fuzz target: see `rumpfuzz::nfs_reply`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::nfs_reply(data));
