//! Measurement: every metric of DESIGN.md on the region of interest of one
//! (aligned) capture, each with a unit, a better-direction and an
//! uncertainty.
//!
//! Uncertainty: the ROI is split into a fixed grid of sub-tiles; each metric
//! is also evaluated per tile and its standard error is sd(tiles)/√n. Trend
//! turns that into the minimal detectable change. Repeat captures, where a
//! session has them, replace this estimate (see `pipeline`).

pub mod colour;
mod lines_and_pores;
pub mod pores;
pub mod scale_space;
pub mod scars;
pub mod texture;
mod ruled;
mod tiles;
pub mod tracked;
pub mod wrinkles;

pub use lines_and_pores::{Detections, detect_lines_and_pores};
use ruled::{Deficits, control_pores, control_rulers, ruled_values};
pub use tiles::{TiledValue, Tiles, sem};
pub use tracked::Tracked;

pub use colour::control_reference;

use crate::catalog::{self, Better, id};
use crate::error::{Error, Result};
use crate::raster::{Plane, Rect, RgbPlanes};
use crate::simd::wide_fn;
use crate::units::MmPerPx;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Smallest ROI side measured (GLCM distance 4 and LBP need some context).
pub const MIN_SIDE: usize = crate::units::MIN_REGION_SIDE;

/// Scale assumed for *choosing filter sizes* when an image has no
/// `mm_per_px` (a close-up of the cheek on a phone: 0.05 mm/px). Values are
/// then still reported in pixel units, never in mm.
pub const NOMINAL_MM_PER_PX: f64 = 0.05;

/// Luminance in percent of its mean over the finite pixels (NaN stays NaN
/// and is replaced by 100 so filters do not spread it): a global exposure
/// change leaves this unchanged.
#[must_use]
pub fn relative_luminance(y: &Plane) -> Plane {
    relative_to_sum(y, finite_sum(y.data()))
}

/// [`relative_luminance`] given the [`finite_sum`] of `y`.
fn relative_to_sum(y: &Plane, (sum, n): (f64, u64)) -> Plane {
    let mean = sum / n.max(1) as f64;
    let k = if mean > 1e-6 {
        (100.0 / mean) as f32
    } else {
        0.0
    };
    let mut out = Plane::filled(y.width(), y.height(), 0.0);
    out.data_mut()
        .par_chunks_mut(SUM_CHUNK)
        .zip(y.data().par_chunks(SUM_CHUNK))
        .for_each(|(o, i)| {
            for (o, &v) in o.iter_mut().zip(i) {
                *o = if v.is_finite() { v * k } else { 100.0 };
            }
        });
    out
}

/// The luminance of `img` ([`RgbPlanes::luminance`]) and its
/// [`finite_sum`], bit for bit, in one pass: each chunk is summed while it
/// is still in cache.
#[must_use]
pub fn luminance_and_sum(img: &RgbPlanes) -> (Plane, (f64, u64)) {
    if img.model == crate::raster::ColourModel::Grey {
        let y = img.luminance();
        let sum = finite_sum(y.data());
        return (y, sum);
    }
    let mut y = Plane::filled(img.width(), img.height(), 0.0);
    fn chunks(p: &Plane) -> rayon::slice::Chunks<'_, f32> {
        p.data().par_chunks(SUM_CHUNK)
    }
    let parts: Vec<(f64, u64)> = y
        .data_mut()
        .par_chunks_mut(SUM_CHUNK)
        .zip(chunks(&img.r))
        .zip(chunks(&img.g))
        .zip(chunks(&img.b))
        .map(|(((out, r), g), b)| {
            crate::raster::luminance_row(r, g, b, out);
            lane_sum(out)
        })
        .collect();
    (y, add_in_order(&parts))
}

/// Elements per chunk of [`finite_sum`] (its result depends on it).
const SUM_CHUNK: usize = 1 << 16;

/// Sum (f64) and count of the finite values, in fixed chunks (each summed
/// in eight interleaved lanes, so the loop vectorises) added in order: the
/// same on any number of threads, and no copy of the data.
#[must_use]
pub fn finite_sum(values: &[f32]) -> (f64, u64) {
    let parts: Vec<(f64, u64)> = values.par_chunks(SUM_CHUNK).map(lane_sum).collect();
    add_in_order(&parts)
}

/// The chunks' (sum, count) of [`finite_sum`] added first to last.
fn add_in_order(parts: &[(f64, u64)]) -> (f64, u64) {
    parts
        .iter()
        .fold((0.0, 0), |(s, n), &(a, b)| (s + a, n + b))
}

wide_fn! {
    /// [`finite_sum`] of one chunk: lane i adds values i, i + 8, i + 16, ...
    fn lane_sum(c: &[f32]) -> (f64, u64) {
        let (mut s, mut n) = ([0.0f64; 8], [0u64; 8]);
        let mut add = |i: usize, v: f32| {
            let finite = v.is_finite();
            s[i] += if finite { f64::from(v) } else { 0.0 };
            n[i] += u64::from(finite);
        };
        let blocks = c.chunks_exact(8);
        let tail = blocks.remainder();
        for block in blocks {
            for (i, &v) in block.iter().enumerate() {
                add(i, v);
            }
        }
        for (i, &v) in tail.iter().enumerate() {
            add(i, v);
        }
        (s.iter().sum(), n.iter().sum())
    }
}

/// Settings of the measurement stage.
#[derive(Clone, Debug)]
pub struct MeasureOptions {
    /// Physical scale, when known: gives per-cm² and mm units, and mm-based scales.
    pub mm_per_px: Option<MmPerPx>,
    /// Untreated control region, in the same image coordinates as the ROI.
    pub control: Option<Rect>,
    /// Sub-tiles per side for the uncertainty estimate.
    pub tiles_per_side: usize,
    /// Gaussian σ of the roughness high-pass, px.
    pub roughness_sigma_px: f64,
    /// Whether to keep per-pixel feature maps for overlays.
    pub keep_maps: bool,
    /// Mean linear RGB the control region is adapted to before the
    /// `_vs_control` metrics (the baseline session's control; default: this
    /// image's own, i.e. no adaptation).
    pub control_reference: Option<[f64; 3]>,
    /// The features found at baseline (lines, pores, pigmented spots) where
    /// the tracked measures are taken; `None`: at this capture's own.
    pub tracked: Option<Arc<Tracked>>,
}

impl Default for MeasureOptions {
    fn default() -> Self {
        MeasureOptions {
            mm_per_px: None,
            control: None,
            tiles_per_side: 4,
            roughness_sigma_px: 4.0,
            keep_maps: false,
            control_reference: None,
            tracked: None,
        }
    }
}

/// One measured number.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Value {
    /// The value.
    pub value: f64,
    /// Its unit ("" when unitless).
    pub unit: String,
    /// Which direction is an improvement.
    pub better: Better,
    /// Standard error of `value`.
    pub uncertainty: f64,
    /// The value on each sub-tile of the region, in tile order (empty
    /// when it has none, or is the mean of repeat captures): aligned
    /// sessions share the tiles, so a change can be read in the same
    /// places ([`crate::trend::change_of`]).
    #[serde(skip)]
    pub tiles: Vec<f64>,
    /// The part of `uncertainty` added by [`Self::widen_mut`], which the
    /// tiles do not hold.
    #[serde(skip)]
    pub widened: f64,
}

impl Value {
    /// A value without tiles.
    #[must_use]
    pub fn new(value: f64, unit: impl Into<String>, better: Better, uncertainty: f64) -> Value {
        Value {
            value,
            unit: unit.into(),
            better,
            uncertainty,
            tiles: Vec::new(),
            widened: 0.0,
        }
    }

    /// Adds an independent standard error `sd` to the uncertainty.
    pub fn widen_mut(&mut self, sd: f64) {
        self.uncertainty = self.uncertainty.hypot(sd);
        self.widened = self.widened.hypot(sd);
    }
}

/// Where features were found, in ROI coordinates (for overlays).
#[derive(Clone, Debug, Default)]
pub struct FeatureMaps {
    /// Width and height of the ROI.
    pub size: (usize, usize),
    /// Centre-line pixels of detected lines.
    pub wrinkle_lines: Vec<bool>,
    /// Detected pores.
    pub pores: Vec<pores::Blob>,
    /// Pigmented pixels.
    pub pigmented: Vec<bool>,
    /// Red pixels.
    pub red: Vec<bool>,
    /// Black top-hat of relative luminance (scar shading), % of mean
    /// luminance, at 1/step of the ROI's resolution: (map, step).
    pub shading: Option<(Plane, usize)>,
}

/// Everything measured on one capture.
#[derive(Clone, Debug, Default)]
pub struct Measurements {
    /// The region measured.
    pub roi: Rect,
    /// Metric id → value.
    pub values: BTreeMap<String, Value>,
    /// Pore size histogram (areas in the pore-area unit).
    pub pore_histogram: Option<pores::Histogram>,
    /// Mean linear RGB of the control region (the reference later sessions
    /// are adapted to).
    pub control_linear: Option<[f64; 3]>,
    /// Feature maps, when asked for.
    pub maps: Option<FeatureMaps>,
    /// Where the tracked measures were taken: the features given in
    /// [`MeasureOptions::tracked`], or this capture's own.
    pub tracked: Arc<Tracked>,
}

/// The map of [`Measurements::values`] from what the families measured:
/// each value gets its catalogue unit (the scaled one when the image has a
/// physical scale, `mm_per_px`) and its uncertainty, the [`sem`] of its
/// tiles. A value that is not finite (a metric undefined on this ROI) or an
/// id the catalogue does not know is left out: never NaN in output.
fn catalogued<'a>(
    measured: impl IntoIterator<Item = &'a TiledValue>,
    mm_per_px: Option<MmPerPx>,
) -> BTreeMap<String, Value> {
    let scaled = mm_per_px.is_some();
    let mut values = BTreeMap::new();
    for m in measured {
        let Some(info) = catalog::info(&m.id) else {
            continue;
        };
        if !m.value.is_finite() {
            continue;
        }
        let unit = if scaled { info.unit_scaled } else { info.unit };
        values.insert(
            m.id.to_string(),
            Value {
                tiles: m.tiles.clone(),
                ..Value::new(m.value, unit, info.better, sem(&m.tiles))
            },
        );
    }
    values
}

/// Measures every metric of a photo on `roi`.
///
/// # Errors
/// [`Error::TooSmall`] when the image is smaller than [`MIN_SIDE`] a side,
/// [`Error::Usage`] when the ROI or control region is too small
/// ([`crate::units::check_region`]) or does not fit the image.
pub fn measure(
    source: &Path,
    img: &RgbPlanes,
    roi: Rect,
    opts: &MeasureOptions,
) -> Result<Measurements> {
    let _t = crate::timing::span("measure");
    check_regions(source, (img.width(), img.height()), roi, opts)?;
    // the whole image needs no copy (a 12 MP crop is 144 MB)
    let crop: std::borrow::Cow<'_, RgbPlanes> = if roi == img.r.rect() {
        std::borrow::Cow::Borrowed(img)
    } else {
        std::borrow::Cow::Owned(img.crop(roi))
    };
    let control = opts.control.map(|c| img.crop(c));
    measure_regions(&crop, control.as_ref(), roi, opts)
}

/// [`measure`] of the parts of a `frame`-sized image that it reads, cut
/// out beforehand: `roi_img` is the ROI's pixels, `control_img` those of
/// `opts.control`. The same values as [`measure`] of the whole image, with
/// no full-frame image kept.
///
/// # Errors
/// As [`measure`]; [`Error::Usage`] too when a part's size is not its
/// region's.
pub fn measure_cut(
    source: &Path,
    frame: (usize, usize),
    roi_img: &RgbPlanes,
    control_img: Option<&RgbPlanes>,
    roi: Rect,
    opts: &MeasureOptions,
) -> Result<Measurements> {
    let _t = crate::timing::span("measure");
    check_regions(source, frame, roi, opts)?;
    let size = |img: &RgbPlanes| Rect::new(0, 0, img.width(), img.height());
    let control_size = opts.control.map(|c| Rect::new(0, 0, c.w, c.h));
    if size(roi_img) != Rect::new(0, 0, roi.w, roi.h) || control_img.map(size) != control_size {
        return Err(Error::usage(format!(
            "{}: the cut-out parts do not match the ROI and control region",
            source.display()
        )));
    }
    measure_regions(roi_img, control_img, roi, opts)
}

/// The checks of [`measure`] on a `w × h` image.
fn check_regions(
    source: &Path,
    (w, h): (usize, usize),
    roi: Rect,
    opts: &MeasureOptions,
) -> Result<()> {
    if w < MIN_SIDE || h < MIN_SIDE {
        return Err(Error::TooSmall {
            path: source.to_path_buf(),
            width: w,
            height: h,
            min: MIN_SIDE,
        });
    }
    // the region's own geometry is the caller's choice, not the photo's fault
    crate::units::check_region("ROI", roi)
        .map_err(|problem| Error::usage(format!("{}: {problem}", source.display())))?;
    if let Some(c) = opts.control {
        crate::units::check_region("control region", c)
            .map_err(|problem| Error::usage(format!("{}: {problem}", source.display())))?;
    }
    if !roi.fits_in(w, h) {
        return Err(Error::usage(format!(
            "{}: ROI {},{},{},{} does not fit the {w}x{h} image",
            source.display(),
            roi.x,
            roi.y,
            roi.w,
            roi.h
        )));
    }
    if let Some(c) = opts.control
        && !c.fits_in(w, h)
    {
        return Err(Error::usage(format!(
            "{}: control region {},{},{},{} does not fit the {w}x{h} image",
            source.display(),
            c.x,
            c.y,
            c.w,
            c.h
        )));
    }
    Ok(())
}

/// [`measure`] of the checked ROI's pixels `crop` and the control
/// region's `control` (that of `opts.control`).
fn measure_regions(
    crop: &RgbPlanes,
    control: Option<&RgbPlanes>,
    roi: Rect,
    opts: &MeasureOptions,
) -> Result<Measurements> {
    let tiles = Tiles::new(roi.w, roi.h, opts.tiles_per_side);
    let mut maps = FeatureMaps {
        size: (roi.w, roi.h),
        ..FeatureMaps::default()
    };

    // luminance, and luminance relative to its mean, once for every family
    let (luminance, finite) = luminance_and_sum(crop);
    let relative = relative_to_sum(&luminance, finite);
    // the families run side by side (each is parallel inside too, but their
    // sequential parts then overlap); each returns its own values. Colour,
    // parallel throughout, runs beside the line tracing, whose flood fills
    // are sequential.
    let (detections, ((texture_values, blurred), shading)) = rayon::join(
        || {
            let _t = crate::timing::span("measure: line/pore filters");
            detect_lines_and_pores(&relative, opts.mm_per_px)
        },
        || {
            let _t = crate::timing::span("measure: texture");
            (
                texture::measure_texture(crop, (&luminance, finite), &tiles, opts),
                scars::shading_index(&relative, &tiles, opts.mm_per_px),
            )
        },
    );
    drop(relative);
    let ((lines, found), colour) = rayon::join(
        || {
            let _t = crate::timing::span("measure: line/pore tracing");
            lines_and_pores::lines_and_pores(detections, &tiles, opts.mm_per_px)
        },
        || {
            let _t = crate::timing::span("measure: colour");
            colour::measure_colour(control, crop, &tiles, opts)
        },
    );
    let shading_value = TiledValue::new(id::SHADING, shading.value, shading.tiles);
    let _tracked_span = crate::timing::span("measure: control and tracked");
    // the control region's luminance, once, for its pores and rulers
    let control_y = control.map(luminance_and_sum);
    let control_y = control_y.as_ref().map(|(y, finite)| (y, *finite));
    let tracked = opts.tracked.clone().unwrap_or_else(|| {
        let spots = colour.spots.clone().unwrap_or_default();
        let long = wrinkles::tracked_lines(&lines.centre_lines, (roi.w, roi.h), opts.mm_per_px);
        let mut own = Tracked::new((roi.w, roi.h), &long, &found.blobs, spots);
        if let Some(y) = control_y {
            own.control_pores = control_pores(y, opts.mm_per_px);
        }
        Arc::new(own)
    });
    let rulers = control_y
        .map(|y| control_rulers(y, &tracked.control_pores, opts))
        .unwrap_or_default();
    let at = tracked::deficits(
        (&luminance, finite),
        &blurred,
        &[&tracked.lines, &tracked.pores],
    );
    drop((luminance, blurred));
    let deficits = Deficits {
        lines: at[0],
        pores: at[1],
    };
    let ruled = ruled_values(&texture_values, deficits, finite, rulers);
    let values = catalogued(
        texture_values
            .iter()
            .chain(&colour.values)
            .chain(&lines.values)
            .chain(&found.values)
            .chain([&shading_value])
            .chain(&ruled),
        opts.mm_per_px,
    );
    let (colour_maps, control_linear) = (colour.maps, colour.control_linear);

    let pore_histogram = Some(found.histogram.clone());
    if opts.keep_maps {
        maps.wrinkle_lines = lines.centre_lines;
        maps.pores = found.blobs;
        if let Some((p, r)) = colour_maps {
            maps.pigmented = p;
            maps.red = r;
        }
        maps.shading = Some((shading.map, shading.step));
    }
    Ok(Measurements {
        roi,
        values,
        pore_histogram,
        control_linear,
        maps: opts.keep_maps.then_some(maps),
        tracked,
    })
}

#[cfg(test)]
mod tests;
