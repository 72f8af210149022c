//! Scale-invariant keypoints and descriptors (after Lowe 2004, "Distinctive
//! image features from scale-invariant keypoints", IJCV 60(2),
//! doi:10.1023/B:VISI.0000029664.99615.94), written for skin: difference of
//! Gaussians extrema (pores and spots are blobs), the strongest `max`
//! kept whatever the image's contrast, orientation from gradient
//! histograms, and 4×4×8 gradient-orientation descriptors in their RootSIFT
//! form (Arandjelović & Zisserman 2012), which survive exposure, gamma and
//! colour changes because only gradient *directions and relative sizes* are
//! kept. Matching is mutual nearest neighbour with Lowe's ratio test.

use crate::filters::gaussian_blur;
use crate::raster::Plane;
use rayon::prelude::*;

pub use super::matching::{Match, match_features};

/// Levels per octave.
const S: usize = 3;
/// Base blur of each octave.
const SIGMA0: f64 = 1.6;
/// Descriptor length.
pub const DESC_LEN: usize = 128;

/// A keypoint in the pixel coordinates of the image it was found in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Keypoint {
    /// Position x.
    pub x: f32,
    /// Position y.
    pub y: f32,
    /// Scale σ in image pixels.
    pub sigma: f32,
    /// Orientation in radians.
    pub angle: f32,
    /// |DoG| response.
    pub response: f32,
}

/// Keypoints and their descriptors (row i of `desc` belongs to `points[i]`).
#[derive(Clone, Debug, Default)]
pub struct Features {
    /// Keypoints.
    pub points: Vec<Keypoint>,
    /// `points.len() × 128` RootSIFT values (unit L2 norm per row).
    pub desc: Vec<f32>,
}

struct Octave {
    gauss: Vec<Plane>,
    dog: Vec<Plane>,
    step: f32,
}

fn build_octaves(img: &Plane, min_side: usize) -> Vec<Octave> {
    let mut octaves = Vec::new();
    // assume 0.5 px of camera blur, as SIFT does
    let mut base = gaussian_blur(img, (SIGMA0 * SIGMA0 - 0.25).sqrt());
    let k = 2f64.powf(1.0 / S as f64);
    let mut step = 1.0f32;
    while base.width().min(base.height()) >= min_side {
        let mut gauss = vec![base.clone()];
        for i in 1..S + 3 {
            let prev = SIGMA0 * k.powi(i as i32 - 1);
            let inc = prev * (k * k - 1.0).sqrt();
            let next = gaussian_blur(&gauss[i - 1], inc);
            gauss.push(next);
        }
        let dog = gauss
            .windows(2)
            .map(|g| {
                let d = g[1]
                    .data()
                    .iter()
                    .zip(g[0].data())
                    .map(|(a, b)| a - b)
                    .collect();
                Plane::from_vec(g[0].width(), g[0].height(), d).expect("invariant: same size")
            })
            .collect();
        let src = &gauss[S];
        let next_base =
            Plane::from_fn(src.width().div_ceil(2), src.height().div_ceil(2), |x, y| {
                src.at(2 * x, 2 * y)
            });
        octaves.push(Octave { gauss, dog, step });
        base = next_base;
        step *= 2.0;
    }
    octaves
}

#[derive(Clone, Copy)]
struct Candidate {
    octave: usize,
    level: usize,
    x: f32,
    y: f32,
    sigma_oct: f32,
    response: f32,
}

/// Extrema of the DoG in a 3×3×3 neighbourhood, refined to sub-pixel
/// position and scale, with low-contrast and edge-like points rejected.
fn find_extrema(octaves: &[Octave], contrast: f32) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (o, oct) in octaves.iter().enumerate() {
        let found: Vec<Vec<Candidate>> = (1..=S)
            .into_par_iter()
            .map(|s| {
                let (prev, cur, next) = (&oct.dog[s - 1], &oct.dog[s], &oct.dog[s + 1]);
                let (w, h) = (cur.width(), cur.height());
                let mut v = Vec::new();
                let border = 5;
                for y in border..h.saturating_sub(border) {
                    for x in border..w.saturating_sub(border) {
                        let c = cur.at(x, y);
                        if c.abs() < contrast {
                            continue;
                        }
                        if !is_extremum(prev, cur, next, x, y, c) {
                            continue;
                        }
                        if let Some(k) = refine(oct, o, s, x, y, contrast) {
                            v.push(k);
                        }
                    }
                }
                v
            })
            .collect();
        out.extend(found.into_iter().flatten());
    }
    out
}

fn is_extremum(prev: &Plane, cur: &Plane, next: &Plane, x: usize, y: usize, c: f32) -> bool {
    let maxi = c > 0.0;
    for p in [prev, cur, next] {
        for yy in y - 1..=y + 1 {
            for xx in x - 1..=x + 1 {
                if std::ptr::eq(p, cur) && xx == x && yy == y {
                    continue;
                }
                let v = p.at(xx, yy);
                if (maxi && v >= c) || (!maxi && v <= c) {
                    return false;
                }
            }
        }
    }
    true
}

/// One Newton step on the 3-D quadratic (Lowe §4) and the edge test (r = 10).
fn refine(
    oct: &Octave,
    o: usize,
    s: usize,
    x: usize,
    y: usize,
    contrast: f32,
) -> Option<Candidate> {
    let (prev, cur, next) = (&oct.dog[s - 1], &oct.dog[s], &oct.dog[s + 1]);
    let v = |p: &Plane, dx: isize, dy: isize| {
        f64::from(p.at((x as isize + dx) as usize, (y as isize + dy) as usize))
    };
    let c = v(cur, 0, 0);
    let dx = 0.5 * (v(cur, 1, 0) - v(cur, -1, 0));
    let dy = 0.5 * (v(cur, 0, 1) - v(cur, 0, -1));
    let ds = 0.5 * (v(next, 0, 0) - v(prev, 0, 0));
    let dxx = v(cur, 1, 0) + v(cur, -1, 0) - 2.0 * c;
    let dyy = v(cur, 0, 1) + v(cur, 0, -1) - 2.0 * c;
    let dss = v(next, 0, 0) + v(prev, 0, 0) - 2.0 * c;
    let dxy = 0.25 * (v(cur, 1, 1) - v(cur, -1, 1) - v(cur, 1, -1) + v(cur, -1, -1));
    let dxs = 0.25 * (v(next, 1, 0) - v(next, -1, 0) - v(prev, 1, 0) + v(prev, -1, 0));
    let dys = 0.25 * (v(next, 0, 1) - v(next, 0, -1) - v(prev, 0, 1) + v(prev, 0, -1));
    // edge response: tr²/det of the 2-D Hessian < (r+1)²/r
    let tr = dxx + dyy;
    let det = dxx * dyy - dxy * dxy;
    if det <= 0.0 || tr * tr / det >= 12.1 {
        return None;
    }
    let hess = nalgebra::Matrix3::new(dxx, dxy, dxs, dxy, dyy, dys, dxs, dys, dss);
    let grad = nalgebra::Vector3::new(dx, dy, ds);
    let off = hess.lu().solve(&(-grad))?;
    if off.iter().any(|t| !t.is_finite() || t.abs() > 1.0) {
        return None;
    }
    let value = c + 0.5 * grad.dot(&off);
    if (value.abs() as f32) < contrast {
        return None;
    }
    let sl = s as f64 + off[2];
    Some(Candidate {
        octave: o,
        level: s,
        x: (x as f64 + off[0]) as f32,
        y: (y as f64 + off[1]) as f32,
        sigma_oct: (SIGMA0 * 2f64.powf(sl / S as f64)) as f32,
        response: value.abs() as f32,
    })
}

/// atan2 to within 0.005 rad (a rational approximation of atan on
/// [0, 1] and octant folding): descriptor bins are 0.79 rad wide.
#[inline]
fn fast_atan2(y: f32, x: f32) -> f32 {
    use std::f32::consts::{FRAC_PI_2, PI};
    let (ax, ay) = (x.abs(), y.abs());
    if ax == 0.0 && ay == 0.0 {
        return 0.0;
    }
    let (a, swap) = if ay > ax {
        (ax / ay, true)
    } else {
        (ay / ax, false)
    };
    // atan(a) ≈ a·(π/4 + 0.273·(1 − a)) on [0, 1]
    let mut r = a * (std::f32::consts::FRAC_PI_4 + 0.273 * (1.0 - a));
    if swap {
        r = FRAC_PI_2 - r;
    }
    if x < 0.0 {
        r = PI - r;
    }
    if y < 0.0 { -r } else { r }
}

#[inline]
fn grad_at(g: &Plane, x: usize, y: usize) -> (f32, f32) {
    (
        g.at(x + 1, y) - g.at(x - 1, y),
        g.at(x, y + 1) - g.at(x, y - 1),
    )
}

/// Gradient magnitude and direction of a Gaussian level at every interior
/// pixel (0 on the one-pixel border, which is never sampled), computed once
/// for all the keypoints that read the level, with the same operations as
/// at each sample before (so the same bits).
struct Gradients {
    width: usize,
    /// √(gx² + gy²).
    mag: Vec<f32>,
    /// atan2(gy, gx).
    angle: Vec<f32>,
}

impl Gradients {
    fn of(g: &Plane) -> Gradients {
        let (w, h) = (g.width(), g.height());
        let (mut mag, mut angle) = (vec![0.0f32; w * h], vec![0.0f32; w * h]);
        mag.par_chunks_mut(w.max(1))
            .zip(angle.par_chunks_mut(w.max(1)))
            .enumerate()
            .filter(|(y, _)| *y >= 1 && *y + 1 < h)
            .for_each(|(y, (m, a))| {
                for x in 1..w.saturating_sub(1) {
                    let (gx, gy) = grad_at(g, x, y);
                    m[x] = (gx * gx + gy * gy).sqrt();
                    a[x] = gy.atan2(gx);
                }
            });
        Gradients {
            width: w,
            mag,
            angle,
        }
    }

    /// Magnitude and direction at interior pixel (x, y).
    #[inline]
    fn at(&self, x: usize, y: usize) -> (f32, f32) {
        let i = y * self.width + x;
        (self.mag[i], self.angle[i])
    }
}

/// Dominant orientations (peaks ≥ 80 % of the largest) of a keypoint.
fn orientations(oct: &Octave, grads: &Gradients, k: &Candidate) -> Vec<f32> {
    const BINS: usize = 36;
    let g = &oct.gauss[k.level];
    let (w, h) = (g.width() as isize, g.height() as isize);
    let sigma = 1.5 * k.sigma_oct;
    let radius = (3.0 * sigma).round() as isize;
    let (cx, cy) = (k.x.round() as isize, k.y.round() as isize);
    let mut hist = [0.0f32; BINS];
    for dy in -radius..=radius {
        for dx in -radius..=radius {
            let (x, y) = (cx + dx, cy + dy);
            if x < 1 || y < 1 || x >= w - 1 || y >= h - 1 {
                continue;
            }
            let (gx, gy) = grad_at(g, x as usize, y as usize);
            let mag = grads.at(x as usize, y as usize).0;
            let wgt = (-((dx * dx + dy * dy) as f32) / (2.0 * sigma * sigma)).exp();
            let ang = fast_atan2(gy, gx).rem_euclid(std::f32::consts::TAU);
            let bin = ((ang / std::f32::consts::TAU * BINS as f32).round() as usize) % BINS;
            hist[bin] += wgt * mag;
        }
    }
    // smooth twice with [1 4 6 4 1]/16 (circular)
    for _ in 0..2 {
        let prev = hist;
        for i in 0..BINS {
            let at = |d: isize| prev[(i as isize + d).rem_euclid(BINS as isize) as usize];
            hist[i] = (at(-2) + at(2) + 4.0 * (at(-1) + at(1)) + 6.0 * at(0)) / 16.0;
        }
    }
    let max = hist.iter().copied().fold(0.0f32, f32::max);
    if max <= 0.0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for i in 0..BINS {
        let l = hist[(i + BINS - 1) % BINS];
        let r = hist[(i + 1) % BINS];
        let c = hist[i];
        if c > l && c > r && c >= 0.8 * max {
            let off = 0.5 * (l - r) / (l - 2.0 * c + r);
            let bin = (i as f32 + off).rem_euclid(BINS as f32);
            out.push(bin / BINS as f32 * std::f32::consts::TAU);
        }
    }
    out
}

/// The 4×4×8 descriptor, trilinearly binned, clipped at 0.2 (Lowe §6.1),
/// then RootSIFT: L1-normalised and square-rooted (unit L2 norm).
fn descriptor(oct: &Octave, grads: &Gradients, k: &Candidate, angle: f32, out: &mut [f32]) {
    const D: usize = 4;
    const N: usize = 8;
    let g = &oct.gauss[k.level];
    let (w, h) = (g.width() as isize, g.height() as isize);
    let hist_width = 3.0 * k.sigma_oct;
    let radius = (hist_width * std::f32::consts::SQRT_2 * (D as f32 + 1.0) * 0.5).round() as isize;
    let (cos_t, sin_t) = (angle.cos(), angle.sin());
    let (cx, cy) = (k.x.round() as isize, k.y.round() as isize);
    let mut hist = [0.0f32; (D + 2) * (D + 2) * (N + 2)];
    let idx = |r: usize, c: usize, o: usize| (r * (D + 2) + c) * (N + 2) + o;
    let exp_scale = -1.0 / (0.5 * (D * D) as f32);
    for dy in -radius..=radius {
        for dx in -radius..=radius {
            // rotate into the keypoint frame, in histogram-cell units
            let rx = (cos_t * dx as f32 + sin_t * dy as f32) / hist_width;
            let ry = (-sin_t * dx as f32 + cos_t * dy as f32) / hist_width;
            let rbin = ry + D as f32 / 2.0 - 0.5;
            let cbin = rx + D as f32 / 2.0 - 0.5;
            if rbin <= -1.0 || rbin >= D as f32 || cbin <= -1.0 || cbin >= D as f32 {
                continue;
            }
            let (x, y) = (cx + dx, cy + dy);
            if x < 1 || y < 1 || x >= w - 1 || y >= h - 1 {
                continue;
            }
            let (m, a) = grads.at(x as usize, y as usize);
            let mag = m * ((rx * rx + ry * ry) * exp_scale).exp();
            let obin = ((a - angle).rem_euclid(std::f32::consts::TAU))
                * (N as f32 / std::f32::consts::TAU);
            let (r0, c0, o0) = (rbin.floor(), cbin.floor(), obin.floor());
            let (fr, fc, fo) = (rbin - r0, cbin - c0, obin - o0);
            let (r0, c0, o0) = ((r0 + 1.0) as usize, (c0 + 1.0) as usize, o0 as usize);
            for (ri, wr) in [(0, 1.0 - fr), (1, fr)] {
                for (ci, wc) in [(0, 1.0 - fc), (1, fc)] {
                    for (oi, wo) in [(0, 1.0 - fo), (1, fo)] {
                        hist[idx(r0 + ri, c0 + ci, (o0 + oi) % N)] += mag * wr * wc * wo;
                    }
                }
            }
        }
    }
    for r in 0..D {
        for c in 0..D {
            for o in 0..N {
                out[(r * D + c) * N + o] = hist[idx(r + 1, c + 1, o)];
            }
        }
    }
    let norm = out.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
    let clip = 0.2 * norm;
    for v in out.iter_mut() {
        *v = v.min(clip);
    }
    let l1 = out.iter().sum::<f32>().max(1e-12);
    for v in out.iter_mut() {
        *v = (*v / l1).sqrt();
    }
}

/// Detects up to `max` keypoints (strongest DoG responses first) and
/// describes them. `img` is grey on any scale; responses are relative to
/// its own contrast so low-contrast skin still yields keypoints.
#[must_use]
pub fn detect_and_describe(img: &Plane, max: usize) -> Features {
    // work on a 0–1 scale of the image's own 1st–99th percentile range
    let (lo, hi) = percentile_range(img);
    let span = (hi - lo).max(1e-3);
    let norm = img.map(|v| if v.is_finite() { (v - lo) / span } else { 0.5 });
    let octaves = build_octaves(&norm, 24);
    // a floor well under Lowe's 0.03 so that smooth skin keeps its pores
    let mut cands = find_extrema(&octaves, 0.004);
    cands.sort_by(|a, b| {
        b.response
            .total_cmp(&a.response)
            .then(a.y.total_cmp(&b.y))
            .then(a.x.total_cmp(&b.x))
    });
    cands.truncate(max);
    // the gradients of each level a keypoint was found on, once
    let used: std::collections::BTreeSet<(usize, usize)> =
        cands.iter().map(|c| (c.octave, c.level)).collect();
    let grads: std::collections::BTreeMap<(usize, usize), Gradients> = used
        .into_iter()
        .map(|(o, l)| ((o, l), Gradients::of(&octaves[o].gauss[l])))
        .collect();
    let described: Vec<Vec<(Keypoint, Vec<f32>)>> = cands
        .par_iter()
        .map(|c| {
            let oct = &octaves[c.octave];
            let grads = &grads[&(c.octave, c.level)];
            orientations(oct, grads, c)
                .into_iter()
                .map(|a| {
                    let mut d = vec![0.0f32; DESC_LEN];
                    descriptor(oct, grads, c, a, &mut d);
                    (
                        Keypoint {
                            x: c.x * oct.step,
                            y: c.y * oct.step,
                            sigma: c.sigma_oct * oct.step,
                            angle: a,
                            response: c.response,
                        },
                        d,
                    )
                })
                .collect()
        })
        .collect();
    let mut f = Features::default();
    for (k, d) in described.into_iter().flatten() {
        f.points.push(k);
        f.desc.extend_from_slice(&d);
    }
    f
}

fn percentile_range(img: &Plane) -> (f32, f32) {
    let mut v: Vec<f32> = img
        .data()
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .step_by(7)
        .collect();
    if v.is_empty() {
        return (0.0, 1.0);
    }
    v.sort_by(f32::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.01), at(0.99))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) fn blobs(w: usize, h: usize, shift: (f32, f32)) -> Plane {
        // deterministic pseudo-random dark and bright blobs
        let mut s = 12345u32;
        let mut rnd = || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s as f32 / u32::MAX as f32
        };
        let spots: Vec<(f32, f32, f32, f32)> = (0..150)
            .map(|_| {
                (
                    rnd() * w as f32,
                    rnd() * h as f32,
                    1.5 + 4.0 * rnd(),
                    rnd() * 2.0 - 1.0,
                )
            })
            .collect();
        Plane::from_fn(w, h, |x, y| {
            let (x, y) = (x as f32 - shift.0, y as f32 - shift.1);
            128.0
                + spots
                    .iter()
                    .map(|&(sx, sy, r, a)| {
                        60.0 * a * (-((x - sx).powi(2) + (y - sy).powi(2)) / (2.0 * r * r)).exp()
                    })
                    .sum::<f32>()
        })
    }

    #[test]
    fn fast_atan2_is_close_to_atan2() {
        for k in 0..720 {
            let a = k as f32 * 0.5f32.to_radians() - std::f32::consts::PI;
            for r in [0.01f32, 1.0, 300.0] {
                let (y, x) = (r * a.sin(), r * a.cos());
                let d = (fast_atan2(y, x) - y.atan2(x)).abs();
                let d = d.min((d - std::f32::consts::TAU).abs());
                assert!(d < 0.005, "{a}: {d}");
            }
        }
    }

    /// The descriptor as it was: each sample's gradient, magnitude and
    /// direction computed where it is read.
    fn descriptor_naive(oct: &Octave, k: &Candidate, angle: f32) -> Vec<f32> {
        const D: usize = 4;
        const N: usize = 8;
        let mut out = vec![0.0f32; DESC_LEN];
        let g = &oct.gauss[k.level];
        let (w, h) = (g.width() as isize, g.height() as isize);
        let hist_width = 3.0 * k.sigma_oct;
        let radius =
            (hist_width * std::f32::consts::SQRT_2 * (D as f32 + 1.0) * 0.5).round() as isize;
        let (cos_t, sin_t) = (angle.cos(), angle.sin());
        let (cx, cy) = (k.x.round() as isize, k.y.round() as isize);
        let mut hist = [0.0f32; (D + 2) * (D + 2) * (N + 2)];
        let idx = |r: usize, c: usize, o: usize| (r * (D + 2) + c) * (N + 2) + o;
        let exp_scale = -1.0 / (0.5 * (D * D) as f32);
        for dy in -radius..=radius {
            for dx in -radius..=radius {
                let rx = (cos_t * dx as f32 + sin_t * dy as f32) / hist_width;
                let ry = (-sin_t * dx as f32 + cos_t * dy as f32) / hist_width;
                let rbin = ry + D as f32 / 2.0 - 0.5;
                let cbin = rx + D as f32 / 2.0 - 0.5;
                if rbin <= -1.0 || rbin >= D as f32 || cbin <= -1.0 || cbin >= D as f32 {
                    continue;
                }
                let (x, y) = (cx + dx, cy + dy);
                if x < 1 || y < 1 || x >= w - 1 || y >= h - 1 {
                    continue;
                }
                let (gx, gy) = grad_at(g, x as usize, y as usize);
                let mag = (gx * gx + gy * gy).sqrt() * ((rx * rx + ry * ry) * exp_scale).exp();
                let obin = ((gy.atan2(gx) - angle).rem_euclid(std::f32::consts::TAU))
                    * (N as f32 / std::f32::consts::TAU);
                let (r0, c0, o0) = (rbin.floor(), cbin.floor(), obin.floor());
                let (fr, fc, fo) = (rbin - r0, cbin - c0, obin - o0);
                let (r0, c0, o0) = ((r0 + 1.0) as usize, (c0 + 1.0) as usize, o0 as usize);
                for (ri, wr) in [(0, 1.0 - fr), (1, fr)] {
                    for (ci, wc) in [(0, 1.0 - fc), (1, fc)] {
                        for (oi, wo) in [(0, 1.0 - fo), (1, fo)] {
                            hist[idx(r0 + ri, c0 + ci, (o0 + oi) % N)] += mag * wr * wc * wo;
                        }
                    }
                }
            }
        }
        for r in 0..D {
            for c in 0..D {
                for o in 0..N {
                    out[(r * D + c) * N + o] = hist[idx(r + 1, c + 1, o)];
                }
            }
        }
        let norm = out.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        let clip = 0.2 * norm;
        for v in out.iter_mut() {
            *v = v.min(clip);
        }
        let l1 = out.iter().sum::<f32>().max(1e-12);
        for v in out.iter_mut() {
            *v = (*v / l1).sqrt();
        }
        out
    }

    #[test]
    fn descriptors_from_the_level_gradients_equal_the_per_sample_ones_bit_for_bit() {
        let img = blobs(180, 150, (0.0, 0.0));
        let octaves = build_octaves(&img.map(|v| v / 255.0), 24);
        let cands = find_extrema(&octaves, 0.004);
        assert!(cands.len() > 30, "{}", cands.len());
        let mut compared = 0;
        for c in &cands {
            let oct = &octaves[c.octave];
            let grads = Gradients::of(&oct.gauss[c.level]);
            // near the border too: keypoints 5 px in, windows past the edge
            for a in [0.3f32, 2.9, -1.7] {
                let mut got = vec![0.0f32; DESC_LEN];
                descriptor(oct, &grads, c, a, &mut got);
                let want = descriptor_naive(oct, c, a);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want));
                compared += 1;
            }
        }
        assert!(compared > 90);
    }

    #[test]
    fn shifted_image_matches_with_the_shift() {
        let a = blobs(200, 160, (0.0, 0.0));
        let b = blobs(200, 160, (7.0, -4.0));
        let fa = detect_and_describe(&a, 500);
        let fb = detect_and_describe(&b, 500);
        assert!(fa.points.len() > 30, "{} keypoints", fa.points.len());
        let m = match_features(&fa, &fb, 0.8);
        assert!(m.len() > 20, "{} matches", m.len());
        let good = m
            .iter()
            .filter(|m| {
                let (p, q) = (fa.points[m.base], fb.points[m.moving]);
                ((q.x - p.x - 7.0).powi(2) + (q.y - p.y + 4.0).powi(2)).sqrt() < 1.0
            })
            .count();
        assert!(
            good * 10 >= m.len() * 9,
            "{good} of {} matches agree with the shift",
            m.len()
        );
    }
}
