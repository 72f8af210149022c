//! What a capture's own detail does to the fine lines' ruler.
//!
//! The tracked lines are read over the RMS of their band in the control
//! region of the same capture ([`crate::measure::tracked`]). That RMS counts
//! every bit of energy in the band, the skin's and the capture's own
//! (sensor noise, JPEG artefacts); the lines' deficit, a mean over the same
//! places every time, counts none of the latter. So a capture noisier than
//! the baseline reads its lines fainter, and one cleaner than the baseline
//! reads them stronger: on the unchanged-skin phantom, JPEG quality 62 with
//! sensor noise σ 2.9 moved them by −1 to −7 %, where texture and pores
//! (ratios of like with like) did not move (BENCHMARKS.md, "Noise read as
//! fainter lines").
//!
//! Which capture the unshared energy belongs to cannot be told from one
//! pair of captures, but how much of it there is can: [`SHARED_DETAIL`] is
//! the correlation ρ of the control region's band with the baseline's.
//! With all of the unshared energy the capture's, its ruler reads 1/ρ of
//! the truth; with all of it the baseline's, ρ. A follow-up's lines get the
//! spread of a uniform error over that interval, (1/ρ − ρ)/√12 of their
//! value, in quadrature with their other uncertainty: 1.2 % for a
//! recapture as clean as the baseline (ρ 0.98), 5.5 % for the noisy JPEG
//! above (ρ 0.91).
//!
//! A light that falls from another direction changes the lines themselves,
//! not the ruler: a groove shows by its slope along the light, so each line
//! fades or darkens with its angle to the light, and the few long lines of a
//! region rarely average that out. How far the light turned is read from
//! the control region's shading ([`super::direction`]: the chord between
//! the two directions, 2·r·sin Δθ); the lines get a spread of [`TURN_SD`]
//! times it ([`turn_sd`]), in quadrature with the ruler's.

use super::Quality;
use super::direction::LIGHT_TURN;
use crate::catalog::id;
use crate::measure::Value;
use crate::stats::UNIFORM_SD;
use std::collections::BTreeMap;

/// The quality measure of how much of the control region's fine detail a
/// capture shares with the baseline's: the correlation of their bands.
pub const SHARED_DETAIL: &str = "control_detail_shared";

/// The least correlation the spread is computed at: a control region
/// sharing less (or a correlation that is not a number) is read as sharing
/// this much, a spread of 5.8 times the value, so nothing rests on it.
const LEAST_SHARED: f64 = 0.05;

/// The standard deviation, as a fraction of the lines' value, that a
/// capture whose control region shares a correlation `shared` with the
/// baseline's adds to its ruler: (1/ρ − ρ)/√12, with ρ kept within
/// [[`LEAST_SHARED`], 1].
#[must_use]
pub fn ruler_sd(shared: f64) -> f64 {
    let rho = if shared.is_nan() {
        LEAST_SHARED
    } else {
        shared.clamp(LEAST_SHARED, 1.0)
    };
    (1.0 / rho - rho) * UNIFORM_SD
}

/// The standard deviation of the lines' relative change per unit of
/// `light_turn_vs_baseline`. On the unchanged-skin phantom with its lines
/// across the region, the side light turned by 8, −15 and 25° (seeds
/// 201–216, 48 captures; `light_turn_vs_baseline` 0.04–0.27) moved the
/// tracked lines by −30 to +34 %: 0.87 of the turn in RMS, at most 1.96 of
/// it (a line at about 45° to the light fades or darkens by the cotangent
/// of its angle per radian of turn; lines across the light hardly move).
/// 1.2 is the spread of a uniform error over ±2 of the turn (2/√3), which
/// a claim's 1.96 of it clears.
pub const TURN_SD: f64 = 1.2;

/// The standard deviation, as a fraction of the lines' value, that a
/// light turned by `turn` (`light_turn_vs_baseline`) adds. The light
/// scales the lines by a factor f of spread s = [`TURN_SD`]·turn about 1,
/// so the value read, f times the one the first light would have shown,
/// is off by (f − 1)/f of itself: s/(1 − s) at f = 1 − s (a capture whose
/// lines a turn faded 25 % reads 0.75 of the truth, and its spread is a
/// share of that). s is kept within [0, 0.5]; a turn that is not a number
/// reads as the largest.
#[must_use]
pub fn turn_sd(turn: f64) -> f64 {
    let s = if turn.is_nan() {
        0.5
    } else {
        (TURN_SD * turn).clamp(0.0, 0.5)
    };
    s / (1.0 - s)
}

/// The standard deviation, as a fraction of the lines' value, of one
/// capture's lines from what its own ruler and light add ([`ruler_sd`] and
/// [`turn_sd`] in quadrature), where it measured either.
fn capture_sd(q: &Quality) -> Option<f64> {
    let shared = q.measures.get(SHARED_DETAIL).map(|&rho| ruler_sd(rho));
    let turned = q.measures.get(LIGHT_TURN).map(|&t| turn_sd(t));
    match (shared, turned) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0).hypot(b.unwrap_or(0.0))),
    }
}

/// Widens the uncertainty of the lines read against the control region's
/// band (`wrinkles.tracked_severity`) in `values`, a follow-up session's, by
/// the largest [`capture_sd`] of its measured `captures`: the ruler of the
/// least detail any of them shares with the baseline, the light turned
/// furthest (none where none of them measured either).
pub fn widen_lines_mut<'a>(
    values: &mut BTreeMap<String, Value>,
    captures: impl IntoIterator<Item = &'a Quality>,
) {
    let largest = captures.into_iter().filter_map(capture_sd).reduce(f64::max);
    if let (Some(sd), Some(v)) = (largest, values.get_mut(id::LINE_SEVERITY)) {
        let sd = v.value.abs() * sd;
        v.widen_mut(sd);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Better;
    use crate::synth::Draw;

    /// A band of skin (a smooth random field) seen by two captures, each
    /// with noise of its own, in every split of the noise between them: the
    /// ruler's error (the capture's RMS over the baseline's, less 1) always
    /// lies between ρ − 1 and 1/ρ − 1 of the correlation ρ of the two.
    #[test]
    fn the_ruler_error_lies_within_what_the_correlation_allows() {
        let mut draw = Draw::new(11);
        let n = 40_000;
        let white: Vec<f64> = (0..n + 8).map(|_| draw.range(-1.0, 1.0)).collect();
        // the skin: white noise smoothed over 9 samples; the sample cross
        // terms of skin and noise (~1/√n each) are what the 0.01 allows
        // for, as a split with no noise on one side lies at a bound
        let skin: Vec<f64> = (0..n).map(|i| white[i..i + 9].iter().sum()).collect();
        for (n0, nc) in [(0.0, 0.6), (0.6, 0.0), (0.2, 0.4), (0.5, 0.5), (0.1, 1.2)] {
            let base: Vec<f64> = skin
                .iter()
                .map(|s| s + n0 * draw.range(-3.0, 3.0))
                .collect();
            let capture: Vec<f64> = skin
                .iter()
                .map(|s| s + nc * draw.range(-3.0, 3.0))
                .collect();
            let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
            let (bb, cc, bc) = (
                dot(&base, &base),
                dot(&capture, &capture),
                dot(&base, &capture),
            );
            let rho = bc / (bb * cc).sqrt();
            let error = (cc / bb).sqrt() - 1.0;
            eprintln!("noise {n0}/{nc}: ρ {rho:.3}, error {error:+.4}");
            assert!(
                rho - 1.0 - 0.01 <= error && error <= 1.0 / rho - 1.0 + 0.01,
                "{n0} {nc}: ρ {rho}, error {error}"
            );
        }
    }

    #[test]
    fn the_spread_is_that_of_a_uniform_error_between_the_bounds() {
        // by hand: (1/0.9 − 0.9)/√12 = 0.211111/3.464102; (1/0.98 − 0.98)/√12
        assert!(
            (ruler_sd(0.9) - 0.060_942).abs() < 1e-6,
            "{}",
            ruler_sd(0.9)
        );
        assert!(
            (ruler_sd(0.98) - 0.011_665).abs() < 1e-6,
            "{}",
            ruler_sd(0.98)
        );
        assert_eq!(ruler_sd(1.0), 0.0);
        // above 1 (not a correlation) as 1; at or below the floor, or not a
        // number, as the floor: (20 − 0.05)/√12
        assert_eq!(ruler_sd(1.5), 0.0);
        for rho in [0.05, 0.0, -0.5, f64::NAN] {
            assert!((ruler_sd(rho) - 5.759_06).abs() < 1e-5, "{rho}");
        }
    }

    fn value(v: f64, u: f64) -> Value {
        Value::new(v, "", Better::Lower, u)
    }

    fn quality(shared: Option<f64>) -> Quality {
        let mut q = Quality::rejected(String::new());
        q.measures = shared
            .map(|s| (SHARED_DETAIL.to_string(), s))
            .into_iter()
            .collect();
        q
    }

    fn turned(shared: Option<f64>, turn: f64) -> Quality {
        let mut q = quality(shared);
        q.measures.insert(LIGHT_TURN.to_string(), turn);
        q
    }

    #[test]
    fn a_turn_spreads_the_lines_by_the_share_of_what_the_first_light_showed() {
        // s = 1.2 × 0.1 = 0.12, s/(1 − s) = 0.12/0.88 by hand
        assert!((turn_sd(0.1) - 0.136_364).abs() < 1e-6, "{}", turn_sd(0.1));
        assert_eq!(turn_sd(0.0), 0.0);
        assert_eq!(turn_sd(-0.1), 0.0);
        // at most s = 0.5, a spread of the whole value; NaN as the most
        for t in [0.5, 2.0, f64::NAN] {
            assert_eq!(turn_sd(t), 1.0, "{t}");
        }
        // a capture whose lines the turn faded 25 %: the spread it is given
        // is at least that share of the value the first light showed
        let (seen, truth) = (0.75, 1.0);
        let turn = 0.25 / TURN_SD;
        assert!(seen * turn_sd(turn) >= (truth - seen) - 1e-12);
    }

    #[test]
    fn the_ruler_and_the_turn_add_in_quadrature_and_the_worst_capture_counts() {
        let mut values = BTreeMap::from([
            (id::LINE_SEVERITY.to_string(), value(-4.0, 0.3)),
            (id::RELATIVE_ROUGHNESS.to_string(), value(1.0, 0.01)),
        ]);
        widen_lines_mut(
            &mut values,
            &[turned(Some(0.98), 0.02), turned(Some(0.9), 0.1)],
        );
        let want = 0.3f64.hypot(4.0 * 0.060_942f64.hypot(0.136_364));
        let got = values[id::LINE_SEVERITY].uncertainty;
        assert!((got - want).abs() < 1e-5, "{got} for {want}");
        assert_eq!(values[id::RELATIVE_ROUGHNESS].uncertainty, 0.01);
        // a turn measured alone (no shared detail) still widens
        let mut values = BTreeMap::from([(id::LINE_SEVERITY.to_string(), value(2.0, 0.0))]);
        widen_lines_mut(&mut values, &[turned(None, 0.1)]);
        let got = values[id::LINE_SEVERITY].uncertainty;
        assert!((got - 2.0 * 0.136_364).abs() < 1e-5, "{got}");
    }

    #[test]
    fn only_the_lines_are_widened_by_the_least_shared_capture() {
        let mut values = BTreeMap::from([
            (id::LINE_SEVERITY.to_string(), value(-4.0, 0.3)),
            (id::LINE_CONTRAST.to_string(), value(4.0, 0.3)),
            (id::RELATIVE_ROUGHNESS.to_string(), value(1.0, 0.01)),
        ]);
        // two repeats: the one sharing less (0.9) counts
        widen_lines_mut(&mut values, &[quality(Some(0.97)), quality(Some(0.9))]);
        let got = values[id::LINE_SEVERITY].uncertainty;
        assert!((got - 0.3f64.hypot(4.0 * 0.060_942)).abs() < 1e-5, "{got}");
        assert_eq!(values[id::LINE_CONTRAST].uncertainty, 0.3);
        assert_eq!(values[id::RELATIVE_ROUGHNESS].uncertainty, 0.01);
        // a repeat whose correlation is not a number shares the least
        let mut values = BTreeMap::from([(id::LINE_SEVERITY.to_string(), value(2.0, 0.0))]);
        widen_lines_mut(&mut values, &[quality(Some(0.99)), quality(Some(f64::NAN))]);
        let got = values[id::LINE_SEVERITY].uncertainty;
        assert!((got - 2.0 * 5.759_06).abs() < 1e-4, "{got}");
        // no control region: nothing measured, nothing widened
        let mut values = BTreeMap::from([(id::LINE_SEVERITY.to_string(), value(2.0, 0.1))]);
        widen_lines_mut(&mut values, &[quality(None)]);
        assert_eq!(values[id::LINE_SEVERITY].uncertainty, 0.1);
    }
}
