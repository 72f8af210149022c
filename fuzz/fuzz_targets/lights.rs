//! Any text as a lights or intensities file: unit directions toward the
//! camera and positive intensities, or one line naming the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match skintrack::lights::parse_directions(Path::new("light_directions.txt"), text) {
        Ok(dirs) => {
            for d in dirs {
                let n = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
                assert!((n - 1.0).abs() < 1e-9 && d[2] > 0.0, "{d:?}");
            }
        }
        Err(e) => assert_eq!(e.exit_code(), 2, "{e}"),
    }
    match skintrack::lights::parse_intensities(Path::new("light_intensities.txt"), text) {
        Ok(v) => assert!(v.iter().all(|&k| k > 0.0 && k.is_finite()), "{v:?}"),
        Err(e) => assert_eq!(e.exit_code(), 2, "{e}"),
    }
});
