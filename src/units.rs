//! Physical units as types where a mix-up is likely.
//!
//! A held value is always valid: the constructors refuse NaN, infinities and
//! values outside the documented physical range, so no stage has to check
//! again. This is the single validation point for physical parameters: the
//! command line (`--mm-per-px`, `--roi`, `--control`), case.toml, height-map
//! sidecars and the lights files all go through it, and filter sizes derived
//! from a scale stay bounded because the scale is.

use serde::{Deserialize, Serialize};

/// Millimetres per pixel of an image (a physical scale).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct MmPerPx(f64);

impl MmPerPx {
    /// Smallest scale accepted: 0.1 µm a pixel (a microscope; a dermoscope
    /// is about 0.005 mm/px). Below it a line filter would need kernels
    /// thousands of pixels wide.
    pub const MIN: f64 = 1e-4;
    /// Largest scale accepted: 1 mm a pixel (a whole back in one photo).
    pub const MAX: f64 = 1.0;

    /// A scale, or `None` unless `v` lies within [`MmPerPx::MIN`]…[`MmPerPx::MAX`].
    #[must_use]
    pub fn new(v: f64) -> Option<MmPerPx> {
        (v.is_finite() && (Self::MIN..=Self::MAX).contains(&v)).then_some(MmPerPx(v))
    }

    /// [`MmPerPx::new`] with the message for a value out of range, naming
    /// `what` (`--mm-per-px`, `mm_per_px`).
    ///
    /// # Errors
    /// One sentence giving the value and the accepted range.
    pub fn checked(v: f64, what: &str) -> Result<MmPerPx, String> {
        MmPerPx::new(v).ok_or_else(|| {
            format!(
                "{what} must be between {} and {} mm per pixel, got {v:?}",
                Self::MIN,
                Self::MAX
            )
        })
    }
    /// The scale in millimetres per pixel.
    #[must_use]
    pub fn get(self) -> f64 {
        self.0
    }
    /// The area of one pixel in mm².
    #[must_use]
    pub fn mm2_per_px(self) -> f64 {
        self.0 * self.0
    }
}

impl TryFrom<f64> for MmPerPx {
    type Error = String;
    fn try_from(v: f64) -> Result<Self, Self::Error> {
        MmPerPx::checked(v, "mm_per_px")
    }
}

impl From<MmPerPx> for f64 {
    fn from(v: MmPerPx) -> f64 {
        v.0
    }
}

/// Micrometres of height per 16-bit level of a height map.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct UmPerLevel(f64);

impl UmPerLevel {
    /// Smallest height step accepted, µm (1 nm: an optical profilometer).
    pub const MIN: f64 = 1e-3;
    /// Largest height step accepted, µm (65 535 levels then span 6.5 m).
    pub const MAX: f64 = 100.0;

    /// A height scale, or `None` unless `v` lies within
    /// [`UmPerLevel::MIN`]…[`UmPerLevel::MAX`].
    #[must_use]
    pub fn new(v: f64) -> Option<UmPerLevel> {
        (v.is_finite() && (Self::MIN..=Self::MAX).contains(&v)).then_some(UmPerLevel(v))
    }
    /// The scale in micrometres per level.
    #[must_use]
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for UmPerLevel {
    type Error = String;
    fn try_from(v: f64) -> Result<Self, Self::Error> {
        UmPerLevel::new(v).ok_or_else(|| {
            format!(
                "um_per_level must be between {} and {} µm per level, got {v:?}",
                Self::MIN,
                Self::MAX
            )
        })
    }
}

impl From<UmPerLevel> for f64 {
    fn from(v: UmPerLevel) -> f64 {
        v.0
    }
}

/// Smallest side of a measured region, px: GLCM distance 4, LBP and the
/// sub-tiles of the uncertainty need some context.
pub const MIN_REGION_SIDE: usize = 16;

/// Largest side of a region, px (the largest image read has 30 000).
pub const MAX_REGION_SIDE: usize = 30_000;

/// Checks the geometry of a region of interest or control region on its
/// own (whether it fits an image is checked once the image is known):
/// each side within [`MIN_REGION_SIDE`]…[`MAX_REGION_SIDE`], the corner
/// within [`MAX_REGION_SIDE`]. `what` names it ("roi", "--control").
///
/// # Errors
/// One sentence naming `what`, its value and what is wrong.
pub fn check_region(what: &str, r: crate::raster::Rect) -> Result<(), String> {
    let shown = format!("{what} {},{},{},{}", r.x, r.y, r.w, r.h);
    if r.w < MIN_REGION_SIDE || r.h < MIN_REGION_SIDE {
        return Err(format!(
            "{shown} is too small ({}x{} px; a region needs at least {MIN_REGION_SIDE}x{MIN_REGION_SIDE} px)",
            r.w, r.h
        ));
    }
    if r.w > MAX_REGION_SIDE
        || r.h > MAX_REGION_SIDE
        || r.x > MAX_REGION_SIDE
        || r.y > MAX_REGION_SIDE
    {
        return Err(format!(
            "{shown} is beyond any image skintrack reads ({MAX_REGION_SIDE} px a side)"
        ));
    }
    Ok(())
}

/// Checks a light direction of a photometric set and returns it as a unit
/// vector: finite, not zero, pointing toward the camera (z > 0, DiLiGenT
/// convention) and not grazing (at least 5° above the surface, where the
/// least-squares normals become ill-conditioned).
///
/// # Errors
/// One sentence saying what is wrong.
pub fn unit_light(v: [f64; 3]) -> Result<[f64; 3], String> {
    let [x, y, z] = v;
    let n = (x * x + y * y + z * z).sqrt();
    if !n.is_finite() || n < 1e-9 {
        return Err("a light direction must be three finite numbers, not all zero".into());
    }
    let u = [x / n, y / n, z / n];
    if u[2] < MIN_LIGHT_Z {
        return Err(format!(
            "a light direction must point toward the camera (z > 0, at least 5° above the surface), got {x} {y} {z}"
        ));
    }
    Ok(u)
}

/// sin 5°: the lowest light elevation accepted.
const MIN_LIGHT_Z: f64 = 0.087_155_742_747_658_17;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_refuse_non_positive_and_nan() {
        assert!(MmPerPx::new(0.0).is_none());
        assert!(MmPerPx::new(-0.1).is_none());
        assert!(MmPerPx::new(f64::NAN).is_none());
        assert!(MmPerPx::new(f64::INFINITY).is_none());
        for v in [1e-300, 1e-9, 1e-6, 9e-5, 1.01, 1e300] {
            assert!(MmPerPx::new(v).is_none(), "{v}");
        }
        assert!(MmPerPx::new(1e-4).is_some() && MmPerPx::new(1.0).is_some());
        let msg = MmPerPx::checked(1e-9, "--mm-per-px").unwrap_err();
        assert!(
            msg.contains("--mm-per-px") && msg.contains("0.0001"),
            "{msg}"
        );
        assert!(UmPerLevel::new(1e-9).is_none() && UmPerLevel::new(1e6).is_none());
        assert_eq!(MmPerPx::new(0.04).map(MmPerPx::get), Some(0.04));
        assert!(UmPerLevel::new(0.0).is_none());
        assert_eq!(UmPerLevel::new(0.5).map(UmPerLevel::get), Some(0.5));
    }

    #[test]
    fn scale_deserialises_with_validation() {
        #[derive(Deserialize)]
        struct S {
            s: MmPerPx,
        }
        assert!(toml::from_str::<S>("s = -1.0").is_err());
        let ok: S = toml::from_str("s = 0.02").unwrap();
        assert!((ok.s.get() - 0.02).abs() < 1e-15);
    }

    #[test]
    fn regions_are_checked_on_their_own() {
        use crate::raster::Rect;
        let e = check_region("roi", Rect::new(10, 10, 3, 3)).unwrap_err();
        assert!(e.contains("roi 10,10,3,3 is too small"), "{e}");
        assert!(check_region("roi", Rect::new(0, 0, 16, 16)).is_ok());
        assert!(check_region("roi", Rect::new(usize::MAX, 0, 16, 16)).is_err());
        assert!(check_region("roi", Rect::new(0, 0, 16, 40_000)).is_err());
    }

    #[test]
    fn lights_are_unit_and_face_the_camera() {
        let u = unit_light([0.0, 0.0, 2.0]).unwrap();
        assert!((u[2] - 1.0).abs() < 1e-12);
        assert!(unit_light([0.0, 0.0, 0.0]).is_err());
        assert!(unit_light([1.0, 0.0, -0.5]).is_err());
        assert!(unit_light([1.0, 0.0, 1e-3]).is_err());
        assert!(unit_light([f64::MAX, f64::MAX, 1.0]).is_err());
    }
}
