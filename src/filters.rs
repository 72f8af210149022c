//! Numerical image kernels shared by several stages: Gaussian blur, box
//! means, pyramid reduction, derivatives, bicubic interpolation weights.
//!
//! Borders use symmetric reflection (`d c b a | a b c d`, SciPy's `reflect`),
//! so a blur of a constant image is that constant everywhere. Every kernel is
//! elementwise-deterministic: rows are processed in parallel, but each output
//! value is computed by one fixed sequence of operations.

use crate::raster::{GreySource, Plane};
use crate::simd::wide_fn;
use rayon::prelude::*;

/// Index `i` reflected symmetrically into `0..n` (`n > 0`).
#[must_use]
#[inline]
pub fn reflect(i: isize, n: usize) -> usize {
    let n = n as isize;
    let period = 2 * n;
    let mut m = i.rem_euclid(period);
    if m >= n {
        m = period - 1 - m;
    }
    m as usize
}

/// Largest σ a kernel is made for, px: 4σ is then 4096 px, beyond which no
/// image skintrack reads at its working resolution differs from its mean;
/// a kernel size is bounded by construction, whatever a caller derives σ
/// from.
pub const MAX_SIGMA_PX: f64 = 1024.0;

/// Normalised 1-D Gaussian taps for `sigma` px, radius `round(4σ)` (SciPy's
/// `truncate = 4`). `sigma <= 0` gives the identity kernel; σ above
/// [`MAX_SIGMA_PX`] is taken as that.
#[must_use]
pub fn gaussian_kernel(sigma: f64) -> Vec<f32> {
    if sigma.is_nan() || sigma <= 0.0 {
        return vec![1.0];
    }
    let sigma = sigma.min(MAX_SIGMA_PX);
    let radius = (4.0 * sigma + 0.5) as isize;
    let taps: Vec<f64> = (-radius..=radius)
        .map(|i| (-0.5 * (i as f64 / sigma).powi(2)).exp())
        .collect();
    let sum: f64 = taps.iter().sum();
    taps.iter().map(|&t| (t / sum) as f32).collect()
}

/// Convolution with a symmetric odd-length kernel along rows then columns.
#[must_use]
pub fn separable(p: &Plane, kernel: &[f32]) -> Plane {
    let mut out = Plane::filled(0, 0, 0.0);
    separable_into(p, kernel, &mut out);
    out
}

/// [`separable`] into `dst` (resized to the plane's size and reused, so a
/// scale space allocates nothing per level).
///
/// Bands of output rows run in parallel; each keeps the row-filtered rows
/// its column sums need in a ring of 2r + 1 rows, which stays in cache, so
/// no full-size intermediate is written and read back. The arithmetic is
/// that of [`convolve_rows`] then [`convolve_cols`], value for value.
pub fn separable_into(p: &Plane, kernel: &[f32], dst: &mut Plane) {
    let (w, h) = (p.width(), p.height());
    fit(dst, w, h);
    if w == 0 || h == 0 {
        return;
    }
    let r = kernel.len() / 2;
    let span = 2 * r + 1;
    // each band filters 2r rows twice (its halo): tall bands keep that small
    let band = (16 * r).max(32);
    dst.data_mut()
        .par_chunks_mut(band * w)
        .enumerate()
        .for_each_init(
            || {
                (
                    vec![0.0f32; span * w],
                    vec![0.0f32; w + 2 * r],
                    vec![0; span],
                )
            },
            |(ring, padded, starts), (b, out)| {
                // virtual row v (any integer; source row reflect(v)) is kept
                // in ring slot v mod (2r + 1)
                let slot = |v: isize| v.rem_euclid(span as isize) as usize * w;
                let mut filter = |v: isize, ring: &mut [f32]| {
                    let s = slot(v);
                    filter_row(p.row(reflect(v, h)), kernel, padded, &mut ring[s..s + w]);
                };
                let y0 = (b * band) as isize;
                for v in y0 - r as isize..y0 + r as isize {
                    filter(v, ring);
                }
                for (i, d) in out.chunks_exact_mut(w).enumerate() {
                    let y = y0 + i as isize;
                    filter(y + r as isize, ring);
                    for (k, s) in starts.iter_mut().enumerate() {
                        *s = slot(y - r as isize + k as isize);
                    }
                    column_taps(kernel, ring, starts, d);
                }
            },
        );
}

wide_fn! {
    /// One row convolved with a symmetric odd-length kernel (borders
    /// reflected) into `dst`; `padded` is scratch of `src.len() +
    /// kernel.len() − 1`.
    fn filter_row(src: &[f32], kernel: &[f32], padded: &mut [f32], dst: &mut [f32]) {
        let w = src.len();
        let r = kernel.len() / 2;
        padded[r..r + w].copy_from_slice(src);
        for i in (0..r).chain(r + w..w + 2 * r) {
            padded[i] = src[reflect(i as isize - r as isize, w)];
        }
        // taps outer, pixels inner: the inner loops are vectorisable; the
        // kernel is symmetric, so mirrored taps share one multiply
        for (d, &s) in dst.iter_mut().zip(&padded[r..r + w]) {
            *d = kernel[r] * s;
        }
        for (k, &kv) in kernel[..r].iter().enumerate() {
            let (left, right) = (&padded[k..k + w], &padded[2 * r - k..2 * r - k + w]);
            for ((d, &a), &b) in dst.iter_mut().zip(left).zip(right) {
                *d += kv * (a + b);
            }
        }
    }
}

wide_fn! {
    /// One output row of a column convolution: the input row at offset
    /// k − r from it starts at `src[starts[k]]` (k in 0..=2r).
    fn column_taps(kernel: &[f32], src: &[f32], starts: &[usize], dst: &mut [f32]) {
        let (c, w) = (kernel.len() / 2, dst.len());
        let row = |k: usize| &src[starts[k]..starts[k] + w];
        for (d, &s) in dst.iter_mut().zip(row(c)) {
            *d = kernel[c] * s;
        }
        // symmetric kernel: mirrored rows share one multiply
        for (k, &kv) in kernel[..c].iter().enumerate() {
            for ((d, &a), &b) in dst.iter_mut().zip(row(k)).zip(row(2 * c - k)) {
                *d += kv * (a + b);
            }
        }
    }
}

/// [`gaussian_blur`] into `dst` (resized to the plane's size and reused).
pub fn gaussian_blur_into(p: &Plane, sigma: f64, dst: &mut Plane) {
    separable_into(p, &gaussian_kernel(sigma), dst);
}

fn fit(p: &mut Plane, w: usize, h: usize) {
    if p.width() != w || p.height() != h {
        *p = Plane::filled(w, h, 0.0);
    }
}

/// Gaussian blur with standard deviation `sigma` px.
#[must_use]
pub fn gaussian_blur(p: &Plane, sigma: f64) -> Plane {
    if sigma <= 0.0 || p.is_empty() {
        return p.clone();
    }
    separable(p, &gaussian_kernel(sigma))
}

/// Convolves every row with `kernel` (odd length, centred, symmetric).
#[must_use]
pub fn convolve_rows(p: &Plane, kernel: &[f32]) -> Plane {
    let (w, h) = (p.width(), p.height());
    let mut out = Plane::filled(w, h, 0.0);
    if w == 0 || h == 0 {
        return out;
    }
    out.data_mut().par_chunks_mut(w).enumerate().for_each_init(
        || vec![0.0f32; w + kernel.len() - 1],
        |padded, (y, dst)| filter_row(p.row(y), kernel, padded, dst),
    );
    out
}

/// Convolves every column with `kernel` (odd length, centred, symmetric).
#[must_use]
pub fn convolve_cols(p: &Plane, kernel: &[f32]) -> Plane {
    let (w, h) = (p.width(), p.height());
    let mut out = Plane::filled(w, h, 0.0);
    if w == 0 || h == 0 {
        return out;
    }
    let r = (kernel.len() / 2) as isize;
    out.data_mut().par_chunks_mut(w).enumerate().for_each_init(
        || vec![0; kernel.len()],
        |starts, (y, dst)| {
            for (k, s) in starts.iter_mut().enumerate() {
                *s = reflect(y as isize + k as isize - r, h) * w;
            }
            column_taps(kernel, p.data(), starts, dst);
        },
    );
    out
}

/// Defines a Keys (1981, a = −0.5) bicubic weight function for one float type.
macro_rules! keys_weights_fn {
    ($(#[$doc:meta])* $name:ident, $t:ty) => {
        $(#[$doc])*
        #[must_use]
        #[inline]
        pub fn $name(t: $t) -> [$t; 4] {
            let a: $t = -0.5;
            let w = |x: $t| {
                let x = x.abs();
                if x <= 1.0 {
                    ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
                } else if x < 2.0 {
                    ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
                } else {
                    0.0
                }
            };
            [w(1.0 + t), w(t), w(1.0 - t), w(2.0 - t)]
        }
    };
}

keys_weights_fn!(
    /// Bicubic convolution weights (Keys 1981, "Cubic convolution
    /// interpolation for digital image processing", doi:10.1109/TASSP.1981.1163711,
    /// a = −0.5) of the samples at offsets −1, 0, 1, 2 for a fractional
    /// position `t` in [0, 1); they sum to 1 and are (0, 1, 0, 0) at `t` = 0.
    keys_weights,
    f32
);
keys_weights_fn!(
    /// [`keys_weights`] in f64 (heights, which need no f32 round trip).
    keys_weights_f64,
    f64
);

/// Halves the resolution: a [1 3 3 1]/8 binomial filter centred between
/// pixel pairs, then every second sample, so level pixel i sits at
/// full-resolution position 2i + 0.5 (see `Homography::scale_pixel_centres`).
/// Output size is `⌊w/2⌋ × ⌊h/2⌋`.
#[must_use]
pub fn reduce(p: &Plane) -> Plane {
    reduce_source(p)
}

/// [`reduce`] of any grey source (e.g. the luminance of a colour photo,
/// computed on the fly): each output row filters its four source rows
/// horizontally into a small scratch buffer, so no full-size temporary is made.
#[must_use]
pub fn reduce_source<S: GreySource + ?Sized>(p: &S) -> Plane {
    let (w, h) = (p.width(), p.height());
    let (w2, h2) = (w / 2, h / 2);
    let mut out = Plane::filled(w2, h2, 0.0);
    if w2 == 0 || h2 == 0 {
        return out;
    }
    // out[x] = (s[2x−1] + 3 s[2x] + 3 s[2x+1] + s[2x+2]) / 8 on a row padded
    // by one reflected sample each side
    let hrow = |src: &mut [f32], dst: &mut [f32], y: usize| {
        p.row_into(y, &mut src[1..=w]);
        src[0] = src[1];
        src[w + 1] = src[w];
        if w + 2 < src.len() {
            src[w + 2] = src[w - 1];
        }
        for (x, d) in dst.iter_mut().enumerate() {
            let s = &src[2 * x..2 * x + 4];
            *d = (s[0] + 3.0 * s[1] + 3.0 * s[2] + s[3]) * 0.125;
        }
    };
    out.data_mut().par_chunks_mut(w2).enumerate().for_each_init(
        || (vec![0.0f32; 4 * w2], vec![0.0f32; w + 3]),
        |(scratch, src), (y, dst)| {
            let i = 2 * y as isize;
            for (k, chunk) in scratch.chunks_mut(w2).enumerate() {
                hrow(src, chunk, reflect(i - 1 + k as isize, h));
            }
            let (r0, rest) = scratch.split_at(w2);
            let (r1, rest) = rest.split_at(w2);
            let (r2, r3) = rest.split_at(w2);
            for x in 0..w2 {
                dst[x] = 0.125 * r0[x] + 0.375 * r1[x] + 0.375 * r2[x] + 0.125 * r3[x];
            }
        },
    );
    out
}

/// Central-difference derivatives (∂/∂x, ∂/∂y), one-sided at the border.
#[must_use]
pub fn gradients(p: &Plane) -> (Plane, Plane) {
    let (w, h) = (p.width(), p.height());
    let mut gx = Plane::filled(w, h, 0.0);
    let mut gy = Plane::filled(w, h, 0.0);
    if w < 2 || h < 2 {
        return (gx, gy);
    }
    gx.data_mut()
        .par_chunks_mut(w)
        .enumerate()
        .for_each(|(y, dst)| {
            let s = p.row(y);
            dst[0] = s[1] - s[0];
            dst[w - 1] = s[w - 1] - s[w - 2];
            for x in 1..w - 1 {
                dst[x] = 0.5 * (s[x + 1] - s[x - 1]);
            }
        });
    gy.data_mut()
        .par_chunks_mut(w)
        .enumerate()
        .for_each(|(y, dst)| {
            let (a, b, k) = if y == 0 {
                (p.row(0), p.row(1), 1.0)
            } else if y == h - 1 {
                (p.row(h - 2), p.row(h - 1), 1.0)
            } else {
                (p.row(y - 1), p.row(y + 1), 0.5)
            };
            for x in 0..w {
                dst[x] = k * (b[x] - a[x]);
            }
        });
    (gx, gy)
}

/// Mean over a (2r+1)² square (borders reflected), by running sums in f64:
/// O(1) per pixel whatever `r`. Rows are processed in fixed bands of 64, so
/// the result does not depend on the thread count.
#[must_use]
pub fn box_mean(p: &Plane, r: usize) -> Plane {
    let (w, h) = (p.width(), p.height());
    if r == 0 || w == 0 || h == 0 {
        return p.clone();
    }
    let ri = r as isize;
    let k = (2 * r + 1) as f64;
    let mut rows = Plane::filled(w, h, 0.0);
    rows.data_mut()
        .par_chunks_mut(w)
        .enumerate()
        .for_each(|(y, dst)| {
            let s = p.row(y);
            let mut acc: f64 = (-ri..=ri).map(|i| f64::from(s[reflect(i, w)])).sum();
            for (x, d) in dst.iter_mut().enumerate() {
                *d = (acc / k) as f32;
                let xi = x as isize;
                acc += f64::from(s[reflect(xi + ri + 1, w)]) - f64::from(s[reflect(xi - ri, w)]);
            }
        });
    const BAND: usize = 64;
    let mut out = Plane::filled(w, h, 0.0);
    out.data_mut()
        .par_chunks_mut(w * BAND)
        .enumerate()
        .for_each(|(b, dst)| {
            let y0 = b * BAND;
            let mut acc = vec![0.0f64; w];
            for i in -ri..=ri {
                for (a, &v) in acc.iter_mut().zip(rows.row(reflect(y0 as isize + i, h))) {
                    *a += f64::from(v);
                }
            }
            for (j, drow) in dst.chunks_mut(w).enumerate() {
                let y = (y0 + j) as isize;
                for (d, a) in drow.iter_mut().zip(&acc) {
                    *d = (*a / k) as f32;
                }
                let add = rows.row(reflect(y + ri + 1, h));
                let sub = rows.row(reflect(y - ri, h));
                for ((a, &ad), &sb) in acc.iter_mut().zip(add).zip(sub) {
                    *a += f64::from(ad) - f64::from(sb);
                }
            }
        });
    out
}

/// Sum of `f64` values in fixed-size chunks summed in order: the same result
/// on any number of threads (a plain parallel sum is not).
#[must_use]
pub fn det_sum(values: &[f64]) -> f64 {
    const CHUNK: usize = 1 << 14;
    let partial: Vec<f64> = values
        .par_chunks(CHUNK)
        .map(|c| c.iter().sum::<f64>())
        .collect();
    partial.iter().sum()
}

/// Deterministic parallel sum of `f(x)` over `values`, in fixed chunks.
pub fn det_sum_by<T: Sync>(values: &[T], f: impl Fn(&T) -> f64 + Sync) -> f64 {
    const CHUNK: usize = 1 << 14;
    let partial: Vec<f64> = values
        .par_chunks(CHUNK)
        .map(|c| c.iter().map(&f).sum::<f64>())
        .collect();
    partial.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn blur_naive(p: &Plane, sigma: f64) -> Plane {
        let k = gaussian_kernel(sigma);
        let r = (k.len() / 2) as isize;
        let (w, h) = (p.width(), p.height());
        Plane::from_fn(w, h, |x, y| {
            let mut s = 0.0f64;
            for (j, &kj) in k.iter().enumerate() {
                for (i, &ki) in k.iter().enumerate() {
                    let xx = reflect(x as isize + i as isize - r, w);
                    let yy = reflect(y as isize + j as isize - r, h);
                    s += f64::from(ki) * f64::from(kj) * f64::from(p.at(xx, yy));
                }
            }
            s as f32
        })
    }

    fn arb_plane() -> impl Strategy<Value = Plane> {
        (1usize..24, 1usize..24).prop_flat_map(|(w, h)| {
            proptest::collection::vec(0.0f32..255.0, w * h)
                .prop_map(move |d| Plane::from_vec(w, h, d).unwrap())
        })
    }

    proptest! {
        #[test]
        fn box_mean_matches_naive(p in arb_plane(), r in 0usize..6) {
            let (w, h) = (p.width(), p.height());
            let got = box_mean(&p, r);
            let ri = r as isize;
            for y in 0..h {
                for x in 0..w {
                    let mut s = 0.0f64;
                    for dy in -ri..=ri {
                        for dx in -ri..=ri {
                            s += f64::from(p.at(reflect(x as isize + dx, w), reflect(y as isize + dy, h)));
                        }
                    }
                    let want = s / ((2 * r + 1) * (2 * r + 1)) as f64;
                    // running f64 sums: error ~1e-12, then one f32 rounding
                    prop_assert!((f64::from(got.at(x, y)) - want).abs() < 1e-3);
                }
            }
        }
    }

    #[test]
    fn reflect_is_symmetric() {
        let got: Vec<usize> = (-4..8).map(|i| reflect(i, 4)).collect();
        assert_eq!(got, vec![3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0]);
        assert_eq!(reflect(-9, 1), 0);
    }

    #[test]
    fn kernel_matches_scipy_radius_and_sums_to_one() {
        assert_eq!(gaussian_kernel(4.0).len(), 33);
        assert_eq!(gaussian_kernel(1.0).len(), 9);
        let s: f32 = gaussian_kernel(2.5).iter().sum();
        assert!((s - 1.0).abs() < 1e-6);
    }

    proptest! {
        #[test]
        fn blur_matches_naive(p in arb_plane(), sigma in 0.3f64..3.0) {
            let a = gaussian_blur(&p, sigma);
            let b = blur_naive(&p, sigma);
            // f32 accumulation over <= 25x25 taps of values <= 255: error ~1e-4
            for (x, y) in a.data().iter().zip(b.data()) {
                prop_assert!((x - y).abs() < 2e-3, "{} vs {}", x, y);
            }
        }

        /// The fused blur (row-filtered rows kept in a ring) performs the
        /// arithmetic of the two separate passes, value for value, for any
        /// kernel radius against any band height and plane size.
        #[test]
        fn fused_blur_equals_rows_then_columns(
            p in (1usize..12, 1usize..300).prop_flat_map(|(w, h)| {
                proptest::collection::vec(0.0f32..255.0, w * h)
                    .prop_map(move |d| Plane::from_vec(w, h, d).unwrap())
            }),
            sigma in 0.3f64..12.0,
        ) {
            let k = gaussian_kernel(sigma);
            let fused = separable(&p, &k);
            let two_pass = convolve_cols(&convolve_rows(&p, &k), &k);
            let bits = |q: &Plane| q.data().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&fused), bits(&two_pass));
        }

        #[test]
        fn reduce_of_constant_is_constant(v in 0.0f32..255.0, w in 2usize..20, h in 2usize..20) {
            let r = reduce(&Plane::filled(w, h, v));
            prop_assert_eq!((r.width(), r.height()), (w / 2, h / 2));
            for &x in r.data() { prop_assert!((x - v).abs() < 1e-3); }
        }
    }

    #[test]
    fn keys_weights_sum_to_one_and_interpolate() {
        for t in [0.0, 0.25, 0.5, 0.9] {
            let s: f32 = keys_weights(t).iter().sum();
            assert!((s - 1.0).abs() < 1e-6);
        }
        assert_eq!(keys_weights(0.0), [0.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn reduce_keeps_a_ramp_on_pixel_centres() {
        // f(x) = x at full res; level pixel i is centred at 2i + 0.5
        let p = Plane::from_fn(16, 4, |x, _| x as f32);
        let r = reduce(&p);
        for i in 1..7 {
            assert!((r.at(i, 1) - (2.0 * i as f32 + 0.5)).abs() < 1e-5);
        }
    }

    #[test]
    fn det_sum_ignores_thread_count() {
        let v: Vec<f64> = (0..200_000)
            .map(|i| ((i * 7919) % 1000) as f64 * 0.1 + 1e-7)
            .collect();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| det_sum(&v));
        let four = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap()
            .install(|| det_sum(&v));
        assert_eq!(one.to_bits(), four.to_bits());
    }
}
