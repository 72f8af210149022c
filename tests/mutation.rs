//! A mutation test over the entry points of the fuzz targets (fuzz/):
//! valid seeds (a baseline and a progressive JPEG, a PNG, a TIFF, a
//! case.toml, a lights file) with random byte flips, cuts, insertions and
//! extreme 16/32-bit values written over them. Whatever comes in: no
//! panic, and a refusal is exit 2 with one line naming the file. Runs in
//! `cargo test` in a few seconds; `cargo +nightly fuzz run decode` (see
//! README) explores far more.

mod common;

use common::data;
use proptest::prelude::*;
use skintrack::ingest::{IngestOptions, decode_bytes};
use std::path::Path;

/// One edit of a file.
#[derive(Clone, Debug)]
enum Mutation {
    /// XOR the byte at (position mod len) with a non-zero value.
    Flip(usize, u8),
    /// Keep the first (position mod len) bytes.
    Cut(usize),
    /// Insert bytes at (position mod len).
    Insert(usize, Vec<u8>),
    /// Write an extreme big-endian value (0, 1, 0xFF.., 0x7F..) there.
    Extreme(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 1u8..).prop_map(|(p, v)| Mutation::Flip(p, v)),
        1 => any::<usize>().prop_map(Mutation::Cut),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(p, v)| Mutation::Insert(p, v)),
        2 => (any::<usize>(), 0u8..8).prop_map(|(p, k)| Mutation::Extreme(p, k)),
    ]
}

fn mutated(seed: &[u8], edits: &[Mutation]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for m in edits {
        if b.is_empty() {
            break;
        }
        let at = |p: usize| p % b.len();
        match m {
            Mutation::Flip(p, v) => {
                let i = at(*p);
                b[i] ^= v;
            }
            Mutation::Cut(p) => {
                let i = at(*p);
                b.truncate(i);
            }
            Mutation::Insert(p, v) => {
                let i = at(*p);
                b.splice(i..i, v.iter().copied());
            }
            Mutation::Extreme(p, k) => {
                let i = at(*p);
                let v: &[u8] = match k {
                    0 => &[0, 0],
                    1 => &[0xFF, 0xFF],
                    2 => &[0x7F, 0xFF],
                    3 => &[0, 1],
                    4 => &[0, 0, 0, 0],
                    5 => &[0xFF, 0xFF, 0xFF, 0xFF],
                    6 => &[0x7F, 0xFF, 0xFF, 0xFF],
                    _ => &[0x80, 0, 0, 0],
                };
                let end = (i + v.len()).min(b.len());
                b[i..end].copy_from_slice(&v[..end - i]);
            }
        }
    }
    b
}

/// A 16×16 grey 8-bit TIFF, uncompressed, one strip.
fn small_tiff() -> Vec<u8> {
    let pixels: Vec<u8> = (0..=255u8).collect();
    common::grey_tiff(16, 16, (134, 256), &pixels)
}

fn seeds() -> Vec<Vec<u8>> {
    let read = |name: &str| std::fs::read(data(&format!("bad_inputs/{name}"))).unwrap();
    vec![
        read("valid_small.jpg"),
        read("progressive.jpg"),
        read("valid_small.png"),
        small_tiff(),
    ]
}

/// A refusal of `name`: exit 2, one line, naming it.
fn is_clean_refusal(e: &skintrack::Error, name: &str) -> Result<(), TestCaseError> {
    let msg = e.to_string();
    prop_assert_eq!(e.exit_code(), 2, "{}", msg);
    prop_assert_eq!(msg.lines().count(), 1, "{}", msg);
    prop_assert!(msg.starts_with(name), "{}", msg);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn mutated_images_decode_or_are_refused_cleanly(
        which in 0usize..4,
        edits in prop::collection::vec(mutation(), 1..6),
    ) {
        let seed = &seeds()[which];
        let bytes = mutated(seed, &edits);
        let opts = IngestOptions { max_memory: 200_000_000, ..IngestOptions::default() };
        match decode_bytes(Path::new("mutant.img"), &bytes, &opts) {
            Ok(d) => {
                let p = &d.planes[0];
                prop_assert!(p.width() > 0 && p.height() > 0);
                prop_assert!(d.planes.iter().all(|q| q.data().iter().all(|v| v.is_finite())));
            }
            Err(e) => is_clean_refusal(&e, "mutant.img")?,
        }
    }

    #[test]
    fn mutated_case_manifests_parse_or_are_refused_cleanly(
        edits in prop::collection::vec(mutation(), 1..6),
    ) {
        let seed = b"client = \"C 1\"\ntreatments = [\"2026-01-12\", \"2026-02-10\"]\n\
            [view.cheek]\nroi = [400, 300, 800, 600]\ncontrol = [50, 50, 200, 200]\n\
            mm_per_px = 0.04\nexclude = [[900, 100, 120, 80]]\n";
        let bytes = mutated(seed, &edits);
        if let Ok(text) = std::str::from_utf8(&bytes)
            && let Err(e) = skintrack::case::parse_manifest(Path::new("case.toml"), text)
        {
            is_clean_refusal(&e, "case.toml")?;
        }
    }

    #[test]
    fn mutated_lights_files_parse_or_are_refused_cleanly(
        edits in prop::collection::vec(mutation(), 1..6),
    ) {
        let seed = b"\xEF\xBB\xBF0 0 1\r\n0.5 0.1 0.86\n# comment\n-0.3,0.2,0.93\n";
        let bytes = mutated(seed, &edits);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let p = Path::new("light_directions.txt");
            match skintrack::lights::parse_directions(p, text) {
                Ok(dirs) => {
                    for d in dirs {
                        let n = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
                        prop_assert!((n - 1.0).abs() < 1e-9 && d[2] > 0.0, "{:?}", d);
                    }
                }
                Err(e) => is_clean_refusal(&e, "light_directions.txt")?,
            }
        }
    }
}

#[test]
fn the_seeds_are_valid() {
    // the mutations start from files that decode and parse
    let opts = IngestOptions::default();
    for (k, seed) in seeds().iter().enumerate() {
        assert!(
            decode_bytes(Path::new("seed"), seed, &opts).is_ok(),
            "seed {k}"
        );
    }
}
