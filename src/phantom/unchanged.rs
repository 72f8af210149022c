//! The unchanged-skin phantom: one skin, identical at every visit, taken by
//! a hand-held camera whose capture changes (exposure, white balance, focus,
//! light ratio, vignetting, gamma, JPEG, noise) or fails outright. Any
//! change a measurement reports on such a case is an artefact of capture;
//! truth.json says what each capture did.

use super::capture::{
    CaptureChange, Chroma, HardFailure, LENS_SIGMA_PX, Lighting, jpeg_file, sensor_rgb8,
};
use super::skin::{Rng, Skin};
use super::{
    BASE_LIGHT, Layout, Regions, SkinState, base_date, case_manifest, check_new_case, radiance,
    scene_from_follow_up, write_truth,
};
use crate::date::Date;
use crate::error::{Error, Result};
use crate::geometry::Homography;
use crate::output;
use crate::raster::Rect;
use serde::Serialize;
use std::path::Path;

/// What kind of capture a session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureClass {
    /// The reference capture (the baseline).
    None,
    /// A change within the accepted range: measurement must not move.
    Accepted,
    /// A capture a gate must refuse.
    #[serde(untagged)]
    Hard(HardFailure),
}

/// One session's capture and its class.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SessionCapture {
    /// What the capture is meant to be.
    pub class: CaptureClass,
    /// How it differs from the reference.
    pub change: CaptureChange,
}

impl SessionCapture {
    /// The reference capture.
    pub const NONE: SessionCapture = SessionCapture {
        class: CaptureClass::None,
        change: CaptureChange::NONE,
    };

    /// An accepted change drawn with `seed` ([`CaptureChange::accepted`]).
    #[must_use]
    pub fn accepted(seed: u64) -> SessionCapture {
        SessionCapture {
            class: CaptureClass::Accepted,
            change: CaptureChange::accepted(seed),
        }
    }

    /// A hard failure ([`CaptureChange::hard`]).
    #[must_use]
    pub fn hard(kind: HardFailure) -> SessionCapture {
        SessionCapture {
            class: CaptureClass::Hard(kind),
            change: CaptureChange::hard(kind),
        }
    }
}

/// Which captures the sessions get; the baseline is always the reference
/// capture except with [`CapturePlan::Sessions`].
#[derive(Clone, Debug, PartialEq)]
pub enum CapturePlan {
    /// Every follow-up the reference capture: only the pose and the sensor
    /// noise differ (a change of one kind, such as a turned light, is then
    /// seen alone).
    Reference,
    /// Every follow-up an accepted change drawn from the seed.
    Accepted,
    /// Every follow-up a hard failure, cycling through
    /// [`HardFailure::ALL`].
    Hard,
    /// One follow-up of each hard failure (at positions drawn from the
    /// seed), the others accepted changes; needs ≥ 5 sessions.
    Mixed,
    /// Exactly these captures, one per session, baseline first.
    Sessions(Vec<SessionCapture>),
}

/// Settings of [`generate_unchanged`].
#[derive(Clone, Debug)]
pub struct UnchangedOptions {
    /// Seed of every random choice (skin, poses, drawn changes, noise).
    pub seed: u64,
    /// Number of sessions (2–12; ≥ 5 for [`CapturePlan::Mixed`]).
    pub sessions: usize,
    /// Photo width, px.
    pub width: usize,
    /// Photo height, px.
    pub height: usize,
    /// Physical scale, mm per baseline pixel.
    pub mm_per_px: f64,
    /// The captures.
    pub plan: CapturePlan,
    /// Lasting extra haemoglobin of the region (0–1, as
    /// `PhantomOptions::erythema`, held at every session): skin whose
    /// redness excess over the control is visible (0.15: about 8
    /// erythema-index units) rather than the 1–4 units of untreated skin.
    pub erythema: f64,
    /// That redness in a round patch over part of the region
    /// (`PhantomOptions::erythema_patch`).
    pub erythema_patch: bool,
    /// The JPEG chroma resolution of the captures (not applied to
    /// [`CapturePlan::Sessions`], whose captures say their own).
    pub cameras: Cameras,
    /// Stick a grey-step reference card on the skin (`PhantomOptions::card`).
    pub card: bool,
    /// Frame the skin with hair, clothes and a wall, as a face photo is.
    pub surround: bool,
    /// Move the fine lines to cross the region (drawn anywhere in the scene
    /// otherwise, they seldom cross it long enough to be tracked), shown by
    /// their shading alone.
    pub lines_across: bool,
    /// The side light turned by this many degrees at every follow-up
    /// ([`CaptureChange::side_light_turn_deg`]; not applied to
    /// [`CapturePlan::Sessions`], whose captures say their own).
    pub light_turn_deg: f64,
}

/// Which camera's JPEGs the sessions get: the chroma resolution, and with
/// it the encoder ([`Chroma`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Cameras {
    /// Every capture full chroma, 4:4:4 (the reference camera).
    #[default]
    Full,
    /// Every capture, the baseline's too, 4:2:0 (a phone).
    Subsampled,
    /// The baseline full chroma; each follow-up 4:2:0 or 4:4:4 by a seeded
    /// coin (a clinic that changes camera between visits).
    Mixed,
}

impl Cameras {
    /// Sets each capture's chroma of `plan` as these cameras write it.
    fn apply_mut(self, plan: &mut [SessionCapture], seed: u64) {
        for (i, c) in plan.iter_mut().enumerate() {
            c.change.chroma = match self {
                Cameras::Full => Chroma::Full,
                Cameras::Subsampled => Chroma::Subsampled,
                Cameras::Mixed if i == 0 => Chroma::Full,
                Cameras::Mixed => {
                    if Rng(session_seed(seed, 0xC420, i)).range(0.0, 1.0) < 0.5 {
                        Chroma::Subsampled
                    } else {
                        Chroma::Full
                    }
                }
            };
        }
    }
}

impl Default for UnchangedOptions {
    fn default() -> Self {
        UnchangedOptions {
            seed: 1,
            sessions: 5,
            width: 1200,
            height: 900,
            mm_per_px: 0.05,
            plan: CapturePlan::Mixed,
            erythema: 0.0,
            erythema_patch: false,
            cameras: Cameras::Full,
            card: false,
            surround: false,
            lines_across: false,
            light_turn_deg: 0.0,
        }
    }
}

/// What one capture was and did (truth of a session photographed through
/// the capture model).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CaptureRecord {
    /// What the capture is meant to be: "none", "accepted", "overexposed",
    /// "blurred" or "cut_scan".
    pub class: CaptureClass,
    /// The capture.
    pub change: CaptureChange,
    /// Fraction of the photo's pixels inside the ROI (mapped through the
    /// session's `base_from_moving`) with at least one channel at 255 in the
    /// 8-bit frame before JPEG.
    pub roi_clipped_fraction: f64,
}

/// Truth of one session of the unchanged phantom.
#[derive(Clone, Debug, Serialize)]
pub struct CaptureTruth {
    /// Visit date.
    pub date: Date,
    /// Days since the baseline.
    pub days: i64,
    /// Whether a treatment was given at this visit (photos are taken first).
    pub treatment: bool,
    /// The capture.
    #[serde(flatten)]
    pub capture: CaptureRecord,
    /// Maps this photo's pixel positions to the baseline photo's.
    pub base_from_moving: Homography,
}

/// Everything the unchanged-skin generator knows (written as truth.json).
#[derive(Clone, Debug, Serialize)]
pub struct UnchangedTruth {
    /// Always "unchanged": the skin is the same at every session.
    pub course: &'static str,
    /// Generator seed.
    pub seed: u64,
    /// Photo size.
    pub size: (usize, usize),
    /// Scale, mm per baseline pixel.
    pub mm_per_px: f64,
    /// The case ROI, baseline px.
    pub roi: Rect,
    /// The control region, baseline px.
    pub control: Rect,
    /// The grey card, baseline px, where the case has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<Rect>,
    /// The skin's state, identical at every session.
    pub state: SkinState,
    /// The reference lights (a session's side-light ratio rescales them).
    pub lighting: Lighting,
    /// The lens's own blur σ, px (every capture has it).
    pub lens_sigma_px: f64,
    /// Per session.
    pub sessions: Vec<CaptureTruth>,
}

/// Reference exposure of the unchanged phantom: skin in the ROI at a median
/// of about 166, 114 and 84 encoded (0.38, 0.17, 0.09 linear) in R, G, B, so
/// the largest accepted gain and white balance (1.5 × 1.1) still leave the
/// skin below full scale.
const REFERENCE_EXPOSURE: f64 = 0.65;

/// The reference setup: a ring flash on the camera axis and an oblique
/// side light, with a little ambient light (flat-skin weights 0.15, 0.30,
/// 0.55 before the exposure).
pub(super) fn reference_lighting() -> Lighting {
    let l = BASE_LIGHT;
    let n = (l[0] * l[0] + l[1] * l[1] + l[2] * l[2]).sqrt();
    let e = REFERENCE_EXPOSURE;
    Lighting {
        side_direction: [l[0] / n, l[1] / n, l[2] / n],
        ambient: 0.15 * e,
        frontal: 0.30 * e,
        side: 0.55 * e,
        // the treated phantom's sheen per unit of side light
        sheen: 0.03 / 0.7 * 0.55 * e,
    }
}

/// The skin at every session: the baseline state, no redness (a lasting
/// redness set by [`UnchangedOptions::erythema`]).
const STATE: SkinState = SkinState::BASELINE;

/// A per-session seed from the generator seed and a stream tag.
fn session_seed(seed: u64, stream: u64, i: usize) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ stream ^ (i as u64 + 1).wrapping_mul(0x5_DEEC_E66D)
}

/// The capture of each of `n` sessions under `plan`, baseline first.
///
/// # Errors
/// [`Error::Usage`] when the plan does not fit `n` sessions.
pub(super) fn captures(plan: &CapturePlan, seed: u64, n: usize) -> Result<Vec<SessionCapture>> {
    let accepted = |i: usize| SessionCapture::accepted(session_seed(seed, 0xACC, i));
    let mut v = vec![SessionCapture::NONE];
    match plan {
        CapturePlan::Reference => v.extend((1..n).map(|_| SessionCapture {
            class: CaptureClass::Accepted,
            change: CaptureChange::NONE,
        })),
        CapturePlan::Accepted => v.extend((1..n).map(accepted)),
        CapturePlan::Hard => v.extend(
            (1..n)
                .map(|i| SessionCapture::hard(HardFailure::ALL[(i - 1) % HardFailure::ALL.len()])),
        ),
        CapturePlan::Mixed => {
            let hard = HardFailure::ALL.len();
            if n < hard + 2 {
                return Err(Error::usage(format!(
                    "--capture mixed needs at least {} sessions (a baseline, an accepted change and one of each hard failure), got {n}",
                    hard + 2
                )));
            }
            // positions of the hard failures among the follow-ups: a seeded
            // Fisher–Yates shuffle of 1..n
            let mut slots: Vec<usize> = (1..n).collect();
            let mut rng = Rng(session_seed(seed, 0x5107, 0));
            for k in (1..slots.len()).rev() {
                let j = (rng.range(0.0, (k + 1) as f64) as usize).min(k);
                slots.swap(k, j);
            }
            v.extend(
                (1..n).map(|i| match slots[..hard].iter().position(|&s| s == i) {
                    Some(k) => SessionCapture::hard(HardFailure::ALL[k]),
                    None => accepted(i),
                }),
            );
        }
        CapturePlan::Sessions(given) => {
            if given.len() != n {
                return Err(Error::usage(format!(
                    "the capture plan lists {} sessions, but {n} were asked for",
                    given.len()
                )));
            }
            v = given.clone();
        }
    }
    Ok(v)
}

/// Generates a case in which the skin never changes and only the capture
/// does, into `out_dir` (which must be empty or absent): dated session
/// folders with cheek.jpg, case.toml (ROI, control, scale; a treatment at
/// every visit but the last, photos first, so no session is 1–3 days after
/// one), and truth.json ([`UnchangedTruth`]). Visits are four weeks apart;
/// the camera pose changes between visits as in [`super::generate`].
///
/// # Errors
/// [`Error::Usage`] for bad settings or a non-empty folder; [`Error::Write`].
pub fn generate_unchanged(out_dir: &Path, opts: &UnchangedOptions) -> Result<UnchangedTruth> {
    check_new_case(
        out_dir,
        opts.sessions,
        opts.width,
        opts.height,
        opts.erythema,
    )?;
    let mut plan = captures(&opts.plan, opts.seed, opts.sessions)?;
    if !matches!(opts.plan, CapturePlan::Sessions(_)) {
        opts.cameras.apply_mut(&mut plan, opts.seed);
        for c in plan.iter_mut().skip(1) {
            c.change.side_light_turn_deg = opts.light_turn_deg;
        }
    }
    let (w, h) = (opts.width, opts.height);
    let layout = Layout::new(w, h);
    let (sw, sh) = layout.scene_size;
    let card = opts.card.then_some(layout.card);
    let skin = Skin::new(opts.seed, sw, sh, opts.mm_per_px, layout.roi, (w, h))
        .with_card(card)
        .with_surround(opts.surround)
        .with_erythema_patch(opts.erythema_patch.then_some(layout.roi));
    let skin = if opts.lines_across {
        skin.with_lines_across(layout.roi, false)
    } else {
        skin
    };
    let scene_from_base = Homography::translation(layout.offset.0, layout.offset.1);
    let base_from_scene = scene_from_base.inverse().expect("invariant: translation");
    let state = SkinState {
        erythema: opts.erythema,
        ..STATE
    };
    let mut pose_rng = Rng(opts.seed ^ 0x9057_u64);
    let last = opts.sessions - 1;
    let mut sessions = Vec::with_capacity(opts.sessions);
    for (i, capture) in plan.iter().enumerate() {
        let scene_from_image = if i == 0 {
            scene_from_base
        } else {
            scene_from_follow_up(&mut pose_rng, scene_from_base, w, h)
        };
        let base_from_moving = (base_from_scene * scene_from_image).normalised();
        let days = 28 * i as i64;
        let date = base_date().plus_days(days);
        let shot = Shot {
            skin: &skin,
            state: &state,
            scene_from_image: &scene_from_image,
            size: (w, h),
            mm_per_px: opts.mm_per_px,
            roi: layout.roi,
            base_from_moving: &base_from_moving,
        };
        let path = out_dir.join(date.to_string()).join("cheek.jpg");
        let record = shot.write(&path, capture, session_seed(opts.seed, 0x0015E, i))?;
        sessions.push(CaptureTruth {
            date,
            days,
            treatment: i < last,
            capture: record,
            base_from_moving,
        });
    }
    let treatments: Vec<Date> = sessions
        .iter()
        .filter(|s| s.treatment)
        .map(|s| s.date)
        .collect();
    let manifest = case_manifest(
        &format!(
            "skintrack unchanged-skin phantom (seed {}): the skin never changes, only the capture does",
            opts.seed
        ),
        &format!("Phantom unchanged {}", opts.seed),
        &treatments,
        Regions {
            roi: layout.roi,
            control: layout.control,
            card,
        },
        opts.mm_per_px,
    );
    output::write_atomic(&out_dir.join("case.toml"), manifest.as_bytes())?;
    let truth = UnchangedTruth {
        course: "unchanged",
        seed: opts.seed,
        size: (w, h),
        mm_per_px: opts.mm_per_px,
        roi: layout.roi,
        control: layout.control,
        card,
        state,
        lighting: reference_lighting(),
        lens_sigma_px: LENS_SIGMA_PX,
        sessions,
    };
    write_truth(out_dir, &truth)?;
    Ok(truth)
}

/// One photo taken through the capture model: the skin in a state, seen
/// from a pose, under the reference lights.
pub(super) struct Shot<'a> {
    pub(super) skin: &'a Skin,
    pub(super) state: &'a SkinState,
    pub(super) scene_from_image: &'a Homography,
    /// Photo size, px.
    pub(super) size: (usize, usize),
    pub(super) mm_per_px: f64,
    /// The case ROI, baseline px.
    pub(super) roi: Rect,
    pub(super) base_from_moving: &'a Homography,
}

impl Shot<'_> {
    /// Renders, photographs with `capture` and writes the JPEG to `path`.
    ///
    /// # Errors
    /// [`Error::Write`].
    pub(super) fn write(
        &self,
        path: &Path,
        capture: &SessionCapture,
        noise_seed: u64,
    ) -> Result<CaptureRecord> {
        let (w, h) = self.size;
        let change = &capture.change;
        let lin = radiance(
            self.skin,
            self.state,
            self.scene_from_image,
            Rect::new(0, 0, w, h),
            &reference_lighting()
                .with_side_ratio(change.side_light_ratio)
                .turned(change.side_light_turn_deg),
            [1.0; 3],
            self.mm_per_px,
        );
        let rgb8 = sensor_rgb8(&lin, change, noise_seed);
        output::write_atomic(path, &jpeg_file(path, w, h, &rgb8, change)?)?;
        Ok(CaptureRecord {
            class: capture.class,
            change: *change,
            roi_clipped_fraction: roi_clipped_fraction(
                &rgb8,
                w,
                h,
                self.base_from_moving,
                self.roi,
            ),
        })
    }
}

/// Fraction of the pixels of an interleaved 8-bit RGB frame that fall in
/// `roi` (baseline px) through `base_from_moving` and have a channel at 255.
fn roi_clipped_fraction(
    rgb8: &[u8],
    w: usize,
    h: usize,
    base_from_moving: &Homography,
    roi: Rect,
) -> f64 {
    let (mut inside, mut clipped) = (0usize, 0usize);
    for y in 0..h {
        for x in 0..w {
            let Some((bx, by)) = base_from_moving.apply(x as f64, y as f64) else {
                continue;
            };
            let in_roi = bx >= roi.x as f64
                && by >= roi.y as f64
                && bx < (roi.x + roi.w) as f64
                && by < (roi.y + roi.h) as f64;
            if in_roi {
                inside += 1;
                let px = &rgb8[(y * w + x) * 3..(y * w + x) * 3 + 3];
                clipped += usize::from(px.contains(&255));
            }
        }
    }
    if inside == 0 {
        0.0
    } else {
        clipped as f64 / inside as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cameras_set_the_chroma_of_every_capture_or_of_some_follow_ups() {
        let mut plan = captures(&CapturePlan::Accepted, 3, 12).unwrap();
        // from a plan of the other chroma, so that each setting shows
        for c in &mut plan {
            c.change.chroma = Chroma::Subsampled;
        }
        let chroma = |cameras: Cameras, seed: u64| {
            let mut p = plan.clone();
            cameras.apply_mut(&mut p, seed);
            p.iter().map(|c| c.change.chroma).collect::<Vec<_>>()
        };
        assert!(chroma(Cameras::Full, 3).iter().all(|&c| c == Chroma::Full));
        let full = plan.iter().map(|c| CaptureChange {
            chroma: Chroma::Full,
            ..c.change
        });
        let mut p: Vec<SessionCapture> = plan
            .iter()
            .zip(full)
            .map(|(c, change)| SessionCapture { change, ..*c })
            .collect();
        Cameras::Subsampled.apply_mut(&mut p, 3);
        assert!(p.iter().all(|c| c.change.chroma == Chroma::Subsampled));
        let mut subsampled = 0;
        for seed in 0..20 {
            let mixed = chroma(Cameras::Mixed, seed);
            assert_eq!(
                mixed[0],
                Chroma::Full,
                "the baseline keeps the reference camera"
            );
            assert_eq!(mixed, chroma(Cameras::Mixed, seed), "seeded");
            subsampled += mixed.iter().filter(|&&c| c == Chroma::Subsampled).count();
        }
        // about half of the 220 follow-ups
        assert!((80..=140).contains(&subsampled), "{subsampled}");
    }

    #[test]
    fn mixed_plan_has_one_of_each_hard_failure_after_the_baseline() {
        for seed in 0..20 {
            let opts = UnchangedOptions {
                seed,
                sessions: 6,
                ..UnchangedOptions::default()
            };
            let plan = captures(&opts.plan, seed, opts.sessions).unwrap();
            assert_eq!(plan.len(), 6);
            assert_eq!(plan[0], SessionCapture::NONE);
            for kind in HardFailure::ALL {
                let n = plan
                    .iter()
                    .filter(|c| c.class == CaptureClass::Hard(kind))
                    .count();
                assert_eq!(n, 1, "seed {seed}: {kind:?}");
            }
            assert_eq!(
                plan.iter()
                    .filter(|c| c.class == CaptureClass::Accepted)
                    .count(),
                2
            );
        }
        let short = UnchangedOptions {
            sessions: 4,
            ..UnchangedOptions::default()
        };
        assert!(matches!(
            captures(&short.plan, 1, short.sessions),
            Err(Error::Usage { .. })
        ));
    }

    /// Luminance of a skin patch under the reference lights with `ratio`:
    /// (mean, standard deviation of the difference from a 5×5 box mean).
    fn patch_stats(ratio: f64) -> (f64, f64) {
        let (w, h) = (200, 150);
        let layout = Layout::new(w, h);
        let (sw, sh) = layout.scene_size;
        let skin = Skin::new(3, sw, sh, 0.05, layout.roi, (w, h));
        let lin = radiance(
            &skin,
            &STATE,
            &Homography::translation(layout.offset.0, layout.offset.1),
            Rect::new(0, 0, w, h),
            &reference_lighting().with_side_ratio(ratio),
            [1.0; 3],
            0.05,
        );
        let [r, g, b] = &lin.planes;
        let y = crate::raster::Plane::from_fn(w, h, |x, y| {
            0.2126 * r.at(x, y) + 0.7152 * g.at(x, y) + 0.0722 * b.at(x, y)
        });
        let smooth = crate::filters::box_mean(&y, 2);
        let n = (w * h) as f64;
        let mean = y.data().iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let detail = y
            .data()
            .iter()
            .zip(smooth.data())
            .map(|(&a, &s)| f64::from(a - s).powi(2))
            .sum::<f64>()
            / n;
        (mean, detail.sqrt())
    }

    #[test]
    fn side_ratio_changes_relief_contrast_not_brightness() {
        let (m_lo, d_lo) = patch_stats(0.7);
        let (m_hi, d_hi) = patch_stats(1.4);
        // flat-skin irradiance is kept; slopes facing toward and away from
        // the side light cancel to first order
        assert!((m_hi / m_lo - 1.0).abs() < 0.01, "{m_lo} vs {m_hi}");
        // relief contrast from the side light scales with its weight:
        // side(1.4)/side(0.7) = 2·(f + 0.7s)/(f + 1.4s) = 1.28 for f = 0.30,
        // s = 0.55; pigment detail, which the lights leave alone, pulls the
        // measured ratio below that
        let ratio = d_hi / d_lo;
        assert!((1.15..1.28).contains(&ratio), "detail ratio {ratio}");
    }

    #[test]
    fn side_ratio_keeps_flat_irradiance_and_scales_the_ratio() {
        let l = reference_lighting();
        for ratio in [0.7, 1.0, 1.4] {
            let m = l.with_side_ratio(ratio);
            assert!((m.frontal + m.side - (l.frontal + l.side)).abs() < 1e-12);
            let got = (m.side / m.frontal) / (l.side / l.frontal);
            assert!((got - ratio).abs() < 1e-12, "{ratio}: {got}");
        }
    }
}
