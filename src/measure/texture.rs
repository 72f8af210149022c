//! Texture metrics with the definitions pinned in DESIGN.md: grey-level
//! co-occurrence (Haralick) features, uniform LBP entropy and high-pass
//! roughness of luminance.
//!
//! GLCM and LBP reproduce scikit-image 0.26 bit for bit where it matters
//! (quantisation, neighbour interpolation and the comparison order), so the
//! values equal `../shared/data/oracles` to ~1e-13. Counts are integers, so
//! the parallel split cannot change a result.

use super::Tiles;
use crate::filters::gaussian_blur;
use crate::raster::{ColourModel, Plane, RgbPlanes, luminance_f64};
use rayon::prelude::*;

/// Grey levels of the co-occurrence matrices.
pub const LEVELS: usize = 64;

/// The effective (row, column) offsets of distances 1, 2, 4 px at angles
/// 0°, 45°, 90°, 135°, as scikit-image rounds them (d = 2 diagonals fall on
/// (1, ±1)): 12 matrices, averaged.
pub const OFFSETS: [(isize, isize); 12] = [
    (0, 1),
    (1, 1),
    (1, 0),
    (1, -1),
    (0, 2),
    (1, 1),
    (2, 0),
    (1, -1),
    (0, 4),
    (3, 3),
    (4, 0),
    (3, -3),
];

/// The five Haralick features of one or several matrices.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Haralick {
    /// Σ p (i−j)².
    pub contrast: f64,
    /// Σ p / (1 + (i−j)²).
    pub homogeneity: f64,
    /// √Σ p².
    pub energy: f64,
    /// Σ p (i−μi)(j−μj) / (σi σj); 1 when a σ < 1e-15.
    pub correlation: f64,
    /// −Σ p ln p.
    pub entropy: f64,
}

/// Sentinel for a pixel with no data (NaN input).
const NO_DATA: u8 = u8::MAX;

/// Luminance levels `floor(Y·64/256)` clipped to 0..63, `NO_DATA` for NaN.
#[must_use]
pub fn quantised_levels(img: &RgbPlanes) -> Vec<u8> {
    let q = |y: f64| -> u8 {
        if y.is_nan() {
            NO_DATA
        } else {
            // truncation of the clamped, non-negative value is floor (no libm call)
            (y * 64.0 / 256.0).clamp(0.0, 63.0) as u8
        }
    };
    match img.model {
        ColourModel::Grey => img.r.data().iter().map(|&v| q(f64::from(v))).collect(),
        ColourModel::Rgb => img
            .r
            .data()
            .par_iter()
            .zip(img.g.data())
            .zip(img.b.data())
            .map(|((&r, &g), &b)| q(luminance_f64(r, g, b)))
            .collect(),
    }
}

/// Co-occurrence counts for the 12 offsets, for the whole image and per tile.
/// A pair is counted in the tile of its first pixel; pairs touching a
/// no-data pixel are skipped. Symmetry is applied when the features are read.
pub struct GlcmCounts {
    /// `[offset][i * LEVELS + j]` for the whole image.
    pub whole: Vec<Vec<u64>>,
    /// `[tile][offset][i * LEVELS + j]`.
    pub tiles: Vec<Vec<Vec<u64>>>,
}

/// The ten distinct offsets of [`OFFSETS`] (d = 2 diagonals repeat d = 1)
/// and where each of the twelve reads its counts.
const UNIQUE: [(isize, isize); 10] = [
    (0, 1),
    (1, 1),
    (1, 0),
    (1, -1),
    (0, 2),
    (2, 0),
    (0, 4),
    (3, 3),
    (4, 0),
    (3, -3),
];
const OFFSET_SOURCE: [usize; 12] = [0, 1, 2, 3, 4, 1, 5, 3, 6, 7, 8, 9];

/// Counts co-occurrences of `levels` (`w × h`) for every offset.
#[must_use]
pub fn glcm_counts(levels: &[u8], w: usize, h: usize, tiles: &Tiles) -> GlcmCounts {
    const BAND: usize = 32;
    const BINS: usize = LEVELS * LEVELS;
    let n_tiles = tiles.count();
    let slot = |t: usize, k: usize| (t * UNIQUE.len() + k) * BINS;
    // column runs with one tile column each: no per-pixel tile lookup
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    let mut start = 0;
    for c in 1..=w {
        if c == w || tiles.col_of(c) != tiles.col_of(start) {
            runs.push((start, c, tiles.col_of(start)));
            start = c;
        }
    }
    // integer counts: any split and any order of addition give the same sums
    let counts: Vec<u32> = (0..h.div_ceil(BAND))
        .into_par_iter()
        .fold(
            || vec![0u32; n_tiles * UNIQUE.len() * BINS],
            |mut acc, band| {
                for r in band * BAND..((band + 1) * BAND).min(h) {
                    let row = &levels[r * w..(r + 1) * w];
                    let ty = tiles.row_of(r);
                    for (k, &(dr, dc)) in UNIQUE.iter().enumerate() {
                        let r2 = r as isize + dr;
                        if r2 >= h as isize {
                            continue;
                        }
                        let row2 = &levels[r2 as usize * w..(r2 as usize + 1) * w];
                        for &(c0, c1, tx) in &runs {
                            let lo = c0.max((-dc).max(0) as usize);
                            let hi = c1.min((w as isize - dc.max(0)).max(0) as usize);
                            if lo >= hi {
                                continue;
                            }
                            let base = slot(tiles.index(tx, ty), k);
                            let hist = &mut acc[base..base + BINS];
                            let second =
                                &row2[(lo as isize + dc) as usize..(hi as isize + dc) as usize];
                            for (&a, &b) in row[lo..hi].iter().zip(second) {
                                // valid levels are < 64; the no-data sentinel sets high bits
                                if (a | b) & 0xC0 == 0 {
                                    hist[(usize::from(a) << 6) | usize::from(b)] += 1;
                                }
                            }
                        }
                    }
                }
                acc
            },
        )
        .reduce(
            || vec![0u32; n_tiles * UNIQUE.len() * BINS],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        );
    let per_tile: Vec<Vec<Vec<u64>>> = (0..n_tiles)
        .map(|t| {
            OFFSET_SOURCE
                .iter()
                .map(|&k| {
                    counts[slot(t, k)..slot(t, k) + BINS]
                        .iter()
                        .map(|&c| u64::from(c))
                        .collect()
                })
                .collect()
        })
        .collect();
    let mut whole = vec![vec![0u64; BINS]; OFFSETS.len()];
    for t in &per_tile {
        for (d, s) in whole.iter_mut().zip(t) {
            for (x, y) in d.iter_mut().zip(s) {
                *x += y;
            }
        }
    }
    GlcmCounts {
        whole,
        tiles: per_tile,
    }
}

/// Haralick features of one matrix of counts (made symmetric and normalised
/// here), or `None` when it holds no pair.
#[must_use]
pub fn haralick(counts: &[u64]) -> Option<Haralick> {
    let n = LEVELS;
    let total: u64 = counts.iter().sum::<u64>() * 2;
    if total == 0 {
        return None;
    }
    let total = total as f64;
    let p = |i: usize, j: usize| (counts[i * n + j] + counts[j * n + i]) as f64 / total;
    let mut h = Haralick::default();
    let (mut mu_i, mut mu_j) = (0.0, 0.0);
    let mut sum_sq = 0.0;
    for i in 0..n {
        for j in 0..n {
            let v = p(i, j);
            if v == 0.0 {
                continue;
            }
            let d = (i as f64 - j as f64).powi(2);
            h.contrast += v * d;
            h.homogeneity += v / (1.0 + d);
            sum_sq += v * v;
            h.entropy -= v * v.ln();
            mu_i += i as f64 * v;
            mu_j += j as f64 * v;
        }
    }
    h.energy = sum_sq.sqrt();
    let (mut var_i, mut var_j, mut cov) = (0.0, 0.0, 0.0);
    for i in 0..n {
        for j in 0..n {
            let v = p(i, j);
            if v == 0.0 {
                continue;
            }
            let (di, dj) = (i as f64 - mu_i, j as f64 - mu_j);
            var_i += v * di * di;
            var_j += v * dj * dj;
            cov += v * di * dj;
        }
    }
    let (si, sj) = (var_i.sqrt(), var_j.sqrt());
    h.correlation = if si < 1e-15 || sj < 1e-15 {
        1.0
    } else {
        cov / (si * sj)
    };
    Some(h)
}

/// Plain mean of the features over the 12 matrices (`None` when any is empty).
#[must_use]
pub fn haralick_mean(per_offset: &[Vec<u64>]) -> Option<Haralick> {
    let mut m = Haralick::default();
    for c in per_offset {
        let h = haralick(c)?;
        m.contrast += h.contrast;
        m.homogeneity += h.homogeneity;
        m.energy += h.energy;
        m.correlation += h.correlation;
        m.entropy += h.entropy;
    }
    let k = per_offset.len() as f64;
    Some(Haralick {
        contrast: m.contrast / k,
        homogeneity: m.homogeneity / k,
        energy: m.energy / k,
        correlation: m.correlation / k,
        entropy: m.entropy / k,
    })
}

/// The neighbour offsets of uniform LBP with P = 8, R = 1, as scikit-image
/// computes them: (row, col) = (round(−sin 2πp/8, 5), round(cos 2πp/8, 5)).
#[allow(clippy::approx_constant)] // 0.70711 is skimage's rounded value, not 1/√2
const LBP_OFFSETS: [(f64, f64); 8] = [
    (-0.0, 1.0),
    (-0.70711, 0.70711),
    (-1.0, 0.0),
    (-0.70711, -0.70711),
    (-0.0, -1.0),
    (0.70711, -0.70711),
    (1.0, 0.0),
    (0.70711, 0.70711),
];

/// Luminance rounded half-to-even to 0..255 as `u16`, [`NO_LEVEL`] for no
/// data (the LBP input: exact integers, a quarter of the memory of f64).
#[must_use]
pub fn rounded_levels(img: &RgbPlanes) -> Vec<u16> {
    let r = |y: f64| {
        if y.is_nan() {
            NO_LEVEL
        } else {
            // round half to even by adding and removing 2^52 (exact for
            // 0 ≤ y < 2^51 in the default rounding mode; no libm call)
            const SHIFT: f64 = 4_503_599_627_370_496.0;
            ((y.clamp(0.0, 255.0) + SHIFT) - SHIFT) as u16
        }
    };
    match img.model {
        ColourModel::Grey => img.r.data().par_iter().map(|&v| r(f64::from(v))).collect(),
        ColourModel::Rgb => img
            .r
            .data()
            .par_iter()
            .zip(img.g.data())
            .zip(img.b.data())
            .map(|((&rr, &g), &b)| r(luminance_f64(rr, g, b)))
            .collect(),
    }
}

/// No-data marker of [`rounded_levels`].
pub const NO_LEVEL: u16 = u16::MAX;

/// Where scikit-image's bilinear interpolation reads for one coordinate:
/// floor, ceil and the fraction, for position `i + offset`.
#[derive(Clone, Copy)]
struct Taps {
    lo: i64,
    hi: i64,
    frac: f64,
}

fn taps(i: usize, offset: f64) -> Taps {
    let v = i as f64 + offset;
    let (lo, hi) = (v.floor(), v.ceil());
    Taps {
        lo: lo as i64,
        hi: hi as i64,
        frac: v - lo,
    }
}

/// Uniform LBP code of pixel (r, c), or `None` when it or a neighbour it
/// needs is no data. `col_taps[c][p]` and `row_taps[p]` are precomputed.
#[inline]
fn lbp_at(
    y: &[u16],
    w: usize,
    h: usize,
    r: usize,
    c: usize,
    row_taps: &[Taps; 8],
    col_taps: &[Taps; 8],
) -> Option<u8> {
    let centre = y[r * w + c];
    if centre == NO_LEVEL {
        return None;
    }
    let centre = f64::from(centre);
    let get = |rr: i64, cc: i64| -> Option<f64> {
        if rr < 0 || cc < 0 || rr >= h as i64 || cc >= w as i64 {
            Some(0.0)
        } else {
            let v = y[rr as usize * w + cc as usize];
            (v != NO_LEVEL).then_some(f64::from(v))
        }
    };
    let mut bits = [0u8; 8];
    for p in 0..8 {
        let (rt, ct) = (row_taps[p], col_taps[p]);
        // scikit-image's bilinear_interpolation, same operation order
        let (dr, dc) = (rt.frac, ct.frac);
        let top = (1.0 - dc) * get(rt.lo, ct.lo)? + dc * get(rt.lo, ct.hi)?;
        let bottom = (1.0 - dc) * get(rt.hi, ct.lo)? + dc * get(rt.hi, ct.hi)?;
        let v = (1.0 - dr) * top + dr * bottom;
        bits[p] = u8::from(v - centre >= 0.0);
    }
    let changes: u8 = (0..7).map(|i| u8::from(bits[i] != bits[i + 1])).sum();
    Some(if changes <= 2 { bits.iter().sum() } else { 9 })
}

/// [`lbp_at`] for an interior pixel (all neighbours inside) of an image
/// without no-data: no bounds or sentinel checks, integer offsets read
/// directly ((1−0)·a + 0·b = a exactly, so the result is the same).
#[inline]
fn lbp_interior(
    y: &[u16],
    w: usize,
    r: usize,
    c: usize,
    row_taps: &[Taps; 8],
    col_taps: &[Taps; 8],
) -> u8 {
    let at = |rr: i64, cc: i64| f64::from(y[rr as usize * w + cc as usize]);
    let centre = f64::from(y[r * w + c]);
    let mut bits = [0u8; 8];
    for p in 0..8 {
        let (rt, ct) = (row_taps[p], col_taps[p]);
        let v = if p % 2 == 0 {
            at(rt.lo, ct.lo)
        } else {
            let (dr, dc) = (rt.frac, ct.frac);
            let top = (1.0 - dc) * at(rt.lo, ct.lo) + dc * at(rt.lo, ct.hi);
            let bottom = (1.0 - dc) * at(rt.hi, ct.lo) + dc * at(rt.hi, ct.hi);
            (1.0 - dr) * top + dr * bottom
        };
        bits[p] = u8::from(v - centre >= 0.0);
    }
    let changes: u8 = (0..7).map(|i| u8::from(bits[i] != bits[i + 1])).sum();
    if changes <= 2 { bits.iter().sum() } else { 9 }
}

/// Uniform LBP code of each 8-bit neighbour mask (bit p = neighbour p is
/// not darker than the centre): the number of set bits when the bits change
/// at most twice along p = 0..7, else 9 (as [`lbp_interior`] computes it).
const LBP_CODE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut m: usize = 0;
    while m < 256 {
        let changes = ((m ^ (m >> 1)) & 0x7F).count_ones();
        table[m] = if changes <= 2 {
            (m as u32).count_ones() as u8
        } else {
            9
        };
        m += 1;
    }
    table
};

/// [`lbp_interior`] for the interior columns 1..w−1 of interior row `r`,
/// a whole row at a time (every neighbour's value is a row slice, so the
/// loops vectorise); same operations in the same order, so the same codes.
/// `diagonal_fracs[q][c]` is the column fraction of odd neighbour 2q+1 at
/// column c. Writes the 8-bit masks into `mask[1..w−1]`.
fn lbp_row_interior(
    y: &[u16],
    w: usize,
    r: usize,
    row_taps: &[Taps; 8],
    diagonal_fracs: &[Vec<f64>; 4],
    mask: &mut [u8],
    vals: &mut [f64],
) {
    let n = w - 2;
    let row = |rr: i64| &y[rr as usize * w..(rr as usize + 1) * w];
    let centre = &row(r as i64)[1..w - 1];
    mask[1..w - 1].fill(0);
    for p in 0..8 {
        let (rt, off) = (row_taps[p], LBP_OFFSETS[p].1);
        // interior columns: floor(c + off) = c + floor(off)
        let lo = (1 + off.floor() as i64) as usize;
        let vals = &mut vals[..n];
        if p % 2 == 0 {
            for (v, &a) in vals.iter_mut().zip(&row(rt.lo)[lo..lo + n]) {
                *v = f64::from(a);
            }
        } else {
            let dr = rt.frac;
            let (top, bottom) = (row(rt.lo), row(rt.hi));
            let dcs = &diagonal_fracs[p / 2][1..w - 1];
            for (((((v, &dc), &a), &b), &c), &d) in vals
                .iter_mut()
                .zip(dcs)
                .zip(&top[lo..lo + n])
                .zip(&top[lo + 1..lo + 1 + n])
                .zip(&bottom[lo..lo + n])
                .zip(&bottom[lo + 1..lo + 1 + n])
            {
                let t = (1.0 - dc) * f64::from(a) + dc * f64::from(b);
                let u = (1.0 - dc) * f64::from(c) + dc * f64::from(d);
                *v = (1.0 - dr) * t + dr * u;
            }
        }
        for ((m, &v), &c) in mask[1..w - 1].iter_mut().zip(vals.iter()).zip(centre) {
            *m |= u8::from(v - f64::from(c) >= 0.0) << p;
        }
    }
}

fn column_taps(w: usize) -> Vec<[Taps; 8]> {
    (0..w)
        .map(|c| std::array::from_fn(|p| taps(c, LBP_OFFSETS[p].1)))
        .collect()
}

/// Uniform LBP code (0–9) of every pixel; `None` for pixels whose value or a
/// needed neighbour is no-data. Outside the image counts as 0 (scikit-image's
/// constant mode), so border codes match it exactly.
#[must_use]
pub fn lbp_codes(y: &[u16], w: usize, h: usize) -> Vec<Option<u8>> {
    let cols = column_taps(w);
    let complete = !y.contains(&NO_LEVEL);
    let mut out = vec![None; w * h];
    out.par_chunks_mut(w.max(1))
        .enumerate()
        .for_each(|(r, dst)| {
            let row_taps: [Taps; 8] = std::array::from_fn(|p| taps(r, LBP_OFFSETS[p].0));
            let interior_row = complete && r >= 1 && r + 1 < h;
            for (c, code) in dst.iter_mut().enumerate() {
                *code = if interior_row && c >= 1 && c + 1 < w {
                    Some(lbp_interior(y, w, r, c, &row_taps, &cols[c]))
                } else {
                    lbp_at(y, w, h, r, c, &row_taps, &cols[c])
                };
            }
        });
    out
}

/// Counts of LBP codes 0–9 per tile, without storing the codes.
#[must_use]
pub fn lbp_tile_counts(y: &[u16], w: usize, h: usize, tiles: &Tiles) -> Vec<[u64; 10]> {
    let cols = column_taps(w);
    let diagonal_fracs: [Vec<f64>; 4] =
        std::array::from_fn(|q| cols.iter().map(|t| t[2 * q + 1].frac).collect());
    let tile_col: Vec<usize> = (0..w).map(|c| tiles.col_of(c)).collect();
    let complete = !y.contains(&NO_LEVEL);
    (0..h)
        .into_par_iter()
        .fold(
            || {
                let acc = vec![[0u64; 10]; tiles.count()];
                (acc, vec![0u8; w], vec![0.0f64; w])
            },
            |(mut acc, mut mask, mut vals), r| {
                let row_taps: [Taps; 8] = std::array::from_fn(|p| taps(r, LBP_OFFSETS[p].0));
                let ty = tiles.row_of(r);
                let interior_row = complete && r >= 1 && r + 1 < h && w >= 3;
                if interior_row {
                    lbp_row_interior(y, w, r, &row_taps, &diagonal_fracs, &mut mask, &mut vals);
                }
                for c in 0..w {
                    let code = if interior_row && c >= 1 && c + 1 < w {
                        Some(LBP_CODE[usize::from(mask[c])])
                    } else {
                        lbp_at(y, w, h, r, c, &row_taps, &cols[c])
                    };
                    if let Some(code) = code {
                        acc[tiles.index(tile_col[c], ty)][usize::from(code)] += 1;
                    }
                }
                (acc, mask, vals)
            },
        )
        .map(|(acc, _, _)| acc)
        .reduce(
            || vec![[0u64; 10]; tiles.count()],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    for (p, q) in x.iter_mut().zip(y) {
                        *p += q;
                    }
                }
                a
            },
        )
}

/// Histogram (fractions) and entropy of LBP code counts.
#[must_use]
pub fn lbp_entropy(counts: &[u64; 10]) -> Option<([f64; 10], f64)> {
    let n: u64 = counts.iter().sum();
    if n == 0 {
        return None;
    }
    let hist = counts.map(|c| c as f64 / n as f64);
    let entropy = -hist
        .iter()
        .filter(|&&h| h > 0.0)
        .map(|&h| h * h.ln())
        .sum::<f64>();
    Some((hist, entropy))
}

/// Histogram of LBP codes (fractions of counted pixels) and its entropy.
#[must_use]
pub fn lbp_histogram(codes: &[Option<u8>]) -> Option<([f64; 10], f64)> {
    let mut counts = [0u64; 10];
    for c in codes.iter().flatten() {
        counts[usize::from(*c)] += 1;
    }
    lbp_entropy(&counts)
}

/// The Gaussian blur of `y` (σ px) that roughness subtracts; no-data
/// pixels are replaced by the mean before blurring, so they do not spread.
#[must_use]
pub fn lowpass(y: &Plane, sigma_px: f64) -> Plane {
    let (sum, n) = super::finite_sum(y.data());
    if n as usize == y.len() {
        return gaussian_blur(y, sigma_px);
    }
    let mean = (sum / n.max(1) as f64) as f32;
    gaussian_blur(&y.map(|v| if v.is_nan() { mean } else { v }), sigma_px)
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // the naive reference reads like the formulas
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Straight-loop reference: build the 12 symmetric normalised matrices
    /// as 64×64 f64 arrays and evaluate the textbook formulas.
    fn glcm_naive(q: &[u8], w: usize, h: usize) -> Haralick {
        let mut acc = Haralick::default();
        for &(dr, dc) in &OFFSETS {
            let mut m = vec![vec![0.0f64; LEVELS]; LEVELS];
            for r in 0..h as isize {
                for c in 0..w as isize {
                    let (r2, c2) = (r + dr, c + dc);
                    if r2 < 0 || c2 < 0 || r2 >= h as isize || c2 >= w as isize {
                        continue;
                    }
                    let a = q[(r * w as isize + c) as usize] as usize;
                    let b = q[(r2 * w as isize + c2) as usize] as usize;
                    m[a][b] += 1.0;
                    m[b][a] += 1.0;
                }
            }
            let s: f64 = m.iter().flatten().sum();
            let p: Vec<Vec<f64>> = m
                .iter()
                .map(|r| r.iter().map(|v| v / s).collect())
                .collect();
            let (mut con, mut hom, mut en, mut ent, mut mi, mut mj) =
                (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
            for i in 0..LEVELS {
                for j in 0..LEVELS {
                    let v = p[i][j];
                    let d = (i as f64 - j as f64).powi(2);
                    con += v * d;
                    hom += v / (1.0 + d);
                    en += v * v;
                    if v > 0.0 {
                        ent -= v * v.ln();
                    }
                    mi += i as f64 * v;
                    mj += j as f64 * v;
                }
            }
            let (mut vi, mut vj, mut cv) = (0.0, 0.0, 0.0);
            for i in 0..LEVELS {
                for j in 0..LEVELS {
                    vi += p[i][j] * (i as f64 - mi).powi(2);
                    vj += p[i][j] * (j as f64 - mj).powi(2);
                    cv += p[i][j] * (i as f64 - mi) * (j as f64 - mj);
                }
            }
            let corr = if vi.sqrt() < 1e-15 || vj.sqrt() < 1e-15 {
                1.0
            } else {
                cv / (vi.sqrt() * vj.sqrt())
            };
            acc.contrast += con / 12.0;
            acc.homogeneity += hom / 12.0;
            acc.energy += en.sqrt() / 12.0;
            acc.correlation += corr / 12.0;
            acc.entropy += ent / 12.0;
        }
        acc
    }

    proptest! {
        #[test]
        fn glcm_matches_naive(w in 5usize..40, h in 5usize..40, seed in any::<u64>()) {
            let mut s = seed | 1;
            let q: Vec<u8> = (0..w * h).map(|_| { s ^= s << 13; s ^= s >> 7; s ^= s << 17; (s % 64) as u8 }).collect();
            let tiles = Tiles::new(w, h, 2);
            let counts = glcm_counts(&q, w, h, &tiles);
            let a = haralick_mean(&counts.whole).unwrap();
            let b = glcm_naive(&q, w, h);
            // both f64 over <= 4096 terms: summation-order error ~1e-13
            prop_assert!((a.contrast - b.contrast).abs() <= 1e-9 * b.contrast.abs().max(1.0));
            prop_assert!((a.homogeneity - b.homogeneity).abs() <= 1e-12);
            prop_assert!((a.energy - b.energy).abs() <= 1e-12);
            prop_assert!((a.correlation - b.correlation).abs() <= 1e-9);
            prop_assert!((a.entropy - b.entropy).abs() <= 1e-12);
        }
    }

    #[test]
    fn constant_image_has_unit_correlation_and_energy() {
        let q = vec![5u8; 100];
        let c = glcm_counts(&q, 10, 10, &Tiles::new(10, 10, 1));
        let h = haralick_mean(&c.whole).unwrap();
        assert_eq!(h.contrast, 0.0);
        assert_eq!(h.correlation, 1.0);
        assert!((h.energy - 1.0).abs() < 1e-15);
        assert_eq!(h.entropy, 0.0);
    }

    #[test]
    fn tiles_partition_the_whole_count() {
        let q: Vec<u8> = (0..30 * 20).map(|i| (i * 7 % 64) as u8).collect();
        let c = glcm_counts(&q, 30, 20, &Tiles::new(30, 20, 3));
        for k in 0..OFFSETS.len() {
            let tile_sum: u64 = c.tiles.iter().map(|t| t[k].iter().sum::<u64>()).sum();
            assert_eq!(tile_sum, c.whole[k].iter().sum::<u64>());
        }
    }

    /// Naive uniform LBP: neighbours by bilinear interpolation of an image
    /// padded with zeros, bits by the definition, codes by counting.
    fn lbp_naive(y: &[f64], w: usize, h: usize) -> Vec<u8> {
        let px = |r: f64, c: f64| -> f64 {
            let (r0, c0) = (r.floor(), c.floor());
            let (fr, fc) = (r - r0, c - c0);
            let get = |rr: f64, cc: f64| {
                if rr < 0.0 || cc < 0.0 || rr >= h as f64 || cc >= w as f64 {
                    0.0
                } else {
                    y[rr as usize * w + cc as usize]
                }
            };
            let top = (1.0 - fc) * get(r0, c0) + fc * get(r0, c0 + 1.0);
            let bot = (1.0 - fc) * get(r0 + 1.0, c0) + fc * get(r0 + 1.0, c0 + 1.0);
            (1.0 - fr) * top + fr * bot
        };
        let mut out = Vec::new();
        for r in 0..h {
            for c in 0..w {
                let centre = y[r * w + c];
                let bits: Vec<u8> = (0..8)
                    .map(|p| {
                        let ang = 2.0 * std::f64::consts::PI * f64::from(p) / 8.0;
                        let (dr, dc) = (
                            (-ang.sin() * 1e5).round() / 1e5,
                            (ang.cos() * 1e5).round() / 1e5,
                        );
                        u8::from(px(r as f64 + dr, c as f64 + dc) - centre >= 0.0)
                    })
                    .collect();
                let u: u8 = (0..7).map(|i| u8::from(bits[i] != bits[i + 1])).sum();
                out.push(if u <= 2 { bits.iter().sum() } else { 9 });
            }
        }
        out
    }

    proptest! {
        #[test]
        fn lbp_matches_naive(w in 3usize..20, h in 3usize..20, seed in any::<u64>(), levels in 2u64..256) {
            let mut s = seed | 1;
            let y: Vec<u16> = (0..w * h).map(|_| { s ^= s << 13; s ^= s >> 7; s ^= s << 17; (s % levels) as u16 }).collect();
            let got: Vec<u8> = lbp_codes(&y, w, h).into_iter().map(|c| c.unwrap()).collect();
            let yf: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
            let naive = lbp_naive(&yf, w, h);
            // same arithmetic order as scikit-image, so equal bit for bit
            let same = got.iter().zip(&naive).filter(|(a, b)| a == b).count();
            prop_assert_eq!(same, got.len(), "{} of {} codes agree", same, got.len());
        }

        #[test]
        fn lbp_tile_counts_match_the_naive_codes(w in 1usize..40, h in 1usize..40, seed in any::<u64>(), levels in 2u64..256, holes in any::<bool>()) {
            // the row-vectorised interior path and the per-pixel border path
            // against straight loops, with and without no-data pixels
            let mut s = seed | 1;
            let mut next = || { s ^= s << 13; s ^= s >> 7; s ^= s << 17; s };
            let y: Vec<u16> = (0..w * h)
                .map(|_| if holes && next() % 17 == 0 { NO_LEVEL } else { (next() % levels) as u16 })
                .collect();
            let tiles = Tiles::new(w, h, 2);
            let got = lbp_tile_counts(&y, w, h, &tiles);
            let mut want = vec![[0u64; 10]; tiles.count()];
            if holes {
                for (i, code) in lbp_codes(&y, w, h).into_iter().enumerate() {
                    if let Some(c) = code {
                        want[tiles.of(i % w, i / w)][usize::from(c)] += 1;
                    }
                }
            } else {
                let yf: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
                for (i, c) in lbp_naive(&yf, w, h).into_iter().enumerate() {
                    want[tiles.of(i % w, i / w)][usize::from(c)] += 1;
                }
            }
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn levels_match_floor_and_round_half_even() {
        // grey planes: luminance is the value itself
        let mut values = vec![
            -3.0f32, -0.5, -0.2, 0.0, 0.5, 1.5, 2.5, 3.49, 254.5, 255.5, 300.0,
        ];
        values.extend((0..4000).map(|i| i as f32 * 0.0671 - 5.0));
        let plane = Plane::from_vec(values.len(), 1, values.clone()).expect("one row");
        let img = RgbPlanes {
            r: plane.clone(),
            g: plane.clone(),
            b: plane,
            model: ColourModel::Grey,
        };
        let rounded = rounded_levels(&img);
        let quantised = quantised_levels(&img);
        for ((&v, &r), &q) in values.iter().zip(&rounded).zip(&quantised) {
            let v = f64::from(v);
            assert_eq!(r, v.round_ties_even().clamp(0.0, 255.0) as u16, "{v}");
            assert_eq!(q, (v * 64.0 / 256.0).floor().clamp(0.0, 63.0) as u8, "{v}");
        }
    }

    #[test]
    fn lbp_of_flat_image_is_border_aware() {
        // Flat interior: every neighbour equals the centre -> all bits 1 -> code 8.
        // Corners see zeros outside: some bits 0.
        let y = vec![100u16; 25];
        let codes = lbp_codes(&y, 5, 5);
        assert_eq!(codes[2 * 5 + 2], Some(8));
        assert_ne!(codes[0], Some(8));
    }

    #[test]
    fn lbp_detects_a_bright_spot() {
        let mut y = vec![10u16; 25];
        y[12] = 200; // centre pixel brighter than all neighbours -> code 0
        assert_eq!(lbp_codes(&y, 5, 5)[12], Some(0));
    }
}
