//! Uniform local binary patterns (P = 8, R = 1) exactly as scikit-image's
//! `local_binary_pattern(method="uniform")` computes them, per tile.

use super::super::Tiles;
use crate::raster::RgbPlanes;
use crate::simd::wide_fn;
use rayon::prelude::*;

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
    super::map_luminance(img, round_level)
}

/// The LBP level of one luminance value (see [`rounded_levels`]).
#[inline(always)]
pub(super) fn round_level(y: f64) -> u16 {
    if y.is_nan() {
        NO_LEVEL
    } else {
        // round half to even by adding and removing 2^52 (exact for
        // 0 ≤ y < 2^51 in the default rounding mode; no libm call)
        const SHIFT: f64 = 4_503_599_627_370_496.0;
        ((y.clamp(0.0, 255.0) + SHIFT) - SHIFT) as u16
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

wide_fn! {
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

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // the naive reference reads like the formulas
mod tests {
    use super::super::quantised_levels;
    use super::*;
    use crate::raster::{ColourModel, Plane};
    use proptest::prelude::*;

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
