#![no_main]
libfuzzer_sys::fuzz_target!(
    // libfuzzer-sys aborts on every panic, even one the code catches on purpose (Automerge's
    // panics on malformed bytes are refused as errors); an uncaught one still aborts.
    init: drop(std::panic::take_hook()),
    |data: &[u8]| ayada_core::fuzzing::apply_change(data)
);
