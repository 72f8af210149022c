//! Any bytes as an image file: decoding may fail, never panic, and never
//! allocate beyond the limits (libFuzzer's -rss_limit_mb catches that).
#![no_main]

use libfuzzer_sys::fuzz_target;
use skintrack::ingest::{IngestOptions, decode_bytes};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let opts = IngestOptions {
        // the fuzzer's default RSS limit is 2 GB
        max_memory: 500_000_000,
        ..IngestOptions::default()
    };
    if let Err(e) = decode_bytes(Path::new("fuzz.img"), data, &opts) {
        assert_eq!(e.exit_code(), 2, "{e}");
        assert!(e.to_string().starts_with("fuzz.img: "), "{e}");
    }
});
