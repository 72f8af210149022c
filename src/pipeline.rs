//! The one place that knows the order of the stages and where rayon fans out.
//!
//! For each series (a view and a capture kind), one after the other so that
//! memory holds a couple of captures, never the whole case:
//! 1. **ingest and align** every capture to the series' baseline (in
//!    parallel across captures; only transforms are kept);
//! 2. **choose the region**: the case's `roi`, else the largest rectangle
//!    every usable capture covers (the same skin in every session);
//! 3. **measure** each capture, decoded again and warped into the baseline
//!    frame; aligned images, overlays and report previews are written as
//!    they go ([`photo`] for photos, [`depth`] for height maps and
//!    photometric sets);
//! 4. **trend**: every value against the baseline, the noise, the fits.
//!
//! Then the plots and the report, which only read the finished analysis,
//! and the files are written.

use crate::case::{self, Case, Kind, ViewConfig};
use crate::error::{Error, Result};
use crate::ingest::IngestOptions;
use crate::model::{Analysis, MeasuredSeries};
use crate::output;
use crate::{claims, plot, report, trend};
use indicatif::ProgressBar;
use std::path::{Path, PathBuf};

mod depth;
mod photo;

/// Settings of a whole analysis.
#[derive(Clone, Debug, Default)]
pub struct AnalyzeOptions {
    /// Decode limits.
    pub ingest: IngestOptions,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Draw it among these (`batch`'s bar over cases), when given.
    pub bars: Option<indicatif::MultiProgress>,
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

impl Outcome {
    /// How many session captures there were, and how many of them were
    /// measured (the others were left out: not aligned, rejected).
    #[must_use]
    pub fn measured(&self) -> (usize, usize) {
        let sessions = self.analysis.series.iter().flat_map(|s| &s.sessions);
        sessions.fold((0, 0), |(t, m), x| {
            (t + 1, m + usize::from(!x.metrics.is_empty()))
        })
    }

    /// A view whose first capture the quality gate rejected has no usable
    /// baseline: none of its later captures can be compared (DESIGN.md:
    /// analyze exits 0 only while every view has one). The error names the
    /// first such capture (under `case_dir`) and the gate's first reason.
    #[must_use]
    pub fn unusable_baseline(&self, case_dir: &Path) -> Option<Error> {
        let first = self
            .analysis
            .series
            .iter()
            .find_map(crate::model::Series::rejected_first)?;
        Some(Error::case(
            case_dir.join(&first.source),
            format!(
                "the first visit's capture is not usable, so no later capture of its view can be compared with it: {} (or start the case at a later visit)",
                first
                    .quality
                    .reasons
                    .first()
                    .map_or("rejected by the quality gate", |r| r.trim_end_matches('.'))
            ),
        ))
    }
}

/// One series to measure and what it needs from the case.
struct SeriesJob<'a> {
    case: &'a Case,
    view: &'a str,
    kind: Kind,
    cfg: ViewConfig,
    opts: &'a AnalyzeOptions,
    out_dir: &'a Path,
    bar: &'a ProgressBar,
}

/// Runs the whole pipeline on `case_dir`, writing into `out_dir`.
///
/// # Errors
/// Bad input (exit 2) or failed work/writes (exit 1); a capture that cannot
/// be aligned is a warning, not an error.
pub fn analyze(case_dir: &Path, out_dir: &Path, opts: &AnalyzeOptions) -> Result<Outcome> {
    let case = case::read_case(case_dir)?;
    output::check_out_dir(case_dir, out_dir)?;
    // everything is written beside `out_dir` and swapped in at the end
    let staged = output::Staged::begin(out_dir)?;
    let final_dir = out_dir;
    let out_dir = staged.path();
    let inputs_sha256 = case.inputs_sha256();
    let captures: usize = case.sessions.iter().map(|s| s.captures.len()).sum();
    let bar = progress_bar(opts, captures as u64 * 2);
    let mut warnings = case.warnings.clone();
    let mut series = Vec::new();
    for (view, kind) in case.series_keys() {
        let job = SeriesJob {
            case: &case,
            view: &view,
            kind,
            cfg: case.views.get(&view).cloned().unwrap_or_default(),
            opts,
            out_dir,
            bar: &bar,
        };
        // 1–3. ingest, align, measure
        let measured: MeasuredSeries = match kind {
            Kind::Photo => photo::measure_series(&job, &mut warnings)?,
            Kind::Height | Kind::Photometric => {
                let _t = crate::timing::span("depth series");
                depth::measure_series(&job, &mut warnings)?
            }
        };
        // 4. trend
        let trend = trend::trend(&measured.points());
        series.push(measured.with_trend(trend));
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
        treatments_assumed: case.treatments_assumed,
        inputs_sha256,
        notes: case.notes.clone(),
        date_warnings: case.date_warnings.clone(),
        claims: claims::claims(&series, case.sessions[0].date),
        series,
    };
    // plots and the report read the finished analysis only
    let plots = {
        let _t = crate::timing::span("plots");
        plot::all_plots(&analysis)?
    };
    let files = {
        let _t = crate::timing::span("report");
        report::files(&analysis, &plots)?
    };
    let _t = crate::timing::span("write outputs");
    output::write_files(out_dir, &files)?;
    staged.commit()?;
    Ok(Outcome {
        analysis,
        report: final_dir.join(report::REPORT),
        warnings,
    })
}

/// `f(index, item)` over `items`, results in item order, with at most
/// `at_once` running together (rayon would start one per core): the memory
/// budget bounds how many full-resolution captures are held at a time.
/// The results do not depend on `at_once`.
fn map_bounded<T: Sync, R: Send>(
    items: &[T],
    at_once: usize,
    f: impl Fn(usize, &T) -> R + Sync,
) -> Vec<R> {
    use rayon::prelude::*;
    let at_once = at_once.max(1);
    let mut out = Vec::with_capacity(items.len());
    for (c, chunk) in items.chunks(at_once).enumerate() {
        out.par_extend(
            chunk
                .par_iter()
                .enumerate()
                .map(|(i, t)| f(c * at_once + i, t)),
        );
    }
    out
}

/// How many captures of the baseline's size (`w`×`h` px) may be decoded
/// and measured at once within the budget, beside the baseline itself
/// (its planes and reference, ~16 B/px): each takes
/// [`crate::ingest::PEAK_BYTES_PER_PIXEL`]. At least one. Measured on a
/// 12 MP three-visit case without a region: 1.74 GB peak with two at a
/// time.
fn captures_at_once(opts: &IngestOptions, w: usize, h: usize) -> usize {
    let px = (w as u64).saturating_mul(h as u64).max(1);
    let free = opts.max_memory.saturating_sub(16 * px);
    usize::try_from(free / (crate::ingest::PEAK_BYTES_PER_PIXEL * px))
        .unwrap_or(usize::MAX)
        .max(1)
}

/// Extra memory per pixel of a capture being prepared (decoded, aligned
/// and warped: two f32 RGB frames, 24 B/px, and the aligner's grey
/// pyramids) while another is measured.
const PREPARE_BYTES_PER_PIXEL: u64 = 40;

/// Whether one capture of the baseline's size (`w`×`h` px) may be prepared
/// while another is measured, within the budget (beside the baseline's
/// ~16 B/px). Measured on the 6-visit 12 MP phantom with a region: see
/// BENCHMARKS.md (issue 19).
fn overlap_fits(opts: &IngestOptions, w: usize, h: usize) -> bool {
    let px = (w as u64).saturating_mul(h as u64).max(1);
    let need =
        (16 + crate::ingest::PEAK_BYTES_PER_PIXEL + PREPARE_BYTES_PER_PIXEL).saturating_mul(px);
    need <= opts.max_memory
}

/// A bar over `len` steps on stderr when `opts` asks for one.
fn progress_bar(opts: &AnalyzeOptions, len: u64) -> ProgressBar {
    if !opts.progress {
        return ProgressBar::hidden();
    }
    let bar = match &opts.bars {
        Some(bars) => bars.add(ProgressBar::new(len)),
        None => ProgressBar::new(len),
    };
    styled(
        bar,
        "{spinner} {msg:20} [{bar:30}] {pos}/{len} steps ({eta} left)",
    )
}

/// The areas a suggested control region keeps out of: the excluded ones
/// and the grey card.
pub(crate) fn avoided(cfg: &ViewConfig) -> Vec<crate::raster::Rect> {
    cfg.exclude.iter().copied().chain(cfg.card).collect()
}

/// `bar` drawn with `template` and the project's bar characters (the
/// default style if the template does not parse).
pub(crate) fn styled(bar: ProgressBar, template: &str) -> ProgressBar {
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// How the registration of a capture that could not be decoded begins its
/// reason (no alignment was attempted).
pub const UNREADABLE: &str = "the file cannot be read";

/// How the reason begins for a photometric set that was read but gave no
/// surface (every pixel clipped or dark, its lights unusable): left out
/// before alignment, as an unreadable file is, not "not aligned".
pub const NO_SURFACE: &str = "no height map could be made of this set";

/// True when `reg` failed because its capture could not be decoded, or
/// (a photometric set) gave no surface.
#[must_use]
pub fn is_unreadable(reg: &crate::align::Registration) -> bool {
    reg.reason
        .as_deref()
        .is_some_and(|r| r.starts_with(UNREADABLE) || r.starts_with(NO_SURFACE))
}

/// The verdict on a capture left out before it was assessed: its file's
/// reason where it could not be read, else that it is not aligned.
fn not_assessed(reg: &crate::align::Registration) -> crate::quality::Quality {
    match reg.reason.as_deref() {
        Some(r) if is_unreadable(reg) => {
            crate::quality::Quality::rejected(format!("not assessed: {r}"))
        }
        _ => crate::quality::Quality::rejected(crate::quality::NOT_ALIGNED.into()),
    }
}

/// The warning for a capture left out because it could not be read or aligned.
fn unaligned_warning(case: &Case, path: &Path, reg: &crate::align::Registration) -> Option<String> {
    let reason = reg.reason.as_deref().unwrap_or("no reason");
    (!reg.is_ok()).then(|| {
        if is_unreadable(reg) {
            format!("{}: {reason}; left out of the curves", case.relative(path))
        } else {
            format!(
                "{}: not aligned ({reason}); left out of the curves",
                case.relative(path)
            )
        }
    })
}

/// The file stem of a capture's outputs.
fn capture_stem(view: &str, date: crate::date::Date, repeat: u32) -> String {
    if repeat > 1 {
        format!("{view}_{date}_r{repeat}")
    } else {
        format!("{view}_{date}")
    }
}
