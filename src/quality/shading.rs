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

use crate::measure::colour::LinearLut;
use crate::raster::{Rect, RgbPlanes, luminance_f64};
use rayon::prelude::*;

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

/// Mean linear luminance of the blocks of an image (NaN where a block is
/// unusable).
#[derive(Clone, Debug, PartialEq)]
pub struct BlockMeans {
    block: usize,
    cols: usize,
    rows: usize,
    means: Vec<f64>,
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
    let (w, h) = (img.width(), img.height());
    let block = block_side(w, h);
    let (cols, rows) = (w / block, h / block);
    let lut = LinearLut::default();
    let mut sums = vec![(0.0f64, 0usize, false); cols * rows];
    // one row of blocks per task: each block's pixels are still summed row
    // by row, left to right, whatever the thread count
    sums.par_chunks_mut(cols.max(1))
        .enumerate()
        .for_each(|(by, cells)| {
            for y in by * block..(by + 1) * block {
                let (r, g, b) = (img.r.row(y), img.g.row(y), img.b.row(y));
                for (bx, cell) in cells.iter_mut().enumerate() {
                    for x in bx * block..(bx + 1) * block {
                        let (vr, vg, vb) = (r[x], g[x], b[x]);
                        if !(vr.is_finite() && vg.is_finite() && vb.is_finite()) {
                            cell.2 = true;
                            continue;
                        }
                        let (hi, lo) = (vr.max(vg).max(vb), vr.min(vg).min(vb));
                        cell.1 += usize::from(hi >= 254.0 || lo <= 1.0);
                        cell.0 += luminance_f64(
                            lut.get(vr) as f32,
                            lut.get(vg) as f32,
                            lut.get(vb) as f32,
                        );
                    }
                }
            }
        });
    BlockMeans::from_sums(block, (cols, rows), &sums)
}

impl BlockMeans {
    /// The block means from each block's (sum of linear luminance, count
    /// of saturated pixels, any no-data pixel).
    fn from_sums(block: usize, (cols, rows): (usize, usize), sums: &[(f64, usize, bool)]) -> Self {
        let n = (block * block) as f64;
        let means = sums
            .iter()
            .map(|&(s, saturated, nodata)| {
                if nodata || saturated as f64 > MAX_SATURATED * n || s <= 0.0 {
                    f64::NAN
                } else {
                    s / n
                }
            })
            .collect();
        BlockMeans {
            block,
            cols,
            rows,
            means,
        }
    }
}

/// A fitted shading field: `ln(capture / baseline)` of the linear
/// luminance at a pixel, less its mean over the reference region.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shading {
    coef: [f64; TERMS],
    centre: (f64, f64),
    half: f64,
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
    };
    let outside = |c: usize, r: usize| {
        let (x0, y0) = (c * base.block, r * base.block);
        x0 + base.block <= roi.x
            || y0 + base.block <= roi.y
            || x0 >= roi.x + roi.w
            || y0 >= roi.y + roi.h
    };
    let mut points: Vec<([f64; TERMS], f64)> = Vec::new();
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
            points.push((shape.basis(x, y), (mn / mb).ln()));
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
    let mut coef = robust_fit(&points)?;
    // relative to the reference region: its mean log ratio is the level the
    // per-channel gains already set
    let level = mean_over(&Shading { coef, ..shape }, reference);
    coef[0] -= level;
    // the baseline against itself: no field
    (coef.iter().any(|c| c.abs() > 1e-12)).then_some(Shading { coef, ..shape })
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
fn robust_fit(points: &[([f64; TERMS], f64)]) -> Option<[f64; TERMS]> {
    type Square = nalgebra::SMatrix<f64, TERMS, TERMS>;
    type Vector = nalgebra::SVector<f64, TERMS>;
    let mut weights = vec![1.0; points.len()];
    let mut coef = Vector::zeros();
    for _ in 0..10 {
        let (mut a, mut rhs) = (Square::zeros(), Vector::zeros());
        for ((basis, value), &wgt) in points.iter().zip(&weights) {
            let x = Vector::from_column_slice(basis);
            a += wgt * x * x.transpose();
            rhs += wgt * *value * x;
        }
        coef = a.cholesky()?.solve(&rhs);
        let residuals: Vec<f64> = points
            .iter()
            .map(|(basis, value)| value - Vector::from_column_slice(basis).dot(&coef))
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
    let c: [f64; TERMS] = coef.into();
    c.iter().all(|v| v.is_finite()).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::{ColourModel, Plane};

    /// The block sums one pixel at a time over the whole image, row by row.
    fn block_means_naive(img: &RgbPlanes) -> BlockMeans {
        let (w, h) = (img.width(), img.height());
        let block = block_side(w, h);
        let (cols, rows) = (w / block, h / block);
        let lut = LinearLut::default();
        let mut sums = vec![(0.0f64, 0usize, false); cols * rows];
        for y in 0..rows * block {
            for x in 0..cols * block {
                let cell = &mut sums[(y / block) * cols + x / block];
                let (vr, vg, vb) = (img.r.at(x, y), img.g.at(x, y), img.b.at(x, y));
                if vr.is_nan() || vg.is_nan() || vb.is_nan() {
                    cell.2 = true;
                    continue;
                }
                let (hi, lo) = (vr.max(vg).max(vb), vr.min(vg).min(vb));
                cell.1 += usize::from(hi >= 254.0 || lo <= 1.0);
                cell.0 += luminance_f64(lut.get(vr) as f32, lut.get(vg) as f32, lut.get(vb) as f32);
            }
        }
        BlockMeans::from_sums(block, (cols, rows), &sums)
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
        let bits = |b: &BlockMeans| b.means.iter().map(|m| m.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want));
        assert!(got.means[0].is_nan() && got.means[5 * 25 + 10].is_nan());
        assert!(got.means[1].is_finite());
    }
}
