#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ayada_server::fuzzing::push_body(data));
