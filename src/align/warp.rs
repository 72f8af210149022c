//! Resampling an image into another frame through a homography.
//!
//! Interpolation is bicubic convolution (Keys 1981, a = −0.5), which keeps
//! much more fine texture than bilinear; texture metrics of follow-up visits
//! are therefore barely softened by their resampling. Positions that fall
//! outside the source (beyond half a pixel from its edge) become `NaN`: the
//! valid mask is `!is_nan()`.

use crate::filters::{keys_weights, keys_weights_f64};
use crate::geometry::Homography;
use crate::raster::{GreySource, Plane, Rect, RgbPlanes, Surface};
use rayon::prelude::*;

/// ⌊v⌋ for |v| < 2^31 by truncation and a correction below zero (exact,
/// and no libm call on the SSE2 baseline).
#[inline]
fn floor(v: f32) -> f32 {
    let t = v as i32 as f32;
    if t > v { t - 1.0 } else { t }
}

/// Bicubic sample at (x, y); `NaN` outside the plane. Edge samples replicate.
#[must_use]
#[inline]
pub fn bicubic(p: &Plane, x: f32, y: f32) -> f32 {
    bicubic_source(p, x, y)
}

/// [`bicubic`] of any grey source.
#[must_use]
#[inline]
pub fn bicubic_source<S: GreySource + ?Sized>(p: &S, x: f32, y: f32) -> f32 {
    let (w, h) = (p.width(), p.height());
    if !(x >= -0.5 && y >= -0.5 && x <= w as f32 - 0.5 && y <= h as f32 - 0.5) {
        return f32::NAN;
    }
    let (xf, yf) = (floor(x), floor(y));
    let (wx, wy) = (keys_weights(x - xf), keys_weights(y - yf));
    let (x0, y0) = (xf as isize - 1, yf as isize - 1);
    let clamp = |v: isize, n: usize| v.clamp(0, n as isize - 1) as usize;
    let mut acc = 0.0f32;
    for (j, wyj) in wy.iter().enumerate() {
        let yy = clamp(y0 + j as isize, h);
        let mut r = 0.0f32;
        for (i, wxi) in wx.iter().enumerate() {
            r += wxi * p.grey(clamp(x0 + i as isize, w), yy);
        }
        acc += wyj * r;
    }
    acc
}

/// `src` resampled onto a `width × height` grid of the destination frame;
/// `dst_from_src` maps source positions to destination positions.
#[must_use]
pub fn warp_plane(src: &Plane, dst_from_src: &Homography, width: usize, height: usize) -> Plane {
    let mut out = Plane::filled(width, height, f32::NAN);
    fill_from_source(out.data_mut(), width, dst_from_src, |sx, sy| {
        bicubic(src, sx as f32, sy as f32)
    });
    out
}

/// Sets each pixel of `out` (row-major, `width` wide, in parallel rows) to
/// `sample` at its source position; pixels that map to no source position
/// (behind the camera, or a singular transform) keep their value.
fn fill_from_source<T: Send>(
    out: &mut [T],
    width: usize,
    dst_from_src: &Homography,
    sample: impl Fn(f64, f64) -> T + Sync,
) {
    let Some(src_from_dst) = dst_from_src.inverse() else {
        return;
    };
    let m = src_from_dst.0;
    out.par_chunks_mut(width.max(1))
        .enumerate()
        .for_each(|(y, row)| {
            let yf = y as f64;
            for (x, o) in row.iter_mut().enumerate() {
                let xf = x as f64;
                let wz = m[2][0] * xf + m[2][1] * yf + m[2][2];
                if wz <= 1e-12 {
                    continue;
                }
                let sx = (m[0][0] * xf + m[0][1] * yf + m[0][2]) / wz;
                let sy = (m[1][0] * xf + m[1][1] * yf + m[1][2]) / wz;
                *o = sample(sx, sy);
            }
        });
}

/// A height map resampled onto a `width × height` grid of the destination
/// frame, in f64 throughout (heights keep their precision and unit); the
/// same bicubic rule and no-data convention as [`warp_plane`].
#[must_use]
pub fn warp_surface(
    src: &Surface,
    dst_from_src: &Homography,
    width: usize,
    height: usize,
) -> Surface {
    let mut z = vec![f64::NAN; width * height];
    fill_from_source(&mut z, width, dst_from_src, |sx, sy| {
        bicubic_f64(&src.z, src.w, src.h, sx, sy)
    });
    Surface {
        w: width,
        h: height,
        z,
        unit: src.unit,
        mm_per_px: src.mm_per_px,
    }
}

/// Bicubic sample of row-major f64 values at (x, y); `NaN` outside.
fn bicubic_f64(v: &[f64], w: usize, h: usize, x: f64, y: f64) -> f64 {
    if !(x >= -0.5 && y >= -0.5 && x <= w as f64 - 0.5 && y <= h as f64 - 0.5) {
        return f64::NAN;
    }
    let (xf, yf) = (x.floor(), y.floor());
    let (wx, wy) = (keys_weights_f64(x - xf), keys_weights_f64(y - yf));
    let (x0, y0) = (xf as isize - 1, yf as isize - 1);
    let clamp = |v: isize, n: usize| v.clamp(0, n as isize - 1) as usize;
    let mut acc = 0.0;
    for (j, wyj) in wy.iter().enumerate() {
        let row = clamp(y0 + j as isize, h) * w;
        let mut r = 0.0;
        for (i, wxi) in wx.iter().enumerate() {
            r += wxi * v[row + clamp(x0 + i as isize, w)];
        }
        acc += wyj * r;
    }
    acc
}

/// All three planes of `src` resampled (see [`warp_plane`]): the same
/// values, with each pixel's source position and weights computed once for
/// the three planes and no edge clamping away from the edges.
#[must_use]
pub fn warp_rgb(
    src: &RgbPlanes,
    dst_from_src: &Homography,
    width: usize,
    height: usize,
) -> RgbPlanes {
    warp_rgb_grid(src, dst_from_src, Grid::whole(width, height))
}

/// Where the pixels of a warp's output lie in the destination frame: a
/// `width × height` grid whose pixel (i, j) has its centre at
/// `origin + step · (i, j)` in frame pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    origin: (f64, f64),
    step: f64,
    width: usize,
    height: usize,
}

impl Grid {
    /// Every pixel of a `width × height` frame.
    #[must_use]
    pub fn whole(width: usize, height: usize) -> Grid {
        Grid {
            origin: (0.0, 0.0),
            step: 1.0,
            width,
            height,
        }
    }

    /// The pixels of `rect` of the frame, at full resolution: the warp is
    /// that crop of the whole frame's warp, bit for bit (each pixel's
    /// position is the same integer in f64).
    #[must_use]
    pub fn region(rect: Rect) -> Grid {
        Grid {
            origin: (rect.x as f64, rect.y as f64),
            step: 1.0,
            width: rect.w,
            height: rect.h,
        }
    }

    /// A `width × height` frame reduced by the integer `factor`: pixel
    /// (i, j) stands for the `factor × factor` frame pixels from
    /// (factor·i, factor·j) and is sampled at their centre; ⌈width / factor⌉
    /// × ⌈height / factor⌉ pixels. The homography composed with the scale,
    /// without a full-resolution warp (no prefilter: a sample every
    /// `factor` pixels, for pictures shown small and block means).
    #[must_use]
    pub fn reduced(width: usize, height: usize, factor: usize) -> Grid {
        let f = factor.max(1);
        let centre = (f as f64 - 1.0) / 2.0;
        Grid {
            origin: (centre, centre),
            step: f as f64,
            width: width.div_ceil(f),
            height: height.div_ceil(f),
        }
    }

    /// Width of the output, px.
    #[must_use]
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height of the output, px.
    #[must_use]
    pub fn height(&self) -> usize {
        self.height
    }
}

/// [`warp_rgb`] sampled on `grid` of the destination frame only: a region
/// at full resolution, or the whole frame reduced.
#[must_use]
pub fn warp_rgb_grid(src: &RgbPlanes, dst_from_src: &Homography, grid: Grid) -> RgbPlanes {
    let _t = crate::timing::span("warp");
    let (width, height) = (grid.width, grid.height);
    let mut out = RgbPlanes {
        r: Plane::filled(width, height, f32::NAN),
        g: Plane::filled(width, height, f32::NAN),
        b: Plane::filled(width, height, f32::NAN),
        model: src.model,
    };
    let Some(src_from_dst) = dst_from_src.inverse() else {
        return out;
    };
    let m = src_from_dst.0;
    let planes = [&src.r, &src.g, &src.b];
    let (sw, sh) = (src.width(), src.height());
    let rows = out
        .r
        .data_mut()
        .par_chunks_mut(width.max(1))
        .zip(out.g.data_mut().par_chunks_mut(width.max(1)))
        .zip(out.b.data_mut().par_chunks_mut(width.max(1)));
    let place = [grid.origin.0, grid.origin.1, grid.step];
    rows.enumerate()
        .for_each(|(y, ((r, g), b))| warp_row(&m, &planes, (sw, sh), place, y, [r, g, b]));
    out
}

crate::simd::wide_fn! {
    /// Row `y` of [`warp_rgb_grid`] into `out` (the three planes' rows),
    /// `m` taking destination positions to source positions, `place` the
    /// grid's origin x, y and step. The same operations in the same order
    /// in either copy (no fused multiply-add): the AVX2 copy only schedules
    /// them better.
    fn warp_row(
        m: &[[f64; 3]; 3],
        planes: &[&Plane; 3],
        size: (usize, usize),
        place: [f64; 3],
        y: usize,
        out: [&mut [f32]; 3],
    ) {
        let [r, g, b] = out;
        let (sw, sh) = size;
        let [ox, oy, step] = place;
        let yf = oy + step * y as f64;
        let n = r.len().min(g.len()).min(b.len());
        // in runs of RUN pixels: first every position, its floor and its
        // weights (a loop without branches, so it vectorises), then the taps
        let mut start = 0;
        while start < n {
            let len = RUN.min(n - start);
            let (mut sx, mut sy, mut ahead) = ([0.0f32; RUN], [0.0f32; RUN], [false; RUN]);
            for i in 0..len {
                let xf = ox + step * (start + i) as f64;
                let wz = m[2][0] * xf + m[2][1] * yf + m[2][2];
                ahead[i] = wz > 1e-12;
                sx[i] = ((m[0][0] * xf + m[0][1] * yf + m[0][2]) / wz) as f32;
                sy[i] = ((m[1][0] * xf + m[1][1] * yf + m[1][2]) / wz) as f32;
            }
            let (mut fx, mut fy) = ([0.0f32; RUN], [0.0f32; RUN]);
            let (mut wx, mut wy) = ([[0.0f32; RUN]; 4], [[0.0f32; RUN]; 4]);
            for i in 0..len {
                (fx[i], fy[i]) = (floor(sx[i]), floor(sy[i]));
                let (a, b) = (keys_weights(sx[i] - fx[i]), keys_weights(sy[i] - fy[i]));
                for k in 0..4 {
                    (wx[k][i], wy[k][i]) = (a[k], b[k]);
                }
            }
            for i in 0..len {
                if !ahead[i] {
                    continue;
                }
                let t = Tap {
                    x: sx[i],
                    y: sy[i],
                    floor: (fx[i], fy[i]),
                    wx: [wx[0][i], wx[1][i], wx[2][i], wx[3][i]],
                    wy: [wy[0][i], wy[1][i], wy[2][i], wy[3][i]],
                };
                if let Some(v) = bicubic3(planes, sw, sh, &t) {
                    let x = start + i;
                    (r[x], g[x], b[x]) = (v[0], v[1], v[2]);
                }
            }
            start += len;
        }
    }
}

/// Pixels of a row whose positions and weights [`warp_row`] computes at once.
const RUN: usize = 64;

/// A destination pixel's source position, its floor and its bicubic
/// weights.
struct Tap {
    x: f32,
    y: f32,
    floor: (f32, f32),
    wx: [f32; 4],
    wy: [f32; 4],
}

/// [`bicubic`] of three `w × h` planes at one position (`None` outside):
/// inside, the weights computed once and no clamping; near the edges,
/// [`bicubic`] of each plane.
#[inline(always)]
fn bicubic3(planes: &[&Plane; 3], w: usize, h: usize, t: &Tap) -> Option<[f32; 3]> {
    let (x, y) = (t.x, t.y);
    if !(x >= -0.5 && y >= -0.5 && x <= w as f32 - 0.5 && y <= h as f32 - 0.5) {
        return None;
    }
    let (xf, yf) = t.floor;
    let (x0, y0) = (xf as isize - 1, yf as isize - 1);
    if !(x0 >= 0 && y0 >= 0 && x0 as usize + 3 < w && y0 as usize + 3 < h) {
        return Some(planes.map(|p| bicubic(p, x, y)));
    }
    let (wx, wy) = (t.wx, t.wy);
    let (x0, y0) = (x0 as usize, y0 as usize);
    // per plane, the sums of `bicubic` in its order: each row's four taps
    // from 0.0 left to right, then the rows from 0.0 top to bottom (the
    // planes interleaved, and no closure per plane)
    let mut acc = [0.0f32; 3];
    for (j, &wyj) in wy.iter().enumerate() {
        let at = (y0 + j) * w + x0;
        for (a, p) in acc.iter_mut().zip(planes) {
            let v = &p.data()[at..at + 4];
            let r = (((0.0 + wx[0] * v[0]) + wx[1] * v[1]) + wx[2] * v[2]) + wx[3] * v[3];
            *a += wyj * r;
        }
    }
    Some(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_matches_libm() {
        for v in [
            -0.5f32,
            -0.25,
            -0.0,
            0.0,
            0.999_999_9,
            1.0,
            3.999_999_8,
            -1.0,
            -1.000_000_1,
        ] {
            assert_eq!(floor(v), v.floor(), "{v}");
        }
        for i in -4000..4000 {
            let v = i as f32 * 0.013_7;
            assert_eq!(floor(v), v.floor(), "{v}");
        }
    }

    #[test]
    fn bicubic_reproduces_quadratics_inside() {
        // Keys' kernel is exact for polynomials up to degree 2
        let p = Plane::from_fn(12, 10, |x, y| (x * x) as f32 * 0.5 + y as f32 * 3.0);
        let v = bicubic(&p, 5.3, 4.6);
        let want = 0.5 * 5.3f32 * 5.3 + 4.6 * 3.0;
        assert!((v - want).abs() < 1e-3, "{v} vs {want}");
        assert!(bicubic(&p, -0.6, 3.0).is_nan());
    }

    #[test]
    fn rgb_warp_equals_the_plane_warp_of_each_plane() {
        let mut s = 7u32;
        let mut next = || {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / 65_536.0
        };
        // rows of 150 px: three runs of the row loop, the last one short
        let (w, h) = (150, 29);
        let planes: Vec<Plane> = (0..3)
            .map(|_| Plane::from_fn(w, h, |_, _| next()))
            .collect();
        let src = RgbPlanes {
            r: planes[0].clone(),
            g: planes[1].clone(),
            b: planes[2].clone(),
            model: crate::raster::ColourModel::Rgb,
        };
        // rotation, zoom and perspective: edges, interior and outside
        let t = Homography([
            [0.97, -0.08, 2.3],
            [0.09, 1.02, -1.7],
            [0.0005, -0.0004, 1.0],
        ]);
        // the AVX2 copy of the row loop (where the CPU has it) and the
        // baseline one
        let _switch = crate::simd::hold_switch();
        for copies in [crate::simd::Copies::Best, crate::simd::Copies::Baseline] {
            crate::simd::use_copies(copies);
            let rgb = warp_rgb(&src, &t, 160, 33);
            for (got, p) in [&rgb.r, &rgb.g, &rgb.b].into_iter().zip(&planes) {
                let want = warp_plane(p, &t, 160, 33);
                for (a, b) in got.data().iter().zip(want.data()) {
                    assert!(a.to_bits() == b.to_bits(), "{copies:?}: {a} vs {b}");
                }
            }
        }
        crate::simd::use_copies(crate::simd::Copies::Best);
    }

    /// Three planes of pseudo-random values.
    fn noise_rgb(w: usize, h: usize, seed: u32) -> RgbPlanes {
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / 65_536.0
        };
        let mut plane = || Plane::from_fn(w, h, |_, _| next());
        RgbPlanes {
            r: plane(),
            g: plane(),
            b: plane(),
            model: crate::raster::ColourModel::Rgb,
        }
    }

    #[test]
    fn region_warp_is_the_crop_of_the_whole_warp_bit_for_bit() {
        let src = noise_rgb(53, 41, 11);
        let t = Homography([
            [0.97, -0.08, 2.3],
            [0.09, 1.02, -1.7],
            [0.0005, -0.0004, 1.0],
        ]);
        let whole = warp_rgb(&src, &t, 60, 47);
        let bits = |p: &Plane| p.data().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let _switch = crate::simd::hold_switch();
        for copies in [crate::simd::Copies::Best, crate::simd::Copies::Baseline] {
            crate::simd::use_copies(copies);
            // inside, across the source's edges, and reaching the frame's
            for rect in [
                Rect::new(10, 8, 20, 15),
                Rect::new(0, 0, 60, 47),
                Rect::new(41, 30, 19, 17),
                Rect::new(0, 33, 7, 14),
            ] {
                let part = warp_rgb_grid(&src, &t, Grid::region(rect));
                let want = whole.crop(rect);
                for (got, want) in [(&part.r, &want.r), (&part.g, &want.g), (&part.b, &want.b)] {
                    assert_eq!(bits(got), bits(want), "{copies:?} {rect:?}");
                }
            }
        }
        crate::simd::use_copies(crate::simd::Copies::Best);
    }

    #[test]
    fn reduced_warp_samples_the_frame_at_block_centres() {
        let src = noise_rgb(50, 37, 5);
        let t = Homography::similarity_about(0.05, 1.02, 25.0, 18.0);
        for factor in [1, 2, 3] {
            let grid = Grid::reduced(50, 37, factor);
            assert_eq!(
                (grid.width(), grid.height()),
                (50usize.div_ceil(factor), 37usize.div_ceil(factor))
            );
            let got = warp_rgb_grid(&src, &t, grid);
            // naive: the composed transform, pixel by pixel through the
            // plane warp's sampler
            let inv = t.inverse().expect("invertible");
            let c = (factor as f64 - 1.0) / 2.0;
            for j in 0..grid.height() {
                for i in 0..grid.width() {
                    let (x, y) = (c + (factor * i) as f64, c + (factor * j) as f64);
                    let want = inv
                        .apply(x, y)
                        .map_or(f32::NAN, |(sx, sy)| bicubic(&src.g, sx as f32, sy as f32));
                    let v = got.g.at(i, j);
                    assert_eq!(v.is_nan(), want.is_nan(), "f{factor} ({i}, {j})");
                    if want.is_finite() {
                        // the same sums; a position rounded differently
                        // moves a sample by far less than 1e-4
                        assert!(
                            (v - want).abs() < 1e-4,
                            "f{factor} ({i}, {j}): {v} vs {want}"
                        );
                    }
                }
            }
        }
        // factor 1 is the whole warp, bit for bit
        let whole = warp_rgb(&src, &t, 50, 37);
        let one = warp_rgb_grid(&src, &t, Grid::reduced(50, 37, 1));
        let bits = |p: &Plane| p.data().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for (a, b) in [(&one.r, &whole.r), (&one.g, &whole.g), (&one.b, &whole.b)] {
            assert_eq!(bits(a), bits(b));
        }
    }

    #[test]
    fn warp_by_integer_shift_moves_pixels() {
        let p = Plane::from_fn(20, 16, |x, y| (x + 100 * y) as f32);
        // dst = src + (3, 2)
        let out = warp_plane(&p, &Homography::translation(3.0, 2.0), 20, 16);
        assert!((out.at(10, 8) - p.at(7, 6)).abs() < 1e-3);
        assert!(out.at(1, 1).is_nan());
    }

    #[test]
    fn surface_warp_keeps_f64_heights_and_matches_the_plane_warp() {
        use crate::raster::HeightUnit;
        // heights with detail below f32 precision around a large offset
        let (w, h) = (40, 30);
        let z: Vec<f64> = (0..w * h)
            .map(|i| 1000.0 + ((i % w) as f64 * 0.37).sin() * 25.0 + (i / w) as f64 * 1e-6)
            .collect();
        let s = Surface {
            w,
            h,
            z: z.clone(),
            unit: HeightUnit::Um,
            mm_per_px: None,
        };
        // an integer shift samples the source exactly (weights 0, 1, 0, 0)
        let shift = Homography::translation(3.0, 2.0);
        let out = warp_surface(&s, &shift, w, h);
        for y in 2..h {
            for x in 3..w {
                assert_eq!(out.z[y * w + x], z[(y - 2) * w + x - 3]);
            }
        }
        assert!(out.z[0].is_nan() && out.unit == HeightUnit::Um);
        // any transform: the same as the f32 plane warp to f32 precision
        let t = Homography::similarity_about(0.1, 1.05, 20.0, 15.0);
        let plane = Plane::from_fn(w, h, |x, y| z[y * w + x] as f32);
        let want = warp_plane(&plane, &t, w, h);
        let got = warp_surface(&s, &t, w, h);
        for (a, b) in got.z.iter().zip(want.data()) {
            assert_eq!(a.is_nan(), b.is_nan());
            if a.is_finite() {
                // f32 sums of ~1000 µm: a few ulp of 6e-5
                assert!((a - f64::from(*b)).abs() < 1e-3, "{a} vs {b}");
            }
        }
    }
}
