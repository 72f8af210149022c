//! Normalisation of a capture to the baseline: per-channel gains in linear
//! light from the control region (exposure, white balance) and the
//! shading field ([`super::shading`]: light fall-off), applied in place.

use super::{Reference, Regions, Shading, region_stats};
use crate::measure::colour::LinearLut;
use crate::raster::{ColourModel, Rect, RgbPlanes, linear_to_srgb};
use std::collections::BTreeMap;

/// Per-channel gains in linear light that bring the mean of `img`'s control
/// region (else its ROI) to the baseline's: applied by [`normalise_mut`], they
/// cancel a change of exposure and white balance. Without a control region
/// the ROI is the reference, so a real change of the region's colour is
/// cancelled too (no colour claim is made without one).
#[must_use]
pub fn gains(img: &RgbPlanes, regions: Regions, reference: &Reference) -> [f64; 3] {
    let rect = regions.control.unwrap_or(regions.roi);
    let now = region_stats(&img.crop(rect), &LinearLut::default()).mean_linear;
    gains_of(now, reference, img.model)
}

/// The gains that bring the mean linear RGB `now` to the reference's.
pub(super) fn gains_of(now: [f64; 3], reference: &Reference, model: ColourModel) -> [f64; 3] {
    let mut k = [1.0; 3];
    for c in 0..3 {
        if now[c] > 1e-6 && reference.mean_linear[c] > 1e-6 {
            k[c] = reference.mean_linear[c] / now[c];
        }
    }
    if model == ColourModel::Grey {
        k = [k[1]; 3];
    }
    k
}

/// Multiplies each channel's linear light by its gain, and by the inverse
/// of the shading field where there is one, clipped at white, in place
/// (NaN stays NaN). Without a field, through a 1/16-level table per
/// channel, linearly interpolated; with one, per pixel through
/// interpolated decoding and encoding tables (within 1e-3 levels of the
/// exact sRGB curves).
pub fn normalise_mut(img: &mut RgbPlanes, gains: [f64; 3], shading: Option<&Shading>) {
    let whole = img.r.rect();
    normalise_within_mut(img, gains, shading, &[whole]);
}

/// [`normalise_mut`] of the pixels inside `rects` only (each pixel once
/// where they overlap): the regions that are measured.
pub fn normalise_within_mut(
    img: &mut RgbPlanes,
    gains: [f64; 3],
    shading: Option<&Shading>,
    rects: &[Rect],
) {
    normalise_placed_mut(img, (0, 0), gains, shading, rects);
}

/// [`normalise_mut`] of a part cut out of a frame, its top-left pixel at
/// `origin` in the frame (the shading field is a function of frame
/// positions): each pixel gets the value it would get in the frame.
pub fn normalise_part_mut(
    part: &mut RgbPlanes,
    origin: (usize, usize),
    gains: [f64; 3],
    shading: Option<&Shading>,
) {
    let whole = part.r.rect();
    normalise_placed_mut(part, origin, gains, shading, &[whole]);
}

/// [`normalise_within_mut`] of `img` placed at `origin` in the frame the
/// field is fitted in (`rects` in `img`'s own pixels).
fn normalise_placed_mut(
    img: &mut RgbPlanes,
    origin: (usize, usize),
    gains: [f64; 3],
    shading: Option<&Shading>,
    rects: &[Rect],
) {
    let _t = crate::timing::span("normalise");
    use rayon::prelude::*;
    if shading.is_none() && gains == [1.0; 3] {
        return;
    }
    let lut = LinearLut::default();
    // without a field, one table per channel takes each value to its
    // result; with one, values are decoded, scaled and encoded per pixel
    let map = match shading {
        None => PixelMap::Tables(gains.map(|k| {
            (0..lut.len())
                .map(|i| linear_to_srgb((lut.at(i) * k).min(1.0)) as f32)
                .collect()
        })),
        Some(field) => PixelMap::Field {
            field,
            decode: (0..lut.len()).map(|i| lut.at(i) as f32).collect(),
            encode: encoding_table(),
        },
    };
    let w = img.width();
    let RgbPlanes { r, g, b, .. } = img;
    r.data_mut()
        .par_chunks_mut(w)
        .zip(g.data_mut().par_chunks_mut(w))
        .zip(b.data_mut().par_chunks_mut(w))
        .enumerate()
        .for_each(|(y, ((r, g), b))| {
            for span in row_spans(rects, y, w) {
                // the factor undoing the field at each pixel of the span
                let mut undo = Vec::new();
                if let PixelMap::Field { field, .. } = &map {
                    undo.resize(span.len(), 1.0);
                    let y = (origin.1 + y) as f64;
                    field.undo_row(origin.0 + span.start, y, &mut undo);
                }
                let start = span.start;
                for x in span {
                    let channels = [(&mut r[x], 0), (&mut g[x], 1), (&mut b[x], 2)];
                    match &map {
                        PixelMap::Tables(t) => {
                            for (v, c) in channels {
                                if v.is_finite() && gains[c] != 1.0 {
                                    *v = interpolate(&t[c], *v * 16.0);
                                }
                            }
                        }
                        PixelMap::Field { decode, encode, .. } => {
                            let f = undo[x - start];
                            for (v, c) in channels {
                                if v.is_finite() {
                                    let l =
                                        (f64::from(interpolate(decode, *v * 16.0)) * gains[c] * f)
                                            .min(1.0);
                                    *v = interpolate(encode, (l * ENCODE_STEPS as f64) as f32);
                                }
                            }
                        }
                    }
                }
            }
        });
}

/// How [`normalise_within_mut`] maps a pixel's values.
enum PixelMap<'a> {
    /// Gains only: a table per channel from encoded value to result.
    Tables([Vec<f32>; 3]),
    /// Gains and a shading field: decoding and encoding tables.
    Field {
        field: &'a Shading,
        decode: Vec<f32>,
        encode: &'static [f32],
    },
}

/// The x ranges of row `y` (of a `w` wide image) inside any of `rects`,
/// merged so that each x is in one range at most.
fn row_spans(rects: &[Rect], y: usize, w: usize) -> Vec<std::ops::Range<usize>> {
    let mut spans: Vec<std::ops::Range<usize>> = rects
        .iter()
        .filter(|r| y >= r.y && y < r.y + r.h)
        .map(|r| r.x.min(w)..(r.x + r.w).min(w))
        .filter(|s| !s.is_empty())
        .collect();
    spans.sort_by_key(|s| s.start);
    let mut merged: Vec<std::ops::Range<usize>> = Vec::with_capacity(spans.len());
    for s in spans {
        match merged.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => merged.push(s),
        }
    }
    merged
}

/// Entries of the encoding table, less one.
const ENCODE_STEPS: usize = 1 << 16;

/// sRGB-encoded values (0–255) of linear light 0–1 in [`ENCODE_STEPS`] steps.
fn encoding_table() -> &'static [f32] {
    static TABLE: std::sync::OnceLock<Vec<f32>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=ENCODE_STEPS)
            .map(|i| linear_to_srgb(i as f64 / ENCODE_STEPS as f64) as f32)
            .collect()
    })
}

/// `table` at the fractional index `x` (clamped), linearly interpolated.
fn interpolate(table: &[f32], x: f32) -> f32 {
    let last = table.len() - 1;
    let x = x.clamp(0.0, last as f32);
    let i = (x as usize).min(last - 1);
    let f = x - i as f32;
    table[i] + f * (table[i + 1] - table[i])
}

/// The colour excesses [`undo_contrast_mut`] divides by the contrast.
pub(super) const CONTRAST_SCALED: [&str; 2] = [
    crate::catalog::id::ERYTHEMA_VS_CONTROL,
    crate::catalog::id::SPOT_MELANIN,
];

/// Divides the colour excesses over the control region (and their
/// uncertainty and tiles) by the capture's log contrast relative to the baseline
/// (`contrast_vs_baseline`, [`Shading::contrast`](super::Shading::contrast)): a changed tone curve
/// scales every log ratio between two surfaces, so an unchanged excess
/// read through it would change by as much.
pub fn undo_contrast_mut(values: &mut BTreeMap<String, crate::measure::Value>, contrast: f64) {
    if !(contrast.is_finite() && contrast > 0.0) || contrast == 1.0 {
        return;
    }
    for id in CONTRAST_SCALED {
        if let Some(v) = values.get_mut(id) {
            v.value /= contrast;
            v.uncertainty /= contrast;
            v.widened /= contrast;
            for t in &mut v.tiles {
                *t /= contrast;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{exposed, skin};
    use super::super::{Verdict, assess, reference};
    use super::*;
    use crate::align::Registration;

    #[test]
    fn normalising_within_rects_touches_each_pixel_inside_once_and_nothing_outside() {
        let (base, regions) = skin();
        let reference = reference(&base, regions);
        let changed = exposed(&base, [0.7 * 0.9, 0.7, 0.7 * 1.1]);
        let k = gains(&changed, regions, &reference);
        let mut whole = changed.clone();
        normalise_mut(&mut whole, k, None);
        // two overlapping rectangles and one reaching past the right edge
        let (w, h) = (changed.width(), changed.height());
        let rects = [
            Rect::new(3, 4, 20, 15),
            Rect::new(10, 10, 25, 12),
            Rect::new(w - 6, 2, 6, h - 4),
        ];
        let mut part = changed.clone();
        normalise_within_mut(&mut part, k, None, &rects);
        for y in 0..h {
            for x in 0..w {
                let inside = rects
                    .iter()
                    .any(|r| x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h);
                let want = if inside { &whole } else { &changed };
                assert_eq!(
                    part.g.at(x, y).to_bits(),
                    want.g.at(x, y).to_bits(),
                    "({x}, {y})"
                );
            }
        }
    }

    #[test]
    fn normalising_a_cut_out_part_equals_the_same_part_of_the_frame() {
        // with a shading field, whose value depends on the frame position
        let (base, regions) = skin();
        let reference = reference(&base, regions);
        let changed = exposed(&base, [0.7 * 0.9, 0.7, 0.7 * 1.1]);
        let k = gains(&changed, regions, &reference);
        let field = Shading::test_field(changed.width(), changed.height());
        let mut whole = changed.clone();
        normalise_mut(&mut whole, k, Some(&field));
        let r = Rect::new(7, 5, 21, 13);
        let mut part = changed.crop(r);
        normalise_part_mut(&mut part, (r.x, r.y), k, Some(&field));
        let want = whole.crop(r);
        for (a, b) in [(&part.r, &want.r), (&part.g, &want.g), (&part.b, &want.b)] {
            let bits = |p: &crate::raster::Plane| -> Vec<u32> {
                p.data().iter().map(|v| v.to_bits()).collect()
            };
            assert_eq!(bits(a), bits(b));
        }
        // and the field changes the values (the test would pass without it)
        let mut flat = changed.crop(r);
        normalise_part_mut(&mut flat, (r.x, r.y), k, None);
        assert_ne!(flat.g.data(), part.g.data());
    }

    #[test]
    fn normalisation_undoes_exposure_and_white_balance() {
        let (base, regions) = skin();
        let reference = reference(&base, regions);
        // darker, and bluer: 0.7 × exposure with a ±10 % white balance
        let changed = exposed(&base, [0.7 * 0.9, 0.7, 0.7 * 1.1]);
        let k = gains(&changed, regions, &reference);
        // the control region's mean scales exactly by the gain; the table
        // between 1/16 levels is within 3e-4 relative
        for (got, want) in k.iter().zip([1.0 / 0.63, 1.0 / 0.7, 1.0 / 0.77]) {
            assert!((got / want - 1.0).abs() < 1e-3, "{got} vs {want}");
        }
        let mut back = changed.clone();
        normalise_mut(&mut back, k, None);
        let worst = [(&back.r, &base.r), (&back.g, &base.g), (&back.b, &base.b)]
            .iter()
            .flat_map(|(a, b)| a.data().iter().zip(b.data()).map(|(x, y)| (x - y).abs()))
            .fold(0.0f32, f32::max);
        // table interpolation and the gain estimate: well under a level
        assert!(worst < 0.5, "{worst}");
        // within the accepted variation: measured, not flagged; the gains
        // come with the verdict, from the same means
        let q = assess(&changed, regions, &reference, &Registration::identity());
        assert_eq!(q.gains, k);
        assert!(q.measures["colour_cast_vs_baseline"] > 5.0);
        assert_eq!(q.status, Verdict::Ok, "{:?}", q.reasons);
        // exposure alone: the luminance ratio is the gain
        let darker = exposed(&base, [0.7; 3]);
        let q = assess(&darker, regions, &reference, &Registration::identity());
        let exposure = q.measures["exposure_vs_baseline"];
        assert!((exposure - 0.7).abs() < 1e-3, "{exposure}");
        assert!(q.measures["colour_cast_vs_baseline"] < 0.1);
    }

    #[test]
    fn light_fall_off_is_undone_and_a_change_inside_the_region_is_kept() {
        let (base, regions) = skin();
        let (w, h) = (base.width(), base.height());
        let reference = reference(&base, regions);
        // vignetting about a centre off the frame's (30 % at the far
        // corner) and a side light's gradient, on top of exposure and white
        // balance; inside the ROI the green channel loses 10 % (more
        // haemoglobin: the treatment's redness), which must stay
        let roi = regions.roi;
        let field = |x: usize, y: usize| {
            let (u, v) = ((x as f64 - 180.0) / 200.0, (y as f64 - 110.0) / 200.0);
            (1.0 - 0.3 * (u * u + v * v) / 1.5) * (1.0 + 0.1 * u)
        };
        let inside =
            |x: usize, y: usize| x >= roi.x && y >= roi.y && x < roi.x + roi.w && y < roi.y + roi.h;
        let gains = [0.8 * 1.05, 0.8, 0.8 * 0.95];
        let mut changed = base.clone();
        for (c, p) in [&mut changed.r, &mut changed.g, &mut changed.b]
            .into_iter()
            .enumerate()
        {
            for y in 0..h {
                for x in 0..w {
                    let treated = if c == 1 && inside(x, y) { 0.9 } else { 1.0 };
                    let l = crate::raster::srgb_to_linear(f64::from(p.at(x, y)))
                        * gains[c]
                        * field(x, y)
                        * treated;
                    p.set(x, y, linear_to_srgb(l.min(1.0)) as f32);
                }
            }
        }
        let q = assess(&changed, regions, &reference, &Registration::identity());
        assert!(q.shading.is_some(), "{q:?}");
        // the ROI centre is about 11 % brighter than the control's corner
        // here; the measure names the largest difference over the ROI
        assert!(q.measures["shading_vs_baseline"] > 5.0, "{q:?}");
        let mut back = changed.clone();
        normalise_mut(&mut back, q.gains, q.shading.as_ref());
        let lin = |p: &crate::raster::Plane, x: usize, y: usize| {
            crate::raster::srgb_to_linear(f64::from(p.at(x, y)))
        };
        let (mut worst_out, mut worst_red, mut worst_green) = (0.0f64, 0.0f64, 0.0f64);
        for y in (0..h).step_by(3) {
            for x in (0..w).step_by(3) {
                let red = lin(&back.r, x, y) / lin(&base.r, x, y) - 1.0;
                let green = lin(&back.g, x, y) / lin(&base.g, x, y) - 1.0;
                if inside(x, y) {
                    worst_red = worst_red.max(red.abs());
                    worst_green = worst_green.max((green + 0.1).abs());
                } else {
                    worst_out = worst_out.max(red.abs()).max(green.abs());
                }
            }
        }
        // the quadratic fits the product of the two fields to ~1 %; without
        // the field the corners are off by up to 30 %, and a field that
        // absorbed the treatment would leave green inside near 0, not −10 %
        assert!(worst_out < 0.03, "outside the ROI: {worst_out}");
        assert!(worst_red < 0.03, "red inside: {worst_red}");
        assert!(
            worst_green < 0.03,
            "green inside (treated −10 %): {worst_green}"
        );
    }

    #[test]
    fn the_encoding_table_is_the_srgb_curve() {
        // the per-pixel path encodes through the table: within 1e-3 levels
        // of the formula everywhere, also on the steep part near black
        let t = encoding_table();
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let l = f64::from(i) / 200_000.0;
            let got = f64::from(interpolate(t, (l * ENCODE_STEPS as f64) as f32));
            worst = worst.max((got - linear_to_srgb(l)).abs());
        }
        assert!(worst < 1e-3, "{worst}");
    }

    #[test]
    fn colour_excesses_are_divided_by_the_captures_contrast() {
        use crate::catalog::id;
        let value = |v: f64| crate::measure::Value::new(v, "", crate::catalog::Better::Lower, 0.5);
        let mut values: BTreeMap<String, crate::measure::Value> = [
            (id::ERYTHEMA_VS_CONTROL, 8.8),
            (id::SPOT_MELANIN, 11.0),
            (id::ROUGHNESS, 3.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), value(v)))
        .collect();
        undo_contrast_mut(&mut values, 1.1);
        let got = |k: &str| (values[k].value, values[k].uncertainty);
        let close =
            |(a, b): (f64, f64), (c, d): (f64, f64)| (a - c).abs() < 1e-12 && (b - d).abs() < 1e-12;
        assert!(close(got(id::ERYTHEMA_VS_CONTROL), (8.0, 0.5 / 1.1)));
        assert!(close(got(id::SPOT_MELANIN), (10.0, 0.5 / 1.1)));
        // a ratio of two regions' structure is left alone: a tone curve
        // scales both
        assert!(close(got(id::ROUGHNESS), (3.0, 0.5)));
    }
}
