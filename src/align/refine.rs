//! Dense refinement of a homography: inverse-compositional Gauss–Newton
//! (Baker & Matthews 2004, "Lucas–Kanade 20 years on", IJCV 56(3),
//! doi:10.1023/B:VISI.0000011205.11775.fd) on the local-contrast
//! representation of both images, with a global gain/bias re-estimated each
//! iteration (so the objective is the zero-mean normalised residual, as in
//! ECC) and Tukey-biweight weights (occlusions, hair, a bandage and the
//! skin that changed most are down-weighted instead of pulling the fit).
//!
//! The template is the base image: its gradients and the 8×N steepest-descent
//! matrix are computed once per level at a spread of high-gradient sample
//! pixels, so an iteration only samples the moving image at N positions.
//!
//! Two representations of the same idea: on small levels both images are
//! turned into their local-contrast (`structure`) images first; on large
//! levels (megapixels) that would cost more than the whole registration, so
//! each *sample* is normalised by the mean and contrast of its own 13×13
//! neighbourhood instead — in the base once, in the moving image at the
//! warped position when the level starts (the remaining motion there is
//! sub-pixel, so the neighbourhood statistics do not change).

use super::warp::bicubic_source;
use crate::geometry::Homography;
use crate::raster::{GreySource, Rect};
use crate::stats::median;
use rayon::prelude::*;

/// Settings of one level's refinement.
#[derive(Clone, Copy, Debug)]
pub struct RefineOptions {
    /// Target number of sample pixels.
    pub samples: usize,
    /// Iteration cap.
    pub max_iters: usize,
    /// Stop when no corner moves more than this (level px).
    pub tolerance_px: f64,
}

impl Default for RefineOptions {
    fn default() -> Self {
        RefineOptions {
            samples: 30_000,
            max_iters: 60,
            tolerance_px: 0.002,
        }
    }
}

/// Outcome of refining at one level.
#[derive(Clone, Debug)]
pub struct Refined {
    /// moving_from_base, level coordinates.
    pub moving_from_base: Homography,
    /// Correlation of template and warped samples (structure score).
    pub correlation: f64,
    /// Robust RMS residual (in structure units).
    pub residual: f64,
    /// Fraction of samples that landed inside the moving image.
    pub inside: f64,
    /// Iterations used.
    pub iterations: usize,
    /// Estimated standard error of the corner positions (level px): the
    /// Gauss–Newton covariance σ²(JᵀWJ)⁻¹ propagated to the four corners,
    /// inflated for the correlation between neighbouring samples.
    pub precision_px: f64,
}

/// How image values are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Representation {
    /// Both planes are already local-contrast images.
    Structure,
    /// Both planes are grey images; each sample is normalised by its own
    /// neighbourhood.
    LocalNorm,
}

/// Radius of the neighbourhood of [`Representation::LocalNorm`], px.
const NORM_RADIUS: isize = 6;
/// Contrast floor of the local normalisation (grey levels).
const NORM_EPSILON: f64 = 1.0;

struct Sample {
    x: f32,
    y: f32,
    t: f32,
    sd: [f64; 8],
    /// Moving-side normalisation: value = (raw − mu) · inv_scale.
    mu: f32,
    inv_scale: f32,
}

/// Mean and contrast (√(var + ε²)) of the `(2r+1)²` neighbourhood of
/// (x, y), clamped to the plane; NaN pixels skipped.
fn local_stats<S: GreySource + ?Sized>(p: &S, x: isize, y: isize, r: isize) -> (f64, f64) {
    let (w, h) = (p.width() as isize, p.height() as isize);
    let (mut n, mut s, mut s2) = (0.0, 0.0, 0.0);
    for yy in (y - r).max(0)..=(y + r).min(h - 1) {
        for xx in (x - r).max(0)..=(x + r).min(w - 1) {
            let v = f64::from(p.grey(xx as usize, yy as usize));
            if v.is_finite() {
                n += 1.0;
                s += v;
                s2 += v * v;
            }
        }
    }
    if n < 1.0 {
        return (0.0, 1.0);
    }
    let mean = s / n;
    let var = (s2 / n - mean * mean).max(0.0);
    (mean, (var + NORM_EPSILON * NORM_EPSILON).sqrt())
}

/// Picks the strongest-gradient pixel of each cell of a grid (spread over
/// the image), skipping borders, excluded rectangles and flat cells.
fn pick_samples<T: GreySource + ?Sized>(
    t: &T,
    rep: Representation,
    exclude: &[Rect],
    target: usize,
    norm: &Homography,
) -> Vec<Sample> {
    let (w, h) = (t.width(), t.height());
    let cell = ((w * h) as f64 / target.max(1) as f64).sqrt().max(2.0) as usize;
    let s = norm.0[0][0]; // normalised coordinates: x̃ = s·x + tx
    let border = 2;
    if w < 2 * border + 2 || h < 2 * border + 2 {
        return Vec::new();
    }
    if rep == Representation::LocalNorm {
        return pick_local_norm(t, exclude, cell, s, norm);
    }
    let band_starts: Vec<usize> = (border..h - border - 1).step_by(cell).collect();
    let bands: Vec<Vec<Sample>> = band_starts
        .par_iter()
        .map_init(Vec::new, |rows, &cy| {
            // the band's rows (and one above and below) read once
            let y_end = (cy + cell).min(h - border - 1);
            let n_rows = y_end - cy + 2;
            rows.resize(n_rows * w, 0.0f32);
            for (k, buf) in rows.chunks_mut(w).enumerate() {
                t.row_into(cy - 1 + k, buf);
            }
            let at = |x: usize, y: usize| rows[(y + 1 - cy) * w + x];
            let mut out = Vec::new();
            let mut cx = border;
            while cx + 1 < w - border {
                let best =
                    strongest_gradient(cx..(cx + cell).min(w - border - 1), cy..y_end, exclude, at);
                if let Some((m, x, y, gx, gy)) = best
                    && m > 0.01
                {
                    let (xn, yn) = norm.apply(x as f64, y as f64).unwrap_or((0.0, 0.0));
                    let value = at(x, y);
                    // ∇T in normalised coordinates is ∇T(px) / s
                    let (gxn, gyn) = (f64::from(gx) / s, f64::from(gy) / s);
                    out.push(Sample {
                        x: x as f32,
                        y: y as f32,
                        t: value,
                        sd: steepest_descent(gxn, gyn, xn, yn),
                        mu: 0.0,
                        inv_scale: 1.0,
                    });
                }
                cx += cell;
            }
            out
        })
        .collect();
    bands.into_iter().flatten().collect()
}

/// The pixel of `xs × ys` (outside `exclude`) with the strongest central-
/// difference gradient of `grey`: (|∇|², x, y, ∂x, ∂y), first in row order
/// on ties.
fn strongest_gradient(
    xs: std::ops::Range<usize>,
    ys: std::ops::Range<usize>,
    exclude: &[Rect],
    grey: impl Fn(usize, usize) -> f32,
) -> Option<(f32, usize, usize, f32, f32)> {
    let mut best: Option<(f32, usize, usize, f32, f32)> = None;
    for y in ys {
        for x in xs.clone() {
            if exclude.iter().any(|r| r.contains(x, y)) {
                continue;
            }
            let gx = 0.5 * (grey(x + 1, y) - grey(x - 1, y));
            let gy = 0.5 * (grey(x, y + 1) - grey(x, y - 1));
            let m = gx * gx + gy * gy;
            if m.is_finite() && best.is_none_or(|b| m > b.0) {
                best = Some((m, x, y, gx, gy));
            }
        }
    }
    best
}

/// The steepest-descent row ∇T · ∂W/∂p of the 8-parameter homography at
/// normalised position (x, y) with template gradient (gx, gy).
fn steepest_descent(gx: f64, gy: f64, x: f64, y: f64) -> [f64; 8] {
    [
        gx * x,
        gx * y,
        gx,
        gy * x,
        gy * y,
        gy,
        -gx * x * x - gy * x * y,
        -gx * x * y - gy * y * y,
    ]
}

/// Largest window scanned per cell on megapixel levels, px: the strongest
/// gradient of a 6×6 window at each cell's centre is as good a sample as the
/// strongest of the whole cell, at a fraction of the reads.
const LOCAL_SCAN: usize = 6;

/// Samples of a megapixel level, normalised by their own neighbourhood.
fn pick_local_norm<T: GreySource + ?Sized>(
    t: &T,
    exclude: &[Rect],
    cell: usize,
    s: f64,
    norm: &Homography,
) -> Vec<Sample> {
    let (w, h) = (t.width(), t.height());
    let scan = cell.min(LOCAL_SCAN);
    let off = (cell - scan) / 2;
    let rows: Vec<usize> = (2..h.saturating_sub(3)).step_by(cell).collect();
    let picked: Vec<Vec<Sample>> = rows
        .par_iter()
        .map(|&cy| {
            let mut out = Vec::new();
            let mut cx = 2;
            while cx + 3 < w {
                let best = strongest_gradient(
                    (cx + off)..(cx + off + scan).min(w - 3),
                    (cy + off)..(cy + off + scan).min(h - 3),
                    exclude,
                    |x, y| t.grey(x, y),
                );
                if let Some((m, x, y, gx, gy)) = best
                    && m > 0.01
                {
                    let (xn, yn) = norm.apply(x as f64, y as f64).unwrap_or((0.0, 0.0));
                    let (mu, sc) = local_stats(t, x as isize, y as isize, NORM_RADIUS);
                    let (gxn, gyn) = (f64::from(gx) / (s * sc), f64::from(gy) / (s * sc));
                    out.push(Sample {
                        x: x as f32,
                        y: y as f32,
                        t: ((f64::from(t.grey(x, y)) - mu) / sc) as f32,
                        sd: steepest_descent(gxn, gyn, xn, yn),
                        mu: 0.0,
                        inv_scale: 1.0,
                    });
                }
                cx += cell;
            }
            out
        })
        .collect();
    picked.into_iter().flatten().collect()
}

/// Refines `moving_from_base` so that `moving(G·x) ≈ template(x)`, where
/// `template` and `moving` are one pyramid level of both images in the
/// representation `rep`.
#[must_use]
pub fn refine<T: GreySource + ?Sized, M: GreySource + ?Sized>(
    template: &T,
    moving: &M,
    moving_from_base: Homography,
    exclude: &[Rect],
    rep: Representation,
    opts: &RefineOptions,
) -> Refined {
    let (w, h) = (template.width() as f64, template.height() as f64);
    let s = 2.0 / w.max(h);
    // normalised coordinates: centred, unit half-size (conditions the 8×8 solve)
    let norm = Homography([
        [s, 0.0, -s * 0.5 * (w - 1.0)],
        [0.0, s, -s * 0.5 * (h - 1.0)],
        [0.0, 0.0, 1.0],
    ]);
    let norm_inv = norm.inverse().expect("invariant: scaling is invertible");
    // megapixel levels start sub-pixel close: half the samples do
    let target = if rep == Representation::LocalNorm {
        opts.samples / 2
    } else {
        opts.samples
    };
    let mut samples = pick_samples(template, rep, exclude, target, &norm);
    let mut g = moving_from_base;
    if rep == Representation::LocalNorm {
        // the moving side's neighbourhoods, at the starting estimate, with
        // the window scaled like the transform
        let radius = (NORM_RADIUS as f64 * g.linear_determinant().abs().sqrt())
            .round()
            .max(2.0) as isize;
        samples.par_iter_mut().for_each(|sm| {
            if let Some((u, v)) = g.apply(f64::from(sm.x), f64::from(sm.y)) {
                let (mu, sc) = local_stats(moving, u.round() as isize, v.round() as isize, radius);
                sm.mu = mu as f32;
                sm.inv_scale = (1.0 / sc) as f32;
            }
        });
    }
    let mut out = Refined {
        moving_from_base: g,
        correlation: 0.0,
        residual: f64::INFINITY,
        inside: 0.0,
        iterations: 0,
        precision_px: f64::INFINITY,
    };
    if samples.len() < 16 {
        return out;
    }
    let mut warped = vec![f32::NAN; samples.len()];
    let mut resid = Vec::with_capacity(samples.len());
    for it in 0..opts.max_iters {
        out.iterations = it + 1;
        let m = g.0;
        warped
            .par_iter_mut()
            .zip(samples.par_iter())
            .for_each(|(o, sm)| {
                let (x, y) = (f64::from(sm.x), f64::from(sm.y));
                let wz = m[2][0] * x + m[2][1] * y + m[2][2];
                *o = if wz > 1e-12 {
                    let raw = bicubic_source(
                        moving,
                        ((m[0][0] * x + m[0][1] * y + m[0][2]) / wz) as f32,
                        ((m[1][0] * x + m[1][1] * y + m[1][2]) / wz) as f32,
                    );
                    (raw - sm.mu) * sm.inv_scale
                } else {
                    f32::NAN
                };
            });
        // gain/bias: least squares of t ≈ a·i + b over the valid samples
        let (mut n, mut si, mut st, mut sii, mut sit) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (sm, &i) in samples.iter().zip(&warped) {
            if i.is_finite() {
                let (i, t) = (f64::from(i), f64::from(sm.t));
                n += 1.0;
                si += i;
                st += t;
                sii += i * i;
                sit += i * t;
            }
        }
        out.inside = n / samples.len() as f64;
        if n < 16.0 {
            break;
        }
        let var_i = sii - si * si / n;
        let a = if var_i > 1e-9 {
            (sit - si * st / n) / var_i
        } else {
            1.0
        };
        let a = if a.is_finite() && a > 0.05 { a } else { 1.0 };
        let b = (st - a * si) / n;
        resid.clear();
        resid.extend(
            samples
                .iter()
                .zip(&warped)
                .filter(|(_, i)| i.is_finite())
                .map(|(sm, &i)| (a * f64::from(i) + b - f64::from(sm.t)).abs()),
        );
        let sigma = (1.4826 * median(&mut resid)).max(1e-6);
        let c = 4.685 * sigma;
        let mut hess = nalgebra::SMatrix::<f64, 8, 8>::zeros();
        let mut rhs = nalgebra::SVector::<f64, 8>::zeros();
        let (mut wsum, mut wr2) = (0.0, 0.0);
        for (sm, &i) in samples.iter().zip(&warped) {
            if !i.is_finite() {
                continue;
            }
            let r = a * f64::from(i) + b - f64::from(sm.t);
            let u = r / c;
            if u.abs() >= 1.0 {
                continue;
            }
            let wt = (1.0 - u * u).powi(2);
            let sd = nalgebra::SVector::<f64, 8>::from_column_slice(&sm.sd);
            hess += wt * sd * sd.transpose();
            rhs += wt * r * sd;
            wsum += wt;
            wr2 += wt * r * r;
        }
        out.residual = if wsum > 0.0 {
            (wr2 / wsum).sqrt()
        } else {
            f64::INFINITY
        };
        out.precision_px = precision(
            &hess,
            wr2,
            wsum,
            samples.len(),
            &norm,
            template.width(),
            template.height(),
        );
        let Some(dp) = hess.lu().solve(&rhs) else {
            break;
        };
        if dp.iter().any(|v| !v.is_finite()) {
            break;
        }
        let dh = Homography([
            [1.0 + dp[0], dp[1], dp[2]],
            [dp[3], 1.0 + dp[4], dp[5]],
            [dp[6], dp[7], 1.0],
        ]);
        let Some(dh_inv) = dh.inverse() else { break };
        // back to pixel coordinates: G ← G · N⁻¹ ΔH⁻¹ N
        g = g * (norm_inv * dh_inv * norm);
        let moved = (norm_inv * dh * norm).max_corner_shift(template.width(), template.height());
        if moved < opts.tolerance_px {
            break;
        }
    }
    out.moving_from_base = g;
    out.correlation = correlation(&samples, moving, &g);
    out
}

/// Corner standard error (level px) from the weighted normal matrix.
fn precision(
    hess: &nalgebra::SMatrix<f64, 8, 8>,
    wr2: f64,
    wsum: f64,
    n: usize,
    norm: &Homography,
    w: usize,
    h: usize,
) -> f64 {
    if wsum <= 8.0 {
        return f64::INFINITY;
    }
    let Some(inv) = hess.try_inverse() else {
        return f64::INFINITY;
    };
    // samples are ~2 px apart and the local-contrast filter spans ~9 px, so
    // neighbouring residuals are far from independent: inflate the variance
    // by the number of samples per filter footprint (at least 1)
    let spacing = ((w * h) as f64 / n.max(1) as f64).sqrt();
    let inflation = (81.0 / (spacing * spacing)).max(1.0);
    let sigma2 = wr2 / (wsum - 8.0) * inflation;
    let s = norm.0[0][0];
    let mut worst = 0.0f64;
    for (x, y) in [
        (0.0, 0.0),
        (w as f64 - 1.0, 0.0),
        (0.0, h as f64 - 1.0),
        (w as f64 - 1.0, h as f64 - 1.0),
    ] {
        let Some((xn, yn)) = norm.apply(x, y) else {
            continue;
        };
        let jx = [xn, yn, 1.0, 0.0, 0.0, 0.0, -xn * xn, -xn * yn];
        let jy = [0.0, 0.0, 0.0, xn, yn, 1.0, -xn * yn, -yn * yn];
        let quad = |a: &[f64; 8]| {
            let v = nalgebra::SVector::<f64, 8>::from_column_slice(a);
            (v.transpose() * inv * v)[(0, 0)]
        };
        let var = sigma2 * (quad(&jx) + quad(&jy));
        worst = worst.max(var.max(0.0).sqrt() / s);
    }
    worst
}

/// Pearson correlation of the template samples and the moving image sampled
/// through `g` (the dense stage's own similarity, in structure space).
fn correlation<M: GreySource + ?Sized>(samples: &[Sample], moving: &M, g: &Homography) -> f64 {
    let (mut n, mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for sm in samples {
        let Some((x, y)) = g.apply(f64::from(sm.x), f64::from(sm.y)) else {
            continue;
        };
        let v = (bicubic_source(moving, x as f32, y as f32) - sm.mu) * sm.inv_scale;
        if !v.is_finite() {
            continue;
        }
        let (a, b) = (f64::from(sm.t), f64::from(v));
        n += 1.0;
        sa += a;
        sb += b;
        saa += a * a;
        sbb += b * b;
        sab += a * b;
    }
    if n < 2.0 {
        return 0.0;
    }
    let cov = sab - sa * sb / n;
    let den = ((saa - sa * sa / n) * (sbb - sb * sb / n)).sqrt();
    if den > 0.0 { cov / den } else { 0.0 }
}
