//! The aligner on hard pairs made at test time with an exactly known
//! homography (issue 15, "alignment that is never confidently wrong"):
//! dim and night-time captures (gain 0.15–0.3, sensor noise, 8-bit
//! quantisation), low-texture smooth skin blurred by 2–4 px, strong gamma
//! changes, both at once, and mismatched pairs (different skin, different
//! photo) that must fail. The claim under test: a registration reported `ok`
//! is right, and a true pair with texture enough to be aligned is not
//! reported `failed`.

mod common;

use common::data;
use skintrack::align::{AlignOptions, Registration, register};
use skintrack::filters::gaussian_blur;
use skintrack::geometry::Homography;
use skintrack::ingest::{IngestOptions, read_photo};
use skintrack::raster::{Plane, RgbPlanes};
use skintrack::synth::{Draw, PairSpec, degrade, make_pair, resized};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

/// What makes a pair hard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    /// Dim or night-time MOVING (gain 0.15–0.3, noise, quantisation).
    Dark,
    /// Smooth skin or a smooth photo blurred by 2–4 px.
    LowTexture,
    /// Gamma 0.5–2 and gain between the visits.
    Gamma,
    /// Low texture and dark together (a night-time photo of smooth skin).
    Night,
    /// BASE and MOVING show different skin or different scenes.
    Mismatched,
}

/// One generated pair.
struct Case {
    label: String,
    base: Plane,
    moving: Plane,
    /// `base_from_moving`; `None` for a mismatched pair.
    truth: Option<Homography>,
    /// Cramér–Rao bound on the corner positions, px (true pairs).
    crb_px: f64,
}

/// Registration bases, photos and textures the scenes are cut from.
const FILES: [&str; 16] = [
    "photos/kodim23.jpg",
    "photos/astronaut.jpg",
    "photos/coffee.jpg",
    "photos/chelsea.png",
    "photos/camera.png",
    "photos/rocket.jpg",
    "textures/brick.png",
    "textures/grass.png",
    "textures/gravel.png",
    "registration/p03/base.jpg",
    "registration/p05/base.jpg",
    "registration/p06/base.jpg",
    "registration/p09/base.jpg",
    "registration/p10/base.jpg",
    "registration/p11/base.jpg",
    "registration/p12/base.jpg",
];

/// Scene size for a `w × h` frame: room for the shift, rotation and scale.
fn scene_size(w: usize, h: usize) -> (usize, usize) {
    (w * 41 / 24, h * 16 / 9)
}

/// A file's image resized to a scene for a `w × h` frame (decoded once).
fn file_scene(name: &str, w: usize, h: usize) -> RgbPlanes {
    static CACHE: OnceLock<Mutex<BTreeMap<(String, usize), RgbPlanes>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(BTreeMap::new()));
    let key = (name.to_string(), w);
    if let Some(s) = cache.lock().unwrap().get(&key) {
        return s.clone();
    }
    let (sw, sh) = scene_size(w, h);
    let img = read_photo(&data(name), &IngestOptions::default())
        .unwrap()
        .image
        .map_planes(|p| resized(p, sw, sh));
    cache.lock().unwrap().insert(key, img.clone());
    img
}

fn skin_scene(seed: u64, smooth: f64, w: usize, h: usize) -> RgbPlanes {
    let (sw, sh) = scene_size(w, h);
    skintrack::phantom::skin_image(seed, sw, sh, 0.05, smooth)
}

/// A scene of the kind `class` needs; `alt` picks a different one of the
/// same kind (for mismatched pairs).
fn scene(class: Class, d: &mut Draw, w: usize, h: usize, seed: u64) -> (String, RgbPlanes) {
    let low = matches!(class, Class::LowTexture | Class::Night);
    let skin = d.unit() < if low { 0.7 } else { 0.4 };
    let (label, sc) = if skin {
        let smooth = if low {
            d.range(0.6, 1.0)
        } else {
            d.range(0.0, 0.7)
        };
        (
            format!("skin {seed} smooth {smooth:.2}"),
            skin_scene(seed, smooth, w, h),
        )
    } else {
        let name = FILES[(d.unit() * FILES.len() as f64) as usize % FILES.len()];
        (name.to_string(), file_scene(name, w, h))
    };
    if low {
        let sigma = d.range(2.0, 4.0);
        (
            format!("{label}, blur {sigma:.1}"),
            sc.map_planes(|p| gaussian_blur(p, sigma)),
        )
    } else {
        (label, sc)
    }
}

/// Geometry of every class: similarity (scale 0.9–1.1, rotation ±10°),
/// shift up to 8 % of the size, mild perspective (≤ 3 %).
fn geometry(d: &mut Draw, seed: u64) -> PairSpec {
    PairSpec {
        rotation_deg: d.range(-10.0, 10.0),
        scale: d.range(0.9f64.ln(), 1.1f64.ln()).exp(),
        perspective: d.range(0.0, 0.03),
        shift: (d.range(-0.08, 0.08), d.range(-0.08, 0.08)),
        seed,
        ..PairSpec::default()
    }
}

/// Dim light: gain 0.15–0.3, sensor noise 1–2.5 levels, a warm cast
/// sometimes, then 8-bit quantisation (`degrade` rounds) and JPEG half the time.
fn dark(spec: &mut PairSpec, d: &mut Draw) {
    spec.gain = d.range(0.15, 0.3);
    spec.gamma = d.range(0.9, 1.1);
    spec.noise = d.range(1.0, 2.5);
    if d.unit() < 0.5 {
        spec.cast = [d.range(1.0, 1.15), 1.0, d.range(0.8, 1.0)];
    }
    spec.jpeg_quality = (d.unit() < 0.5).then(|| d.range(80.0, 95.0) as u8);
}

/// An ordinary exposure with mild noise.
fn normal(spec: &mut PairSpec, d: &mut Draw) {
    spec.gain = d.range(0.7, 1.3);
    spec.gamma = d.range(0.85, 1.15);
    spec.noise = d.range(0.5, 2.0);
    spec.jpeg_quality = Some(d.range(80.0, 95.0) as u8);
}

/// The photometry of MOVING (in `spec`) and of BASE (returned: a spec with
/// the identity geometry, or `None` to leave BASE as cut).
fn photometry(class: Class, spec: &mut PairSpec, d: &mut Draw) -> Option<PairSpec> {
    let mut base = PairSpec {
        seed: spec.seed ^ 0xBA5E,
        ..PairSpec::default()
    };
    match class {
        Class::Dark | Class::Night => {
            dark(spec, d);
            // night-time visits on both sides half the time
            if d.unit() < 0.5 {
                dark(&mut base, d);
                return Some(base);
            }
        }
        Class::LowTexture => normal(spec, d),
        Class::Gamma => {
            normal(spec, d);
            spec.gamma = d.range(0.5f64.ln(), 2.0f64.ln()).exp();
            spec.gain = d.range(0.6, 1.4);
        }
        Class::Mismatched => {
            let like = [Class::Dark, Class::LowTexture, Class::Gamma, Class::Night]
                [(d.unit() * 4.0) as usize % 4];
            return photometry(like, spec, d);
        }
    }
    None
}

/// The `k`-th pair of `class` (deterministic), `w × h`.
fn case(class: Class, k: u64, w: usize, h: usize) -> Case {
    let seed = 15_000 + 100 * class as u64 + k;
    let mut d = Draw::new(seed);
    let mut spec = geometry(&mut d, seed);
    let base_spec = photometry(class, &mut spec, &mut d);
    let scene_class = if class == Class::Mismatched {
        [Class::Dark, Class::LowTexture, Class::Gamma][(d.unit() * 3.0) as usize % 3]
    } else {
        class
    };
    let (label, sc) = scene(scene_class, &mut d, w, h, seed);
    let (mut base, mut moving, truth) = make_pair(&sc, w, h, &spec);
    let (label, truth) = if class == Class::Mismatched {
        // MOVING from another scene of the same kind: another skin seed
        // (same smoothness class) or another file
        let mut d2 = Draw::new(seed ^ 0xD1FF);
        let (other, sc2) = loop {
            let (l, s) = scene(scene_class, &mut d2, w, h, seed + 7919);
            if l.split(',').next() != label.split(',').next() {
                break (l, s);
            }
        };
        moving = make_pair(&sc2, w, h, &spec).1;
        (format!("{label} vs {other}"), None)
    } else {
        (label, Some(truth))
    };
    let clean = base.luminance();
    let noise_var = |s: &PairSpec| (s.noise * s.noise + 1.0 / 12.0) / (s.gain * s.gain);
    let sigma2 = noise_var(&spec) + base_spec.as_ref().map_or(0.0, noise_var);
    let crb_px = cramer_rao_corner_px(&clean, sigma2);
    if let Some(b) = base_spec {
        degrade(&mut base, &b);
    }
    Case {
        crb_px,
        label: format!("{label}; {spec:?}"),
        base: base.luminance(),
        moving: moving.luminance(),
        truth,
    }
}

/// Cramér–Rao lower bound on the corner position error (px) of any
/// unbiased estimator of the 8-parameter homography from a pair whose clean
/// BASE is `clean` and whose residual noise variance is `sigma2` (grey
/// levels² of `clean`): the inverse Fisher information
/// σ²(Σ gᵢgᵢᵀ)⁻¹, gᵢ = ∇B(xᵢ)·∂W/∂p, propagated to the four corners; the
/// largest corner's standard deviation. An independent measure of how much
/// the pair's texture can tell, whatever the aligner.
fn cramer_rao_corner_px(clean: &Plane, sigma2: f64) -> f64 {
    let (w, h) = (clean.width(), clean.height());
    let s = 2.0 / w.max(h) as f64;
    let (cx, cy) = (0.5 * (w as f64 - 1.0), 0.5 * (h as f64 - 1.0));
    let mut f = nalgebra::SMatrix::<f64, 8, 8>::zeros();
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let gx = f64::from(clean.at(x + 1, y) - clean.at(x - 1, y)) * 0.5 / s;
            let gy = f64::from(clean.at(x, y + 1) - clean.at(x, y - 1)) * 0.5 / s;
            let (xn, yn) = ((x as f64 - cx) * s, (y as f64 - cy) * s);
            let g = nalgebra::SVector::<f64, 8>::from_column_slice(&[
                gx * xn,
                gx * yn,
                gx,
                gy * xn,
                gy * yn,
                gy,
                -gx * xn * xn - gy * xn * yn,
                -gx * xn * yn - gy * yn * yn,
            ]);
            f += g * g.transpose();
        }
    }
    let Some(inv) = f.try_inverse() else {
        return f64::INFINITY;
    };
    let mut worst = 0.0f64;
    for (x, y) in [
        (0.0, 0.0),
        (w as f64 - 1.0, 0.0),
        (0.0, h as f64 - 1.0),
        (w as f64 - 1.0, h as f64 - 1.0),
    ] {
        let (xn, yn) = ((x - cx) * s, (y - cy) * s);
        let jx = nalgebra::SVector::<f64, 8>::from_column_slice(&[
            xn,
            yn,
            1.0,
            0.0,
            0.0,
            0.0,
            -xn * xn,
            -xn * yn,
        ]);
        let jy = nalgebra::SVector::<f64, 8>::from_column_slice(&[
            0.0,
            0.0,
            0.0,
            xn,
            yn,
            1.0,
            -xn * yn,
            -yn * yn,
        ]);
        let var =
            sigma2 * ((jx.transpose() * inv * jx)[(0, 0)] + (jy.transpose() * inv * jy)[(0, 0)]);
        worst = worst.max(var.max(0.0).sqrt() / s);
    }
    worst
}

/// Corner error of the estimate (the registration tests' metric: mean
/// distance of BASE's corners mapped into MOVING) and the largest of the four.
fn corner_errors(truth: &Homography, est: &Homography, w: usize, h: usize) -> (f64, f64) {
    let (t, e) = (truth.inverse().unwrap(), est.inverse().unwrap());
    let (wf, hf) = (w as f64 - 1.0, h as f64 - 1.0);
    let max = [(0.0, 0.0), (wf, 0.0), (wf, hf), (0.0, hf)]
        .iter()
        .map(|&(x, y)| {
            let (a, b) = (t.apply(x, y).unwrap(), e.apply(x, y).unwrap());
            ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
        })
        .fold(0.0, f64::max);
    (t.corner_error(&e, w, h), max)
}

struct Outcome {
    reg: Registration,
    /// (mean, max) corner error; `None` for mismatched pairs.
    err: Option<(f64, f64)>,
}

fn run(c: &Case) -> Outcome {
    let reg = register(&c.base, &c.moving, &AlignOptions::default());
    let (w, h) = (c.base.width(), c.base.height());
    let err = c
        .truth
        .map(|t| corner_errors(&t, &reg.base_from_moving, w, h));
    Outcome { reg, err }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos.fract());
    let next = sorted[(i + 1).min(sorted.len() - 1)];
    sorted[i] + f * (next - sorted[i])
}

/// Frame size of the `k`-th pair: every fourth is 960 × 720 (more pyramid
/// levels, so the verification has more to choose from), the rest 480 × 360.
fn frame(k: u64) -> (usize, usize) {
    if k % 4 == 3 { (960, 720) } else { (480, 360) }
}

/// Largest corner error (px) a pair reported `ok` may have: the issue's
/// target, on the worst of the four corners (stricter than the mean the
/// registration tests use).
const OK_MAX_CORNER_PX: f64 = 1.5;

/// A true pair has texture enough to be confirmed when its Cramér–Rao
/// bound is at most this (px). Derivation: the verification confirms when
/// its corner residual c plus 2.5 standard errors σ stays within 1.5 px; at
/// the true transform c is the largest of four 2-D errors, about 1.5 σ, so
/// it needs σ ≲ 1.5 / 4 ≈ 0.37 px. Its σ is 1.5–4.5 × the bound (it works
/// from 36 patches and a fitted field, not from every pixel and the exact
/// model), so below ≈ 0.1 px every pair is confirmed and above ≈ 0.3 px
/// hardly any. Measured on 128 true pairs (seeds 0..32): every
/// pair up to 0.138 px was confirmed, the first failure is at 0.142 px.
const ENOUGH_TEXTURE_PX: f64 = 0.12;

/// Seeds of the property tests: seeds 0..16 were
/// looked at while the verification was built; these were not.
const SEEDS: std::ops::Range<u64> = 100..110;

/// Registers the pairs of `class` for `SEEDS` and fails on any pair
/// reported ok with a corner beyond [`OK_MAX_CORNER_PX`], any mismatched
/// pair reported ok, any failure without a reason, and any true pair with
/// texture enough that is reported failed.
fn class_keeps_its_promises(class: Class) {
    let mut wrong = Vec::new();
    for k in SEEDS {
        let (w, h) = frame(k);
        let c = case(class, k, w, h);
        let o = run(&c);
        let what = format!(
            "{class:?} #{k} ({}, Cramér–Rao {:.3} px): {:?}, error {:?}, {:?}",
            c.label, c.crb_px, o.reg.status, o.err, o.reg.reason
        );
        eprintln!("{what}");
        match (o.reg.is_ok(), o.err) {
            (true, Some((_, max))) if max > OK_MAX_CORNER_PX => {
                wrong.push(format!("ok but wrong: {what}"))
            }
            (true, None) => wrong.push(format!("mismatched pair reported ok: {what}")),
            (false, Some(_)) if c.crb_px <= ENOUGH_TEXTURE_PX => {
                wrong.push(format!(
                    "true pair with texture enough reported failed: {what}"
                ));
            }
            (false, _) if o.reg.reason.as_deref().is_none_or(str::is_empty) => {
                wrong.push(format!("failed without a reason: {what}"));
            }
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn dim_pairs_are_ok_and_right() {
    class_keeps_its_promises(Class::Dark);
}

#[test]
fn blurred_smooth_skin_pairs_are_ok_and_right() {
    class_keeps_its_promises(Class::LowTexture);
}

#[test]
fn gamma_pairs_are_ok_and_right() {
    class_keeps_its_promises(Class::Gamma);
}

#[test]
fn night_pairs_are_right_when_ok_and_ok_when_textured() {
    class_keeps_its_promises(Class::Night);
}

#[test]
fn mismatched_pairs_fail_with_a_reason() {
    class_keeps_its_promises(Class::Mismatched);
}

/// The held-out failure of issue 15: a dim, low-texture pair reported ok at
/// the wrong scale (18.8 px at the corners). The verification must confirm
/// the true transform of such a pair and refuse the same transform scaled
/// by 1.7 % about the centre (≈ 4–8 px at the corners of these frames),
/// and by 0.5 % (≈ 1.3–2.5 px: just beyond the tolerance).
#[test]
fn verification_refuses_a_wrong_scale_on_dim_smooth_skin() {
    use skintrack::align::pyramid::Pyramid;
    use skintrack::align::verify::verify;
    let mut checked = 0;
    for k in 0..12 {
        let (w, h) = frame(k);
        let c = case(Class::Dark, k, w, h);
        if !c.label.starts_with("skin") || c.crb_px > ENOUGH_TEXTURE_PX {
            continue; // skin pairs with texture enough only
        }
        let (pb, pm) = (
            Pyramid::of_plane(&c.base, 24),
            Pyramid::of_plane(&c.moving, 24),
        );
        let truth = c.truth.unwrap().inverse().unwrap(); // moving_from_base
        let levels = 0..=2;
        let right = verify(&pb, &pm, &truth, levels.clone(), &[]);
        assert!(
            right.confirms(),
            "#{k} {}: truth not confirmed: {right:?}",
            c.label
        );
        for scale in [1.017, 0.995] {
            let (cx, cy) = (0.5 * (w as f64 - 1.0), 0.5 * (h as f64 - 1.0));
            let wrong = truth * Homography::similarity_about(0.0, scale, cx, cy);
            let (t, e) = (c.truth.unwrap(), wrong.inverse().unwrap());
            let off = corner_errors(&t, &e, w, h).1;
            let v = verify(&pb, &pm, &wrong, levels.clone(), &[]);
            eprintln!(
                "#{k} {}: scale {scale}, corners {off:.2} px off: {v:?}",
                c.label
            );
            assert!(
                !v.confirms(),
                "#{k} {}: scale {scale} ({off:.2} px off) confirmed: {v:?}",
                c.label
            );
        }
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} dim skin pairs to check");
}

fn registration_truth(name: &str) -> (Plane, Plane, Homography) {
    let grey = |which: &str| {
        read_photo(
            &data(&format!("registration/{name}/{which}.jpg")),
            &IngestOptions::default(),
        )
        .unwrap()
        .image
        .luminance()
    };
    let t: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data(&format!("registration/{name}/truth.json"))).unwrap(),
    )
    .unwrap();
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = t["base_from_moving"][i][j].as_f64().unwrap();
        }
    }
    (grey("base"), grey("moving"), Homography(m))
}

/// The issue's accuracy targets on the 12 pairs of tests/data/registration:
/// every pair ok, median ≤ 0.1 px and 90th percentile ≤ 0.3 px (the
/// registration tests' own bars are 0.3 and 1.0), every corner within 1.5 px.
#[test]
fn registration_pairs_meet_the_issue_targets() {
    let mut errors = Vec::new();
    for i in 1..=12 {
        let name = format!("p{i:02}");
        let (base, moving, truth) = registration_truth(&name);
        let reg = register(&base, &moving, &AlignOptions::default());
        assert!(reg.is_ok(), "{name}: {:?}", reg.reason);
        let (mean, max) = corner_errors(&truth, &reg.base_from_moving, base.width(), base.height());
        eprintln!("{name}: corner error {mean:.3} px (worst corner {max:.3})");
        assert!(max <= OK_MAX_CORNER_PX, "{name}: worst corner {max} px");
        errors.push(mean);
    }
    errors.sort_by(f64::total_cmp);
    let (median, p90) = (percentile(&errors, 0.5), percentile(&errors, 0.9));
    eprintln!("median {median:.3} px, p90 {p90:.3} px");
    assert!(median <= 0.1, "median {median}");
    assert!(p90 <= 0.3, "p90 {p90}");
}
