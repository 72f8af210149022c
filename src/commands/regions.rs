//! `skintrack regions CASE_DIR [-o FILE]`: the baseline photo of each view
//! with a labelled pixel grid, the measured region (case.toml's, or the one
//! `analyze` would choose: the largest region every visit covers), the
//! control region (case.toml's, or a suggested one) and the excluded areas
//! drawn, written as a PNG; the case.toml lines for them on stdout.

use crate::align::{self, AlignOptions};
use crate::case::{self, CaptureKind};
use crate::error::{Error, Result};
use crate::geometry;
use crate::ingest::{self, IngestOptions};
use crate::measure;
use crate::output;
use crate::regions::{self, Grid, Origin, Regions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The default output file (in the current folder, never the case's).
pub const DEFAULT_OUT: &str = "skintrack-regions.png";

/// Runs `skintrack regions`.
///
/// # Errors
/// [`Error::Case`] for a bad case or a region that does not fit the photo,
/// [`Error::Usage`] for an output inside the case folder or a case without
/// photos, read and write errors naming their file.
pub fn run(case_dir: &Path, out: Option<&Path>, ingest: &IngestOptions) -> Result<ExitCode> {
    let case = case::read_case(case_dir)?;
    let out = out.map_or_else(|| PathBuf::from(DEFAULT_OUT), Path::to_path_buf);
    refuse_inside(case_dir, &out)?;
    let views: Vec<String> = case
        .series_keys()
        .into_iter()
        .filter(|(_, k)| *k == case::Kind::Photo)
        .map(|(v, _)| v)
        .collect();
    if views.is_empty() {
        return Err(Error::usage(format!(
            "{}: no photos; regions are chosen on the baseline photo of a view",
            case_dir.display()
        )));
    }
    let files: Vec<PathBuf> = views
        .iter()
        .map(|view| {
            if views.len() == 1 {
                out.clone()
            } else {
                per_view(&out, view)
            }
        })
        .collect();
    // every file checked before the first is drawn
    for file in &files {
        output::check_replaceable(file)?;
    }
    for (view, file) in views.iter().zip(&files) {
        one_view(&case, view, file, ingest)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `out` with `_VIEW` before its extension.
fn per_view(out: &Path, view: &str) -> PathBuf {
    let stem = out
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("regions");
    let safe = crate::files::file_safe(view);
    out.with_file_name(format!("{stem}_{safe}.png"))
}

/// Originals are read-only: the figure is never written inside the case.
fn refuse_inside(case_dir: &Path, out: &Path) -> Result<()> {
    let (parent, _) = output::split(out);
    // the folder as it will be made (it may not exist yet)
    if let Ok(root) = std::fs::canonicalize(case_dir)
        && output::resolve_ahead(&parent).starts_with(&root)
    {
        return Err(Error::usage(format!(
            "{}: inside the case folder {}; write the figure elsewhere (originals are read-only)",
            out.display(),
            case_dir.display()
        )));
    }
    Ok(())
}

fn one_view(case: &case::Case, view: &str, file: &Path, ingest: &IngestOptions) -> Result<()> {
    let photos: Vec<(crate::date::Date, &Path)> = case
        .sessions
        .iter()
        .filter_map(|s| {
            s.captures
                .iter()
                .find(|c| c.view == view && matches!(c.kind, CaptureKind::Photo))
                .map(|c| (s.date, c.path.as_path()))
        })
        .collect();
    let Some(&(base_date, base_path)) = photos.first() else {
        return Ok(());
    };
    let base = ingest::read_photo(base_path, ingest)?;
    let (bw, bh) = (base.image.width(), base.image.height());
    let cfg = case.views.get(view).cloned().unwrap_or_default();
    let manifest = case.root.join("case.toml");
    for (name, r) in [
        ("roi", cfg.roi),
        ("control", cfg.control),
        ("card", cfg.card),
    ] {
        if let Some(r) = r
            && !r.fits_in(bw, bh)
        {
            return Err(Error::case(
                &manifest,
                format!("[view.{view}] {name} = {r} does not fit the {bw}x{bh} baseline photo"),
            ));
        }
    }
    let (roi, roi_origin) = match cfg.roi {
        Some(r) => (r, Origin::CaseToml),
        None => {
            // as analyze chooses it: every follow-up aligned, the largest
            // rectangle all that aligned cover
            let opts = AlignOptions {
                exclude: cfg.exclude.clone(),
                ..AlignOptions::default()
            };
            let mut regs = Vec::new();
            for (_, path) in photos.iter().skip(1) {
                // a follow-up that cannot be read or aligned is left out, as in analyze
                if let Ok(p) = ingest::read_photo(path, ingest) {
                    let reg = align::register_rgb(&base.image, &p.image, &opts);
                    if reg.is_ok() {
                        regs.push((reg.base_from_moving, (p.image.width(), p.image.height())));
                    }
                }
            }
            let r = geometry::common_roi(
                bw,
                bh,
                regs.iter().map(|(h, s)| (h, *s)),
                measure::MIN_SIDE,
                cfg.control,
            )
            .ok_or_else(|| Error::Failed {
                path: base_path.to_path_buf(),
                problem: format!(
                    "view {view:?}: the aligned photos share no region large enough to measure"
                ),
            })?;
            (r, Origin::Suggested)
        }
    };
    let control = match cfg.control {
        Some(c) => Some((c, Origin::CaseToml)),
        None => regions::suggest_control(&base.image, roi, &crate::pipeline::avoided(&cfg))
            .map(|c| (c, Origin::Suggested)),
    };
    let regions = Regions {
        roi,
        control,
        exclude: cfg.exclude.clone(),
        card: cfg.card,
        mm_per_px: cfg.mm_per_px,
    };
    let (w, h, rgb) = regions::figure(&base.image, &regions, Grid::Labelled)?;
    output::write_atomic(
        file,
        &output::marked_png(&output::png_rgb8(file, w, h, &rgb)?),
    )?;
    crate::commands::stdout_line(&format!(
        "# {}: view {view:?} on its baseline photo of {base_date} ({bw}x{bh} px), grid in photo pixels",
        file.display()
    ));
    for line in regions::toml_lines(view, &regions, roi_origin) {
        crate::commands::stdout_line(&line);
    }
    Ok(())
}
