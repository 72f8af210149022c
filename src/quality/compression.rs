//! How much a JPEG's rounding of its block means moves the colour measures
//! claims rest on. JPEG keeps each 8×8 block's mean only to a multiple of
//! its DC quantiser step over 8 (quality 70: 1.25 levels of 255). On
//! smooth skin the blocks of an area largely round alike, so the area's mean
//! colour, and with it a redness or pigment excess of a few units, moves
//! by a share of the step that depends only on where the skin's colour
//! falls between two multiples: measured on unchanged skin, quality 70
//! alone moved the erythema excess of visibly red skin by −0.47 units
//! (−7 %) on average, quality 80 −0.41, quality 95 0.00 (BENCHMARKS.md).
//! Sensor noise and the skin's texture do not average it away, so it is
//! each capture's own uncertainty: an area's mean rounds with a standard
//! deviation of [`DITHER`] × step/8 per channel of YCbCr, carried through
//! the sRGB curve at the brightness of the capture's control region (else
//! its region), as captured, to each measure, for both areas a measure
//! compares (the region or the spots, and the control). The spots, a few
//! percent darker than the control, round a few percent more than that.

use crate::ingest::DcSteps;
use crate::measure::Value;
use crate::raster::linear_to_srgb;
use std::collections::BTreeMap;

/// The standard deviation of an area's rounded mean over the block-mean
/// step. Every block of an area rounding alike, with the skin's colour
/// anywhere between two multiples, would give 1/√12 = 0.29; noise and
/// texture spread the blocks over neighbouring multiples and shrink it.
/// Calibrated on unchanged skin (seeds 101–108, with and without a lasting
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

/// The rounding of a capture with DC steps `steps` whose skin has the
/// mean linear RGB `mean_linear` (0–1, as captured).
#[must_use]
pub fn colour_rounding(steps: DcSteps, mean_linear: [f64; 3]) -> ColourRounding {
    let sd = |step: u16| DITHER * f64::from(step) / 8.0;
    let (sy, sc) = (sd(steps.luma), sd(steps.chroma));
    let r = log_slope(linear_to_srgb(mean_linear[0]));
    let g = log_slope(linear_to_srgb(mean_linear[1]));
    // R = Y + 1.402 Cr, G = Y − 0.344 Cb − 0.714 Cr (JFIF, ITU-T T.871): the erythema
    // index 100·log10(R/G) moves with Y by (r − g), with Cr by
    // (1.402 r + 0.714 g), with Cb by 0.344 g; the melanin index
    // −100·log10 R with Y by r and with Cr by 1.402 r
    let erythema_var =
        ((r - g) * sy).powi(2) + ((1.402 * r + 0.714 * g) * sc).powi(2) + (0.344 * g * sc).powi(2);
    let melanin_var = (r * sy).powi(2) + (1.402 * r * sc).powi(2);
    // two areas round independently: the measured one and the control
    ColourRounding {
        erythema: INDEX_PER_LN * (2.0 * erythema_var).sqrt(),
        melanin: INDEX_PER_LN * (2.0 * melanin_var).sqrt(),
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
    use crate::raster::srgb_to_linear;

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
        // variance of each index per unit variance of every channel, both areas
        let mut var = [0.0f64; 2];
        for area in [region, control] {
            let c = ycc(area);
            for k in 0..3 {
                let mut up = c;
                up[k] += delta;
                var[0] += ((ei(up) - ei(c)) / delta).powi(2);
                var[1] += ((mi(up) - mi(c)) / delta).powi(2);
            }
        }
        // the same skin seen by colour_rounding through its mean level
        // (both areas at their mean: the slopes vary little between them)
        let mean = [202.5, 155.0, 135.0].map(srgb_to_linear);
        let step = 8; // a block-mean step of one level: σ = DITHER per channel
        let got = colour_rounding(
            DcSteps {
                luma: step,
                chroma: step,
            },
            mean,
        );
        let want = [var[0].sqrt() * DITHER, var[1].sqrt() * DITHER];
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
    fn finer_steps_and_brighter_skin_round_less() {
        let skin = [0.5, 0.3, 0.25];
        let q = |s: u16| DcSteps { luma: s, chroma: s };
        let (q90, q70) = (colour_rounding(q(3), skin), colour_rounding(q(10), skin));
        assert!((q70.erythema / q90.erythema - 10.0 / 3.0).abs() < 1e-12);
        let dark = colour_rounding(q(10), skin.map(|v| v * 0.4));
        assert!(dark.erythema > q70.erythema && dark.melanin > q70.melanin);
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
