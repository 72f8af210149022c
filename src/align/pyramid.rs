//! Image pyramids and the illumination-robust representation the dense
//! stage registers.
//!
//! `structure` turns grey values into local contrast: a band-pass
//! (binomial-smoothed minus a local mean) divided by the local RMS of that
//! band. A smooth illumination gradient, a gain, a gamma or a colour cast
//! changes the local mean and contrast but barely the band's *shape*, so two
//! visits under different light look alike here while their grey values do
//! not.

use crate::filters::{box_mean, reduce, separable};
use crate::raster::Plane;

/// Levels `[full, ½, ¼, ...]` down to a shorter side of `min_side` px.
#[must_use]
pub fn gaussian_pyramid(p: &Plane, min_side: usize) -> Vec<Plane> {
    let mut levels = vec![p.clone()];
    while let Some(last) = levels.last() {
        if last.width().min(last.height()) / 2 < min_side {
            break;
        }
        let next = reduce(last);
        levels.push(next);
    }
    levels
}

/// Radius of the local mean removed by the band-pass, px.
const MEAN_RADIUS: usize = 4;
/// Radius of the local RMS normalisation, px.
const RMS_RADIUS: usize = 8;
/// Contrast floor (grey levels): flat areas stay flat instead of amplified noise.
const EPSILON: f32 = 1.0;

/// Local-contrast representation of a grey image (see the module docs).
/// `NaN` pixels are treated as the local mean (zero band).
#[must_use]
pub fn structure(p: &Plane) -> Plane {
    let finite_mean = {
        let v: Vec<f64> = p
            .data()
            .iter()
            .filter(|v| v.is_finite())
            .map(|&v| f64::from(v))
            .collect();
        (crate::filters::det_sum(&v) / v.len().max(1) as f64) as f32
    };
    let filled = p.map(|v| if v.is_finite() { v } else { finite_mean });
    let smooth = separable(&filled, &[0.0625, 0.25, 0.375, 0.25, 0.0625]);
    let mean = box_mean(&smooth, MEAN_RADIUS);
    let band: Vec<f32> = smooth
        .data()
        .iter()
        .zip(mean.data())
        .map(|(a, b)| a - b)
        .collect();
    let band = Plane::from_vec(p.width(), p.height(), band).expect("invariant: same size");
    let energy = box_mean(&band.map(|v| v * v), RMS_RADIUS);
    let out: Vec<f32> = band
        .data()
        .iter()
        .zip(energy.data())
        .map(|(b, e)| b / (e + EPSILON * EPSILON).sqrt())
        .collect();
    Plane::from_vec(p.width(), p.height(), out).expect("invariant: same size")
}
