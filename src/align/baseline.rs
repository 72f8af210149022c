//! The baseline's half of a registration, made once per view.
//!
//! Every follow-up of a view is registered to the same baseline photo, and
//! the baseline's pyramid, its keypoints and descriptors and the
//! local-contrast images of its small levels do not depend on the
//! follow-up. [`Baseline::prepared`] makes them once, before the captures
//! fan out (never lazily: a rayon worker waiting inside a lazy cell could
//! steal a task that waits on the same cell); each registration reads them
//! and computes exactly what it computed before, so the transforms are the
//! same bits. [`Baseline::bare`] caches nothing, for a single pair.

use super::features::{self, Features};
use super::pyramid::{self, Pyramid};
use super::{AlignOptions, LOCAL_NORM_PIXELS, level_at_most};
use crate::raster::Plane;
use std::borrow::Cow;

/// A baseline's pyramid and what registrations to it share.
pub struct Baseline<'a> {
    pyramid: Pyramid<'a>,
    /// Keypoints of the level the baseline's pyramid alone gives for
    /// keypoints: (level, keypoints asked for, features).
    features: Option<(usize, usize, Features)>,
    /// `pyramid::structure` of each level refined as a whole image.
    structure: Vec<Option<Plane>>,
}

impl<'a> std::ops::Deref for Baseline<'a> {
    type Target = Pyramid<'a>;
    fn deref(&self) -> &Pyramid<'a> {
        &self.pyramid
    }
}

impl<'a> Baseline<'a> {
    /// `pyramid` with nothing computed ahead: for one registration.
    #[must_use]
    pub fn bare(pyramid: Pyramid<'a>) -> Self {
        Baseline {
            pyramid,
            features: None,
            structure: Vec::new(),
        }
    }

    /// `pyramid` with its keypoints (as `opts` asks for them, on the level a
    /// follow-up of the same size uses) and the local-contrast images of its
    /// whole-image levels made now, to register several follow-ups to it.
    #[must_use]
    pub fn prepared(pyramid: Pyramid<'a>, opts: &AlignOptions) -> Self {
        let _t = crate::timing::span("align: baseline");
        let coarse = level_at_most(&pyramid, pyramid.len(), opts.coarse_max_side);
        let (features, structure) = rayon::join(
            || {
                pyramid.plane(coarse).map(|p| {
                    let f = features::detect_and_describe(p, opts.max_keypoints);
                    (coarse, opts.max_keypoints, f)
                })
            },
            || {
                use rayon::prelude::*;
                (0..pyramid.len())
                    .into_par_iter()
                    .map(|k| {
                        let (w, h) = pyramid.size(k);
                        (w * h <= LOCAL_NORM_PIXELS)
                            .then(|| pyramid.plane(k).map(pyramid::structure))
                            .flatten()
                    })
                    .collect()
            },
        );
        Baseline {
            pyramid,
            features,
            structure,
        }
    }

    /// [`Baseline::prepared`] of a colour photo's luminance pyramid (the
    /// one `register_rgb` builds).
    #[must_use]
    pub fn of_rgb(img: &'a crate::raster::RgbPlanes, opts: &AlignOptions) -> Self {
        Baseline::prepared(Pyramid::of_rgb(img, 24), opts)
    }

    /// The baseline's keypoints on `level` (`max` of them): made ahead, or
    /// `None` when they must be made now.
    pub(super) fn features(&self, level: usize, max: usize) -> Option<&Features> {
        self.features
            .as_ref()
            .filter(|(l, m, _)| *l == level && *m == max)
            .map(|(_, _, f)| f)
    }

    /// `pyramid::structure` of level `k`, whose plane is `plane`: made ahead
    /// or now.
    pub(super) fn structure(&self, k: usize, plane: &Plane) -> Cow<'_, Plane> {
        match self.structure.get(k) {
            Some(Some(s)) => Cow::Borrowed(s),
            _ => Cow::Owned(pyramid::structure(plane)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Homography;

    #[test]
    fn a_prepared_baseline_registers_to_the_same_bits_as_a_bare_one() {
        // a textured grey image and a shifted, slightly turned copy
        let img = crate::phantom::skin_image(5, 400, 300, 0.05, 0.0);
        let base = img.luminance();
        let t = Homography::similarity_about(0.02, 1.01, 200.0, 150.0);
        let moving = super::super::warp::warp_plane(&base, &t, 400, 300)
            .map(|v| if v.is_finite() { v } else { 128.0 });
        let opts = AlignOptions::default();
        let pm = Pyramid::of_plane(&moving, 24);
        let bare =
            super::super::register_to(&Baseline::bare(Pyramid::of_plane(&base, 24)), &pm, &opts);
        let prepared = Baseline::prepared(Pyramid::of_plane(&base, 24), &opts);
        assert!(prepared.features.is_some());
        assert!(prepared.structure.iter().flatten().count() >= 2);
        let again = super::super::register_to(&prepared, &pm, &opts);
        assert!(bare.is_ok(), "{bare:?}");
        let bits = |r: &super::super::Registration| {
            r.base_from_moving
                .0
                .iter()
                .flatten()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&bare), bits(&again));
        assert_eq!(bare.score.to_bits(), again.score.to_bits());
        assert_eq!(
            bare.precision_px.map(f64::to_bits),
            again.precision_px.map(f64::to_bits)
        );
    }

    #[test]
    fn a_follow_up_over_the_materialising_size_registers_to_the_same_bits() {
        // 1300 × 1200 px: above the size `Pyramid::of_rgb` materialises, so
        // `register_rgb` samples the moving photo's luminance per tap while
        // `register_rgb_to` reads a materialised plane (and a prepared
        // baseline)
        let base = crate::phantom::skin_image(8, 1300, 1200, 0.05, 0.0);
        let t = Homography::similarity_about(-0.015, 0.99, 650.0, 600.0);
        let moving = super::super::warp::warp_rgb(&base, &t, 1300, 1200)
            .map_planes(|p| p.map(|v| if v.is_finite() { v } else { 128.0 }));
        let opts = AlignOptions::default();
        let alone = super::super::register_rgb(&base, &moving, &opts);
        let shared = super::super::register_rgb_to(&Baseline::of_rgb(&base, &opts), &moving, &opts);
        assert!(alone.is_ok(), "{alone:?}");
        let bits = |r: &super::super::Registration| {
            r.base_from_moving
                .0
                .iter()
                .flatten()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&alone), bits(&shared));
        assert_eq!(alone.score.to_bits(), shared.score.to_bits());
        assert_eq!(
            alone.structure_score.to_bits(),
            shared.structure_score.to_bits()
        );
        // and the pyramids themselves
        let (lazy, made) = (
            Pyramid::of_rgb(&moving, 24),
            Pyramid::of_rgb_materialised(&moving, 24),
        );
        assert!(lazy.plane(0).is_none() && made.plane(0).is_some());
        assert_eq!(lazy.len(), made.len());
        for k in 1..lazy.len() {
            assert_eq!(lazy.plane(k), made.plane(k), "level {k}");
        }
    }
}
