//! Texture metrics with the definitions pinned in DESIGN.md: grey-level
//! co-occurrence (Haralick) features, uniform LBP entropy and high-pass
//! roughness of luminance.
//!
//! GLCM and LBP reproduce scikit-image 0.26 bit for bit where it matters
//! (quantisation, neighbour interpolation and the comparison order), so the
//! values equal `../shared/data/oracles` to ~1e-13. Counts are integers, so
//! the parallel split cannot change a result.

mod lbp;

pub use lbp::{NO_LEVEL, lbp_codes, lbp_entropy, lbp_histogram, lbp_tile_counts, rounded_levels};

use super::{MeasureOptions, TiledValue, Tiles};
use crate::catalog::id;
use crate::filters::gaussian_blur;
use crate::raster::{ColourModel, Plane, RgbPlanes, luminance_f64, luminance_row_f64};
use crate::simd::wide_fn;
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
    map_luminance(img, quantise)
}

/// The GLCM level of one luminance value (see [`quantised_levels`]).
#[inline(always)]
fn quantise(y: f64) -> u8 {
    if y.is_nan() {
        NO_DATA
    } else {
        // truncation of the clamped, non-negative value is floor (no libm call)
        (y * 64.0 / 256.0).clamp(0.0, 63.0) as u8
    }
}

/// [`quantised_levels`] and [`rounded_levels`] from one pass over the
/// luminance, a row at a time (the texture family needs both).
#[must_use]
pub fn texture_levels(img: &RgbPlanes) -> (Vec<u8>, Vec<u16>) {
    let (w, n) = (img.width(), img.r.len());
    let (mut q, mut rounded) = (vec![0u8; n], vec![0u16; n]);
    if w == 0 {
        return (q, rounded);
    }
    q.par_chunks_mut(w)
        .zip(rounded.par_chunks_mut(w))
        .enumerate()
        .for_each_init(
            || vec![0.0f64; w],
            |y_row, (y, (q, rounded))| {
                match img.model {
                    ColourModel::Grey => {
                        for (o, &v) in y_row.iter_mut().zip(img.r.row(y)) {
                            *o = f64::from(v);
                        }
                    }
                    ColourModel::Rgb => {
                        luminance_row_f64(img.r.row(y), img.g.row(y), img.b.row(y), y_row);
                    }
                }
                levels_row(y_row, q, rounded);
            },
        );
    (q, rounded)
}

wide_fn! {
    /// GLCM and LBP levels of a row of luminance values (equal lengths).
    fn levels_row(y: &[f64], q: &mut [u8], rounded: &mut [u16]) {
        for ((&y, q), r) in y.iter().zip(q).zip(rounded) {
            *q = quantise(y);
            *r = lbp::round_level(y);
        }
    }
}

/// `f` of every pixel's luminance (f64, as DESIGN.md pins it; the grey
/// value itself for a grey image), in parallel.
pub(super) fn map_luminance<T: Send>(img: &RgbPlanes, f: impl Fn(f64) -> T + Sync) -> Vec<T> {
    match img.model {
        ColourModel::Grey => img.r.data().par_iter().map(|&v| f(f64::from(v))).collect(),
        ColourModel::Rgb => img
            .r
            .data()
            .par_iter()
            .zip(img.g.data())
            .zip(img.b.data())
            .map(|((&r, &g), &b)| f(luminance_f64(r, g, b)))
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
    let runs = tiles.column_runs();
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

/// The Gaussian blur of `y` (σ px) that roughness subtracts; no-data
/// pixels are replaced by the mean before blurring, so they do not spread.
#[must_use]
pub fn lowpass(y: &Plane, sigma_px: f64) -> Plane {
    lowpass_given_sum(y, sigma_px, super::finite_sum(y.data()))
}

/// [`lowpass`] given the [`super::finite_sum`] of `y`.
pub(super) fn lowpass_given_sum(y: &Plane, sigma_px: f64, (sum, n): (f64, u64)) -> Plane {
    if n as usize == y.len() {
        return gaussian_blur(y, sigma_px);
    }
    let mean = (sum / n.max(1) as f64) as f32;
    gaussian_blur(&y.map(|v| if v.is_nan() { mean } else { v }), sigma_px)
}

/// The texture family of [`super::measure`]: GLCM (Haralick), LBP entropy
/// and roughness, each with its per-tile values (`finite`: the
/// [`super::finite_sum`] of the luminance); a metric undefined on this ROI
/// is left out. Also gives the luminance's blur that roughness subtracts,
/// which the tracked lines' band uses too.
#[must_use]
pub(super) fn measure_texture(
    crop: &RgbPlanes,
    (luminance, finite): (&Plane, (f64, u64)),
    tiles: &Tiles,
    opts: &MeasureOptions,
) -> (Vec<TiledValue>, Plane) {
    let (w, h) = (crop.width(), crop.height());
    let mut values = Vec::new();
    let (levels, rounded) = texture_levels(crop);
    let counts = glcm_counts(&levels, w, h, tiles);
    drop(levels);
    if let Some(whole) = haralick_mean(&counts.whole) {
        let per_tile: Vec<Option<Haralick>> =
            counts.tiles.iter().map(|t| haralick_mean(t)).collect();
        let pick = |f: fn(&Haralick) -> f64| -> Vec<f64> {
            per_tile
                .iter()
                .map(|t| t.as_ref().map_or(f64::NAN, f))
                .collect()
        };
        values.extend([
            TiledValue::new(id::GLCM_CONTRAST, whole.contrast, pick(|h| h.contrast)),
            TiledValue::new(
                id::GLCM_HOMOGENEITY,
                whole.homogeneity,
                pick(|h| h.homogeneity),
            ),
            TiledValue::new(id::GLCM_ENERGY, whole.energy, pick(|h| h.energy)),
            TiledValue::new(
                id::GLCM_CORRELATION,
                whole.correlation,
                pick(|h| h.correlation),
            ),
            TiledValue::new(id::GLCM_ENTROPY, whole.entropy, pick(|h| h.entropy)),
        ]);
    }

    let counts = lbp_tile_counts(&rounded, w, h, tiles);
    drop(rounded);
    let mut whole = [0u64; 10];
    for t in &counts {
        for (a, b) in whole.iter_mut().zip(t) {
            *a += b;
        }
    }
    if let Some((_, entropy)) = lbp_entropy(&whole) {
        let t: Vec<f64> = counts
            .iter()
            .map(|c| lbp_entropy(c).map_or(f64::NAN, |(_, e)| e))
            .collect();
        values.push(TiledValue::new(id::LBP_ENTROPY, entropy, t));
    }

    let blurred = lowpass_given_sum(luminance, opts.roughness_sigma_px, finite);
    if let Some((whole, t)) = roughness(luminance, &blurred, tiles) {
        values.push(TiledValue::new(id::ROUGHNESS, whole, t));
    }
    (values, blurred)
}

/// Roughness (DESIGN.md `texture.roughness`): the RMS of `luminance` less
/// `blurred`, its Gaussian blur ([`lowpass_given_sum`] of σ
/// `roughness_sigma_px`), over the whole plane and per tile (NaN for a tile
/// without data); `None` without data. Rows in parallel, per-tile partials
/// summed in row order.
pub(super) fn roughness(
    luminance: &Plane,
    blurred: &Plane,
    tiles: &Tiles,
) -> Option<(f64, Vec<f64>)> {
    let (w, h) = (luminance.width(), luminance.height());
    let runs = tiles.column_runs();
    let rows: Vec<Vec<(f64, u64)>> = (0..h)
        .into_par_iter()
        .map_init(
            || vec![0.0f64; w],
            |squares, y| {
                let mut part = vec![(0.0f64, 0u64); tiles.count()];
                let ty = tiles.row_of(y);
                let n = squared_residuals(luminance.row(y), blurred.row(y), squares);
                // in pixel order per tile, as a per-pixel loop would add them
                // (no-data adds 0: the same sums)
                for &(x0, x1, tx) in &runs {
                    let s = &mut part[tiles.index(tx, ty)];
                    s.0 = squares[x0..x1].iter().fold(s.0, |acc, &d2| acc + d2);
                    s.1 += if n == w as u64 {
                        (x1 - x0) as u64
                    } else {
                        luminance.row(y)[x0..x1]
                            .iter()
                            .filter(|v| v.is_finite())
                            .count() as u64
                    };
                }
                part
            },
        )
        .collect();
    let mut sums = vec![(0.0f64, 0u64); tiles.count()];
    for part in rows {
        for (s, p) in sums.iter_mut().zip(part) {
            s.0 += p.0;
            s.1 += p.1;
        }
    }
    let (tot, n) = sums.iter().fold((0.0, 0u64), |a, s| (a.0 + s.0, a.1 + s.1));
    (n > 0).then(|| {
        let t: Vec<f64> = sums
            .iter()
            .map(|s| {
                if s.1 > 0 {
                    (s.0 / s.1 as f64).sqrt()
                } else {
                    f64::NAN
                }
            })
            .collect();
        ((tot / n as f64).sqrt(), t)
    })
}

wide_fn! {
    /// (a − b)² in f64 where `a` is finite, else 0, into `out`; returns the
    /// number of finite `a`.
    fn squared_residuals(a: &[f32], b: &[f32], out: &mut [f64]) -> u64 {
        let mut n = 0u64;
        for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
            let d = f64::from(a - b);
            let finite = a.is_finite();
            *o = if finite { d * d } else { 0.0 };
            n += u64::from(finite);
        }
        n
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // the naive reference reads like the formulas
mod tests {
    use super::*;
    use crate::simd::Copies;
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

    /// A colour image of random values over the whole 0–255 range and
    /// beyond (clamping), with exact half levels and some no-data pixels.
    fn random_rgb(w: usize, h: usize, seed: u64) -> RgbPlanes {
        let mut s = seed | 1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut plane = || {
            Plane::from_fn(w, h, |_, _| match next() % 16 {
                0 => f32::NAN,
                1 => (next() % 256) as f32 + 0.5,
                _ => (next() % 2800) as f32 * 0.1 - 10.0,
            })
        };
        RgbPlanes {
            r: plane(),
            g: plane(),
            b: plane(),
            model: ColourModel::Rgb,
        }
    }

    proptest! {
        #[test]
        fn texture_levels_equal_the_per_pixel_levels(w in 1usize..70, h in 1usize..6, seed in any::<u64>(), grey in any::<bool>()) {
            let _switch = crate::simd::hold_switch();
            let mut img = random_rgb(w, h, seed);
            if grey {
                img = RgbPlanes::from_grey(img.r);
            }
            let per_pixel = (quantised_levels(&img), rounded_levels(&img));
            for copies in [Copies::Best, Copies::Baseline] {
                crate::simd::use_copies(copies);
                prop_assert_eq!(&texture_levels(&img), &per_pixel);
            }
            crate::simd::use_copies(Copies::Best);
            // the straight formulas, pixel by pixel
            for i in 0..w * h {
                let (r, g, b) = (img.r.data()[i], img.g.data()[i], img.b.data()[i]);
                let y = if grey { f64::from(r) } else { luminance_f64(r, g, b) };
                let q = if y.is_nan() { NO_DATA } else { (y / 4.0).floor().clamp(0.0, 63.0) as u8 };
                let rd = if y.is_nan() { NO_LEVEL } else { y.clamp(0.0, 255.0).round_ties_even() as u16 };
                prop_assert_eq!((per_pixel.0[i], per_pixel.1[i]), (q, rd));
            }
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
}
