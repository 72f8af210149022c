//! Metrics against truth rendered here: dark lines of known length, dark
//! blobs of known count and size, uniform colour patches, and the
//! invariances the metrics promise (exposure, rotation).

mod common;

use skintrack::measure::{MeasureOptions, measure};
use skintrack::raster::{ColourModel, Plane, Rect, RgbPlanes};
use skintrack::units::MmPerPx;
use std::path::Path;

struct Rng(u64);
impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn normal(&mut self) -> f64 {
        let (a, b) = (self.unit().max(1e-300), self.unit());
        (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()
    }
}

fn grey_image(p: Plane) -> RgbPlanes {
    RgbPlanes {
        r: p.clone(),
        g: p.clone(),
        b: p,
        model: ColourModel::Rgb,
    }
}

/// Distance from (x, y) to the segment a–b.
fn seg_dist(x: f64, y: f64, a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let t = (((x - a.0) * dx + (y - a.1) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
    ((x - a.0 - t * dx).powi(2) + (y - a.1 - t * dy).powi(2)).sqrt()
}

/// Distance from (x, y) to the line through a–b for points whose foot lies
/// on the segment; infinite elsewhere (a line of exactly the segment's
/// length, cut square at both ends, with no rounded caps to lengthen it).
fn span_dist(x: f64, y: f64, a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let t = ((x - a.0) * dx + (y - a.1) * dy) / (dx * dx + dy * dy);
    if (0.0..=1.0).contains(&t) {
        ((x - a.0 - t * dx).powi(2) + (y - a.1 - t * dy).powi(2)).sqrt()
    } else {
        f64::INFINITY
    }
}

/// Straight dark lines (Gaussian cross-section, σ `width`, depth `contrast`
/// of the background) that do not come near each other; returns the image
/// and the total length in px.
fn lines_image(
    seed: u64,
    w: usize,
    h: usize,
    n: usize,
    width: f64,
    contrast: f64,
) -> (RgbPlanes, f64) {
    let mut rng = Rng(seed);
    let mut segs: Vec<((f64, f64), (f64, f64))> = Vec::new();
    let mut tries = 0;
    while segs.len() < n && tries < 10_000 {
        tries += 1;
        let len = rng.range(80.0, 220.0);
        let ang = rng.range(0.0, std::f64::consts::PI);
        let (cx, cy) = (
            rng.range(30.0 + len / 2.0, w as f64 - 30.0 - len / 2.0),
            rng.range(30.0, h as f64 - 30.0),
        );
        let a = (cx - 0.5 * len * ang.cos(), cy - 0.5 * len * ang.sin());
        let b = (cx + 0.5 * len * ang.cos(), cy + 0.5 * len * ang.sin());
        if a.1 < 20.0 || b.1 < 20.0 || a.1 > h as f64 - 20.0 || b.1 > h as f64 - 20.0 {
            continue;
        }
        // keep 25 px clear of other lines (sampled along the new one)
        let clear = segs.iter().all(|&(p, q)| {
            (0..=20).all(|k| {
                let t = f64::from(k) / 20.0;
                seg_dist(a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1), p, q) > 25.0
            })
        });
        if clear {
            segs.push((a, b));
        }
    }
    let total: f64 = segs
        .iter()
        .map(|(a, b)| ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt())
        .sum();
    let mut noise = Rng(seed ^ 0xABCD);
    let p = Plane::from_fn(w, h, |x, y| {
        // 2×2 supersampled so the square ends are not jagged
        let mut dark = 0.0;
        for (ox, oy) in [(-0.25, -0.25), (0.25, -0.25), (-0.25, 0.25), (0.25, 0.25)] {
            let d = segs
                .iter()
                .map(|&(a, b)| span_dist(x as f64 + ox, y as f64 + oy, a, b))
                .fold(f64::INFINITY, f64::min);
            dark += 0.25 * (-(d * d) / (2.0 * width * width)).exp();
        }
        let v = 160.0 * (1.0 - contrast * dark) + 1.0 * noise.normal();
        v as f32
    });
    (grey_image(p), total)
}

/// Dark discs (area-sampled edges) of radius `r_lo..r_hi` px; returns the
/// image, the count and the mean area in px².
fn blobs_image(
    seed: u64,
    w: usize,
    h: usize,
    n: usize,
    r_lo: f64,
    r_hi: f64,
    contrast: f64,
) -> (RgbPlanes, usize, f64) {
    let mut rng = Rng(seed);
    let mut discs: Vec<(f64, f64, f64)> = Vec::new();
    let mut tries = 0;
    while discs.len() < n && tries < 50_000 {
        tries += 1;
        let r = rng.range(r_lo, r_hi);
        let (x, y) = (
            rng.range(3.0 * r + 4.0, w as f64 - 3.0 * r - 4.0),
            rng.range(3.0 * r + 4.0, h as f64 - 3.0 * r - 4.0),
        );
        if discs
            .iter()
            .all(|&(a, b, s)| ((a - x).powi(2) + (b - y).powi(2)).sqrt() > 3.0 * (r + s) + 4.0)
        {
            discs.push((x, y, r));
        }
    }
    let mean_area = discs
        .iter()
        .map(|d| std::f64::consts::PI * d.2 * d.2)
        .sum::<f64>()
        / discs.len() as f64;
    let mut noise = Rng(seed ^ 0x5151);
    let p = Plane::from_fn(w, h, |x, y| {
        // 4×4 supersampled coverage of the nearest disc
        let mut cover = 0.0;
        for &(cx, cy, r) in &discs {
            if (x as f64 - cx).abs() > r + 1.0 || (y as f64 - cy).abs() > r + 1.0 {
                continue;
            }
            for sy in 0..4 {
                for sx in 0..4 {
                    let (px, py) = (
                        x as f64 - 0.375 + 0.25 * f64::from(sx),
                        y as f64 - 0.375 + 0.25 * f64::from(sy),
                    );
                    if (px - cx).powi(2) + (py - cy).powi(2) <= r * r {
                        cover += 1.0 / 16.0;
                    }
                }
            }
        }
        (170.0 * (1.0 - contrast * cover) + 1.0 * noise.normal()) as f32
    });
    (grey_image(p), discs.len(), mean_area)
}

fn all(img: &RgbPlanes, mm: Option<f64>) -> skintrack::measure::Measurements {
    let opts = MeasureOptions {
        mm_per_px: mm.and_then(MmPerPx::new),
        ..MeasureOptions::default()
    };
    measure(
        Path::new("synthetic"),
        img,
        Rect::new(0, 0, img.width(), img.height()),
        &opts,
    )
    .unwrap()
}

#[test]
fn line_length_per_area_is_within_5_percent() {
    // widths and contrasts of fine lines; without a scale (px) and at
    // 0.02 mm/px, where the same lines are 0.04–0.06 mm wide
    for (seed, width, contrast, mm) in [
        (1u64, 1.2, 0.18, None),
        (2, 1.8, 0.15, None),
        (3, 2.5, 0.25, None),
        (4, 2.0, 0.2, Some(0.02)),
        (5, 3.0, 0.12, Some(0.04)),
    ] {
        let (img, total) = lines_image(seed, 640, 480, 10, width, contrast);
        let m = all(&img, mm);
        let area = (640 * 480) as f64;
        let truth = total / area / mm.unwrap_or(1.0);
        let got = m.values["wrinkles.length_per_area"].value;
        let err = (got - truth).abs() / truth;
        eprintln!(
            "seed {seed} σ {width}: length/area {got:.5} vs {truth:.5} ({:+.1} %)",
            100.0 * (got - truth) / truth
        );
        assert!(err <= 0.05, "seed {seed}: {got} vs {truth}");
    }
}

#[test]
fn blob_count_within_3_percent_and_area_within_10_percent() {
    // pores of 0.05–0.3 mm diameter: radius 1.25–7.5 px at 0.02 mm/px, and
    // 0.5–3 px without a scale (filter sizes then assume 0.05 mm/px)
    for (seed, r_lo, r_hi, mm) in [
        (11u64, 2.0, 4.0, Some(0.02)),
        (12, 3.0, 7.0, Some(0.02)),
        (14, 1.5, 6.0, Some(0.02)),
        (13, 1.6, 2.8, None),
    ] {
        let (img, n, mean_area) = blobs_image(seed, 600, 600, 150, r_lo, r_hi, 0.25);
        let m = all(&img, mm);
        let per = mm.map_or(1e6, |s| 100.0 / (s * s)); // per Mpx or per cm²
        let truth_count = n as f64 / (600.0 * 600.0) * per;
        let got_count = m.values["pores.count_per_area"].value;
        let unit_area = mm.map_or(1.0, |s| s * s);
        let got_area = m.values["pores.mean_area"].value / unit_area;
        eprintln!(
            "seed {seed}: count {:.1} vs {truth_count:.1}, mean area {got_area:.2} vs {mean_area:.2} px²",
            got_count
        );
        assert!(
            (got_count - truth_count).abs() / truth_count <= 0.03,
            "count {got_count} vs {truth_count}"
        );
        assert!(
            (got_area - mean_area).abs() / mean_area <= 0.10,
            "area {got_area} vs {mean_area}"
        );
    }
}

/// CIE 1976 L*a*b* of an 8-bit sRGB colour from the standards' formulas
/// (IEC 61966-2-1 transfer curve, D65 white, ε = 216/24389, κ = 24389/27),
/// written independently of skintrack's code.
fn cie_lab(rgb: [u8; 3]) -> [f64; 3] {
    let lin = rgb.map(|v| {
        let c = f64::from(v) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    });
    let m = [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ];
    let white = [0.95047, 1.0, 1.08883];
    let f = |t: f64| {
        if t > 0.008856 {
            t.powf(1.0 / 3.0)
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    let xyz: Vec<f64> = (0..3)
        .map(|i| (m[i][0] * lin[0] + m[i][1] * lin[1] + m[i][2] * lin[2]) / white[i])
        .collect();
    let (fx, fy, fz) = (f(xyz[0]), f(xyz[1]), f(xyz[2]));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

#[test]
fn uniform_patches_have_the_cie_lab_values() {
    for rgb in [
        [224u8, 172, 150],
        [120, 80, 60],
        [250, 240, 230],
        [30, 20, 15],
        [200, 100, 100],
    ] {
        let plane = |c: u8| Plane::filled(64, 64, f32::from(c));
        let img = RgbPlanes {
            r: plane(rgb[0]),
            g: plane(rgb[1]),
            b: plane(rgb[2]),
            model: ColourModel::Rgb,
        };
        let m = all(&img, None);
        let want = cie_lab(rgb);
        for (k, id) in ["colour.L", "colour.a", "colour.b"].iter().enumerate() {
            let got = m.values[*id].value;
            assert!(
                (got - want[k]).abs() < 1e-4,
                "{rgb:?} {id}: {got} vs {}",
                want[k]
            );
        }
        let ita = ((want[0] - 50.0) / want[2]).atan().to_degrees();
        assert!((m.values["colour.ita_deg"].value - ita).abs() < 1e-4);
        // a uniform patch has no spread: zero uncertainty
        assert!(m.values["colour.L"].uncertainty < 1e-9);
    }
}

/// The image with its linear-light channels multiplied by `k` (exposure
/// and white balance), re-encoded to 8-bit values.
fn exposed_rgb(img: &RgbPlanes, k: [f64; 3]) -> RgbPlanes {
    let f = |v: f32, k: f64| {
        let c = f64::from(v) / 255.0;
        let lin = if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        } * k;
        let enc = if lin <= 0.0031308 {
            12.92 * lin
        } else {
            1.055 * lin.powf(1.0 / 2.4) - 0.055
        };
        (255.0 * enc).clamp(0.0, 255.0).round() as f32
    };
    RgbPlanes {
        r: img.r.map(|v| f(v, k[0])),
        g: img.g.map(|v| f(v, k[1])),
        b: img.b.map(|v| f(v, k[2])),
        model: img.model,
    }
}

fn exposed(img: &RgbPlanes, k: f64) -> RgbPlanes {
    exposed_rgb(img, [k; 3])
}

#[test]
fn exposure_moves_vs_control_colour_far_less_than_raw() {
    let img = skintrack::phantom::skin_image(31, 400, 300, 0.05, 0.0);
    let roi = Rect::new(120, 90, 220, 170);
    let control = Rect::new(10, 10, 90, 70);
    // later sessions are adapted to the first session's control colour
    let reference = skintrack::measure::control_reference(&img, control);
    let opts = MeasureOptions {
        control: Some(control),
        control_reference: reference,
        ..MeasureOptions::default()
    };
    let at = |k: f64| measure(Path::new("x"), &exposed(&img, k), roi, &opts).unwrap();
    let (base, dark, bright) = (at(1.0), at(0.8), at(1.2));
    for id in [
        "colour.L",
        "colour.b",
        "colour.ita_deg",
        "colour.melanin_index",
    ] {
        let vs = format!("{id}_vs_control");
        for (name, m) in [("−20 %", &dark), ("+20 %", &bright)] {
            let raw = (m.values[id].value - base.values[id].value).abs();
            let rel = (m.values[&vs].value - base.values[&vs].value).abs();
            eprintln!("{id} {name}: raw moves {raw:.3}, vs control {rel:.3}");
            assert!(raw > 0.3, "{id} should respond to exposure ({raw})");
            // exact up to 8-bit rounding and the 1/16-level linearisation table
            assert!(
                rel < 0.05 * raw,
                "{id} {name}: vs-control moves {rel}, raw {raw}"
            );
        }
    }
    // a white-balance cast moves raw a*, b* and ITA; against the control it cancels
    let cast = measure(
        Path::new("x"),
        &exposed_rgb(&img, [1.08, 1.0, 0.9]),
        roi,
        &opts,
    )
    .unwrap();
    for id in [
        "colour.a",
        "colour.b",
        "colour.ita_deg",
        "colour.erythema_index",
    ] {
        let vs = format!("{id}_vs_control");
        let raw = (cast.values[id].value - base.values[id].value).abs();
        let rel = (cast.values[&vs].value - base.values[&vs].value).abs();
        eprintln!("{id} cast: raw moves {raw:.3}, vs control {rel:.3}");
        assert!(rel < 0.05 * raw, "{id}: vs-control moves {rel}, raw {raw}");
    }
    // the fractions are relative to the control's median: exposure leaves them alone
    for id in ["colour.pigmented_fraction", "colour.red_fraction"] {
        for m in [&dark, &bright] {
            assert!(
                (m.values[id].value - base.values[id].value).abs() < 0.01,
                "{id}"
            );
        }
    }
}

fn rotated90(img: &RgbPlanes) -> RgbPlanes {
    img.map_planes(|p| Plane::from_fn(p.height(), p.width(), |x, y| p.at(y, p.height() - 1 - x)))
}

#[test]
fn ninety_degree_rotation_changes_texture_by_less_than_1_percent() {
    for name in [
        "textures/brick.png",
        "textures/grass.png",
        "photos/coffee.jpg",
    ] {
        let img = skintrack::ingest::read_photo(&common::data(name), &Default::default())
            .unwrap()
            .image;
        let a = all(&img, None);
        let b = all(&rotated90(&img), None);
        for id in [
            "texture.glcm_contrast",
            "texture.glcm_homogeneity",
            "texture.glcm_energy",
            "texture.glcm_correlation",
            "texture.glcm_entropy",
            "texture.lbp_entropy",
            "texture.roughness",
        ] {
            let (x, y) = (a.values[id].value, b.values[id].value);
            let d = (x - y).abs() / x.abs();
            assert!(d < 0.01, "{name} {id}: {x} vs {y} after rotation");
        }
    }
}
