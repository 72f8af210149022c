//! The fine detail the gate compares: the band-pass of the log of linear
//! luminance (σ 1.5 and 3 px, [`bands`]), and the blur of a capture against
//! the baseline, in pixels
//! (`blur_vs_baseline_px`): the σ of the Gaussian blur that takes the
//! baseline's fine detail to the share of it the capture keeps
//! (`sharpness_vs_baseline`), a Gaussian-equivalent σ for a defocus or a
//! shake.
//!
//! The share a blur keeps depends on the texture: a coarse control region
//! keeps 0.84–0.88 of its band-pass energy under a blur of σ 1.2 px that
//! fades finer lines in the region by 12–14 %, and fine skin texture keeps
//! 0.8 under σ 0.6 px. The σ of a Gaussian blur does not, so the gate's
//! focus limit is also set on it, in the units fine lines are measured in.
//! It is read through the baseline's band-pass spectrum
//! ([`DetailSpectrum`]: Welch's averaged periodogram of detrended,
//! Hann-windowed tiles; P. D. Welch, IEEE Trans. Audio Electroacoust. 15
//! (1967) 70–73, doi:10.1109/TAU.1967.1161901): a Gaussian of σ multiplies
//! the amplitude at frequency f by `g(f) = exp(−2π²σ²f²)`, so the
//! projection of a blurred band on the baseline's keeps `(Σ P g / Σ P)²` and
//! its energy `Σ P g² / Σ P`.
//!
//! A changed tone curve, light balance or exposure scales the fine detail
//! too, and on a frame of skin alone nothing else in the frame measures it:
//! the σ is read from the share the fine band keeps over the share a coarse
//! band an octave below keeps ([`COARSE_SIGMA_PX`]; a blur of up to 1.5 px takes
//! little of it), both bands of the log of linear luminance ([`log_light`])
//! and both predicted from their own spectra, so whatever scales both
//! cancels ([`DetailSpectrum::blur_px_for_ratio`]).

use crate::filters::gaussian_blur;
use crate::fourier::{Direction, Fft2, frequency};
use crate::measure::colour::LinearLut;
use crate::measure::finite_sum;
use crate::raster::{ColourModel, Plane, RgbPlanes};
use rustfft::num_complex::Complex32;

/// The largest side of the square tiles the spectrum is averaged over, px.
const MAX_TILE: usize = 64;
/// The smallest: a region narrower than this has no spectrum.
const MIN_TILE: usize = 16;
/// At most this many tiles (spread over the region) are transformed.
const MAX_TILES: usize = 256;
/// The largest blur reported, px: the share a blur keeps is flat beyond it.
const MAX_BLUR_PX: f64 = 8.0;

/// How the share of detail a capture keeps was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KeptBy {
    /// The square of the capture's band projected on the baseline's
    /// (`(Σab / Σb²)²`).
    Projection,
    /// The ratio of the two bands' energies (`Σa² / Σb²`).
    Energy,
}

/// The power spectrum of the baseline's band-pass, averaged over tiles.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct DetailSpectrum {
    /// Side of the tiles, px.
    tile: usize,
    /// Power per frequency bin, `tile × tile`, row-major, DC at 0.
    power: Vec<f64>,
    /// Tiles averaged.
    tiles: usize,
}

impl DetailSpectrum {
    /// The spectrum of `band` over its whole tiles without missing pixels;
    /// `None` when it is narrower than [`MIN_TILE`], or has no such tile or
    /// no power.
    pub(super) fn of(band: &Plane) -> Option<DetailSpectrum> {
        let (w, h) = (band.width(), band.height());
        let tile = prev_power_of_two(w.min(h).min(MAX_TILE));
        if tile < MIN_TILE {
            return None;
        }
        let step = tile / 2;
        let starts = |n: usize| (0..=(n - tile) / step).map(move |i| i * step);
        let whole = |&(x, y): &(usize, usize)| {
            (y..y + tile).all(|r| band.row(r)[x..x + tile].iter().all(|v| v.is_finite()))
        };
        let origins: Vec<(usize, usize)> = starts(h)
            .flat_map(|y| starts(w).map(move |x| (x, y)))
            .filter(whole)
            .collect();
        let picked = origins.len().min(MAX_TILES);
        let hann: Vec<f64> = (0..tile)
            .map(|i| {
                (std::f64::consts::PI * (i as f64 + 0.5) / tile as f64)
                    .sin()
                    .powi(2)
            })
            .collect();
        let fft = Fft2::new(tile, tile);
        let mut power = vec![0.0f64; tile * tile];
        let mut cells = vec![Complex32::new(0.0, 0.0); tile * tile];
        // every (len / picked)-th tile in reading order, in a fixed order
        for i in 0..picked {
            let (x0, y0) = origins[i * origins.len() / picked];
            let rows = || (0..tile).map(|j| &band.row(y0 + j)[x0..x0 + tile]);
            let mean = rows().flatten().map(|&v| f64::from(v)).sum::<f64>() / (tile * tile) as f64;
            for ((out, src), wy) in cells.chunks_exact_mut(tile).zip(rows()).zip(&hann) {
                for ((c, &v), wx) in out.iter_mut().zip(src).zip(&hann) {
                    *c = Complex32::new(((f64::from(v) - mean) * wx * wy) as f32, 0.0);
                }
            }
            fft.run(&mut cells, Direction::Forward);
            for (p, c) in power.iter_mut().zip(&cells) {
                *p += f64::from(c.norm_sqr());
            }
        }
        (power.iter().sum::<f64>() > 0.0).then_some(DetailSpectrum {
            tile,
            power,
            tiles: picked,
        })
    }

    /// The share of the baseline's detail a capture blurred by `sigma_px`
    /// keeps, measured `by`.
    pub(super) fn kept(&self, sigma_px: f64, by: KeptBy) -> f64 {
        let n = self.tile;
        let c = -2.0 * (std::f64::consts::PI * sigma_px).powi(2);
        let (mut kept, mut all) = (0.0, 0.0);
        for (i, &p) in self.power.iter().enumerate() {
            let (fx, fy) = (frequency(i % n, n), frequency(i / n, n));
            let g = (c * (fx * fx + fy * fy)).exp();
            kept += p * if by == KeptBy::Projection { g } else { g * g };
            all += p;
        }
        match by {
            KeptBy::Projection => (kept / all).powi(2),
            KeptBy::Energy => kept / all,
        }
    }

    /// The blur, px, under which the baseline's detail keeps the share
    /// `kept` of it: 0 for a capture at least as sharp, at most
    /// [`MAX_BLUR_PX`]; `None` for a share that is not a number.
    pub(super) fn blur_px_for(&self, kept: f64, by: KeptBy) -> Option<f64> {
        if !kept.is_finite() {
            return None;
        }
        if kept >= 1.0 {
            return Some(0.0);
        }
        let (mut lo, mut hi) = (0.0, MAX_BLUR_PX);
        if self.kept(hi, by) >= kept {
            return Some(hi);
        }
        // the share falls with σ: bisect to 1e-4 px
        while hi - lo > 1e-4 {
            let mid = 0.5 * (lo + hi);
            if self.kept(mid, by) > kept {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(0.5 * (lo + hi))
    }

    /// Fewest tiles of the coarse band's spectrum for
    /// [`DetailSpectrum::blur_px_for_ratio`]: over fewer (a square control
    /// region under 128 px a side: tiles of 64 px every 32 px) its low
    /// frequencies are too coarsely resolved, and a blur of 1.5 px read 1.36.
    pub(super) const RATIO_TILES: usize = 8;

    /// Whether the spectrum averages enough tiles to be the coarse band of
    /// [`DetailSpectrum::blur_px_for_ratio`].
    pub(super) fn resolves_coarse(&self) -> bool {
        self.tiles >= Self::RATIO_TILES
    }

    /// The blur, px, under which the baseline's fine detail (`self`) keeps
    /// `ratio` times the share its coarse detail (`coarse`) keeps: a
    /// changed tone curve, light balance or exposure scales both shares
    /// alike and cancels. 0 for a ratio of at least 1, at most
    /// [`MAX_BLUR_PX`]; `None` for a ratio that is not a number.
    pub(super) fn blur_px_for_ratio(
        &self,
        coarse: &DetailSpectrum,
        ratio: f64,
        by: KeptBy,
    ) -> Option<f64> {
        if !ratio.is_finite() {
            return None;
        }
        let at = |sigma: f64| self.kept(sigma, by) / coarse.kept(sigma, by);
        if ratio >= 1.0 {
            return Some(0.0);
        }
        let (mut lo, mut hi) = (0.0, MAX_BLUR_PX);
        if at(hi) >= ratio {
            return Some(hi);
        }
        // the fine band loses more than the coarse one at every σ: bisect
        while hi - lo > 1e-4 {
            let mid = 0.5 * (lo + hi);
            if at(mid) > ratio {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(0.5 * (lo + hi))
    }
}

/// The fine band the gate compares (σ of the difference of Gaussians, px):
/// the scale of fine lines and pores.
pub(super) const FINE_SIGMA_PX: (f64, f64) = (1.5, 3.0);
/// The coarse band, an octave below: a blur of σ ≤ 1.5 px keeps nearly
/// all of it, while a changed tone curve or light balance scales it as
/// it scales the fine band, so the ratio of what the two keep reads a blur
/// alone ([`DetailSpectrum::blur_px_for_ratio`]).
pub(super) const COARSE_SIGMA_PX: (f64, f64) = (3.0, 6.0);

/// Darkest linear luminance taken as light, as a share of the region's
/// mean (a log of black is not one, and a crushed pixel at 1e-4 would be
/// 8 log units below skin: one in a control region of 200 × 150 px made up
/// about 40 % of its band's energy).
const DARKEST_SHARE: f64 = 0.05;

/// ln of the linear luminance of `img` (its channels through the sRGB
/// curve), at least [`DARKEST_SHARE`] of its mean, NaN where a channel is:
/// a band-pass of it is a relative contrast of light, which an exposure or
/// a vignetting does not change, where the encoded values' contrast
/// changes with their level (an exposure of 1.4 had read as a blur of
/// 0.5 px).
pub(super) fn log_light(img: &RgbPlanes, lut: &LinearLut) -> Plane {
    let lin = |v: f32| if v.is_finite() { lut.get(v) } else { f64::NAN };
    let linear = Plane::from_fn(img.width(), img.height(), |x, y| {
        let l = match img.model {
            ColourModel::Grey => lin(img.r.at(x, y)),
            ColourModel::Rgb => {
                (0.2126 * lin(img.r.at(x, y)) + 0.7152 * lin(img.g.at(x, y)))
                    + 0.0722 * lin(img.b.at(x, y))
            }
        };
        l as f32
    });
    let (s, n) = finite_sum(linear.data());
    let darkest = (DARKEST_SHARE * s / n.max(1) as f64).max(f64::MIN_POSITIVE);
    linear.map(|l| {
        if l.is_nan() {
            f32::NAN
        } else {
            f64::from(l).max(darkest).ln() as f32
        }
    })
}

/// The fine and the coarse band-pass of a log light (`log_light`):
/// differences of Gaussian blurs ([`FINE_SIGMA_PX`], [`COARSE_SIGMA_PX`]; the fine band's
/// wider blur is the coarse band's narrower one, blurred once), NaN where
/// `light` has no data (filled with its mean before blurring). `None`
/// without valid pixels.
pub(super) fn bands(light: &Plane) -> Option<(Plane, Plane)> {
    const { assert!(FINE_SIGMA_PX.1 == COARSE_SIGMA_PX.0) };
    let (s, n) = finite_sum(light.data());
    if n == 0 {
        return None;
    }
    let mean = (s / n as f64) as f32;
    let filled = light.map(|v| if v.is_finite() { v } else { mean });
    let blurs = [FINE_SIGMA_PX.0, FINE_SIGMA_PX.1, COARSE_SIGMA_PX.1]
        .map(|sigma| gaussian_blur(&filled, sigma));
    let difference = |a: &Plane, b: &Plane| {
        Plane::from_fn(light.width(), light.height(), |x, y| {
            if light.at(x, y).is_finite() {
                a.at(x, y) - b.at(x, y)
            } else {
                f32::NAN
            }
        })
    };
    Some((
        difference(&blurs[0], &blurs[1]),
        difference(&blurs[1], &blurs[2]),
    ))
}

/// One band of the baseline's ruler (its control region, else its ROI):
/// the band-pass, its energy ([`band_energy`]) and its spectrum.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct RulerBand {
    pub(super) band: Plane,
    pub(super) energy: f64,
    pub(super) spectrum: Option<DetailSpectrum>,
}

impl RulerBand {
    pub(super) fn of(band: Plane) -> RulerBand {
        RulerBand {
            energy: band_energy(&band),
            spectrum: DetailSpectrum::of(&band),
            band,
        }
    }
}

/// `plane` at half its resolution, each pixel the mean of a 2×2 block
/// (NaN where one of the four is), so that [`pixel_noise`] reads noise at
/// scales that the bicubic resampling of alignment smooths less: a
/// follow-up shifted by a fraction of a pixel read 0.41–0.62 of the noise
/// of a baseline as noisy at full resolution (one twice as noisy
/// 0.58–0.62), 0.77–0.83 at half resolution (twice as noisy 1.02–1.28).
pub(super) fn binned(plane: &Plane) -> Plane {
    Plane::from_fn(plane.width() / 2, plane.height() / 2, |x, y| {
        let (r0, r1) = (plane.row(2 * y), plane.row(2 * y + 1));
        0.25 * (r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1])
    })
}

/// The standard deviation of the pixel noise of `plane` (a log light,
/// [`log_light`]) by J. Immerkær's estimator (Fast noise variance
/// estimation, Comput. Vis. Image Underst. 64 (1996) 300–302,
/// doi:10.1006/cviu.1996.0060): √(π/2)/6 times the mean absolute response
/// to the 3×3 mask (1 −2 1; −2 4 −2; 1 −2 1), the difference of two
/// Laplacians, which a plane or a ramp does not excite, over the windows
/// without a missing pixel; `None` without one. A JPEG removes the finest
/// noise and adds its own in coarser blocks, so this is read only as a
/// ratio between two files of the same quantiser steps.
pub(super) fn pixel_noise(plane: &Plane) -> Option<f64> {
    let (w, h) = (plane.width(), plane.height());
    if w < 3 || h < 3 {
        return None;
    }
    let (mut sum, mut n) = (0.0f64, 0u64);
    for y in 1..h - 1 {
        let [up, mid, down] = [plane.row(y - 1), plane.row(y), plane.row(y + 1)];
        for x in 1..w - 1 {
            let edge = f64::from(up[x - 1] + up[x + 1] + down[x - 1] + down[x + 1]);
            let side = f64::from(up[x] + down[x] + mid[x - 1] + mid[x + 1]);
            let response = edge - 2.0 * side + 4.0 * f64::from(mid[x]);
            if response.is_finite() {
                sum += response.abs();
                n += 1;
            }
        }
    }
    (n > 0).then(|| (std::f64::consts::PI / 2.0).sqrt() / 6.0 * sum / n as f64)
}

/// Mean square of a band-pass over its valid pixels (0 without any).
pub(super) fn band_energy(band: &Plane) -> f64 {
    let (e, n) = band
        .data()
        .iter()
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0u64), |(e, n), &v| {
            (e + f64::from(v).powi(2), n + 1)
        });
    if n == 0 { 0.0 } else { e / n as f64 }
}

/// The largest power of two at most `n` (0 for 0).
fn prev_power_of_two(n: usize) -> usize {
    if n == 0 { 0 } else { 1 << n.ilog2() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth;

    /// The gate's fine band-pass of `y` taken as a log light.
    fn band(y: &Plane) -> Plane {
        bands(y).expect("a band-pass").0
    }

    /// A `size`² texture of grain `scale` px: noise smoothed by σ `scale`,
    /// plus sharp-edged steps of a few pixels where `edges` is set.
    fn texture(seed: u64, size: usize, scale: f64, edges: bool) -> Plane {
        let mut draw = synth::Draw::new(seed);
        let noise = Plane::from_fn(size, size, |_, _| draw.unit() as f32 - 0.5);
        let smooth = gaussian_blur(&noise, scale);
        Plane::from_fn(size, size, |x, y| {
            let step = if edges && (x / 7 + y / 11) % 3 == 0 {
                0.5
            } else {
                0.0
            };
            1.0 + smooth.at(x, y) * 4.0 + step
        })
    }

    #[test]
    fn pixel_noise_reads_white_noise_over_a_smooth_shading() {
        // Gaussian noise by Box–Muller over a plane and a ramp, with a
        // missing block: its σ within 3 %; the shading alone reads nothing
        let mut draw = synth::Draw::new(7);
        for sigma in [0.01, 0.05] {
            let noisy = Plane::from_fn(300, 200, |x, y| {
                let (u, v) = (draw.unit().max(1e-12), draw.unit());
                let gauss = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
                let shading = 0.002 * x as f64 - 0.001 * y as f64 + 0.3;
                if (40..60).contains(&x) && (40..60).contains(&y) {
                    f32::NAN
                } else {
                    (shading + sigma * gauss) as f32
                }
            });
            let got = pixel_noise(&noisy).unwrap();
            assert!((got / sigma - 1.0).abs() < 0.03, "σ {sigma}: read {got}");
        }
        let ramp = Plane::from_fn(50, 40, |x, y| 0.01 * x as f32 + 0.02 * y as f32);
        assert!(pixel_noise(&ramp).unwrap() < 1e-6);
        assert_eq!(pixel_noise(&Plane::from_fn(2, 9, |_, _| 1.0)), None);
    }

    /// Σ p·q over two planes of one size.
    fn dot(p: &Plane, q: &Plane) -> f64 {
        p.data()
            .iter()
            .zip(q.data())
            .map(|(&u, &v)| f64::from(u) * f64::from(v))
            .sum::<f64>()
    }

    /// What blurring by `sigma_px` keeps of `y`'s band, measured `by`.
    fn kept_by_blurring(y: &Plane, sigma_px: f64, by: KeptBy) -> f64 {
        let (a, b) = (band(&gaussian_blur(y, sigma_px)), band(y));
        match by {
            KeptBy::Projection => (dot(&a, &b) / dot(&b, &b)).powi(2),
            KeptBy::Energy => dot(&a, &a) / dot(&b, &b),
        }
    }

    /// Grains from fine (near the pixel) to coarse (an upscaled photo),
    /// with and without sharp edges.
    const GRAINS: [(u64, f64, bool); 3] = [(1, 0.6, false), (2, 2.5, false), (3, 1.0, true)];

    #[test]
    fn the_spectrum_predicts_what_a_blur_keeps_as_blurring_does() {
        // the model differs from blurring by the sampled kernels and the
        // window's leakage only: a few thousandths at these σ
        for (seed, scale, edges) in GRAINS {
            let y = texture(seed, 384, scale, edges);
            let spectrum = DetailSpectrum::of(&band(&y)).expect("a spectrum");
            for sigma in [0.7, 1.0, 1.5] {
                for by in [KeptBy::Projection, KeptBy::Energy] {
                    let naive = kept_by_blurring(&y, sigma, by);
                    let model = spectrum.kept(sigma, by);
                    assert!(
                        (model - naive).abs() < 0.03,
                        "grain {scale} σ {sigma} {by:?}: model {model:.3}, blurring {naive:.3}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_blur_reads_as_its_sigma_whatever_the_grain_of_the_texture() {
        // the share kept differs by grain; the σ read back does not (0.1 px:
        // a tenth of the finest line scale)
        for sigma in [0.7, 1.2] {
            let mut shares = Vec::new();
            for (seed, scale, edges) in GRAINS {
                let y = texture(seed + 10, 384, scale, edges);
                let kept = kept_by_blurring(&y, sigma, KeptBy::Projection);
                let read = DetailSpectrum::of(&band(&y))
                    .and_then(|s| s.blur_px_for(kept, KeptBy::Projection))
                    .unwrap();
                assert!(
                    (read - sigma).abs() < 0.1,
                    "grain {scale}: σ {sigma} read as {read:.3} (kept {kept:.3})"
                );
                shares.push(kept);
            }
            let spread = shares.iter().copied().fold(f64::MIN, f64::max)
                - shares.iter().copied().fold(f64::MAX, f64::min);
            assert!(
                spread > 0.05,
                "σ {sigma}: shares {shares:?} do not depend on the grain"
            );
        }
    }

    #[test]
    fn the_energy_ratio_is_read_through_the_square_of_the_transfer() {
        let y = texture(7, 384, 1.0, false);
        let kept = kept_by_blurring(&y, 0.9, KeptBy::Energy);
        let spectrum = DetailSpectrum::of(&band(&y)).unwrap();
        let read = spectrum.blur_px_for(kept, KeptBy::Energy).unwrap();
        assert!((read - 0.9).abs() < 0.1, "read {read:.3}");
    }

    #[test]
    fn large_regions_are_sampled_and_narrow_ones_read_with_small_tiles() {
        // 1296 tiles, of which 256 are transformed
        let big = texture(8, 1200, 1.0, false);
        let kept = kept_by_blurring(&big, 1.0, KeptBy::Projection);
        let read = DetailSpectrum::of(&band(&big))
            .and_then(|s| s.blur_px_for(kept, KeptBy::Projection))
            .unwrap();
        assert!((read - 1.0).abs() < 0.1, "read {read:.3}");
        // a strip 24 px wide: 16-px tiles
        let strip =
            band(&texture(9, 384, 1.0, false)).crop(crate::raster::Rect::new(100, 0, 24, 384));
        let spectrum = DetailSpectrum::of(&strip).expect("a spectrum of 16-px tiles");
        assert_eq!(spectrum.tile, 16);
        assert!(DetailSpectrum::of(&strip.crop(crate::raster::Rect::new(0, 0, 15, 384))).is_none());
    }

    #[test]
    fn missing_pixels_leave_their_tiles_out() {
        let b = band(&texture(10, 384, 1.0, false));
        let whole = DetailSpectrum::of(&b).unwrap();
        // a hole over the left half's tiles: the rest still reads the blur
        let mut holed = b.clone();
        for y in 0..384 {
            for x in 0..150 {
                holed.set(x, y, f32::NAN);
            }
        }
        let part = DetailSpectrum::of(&holed).expect("tiles right of the hole");
        let (a, z) = (
            whole.kept(1.0, KeptBy::Projection),
            part.kept(1.0, KeptBy::Projection),
        );
        assert!((a - z).abs() < 0.03, "{a:.3} vs {z:.3}");
    }

    #[test]
    fn a_sharper_capture_reads_no_blur_a_flat_one_the_largest_and_nan_none() {
        let spectrum = DetailSpectrum::of(&band(&texture(11, 384, 1.0, false))).unwrap();
        let read = |kept: f64| spectrum.blur_px_for(kept, KeptBy::Projection);
        assert_eq!(read(1.02), Some(0.0));
        assert_eq!(read(0.0), Some(MAX_BLUR_PX));
        assert_eq!(read(f64::NAN), None);
        assert_eq!(read(f64::INFINITY), None);
        assert!(DetailSpectrum::of(&Plane::filled(300, 300, 0.0)).is_none());
        assert!(DetailSpectrum::of(&Plane::filled(300, 300, f32::NAN)).is_none());
    }

    #[test]
    fn the_ratio_of_two_bands_reads_a_blur_whatever_the_grain_and_the_contrast() {
        // naive reference: blur the texture, scale its log light by 1.1 (a
        // changed tone curve), project each band on the baseline's
        let kept = |a: &Plane, b: &Plane| (dot(a, b) / dot(b, b)).powi(2);
        for (seed, scale, edges) in GRAINS {
            let y = texture(seed + 20, 384, scale, edges);
            let (fine, coarse) = bands(&y).unwrap();
            let (fs, cs) = (
                DetailSpectrum::of(&fine).unwrap(),
                DetailSpectrum::of(&coarse).unwrap(),
            );
            assert!(cs.resolves_coarse());
            for sigma in [0.5, 0.8, 1.2] {
                let capture = gaussian_blur(&y, sigma).map(|v| 1.1 * v);
                let (f, c) = bands(&capture).unwrap();
                let ratio = kept(&f, &fine) / kept(&c, &coarse);
                let read = fs
                    .blur_px_for_ratio(&cs, ratio, KeptBy::Projection)
                    .unwrap();
                assert!(
                    (read - sigma).abs() < 0.1,
                    "grain {scale}: σ {sigma} read as {read:.3}"
                );
                // the fine band's share alone reads the contrast as sharpness
                let alone = fs.blur_px_for(kept(&f, &fine), KeptBy::Projection).unwrap();
                assert!(
                    alone < sigma - 0.1,
                    "grain {scale}: σ {sigma}, one band {alone:.3}"
                );
            }
        }
        let (fine, coarse) = bands(&texture(30, 384, 1.0, false)).unwrap();
        let (fs, cs) = (
            DetailSpectrum::of(&fine).unwrap(),
            DetailSpectrum::of(&coarse).unwrap(),
        );
        let read = |ratio: f64| fs.blur_px_for_ratio(&cs, ratio, KeptBy::Projection);
        assert_eq!(read(1.05), Some(0.0));
        assert_eq!(read(0.0), Some(MAX_BLUR_PX));
        assert_eq!(read(f64::NAN), None);
        // a region of 96 px a side: four tiles, too few for the coarse band
        let small = bands(&texture(31, 96, 1.0, false)).unwrap().1;
        assert!(!DetailSpectrum::of(&small).unwrap().resolves_coarse());
    }

    #[test]
    fn a_tone_curve_or_an_exposure_is_not_read_as_a_blur_nor_hides_one() {
        // gamma 0.9–1.1 on the encoded values scales every relative contrast
        // by about 1/γ, and an exposure changes the encoded values' contrast
        // with their level: read from one band's share they had read as
        // blurs of 0.3–0.7 px, and a gamma of 0.9 had hidden a blur of 0.8 px
        use crate::align::Registration;
        use crate::quality::{Regions, assess, reference, tests::exposed};
        use crate::raster::Rect;
        let skin = crate::phantom::skin_image(5, 640, 480, 0.05, 0.0);
        let regions = Regions {
            roi: Rect::new(200, 120, 400, 320),
            control: Some(Rect::new(16, 16, 160, 160)),
            card: None,
        };
        let reference = reference(&skin, regions);
        let blur_of = |img: &RgbPlanes| {
            assess(img, regions, &reference, &Registration::identity()).measures["blur_vs_baseline_px"]
        };
        let toned = |img: &RgbPlanes, g: f32| {
            img.map_planes(|p| p.map(|v| 255.0 * (v / 255.0).powf(1.0 / g)))
        };
        let soft = skin.map_planes(|p| gaussian_blur(p, 0.8));
        let alone = blur_of(&soft);
        eprintln!("a blur of 0.8 px reads {alone:.3}");
        assert!(
            (alone - 0.8).abs() < 0.15,
            "a blur of 0.8 px read {alone:.3}"
        );
        for g in [0.9, 1.1] {
            let sharp = blur_of(&toned(&skin, g));
            assert!(sharp < 0.2, "gamma {g}: read as a blur of {sharp:.3} px");
            let blurred = blur_of(&toned(&soft, g));
            assert!(
                (blurred - alone).abs() < 0.1,
                "gamma {g}: a blur of 0.8 px read {blurred:.3}, without it {alone:.3}"
            );
        }
        for k in [0.7, 1.4] {
            let read = blur_of(&exposed(&skin, [k; 3]));
            assert!(read < 0.2, "exposure {k}: read as a blur of {read:.3} px");
        }
    }
}
