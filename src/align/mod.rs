//! Alignment: registers a follow-up capture to the baseline capture of the
//! same view and brings it into the baseline frame.
//!
//! Two stages, coarse to fine:
//! 1. **Coarse** — keypoints and RootSIFT descriptors on a reduced pyramid
//!    level (`features`), mutual ratio-test matching, and a MSAC homography
//!    with degenerate-sample checks and least-squares re-fits (`ransac`); a
//!    similarity model is tried when too few matches support a homography.
//! 2. **Fine** — inverse-compositional Gauss–Newton on the full homography,
//!    level by level up to full resolution (`refine`), on an
//!    illumination-robust local-contrast image (`pyramid::structure`) with a
//!    gain/bias model and Tukey weights.
//!
//! 3. **Verification** — every transform is checked independently of how it
//!    was found (`verify`): BASE is cut into a grid of patches, each is
//!    matched against the warped MOVING in a small window, and the residual
//!    shifts must be consistent and put the corners within
//!    [`verify::TOLERANCE_PX`] (with 2.5 standard errors to spare), as must
//!    2.5 of the dense fit's own standard errors. The
//!    keypoint estimate, refined to full resolution, is checked first; if it
//!    is not confirmed, the estimates of the coarser levels (on blurred, dim
//!    or noisy images the finest levels hold mostly noise), a global search
//!    (`search`) and a re-refinement from where the patches say the best
//!    candidate is off are checked in turn. The first confirmed one is kept.
//!
//! Then it decides, honestly: no confirmed transform, an implausible one or
//! too little overlap make the status `failed` with a reason — never a
//! plausible-looking transform. The correlations it reports (`score`,
//! `structure_score`) describe the result; they do not decide it.
//! `base_from_moving` maps a pixel position of MOVING to the same skin point
//! in BASE (DESIGN.md's convention).

pub mod baseline;
pub mod features;
pub mod matching;
pub mod pyramid;
pub mod ransac;
pub mod refine;
pub mod search;
pub mod patches;
pub mod verify;
pub mod warp;

use crate::geometry::Homography;
use crate::raster::{Plane, Rect, RgbPlanes};
pub use baseline::Baseline;
use pyramid::Pyramid;
use serde::Serialize;

/// Settings of the alignment stage.
#[derive(Clone, Debug)]
pub struct AlignOptions {
    /// Longest side of the pyramid level used for keypoints, px.
    pub coarse_max_side: usize,
    /// Base-frame rectangles left out of the fit (a bandage, jewellery,
    /// the region that changed most).
    pub exclude: Vec<Rect>,
    /// Keypoints kept per image.
    pub max_keypoints: usize,
    /// Lowest fraction of the base covered by the moving image.
    pub min_overlap: f64,
    /// Finest pyramid level refined (0 = full resolution).
    pub finest_level: usize,
}

impl Default for AlignOptions {
    fn default() -> Self {
        AlignOptions {
            coarse_max_side: 640,
            exclude: Vec::new(),
            max_keypoints: 2500,
            min_overlap: 0.3,
            finest_level: 0,
        }
    }
}

/// Whether a registration can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Aligned with confidence.
    Ok,
    /// Not aligned: see the reason; no numbers may come from it.
    Failed,
}

impl Status {
    /// "ok" or "failed", as metrics.json writes it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
        }
    }
}

/// The result of registering one pair.
#[derive(Clone, Debug, Serialize)]
pub struct Registration {
    /// ok or failed.
    pub status: Status,
    /// Maps MOVING pixel positions to BASE (identity when failed).
    pub base_from_moving: Homography,
    /// Zero-mean normalised correlation of BASE and aligned MOVING (grey).
    pub score: f64,
    /// Fraction of BASE covered by MOVING.
    pub overlap: f64,
    /// Correlation of the local-contrast images after alignment.
    pub structure_score: f64,
    /// Keypoint matches that agree with the coarse model.
    pub inliers: usize,
    /// Fraction of matches that agree.
    pub inlier_ratio: f64,
    /// RMS transfer error of the coarse inliers, full-resolution px.
    pub residual_px: f64,
    /// Estimated standard error of the corner positions, full-resolution
    /// px (`None` when it could not be estimated).
    pub precision_px: Option<f64>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Registration {
    /// True when the capture may yield numbers.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// The baseline's registration to itself.
    #[must_use]
    pub fn identity() -> Registration {
        Registration {
            status: Status::Ok,
            base_from_moving: Homography::IDENTITY,
            score: 1.0,
            overlap: 1.0,
            structure_score: 1.0,
            inliers: 0,
            inlier_ratio: 1.0,
            residual_px: 0.0,
            precision_px: Some(0.0),
            reason: None,
        }
    }

    /// A registration that failed for `reason` (identity transform, no scores).
    #[must_use]
    pub fn failed(reason: String) -> Registration {
        Registration {
            status: Status::Failed,
            base_from_moving: Homography::IDENTITY,
            score: 0.0,
            overlap: 0.0,
            structure_score: 0.0,
            inliers: 0,
            inlier_ratio: 0.0,
            residual_px: 0.0,
            precision_px: None,
            reason: Some(reason),
        }
    }
}

/// Levels larger than this (pixels) are refined with per-sample local
/// normalisation rather than whole local-contrast images.
pub(crate) const LOCAL_NORM_PIXELS: usize = 1_500_000;

/// Level transform: full-resolution → level `k` coordinates.
fn level_from_full(k: usize) -> Homography {
    Homography::scale_pixel_centres(0.5f64.powi(k as i32))
}

/// `h` (full resolution) expressed in level-`k` coordinates of both images.
fn at_level(h: &Homography, k: usize) -> Homography {
    let s = level_from_full(k);
    s * *h * s.inverse().expect("invariant: scaling is invertible")
}

/// `h` from level-`k` coordinates back to full resolution.
fn from_level(h: &Homography, k: usize) -> Homography {
    let s = level_from_full(k);
    s.inverse().expect("invariant: scaling is invertible") * *h * s
}

fn scaled_rects(rects: &[Rect], k: usize) -> Vec<Rect> {
    let f = 1usize << k;
    rects
        .iter()
        .map(|r| Rect::new(r.x / f, r.y / f, r.w.div_ceil(f) + 1, r.h.div_ceil(f) + 1))
        .collect()
}

/// One dense estimate: the transform after refining down to some level.
#[derive(Clone, Copy, Debug)]
struct Estimate {
    /// moving_from_base, full-resolution coordinates.
    moving_from_base: Homography,
    /// Structure correlation at that level.
    structure: f64,
    /// The dense stage's corner standard error, full-resolution px.
    precision_px: f64,
}

impl Estimate {
    /// How far to trust this level's result, to order the candidates: the
    /// dense precision divided by the squared structure correlation ρ. The
    /// Gauss–Newton precision assumes MOVING holds the template's signal;
    /// at correlation ρ only ρ² of its variance does, the rest is noise,
    /// JPEG blocks and blur, and on blurred or dim images the finest level
    /// scores a fine precision on mostly that. The signal fraction alone
    /// would divide by ρ; ρ² because that noise is also correlated between
    /// neighbours and biased, which the residuals do not show (with ρ, the
    /// finest level of blurred pairs still came first in the survey of
    /// tests/align_hard.rs). Only an order: the verification decides.
    fn doubt_px(&self) -> f64 {
        self.precision_px / self.structure.max(0.05).powi(2)
    }

    /// The dense fit vouches for [`verify::TOLERANCE_PX`] with 2.5 of its own
    /// standard errors: the patches can share a bias where the detail fills
    /// part of the frame (one was 1.54 px off at a precision of 1.15 px).
    fn precise(&self) -> bool {
        verify::MARGIN_SIGMAS * self.precision_px <= verify::TOLERANCE_PX
    }
}

/// `estimates` in the order to verify them: least doubtful first.
fn by_doubt(mut estimates: Vec<Estimate>) -> Vec<Estimate> {
    estimates.sort_by(|a, b| a.doubt_px().total_cmp(&b.doubt_px()));
    estimates
}

/// Refines `moving_from_base` (full-resolution coordinates) on the levels
/// `from` down to `to` of both pyramids with `ropts`; returns the refined
/// transform, the structure correlation and the dense precision at the last
/// level, or `None` when the images stop overlapping.
fn refine_levels_with(
    pb: &Baseline<'_>,
    pm: &Pyramid<'_>,
    moving_from_base: Homography,
    from: usize,
    to: usize,
    exclude: &[Rect],
    ropts: &refine::RefineOptions,
) -> Option<(Homography, f64, f64)> {
    let path = refine_path(pb, pm, moving_from_base, from, to, exclude, ropts);
    if path.len() < (to..=from).count() {
        return None;
    }
    Some(
        path.last()
            .map_or((moving_from_base, 0.0, f64::INFINITY), |e| {
                (e.moving_from_base, e.structure, e.precision_px)
            }),
    )
}

/// The estimate after each level of refining `moving_from_base` from level
/// `from` down to `to`, coarsest first; it stops early when the images stop
/// overlapping.
fn refine_path(
    pb: &Baseline<'_>,
    pm: &Pyramid<'_>,
    moving_from_base: Homography,
    from: usize,
    to: usize,
    exclude: &[Rect],
    ropts: &refine::RefineOptions,
) -> Vec<Estimate> {
    let mut g = moving_from_base;
    let mut out = Vec::new();
    for k in (to..=from).rev() {
        let g_k = at_level(&g, k);
        let excl = scaled_rects(exclude, k);
        // megapixel levels: per-sample normalisation instead of whole images
        let (w, h) = pb.size(k);
        let r = match (pb.plane(k), pm.plane(k)) {
            (Some(b), Some(m)) if w * h <= LOCAL_NORM_PIXELS => {
                let (tb, tm) = rayon::join(|| pb.structure(k, b), || pyramid::structure(m));
                refine::refine(
                    &*tb,
                    &tm,
                    g_k,
                    &excl,
                    refine::Representation::Structure,
                    ropts,
                )
            }
            _ => refine::refine(
                pb.source(k),
                pm.source(k),
                g_k,
                &excl,
                refine::Representation::LocalNorm,
                ropts,
            ),
        };
        if r.inside < 0.2 || !r.moving_from_base.is_finite() {
            break;
        }
        g = from_level(&r.moving_from_base, k);
        out.push(Estimate {
            moving_from_base: g,
            structure: r.correlation,
            precision_px: r.precision_px * 2f64.powi(k as i32),
        });
    }
    out
}

/// First pyramid level (below `levels`) whose longer side is at most `side`.
pub(crate) fn level_at_most(p: &Pyramid<'_>, levels: usize, side: usize) -> usize {
    (0..levels)
        .find(|&k| {
            let (w, h) = p.size(k);
            w.max(h) <= side
        })
        .unwrap_or(levels - 1)
}

/// A level that exists as a plane (every level of at most 1024 px a side does).
fn plane<'p>(p: &'p Pyramid<'_>, k: usize) -> &'p Plane {
    p.plane(k)
        .expect("invariant: levels of at most 1024 px a side are planes")
}

/// Registers grey `moving` to grey `base` (any sizes; values 0–255, NaN =
/// no data). Never panics; a pair it cannot align gives `Status::Failed`.
#[must_use]
pub fn register(base: &Plane, moving: &Plane, opts: &AlignOptions) -> Registration {
    if let Some(why) =
        verify::too_small([base.width(), base.height(), moving.width(), moving.height()])
    {
        return Registration::failed(why);
    }
    let (pb, pm) = rayon::join(
        || Pyramid::of_plane(base, 24),
        || Pyramid::of_plane(moving, 24),
    );
    register_pyramids(&Baseline::bare(pb), &pm, opts)
}

/// Registers the luminance of colour photo `moving` to that of `base`
/// without making full-resolution grey copies (see [`register`]).
#[must_use]
pub fn register_rgb(base: &RgbPlanes, moving: &RgbPlanes, opts: &AlignOptions) -> Registration {
    let _t = crate::timing::span("align");
    if let Some(why) =
        verify::too_small([base.width(), base.height(), moving.width(), moving.height()])
    {
        return Registration::failed(why);
    }
    let (pb, pm) = rayon::join(|| Pyramid::of_rgb(base, 24), || Pyramid::of_rgb(moving, 24));
    register_pyramids(&Baseline::bare(pb), &pm, opts)
}

/// [`register_rgb`] of colour photo `moving` to a baseline made once for
/// every follow-up ([`Baseline::prepared`]): the same result, bit for bit.
#[must_use]
pub fn register_rgb_to(
    base: &Baseline<'_>,
    moving: &RgbPlanes,
    opts: &AlignOptions,
) -> Registration {
    let _t = crate::timing::span("align");
    let (bw, bh) = base.size(0);
    if let Some(why) = verify::too_small([bw, bh, moving.width(), moving.height()]) {
        return Registration::failed(why);
    }
    register_pyramids(base, &Pyramid::of_rgb_materialised(moving, 24), opts)
}

/// [`register`] of a moving pyramid to a baseline (tests).
#[cfg(test)]
fn register_to(base: &Baseline<'_>, pm: &Pyramid<'_>, opts: &AlignOptions) -> Registration {
    register_pyramids(base, pm, opts)
}

fn register_pyramids(pb: &Baseline<'_>, pm: &Pyramid<'_>, opts: &AlignOptions) -> Registration {
    let levels = pb.len().min(pm.len());
    let (bw, bh) = pb.size(0);
    let coarse = level_at_most(pb, levels, opts.coarse_max_side);
    // dense refinement always starts on a small level (~256 px), where the
    // local-contrast image is coarse and the basin of convergence wide
    let mid = level_at_most(pb, levels, 256).max(coarse);
    let finest = opts.finest_level.min(coarse);

    // 1. coarse: keypoints on level `coarse`
    let cached = pb.features(coarse, opts.max_keypoints);
    let (made, fm) = rayon::join(
        || {
            cached
                .is_none()
                .then(|| features::detect_and_describe(plane(pb, coarse), opts.max_keypoints))
        },
        || features::detect_and_describe(plane(pm, coarse), opts.max_keypoints),
    );
    let fb = cached
        .or(made.as_ref())
        .expect("invariant: made when not cached");
    let excl = scaled_rects(&opts.exclude, coarse);
    let matches: Vec<features::Match> = features::match_features(fb, &fm, 0.85)
        .into_iter()
        .filter(|m| {
            let p = fb.points[m.base];
            !excl
                .iter()
                .any(|r| r.contains(p.x.max(0.0) as usize, p.y.max(0.0) as usize))
        })
        .collect();
    let pairs: Vec<ransac::Pair> = matches
        .iter()
        .map(|m| {
            let (b, q) = (fb.points[m.base], fm.points[m.moving]);
            (
                (f64::from(q.x), f64::from(q.y)),
                (f64::from(b.x), f64::from(b.y)),
            )
        })
        .collect();
    let (cw, ch) = pb.size(coarse);
    let side = cw.max(ch) as f64;
    let threshold = (side / 400.0).clamp(2.0, 4.0);
    let fit = ransac::ransac(&pairs, ransac::Model::Homography, threshold, 5000, 12)
        .filter(|f| plausible(&f.dst_from_src, cw, ch))
        .or_else(|| {
            ransac::ransac(&pairs, ransac::Model::Similarity, threshold, 2000, 8)
                .filter(|f| plausible(&f.dst_from_src, cw, ch))
        });
    let inliers = fit
        .as_ref()
        .map_or(0, |f| f.inliers.iter().filter(|&&b| b).count());
    let residual_px = fit
        .as_ref()
        .map_or(0.0, |f| f.rms * 2f64.powi(coarse as i32));

    // 2. fine: dense refinement from a ~256 px level to full resolution;
    // every level's result is a candidate (on blurred, dim or noisy images
    // the finest levels hold mostly noise and may pull the fit off)
    let verify_levels = finest..=mid.min(finest + 3);
    let mut judge = Judge::new(pb, pm, verify_levels, &opts.exclude);
    let keypoint_path: Vec<Estimate> = fit
        .as_ref()
        .and_then(|f| from_level(&f.dst_from_src, coarse).inverse())
        .map(|g| {
            refine_path(
                pb,
                pm,
                g,
                mid,
                finest,
                &opts.exclude,
                &refine::RefineOptions::default(),
            )
        })
        .unwrap_or_default();
    judge.all(by_doubt(keypoint_path).iter(), bw, bh);

    // 3. keypoints failed or are not confirmed: global search, its best
    // candidate refined, and verification decides
    if !judge.confirmed() {
        let path = search_path(pb, pm, mid, finest, &opts.exclude);
        judge.all(by_doubt(path).iter(), bw, bh);
    }

    // 4. rescue: the patches of the most consistent candidate say where it
    // is off; refine again from there, no finer than the level they were
    // measured on. The corrected transform itself is not a candidate: it is
    // made of those patches' shifts, so they would confirm it whatever the
    // truth (where the skin's detail fills only part of the frame, a bias
    // of its patches extrapolated to the corners: held-out pairs were
    // confirmed 1.8 and 2.4 px off, BENCHMARKS.md); the dense refinement
    // from it is an estimate of its own, which they check like any other.
    if !judge.confirmed()
        && let Some((e, v)) = judge.most_consistent()
    {
        let g = e.moving_from_base * v.correction;
        let path = refine_path(
            pb,
            pm,
            g,
            (v.level + 1).min(mid),
            v.level.max(finest),
            &opts.exclude,
            &refine::RefineOptions::default(),
        );
        judge.all(by_doubt(path).iter(), bw, bh);
    }

    let Some(chosen) = judge.best() else {
        return Registration::failed(judge.reason().unwrap_or_else(|| {
            format!(
                "no consistent transform: {} keypoint matches, none agreeing on one motion, and no global match",
                pairs.len()
            )
        }));
    };
    let moving_from_base = chosen.moving_from_base;
    let Some(base_from_moving) = moving_from_base.inverse() else {
        return Registration::failed("singular transform after refinement".into());
    };
    let mut reg = Registration {
        status: Status::Ok,
        base_from_moving: base_from_moving.normalised(),
        score: 0.0,
        overlap: 0.0,
        structure_score: chosen.structure,
        inliers,
        inlier_ratio: inliers as f64 / pairs.len().max(1) as f64,
        residual_px,
        precision_px: Some(chosen.precision_px), // finite: the judge wants it ≤ 0.6 px
        reason: None,
    };
    let score_level = level_at_most(pb, levels, 1024);
    let (score, overlap) = score_and_overlap(
        plane(pb, score_level),
        plane(pm, score_level),
        &at_level(&moving_from_base, score_level),
        &scaled_rects(&opts.exclude, score_level),
    );
    reg.score = score;
    reg.overlap = overlap;
    if !plausible(&base_from_moving, bw, bh) {
        return Registration {
            status: Status::Failed,
            reason: Some("implausible transform (scale, shear or perspective out of range)".into()),
            ..reg
        };
    }
    if overlap < opts.min_overlap {
        return Registration {
            status: Status::Failed,
            reason: Some(format!(
                "too little overlap ({:.0} % of the baseline)",
                overlap * 100.0
            )),
            ..reg
        };
    }
    reg
}

/// The global search's candidates on level `level` (~256 px), screened,
/// the three best refined one level further and the best of those down to
/// `finest`: that path and the screened candidate itself.
fn search_path(
    pb: &Baseline<'_>,
    pm: &Pyramid<'_>,
    level: usize,
    finest: usize,
    exclude: &[Rect],
) -> Vec<Estimate> {
    let levels = pb.len().min(pm.len());
    let candidates = search::search(plane(pb, level), plane(pm, level), 12);
    // screening: a short, sparse refinement is enough to rank them; it
    // starts one level coarser, where the grid's steps are small
    let screen = refine::RefineOptions {
        samples: 6000,
        max_iters: 15,
        ..refine::RefineOptions::default()
    };
    let mut trials: Vec<(Homography, f64, f64)> = candidates
        .iter()
        .filter_map(|c| {
            refine_levels_with(
                pb,
                pm,
                from_level(&c.moving_from_base, level),
                (level + 1).min(levels - 1),
                level,
                exclude,
                &screen,
            )
        })
        .collect();
    trials.sort_by(|a, b| b.1.total_cmp(&a.1));
    trials.truncate(3);
    let next = level.saturating_sub(1).max(finest);
    let mut trials: Vec<Estimate> = trials
        .into_iter()
        .filter_map(|(g, _, _)| {
            refine_path(
                pb,
                pm,
                g,
                next,
                next,
                exclude,
                &refine::RefineOptions::default(),
            )
            .pop()
        })
        .collect();
    trials.sort_by(|a, b| b.structure.total_cmp(&a.structure));
    let Some(best) = trials.first().copied() else {
        return Vec::new();
    };
    let mut path = refine_path(
        pb,
        pm,
        best.moving_from_base,
        level.saturating_sub(2).max(finest),
        finest,
        exclude,
        &refine::RefineOptions::default(),
    );
    path.push(best);
    path
}

/// Verifies candidate transforms (independently of how they were found),
/// in order of preference until one is confirmed, and keeps every verdict
/// (for the rescue and for the reason of a failure).
struct Judge<'p, 'a> {
    pb: &'p Pyramid<'a>,
    pm: &'p Pyramid<'a>,
    levels: std::ops::RangeInclusive<usize>,
    exclude: &'p [Rect],
    judged: Vec<(Estimate, verify::Verdict)>,
    implausible: usize,
}

impl<'p, 'a> Judge<'p, 'a> {
    fn new(
        pb: &'p Pyramid<'a>,
        pm: &'p Pyramid<'a>,
        levels: std::ops::RangeInclusive<usize>,
        exclude: &'p [Rect],
    ) -> Self {
        Judge {
            pb,
            pm,
            levels,
            exclude,
            judged: Vec::new(),
            implausible: 0,
        }
    }

    /// Verifies `estimates` in order of preference (implausible ones are
    /// not verified), stopping at the first confirmed one.
    fn all<'e>(&mut self, estimates: impl Iterator<Item = &'e Estimate>, bw: usize, bh: usize) {
        for e in estimates {
            if self.confirmed() {
                return;
            }
            let plausible = e
                .moving_from_base
                .inverse()
                .is_some_and(|b| plausible(&b, bw, bh));
            if !plausible {
                self.implausible += 1;
                continue;
            }
            let v = verify::verify(
                self.pb,
                self.pm,
                &e.moving_from_base,
                self.levels.clone(),
                self.exclude,
            );
            self.judged.push((*e, v));
        }
    }

    /// Some candidate is confirmed.
    fn confirmed(&self) -> bool {
        self.best().is_some()
    }

    /// The confirmed candidate: the first, as candidates are verified in
    /// order of preference until one is confirmed (the patches are there to
    /// confirm; ranking confirmed candidates is the dense stage's job, and it
    /// is the more precise).
    fn best(&self) -> Option<Estimate> {
        self.judged
            .iter()
            .find(|(e, v)| v.confirms() && e.precise())
            .map(|(e, _)| *e)
    }

    /// The consistent candidate (enough patches on one residual field) with
    /// the smallest error bound, confirmed or not.
    fn most_consistent(&self) -> Option<(Estimate, verify::Verdict)> {
        self.judged
            .iter()
            .filter(|(_, v)| v.consistent())
            .min_by(|a, b| a.1.bound_px().total_cmp(&b.1.bound_px()))
            .cloned()
    }

    /// Why nothing was confirmed: the least imprecise dense fit that the
    /// patches confirmed, else the verdict of the most consistent
    /// candidate, else of the one with the most agreeing patches; `None`
    /// when there was no candidate at all.
    fn reason(&self) -> Option<String> {
        let confirmed = self.judged.iter().filter(|(_, v)| v.confirms());
        if let Some(p) = confirmed.map(|(e, _)| e.precision_px).reduce(f64::min) {
            let p = p.is_finite().then(|| format!("{p:.2} px"));
            return Some(format!(
                "alignment not confirmed: the fit's own standard error is {} (limit {:.2} px): too little sharp detail",
                p.as_deref().unwrap_or("unknown"),
                verify::TOLERANCE_PX / verify::MARGIN_SIGMAS
            ));
        }
        if let Some((_, v)) = self.most_consistent() {
            return Some(v.reason());
        }
        match self.judged.iter().max_by_key(|(_, v)| v.inliers) {
            Some((_, v)) => Some(v.reason()),
            None if self.implausible > 0 => {
                Some("implausible transform (scale, shear or perspective out of range)".into())
            }
            None => None,
        }
    }
}

/// A transform a hand-held camera can produce: no reflection, scale within
/// 0.4–2.5, moderate anisotropy, corners not flying off.
fn plausible(h: &Homography, w: usize, hgt: usize) -> bool {
    let m = h.0;
    let det2 = h.linear_determinant();
    if !h.is_finite() || det2 <= 0.0 {
        return false;
    }
    let scale = det2.sqrt();
    if !(0.4..=2.5).contains(&scale) {
        return false;
    }
    // singular values of the linear part: anisotropy ≤ 2
    let (a, b, c, d) = (m[0][0], m[0][1], m[1][0], m[1][1]);
    let s1 = ((a * a + b * b + c * c + d * d)
        + ((a * a + b * b - c * c - d * d).powi(2) + 4.0 * (a * c + b * d).powi(2)).sqrt())
        / 2.0;
    let s2 = det2 * det2 / s1.max(1e-12);
    if s1.sqrt() / s2.sqrt().max(1e-12) > 2.0 {
        return false;
    }
    // perspective: the homogeneous w stays within 0.5–2 over the frame
    let (wf, hf) = (w as f64, hgt as f64);
    [(0.0, 0.0), (wf, 0.0), (0.0, hf), (wf, hf)]
        .iter()
        .all(|&(x, y)| (0.5..=2.0).contains(&(m[2][0] * x + m[2][1] * y + m[2][2])))
}

/// ZNCC of `base` and `moving` sampled through `moving_from_base` over the
/// base pixels that land inside `moving` (excluded rectangles left out), and
/// the fraction of base pixels that land inside.
#[must_use]
pub fn score_and_overlap(
    base: &Plane,
    moving: &Plane,
    moving_from_base: &Homography,
    exclude: &[Rect],
) -> (f64, f64) {
    let (w, h) = (base.width(), base.height());
    let (mut n, mut inside, mut total) = (0.0f64, 0usize, 0usize);
    let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for y in 0..h {
        for x in 0..w {
            total += 1;
            let Some((u, v)) = moving_from_base.apply(x as f64, y as f64) else {
                continue;
            };
            let b = moving.bilinear(u as f32, v as f32);
            if !b.is_finite() {
                continue;
            }
            inside += 1;
            let a = base.at(x, y);
            if !a.is_finite() || exclude.iter().any(|r| r.contains(x, y)) {
                continue;
            }
            let (a, b) = (f64::from(a), f64::from(b));
            n += 1.0;
            sa += a;
            sb += b;
            saa += a * a;
            sbb += b * b;
            sab += a * b;
        }
    }
    let overlap = inside as f64 / total.max(1) as f64;
    if n < 2.0 {
        return (0.0, overlap);
    }
    let den = ((saa - sa * sa / n) * (sbb - sb * sb / n)).sqrt();
    let score = if den > 0.0 {
        (sab - sa * sb / n) / den
    } else {
        0.0
    };
    (score, overlap)
}
