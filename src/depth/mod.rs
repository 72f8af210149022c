//! True surface height: photometric stereo ([`stereo`]), normal
//! integration ([`integrate`]), height maps from 3D skin cameras, and the
//! measures of a surface ([`surface`]: ISO 25178, scars).
//!
//! Conventions: normals and lights in the DiLiGenT frame (x right, y up,
//! z toward the camera); heights positive toward the camera, in µm when the
//! scale is known and in pixel widths otherwise.

pub mod fill;
pub mod integrate;
pub mod pores;
pub mod scars;
pub mod series;
pub mod stereo;
pub mod surface;
pub mod tone;

use crate::raster::{HeightUnit, Plane};
use crate::units::MmPerPx;
use serde::Serialize;
use stereo::{Normals, StereoOptions};
use surface::{Iso25178, Scar, Surface};

/// What a surface yields: the levelled ISO parameters, the same after form
/// removal, and the scars.
#[derive(Clone, Debug, Serialize)]
pub struct SurfaceReport {
    /// "um" or "px" (heights in pixel widths, no scale known).
    pub height_unit: &'static str,
    /// Lateral scale, when known.
    pub mm_per_px: Option<MmPerPx>,
    /// ISO 25178 of the plane-levelled surface (F-operator: least-squares plane).
    pub iso25178: Option<Iso25178>,
    /// ISO 25178 after removing the robust degree-2 form (the skin's curvature).
    pub iso25178_form_removed: Option<Iso25178>,
    /// Scars (depressions below the form), largest first.
    pub scars: Vec<Scar>,
}

/// Measures a surface.
#[must_use]
pub fn report(s: &Surface) -> SurfaceReport {
    let pixel = s.pixel_in_z_units();
    let levelled = s.level_plane();
    let (depth, mut scars) = surface::find_scars(s);
    let form: Vec<f64> = depth.iter().map(|d| -d).collect();
    scars.sort_by(|a, b| b.area.total_cmp(&a.area));
    SurfaceReport {
        height_unit: match s.unit {
            HeightUnit::Um => "um",
            HeightUnit::PixelWidth => "px",
        },
        mm_per_px: s.mm_per_px,
        iso25178: surface::iso25178(&levelled, s.w, pixel),
        iso25178_form_removed: surface::iso25178(&form, s.w, pixel),
        scars,
    }
}

/// Normals → height: gradients ∂z/∂x = −nx/nz, ∂z/∂row = ny/nz (y is up),
/// filled across small holes without a normal ([`fill`]: a scar floor no
/// light reaches) and integrated over the valid and filled pixels (`mask`:
/// the pixels to measure, None for all); µm when the scale is known.
#[must_use]
pub fn height_from_normals(
    n: &Normals,
    mask: Option<&[bool]>,
    mm_per_px: Option<MmPerPx>,
) -> Surface {
    let len = n.w * n.h;
    let has_normal: Vec<bool> = n.n.iter().map(|v| v[2] > 0.0).collect();
    // three lights fit a normal exactly, so nothing shows when one of them
    // is wrong, as it is beside a shadow (a pixel half in a cast shadow at a
    // scar's wall fitted three lights with a normal 80° off): such pixels
    // at the edge of a hole are filled with it
    let known: Vec<bool> = (0..len)
        .map(|i| {
            has_normal[i] && (n.used[i] > 3 || fill::neighbours(i, n.w, n.h).all(|j| has_normal[j]))
        })
        .collect();
    let holes: Vec<bool> = (0..len)
        .map(|i| !known[i] && mask.is_none_or(|m| m[i]))
        .collect();
    let filled = fill::fillable(&known, &holes, n.w, n.h);
    let slope = |i: usize, k: usize, sign: f64| -> f64 {
        let v = n.n[i];
        if known[i] {
            sign * f64::from(v[k]) / f64::from(v[2])
        } else {
            0.0
        }
    };
    let mut gx: Vec<f64> = (0..len).map(|i| slope(i, 0, -1.0)).collect();
    let mut gy: Vec<f64> = (0..len).map(|i| slope(i, 1, 1.0)).collect();
    fill::harmonic(&mut gx, &known, &filled, n.w, n.h);
    fill::harmonic(&mut gy, &known, &filled, n.w, n.h);
    let valid: Vec<bool> = (0..len).map(|i| known[i] || filled[i]).collect();
    let all = valid.iter().all(|&v| v);
    let z = integrate::integrate(&integrate::Gradients {
        w: n.w,
        h: n.h,
        gx: &gx,
        gy: &gy,
        mask: (!all).then_some(&valid[..]),
    });
    let scale = mm_per_px.map_or(1.0, |m| m.get() * 1000.0);
    Surface {
        w: n.w,
        h: n.h,
        z: z.into_iter().map(|v| v * scale).collect(),
        unit: if mm_per_px.is_some() {
            HeightUnit::Um
        } else {
            HeightUnit::PixelWidth
        },
        mm_per_px,
    }
}

/// Photometric stereo and integration of a loaded set.
#[must_use]
pub fn from_set(
    images: &[Plane],
    lights: &[[f64; 3]],
    mask: Option<&[bool]>,
    mm_per_px: Option<MmPerPx>,
) -> (Normals, Surface) {
    let normals = stereo::photometric_stereo(images, lights, mask, &StereoOptions::default());
    let surface = height_from_normals(&normals, mask, mm_per_px);
    (normals, surface)
}

/// Why a set's normals are unusable, if they are: no pixel was lit (not
/// too dark, not saturated, not masked out) in enough images to recover
/// its normal.
#[must_use]
pub fn unusable(normals: &Normals) -> Option<&'static str> {
    (!normals.used.iter().any(|&u| u > 0)).then_some(
        "no pixel's normal could be recovered: every pixel is too dark, saturated or masked out in too many of the images",
    )
}
