//! Fine lines and wrinkles: multi-scale Frangi vesselness of *dark* ridges
//! on relative luminance, non-maximum suppression across the line and
//! hysteresis into one-pixel centre lines, then area, length and strength.
//!
//! Frangi, Niessen, Vincken & Viergever (1998), "Multiscale vessel
//! enhancement filtering", MICCAI, doi:10.1007/BFb0056195:
//! V = exp(−R_b²/2β²)·(1 − exp(−S²/2c²)), R_b = λ1/λ2, S = ‖λ‖, zero unless
//! λ2 > 0 (a valley: darker than both sides). The input is luminance in
//! percent of its ROI mean, so a global exposure change does not move V; c is
//! therefore a fixed contrast (2 % of mean luminance, scale-normalised), not
//! half the image's maximum as in scikit-image — the same line gives the same
//! response in every session.

mod digital;

use digital::{around, line_neighbours, near_lines};
pub use digital::{drop_short, link_length, thin_staircases};

use super::scale_space::{HessianLevel, eigen, eigenvalues};
use super::{TiledValue, Tiles};
use crate::catalog::id;
use crate::filters::keys_weights;
use crate::raster::Plane;
use crate::simd::wide_fn;
use crate::units::MmPerPx;
use rayon::prelude::*;

/// Frangi's plate/blob suppression β.
pub const BETA: f32 = 0.5;
/// Frangi's structure sensitivity c, in % of mean luminance.
pub const C: f32 = 2.0;
/// Vesselness above which a pixel belongs to a line (area, hysteresis low).
pub const LOW: f32 = 0.3;
/// Vesselness a line must reach somewhere (hysteresis high).
pub const HIGH: f32 = 0.5;
/// Length added at each end of a line, in units of its filter scale σ: the
/// centre line stops where the end's blur makes the structure blob-like,
/// about one σ before the end (measured on rendered lines of σ 1–3 px).
pub const END_EXTENSION: f64 = 1.0;
/// Coarse-octave responses below this are not interpolated to full
/// resolution (they cannot reach [`LOW`] between their samples).
const SKIP_BELOW: f32 = 0.1;
/// Largest |λ1/λ2| of a centre-line pixel.
pub const MAX_RATIO: f32 = 0.3;
/// Line σ range in mm (half-widths of fine lines ≈ 0.05–0.2 mm).
pub const SIGMA_MM: (f64, f64) = (0.05, 0.2);
/// Shortest connected centre line counted as a line, mm: the skin's own
/// micro-relief is a mesh of short furrows between pores; a fine line or
/// wrinkle runs for millimetres.
pub const MIN_LENGTH_MM: f64 = 1.0;

/// Frangi vesselness of one Hessian (dark ridges) and the unit normal
/// across the ridge.
#[must_use]
#[inline]
pub fn vesselness(xx: f32, xy: f32, yy: f32) -> (f32, f32, f32) {
    let (l1, l2, nx, ny) = eigen(xx, xy, yy);
    (vesselness_of(l1, l2), nx, ny)
}

/// Frangi's V from the eigenvalues (|λ1| ≤ |λ2|); 0 unless λ2 > 0.
#[must_use]
#[inline]
pub fn vesselness_of(l1: f32, l2: f32) -> f32 {
    // branch-free: the row loops vectorise
    let safe = if l2 > 0.0 { l2 } else { 1.0 };
    let rb = l1 / safe;
    let s2 = l1 * l1 + l2 * l2;
    let v = exp_neg(rb * rb / (2.0 * BETA * BETA)) * (1.0 - exp_neg(s2 / (2.0 * C * C)));
    if l2 > 0.0 { v } else { 0.0 }
}

/// e^(−t) for t ≥ 0, to (3 + t)·1e-7 relative (2^k by the exponent bits, the rest
/// by a degree-6 polynomial): the hot path of the filter evaluates two per
/// pixel and scale.
#[must_use]
#[inline]
pub fn exp_neg(t: f32) -> f32 {
    // branch-free (NaN and huge t clamp to e^(−87) ≈ 0), so rows vectorise
    let t = if t < 87.0 { t } else { 87.0 };
    let y = -t * std::f32::consts::LOG2_E;
    // round to nearest by the 1.5·2²³ trick (no libm call, vectorises)
    const MAGIC: f32 = 12_582_912.0;
    let shifted = y + MAGIC; // k = round(y) sits in the low mantissa bits
    let k = shifted - MAGIC;
    let f = y - k; // in [−0.5, 0.5]
    // 2^f by its Taylor series to degree 6 (truncation < 2e-8 on this range)
    let p = 1.0
        + f * (std::f32::consts::LN_2
            + f * (0.240_226_5
                + f * (0.055_504_11
                    + f * (0.009_618_13 + f * (0.001_333_36 + f * 0.000_154_035)))));
    // 2^k from the integer bits (k ≥ −126: a normal number), with no
    // float-to-int conversion in the vectorised loop
    let biased = shifted
        .to_bits()
        .wrapping_sub(MAGIC.to_bits())
        .wrapping_add(127);
    p * f32::from_bits(biased << 23)
}

/// Row buffers of one level pass: the Hessian row and the response.
pub struct RowScratch {
    /// σ²·Lxx of the row.
    pub xx: Vec<f32>,
    /// σ²·Lxy of the row.
    pub xy: Vec<f32>,
    /// σ²·Lyy of the row.
    pub yy: Vec<f32>,
    v: Vec<f32>,
    l2: Vec<f32>,
}

impl RowScratch {
    /// Vesselness and ridge λ2 of the first `w` Hessians of the row.
    #[inline]
    fn respond(&mut self, w: usize) {
        respond_row(
            &self.xx[..w],
            &self.xy[..w],
            &self.yy[..w],
            &mut self.v[..w],
            &mut self.l2[..w],
        );
    }

    /// Buffers for rows of `w` pixels.
    #[must_use]
    pub fn new(w: usize) -> RowScratch {
        let row = || vec![0.0f32; w];
        RowScratch {
            xx: row(),
            xy: row(),
            yy: row(),
            v: row(),
            l2: row(),
        }
    }
}

wide_fn! {
    /// Vesselness `v` and ridge λ2 `l2s` of a row of Hessians (equal lengths).
    fn respond_row(a: &[f32], b: &[f32], c: &[f32], v: &mut [f32], l2s: &mut [f32]) {
        // equal lengths up front: no bounds checks, the loop vectorises
        let w = v.len();
        let (a, b, c, l2s) = (&a[..w], &b[..w], &c[..w], &mut l2s[..w]);
        for x in 0..w {
            let (l1, l2) = eigenvalues(a[x], b[x], c[x]);
            v[x] = vesselness_of(l1, l2);
            l2s[x] = l2;
        }
    }
}

/// Running maximum of vesselness over scales, per octave: each pixel keeps
/// the scale-normalised Hessian of its best scale, so the full-resolution
/// map can be rebuilt from *interpolated Hessians* (direction included)
/// rather than from a blocky upsampled response.
pub struct FrangiMax {
    range: (f64, f64),
    /// Per octave: vesselness, ridge λ2, Hessian (xx, xy, yy) and σ of the
    /// best scale so far.
    octaves: Vec<Option<[Plane; 6]>>,
}

impl FrangiMax {
    /// Accumulates levels with σ inside `[lo, hi]` (full-resolution px).
    #[must_use]
    pub fn new(lo: f64, hi: f64) -> FrangiMax {
        FrangiMax {
            range: (lo * 0.999, hi * 1.001),
            octaves: Vec::new(),
        }
    }

    /// Folds one level in (standalone; `measure` feeds the detectors from
    /// one shared pass per level instead, see [`FrangiMax::begin`]).
    pub fn visit(&mut self, level: &HessianLevel<'_>) {
        let w = level.width();
        let (sigma, fine) = (level.sigma as f32, level.octave == 0);
        let Some(planes) = self.begin(level) else {
            return;
        };
        let [v, ridge, bxx, bxy, byy, bs] = planes;
        v.data_mut()
            .par_chunks_mut(w)
            .zip(ridge.data_mut().par_chunks_mut(w))
            .zip(bxx.data_mut().par_chunks_mut(w))
            .zip(bxy.data_mut().par_chunks_mut(w))
            .zip(byy.data_mut().par_chunks_mut(w))
            .zip(bs.data_mut().par_chunks_mut(w))
            .enumerate()
            .for_each_init(
                || RowScratch::new(w),
                |t, (y, (((((vr, rr), xr), yr), zr), sr))| {
                    level.hessian_row(y, &mut t.xx, &mut t.xy, &mut t.yy);
                    Self::fold_row(sigma, fine, t, [vr, rr, xr, yr, zr, sr]);
                },
            );
    }

    /// The maps of the level's octave (vesselness, ridge λ2, Hessian xx,
    /// xy, yy and σ of the best scale so far; made on first use), or `None`
    /// when the level is outside the range.
    pub fn begin(&mut self, level: &HessianLevel<'_>) -> Option<&mut [Plane; 6]> {
        if level.sigma < self.range.0 || level.sigma > self.range.1 {
            return None;
        }
        let o = level.octave as usize;
        if self.octaves.len() <= o {
            self.octaves.resize_with(o + 1, || None);
        }
        let (w, h) = (level.width(), level.height());
        Some(
            self.octaves[o]
                .get_or_insert_with(|| std::array::from_fn(|_| Plane::filled(w, h, 0.0))),
        )
    }

    /// Folds the Hessian row in `t` (level σ `sigma`) into one row of the
    /// maps of [`FrangiMax::begin`]. On the full-resolution octave (`fine`)
    /// the Hessian and σ are kept only where the response reaches [`LOW`]:
    /// [`RidgeMap::at`] is asked only there, and the writes are rare.
    #[inline]
    pub fn fold_row(sigma: f32, fine: bool, t: &mut RowScratch, rows: [&mut [f32]; 6]) {
        let w = rows[0].len();
        // equal lengths up front: the loops below run without bounds checks
        let [vr, rr, xr, yr, zr, sr] = rows.map(|r| &mut r[..w]);
        // a tight pass for the response, then the (rare) updates
        t.respond(w);
        let (a, b, c) = (&t.xx[..w], &t.xy[..w], &t.yy[..w]);
        let (v, l2s) = (&t.v[..w], &t.l2[..w]);
        for x in 0..w {
            let nv = v[x];
            if nv > vr[x] {
                vr[x] = nv;
                rr[x] = l2s[x];
                if !fine || nv >= LOW {
                    xr[x] = a[x];
                    yr[x] = b[x];
                    zr[x] = c[x];
                    sr[x] = sigma;
                }
            }
        }
    }

    /// The maximum over all scales at full resolution `w × h`.
    #[must_use]
    pub fn finish(mut self, w: usize, h: usize) -> RidgeMap {
        // octave 0 is already at full resolution: its maps become the result,
        // and its Hessian planes take the coarse octaves' winners in
        let fine = self.octaves.first_mut().and_then(Option::take);
        let [mut v, mut ridge, xx, xy, yy, s] =
            fine.unwrap_or_else(|| std::array::from_fn(|_| Plane::filled(w, h, 0.0)));
        let mut best = [xx, xy, yy, s];
        let coarse = &self.octaves;
        if coarse.iter().skip(1).any(Option::is_some) {
            let [bxx, bxy, byy, bs] = best.each_mut().map(|p| p.data_mut().par_chunks_mut(w));
            v.data_mut()
                .par_chunks_mut(w)
                .zip(ridge.data_mut().par_chunks_mut(w))
                .zip(bxx.zip(bxy).zip(byy).zip(bs))
                .enumerate()
                .for_each_init(
                    || (RowScratch::new(w), [Vec::new(), Vec::new(), Vec::new()]),
                    |(t, columns), (y, ((vr, rr), (((xr, yr), zr), sr)))| {
                        for (o, slot) in coarse.iter().enumerate().skip(1) {
                            if let Some(planes) = slot {
                                let best = [&mut *xr, &mut *yr, &mut *zr, &mut *sr];
                                upsample_row(planes, o, y, (t, columns), [vr, rr], best);
                            }
                        }
                    },
                );
        }
        RidgeMap { v, ridge, best }
    }
}

/// Folds coarse octave `o` into full-resolution row `y` of the maps
/// (vesselness, ridge λ2; Hessian and σ of the winning scale): where the
/// octave's own response is high enough to matter, its stored Hessian is
/// interpolated bicubically (columns first, once per row, then along the
/// row, a whole row at a time so the loops vectorise) and wins where its
/// vesselness is larger; σ is that of the nearest coarse sample.
fn upsample_row(
    planes: &[Plane; 6],
    o: usize,
    y: usize,
    (t, columns): (&mut RowScratch, &mut [Vec<f32>; 3]),
    [vr, rr]: [&mut [f32]; 2],
    [xr, yr, zr, sr]: [&mut [f32]; 4],
) {
    let [ov, _, oxx, oxy, oyy, os] = planes;
    let step = 1usize << o;
    let (cw, ch) = (ov.width(), ov.height());
    let yc = y / step;
    let (near0, near1) = (ov.row(yc), ov.row((yc + 1).min(ch - 1)));
    let near = |x: usize| {
        let x0 = x >> o; // x / step
        let x1 = (x0 + 1).min(cw - 1);
        near0[x0].max(near0[x1]).max(near1[x0]).max(near1[x1])
    };
    // interpolate only near a response that can matter
    let matters = |x: usize, v: f32| {
        let n = near(x);
        n >= SKIP_BELOW && n > v * 0.5
    };
    if !vr.iter().enumerate().any(|(x, &v)| matters(x, v)) {
        return;
    }
    let yo = y as f32 / step as f32;
    let wy = keys_weights(yo - yo.floor());
    let rows: [usize; 4] = std::array::from_fn(|j| (yc + j).saturating_sub(1).min(ch - 1));
    for (col, p) in columns.iter_mut().zip([oxx, oxy, oyy]) {
        col.clear();
        col.resize(cw, 0.0);
        for (&wj, &r) in wy.iter().zip(&rows) {
            for (c, &v) in col.iter_mut().zip(p.row(r)) {
                *c += wj * v;
            }
        }
    }
    // along the row, one phase (x mod step) at a time: fixed weights
    let w = vr.len();
    for phase in 0..step.min(w) {
        let wx = keys_weights(phase as f32 / step as f32);
        let taps = |c: [f32; 4]| wx[0] * c[0] + wx[1] * c[1] + wx[2] * c[2] + wx[3] * c[3];
        for (col, out) in columns.iter().zip([&mut t.xx, &mut t.xy, &mut t.yy]) {
            if phase == 0 {
                // on the coarse samples Keys' weights are (0, 1, 0, 0): a copy
                for (xc, &c) in col.iter().enumerate().take(w.div_ceil(step)) {
                    out[xc * step] = c;
                }
                continue;
            }
            let clamped = |xc: usize| {
                taps(std::array::from_fn(|i| {
                    col[(xc + i).saturating_sub(1).min(cw - 1)]
                }))
            };
            for xc in 0..(w - phase).div_ceil(step) {
                out[xc * step + phase] = clamped(xc);
            }
        }
    }
    t.respond(w);
    // σ of the nearest coarse sample (+ 0.5 and truncation round a position ≥ 0)
    let sigma_row = os.row(((yo + 0.5) as usize).min(ch - 1));
    for x in 0..w {
        if t.v[x] > vr[x] && matters(x, vr[x]) {
            vr[x] = t.v[x];
            rr[x] = t.l2[x];
            xr[x] = t.xx[x];
            yr[x] = t.xy[x];
            zr[x] = t.yy[x];
            let xo = x as f32 / step as f32;
            sr[x] = sigma_row[((xo + 0.5) as usize).min(cw - 1)];
        }
    }
}

/// Vesselness over all scales with what the centre lines are traced from.
pub struct RidgeMap {
    /// Frangi vesselness (0–1), thresholded for lines.
    pub v: Plane,
    /// Curvature across the line (scale-normalised λ2 of the winning
    /// scale): peaked at the line's centre where vesselness saturates, so
    /// non-maximum suppression runs on it.
    pub ridge: Plane,
    /// Scale-normalised Hessian (xx, xy, yy) and σ (full-resolution px) of
    /// the winning scale, kept where `v` ≥ [`LOW`] (interpolated from its
    /// octave when that is a coarse one).
    best: [Plane; 4],
}

/// What the winning scale says about one pixel.
#[derive(Clone, Copy, Debug)]
pub struct RidgeAt {
    /// Unit normal across the line.
    pub normal: (f32, f32),
    /// |λ1/λ2|: near 0 along a line, larger at its ends and on blobs.
    pub ratio: f32,
    /// σ of the winning scale, full-resolution px.
    pub scale: f32,
}

impl RidgeMap {
    /// Details of the winning scale at (x, y); `None` outside the map and
    /// where `v` < [`LOW`] (only line pixels ever ask).
    #[must_use]
    pub fn at(&self, x: usize, y: usize) -> Option<RidgeAt> {
        let (w, h) = (self.v.width(), self.v.height());
        if x >= w || y >= h || self.v.at(x, y) < LOW {
            return None;
        }
        let [xx, xy, yy, s] = &self.best;
        let (normal, ratio) = line_shape(xx.at(x, y), xy.at(x, y), yy.at(x, y));
        Some(RidgeAt {
            normal,
            ratio,
            scale: s.at(x, y),
        })
    }
}

/// Unit normal across a line and |λ1/λ2| of a Hessian.
#[inline(always)]
fn line_shape(a: f32, b: f32, c: f32) -> ((f32, f32), f32) {
    let (l1, l2, nx, ny) = eigen(a, b, c);
    ((nx, ny), if l2 != 0.0 { (l1 / l2).abs() } else { 1.0 })
}

wide_fn! {
    /// [`line_shape`] of a row of Hessians (xx, xy, yy) into (nx, ny, ratio).
    fn line_shape_row(hessian: [&[f32]; 3], out: [&mut [f32]; 3]) {
        let [a, b, c] = hessian;
        let [nx, ny, ratio] = out;
        let w = nx.len();
        let (a, b, c, ny, ratio) = (&a[..w], &b[..w], &c[..w], &mut ny[..w], &mut ratio[..w]);
        for x in 0..w {
            let ((ex, ey), r) = line_shape(a[x], b[x], c[x]);
            nx[x] = ex;
            ny[x] = ey;
            ratio[x] = r;
        }
    }
}

/// Per tile: pixels, pixels in the line area, length (px), strength sum,
/// centre-line pixels.
type LineSums = (u64, u64, f64, f64, u64);

/// Line metrics of one ROI.
pub struct Lines {
    /// Line area fraction, length per area and mean strength.
    pub values: Vec<TiledValue>,
    /// Centre-line pixels (row-major, ROI size).
    pub centre_lines: Vec<bool>,
}

/// One-pixel centre lines: local maxima of `v` across the line (along the
/// normal), kept when connected to a pixel above [`HIGH`].
#[must_use]
pub fn centre_lines(map: &RidgeMap) -> Vec<bool> {
    let (v, ridge) = (&map.v, &map.ridge);
    let (w, h) = (v.width(), v.height());
    let mut candidate = vec![false; w * h];
    let [bxx, bxy, byy, _] = &map.best;
    candidate.par_chunks_mut(w).enumerate().for_each_init(
        || [(); 3].map(|_| vec![0.0f32; w]),
        |[nx, ny, ratio], (y, row)| {
            // the winning scale's direction and |λ1/λ2| along the whole row
            // in one tight loop; then the (fewer) line pixels one by one
            line_shape_row([bxx.row(y), bxy.row(y), byy.row(y)], [nx, ny, ratio]);
            let vals = v.row(y);
            for (x, c) in row.iter_mut().enumerate() {
                // a centre line is line-like here: at a line's square end the
                // curvature along it grows and the end is not traced around
                if vals[x] < LOW || ratio[x] > MAX_RATIO {
                    continue;
                }
                let val = ridge.at(x, y);
                let (ex, ey) = (nx[x], ny[x]);
                let fwd = ridge.bilinear(x as f32 + ex, y as f32 + ey);
                let back = ridge.bilinear(x as f32 - ex, y as f32 - ey);
                // strict on one side so a two-pixel plateau yields one line;
                // outside the ROI (NaN) does not compete
                *c = (fwd.is_nan() || fwd <= val) && (back.is_nan() || back < val);
            }
        },
    );
    // hysteresis: flood from strong pixels through 8-connected candidates
    let mut keep = vec![false; w * h];
    let mut stack: Vec<usize> = candidate
        .par_chunks(w)
        .zip(v.data().par_chunks(w))
        .enumerate()
        .flat_map_iter(|(y, (c, vals))| {
            let strong = c.iter().zip(vals).map(|(&c, &val)| c && val >= HIGH);
            strong
                .enumerate()
                .filter(|&(_, s)| s)
                .map(move |(x, _)| y * w + x)
        })
        .collect();
    for &i in &stack {
        keep[i] = true;
    }
    while let Some(i) = stack.pop() {
        for j in around(i, w, h) {
            if candidate[j] && !keep[j] {
                keep[j] = true;
                stack.push(j);
            }
        }
    }
    keep
}

/// Area fraction, length per area and mean strength of the lines in `v`.
#[must_use]
pub fn line_metrics(
    map: &RidgeMap,
    tiles: &Tiles,
    mm_per_px: Option<MmPerPx>,
    min_len_px: f64,
) -> Lines {
    let v = &map.v;
    let (w, h) = (v.width(), v.height());
    let mut lines = centre_lines(map);
    thin_staircases(&mut lines, w, h);
    drop_short(&mut lines, w, h, min_len_px);
    let near = near_lines(&lines, w, h, 3);
    let n_tiles = tiles.count();
    // per tile: pixels, area pixels, length px, strength sum, centre pixels
    let mut acc = vec![(0u64, 0u64, 0.0f64, 0.0f64, 0u64); n_tiles];
    // rows in parallel, each row's per-tile sums collected in order and
    // added sequentially (same result on any number of threads)
    // runs of columns in one tile column: the tile changes only between runs
    let runs = tiles.column_runs();
    let rows: Vec<Vec<(usize, LineSums)>> = (0..h)
        .into_par_iter()
        .map(|y| {
            let ty = tiles.row_of(y);
            let row = y * w..(y + 1) * w;
            let (vals, near, on) = (v.row(y), &near[row.clone()], &lines[row]);
            runs.iter()
                .map(|&(x0, x1, tx)| {
                    let mut a: LineSums = ((x1 - x0) as u64, 0, 0.0, 0.0, 0);
                    // area: a tight count over the run
                    a.1 = vals[x0..x1]
                        .iter()
                        .zip(&near[x0..x1])
                        .map(|(&val, &n)| u64::from(val >= LOW && n))
                        .sum();
                    // the (sparse) centre-line pixels, in order
                    for x in (x0..x1).filter(|&x| on[x]) {
                        let Some(r) = map.at(x, y) else { continue };
                        // a minimal 8-connected digital line has one pixel per unit
                        // of its longer axis: each pixel stands for 1/max(|cos|, |sin|)
                        // of length along the line direction (⊥ to the normal)
                        a.2 += 1.0
                            / f64::from(
                                r.normal
                                    .0
                                    .abs()
                                    .max(r.normal.1.abs())
                                    .max(std::f32::consts::FRAC_1_SQRT_2),
                            );
                        // a line's end fades out over about the σ of the filter that
                        // found it, where its centre line stops (END_EXTENSION·σ)
                        if line_neighbours(&lines, w, h, x, y) == 1 {
                            a.2 += END_EXTENSION * f64::from(r.scale);
                        }
                        a.3 += f64::from(vals[x]);
                        a.4 += 1;
                    }
                    (tiles.index(tx, ty), a)
                })
                .collect()
        })
        .collect();
    for (t, p) in rows.into_iter().flatten() {
        let a = &mut acc[t];
        a.0 += p.0;
        a.1 += p.1;
        a.2 += p.2;
        a.3 += p.3;
        a.4 += p.4;
    }
    let per_mm = mm_per_px.map_or(1.0, |s| 1.0 / s.get());
    let area = |a: &(u64, u64, f64, f64, u64)| a.1 as f64 / a.0.max(1) as f64;
    let length = |a: &(u64, u64, f64, f64, u64)| a.2 / a.0.max(1) as f64 * per_mm;
    let strength = |a: &(u64, u64, f64, f64, u64)| if a.4 > 0 { a.3 / a.4 as f64 } else { 0.0 };
    let total = acc.iter().fold((0, 0, 0.0, 0.0, 0), |s, a| {
        (s.0 + a.0, s.1 + a.1, s.2 + a.2, s.3 + a.3, s.4 + a.4)
    });
    Lines {
        values: vec![
            TiledValue::new(
                id::WRINKLE_AREA,
                area(&total),
                acc.iter().map(area).collect(),
            ),
            TiledValue::new(
                id::WRINKLE_LENGTH,
                length(&total),
                acc.iter().map(length).collect(),
            ),
            TiledValue::new(
                id::WRINKLE_STRENGTH,
                strength(&total),
                acc.iter().map(strength).collect(),
            ),
        ],
        centre_lines: lines,
    }
}

/// Multi-scale Frangi vesselness of dark ridges of `luminance` over σ in
/// `[sigma_lo, sigma_hi]` px (three scales per octave), as one call.
#[must_use]
pub fn frangi(luminance: &Plane, sigma_lo: f64, sigma_hi: f64) -> RidgeMap {
    let rel = super::relative_luminance(luminance);
    let mut f = FrangiMax::new(sigma_lo, sigma_hi);
    super::scale_space::for_each_level(&rel, sigma_lo, sigma_hi, 3, |l| f.visit(l));
    f.finish(luminance.width(), luminance.height())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_neg_matches_exp() {
        for i in 0..2000 {
            let t = i as f32 * 0.01;
            let (a, b) = (exp_neg(t), (-t).exp());
            // f32 rounding of t·log2(e) dominates: ~6e-8·t relative
            assert!(
                (a - b).abs() <= (3e-7 + 1e-7 * t) * b + 1e-30,
                "{t}: {a} vs {b}"
            );
        }
        assert!(exp_neg(100.0) < 1e-37);
        assert!(exp_neg(f32::NAN) < 1e-37);
    }

    #[test]
    fn vesselness_prefers_dark_lines() {
        // valley across x: λ2 = xx > 0 large, λ1 = yy ≈ 0
        let (v, nx, _) = vesselness(8.0, 0.0, 0.0);
        assert!(v > 0.9 && (nx.abs() - 1.0).abs() < 1e-6);
        // bright ridge: λ2 < 0 -> 0
        assert_eq!(vesselness(-8.0, 0.0, 0.0).0, 0.0);
        // blob: λ1 = λ2 -> exp(-2) at most
        assert!(vesselness(8.0, 0.0, 8.0).0 < 0.14);
    }

    #[test]
    fn staircase_corners_are_thinned() {
        // a 4-connected staircase from (0,0) to (4,4): 9 pixels
        let (w, h) = (6, 6);
        let mut l = vec![false; w * h];
        for (x, y) in [
            (0, 0),
            (1, 0),
            (1, 1),
            (2, 1),
            (2, 2),
            (3, 2),
            (3, 3),
            (4, 3),
            (4, 4),
        ] {
            l[y * w + x] = true;
        }
        thin_staircases(&mut l, w, h);
        let total: f64 = (0..w * h)
            .filter(|&i| l[i])
            .map(|i| link_length(&l, w, h, i % w, i / w))
            .sum();
        // the diagonal is 4√2 ≈ 5.66 long; the staircase path was 8
        assert!(
            (total - 4.0 * std::f64::consts::SQRT_2).abs() < 0.9,
            "{total}"
        );
        // a straight line keeps every pixel
        let mut s = vec![false; w * h];
        for x in 0..5 {
            s[2 * w + x] = true;
        }
        thin_staircases(&mut s, w, h);
        assert_eq!(s.iter().filter(|&&b| b).count(), 5);
    }

    #[test]
    fn straight_line_length_counts_links() {
        let (w, h) = (10, 3);
        let mut l = vec![false; w * h];
        for x in 1..9 {
            l[w + x] = true;
        }
        let total: f64 = (0..w)
            .map(|x| {
                if l[w + x] {
                    link_length(&l, w, h, x, 1)
                } else {
                    0.0
                }
            })
            .sum();
        assert!((total - 7.0).abs() < 1e-12);
        // a diagonal of 5 pixels has 4 diagonal links
        let mut d = vec![false; 36];
        for i in 0..5 {
            d[i * 6 + i] = true;
        }
        let total: f64 = (0..5).map(|i| link_length(&d, 6, 6, i, i)).sum();
        assert!((total - 4.0 * std::f64::consts::SQRT_2).abs() < 1e-12);
    }
}
