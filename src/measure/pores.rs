//! Pores: dark blobs found as maxima of the scale-normalised Laplacian of
//! Gaussian over position *and* scale (Lindeberg 1998, "Feature detection
//! with automatic scale selection", IJCV 30(2), doi:10.1023/A:1008045108935).
//!
//! A dark disc of radius r gives its largest response σ²∇²L = 2/e·contrast
//! at σ = r/√2, so a detected pore's area is 2πσ². The scale of each pore is
//! refined by a parabola through the responses of the neighbouring levels
//! (in log σ), and blobs whose Hessian is too elongated (lines, not pores)
//! are rejected. Input is luminance in % of its ROI mean, as for wrinkles.

use super::scale_space::{HessianLevel, HessianRow, eigenvalues};
use super::{TiledValue, Tiles};
use crate::catalog::id;
use crate::raster::Plane;
use crate::simd::wide_fn;
use crate::units::MmPerPx;
use rayon::prelude::*;
use serde::Serialize;

/// Smallest blob response (σ²∇²L in % of mean luminance): a disc about 4 % darker.
pub const MIN_RESPONSE: f32 = 3.0;
/// Smallest ratio of the Hessian eigenvalues (1 for a round blob, 0 for a line).
pub const MIN_ROUNDNESS: f32 = 0.3;
/// Pore diameter window in mm.
pub const DIAMETER_MM: (f64, f64) = (0.05, 0.3);

/// One detected pore, in full-resolution ROI pixels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Blob {
    /// Centre x.
    pub x: f32,
    /// Centre y.
    pub y: f32,
    /// Scale; the pore's radius is √2·σ.
    pub sigma: f32,
    /// Normalised LoG response.
    pub response: f32,
}

impl Blob {
    /// Radius in px.
    #[must_use]
    pub fn radius(&self) -> f64 {
        std::f64::consts::SQRT_2 * f64::from(self.sigma)
    }
    /// Area in px².
    #[must_use]
    pub fn area(&self) -> f64 {
        2.0 * std::f64::consts::PI * f64::from(self.sigma).powi(2)
    }
}

/// A pore-size histogram: counts of pore diameters between edges.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Histogram {
    /// Unit of the edges ("px" or "mm").
    pub unit: String,
    /// Bin edges of pore diameter (one more than counts).
    pub diameter_edges: Vec<f64>,
    /// Pores per bin.
    pub counts: Vec<u64>,
}

struct LevelLog {
    sigma: f64,
    octave: u32,
    log: Plane,
    /// Per pixel: the Hessian is round enough for a blob.
    round: Vec<bool>,
}

impl LevelLog {
    fn is_round(&self, i: usize) -> bool {
        self.round[i]
    }
}

/// Finds blobs while the scale space is built, keeping only three levels'
/// Laplacians at a time (a level's maxima are decided once the next exists).
pub struct BlobCollector {
    range: (f64, f64),
    window: Vec<LevelLog>,
    /// The buffers of the level that left the window, for the next one.
    spare: Option<LevelLog>,
    found: Vec<Blob>,
}

impl BlobCollector {
    /// Keeps levels within `[lo, hi]` σ (full-resolution px); detection is
    /// possible from the second to the next-to-last.
    #[must_use]
    pub fn new(lo: f64, hi: f64) -> BlobCollector {
        BlobCollector {
            range: (lo * 0.999, hi * 1.001),
            window: Vec::new(),
            spare: None,
            found: Vec::new(),
        }
    }

    /// Folds one level in on its own (`measure` feeds this detector and the
    /// line filter from one shared pass per level instead, through
    /// [`BlobCollector::begin`]).
    pub fn visit(&mut self, level: &HessianLevel<'_>) {
        let w = level.width();
        let Some(rows) = self.begin(level, 1) else {
            return;
        };
        rows.into_par_iter().enumerate().for_each_init(
            || HessianRow::new(w),
            |hessian, (y, mut row)| {
                level.hessian_row_into(y, hessian);
                row.fill_row(0, hessian);
            },
        );
        self.end();
    }

    /// Starts a level: the buffers of its Laplacian σ²∇²L and roundness,
    /// cut into bands of `rows` rows top to bottom, each to be filled row by
    /// row with [`BlobBand::fill_row`] (every row is to be filled); `None`
    /// when the level is outside the range. Call [`BlobCollector::end`]
    /// once the bands are filled.
    pub fn begin(&mut self, level: &HessianLevel<'_>, rows: usize) -> Option<Vec<BlobBand<'_>>> {
        if level.sigma < self.range.0 || level.sigma > self.range.1 {
            return None;
        }
        let (w, h) = (level.width(), level.height());
        let mut next = match self.spare.take() {
            Some(l) if l.log.width() == w && l.log.height() == h => l,
            _ => LevelLog {
                sigma: 0.0,
                octave: 0,
                log: Plane::filled(w, h, 0.0),
                round: vec![false; w * h],
            },
        };
        next.sigma = level.sigma;
        next.octave = level.octave;
        self.window.push(next);
        let last = self.window.last_mut()?;
        let band = (rows * w).max(1);
        Some(
            last.log
                .data_mut()
                .chunks_mut(band)
                .zip(last.round.chunks_mut(band))
                .map(|(log, round)| BlobBand { log, round, w })
                .collect(),
        )
    }

    /// Finishes the level of the last [`BlobCollector::begin`].
    pub fn end(&mut self) {
        if self.window.len() == 3 {
            self.detect();
            self.spare = Some(self.window.remove(0));
        }
    }

    /// Maxima in space and scale at the middle level of the window.
    fn detect(&mut self) {
        let (prev, cur, next) = (&self.window[0], &self.window[1], &self.window[2]);
        let (w, h) = (cur.log.width(), cur.log.height());
        let step = (1u32 << cur.octave) as f32;
        let sample = |lvl: &LevelLog, xf: f32, yf: f32| {
            let s = (1u32 << lvl.octave) as f32;
            lvl.log.bilinear(xf / s, yf / s)
        };
        let rows: Vec<Vec<Blob>> = (1..h.saturating_sub(1))
            .into_par_iter()
            .map(|y| {
                let mut out = Vec::new();
                for x in 1..w.saturating_sub(1) {
                    let v = cur.log.at(x, y);
                    if v < MIN_RESPONSE || !cur.is_round(y * w + x) {
                        continue;
                    }
                    let mut is_max = true;
                    'nb: for dy in -1isize..=1 {
                        for dx in -1isize..=1 {
                            if (dx, dy) != (0, 0)
                                && cur
                                    .log
                                    .at((x as isize + dx) as usize, (y as isize + dy) as usize)
                                    >= v
                            {
                                is_max = false;
                                break 'nb;
                            }
                        }
                    }
                    if !is_max {
                        continue;
                    }
                    let (xf, yf) = (x as f32 * step, y as f32 * step);
                    let (vp, vn) = (sample(prev, xf, yf), sample(next, xf, yf));
                    if !(v > vp && v >= vn) {
                        continue;
                    }
                    // parabola through (log σ, response) for the scale; and in x, y
                    let (lp, lc, ln) = (prev.sigma.ln(), cur.sigma.ln(), next.sigma.ln());
                    let ds = parabola_peak(f64::from(vp), f64::from(v), f64::from(vn));
                    let log_sigma = if ds < 0.0 {
                        lc + ds * (lc - lp)
                    } else {
                        lc + ds * (ln - lc)
                    };
                    let ox = parabola_peak(
                        f64::from(cur.log.at(x - 1, y)),
                        f64::from(v),
                        f64::from(cur.log.at(x + 1, y)),
                    );
                    let oy = parabola_peak(
                        f64::from(cur.log.at(x, y - 1)),
                        f64::from(v),
                        f64::from(cur.log.at(x, y + 1)),
                    );
                    out.push(Blob {
                        x: (x as f64 + ox) as f32 * step,
                        y: (y as f64 + oy) as f32 * step,
                        sigma: log_sigma.exp() as f32,
                        response: v,
                    });
                }
                out
            })
            .collect();
        self.found.extend(rows.into_iter().flatten());
    }

    /// Blobs that are maxima in space and scale, strongest first, with
    /// overlapping weaker ones removed.
    #[must_use]
    pub fn finish(self) -> Vec<Blob> {
        suppress_overlaps(self.found)
    }
}

/// A band of rows of one level of a [`BlobCollector`]: its Laplacian and
/// roundness, filled row by row from the level's Hessian.
pub struct BlobBand<'a> {
    log: &'a mut [f32],
    round: &'a mut [bool],
    /// Width of the level.
    w: usize,
}

impl BlobBand<'_> {
    /// Row `r` of the band from its Hessian row: σ²∇²L, and whether a blob
    /// could be here (strong enough, both curvatures positive and similar).
    #[inline]
    pub fn fill_row(&mut self, r: usize, hessian: &HessianRow) {
        let span = r * self.w..(r + 1) * self.w;
        blob_row(
            &hessian.xx,
            &hessian.xy,
            &hessian.yy,
            &mut self.log[span.clone()],
            &mut self.round[span],
        );
    }
}

wide_fn! {
    /// [`BlobBand::fill_row`].
    fn blob_row(xx: &[f32], xy: &[f32], yy: &[f32], log: &mut [f32], round: &mut [bool]) {
        // equal lengths up front and no short-circuit: the loop vectorises
        let w = log.len();
        let (xx, xy, yy, round) = (&xx[..w], &xy[..w], &yy[..w], &mut round[..w]);
        for x in 0..w {
            let v = xx[x] + yy[x];
            log[x] = v;
            let (l1, l2) = eigenvalues(xx[x], xy[x], yy[x]);
            round[x] =
                (v >= MIN_RESPONSE) & (l1 > 0.0) & (l2 > 0.0) & (l1 >= MIN_ROUNDNESS * l2);
        }
    }
}

/// Offset in (−0.5, 0.5) of the peak of the parabola through (−1, a), (0, b), (1, c).
fn parabola_peak(a: f64, b: f64, c: f64) -> f64 {
    let den = a - 2.0 * b + c;
    if den >= 0.0 || !den.is_finite() {
        return 0.0;
    }
    (0.5 * (a - c) / den).clamp(-0.5, 0.5)
}

/// Keeps the strongest of blobs whose centres lie within the larger radius.
fn suppress_overlaps(mut blobs: Vec<Blob>) -> Vec<Blob> {
    blobs.sort_by(|a, b| {
        b.response
            .total_cmp(&a.response)
            .then(a.y.total_cmp(&b.y))
            .then(a.x.total_cmp(&b.x))
    });
    let mut kept: Vec<Blob> = Vec::new();
    // grid buckets keep this O(n) for thousands of pores
    let cell = 16.0f32;
    let mut grid: std::collections::HashMap<(i32, i32), Vec<usize>> =
        std::collections::HashMap::new();
    for b in blobs {
        let (cx, cy) = ((b.x / cell) as i32, (b.y / cell) as i32);
        let reach = ((b.radius() as f32 * 2.0) / cell).ceil() as i32 + 1;
        let mut clash = false;
        'search: for gy in cy - reach..=cy + reach {
            for gx in cx - reach..=cx + reach {
                for &k in grid.get(&(gx, gy)).map_or(&[][..], Vec::as_slice) {
                    let o = &kept[k];
                    let d = ((o.x - b.x).powi(2) + (o.y - b.y).powi(2)).sqrt();
                    if f64::from(d) < o.radius().max(b.radius()) {
                        clash = true;
                        break 'search;
                    }
                }
            }
        }
        if !clash {
            grid.entry((cx, cy)).or_default().push(kept.len());
            kept.push(b);
        }
    }
    kept.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    kept
}

/// Pore metrics of one ROI.
pub struct Pores {
    /// Pore count per area and (where there are pores) mean pore area.
    pub values: Vec<TiledValue>,
    /// The pores.
    pub blobs: Vec<Blob>,
    /// Diameter histogram.
    pub histogram: Histogram,
}

/// Count per area, mean area and histogram of `blobs` in a `w × h` ROI.
#[must_use]
pub fn pore_metrics(
    blobs: Vec<Blob>,
    w: usize,
    h: usize,
    tiles: &Tiles,
    mm_per_px: Option<MmPerPx>,
    diameter_range_px: (f64, f64),
) -> Pores {
    let n_tiles = tiles.count();
    let mut per_tile = vec![(0u64, 0.0f64); n_tiles];
    let pixels = tiles.pixels();
    for b in &blobs {
        let (x, y) = (
            (b.x.max(0.0) as usize).min(w - 1),
            (b.y.max(0.0) as usize).min(h - 1),
        );
        let t = &mut per_tile[tiles.of(x, y)];
        t.0 += 1;
        t.1 += b.area();
    }
    let (area_scale, count_scale, unit) = match mm_per_px {
        // per cm²: 100 mm² per cm²
        Some(s) => (s.mm2_per_px(), 100.0 / s.mm2_per_px(), "mm"),
        None => (1.0, 1e6, "px"),
    };
    let count = |n: u64, px: u64| n as f64 / px.max(1) as f64 * count_scale;
    let mean_area = |n: u64, a: f64| {
        if n > 0 {
            a / n as f64 * area_scale
        } else {
            f64::NAN
        }
    };
    let total_n = blobs.len() as u64;
    let total_a: f64 = blobs.iter().map(Blob::area).sum();
    let total_px = (w * h) as u64;
    let counts: Vec<f64> = per_tile
        .iter()
        .zip(&pixels)
        .map(|(t, &p)| count(t.0, p))
        .collect();
    let areas: Vec<f64> = per_tile.iter().map(|t| mean_area(t.0, t.1)).collect();
    let mut values = vec![TiledValue::new(
        id::PORE_COUNT,
        count(total_n, total_px),
        counts,
    )];
    if total_n > 0 {
        values.push(TiledValue::new(
            id::PORE_AREA,
            mean_area(total_n, total_a),
            areas,
        ));
    }
    let to_unit = mm_per_px.map_or(1.0, MmPerPx::get);
    let bins = 8;
    let (d0, d1) = diameter_range_px;
    let edges: Vec<f64> = (0..=bins)
        .map(|i| (d0 * (d1 / d0).powf(f64::from(i) / f64::from(bins))) * to_unit)
        .collect();
    let mut hist = vec![0u64; bins as usize];
    for b in &blobs {
        let d = 2.0 * b.radius() * to_unit;
        let k = edges
            .windows(2)
            .position(|e| d >= e[0] && d < e[1])
            .unwrap_or(if d < edges[0] { 0 } else { bins as usize - 1 });
        hist[k] += 1;
    }
    Pores {
        values,
        blobs,
        histogram: Histogram {
            unit: unit.into(),
            diameter_edges: edges,
            counts: hist,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parabola_peak_finds_the_vertex() {
        // y = -(x - 0.25)^2 sampled at -1, 0, 1
        let f = |x: f64| -(x - 0.25f64).powi(2);
        assert!((parabola_peak(f(-1.0), f(0.0), f(1.0)) - 0.25).abs() < 1e-12);
        assert_eq!(parabola_peak(1.0, 1.0, 1.0), 0.0);
    }

    #[test]
    fn overlapping_blobs_keep_the_strongest() {
        let b = |x: f32, r: f32| Blob {
            x,
            y: 10.0,
            sigma: 2.0,
            response: r,
        };
        let kept = suppress_overlaps(vec![b(10.0, 5.0), b(11.0, 9.0), b(40.0, 4.0)]);
        assert_eq!(kept.len(), 2);
        assert!(kept.iter().any(|k| k.response == 9.0));
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // straight loops are the point here
mod naive_tests {
    use super::*;
    use crate::filters::reflect;
    use crate::measure::scale_space;

    /// Straight loops: normalised LoG by direct convolution with the
    /// analytic kernel at each σ, 3×3×3 maxima, the same thresholds.
    fn naive_blobs(img: &Plane, sigmas: &[f64]) -> Vec<(usize, usize, usize)> {
        let (w, h) = (img.width(), img.height());
        let logs: Vec<Plane> = sigmas
            .iter()
            .map(|&s| {
                let r = (4.0 * s).ceil() as isize;
                Plane::from_fn(w, h, |x, y| {
                    let mut acc = 0.0f64;
                    for dy in -r..=r {
                        for dx in -r..=r {
                            let (fx, fy) = (dx as f64, dy as f64);
                            let q = (fx * fx + fy * fy) / (2.0 * s * s);
                            // σ²∇²G
                            let k = (q - 1.0) / (std::f64::consts::PI * s * s) * (-q).exp();
                            acc += k * f64::from(
                                img.at(reflect(x as isize - dx, w), reflect(y as isize - dy, h)),
                            );
                        }
                    }
                    acc as f32
                })
            })
            .collect();
        let mut out = Vec::new();
        for k in 1..sigmas.len() - 1 {
            for y in 1..h - 1 {
                for x in 1..w - 1 {
                    let v = logs[k].at(x, y);
                    if v < MIN_RESPONSE {
                        continue;
                    }
                    let mut max = true;
                    for kk in k - 1..=k + 1 {
                        for yy in y - 1..=y + 1 {
                            for xx in x - 1..=x + 1 {
                                if (kk, xx, yy) != (k, x, y) && logs[kk].at(xx, yy) >= v {
                                    max = false;
                                }
                            }
                        }
                    }
                    if max {
                        out.push((x, y, k));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn scale_space_maxima_match_straight_loops() {
        // five dark discs of different radii on a flat background
        let discs = [
            (20.0f32, 20.0f32, 2.0f32),
            (60.0, 22.0, 3.0),
            (25.0, 62.0, 4.0),
            (65.0, 65.0, 2.5),
            (44.0, 44.0, 3.5),
        ];
        let img = Plane::from_fn(88, 88, |x, y| {
            let inside = discs
                .iter()
                .any(|&(cx, cy, r)| (x as f32 - cx).powi(2) + (y as f32 - cy).powi(2) <= r * r);
            if inside { 70.0 } else { 100.0 }
        });
        let sigmas = scale_space::sigmas(1.0, 4.0, 3);
        let naive = naive_blobs(&img, &sigmas);
        let mut c = BlobCollector::new(1.0, 4.0);
        scale_space::for_each_level(&img, 1.0, 4.0, 3, |l| c.visit(l));
        let fast = c.finish();
        // every disc found once by both, at nearly the same place and scale
        assert_eq!(fast.len(), discs.len(), "{fast:?}");
        for &(cx, cy, r) in &discs {
            let f = fast
                .iter()
                .find(|b| (b.x - cx).abs() < 1.5 && (b.y - cy).abs() < 1.5)
                .expect("fast finds every disc");
            let n = naive
                .iter()
                .find(|&&(x, y, _)| (x as f32 - cx).abs() < 1.5 && (y as f32 - cy).abs() < 1.5)
                .expect("naive finds every disc");
            // scales agree within one level (the fast one interpolates between levels)
            let naive_sigma = sigmas[n.2] as f32;
            assert!(
                (f.sigma / naive_sigma).ln().abs() < 0.25,
                "disc r {r}: σ {} vs {naive_sigma}",
                f.sigma
            );
            // and the radius √2σ is close to the disc's
            assert!(
                (f.radius() as f32 - r).abs() < 0.2 * r + 0.3,
                "disc r {r}: radius {}",
                f.radius()
            );
        }
    }
}
