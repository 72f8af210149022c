//! Wrinkle and pore detection on one shared scale space.
//!
//! Both detectors read the scale-normalised Hessian of the same levels of
//! relative luminance: the line filter folds it into a running maximum of
//! vesselness ([`wrinkles::FrangiMax`]), the pore detector turns it into
//! the Laplacian its blobs are found in ([`pores::BlobCollector`]). One
//! parallel pass over the rows of each level computes each Hessian row once
//! ([`HessianRow`]) and hands it to both, each through its own band of rows
//! ([`wrinkles::LineBand`], [`pores::BlobBand`]); no Hessian plane is ever
//! stored.

use super::scale_space::{self, HessianLevel, HessianRow};
use super::{NOMINAL_MM_PER_PX, Tiles, pores, wrinkles};
use crate::raster::Plane;
use crate::units::MmPerPx;
use rayon::prelude::*;

/// Levels per octave of the shared scale space (σ ratio 2^(1/3) ≈ 1.26).
const PER_OCTAVE: usize = 3;

/// Rows of a level per task of the parallel pass.
const BAND: usize = 8;

/// Filter scales in px for a physical size in mm.
fn px(mm: f64, mm_per_px: Option<MmPerPx>) -> f64 {
    mm / mm_per_px.map_or(NOMINAL_MM_PER_PX, MmPerPx::get)
}

/// What the shared scale space found: the ridge map of the line filter and
/// the blobs of the pore detector, with the pore diameter range (px).
pub struct Detections {
    ridges: wrinkles::RidgeMap,
    blobs: Vec<pores::Blob>,
    diameter_range: (f64, f64),
}

/// Wrinkle and pore detection on relative luminance `rel` (see
/// [`super::relative_luminance`]), as [`super::measure`] runs it: line
/// scales σ from [`wrinkles::SIGMA_MM`], pore scales from
/// [`pores::DIAMETER_MM`] (one extra level each side for the scale
/// maximum), at `mm_per_px` or, without a scale, [`NOMINAL_MM_PER_PX`].
#[must_use]
pub fn detect_lines_and_pores(rel: &Plane, mm_per_px: Option<MmPerPx>) -> Detections {
    let (w, h) = (rel.width(), rel.height());
    let line_range = (
        px(wrinkles::SIGMA_MM.0, mm_per_px).max(1.0),
        px(wrinkles::SIGMA_MM.1, mm_per_px).max(1.5),
    );
    // pore σ = r/√2 = d/(2√2); one extra level each side for the scale maximum
    let to_sigma = |d_mm: f64| px(d_mm, mm_per_px) / (2.0 * std::f64::consts::SQRT_2);
    let step = 2f64.powf(1.0 / PER_OCTAVE as f64);
    let pore_range = (
        (to_sigma(pores::DIAMETER_MM.0).max(1.0)) / step,
        to_sigma(pores::DIAMETER_MM.1).max(2.0) * step,
    );
    let lo = line_range.0.min(pore_range.0);
    let hi = line_range.1.max(pore_range.1);
    let mut frangi = wrinkles::FrangiMax::new(line_range.0, line_range.1);
    let mut blobs = pores::BlobCollector::new(pore_range.0, pore_range.1);
    // the scale grid starts at `lo`, so both ranges fall on its levels
    scale_space::for_each_level(rel, lo, hi, PER_OCTAVE, |level| {
        visit_level(level, &mut frangi, &mut blobs);
    });
    Detections {
        ridges: frangi.finish(w, h),
        blobs: blobs.finish(),
        diameter_range: (
            2.0 * std::f64::consts::SQRT_2 * pore_range.0 * step,
            2.0 * std::f64::consts::SQRT_2 * pore_range.1 / step,
        ),
    }
}

/// Line and pore metrics of the detections.
pub(super) fn lines_and_pores(
    found: Detections,
    tiles: &Tiles,
    mm_per_px: Option<MmPerPx>,
) -> (wrinkles::Lines, pores::Pores) {
    let (w, h) = (found.ridges.v.width(), found.ridges.v.height());
    let lines = wrinkles::line_metrics(
        &found.ridges,
        tiles,
        mm_per_px,
        px(wrinkles::MIN_LENGTH_MM, mm_per_px),
    );
    drop(found.ridges);
    let pores = pores::pore_metrics(found.blobs, w, h, tiles, mm_per_px, found.diameter_range);
    (lines, pores)
}

/// The pores of the detections (in the diameter window), without the line
/// metrics.
pub(super) fn pores_only(found: Detections, mm_per_px: Option<MmPerPx>) -> Vec<pores::Blob> {
    let (w, h) = (found.ridges.v.width(), found.ridges.v.height());
    let one = Tiles::new(w, h, 1);
    pores::pore_metrics(found.blobs, w, h, &one, mm_per_px, found.diameter_range).blobs
}

/// One parallel pass over the rows of a level feeding both detectors, so
/// each Hessian row is computed once: bands of [`BAND`] rows, each task
/// holding the line filter's and the pore detector's band (either absent
/// where the level is outside that detector's range).
fn visit_level(
    level: &HessianLevel<'_>,
    frangi: &mut wrinkles::FrangiMax,
    blobs: &mut pores::BlobCollector,
) {
    let (w, h) = (level.width(), level.height());
    let bands = h.div_ceil(BAND);
    let line_bands = each_band(frangi.begin(level, BAND), bands);
    let blob_bands = blobs.begin(level, BAND);
    let began = blob_bands.is_some();
    let blob_bands = each_band(blob_bands, bands);
    line_bands
        .into_par_iter()
        .zip(blob_bands)
        .enumerate()
        .for_each_init(
            || (HessianRow::new(w), wrinkles::LineScratch::new(w)),
            |(hessian, scratch), (band, (mut lines, mut blob))| {
                for r in 0..BAND.min(h - band * BAND) {
                    level.hessian_row_into(band * BAND + r, hessian);
                    if let Some(lines) = &mut lines {
                        lines.fold_row(r, hessian, scratch);
                    }
                    if let Some(blob) = &mut blob {
                        blob.fill_row(r, hessian);
                    }
                }
            },
        );
    if began {
        blobs.end();
    }
}

/// `bands` as one `Some` per band, or `n` times `None` when there are none.
fn each_band<T>(bands: Option<Vec<T>>, n: usize) -> Vec<Option<T>> {
    match bands {
        Some(b) => b.into_iter().map(Some).collect(),
        None => (0..n).map(|_| None).collect(),
    }
}
