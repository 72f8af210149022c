//! A synthetic multi-session case with ground truth: procedural close-up
//! skin photographed at several visits by a hand-held camera.
//!
//! The skin is a height field in µm over the "scene" plane (scene pixels =
//! baseline pixels): gentle curvature, a network of micro-relief furrows
//! (distance to Voronoi cell edges), pores (Gaussian pits), a few fine lines
//! (circular arcs) and atrophic acne scars (rolling, boxcar, icepick
//! profiles). Its colour is a two-chromophore model: reflectance
//! `base·exp(−(k_mel·M + k_hb·H))` per channel with melanin M (mottling,
//! pigmented patches) and haemoglobin H (mottling, treated-area redness).
//! Each visit is rendered *directly* at its camera's pixel positions (no
//! resampling, so follow-ups are exactly as sharp as the baseline) under an
//! oblique light with ambient fill and a faint sheen, then given an exposure
//! and white-balance change, noise, and JPEG compression.
//!
//! Over the course: scar depth, micro-relief and line depth shrink along a
//! saturating curve of time since the first treatment, pigmented patches fade
//! a little, and redness rises for the 1–3 days after each treatment. The
//! truth written alongside gives every camera homography, every designed
//! parameter (the skin's state at each visit: depth factors of scars, lines
//! and relief, pigment, redness) and the true height map of each visit.
//!
//! The capture model (`capture`, issue 15) photographs a scene in physical
//! order with a known [`CaptureChange`]: exposure, white balance, blur, the
//! frontal-to-side light ratio, vignetting, noise, gamma, JPEG quality, and
//! the hard failures (over-exposure, heavy blur, a cut scan).
//! [`generate_unchanged`] (`unchanged`) renders one skin, identical at every
//! visit, through such changes only; [`PhantomOptions::capture`] puts the
//! treated course through them. Without a capture plan [`generate`] writes
//! the same bytes as before the capture model existed.

use crate::date::Date;
use crate::error::{Error, Result};
use crate::geometry::Homography;
use crate::output;
use crate::raster::{ColourModel, Plane, Rect, RgbPlanes};
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;

mod capture;
mod course;
mod relief;
mod skin;
mod unchanged;
pub use capture::{
    CaptureChange, Chroma, HardFailure, LENS_SIGMA_PX, Lighting, LinearRgb, Scan, accepted,
    entropy_coded_range, jpeg_file, photograph, scan_cut_at_half, sensor_rgb8,
};
pub use course::Course;
use relief::{height_map_plan, patch, photometric_plan, write_height_map, write_photometric_set};
use skin::{Rng, Skin};
pub use skin::{Scar, SkinState};
pub use unchanged::{
    Cameras, CaptureClass, CapturePlan, CaptureRecord, CaptureTruth, SessionCapture,
    UnchangedOptions, UnchangedTruth, generate_unchanged,
};

/// Settings of the generator.
#[derive(Clone, Debug)]
pub struct PhantomOptions {
    /// Seed of every random choice.
    pub seed: u64,
    /// Number of sessions (2–12).
    pub sessions: usize,
    /// Photo width, px.
    pub width: usize,
    /// Photo height, px.
    pub height: usize,
    /// Physical scale, mm per baseline pixel.
    pub mm_per_px: f64,
    /// Also write a height-map capture per session (`cheek.height.png`).
    pub height_maps: bool,
    /// Also write a photometric set per session (`cheek.ps/`: six lights
    /// 40–55° above the skin, cast shadows, 8-bit sRGB JPEG).
    pub photometric: bool,
    /// Every scar this many times as deep as designed (1: 150–350 µm;
    /// deeper ice-pick scars are hidden from more of a rig's lights).
    pub scar_depth_scale: f64,
    /// Lasting extra haemoglobin in the treated area at the baseline (0:
    /// none; 0.15 reads about 8 erythema-index units over the control),
    /// fading by 70 % over the course.
    pub erythema: f64,
    /// That redness in a round patch over part of the region
    /// ([`Skin::with_erythema_patch`]) rather than even over it.
    pub erythema_patch: bool,
    /// `None`: today's camera (small gain and white-balance jitter, an
    /// oblique light turning a little, noise on the encoded values, JPEG 90).
    /// `Some(plan)`: every photo through the capture model instead
    /// ([`CaptureChange`], the reference lights of [`generate_unchanged`]),
    /// the skin still changing over the course.
    pub capture: Option<CapturePlan>,
    /// Stick a grey-step reference card on the skin above the region and
    /// name it in case.toml (`card`).
    pub card: bool,
    /// How far the treated area reaches beyond the measured region, baseline
    /// px (0: the region is the treated area): left, right and below, and
    /// above up to the control region, which stays untreated. Its redness,
    /// relief and lines change there too, as on a face treated whole and
    /// measured in part.
    pub treated_margin: usize,
    /// Which of the skin's features the course changes.
    pub course: Course,
}

impl Default for PhantomOptions {
    fn default() -> Self {
        PhantomOptions {
            seed: 1,
            sessions: 5,
            width: 1200,
            height: 900,
            mm_per_px: 0.05,
            height_maps: true,
            photometric: false,
            scar_depth_scale: 1.0,
            erythema: 0.0,
            erythema_patch: false,
            capture: None,
            card: false,
            treated_margin: 0,
            course: Course::All,
        }
    }
}

/// The scene is this much larger than the baseline frame, so follow-up
/// cameras see real skin beyond the baseline's edges.
const SCENE_SCALE: f64 = 1.3;

/// One visit's camera and light.
#[derive(Clone, Debug, Serialize)]
pub struct Camera {
    /// Maps this photo's pixel positions to the baseline photo's.
    pub base_from_moving: Homography,
    /// Exposure gain (linear).
    pub gain: f64,
    /// White-balance multipliers (R, G, B), linear.
    pub white_balance: [f64; 3],
    /// Light direction in the camera frame (x right, y up, z to camera).
    pub light: [f64; 3],
    /// Gaussian noise σ, 8-bit levels: added to the encoded values by
    /// today's camera, in linear light under a capture plan.
    pub noise: f64,
}

/// Truth of one session.
#[derive(Clone, Debug, Serialize)]
pub struct SessionTruth {
    /// Visit date.
    pub date: Date,
    /// Whether a treatment was given at this visit (photos are taken first).
    pub treatment: bool,
    /// Days since the baseline.
    pub days: i64,
    /// The skin's state.
    pub state: SkinState,
    /// Camera and light.
    pub camera: Camera,
    /// Scar depths at this visit, µm, by scar id.
    pub scar_depths_um: Vec<f64>,
    /// The erythema index of the treated region over the control region's,
    /// from the skin's reflectance alone (what the redness claim states).
    pub erythema_excess: f64,
    /// The capture, when the photos went through a capture plan
    /// ([`PhantomOptions::capture`]); the camera's gain, white balance, light
    /// and noise are then the ones this capture used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<CaptureRecord>,
}

/// Everything the generator knows (written as truth.json).
#[derive(Clone, Debug, Serialize)]
pub struct Truth {
    /// Generator settings.
    pub seed: u64,
    /// Photo size.
    pub size: (usize, usize),
    /// Scale.
    pub mm_per_px: f64,
    /// Treated region = the case ROI, baseline px.
    pub roi: Rect,
    /// Untreated control region, baseline px.
    pub control: Rect,
    /// The grey card, baseline px, where the case has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<Rect>,
    /// The scars at the baseline.
    pub scars: Vec<Scar>,
    /// Per session.
    pub sessions: Vec<SessionTruth>,
    /// How the height-map captures relate to the photos.
    pub height_maps: Option<HeightMapTruth>,
    /// How the photometric sets relate to the photos (absent when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photometric: Option<PhotometricTruth>,
}

/// Where the height-map captures come from.
#[derive(Clone, Debug, Serialize)]
pub struct HeightMapTruth {
    /// The baseline-photo rectangle each height map covers at the baseline.
    pub baseline_rect: Rect,
    /// µm per 16-bit level.
    pub um_per_level: f64,
    /// Per session: maps the height map's pixels to the baseline height map's.
    pub base_from_moving: Vec<Homography>,
    /// Per session: the height map's scale, mm per pixel (hand-held: within
    /// ±6 % of the baseline's).
    pub mm_per_px: Vec<f64>,
}

/// Where the photometric sets come from (a fixed rig: the baseline's scale).
#[derive(Clone, Debug, Serialize)]
pub struct PhotometricTruth {
    /// The baseline-photo rectangle each set covers at the baseline.
    pub baseline_rect: Rect,
    /// Per session: maps the set's pixels to the baseline set's.
    pub base_from_moving: Vec<Homography>,
    /// Unit directions toward the rig's lights (x right, y up, z to the camera).
    pub lights: Vec<[f64; 3]>,
}

fn schedule(n: usize) -> Vec<(i64, bool)> {
    // monthly treatments; with ≥ 4 sessions one visit 2 days after the
    // second treatment (acute redness) and a follow-up 9 weeks after the last
    let n = n.clamp(2, 12);
    let acute = n >= 4;
    let treatments = if acute { n - 2 } else { n - 1 };
    let mut v: Vec<(i64, bool)> = (0..treatments).map(|i| (28 * i as i64, true)).collect();
    if acute {
        v.push((30, false));
    }
    let last = 28 * (treatments as i64 - 1);
    v.push((last + 63, false));
    v.sort();
    v
}

/// The lights of the treated phantom's camera: an oblique light `light`
/// with ambient fill and a faint sheen, no frontal light.
fn treated_lighting(light: [f64; 3]) -> Lighting {
    Lighting {
        side_direction: light,
        ambient: 0.3,
        frontal: 0.0,
        side: 0.7,
        sheen: 0.03,
    }
}

/// Scene radiance (linear light) seen by a camera whose pixel p sees scene
/// point `scene_from_image · p`, over the image rectangle `area`, under
/// `lighting`, times the per-channel factor `gain_rgb`. Heights are evaluated
/// once per pixel *corner* and each pixel's slope comes from its four
/// corners. No lens blur yet.
fn radiance(
    skin: &Skin,
    state: &SkinState,
    scene_from_image: &Homography,
    area: Rect,
    lighting: &Lighting,
    gain_rgb: [f64; 3],
    mm_per_px: f64,
) -> LinearRgb {
    let (w, h) = (area.w, area.h);
    let um_per_px = mm_per_px * 1000.0;
    let l = lighting.side_direction;
    let half = {
        let v = [l[0], l[1], l[2] + 1.0];
        let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        [v[0] / n, v[1] / n, v[2] / n]
    };
    let scene = |x: f64, y: f64| {
        scene_from_image
            .apply(x + area.x as f64, y + area.y as f64)
            .unwrap_or((0.0, 0.0))
    };
    // heights at pixel corners (x − ½, y − ½), (w+1)×(h+1)
    let corners: Vec<f64> = (0..(w + 1) * (h + 1))
        .into_par_iter()
        .map(|k| {
            let (cx, cy) = ((k % (w + 1)) as f64 - 0.5, (k / (w + 1)) as f64 - 0.5);
            let (a, b) = scene(cx, cy);
            skin.height(a, b, state)
        })
        .collect();
    let rows: Vec<Vec<[f32; 3]>> = (0..h)
        .into_par_iter()
        .map(|y| {
            (0..w)
                .map(|x| {
                    let c = |dx: usize, dy: usize| corners[(y + dy) * (w + 1) + x + dx];
                    // slopes in the image frame (µm per µm); image y is down, camera y up
                    let gx = 0.5 * ((c(1, 0) + c(1, 1)) - (c(0, 0) + c(0, 1))) / um_per_px;
                    let gy = -0.5 * ((c(0, 1) + c(1, 1)) - (c(0, 0) + c(1, 0))) / um_per_px;
                    let nn = (gx * gx + gy * gy + 1.0).sqrt();
                    let n = [-gx / nn, -gy / nn, 1.0 / nn];
                    let ndl = (n[0] * l[0] + n[1] * l[1] + n[2] * l[2]).max(0.0);
                    let ndh = (n[0] * half[0] + n[1] * half[1] + n[2] * half[2]).max(0.0);
                    // with frontal = 0 this is exactly the treated phantom's
                    // `ambient + side·(n·l)/l_z` (0 · n_z adds an exact 0)
                    let (sx, sy) = scene(x as f64, y as f64);
                    let shade =
                        (lighting.ambient + lighting.frontal * n[2] + lighting.side * ndl / l[2])
                            * skin.crease_light(sx, sy, state);
                    let sheen = lighting.sheen * ndh.powi(30);
                    let refl =
                        skin.pixel_reflectance(|dx, dy| scene(x as f64 + dx, y as f64 + dy), state);
                    let mut px = [0.0f32; 3];
                    for ch in 0..3 {
                        px[ch] = (gain_rgb[ch] * (0.92 * refl[ch] * shade + sheen)) as f32;
                    }
                    px
                })
                .collect()
        })
        .collect();
    let plane = |c: usize| {
        Plane::from_vec(
            w,
            h,
            rows.iter().flat_map(|r| r.iter().map(|p| p[c])).collect(),
        )
        .expect("invariant: w*h")
    };
    LinearRgb {
        planes: [plane(0), plane(1), plane(2)],
    }
}

/// Renders the skin as the treated phantom's camera sees it, as sRGB-encoded
/// planes (0–255, before noise): [`radiance`] under the camera's light,
/// times its gain and white balance, through the lens's Gaussian blur of
/// [`LENS_SIGMA_PX`] applied in linear light.
fn render(
    skin: &Skin,
    state: &SkinState,
    scene_from_image: &Homography,
    area: Rect,
    cam: &Camera,
    mm_per_px: f64,
) -> RgbPlanes {
    let gain_rgb = cam.white_balance.map(|wb| cam.gain * wb);
    let lin = radiance(
        skin,
        state,
        scene_from_image,
        area,
        &treated_lighting(cam.light),
        gain_rgb,
        mm_per_px,
    );
    let [r, g, b] = lin.planes.map(|p| {
        crate::filters::gaussian_blur(&p, LENS_SIGMA_PX)
            .map(|v| crate::raster::linear_to_srgb(f64::from(v)) as f32)
    });
    RgbPlanes {
        r,
        g,
        b,
        model: ColourModel::Rgb,
    }
}

fn add_noise(img: &mut RgbPlanes, sigma: f64, seed: u64) {
    let mut rng = Rng(seed);
    for p in [&mut img.r, &mut img.g, &mut img.b] {
        for v in p.data_mut() {
            *v += (sigma * rng.normal()) as f32;
        }
    }
}

/// Generates the phantom case into `out_dir` (which must be empty or absent).
///
/// # Errors
/// [`Error::Usage`] for bad settings or a non-empty folder; [`Error::Write`].
pub fn generate(out_dir: &Path, opts: &PhantomOptions) -> Result<Truth> {
    check_new_case(
        out_dir,
        opts.sessions,
        opts.width,
        opts.height,
        opts.erythema,
    )?;
    // written beside it and renamed when whole: a failure (a full disk, a
    // card that does not fit) leaves no half case to be analysed
    let staged = output::Staged::begin(out_dir)?;
    let truth = write_case(staged.path(), opts)?;
    staged.commit_unmarked()?;
    Ok(truth)
}

/// Writes the phantom case into the new folder `out_dir`.
fn write_case(out_dir: &Path, opts: &PhantomOptions) -> Result<Truth> {
    let captures = opts
        .capture
        .as_ref()
        .map(|plan| unchanged::captures(plan, opts.seed, opts.sessions))
        .transpose()?;
    let (w, h) = (opts.width, opts.height);
    let Layout {
        scene_size: (sw, sh),
        offset,
        roi,
        control,
        card,
    } = Layout::new(w, h);
    if opts.card {
        skin::check_card_readable(w, h, card)?;
    }
    let card = opts.card.then_some(card);
    // grown on every side, above the region only up to the control's edge
    let m = opts.treated_margin;
    let up = m.min(roi.y.saturating_sub(control.y + control.h));
    let treated = Rect::new(
        roi.x.saturating_sub(m),
        roi.y - up,
        roi.w + roi.x.min(m) + m,
        roi.h + up + m,
    );
    let mut skin = Skin::new(opts.seed, sw, sh, opts.mm_per_px, treated, (w, h))
        .with_card(card)
        .with_erythema_patch(opts.erythema_patch.then_some(roi));
    // a course of one feature: fine lines there to be measured, or to be
    // left alone
    if opts.course != Course::All {
        skin = skin.with_lines_across(roi, true);
    }
    for s in &mut skin.scars {
        s.depth_um *= opts.scar_depth_scale;
    }
    let plan = schedule(opts.sessions);
    let treatment_days: Vec<i64> = plan.iter().filter(|p| p.1).map(|p| p.0).collect();
    let scene_from_base = Homography::translation(offset.0, offset.1);
    let mut rng = Rng(opts.seed ^ 0xC0FFEE);
    let mut sessions = Vec::new();
    let base_light = BASE_LIGHT;
    for (i, &(days, treatment)) in plan.iter().enumerate() {
        let scene_from_image = if i == 0 {
            scene_from_base
        } else {
            scene_from_follow_up(&mut rng, scene_from_base, w, h)
        };
        let base_from_image =
            scene_from_base.inverse().expect("invariant: translation") * scene_from_image;
        // the light turns a little with the camera; a course of one
        // feature is lit by a lamp that stands still by the skin, so that
        // feature's change is read alone: in the photo it turns with the
        // camera's roll only (measured turn 0.001–0.008, where the lamp on
        // the camera read up to 0.12)
        let az = rng.range(-0.15, 0.15);
        let az = if opts.course == Course::All {
            az
        } else {
            base_from_image.0[1][0].atan2(base_from_image.0[0][0])
        };
        let light = {
            let (c, s) = (az.cos(), az.sin());
            let l = [
                base_light[0] * c - base_light[1] * s,
                base_light[0] * s + base_light[1] * c,
                base_light[2],
            ];
            let n = (l[0] * l[0] + l[1] * l[1] + l[2] * l[2]).sqrt();
            [l[0] / n, l[1] / n, l[2] / n]
        };
        let mut camera = Camera {
            base_from_moving: base_from_image.normalised(),
            gain: if i == 0 { 1.0 } else { rng.range(0.9, 1.1) },
            white_balance: if i == 0 {
                [1.0; 3]
            } else {
                [rng.range(0.97, 1.03), 1.0, rng.range(0.97, 1.03)]
            },
            light: if i == 0 { base_light } else { light },
            noise: 1.5,
        };
        // a capture plan replaces the photometry; the draws above stay, so
        // the poses are those of today's camera
        if let Some(c) = &captures {
            let change = &c[i].change;
            camera.gain = change.gain;
            camera.white_balance = change.white_balance;
            camera.light = unchanged::reference_lighting().side_direction;
            camera.noise = change.noise_sigma;
        }
        let state = opts.course.state_at(days, &treatment_days, opts.erythema);
        sessions.push((days, treatment, state, camera, scene_from_image));
    }

    // the case
    let mut truths = Vec::new();
    let date_of = |days: i64| base_date().plus_days(days);
    let patch_rect = patch(&skin, w, h);
    let hm = opts.height_maps.then(|| height_map_plan(patch_rect, opts));
    let ps = opts.photometric.then(|| photometric_plan(patch_rect, opts));
    for (i, (days, treatment, state, camera, scene_from_image)) in sessions.iter().enumerate() {
        let date = date_of(*days);
        let dir = out_dir.join(date.to_string());
        let path = dir.join("cheek.jpg");
        let noise_seed = opts.seed ^ ((i as u64 + 1) * 0x5_DEEC_E66D);
        let capture = match &captures {
            None => {
                let mut img = render(
                    &skin,
                    state,
                    scene_from_image,
                    Rect::new(0, 0, w, h),
                    camera,
                    opts.mm_per_px,
                );
                add_noise(&mut img, camera.noise, noise_seed);
                output::write_atomic(&path, &output::jpeg_rgb8(&path, w, h, &img.to_rgb8(), 90)?)?;
                None
            }
            Some(c) => {
                let shot = unchanged::Shot {
                    skin: &skin,
                    state,
                    scene_from_image,
                    size: (w, h),
                    mm_per_px: opts.mm_per_px,
                    roi,
                    base_from_moving: &camera.base_from_moving,
                };
                Some(shot.write(&path, &c[i], noise_seed)?)
            }
        };
        if let Some(plan) = &hm {
            write_height_map(&dir, &skin, state, plan, i, offset, opts)?;
        }
        if let Some(plan) = &ps {
            write_photometric_set(&dir, &skin, state, plan, i, offset, opts)?;
        }
        truths.push(SessionTruth {
            date,
            treatment: *treatment,
            days: *days,
            state: *state,
            camera: camera.clone(),
            scar_depths_um: skin
                .scars
                .iter()
                .map(|s| s.depth_um * state.scar_depth_factor)
                .collect(),
            erythema_excess: skin.erythema_excess(state, roi, control),
            capture,
        });
    }
    let treatments: Vec<Date> = truths
        .iter()
        .filter(|t| t.treatment)
        .map(|t| t.date)
        .collect();
    let manifest = case_manifest(
        &format!(
            "skintrack phantom case (seed {}): synthetic skin",
            opts.seed
        ),
        &format!("Phantom {}", opts.seed),
        &treatments,
        Regions { roi, control, card },
        opts.mm_per_px,
    );
    output::write_atomic(&out_dir.join("case.toml"), manifest.as_bytes())?;
    let truth = Truth {
        seed: opts.seed,
        size: (w, h),
        mm_per_px: opts.mm_per_px,
        roi,
        control,
        card,
        scars: skin.scars.clone(),
        sessions: truths,
        height_maps: hm.map(|p| HeightMapTruth {
            baseline_rect: p.rect,
            um_per_level: p.um_per_level,
            base_from_moving: p.base_from_moving.clone(),
            mm_per_px: p.mm_per_px.clone(),
        }),
        photometric: ps.map(|p| PhotometricTruth {
            baseline_rect: p.rect,
            base_from_moving: p.base_from_moving,
            lights: p.lights,
        }),
    };
    write_truth(out_dir, &truth)?;
    Ok(truth)
}

/// The baseline visit of every phantom case (a Monday).
fn base_date() -> Date {
    Date::new(2026, 1, 12).expect("invariant: valid date")
}

/// The baseline's oblique light (camera frame: x right, y up, z to camera).
const BASE_LIGHT: [f64; 3] = [-0.6, 0.45, 0.66];

/// Refuses settings out of range (sessions, photo size, the lasting
/// redness `erythema`) and a folder that is not new or empty.
fn check_new_case(
    out_dir: &Path,
    sessions: usize,
    width: usize,
    height: usize,
    erythema: f64,
) -> Result<()> {
    if !(2..=12).contains(&sessions) {
        return Err(Error::usage(format!(
            "--sessions must be 2 to 12, got {sessions}"
        )));
    }
    if width < 256 || height < 256 || width > 8000 || height > 8000 {
        return Err(Error::usage(format!(
            "--size must be 256x256 to 8000x8000, got {width}x{height}"
        )));
    }
    if out_dir.exists()
        && std::fs::read_dir(out_dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Error::usage(format!(
            "{}: exists and is not empty; choose a new folder",
            out_dir.display()
        )));
    }
    if !(0.0..=1.0).contains(&erythema) {
        return Err(Error::usage(format!(
            "--erythema must be 0 to 1, got {erythema}"
        )));
    }
    Ok(())
}

/// Where things are for a photo size.
struct Layout {
    /// Scene size, px ([`SCENE_SCALE`] × the photo).
    scene_size: (f64, f64),
    /// Where the baseline photo sits in the scene.
    offset: (f64, f64),
    /// Treated area (the case ROI) in the middle, baseline px.
    roi: Rect,
    /// Untreated control strip along the top-left, baseline px.
    control: Rect,
    /// Where a grey card goes: above the region, right of the control.
    card: Rect,
}

impl Layout {
    fn new(w: usize, h: usize) -> Layout {
        let (sw, sh) = (w as f64 * SCENE_SCALE, h as f64 * SCENE_SCALE);
        Layout {
            scene_size: (sw, sh),
            offset: ((sw - w as f64) / 2.0, (sh - h as f64) / 2.0),
            roi: Rect::new(w * 22 / 100, h * 25 / 100, w * 60 / 100, h * 60 / 100),
            control: Rect::new(w * 4 / 100, h * 5 / 100, w * 14 / 100, h * 14 / 100),
            card: Rect::new(w * 30 / 100, h * 8 / 100, w * 30 / 100, h * 10 / 100),
        }
    }
}

/// A hand-held follow-up: rotation ±5°, scale ±4 %, shift ±3 % and a slight
/// tilt about the photo centre (seven draws from `rng`, in a fixed order).
fn scene_from_follow_up(
    rng: &mut Rng,
    scene_from_base: Homography,
    w: usize,
    h: usize,
) -> Homography {
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let rot = rng.range(-5.0, 5.0).to_radians();
    let scale = rng.range(0.96, 1.04);
    let (tx, ty) = (
        rng.range(-0.03, 0.03) * w as f64,
        rng.range(-0.03, 0.03) * h as f64,
    );
    let persp = Homography([
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [rng.range(-2e-5, 2e-5), rng.range(-2e-5, 2e-5), 1.0],
    ]);
    let centre = Homography::translation(cx, cy);
    let uncentre = Homography::translation(-cx, -cy);
    scene_from_base
        * Homography::translation(tx, ty)
        * centre
        * Homography::similarity_about(rot, scale, 0.0, 0.0)
        * persp
        * uncentre
}

/// Where a phantom case's regions are, baseline px.
struct Regions {
    roi: Rect,
    control: Rect,
    card: Option<Rect>,
}

/// case.toml of a phantom case: one cheek view with its ROI, control,
/// grey card (where it has one) and scale.
fn case_manifest(
    title: &str,
    client: &str,
    treatments: &[Date],
    Regions { roi, control, card }: Regions,
    mm_per_px: f64,
) -> String {
    let treatments: Vec<String> = treatments.iter().map(|d| format!("\"{d}\"")).collect();
    let card = card.map_or(String::new(), |c| format!("card = {c}\n"));
    format!(
        "# {title}, see truth.json\n\
         client = \"{client}\"\n\
         treatment = \"micro-needling\"\n\
         treatments = [{treatments}]\n\n\
         [view.cheek]\n\
         roi = {roi}\n\
         control = {control}\n\
         {card}\
         mm_per_px = {mm_per_px}\n",
        treatments = treatments.join(", "),
    )
}

/// Writes `truth` as pretty JSON to OUT_DIR/truth.json.
fn write_truth(out_dir: &Path, truth: &impl Serialize) -> Result<()> {
    let json = serde_json::to_string_pretty(truth).map_err(|e| Error::Failed {
        path: out_dir.join("truth.json"),
        problem: e.to_string(),
    })?;
    output::write_atomic(&out_dir.join("truth.json"), json.as_bytes())
}

/// One close-up of procedural skin under the baseline camera and light
/// (sRGB-encoded, 0–255, no noise), for registration tests and benchmarks.
/// `smooth` in 0–1 flattens the micro-relief, lines and scars toward
/// featureless skin (1 leaves 10 % of the relief: the hard, low-texture case).
#[must_use]
pub fn skin_image(seed: u64, w: usize, h: usize, mm_per_px: f64, smooth: f64) -> RgbPlanes {
    let Layout {
        scene_size: (sw, sh),
        offset,
        roi,
        ..
    } = Layout::new(w, h);
    let skin = Skin::new(seed, sw, sh, mm_per_px, roi, (w, h)).everywhere();
    let k = 1.0 - 0.9 * smooth.clamp(0.0, 1.0);
    let state = SkinState {
        scar_depth_factor: k,
        relief_factor: k,
        line_factor: k,
        pigment_factor: k,
        ..SkinState::BASELINE
    };
    let camera = Camera {
        base_from_moving: Homography::IDENTITY,
        gain: 1.0,
        white_balance: [1.0; 3],
        light: BASE_LIGHT,
        noise: 0.0,
    };
    render(
        &skin,
        &state,
        &Homography::translation(offset.0, offset.1),
        Rect::new(0, 0, w, h),
        &camera,
        mm_per_px,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_has_treatments_an_acute_visit_and_a_follow_up() {
        let s = schedule(5);
        assert_eq!(
            s,
            vec![(0, true), (28, true), (30, false), (56, true), (119, false)]
        );
        assert_eq!(schedule(2), vec![(0, true), (63, false)]);
    }
}
