#![no_main]
// Not written yet: the issue that builds this crate replaces this body.
libfuzzer_sys::fuzz_target!(|_data: &[u8]| {});
