//! Height maps as surfaces: levelling (F-operators) and ISO 25178 areal
//! parameters; scars are found in the form-removed surface
//! ([`super::scars`], re-exported here).
//!
//! - **F-operator for ISO parameters**: the least-squares plane over every
//!   valid pixel (ISO 25178-2 "levelled" surface; no S- or L-filter, no
//!   sub-areas). Sa, Sq, Sp, Sv, Sz, Ssk, Sku and Sdr are computed on it,
//!   exactly as DESIGN.md and the heightmaps truth define them.
//! - **F-operator for scars (form removal)**: a degree-2 polynomial fitted
//!   robustly (Tukey biweight, c = 4.685 robust σ) so that the skin's
//!   curvature is removed while the scars themselves, being far below the
//!   fit, do not pull it down. Scar depth is measured from that reference.
//!
//! Without a physical scale every value is in pixel units.

pub use super::scars::{Scar, ScarType, find_scars, scars_in_depth};
pub use crate::raster::{HeightUnit, Surface};
use crate::stats::median;
#[cfg(test)]
use crate::units::MmPerPx;
use rayon::prelude::*;
use serde::Serialize;

/// ISO 25178-2 height parameters of a levelled surface.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[allow(non_snake_case)]
pub struct Iso25178 {
    /// Arithmetic mean height.
    pub Sa: f64,
    /// Root mean square height.
    pub Sq: f64,
    /// Maximum peak height.
    pub Sp: f64,
    /// Maximum pit depth.
    pub Sv: f64,
    /// Maximum height, Sp + Sv.
    pub Sz: f64,
    /// Skewness.
    pub Ssk: f64,
    /// Kurtosis.
    pub Sku: f64,
    /// Developed interfacial area ratio (needs a lateral scale for µm
    /// heights; `None` without one).
    pub Sdr: Option<f64>,
}

impl Surface {
    /// The residual of the least-squares plane over every valid pixel.
    #[must_use]
    pub fn level_plane(&self) -> Vec<f64> {
        let model = fit_poly(self, 1, 1, None);
        self.residual(&model)
    }

    /// The residual of a robust degree-2 fit (curvature removed).
    #[must_use]
    pub fn remove_form(&self) -> Vec<f64> {
        let model = robust_poly2(self);
        self.residual(&model)
    }

    fn residual(&self, model: &Poly) -> Vec<f64> {
        let w = self.w;
        let mut out = vec![f64::NAN; self.z.len()];
        out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
            for (x, o) in row.iter_mut().enumerate() {
                let v = self.z[y * w + x];
                if v.is_finite() {
                    *o = v - model.at(x, y);
                }
            }
        });
        out
    }
}

/// A polynomial in centred, scaled pixel coordinates.
struct Poly {
    degree: usize,
    coef: [f64; 6],
    cx: f64,
    cy: f64,
    s: f64,
}

impl Poly {
    fn terms(&self, x: usize, y: usize) -> [f64; 6] {
        let u = (x as f64 - self.cx) / self.s;
        let v = (y as f64 - self.cy) / self.s;
        [1.0, u, v, u * u, u * v, v * v]
    }

    fn at(&self, x: usize, y: usize) -> f64 {
        let t = self.terms(x, y);
        (0..n_terms(self.degree)).map(|k| self.coef[k] * t[k]).sum()
    }
}

fn n_terms(degree: usize) -> usize {
    if degree == 1 { 3 } else { 6 }
}

/// Weighted least-squares polynomial (degree 1 or 2) over the valid pixels
/// (every `stride`-th row and column), normal equations accumulated per row
/// and summed in row order; `weights` = (previous fit, c) weighs each pixel
/// by Tukey's biweight of its residual to the previous fit over c.
fn fit_poly(s: &Surface, degree: usize, stride: usize, weights: Option<(&Poly, f64)>) -> Poly {
    let k = n_terms(degree);
    let base = Poly {
        degree,
        coef: [0.0; 6],
        cx: (s.w as f64 - 1.0) / 2.0,
        cy: (s.h as f64 - 1.0) / 2.0,
        s: (s.w.max(s.h) as f64 / 2.0).max(1.0),
    };
    let rows: Vec<([[f64; 6]; 6], [f64; 6])> = (0..s.h)
        .into_par_iter()
        .step_by(stride)
        .map(|y| {
            let mut a = [[0.0; 6]; 6];
            let mut b = [0.0; 6];
            for x in (0..s.w).step_by(stride) {
                let v = s.z[y * s.w + x];
                if !v.is_finite() {
                    continue;
                }
                let t = base.terms(x, y);
                let wt = match weights {
                    Some((prev, c)) => {
                        let r = (v - prev.at(x, y)) / c;
                        if r.abs() >= 1.0 {
                            0.0
                        } else {
                            (1.0 - r * r).powi(2)
                        }
                    }
                    None => 1.0,
                };
                if wt == 0.0 {
                    continue;
                }
                for i in 0..k {
                    b[i] += wt * t[i] * v;
                    for j in 0..k {
                        a[i][j] += wt * t[i] * t[j];
                    }
                }
            }
            (a, b)
        })
        .collect();
    let mut a = nalgebra::DMatrix::<f64>::zeros(k, k);
    let mut b = nalgebra::DVector::<f64>::zeros(k);
    for (ra, rb) in &rows {
        for i in 0..k {
            b[i] += rb[i];
            for j in 0..k {
                a[(i, j)] += ra[i][j];
            }
        }
    }
    let mut coef = [0.0; 6];
    if let Some(sol) = a.cholesky().map(|c| c.solve(&b)) {
        for i in 0..k {
            coef[i] = sol[i];
        }
    }
    Poly { coef, ..base }
}

/// Degree-2 fit by iteratively reweighted least squares (Tukey biweight),
/// on a grid of about 256 × 256 samples.
fn robust_poly2(s: &Surface) -> Poly {
    let stride = (s.w.max(s.h) / 256).max(1);
    let mut model = fit_poly(s, 2, 1, None);
    let mut res = Vec::new();
    for _ in 0..30 {
        res.clear();
        for y in (0..s.h).step_by(stride) {
            for x in (0..s.w).step_by(stride) {
                let v = s.z[y * s.w + x];
                if v.is_finite() {
                    res.push((v - model.at(x, y)).abs());
                }
            }
        }
        if res.len() < 6 {
            break;
        }
        let c = 4.685 * 1.4826 * median(&mut res);
        if c.is_nan() || c <= 0.0 {
            break;
        }
        let next = fit_poly(s, 2, stride, Some((&model, c)));
        let change = (0..6)
            .map(|k| (next.coef[k] - model.coef[k]).abs())
            .fold(0.0, f64::max);
        model = next;
        if change < 1e-6 * c {
            break;
        }
    }
    model
}

/// ISO 25178 parameters of a levelled residual `r` (NaN = no data);
/// `pixel` is the lateral pixel size in the unit of the heights (for Sdr).
#[must_use]
pub fn iso25178(r: &[f64], w: usize, pixel: Option<f64>) -> Option<Iso25178> {
    // moments per row, summed in row order
    // count, Σr, Σ|r|, Σr², Σr³, Σr⁴, max, min
    const EMPTY: [f64; 8] = [
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        f64::NEG_INFINITY,
        f64::INFINITY,
    ];
    let rows: Vec<[f64; 8]> = r
        .par_chunks(w.max(1))
        .map(|row| {
            let mut m = EMPTY;
            for &v in row.iter().filter(|v| v.is_finite()) {
                let v2 = v * v;
                m[0] += 1.0;
                m[1] += v;
                m[2] += v.abs();
                m[3] += v2;
                m[4] += v2 * v;
                m[5] += v2 * v2;
                m[6] = m[6].max(v);
                m[7] = m[7].min(v);
            }
            m
        })
        .collect();
    let mut m = EMPTY;
    for row in &rows {
        for k in 0..6 {
            m[k] += row[k];
        }
        m[6] = m[6].max(row[6]);
        m[7] = m[7].min(row[7]);
    }
    let n = m[0];
    if n < 1.0 {
        return None;
    }
    let sq = (m[3] / n).sqrt();
    let sdr = pixel.map(|p| developed_area_ratio(r, w, p));
    Some(Iso25178 {
        Sa: m[2] / n,
        Sq: sq,
        Sp: m[6],
        Sv: -m[7],
        Sz: m[6] - m[7],
        Ssk: if sq > 0.0 { m[4] / n / sq.powi(3) } else { 0.0 },
        Sku: if sq > 0.0 { m[5] / n / sq.powi(4) } else { 0.0 },
        Sdr: sdr,
    })
}

/// Sdr: the surface area of the bilinear cells over their projected area,
/// minus one, with each cell's area from its mean slopes
/// `√(1 + z̄ₓ² + z̄ᵧ²)` (cells with a missing corner are skipped).
fn developed_area_ratio(r: &[f64], w: usize, pixel: f64) -> f64 {
    let h = r.len() / w.max(1);
    if w < 2 || h < 2 {
        return 0.0;
    }
    let rows: Vec<(f64, f64)> = (0..h - 1)
        .into_par_iter()
        .map(|y| {
            let (mut area, mut n) = (0.0, 0.0);
            for x in 0..w - 1 {
                let (a, b, c, d) = (
                    r[y * w + x],
                    r[y * w + x + 1],
                    r[(y + 1) * w + x],
                    r[(y + 1) * w + x + 1],
                );
                if !(a.is_finite() && b.is_finite() && c.is_finite() && d.is_finite()) {
                    continue;
                }
                let gx = (b - a + d - c) / (2.0 * pixel);
                let gy = (c - a + d - b) / (2.0 * pixel);
                area += (1.0 + gx * gx + gy * gy).sqrt();
                n += 1.0;
            }
            (area, n)
        })
        .collect();
    let (area, n) = rows
        .iter()
        .fold((0.0, 0.0), |acc, r| (acc.0 + r.0, acc.1 + r.1));
    if n > 0.0 { area / n - 1.0 } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surface(w: usize, h: usize, f: impl Fn(f64, f64) -> f64) -> Surface {
        let z = (0..w * h)
            .map(|i| f((i % w) as f64, (i / w) as f64))
            .collect();
        Surface {
            w,
            h,
            z,
            unit: HeightUnit::Um,
            mm_per_px: MmPerPx::new(0.02),
        }
    }

    /// Straight-loop reference of the ISO parameters on a given residual.
    fn naive(r: &[f64]) -> [f64; 7] {
        let n = r.len() as f64;
        let sa = r.iter().map(|v| v.abs()).sum::<f64>() / n;
        let sq = (r.iter().map(|v| v * v).sum::<f64>() / n).sqrt();
        let sp = r.iter().copied().fold(f64::MIN, f64::max);
        let sv = -r.iter().copied().fold(f64::MAX, f64::min);
        let ssk = r.iter().map(|v| v.powi(3)).sum::<f64>() / n / sq.powi(3);
        let sku = r.iter().map(|v| v.powi(4)).sum::<f64>() / n / sq.powi(4);
        [sa, sq, sp, sv, sp + sv, ssk, sku]
    }

    #[test]
    fn plane_levelling_removes_any_tilt_and_iso_matches_loops() {
        let mut state = 7u64;
        let mut rnd = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let noise: Vec<f64> = (0..60 * 40)
            .map(|_| rnd() * 10.0 + rnd().powi(3) * 40.0)
            .collect();
        let flat = Surface {
            w: 60,
            h: 40,
            z: noise.clone(),
            unit: HeightUnit::Um,
            mm_per_px: MmPerPx::new(0.02),
        };
        let tilted = surface(60, 40, |x, y| {
            noise[y as usize * 60 + x as usize] + 3.0 * x - 1.5 * y + 100.0
        });
        let (a, b) = (flat.level_plane(), tilted.level_plane());
        for (p, q) in a.iter().zip(&b) {
            assert!((p - q).abs() < 1e-9);
        }
        let iso = iso25178(&a, 60, Some(20.0)).unwrap();
        let want = naive(&a);
        let got = [iso.Sa, iso.Sq, iso.Sp, iso.Sv, iso.Sz, iso.Ssk, iso.Sku];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{g} vs {w}");
        }
    }

    #[test]
    fn sdr_of_a_sinusoid_matches_the_integral() {
        // z = A sin(2πx/λ): Sdr = mean √(1 + (2πA/λ)² cos²) − 1
        let (amp, lambda, pixel) = (5.0, 40.0, 2.0);
        let s = surface(400, 20, |x, _| {
            amp * (2.0 * std::f64::consts::PI * x / lambda).sin()
        });
        let r = s.level_plane();
        let got = iso25178(&r, 400, Some(pixel)).unwrap().Sdr.unwrap();
        let k = 2.0 * std::f64::consts::PI * amp / (lambda * pixel);
        let n = 100_000;
        let want = (0..n)
            .map(|i| {
                (1.0 + (k * (2.0 * std::f64::consts::PI * (i as f64 + 0.5) / n as f64).cos())
                    .powi(2))
                .sqrt()
            })
            .sum::<f64>()
            / n as f64
            - 1.0;
        assert!((got - want).abs() < 0.01 * want, "{got} vs {want}");
    }

    #[test]
    fn form_removal_ignores_scars_and_scars_are_measured() {
        // quadratic base, one cosine scar 60 µm deep, radius 40 px
        let (cx, cy, rad, depth) = (90.0, 70.0, 40.0, 60.0);
        let s = surface(200, 160, |x, y| {
            let base = -0.004 * (x - 100.0).powi(2) - 0.002 * (y - 80.0).powi(2) + 0.1 * x;
            let r = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
            base - if r < rad {
                depth * (1.0 + (std::f64::consts::PI * r / rad).cos()) / 2.0
            } else {
                0.0
            }
        });
        let (_, scars) = find_scars(&s);
        assert_eq!(scars.len(), 1);
        let sc = scars[0];
        assert!(
            (sc.max_depth - depth).abs() < 0.01 * depth,
            "{}",
            sc.max_depth
        );
        // volume of the profile: ∫ d(1+cos(πr/R))/2 2πr dr = d R² (π/2 − 2/π)
        let want = depth
            * (rad * 0.02).powi(2)
            * (std::f64::consts::FRAC_PI_2 - 2.0 / std::f64::consts::PI)
            / 1000.0;
        assert!(
            (sc.volume - want).abs() < 0.03 * want,
            "{} vs {want}",
            sc.volume
        );
        assert!((sc.centre.0 - cx).abs() < 0.5 && (sc.centre.1 - cy).abs() < 0.5);
    }
}
