//! The pigmented spots found at baseline, where the pigment claim is
//! measured (DESIGN.md "Claims": the melanin-index excess over the control
//! region within the pigmented areas found at baseline).

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
/// The pigmented spots of `crop` (row-major, its size): pixels with data
/// whose melanin index, of the red reflectance smoothed by
/// [`SPOT_SIGMA_PX`], exceeds `reference_mi` by [`PIGMENT_DELTA_MI`], and
/// those within [`SPOT_MARGIN_PX`] of them.
#[must_use]
pub fn pigment_spots(crop: &RgbPlanes, lut: &LinearLut, reference_mi: f64) -> Vec<bool> {
    let r = crop.r.data();
    let (sum, n) = r
        .iter()
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0u64), |(s, n), &v| (s + lut.get(v), n + 1));
    if n == 0 {
        return vec![false; r.len()];
    }
    let mean = (sum / n as f64) as f32;
    let linear = crop.r.map(|v| {
        if v.is_finite() {
            lut.get(v) as f32
        } else {
            mean
        }
    });
    let smooth = crate::filters::gaussian_blur(&linear, SPOT_SIGMA_PX);
    // MI > reference + Δ  ⇔  R < 10^(−(reference + Δ)/100)
    let below = 10f64.powf(-(reference_mi + PIGMENT_DELTA_MI) / 100.0);
    let core: Vec<bool> = smooth
        .data()
        .iter()
        .map(|&s| f64::from(s) < below)
        .collect();
    let (w, h) = (crop.width(), crop.height());
    dilated_square(&core, w, h, SPOT_MARGIN_PX)
        .into_iter()
        .zip(r)
        .map(|(m, v)| m && v.is_finite())
        .collect()
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

/// The melanin-index excess of the spots `spots` of `crop` over a control
/// region whose mean linear red reflectance is `control_red`: the index of
/// the spots' mean red reflectance less the control's. Per-channel gains
/// cancel exactly; `None` without spots or data.
pub(super) fn spot_excess(
    crop: &RgbPlanes,
    lut: &LinearLut,
    spots: &[bool],
    control_red: f64,
) -> Option<f64> {
    if spots.len() != crop.r.len() || control_red <= 0.0 {
        return None;
    }
    let (sum, n) = crop
        .r
        .data()
        .iter()
        .zip(spots)
        .filter(|(v, on)| **on && v.is_finite())
        .fold((0.0f64, 0u64), |(s, n), (&v, _)| (s + lut.get(v), n + 1));
    (n > 0).then(|| melanin_index(sum / n as f64) - melanin_index(control_red))
}

#[cfg(test)]
mod tests {
    use super::*;

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
