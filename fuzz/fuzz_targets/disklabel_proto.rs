//! Fuzz target: see `rumpfuzz::disklabel_proto`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rumpfuzz::disklabel_proto(data));
