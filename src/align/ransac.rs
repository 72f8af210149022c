//! Robust model fitting for point correspondences: normalised DLT for
//! homographies (Hartley & Zisserman, *Multiple View Geometry*, 2nd ed.,
//! alg. 4.2), a closed-form similarity, and MSAC (Torr & Zisserman 2000)
//! with an adaptive iteration count, degenerate-sample checks and a local
//! least-squares re-fit whenever the best model improves (LO-RANSAC, Chum et
//! al. 2003). Random samples come from a fixed-seed generator, so the same
//! matches give the same model on every run.

use crate::geometry::Homography;

/// A point pair: `src` in the moving image, `dst` in the base image.
pub type Pair = ((f64, f64), (f64, f64));

/// Which transform RANSAC fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// 8 degrees of freedom, 4 points per sample.
    Homography,
    /// Rotation, uniform scale, translation: 2 points per sample.
    Similarity,
}

impl Model {
    fn sample_size(self) -> usize {
        match self {
            Model::Homography => 4,
            Model::Similarity => 2,
        }
    }
}

/// Result of a robust fit.
#[derive(Clone, Debug)]
pub struct Fit {
    /// The model mapping `src` to `dst`.
    pub dst_from_src: Homography,
    /// Which pairs agree with it.
    pub inliers: Vec<bool>,
    /// RMS transfer error of the inliers, px.
    pub rms: f64,
}

/// Hartley normalisation: centroid to the origin, mean distance √2.
fn normaliser(pts: &[(f64, f64)]) -> Homography {
    let n = pts.len().max(1) as f64;
    let (cx, cy) = pts.iter().fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
    let (cx, cy) = (cx / n, cy / n);
    let mean_d = pts
        .iter()
        .map(|p| ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt())
        .sum::<f64>()
        / n;
    let s = if mean_d > 1e-12 {
        std::f64::consts::SQRT_2 / mean_d
    } else {
        1.0
    };
    Homography([[s, 0.0, -s * cx], [0.0, s, -s * cy], [0.0, 0.0, 1.0]])
}

/// Least-squares homography through ≥ 4 pairs (normalised DLT; the
/// smallest right singular vector of the 2n×9 system).
#[must_use]
pub fn homography_dlt(pairs: &[Pair]) -> Option<Homography> {
    if pairs.len() < 4 {
        return None;
    }
    let src: Vec<(f64, f64)> = pairs.iter().map(|p| p.0).collect();
    let dst: Vec<(f64, f64)> = pairs.iter().map(|p| p.1).collect();
    let (ts, td) = (normaliser(&src), normaliser(&dst));
    // accumulate AᵀA (9×9) to stay O(n) in memory
    let mut ata = nalgebra::SMatrix::<f64, 9, 9>::zeros();
    for (s, d) in src.iter().zip(&dst) {
        let (x, y) = ts.apply(s.0, s.1)?;
        let (u, v) = td.apply(d.0, d.1)?;
        let r1 = nalgebra::SVector::<f64, 9>::from_column_slice(&[
            -x,
            -y,
            -1.0,
            0.0,
            0.0,
            0.0,
            u * x,
            u * y,
            u,
        ]);
        let r2 = nalgebra::SVector::<f64, 9>::from_column_slice(&[
            0.0,
            0.0,
            0.0,
            -x,
            -y,
            -1.0,
            v * x,
            v * y,
            v,
        ]);
        ata += r1 * r1.transpose() + r2 * r2.transpose();
    }
    let eig = nalgebra::SymmetricEigen::new(ata);
    let (k, _) = eig
        .eigenvalues
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))?;
    let h = eig.eigenvectors.column(k);
    let hn = Homography([[h[0], h[1], h[2]], [h[3], h[4], h[5]], [h[6], h[7], h[8]]]);
    let full = td.inverse()? * hn * ts;
    let full = full.normalised();
    full.is_finite().then_some(full)
}

/// Least-squares similarity (Umeyama 1991, without reflection) through ≥ 2 pairs.
#[must_use]
pub fn similarity_ls(pairs: &[Pair]) -> Option<Homography> {
    if pairs.len() < 2 {
        return None;
    }
    let n = pairs.len() as f64;
    let (mut sx, mut sy, mut dx, mut dy) = (0.0, 0.0, 0.0, 0.0);
    for ((a, b), (c, d)) in pairs {
        sx += a;
        sy += b;
        dx += c;
        dy += d;
    }
    let (sx, sy, dx, dy) = (sx / n, sy / n, dx / n, dy / n);
    let (mut a, mut b, mut var) = (0.0, 0.0, 0.0);
    for ((x, y), (u, v)) in pairs {
        let (x, y, u, v) = (x - sx, y - sy, u - dx, v - dy);
        a += x * u + y * v;
        b += x * v - y * u;
        var += x * x + y * y;
    }
    if var < 1e-12 {
        return None;
    }
    let (a, b) = (a / var, b / var);
    Some(Homography([
        [a, -b, dx - a * sx + b * sy],
        [b, a, dy - b * sx - a * sy],
        [0.0, 0.0, 1.0],
    ]))
}

fn cross(o: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
}

/// A sample is degenerate when three of its points are (nearly) collinear
/// in either image, or when the two images disagree on the orientation of a
/// triangle (no orientation-preserving homography maps one to the other).
fn degenerate(sample: &[Pair], min_area: f64) -> bool {
    let n = sample.len();
    if n < 3 {
        let (a, b) = (sample[0], sample[1]);
        let d = |p: (f64, f64), q: (f64, f64)| ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt();
        return d(a.0, b.0) < 1.0 || d(a.1, b.1) < 1.0;
    }
    for i in 0..n {
        for j in i + 1..n {
            for k in j + 1..n {
                let cs = cross(sample[i].0, sample[j].0, sample[k].0);
                let cd = cross(sample[i].1, sample[j].1, sample[k].1);
                if cs.abs() < min_area || cd.abs() < min_area || cs.signum() != cd.signum() {
                    return true;
                }
            }
        }
    }
    false
}

fn transfer_error2(h: &Homography, p: &Pair) -> f64 {
    match h.apply(p.0.0, p.0.1) {
        Some((x, y)) => (x - p.1.0).powi(2) + (y - p.1.1).powi(2),
        None => f64::INFINITY,
    }
}

fn score(h: &Homography, pairs: &[Pair], t2: f64) -> (f64, usize) {
    let mut cost = 0.0;
    let mut n = 0;
    for p in pairs {
        let e = transfer_error2(h, p);
        if e < t2 {
            n += 1;
            cost += e;
        } else {
            cost += t2;
        }
    }
    (cost, n)
}

fn fit(model: Model, pairs: &[Pair]) -> Option<Homography> {
    match model {
        Model::Homography => homography_dlt(pairs),
        Model::Similarity => similarity_ls(pairs),
    }
}

/// Small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// MSAC with an adaptive number of iterations (confidence 0.999, at most
/// `max_iters`), inlier threshold `threshold` px, and a final least-squares
/// re-fit on the inliers. `None` when no model gathers `min_inliers`.
#[must_use]
pub fn ransac(
    pairs: &[Pair],
    model: Model,
    threshold: f64,
    max_iters: usize,
    min_inliers: usize,
) -> Option<Fit> {
    let m = model.sample_size();
    if pairs.len() < m.max(min_inliers) {
        return None;
    }
    let t2 = threshold * threshold;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ pairs.len() as u64);
    let mut best: Option<(f64, usize, Homography)> = None;
    let mut needed = max_iters;
    let mut it = 0;
    let mut sample = Vec::with_capacity(m);
    let mut idx = Vec::with_capacity(m);
    while it < needed.min(max_iters) {
        it += 1;
        idx.clear();
        while idx.len() < m {
            let k = rng.below(pairs.len());
            if !idx.contains(&k) {
                idx.push(k);
            }
        }
        sample.clear();
        sample.extend(idx.iter().map(|&k| pairs[k]));
        if degenerate(&sample, 4.0) {
            continue;
        }
        let Some(h) = fit(model, &sample) else {
            continue;
        };
        let (cost, n) = score(&h, pairs, t2);
        if best.as_ref().is_none_or(|b| cost < b.0) {
            // local optimisation: least squares on the inliers, kept if better
            let (mut h_best, mut c_best, mut n_best) = (h, cost, n);
            for _ in 0..3 {
                let inl: Vec<Pair> = pairs
                    .iter()
                    .filter(|p| transfer_error2(&h_best, p) < t2)
                    .copied()
                    .collect();
                let Some(h2) = fit(model, &inl) else { break };
                let (c2, n2) = score(&h2, pairs, t2);
                if c2 >= c_best {
                    break;
                }
                (h_best, c_best, n_best) = (h2, c2, n2);
            }
            best = Some((c_best, n_best, h_best));
            let w = n_best as f64 / pairs.len() as f64;
            let p_fail = 1.0 - w.powi(m as i32);
            needed = if p_fail <= 1e-12 {
                it
            } else {
                ((1.0f64 - 0.999).ln() / p_fail.ln()).ceil().max(1.0) as usize
            };
        }
    }
    let (_, n, mut h) = best?;
    if n < min_inliers {
        return None;
    }
    let mut inliers: Vec<bool> = pairs.iter().map(|p| transfer_error2(&h, p) < t2).collect();
    for _ in 0..3 {
        let inl: Vec<Pair> = pairs
            .iter()
            .zip(&inliers)
            .filter(|(_, i)| **i)
            .map(|(p, _)| *p)
            .collect();
        let Some(h2) = fit(model, &inl) else { break };
        let next: Vec<bool> = pairs.iter().map(|p| transfer_error2(&h2, p) < t2).collect();
        if next.iter().filter(|&&b| b).count() < inl.len() {
            break;
        }
        h = h2;
        inliers = next;
    }
    let (sum, cnt) = pairs
        .iter()
        .zip(&inliers)
        .filter(|(_, i)| **i)
        .fold((0.0, 0usize), |a, (p, _)| {
            (a.0 + transfer_error2(&h, p), a.1 + 1)
        });
    if cnt < min_inliers {
        return None;
    }
    Some(Fit {
        dst_from_src: h,
        inliers,
        rms: (sum / cnt as f64).sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid_pairs(h: &Homography, n: usize) -> Vec<Pair> {
        let mut v = Vec::new();
        for i in 0..n {
            for j in 0..n {
                let s = (
                    10.0 + 37.0 * i as f64 + 3.0 * j as f64,
                    5.0 + 29.0 * j as f64 + (i * i) as f64,
                );
                v.push((s, h.apply(s.0, s.1).unwrap()));
            }
        }
        v
    }

    #[test]
    fn dlt_recovers_an_exact_homography() {
        let h = Homography([[1.05, 0.04, 12.0], [-0.03, 0.96, -8.0], [2e-4, -1e-4, 1.0]]);
        let got = homography_dlt(&grid_pairs(&h, 5)).unwrap();
        assert!(got.corner_error(&h, 400, 300) < 1e-6);
    }

    #[test]
    fn similarity_ls_recovers_rotation_and_scale() {
        let h = Homography::similarity_about(0.2, 1.1, 100.0, 80.0);
        let got = similarity_ls(&grid_pairs(&h, 4)).unwrap();
        assert!(got.corner_error(&h, 400, 300) < 1e-9);
    }

    #[test]
    fn ransac_ignores_outliers() {
        let h = Homography([[0.98, 0.1, 20.0], [-0.08, 1.02, 5.0], [1e-4, 5e-5, 1.0]]);
        let mut pairs = grid_pairs(&h, 8);
        let mut s = 7u64;
        for k in 0..40 {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (s >> 33) as f64 / 2f64.powi(31);
            pairs.push((
                (300.0 * r, 200.0 * (1.0 - r) + k as f64),
                (50.0 + 200.0 * r * r, 10.0 * k as f64),
            ));
        }
        let fit = ransac(&pairs, Model::Homography, 2.0, 2000, 10).unwrap();
        assert!(fit.dst_from_src.corner_error(&h, 400, 300) < 1e-6);
        assert_eq!(fit.inliers.iter().filter(|&&b| b).count(), 64);
    }

    #[test]
    fn collinear_sample_is_degenerate() {
        let p = |x: f64, y: f64| ((x, y), (x, y));
        assert!(degenerate(
            &[p(0.0, 0.0), p(10.0, 10.0), p(20.0, 20.0), p(0.0, 30.0)],
            4.0
        ));
        assert!(!degenerate(
            &[p(0.0, 0.0), p(10.0, 0.0), p(0.0, 10.0), p(13.0, 17.0)],
            4.0
        ));
        // a reflection flips every triangle
        let r = |x: f64, y: f64| ((x, y), (-x, y));
        assert!(degenerate(
            &[r(0.0, 0.0), r(10.0, 0.0), r(0.0, 10.0), r(13.0, 17.0)],
            4.0
        ));
    }
}
