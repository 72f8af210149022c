//! The blur of a capture against the baseline, in pixels
//! (`blur_vs_baseline_px`): the σ of the Gaussian that takes the baseline's
//! fine detail to the share of it the capture keeps
//! (`sharpness_vs_baseline`).
//!
//! The share a blur keeps depends on the texture: coarse wood grain keeps
//! 0.88 of its band-pass energy under a blur of σ 1.2 px that fades a
//! spoon's sharp edges beside it by 13 %, and fine skin texture keeps 0.8
//! under σ 0.6 px. The σ does not, so the gate's focus limit is also set on
//! it, in the units fine lines are measured in. It is read from the
//! baseline's band-pass spectrum ([`DetailSpectrum`], Welch's averaged
//! periodogram of Hann-windowed tiles): a Gaussian of σ multiplies the power
//! at frequency f by `g(f)² = exp(−4π²σ²f²)`, so the projection of a blurred
//! band on the baseline's keeps `Σ P g / Σ P` and its energy `Σ P g² / Σ P`.

use crate::fourier::{Direction, Fft2};
use crate::raster::Plane;
use rustfft::num_complex::Complex32;

/// Side of the square tiles the spectrum is averaged over, px.
const TILE: usize = 64;
/// At most this many tiles (evenly spread) are transformed.
const MAX_TILES: usize = 256;
/// The largest blur reported, px: the share a blur keeps is flat beyond it.
pub(super) const MAX_BLUR_PX: f64 = 8.0;

/// How the share of detail a capture keeps was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kept {
    /// The square of the capture's band projected on the baseline's
    /// (`(Σab / Σb²)²`).
    Projection,
    /// The ratio of the two bands' energies (`Σa² / Σb²`).
    Energy,
}

/// The power spectrum of the baseline's band-pass, averaged over tiles.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct DetailSpectrum {
    /// Power per frequency bin, `TILE × TILE`, row-major, DC at 0.
    power: Vec<f64>,
    /// `4π²|f|²` per bin (f in cycles per px).
    radius2: Vec<f64>,
}

impl DetailSpectrum {
    /// The spectrum of `band` over its whole tiles without missing pixels;
    /// `None` when it has none or no power.
    pub(super) fn of(band: &Plane) -> Option<DetailSpectrum> {
        let (w, h) = (band.width(), band.height());
        if w < TILE || h < TILE {
            return None;
        }
        let step = TILE / 2;
        let starts = |n: usize| (0..=(n - TILE) / step).map(move |i| i * step);
        let origins: Vec<(usize, usize)> = starts(h)
            .flat_map(|y| starts(w).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                (y..y + TILE).all(|r| band.row(r)[x..x + TILE].iter().all(|v| v.is_finite()))
            })
            .collect();
        if origins.is_empty() {
            return None;
        }
        let stride = origins.len().div_ceil(MAX_TILES);
        let hann: Vec<f32> = (0..TILE)
            .map(|i| {
                (std::f64::consts::PI * (i as f64 + 0.5) / TILE as f64)
                    .sin()
                    .powi(2) as f32
            })
            .collect();
        let fft = Fft2::new(TILE, TILE);
        let mut power = vec![0.0f64; TILE * TILE];
        let mut tile = vec![Complex32::new(0.0, 0.0); TILE * TILE];
        for &(x0, y0) in origins.iter().step_by(stride) {
            for (j, row) in tile.chunks_exact_mut(TILE).enumerate() {
                let src = &band.row(y0 + j)[x0..x0 + TILE];
                for ((c, &v), &wx) in row.iter_mut().zip(src).zip(&hann) {
                    *c = Complex32::new(v * wx * hann[j], 0.0);
                }
            }
            fft.run(&mut tile, Direction::Forward);
            for (p, c) in power.iter_mut().zip(&tile) {
                *p += f64::from(c.norm_sqr());
            }
        }
        let freq = |k: usize| {
            let k = if k <= TILE / 2 {
                k as f64
            } else {
                k as f64 - TILE as f64
            };
            k / TILE as f64
        };
        let radius2 = (0..TILE * TILE)
            .map(|i| {
                let (fx, fy) = (freq(i % TILE), freq(i / TILE));
                4.0 * std::f64::consts::PI.powi(2) * (fx * fx + fy * fy)
            })
            .collect();
        (power.iter().sum::<f64>() > 0.0).then_some(DetailSpectrum { power, radius2 })
    }

    /// The share of the baseline's detail a capture blurred by `sigma` px
    /// keeps, measured `how`.
    pub(super) fn kept(&self, sigma: f64, how: Kept) -> f64 {
        let s2 = sigma * sigma;
        let (mut kept, mut all) = (0.0, 0.0);
        for (&p, &r2) in self.power.iter().zip(&self.radius2) {
            // a Gaussian's transfer: exp(−2π²σ²f²)
            let g = (-0.5 * s2 * r2).exp();
            kept += p * if how == Kept::Projection { g } else { g * g };
            all += p;
        }
        match how {
            Kept::Projection => (kept / all).powi(2),
            Kept::Energy => kept / all,
        }
    }

    /// The blur, px, under which the baseline's detail keeps the share
    /// `kept` of it (0 for a capture at least as sharp, at most
    /// [`MAX_BLUR_PX`]).
    pub(super) fn blur_for(&self, kept: f64, how: Kept) -> f64 {
        if kept >= 1.0 || kept.is_nan() {
            return 0.0;
        }
        let (mut lo, mut hi) = (0.0, MAX_BLUR_PX);
        if self.kept(hi, how) >= kept {
            return hi;
        }
        // `kept` falls with σ: bisect to 1e-4 px
        while hi - lo > 1e-4 {
            let mid = 0.5 * (lo + hi);
            if self.kept(mid, how) > kept {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filters::gaussian_blur;
    use crate::synth;

    /// The band-pass the gate reads (σ 1.5 and 3 px), without the division
    /// by the mean (a scale, which the shares do not see).
    fn band(y: &Plane) -> Plane {
        let (fine, coarse) = (gaussian_blur(y, 1.5), gaussian_blur(y, 3.0));
        Plane::from_fn(y.width(), y.height(), |x, yy| {
            fine.at(x, yy) - coarse.at(x, yy)
        })
    }

    /// Texture of grain `scale` px: noise smoothed by σ `scale`, then
    /// sharp-edged steps of a few pixels where `edges` is set.
    fn texture(seed: u64, scale: f64, edges: bool) -> Plane {
        let mut draw = synth::Draw::new(seed);
        let noise = Plane::from_fn(384, 384, |_, _| draw.unit() as f32 - 0.5);
        let smooth = gaussian_blur(&noise, scale);
        Plane::from_fn(384, 384, |x, y| {
            let step = if edges && (x / 7 + y / 11) % 3 == 0 {
                0.5
            } else {
                0.0
            };
            smooth.at(x, y) * 4.0 + step
        })
    }

    fn projection(a: &Plane, b: &Plane) -> f64 {
        let (ab, bb) = a
            .data()
            .iter()
            .zip(b.data())
            .fold((0.0, 0.0), |(ab, bb), (&u, &v)| {
                (ab + f64::from(u) * f64::from(v), bb + f64::from(v).powi(2))
            });
        (ab / bb).powi(2)
    }

    #[test]
    fn the_spectrum_predicts_what_a_blur_keeps_as_blurring_does() {
        for (seed, scale, edges) in [(1, 0.6, false), (2, 2.5, false), (3, 1.0, true)] {
            let y = texture(seed, scale, edges);
            let b = band(&y);
            let spectrum = DetailSpectrum::of(&b).expect("a spectrum");
            for sigma in [0.5, 1.0, 1.5] {
                let naive = projection(&band(&gaussian_blur(&y, sigma)), &b);
                let model = spectrum.kept(sigma, Kept::Projection);
                assert!(
                    (model - naive).abs() < 0.03,
                    "grain {scale} σ {sigma}: model {model:.3}, blurring {naive:.3}"
                );
            }
        }
    }

    #[test]
    fn a_blur_reads_as_its_sigma_whatever_the_grain_of_the_texture() {
        // the share kept differs by texture; the σ read back does not
        for sigma in [0.6, 1.2] {
            let mut shares = Vec::new();
            for (seed, scale, edges) in [(4, 0.6, false), (5, 2.5, false), (6, 1.5, true)] {
                let y = texture(seed, scale, edges);
                let b = band(&y);
                let kept = projection(&band(&gaussian_blur(&y, sigma)), &b);
                let read = DetailSpectrum::of(&b)
                    .unwrap()
                    .blur_for(kept, Kept::Projection);
                assert!(
                    (read - sigma).abs() < 0.1,
                    "grain {scale}: σ {sigma} read as {read:.3} (kept {kept:.3})"
                );
                shares.push(kept);
            }
            let spread = shares.iter().cloned().fold(f64::MIN, f64::max)
                - shares.iter().cloned().fold(f64::MAX, f64::min);
            assert!(
                spread > 0.05,
                "σ {sigma}: shares {shares:?} do not depend on the grain"
            );
        }
    }

    #[test]
    fn the_energy_ratio_is_inverted_through_the_square_of_the_transfer() {
        let y = texture(7, 1.0, false);
        let b = band(&y);
        let spectrum = DetailSpectrum::of(&b).unwrap();
        let blurred = band(&gaussian_blur(&y, 0.9));
        let energy = |p: &Plane| p.data().iter().map(|&v| f64::from(v).powi(2)).sum::<f64>();
        let read = spectrum.blur_for(energy(&blurred) / energy(&b), Kept::Energy);
        assert!((read - 0.9).abs() < 0.1, "read {read:.3}");
    }

    #[test]
    fn a_sharper_capture_reads_no_blur_and_a_flat_one_the_largest() {
        let spectrum = DetailSpectrum::of(&band(&texture(8, 1.0, false))).unwrap();
        assert_eq!(spectrum.blur_for(1.02, Kept::Projection), 0.0);
        assert_eq!(spectrum.blur_for(f64::NAN, Kept::Projection), 0.0);
        assert_eq!(spectrum.blur_for(0.0, Kept::Projection), MAX_BLUR_PX);
        assert!(DetailSpectrum::of(&Plane::filled(40, 300, 0.1)).is_none());
        assert!(DetailSpectrum::of(&Plane::filled(300, 300, 0.0)).is_none());
        assert!(DetailSpectrum::of(&Plane::filled(300, 300, f32::NAN)).is_none());
    }
}
