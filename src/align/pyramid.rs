//! Image pyramids and the illumination-robust representation the dense
//! stage registers.
//!
//! `structure` turns grey values into local contrast: a band-pass
//! (binomial-smoothed minus a local mean) divided by the local RMS of that
//! band. A smooth illumination gradient, a gain, a gamma or a colour cast
//! changes the local mean and contrast but barely the band's *shape*, so two
//! visits under different light look alike here while their grey values do
//! not.

use crate::filters::{box_mean, reduce, reduce_source, separable};
use crate::raster::{GreySource, Luma, Plane, RgbPlanes};

/// Images above this many pixels keep their full-resolution level as a
/// computed-on-demand source instead of a grey copy (a 12 MP copy costs more
/// than the registration's whole use of it).
const MATERIALISE_PIXELS: usize = 1_500_000;

/// Full resolution of a pyramid: a grey plane, or a colour photo's luminance.
#[derive(Clone, Copy)]
pub enum Full<'a> {
    /// A grey plane.
    Plane(&'a Plane),
    /// Luminance of a colour image, on demand.
    Luma(Luma<'a>),
}

impl GreySource for Full<'_> {
    fn width(&self) -> usize {
        match self {
            Full::Plane(p) => p.width(),
            Full::Luma(l) => l.width(),
        }
    }
    fn height(&self) -> usize {
        match self {
            Full::Plane(p) => p.height(),
            Full::Luma(l) => l.height(),
        }
    }
    #[inline]
    fn grey(&self, x: usize, y: usize) -> f32 {
        match self {
            Full::Plane(p) => p.grey(x, y),
            Full::Luma(l) => l.grey(x, y),
        }
    }
    fn row_into(&self, y: usize, buf: &mut [f32]) {
        match self {
            Full::Plane(p) => p.row_into(y, buf),
            Full::Luma(l) => l.row_into(y, buf),
        }
    }
}

/// A Gaussian pyramid: level 0 at full resolution, each next level half the
/// size (`filters::reduce`), down to a shorter side of `min_side` px.
pub struct Pyramid<'a> {
    full: Full<'a>,
    /// Level 0 as a plane (small images only, or a borrowed grey plane).
    full_plane: Option<std::borrow::Cow<'a, Plane>>,
    /// Levels 1, 2, ...
    reduced: Vec<Plane>,
}

impl<'a> Pyramid<'a> {
    /// The pyramid of a grey plane.
    #[must_use]
    pub fn of_plane(p: &'a Plane, min_side: usize) -> Pyramid<'a> {
        Pyramid::build(
            Full::Plane(p),
            Some(std::borrow::Cow::Borrowed(p)),
            min_side,
        )
    }

    /// The pyramid of a photo's luminance (level 1 is reduced straight from
    /// the colour planes; level 0 is materialised only for small photos).
    #[must_use]
    pub fn of_rgb(img: &'a RgbPlanes, min_side: usize) -> Pyramid<'a> {
        let full = Full::Luma(Luma(img));
        let plane = (img.width() * img.height() <= MATERIALISE_PIXELS)
            .then(|| std::borrow::Cow::Owned(img.luminance()));
        Pyramid::build(full, plane, min_side)
    }

    /// [`Pyramid::of_rgb`] with level 0 always materialised as a grey
    /// plane: the same values (the luminance of each pixel in the same
    /// order of operations) for a photo that is sampled a great deal at
    /// full resolution (a follow-up: dense refinement reads each sample's
    /// 16 bicubic taps in every iteration, where computing the luminance
    /// per tap cost more than one pass over the photo).
    #[must_use]
    pub fn of_rgb_materialised(img: &'a RgbPlanes, min_side: usize) -> Pyramid<'a> {
        let plane = std::borrow::Cow::Owned(img.luminance());
        Pyramid::build(Full::Luma(Luma(img)), Some(plane), min_side)
    }

    fn build(
        full: Full<'a>,
        full_plane: Option<std::borrow::Cow<'a, Plane>>,
        min_side: usize,
    ) -> Pyramid<'a> {
        let mut reduced: Vec<Plane> = Vec::new();
        let (mut w, mut h) = (full.width(), full.height());
        while w.min(h) / 2 >= min_side {
            let next = match (reduced.last(), &full_plane) {
                (Some(last), _) => reduce(last),
                (None, Some(p)) => reduce(p),
                (None, None) => reduce_source(&full),
            };
            (w, h) = (next.width(), next.height());
            reduced.push(next);
        }
        Pyramid {
            full,
            full_plane,
            reduced,
        }
    }

    /// Number of levels.
    #[must_use]
    pub fn len(&self) -> usize {
        1 + self.reduced.len()
    }

    /// Always false: a pyramid has its full-resolution level.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Level `k` as a plane, when it exists as one (level 0 of a large photo
    /// does not: use [`Pyramid::source`]).
    #[must_use]
    pub fn plane(&self, k: usize) -> Option<&Plane> {
        match k {
            0 => self.full_plane.as_deref(),
            _ => self.reduced.get(k - 1),
        }
    }

    /// Level `k` as a grey source (always available).
    #[must_use]
    pub fn source(&self, k: usize) -> &dyn GreySource {
        match (k, &self.full_plane) {
            (0, Some(p)) => &**p,
            (0, None) => &self.full,
            _ => &self.reduced[k.min(self.reduced.len()) - 1],
        }
    }

    /// Width and height of level `k`.
    #[must_use]
    pub fn size(&self, k: usize) -> (usize, usize) {
        let s = self.source(k);
        (s.width(), s.height())
    }
}

/// Levels `[full, ½, ¼, ...]` of a grey plane down to a shorter side of
/// `min_side` px, as owned planes (tests and tools).
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
    structure_in(p, Light::Encoded)
}

/// [`structure`] of the linear light of an sRGB-encoded grey image, with
/// the contrast floor of one *encoded* grey level at each place's
/// brightness, which the dense stage registers. A lens blurs linear light:
/// a blurred edge between surfaces of 10:1 (hair or clothes against skin)
/// is symmetric there and lopsided in encoded values, where a softer photo's
/// edge moves toward its dark side, by 0.25 px at σ 1.4 px against 0.6 px
/// (BENCHMARKS.md, "A framed phantom's edges"). The floor keeps dark
/// texture as it was: one encoded level is worth
/// [`encoded_step`] of linear light there, so in a dark, smooth place the
/// band, its RMS and the floor all scale alike and the representation is
/// the encoded one's.
#[must_use]
pub fn linear_structure(p: &Plane) -> Plane {
    structure_in(p, Light::Linear)
}

/// Which light [`structure_in`] takes the local contrast of.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Light {
    /// The encoded grey values as they are.
    Encoded,
    /// Their linear light ([`decoded`]).
    Linear,
}

fn structure_in(p: &Plane, light: Light) -> Plane {
    let finite_mean = {
        let v: Vec<f64> = p
            .data()
            .iter()
            .filter(|v| v.is_finite())
            .map(|&v| f64::from(v))
            .collect();
        (crate::filters::det_sum(&v) / v.len().max(1) as f64) as f32
    };
    let filled = p.map(|v| match (v.is_finite(), light) {
        (false, _) => finite_mean,
        (true, Light::Encoded) => v,
        (true, Light::Linear) => decoded(v),
    });
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
        .zip(mean.data())
        .map(|((b, e), &m)| {
            let floor = match light {
                Light::Encoded => EPSILON,
                Light::Linear => EPSILON * encoded_step(m),
            };
            b / (e + floor * floor).sqrt()
        })
        .collect();
    Plane::from_vec(p.width(), p.height(), out).expect("invariant: same size")
}

/// Steps of [`decoded`]'s table per encoded grey level.
const DECODE_STEPS: usize = 16;

/// Linear light (on the 0–255 scale) of an sRGB-encoded grey level (0–255,
/// clamped; NaN stays NaN), from a table with linear interpolation (within
/// 1e-4 of a level of the exact curve).
#[must_use]
#[inline]
pub fn decoded(v: f32) -> f32 {
    static TABLE: std::sync::LazyLock<Vec<f32>> = std::sync::LazyLock::new(|| {
        (0..=255 * DECODE_STEPS + 1)
            .map(|k| {
                let v = (k as f64 / DECODE_STEPS as f64).min(255.0);
                (255.0 * crate::raster::srgb_to_linear(v)) as f32
            })
            .collect()
    });
    if v.is_nan() {
        return v;
    }
    let t = v.clamp(0.0, 255.0) * DECODE_STEPS as f32;
    let k = t as usize;
    let f = t - k as f32;
    TABLE[k] + f * (TABLE[k + 1] - TABLE[k])
}

/// How much linear light (0–255 scale) one encoded grey level is worth at
/// linear level `l`: the slope of the sRGB curve there, d(linear)/d(encoded).
#[must_use]
pub fn encoded_step(l: f32) -> f32 {
    let c = (l / 255.0).max(0.0);
    if c <= 0.003_130_8 {
        1.0 / 12.92
    } else {
        (2.4 / 1.055) * c.powf(1.4 / 2.4)
    }
}

/// A grey source seen in linear light ([`decoded`] on every read): what the
/// dense stage registers on levels too large for [`linear_structure`].
#[derive(Clone, Copy)]
pub struct LinearLight<'a, S: GreySource + ?Sized>(pub &'a S);

impl<S: GreySource + ?Sized> GreySource for LinearLight<'_, S> {
    fn width(&self) -> usize {
        self.0.width()
    }
    fn height(&self) -> usize {
        self.0.height()
    }
    #[inline]
    fn grey(&self, x: usize, y: usize) -> f32 {
        decoded(self.0.grey(x, y))
    }
    fn row_into(&self, y: usize, buf: &mut [f32]) {
        self.0.row_into(y, buf);
        for v in buf.iter_mut() {
            *v = decoded(*v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::{linear_to_srgb, srgb_to_linear};

    #[test]
    fn the_decoding_table_is_the_srgb_curve_and_its_slope() {
        for k in 0..=25_500 {
            let v = k as f32 / 100.0;
            let exact = 255.0 * srgb_to_linear(f64::from(v));
            assert!((f64::from(decoded(v)) - exact).abs() < 1e-4, "{v}");
            // the slope at that brightness, against a central difference
            let l = exact as f32;
            let h = 0.01;
            let numeric = 255.0
                * (srgb_to_linear(f64::from(v) + h) - srgb_to_linear(f64::from(v) - h))
                / (2.0 * h);
            if v > 11.0 && v < 254.0 {
                let step = f64::from(encoded_step(l));
                assert!(
                    (step - numeric).abs() < 1e-3 * numeric,
                    "{v}: {step} {numeric}"
                );
            }
        }
        assert_eq!(decoded(-3.0), 0.0);
        assert_eq!(decoded(300.0), 255.0);
        assert!(decoded(f32::NAN).is_nan());
    }

    /// A vertical edge between linear reflectances `dark` and `bright` at
    /// x = 32.0, blurred by σ in linear light, encoded: 64 × 16 px.
    fn edge(dark: f64, bright: f64, sigma: f64) -> Plane {
        let erf = |x: f64| {
            // Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7)
            let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
            let y = 1.0
                - t * (0.254_829_592
                    + t * (-0.284_496_736
                        + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))))
                    * (-x * x).exp();
            y.copysign(x)
        };
        Plane::from_fn(64, 16, |x, _| {
            let s = 0.5 * (1.0 + erf((x as f64 - 32.0) / (sigma * 2f64.sqrt())));
            linear_to_srgb(dark + (bright - dark) * s) as f32
        })
    }

    /// Where row 8 of a structure image crosses zero between x = 28 and 36.
    fn zero_crossing(s: &Plane) -> f64 {
        (28..36)
            .find_map(|x| {
                let (a, b) = (f64::from(s.at(x, 8)), f64::from(s.at(x + 1, 8)));
                (a.signum() != b.signum()).then(|| x as f64 + a / (a - b))
            })
            .expect("a crossing at the edge")
    }

    #[test]
    fn a_softer_photos_edge_stays_in_place_in_linear_light() {
        // hair (0.03) against skin (0.3): the same edge at σ 0.6 and 1.5 px
        let (sharp, soft) = (edge(0.03, 0.3, 0.6), edge(0.03, 0.3, 1.5));
        let moved = |f: fn(&Plane) -> Plane| zero_crossing(&f(&soft)) - zero_crossing(&f(&sharp));
        let (encoded, linear) = (moved(structure), moved(linear_structure));
        eprintln!("the edge moved {encoded:+.3} px encoded, {linear:+.3} px in linear light");
        assert!(
            linear.abs() < 0.05,
            "linear light moved the edge {linear:+.3} px"
        );
        assert!(
            encoded.abs() > 0.15,
            "encoded values moved it {encoded:+.3} px"
        );
    }

    #[test]
    fn dark_smooth_texture_reads_as_in_encoded_values() {
        // a faint texture around encoded level 40: the floor of one encoded
        // level keeps its local contrast as the encoded representation has it
        let p = Plane::from_fn(64, 64, |x, y| {
            40.0 + 2.0 * ((x as f32 * 0.9).sin() + (y as f32 * 0.7).cos())
        });
        let (e, l) = (structure(&p), linear_structure(&p));
        let (mut num, mut den) = (0.0, 0.0);
        for y in 12..52 {
            for x in 12..52 {
                num += f64::from(e.at(x, y) - l.at(x, y)).powi(2);
                den += f64::from(e.at(x, y)).powi(2);
            }
        }
        assert!(
            num / den < 0.01,
            "relative difference {}",
            (num / den).sqrt()
        );
    }
}
