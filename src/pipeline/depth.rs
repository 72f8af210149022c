//! `analyze` for height maps and photometric sets (see
//! [`crate::depth::series`]).

use super::{
    Item, SeriesMedia, apply_trend, capture_stem, relative, session_result, warn_if_unaligned,
};
use crate::align::{AlignOptions, Status};
use crate::case::{CaptureKind, Case, ViewConfig};
use crate::depth::{self, series as ds};
use crate::error::{Error, Result};
use crate::model::Series;
use crate::output;
use crate::units::MmPerPx;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// A series of height maps or photometric sets (see [`crate::depth::series`]).
#[allow(clippy::too_many_lines)]
pub(super) fn depth_series(
    case: &Case,
    view: &str,
    kind: &'static str,
    cfg: &ViewConfig,
    out_dir: &Path,
    bar: &indicatif::ProgressBar,
    warnings: &mut Vec<String>,
) -> Result<(Series, SeriesMedia)> {
    // one capture per session (a repeat of a 3D capture is not averaged)
    let mut items: Vec<Item<'_>> = Vec::new();
    for (i, s) in case.sessions.iter().enumerate() {
        let mut found = s
            .captures
            .iter()
            .filter(|c| c.view == view && c.kind.name() == kind);
        if let Some(c) = found.next() {
            items.push(Item {
                session: i,
                date: s.date,
                capture: c,
            });
        }
        for extra in found {
            warnings.push(format!(
                "{}: a second {kind} capture of the same visit is not used",
                relative(case, &extra.path)
            ));
        }
    }
    bar.set_message(format!("{view}: {kind}"));
    let surfaces: Vec<depth::surface::Surface> = items
        .par_iter()
        .map(|it| {
            let s = match &it.capture.kind {
                CaptureKind::Height(sidecar) => {
                    let mut s = depth::read_height_map(&it.capture.path, sidecar)?;
                    s.mm_per_px = s.mm_per_px.or(cfg.mm_per_px.map(MmPerPx::get));
                    s
                }
                CaptureKind::Photometric(set) => {
                    let planes = depth::read_set(&set.images, set.intensities.as_deref(), None)?;
                    depth::from_set(&planes, &set.lights, None, cfg.mm_per_px.map(MmPerPx::get)).1
                }
                CaptureKind::Photo => {
                    return Err(Error::case(&it.capture.path, "a photo is not a height map"));
                }
            };
            bar.inc(2);
            Ok(s)
        })
        .collect::<Result<_>>()?;
    let first = &surfaces[0];
    for (it, s) in items.iter().zip(&surfaces).skip(1) {
        if s.mm_per_px != first.mm_per_px || s.z_um != first.z_um {
            return Err(Error::case(
                &it.capture.path,
                "its scale differs from the first session's; height maps of one view must share mm_per_px",
            ));
        }
    }
    let align_opts = AlignOptions {
        exclude: cfg.exclude.clone(),
        ..AlignOptions::default()
    };
    let measured = ds::measure_series(&surfaces, &align_opts)?;
    let (w, h) = (first.w, first.h);
    let mm_per_px = first.mm_per_px;

    // one colour scale for every session: the deepest scar seen (without
    // scars, one height unit)
    let full = measured
        .iter()
        .flat_map(|m| m.scars.iter().map(|s| s.max_depth))
        .fold(0.0f64, f64::max);
    let (depth_scale, unit) = first.depth_unit();
    let full_z = if full > 0.0 { full / depth_scale } else { 1.0 };
    let mut sessions = Vec::new();
    let mut previews = Vec::new();
    for (it, m) in items.iter().zip(&measured) {
        warn_if_unaligned(case, it, &m.registration, warnings);
        sessions.push(session_result(case, it, &m.registration, m.metrics.clone()));
        let preview = match &m.depth {
            Some(d) => {
                let rgb = ds::depth_map_rgb(d, w, h, full_z, mm_per_px);
                let stem = format!("{}_{kind}", capture_stem(view, it.date, 0));
                let path = out_dir.join("depth").join(format!("{stem}.png"));
                output::write_atomic(&path, &output::png_rgb8(&path, w, h, &rgb)?)?;
                Some(output::jpeg_rgb8(&path, w, h, &rgb, 90)?)
            }
            None => None,
        };
        previews.push(preview);
    }
    let scars: Vec<Option<&[depth::surface::Scar]>> = measured
        .iter()
        .map(|m| (m.registration.status == Status::Ok).then_some(&m.scars[..]))
        .collect();
    let mut series = Series {
        view: view.to_string(),
        kind,
        roi: None,
        control: None,
        mm_per_px,
        sessions,
        fits: BTreeMap::new(),
        scars: ds::track_scars(&scars, mm_per_px),
    };
    apply_trend(&mut series);
    let bar_text = if mm_per_px.is_some() {
        "the white bar is 1 mm"
    } else {
        "the white bar is 50 pixels"
    };
    let note = format!(
        "Depth below the surrounding skin: pale = level, amber and red = shallow to medium, deep purple = {} {unit} or deeper; grey = not measured; {bar_text}.",
        crate::plot::format_value(full_z * depth_scale)
    );
    let overlays = vec![Vec::new(); previews.len()];
    Ok((series, (previews, overlays, (w, h), Some(note))))
}
