//! How much a JPEG's rounding moves the colour measures claims rest on.
//! JPEG keeps each 8×8 block's mean only to a multiple of its DC quantiser
//! step over 8 (quality 70: 1.25 levels of 255), and the decoder rounds
//! every sample to a whole level. A block of smooth chroma keeps no AC
//! coefficient (the quantiser takes the noise out with the detail), so all
//! its samples carry the same two roundings; where a whole area's blocks
//! round alike, its mean colour moves by a share of a level and a step that
//! depends only on where the colour falls between two multiples. Measured
//! on unchanged skin, quality 70 alone moved the erythema excess of visibly
//! red skin by −0.47 units (−7 %) on average (BENCHMARKS.md); on a grey
//! scene under a colour cast, quality 82 and noise moved it by 1.27.
//!
//! Detail in the decoded chroma dithers both roundings: its blocks and
//! samples fall between different multiples, and their errors average out.
//! So each area's rounding is that of a uniform error, 1/√12 of the
//! quantiser, shrunk by the area's own chroma detail against each
//! quantiser ([`dithered`]); carried through the sRGB curve at the
//! brightness of the capture's control region (else its region), as
//! captured, to each measure, for both areas it compares (the region or
//! the spots, and the control). The luma's rounding keeps a calibrated
//! share of its step ([`DITHER`]): the luma holds the skin's texture and
//! the sensor's noise, which dither it.

use crate::ingest::DcSteps;
use crate::measure::Value;
use crate::raster::{RgbPlanes, linear_to_srgb};
use std::collections::BTreeMap;

/// The standard deviation of an area's rounded mean luma over the
/// block-mean step. Every block of an area rounding alike, with the skin's
/// brightness anywhere between two multiples, would give 1/√12 = 0.29;
/// noise and texture spread the blocks over neighbouring multiples and
/// shrink it. Calibrated on unchanged skin (seeds 101–108, with and without a lasting
/// redness, each of qualities 60–95 against a quality-90 baseline, 192
/// follow-ups per measure): the shifts' RMS is 0.20–0.45 of what 1/√12
/// predicts, their largest 1.06 of it; 1/6 puts that largest within 1.96
/// standard deviations, the MDC's own level.
pub const DITHER: f64 = 1.0 / 6.0;

/// 100 / ln 10: a natural-log change in index units.
const INDEX_PER_LN: f64 = 100.0 / std::f64::consts::LN_10;

/// The standard deviations a capture's JPEG rounding adds to the colour
/// measures claims rest on, in their units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColourRounding {
    /// Of `colour.erythema_index_vs_control`.
    pub erythema: f64,
    /// Of `colour.spot_melanin_excess`.
    pub melanin: f64,
}

/// d ln(linear light) / d(encoded level) at the encoded level `v` (0–255),
/// of the sRGB transfer function (IEC 61966-2-1).
fn log_slope(v: f64) -> f64 {
    if v <= 255.0 * 0.040_45 {
        1.0 / v.max(0.5)
    } else {
        2.4 / (v + 0.055 * 255.0)
    }
}

/// The side of the blocks over which [`chroma_detail`] is read: a 4:2:0
/// JPEG's chroma blocks cover 16×16 pixels.
const DETAIL_BLOCK: usize = 16;

/// An area's chroma detail: the standard deviation, in levels of 255, of
/// its red minus green about that difference's mean over each 16×16 block
/// (whole blocks whose pixels are all valid; 0 when there is none, the
/// safe side). Decoded chroma that a JPEG left flat has none beyond the
/// decoder's own rounding (0.2–0.3 levels); skin's colour texture and
/// chroma noise that survived the quantiser give 1–2 (the phantom's 1.6).
#[must_use]
pub fn chroma_detail(area: &RgbPlanes) -> f64 {
    let k = DETAIL_BLOCK;
    let (w, h) = (area.width(), area.height());
    let mut diff = vec![0.0f64; k * k];
    let (mut sum_sq, mut n) = (0.0f64, 0usize);
    for by in 0..h / k {
        for bx in 0..w / k {
            let mut valid = true;
            for y in 0..k {
                let row = by * k + y;
                let cols = bx * k..bx * k + k;
                let (r, g) = (&area.r.row(row)[cols.clone()], &area.g.row(row)[cols]);
                for (x, (&r, &g)) in r.iter().zip(g).enumerate() {
                    valid &= r.is_finite() && g.is_finite();
                    diff[y * k + x] = f64::from(r) - f64::from(g);
                }
            }
            if !valid {
                continue;
            }
            let mean = diff.iter().sum::<f64>() / diff.len() as f64;
            sum_sq += diff.iter().map(|d| (d - mean).powi(2)).sum::<f64>();
            n += diff.len();
        }
    }
    if n == 0 {
        0.0
    } else {
        (sum_sq / n as f64).sqrt()
    }
}

/// The share of an undithered rounding to multiples of `step` left in an
/// area's mean where the rounded values carry detail of standard deviation
/// `detail` (both in levels): 1 without detail, the values then all falling
/// alike between two multiples; 1/(1 + (detail/step)²/3) with it.
/// Fitted on 1 500 areas of flat or textured chroma under a colour cast
/// (libjpeg at qualities 60–95, 4:4:4 and 4:2:0, noise 0–2.5 levels): the
/// shifts of their mean red minus green over the standard deviation this
/// model gives ([`chroma_sd`]) have an RMS of 0.78, 2.0 % beyond 1.96
/// (with /2: 0.85 and 2.5 %; `exp(−(detail/step)²/2)`: 1.33 and 10 %;
/// the former 1/6 of the DC step alone: 2.31 and 28 %; BENCHMARKS.md).
fn dithered(detail: f64, step: f64) -> f64 {
    1.0 / (1.0 + (detail / step).powi(2) / 3.0)
}

/// The standard deviation, in levels, of the mean Cb or Cr of an area with
/// chroma detail `detail` in a JPEG whose chroma DC step is `step`: each
/// block's mean is rounded to a multiple of step/8 and each sample to a
/// whole level, each a uniform error of 1/√12 of its quantiser when
/// nothing dithers it.
fn chroma_sd(step: u16, detail: f64) -> f64 {
    let lattice = f64::from(step) / 8.0;
    let uniform = 1.0 / 12f64.sqrt();
    (lattice * uniform * dithered(detail, lattice)).hypot(uniform * dithered(detail, 1.0))
}

/// The chroma detail ([`chroma_detail`]) of the two areas a colour measure
/// compares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AreaDetail {
    /// Of the measured region (where the spots of the pigment measure lie).
    pub region: f64,
    /// Of the control region.
    pub control: f64,
}

/// The rounding of a capture with DC steps `steps` whose skin has the
/// mean linear RGB `mean_linear` (0–1, as captured) and whose areas have
/// the chroma detail `detail`.
#[must_use]
pub fn colour_rounding(
    steps: DcSteps,
    mean_linear: [f64; 3],
    detail: AreaDetail,
) -> ColourRounding {
    let sy = DITHER * f64::from(steps.luma) / 8.0;
    let r = log_slope(linear_to_srgb(mean_linear[0]));
    let g = log_slope(linear_to_srgb(mean_linear[1]));
    // R = Y + 1.402 Cr, G = Y − 0.344 Cb − 0.714 Cr (JFIF, ITU-T T.871): the erythema
    // index 100·log10(R/G) moves with Y by (r − g), with Cr by
    // (1.402 r + 0.714 g), with Cb by 0.344 g; the melanin index
    // −100·log10 R with Y by r and with Cr by 1.402 r
    let erythema_var = |sc: f64| {
        ((r - g) * sy).powi(2) + ((1.402 * r + 0.714 * g) * sc).powi(2) + (0.344 * g * sc).powi(2)
    };
    let melanin_var = |sc: f64| (r * sy).powi(2) + (1.402 * r * sc).powi(2);
    let (region, control) = (
        chroma_sd(steps.chroma, detail.region),
        chroma_sd(steps.chroma, detail.control),
    );
    // two areas round independently: the region (or its spots) and the
    // control
    ColourRounding {
        erythema: INDEX_PER_LN * (erythema_var(region) + erythema_var(control)).sqrt(),
        melanin: INDEX_PER_LN * (melanin_var(region) + melanin_var(control)).sqrt(),
    }
}

/// Adds the rounding's standard deviations (in quadrature) to the
/// uncertainties of the measures of `values` it moves.
pub fn widen_mut(values: &mut BTreeMap<String, Value>, rounding: ColourRounding) {
    for (id, sd) in [
        (crate::catalog::id::ERYTHEMA_VS_CONTROL, rounding.erythema),
        (crate::catalog::id::SPOT_MELANIN, rounding.melanin),
    ] {
        if let Some(v) = values.get_mut(id) {
            v.uncertainty = v.uncertainty.hypot(sd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::{Plane, Rect, srgb_to_linear};

    /// The rounding's effect on the erythema excess by brute force: the
    /// region's and the control's mean YCbCr moved by ±δ in each channel
    /// in turn, the index recomputed from linear light.
    #[test]
    fn the_slopes_carry_a_rounding_to_the_indices_as_a_direct_computation_does() {
        let (region, control) = ([200.0, 150.0, 130.0], [205.0, 160.0, 140.0]);
        let ycc = |[r, g, b]: [f64; 3]| {
            let y = 0.299 * r + 0.587 * g + 0.114 * b;
            [y, 0.564 * (b - y), 0.713 * (r - y)]
        };
        let rgb = |[y, cb, cr]: [f64; 3]| {
            [
                y + 1.402 * cr,
                y - 0.344_136 * cb - 0.714_136 * cr,
                y + 1.772 * cb,
            ]
        };
        let ei = |c: [f64; 3]| {
            let [r, g, _] = rgb(c);
            INDEX_PER_LN * (srgb_to_linear(r) / srgb_to_linear(g)).ln()
        };
        let mi = |c: [f64; 3]| -INDEX_PER_LN * srgb_to_linear(rgb(c)[0]).ln();
        let delta = 0.01;
        let step = 8; // a block-mean step of one level
        let steps = DcSteps {
            luma: step,
            chroma: step,
        };
        // the region's chroma flat, the control's detailed
        let detail = AreaDetail {
            region: 0.2,
            control: 2.0,
        };
        let sy = DITHER * f64::from(step) / 8.0;
        // each index's variance from each channel of each area
        let mut var = [0.0f64; 2];
        for (area, d) in [(region, detail.region), (control, detail.control)] {
            let c = ycc(area);
            let sc = chroma_sd(step, d);
            for (k, sd) in [sy, sc, sc].into_iter().enumerate() {
                let mut up = c;
                up[k] += delta;
                var[0] += ((ei(up) - ei(c)) / delta * sd).powi(2);
                var[1] += ((mi(up) - mi(c)) / delta * sd).powi(2);
            }
        }
        // the same skin seen by colour_rounding through its mean level
        // (both areas at their mean: the slopes vary little between them)
        let mean = [202.5, 155.0, 135.0].map(srgb_to_linear);
        let got = colour_rounding(steps, mean, detail);
        let want = [var[0].sqrt(), var[1].sqrt()];
        assert!(
            (got.erythema / want[0] - 1.0).abs() < 0.03,
            "{got:?} {want:?}"
        );
        assert!(
            (got.melanin / want[1] - 1.0).abs() < 0.03,
            "{got:?} {want:?}"
        );
    }

    #[test]
    fn finer_steps_brighter_skin_and_chroma_detail_round_less() {
        let skin = [0.5, 0.3, 0.25];
        let q = |s: u16| DcSteps { luma: s, chroma: s };
        let flat = AreaDetail {
            region: 0.0,
            control: 0.0,
        };
        let (q90, q70) = (
            colour_rounding(q(3), skin, flat),
            colour_rounding(q(10), skin, flat),
        );
        assert!(q70.erythema > 1.2 * q90.erythema && q70.melanin > 1.2 * q90.melanin);
        let dark = colour_rounding(q(10), skin.map(|v| v * 0.4), flat);
        assert!(dark.erythema > q70.erythema && dark.melanin > q70.melanin);
        let detailed = colour_rounding(
            q(10),
            skin,
            AreaDetail {
                region: 2.0,
                control: 2.0,
            },
        );
        assert!(detailed.erythema < 0.6 * q70.erythema);
        // flat chroma: a uniform error of 1/√12 of each quantiser, a level
        // and the block-mean step of 1.25 levels
        let uniform = 1.0 / 12f64.sqrt();
        assert!((chroma_sd(10, 0.0) - uniform * 1.25f64.hypot(1.0)).abs() < 1e-12);
        // detail equal to a quantiser leaves 3/4 of its rounding
        assert!((chroma_sd(8, 1.0) - uniform * 0.75f64.hypot(0.75)).abs() < 1e-12);
    }

    /// The detail is read within 16×16 blocks: a smooth gradient of the
    /// chroma across the area is no detail, noise within blocks is.
    #[test]
    fn chroma_detail_is_the_spread_within_blocks() {
        let (w, h) = (48, 40); // 3 × 2 whole blocks, a margin left out
        let planes = |f: &dyn Fn(usize, usize) -> f32| RgbPlanes {
            r: Plane::from_fn(w, h, |x, y| 120.0 + f(x, y)),
            g: Plane::from_fn(w, h, |_, _| 100.0),
            b: Plane::from_fn(w, h, |_, _| 90.0),
            model: crate::raster::ColourModel::Rgb,
        };
        // constant within each block, different between blocks
        let steps = planes(&|x, y| ((x / 16) * 3 + (y / 16) * 7) as f32);
        assert!(chroma_detail(&steps) < 1e-9);
        // ±1 alternating: a standard deviation of 1
        let checker = planes(&|x, y| if (x + y) % 2 == 0 { 1.0 } else { -1.0 });
        assert!((chroma_detail(&checker) - 1.0).abs() < 1e-9);
        // a block holding an invalid pixel is left out
        let mut holed = checker.clone();
        holed.r.data_mut()[0] = f32::NAN;
        assert!((chroma_detail(&holed) - 1.0).abs() < 1e-9);
        // an area smaller than a block has no reading: flat, the safe side
        let small = planes(&|x, y| (x + y) as f32);
        assert_eq!(chroma_detail(&small.crop(Rect::new(0, 0, 15, 40))), 0.0);
    }

    /// The model against this project's own JPEG encoders and decoder: areas
    /// of grey skin under a colour cast (the chroma the quantiser flattens)
    /// and of skin with colour texture, with noise, through a round trip at
    /// qualities 60–90, 4:4:4 and 4:2:0. Each area's erythema index moves by
    /// the rounding of one area; the model's standard deviation of one area
    /// is that of a control region alike. Here the model's z-scores have an
    /// RMS of 0.98, 3.3 % beyond 1.96; the former model (1/6 of the chroma
    /// DC step, no level, no detail) gave 2.44 and 41 %.
    #[test]
    fn the_rounding_model_holds_on_a_jpeg_round_trip() {
        use crate::measure::colour::erythema_index;
        let (w, h) = (64, 64);
        let mut rng = crate::synth::Draw::new(11);
        // noise of unit variance: a sum of 12 uniforms
        let normal = |rng: &mut crate::synth::Draw| (0..12).map(|_| rng.unit()).sum::<f64>() - 6.0;
        let (mut sum_z2, mut beyond, mut n) = (0.0f64, 0, 0);
        for t in 0..120 {
            let grey = rng.range(70.0, 200.0);
            let cast = [rng.range(0.92, 1.08), 1.0, rng.range(0.92, 1.08)];
            let texture = [0.0, 2.0][t % 2];
            let noise = [0.0, 0.8, 1.6][t % 3];
            let phase = rng.range(0.0, 6.0);
            let mut rgb = vec![0u8; w * h * 3];
            for y in 0..h {
                for x in 0..w {
                    let luma =
                        grey + 8.0 * ((x as f64) / 5.3 + phase).sin() * ((y as f64) / 7.1).cos();
                    let chroma =
                        texture * ((x as f64) / 3.1).sin() * ((y as f64) / 2.7 + phase).sin();
                    for k in 0..3 {
                        let v = luma * cast[k]
                            + if k == 0 { chroma } else { 0.0 }
                            + noise * normal(&mut rng);
                        rgb[(y * w + x) * 3 + k] = v.round().clamp(0.0, 255.0) as u8;
                    }
                }
            }
            let quality = [60u8, 70, 82, 90][t % 4];
            let path = std::path::Path::new("t.jpg");
            let jpeg = if t % 5 < 2 {
                crate::output::jpeg_output(path, w, h, &rgb, quality)
            } else {
                crate::output::jpeg_rgb8(path, w, h, &rgb, quality)
            }
            .unwrap();
            let steps = crate::ingest::dc_steps(&jpeg).unwrap();
            let decoded = image::load_from_memory(&jpeg).unwrap().to_rgb8();
            let area = |px: &[u8]| {
                let mut planes = [vec![0.0f32; w * h], vec![0.0; w * h], vec![0.0; w * h]];
                let mut sum = [0.0f64; 3];
                for (i, p) in px.chunks_exact(3).enumerate() {
                    for k in 0..3 {
                        planes[k][i] = f32::from(p[k]);
                        sum[k] += srgb_to_linear(f64::from(p[k]));
                    }
                }
                let mean = sum.map(|s| s / (w * h) as f64);
                let [r, g, b] = planes.map(|p| Plane::from_vec(w, h, p).unwrap());
                let rgb = RgbPlanes {
                    r,
                    g,
                    b,
                    model: crate::raster::ColourModel::Rgb,
                };
                (mean, rgb)
            };
            let ((before, _), (after, planes)) = (area(&rgb), area(decoded.as_raw()));
            let shift = erythema_index(after[0], after[1]) - erythema_index(before[0], before[1]);
            let d = chroma_detail(&planes);
            let one_area = colour_rounding(
                steps,
                after,
                AreaDetail {
                    region: d,
                    control: d,
                },
            )
            .erythema
                / 2f64.sqrt();
            let z = shift / one_area;
            sum_z2 += z * z;
            beyond += usize::from(z.abs() > 1.96);
            n += 1;
        }
        let rms = (sum_z2 / n as f64).sqrt();
        assert!((0.5..1.2).contains(&rms), "RMS z {rms:.2}");
        assert!(beyond * 100 <= 8 * n, "{beyond} of {n} beyond 1.96");
    }

    #[test]
    fn widening_adds_in_quadrature_to_the_two_measures_only() {
        let v = |u: f64| Value {
            value: 5.0,
            unit: String::new(),
            better: crate::catalog::Better::Lower,
            uncertainty: u,
        };
        let mut values = BTreeMap::from([
            (crate::catalog::id::ERYTHEMA_VS_CONTROL.to_string(), v(0.3)),
            (crate::catalog::id::SPOT_MELANIN.to_string(), v(0.3)),
            ("texture.roughness".to_string(), v(0.3)),
        ]);
        widen_mut(
            &mut values,
            ColourRounding {
                erythema: 0.4,
                melanin: 0.0,
            },
        );
        let u = |id: &str| values[id].uncertainty;
        assert!((u(crate::catalog::id::ERYTHEMA_VS_CONTROL) - 0.5).abs() < 1e-12);
        assert_eq!(u(crate::catalog::id::SPOT_MELANIN), 0.3);
        assert_eq!(u("texture.roughness"), 0.3);
    }
}
