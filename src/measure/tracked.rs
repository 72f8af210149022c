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
//! the same band in the control region of the same capture, each relative to
//! its region's mean luminance (`super::ruled`), it becomes a ratio in which
//! gain, gamma and a changed balance of the lights cancel.
//!
//! Pores: the same deficit over the baseline pores' discs (radius √2·σ of
//! their scale), over the same deficit at the control region's own pores
//! (found at baseline too), each relative to its region's mean luminance,
//! which a softer focus, a changed exposure, tone curve or light balance
//! dims alike: a pore 20 % shallower reads −20 %, where the
//! count above a threshold moved +78 % with sensor noise alone.
//! Pigment: the melanin-index excess over the control region of the
//! baseline's pigmented spots ([`super::colour`]).
//!
//! A tracked measure has no sub-tile spread as its noise: the tiles differ
//! because the skin differs from place to place, and the same places are
//! compared every time. Its noise is how much it moves between captures of
//! unchanged skin (`catalog::capture_sd`, calibrated).

use super::pores::Blob;
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

/// The features found at baseline, as masks of the ROI (row-major, the
/// ROI's size), where every capture aligned to it is measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tracked {
    /// The lines' centres, widened by one pixel in the 8 directions.
    pub lines: Vec<bool>,
    /// The pores' discs (radius √2·σ, at least the centre pixel).
    pub pores: Vec<bool>,
    /// The pores themselves, as found (the report rings them).
    pub pore_blobs: Vec<Blob>,
    /// The pigmented spots ([`super::colour::pigment_spots`]).
    pub pigment: Vec<bool>,
    /// The pores of the control region, a mask of that region: the ruler
    /// of the tracked pores (pores blurred, darkened or lit alike).
    pub control_pores: Vec<bool>,
}

impl Tracked {
    /// The masks of the features found in a `w`×`h` ROI: line centres,
    /// pores and pigmented spots.
    #[must_use]
    pub fn new(
        (w, h): (usize, usize),
        centre_lines: &[bool],
        pores: &[Blob],
        pigment: Vec<bool>,
    ) -> Tracked {
        let lines = if centre_lines.len() == w * h {
            dilated(centre_lines, w, h)
        } else {
            Vec::new()
        };
        Tracked {
            lines,
            pores: pore_discs(pores, w, h),
            pore_blobs: pores.to_vec(),
            pigment,
            control_pores: Vec::new(),
        }
    }
}

/// The pixels within √2·σ of a pore's centre (at least its nearest
/// pixel), in a `w`×`h` mask.
#[must_use]
pub fn pore_discs(pores: &[Blob], w: usize, h: usize) -> Vec<bool> {
    let mut out = vec![false; w * h];
    for b in pores {
        let (cx, cy, r) = (f64::from(b.x), f64::from(b.y), b.radius().max(0.5));
        let (x0, x1) = (
            (cx - r).floor().max(0.0),
            (cx + r).ceil().min(w as f64 - 1.0),
        );
        let (y0, y1) = (
            (cy - r).floor().max(0.0),
            (cy + r).ceil().min(h as f64 - 1.0),
        );
        if x1 < x0 || y1 < y0 {
            continue;
        }
        let nearest = (cx.round(), cy.round());
        for y in y0 as usize..=y1 as usize {
            for x in x0 as usize..=x1 as usize {
                let (dx, dy) = (x as f64 - cx, y as f64 - cy);
                if dx * dx + dy * dy <= r * r || (x as f64, y as f64) == nearest {
                    out[y * w + x] = true;
                }
            }
        }
    }
    out
}

/// The mean luminance deficit (Y levels) in the band of `luminance`
/// (`coarse`: its blur of σ 4 px) over the pixels of each mask of `at`
/// (each of the luminance's size); `None` for a mask that is empty, of
/// another size, or covers no pixel with data.
#[must_use]
pub fn deficits(
    (luminance, finite): (&Plane, (f64, u64)),
    coarse: &Plane,
    at: &[&[bool]],
) -> Vec<Option<f64>> {
    let n_px = luminance.len();
    let usable = |m: &[bool]| m.len() == n_px && m.contains(&true);
    if !at.iter().any(|m| usable(m)) {
        return vec![None; at.len()];
    }
    let band = band(luminance, finite, coarse);
    at.iter()
        .map(|m| {
            if !usable(m) {
                return None;
            }
            let (sum, n) = band
                .iter()
                .zip(*m)
                .filter(|(v, on)| **on && v.is_finite())
                .fold((0.0f64, 0u64), |(s, n), (v, _)| (s - f64::from(*v), n + 1));
            (n > 0).then(|| sum / n as f64)
        })
        .collect()
}

/// The RMS of the lines' band over `luminance` (the control region;
/// `coarse`: its blur of σ 4 px): the ruler of [`deficits`]; `None`
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

    /// The deficit at the lines of the centre mask `centres`.
    fn line_deficit(l: (&Plane, (f64, u64)), coarse: &Plane, centres: &[bool]) -> Option<f64> {
        let size = (l.0.width(), l.0.height());
        let lines = Tracked::new(size, centres, &[], Vec::new()).lines;
        deficits(l, coarse, &[&lines])[0]
    }

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

    #[test]
    fn a_pores_deficit_is_linear_in_its_depth_and_read_over_its_disc() {
        // a dark pit of Gaussian profile (σ 1.5 px) centred off the grid
        let (w, h, cx, cy) = (48, 40, 20.3, 17.6);
        let pit = |depth: f32| {
            Plane::from_fn(w, h, |x, y| {
                let d2 = (x as f32 - cx).powi(2) + (y as f32 - cy).powi(2);
                100.0 - depth * (-d2 / 4.5).exp()
            })
        };
        let blob = Blob {
            x: cx,
            y: cy,
            sigma: 1.5,
            response: 10.0,
        };
        let mask = Tracked::new((w, h), &[], &[blob], Vec::new()).pores;
        // the disc of radius √2·1.5 ≈ 2.12 px, counted by hand
        let naive: Vec<bool> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f64, (i / w) as f64);
                (x - f64::from(cx)).powi(2) + (y - f64::from(cy)).powi(2) <= 4.5
            })
            .collect();
        assert_eq!(mask, naive);
        assert_eq!(mask.iter().filter(|&&m| m).count(), 14);
        let deficit = |depth: f32| {
            let p = pit(depth);
            let sum = (p.data().iter().map(|&v| f64::from(v)).sum(), p.len() as u64);
            let coarse = lowpass_given_sum(&p, 4.0, sum);
            deficits((&p, sum), &coarse, &[&mask])[0].expect("a pore")
        };
        let (d10, d7) = (deficit(10.0), deficit(7.0));
        assert!(d10 > 2.0, "a 10-level pit leaves a deficit: {d10}");
        assert!((d7 / d10 - 0.7).abs() < 1e-4, "{d7} vs {d10}");
    }

    #[test]
    fn a_pore_smaller_than_a_pixel_keeps_its_nearest_pixel_and_one_outside_is_dropped() {
        let tiny = Blob {
            x: 3.4,
            y: 2.6,
            sigma: 0.1,
            response: 6.0,
        };
        let outside = Blob {
            x: -9.0,
            y: 2.0,
            sigma: 1.0,
            response: 6.0,
        };
        let mask = Tracked::new((8, 6), &[], &[tiny, outside], Vec::new()).pores;
        let on: Vec<usize> = (0..48).filter(|&i| mask[i]).collect();
        assert_eq!(on, vec![3 * 8 + 3]);
    }
}
