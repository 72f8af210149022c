//! The multi-scale ridge map of the line filter: per octave of the scale
//! space, the running maximum of Frangi vesselness over its levels with the
//! Hessian and σ of the best scale ([`FrangiMax`], fed a band of rows at a
//! time by the shared pass over each level), and at the end one
//! full-resolution map ([`RidgeMap`]) in which the coarse octaves' winners
//! are rebuilt from their interpolated Hessians.

use super::{LOW, vesselness_of};
use crate::filters::keys_weights;
use crate::measure::scale_space::{HessianLevel, HessianRow, eigen, eigenvalues};
use crate::raster::Plane;
use crate::simd::wide_fn;
use rayon::prelude::*;

/// Coarse-octave responses below this are not interpolated to full
/// resolution (they cannot reach [`LOW`] between their samples).
const SKIP_BELOW: f32 = 0.1;

/// Per-worker buffers of the line filter's response to a row of Hessians:
/// vesselness and ridge λ2.
pub struct LineScratch {
    v: Vec<f32>,
    l2: Vec<f32>,
}

impl LineScratch {
    /// Buffers for rows of `w` pixels.
    #[must_use]
    pub fn new(w: usize) -> LineScratch {
        LineScratch {
            v: vec![0.0f32; w],
            l2: vec![0.0f32; w],
        }
    }

    /// Vesselness and ridge λ2 of the first `w` Hessians of `hessian`.
    #[inline]
    fn respond(&mut self, hessian: &HessianRow, w: usize) {
        respond_row(
            &hessian.xx[..w],
            &hessian.xy[..w],
            &hessian.yy[..w],
            &mut self.v[..w],
            &mut self.l2[..w],
        );
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

/// The maps of one octave of [`FrangiMax`]: per pixel, the largest
/// vesselness over the scales seen so far and what its scale found.
struct OctaveMaps {
    /// Frangi vesselness of the best scale.
    v: Plane,
    /// Ridge λ2 (scale-normalised) of the best scale.
    ridge: Plane,
    /// σ²·Lxx of the best scale.
    xx: Plane,
    /// σ²·Lxy of the best scale.
    xy: Plane,
    /// σ²·Lyy of the best scale.
    yy: Plane,
    /// σ of the best scale, full-resolution px.
    sigma: Plane,
}

/// Some whole rows of each of the [`OctaveMaps`], to be written.
struct OctaveRows<'a> {
    v: &'a mut [f32],
    ridge: &'a mut [f32],
    xx: &'a mut [f32],
    xy: &'a mut [f32],
    yy: &'a mut [f32],
    sigma: &'a mut [f32],
}

impl OctaveMaps {
    /// Maps of `w × h` zeros.
    fn filled(w: usize, h: usize) -> OctaveMaps {
        let zeros = || Plane::filled(w, h, 0.0);
        OctaveMaps {
            v: zeros(),
            ridge: zeros(),
            xx: zeros(),
            xy: zeros(),
            yy: zeros(),
            sigma: zeros(),
        }
    }

    /// The maps cut into pieces of `n` pixels (whole rows), top to bottom.
    fn chunks_mut(&mut self, n: usize) -> Vec<OctaveRows<'_>> {
        let n = n.max(1);
        let OctaveMaps {
            v,
            ridge,
            xx,
            xy,
            yy,
            sigma,
        } = self;
        fn cut(p: &mut Plane, n: usize) -> std::slice::ChunksMut<'_, f32> {
            p.data_mut().chunks_mut(n)
        }
        cut(v, n)
            .zip(cut(ridge, n))
            .zip(cut(xx, n))
            .zip(cut(xy, n))
            .zip(cut(yy, n))
            .zip(cut(sigma, n))
            .map(|(((((v, ridge), xx), xy), yy), sigma)| OctaveRows {
                v,
                ridge,
                xx,
                xy,
                yy,
                sigma,
            })
            .collect()
    }
}

impl OctaveRows<'_> {
    /// Pixels `span` of each map.
    fn slice(&mut self, span: std::ops::Range<usize>) -> OctaveRows<'_> {
        OctaveRows {
            v: &mut self.v[span.clone()],
            ridge: &mut self.ridge[span.clone()],
            xx: &mut self.xx[span.clone()],
            xy: &mut self.xy[span.clone()],
            yy: &mut self.yy[span.clone()],
            sigma: &mut self.sigma[span],
        }
    }
}

/// Running maximum of vesselness over scales, per octave: each pixel keeps
/// the scale-normalised Hessian of its best scale, so the full-resolution
/// map can be rebuilt from *interpolated Hessians* (direction included)
/// rather than from a blocky upsampled response.
///
/// Fed one level at a time by a pass over its rows: [`FrangiMax::begin`]
/// gives the level's bands of rows, [`LineBand::fold_row`] folds each
/// Hessian row in, and [`FrangiMax::finish`] makes the full-resolution map
/// once every level is in.
pub struct FrangiMax {
    range: (f64, f64),
    /// Per octave, made on first use.
    octaves: Vec<Option<OctaveMaps>>,
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

    /// Starts a level: the maps of its octave cut into bands of `rows` rows,
    /// top to bottom, for [`LineBand::fold_row`]; `None` when the level is
    /// outside the range.
    pub fn begin(&mut self, level: &HessianLevel<'_>, rows: usize) -> Option<Vec<LineBand<'_>>> {
        if level.sigma < self.range.0 || level.sigma > self.range.1 {
            return None;
        }
        let o = level.octave as usize;
        if self.octaves.len() <= o {
            self.octaves.resize_with(o + 1, || None);
        }
        let (w, h) = (level.width(), level.height());
        let maps = self.octaves[o].get_or_insert_with(|| OctaveMaps::filled(w, h));
        let sigma = level.sigma as f32;
        let fine = level.octave == 0;
        Some(
            maps.chunks_mut(rows * w)
                .into_iter()
                .map(|rows| LineBand {
                    rows,
                    w,
                    sigma,
                    fine,
                })
                .collect(),
        )
    }

    /// The maximum over all scales at full resolution `w × h`.
    #[must_use]
    pub fn finish(mut self, w: usize, h: usize) -> RidgeMap {
        // octave 0 is already at full resolution: its maps become the result,
        // and its best-scale Hessian and σ take the coarse octaves' winners in
        let fine = self.octaves.first_mut().and_then(Option::take);
        let mut fine = fine.unwrap_or_else(|| OctaveMaps::filled(w, h));
        let coarse = &self.octaves;
        if coarse.iter().skip(1).any(Option::is_some) {
            fine.chunks_mut(w)
                .into_par_iter()
                .enumerate()
                .for_each_init(
                    || UpsampleScratch::new(w),
                    |scratch, (y, mut row)| {
                        for (o, slot) in coarse.iter().enumerate().skip(1) {
                            if let Some(octave) = slot {
                                upsample_row(octave, o, y, scratch, &mut row);
                            }
                        }
                    },
                );
        }
        let OctaveMaps {
            v,
            ridge,
            xx,
            xy,
            yy,
            sigma,
        } = fine;
        RidgeMap {
            v,
            ridge,
            xx,
            xy,
            yy,
            sigma,
        }
    }
}

/// A band of rows of the maps of one level's octave (see
/// [`FrangiMax::begin`]), folded into row by row.
pub struct LineBand<'a> {
    rows: OctaveRows<'a>,
    /// Width of the level.
    w: usize,
    /// σ of the level, full-resolution px.
    sigma: f32,
    /// The level is at full resolution (octave 0).
    fine: bool,
}

impl LineBand<'_> {
    /// Folds the level's Hessian row `hessian` into row `r` of the band:
    /// where its vesselness beats the best so far, it becomes the best, with
    /// its ridge λ2, Hessian and σ. On the full-resolution octave the
    /// Hessian and σ are kept only where the response reaches [`LOW`]:
    /// [`RidgeMap::at`] is asked only there, and the writes are rare.
    #[inline]
    pub fn fold_row(&mut self, r: usize, hessian: &HessianRow, scratch: &mut LineScratch) {
        let (sigma, fine) = (self.sigma, self.fine);
        let row = self.rows.slice(r * self.w..(r + 1) * self.w);
        let w = row.v.len();
        // equal lengths up front: the loops below run without bounds checks
        let (best_v, ridge) = (&mut row.v[..w], &mut row.ridge[..w]);
        let (best_xx, best_xy, best_yy) = (&mut row.xx[..w], &mut row.xy[..w], &mut row.yy[..w]);
        let best_sigma = &mut row.sigma[..w];
        // a tight pass for the response, then the (rare) updates
        scratch.respond(hessian, w);
        let (xx, xy, yy) = (&hessian.xx[..w], &hessian.xy[..w], &hessian.yy[..w]);
        let (v, l2s) = (&scratch.v[..w], &scratch.l2[..w]);
        for x in 0..w {
            let nv = v[x];
            if nv > best_v[x] {
                best_v[x] = nv;
                ridge[x] = l2s[x];
                if !fine || nv >= LOW {
                    best_xx[x] = xx[x];
                    best_xy[x] = xy[x];
                    best_yy[x] = yy[x];
                    best_sigma[x] = sigma;
                }
            }
        }
    }
}

/// Per-worker buffers of [`upsample_row`]: the interpolated Hessian row, its
/// response, and the coarse octave's xx, xy, yy interpolated between rows.
struct UpsampleScratch {
    hessian: HessianRow,
    line: LineScratch,
    columns: [Vec<f32>; 3],
}

impl UpsampleScratch {
    fn new(w: usize) -> UpsampleScratch {
        UpsampleScratch {
            hessian: HessianRow::new(w),
            line: LineScratch::new(w),
            columns: [Vec::new(), Vec::new(), Vec::new()],
        }
    }
}

/// Folds coarse octave `o` (its maps `octave`) into full-resolution row `y`
/// of the maps (`row`): where the octave's own response is high enough to
/// matter, its stored Hessian is interpolated bicubically (columns first,
/// once per row, then along the row, a whole row at a time so the loops
/// vectorise) and wins where its vesselness is larger; σ is that of the
/// nearest coarse sample.
fn upsample_row(
    octave: &OctaveMaps,
    o: usize,
    y: usize,
    scratch: &mut UpsampleScratch,
    row: &mut OctaveRows<'_>,
) {
    let step = 1usize << o;
    let (cw, ch) = (octave.v.width(), octave.v.height());
    let yc = y / step;
    let (near0, near1) = (octave.v.row(yc), octave.v.row((yc + 1).min(ch - 1)));
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
    if !row.v.iter().enumerate().any(|(x, &v)| matters(x, v)) {
        return;
    }
    let yo = y as f32 / step as f32;
    let wy = keys_weights(yo - yo.floor());
    let rows: [usize; 4] = std::array::from_fn(|j| (yc + j).saturating_sub(1).min(ch - 1));
    let UpsampleScratch {
        hessian,
        line,
        columns,
    } = scratch;
    for (col, p) in columns.iter_mut().zip([&octave.xx, &octave.xy, &octave.yy]) {
        col.clear();
        col.resize(cw, 0.0);
        for (&wj, &r) in wy.iter().zip(&rows) {
            for (c, &v) in col.iter_mut().zip(p.row(r)) {
                *c += wj * v;
            }
        }
    }
    // along the row, one phase (x mod step) at a time: fixed weights
    let w = row.v.len();
    for phase in 0..step.min(w) {
        let wx = keys_weights(phase as f32 / step as f32);
        let taps = |c: [f32; 4]| wx[0] * c[0] + wx[1] * c[1] + wx[2] * c[2] + wx[3] * c[3];
        for (col, out) in columns
            .iter()
            .zip([&mut hessian.xx, &mut hessian.xy, &mut hessian.yy])
        {
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
    line.respond(hessian, w);
    // σ of the nearest coarse sample (+ 0.5 and truncation round a position ≥ 0)
    let sigma_row = octave.sigma.row(((yo + 0.5) as usize).min(ch - 1));
    for x in 0..w {
        if line.v[x] > row.v[x] && matters(x, row.v[x]) {
            row.v[x] = line.v[x];
            row.ridge[x] = line.l2[x];
            row.xx[x] = hessian.xx[x];
            row.xy[x] = hessian.xy[x];
            row.yy[x] = hessian.yy[x];
            let xo = x as f32 / step as f32;
            row.sigma[x] = sigma_row[((xo + 0.5) as usize).min(cw - 1)];
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
    // The winning scale's σ²·Lxx, σ²·Lxy, σ²·Lyy and σ (full-resolution
    // px), kept where `v` ≥ LOW (interpolated from its octave when that is a
    // coarse one).
    xx: Plane,
    xy: Plane,
    yy: Plane,
    sigma: Plane,
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
        let (normal, ratio) = line_shape(self.xx.at(x, y), self.xy.at(x, y), self.yy.at(x, y));
        Some(RidgeAt {
            normal,
            ratio,
            scale: self.sigma.at(x, y),
        })
    }

    /// The winning scale's unit normal (nx, ny) and |λ1/λ2| along row `y`
    /// (meaningful where `v` ≥ [`LOW`]; buffers of the map's width).
    pub fn line_shape_row(&self, y: usize, out: [&mut [f32]; 3]) {
        line_shape_row([self.xx.row(y), self.xy.row(y), self.yy.row(y)], out);
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
