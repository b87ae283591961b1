//! Fuzz target: see `rumpfuzz::shmif_bus`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::shmif_bus(data));
