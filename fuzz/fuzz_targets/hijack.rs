//! Fuzz target: see `rumphijack::fuzz::parsers`. The hijack library is a
//! preloadable shared library whose exported functions would replace this
//! program's own, so its pure modules are compiled in here by path.
#![no_main]

#[path = "../../rumphijack/src/config.rs"]
mod config;
#[path = "../../rumphijack/src/fuzz.rs"]
mod fuzz;
#[path = "../../rumphijack/src/route.rs"]
mod route;
#[path = "../../rumphijack/src/xlate/mod.rs"]
mod xlate;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::parsers(data));
