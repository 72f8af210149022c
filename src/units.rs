//! Physical units as types where a mix-up is likely.
//!
//! A held value is always valid: the constructors refuse NaN, infinities and
//! non-positive scales, so no stage has to check again.

use serde::{Deserialize, Serialize};

/// Millimetres per pixel of an image (a physical scale).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct MmPerPx(f64);

impl MmPerPx {
    /// A scale, or `None` unless `v` is finite and > 0.
    #[must_use]
    pub fn new(v: f64) -> Option<MmPerPx> {
        (v.is_finite() && v > 0.0).then_some(MmPerPx(v))
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
        MmPerPx::new(v).ok_or_else(|| format!("mm_per_px must be a positive number, got {v}"))
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
    /// A height scale, or `None` unless `v` is finite and > 0.
    #[must_use]
    pub fn new(v: f64) -> Option<UmPerLevel> {
        (v.is_finite() && v > 0.0).then_some(UmPerLevel(v))
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
        UmPerLevel::new(v).ok_or_else(|| format!("um_per_level must be a positive number, got {v}"))
    }
}

impl From<UmPerLevel> for f64 {
    fn from(v: UmPerLevel) -> f64 {
        v.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_refuse_non_positive_and_nan() {
        assert!(MmPerPx::new(0.0).is_none());
        assert!(MmPerPx::new(-0.1).is_none());
        assert!(MmPerPx::new(f64::NAN).is_none());
        assert!(MmPerPx::new(f64::INFINITY).is_none());
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
}
