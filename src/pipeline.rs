//! The one place that knows the order of the stages and where rayon fans out.
//!
//! For each series (a view and a capture kind), in this order:
//! 1. **align** every capture to the series' baseline (in parallel across
//!    captures; only transforms are kept, so memory holds a couple of photos,
//!    never the whole case);
//! 2. **choose the ROI**: the case's `roi`, else the largest rectangle inside
//!    the skin every usable capture covers (same place in every session);
//! 3. **measure** each capture: decoded again, warped into the baseline frame,
//!    measured on the ROI; aligned images, overlays and report previews are
//!    written as they go;
//! 4. **trend**: change vs baseline, noise, timeline, fits.
//!
//! Then plots and the report, which only read the finished analysis.

use crate::align::{self, AlignOptions, Status};
use crate::case::{self, Capture, CaptureKind, Case, ViewConfig};
use crate::date::Date;
use crate::error::{Error, Result};
use crate::geometry::Homography;
use crate::ingest::{self, IngestOptions};
use crate::measure::{self, MeasureOptions, Measurements};
use crate::model::{Alignment, Analysis, MetricResult, Series, SessionResult};
use crate::output;
use crate::overlay;
use crate::raster::{Rect, RgbPlanes};
use crate::trend;
use crate::units::MmPerPx;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod depth;
use depth::depth_series;

/// Settings of a whole analysis.
#[derive(Clone, Debug, Default)]
pub struct AnalyzeOptions {
    /// Decode limits.
    pub ingest: IngestOptions,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

/// Overlay images of one capture: (kind, JPEG bytes).
pub type OverlayImages = Vec<(String, Vec<u8>)>;

/// What measuring one capture yields for the outputs.
type MeasuredCapture = (Measurements, Vec<u8>, OverlayImages);

/// Images the report embeds, by series index.
#[derive(Clone, Debug, Default)]
pub struct Media {
    /// Per series: per session, a JPEG preview of the aligned capture (None if failed).
    pub previews: Vec<Vec<Option<Vec<u8>>>>,
    /// Per series: per session, overlay PNGs (name → bytes) on the ROI.
    pub overlays: Vec<Vec<OverlayImages>>,
    /// Per series: the ROI and control as fractions of the preview (for drawing).
    pub preview_size: Vec<(usize, usize)>,
    /// Per series: what the preview images show, when it needs saying (the
    /// colour scale of a depth map).
    pub notes: Vec<Option<String>>,
}

/// What `analyze` produced.
pub struct Outcome {
    /// The analysis (metrics.json).
    pub analysis: Analysis,
    /// Where report.html was written.
    pub report: PathBuf,
    /// Warnings worth telling the user (failed alignments, odd files).
    pub warnings: Vec<String>,
}

/// Longest side of report previews, px.
const PREVIEW_SIDE: usize = 1000;

/// Runs the whole pipeline on `case_dir`, writing into `out_dir`.
///
/// # Errors
/// Bad input (exit 2) or failed work/writes (exit 1); a capture that cannot
/// be aligned is a warning, not an error.
pub fn analyze(case_dir: &Path, out_dir: &Path, opts: &AnalyzeOptions) -> Result<Outcome> {
    let case = case::read_case(case_dir)?;
    check_out_dir(case_dir, out_dir)?;
    output::ensure_dir(out_dir)?;
    let mut warnings = Vec::new();
    let inputs_sha256 = inputs_hash(&case)?;
    let bar = progress_bar(
        opts.progress,
        case.sessions
            .iter()
            .map(|s| s.captures.len() as u64)
            .sum::<u64>()
            * 2,
    );

    let mut series = Vec::new();
    let mut media = Media::default();
    for (view, kind) in series_keys(&case) {
        let cfg = case.views.get(&view).cloned().unwrap_or_default();
        let (s, m) = if kind == "photo" {
            photo_series(&case, &view, &cfg, opts, out_dir, &bar, &mut warnings)?
        } else {
            depth_series(&case, &view, kind, &cfg, out_dir, &bar, &mut warnings)?
        };
        series.push(s);
        media.previews.push(m.0);
        media.overlays.push(m.1);
        media.preview_size.push(m.2);
        media.notes.push(m.3);
    }
    bar.finish_and_clear();
    let analysis = Analysis {
        tool: "skintrack",
        version: env!("CARGO_PKG_VERSION"),
        case: case.name.clone(),
        client: case.client.clone(),
        treatment: case.treatment.clone(),
        baseline_date: case.sessions[0].date,
        treatments: case.treatments.clone(),
        inputs_sha256,
        series,
    };
    let report = write_outputs(&analysis, &media, out_dir)?;
    Ok(Outcome {
        analysis,
        report,
        warnings,
    })
}

fn check_out_dir(case_dir: &Path, out_dir: &Path) -> Result<()> {
    let case = std::fs::canonicalize(case_dir).map_err(|source| Error::Read {
        path: case_dir.to_path_buf(),
        source,
    })?;
    // the output may not exist yet: resolve its nearest existing ancestor
    let mut probe = out_dir.to_path_buf();
    let mut tail = Vec::new();
    let resolved = loop {
        if let Ok(p) = std::fs::canonicalize(&probe) {
            break tail
                .iter()
                .rev()
                .fold(p, |acc: PathBuf, t: &std::ffi::OsString| acc.join(t));
        }
        match (probe.file_name().map(ToOwned::to_owned), probe.parent()) {
            (Some(name), Some(parent)) => {
                tail.push(name);
                probe = if parent.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    parent.to_path_buf()
                };
            }
            _ => break out_dir.to_path_buf(),
        }
    };
    if resolved.starts_with(&case) {
        return Err(Error::usage(format!(
            "{}: the output folder must not be inside the case folder (originals are never written to)",
            out_dir.display()
        )));
    }
    Ok(())
}

fn progress_bar(show: bool, len: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} {msg:20} [{bar:30}] {pos}/{len} steps ({eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// (view, kind) of every series, sorted.
fn series_keys(case: &Case) -> Vec<(String, &'static str)> {
    let mut keys: Vec<(String, &'static str)> = case
        .sessions
        .iter()
        .flat_map(|s| s.captures.iter().map(|c| (c.view.clone(), c.kind.name())))
        .collect();
    // per view: photos first (what a client recognises), then depth data
    let rank = |k: &str| match k {
        "photo" => 0,
        "photometric" => 1,
        _ => 2,
    };
    keys.sort_by(|a, b| a.0.cmp(&b.0).then(rank(a.1).cmp(&rank(b.1))));
    keys.dedup();
    keys
}

fn relative(case: &Case, p: &Path) -> String {
    p.strip_prefix(&case.root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// SHA-256 over every input file, in case order (names, then bytes).
fn inputs_hash(case: &Case) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut files: Vec<PathBuf> = Vec::new();
    let manifest = case.root.join("case.toml");
    if manifest.exists() {
        files.push(manifest);
    }
    for s in &case.sessions {
        for c in &s.captures {
            match &c.kind {
                CaptureKind::Photometric(set) => files.extend(set.images.iter().cloned()),
                _ => files.push(c.path.clone()),
            }
        }
    }
    for f in files {
        let bytes = std::fs::read(&f).map_err(|source| Error::Read {
            path: f.clone(),
            source,
        })?;
        h.update(relative(case, &f).as_bytes());
        h.update([0]);
        h.update(&bytes);
    }
    Ok(format!("{:x}", h.finalize()))
}

/// One capture of a series with its session.
struct Item<'a> {
    session: usize,
    date: Date,
    capture: &'a Capture,
}

type SeriesMedia = (
    Vec<Option<Vec<u8>>>,
    Vec<Vec<(String, Vec<u8>)>>,
    (usize, usize),
    Option<String>,
);

#[allow(clippy::too_many_lines)]
fn photo_series(
    case: &Case,
    view: &str,
    cfg: &ViewConfig,
    opts: &AnalyzeOptions,
    out_dir: &Path,
    bar: &indicatif::ProgressBar,
    warnings: &mut Vec<String>,
) -> Result<(Series, SeriesMedia)> {
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
    let base = ingest::read_photo(&base_item.capture.path, &opts.ingest)?;
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
    for (name, r) in [("roi", cfg.roi), ("control", cfg.control)] {
        if let Some(r) = r
            && !r.fits_in(bw, bh)
        {
            return Err(Error::case(
                case.root.join("case.toml"),
                format!(
                    "[view.{view}] {name} = [{}, {}, {}, {}] does not fit the {bw}x{bh} baseline photo",
                    r.x, r.y, r.w, r.h
                ),
            ));
        }
    }
    let align_opts = AlignOptions {
        exclude: cfg.exclude.clone(),
        ..AlignOptions::default()
    };

    // 1. align every follow-up capture (decoded, registered, dropped)
    let regs: Vec<Result<(align::Registration, (usize, usize))>> = items
        .par_iter()
        .enumerate()
        .map(|(k, it)| {
            if k == 0 {
                return Ok((align::Registration::identity(), (bw, bh)));
            }
            let photo = ingest::read_photo(&it.capture.path, &opts.ingest)?;
            let size = (photo.image.width(), photo.image.height());
            let reg = align::register_rgb(&base.image, &photo.image, &align_opts);
            bar.inc(1);
            Ok((reg, size))
        })
        .collect();
    bar.inc(1);
    let regs: Vec<(align::Registration, (usize, usize))> =
        regs.into_iter().collect::<Result<_>>()?;
    for (it, (r, _)) in items.iter().zip(&regs) {
        warn_if_unaligned(case, it, r, warnings);
    }

    // 2. the ROI: configured, or the largest rectangle all usable captures cover
    let roi = match cfg.roi {
        Some(r) => r,
        None => common_roi(
            bw,
            bh,
            regs.iter()
                .filter(|(r, _)| r.status == Status::Ok)
                .map(|(r, s)| (&r.base_from_moving, *s)),
        )
        .ok_or_else(|| Error::Failed {
            path: base_item.capture.path.clone(),
            problem: format!(
                "view {view:?}: the aligned captures share no region large enough to measure"
            ),
        })?,
    };
    let mm_per_px = cfg.mm_per_px;
    let mopts = MeasureOptions {
        mm_per_px,
        control: cfg.control,
        keep_maps: true,
        // every session's colour is adapted to the baseline's control region
        control_reference: cfg
            .control
            .and_then(|c| measure::control_reference(&base.image, c)),
        ..MeasureOptions::default()
    };

    // 3. measure every usable capture in the baseline frame
    bar.set_message(format!("{view}: measuring"));
    // previews show the measured region: the same skin in every session
    let preview_scale = PREVIEW_SIDE as f64 / roi.w.max(roi.h) as f64;
    let preview_size = if preview_scale < 1.0 {
        (
            ((roi.w as f64 * preview_scale).round() as usize).max(1),
            ((roi.h as f64 * preview_scale).round() as usize).max(1),
        )
    } else {
        (roi.w, roi.h)
    };
    let measured: Vec<Result<Option<MeasuredCapture>>> = items
        .par_iter()
        .zip(&regs)
        .enumerate()
        .map(|(k, (it, (reg, _)))| {
            if reg.status == Status::Failed {
                bar.inc(1);
                return Ok(None);
            }
            let aligned = if k == 0 {
                base.image.clone()
            } else {
                let photo = ingest::read_photo(&it.capture.path, &opts.ingest)?;
                align::warp::warp_rgb(&photo.image, &reg.base_from_moving, bw, bh)
            };
            let source = &it.capture.path;
            let m = measure::measure(source, &aligned, roi, &mopts)?;
            let stem = capture_stem(view, it.date, it.capture.repeat);
            let rgb = aligned.to_rgb8();
            let path = out_dir.join("aligned").join(format!("{stem}.jpg"));
            output::write_atomic(&path, &output::jpeg_rgb8(&path, bw, bh, &rgb, 92)?)?;
            let preview = preview_jpeg(&aligned.crop(roi), preview_size, &path)?;
            let overlays = overlay::render_all(&aligned, &m, out_dir, &stem)?;
            bar.inc(1);
            Ok(Some((m, preview, overlays)))
        })
        .collect();
    let measured: Vec<Option<MeasuredCapture>> = measured.into_iter().collect::<Result<_>>()?;

    // 4. sessions: repeats averaged, then the trend against the baseline
    let mut sessions: Vec<SessionResult> = Vec::new();
    let mut previews = Vec::new();
    let mut overlays = Vec::new();
    let mut by_session: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, it) in items.iter().enumerate() {
        by_session.entry(it.session).or_default().push(k);
    }
    for ks in by_session.values() {
        let first = ks[0];
        let it = &items[first];
        let reg = &regs[first].0;
        let usable: Vec<&Measurements> = ks
            .iter()
            .filter_map(|&k| measured[k].as_ref().map(|m| &m.0))
            .collect();
        let metrics = combine_repeats(&usable);
        let mut result = session_result(case, it, reg, metrics);
        result.repeats = ks[1..]
            .iter()
            .map(|&k| relative(case, &items[k].capture.path))
            .collect();
        result.pore_histogram = usable.first().and_then(|m| m.pore_histogram.clone());
        sessions.push(result);
        previews.push(measured[first].as_ref().map(|m| m.1.clone()));
        overlays.push(
            measured[first]
                .as_ref()
                .map(|m| m.2.clone())
                .unwrap_or_default(),
        );
    }
    let mut series = Series {
        view: view.to_string(),
        kind: "photo",
        roi: Some(roi),
        control: cfg.control,
        mm_per_px: mm_per_px.map(MmPerPx::get),
        sessions,
        fits: BTreeMap::new(),
        scars: Vec::new(),
    };
    apply_trend(&mut series);
    Ok((series, (previews, overlays, preview_size, None)))
}

/// Warns that a capture is left out because it could not be aligned.
fn warn_if_unaligned(
    case: &Case,
    it: &Item<'_>,
    r: &align::Registration,
    warnings: &mut Vec<String>,
) {
    if r.status == Status::Failed {
        warnings.push(format!(
            "{}: not aligned ({}); left out of the curves",
            relative(case, &it.capture.path),
            r.reason.as_deref().unwrap_or("no reason")
        ));
    }
}

/// A session's result: its place on the treatment timeline, its source,
/// registration and metrics (no repeats, no pore histogram).
fn session_result(
    case: &Case,
    it: &Item<'_>,
    reg: &align::Registration,
    metrics: BTreeMap<String, MetricResult>,
) -> SessionResult {
    let tl = trend::timeline(it.date, case.sessions[0].date, &case.treatments);
    SessionResult {
        date: it.date,
        days: tl.days,
        days_since_treatment: tl.days_since_treatment,
        acute_window: tl.acute_window,
        treatment: tl.treatment,
        source: relative(case, &it.capture.path),
        repeats: Vec::new(),
        alignment: alignment_json(reg),
        metrics,
        pore_histogram: None,
    }
}

fn alignment_json(r: &align::Registration) -> Alignment {
    Alignment {
        status: if r.status == Status::Ok {
            "ok"
        } else {
            "failed"
        },
        base_from_moving: r.base_from_moving,
        score: r.score,
        overlap: r.overlap,
        structure_score: r.structure_score,
        inliers: r.inliers,
        inlier_ratio: r.inlier_ratio,
        residual_px: r.residual_px,
        precision_px: r.precision_px.is_finite().then_some(r.precision_px),
        reason: r.reason.clone(),
    }
}

fn capture_stem(view: &str, date: Date, repeat: u32) -> String {
    if repeat > 1 {
        format!("{view}_{date}_r{repeat}")
    } else {
        format!("{view}_{date}")
    }
}

fn preview_jpeg(img: &RgbPlanes, size: (usize, usize), path: &Path) -> Result<Vec<u8>> {
    let rgb = img.to_rgb8();
    let (w, h) = (img.width(), img.height());
    let buf = image::RgbImage::from_raw(w as u32, h as u32, rgb).ok_or_else(|| Error::Failed {
        path: path.to_path_buf(),
        problem: "preview buffer size".into(),
    })?;
    let small = if (w, h) == size {
        buf
    } else {
        image::imageops::resize(
            &buf,
            size.0 as u32,
            size.1 as u32,
            image::imageops::FilterType::Triangle,
        )
    };
    output::jpeg_rgb8(path, size.0, size.1, small.as_raw(), 85)
}

/// Mean of the repeat captures' values; their spread replaces the tile SEM
/// when there are two or more (sd/√k).
fn combine_repeats(ms: &[&Measurements]) -> BTreeMap<String, MetricResult> {
    let mut out = BTreeMap::new();
    let Some(first) = ms.first() else { return out };
    for (id, v) in &first.values {
        let vals: Vec<f64> = ms
            .iter()
            .filter_map(|m| m.values.get(id).map(|x| x.value))
            .collect();
        let k = vals.len() as f64;
        let mean = vals.iter().sum::<f64>() / k;
        let uncertainty = if vals.len() >= 2 {
            let var = vals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0);
            (var / k).sqrt()
        } else {
            v.uncertainty
        };
        out.insert(
            id.clone(),
            MetricResult {
                value: mean,
                unit: v.unit.clone(),
                better: v.better,
                uncertainty,
                change_pct: None,
                beyond_noise: false,
                change: 0.0,
                mdc95: 0.0,
            },
        );
    }
    out
}

/// Fills change vs baseline, MDC and fits of a series.
pub fn apply_trend(series: &mut Series) {
    let Some(base) = series
        .sessions
        .iter()
        .find(|s| s.alignment.is_ok() && !s.metrics.is_empty())
        .map(|s| s.metrics.clone())
    else {
        return;
    };
    for s in &mut series.sessions {
        for (id, m) in &mut s.metrics {
            if let Some(b) = base.get(id) {
                let c = trend::change(b.value, b.uncertainty, m.value, m.uncertainty, m.better);
                m.change_pct = c.change_pct;
                m.beyond_noise = c.beyond_noise;
                m.change = c.delta;
                m.mdc95 = c.mdc95;
            }
        }
    }
    let ids: Vec<String> = base.keys().cloned().collect();
    for id in ids {
        let pts: Vec<(f64, f64)> = series
            .sessions
            .iter()
            .filter(|s| s.alignment.is_ok() && !s.acute_window)
            .filter_map(|s| s.metrics.get(&id).map(|m| (s.days as f64, m.value)))
            .collect();
        if let Some(f) = trend::fit_saturating(&pts) {
            series.fits.insert(id, f);
        }
    }
}

/// The largest axis-aligned rectangle of baseline pixels that every capture
/// covers (a 2 % margin inside), found on a grid of ≤ 512 px.
#[must_use]
pub fn common_roi<'a>(
    bw: usize,
    bh: usize,
    captures: impl Iterator<Item = (&'a Homography, (usize, usize))>,
) -> Option<Rect> {
    let step = (bw.max(bh) as f64 / 512.0).max(1.0);
    let (gw, gh) = ((bw as f64 / step) as usize, (bh as f64 / step) as usize);
    let mut valid = vec![true; gw * gh];
    for (h, (mw, mh)) in captures {
        let Some(inv) = h.inverse() else { continue };
        let margin = 3.0;
        for gy in 0..gh {
            for gx in 0..gw {
                // check the cell's corners so the whole cell is covered
                let corners = [(gx, gy), (gx + 1, gy), (gx, gy + 1), (gx + 1, gy + 1)];
                let inside = corners.iter().all(|&(cx, cy)| {
                    let (x, y) = (
                        (cx as f64 * step).min(bw as f64 - 1.0),
                        (cy as f64 * step).min(bh as f64 - 1.0),
                    );
                    inv.apply(x, y).is_some_and(|(u, v)| {
                        u >= margin
                            && v >= margin
                            && u <= mw as f64 - 1.0 - margin
                            && v <= mh as f64 - 1.0 - margin
                    })
                });
                if !inside {
                    valid[gy * gw + gx] = false;
                }
            }
        }
    }
    let (x, y, w, h) = largest_rectangle(&valid, gw, gh)?;
    let r = Rect::new(
        ((x as f64 * step).ceil() as usize).min(bw - 1),
        ((y as f64 * step).ceil() as usize).min(bh - 1),
        (w as f64 * step).floor() as usize,
        (h as f64 * step).floor() as usize,
    );
    // 2 % margin inside, away from resampling edges
    let (mx, my) = (r.w / 50, r.h / 50);
    let r = Rect::new(
        r.x + mx,
        r.y + my,
        r.w.saturating_sub(2 * mx),
        r.h.saturating_sub(2 * my),
    );
    (r.w >= measure::MIN_SIDE && r.h >= measure::MIN_SIDE && r.fits_in(bw, bh)).then_some(r)
}

/// Largest all-true rectangle of a boolean grid (histogram-stack method).
fn largest_rectangle(valid: &[bool], w: usize, h: usize) -> Option<(usize, usize, usize, usize)> {
    let mut heights = vec![0usize; w];
    let mut best: Option<(usize, usize, usize, usize)> = None;
    let mut best_area = 0;
    for y in 0..h {
        for x in 0..w {
            heights[x] = if valid[y * w + x] { heights[x] + 1 } else { 0 };
        }
        let mut stack: Vec<usize> = Vec::new();
        for x in 0..=w {
            let cur = if x < w { heights[x] } else { 0 };
            while let Some(&top) = stack.last() {
                if heights[top] <= cur {
                    break;
                }
                stack.pop();
                let height = heights[top];
                let left = stack.last().map_or(0, |&l| l + 1);
                let width = x - left;
                if height * width > best_area {
                    best_area = height * width;
                    best = Some((left, y + 1 - height, width, height));
                }
            }
            stack.push(x);
        }
    }
    best
}

/// Writes metrics.json, metrics.csv, plots and report.html; returns the report path.
fn write_outputs(analysis: &Analysis, media: &Media, out_dir: &Path) -> Result<PathBuf> {
    let json_path = out_dir.join("metrics.json");
    let json = serde_json::to_string_pretty(analysis).map_err(|e| Error::Failed {
        path: json_path.clone(),
        problem: e.to_string(),
    })?;
    output::write_atomic(&json_path, format!("{json}\n").as_bytes())?;
    output::write_atomic(
        &out_dir.join("metrics.csv"),
        crate::report::csv(analysis).as_bytes(),
    )?;
    let plots = crate::plot::all_plots(analysis)?;
    for p in &plots {
        output::write_atomic(
            &out_dir.join("plots").join(format!("{}.png", p.name)),
            &p.png,
        )?;
        output::write_atomic(
            &out_dir.join("plots").join(format!("{}.svg", p.name)),
            p.svg.as_bytes(),
        )?;
    }
    let html = crate::report::html(analysis, media, &plots);
    let report = out_dir.join("report.html");
    output::write_atomic(&report, html.as_bytes())?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_rectangle_finds_the_block() {
        // 6x4 grid with a 3x2 block of true plus scattered trues
        let mut g = vec![false; 24];
        for y in 1..3 {
            for x in 2..5 {
                g[y * 6 + x] = true;
            }
        }
        g[0] = true;
        assert_eq!(largest_rectangle(&g, 6, 4), Some((2, 1, 3, 2)));
    }

    #[test]
    fn common_roi_of_identity_is_almost_everything() {
        let id = Homography::IDENTITY;
        let r = common_roi(400, 300, std::iter::once((&id, (400, 300)))).unwrap();
        assert!(r.w > 360 && r.h > 270 && r.fits_in(400, 300), "{r:?}");
        // a shift by 100 px leaves the left part uncovered
        let t = Homography::translation(100.0, 0.0);
        let r2 = common_roi(400, 300, [(&id, (400, 300)), (&t, (400, 300))].into_iter()).unwrap();
        assert!(r2.x >= 100 && r2.w < 300, "{r2:?}");
    }
}
