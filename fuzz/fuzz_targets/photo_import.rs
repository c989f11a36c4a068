#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ayada_core::fuzzing::photo_import(data));
