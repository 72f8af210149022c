//! One function per subcommand: validated arguments in, text for stdout
//! and an exit code out. `main` only parses and prints.

use crate::align::{self, AlignOptions, Status};
use crate::batch::{self, CaseOutcome};
use crate::cli::{self, Args, Command};
use crate::error::{Error, Result};
use crate::ingest::{self, IngestOptions};
use crate::measure::{self, MeasureOptions, Value};
use crate::output;
use crate::pipeline::{self, AnalyzeOptions};
use crate::raster::Rect;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `println!` for command output: a reader that has gone away (`| head -c
/// 100`) ends the process quietly with exit 0, as a SIGPIPE would, instead
/// of a panic and a backtrace.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::commands::stdout_line(&format!($($arg)*))
    };
}

mod depth;
mod regions;

/// Writes `line` and a newline to stdout (see `outln!`); a reader that
/// closed stdout (`| head`) ends the command quietly, exit 0.
pub(crate) fn stdout_line(line: &str) {
    if !try_stdout_line(line) {
        std::process::exit(0);
    }
}

/// Writes `line` and a newline to stdout: `false` when the reader has
/// closed it; any other write error ends the command, exit 1.
fn try_stdout_line(line: &str) -> bool {
    use std::io::Write as _;
    match writeln!(std::io::stdout().lock(), "{line}") {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => false,
        Err(e) => {
            eprintln!("skintrack: cannot write to standard output: {e}");
            std::process::exit(1);
        }
    }
}

/// Writes a progress `line` and a newline to stdout; a reader that closed
/// stdout (`| head`) ends the lines, not the work that prints them.
fn progress_line(line: &str) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static CLOSED: AtomicBool = AtomicBool::new(false);
    // a case folder named with a newline or an escape is still one line
    let line = crate::error::printable(line);
    if !CLOSED.load(Ordering::Relaxed) && !try_stdout_line(&line) {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Runs a parsed command line.
///
/// # Errors
/// Any [`Error`]; its exit code is the process's.
pub fn run(args: Args) -> Result<ExitCode> {
    if !args.verbose {
        return run_command(args);
    }
    crate::timing::enable();
    let started = std::time::Instant::now();
    let result = run_command(args);
    // a failure is its one line: where the time went is no use then
    if result.is_ok() {
        eprint!("{}", crate::timing::table(started.elapsed().as_secs_f64()));
    }
    result
}

fn run_command(args: Args) -> Result<ExitCode> {
    let ingest = IngestOptions {
        max_memory: args.max_memory,
        ..IngestOptions::default()
    };
    match args.command {
        Command::Analyze {
            case_dir,
            out,
            strict,
        } => {
            let out = out.unwrap_or_else(|| {
                PathBuf::from("skintrack-out").join(case_dir.file_name().unwrap_or_default())
            });
            analyze(&case_dir, &out, ingest, Strict(strict))
        }
        Command::Align {
            base,
            moving,
            out,
            json,
        } => align_pair(&base, &moving, out.as_ref(), json, &ingest),
        Command::Metrics {
            image,
            roi,
            control,
            mm_per_px,
            json,
        } => metrics(
            &image,
            cli::region("--roi", roi)?,
            cli::region("--control", control)?,
            cli::scale(mm_per_px)?,
            json,
            &ingest,
        ),
        Command::Depth {
            lights,
            intensities,
            mask,
            encoding,
            mm_per_px,
            out,
            json,
            images,
        } => depth::run(&depth::DepthArgs {
            lights,
            intensities,
            mask,
            encoding: encoding.map(ingest::Encoding::from),
            mm_per_px: cli::scale(mm_per_px)?,
            out,
            json,
            images,
            ingest,
        }),
        Command::Batch {
            archive_dir,
            out,
            shard,
        } => batch(
            &archive_dir,
            &out,
            shard.unwrap_or(batch::Shard::ALL),
            ingest,
        ),
        Command::Index { out_dir } => index(&out_dir),
        Command::Regions { case_dir, out } => regions::run(&case_dir, out.as_deref(), &ingest),
        Command::Demo { out } => {
            let case = samples_dir()?;
            analyze(
                &case,
                &out.unwrap_or_else(|| PathBuf::from("skintrack-demo")),
                ingest,
                Strict(false),
            )
        }
        Command::Phantom {
            out_dir,
            seed,
            sessions,
            size,
            unchanged: true,
            capture,
            photometric: _,
            erythema,
            erythema_patch,
            chroma,
            card,
            surround,
            light_turn,
            lines_across,
            treated_margin: _,
            course: _,
        } => {
            let opts = crate::phantom::UnchangedOptions {
                seed,
                sessions,
                width: size.0,
                height: size.1,
                plan: capture.unwrap_or(cli::CaptureMode::Mixed).into(),
                erythema,
                erythema_patch,
                cameras: chroma.into(),
                card,
                surround,
                light_turn_deg: light_turn,
                lines_across,
                ..Default::default()
            };
            let truth = crate::phantom::generate_unchanged(&out_dir, &opts)?;
            outln!(
                "unchanged-skin phantom with {} sessions written to {} (capture changes in truth.json)",
                truth.sessions.len(),
                out_dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Phantom {
            out_dir,
            seed,
            sessions,
            size,
            unchanged: false,
            capture,
            photometric,
            erythema,
            erythema_patch,
            chroma: _,
            card,
            surround: _,
            light_turn: _,
            lines_across: _,
            treated_margin,
            course,
        } => {
            let opts = crate::phantom::PhantomOptions {
                seed,
                sessions,
                width: size.0,
                height: size.1,
                capture: capture.map(Into::into),
                photometric,
                erythema,
                erythema_patch,
                card,
                treated_margin,
                course: course.into(),
                ..Default::default()
            };
            let truth = crate::phantom::generate(&out_dir, &opts)?;
            outln!(
                "phantom case with {} sessions written to {} (ground truth in truth.json)",
                truth.sessions.len(),
                out_dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn samples_dir() -> Result<PathBuf> {
    let candidates = [
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples"),
        PathBuf::from("samples"),
    ];
    candidates
        .iter()
        .find(|p| p.join("case.toml").exists())
        .cloned()
        .ok_or_else(|| Error::usage("the bundled sample case (samples/) is not here; run the demo from the skintrack source folder"))
}

/// Whether `analyze` fails (exit 2) when a capture was left out.
#[derive(Clone, Copy, Debug)]
struct Strict(bool);

fn analyze(case_dir: &Path, out: &Path, ingest: IngestOptions, strict: Strict) -> Result<ExitCode> {
    let opts = AnalyzeOptions {
        progress: std::io::stderr().is_terminal(),
        bars: None,
        ingest,
    };
    let outcome = pipeline::analyze(case_dir, out, &opts)?;
    // a capture left out under --strict is the one line said: its warning
    // and the others would make it one of several
    if strict.0 {
        let left_out = outcome
            .analysis
            .series
            .iter()
            .flat_map(|s| &s.sessions)
            .find(|x| !x.alignment.is_ok() || x.quality.status == crate::quality::Verdict::Reject);
        if let Some(x) = left_out {
            let reason = x
                .alignment
                .reason
                .clone()
                .filter(|_| !x.alignment.is_ok())
                .unwrap_or_else(|| x.quality.reasons.join(" "));
            return Err(Error::case(
                case_dir.join(&x.source),
                format!("left out of the analysis ({reason}); --strict makes that an error"),
            ));
        }
    }
    // a view without a usable baseline fails; the outputs say why too
    if let Some(e) = outcome.unusable_baseline(case_dir) {
        return Err(e);
    }
    for w in &outcome.warnings {
        warn(w);
    }
    let (total, measured) = outcome.measured();
    let plural = if total == 1 { "" } else { "s" };
    if measured == total {
        outln!(
            "analysed {total} session capture{plural} of {}",
            outcome.analysis.case
        );
    } else {
        outln!(
            "analysed {total} session capture{plural} of {}: {measured} measured, {} left out (see the warnings)",
            outcome.analysis.case,
            total - measured
        );
    }
    outln!("report: {}", outcome.report.display());
    Ok(ExitCode::SUCCESS)
}

fn batch(
    archive: &Path,
    out: &Path,
    shard: batch::Shard,
    ingest: IngestOptions,
) -> Result<ExitCode> {
    let terminal = std::io::stderr().is_terminal();
    let bars = indicatif::MultiProgress::new();
    let cases_bar = if terminal {
        pipeline::styled(
            bars.add(indicatif::ProgressBar::new(0)),
            "cases {pos}/{len} [{bar:30}] {msg} ({eta} left)",
        )
    } else {
        indicatif::ProgressBar::hidden()
    };
    let opts = AnalyzeOptions {
        progress: terminal,
        bars: terminal.then(|| bars.clone()),
        ingest,
    };
    let summary = batch::run(archive, out, shard, &opts, |i, n, name, outcome| {
        cases_bar.set_length(n as u64);
        cases_bar.set_position(i as u64 + 1);
        cases_bar.set_message(crate::error::printable(name));
        let line = match outcome {
            CaseOutcome::Analysed {
                seconds,
                captures,
                left_out,
                date_warnings,
            } => {
                let mut line = format!("analysed in {seconds:.1} s");
                if *left_out > 0 {
                    line += &format!(
                        "; {left_out} of {captures} captures left out (its report says why)"
                    );
                }
                if *date_warnings > 0 {
                    let s = if *date_warnings == 1 { "" } else { "s" };
                    line += &format!("; {date_warnings} date{s} to check (its report lists them)");
                }
                line
            }
            CaseOutcome::Skipped => {
                "up to date (inputs unchanged since its finished output)".into()
            }
            CaseOutcome::Failed { reason } => format!("FAILED: {reason}"),
        };
        cases_bar.suspend(|| progress_line(&format!("[{}/{n}] {name}: {line}", i + 1)));
    })?;
    cases_bar.finish_and_clear();
    // stdout may go to a log: each failure is also said where errors go
    for (name, outcome) in &summary.cases {
        if let CaseOutcome::Failed { reason } = outcome {
            eprintln!(
                "{}",
                crate::error::printable(&format!("batch: case {name} failed: {reason}"))
            );
        }
    }
    let failed = summary.failed();
    let scope = if shard == batch::Shard::ALL {
        "this archive"
    } else {
        "this shard"
    };
    progress_line(&format!(
        "{} in {scope}, {failed} failed; outputs in {} (then: skintrack index {})",
        counted(summary.cases.len(), "case"),
        out.display(),
        out.display()
    ));
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// "1 case", "3 cases".
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A warning on stderr, as one printable line ([`crate::error::report`]).
fn warn(message: impl std::fmt::Display) {
    crate::error::report(&format!("warning: {message}"));
}

fn index(out_dir: &Path) -> Result<ExitCode> {
    let summary = crate::index::run(out_dir)?;
    for s in &summary.skipped {
        warn(format_args!("{s}; left out of the index"));
    }
    outln!(
        "indexed {} and {} failed: {}",
        counted(summary.cases, "finished case"),
        summary.failed,
        summary.index.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn align_pair(
    base: &Path,
    moving: &Path,
    out: Option<&cli::AlignedOut>,
    json: bool,
    opts: &IngestOptions,
) -> Result<ExitCode> {
    if let Some(out) = out {
        output::check_inputs_outside(&out.path, &[base, moving])?;
        output::check_replaceable(&out.path)?;
    }
    let (b, m) = rayon::join(
        || ingest::read_photo(base, opts),
        || ingest::read_photo(moving, opts),
    );
    let (b, m) = (b?, m?);
    let reg = align::register(
        &b.image.luminance(),
        &m.image.luminance(),
        &AlignOptions::default(),
    );
    if let Some(out) = out
        && reg.status == Status::Ok
    {
        let warped = align::warp::warp_rgb(
            &m.image,
            &reg.base_from_moving,
            b.image.width(),
            b.image.height(),
        );
        write_image(out, &warped)?;
    }
    // said when the pair aligned: a failure is its one line
    if reg.status == Status::Ok {
        for (p, w) in b
            .meta
            .warnings
            .iter()
            .map(|w| (base, w))
            .chain(m.meta.warnings.iter().map(|w| (moving, w)))
        {
            warn(format_args!("{}: {w}", p.display()));
        }
    }
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&reg).map_err(|e| Error::Failed {
                path: moving.to_path_buf(),
                problem: e.to_string()
            })?
        );
    } else {
        match reg.status {
            Status::Ok => {
                outln!(
                    "aligned: score {:.3}, overlap {:.0} %, {} keypoint inliers",
                    reg.score,
                    reg.overlap * 100.0,
                    reg.inliers
                );
                for row in reg.base_from_moving.0 {
                    outln!("  {:>14.8} {:>14.8} {:>14.8}", row[0], row[1], row[2]);
                }
            }
            Status::Failed => outln!(
                "not aligned: {}",
                reg.reason.as_deref().unwrap_or("unknown reason")
            ),
        }
    }
    if reg.status == Status::Failed {
        crate::error::report(&format!(
            "{}: could not be aligned to {}: {}",
            moving.display(),
            base.display(),
            reg.reason.as_deref().unwrap_or("unknown reason")
        ));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn write_image(out: &cli::AlignedOut, img: &crate::raster::RgbPlanes) -> Result<()> {
    let (w, h, path) = (img.width(), img.height(), out.path.as_path());
    let bytes = match out.format {
        cli::ImageFormat::Jpeg => {
            output::marked_jpeg(&output::jpeg_output(path, w, h, &img.to_rgb8(), 95)?)
        }
        cli::ImageFormat::Png => {
            // outside the moving photo's footprint: transparent
            let rgb = img.to_rgb8();
            let mut rgba = Vec::with_capacity(w * h * 4);
            for (i, px) in rgb.chunks_exact(3).enumerate() {
                rgba.extend_from_slice(px);
                rgba.push(if img.r.data()[i].is_finite() { 255 } else { 0 });
            }
            output::marked_png(&output::png_rgba8(path, w, h, &rgba)?)
        }
    };
    if let Some(dir) = path.parent() {
        output::remove_stale_temporaries(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        });
    }
    output::write_atomic(path, &bytes)
}

#[derive(Serialize)]
struct MetricsJson {
    source: String,
    roi: Rect,
    metrics: BTreeMap<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pore_histogram: Option<measure::pores::Histogram>,
}

fn metrics(
    image: &Path,
    asked_roi: Option<Rect>,
    control: Option<Rect>,
    mm_per_px: Option<crate::units::MmPerPx>,
    json: bool,
    opts: &IngestOptions,
) -> Result<ExitCode> {
    let photo = ingest::read_photo(image, opts)?;
    let (w, h) = (photo.image.width(), photo.image.height());
    let roi = asked_roi.unwrap_or(Rect::new(0, 0, w, h));
    // a control inside the measured skin is measured against itself: every
    // excess over it would read 0
    if let Some(c) = control.filter(|c| c.overlaps(roi)) {
        return Err(Error::usage(format!(
            "--control {},{},{},{} overlaps the measured region {},{},{},{} (--roi, else the whole photo); the control is untreated skin beside it",
            c.x, c.y, c.w, c.h, roi.x, roi.y, roi.w, roi.h
        )));
    }
    // a region asked for over fully transparent pixels (the uncovered part
    // of `align -o`'s PNG) would measure the black stored there as skin;
    // the whole photo is read as stored, with the decoder's warning
    for (flag, rect) in [("--roi", asked_roi), ("--control", control)] {
        let n = rect.map_or(0, |r| ingest::transparent_in(&photo.meta, r));
        if n > 0 {
            return Err(Error::case(
                image,
                format!(
                    "{n} pixels of the region {flag} names are fully transparent (alpha 0), with no photo there (an aligned image's uncovered part); choose a region inside the picture"
                ),
            ));
        }
    }
    let m = measure::measure(
        image,
        &photo.image,
        roi,
        &MeasureOptions {
            mm_per_px,
            control,
            ..MeasureOptions::default()
        },
    )?;
    // said once the work has succeeded: a failure is its one line
    for w in &photo.meta.warnings {
        warn(format_args!("{}: {w}", image.display()));
    }
    if json {
        let j = MetricsJson {
            source: image.display().to_string(),
            roi,
            metrics: m.values,
            pore_histogram: m.pore_histogram,
        };
        outln!(
            "{}",
            serde_json::to_string_pretty(&j).map_err(|e| Error::Failed {
                path: image.to_path_buf(),
                problem: e.to_string()
            })?
        );
    } else {
        outln!(
            "{} — region {},{},{},{} (± a measurement's standard error: the sub-tiles' spread and a new photo's, in quadrature; --json gives the sub-tiles' part as uncertainty)",
            image.display(),
            roi.x,
            roi.y,
            roi.w,
            roi.h
        );
        let mut ids: Vec<&String> = m.values.keys().collect();
        ids.sort_by_key(|id| crate::catalog::order(id));
        for id in ids {
            let v = &m.values[id];
            outln!(
                "  {id:34} {:>12} ± {:<10} {} ({} is better)",
                crate::plot::format_value(v.value),
                crate::plot::format_value(crate::catalog::measurement_sd(
                    id,
                    v.value,
                    v.uncertainty
                )),
                v.unit,
                v.better.as_str()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
