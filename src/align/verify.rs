//! Independent verification of a registration: does MOVING, brought into
//! BASE's frame by the transform, actually line up with BASE everywhere?
//!
//! The dense stage minimises one global residual, and its own correlation
//! says how well that went *on average*; a transform that is right in the
//! middle and wrong by a few pixels at the edges (a wrong scale), or one
//! that fits noise, can still score well. Here the question is asked
//! locally, by another method: the residual shifts of a grid of patches
//! ([`super::patches`]).
//!
//! The first-order change of a homography (8 parameters) is fitted to the
//! residual shifts, each weighted by the sharpness of its peak, and patches
//! that disagree with it (hair, a bandage, changed skin) are left out. A
//! right transform leaves residuals scattered around zero; a wrong one
//! leaves a coherent field (growing from the centre for a wrong scale) or
//! no consistent peaks at all (different skin). The fit gives its own
//! uncertainty, from the patches' scatter, so a verdict comes with its
//! precision; the level whose patches give the most precise verdict decides
//! (on blurred, dim or noisy images the full-resolution band is mostly
//! noise, and a coarser level sees the skin better).

use super::patches::{Check, PatchShift, check, patch_size};
use crate::geometry::Homography;
use crate::raster::Rect;

/// The residual field fitted to a [`Check`]'s shifts, and what it says
/// about the transform.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// Pyramid level of the patches.
    pub level: usize,
    /// Patches wholly inside the overlap.
    pub patches: usize,
    /// Patches with a correlation peak inside the search window.
    pub peaks: usize,
    /// Peaks that agree with the fitted field.
    pub inliers: usize,
    /// Largest displacement of BASE's corners under the fitted residual
    /// field, full-resolution px: how far the transform is off there.
    pub corner_px: f64,
    /// Standard error of `corner_px` (from the inliers' scatter), full-resolution px.
    pub sigma_px: f64,
    /// The fitted field as a transform of BASE (full resolution): the
    /// patches say `moving_from_base · correction` is the better transform.
    pub correction: Homography,
}

/// Parameters of the residual field: a first-order homography.
const PARAMS: usize = 8;

/// Fits the residual field of `c` (a level of `w × h` px) — the first-order
/// change of a homography, so a wrong perspective is measured at the
/// corners as well as a wrong scale — leaving out patches that disagree
/// with it.
#[must_use]
pub fn verdict(c: &Check, w: usize, h: usize) -> Verdict {
    type Row = nalgebra::SMatrix<f64, 2, PARAMS>;
    type Vector = nalgebra::SVector<f64, PARAMS>;
    type Square = nalgebra::SMatrix<f64, PARAMS, PARAMS>;
    let f = 2f64.powi(c.level as i32);
    let mut v = Verdict::empty(c.level);
    v.patches = c.patches;
    v.peaks = c.peaks.len();
    // normalised coordinates: centred, unit half-size (conditions the fit)
    let (cx, cy) = (0.5 * (w as f64 - 1.0), 0.5 * (h as f64 - 1.0));
    let sn = 0.5 * w.max(h) as f64;
    // level-px displacement at (x, y) per parameter: with (u, v) normalised,
    // dx = θ0 + θ1 u + θ2 v − u (θ6 u + θ7 v), dy = θ3 + θ4 u + θ5 v − v (θ6 u + θ7 v)
    let jac = |x: f64, y: f64| {
        let (u, v) = ((x - cx) / sn, (y - cy) / sn);
        Row::from_row_slice(&[
            1.0,
            u,
            v,
            0.0,
            0.0,
            0.0,
            -u * u,
            -u * v, //
            0.0,
            0.0,
            0.0,
            1.0,
            u,
            v,
            -u * v,
            -v * v,
        ])
    };
    // scale of the information matrices (they are relative): their mean trace
    let scale = c.peaks.iter().map(|p| p.info[0] + p.info[2]).sum::<f64>()
        / (c.peaks.len().max(1) as f64)
        / 2.0;
    if scale.is_nan() || scale <= 0.0 {
        return v;
    }
    let info =
        |p: &PatchShift| nalgebra::Matrix2::new(p.info[0], p.info[1], p.info[1], p.info[2]) / scale;
    let mut inlier = vec![true; c.peaks.len()];
    let mut fit: Option<(Square, Vector, f64)> = None;
    for _ in 0..5 {
        let n = inlier.iter().filter(|&&b| b).count();
        if 2 * n <= PARAMS {
            return v;
        }
        // weighted least squares: Σ JᵀWJ θ = Σ JᵀW s
        let mut normal = Square::zeros();
        let mut rhs = Vector::zeros();
        for (p, _) in c.peaks.iter().zip(&inlier).filter(|(_, i)| **i) {
            let (j, wm) = (jac(p.x, p.y), info(p));
            normal += j.transpose() * wm * j;
            rhs += j.transpose() * wm * nalgebra::Vector2::new(p.dx, p.dy);
        }
        let Some(inv) = normal.try_inverse() else {
            return v;
        };
        let theta = inv * rhs;
        // Mahalanobis residuals rᵀWr, and plain ones
        let resid: Vec<(f64, f64)> = c
            .peaks
            .iter()
            .map(|p| {
                let r = nalgebra::Vector2::new(p.dx, p.dy) - jac(p.x, p.y) * theta;
                ((r.transpose() * info(p) * r)[(0, 0)], r.norm())
            })
            .collect();
        let chi2: f64 = resid
            .iter()
            .zip(&inlier)
            .filter(|(_, i)| **i)
            .map(|(r, _)| r.0)
            .sum();
        let s2 = chi2 / (2 * n - PARAMS) as f64;
        fit = Some((inv, theta, s2));
        // a patch disagrees when it is off the field by more than 3 σ of
        // its own (χ² with 2 degrees of freedom beyond 11.8: p < 0.003)
        // and by more than 0.35 px: sub-pixel scatter is every patch's lot
        let next: Vec<bool> = resid
            .iter()
            .map(|&(m, r)| m <= 11.8 * s2 || r <= 0.35)
            .collect();
        if next == inlier {
            break;
        }
        inlier = next;
    }
    let Some((inv, theta, s2)) = fit else {
        return v;
    };
    v.inliers = inlier.iter().filter(|&&b| b).count();
    let cov = inv * s2;
    let (mut corner, mut sigma) = (0.0f64, 0.0f64);
    let (xe, ye) = (w as f64 - 1.0, h as f64 - 1.0);
    for (x, y) in [(0.0, 0.0), (xe, 0.0), (0.0, ye), (xe, ye)] {
        let j = jac(x, y);
        corner = corner.max((j * theta).norm());
        sigma = sigma.max((j * cov * j.transpose()).trace().max(0.0).sqrt());
    }
    v.corner_px = corner * f;
    v.sigma_px = sigma * f;
    // the field as a homography of BASE: N⁻¹ (I + E) N with N the
    // normalisation, then from level to full-resolution coordinates
    let t = theta / sn;
    let e = Homography([
        [1.0 + t[1], t[2], t[0]],
        [t[4], 1.0 + t[5], t[3]],
        [t[6], t[7], 1.0],
    ]);
    let norm = Homography([
        [1.0 / sn, 0.0, -cx / sn],
        [0.0, 1.0 / sn, -cy / sn],
        [0.0, 0.0, 1.0],
    ]);
    let to_level = Homography::scale_pixel_centres(1.0 / f);
    if let (Some(ni), Some(li)) = (norm.inverse(), to_level.inverse()) {
        v.correction = (li * ni * e * norm * to_level).normalised();
    }
    v
}

/// Largest corner error a registration reported `ok` may have, full-resolution
/// px: the verified bound (the patches' corner residual plus 2.5 standard
/// errors) must stay below it.
pub const TOLERANCE_PX: f64 = 1.5;

/// Standard errors an estimate keeps to spare within [`TOLERANCE_PX`]
/// (see [`Verdict::bound_px`]; the aligner asks the same of its dense fit).
pub const MARGIN_SIGMAS: f64 = 2.5;

/// Fewest patches that must agree before any verdict is drawn: with fewer,
/// a few chance correlations of unrelated skin could fit an affine field.
pub const MIN_INLIERS: usize = 10;

/// Why a pair cannot be aligned at all, if a side is too short for any
/// alignment to be verified ([`super::patches::MIN_SIDE`]).
#[must_use]
pub fn too_small(sides: [usize; 4]) -> Option<String> {
    let need = super::patches::MIN_SIDE;
    (sides.iter().any(|&s| s < need))
        .then(|| format!("image too small to align (need {need} px a side)"))
}

impl Verdict {
    /// A verdict with nothing measured (no level large enough).
    fn empty(level: usize) -> Verdict {
        Verdict {
            level,
            patches: 0,
            peaks: 0,
            inliers: 0,
            corner_px: f64::INFINITY,
            sigma_px: f64::INFINITY,
            correction: Homography::IDENTITY,
        }
    }

    /// Patches needed to agree: [`MIN_INLIERS`], and half of those inside
    /// the overlap (a right transform lines up most of the skin).
    #[must_use]
    pub fn needed(&self) -> usize {
        MIN_INLIERS.max(self.patches.div_ceil(2))
    }

    /// Enough patches line up on one smooth residual field.
    #[must_use]
    pub fn consistent(&self) -> bool {
        self.inliers >= self.needed()
    }

    /// Upper bound of the corner error, full-resolution px: the residual
    /// plus 2.5 standard errors (≈ 99.4 % one-sided for a normal error; the
    /// standard error comes from 10–36 patches, so it is itself uncertain
    /// by 10–25 %, and 2 would leave too little room for that).
    #[must_use]
    pub fn bound_px(&self) -> f64 {
        self.corner_px + MARGIN_SIGMAS * self.sigma_px
    }

    /// The patches confirm the transform to within [`TOLERANCE_PX`] (the
    /// aligner also asks the dense fit's own precision, `Estimate::precise`).
    #[must_use]
    pub fn confirms(&self) -> bool {
        self.consistent() && self.bound_px() <= TOLERANCE_PX
    }

    /// Why the transform is not confirmed, in one phrase.
    #[must_use]
    pub fn reason(&self) -> String {
        if self.consistent() {
            format!(
                "alignment not confirmed: the patches put the corners up to {:.1} px off ({:.1} + {MARGIN_SIGMAS} × {:.1} px; limit {TOLERANCE_PX} px): too little texture, or too much change",
                self.bound_px(),
                self.corner_px,
                self.sigma_px
            )
        } else if self.patches < self.needed() {
            format!(
                "too little of the two images overlaps, or has detail, to check the alignment: {} patches could be compared (need {})",
                self.patches,
                self.needed()
            )
        } else {
            format!(
                "the images do not line up after alignment: {} of {} patches agree (need {}): different skin, or too much change",
                self.inliers,
                self.patches,
                self.needed()
            )
        }
    }
}

/// Verifies `moving_from_base` (full-resolution coordinates) with patches
/// at the levels `levels` that are large enough, and returns the most
/// precise consistent verdict (or, when none is consistent, the one with the
/// most agreeing patches). The finest level comes first, and when it
/// confirms the transform with half the tolerance to spare the coarser ones
/// are not looked at (a sharp, textured pair: most pairs).
#[must_use]
pub fn verify(
    pb: &super::Pyramid<'_>,
    pm: &super::Pyramid<'_>,
    moving_from_base: &Homography,
    levels: std::ops::RangeInclusive<usize>,
    exclude: &[Rect],
) -> Verdict {
    let first = *levels.start();
    let mut verdicts: Vec<Verdict> = Vec::new();
    for k in levels.filter(|&k| k < pb.len().min(pm.len())) {
        let (w, h) = pb.size(k);
        if patch_size(w, h).is_none() {
            continue;
        }
        let (g, excl) = (
            super::at_level(moving_from_base, k),
            super::scaled_rects(exclude, k),
        );
        // planes where the level is one (sampling through `dyn` costs a
        // virtual call per tap)
        let c = match (pb.plane(k), pm.plane(k)) {
            (Some(b), Some(m)) => check(b, m, &g, &excl, k),
            _ => check(pb.source(k), pm.source(k), &g, &excl, k),
        };
        let v = verdict(&c, w, h);
        if verdicts.is_empty() && v.confirms() && v.bound_px() <= 0.5 * TOLERANCE_PX {
            return v;
        }
        verdicts.push(v);
    }
    verdicts
        .iter()
        .filter(|v| v.consistent())
        .min_by(|a, b| a.sigma_px.total_cmp(&b.sigma_px))
        .or_else(|| verdicts.iter().max_by_key(|v| v.inliers))
        .cloned()
        .unwrap_or_else(|| Verdict::empty(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unconfirmed_alignment_names_the_bound_it_compared() {
        // 0.7 px off with a standard error of 0.6: the bound 2.2 px is what
        // failed the 1.5 px limit, and the reason says so
        let loose = Verdict {
            patches: 20,
            inliers: 20,
            corner_px: 0.7,
            sigma_px: 0.6,
            ..Verdict::empty(0)
        };
        assert!(!loose.confirms());
        let why = loose.reason();
        assert!(
            why.contains("up to 2.2 px off (0.7 + 2.5 × 0.6 px; limit 1.5 px)"),
            "{why}"
        );
    }

    #[test]
    fn too_few_patches_to_compare_is_said_as_such() {
        // nine patches in the overlap, ten needed: not "9 of 9 agree"
        let few = Verdict {
            patches: 9,
            inliers: 9,
            ..Verdict::empty(0)
        };
        assert!(
            few.reason()
                .contains("9 patches could be compared (need 10)"),
            "{}",
            few.reason()
        );
        let unrelated = Verdict {
            patches: 30,
            inliers: 4,
            ..Verdict::empty(0)
        };
        assert!(
            unrelated
                .reason()
                .contains("4 of 30 patches agree (need 15)"),
            "{}",
            unrelated.reason()
        );
    }

    #[test]
    fn verdict_measures_a_known_field_and_drops_outliers() {
        // shifts of a small homography perturbation at a 6 × 6 grid of a
        // 300 × 200 level, plus four wild patches
        let (w, h) = (300usize, 200usize);
        let truth = Homography([
            [1.002, 0.001, 0.4],
            [-0.0015, 0.998, -0.3],
            [2e-6, -3e-6, 1.0],
        ]);
        let mut peaks = Vec::new();
        for gy in 0..6 {
            for gx in 0..6 {
                let (x, y) = (25.0 + 50.0 * gx as f64, 16.0 + 33.0 * gy as f64);
                let (u, v) = truth.apply(x, y).expect("finite");
                peaks.push(PatchShift {
                    x,
                    y,
                    dx: u - x,
                    dy: v - y,
                    ncc: 0.9,
                    info: [1.0, 0.0, 1.0],
                });
            }
        }
        for (k, p) in peaks.iter_mut().enumerate().filter(|(k, _)| k % 9 == 4) {
            p.dx += if k % 2 == 0 { 1.5 } else { -1.2 };
            p.dy -= 0.9;
        }
        let c = Check {
            level: 1,
            patches: 36,
            peaks,
        };
        let v = verdict(&c, w, h);
        let want = [(0.0, 0.0), (299.0, 0.0), (0.0, 199.0), (299.0, 199.0)]
            .iter()
            .map(|&(x, y)| {
                let (u, v) = truth.apply(x, y).expect("finite");
                (u - x).hypot(v - y)
            })
            .fold(0.0, f64::max)
            * 2.0; // level 1: full-resolution px are twice as small
        assert_eq!(v.inliers, 32, "{v:?}");
        // 0.02 px: the field is first-order in the perturbation, whose
        // second-order terms are ~1e-3 px here; dropping the outliers wrongly
        // would leave ~0.3 px
        assert!(
            (v.corner_px - want).abs() < 0.02,
            "{} vs {want}",
            v.corner_px
        );
        assert!(v.sigma_px < 0.01, "{v:?}");
        assert!(v.consistent() && v.confirms() == (v.bound_px() <= TOLERANCE_PX));
        // the correction undoes the field: truth ≈ identity · correction at level 1
        let s = Homography::scale_pixel_centres(0.5);
        let level_correction = s * v.correction * s.inverse().expect("invertible");
        assert!(level_correction.corner_error(&truth, w, h) < 0.02);
    }
}
