//! Colour metrics: CIELAB (D65, 2° observer) from sRGB exactly as
//! scikit-image's `rgb2lab`, the individual typology angle, melanin and
//! erythema indices on linear reflectance, and the fractions of pigmented
//! and red skin.
//!
//! Pigmented and red pixels are found *relative to a reference*: the median
//! of the control region when the case names one, otherwise the ROI's own
//! median. A global exposure change shifts a pixel and its reference alike,
//! so the fractions follow the skin, not the lamp.
//!
//! `measure_colour` runs the whole family on one ROI for `measure`.

use super::{MeasureOptions, TiledValue, Tiles};
use crate::catalog::{self, id};
use crate::raster::{ColourModel, Rect, RgbPlanes};
use crate::simd::wide_fn;
use rayon::prelude::*;

mod cielab;
mod spots;

use cielab::lab_row;
pub use cielab::{LinearLut, cbrt, lab_from_linear, srgb_to_linear};
use spots::spot_excess;
pub use spots::{SPOT_MARGIN_PX, SPOT_SIGMA_PX, pigment_spots};

/// A pixel is pigmented when its melanin index exceeds the reference median
/// by more than this (5 MI units ≈ 11 % less red reflectance).
pub const PIGMENT_DELTA_MI: f64 = 5.0;
/// A pixel is red when its erythema index exceeds the reference median by
/// more than this (5 EI units ≈ 11 % less green relative to red).
pub const RED_DELTA_EI: f64 = 5.0;
/// Reflectance floor for the log indices (a black pixel has no defined index).
const MIN_REFLECTANCE: f64 = 1e-4;

/// Individual typology angle in degrees from mean L* and b*:
/// atan((L − 50) / b)·180/π (atan, not atan2: DESIGN.md).
#[must_use]
pub fn ita_deg(l: f64, b: f64) -> f64 {
    ((l - 50.0) / b).atan().to_degrees()
}

/// Melanin index 100·log10(1/R) of linear red reflectance.
#[must_use]
pub fn melanin_index(r_lin: f64) -> f64 {
    -100.0 * r_lin.max(MIN_REFLECTANCE).log10()
}

/// Erythema index 100·(log10(1/G) − log10(1/R)) of linear reflectances.
#[must_use]
pub fn erythema_index(r_lin: f64, g_lin: f64) -> f64 {
    100.0 * (r_lin.max(MIN_REFLECTANCE).log10() - g_lin.max(MIN_REFLECTANCE).log10())
}

/// Per-pixel colour quantities of a region, accumulated for means.
#[derive(Clone, Copy, Debug, Default)]
pub struct ColourSums {
    /// Pixels counted.
    pub n: u64,
    /// Σ L*, Σ a*, Σ b*.
    pub lab: [f64; 3],
    /// Σ linear R, G.
    pub lin_rg: [f64; 2],
    /// Pixels classed pigmented / red.
    pub pigmented: u64,
    /// Pixels classed red.
    pub red: u64,
}

impl ColourSums {
    /// Adds another accumulator (the caller keeps a fixed order).
    pub fn add(&mut self, o: &ColourSums) {
        self.n += o.n;
        for k in 0..3 {
            self.lab[k] += o.lab[k];
        }
        self.lin_rg[0] += o.lin_rg[0];
        self.lin_rg[1] += o.lin_rg[1];
        self.pigmented += o.pigmented;
        self.red += o.red;
    }
    /// Mean L*, a*, b*.
    #[must_use]
    pub fn mean_lab(&self) -> [f64; 3] {
        let n = self.n.max(1) as f64;
        self.lab.map(|s| s / n)
    }
    /// Melanin and erythema index of the mean linear reflectance.
    #[must_use]
    pub fn indices(&self) -> (f64, f64) {
        let n = self.n.max(1) as f64;
        let (r, g) = (self.lin_rg[0] / n, self.lin_rg[1] / n);
        (melanin_index(r), erythema_index(r, g))
    }
}

/// Reference levels for the pigmented/red classification.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reference {
    /// Median per-pixel melanin index of the reference region.
    pub mi: f64,
    /// Median per-pixel erythema index of the reference region.
    pub ei: f64,
}

/// Per-pixel melanin and erythema indices (NaN where the pixel has no data).
#[must_use]
pub fn index_maps(img: &RgbPlanes, lut: &LinearLut) -> (Vec<f32>, Vec<f32>) {
    img.r
        .data()
        .iter()
        .zip(img.g.data())
        .map(|(&r, &g)| {
            if r.is_nan() || g.is_nan() {
                (f32::NAN, f32::NAN)
            } else {
                let (rl, gl) = (lut.get(r), lut.get(g));
                (melanin_index(rl) as f32, erythema_index(rl, gl) as f32)
            }
        })
        .unzip()
}

/// Median of the finite values (NaN when there are none).
#[must_use]
pub fn median(values: &[f32]) -> f64 {
    let mut v: Vec<f32> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f32::total_cmp);
    f64::from(*m)
}

// ---- the colour family of one ROI (called by `measure`) ----

pub(super) type ColourMaps = (Vec<bool>, Vec<bool>);

/// One row's per-tile colour sums and its pigmented / red flags.
type ColourRow = (Vec<(usize, ColourSums)>, Vec<bool>, Vec<bool>);

/// Mean linear RGB of `rect` of `img` (the control reference of a case).
#[must_use]
pub fn control_reference(img: &RgbPlanes, rect: Rect) -> Option<[f64; 3]> {
    rect.fits_in(img.width(), img.height())
        .then(|| control_mean_linear(&img.crop(rect), &LinearLut::default()))
}

/// Mean linear RGB of the finite pixels of `img`.
fn control_mean_linear(img: &RgbPlanes, lut: &LinearLut) -> [f64; 3] {
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

/// Per-pixel tables of the colour stage: linear light and melanin index by
/// encoded value (1/16-level steps; erythema index = MI(G) − MI(R)).
struct ColourTables {
    lut: LinearLut,
    mi: Vec<f32>,
}

impl ColourTables {
    fn new() -> ColourTables {
        let lut = LinearLut::default();
        let mi = (0..lut.len())
            .map(|i| melanin_index(lut.at(i)) as f32)
            .collect();
        ColourTables { lut, mi }
    }
}

/// Median melanin and erythema index of the finite pixels of `p`, by
/// histograms (MI is a decreasing function of the red value's table index;
/// EI is binned at 1/256 of a unit).
fn index_medians(p: &RgbPlanes, t: &ColourTables) -> Reference {
    // integer counts: any split over threads gives the same histograms
    let histograms =
        p.r.data()
            .par_chunks(1 << 16)
            .zip(p.g.data().par_chunks(1 << 16))
            .fold(
                || (vec![0u64; t.lut.len()], vec![0u32; EI_BINS], 0u64),
                |(mut hr, mut he, mut n), (rs, gs)| {
                    // table indices of a block in a tight loop, then the counts
                    const BLOCK: usize = 1024;
                    let (mut ir, mut bin) = ([0u32; BLOCK], [0u32; BLOCK]);
                    for (rs, gs) in rs.chunks(BLOCK).zip(gs.chunks(BLOCK)) {
                        let k = rs.len();
                        ei_bins(rs, gs, &t.mi, &mut ir[..k], &mut bin[..k]);
                        for (&i, &b) in ir[..k].iter().zip(&bin[..k]) {
                            if i != NO_PIXEL {
                                hr[i as usize] += 1;
                                he[b as usize] += 1;
                                n += 1;
                            }
                        }
                    }
                    (hr, he, n)
                },
            )
            .reduce_with(|(mut hr, mut he, n), (ar, ae, an)| {
                hr.iter_mut().zip(&ar).for_each(|(a, b)| *a += b);
                he.iter_mut().zip(&ae).for_each(|(a, b)| *a += b);
                (hr, he, n + an)
            });
    let Some((hr, he, n)) = histograms.filter(|h| h.2 > 0) else {
        return Reference {
            mi: f64::NAN,
            ei: f64::NAN,
        };
    };
    fn nth<C: Copy + Into<u64>>(h: &[C], k: u64) -> Option<usize> {
        let mut acc = 0u64;
        h.iter().position(|&c| {
            acc += c.into();
            acc > k
        })
    }
    // the median of a decreasing function of R is its value at the median R
    let mi = nth(&hr, (n - 1) / 2).map_or(f64::NAN, |i| f64::from(t.mi[i]));
    let ei = nth(&he, n / 2).map_or(f64::NAN, |i| i as f64 / 256.0 - f64::from(EI_SPAN));
    Reference { mi, ei }
}

/// Erythema indices are binned from −`EI_SPAN` at 1/256 of a unit.
const EI_SPAN: f32 = 500.0;
/// Number of EI bins (−500 to 500).
const EI_BINS: usize = 1000 * 256 + 1;
/// [`ei_bins`]' index for a pixel with no data.
const NO_PIXEL: u32 = u32::MAX;

wide_fn! {
    /// The red value's table index and the erythema index's bin of each
    /// pixel ([`NO_PIXEL`] where red or green has no data); `mi` is the
    /// melanin index by table index.
    fn ei_bins(rs: &[f32], gs: &[f32], mi: &[f32], ir: &mut [u32], bin: &mut [u32]) {
        let Some(mi) = mi.get(..LinearLut::LEN) else {
            return;
        };
        for (((&r, &g), ir), bin) in rs.iter().zip(gs).zip(ir).zip(bin) {
            // indices are clamped to the table, so no bounds check is left
            let (i, j) = (LinearLut::index(r), LinearLut::index(g));
            let ei = mi[j.min(mi.len() - 1)] - mi[i.min(mi.len() - 1)];
            // round half up by +0.5 and truncation (no libm call); EI is
            // within ±400, so z + 0.5 is exact
            let z = ((ei + EI_SPAN) * 256.0).max(0.0);
            *bin = ((z + 0.5) as u32).min(EI_BINS as u32 - 1);
            *ir = if r.is_finite() && g.is_finite() { i as u32 } else { NO_PIXEL };
        }
    }
}

wide_fn! {
    /// Table indices of a row of encoded values and their linear light ×
    /// `gain` (`lut`: [`LinearLut`]'s table).
    fn linear_row(src: &[f32], lut: &[f64], gain: f64, idx: &mut [u32], lin: &mut [f64]) {
        let Some(lut) = lut.get(..LinearLut::LEN) else {
            return;
        };
        for ((i, l), &v) in idx.iter_mut().zip(lin.iter_mut()).zip(src) {
            // clamped to the table, so no bounds check is left
            let k = LinearLut::index(v).min(lut.len() - 1);
            *i = k as u32;
            *l = gain * lut[k];
        }
    }
}

wide_fn! {
    /// Which pixels of a row hold data, and which are pigmented and red
    /// against `reference` (`idx`: the red and green table indices, `mi`:
    /// the melanin index by table index).
    fn classes_row(rgb: [&[f32]; 3], idx: [&[u32]; 2], mi: &[f32], reference: Reference, out: [&mut [bool]; 3]) {
        let [r, g, b] = rgb;
        let [ir, ig] = idx;
        let [ok, pig, red] = out;
        let Some(mi) = mi.get(..LinearLut::LEN) else {
            return;
        };
        let w = ok.len();
        let (r, g, b, ir, ig, pig, red) =
            (&r[..w], &g[..w], &b[..w], &ir[..w], &ig[..w], &mut pig[..w], &mut red[..w]);
        let last = mi.len() - 1;
        for x in 0..w {
            ok[x] = r[x].is_finite() & g[x].is_finite() & b[x].is_finite();
            let (m_r, m_g) = (mi[(ir[x] as usize).min(last)], mi[(ig[x] as usize).min(last)]);
            let (m, e) = (f64::from(m_r), f64::from(m_g - m_r));
            pig[x] = ok[x] & (m - reference.mi > PIGMENT_DELTA_MI);
            red[x] = ok[x] & (e - reference.ei > RED_DELTA_EI);
        }
    }
}

/// Whether [`colour_sums`] also returns the pigmented and red class maps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClassMaps {
    Keep,
    Skip,
}

/// Colour sums per tile of `p` (linear light × `gain`), pixels classed
/// pigmented / red against `reference`; the class maps too with
/// [`ClassMaps::Keep`].
fn colour_sums(
    p: &RgbPlanes,
    tiles: &Tiles,
    t: &ColourTables,
    gain: [f64; 3],
    reference: Reference,
    maps: ClassMaps,
) -> (Vec<ColourSums>, Option<ColourMaps>) {
    let keep = maps == ClassMaps::Keep;
    let (w, h) = (p.width(), p.height());
    let runs = tiles.column_runs();
    // rows in parallel; each row's per-tile partials kept in order and added
    // sequentially, so the sums do not depend on the thread count
    let rows: Vec<ColourRow> = (0..h)
        .into_par_iter()
        .map_init(
            || {
                (
                    [(); 3].map(|_| vec![0u32; w]),
                    [(); 6].map(|_| vec![0.0f64; w]),
                    [(); 3].map(|_| vec![false; w]),
                )
            },
            |(idx, planes, [ok, pig, red]), y| {
                let ty = tiles.row_of(y);
                let (r, g, b) = (p.r.row(y), p.g.row(y), p.b.row(y));
                // the whole row through tight loops first (they vectorise),
                // then the per-tile sums in pixel order
                let [lin_r, lin_g, lin_b, lab_l, lab_a, lab_b] = planes;
                for (k, (src, lin)) in [r, g, b]
                    .into_iter()
                    .zip([&mut *lin_r, &mut *lin_g, &mut *lin_b])
                    .enumerate()
                {
                    linear_row(src, &t.lut.0, gain[k], &mut idx[k], lin);
                }
                lab_row([lin_r, lin_g, lin_b], [lab_l, lab_a, lab_b]);
                // which pixels hold data and their classes (no-data:
                // neither), then the sums per run of one tile column, in
                // pixel order
                classes_row(
                    [r, g, b],
                    [&idx[0], &idx[1]],
                    &t.mi,
                    reference,
                    [&mut *ok, &mut *pig, &mut *red],
                );
                let parts: Vec<(usize, ColourSums)> = runs
                    .iter()
                    .map(|&(x0, x1, tx)| {
                        let mut s = ColourSums::default();
                        for x in x0..x1 {
                            if ok[x] {
                                s.n += 1;
                                s.lab[0] += lab_l[x];
                                s.lab[1] += lab_a[x];
                                s.lab[2] += lab_b[x];
                                s.lin_rg[0] += lin_r[x];
                                s.lin_rg[1] += lin_g[x];
                            }
                            s.pigmented += u64::from(pig[x]);
                            s.red += u64::from(red[x]);
                        }
                        (tiles.index(tx, ty), s)
                    })
                    .collect();
                // the class maps leave the scratch only when asked for
                let maps = if keep {
                    (pig.clone(), red.clone())
                } else {
                    (Vec::new(), Vec::new())
                };
                (parts, maps.0, maps.1)
            },
        )
        .collect();
    let mut acc = vec![ColourSums::default(); tiles.count()];
    let (mut pig, mut red) = if keep {
        (Vec::with_capacity(w * h), Vec::with_capacity(w * h))
    } else {
        (Vec::new(), Vec::new())
    };
    for (parts, p_row, r_row) in rows {
        for (ti, s) in parts {
            acc[ti].add(&s);
        }
        pig.extend(p_row);
        red.extend(r_row);
    }
    (acc, keep.then_some((pig, red)))
}

/// What the colour family measured on one ROI.
#[derive(Clone, Debug, Default)]
pub struct Colour {
    /// The colour metrics (and their `_vs_control` twins when there is a
    /// control region), each with its per-tile values.
    pub values: Vec<TiledValue>,
    /// Pigmented and red pixels (row-major, ROI size), when maps are kept.
    pub maps: Option<ColourMaps>,
    /// Mean linear RGB of the control region, when there is one.
    pub control_linear: Option<[f64; 3]>,
    /// This capture's own pigmented spots, found when `opts.tracked` gave
    /// none.
    pub spots: Option<Vec<bool>>,
}

/// The colour family of [`super::measure`] on `crop` (the ROI's pixels)
/// against `control` (the control region's, if any); nothing when the ROI
/// has no pixel with data.
#[must_use]
pub(super) fn measure_colour(
    control: Option<&RgbPlanes>,
    crop: &RgbPlanes,
    tiles: &Tiles,
    opts: &MeasureOptions,
) -> Colour {
    let tables = ColourTables::new();
    let reference = index_medians(control.unwrap_or(crop), &tables);
    let keep = if opts.keep_maps && crop.model != ColourModel::Grey {
        ClassMaps::Keep
    } else {
        ClassMaps::Skip
    };
    let (per_tile, maps) = colour_sums(crop, tiles, &tables, [1.0; 3], reference, keep);
    let mut whole = ColourSums::default();
    for t in &per_tile {
        whole.add(t);
    }
    if whole.n == 0 {
        return Colour::default();
    }
    let grey = crop.model == ColourModel::Grey;
    let derived = |s: &ColourSums| -> Vec<(&'static str, f64)> {
        let [l, a, b] = s.mean_lab();
        let (mi, ei) = s.indices();
        let n = s.n.max(1) as f64;
        let mut v = vec![(id::L, l)];
        if !grey {
            v.extend([
                (id::A, a),
                (id::B, b),
                (id::ITA, ita_deg(l, b)),
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
    let mut values: Vec<TiledValue> = whole_values
        .iter()
        .enumerate()
        .map(|(k, &(name, v))| TiledValue::new(name, v, column(k)))
        .collect();
    let mut control_linear = None;
    let own_spots = (opts.tracked.is_none() && !grey).then(|| pigment_spots(crop, &tables.lut));
    let spots = opts
        .tracked
        .as_deref()
        .map(|t| t.pigment.as_slice())
        .or(own_spots.as_deref());
    if let Some(c) = control {
        // von Kries adaptation: scale each linear channel so the control's
        // mean equals the reference (the baseline session's control, or this
        // image's own), then compare with the equally adapted control; any
        // global exposure or white-balance change cancels exactly
        let mean = control_mean_linear(c, &tables.lut);
        control_linear = Some(mean);
        // the spots against the skin beside them, where a control region
        // makes colour claims (DESIGN.md)
        if let Some(excess) = spots.and_then(|m| spot_excess(crop, &tables.lut, m)) {
            values.push(TiledValue::new(id::SPOT_MELANIN, excess, Vec::new()));
        }
        let target = opts.control_reference.unwrap_or(mean);
        let gain: [f64; 3] = std::array::from_fn(|k| {
            if mean[k] > 1e-9 {
                target[k] / mean[k]
            } else {
                1.0
            }
        });
        let one = Tiles::new(c.width(), c.height(), 1);
        let (ctrl, _) = colour_sums(c, &one, &tables, gain, reference, ClassMaps::Skip);
        let (adapted, _) = colour_sums(crop, tiles, &tables, gain, reference, ClassMaps::Skip);
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
                values.push(TiledValue::new(catalog::twin(name), v - c0, diff_tiles));
            }
        }
    }
    Colour {
        values,
        maps,
        control_linear,
        spots: own_spots,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::Copies;

    #[test]
    fn indices_follow_their_definitions() {
        assert!((melanin_index(0.1) - 100.0).abs() < 1e-12);
        assert!((erythema_index(0.5, 0.25) - 100.0 * 2f64.log10()).abs() < 1e-12);
        assert!(melanin_index(0.0).is_finite());
        // ITA of typical light skin L=70, b=15 is about 53 degrees
        assert!((ita_deg(70.0, 15.0) - (20.0f64 / 15.0).atan().to_degrees()).abs() < 1e-12);
    }

    use crate::raster::Plane;

    /// Median MI and EI by sorting every pixel's values (the upper median,
    /// EI at the 1/256 binning of [`index_medians`]).
    fn index_medians_by_sorting(p: &RgbPlanes, t: &ColourTables) -> Reference {
        let (mut mi, mut ei) = (Vec::new(), Vec::new());
        for (&r, &g) in p.r.data().iter().zip(p.g.data()) {
            if !(r.is_finite() && g.is_finite()) {
                continue;
            }
            let (ir, ig) = (LinearLut::index(r), LinearLut::index(g));
            mi.push(f64::from(t.mi[ir]));
            let z = f64::from(t.mi[ig] - t.mi[ir]) + f64::from(EI_SPAN);
            // the bin of the f32 evaluation, then its value
            let bin = ((t.mi[ig] - t.mi[ir] + EI_SPAN) * 256.0 + 0.5)
                .max(0.0)
                .floor();
            assert!((f64::from(bin) / 256.0 - z).abs() <= 1.0 / 256.0);
            ei.push(f64::from(bin.min(256_000.0)) / 256.0 - f64::from(EI_SPAN));
        }
        if mi.is_empty() {
            return Reference {
                mi: f64::NAN,
                ei: f64::NAN,
            };
        }
        mi.sort_by(f64::total_cmp);
        ei.sort_by(f64::total_cmp);
        Reference {
            mi: mi[mi.len() / 2],
            ei: ei[ei.len() / 2],
        }
    }

    #[test]
    fn index_medians_equal_sorting() {
        let t = ColourTables::new();
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for (case, (w, h)) in [(1, 1), (2, 1), (5, 3), (64, 40), (300, 257)]
            .into_iter()
            .enumerate()
        {
            // wide spread, a narrow one (many pixels in one EI unit), no-data
            let mut plane = |base: f32, spread: u64| {
                Plane::from_fn(w, h, |_, _| {
                    if next() % 11 == 0 {
                        f32::NAN
                    } else {
                        base + (next() % spread) as f32 / 16.0
                    }
                })
            };
            let (r, g) = if case % 2 == 0 {
                (plane(-5.0, 4400), plane(-5.0, 4400))
            } else {
                (plane(180.0, 64), plane(120.0, 48))
            };
            let img = RgbPlanes {
                b: g.clone(),
                r,
                g,
                model: ColourModel::Rgb,
            };
            let (got, want) = (index_medians(&img, &t), index_medians_by_sorting(&img, &t));
            for (a, b) in [(got.mi, want.mi), (got.ei, want.ei)] {
                assert!(
                    a == b || (a.is_nan() && b.is_nan()),
                    "{w}x{h}: {got:?} vs {want:?}"
                );
            }
        }
        let empty = RgbPlanes::from_grey(Plane::filled(3, 2, f32::NAN));
        assert!(index_medians(&empty, &t).mi.is_nan() && index_medians(&empty, &t).ei.is_nan());
    }

    #[test]
    fn classes_follow_their_definitions_per_pixel() {
        let _switch = crate::simd::hold_switch();
        // skin-like values in 1/16 steps (many pixels near both thresholds)
        let (w, h) = (53, 31);
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        let mut plane = |base: f32| {
            Plane::from_fn(w, h, |_, _| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                if s.is_multiple_of(41) {
                    f32::NAN
                } else {
                    base + (s % 1024) as f32 / 16.0
                }
            })
        };
        let img = RgbPlanes {
            r: plane(150.0),
            g: plane(100.0),
            b: plane(80.0),
            model: ColourModel::Rgb,
        };
        let t = ColourTables::new();
        let reference = index_medians(&img, &t);
        let mi = |v: f32| melanin_index(srgb_to_linear(f64::from(v.clamp(0.0, 255.0)))) as f32;
        let (mut pig, mut red) = (vec![false; w * h], vec![false; w * h]);
        for i in 0..w * h {
            let (r, g, b) = (img.r.data()[i], img.g.data()[i], img.b.data()[i]);
            if r.is_finite() && g.is_finite() && b.is_finite() {
                pig[i] = f64::from(mi(r)) - reference.mi > PIGMENT_DELTA_MI;
                red[i] = f64::from(mi(g) - mi(r)) - reference.ei > RED_DELTA_EI;
            }
        }
        // the test data has both classes
        assert!(pig.iter().any(|&p| p) && red.iter().any(|&p| p));
        assert!(pig.iter().any(|&p| !p) && red.iter().any(|&p| !p));
        for copies in [Copies::Best, Copies::Baseline] {
            crate::simd::use_copies(copies);
            let tiles = Tiles::new(w, h, 2);
            let (sums, maps) = colour_sums(&img, &tiles, &t, [1.0; 3], reference, ClassMaps::Keep);
            assert_eq!(maps, Some((pig.clone(), red.clone())));
            let count = |m: &[bool]| m.iter().filter(|&&p| p).count() as u64;
            assert_eq!(sums.iter().map(|s| s.pigmented).sum::<u64>(), count(&pig));
            assert_eq!(sums.iter().map(|s| s.red).sum::<u64>(), count(&red));
        }
        crate::simd::use_copies(Copies::Best);
    }

    #[test]
    fn median_skips_nan() {
        assert_eq!(median(&[3.0, f32::NAN, 1.0, 2.0]), 2.0);
        assert!(median(&[f32::NAN]).is_nan());
    }
}
