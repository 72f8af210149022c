//! A series of photos: align every capture to the baseline photo, choose
//! the region, measure each capture warped into the baseline frame, and
//! average the repeats of a session.

use super::{SeriesJob, capture_stem, unaligned_warning};
use crate::align::warp::Grid;
use crate::align::{self, AlignOptions, Registration};
use crate::case::{Capture, CaptureKind};
use crate::date::Date;
use crate::error::{Error, Result};
use crate::geometry::{self, Homography};
use crate::ingest;
use crate::measure::{self, MeasureOptions, Measurements};
use crate::model::{MeasuredSeries, MeasuredSession, Overlay, RegionsFigure, SessionMedia};
use crate::output;
use crate::quality::{self, Quality, Verdict};
use crate::raster::{Rect, RgbPlanes};
use crate::trend;
use std::collections::BTreeMap;
use std::path::Path;

/// Longest side of report previews, px.
const PREVIEW_SIDE: usize = 1000;

/// One photo of the series with its session.
struct Item<'a> {
    session: usize,
    date: Date,
    capture: &'a Capture,
}

/// What measuring one aligned, not rejected capture yields.
struct MeasuredCapture {
    measurements: Measurements,
    preview: Vec<u8>,
    overlays: Vec<Overlay>,
}

/// The measured parts of an aligned capture, cut out of the baseline frame
/// before normalisation, and the frame's 8-bit pixels for `aligned/`
/// (reduced: `overview` wide and high).
struct Parts {
    rgb8: Vec<u8>,
    overview: (usize, usize),
    roi: RgbPlanes,
    control: Option<RgbPlanes>,
}

/// A capture in the baseline frame: the region and the control region at
/// full resolution, the whole frame reduced by [`overview_factor`].
struct Warped {
    overview: RgbPlanes,
    roi: RgbPlanes,
    control: Option<RgbPlanes>,
}

/// A capture aligned and assessed, not yet measured.
struct Prepared {
    registration: Registration,
    quality: Quality,
    /// `None` when it was not aligned or its quality was rejected.
    parts: Option<Parts>,
}

/// What became of one capture in the measure step.
struct Assessed {
    /// Its registration to the baseline.
    registration: Registration,
    quality: Quality,
    /// `None` when it was not aligned or its quality was rejected.
    measured: Option<MeasuredCapture>,
}

/// Aligns, measures and groups the photos of one view.
pub(super) fn measure_series(
    job: &SeriesJob<'_>,
    warnings: &mut Vec<String>,
) -> Result<MeasuredSeries> {
    let (case, view, cfg, bar) = (job.case, job.view, &job.cfg, job.bar);
    let items: Vec<Item<'_>> = case
        .sessions
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.captures
                .iter()
                .filter(|c| c.view == view && matches!(c.kind, CaptureKind::Photo))
                .map(move |c| Item {
                    session: i,
                    date: s.date,
                    capture: c,
                })
        })
        .collect();
    let Some(base_item) = items.first() else {
        return Err(Error::case(
            &case.root,
            format!("view {view:?} has no photo"),
        ));
    };
    bar.set_message(format!("{view}: aligning"));
    let base = ingest::read_photo(&base_item.capture.path, &job.opts.ingest)?;
    for w in &base.meta.warnings {
        warnings.push(format!("{}: {w}", base_item.capture.path.display()));
    }
    let (bw, bh) = (base.image.width(), base.image.height());
    if bw < measure::MIN_SIDE * 2 || bh < measure::MIN_SIDE * 2 {
        return Err(Error::TooSmall {
            path: base_item.capture.path.clone(),
            width: bw,
            height: bh,
            min: measure::MIN_SIDE * 2,
        });
    }
    let misplaced = |region: &str, r: &Rect, how: &str| {
        Error::case(
            case.root.join("case.toml"),
            format!(
                "[view.{view}] {region} {r} {how} the {bw}x{bh} baseline photo {}",
                base_item.capture.path.display()
            ),
        )
    };
    for (name, r) in [
        ("roi =", cfg.roi),
        ("control =", cfg.control),
        ("card =", cfg.card),
    ] {
        if let Some(r) = r
            && !r.fits_in(bw, bh)
        {
            return Err(misplaced(name, &r, "does not fit"));
        }
    }
    // an excluded area may run over the edge, but one wholly outside the
    // photo is a mistake in its numbers
    if let Some(r) = cfg.exclude.iter().find(|r| r.x >= bw || r.y >= bh) {
        return Err(misplaced("exclude", r, "lies outside"));
    }
    let align_opts = AlignOptions {
        exclude: cfg.exclude.clone(),
        ..AlignOptions::default()
    };

    // 1. align. When the region must be found from where the follow-ups
    //    overlap, every one is aligned here first (decoded, registered,
    //    dropped) and decoded again to be measured; with the region given,
    //    each is aligned in step 3 from the one decode it is measured from.
    //    One that cannot be decoded is left out with its reason.
    let at_once = super::captures_at_once(&job.opts.ingest, bw, bh);
    // the baseline's pyramid and keypoints, made once for every follow-up
    let baseline = align::Baseline::of_rgb(&base.image, &align_opts);
    // a follow-up in another colour space than the baseline (another
    // camera, or its colour setting changed) is converted into the
    // baseline's, and the practitioner told; a baseline profile that cannot
    // be used leaves every visit as stored
    let base_space = match ingest::profile::read(base.meta.icc.as_deref()) {
        Ok(space) => Some(space),
        Err(why) => {
            warnings.push(format!(
                "{}: its embedded colour profile {why}; the colours of every visit of view {view:?} are read as stored",
                case.relative(&base_item.capture.path)
            ));
            None
        }
    };
    let follow_up_notes = std::sync::Mutex::new(Vec::new());
    let read_follow_up = |path: &Path| -> Result<ingest::Photo> {
        let mut photo = ingest::read_photo(path, &job.opts.ingest)?;
        // a follow-up may be read twice (to choose the region, then to
        // measure): each note once
        let note = |text: &str| {
            let mut notes = follow_up_notes.lock().unwrap_or_else(|e| e.into_inner());
            if !notes.iter().any(|(p, n)| p == path && n == text) {
                notes.push((path.to_path_buf(), text.to_string()));
            }
        };
        for w in &photo.meta.warnings {
            note(w);
        }
        let Some(space) = base_space
            .as_ref()
            .filter(|_| photo.meta.icc != base.meta.icc)
        else {
            return Ok(photo);
        };
        let done =
            ingest::profile::into_space_of(&mut photo.image, photo.meta.icc.as_deref(), space);
        let done_note = match done {
            ingest::profile::Conversion::Same => None,
            ingest::profile::Conversion::Converted { largest } => Some(format!(
                "its colour profile differs from the baseline photo's, so it was converted into the baseline's colours (up to {largest:.0} of 255 levels)"
            )),
            ingest::profile::Conversion::Unusable(why) => Some(format!(
                "its embedded colour profile {why}; its colours are read as stored"
            )),
        };
        if let Some(text) = done_note {
            note(&text);
        }
        Ok(photo)
    };
    let register = |it: &Item<'_>| -> (Registration, Option<ingest::Photo>) {
        let registered = match read_follow_up(&it.capture.path) {
            Ok(photo) => (
                align::register_rgb_to(&baseline, &photo.image, &align_opts),
                Some(photo),
            ),
            Err(e) => (Registration::failed(unreadable(&e)), None),
        };
        bar.inc(1);
        registered
    };
    let early: Option<Vec<(Registration, (usize, usize))>> = cfg.roi.is_none().then(|| {
        super::map_bounded(&items, at_once, |k, it| {
            if k == 0 {
                return (Registration::identity(), (bw, bh));
            }
            let (reg, photo) = register(it);
            let size = photo.map_or((0, 0), |p| (p.image.width(), p.image.height()));
            (reg, size)
        })
    });
    bar.inc(1);
    if let Some(regs) = &early {
        for (it, (r, _)) in items.iter().zip(regs) {
            warnings.extend(unaligned_warning(case, &it.capture.path, r));
        }
    }

    // 2. the ROI: configured, or the largest rectangle all usable captures cover
    let roi = match (cfg.roi, &early) {
        (Some(r), _) => r,
        (None, regs) => geometry::common_roi(
            bw,
            bh,
            regs.iter()
                .flatten()
                .filter(|(r, _)| r.is_ok())
                .map(|(r, s)| (&r.base_from_moving, *s)),
            measure::MIN_SIDE,
            cfg.control,
        )
        .ok_or_else(|| Error::Failed {
            path: base_item.capture.path.clone(),
            problem: format!(
                "view {view:?}: the aligned captures share no region large enough to measure"
            ),
        })?,
    };
    let mopts = MeasureOptions {
        mm_per_px: cfg.mm_per_px,
        control: cfg.control,
        keep_maps: true,
        // every session's colour is adapted to the baseline's control region
        control_reference: cfg
            .control
            .and_then(|c| measure::control_reference(&base.image, c)),
        ..MeasureOptions::default()
    };

    // a grey card measured as skin, or as the control's, is never right
    if let Some(card) = cfg.card {
        for (name, r) in [
            ("measured region", Some(roi)),
            ("control region", cfg.control),
        ] {
            if let Some(r) = r.filter(|r| r.overlaps(card)) {
                return Err(misplaced(
                    "card =",
                    &card,
                    &format!("overlaps the {name} {r} on"),
                ));
            }
        }
    }

    // 3. assess and measure every aligned capture in the baseline frame
    bar.set_message(format!("{view}: measuring"));
    let regions = quality::Regions {
        roi,
        control: cfg.control,
        card: cfg.card,
    };
    // only the region and the control region are used at full resolution;
    // the whole frame (`aligned/`, the shading field's blocks) is warped
    // straight to a reduced grid
    let factor = overview_factor(bw, bh);
    let overview_grid = Grid::reduced(bw, bh, factor);
    let base_overview = (factor > 1)
        .then(|| align::warp::warp_rgb_grid(&base.image, &Homography::IDENTITY, overview_grid));
    let base_roi = base.image.crop(roi);
    let base_control = cfg.control.map(|c| base.image.crop(c));
    let reference = quality::reference_of(
        &quality::Aligned {
            roi: &base_roi,
            control: base_control.as_ref(),
            overview: base_overview.as_ref().unwrap_or(&base.image),
            factor,
            frame: (bw, bh),
            dc_steps: base.meta.jpeg_dc_steps,
        },
        cfg.card,
    );
    if let Some(card) = cfg.card
        && reference.card_unreadable()
    {
        warnings.push(format!(
            "{}: [view.{view}] card = {card} shows no grey steps skintrack can read in the baseline photo {} (it needs light and dark steps, each wide enough for several cells of 4×4 px of the frame reduced to at most 2048 px, none clipped); colour is read without it",
            case.root.join("case.toml").display(),
            base_item.capture.path.display()
        ));
    }
    // previews show the measured region: the same skin in every session
    let preview_size = preview_size(roi);
    // 3a. each capture is decoded (unless step 1 kept it), aligned, warped
    //     into the baseline frame and assessed; the aligned photo's 8-bit
    //     pixels and the measured parts are kept, the frame is dropped
    let prepare = |k: usize| -> Result<Prepared> {
        let it = &items[k];
        let (registration, photo) = match (k, &early) {
            (0, _) => (Registration::identity(), None),
            (_, Some(regs)) => (regs[k].0.clone(), None),
            (_, None) => register(it),
        };
        if !registration.is_ok() {
            bar.inc(1);
            return Ok(Prepared {
                quality: super::not_assessed(&registration),
                registration,
                parts: None,
            });
        }
        let (warped, dc_steps) = if k == 0 {
            (None, base.meta.jpeg_dc_steps)
        } else {
            let photo = match photo {
                Some(p) => p,
                None => read_follow_up(&it.capture.path)?,
            };
            let frame = &registration.base_from_moving;
            let w = warped(&photo.image, frame, (bw, bh), factor, regions);
            (Some(w), photo.meta.jpeg_dc_steps)
        };
        let (overview, roi_img, control_img) = match &warped {
            Some(w) => (&w.overview, &w.roi, w.control.as_ref()),
            None => (
                base_overview.as_ref().unwrap_or(&base.image),
                &base_roi,
                base_control.as_ref(),
            ),
        };
        let aligned = quality::Aligned {
            roi: roi_img,
            control: control_img,
            overview,
            factor,
            frame: (bw, bh),
            dc_steps,
        };
        let quality = quality::assess_parts(&aligned, regions, &reference, &registration);
        if quality.status == Verdict::Reject {
            bar.inc(1);
            return Ok(Prepared {
                registration,
                quality,
                parts: None,
            });
        }
        let rgb8 = overview.to_rgb8();
        let overview = (overview.width(), overview.height());
        let parts = match warped {
            Some(w) => Parts {
                rgb8,
                overview,
                roi: w.roi,
                control: w.control,
            },
            None => Parts {
                rgb8,
                overview,
                roi: base_roi.clone(),
                control: base_control.clone(),
            },
        };
        Ok(Prepared {
            registration,
            quality,
            parts: Some(parts),
        })
    };
    // 3b. a prepared capture is written and measured: the aligned photo as
    //     it was taken; then, in the measured parts only, exposure, white
    //     balance and light fall-off are brought to the baseline's
    let finish = |k: usize, prepared: Prepared, mopts: &MeasureOptions| -> Result<Assessed> {
        let it = &items[k];
        let Prepared {
            registration,
            quality,
            parts,
        } = prepared;
        let Some(Parts {
            rgb8,
            overview: (ow, oh),
            roi: mut roi_img,
            control: mut control_img,
        }) = parts
        else {
            return Ok(Assessed {
                registration,
                quality,
                measured: None,
            });
        };
        let stem = capture_stem(view, it.date, it.capture.repeat);
        let path = job.out_dir.join("aligned").join(format!("{stem}.jpg"));
        let shading = quality.shading.as_ref();
        // the photo's JPEG (one core) is encoded while it is measured
        let (jpeg, measurements) = rayon::join(
            || {
                let _t = crate::timing::span("aligned photo (JPEG)");
                output::jpeg_output(&path, ow, oh, &rgb8, 92)
            },
            || {
                quality::normalise_part_mut(&mut roi_img, (roi.x, roi.y), quality.gains, shading);
                if let (Some(img), Some(c)) = (control_img.as_mut(), cfg.control) {
                    quality::normalise_part_mut(img, (c.x, c.y), quality.gains, shading);
                }
                let frame = (bw, bh);
                let control = control_img.as_ref();
                measure::measure_cut(&it.capture.path, frame, &roi_img, control, roi, mopts)
            },
        );
        drop((rgb8, control_img));
        output::write_atomic(&path, &jpeg?)?;
        let mut measurements = measurements?;
        quality::undo_contrast_mut(&mut measurements.values, quality.contrast);
        let (preview, overlays) = rayon::join(
            || {
                let _t = crate::timing::span("report preview");
                preview_jpeg(&roi_img, preview_size, &path)
            },
            || crate::overlay::render_all(&roi_img, &measurements, job.out_dir, &stem),
        );
        let (preview, overlays) = (preview?, overlays?);
        // the feature maps (~13 MB for a 4.4 MP region) served the overlays
        // only: kept with every visit until the report, they made the peak
        // grow with the number of visits
        measurements.maps = None;
        bar.inc(1);
        Ok(Assessed {
            registration,
            quality,
            measured: Some(MeasuredCapture {
                measurements,
                preview,
                overlays,
            }),
        })
    };
    // the baseline first: its lines, pores and pigmented spots are where
    // every capture is measured (tracked measures). With room for two
    // captures, the next one is prepared while one is measured (a pipeline
    // of depth two: decoding, aligning and warping beside measuring and
    // encoding keeps both cores busy); the results do not depend on it.
    let overlap = at_once == 1 && super::overlap_fits(&job.opts.ingest, bw, bh);
    let base_prepared = prepare(0)?;
    let (first, mut next) = if overlap && items.len() > 1 {
        let (first, next) = rayon::join(|| finish(0, base_prepared, &mopts), || prepare(1));
        (first?, Some(next))
    } else {
        (finish(0, base_prepared, &mopts)?, None)
    };
    let mopts = MeasureOptions {
        tracked: first
            .measured
            .as_ref()
            .map(|m| m.measurements.tracked.clone()),
        ..mopts
    };
    let rest: Vec<Result<Assessed>> = if overlap {
        let mut rest = Vec::with_capacity(items.len() - 1);
        for k in 1..items.len() {
            let this = next.take().unwrap_or_else(|| prepare(k));
            let more = k + 1 < items.len();
            let (done, prepared) = rayon::join(
                || this.and_then(|p| finish(k, p, &mopts)),
                || more.then(|| prepare(k + 1)),
            );
            rest.push(done);
            next = prepared;
        }
        rest
    } else {
        super::map_bounded(&items[1..], at_once, |k, _| {
            prepare(k + 1).and_then(|p| finish(k + 1, p, &mopts))
        })
    };
    let mut assessed: Vec<Assessed> = std::iter::once(Ok(first))
        .chain(rest)
        .collect::<Result<_>>()?;
    if early.is_none() {
        for (it, a) in items.iter().zip(&assessed) {
            warnings.extend(unaligned_warning(case, &it.capture.path, &a.registration));
        }
    }
    let notes = follow_up_notes
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    for it in &items {
        for (path, note) in notes.iter().filter(|(p, _)| *p == it.capture.path) {
            warnings.push(format!("{}: {note}", case.relative(path)));
        }
    }
    for (it, a) in items.iter().zip(&assessed) {
        let reg = &a.registration;
        if reg.is_ok() && a.quality.status == Verdict::Reject {
            warnings.push(format!(
                "{}: left out of the curves: {}",
                case.relative(&it.capture.path),
                a.quality.reasons.join(" ")
            ));
        }
    }

    // 4. sessions: repeats averaged (the first capture of a session is its
    //    source, alignment and images)
    let mut by_session: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, it) in items.iter().enumerate() {
        by_session.entry(it.session).or_default().push(k);
    }
    let mut sessions = Vec::new();
    for ks in by_session.values() {
        let first = ks[0];
        let it = &items[first];
        let usable: Vec<&Measurements> = ks
            .iter()
            .filter_map(|&k| assessed[k].measured.as_ref().map(|m| &m.measurements))
            .collect();
        let values = session_values(ks, &assessed, it.session != base_item.session);
        let pore_histogram = usable.first().and_then(|m| m.pore_histogram.clone());
        let media = assessed[first]
            .measured
            .take()
            .map(|m| SessionMedia {
                preview: Some(m.preview),
                overlays: m.overlays,
            })
            .unwrap_or_default();
        let quality = std::mem::replace(
            &mut assessed[first].quality,
            Quality::rejected(String::new()),
        );
        sessions.push(MeasuredSession {
            date: it.date,
            timeline: session_timeline(case, it, ks[1..].iter().map(|&k| &items[k])),
            source: case.relative(&it.capture.path),
            repeats: ks[1..]
                .iter()
                .map(|&k| case.relative(&items[k].capture.path))
                .collect(),
            alignment: assessed[first].registration.clone(),
            quality,
            values,
            pore_histogram,
            media,
        });
    }
    let regions_figure = regions_figure(&base.image, roi, cfg, &base_item.capture.path)?;
    Ok(MeasuredSeries {
        view: view.to_string(),
        kind: job.kind,
        roi: Some(roi),
        control: cfg.control,
        mm_per_px: cfg.mm_per_px,
        sessions,
        scars: Vec::new(),
        preview_note: None,
        regions_figure: Some(regions_figure),
    })
}

/// The timeline of a session from its `source` photo and its `repeats`:
/// the folder's date, unless a photo's own EXIF date puts it 1–3 days
/// after a session ([`trend::timeline_taken`]); a redder next-day repeat
/// averaged into a calm visit read "Redness: no change" where the course
/// had brought it down 37 %.
fn session_timeline<'a>(
    case: &crate::case::Case,
    source: &Item<'_>,
    repeats: impl Iterator<Item = &'a Item<'a>>,
) -> trend::Timeline {
    let at = |it: &Item<'_>| {
        trend::timeline_taken(
            it.date,
            it.capture.taken,
            case.sessions[0].date,
            &case.treatments,
        )
    };
    let first = at(source);
    if first.acute_window {
        return first;
    }
    repeats.map(at).find(|t| t.acute_window).unwrap_or(first)
}

/// The values of the session of captures `ks`: the measured ones'
/// repeats combined, then widened by what each capture's own file and
/// detail add, which the spread of repeats from one camera leaves out
/// (the largest of the measured captures'): a JPEG's rounding of colour
/// and, at a `follow_up` (the baseline is the ruler's reference), the
/// detail of its control region not shared with the baseline's, in the
/// lines' ruler ([`quality::ruler`]).
fn session_values(
    ks: &[usize],
    assessed: &[Assessed],
    follow_up: bool,
) -> BTreeMap<String, measure::Value> {
    let measured: Vec<&Assessed> = ks
        .iter()
        .map(|&k| &assessed[k])
        .filter(|a| a.measured.is_some())
        .collect();
    let values: Vec<_> = measured
        .iter()
        .filter_map(|a| a.measured.as_ref().map(|m| &m.measurements.values))
        .collect();
    let mut values = trend::combine_repeats(&values);
    if let Some(r) = measured
        .iter()
        .filter_map(|a| a.quality.colour_rounding.clone())
        .reduce(|a, r| a.max(&r))
    {
        quality::compression::widen_mut(&mut values, &r);
    }
    if follow_up {
        quality::ruler::widen_lines_mut(&mut values, measured.iter().map(|a| &a.quality));
    }
    values
}

/// "Where we measure" for the report: the baseline photo with the measured
/// region, the control region (case.toml's, else a suggested one, drawn
/// dashed and not used) and the excluded areas, a scale bar when known.
fn regions_figure(
    base: &crate::raster::RgbPlanes,
    roi: Rect,
    cfg: &crate::case::ViewConfig,
    path: &Path,
) -> Result<RegionsFigure> {
    use crate::regions::{self, Grid, Origin, Regions};
    let control = match cfg.control {
        Some(c) => Some((c, Origin::CaseToml)),
        None => regions::suggest_control(base, roi, &super::avoided(cfg))
            .map(|c| (c, Origin::Suggested)),
    };
    let r = Regions {
        roi,
        control,
        exclude: cfg.exclude.clone(),
        card: cfg.card,
        mm_per_px: cfg.mm_per_px,
    };
    let (w, h, rgb) = regions::figure(base, &r, Grid::None)?;
    Ok(RegionsFigure {
        jpeg: output::jpeg_output(path, w, h, &rgb, 85)?,
        control_suggested: matches!(control, Some((_, Origin::Suggested))),
    })
}

/// Longest side of `aligned/` pictures, px (at most: the frame is reduced
/// by a whole factor).
const ALIGNED_SIDE: usize = 2048;

/// The whole factor the frame is reduced by for `aligned/` and the shading
/// field's blocks: the smallest that brings its longest side to at most
/// [`ALIGNED_SIDE`] (1 for photos that small: the frame itself).
fn overview_factor(w: usize, h: usize) -> usize {
    w.max(h).div_ceil(ALIGNED_SIDE).max(1)
}

/// `src` warped into the baseline frame by `base_from_moving`: the region
/// and the control region at full resolution (each the crop of the whole
/// frame's warp, bit for bit) and the frame reduced by `factor`; with
/// factor 1, one warp of the frame, cut.
fn warped(
    src: &RgbPlanes,
    base_from_moving: &Homography,
    (bw, bh): (usize, usize),
    factor: usize,
    regions: quality::Regions,
) -> Warped {
    if factor == 1 {
        let whole = align::warp::warp_rgb(src, base_from_moving, bw, bh);
        return Warped {
            roi: whole.crop(regions.roi),
            control: regions.control.map(|c| whole.crop(c)),
            overview: whole,
        };
    }
    let part = |r: Rect| align::warp::warp_rgb_grid(src, base_from_moving, Grid::region(r));
    Warped {
        overview: align::warp::warp_rgb_grid(src, base_from_moving, Grid::reduced(bw, bh, factor)),
        roi: part(regions.roi),
        control: regions.control.map(part),
    }
}

/// The reason a capture that cannot be decoded is left out.
fn unreadable(e: &Error) -> String {
    format!("{} ({})", super::UNREADABLE, crate::error::with_causes(e))
}

/// The size of a report preview of `roi`: at most [`PREVIEW_SIDE`] a side.
fn preview_size(roi: Rect) -> (usize, usize) {
    let scale = PREVIEW_SIDE as f64 / roi.w.max(roi.h) as f64;
    if scale < 1.0 {
        (
            ((roi.w as f64 * scale).round() as usize).max(1),
            ((roi.h as f64 * scale).round() as usize).max(1),
        )
    } else {
        (roi.w, roi.h)
    }
}

fn preview_jpeg(img: &RgbPlanes, size: (usize, usize), path: &Path) -> Result<Vec<u8>> {
    let rgb = crate::resample::rgb8_at(img, size.0, size.1);
    output::jpeg_output(path, size.0, size.1, &rgb, 85)
}
