//! The pigmented spots found at baseline, where the pigment claim is
//! measured: the melanin-index excess of the spots over the skin beside
//! them (DESIGN.md "Claims" said over the control region; changed on
//! purpose, README "Pigment").

use super::{LinearLut, PIGMENT_DELTA_MI, melanin_index};
use crate::raster::RgbPlanes;

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
/// How much more the blue reflectance must darken than the red, as a
/// share of the red's darkening, for a dark pixel to be pigment: melanin
/// absorbs more toward blue (in skin 1.5–3 times the red's absorbance in a
/// camera's blue band), while the shading of a line, a pore or the relief
/// darkens every channel alike (0). A trial with other code's skin found
/// the mask of darkness alone mostly lines and pores (10 % of it on the
/// spots): fading lines read "Dark-spot pigment: 20% lower", and a spot
/// fading 40 % read 4 %.
pub const SPOT_BLUE_EXCESS: f64 = 0.3;

/// The pigmented spots of `crop` (row-major, its size): pixels with data
/// whose melanin index, of the red reflectance smoothed by
/// [`SPOT_SIGMA_PX`], exceeds `reference_mi` by [`PIGMENT_DELTA_MI`] and
/// whose blue reflectance, smoothed alike, darkens more than the red by
/// [`SPOT_BLUE_EXCESS`] of the red's darkening (against the crop's median
/// blue-to-red ratio), and those within [`SPOT_MARGIN_PX`] of them.
#[must_use]
pub fn pigment_spots(crop: &RgbPlanes, lut: &LinearLut, reference_mi: f64) -> Vec<bool> {
    let r = crop.r.data();
    let (Some(red), Some(blue)) = (smoothed(&crop.r, lut), smoothed(&crop.b, lut)) else {
        return vec![false; r.len()];
    };
    // the usual skin's log10(red / blue)
    let mut ratios: Vec<f64> = red
        .data()
        .iter()
        .zip(blue.data())
        .zip(r)
        .filter(|(_, v)| v.is_finite())
        .map(|((&a, &b), _)| log_ratio(a, b))
        .collect();
    let mid = ratios.len() / 2;
    let usual = *ratios.select_nth_unstable_by(mid, f64::total_cmp).1;
    let core: Vec<bool> = red
        .data()
        .iter()
        .zip(blue.data())
        .map(|(&a, &b)| {
            // ΔMI of the red channel, and the blue's ΔMI less the red's
            let darker = melanin_index(f64::from(a).max(1e-6)) - reference_mi;
            let bluer = 100.0 * (log_ratio(a, b) - usual);
            darker > PIGMENT_DELTA_MI && bluer > SPOT_BLUE_EXCESS * darker
        })
        .collect();
    let (w, h) = (crop.width(), crop.height());
    dilated_square(&core, w, h, SPOT_MARGIN_PX)
        .into_iter()
        .zip(r)
        .map(|(m, v)| m && v.is_finite())
        .collect()
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

/// log10(red / blue) of two linear reflectances, floored.
fn log_ratio(red: f32, blue: f32) -> f64 {
    (f64::from(red).max(1e-6) / f64::from(blue).max(1e-6)).log10()
}

/// `mask` grown by `r` pixels in every direction (a square of half-side
/// `r`): a running count along rows, then along columns.
fn dilated_square(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let grow = |get: &dyn Fn(usize) -> bool, n: usize, out: &mut dyn FnMut(usize, bool)| {
        // pixels set within [i − r, i + r]
        let mut count = (0..r.min(n)).filter(|&j| get(j)).count();
        for i in 0..n {
            if i + r < n && get(i + r) {
                count += 1;
            }
            out(i, count > 0);
            if i >= r && get(i - r) {
                count -= 1;
            }
        }
    };
    let mut rows = vec![false; w * h];
    for y in 0..h {
        let line = &mask[y * w..(y + 1) * w];
        grow(&|x| line[x], w, &mut |x, v| rows[y * w + x] = v);
    }
    let mut out = vec![false; w * h];
    for x in 0..w {
        grow(&|y| rows[y * w + x], h, &mut |y, v| out[y * w + x] = v);
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

    /// Skin of linear reflectance (0.55, 0.40, 0.30) with a grey line
    /// (every channel 25 % darker: shading) across rows 8–11 and a brown
    /// spot (melanin: red 15 %, green 25 %, blue 35 % darker) of radius 6
    /// about (40, 30): only the spot is pigment, though the line is darker.
    #[test]
    fn a_spot_is_pigment_and_a_line_as_dark_is_not() {
        let (w, h) = (64, 48);
        let channel = |k: usize| {
            let skin = [0.55, 0.40, 0.30][k];
            let spot = [0.85, 0.75, 0.65][k];
            Plane::from_fn(w, h, |x, y| {
                let mut v = skin;
                if (8..12).contains(&y) {
                    v *= 0.75;
                }
                let d2 = (x as f64 - 40.0).powi(2) + (y as f64 - 30.0).powi(2);
                if d2 <= 36.0 {
                    v *= spot;
                }
                linear_to_srgb(v) as f32
            })
        };
        let crop = RgbPlanes {
            r: channel(0),
            g: channel(1),
            b: channel(2),
            model: ColourModel::Rgb,
        };
        let lut = LinearLut::default();
        let mask = pigment_spots(&crop, &lut, melanin_index(0.55));
        let on = |x: usize, y: usize| mask[y * w + x];
        assert!(on(40, 30), "the spot's centre");
        assert!((0..w).all(|x| !on(x, 2)), "plain skin");
        assert!((0..w).all(|x| !on(x, 10)), "the line");
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
