//! Residual shifts of patches: does MOVING, brought into BASE's frame by a
//! transform, line up with BASE at each place? BASE is cut into a grid of
//! patches, each is compared with the warped MOVING by zero-mean normalised
//! correlation (NCC) of a band-pass at the integer offsets of a small
//! window, and the sub-pixel offset of each patch's correlation peak is its
//! *residual shift*, what is left to move once the transform is applied
//! (after the template matching of Lewis 1995, "Fast normalized
//! cross-correlation", Vision Interface, with summed-area tables). The
//! band-pass removes illumination gradients, and NCC the gain and offset of
//! each patch, so exposure, gamma (locally affine) and colour changes
//! between visits do not matter. What the shifts say about the transform is
//! [`super::verify`]'s business.

use super::warp::bicubic_source;
use crate::geometry::Homography;
use crate::raster::{GreySource, Rect};
use rayon::prelude::*;

/// Patches per side of the grid.
const GRID: usize = 6;
/// Search radius of the integer offsets, level px.
const RADIUS: usize = 2;
/// Side of the correlation surface.
const SURFACE: usize = 2 * RADIUS + 1;
/// Longest patch side, level px (bounds the cost on large levels).
const MAX_PATCH: usize = 48;
/// Shortest patch side, level px (smaller patches correlate by chance too
/// easily to be evidence).
const MIN_PATCH: usize = 16;
/// Shortest image side on which patches can be checked at all (a grid
/// cell must hold the shortest patch and its search radius).
pub const MIN_SIDE: usize = GRID * (MIN_PATCH + 2 * RADIUS);
/// Radius of the local mean removed by the band-pass, level px (a 9 × 9
/// box after the binomial: together a difference of smoothings with
/// σ ≈ 1 and ≈ 2.8 px).
const MEAN_RADIUS: usize = 4;
/// Window margin the band-pass needs around the searched area, level px.
const MARGIN: usize = 2 + MEAN_RADIUS;

/// Width and height of a rectangle of pixels.
type Size = (usize, usize);

/// The residual shift found at one patch.
#[derive(Clone, Copy, Debug)]
pub struct PatchShift {
    /// Patch centre, level px of BASE.
    pub x: f64,
    /// Patch centre, level px of BASE.
    pub y: f64,
    /// Residual shift (level px): BASE at (x, y) matches the warped MOVING
    /// at (x, y) + shift.
    pub dx: f64,
    /// See `dx`.
    pub dy: f64,
    /// Height of the correlation peak.
    pub ncc: f64,
    /// Relative information of the shift (inverse of its covariance, up to
    /// a common factor: the peak's curvature matrix scaled by ρ²/(1 − ρ²)),
    /// `[xx, xy, yy]`. Sharp, high peaks weigh more; an edge's peak is a
    /// ridge and says nothing along the edge (the aperture problem).
    pub info: [f64; 3],
}

/// What the patches say about one transform at one level.
#[derive(Clone, Debug)]
pub struct Check {
    /// Pyramid level of the patches.
    pub level: usize,
    /// Patches wholly inside the overlap.
    pub patches: usize,
    /// Patches with a correlation peak inside the search window.
    pub peaks: Vec<PatchShift>,
}

/// Scratch of one worker: window values, band-passes, tables.
#[derive(Default)]
struct Scratch {
    base: Vec<f32>,
    moving: Vec<f32>,
    tmp: Vec<f32>,
    band_b: Vec<f32>,
    band_m: Vec<f32>,
    sat: Vec<f64>,
}

/// Band-pass of the window `win` (`side`) for its central `inner` pixels,
/// into `out` (row length `inner.0`): the binomial smoothing (1 4 6 4 1)/16
/// minus its 9 × 9 box mean (running sums, O(1) a pixel). `tmp` is scratch.
fn band_into(win: &[f32], side: Size, inner: Size, tmp: &mut Vec<f32>, out: &mut Vec<f32>) {
    const B: [f32; 5] = [0.0625, 0.25, 0.375, 0.25, 0.0625];
    let r = MEAN_RADIUS;
    // the smoothed region: the inner part and the box radius around it,
    // at offset `o` in the window
    let (sw, sh) = (inner.0 + 2 * r, inner.1 + 2 * r);
    let (ox, oy) = ((side.0 - inner.0) / 2 - r, (side.1 - inner.1) / 2 - r);
    tmp.clear();
    tmp.resize((sh + 4) * sw + sh * sw, 0.0);
    let (horiz, smooth) = tmp.split_at_mut((sh + 4) * sw);
    for (y, out_row) in horiz.chunks_exact_mut(sw).enumerate() {
        let row = &win[(oy - 2 + y) * side.0..(oy - 1 + y) * side.0];
        for (x, o) in out_row.iter_mut().enumerate() {
            let c = ox + x;
            *o =
                B[0] * (row[c - 2] + row[c + 2]) + B[1] * (row[c - 1] + row[c + 1]) + B[2] * row[c];
        }
    }
    for (y, out_row) in smooth.chunks_exact_mut(sw).enumerate() {
        for (x, o) in out_row.iter_mut().enumerate() {
            let at = |k: usize| horiz[(y + k) * sw + x];
            *o = B[0] * (at(0) + at(4)) + B[1] * (at(1) + at(3)) + B[2] * at(2);
        }
    }
    // box mean: sums of 2r+1 columns per row, slid down the rows
    let span = 2 * r + 1;
    let norm = 1.0 / (span * span) as f32;
    let row_sums = |y: usize, x: usize| smooth[y * sw + x..y * sw + x + span].iter().sum::<f32>();
    let mut col: Vec<f32> = (0..inner.0)
        .map(|x| (0..span).map(|y| row_sums(y, x)).sum())
        .collect();
    out.clear();
    out.resize(inner.0 * inner.1, 0.0);
    for y in 0..inner.1 {
        if y > 0 {
            for (x, c) in col.iter_mut().enumerate() {
                *c += row_sums(y - 1 + span, x) - row_sums(y - 1, x);
            }
        }
        for x in 0..inner.0 {
            out[y * inner.0 + x] = smooth[(y + r) * sw + x + r] - col[x] * norm;
        }
    }
}

/// NCC of the `patch` at (R, R) of `a` with the patches of `b` at every
/// offset (i, j) ∈ 0..=2R (R = [`RADIUS`]); both are `stride` wide and
/// `patch + 2R` in size. `sat` is scratch for `b`'s summed-area tables.
fn ncc_surface(
    a: &[f32],
    b: &[f32],
    stride: usize,
    patch: Size,
    sat: &mut Vec<f64>,
) -> [[f64; SURFACE]; SURFACE] {
    let (pw, ph) = patch;
    let rows = ph + 2 * RADIUS;
    let n = (pw * ph) as f64;
    let template =
        |y: usize| &a[(RADIUS + y) * stride + RADIUS..(RADIUS + y) * stride + RADIUS + pw];
    let mean_a = (0..ph)
        .map(|y| template(y).iter().map(|&v| f64::from(v)).sum::<f64>())
        .sum::<f64>()
        / n;
    // the template, zero-mean: then Σ(a − ā)(b − b̄) = Σ(a − ā)·b
    let za: Vec<f32> = (0..ph)
        .flat_map(|y| template(y).iter().map(|&v| (f64::from(v) - mean_a) as f32))
        .collect();
    let saa: f64 = za.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    // summed-area tables of b and b², a zero row and column first
    let t = stride + 1;
    sat.clear();
    sat.resize(2 * t * (rows + 1), 0.0);
    let (s1, s2) = sat.split_at_mut(t * (rows + 1));
    for y in 0..rows {
        let (mut r1, mut r2) = (0.0, 0.0);
        for x in 0..stride {
            let v = f64::from(b[y * stride + x]);
            r1 += v;
            r2 += v * v;
            s1[(y + 1) * t + x + 1] = s1[y * t + x + 1] + r1;
            s2[(y + 1) * t + x + 1] = s2[y * t + x + 1] + r2;
        }
    }
    let sum = |s: &[f64], x: usize, y: usize| {
        s[(y + ph) * t + x + pw] - s[y * t + x + pw] - s[(y + ph) * t + x] + s[y * t + x]
    };
    let mut out = [[0.0f64; SURFACE]; SURFACE];
    for (j, row) in out.iter_mut().enumerate() {
        for (i, v) in row.iter_mut().enumerate() {
            let sab: f64 = (0..ph)
                .map(|y| {
                    let rb = &b[(j + y) * stride + i..(j + y) * stride + i + pw];
                    f64::from(
                        za[y * pw..(y + 1) * pw]
                            .iter()
                            .zip(rb)
                            .map(|(&u, &w)| u * w)
                            .sum::<f32>(),
                    )
                })
                .sum();
            let (sb, sbb) = (sum(s1, i, j), sum(s2, i, j));
            let den = (saa * (sbb - sb * sb / n)).sqrt();
            *v = if den > 1e-12 { sab / den } else { 0.0 };
        }
    }
    out
}

/// Sub-pixel peak of `surface` around its maximum at (i, j): the vertex of
/// the quadratic fitted to the 3×3 neighbourhood (least squares; handles
/// peaks elongated along a diagonal, which skin furrows make), and the
/// curvature matrix −H there (`[xx, xy, yy]`). `None` when the quadratic
/// has no maximum near (i, j).
fn peak_2d(
    surface: &[[f64; SURFACE]; SURFACE],
    i: usize,
    j: usize,
) -> Option<(f64, f64, [f64; 3])> {
    // f = a + b·x + c·y + d·x² + e·x·y + g·y² over x, y ∈ {−1, 0, 1}:
    // the 3×3 design is orthogonal after centring, so the fit is closed-form
    let v = |dx: isize, dy: isize| surface[(j as isize + dy) as usize][(i as isize + dx) as usize];
    let (mut b, mut c, mut e) = (0.0, 0.0, 0.0);
    let (mut sxx, mut syy, mut sum) = (0.0, 0.0, 0.0);
    for dy in -1..=1isize {
        for dx in -1..=1isize {
            let f = v(dx, dy);
            b += dx as f64 * f;
            c += dy as f64 * f;
            e += (dx * dy) as f64 * f;
            sxx += (dx * dx) as f64 * f;
            syy += (dy * dy) as f64 * f;
            sum += f;
        }
    }
    let (b, c, e) = (b / 6.0, c / 6.0, e / 4.0);
    // Σx²f = 6a' + ... : d = (Σx²f)/2 − (Σf)/3 for this design
    let d = sxx / 2.0 - sum / 3.0;
    let g = syy / 2.0 - sum / 3.0;
    // vertex: [2d e; e 2g]·(x, y) = −(b, c)
    let (h11, h12, h22) = (2.0 * d, e, 2.0 * g);
    let det = h11 * h22 - h12 * h12;
    if !(h11 < 0.0 && det > 0.0) {
        return None;
    }
    let x = (-b * h22 + c * h12) / det;
    let y = (-c * h11 + b * h12) / det;
    if x.abs() > 1.0 || y.abs() > 1.0 {
        return None;
    }
    Some((x, y, [-h11, -h12, -h22]))
}

/// Patch size at a level of `w × h` px: a grid cell less the search
/// radius, at most [`MAX_PATCH`]; `None` when a side would be under
/// [`MIN_PATCH`].
#[must_use]
pub fn patch_size(w: usize, h: usize) -> Option<(usize, usize)> {
    let side = |n: usize| (n / GRID).saturating_sub(2 * RADIUS).min(MAX_PATCH);
    let (pw, ph) = (side(w), side(h));
    (pw.min(ph) >= MIN_PATCH).then_some((pw, ph))
}

/// Residual shifts of the patches of `base` (one pyramid level) against
/// `moving` (the same level of the other image) sampled through
/// `moving_from_base` (level coordinates); patches touching `exclude`
/// (level px) are left out.
#[must_use]
pub fn check<B: GreySource + ?Sized, M: GreySource + ?Sized>(
    base: &B,
    moving: &M,
    moving_from_base: &Homography,
    exclude: &[Rect],
    level: usize,
) -> Check {
    let (w, h) = (base.width(), base.height());
    let mut out = Check {
        level,
        patches: 0,
        peaks: Vec::new(),
    };
    let Some(patch) = patch_size(w, h) else {
        return out;
    };
    let inner = (patch.0 + 2 * RADIUS, patch.1 + 2 * RADIUS);
    let side = (inner.0 + 2 * MARGIN, inner.1 + 2 * MARGIN);
    if w < side.0 || h < side.1 {
        return out;
    }
    let (cw, ch) = (w as f64 / GRID as f64, h as f64 / GRID as f64);
    let (mw, mh) = (moving.width() as f64, moving.height() as f64);
    let m = moving_from_base.0;
    // a window is usable when its searched area avoids `exclude` and the
    // window lands wholly inside MOVING: its four corners do (w > 0 at the
    // corners keeps the mapped window convex, and MOVING's frame is convex)
    let usable = |x0: usize, y0: usize| {
        let (rx, ry) = (x0 + MARGIN, y0 + MARGIN);
        let touches = exclude
            .iter()
            .any(|e| rx < e.x + e.w && e.x < rx + inner.0 && ry < e.y + e.h && e.y < ry + inner.1);
        let (a, b) = (x0 as f64, y0 as f64);
        let (zx, zy) = ((side.0 - 1) as f64, (side.1 - 1) as f64);
        !touches
            && [(a, b), (a + zx, b), (a, b + zy), (a + zx, b + zy)]
                .iter()
                .all(|&(x, y)| {
                    m[2][0] * x + m[2][1] * y + m[2][2] > 1e-12
                        && moving_from_base.apply(x, y).is_some_and(|(u, v)| {
                            u >= 0.0 && v >= 0.0 && u <= mw - 1.0 && v <= mh - 1.0
                        })
                })
    };
    let windows: Vec<(usize, usize)> = (0..GRID * GRID)
        .filter_map(|i| {
            let (mx, my) = (
                ((i % GRID) as f64 + 0.5) * cw,
                ((i / GRID) as f64 + 0.5) * ch,
            );
            // the cell's centre, or up to half a cell toward the image's
            // centre when the cell straddles the edge of the overlap
            [0.0, 0.25, 0.5].iter().find_map(|&t| {
                let x = mx + t * cw * (0.5 * w as f64 - mx).signum();
                let y = my + t * ch * (0.5 * h as f64 - my).signum();
                let x0 =
                    (x as isize - (side.0 / 2) as isize).clamp(0, (w - side.0) as isize) as usize;
                let y0 =
                    (y as isize - (side.1 / 2) as isize).clamp(0, (h - side.1) as isize) as usize;
                usable(x0, y0).then_some((x0, y0))
            })
        })
        .collect();
    let results: Vec<Option<Option<PatchShift>>> = windows
        .par_iter()
        .map_init(Scratch::default, |s, &(x0, y0)| {
            s.base.clear();
            s.moving.clear();
            for y in y0..y0 + side.1 {
                let yf = y as f64;
                for x in x0..x0 + side.0 {
                    s.base.push(base.grey(x, y));
                    let xf = x as f64;
                    let wz = m[2][0] * xf + m[2][1] * yf + m[2][2];
                    s.moving.push(bicubic_source(
                        moving,
                        ((m[0][0] * xf + m[0][1] * yf + m[0][2]) / wz) as f32,
                        ((m[1][0] * xf + m[1][1] * yf + m[1][2]) / wz) as f32,
                    ));
                }
            }
            if s.moving.iter().chain(&s.base).any(|v| !v.is_finite()) {
                return None; // no data there (NaN pixels)
            }
            band_into(&s.base, side, inner, &mut s.tmp, &mut s.band_b);
            band_into(&s.moving, side, inner, &mut s.tmp, &mut s.band_m);
            let surface = ncc_surface(&s.band_b, &s.band_m, inner.0, patch, &mut s.sat);
            let (mut best, mut at) = (f64::MIN, (0, 0));
            for (j, row) in surface.iter().enumerate() {
                for (i, &v) in row.iter().enumerate() {
                    if v > best {
                        (best, at) = (v, (i, j));
                    }
                }
            }
            let (i, j) = at;
            // a peak on the window's edge is not a peak: the match lies beyond
            if i == 0 || j == 0 || i == SURFACE - 1 || j == SURFACE - 1 {
                return Some(None);
            }
            let Some((dx, dy, curvature)) = peak_2d(&surface, i, j) else {
                return Some(None);
            };
            // shift covariance of a correlation peak ∝ (1 − ρ²) / ρ² · (−H)⁻¹
            let r2 = best.clamp(1e-3, 0.999).powi(2);
            let k = r2 / (1.0 - r2);
            Some(Some(PatchShift {
                x: x0 as f64 + 0.5 * (side.0 - 1) as f64,
                y: y0 as f64 + 0.5 * (side.1 - 1) as f64,
                dx: i as f64 - RADIUS as f64 + dx,
                dy: j as f64 - RADIUS as f64 + dy,
                ncc: best,
                info: curvature.map(|c| k * c),
            }))
        })
        .collect();
    out.patches = results.iter().filter(|r| r.is_some()).count();
    out.peaks = results.into_iter().flatten().flatten().collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::verify::verdict;
    use crate::raster::Plane;

    /// Deterministic values in [0, 1) (xorshift).
    fn noise(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 40) as f32 / (1u64 << 24) as f32
            })
            .collect()
    }

    /// A smooth random texture: noise blurred by σ = 2 px, ×255.
    fn texture(w: usize, h: usize, seed: u64) -> Plane {
        let p = Plane::from_vec(w, h, noise(w * h, seed).iter().map(|v| 255.0 * v).collect())
            .expect("invariant: size");
        crate::filters::gaussian_blur(&p, 2.0)
    }

    #[test]
    fn min_side_is_the_least_side_with_patches() {
        assert!(patch_size(MIN_SIDE, MIN_SIDE).is_some());
        assert!(patch_size(MIN_SIDE - 1, 4 * MIN_SIDE).is_none());
        assert!(patch_size(4 * MIN_SIDE, MIN_SIDE - 1).is_none());
    }

    #[test]
    fn band_matches_the_naive_binomial_minus_box() {
        let (side, inner) = ((31, 27), (15, 11));
        let win = noise(side.0 * side.1, 3);
        let (mut tmp, mut out) = (Vec::new(), Vec::new());
        band_into(&win, side, inner, &mut tmp, &mut out);
        let b = [1.0, 4.0, 6.0, 4.0, 1.0].map(|v: f64| v / 16.0);
        let smooth = |x: usize, y: usize| {
            let mut s = 0.0;
            for (j, bj) in b.iter().enumerate() {
                for (i, bi) in b.iter().enumerate() {
                    s += bi * bj * f64::from(win[(y + j - 2) * side.0 + x + i - 2]);
                }
            }
            s
        };
        let (ox, oy) = ((side.0 - inner.0) / 2, (side.1 - inner.1) / 2);
        let r = MEAN_RADIUS;
        for y in 0..inner.1 {
            for x in 0..inner.0 {
                let (cx, cy) = (ox + x, oy + y);
                let mut mean = 0.0;
                for yy in cy - r..=cy + r {
                    for xx in cx - r..=cx + r {
                        mean += smooth(xx, yy);
                    }
                }
                mean /= ((2 * r + 1) * (2 * r + 1)) as f64;
                let want = smooth(cx, cy) - mean;
                // 1e-5: f32 running sums of ~81 values in 0..1; a wrong
                // index is off by ~0.1
                let got = f64::from(out[y * inner.0 + x]);
                assert!((got - want).abs() < 1e-5, "({x}, {y}): {got} vs {want}");
            }
        }
    }

    #[test]
    fn ncc_surface_matches_the_naive_correlation() {
        let patch = (13, 9);
        let (sw, sh) = (patch.0 + 2 * RADIUS, patch.1 + 2 * RADIUS);
        let (a, b) = (noise(sw * sh, 5), noise(sw * sh, 7));
        let got = ncc_surface(&a, &b, sw, patch, &mut Vec::new());
        for j in 0..SURFACE {
            for i in 0..SURFACE {
                let mut pa = Vec::new();
                let mut pb = Vec::new();
                for y in 0..patch.1 {
                    for x in 0..patch.0 {
                        pa.push(f64::from(a[(RADIUS + y) * sw + RADIUS + x]));
                        pb.push(f64::from(b[(j + y) * sw + i + x]));
                    }
                }
                let n = pa.len() as f64;
                let (ma, mb) = (pa.iter().sum::<f64>() / n, pb.iter().sum::<f64>() / n);
                let cov: f64 = pa.iter().zip(&pb).map(|(u, v)| (u - ma) * (v - mb)).sum();
                let va: f64 = pa.iter().map(|u| (u - ma).powi(2)).sum();
                let vb: f64 = pb.iter().map(|v| (v - mb).powi(2)).sum();
                let want = cov / (va * vb).sqrt();
                // 1e-5: the fast form sums in f32 rows and subtracts
                // summed-area tables; an off-by-one offset changes it by ~0.1
                assert!(
                    (got[j][i] - want).abs() < 1e-5,
                    "({i}, {j}): {} vs {want}",
                    got[j][i]
                );
            }
        }
        // a patch against itself peaks at the centre with 1
        let self_ = ncc_surface(&a, &a, sw, patch, &mut Vec::new());
        assert!((self_[RADIUS][RADIUS] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn peak_2d_finds_the_vertex_of_a_tilted_quadratic() {
        // f = 1 − (x − 0.3)² − 0.5 (x − 0.3)(y + 0.2) − 2 (y + 0.2)²: the
        // vertex is (0.3, −0.2), −H = [[2, 0.5], [0.5, 4]]
        let f = |x: f64, y: f64| {
            let (u, v) = (x - 0.3, y + 0.2);
            1.0 - u * u - 0.5 * u * v - 2.0 * v * v
        };
        let mut s = [[0.0; SURFACE]; SURFACE];
        for (j, row) in s.iter_mut().enumerate() {
            for (i, v) in row.iter_mut().enumerate() {
                *v = f(i as f64 - RADIUS as f64, j as f64 - RADIUS as f64);
            }
        }
        let (x, y, c) = peak_2d(&s, RADIUS, RADIUS).expect("a maximum");
        assert!(
            (x - 0.3).abs() < 1e-12 && (y + 0.2).abs() < 1e-12,
            "({x}, {y})"
        );
        assert!(
            (c[0] - 2.0).abs() < 1e-12 && (c[1] - 0.5).abs() < 1e-12 && (c[2] - 4.0).abs() < 1e-12
        );
        // a saddle has no peak
        for (j, row) in s.iter_mut().enumerate() {
            for (i, v) in row.iter_mut().enumerate() {
                let (x, y) = (i as f64 - RADIUS as f64, j as f64 - RADIUS as f64);
                *v = x * x - y * y;
            }
        }
        assert!(peak_2d(&s, RADIUS, RADIUS).is_none());
    }

    #[test]
    fn check_measures_a_known_sub_pixel_shift() {
        // MOVING is BASE; the transform claims a shift of (0.3, −0.4), so
        // every patch finds the opposite residual
        let base = texture(240, 180, 11);
        let claimed = Homography::translation(0.3, -0.4);
        let c = check(&base, &base, &claimed, &[], 0);
        assert!(c.patches >= 30, "{c:?}");
        assert_eq!(c.peaks.len(), c.patches);
        for p in &c.peaks {
            // 0.05 px: bicubic resampling and the quadratic peak fit; a sign
            // error is off by 0.6
            assert!(
                (p.dx + 0.3).abs() < 0.05 && (p.dy - 0.4).abs() < 0.05,
                "{p:?}"
            );
        }
        let v = verdict(&c, 240, 180);
        assert!((v.corner_px - 0.5).abs() < 0.05, "{v:?}");
    }

    #[test]
    fn check_skips_excluded_patches_and_those_outside_moving() {
        let base = texture(240, 180, 13);
        let all = check(&base, &base, &Homography::IDENTITY, &[], 0);
        assert_eq!(all.patches, 36);
        let excluded = check(
            &base,
            &base,
            &Homography::IDENTITY,
            &[Rect::new(0, 0, 120, 90)],
            0,
        );
        assert!(excluded.patches <= 36 - 9, "{}", excluded.patches);
        // MOVING shifted by half its width: only the right half overlaps
        let half = check(&base, &base, &Homography::translation(120.0, 0.0), &[], 0);
        assert!((12..=20).contains(&half.patches), "{}", half.patches);
    }

    #[test]
    fn unrelated_textures_are_not_consistent() {
        let (a, b) = (texture(240, 180, 17), texture(240, 180, 19));
        let v = verdict(&check(&a, &b, &Homography::IDENTITY, &[], 0), 240, 180);
        assert!(!v.consistent() && !v.confirms(), "{v:?}");
        let same = verdict(&check(&a, &a, &Homography::IDENTITY, &[], 0), 240, 180);
        assert!(same.confirms() && same.corner_px < 0.05, "{same:?}");
    }
}
