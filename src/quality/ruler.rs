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
//! (ratios of like with like) did not move.
//!
//! Which capture the unshared energy belongs to cannot be told from one
//! pair of captures, but how much of it there is can:
//! `control_detail_shared` is the correlation ρ of the control region's
//! band with the baseline's. With all the unshared energy the capture's,
//! its ruler reads 1/ρ of the truth; with all of it the baseline's, ρ. The
//! lines' value of that session gets the spread of a uniform error over
//! that interval, (1/ρ − ρ)/√12 of itself, in quadrature with its other
//! uncertainty: about 1 % for a recapture as clean as the baseline (ρ ≈
//! 0.98), 6 % for the noisy JPEG above (ρ ≈ 0.91).

use crate::catalog::id;
use crate::measure::Value;
use std::collections::BTreeMap;

/// The standard deviation, as a fraction of the lines' value, that a
/// capture whose control region shares a correlation `shared` with the
/// baseline's adds to its ruler: (1/ρ − ρ)/√12 (0 at ρ = 1; none for a
/// correlation that is not in (0, 1]).
#[must_use]
pub fn ruler_sd(shared: f64) -> f64 {
    if shared > 0.0 && shared <= 1.0 {
        (1.0 / shared - shared) / 12f64.sqrt()
    } else {
        0.0
    }
}

/// Widens the uncertainty of the lines read against the control region's
/// band (`wrinkles.tracked_severity`) in `values` by [`ruler_sd`] of
/// `shared`.
pub fn widen_lines_mut(values: &mut BTreeMap<String, Value>, shared: f64) {
    if let Some(v) = values.get_mut(id::LINE_SEVERITY) {
        v.uncertainty = v.uncertainty.hypot(v.value.abs() * ruler_sd(shared));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Better;

    /// A band of skin (a smooth random field) seen by two captures, each
    /// with noise of its own in every split of energy: the ruler's error
    /// (the capture's RMS over the baseline's, less 1) always lies between
    /// ρ − 1 and 1/ρ − 1 of the correlation ρ of the two, and
    /// `ruler_sd` is the spread of a uniform error over that interval.
    #[test]
    fn the_ruler_error_lies_within_what_the_correlation_allows() {
        let mut state = 11u64;
        let mut normal = || {
            let mut u = || {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
            };
            let (a, b) = (u(), u());
            (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()
        };
        let n = 40_000;
        let white: Vec<f64> = (0..n + 8).map(|_| normal()).collect();
        // the skin: white noise smoothed over 9 samples (the sample cross
        // terms of skin and noise, ~1/√n each, are what the 0.01 allows for:
        // a split with no noise on one side lies at a bound)
        let skin: Vec<f64> = (0..n)
            .map(|i| white[i..i + 9].iter().sum::<f64>() / 3.0)
            .collect();
        for (n0, nc) in [
            (0.0, 0.3),
            (0.3, 0.0),
            (0.1, 0.2),
            (0.25, 0.25),
            (0.05, 0.6),
        ] {
            let base: Vec<f64> = skin.iter().map(|s| s + n0 * normal()).collect();
            let capture: Vec<f64> = skin.iter().map(|s| s + nc * normal()).collect();
            let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
            let (bb, cc, bc) = (
                dot(&base, &base),
                dot(&capture, &capture),
                dot(&base, &capture),
            );
            let rho = bc / (bb * cc).sqrt();
            let error = (cc / bb).sqrt() - 1.0;
            assert!(
                rho - 1.0 - 0.01 <= error && error <= 1.0 / rho - 1.0 + 0.01,
                "{n0} {nc}: ρ {rho}, error {error}"
            );
            let width = 1.0 / rho - rho;
            assert!((ruler_sd(rho) - width / 12f64.sqrt()).abs() < 1e-15);
        }
    }

    #[test]
    fn only_the_lines_read_against_the_band_are_widened() {
        let value = |v: f64, u: f64| Value {
            value: v,
            unit: String::new(),
            better: Better::Lower,
            uncertainty: u,
        };
        let mut values = BTreeMap::from([
            (id::LINE_SEVERITY.to_string(), value(-4.0, 0.3)),
            (id::LINE_CONTRAST.to_string(), value(4.0, 0.3)),
            (id::RELATIVE_ROUGHNESS.to_string(), value(1.0, 0.01)),
        ]);
        widen_lines_mut(&mut values, 0.9);
        let sd = 4.0 * (1.0 / 0.9 - 0.9) / 12f64.sqrt();
        let got = values[id::LINE_SEVERITY].uncertainty;
        assert!((got - 0.3f64.hypot(sd)).abs() < 1e-12, "{got}");
        assert_eq!(values[id::LINE_CONTRAST].uncertainty, 0.3);
        assert_eq!(values[id::RELATIVE_ROUGHNESS].uncertainty, 0.01);
        // the baseline itself, and a correlation that is not one
        for shared in [1.0, 0.0, -0.5, f64::NAN, 1.5] {
            assert_eq!(ruler_sd(shared), 0.0, "{shared}");
        }
    }
}
