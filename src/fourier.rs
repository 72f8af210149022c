//! Small 2-D Fourier helpers over rustfft: in-place complex transforms of a
//! row-major grid (rows, then columns through a transposed scratch copy).

use rayon::prelude::*;
use rustfft::FftPlanner;
use rustfft::num_complex::Complex32;

/// The signed frequency of bin `k` of an `n`-point transform, in cycles
/// per sample (bins above `n / 2` are the negative frequencies).
#[must_use]
pub fn frequency(k: usize, n: usize) -> f64 {
    let k = if k > n / 2 {
        k as f64 - n as f64
    } else {
        k as f64
    };
    k / n as f64
}

/// Direction of a transform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// e^(−2πi kn/N).
    Forward,
    /// e^(+2πi kn/N), unnormalised.
    Inverse,
}

/// Plans and runs 2-D transforms of one size.
pub struct Fft2 {
    w: usize,
    h: usize,
    rows_f: std::sync::Arc<dyn rustfft::Fft<f32>>,
    cols_f: std::sync::Arc<dyn rustfft::Fft<f32>>,
    rows_i: std::sync::Arc<dyn rustfft::Fft<f32>>,
    cols_i: std::sync::Arc<dyn rustfft::Fft<f32>>,
}

impl Fft2 {
    /// Plans `w × h` transforms.
    #[must_use]
    pub fn new(w: usize, h: usize) -> Fft2 {
        let mut p = FftPlanner::new();
        Fft2 {
            w,
            h,
            rows_f: p.plan_fft_forward(w),
            cols_f: p.plan_fft_forward(h),
            rows_i: p.plan_fft_inverse(w),
            cols_i: p.plan_fft_inverse(h),
        }
    }

    /// Transforms `data` (row-major, `w × h`) in place.
    pub fn run(&self, data: &mut [Complex32], dir: Direction) {
        let (w, h) = (self.w, self.h);
        let (rows, cols) = match dir {
            Direction::Forward => (&self.rows_f, &self.cols_f),
            Direction::Inverse => (&self.rows_i, &self.cols_i),
        };
        data.par_chunks_mut(w).for_each(|r| rows.process(r));
        let mut t = vec![Complex32::new(0.0, 0.0); w * h];
        t.par_chunks_mut(h).enumerate().for_each(|(x, col)| {
            for (y, c) in col.iter_mut().enumerate() {
                *c = data[y * w + x];
            }
            cols.process(col);
        });
        data.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
            for (x, c) in row.iter_mut().enumerate() {
                *c = t[x * h + y];
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_then_inverse_is_identity_times_n() {
        let (w, h) = (12, 10);
        let orig: Vec<Complex32> = (0..w * h)
            .map(|i| Complex32::new((i % 7) as f32, (i % 3) as f32))
            .collect();
        let mut d = orig.clone();
        let f = Fft2::new(w, h);
        f.run(&mut d, Direction::Forward);
        // DC term is the sum
        let sum: Complex32 = orig.iter().sum();
        assert!((d[0] - sum).norm() < 1e-3);
        f.run(&mut d, Direction::Inverse);
        for (a, b) in d.iter().zip(&orig) {
            assert!((a / (w * h) as f32 - b).norm() < 1e-4);
        }
    }

    #[test]
    fn matches_a_naive_dft() {
        let (w, h) = (5, 4);
        let x: Vec<Complex32> = (0..w * h)
            .map(|i| Complex32::new(((i * 37) % 11) as f32, 0.0))
            .collect();
        let mut d = x.clone();
        Fft2::new(w, h).run(&mut d, Direction::Forward);
        for v in 0..h {
            for u in 0..w {
                let mut s = rustfft::num_complex::Complex64::new(0.0, 0.0);
                for yy in 0..h {
                    for xx in 0..w {
                        let ang = -std::f64::consts::TAU
                            * ((u * xx) as f64 / w as f64 + (v * yy) as f64 / h as f64);
                        s += rustfft::num_complex::Complex64::from_polar(
                            f64::from(x[yy * w + xx].re),
                            ang,
                        );
                    }
                }
                let got = d[v * w + u];
                assert!(
                    (f64::from(got.re) - s.re).abs() < 1e-3
                        && (f64::from(got.im) - s.im).abs() < 1e-3
                );
            }
        }
    }
}
