//! Measurement: every metric of DESIGN.md on the region of interest of one
//! (aligned) capture, each with a unit, a better-direction and an
//! uncertainty.
//!
//! Uncertainty: the ROI is split into a fixed grid of sub-tiles; each metric
//! is also evaluated per tile and its standard error is sd(tiles)/√n. Trend
//! turns that into the minimal detectable change. Repeat captures, where a
//! session has them, replace this estimate (see `pipeline`).

pub mod colour;
pub mod pores;
pub mod scale_space;
pub mod scars;
pub mod texture;
pub mod wrinkles;

use crate::catalog::{self, Better, id};
use crate::error::{Error, Result};
use crate::raster::{ColourModel, Plane, Rect, RgbPlanes};
use crate::units::MmPerPx;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Smallest ROI side measured (GLCM distance 4 and LBP need some context).
pub const MIN_SIDE: usize = 16;

/// Scale assumed for *choosing filter sizes* when an image has no
/// `mm_per_px` (a close-up of the cheek on a phone: 0.05 mm/px). Values are
/// then still reported in pixel units, never in mm.
pub const NOMINAL_MM_PER_PX: f64 = 0.05;

/// Luminance in percent of its mean over the finite pixels (NaN stays NaN
/// and is replaced by 100 so filters do not spread it): a global exposure
/// change leaves this unchanged.
#[must_use]
pub fn relative_luminance(y: &Plane) -> Plane {
    let finite: Vec<f64> = y
        .data()
        .iter()
        .filter(|v| v.is_finite())
        .map(|&v| f64::from(v))
        .collect();
    let mean = crate::filters::det_sum(&finite) / finite.len().max(1) as f64;
    let k = if mean > 1e-6 {
        (100.0 / mean) as f32
    } else {
        0.0
    };
    y.map(|v| if v.is_finite() { v * k } else { 100.0 })
}

/// Filter scales in px for a physical size in mm.
fn px(mm: f64, mm_per_px: Option<MmPerPx>) -> f64 {
    mm / mm_per_px.map_or(NOMINAL_MM_PER_PX, MmPerPx::get)
}

/// Wrinkle and pore detection on one shared scale space.
fn lines_and_pores(
    luminance: &Plane,
    tiles: &Tiles,
    mm_per_px: Option<MmPerPx>,
) -> (wrinkles::Lines, pores::Pores) {
    let rel = relative_luminance(luminance);
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
    scale_space::for_each_level(&rel, lo, hi, PER_OCTAVE, |level| {
        frangi.visit(level);
        blobs.visit(level);
    });
    let ridges = frangi.finish(w, h);
    let lines = wrinkles::line_metrics(
        &ridges,
        tiles,
        mm_per_px,
        px(wrinkles::MIN_LENGTH_MM, mm_per_px),
    );
    let d_range = (
        2.0 * std::f64::consts::SQRT_2 * pore_range.0 * step,
        2.0 * std::f64::consts::SQRT_2 * pore_range.1 / step,
    );
    let found = pores::pore_metrics(blobs.finish(), w, h, tiles, mm_per_px, d_range);
    (lines, found)
}

/// Levels per octave of the shared scale space (σ ratio 2^(1/3) ≈ 1.26).
const PER_OCTAVE: usize = 3;

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
    /// Black top-hat of relative luminance (scar shading), % of mean luminance.
    pub shading: Option<Plane>,
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
}

/// A fixed grid of sub-tiles over a `w × h` region.
#[derive(Clone, Copy, Debug)]
pub struct Tiles {
    w: usize,
    h: usize,
    nx: usize,
    ny: usize,
}

impl Tiles {
    /// `n × n` tiles (fewer along a side shorter than 16·n px, at least 1).
    #[must_use]
    pub fn new(w: usize, h: usize, n: usize) -> Tiles {
        let fit = |side: usize| n.min(side / 16).max(1);
        Tiles {
            w: w.max(1),
            h: h.max(1),
            nx: fit(w),
            ny: fit(h),
        }
    }
    /// Number of tiles.
    #[must_use]
    pub fn count(&self) -> usize {
        self.nx * self.ny
    }
    /// Tile column of pixel column `x`.
    #[must_use]
    #[inline]
    pub fn col_of(&self, x: usize) -> usize {
        (x * self.nx / self.w).min(self.nx - 1)
    }
    /// Tile row of pixel row `y`.
    #[must_use]
    #[inline]
    pub fn row_of(&self, y: usize) -> usize {
        (y * self.ny / self.h).min(self.ny - 1)
    }
    /// Index of tile (tx, ty).
    #[must_use]
    #[inline]
    pub fn index(&self, tx: usize, ty: usize) -> usize {
        ty * self.nx + tx
    }
    /// Tile index of pixel (x, y).
    #[must_use]
    #[inline]
    pub fn of(&self, x: usize, y: usize) -> usize {
        self.index(self.col_of(x), self.row_of(y))
    }
}

/// Standard error of the mean of the finite `tile_values`: sd/√n, 0 with
/// fewer than two.
#[must_use]
pub fn sem(tile_values: &[f64]) -> f64 {
    let v: Vec<f64> = tile_values
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    let n = v.len();
    if n < 2 {
        return 0.0;
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (var / n as f64).sqrt()
}

struct Sink<'a> {
    values: &'a mut BTreeMap<String, Value>,
    scaled: bool,
}

impl Sink<'_> {
    fn put(&mut self, id: &str, value: f64, tiles: &[f64]) {
        let Some(info) = catalog::info(id) else {
            return;
        };
        if !value.is_finite() {
            return; // never NaN in output: an undefined metric is left out
        }
        let unit = if self.scaled {
            info.unit_scaled
        } else {
            info.unit
        };
        self.values.insert(
            id.to_string(),
            Value {
                value,
                unit: unit.to_string(),
                better: info.better,
                uncertainty: sem(tiles),
            },
        );
    }
}

/// Measures every metric of a photo on `roi`.
///
/// # Errors
/// [`Error::TooSmall`] when the ROI is smaller than [`MIN_SIDE`] a side,
/// [`Error::Usage`] when the ROI or control region does not fit the image.
pub fn measure(
    source: &Path,
    img: &RgbPlanes,
    roi: Rect,
    opts: &MeasureOptions,
) -> Result<Measurements> {
    let (w, h) = (img.width(), img.height());
    if w < MIN_SIDE || h < MIN_SIDE || roi.w < MIN_SIDE || roi.h < MIN_SIDE {
        return Err(Error::TooSmall {
            path: source.to_path_buf(),
            width: roi.w.min(w),
            height: roi.h.min(h),
            min: MIN_SIDE,
        });
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
    let crop = img.crop(roi);
    let tiles = Tiles::new(roi.w, roi.h, opts.tiles_per_side);
    let mut values = BTreeMap::new();
    let mut sink = Sink {
        values: &mut values,
        scaled: opts.mm_per_px.is_some(),
    };
    let mut maps = FeatureMaps {
        size: (roi.w, roi.h),
        ..FeatureMaps::default()
    };

    measure_texture(&crop, &tiles, opts, &mut sink);
    let luminance = crop.luminance();
    let (lines, found) = lines_and_pores(&luminance, &tiles, opts.mm_per_px);
    for (id, v, t) in &lines.values {
        sink.put(id, *v, t);
    }
    for (id, v, t) in &found.values {
        sink.put(id, *v, t);
    }
    let shading = scars::shading_index(&luminance, &tiles, opts.mm_per_px);
    sink.put(id::SHADING, shading.value, &shading.tiles);
    let (colour_maps, control_linear) =
        measure_colour(img, &crop, roi, &tiles, opts, &mut sink).unwrap_or((None, None));

    let pore_histogram = Some(found.histogram.clone());
    if opts.keep_maps {
        maps.wrinkle_lines = lines.centre_lines;
        maps.pores = found.blobs;
        if let Some((p, r)) = colour_maps {
            maps.pigmented = p;
            maps.red = r;
        }
        maps.shading = Some(shading.map);
    }
    Ok(Measurements {
        roi,
        values,
        pore_histogram,
        control_linear,
        maps: opts.keep_maps.then_some(maps),
    })
}

fn measure_texture(crop: &RgbPlanes, tiles: &Tiles, opts: &MeasureOptions, sink: &mut Sink<'_>) {
    let (w, h) = (crop.width(), crop.height());
    let levels = texture::quantised_levels(crop);
    let counts = texture::glcm_counts(&levels, w, h, tiles);
    if let Some(whole) = texture::haralick_mean(&counts.whole) {
        let per_tile: Vec<Option<texture::Haralick>> = counts
            .tiles
            .iter()
            .map(|t| texture::haralick_mean(t))
            .collect();
        let pick = |f: fn(&texture::Haralick) -> f64| -> Vec<f64> {
            per_tile
                .iter()
                .map(|t| t.as_ref().map_or(f64::NAN, f))
                .collect()
        };
        sink.put(id::GLCM_CONTRAST, whole.contrast, &pick(|h| h.contrast));
        sink.put(
            id::GLCM_HOMOGENEITY,
            whole.homogeneity,
            &pick(|h| h.homogeneity),
        );
        sink.put(id::GLCM_ENERGY, whole.energy, &pick(|h| h.energy));
        sink.put(
            id::GLCM_CORRELATION,
            whole.correlation,
            &pick(|h| h.correlation),
        );
        sink.put(id::GLCM_ENTROPY, whole.entropy, &pick(|h| h.entropy));
    }

    let rounded = texture::rounded_luminance(crop);
    let codes = texture::lbp_codes(&rounded, w, h);
    if let Some((_, entropy)) = texture::lbp_histogram(&codes) {
        let mut per_tile = vec![Vec::new(); tiles.count()];
        for (i, c) in codes.iter().enumerate() {
            per_tile[tiles.of(i % w, i / w)].push(*c);
        }
        let t: Vec<f64> = per_tile
            .iter()
            .map(|c| texture::lbp_histogram(c).map_or(f64::NAN, |(_, e)| e))
            .collect();
        sink.put(id::LBP_ENTROPY, entropy, &t);
    }

    let hp = texture::highpass(&crop.luminance(), opts.roughness_sigma_px);
    let mut sums = vec![(0.0f64, 0u64); tiles.count()];
    for (i, &v) in hp.data().iter().enumerate() {
        if v.is_finite() {
            let s = &mut sums[tiles.of(i % w, i / w)];
            s.0 += f64::from(v) * f64::from(v);
            s.1 += 1;
        }
    }
    let (tot, n) = sums.iter().fold((0.0, 0u64), |a, s| (a.0 + s.0, a.1 + s.1));
    if n > 0 {
        let t: Vec<f64> = sums
            .iter()
            .map(|s| {
                if s.1 > 0 {
                    (s.0 / s.1 as f64).sqrt()
                } else {
                    f64::NAN
                }
            })
            .collect();
        sink.put(id::ROUGHNESS, (tot / n as f64).sqrt(), &t);
    }
}

type ColourMaps = (Vec<bool>, Vec<bool>);

/// Mean linear RGB of `rect` of `img` (the control reference of a case).
#[must_use]
pub fn control_reference(img: &RgbPlanes, rect: Rect) -> Option<[f64; 3]> {
    rect.fits_in(img.width(), img.height())
        .then(|| control_mean_linear(&img.crop(rect), &colour::LinearLut::default()))
}

/// Mean linear RGB of the finite pixels of `img`.
fn control_mean_linear(img: &RgbPlanes, lut: &colour::LinearLut) -> [f64; 3] {
    let mut s = [0.0f64; 3];
    let mut n = 0u64;
    for ((&r, &g), &b) in img.r.data().iter().zip(img.g.data()).zip(img.b.data()) {
        if r.is_finite() && g.is_finite() && b.is_finite() {
            s[0] += lut.get(r);
            s[1] += lut.get(g);
            s[2] += lut.get(b);
            n += 1;
        }
    }
    s.map(|v| v / n.max(1) as f64)
}

fn measure_colour(
    img: &RgbPlanes,
    crop: &RgbPlanes,
    roi: Rect,
    tiles: &Tiles,
    opts: &MeasureOptions,
    sink: &mut Sink<'_>,
) -> Option<(Option<ColourMaps>, Option<[f64; 3]>)> {
    use colour::{ColourSums, LinearLut, Reference};
    let lut = LinearLut::default();
    let (mi_map, ei_map) = colour::index_maps(crop, &lut);
    let control = opts.control.map(|c| img.crop(c));
    let reference = match &control {
        Some(c) => {
            let (mi, ei) = colour::index_maps(c, &lut);
            Reference {
                mi: colour::median(&mi),
                ei: colour::median(&ei),
            }
        }
        None => Reference {
            mi: colour::median(&mi_map),
            ei: colour::median(&ei_map),
        },
    };
    let (w, _) = (roi.w, roi.h);
    // `gain`: per-channel factors on linear light (the control adaptation)
    let accumulate =
        |p: &RgbPlanes, tiles: Option<&Tiles>, mi: &[f32], ei: &[f32], gain: [f64; 3]| {
            let n_tiles = tiles.map_or(1, Tiles::count);
            let mut acc = vec![ColourSums::default(); n_tiles];
            let (mut pig, mut red) = (vec![false; mi.len()], vec![false; mi.len()]);
            let pw = p.width();
            for (i, ((&r, &g), &b)) in
                p.r.data()
                    .iter()
                    .zip(p.g.data())
                    .zip(p.b.data())
                    .enumerate()
            {
                if r.is_nan() || g.is_nan() || b.is_nan() {
                    continue;
                }
                let t = tiles.map_or(0, |t| t.of(i % pw, i / pw));
                let (rl, gl, bl) = (
                    gain[0] * lut.get(r),
                    gain[1] * lut.get(g),
                    gain[2] * lut.get(b),
                );
                let lab = colour::lab_from_linear(rl, gl, bl);
                let s = &mut acc[t];
                s.n += 1;
                for (sum, v) in s.lab.iter_mut().zip(lab) {
                    *sum += v;
                }
                s.lin_rg[0] += rl;
                s.lin_rg[1] += gl;
                if f64::from(mi[i]) - reference.mi > colour::PIGMENT_DELTA_MI {
                    s.pigmented += 1;
                    pig[i] = true;
                }
                if f64::from(ei[i]) - reference.ei > colour::RED_DELTA_EI {
                    s.red += 1;
                    red[i] = true;
                }
            }
            (acc, pig, red)
        };
    let (per_tile, pigmented, red) = accumulate(crop, Some(tiles), &mi_map, &ei_map, [1.0; 3]);
    let mut whole = ColourSums::default();
    for t in &per_tile {
        whole.add(t);
    }
    if whole.n == 0 {
        return None;
    }
    let grey = img.model == ColourModel::Grey;
    let derived = |s: &ColourSums| -> Vec<(&'static str, f64)> {
        let [l, a, b] = s.mean_lab();
        let (mi, ei) = s.indices();
        let n = s.n.max(1) as f64;
        let mut v = vec![(id::L, l)];
        if !grey {
            v.extend([
                (id::A, a),
                (id::B, b),
                (id::ITA, colour::ita_deg(l, b)),
                (id::MELANIN, mi),
                (id::ERYTHEMA, ei),
                (id::PIGMENTED, s.pigmented as f64 / n),
                (id::RED, s.red as f64 / n),
            ]);
        }
        v
    };
    let whole_values = derived(&whole);
    let tile_values: Vec<Vec<(&str, f64)>> = per_tile
        .iter()
        .map(|t| if t.n > 0 { derived(t) } else { Vec::new() })
        .collect();
    let column = |k: usize| -> Vec<f64> {
        tile_values
            .iter()
            .map(|t| t.get(k).map_or(f64::NAN, |x| x.1))
            .collect()
    };
    for (k, (name, v)) in whole_values.iter().enumerate() {
        sink.put(name, *v, &column(k));
    }
    let mut control_linear = None;
    if let Some(c) = &control {
        // von Kries adaptation: scale each linear channel so the control's
        // mean equals the reference (the baseline session's control, or this
        // image's own), then compare with the equally adapted control; any
        // global exposure or white-balance change cancels exactly
        let mean = control_mean_linear(c, &lut);
        control_linear = Some(mean);
        let reference = opts.control_reference.unwrap_or(mean);
        let gain: [f64; 3] = std::array::from_fn(|k| {
            if mean[k] > 1e-9 {
                reference[k] / mean[k]
            } else {
                1.0
            }
        });
        let (cmi, cei) = colour::index_maps(c, &lut);
        let (ctrl, _, _) = accumulate(c, None, &cmi, &cei, gain);
        let (adapted, _, _) = accumulate(crop, Some(tiles), &mi_map, &ei_map, gain);
        let mut adapted_whole = ColourSums::default();
        for t in &adapted {
            adapted_whole.add(t);
        }
        if let Some(ctrl) = ctrl.first().filter(|s| s.n > 0) {
            let cv = derived(ctrl);
            let av = derived(&adapted_whole);
            let adapted_tiles: Vec<Vec<(&str, f64)>> = adapted
                .iter()
                .map(|t| if t.n > 0 { derived(t) } else { Vec::new() })
                .collect();
            for (k, ((name, v), (_, c0))) in av.iter().zip(&cv).enumerate() {
                // the control's own spread is not tiled; the ROI's tiles carry the uncertainty
                let diff_tiles: Vec<f64> = adapted_tiles
                    .iter()
                    .map(|t| t.get(k).map_or(f64::NAN, |x| x.1 - c0))
                    .collect();
                sink.put(
                    &format!("{name}{}", catalog::VS_CONTROL),
                    v - c0,
                    &diff_tiles,
                );
            }
        }
    }
    let _ = w;
    Some(((!grey).then_some((pigmented, red)), control_linear))
}
