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

use super::Tiles;
use super::scale_space::{HessianLevel, eigen};
use crate::catalog::id;
use crate::raster::Plane;
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
    if l2 <= 0.0 {
        return (0.0, nx, ny);
    }
    let rb = l1 / l2;
    let s2 = l1 * l1 + l2 * l2;
    let v = (-(rb * rb) / (2.0 * BETA * BETA)).exp() * (1.0 - (-s2 / (2.0 * C * C)).exp());
    (v, nx, ny)
}

/// Running maximum of vesselness over scales, per octave.
pub struct FrangiMax {
    range: (f64, f64),
    octaves: Vec<Option<(Plane, Plane, Plane)>>,
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

    /// Folds one level in.
    pub fn visit(&mut self, level: &HessianLevel) {
        if level.sigma < self.range.0 || level.sigma > self.range.1 {
            return;
        }
        let o = level.octave as usize;
        if self.octaves.len() <= o {
            self.octaves.resize_with(o + 1, || None);
        }
        let (w, h) = (level.xx.width(), level.xx.height());
        let slot = self.octaves[o].get_or_insert_with(|| {
            (
                Plane::filled(w, h, 0.0),
                Plane::filled(w, h, 1.0),
                Plane::filled(w, h, 0.0),
            )
        });
        let (v, nx, ny) = (&mut slot.0, &mut slot.1, &mut slot.2);
        v.data_mut()
            .par_chunks_mut(w)
            .zip(nx.data_mut().par_chunks_mut(w))
            .zip(ny.data_mut().par_chunks_mut(w))
            .enumerate()
            .for_each(|(y, ((vr, nxr), nyr))| {
                let (a, b, c) = (level.xx.row(y), level.xy.row(y), level.yy.row(y));
                for x in 0..w {
                    let (val, ex, ey) = vesselness(a[x], b[x], c[x]);
                    if val > vr[x] {
                        vr[x] = val;
                        nxr[x] = ex;
                        nyr[x] = ey;
                    }
                }
            });
    }

    /// The maximum over all scales at full resolution `w × h`, with the
    /// normal of the winning scale.
    #[must_use]
    pub fn finish(self, w: usize, h: usize) -> (Plane, Plane, Plane) {
        let mut v = Plane::filled(w, h, 0.0);
        let mut nx = Plane::filled(w, h, 1.0);
        let mut ny = Plane::filled(w, h, 0.0);
        for (o, slot) in self.octaves.into_iter().enumerate() {
            let Some((ov, onx, ony)) = slot else { continue };
            let step = (1usize << o) as f32;
            for y in 0..h {
                for x in 0..w {
                    let (xo, yo) = (x as f32 / step, y as f32 / step);
                    let val = if o == 0 {
                        ov.at(x, y)
                    } else {
                        ov.bilinear(xo, yo)
                    };
                    if val > v.at(x, y) {
                        let (xi, yi) = (
                            (xo.round() as usize).min(ov.width() - 1),
                            (yo.round() as usize).min(ov.height() - 1),
                        );
                        v.set(x, y, val);
                        nx.set(x, y, onx.at(xi, yi));
                        ny.set(x, y, ony.at(xi, yi));
                    }
                }
            }
        }
        (v, nx, ny)
    }
}

/// Line metrics of one ROI.
pub struct Lines {
    /// (id, value, per-tile values).
    pub values: Vec<(&'static str, f64, Vec<f64>)>,
    /// Centre-line pixels (row-major, ROI size).
    pub centre_lines: Vec<bool>,
}

/// One-pixel centre lines: local maxima of `v` across the line (along the
/// normal), kept when connected to a pixel above [`HIGH`].
#[must_use]
pub fn centre_lines(v: &Plane, nx: &Plane, ny: &Plane) -> Vec<bool> {
    let (w, h) = (v.width(), v.height());
    let mut candidate = vec![false; w * h];
    candidate
        .par_chunks_mut(w)
        .enumerate()
        .for_each(|(y, row)| {
            for (x, c) in row.iter_mut().enumerate() {
                let val = v.at(x, y);
                if val < LOW {
                    continue;
                }
                let (ex, ey) = (nx.at(x, y), ny.at(x, y));
                let fwd = v.bilinear(x as f32 + ex, y as f32 + ey);
                let back = v.bilinear(x as f32 - ex, y as f32 - ey);
                // strict on one side so a two-pixel plateau yields one line;
                // outside the ROI (NaN) does not compete
                *c = (fwd.is_nan() || fwd <= val) && (back.is_nan() || back < val);
            }
        });
    // hysteresis: flood from strong pixels through 8-connected candidates
    let mut keep = vec![false; w * h];
    let mut stack: Vec<usize> = (0..w * h)
        .filter(|&i| candidate[i] && v.data()[i] >= HIGH)
        .collect();
    for &i in &stack {
        keep[i] = true;
    }
    while let Some(i) = stack.pop() {
        let (x, y) = ((i % w) as isize, (i / w) as isize);
        for dy in -1..=1 {
            for dx in -1..=1 {
                let (xx, yy) = (x + dx, y + dy);
                if xx < 0 || yy < 0 || xx >= w as isize || yy >= h as isize {
                    continue;
                }
                let j = yy as usize * w + xx as usize;
                if candidate[j] && !keep[j] {
                    keep[j] = true;
                    stack.push(j);
                }
            }
        }
    }
    keep
}

/// Removes 8-connected line pieces shorter than `min_len` px.
pub fn drop_short(lines: &mut [bool], w: usize, h: usize, min_len: f64) {
    let mut seen = vec![false; lines.len()];
    let mut component = Vec::new();
    for start in 0..lines.len() {
        if !lines[start] || seen[start] {
            continue;
        }
        component.clear();
        let mut stack = vec![start];
        seen[start] = true;
        while let Some(i) = stack.pop() {
            component.push(i);
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let (xx, yy) = (x + dx, y + dy);
                    if xx < 0 || yy < 0 || xx >= w as isize || yy >= h as isize {
                        continue;
                    }
                    let j = yy as usize * w + xx as usize;
                    if lines[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        let len: f64 = component
            .iter()
            .map(|&i| link_length(lines, w, h, i % w, i / w))
            .sum();
        if len < min_len {
            for &i in &component {
                lines[i] = false;
            }
        }
    }
}

/// Length of 8-connected centre lines in px, per pixel (half of each link,
/// orthogonal links 1, diagonal √2 unless the corner is already joined
/// through an orthogonal neighbour), so lengths can be summed per tile.
#[must_use]
pub fn link_length(lines: &[bool], w: usize, h: usize, x: usize, y: usize) -> f64 {
    let on = |x: isize, y: isize| {
        x >= 0 && y >= 0 && x < w as isize && y < h as isize && lines[y as usize * w + x as usize]
    };
    let (xi, yi) = (x as isize, y as isize);
    let mut len = 0.0;
    for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
        if on(xi + dx, yi + dy) {
            len += 0.5;
        }
    }
    for (dx, dy) in [(1, 1), (1, -1), (-1, 1), (-1, -1)] {
        if on(xi + dx, yi + dy) && !on(xi + dx, yi) && !on(xi, yi + dy) {
            len += 0.5 * std::f64::consts::SQRT_2;
        }
    }
    len
}

/// True when a centre-line pixel lies within `r` px (Chebyshev) of (x, y).
fn near_line(lines: &[bool], w: usize, h: usize, x: usize, y: usize, r: usize) -> bool {
    let (x0, y0) = (x.saturating_sub(r), y.saturating_sub(r));
    let (x1, y1) = ((x + r).min(w - 1), (y + r).min(h - 1));
    (y0..=y1).any(|yy| lines[yy * w + x0..=yy * w + x1].iter().any(|&b| b))
}

/// Area fraction, length per area and mean strength of the lines in `v`.
#[must_use]
pub fn line_metrics(
    v: &Plane,
    nx: &Plane,
    ny: &Plane,
    tiles: &Tiles,
    mm_per_px: Option<MmPerPx>,
    min_len_px: f64,
) -> Lines {
    let (w, h) = (v.width(), v.height());
    let mut lines = centre_lines(v, nx, ny);
    drop_short(&mut lines, w, h, min_len_px);
    let n_tiles = tiles.count();
    // per tile: pixels, area pixels, length px, strength sum, centre pixels
    let mut acc = vec![(0u64, 0u64, 0.0f64, 0.0f64, 0u64); n_tiles];
    for y in 0..h {
        for x in 0..w {
            let t = &mut acc[tiles.of(x, y)];
            let val = v.at(x, y);
            t.0 += 1;
            if val >= LOW && near_line(&lines, w, h, x, y, 3) {
                t.1 += 1;
            }
            if lines[y * w + x] {
                t.2 += link_length(&lines, w, h, x, y);
                t.3 += f64::from(val);
                t.4 += 1;
            }
        }
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
            (
                id::WRINKLE_AREA,
                area(&total),
                acc.iter().map(area).collect(),
            ),
            (
                id::WRINKLE_LENGTH,
                length(&total),
                acc.iter().map(length).collect(),
            ),
            (
                id::WRINKLE_STRENGTH,
                strength(&total),
                acc.iter().map(strength).collect(),
            ),
        ],
        centre_lines: lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
