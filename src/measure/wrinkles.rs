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
/// Length added at each end of a line, in units of its filter scale σ: the
/// centre line stops where the end's blur makes the structure blob-like,
/// about one σ before the end (measured on rendered lines of σ 1–3 px).
pub const END_EXTENSION: f64 = 1.0;
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
    if l2 <= 0.0 {
        return (0.0, nx, ny);
    }
    let rb = l1 / l2;
    let s2 = l1 * l1 + l2 * l2;
    let v = (-(rb * rb) / (2.0 * BETA * BETA)).exp() * (1.0 - (-s2 / (2.0 * C * C)).exp());
    (v, nx, ny)
}

/// Running maximum of vesselness over scales, per octave: each pixel keeps
/// the scale-normalised Hessian of its best scale, so the full-resolution
/// map can be rebuilt from *interpolated Hessians* (direction included)
/// rather than from a blocky upsampled response.
pub struct FrangiMax {
    range: (f64, f64),
    octaves: Vec<Option<[Plane; 5]>>,
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
        let slot = self.octaves[o]
            .get_or_insert_with(|| std::array::from_fn(|_| Plane::filled(w, h, 0.0)));
        let [v, bxx, bxy, byy, bs] = slot;
        let sigma = level.sigma as f32;
        v.data_mut()
            .par_chunks_mut(w)
            .zip(bxx.data_mut().par_chunks_mut(w))
            .zip(bxy.data_mut().par_chunks_mut(w))
            .zip(byy.data_mut().par_chunks_mut(w))
            .zip(bs.data_mut().par_chunks_mut(w))
            .enumerate()
            .for_each(|(y, ((((vr, xr), yr), zr), sr))| {
                let (a, b, c) = (level.xx.row(y), level.xy.row(y), level.yy.row(y));
                for x in 0..w {
                    let (val, _, _) = vesselness(a[x], b[x], c[x]);
                    if val > vr[x] {
                        vr[x] = val;
                        xr[x] = a[x];
                        yr[x] = b[x];
                        zr[x] = c[x];
                        sr[x] = sigma;
                    }
                }
            });
    }

    /// The maximum over all scales at full resolution `w × h`.
    #[must_use]
    pub fn finish(self, w: usize, h: usize) -> RidgeMap {
        let mut v = Plane::filled(w, h, 0.0);
        let mut ridge = Plane::filled(w, h, 0.0);
        let mut ratio = Plane::filled(w, h, 1.0);
        let mut scale = Plane::filled(w, h, 0.0);
        let mut nx = Plane::filled(w, h, 1.0);
        let mut ny = Plane::filled(w, h, 0.0);
        let octaves = &self.octaves;
        v.data_mut()
            .par_chunks_mut(w)
            .zip(ridge.data_mut().par_chunks_mut(w))
            .zip(ratio.data_mut().par_chunks_mut(w))
            .zip(scale.data_mut().par_chunks_mut(w))
            .zip(nx.data_mut().par_chunks_mut(w))
            .zip(ny.data_mut().par_chunks_mut(w))
            .enumerate()
            .for_each(|(y, (((((vr, rr), qr), sr), xr), yr))| {
                for x in 0..w {
                    for (o, slot) in octaves.iter().enumerate() {
                        let Some([ov, oxx, oxy, oyy, os]) = slot else {
                            continue;
                        };
                        let (a, b, c, sg) = if o == 0 {
                            if ov.at(x, y) <= vr[x] {
                                continue;
                            }
                            (oxx.at(x, y), oxy.at(x, y), oyy.at(x, y), os.at(x, y))
                        } else {
                            let step = (1usize << o) as f32;
                            let (xo, yo) = (x as f32 / step, y as f32 / step);
                            // bicubic: the Hessian field is smooth at its octave's
                            // resolution, and bilinear would flatten a narrow ridge
                            let at = |p: &Plane| crate::align::warp::bicubic(p, xo, yo);
                            let near = |p: &Plane| {
                                p.at(
                                    (xo.round() as usize).min(p.width() - 1),
                                    (yo.round() as usize).min(p.height() - 1),
                                )
                            };
                            (at(oxx), at(oxy), at(oyy), near(os))
                        };
                        let (val, ex, ey) = vesselness(a, b, c);
                        if val > vr[x] {
                            let (l1, l2, _, _) = eigen(a, b, c);
                            vr[x] = val;
                            rr[x] = l2;
                            qr[x] = if l2.abs() > 0.0 { (l1 / l2).abs() } else { 1.0 };
                            sr[x] = sg;
                            xr[x] = ex;
                            yr[x] = ey;
                        }
                    }
                }
            });
        RidgeMap {
            v,
            ridge,
            ratio,
            scale,
            nx,
            ny,
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
    /// |λ1/λ2| of the winning scale: near 0 along a line, larger at its
    /// ends and on blobs.
    pub ratio: Plane,
    /// σ (full-resolution px) of the winning scale.
    pub scale: Plane,
    /// Unit normal across the line, x.
    pub nx: Plane,
    /// Unit normal across the line, y.
    pub ny: Plane,
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
pub fn centre_lines(map: &RidgeMap) -> Vec<bool> {
    let (v, ridge, ratio, nx, ny) = (&map.v, &map.ridge, &map.ratio, &map.nx, &map.ny);
    let (w, h) = (v.width(), v.height());
    let mut candidate = vec![false; w * h];
    candidate
        .par_chunks_mut(w)
        .enumerate()
        .for_each(|(y, row)| {
            for (x, c) in row.iter_mut().enumerate() {
                // a centre line is line-like here: at a line's square end the
                // curvature along it grows and the end is not traced around
                if v.at(x, y) < LOW || ratio.at(x, y) > MAX_RATIO {
                    continue;
                }
                let val = ridge.at(x, y);
                let (ex, ey) = (nx.at(x, y), ny.at(x, y));
                let fwd = ridge.bilinear(x as f32 + ex, y as f32 + ey);
                let back = ridge.bilinear(x as f32 - ex, y as f32 - ey);
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

/// Thins one-pixel lines to minimal 8-connected ones: a pixel whose line
/// neighbours stay connected to one another without it (the inner corner of
/// a staircase) is removed, in raster order. Non-maximum suppression leaves
/// such corners on oblique lines, where they would add up to 41 % to the
/// length.
pub fn thin_staircases(lines: &mut [bool], w: usize, h: usize) {
    const RING: [(isize, isize); 8] = [
        (-1, -1),
        (0, -1),
        (1, -1),
        (1, 0),
        (1, 1),
        (0, 1),
        (-1, 1),
        (-1, 0),
    ];
    for y in 0..h {
        for x in 0..w {
            if !lines[y * w + x] {
                continue;
            }
            let on: Vec<(isize, isize)> = RING
                .iter()
                .copied()
                .filter(|&(dx, dy)| {
                    let (xx, yy) = (x as isize + dx, y as isize + dy);
                    xx >= 0
                        && yy >= 0
                        && xx < w as isize
                        && yy < h as isize
                        && lines[yy as usize * w + xx as usize]
                })
                .collect();
            // only a corner (one horizontal and one vertical neighbour on) can
            // be redundant; an end with a neighbour and a diagonal stays
            let horizontal = on.iter().any(|&(dx, dy)| dy == 0 && dx != 0);
            let vertical = on.iter().any(|&(dx, dy)| dx == 0 && dy != 0);
            if on.len() < 2 || !horizontal || !vertical {
                continue;
            }
            // are the neighbours one king-connected group without the centre?
            let mut seen = vec![false; on.len()];
            let mut stack = vec![0];
            seen[0] = true;
            while let Some(i) = stack.pop() {
                for j in 0..on.len() {
                    if !seen[j] && (on[i].0 - on[j].0).abs() <= 1 && (on[i].1 - on[j].1).abs() <= 1
                    {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
            if seen.iter().all(|&s| s) {
                lines[y * w + x] = false;
            }
        }
    }
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

/// Number of 8-neighbours of (x, y) on a line.
fn line_neighbours(lines: &[bool], w: usize, h: usize, x: usize, y: usize) -> usize {
    let mut n = 0;
    for yy in y.saturating_sub(1)..=(y + 1).min(h - 1) {
        for xx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
            if (xx, yy) != (x, y) && lines[yy * w + xx] {
                n += 1;
            }
        }
    }
    n
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
    map: &RidgeMap,
    tiles: &Tiles,
    mm_per_px: Option<MmPerPx>,
    min_len_px: f64,
) -> Lines {
    let (v, nx, ny) = (&map.v, &map.nx, &map.ny);
    let (w, h) = (v.width(), v.height());
    let mut lines = centre_lines(map);
    thin_staircases(&mut lines, w, h);
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
                // a minimal 8-connected digital line has one pixel per unit
                // of its longer axis: each pixel stands for 1/max(|cos|, |sin|)
                // of length along the line direction (⊥ to the normal)
                t.2 += 1.0
                    / f64::from(
                        nx.at(x, y)
                            .abs()
                            .max(ny.at(x, y).abs())
                            .max(std::f32::consts::FRAC_1_SQRT_2),
                    );
                // a line's end fades out over about the σ of the filter that
                // found it, where its centre line stops (END_EXTENSION·σ)
                if line_neighbours(&lines, w, h, x, y) == 1 {
                    t.2 += END_EXTENSION * f64::from(map.scale.at(x, y));
                }
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
