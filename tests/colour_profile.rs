//! Issue 15: a change of camera is not a change of skin. A follow-up
//! photographed in another colour space than its baseline (an iPhone set
//! to "Most Compatible" writes Display P3 JPEGs; a camera may write Adobe
//! RGB) carries its ICC profile, and is converted into the baseline's
//! colours before it is measured; read as stored it would show the same
//! skin redder or paler.

mod common;

use assert_cmd::Command;
use common::{analyze, tempdir};
use moxcms::ColorProfile;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Linear RGB to XYZ (D65): sRGB (IEC 61966-2-1), Display P3 (SMPTE EG
/// 432-1), Adobe RGB (1998).
const SRGB_TO_XYZ: [[f64; 3]; 3] = [
    [0.412_456_4, 0.357_576_1, 0.180_437_5],
    [0.212_672_9, 0.715_152_2, 0.072_175_0],
    [0.019_333_9, 0.119_192_0, 0.950_304_1],
];
const P3_TO_XYZ: [[f64; 3]; 3] = [
    [0.486_570_9, 0.265_667_7, 0.198_217_3],
    [0.228_974_6, 0.691_738_5, 0.079_286_9],
    [0.0, 0.045_113_4, 1.043_944_4],
];
const ADOBE_TO_XYZ: [[f64; 3]; 3] = [
    [0.576_730_9, 0.185_554_0, 0.188_185_2],
    [0.297_376_9, 0.627_349_1, 0.075_274_1],
    [0.027_034_3, 0.070_687_2, 0.991_108_5],
];

/// A colour space: its name, ICC profile, matrix to XYZ and curve from
/// linear light.
type Space = (&'static str, ColorProfile, [[f64; 3]; 3], fn(f64) -> f64);

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn inverse(m: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let c = |r: usize, k: usize| {
        let (r1, r2, k1, k2) = ((r + 1) % 3, (r + 2) % 3, (k + 1) % 3, (k + 2) % 3);
        m[r1][k1] * m[r2][k2] - m[r1][k2] * m[r2][k1]
    };
    let det = (0..3).map(|k| m[0][k] * c(0, k)).sum::<f64>();
    [0, 1, 2].map(|r| [0, 1, 2].map(|k| c(k, r) / det))
}

fn srgb_linear(v: f64) -> f64 {
    if v <= 0.040_45 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn srgb_encoded(l: f64) -> f64 {
    if l <= 0.003_130_8 {
        12.92 * l
    } else {
        1.055 * l.powf(1.0 / 2.4) - 0.055
    }
}

/// Every follow-up photo of `case` (not the baseline) re-encoded at
/// quality 95 after `convert` (interleaved RGB, 0–1), with `icc` embedded.
fn re_encode(case: &Path, convert: &dyn Fn(&mut [f32]), icc: Option<&[u8]>) {
    re_encode_from(case, 1, convert, icc);
}

/// [`re_encode`] from visit `first` on (0: the baseline too).
fn re_encode_from(case: &Path, first: usize, convert: &dyn Fn(&mut [f32]), icc: Option<&[u8]>) {
    let mut visits: Vec<_> = std::fs::read_dir(case)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    visits.sort();
    for visit in &visits[first..] {
        let path = visit.join("cheek.jpg");
        let photo = skintrack::ingest::read_photo(&path, &Default::default()).unwrap();
        let (w, h) = (photo.image.width(), photo.image.height());
        let planes = [&photo.image.r, &photo.image.g, &photo.image.b];
        let mut rgb: Vec<f32> = (0..w * h)
            .flat_map(|i| planes.map(|p| p.data()[i] / 255.0))
            .collect();
        convert(&mut rgb);
        let bytes: Vec<u8> = rgb
            .iter()
            .map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
            .collect();
        let mut out = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut out, 95);
        if let Some(icc) = icc {
            enc.add_icc_profile(icc).unwrap();
        }
        enc.encode(&bytes, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        std::fs::write(&path, out).unwrap();
    }
}

/// A phantom case of unchanged skin with a lasting redness, 3 visits.
fn phantom(dir: &Path) -> PathBuf {
    let ok = Command::cargo_bin("skintrack")
        .unwrap()
        .args(["phantom", "--unchanged", "--capture", "accepted"])
        .args(["--erythema", "0.15", "--seed", "3", "--sessions", "3"])
        .args(["--size", "800x600"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(ok.status.success());
    dir.to_path_buf()
}

/// Photos that all share one profile are read as stored, with no word of
/// it; a baseline whose profile cannot be read is named once, and every
/// visit is read as stored (there is no space to convert into).
#[test]
fn one_shared_profile_changes_nothing_and_a_broken_baseline_profile_is_named_once() {
    let t = tempdir();
    let p3 = ColorProfile::new_display_p3().encode().unwrap();
    let shared = phantom(&t.path().join("shared"));
    re_encode_from(&shared, 0, &|_| {}, Some(&p3));
    let (_, stderr) = analyze(&shared, &t.path().join("out-shared"));
    assert!(!stderr.contains("colour profile"), "{stderr}");
    let broken = phantom(&t.path().join("broken"));
    re_encode_from(&broken, 1, &|_| {}, Some(&p3));
    re_encode_from(&broken, 0, &|_| {}, Some(&p3[..p3.len() / 3]));
    let (m, stderr) = analyze(&broken, &t.path().join("out-broken"));
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("colour profile"))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("2026-01-12") && lines[0].contains("read as stored"),
        "{stderr}"
    );
    assert_eq!(m["series"][0]["sessions"].as_array().unwrap().len(), 3);
}

#[test]
fn a_follow_up_in_another_colour_space_reads_the_colours_of_its_baseline() {
    let t = tempdir();
    let case = |name: &str| phantom(&t.path().join(name));
    // sRGB to another space by its published matrices (D65 whites on both
    // sides, so relative colorimetric needs no adaptation), in f64
    let to_space = |to_xyz: [[f64; 3]; 3], encode: fn(f64) -> f64| {
        let from_xyz = inverse(to_xyz);
        move |rgb: &mut [f32]| {
            for px in rgb.chunks_exact_mut(3) {
                let l = [0, 1, 2].map(|c| srgb_linear(f64::from(px[c])));
                let xyz = SRGB_TO_XYZ.map(|row| dot(row, l));
                for (c, row) in from_xyz.iter().enumerate() {
                    px[c] = encode(dot(*row, xyz).clamp(0.0, 1.0)) as f32;
                }
            }
        }
    };
    let same = case("srgb");
    re_encode(&same, &|_| {}, None);
    let (reference, _) = analyze(&same, &t.path().join("out-srgb"));
    let spaces: [Space; 2] = [
        (
            "display-p3",
            ColorProfile::new_display_p3(),
            P3_TO_XYZ,
            srgb_encoded,
        ),
        (
            "adobe-rgb",
            ColorProfile::new_adobe_rgb(),
            ADOBE_TO_XYZ,
            |l| l.powf(256.0 / 563.0),
        ),
    ];
    for (name, profile, to_xyz, encode) in spaces {
        let icc = profile.encode().unwrap();
        let tagged = case(&format!("{name}-tagged"));
        re_encode(&tagged, &to_space(to_xyz, encode), Some(&icc));
        let (converted, stderr) = analyze(&tagged, &t.path().join(format!("out-{name}")));
        assert!(
            stderr.contains("colour profile differs from the baseline photo's"),
            "{name}: {stderr}"
        );
        let untagged = case(&format!("{name}-untagged"));
        re_encode(&untagged, &to_space(to_xyz, encode), None);
        let (as_stored, _) = analyze(&untagged, &t.path().join(format!("out-{name}-raw")));
        // the aligned follow-ups' colours, and the colour cast the gate reads
        let casts = |m: &Value| -> Vec<f64> {
            m["series"][0]["sessions"].as_array().unwrap()[1..]
                .iter()
                .map(|s| {
                    s["quality"]["measures"]["colour_cast_vs_baseline"]
                        .as_f64()
                        .unwrap()
                })
                .collect()
        };
        let (want, got, raw) = (casts(&reference), casts(&converted), casts(&as_stored));
        for k in 0..want.len() {
            eprintln!(
                "{name} colour cast, follow-up {k}: sRGB {:.2} %, converted {:.2} %, as stored {:.2} %",
                want[k], got[k], raw[k]
            );
            assert!((got[k] - want[k]).abs() < 1.5, "{name}: {}", got[k]);
            assert!(raw[k] - want[k] > 3.0, "{name}: {}", raw[k]);
        }
        for k in 1..=want.len() {
            let mean = |out: &str| -> [f64; 3] {
                let dir = t.path().join(out).join("aligned");
                let mut files: Vec<_> = std::fs::read_dir(&dir)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect();
                files.sort();
                let p = skintrack::ingest::read_photo(&files[k], &Default::default()).unwrap();
                [&p.image.r, &p.image.g, &p.image.b].map(|c| {
                    c.data().iter().map(|&v| f64::from(v)).sum::<f64>() / c.data().len() as f64
                })
            };
            let (want, got, raw) = (
                mean("out-srgb"),
                mean(&format!("out-{name}")),
                mean(&format!("out-{name}-raw")),
            );
            eprintln!(
                "{name} aligned follow-up {k}: sRGB {want:.2?}, converted {got:.2?}, as stored {raw:.2?}"
            );
            let off = |a: [f64; 3]| (0..3).map(|c| (a[c] - want[c]).abs()).fold(0.0, f64::max);
            assert!(off(got) < 1.0, "{name}: {got:?} against {want:?}");
            assert!(off(raw) > 4.0, "{name}: {raw:?} against {want:?}");
        }
    }
}
