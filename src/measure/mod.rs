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
}

impl Value {
    /// Adds an independent standard error `sd` to the uncertainty.
    pub fn widen_mut(&mut self, sd: f64) {
        self.uncertainty = self.uncertainty.hypot(sd);
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
                value: m.value,
                unit: unit.to_string(),
                better: info.better,
                uncertainty: sem(&m.tiles),
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
        let mut own = Tracked::new((roi.w, roi.h), &lines.centre_lines, &found.blobs, spots);
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
mod tests {
    use super::*;
    use crate::filters::reflect;
    use crate::raster::ColourModel;
    use crate::simd::Copies;

    fn random_rgb(w: usize, h: usize, seed: u64) -> RgbPlanes {
        let mut s = seed | 1;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 256) as f32
        };
        let r = Plane::from_fn(w, h, |_, _| next());
        let g = Plane::from_fn(w, h, |_, _| next());
        let b = Plane::from_fn(w, h, |_, _| next());
        RgbPlanes {
            r,
            g,
            b,
            model: ColourModel::Rgb,
        }
    }

    #[test]
    fn luminance_and_sum_equal_the_separate_passes() {
        // sizes around the sum's chunk, with no-data pixels
        for (w, h, grey) in [
            (1, 1, false),
            (300, 219, false),
            (512, 129, false),
            (77, 5, true),
        ] {
            let mut img = random_rgb(w, h, (w * h) as u64);
            img.g.data_mut()[w * h / 2] = f32::NAN;
            if grey {
                img = RgbPlanes::from_grey(img.g);
            }
            let (y, (sum, n)) = luminance_and_sum(&img);
            let want = img.luminance();
            assert!(
                y.data()
                    .iter()
                    .zip(want.data())
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
            let (want_sum, want_n) = finite_sum(want.data());
            assert_eq!((sum.to_bits(), n), (want_sum.to_bits(), want_n));
            assert_eq!(n as usize, w * h - 1);
        }
    }

    /// The AVX2 copies of the row loops give the baseline's bits: every
    /// metric of a photo-sized ROI is identical either way.
    #[test]
    fn wide_vectors_change_no_value() {
        let img = crate::phantom::skin_image(7, 401, 303, 0.03, 0.0);
        let opts = MeasureOptions {
            keep_maps: true,
            ..MeasureOptions::default()
        };
        let roi = Rect::new(0, 0, 401, 303);
        let run = || measure(Path::new("t"), &img, roi, &opts).expect("measure");
        let _switch = crate::simd::hold_switch();
        let wide = run();
        crate::simd::use_copies(Copies::Baseline);
        let base = run();
        crate::simd::use_copies(Copies::Best);
        let bits = |m: &Measurements| {
            m.values
                .iter()
                .map(|(k, v)| (k.clone(), v.value.to_bits(), v.uncertainty.to_bits()))
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&wide), bits(&base));
        let lines = |m: &Measurements| m.maps.as_ref().map(|f| f.wrinkle_lines.clone());
        assert_eq!(lines(&wide), lines(&base));
        // a test of something: the phantom has lines and pores
        let count = |id: &str| wide.values.get(id).map_or(0.0, |v| v.value);
        assert!(count(id::WRINKLE_LENGTH) > 0.0 && count(id::PORE_COUNT) > 0.0);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(40))]
        /// Any ROI from the smallest up, with holes of no data, at any
        /// scale: every metric is measured without a panic and is finite.
        #[test]
        fn any_small_roi_measures_finite_values(
            w in MIN_SIDE..72usize,
            h in MIN_SIDE..72usize,
            seed in proptest::prelude::any::<u64>(),
            hole in proptest::prelude::any::<bool>(),
            scale in 0usize..5,
        ) {
            let mut img = random_rgb(w, h, seed);
            if hole {
                // a block of no data, as outside an aligned follow-up's overlap
                for y in 0..h / 3 {
                    for x in w / 2..w {
                        for p in [&mut img.r, &mut img.g, &mut img.b] {
                            p.set(x, y, f32::NAN);
                        }
                    }
                }
            }
            let opts = MeasureOptions {
                mm_per_px: [None, Some(0.01), Some(0.02), Some(0.05), Some(0.2)][scale]
                    .and_then(MmPerPx::new),
                keep_maps: true,
                ..MeasureOptions::default()
            };
            let m = measure(Path::new("t"), &img, Rect::new(0, 0, w, h), &opts)
                .map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            proptest::prop_assert!(m.values.len() >= 10, "{:?}", m.values.keys());
            for (id, v) in &m.values {
                proptest::prop_assert!(v.value.is_finite(), "{id}: {}", v.value);
                proptest::prop_assert!(v.uncertainty.is_finite() && v.uncertainty >= 0.0, "{id}");
            }
        }
    }

    #[test]
    fn finite_sum_matches_a_straight_sum() {
        let mut v: Vec<f32> = (0..200_001)
            .map(|i| ((i * 7919) % 1000) as f32 * 0.37)
            .collect();
        for i in (0..v.len()).step_by(977) {
            v[i] = if i % 2 == 0 { f32::NAN } else { f32::INFINITY };
        }
        let finite: Vec<f64> = v
            .iter()
            .filter(|x| x.is_finite())
            .map(|&x| f64::from(x))
            .collect();
        let (s, n) = finite_sum(&v);
        assert_eq!(n, finite.len() as u64);
        let exact: f64 = finite.iter().sum();
        assert!((s - exact).abs() <= 1e-12 * exact, "{s} vs {exact}");
    }

    #[test]
    fn roughness_matches_a_2d_gaussian_reference() {
        let img = random_rgb(40, 33, 9);
        let want = naive_roughness(&img.luminance());
        let m = measure(
            Path::new("t"),
            &img,
            Rect::new(0, 0, 40, 33),
            &MeasureOptions::default(),
        )
        .unwrap();
        let got = m.values[id::ROUGHNESS].value;
        // f32 separable blur vs f64 2-D sum: ~1e-5 relative
        assert!((got - want).abs() < 1e-4 * want, "{got} vs {want}");
    }

    #[test]
    fn relative_roughness_is_the_ratio_to_the_control_region() {
        // a smoother control (half the contrast) on the right
        let mut img = random_rgb(90, 33, 4);
        let (roi, control) = (Rect::new(0, 0, 40, 33), Rect::new(50, 0, 40, 33));
        for p in [&mut img.r, &mut img.g, &mut img.b] {
            for y in 0..33 {
                for x in 50..90 {
                    p.set(x, y, 100.0 + 0.5 * (p.at(x, y) - 100.0));
                }
            }
        }
        // each relative to its region's mean luminance
        let relative = |y: Plane| naive_roughness(&y) * y.len() as f64 / finite_sum(y.data()).0;
        let want = relative(img.crop(roi).luminance()) / relative(img.crop(control).luminance());
        let opts = MeasureOptions {
            control: Some(control),
            ..MeasureOptions::default()
        };
        let m = measure(Path::new("t"), &img, roi, &opts).unwrap();
        let got = m.values[id::RELATIVE_ROUGHNESS].value;
        assert!((got - want).abs() < 1e-4 * want, "{got} vs {want}");
        assert!(got > 1.5, "the control is smoother: {got}");
        // no control, no ratio
        let alone = measure(Path::new("t"), &img, roi, &MeasureOptions::default()).unwrap();
        assert!(!alone.values.contains_key(id::RELATIVE_ROUGHNESS));
    }

    /// Naive roughness: full 2-D Gaussian convolution of σ 4 px (reflected
    /// borders), then the RMS of the residual.
    fn naive_roughness(y: &Plane) -> f64 {
        let (w, h) = (y.width(), y.height());
        let sigma = 4.0f64;
        let radius = (4.0 * sigma + 0.5) as isize;
        let k: Vec<f64> = (-radius..=radius)
            .map(|i| (-0.5 * (i as f64 / sigma).powi(2)).exp())
            .collect();
        let ks: f64 = k.iter().sum();
        let mut sum2 = 0.0;
        for yy in 0..h {
            for xx in 0..w {
                let mut acc = 0.0;
                for (j, kj) in k.iter().enumerate() {
                    for (i, ki) in k.iter().enumerate() {
                        let sx = reflect(xx as isize + i as isize - radius, w);
                        let sy = reflect(yy as isize + j as isize - radius, h);
                        acc += kj * ki * f64::from(y.at(sx, sy));
                    }
                }
                let d = f64::from(y.at(xx, yy)) - acc / (ks * ks);
                sum2 += d * d;
            }
        }
        (sum2 / (w * h) as f64).sqrt()
    }

    #[test]
    fn colour_means_match_per_pixel_formulas() {
        let img = random_rgb(30, 20, 5);
        let m = measure(
            Path::new("t"),
            &img,
            Rect::new(0, 0, 30, 20),
            &MeasureOptions::default(),
        )
        .unwrap();
        let lin = |v: f32| {
            let c = f64::from(v) / 255.0;
            if c > 0.04045 {
                ((c + 0.055) / 1.055).powf(2.4)
            } else {
                c / 12.92
            }
        };
        let (mut l, mut a, mut b, mut rs, mut gs) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for i in 0..600 {
            let (r, g, bl) = (
                lin(img.r.data()[i]),
                lin(img.g.data()[i]),
                lin(img.b.data()[i]),
            );
            let lab = colour::lab_from_linear(r, g, bl);
            l += lab[0];
            a += lab[1];
            b += lab[2];
            rs += r;
            gs += g;
        }
        let n = 600.0;
        assert!((m.values[id::L].value - l / n).abs() < 1e-9);
        assert!((m.values[id::A].value - a / n).abs() < 1e-9);
        assert!((m.values[id::B].value - b / n).abs() < 1e-9);
        assert!((m.values[id::MELANIN].value - 100.0 * (n / rs).log10()).abs() < 1e-9);
        assert!(
            (m.values[id::ERYTHEMA].value - 100.0 * ((rs / n).log10() - (gs / n).log10())).abs()
                < 1e-9
        );
    }

    #[test]
    fn hessian_matches_analytic_gaussian_derivatives() {
        // naive: convolve with the analytic second derivatives of a 2-D
        // Gaussian at σ = 2 (the scale space uses finite differences of the
        // blurred image; they agree to O(1/(12σ²)) ≈ 2 %)
        let w = 48;
        let img = Plane::from_fn(w, w, |x, y| {
            let (x, y) = (x as f32 - 23.5, y as f32 - 23.5);
            100.0 - 30.0 * (-(x * 0.8 + y * 0.6).powi(2) / 8.0).exp() + 10.0 * (x * 0.3).sin()
        });
        let sigma = 2.0f64;
        let r = 9isize;
        let mut got = None;
        scale_space::for_each_level(&img, 2.0, 2.0, 3, |l| {
            let (w, h) = (l.width(), l.height());
            let (mut xx, mut xy, mut yy) = (
                Plane::filled(w, h, 0.0),
                Plane::filled(w, h, 0.0),
                Plane::filled(w, h, 0.0),
            );
            for y in 0..h {
                l.hessian_row(y, xx.row_mut(y), xy.row_mut(y), yy.row_mut(y));
            }
            got = Some((xx, xy, yy, l.sigma));
        });
        let (gxx, gxy, gyy, s) = got.unwrap();
        assert!((s - sigma).abs() < 1e-12);
        let g = |x: f64, y: f64| {
            (-(x * x + y * y) / (2.0 * sigma * sigma)).exp()
                / (2.0 * std::f64::consts::PI * sigma * sigma)
        };
        let s2 = sigma * sigma;
        let mut worst = 0.0f64;
        let mut scale = 0.0f64;
        for (cx, cy) in [(20usize, 20usize), (24, 30), (30, 18), (15, 25)] {
            let (mut xx, mut xy, mut yy) = (0.0, 0.0, 0.0);
            for dy in -r..=r {
                for dx in -r..=r {
                    let v = f64::from(
                        img.at(reflect(cx as isize - dx, w), reflect(cy as isize - dy, w)),
                    );
                    let (x, y) = (dx as f64, dy as f64);
                    xx += v * g(x, y) * (x * x / s2 - 1.0) / s2;
                    yy += v * g(x, y) * (y * y / s2 - 1.0) / s2;
                    xy += v * g(x, y) * x * y / (s2 * s2);
                }
            }
            for (a, b) in [
                (s2 * xx, gxx.at(cx, cy)),
                (s2 * xy, gxy.at(cx, cy)),
                (s2 * yy, gyy.at(cx, cy)),
            ] {
                worst = worst.max((a - f64::from(b)).abs());
                scale = scale.max(a.abs());
            }
        }
        assert!(worst < 0.05 * scale, "worst {worst} of {scale}");
    }
}
