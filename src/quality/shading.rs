//! Light fall-off that changed between two captures: vignetting, a moved
//! lamp, a changed balance between a frontal and a side light. Over a face
//! these are smooth and the same in every channel, so they are modelled as
//! a grey *shading field*: the log ratio of the capture's linear luminance
//! to the baseline's, a quadratic in the image coordinates (a radial
//! fall-off about any centre, a gradient, or both).
//!
//! The field is fitted on the skin outside the measured region (ROI): the
//! treatment acts inside it, so only there can the field be told apart
//! from the skin. Luminance is averaged in blocks; blocks with no-data,
//! clipped or crushed pixels are left out, and the fit is robust (Tukey's
//! biweight, iteratively reweighted), so hair, clothes or a changed spot
//! outside the ROI do not bend it. The field's *level* is not used: it is
//! taken relative to its mean over the control region (else the ROI),
//! whose per-channel gains set level and white balance
//! ([`super::gains`]), so a change of the untreated skin's colour is
//! measured the same way as before.
//!
//! The quadratic is only trusted where it interpolates: blocks must lie
//! beyond all four sides of the ROI ([`MIN_SIDE_SHARE`]); otherwise no
//! field is fitted and only the gains apply.
//!
//! Where the scene around the ROI has light and dark surfaces, the fit
//! takes a tone term too (a changed tone curve, [`Shading::contrast`]).
//! That fit is made on each channel of each block, with a level of its own
//! per channel (the white balance) and the field's shape and the tone term
//! shared by the three, so a changed white balance over surfaces of
//! different colour is not taken for a tone curve.

use crate::measure::colour::LinearLut;
use crate::raster::{Rect, RgbPlanes, luminance_f64};
use rayon::prelude::*;
use tone::{Colour, fit_with_tone};

pub mod card;
mod tone;

/// Terms of the field: 1, u, v, u², uv, v².
const TERMS: usize = 6;
/// Fewest usable blocks outside the ROI for a fit.
const MIN_BLOCKS: usize = 24;
/// Smallest share of the usable blocks beyond each side of the ROI (left
/// of it, right of it, above, below), so the field interpolates into it.
const MIN_SIDE_SHARE: f64 = 0.05;
/// Blocks per image side, about (a block is at least 8 px).
const BLOCKS_PER_SIDE: usize = 48;
/// Largest share of a block's pixels that may be clipped or crushed.
const MAX_SATURATED: f64 = 0.02;
/// Tukey biweight constant (95 % efficiency for normal residuals).
const TUKEY_C: f64 = 4.685;

/// Mean linear luminance of the blocks of an image, and of each channel
/// (NaN where a block is unusable).
#[derive(Clone, Debug, PartialEq)]
pub struct BlockMeans {
    block: usize,
    cols: usize,
    rows: usize,
    means: Vec<f64>,
    /// Mean linear red, green and blue of each block, for the tone term:
    /// a changed white balance scales each channel by its own gain, which
    /// the luminance of differently coloured surfaces does not follow.
    channels: Vec<[f64; 3]>,
}

/// Block side for a `w × h` image.
fn block_side(w: usize, h: usize) -> usize {
    (w.max(h) / BLOCKS_PER_SIDE).max(8)
}

/// The blocks of `img`: each one's mean linear luminance, NaN when one of
/// its pixels is no-data or more than [`MAX_SATURATED`] of them are at the
/// top or bottom of the 8-bit range.
#[must_use]
pub fn block_means(img: &RgbPlanes) -> BlockMeans {
    block_means_reduced(img, 1, (img.width(), img.height()))
}

/// [`block_means`] of a `frame` (width, height) from `img`, that frame
/// reduced by the integer `factor` (`align::warp::Grid::reduced`: pixel i
/// stands for frame pixels factor·i …): a block of the frame takes the
/// reduced pixels whose frame pixels start inside it, so the blocks lie
/// where the full-resolution ones do. With `factor` 1, `img` is the frame
/// and the sums are [`block_means`]'s, bit for bit.
#[must_use]
pub fn block_means_reduced(img: &RgbPlanes, factor: usize, frame: (usize, usize)) -> BlockMeans {
    let (w, h) = frame;
    let f = factor.max(1);
    let block = block_side(w, h);
    let (cols, rows) = (w / block, h / block);
    // reduced pixels [⌈c·block / f⌉, ⌈(c + 1)·block / f⌉) of each block
    let span = |c: usize, n: usize| {
        (
            (c * block).div_ceil(f).min(n),
            ((c + 1) * block).div_ceil(f).min(n),
        )
    };
    let col_spans: Vec<(usize, usize)> = (0..cols).map(|c| span(c, img.width())).collect();
    let row_spans: Vec<(usize, usize)> = (0..rows).map(|r| span(r, img.height())).collect();
    let lut = LinearLut::default();
    let mut sums = vec![Sums::default(); cols * rows];
    // one row of blocks per task: each block's pixels are still summed row
    // by row, left to right, whatever the thread count
    sums.par_chunks_mut(cols.max(1))
        .zip(&row_spans)
        .for_each(|(cells, &(y0, y1))| {
            for y in y0..y1 {
                let (r, g, b) = (img.r.row(y), img.g.row(y), img.b.row(y));
                for (cell, &(x0, x1)) in cells.iter_mut().zip(&col_spans) {
                    for x in x0..x1 {
                        let (vr, vg, vb) = (r[x], g[x], b[x]);
                        if !(vr.is_finite() && vg.is_finite() && vb.is_finite()) {
                            cell.nodata = true;
                            continue;
                        }
                        let (hi, lo) = (vr.max(vg).max(vb), vr.min(vg).min(vb));
                        cell.saturated += usize::from(hi >= 254.0 || lo <= 1.0);
                        let lin = [lut.get(vr), lut.get(vg), lut.get(vb)];
                        cell.luminance +=
                            luminance_f64(lin[0] as f32, lin[1] as f32, lin[2] as f32);
                        for (sum, l) in cell.channels.iter_mut().zip(lin) {
                            *sum += l;
                        }
                    }
                }
            }
        });
    let count = |s: &[(usize, usize)]| s.iter().map(|&(a, b)| b - a).collect::<Vec<_>>();
    BlockMeans::from_sums(block, (&count(&col_spans), &count(&row_spans)), &sums)
}

/// One block's sums: linear luminance, linear red, green and blue, the
/// count of saturated pixels, and whether any pixel is no-data.
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    luminance: f64,
    channels: [f64; 3],
    saturated: usize,
    nodata: bool,
}

impl BlockMeans {
    /// These block means with every block that overlaps `r` unusable (a
    /// grey card is no skin for the field).
    #[must_use]
    pub fn without(mut self, r: Rect) -> BlockMeans {
        for row in 0..self.rows {
            for col in 0..self.cols {
                let block = Rect::new(col * self.block, row * self.block, self.block, self.block);
                if block.overlaps(r) {
                    let k = row * self.cols + col;
                    self.means[k] = f64::NAN;
                    self.channels[k] = [f64::NAN; 3];
                }
            }
        }
        self
    }

    /// The block means from each block's [`Sums`], given how many pixels
    /// each column and each row of blocks has.
    fn from_sums(block: usize, (col_n, row_n): (&[usize], &[usize]), sums: &[Sums]) -> Self {
        let (cols, rows) = (col_n.len(), row_n.len());
        let (means, channels) = sums
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let n = (col_n[k % cols.max(1)] * row_n[k / cols.max(1)]) as f64;
                if s.nodata
                    || n == 0.0
                    || s.saturated as f64 > MAX_SATURATED * n
                    || s.luminance <= 0.0
                {
                    (f64::NAN, [f64::NAN; 3])
                } else {
                    (s.luminance / n, s.channels.map(|c| c / n))
                }
            })
            .unzip();
        BlockMeans {
            block,
            cols,
            rows,
            means,
            channels,
        }
    }
}

/// Pixels between exact restarts of [`Shading::undo_row`].
const UNDO_RUN: usize = 64;

/// A fitted shading field: `ln(capture / baseline)` of the linear
/// luminance at a pixel, less its mean over the reference region (with a
/// tone term, its shape as fitted on the three channels), and the tone
/// term.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shading {
    coef: [f64; TERMS],
    centre: (f64, f64),
    half: f64,
    /// The tone term: how much more the capture's log light varies than
    /// the baseline's, `d ln(ratio) / d ln(baseline)` (0 when not fitted).
    tone: f64,
}

impl Shading {
    fn basis(&self, x: f64, y: f64) -> [f64; TERMS] {
        let (u, v) = (
            (x - self.centre.0) / self.half,
            (y - self.centre.1) / self.half,
        );
        [1.0, u, v, u * u, u * v, v * v]
    }

    /// A field of a `w × h` frame falling off by about 20 % from its centre
    /// to its corners, for tests.
    #[cfg(test)]
    pub(crate) fn test_field(w: usize, h: usize) -> Shading {
        let half = w.max(h) as f64 / 2.0;
        Shading {
            coef: [0.0, 0.05, -0.03, -0.1, 0.02, -0.1],
            centre: (w as f64 / 2.0, h as f64 / 2.0),
            half,
            tone: 0.0,
        }
    }

    /// The field at pixel centre (x, y): the log ratio of the capture's
    /// light to the baseline's there, relative to the reference region.
    #[must_use]
    pub fn log_ratio(&self, x: f64, y: f64) -> f64 {
        self.basis(x, y)
            .iter()
            .zip(&self.coef)
            .map(|(b, c)| b * c)
            .sum()
    }

    /// `exp(−field)`, the factor that undoes the field, at pixels `x0`,
    /// `x0 + 1`, … of row `y`, into `out`. Along a row the field is a
    /// quadratic in x, so each factor is the previous one times a ratio
    /// that itself changes by a constant factor: two products a pixel
    /// instead of the polynomial and an `exp`. Restarted exactly every
    /// [`UNDO_RUN`] pixels (relative error < 1e-12, tested).
    pub fn undo_row(&self, x0: usize, y: f64, out: &mut [f64]) {
        let h = self.half;
        let v = (y - self.centre.1) / h;
        let [_, c1, _, c3, c4, _] = self.coef;
        // q(u) = a + b u + c3 u², u = (x − centre) / half
        let b = c1 + c4 * v;
        let step = (-2.0 * c3 / (h * h)).exp();
        for (k, run) in out.chunks_mut(UNDO_RUN).enumerate() {
            let x = (x0 + k * UNDO_RUN) as f64;
            let u = (x - self.centre.0) / h;
            let mut f = (-self.log_ratio(x, y)).exp();
            let mut ratio = (-(b / h + c3 * (2.0 * u + 1.0 / h) / h)).exp();
            for o in run {
                *o = f;
                f *= ratio;
                ratio *= step;
            }
        }
    }

    /// The capture's log contrast relative to the baseline's, `1 + tone`:
    /// a changed tone curve (gamma) scales every log ratio between two
    /// surfaces, a colour excess over the control region too. 1 where the
    /// scene around the ROI is too even to tell (uniform skin).
    #[must_use]
    pub fn contrast(&self) -> f64 {
        1.0 + self.tone
    }

    /// The largest |field| over `r`, as a percent change of light
    /// (evaluated at its corners, edge midpoints and centre).
    #[must_use]
    pub fn largest_pct(&self, r: Rect) -> f64 {
        let xs = [
            r.x as f64,
            r.x as f64 + r.w as f64 / 2.0,
            (r.x + r.w) as f64,
        ];
        let ys = [
            r.y as f64,
            r.y as f64 + r.h as f64 / 2.0,
            (r.y + r.h) as f64,
        ];
        xs.iter()
            .flat_map(|&x| ys.iter().map(move |&y| (x, y)))
            .map(|(x, y)| 100.0 * (self.log_ratio(x, y).exp() - 1.0).abs())
            .fold(0.0, f64::max)
    }
}

/// Fits the shading field of `now` against `base` (block means of the same
/// size) on the blocks outside `roi`, relative to its mean over `reference`
/// (the control region, else the ROI); `None` when too few blocks, not all
/// around the ROI, or a degenerate fit.
#[must_use]
pub fn fit(base: &BlockMeans, now: &BlockMeans, roi: Rect, reference: Rect) -> Option<Shading> {
    if base.block != now.block || base.cols != now.cols || base.rows != now.rows {
        return None;
    }
    let b = base.block as f64;
    let (w, h) = (base.cols as f64 * b, base.rows as f64 * b);
    let shape = Shading {
        coef: [0.0; TERMS],
        centre: (w / 2.0, h / 2.0),
        half: w.max(h) / 2.0,
        tone: 0.0,
    };
    let outside = |c: usize, r: usize| {
        let (x0, y0) = (c * base.block, r * base.block);
        x0 + base.block <= roi.x
            || y0 + base.block <= roi.y
            || x0 >= roi.x + roi.w
            || y0 >= roi.y + roi.h
    };
    let mut points: Vec<([f64; TERMS], f64)> = Vec::new();
    let mut log_base: Vec<f64> = Vec::new();
    let mut colours: Vec<Colour> = Vec::new();
    let mut sides = [0usize; 4];
    for r in 0..base.rows {
        for c in 0..base.cols {
            let k = r * base.cols + c;
            let (mb, mn) = (base.means[k], now.means[k]);
            if !(mb.is_finite() && mn.is_finite() && outside(c, r)) {
                continue;
            }
            let (x, y) = ((c as f64 + 0.5) * b, (r as f64 + 0.5) * b);
            sides[0] += usize::from(x < roi.x as f64);
            sides[1] += usize::from(x > (roi.x + roi.w) as f64);
            sides[2] += usize::from(y < roi.y as f64);
            sides[3] += usize::from(y > (roi.y + roi.h) as f64);
            let basis = shape.basis(x, y);
            points.push((basis, (mn / mb).ln()));
            log_base.push(mb.ln());
            let (cb, cn) = (base.channels[k], now.channels[k]);
            if cb.iter().chain(&cn).all(|&v| v > 0.0) {
                colours.push(Colour {
                    basis,
                    log_base: cb.map(f64::ln),
                    log_ratio: [0, 1, 2].map(|c| (cn[c] / cb[c]).ln()),
                });
            }
        }
    }
    let n = points.len();
    if n < MIN_BLOCKS
        || sides
            .iter()
            .any(|&s| (s as f64) < MIN_SIDE_SHARE * n as f64)
    {
        return None;
    }
    let (mut coef, tone) = fit_with_tone(&points, &log_base, &colours)?;
    // relative to the reference region: its mean log ratio is the level the
    // per-channel gains already set
    let level = mean_over(&Shading { coef, ..shape }, reference);
    coef[0] -= level;
    // the baseline against itself: no field
    (coef.iter().any(|c| c.abs() > 1e-12) || tone.abs() > 1e-12).then_some(Shading {
        coef,
        tone,
        ..shape
    })
}

/// Mean of the field over `r` (on a 9 × 9 grid of its points).
fn mean_over(s: &Shading, r: Rect) -> f64 {
    let mut sum = 0.0;
    for j in 0..9 {
        for i in 0..9 {
            let x = r.x as f64 + r.w as f64 * (i as f64 + 0.5) / 9.0;
            let y = r.y as f64 + r.h as f64 * (j as f64 + 0.5) / 9.0;
            sum += s.log_ratio(x, y);
        }
    }
    sum / 81.0
}

/// Weighted least squares of `points`, reweighted by Tukey's biweight of the
/// residuals (scale: 1.4826 × their median absolute value), 10 rounds.
fn robust_fit<const N: usize>(points: &[([f64; N], f64)]) -> Option<[f64; N]> {
    let mut weights = vec![1.0; points.len()];
    let mut coef = nalgebra::SVector::<f64, N>::zeros();
    for _ in 0..10 {
        let (mut a, mut rhs) = (
            nalgebra::SMatrix::<f64, N, N>::zeros(),
            nalgebra::SVector::<f64, N>::zeros(),
        );
        for ((basis, value), &wgt) in points.iter().zip(&weights) {
            let x = nalgebra::SVector::<f64, N>::from_column_slice(basis);
            a += wgt * x * x.transpose();
            rhs += wgt * *value * x;
        }
        coef = a.cholesky()?.solve(&rhs);
        let residuals: Vec<f64> = points
            .iter()
            .map(|(basis, value)| {
                value - nalgebra::SVector::<f64, N>::from_column_slice(basis).dot(&coef)
            })
            .collect();
        let mut abs: Vec<f64> = residuals.iter().map(|r| r.abs()).collect();
        abs.sort_by(f64::total_cmp);
        // the scale has a floor: a noise-free fit must not weigh out every
        // block for a rounding-level residual
        let scale = (1.4826 * abs[abs.len() / 2]).max(1e-4);
        for (wgt, r) in weights.iter_mut().zip(&residuals) {
            let t = r / (TUKEY_C * scale);
            *wgt = if t.abs() < 1.0 {
                (1.0 - t * t).powi(2)
            } else {
                0.0
            };
        }
    }
    let c: [f64; N] = coef.into();
    c.iter().all(|v| v.is_finite()).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::{ColourModel, Plane};

    #[test]
    fn undoing_a_row_equals_the_field_at_every_pixel() {
        // a strong field (about 45 % from centre to corner) on a 4000 px frame
        let field = Shading {
            coef: [0.02, 0.15, -0.1, -0.3, 0.12, -0.25],
            centre: (2000.0, 1500.0),
            half: 2000.0,
            tone: 0.0,
        };
        for (x0, y, n) in [
            (0, 0.0, 4000),
            (1234, 777.0, 2419),
            (3990, 2999.0, 10),
            (5, 3.0, 0),
        ] {
            let mut out = vec![0.0; n];
            field.undo_row(x0, y, &mut out);
            for (i, f) in out.iter().enumerate() {
                let want = (-field.log_ratio((x0 + i) as f64, y)).exp();
                assert!(
                    (f / want - 1.0).abs() < 1e-12,
                    "x {} y {y}: {f} vs {want}",
                    x0 + i
                );
            }
        }
    }

    /// The block sums one pixel at a time over the whole image, row by row.
    fn block_means_naive(img: &RgbPlanes) -> BlockMeans {
        let (w, h) = (img.width(), img.height());
        let block = block_side(w, h);
        let (cols, rows) = (w / block, h / block);
        let lut = LinearLut::default();
        let mut sums = vec![Sums::default(); cols * rows];
        for y in 0..rows * block {
            for x in 0..cols * block {
                let cell = &mut sums[(y / block) * cols + x / block];
                let (vr, vg, vb) = (img.r.at(x, y), img.g.at(x, y), img.b.at(x, y));
                if vr.is_nan() || vg.is_nan() || vb.is_nan() {
                    cell.nodata = true;
                    continue;
                }
                let (hi, lo) = (vr.max(vg).max(vb), vr.min(vg).min(vb));
                cell.saturated += usize::from(hi >= 254.0 || lo <= 1.0);
                cell.luminance +=
                    luminance_f64(lut.get(vr) as f32, lut.get(vg) as f32, lut.get(vb) as f32);
                cell.channels[0] += lut.get(vr);
                cell.channels[1] += lut.get(vg);
                cell.channels[2] += lut.get(vb);
            }
        }
        BlockMeans::from_sums(block, (&vec![block; cols], &vec![block; rows]), &sums)
    }

    #[test]
    fn block_means_in_parallel_equal_the_naive_sums_bit_for_bit() {
        // 8 px blocks, a ragged right and bottom edge, a no-data corner and
        // a clipped patch
        let v = |x: usize, y: usize, k: usize| ((x * 7 + y * 13 + k * 29) % 250) as f32 + 2.5;
        let mut img = RgbPlanes {
            r: Plane::from_fn(203, 141, |x, y| v(x, y, 0)),
            g: Plane::from_fn(203, 141, |x, y| v(x, y, 1)),
            b: Plane::from_fn(203, 141, |x, y| v(x, y, 2)),
            model: ColourModel::Rgb,
        };
        img.g.set(3, 2, f32::NAN);
        for y in 40..56 {
            for x in 80..96 {
                img.r.set(x, y, 255.0);
            }
        }
        let (got, want) = (block_means(&img), block_means_naive(&img));
        assert_eq!((got.block, got.cols, got.rows), (8, 25, 17));
        let bits = |b: &BlockMeans| {
            let channels = b.channels.iter().flatten();
            b.means
                .iter()
                .chain(channels)
                .map(|m| m.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&got), bits(&want));
        assert!(got.means[0].is_nan() && got.means[5 * 25 + 10].is_nan());
        assert!(got.means[1].is_finite());
        // factor 1 is the same function
        assert_eq!(bits(&block_means_reduced(&img, 1, (203, 141))), bits(&want));
    }

    #[test]
    fn reduced_block_means_take_the_pixels_that_start_in_each_block() {
        // a 203 × 141 frame (8 px blocks) reduced by 3: 68 × 47 pixels;
        // block c takes reduced columns ⌈8c / 3⌉ .. ⌈8(c + 1) / 3⌉ (2 or 3)
        let v = |x: usize, y: usize, k: usize| ((x * 5 + y * 11 + k * 17) % 240) as f32 + 8.5;
        let img = RgbPlanes {
            r: Plane::from_fn(68, 47, |x, y| v(x, y, 0)),
            g: Plane::from_fn(68, 47, |x, y| v(x, y, 1)),
            b: Plane::from_fn(68, 47, |x, y| v(x, y, 2)),
            model: ColourModel::Rgb,
        };
        let got = block_means_reduced(&img, 3, (203, 141));
        assert_eq!((got.block, got.cols, got.rows), (8, 25, 17));
        let lut = LinearLut::default();
        for (r, c) in [(0, 0), (0, 1), (4, 7), (16, 24)] {
            let (mut s, mut n) = (0.0f64, 0usize);
            for y in (0..47).filter(|&y| (3 * y) / 8 == r) {
                for x in (0..68).filter(|&x| (3 * x) / 8 == c) {
                    let l = |p: &Plane| lut.get(p.at(x, y)) as f32;
                    s += luminance_f64(l(&img.r), l(&img.g), l(&img.b));
                    n += 1;
                }
            }
            let m = got.means[r * 25 + c];
            assert!(
                n >= 4 && (m - s / n as f64).abs() < 1e-12 * m,
                "({r}, {c}): {m} vs {}",
                s / n as f64
            );
        }
    }

    #[test]
    fn a_reduced_overview_keeps_the_verdict_and_nearly_the_shading_field() {
        use crate::align::Registration;
        use crate::align::warp::{Grid, warp_rgb_grid};
        use crate::geometry::Homography;
        use crate::quality::tests::{exposed, skin};
        use crate::quality::{Aligned, assess, assess_parts, reference, reference_of};
        let (base, regions) = skin();
        let (w, h) = (base.width(), base.height());
        // darker, with a fall-off towards the right and bottom
        let mut capture = exposed(&base, [0.8; 3]);
        for p in [&mut capture.r, &mut capture.g, &mut capture.b] {
            *p = Plane::from_fn(w, h, |x, y| {
                let f = 1.0 - 0.15 * (x + y) as f64 / (w + h) as f64;
                let l = crate::raster::srgb_to_linear(f64::from(p.at(x, y))) * f;
                crate::raster::linear_to_srgb(l) as f32
            });
        }
        let whole_ref = reference(&base, regions);
        let whole = assess(&capture, regions, &whole_ref, &Registration::identity());
        let reduce =
            |img: &RgbPlanes| warp_rgb_grid(img, &Homography::IDENTITY, Grid::reduced(w, h, 2));
        let (base_small, capture_small) = (reduce(&base), reduce(&capture));
        let (base_roi, base_control) = (
            base.crop(regions.roi),
            regions.control.map(|c| base.crop(c)),
        );
        let base_parts = Aligned {
            roi: &base_roi,
            control: base_control.as_ref(),
            overview: &base_small,
            factor: 2,
            frame: (w, h),
            dc_steps: None,
        };
        let reference_small = reference_of(&base_parts, None);
        // the baseline against itself: no field either way
        let itself = assess_parts(
            &base_parts,
            regions,
            &reference_small,
            &Registration::identity(),
        );
        assert!(itself.shading.is_none());
        let (roi, control) = (
            capture.crop(regions.roi),
            regions.control.map(|c| capture.crop(c)),
        );
        let capture_parts = Aligned {
            roi: &roi,
            control: control.as_ref(),
            overview: &capture_small,
            factor: 2,
            frame: (w, h),
            dc_steps: None,
        };
        let reduced = assess_parts(
            &capture_parts,
            regions,
            &reference_small,
            &Registration::identity(),
        );
        assert_eq!((reduced.status, reduced.scope), (whole.status, whole.scope));
        assert_eq!(reduced.gains, whole.gains);
        for (k, v) in &whole.measures {
            let r = reduced.measures[k];
            if k == "shading_vs_baseline" {
                // blocks of 4 × 4 samples instead of 8 × 8 pixels: the
                // fitted fall-off (≈ 10 % here) moves by a small fraction
                assert!((r - v).abs() < 0.05 * v, "{k}: {r} vs {v}");
            } else {
                assert_eq!(r, *v, "{k}");
            }
        }
        assert!(whole.measures["shading_vs_baseline"] > 3.0, "{whole:?}");
    }

    /// The block means (48 × 36 blocks of 20 px) of a scene whose log light
    /// at a block's centre (x, y) is `scene(column, row, x)`, and of it
    /// photographed again through a tone curve (`L^(1 + tone)`) and `field`.
    fn photographed(
        scene: impl Fn(usize, usize, f64) -> f64,
        tone: f64,
        field: &Shading,
    ) -> (BlockMeans, BlockMeans) {
        let (cols, rows, block) = (48usize, 36usize, 20usize);
        let (mut base, mut now) = (Vec::new(), Vec::new());
        for r in 0..rows {
            for c in 0..cols {
                let (x, y) = ((c as f64 + 0.5) * 20.0, (r as f64 + 0.5) * 20.0);
                let lb = scene(c, r, x);
                base.push(lb.exp());
                now.push(((1.0 + tone) * lb + field.log_ratio(x, y)).exp());
            }
        }
        // grey surfaces: each channel's light is the luminance
        let make = |means: Vec<f64>| BlockMeans {
            block,
            cols,
            rows,
            channels: means.iter().map(|&m| [m; 3]).collect(),
            means,
        };
        (make(base), make(now))
    }

    /// A radial fall-off of light with a tilt, over the 960 × 720 frame.
    fn fall_off(coef: [f64; TERMS]) -> Shading {
        Shading {
            coef,
            centre: (480.0, 360.0),
            half: 480.0,
            tone: 0.0,
        }
    }

    /// The log light of block (`c`, `r`) of a deterministic jumble of
    /// surfaces around −1.8, spread by about `spread`.
    fn jumble(c: usize, r: usize, spread: f64) -> f64 {
        let k = (c * 7 + r * 13 + (c * r) % 11) % 17;
        -1.8 + spread * (k as f64 / 16.0 - 0.5) * 3.4
    }

    /// A scene of light and dark surfaces (log luminance spread about
    /// `scene_spread`) photographed again through a tone curve and a radial
    /// fall-off of light.
    fn toned(tone: f64, scene_spread: f64) -> (BlockMeans, BlockMeans, Rect, Shading) {
        let field = fall_off([0.0, 0.02, -0.01, -0.12, 0.0, -0.12]);
        // a deterministic jumble of surfaces between ~0.04 and ~0.5
        let scene = |c: usize, r: usize, _| jumble(c, r, scene_spread);
        let (base, now) = photographed(scene, tone, &field);
        (base, now, Rect::new(320, 240, 320, 240), field)
    }

    #[test]
    fn a_tone_curve_over_light_and_dark_surfaces_is_told_from_a_change_of_light() {
        for tone in [-0.09, 0.0, 0.05, 0.11] {
            let (base, now, roi, truth) = toned(tone, 0.6);
            let control = Rect::new(20, 20, 120, 100);
            let s = fit(&base, &now, roi, control).expect("a field");
            assert!(
                (s.contrast() - (1.0 + tone)).abs() < 1e-6,
                "{tone}: {}",
                s.contrast()
            );
            // the field across the ROI relative to the control, as made
            let rel = |f: &Shading| mean_over(f, roi) - mean_over(f, control);
            assert!(
                (rel(&s) - rel(&truth)).abs() < 1e-6,
                "{tone}: {} vs {}",
                rel(&s),
                rel(&truth)
            );
        }
    }

    #[test]
    fn a_changed_white_balance_over_coloured_surfaces_is_not_read_as_a_tone_curve() {
        // surfaces of many hues and lightnesses (hair, lips, clothes) under a
        // tone curve, a white balance of ±10 % per channel and a fall-off
        let field = fall_off([0.0, 0.02, -0.01, -0.12, 0.0, -0.12]);
        let (cols, rows, block) = (48usize, 36usize, 20usize);
        for (tone, wb) in [
            (0.0, [1.1, 0.9, 0.93]),
            (-0.07, [0.92, 1.0, 1.1]),
            (0.08, [1.05, 0.97, 0.9]),
        ] {
            let (mut base, mut now) = (Vec::new(), Vec::new());
            for r in 0..rows {
                for c in 0..cols {
                    let (x, y) = ((c as f64 + 0.5) * 20.0, (r as f64 + 0.5) * 20.0);
                    let hue = ((c * 5 + r * 3) % 7) as f64 / 6.0 - 0.5;
                    let light = jumble(c, r, 0.6);
                    let lb = [light + 0.8 * hue, light, light - 0.8 * hue].map(f64::exp);
                    base.push(lb);
                    let f = field.log_ratio(x, y);
                    now.push([0, 1, 2].map(|i| wb[i] * (lb[i].ln() * (1.0 + tone) + f).exp()));
                }
            }
            let make = |channels: Vec<[f64; 3]>| BlockMeans {
                block,
                cols,
                rows,
                means: channels
                    .iter()
                    .map(|&[r, g, b]| 0.2126 * r + 0.7152 * g + 0.0722 * b)
                    .collect(),
                channels,
            };
            let (roi, control) = (Rect::new(320, 240, 320, 240), Rect::new(20, 20, 120, 100));
            let s = fit(&make(base), &make(now), roi, control).expect("a field");
            assert!(
                (s.contrast() - (1.0 + tone)).abs() < 1e-6,
                "{tone} {wb:?}: {}",
                s.contrast()
            );
            let rel = |f: &Shading| mean_over(f, roi) - mean_over(f, control);
            assert!((rel(&s) - rel(&field)).abs() < 1e-6, "{tone} {wb:?}");
        }
    }

    #[test]
    fn a_tone_term_the_scene_cannot_tell_from_the_field_falls_back_to_the_plain_field() {
        // the scene brightens left to right exactly as the field's linear
        // term: log light and u are one column, the tone is not fitted
        let field = fall_off([0.0, 0.0, 0.0, -0.12, 0.0, -0.12]);
        let (base, now) = photographed(|_, _, x| -1.8 + 1.2 * (x - 480.0) / 480.0, 0.0, &field);
        let (roi, control) = (Rect::new(320, 240, 320, 240), Rect::new(20, 20, 120, 100));
        let s = fit(&base, &now, roi, control).expect("a field");
        let rel = |f: &Shading| mean_over(f, roi) - mean_over(f, control);
        assert!(
            (rel(&s) - rel(&field)).abs() < 1e-6,
            "{} vs {}",
            rel(&s),
            rel(&field)
        );
        assert!(s.contrast().is_finite() && (s.contrast() - 1.0).abs() <= tone::MAX_TONE);
    }

    #[test]
    fn an_even_scene_gets_no_tone_term_and_the_plain_field() {
        // even skin: a spread of a few hundredths, below MIN_TONE_SPREAD
        let (base, now, roi, truth) = toned(0.0, 0.03);
        let control = Rect::new(20, 20, 120, 100);
        let s = fit(&base, &now, roi, control).expect("a field");
        assert_eq!(s.tone, 0.0);
        assert_eq!(s.contrast(), 1.0);
        let rel = |f: &Shading| mean_over(f, roi) - mean_over(f, control);
        assert!((rel(&s) - rel(&truth)).abs() < 1e-9);
    }
}
