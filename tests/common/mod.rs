//! Helpers shared by the integration tests.
#![allow(dead_code)]

#[cfg(feature = "heic")]
pub mod heif;

use std::path::{Path, PathBuf};

/// Path of a fixture under tests/data; a missing fixture fails loudly.
pub fn data(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    assert!(p.exists(), "missing test fixture {}", p.display());
    p
}

/// A JSON file, parsed.
pub fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// `skintrack analyze CASE -o OUT`, which must succeed: (metrics.json,
/// stderr).
pub fn analyze(case: &Path, out: &Path) -> (serde_json::Value, String) {
    let run = assert_cmd::Command::cargo_bin("skintrack")
        .unwrap()
        .arg("analyze")
        .arg(case)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    (json(&out.join("metrics.json")), stderr)
}

/// metrics.json `m`'s first series of capture kind `kind` ("photo",
/// "height", "photometric"); a missing one fails loudly.
pub fn series_of<'a>(m: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    m["series"]
        .as_array()
        .expect("a series list")
        .iter()
        .find(|s| s["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} series"))
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// An unchanged phantom case of 800×600 photos at 0.05 mm/px whose
/// sessions are captured as `plan` says (the first the baseline).
pub fn planned(
    seed: u64,
    plan: Vec<skintrack::phantom::SessionCapture>,
) -> skintrack::phantom::UnchangedOptions {
    skintrack::phantom::UnchangedOptions {
        seed,
        sessions: plan.len(),
        width: 800,
        height: 600,
        mm_per_px: 0.05,
        plan: skintrack::phantom::CapturePlan::Sessions(plan),
        ..skintrack::phantom::UnchangedOptions::default()
    }
}

/// The treated course phantom of `sessions` visits of 800×600 photos and
/// height maps (seed `seed`), written at `case`.
pub fn course(case: &Path, seed: u64, sessions: usize) {
    let opts = skintrack::phantom::PhantomOptions {
        seed,
        sessions,
        width: 800,
        height: 600,
        ..Default::default()
    };
    skintrack::phantom::generate(case, &opts).expect("phantom");
}

/// Dates `path` (a file or folder) back past `output::STALE_AFTER`, as
/// what a killed run left long ago.
pub fn make_stale(path: &Path) {
    let long_ago = std::time::SystemTime::now()
        - skintrack::output::STALE_AFTER
        - std::time::Duration::from_secs(60);
    std::fs::File::open(path)
        .and_then(|f| f.set_modified(long_ago))
        .expect("dated back");
}

/// Relative difference |a − b| / max(|b|, floor).
pub fn rel_diff(a: f64, b: f64, floor: f64) -> f64 {
    (a - b).abs() / b.abs().max(floor)
}

/// A little-endian grey 8-bit uncompressed TIFF of `w`×`h` whose one strip
/// is declared at `offset`, `count` bytes long, followed by `data` (the
/// header and its ten entries take 134 bytes).
pub fn grey_tiff(w: u32, h: u32, (offset, count): (u32, u32), data: &[u8]) -> Vec<u8> {
    let entries: [(u16, u16, u32); 10] = [
        (256, 4, w),
        (257, 4, h),
        (258, 3, 8),
        (259, 3, 1),
        (262, 3, 1),
        (273, 4, offset),
        (277, 3, 1),
        (278, 4, h),
        (279, 4, count),
        (284, 3, 1),
    ];
    let mut t = b"II*\0".to_vec();
    t.extend(8u32.to_le_bytes());
    t.extend((entries.len() as u16).to_le_bytes());
    for (tag, kind, v) in entries {
        t.extend(tag.to_le_bytes());
        t.extend(kind.to_le_bytes());
        t.extend(1u32.to_le_bytes());
        t.extend(v.to_le_bytes());
    }
    t.extend(0u32.to_le_bytes());
    t.extend(data);
    t
}

/// Mean absolute difference of two pictures of one size, over every
/// sample of every plane (0–255 levels).
pub fn mean_abs_difference(
    a: &skintrack::raster::RgbPlanes,
    b: &skintrack::raster::RgbPlanes,
) -> f64 {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()), "sizes");
    let mut sum = 0.0;
    for (p, q) in a.planes().iter().zip(b.planes()) {
        sum += p
            .data()
            .iter()
            .zip(q.data())
            .map(|(x, y)| f64::from((x - y).abs()))
            .sum::<f64>();
    }
    sum / (a.width() * a.height() * 3) as f64
}

/// Whether a session's `quality` lets redness be compared: `ok`, or a warn
/// that concerns fine structure only (a softer photo); the JSON side of
/// `Quality::colour_is_ok`.
pub fn comparable_for_redness(q: &serde_json::Value) -> bool {
    q["status"] == "ok" || (q["status"] == "warn" && q["scope"] == "structure")
}
