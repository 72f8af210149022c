//! The pigmented spots found at baseline, where the pigment claim is
//! measured: the melanin-index excess of the spots over the skin beside
//! them (DESIGN.md "Claims" said over the control region; changed on
//! purpose, README "Pigment").

use super::{LinearLut, melanin_index};
use crate::raster::RgbPlanes;
use crate::stats::median;

/// σ (px) of the smoothing of the red reflectance before pigmented spots
/// are found: the mask follows spots, not the sensor noise of single
/// pixels (a mask of pixels picked by their noise reads fainter at every
/// later capture, by regression to the mean).
pub const SPOT_SIGMA_PX: f64 = 2.0;
/// How far the pigmented spots' mask reaches beyond the spots, px (a
/// square of this half-side): a softer capture spreads a spot's darkness
/// about its edge, and blur in linear light keeps the sum of the red
/// reflectance over a region that holds the spread, so the spots' excess
/// does not read fainter on a blurred photo (σ 1.5 px: 2.7 σ).
pub const SPOT_MARGIN_PX: usize = 4;
/// The melanin colour a pixel needs to be pigment, in units of
/// 100·log10 of absorbance (as the melanin index), over the usual skin's:
/// how much more its blue darkens than [`SPOT_GREEN_WEIGHT`] of its green
/// and the rest of its red (see [`melanin_colour`]). A spot whose melanin
/// darkens the red by 5 MI units reads 5.5 here for the camera-band
/// absorbance of melanin in the literature (R : G : B about 1 : 1.4 : 2.4),
/// 3.75 with 1 : 1.6 : 2.2, and 17 with the phantom's 1 : 3.2 : 6; the
/// sensor noise after [`SPOT_SIGMA_PX`] is about 0.3.
pub const SPOT_MELANIN_MIN: f64 = 3.0;
/// How much darker than the usual skin, in melanin-index units of the red
/// (smoothed alike, over the region's median), a pixel of melanin's colour
/// must be to be pigment: under lights of two colours the facets of the
/// relief turned to the warmer light take melanin's colour but not its
/// darkness (a held-out trial's mask of colour alone read the spots 0.84
/// units lighter than the skin beside them), and pixels lighter than their
/// neighbours in the red held the spots' excess below the spots' own (a
/// faint spot fading 43 % read 51 %, 45 % with this test). A spot whose
/// melanin darkens the red by 5 units passes with room.
pub const SPOT_DARKER_MIN: f64 = 2.0;
/// The weight of the green in the melanin colour (the red has the rest):
/// haemoglobin darkens blue 0.6–1.0 times as much as green beyond its red,
/// melanin 1.5–3 times, so blue less 0.75 of green and 0.25 of red keeps
/// melanin and leaves a red blotch within about ±0.25 of its erythema
/// index. Shading darkens every channel alike and cancels exactly.
pub const SPOT_GREEN_WEIGHT: f64 = 0.75;

/// The pigmented spots of `crop` (row-major, its size): pixels with data
/// whose melanin colour (of the reflectances smoothed by [`SPOT_SIGMA_PX`])
/// exceeds the crop's median by [`SPOT_MELANIN_MIN`] and whose red's
/// melanin index exceeds its median by [`SPOT_DARKER_MIN`], and those within
/// [`SPOT_MARGIN_PX`] of them. The colour, not the darkness: a line, a
/// pore or the relief darkens every channel alike, and a mask of darkness
/// had held the lines crossing faint spots rather than the spots (a trial
/// on other code's skin: lines fading read "Dark-spot pigment: 18% lower",
/// faint spots fading 40 % read 11 %).
#[must_use]
pub fn pigment_spots(crop: &RgbPlanes, lut: &LinearLut) -> Vec<bool> {
    let r = crop.r.data();
    let (Some(red), Some(green), Some(blue)) = (
        smoothed(&crop.r, lut),
        smoothed(&crop.g, lut),
        smoothed(&crop.b, lut),
    ) else {
        return vec![false; r.len()];
    };
    let colour: Vec<f64> = red
        .data()
        .iter()
        .zip(green.data())
        .zip(blue.data())
        .map(|((&r, &g), &b)| melanin_colour(r, g, b))
        .collect();
    let darkness: Vec<f64> = red
        .data()
        .iter()
        .map(|&v| melanin_index(f64::from(v)))
        .collect();
    // the median over the pixels with data
    let usual = |values: &[f64]| {
        median(
            &mut values
                .iter()
                .zip(r)
                .filter(|(_, v)| v.is_finite())
                .map(|(&c, _)| c)
                .collect::<Vec<_>>(),
        )
    };
    let (usual_colour, usual_darkness) = (usual(&colour), usual(&darkness));
    let core: Vec<bool> = colour
        .iter()
        .zip(&darkness)
        .map(|(&c, &d)| c - usual_colour > SPOT_MELANIN_MIN && d - usual_darkness > SPOT_DARKER_MIN)
        .collect();
    let (w, h) = (crop.width(), crop.height());
    dilated_square(&core, w, h, SPOT_MARGIN_PX)
        .into_iter()
        .zip(r)
        .map(|(m, v)| m && v.is_finite())
        .collect()
}

/// The melanin colour of linear reflectances: the blue's absorbance less
/// [`SPOT_GREEN_WEIGHT`] of the green's and the rest of the red's, each
/// 100·log10(1/reflectance), floored.
fn melanin_colour(red: f32, green: f32, blue: f32) -> f64 {
    let a = |v: f32| -100.0 * f64::from(v).max(1e-6).log10();
    a(blue) - SPOT_GREEN_WEIGHT * a(green) - (1.0 - SPOT_GREEN_WEIGHT) * a(red)
}

/// The linear reflectance of `plane` smoothed by [`SPOT_SIGMA_PX`] (a pixel
/// without data takes the mean); `None` without data.
fn smoothed(plane: &crate::raster::Plane, lut: &LinearLut) -> Option<crate::raster::Plane> {
    let (sum, n) = plane
        .data()
        .iter()
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0u64), |(s, n), &v| (s + lut.get(v), n + 1));
    if n == 0 {
        return None;
    }
    let mean = (sum / n as f64) as f32;
    let linear = plane.map(|v| {
        if v.is_finite() {
            lut.get(v) as f32
        } else {
            mean
        }
    });
    Some(crate::filters::gaussian_blur(&linear, SPOT_SIGMA_PX))
}

/// `mask` grown by `r` pixels in every direction (a square of half-side
/// `r`): a running count along each row, then running counts of the rows'
/// result down every column at once (row by row, so memory is read in
/// order).
fn dilated_square(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let mut rows = vec![false; w * h];
    for (line, out) in mask.chunks_exact(w).zip(rows.chunks_exact_mut(w)) {
        // pixels set within [x − r, x + r]
        let mut count = line[..r.min(w)].iter().filter(|&&on| on).count();
        for x in 0..w {
            if x + r < w && line[x + r] {
                count += 1;
            }
            out[x] = count > 0;
            if x >= r && line[x - r] {
                count -= 1;
            }
        }
    }
    let row = |y: usize| &rows[y * w..(y + 1) * w];
    // per column: rows set within [y − r, y + r]
    let mut counts = vec![0u32; w];
    for y in 0..r.min(h) {
        for (c, &on) in counts.iter_mut().zip(row(y)) {
            *c += u32::from(on);
        }
    }
    let mut out = vec![false; w * h];
    for y in 0..h {
        if y + r < h {
            for (c, &on) in counts.iter_mut().zip(row(y + r)) {
                *c += u32::from(on);
            }
        }
        for (o, &c) in out[y * w..(y + 1) * w].iter_mut().zip(&counts) {
            *o = c > 0;
        }
        if y >= r {
            for (c, &on) in counts.iter_mut().zip(row(y - r)) {
                *c -= u32::from(on);
            }
        }
    }
    out
}

/// How far around the spots' mask the skin they are compared with reaches,
/// px: the skin beside them, lit and treated as they are.
pub const SPOT_SURROUND_PX: usize = 24;
/// The skin within this many px of the mask is left out of that: the spots'
/// own fading edges.
pub const SPOT_GAP_PX: usize = 8;

/// The melanin-index excess of the spots `spots` of `crop` over the skin
/// around them (within [`SPOT_SURROUND_PX`] of the mask, beyond
/// [`SPOT_GAP_PX`]): the index of the spots' mean red reflectance less that
/// of the skin beside them. Per-channel gains and a smooth change of light cancel, and so does
/// a change of the whole treated area's colour (its redness fading: the red
/// channel's share of the haemoglobin's absorbance had read as the spots
/// fading). `None` without spots, without skin beside them, or without data.
pub(super) fn spot_excess(crop: &RgbPlanes, lut: &LinearLut, spots: &[bool]) -> Option<f64> {
    if spots.len() != crop.r.len() {
        return None;
    }
    let (w, h) = (crop.width(), crop.height());
    let (near, around) = (
        dilated_square(spots, w, h, SPOT_GAP_PX),
        dilated_square(spots, w, h, SPOT_SURROUND_PX),
    );
    let (mut on, mut beside) = ((0.0f64, 0u64), (0.0f64, 0u64));
    let masks = spots.iter().zip(&near).zip(&around);
    for (&v, ((&spot, &near), &around)) in crop.r.data().iter().zip(masks) {
        if !v.is_finite() {
            continue;
        }
        let sum = if spot {
            &mut on
        } else if around && !near {
            &mut beside
        } else {
            continue;
        };
        sum.0 += lut.get(v);
        sum.1 += 1;
    }
    (on.1 > 0 && beside.1 > 0 && beside.0 > 0.0)
        .then(|| melanin_index(on.0 / on.1 as f64) - melanin_index(beside.0 / beside.1 as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::{ColourModel, Plane, linear_to_srgb};

    /// Absorbance (100·log10) per channel of melanin darkening the red by
    /// one MI unit: the literature's camera bands, another generator's and
    /// the phantom's.
    const MELANIN: [[f64; 3]; 3] = [[1.0, 1.4, 2.4], [1.0, 1.6, 2.2], [1.0, 3.2, 6.0]];
    /// Absorbance per channel of haemoglobin raising the erythema index by
    /// one unit, alike.
    const HAEMOGLOBIN: [[f64; 3]; 3] = [[0.19, 1.19, 1.07], [0.11, 1.11, 0.67], [0.2, 1.2, 1.2]];

    /// Skin of linear reflectance (0.55, 0.40, 0.30) with a grey line (every
    /// channel 25 % darker: shading) across rows 8–11, a faint melanin spot
    /// (5 MI units in the red) of radius 5 on the line at (52, 10), another
    /// of radius 6 at (40, 30), a red blotch (10 EI units) of radius 6 at
    /// (14, 30) and a facet bluer than the skin but lighter at (24, 40):
    /// the spots are pigment whole, the darker line, the blotch and the
    /// facet are not, for each chromophore in [`MELANIN`] and
    /// [`HAEMOGLOBIN`].
    #[test]
    fn spots_are_pigment_whole_and_a_line_a_red_blotch_or_a_lighter_facet_is_not() {
        let (w, h) = (64, 48);
        let disc = |x: usize, y: usize, cx: f64, cy: f64, r: f64| {
            (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2) <= r * r
        };
        for (melanin, haemoglobin) in MELANIN.iter().zip(&HAEMOGLOBIN) {
            let channel = |k: usize| {
                let skin = [0.55, 0.40, 0.30][k];
                Plane::from_fn(w, h, |x, y| {
                    let mut absorbance = 0.0;
                    if (8..12).contains(&y) {
                        absorbance -= 100.0 * 0.75f64.log10();
                    }
                    if disc(x, y, 52.0, 10.0, 5.0) || disc(x, y, 40.0, 30.0, 6.0) {
                        absorbance += 5.0 * melanin[k];
                    }
                    if disc(x, y, 14.0, 30.0, 6.0) {
                        absorbance += 10.0 * haemoglobin[k];
                    }
                    // a facet turned to a warmer light: melanin's colour,
                    // but lighter
                    if disc(x, y, 24.0, 40.0, 5.0) {
                        absorbance += [-4.0, 0.0, 3.0][k];
                    }
                    linear_to_srgb(skin * 10f64.powf(-absorbance / 100.0)) as f32
                })
            };
            let crop = RgbPlanes {
                r: channel(0),
                g: channel(1),
                b: channel(2),
                model: ColourModel::Rgb,
            };
            let mask = pigment_spots(&crop, &LinearLut::default());
            for y in 0..h {
                for x in 0..w {
                    let on = mask[y * w + x];
                    let spot = disc(x, y, 52.0, 10.0, 5.0) || disc(x, y, 40.0, 30.0, 6.0);
                    let near = disc(x, y, 52.0, 10.0, 15.0) || disc(x, y, 40.0, 30.0, 16.0);
                    assert!(on || !spot, "{melanin:?}: the spot at ({x}, {y})");
                    assert!(!on || near, "{melanin:?} {haemoglobin:?}: ({x}, {y})");
                }
            }
        }
    }

    /// Skin of linear reflectance `skin` with a spot of radius 6 about
    /// (32, 24) whose red is `spot_red` of the skin's there, as sRGB planes.
    fn skin_with_spot(skin: [f64; 3], spot_red: f64) -> RgbPlanes {
        let channel = |k: usize| {
            Plane::from_fn(64, 48, |x, y| {
                let d2 = (x as f64 - 32.0).powi(2) + (y as f64 - 24.0).powi(2);
                let v = skin[k] * if d2 <= 36.0 && k == 0 { spot_red } else { 1.0 };
                linear_to_srgb(v) as f32
            })
        };
        RgbPlanes {
            r: channel(0),
            g: channel(1),
            b: channel(2),
            model: ColourModel::Rgb,
        }
    }

    #[test]
    fn the_spots_excess_is_over_the_skin_beside_them_whatever_its_colour() {
        let lut = LinearLut::default();
        let mask: Vec<bool> = (0..64 * 48)
            .map(|i| {
                let (x, y) = ((i % 64) as f64, (i / 64) as f64);
                (x - 32.0).powi(2) + (y - 24.0).powi(2) <= 36.0
            })
            .collect();
        let excess = |skin, spot_red| {
            spot_excess(&skin_with_spot(skin, spot_red), &lut, &mask).expect("an excess")
        };
        // the spot's red 20 % darker: 100·log10(1/0.8) = 9.69 units
        let want = -100.0 * 0.8f64.log10();
        let plain = excess([0.55, 0.40, 0.30], 0.8);
        assert!((plain - want).abs() < 0.05, "{plain} vs {want}");
        // the whole area's redness fading (red 4 % lighter, green 10 %) or
        // darker light: the same excess; the spot fading: a smaller one
        for skin in [[0.572, 0.44, 0.31], [0.33, 0.24, 0.18]] {
            let e = excess(skin, 0.8);
            assert!((e - plain).abs() < 0.05, "{skin:?}: {e} vs {plain}");
        }
        let faded = excess([0.55, 0.40, 0.30], 0.9);
        assert!((faded + 100.0 * 0.9f64.log10()).abs() < 0.05, "{faded}");
        // a mask over everything has no skin beside it
        assert_eq!(
            spot_excess(
                &skin_with_spot([0.55, 0.4, 0.3], 0.8),
                &lut,
                &[true; 64 * 48]
            ),
            None
        );
    }

    #[test]
    fn dilated_square_equals_a_naive_max_filter() {
        let (w, h) = (13, 9);
        for (seed, r) in [(1u64, 0usize), (2, 1), (3, 2), (4, 4), (5, 12)] {
            let mask: Vec<bool> = (0..w * h)
                .map(|i| ((i as u64 * 2_654_435_761) ^ (seed * 97)).is_multiple_of(11))
                .collect();
            let got = dilated_square(&mask, w, h, r);
            for y in 0..h {
                for x in 0..w {
                    let want = (y.saturating_sub(r)..(y + r + 1).min(h)).any(|yy| {
                        (x.saturating_sub(r)..(x + r + 1).min(w)).any(|xx| mask[yy * w + xx])
                    });
                    assert_eq!(got[y * w + x], want, "r {r} at ({x}, {y})");
                }
            }
        }
    }
}
