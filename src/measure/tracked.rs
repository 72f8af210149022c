//! Tracked measures: features found once, at baseline, measured at the
//! same places in every capture aligned to it, so that a line 20 % fainter
//! reads −20 % instead of changing how many lines pass a detection
//! threshold (DESIGN.md "Claims").
//!
//! Fine lines: the luminance deficit along the baseline's centre lines,
//! widened by one pixel on each side (so a residual misalignment of a few
//! tenths of a pixel does not matter), in a band at the lines' scale: the
//! luminance smoothed by σ [`PRE_SIGMA`] less its blur of σ 4 px (the blur
//! roughness subtracts). For a furrow of fixed width seen under fixed light
//! this is proportional to its depth (every step is linear). Over the RMS of
//! the same band in the control region of the same capture it becomes a
//! ratio in which gain, gamma and a changed balance of the lights cancel.
//!
//! A tracked measure has no sub-tile spread as its noise: the tiles differ
//! because the skin differs from place to place, and the same places are
//! compared every time. Its noise is how much it moves between captures of
//! unchanged skin (`catalog::capture_sd`, calibrated).

use super::texture::lowpass_given_sum;
use crate::raster::Plane;

/// σ (px) of the smoothing that starts the lines' band: detail finer than
/// the lines themselves (sensor noise, the finest furrows) is left out of
/// the deficit and of its ruler alike, so a slightly softer or noisier
/// capture changes both the same way.
pub const PRE_SIGMA: f64 = 1.5;

/// The band the lines are measured in: `luminance` smoothed by
/// [`PRE_SIGMA`] (ignoring no-data) less `coarse`, its blur of σ 4 px (the
/// one roughness subtracts).
fn band(luminance: &Plane, finite: (f64, u64), coarse: &Plane) -> Vec<f32> {
    let fine = lowpass_given_sum(luminance, PRE_SIGMA, finite);
    fine.data()
        .iter()
        .zip(coarse.data())
        .zip(luminance.data())
        .map(|((f, c), y)| if y.is_finite() { f - c } else { f32::NAN })
        .collect()
}

/// The mean luminance deficit (Y levels) in the lines' band of
/// `luminance` (`coarse`: its blur of σ 4 px) at the pixels of `lines` (a
/// mask of the same size) and their 8-neighbours; `None` when the mask is
/// empty or of another size.
#[must_use]
pub fn line_deficit(
    (luminance, finite): (&Plane, (f64, u64)),
    coarse: &Plane,
    lines: &[bool],
) -> Option<f64> {
    let (w, h) = (luminance.width(), luminance.height());
    if lines.len() != w * h || !lines.contains(&true) {
        return None;
    }
    let at = dilated(lines, w, h);
    let (mut sum, mut n) = (0.0f64, 0u64);
    for (v, _) in band(luminance, finite, coarse)
        .iter()
        .zip(&at)
        .filter(|(v, on)| **on && v.is_finite())
    {
        sum -= f64::from(*v);
        n += 1;
    }
    (n > 0).then(|| sum / n as f64)
}

/// The RMS of the lines' band over `luminance` (the control region;
/// `coarse`: its blur of σ 4 px): the ruler of [`line_deficit`]; `None`
/// without data.
#[must_use]
pub fn band_rms((luminance, finite): (&Plane, (f64, u64)), coarse: &Plane) -> Option<f64> {
    let (s, n) = band(luminance, finite, coarse)
        .iter()
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0u64), |(s, n), &v| {
            (s + f64::from(v).powi(2), n + 1)
        });
    (n > 0 && s > 0.0).then(|| (s / n as f64).sqrt())
}

/// `mask` grown by one pixel in the 8 directions.
fn dilated(mask: &[bool], w: usize, h: usize) -> Vec<bool> {
    let mut out = vec![false; w * h];
    for y in 0..h {
        for x in (0..w).filter(|&x| mask[y * w + x]) {
            for yy in y.saturating_sub(1)..(y + 2).min(h) {
                for xx in x.saturating_sub(1)..(x + 2).min(w) {
                    out[yy * w + xx] = true;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dark vertical line of Gaussian profile (σ 1 px, `depth` levels) on
    /// a flat 100.
    fn line_image(depth: f32) -> (Plane, Vec<bool>) {
        let (w, h) = (64, 48);
        let p = Plane::from_fn(w, h, |x, _| {
            let d = x as f32 - 30.0;
            100.0 - depth * (-d * d / 2.0).exp()
        });
        let mask = (0..w * h).map(|i| i % w == 30).collect();
        (p, mask)
    }

    #[test]
    fn the_deficit_is_linear_in_the_lines_depth_and_matches_a_naive_sum() {
        let deficit = |depth: f32| {
            let (p, mask) = line_image(depth);
            let sum = (p.data().iter().map(|&v| f64::from(v)).sum(), p.len() as u64);
            let coarse = lowpass_given_sum(&p, 4.0, sum);
            line_deficit((&p, sum), &coarse, &mask).expect("a line")
        };
        let (d10, d8) = (deficit(10.0), deficit(8.0));
        // 20 % shallower reads 20 % less (linear: blur and mean are linear;
        // 1e-4: f32 planes around 100 round at ~1e-5 levels of a ~2-level
        // deficit, a non-linear measure would be off by percents)
        assert!((d8 / d10 - 0.8).abs() < 1e-4, "{d8} vs {d10}");
        // naive: the band (σ 1.5 smoothing less the σ 4 blur) at columns
        // 29–31, averaged
        let (p, _) = line_image(10.0);
        let (fine, low) = (
            crate::filters::gaussian_blur(&p, PRE_SIGMA),
            crate::filters::gaussian_blur(&p, 4.0),
        );
        let mut want = 0.0;
        for y in 0..48 {
            for x in 29..=31 {
                want += f64::from(low.at(x, y)) - f64::from(fine.at(x, y));
            }
        }
        want /= 3.0 * 48.0;
        assert!(
            (d10 - want).abs() < 1e-6 * want.abs().max(1.0),
            "{d10} vs {want}"
        );
        assert!(d10 > 2.0, "a 10-level line leaves a deficit: {d10}");
        // the ruler: the band's RMS, by hand
        let sum = (p.data().iter().map(|&v| f64::from(v)).sum(), p.len() as u64);
        let rms = band_rms((&p, sum), &lowpass_given_sum(&p, 4.0, sum)).expect("detail");
        let naive = (fine
            .data()
            .iter()
            .zip(low.data())
            .map(|(a, b)| f64::from(a - b).powi(2))
            .sum::<f64>()
            / p.len() as f64)
            .sqrt();
        assert!((rms - naive).abs() < 1e-6 * naive, "{rms} vs {naive}");
    }

    #[test]
    fn no_lines_or_another_size_give_nothing() {
        let (p, _) = line_image(10.0);
        let sum = (0.0, p.len() as u64);
        let coarse = lowpass_given_sum(&p, 4.0, sum);
        assert!(line_deficit((&p, sum), &coarse, &vec![false; 64 * 48]).is_none());
        assert!(line_deficit((&p, sum), &coarse, &[true; 10]).is_none());
    }
}
