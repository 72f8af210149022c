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
