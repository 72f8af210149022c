//! Any text as a case.toml: refused with one line naming it, or accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = skintrack::case::parse_manifest(Path::new("case.toml"), text) {
        assert_eq!(e.exit_code(), 2, "{e}");
        assert_eq!(e.to_string().lines().count(), 1, "{e}");
    }
});
