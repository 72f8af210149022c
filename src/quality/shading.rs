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
//! outside the ROI do not bend it; skin around the ROI whose colour changed
//! (the treated area reaching past it) is left out first ([`recolour`]). The field's *level* is not used: it is
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
use recolour::BlockColour;
use tone::{Colour, fit_with_tone};

pub mod card;
mod recolour;
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
                if self.rect(col, row).overlaps(r) {
                    let k = row * self.cols + col;
                    self.means[k] = f64::NAN;
                    self.channels[k] = [f64::NAN; 3];
                }
            }
        }
        self
    }

    /// The pixels of block (`col`, `row`).
    fn rect(&self, col: usize, row: usize) -> Rect {
        Rect::new(col * self.block, row * self.block, self.block, self.block)
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
    /// Share of the blocks around the ROI left out because their colour
    /// changed ([`recolour`]).
    recoloured: f64,
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
            recoloured: 0.0,
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

    /// Share of the blocks around the ROI whose colour changed and that
    /// the field was therefore not fitted on (0–1).
    #[must_use]
    pub fn recoloured_share(&self) -> f64 {
        self.recoloured
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

/// What the skin around the ROI tells of a capture's light against the
/// baseline's: the shading field, and how far the light's colour differs
/// between the ROI and the reference region.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Surround {
    /// The shading field ([`fit`]).
    pub shading: Option<Shading>,
    /// How much the light's colour at the ROI's centre differs from that
    /// at the reference region's centre, against the baseline, in percent
    /// of log green/red or blue/red, whichever is more
    /// ([`recolour::across`]); `None` where it cannot be read.
    pub light_colour_pct: Option<f64>,
}

/// Fits the shading field of `now` against `base` (block means of the same
/// size) on the blocks outside `roi`, relative to its mean over `reference`
/// (the control region, else the ROI); `None` when too few blocks, not all
/// around the ROI, or a degenerate fit. Blocks whose colour changed
/// ([`recolour`]: skin, not light) are left out and the field fitted again
/// on the rest.
#[cfg(test)]
#[must_use]
pub fn fit(base: &BlockMeans, now: &BlockMeans, roi: Rect, reference: Rect) -> Option<Shading> {
    fit_surround(base, now, roi, reference).shading
}

/// [`fit`], and the light's colour across the frame read on the same
/// blocks.
#[must_use]
pub fn fit_surround(base: &BlockMeans, now: &BlockMeans, roi: Rect, reference: Rect) -> Surround {
    let none = Surround {
        shading: None,
        light_colour_pct: None,
    };
    if base.block != now.block || base.cols != now.cols || base.rows != now.rows {
        return none;
    }
    let b = base.block as f64;
    let (w, h) = (base.cols as f64 * b, base.rows as f64 * b);
    let shape = Shading {
        coef: [0.0; TERMS],
        centre: (w / 2.0, h / 2.0),
        half: w.max(h) / 2.0,
        tone: 0.0,
        recoloured: 0.0,
    };
    let mut blocks: Vec<Block> = Vec::new();
    for r in 0..base.rows {
        for c in 0..base.cols {
            let k = r * base.cols + c;
            let (mb, mn) = (base.means[k], now.means[k]);
            if !(mb.is_finite() && mn.is_finite()) || base.rect(c, r).overlaps(roi) {
                continue;
            }
            let (x, y) = ((c as f64 + 0.5) * b, (r as f64 + 0.5) * b);
            let (cb, cn) = (base.channels[k], now.channels[k]);
            // a block with a black channel has no colour (no log of it)
            let colour = cb.iter().chain(&cn).all(|&v| v > 0.0).then(|| BlockColour {
                centre: (x, y),
                log_base: cb.map(f64::ln),
                log_ratio: [0, 1, 2].map(|c| (cn[c] / cb[c]).ln()),
            });
            blocks.push(Block {
                centre: (x, y),
                basis: shape.basis(x, y),
                log_ratio: (mn / mb).ln(),
                log_base: mb.ln(),
                colour,
            });
        }
    }
    let first = fit_blocks(&blocks, roi);
    let tone = first.map_or(0.0, |(_, t)| t);
    let coloured: Vec<BlockColour> = blocks.iter().filter_map(|b| b.colour).collect();
    let changed = recolour::changed(&coloured, tone, reference);
    let centre = |r: Rect| (r.x as f64 + r.w as f64 / 2.0, r.y as f64 + r.h as f64 / 2.0);
    let light_colour_pct = (reference != roi)
        .then(|| {
            recolour::across(
                &coloured,
                &changed,
                tone,
                (centre(reference), centre(roi)),
                shape.half,
            )
        })
        .flatten();
    let left_out = changed.iter().filter(|&&c| c).count();
    let refit = if left_out > 0 {
        let mut flags = changed.into_iter();
        let kept: Vec<Block> = blocks
            .iter()
            .filter(|b| b.colour.is_none() || !flags.next().unwrap_or(false))
            .cloned()
            .collect();
        fit_blocks(&kept, roi)
    } else {
        first
    };
    let shading = refit.and_then(|(mut coef, tone)| {
        // relative to the reference region: its mean log ratio is the level
        // the per-channel gains already set
        let level = mean_over(&Shading { coef, ..shape }, reference);
        coef[0] -= level;
        // the baseline against itself: no field
        (coef.iter().any(|c| c.abs() > 1e-12) || tone.abs() > 1e-12).then_some(Shading {
            coef,
            tone,
            recoloured: left_out as f64 / coloured.len().max(1) as f64,
            ..shape
        })
    });
    Surround {
        shading,
        light_colour_pct,
    }
}

/// A usable block outside the ROI: where it is, its log luminance in the
/// baseline and the log ratio of the capture's to it, and its colour.
#[derive(Clone, Debug)]
struct Block {
    centre: (f64, f64),
    basis: [f64; TERMS],
    log_ratio: f64,
    log_base: f64,
    colour: Option<BlockColour>,
}

/// The field's terms and tone term fitted on `blocks`; `None` when fewer
/// than [`MIN_BLOCKS`], too few beyond a side of the ROI, or a failed fit.
fn fit_blocks(blocks: &[Block], roi: Rect) -> Option<([f64; TERMS], f64)> {
    let mut sides = [0usize; 4];
    for Block { centre: (x, y), .. } in blocks {
        sides[0] += usize::from(*x < roi.x as f64);
        sides[1] += usize::from(*x > (roi.x + roi.w) as f64);
        sides[2] += usize::from(*y < roi.y as f64);
        sides[3] += usize::from(*y > (roi.y + roi.h) as f64);
    }
    let n = blocks.len();
    if n < MIN_BLOCKS
        || sides
            .iter()
            .any(|&s| (s as f64) < MIN_SIDE_SHARE * n as f64)
    {
        return None;
    }
    let points: Vec<([f64; TERMS], f64)> = blocks.iter().map(|b| (b.basis, b.log_ratio)).collect();
    let log_base: Vec<f64> = blocks.iter().map(|b| b.log_base).collect();
    let colours: Vec<Colour> = blocks
        .iter()
        .filter_map(|b| {
            b.colour.map(|c| Colour {
                basis: b.basis,
                log_base: c.log_base,
                log_ratio: c.log_ratio,
            })
        })
        .collect();
    fit_with_tone(&points, &log_base, &colours)
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
mod tests;
