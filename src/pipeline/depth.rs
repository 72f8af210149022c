//! A series of height maps or photometric sets: each session's surface is
//! read (photometric sets through stereo and integration), registered to
//! the baseline on its relief, warped into the baseline frame, cut to the
//! region every usable session covers and measured
//! ([`crate::depth::series`]); scars are tracked across sessions.

use super::{SeriesJob, capture_stem, unaligned_warning};
use crate::align::{self, AlignOptions, Registration};
use crate::case::{Capture, CaptureKind};
use crate::date::Date;
use crate::depth::{self, series as ds, surface::Scar, tone};
use crate::error::{Error, Result};
use crate::ingest;
use crate::model::{MeasuredSeries, MeasuredSession, Overlay, SessionMedia};
use crate::output;
use crate::overlay::{self, ScarMark};
use crate::quality;
use crate::raster::{HeightUnit, Surface};
use crate::trend;
use crate::units::MmPerPx;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The capture of one session.
struct Item<'a> {
    date: Date,
    capture: &'a Capture,
}

/// One session's surface as read, with its set's light response
/// ([`tone::baseline`], [`tone::against`]: its tone exponent, and its
/// lamps against the baseline's where they moved) and room light
/// ([`tone::ambient_share`]), `None` for a height map or where they cannot
/// be read.
struct Read {
    surface: Surface,
    tone: Option<f64>,
    /// The baseline set's response, against which follow-ups are read.
    response: Option<tone::Baseline>,
    /// Where a follow-up set's lamps moved, the most any moved
    /// ([`tone::lamps_apart`]).
    lamps: Option<f64>,
    /// Where they moved, how much better another power fits
    /// ([`tone::Reading::beyond_lamps`]).
    beyond_lamps: Option<f64>,
    ambient: Option<f64>,
    /// The spread of the set's log albedo ([`tone::albedo_spread`]).
    albedo_spread: Option<f64>,
}

/// One session's surface in the baseline frame, measured.
struct Measured {
    values: BTreeMap<String, crate::measure::Value>,
    /// Its scars and pores.
    features: ds::Features,
    /// Depth below the form (positive down); NaN outside the common region.
    depth: Vec<f64>,
}

/// Reads, registers, warps and measures the 3D captures of one view and kind.
pub(super) fn measure_series(
    job: &SeriesJob<'_>,
    warnings: &mut Vec<String>,
) -> Result<MeasuredSeries> {
    let (case, view, kind, cfg) = (job.case, job.view, job.kind, &job.cfg);
    // one capture per session (a repeat of a 3D capture is not averaged)
    let mut items: Vec<Item<'_>> = Vec::new();
    for s in &case.sessions {
        let mut found = s
            .captures
            .iter()
            .filter(|c| c.view == view && c.kind.kind() == kind);
        if let Some(c) = found.next() {
            items.push(Item {
                date: s.date,
                capture: c,
            });
        }
        for extra in found {
            warnings.push(format!(
                "{}: a second {kind} capture of the same visit is not used",
                case.relative(&extra.path)
            ));
        }
    }
    job.bar.set_message(format!("{view}: {kind}"));
    // the baseline first: a follow-up set is read against its light
    // response and mapped to it
    let read_one = |it: &Item<'_>, base: Option<&tone::Baseline>| -> Result<Read> {
        let read = match &it.capture.kind {
            CaptureKind::Height(sidecar) => {
                let mm_per_px = sidecar.mm_per_px.or(cfg.mm_per_px);
                let surface = ingest::read_height_map(
                    &it.capture.path,
                    sidecar.um_per_level,
                    mm_per_px,
                    &job.opts.ingest,
                )?;
                Read {
                    surface,
                    tone: None,
                    response: None,
                    lamps: None,
                    beyond_lamps: None,
                    ambient: None,
                    albedo_spread: None,
                }
            }
            CaptureKind::Photometric(set) => {
                let intensities = set.intensities.as_deref();
                let mut planes =
                    ingest::read_set(&set.images, intensities, None, &job.opts.ingest)?;
                let (response, reading) = match base {
                    None => (
                        tone::baseline(&planes, &set.lights, intensities, None),
                        None,
                    ),
                    Some(b) => (None, tone::against(&planes, &set.lights, intensities, b)),
                };
                // neither read: `tone::exponent` of the same set would not
                // read a power either (the same fit)
                let tone = response
                    .as_ref()
                    .map(|r| r.beta)
                    .or(reading.as_ref().map(|r| r.beta));
                // lamps that moved are not undone: the stereo's least
                // squares bear a lamp off by 10–20 % (0.0–0.3 % of the
                // scars' depth), and where a lamp's direction moved rather
                // than its brightness, its factor undone read the scars
                // 3 % deeper
                let beyond_lamps = reading.as_ref().and_then(|r| r.beyond_lamps);
                let lamps = tone::lamps_apart(reading.and_then(|r| r.lamps).as_deref());
                let base_tone = base.map(|b| b.beta);
                if let Some(power) = base_tone.zip(tone).and_then(|(b, n)| tone::power_to(b, n)) {
                    tone::apply(&mut planes, power, intensities);
                }
                let ambient = tone::ambient_share(&planes, &set.lights, intensities, None);
                let (normals, surface) = depth::from_set(&planes, &set.lights, None, cfg.mm_per_px);
                if let Some(why) = depth::unusable(&normals) {
                    return Err(Error::case(&it.capture.path, why));
                }
                Read {
                    surface,
                    tone,
                    response,
                    lamps,
                    beyond_lamps,
                    ambient,
                    albedo_spread: tone::albedo_spread(&normals.albedo),
                }
            }
            CaptureKind::Photo => {
                return Err(Error::case(&it.capture.path, "a photo is not a height map"));
            }
        };
        job.bar.inc(2);
        Ok(read)
    };
    let Some((base_item, rest)) = items.split_first() else {
        return Err(Error::case(
            &case.root,
            format!("view {view:?} has no {kind} capture"),
        ));
    };
    let base = read_one(base_item, None)?;
    let read: Vec<Result<Read>> = rest
        .par_iter()
        .map(|it| read_one(it, base.response.as_ref()))
        .collect();
    // a follow-up set's light response against the baseline's
    let against_base = |r: &Read| {
        let tone = r.tone.zip(base.tone).map(|(now, then)| now / then);
        quality::SetVsBaseline {
            tone,
            ambient: r.ambient.zip(base.ambient).map(|(now, then)| now - then),
            lamps: r.lamps,
            beyond_lamps: r.beyond_lamps,
            // where the tone cannot be read, the albedo's contrast is left
            albedo_contrast: match tone {
                Some(_) => None,
                None => r
                    .albedo_spread
                    .zip(base.albedo_spread)
                    .map(|(now, then)| now / then),
            },
            // read once the captures are aligned, below
            relief: None,
        }
    };
    let responses: Vec<quality::SetVsBaseline> = std::iter::once(Default::default())
        .chain(
            read.iter()
                .map(|r| r.as_ref().map(against_base).unwrap_or_default()),
        )
        .collect();
    // the baseline must be usable; a follow-up that is not is left out
    // with its reason (DESIGN.md: one capture never sinks a case)
    let first = base.surface;
    let surfaces: Vec<std::result::Result<Surface, String>> = std::iter::once(Ok(first.clone()))
        .chain(read.into_iter().map(|r| match r.map(|r| r.surface) {
            // a set that was read but gives no surface says so itself
            Err(e @ Error::Case { .. }) => Err(format!("{} ({e})", super::NO_SURFACE)),
            Err(e) => Err(format!(
                "{} ({})",
                super::UNREADABLE,
                crate::error::with_causes(&e)
            )),
            // a scale of its own is fine (a hand-held scanner): the
            // registration finds it; heights in another unit are not
            Ok(s) if s.unit != first.unit => Err(format!(
                "its heights are in {} and the baseline's in {}: give both a scale (mm_per_px) or neither",
                s.unit.name(),
                first.unit.name()
            )),
            Ok(s) => Ok(s),
        }))
        .collect();
    let (w, h, mm_per_px) = (first.w, first.h, first.mm_per_px);

    // align on the relief, warp into the baseline frame, measure
    let align_opts = AlignOptions {
        exclude: cfg.exclude.clone(),
        ..AlignOptions::default()
    };
    let regs = register(&surfaces, &align_opts);
    let measured = measure_aligned(&surfaces, &regs);

    // the relief away from the baseline's scars: healing scars change the
    // relief over them, a wrong height scale every part of it
    let beside = measured
        .first()
        .and_then(|m| m.as_ref())
        .map(|m| beside_scars(&m.features.scars, w, h, mm_per_px))
        .unwrap_or_default();
    let base_relief = measured
        .first()
        .and_then(|m| m.as_ref())
        .and_then(|m| relief_rms(&m.depth, &beside));
    let qualities: Vec<quality::Quality> = regs
        .iter()
        .zip(&measured)
        .zip(&responses)
        .enumerate()
        .map(|(k, ((reg, m), response))| {
            if !reg.is_ok() {
                return super::not_assessed(reg);
            }
            let now = m.as_ref().and_then(|m| relief_rms(&m.depth, &beside));
            let relief = match (k, now, base_relief) {
                (1.., Some(now), Some(then)) if then > 0.0 => Some(now / then),
                _ => None,
            };
            let set = quality::SetVsBaseline {
                relief,
                ..*response
            };
            quality::of_surface(reg, set)
        })
        .collect();
    // one colour scale for every session: the deepest scar seen where the
    // capture is comparable (a map warned as out of scale would set it;
    // without scars, one height unit)
    let full = measured
        .iter()
        .zip(&qualities)
        .filter(|(_, q)| q.status == quality::Verdict::Ok)
        .filter_map(|(m, _)| m.as_ref())
        .flat_map(|m| m.features.scars.iter().map(|s| s.max_depth))
        .fold(0.0f64, f64::max);
    let (depth_scale, unit) = first.depth_unit();
    let full_z = if full > 0.0 { full / depth_scale } else { 1.0 };
    let scars: Vec<Option<&[Scar]>> = measured
        .iter()
        .map(|m| m.as_ref().map(|m| &m.features.scars[..]))
        .collect();
    // the region every session covers is the same NaN pattern in each map
    let common = measured.iter().flatten().next().map(|m| &m.depth[..]);
    let at_edge = |c: (f64, f64), r: f64| common.is_some_and(|d| ds::reaches_edge(d, w, c, r));
    let tracks = ds::track_scars(&scars, mm_per_px, &at_edge);
    let mut sessions = Vec::new();
    for (k, (((it, reg), m), quality)) in items
        .iter()
        .zip(&regs)
        .zip(&measured)
        .zip(qualities)
        .enumerate()
    {
        warnings.extend(unaligned_warning(case, &it.capture.path, reg));
        let (preview, overlays) = match m {
            Some(m) => {
                let mut rgb = ds::depth_map_rgb(&m.depth, w, h, full_z, mm_per_px);
                let stem = format!("{}_{kind}", capture_stem(view, it.date, 0));
                let path = job.out_dir.join("depth").join(format!("{stem}.png"));
                output::write_atomic(&path, &output::png_rgb8(&path, w, h, &rgb)?)?;
                let preview = output::jpeg_output(&path, w, h, &rgb, 90)?;
                // the scars of this session, numbered as in the per-scar chart
                let marks = scar_marks(&tracks, k, mm_per_px);
                let mut overlays = Vec::new();
                if !marks.is_empty() {
                    overlay::numbered_scars(&mut rgb, w, h, &marks)?;
                    let path = job
                        .out_dir
                        .join("overlays")
                        .join(format!("{stem}_{}.png", overlay::NUMBERED_SCARS));
                    output::write_atomic(&path, &output::png_rgb8(&path, w, h, &rgb)?)?;
                    overlays.push(Overlay {
                        kind: overlay::NUMBERED_SCARS.to_string(),
                        jpeg: output::jpeg_output(&path, w, h, &rgb, 88)?,
                    });
                }
                (Some(preview), overlays)
            }
            None => (None, Vec::new()),
        };
        sessions.push(MeasuredSession {
            date: it.date,
            timeline: trend::timeline(it.date, case.sessions[0].date, &case.treatments),
            source: case.relative(&it.capture.path),
            repeats: Vec::new(),
            alignment: reg.clone(),
            quality,
            values: m.as_ref().map(|m| m.values.clone()).unwrap_or_default(),
            pore_histogram: None,
            media: SessionMedia { preview, overlays },
        });
    }
    let bar_text = if mm_per_px.is_some() {
        "the white bar is 1 mm"
    } else {
        "the white bar is 50 pixels"
    };
    Ok(MeasuredSeries {
        view: view.to_string(),
        kind,
        roi: None,
        control: None,
        mm_per_px,
        scars: tracks,
        sessions,
        regions_figure: None,
        preview_note: Some(format!(
            "Depth below the surrounding skin: pale = level, amber and red = shallow to medium, deep purple = {} {unit} or deeper; grey = not measured; {bar_text}.",
            crate::plot::format_value(full_z * depth_scale)
        )),
    })
}

/// The tracked scars found at session `k`, as rings on the depth map: a
/// disc of the scar's area there (mm² with a scale, else px²).
fn scar_marks(tracks: &[ds::ScarTrack], k: usize, mm_per_px: Option<MmPerPx>) -> Vec<ScarMark> {
    tracks
        .iter()
        .filter_map(|t| {
            let m = t.sessions.get(k).copied().flatten()?;
            let area_px = match mm_per_px {
                Some(s) => m.area / (s.get() * s.get()),
                None => m.area,
            };
            Some(ScarMark {
                id: t.id,
                centre: t.centre,
                radius: (area_px.max(0.0) / std::f64::consts::PI).sqrt(),
            })
        })
        .collect()
}

/// Registers every surface to the first on its relief (which does not
/// depend on the light; the transform carries any change of lateral scale);
/// one that could not be read fails with its reason.
fn register(
    surfaces: &[std::result::Result<Surface, String>],
    opts: &AlignOptions,
) -> Vec<Registration> {
    let Some(Ok(base)) = surfaces.first() else {
        return Vec::new();
    };
    let base_img = ds::relief_image(base);
    surfaces
        .iter()
        .enumerate()
        .map(|(k, s)| match s {
            Err(reason) => Registration::failed(reason.clone()),
            Ok(_) if k == 0 => Registration::identity(),
            Ok(s) => align::register(&base_img, &ds::relief_image(s), opts),
        })
        .collect()
}

/// Warps every registered surface into the first's frame and measures them
/// all on the region that every usable one covers (`None`: not aligned).
/// Resampled to the baseline's grid, every surface takes its scale; heights
/// stay in their unit (µm).
/// Root mean square of the depth below the form over the common region
/// (its finite values) where `keep` is true (everywhere when fewer than a
/// tenth of the values are kept); `None` where there are none.
fn relief_rms(depth: &[f64], keep: &[bool]) -> Option<f64> {
    // (root mean square, values) of the kept finite values
    let rms = |keep: &dyn Fn(usize) -> bool| {
        let (sum, n) = depth
            .iter()
            .enumerate()
            .filter(|&(i, d)| d.is_finite() && keep(i))
            .fold((0.0, 0usize), |(s, n), (_, d)| (s + d * d, n + 1));
        (n > 0).then(|| ((sum / n as f64).sqrt(), n))
    };
    let all = rms(&|_| true)?;
    match rms(&|i| keep.get(i).copied().unwrap_or(true)) {
        Some((beside, n)) if 10 * n >= all.1 => Some(beside),
        _ => Some(all.0),
    }
}

/// Radii of a scar's equivalent disc within which its skin is not the
/// skin beside it: a round scar's rim, and most of an elongated one (three
/// times as long as wide, it reaches 1.7 of them from its centre; its tips
/// left in lower the ratio a little where it levels out).
const SCAR_REACH: f64 = 1.5;

/// The pixels of a `w × h` map away from `scars` (beyond [`SCAR_REACH`] of
/// their radius, mm with a scale, from their centres): where a treatment
/// that levels scars leaves the relief as it was. On a patch whose relief is mostly scars, scars
/// 60 % shallower made the whole relief ×0.46, and the check of the height
/// scale took the best result of a course for a scale typed wrong.
fn beside_scars(scars: &[Scar], w: usize, h: usize, mm_per_px: Option<MmPerPx>) -> Vec<bool> {
    let px = |v: f64| mm_per_px.map_or(v, |s| v / s.get());
    let mut keep = vec![true; w * h];
    for s in scars {
        let (cx, cy) = s.centre;
        let r = SCAR_REACH * px(s.radius);
        if !(cx.is_finite() && cy.is_finite() && r.is_finite()) {
            continue;
        }
        let rows = (cy - r).floor().max(0.0) as usize..((cy + r).ceil().max(0.0) as usize).min(h);
        for y in rows {
            let cols =
                (cx - r).floor().max(0.0) as usize..((cx + r).ceil().max(0.0) as usize).min(w);
            for x in cols {
                if (x as f64 - cx).hypot(y as f64 - cy) <= r {
                    keep[y * w + x] = false;
                }
            }
        }
    }
    keep
}

fn measure_aligned(
    surfaces: &[std::result::Result<Surface, String>],
    regs: &[Registration],
) -> Vec<Option<Measured>> {
    let Some(Ok(base)) = surfaces.first() else {
        return Vec::new();
    };
    let (w, h) = (base.w, base.h);
    let warped: Vec<Option<Surface>> = surfaces
        .iter()
        .zip(regs)
        .enumerate()
        .map(|(k, (s, r))| {
            let s = s.as_ref().ok().filter(|_| r.is_ok())?;
            if k == 0 {
                return Some(s.clone());
            }
            let mut warped = align::warp::warp_surface(s, &r.base_from_moving, w, h);
            warped.mm_per_px = base.mm_per_px;
            if warped.unit == HeightUnit::PixelWidth {
                // heights in widths of this capture's pixel: in the
                // baseline's, one is `scale` of them
                let scale = r
                    .base_from_moving
                    .normalised()
                    .linear_determinant()
                    .abs()
                    .sqrt();
                warped.z.iter_mut().for_each(|z| *z *= scale);
            }
            Some(warped)
        })
        .collect();
    // the region every usable session covers
    let common: Vec<bool> = (0..w * h)
        .map(|i| warped.iter().flatten().all(|s| s.z[i].is_finite()))
        .collect();
    let measure = |s: Option<Surface>, tracked: Option<&ds::Features>| {
        let mut s = s?;
        for (z, &c) in s.z.iter_mut().zip(&common) {
            if !c {
                *z = f64::NAN;
            }
        }
        let (values, features, depth) = ds::measure_surface(&s, tracked);
        Some(Measured {
            values,
            features,
            depth,
        })
    };
    // the baseline first: its scars and pores are measured at their places
    // in every session (tracked)
    let mut warped = warped.into_iter();
    let first = measure(warped.next().flatten(), None);
    let at = first.as_ref().map(|m| &m.features);
    let rest: Vec<Option<Measured>> = warped.map(|s| measure(s, at)).collect();
    std::iter::once(first).chain(rest).collect()
}
