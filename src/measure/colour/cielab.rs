//! CIELAB (D65, 2° observer) from sRGB exactly as scikit-image's
//! `rgb2lab`: the sRGB transfer curve and its lookup table, a vectorisable
//! cube root, and the per-pixel and per-row conversions.

use crate::simd::wide_fn;

/// sRGB-encoded value (0–255 scale) to linear reflectance 0–1, exactly
/// scikit-image's formula (defined with the other pixel conventions).
pub use crate::raster::srgb_to_linear;

/// A 1/16-level lookup of [`srgb_to_linear`]: exact at every integer value
/// (what 8-bit photos hold), within 3e-4 relative between them.
pub struct LinearLut(pub(super) Vec<f64>);

impl Default for LinearLut {
    fn default() -> Self {
        LinearLut(
            (0..Self::LEN)
                .map(|i| srgb_to_linear(i as f64 / 16.0))
                .collect(),
        )
    }
}

impl LinearLut {
    /// Number of entries: 0 to 255 in 1/16 steps.
    pub const LEN: usize = 255 * 16 + 1;
    /// Linear value of an encoded 0–255 value (clamped to that range).
    #[must_use]
    #[inline]
    pub fn get(&self, v: f32) -> f64 {
        self.0[Self::index(v)]
    }
    /// The table index of an encoded value (1/16 level steps).
    #[must_use]
    #[inline]
    pub fn index(v: f32) -> usize {
        // v·16 is exact in f32; +0.5 and truncation rounds half up, which is
        // round() for the non-negative clamped value (NaN → 0) without a libm call
        // (through i32, which vectorises; the value is 0–4080.5)
        ((v * 16.0).clamp(0.0, 255.0 * 16.0) + 0.5) as i32 as usize
    }
    /// Linear value at a table index.
    #[must_use]
    #[inline]
    pub fn at(&self, i: usize) -> f64 {
        self.0[i]
    }
    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Never empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// CIE f(t) as scikit-image evaluates it (both branches computed, then
/// one picked: no branch, so row loops vectorise).
#[inline(always)]
fn lab_f(t: f64) -> f64 {
    let root = cbrt_core(t.max(0.008856));
    if t > 0.008856 {
        root
    } else {
        7.787 * t + 16.0 / 116.0
    }
}

/// Cube root to within 1e-14 relative (libm's cbrt outside 1e-30..1e30,
/// where `cbrt_core`'s f32 first guess does not reach).
#[must_use]
#[inline]
pub fn cbrt(x: f64) -> f64 {
    if x.is_finite() && x > 1e-30 && x < 1e30 {
        cbrt_core(x)
    } else {
        x.cbrt()
    }
}

/// Cube root of 1e-30 < x < 1e30: a first guess from the exponent bits of
/// x as f32 (Kahan's constant, within 3.3 %), two Halley steps in f32
/// (2e-5, then f32 precision, ~1e-7) and one in f64 (cubic convergence:
/// < 1e-15). No branch and one 64-bit division, so it vectorises; libm's
/// cbrt was the largest cost of CIELAB on a 12 MP photo.
#[must_use]
#[inline(always)]
fn cbrt_core(x: f64) -> f64 {
    let xf = x as f32;
    let y0 = f32::from_bits(xf.to_bits() / 3 + 0x2A51_19F2);
    let halley = |y: f32| {
        let y3 = y * y * y;
        y * (y3 + 2.0 * xf) / (2.0 * y3 + xf)
    };
    let y = f64::from(halley(halley(y0)));
    let y3 = y * y * y;
    y * (y3 + 2.0 * x) / (2.0 * y3 + x)
}

/// CIELAB of linear RGB (0–1), D65 white (0.95047, 1, 1.08883).
#[must_use]
#[inline(always)]
pub fn lab_from_linear(r: f64, g: f64, b: f64) -> [f64; 3] {
    let x = (0.412453 * r + 0.357580 * g + 0.180423 * b) / 0.95047;
    let y = 0.212671 * r + 0.715160 * g + 0.072169 * b;
    let z = (0.019334 * r + 0.119193 * g + 0.950227 * b) / 1.08883;
    let (fx, fy, fz) = (lab_f(x), lab_f(y), lab_f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

wide_fn! {
    /// CIELAB of a row of linear RGB (equal lengths).
    pub(super) fn lab_row(lin: [&[f64]; 3], lab: [&mut [f64]; 3]) {
        let [r, g, b] = lin;
        let [l, a, bb] = lab;
        for (((((l, a), bb), &rl), &gl), &bl) in l
            .iter_mut()
            .zip(a.iter_mut())
            .zip(bb.iter_mut())
            .zip(r)
            .zip(g)
            .zip(b)
        {
            [*l, *a, *bb] = lab_from_linear(rl, gl, bl);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CIE 1976 formulas written independently from the standard's constants
    /// (ε = 216/24389, κ = 24389/27) and sRGB's IEC 61966-2-1 transfer curve.
    fn lab_reference(rgb8: [u8; 3]) -> [f64; 3] {
        let lin = rgb8.map(|v| {
            let c = f64::from(v) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        });
        let m = [
            [0.412453, 0.357580, 0.180423],
            [0.212671, 0.715160, 0.072169],
            [0.019334, 0.119193, 0.950227],
        ];
        let xyz: Vec<f64> = m
            .iter()
            .map(|row| row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2])
            .collect();
        let white = [0.95047, 1.0, 1.08883];
        let f = |t: f64| {
            if t > 0.008856 {
                t.powf(1.0 / 3.0)
            } else {
                7.787 * t + 16.0 / 116.0
            }
        };
        let (fx, fy, fz) = (
            f(xyz[0] / white[0]),
            f(xyz[1] / white[1]),
            f(xyz[2] / white[2]),
        );
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }

    #[test]
    fn uniform_patches_match_the_cie_formulas() {
        let lut = LinearLut::default();
        for rgb in [
            [255u8, 255, 255],
            [0, 0, 0],
            [200, 150, 130],
            [90, 60, 50],
            [10, 200, 30],
            [1, 2, 3],
        ] {
            let lin = rgb.map(|v| lut.get(f32::from(v)));
            let got = lab_from_linear(lin[0], lin[1], lin[2]);
            let want = lab_reference(rgb);
            for k in 0..3 {
                assert!(
                    (got[k] - want[k]).abs() < 1e-10,
                    "{rgb:?}: {got:?} vs {want:?}"
                );
            }
        }
        // white is L* = 100, a* = b* = 0 (to the white point's rounding)
        let w = lab_from_linear(1.0, 1.0, 1.0);
        assert!(
            (w[0] - 100.0).abs() < 1e-3 && w[1].abs() < 0.01 && w[2].abs() < 0.01,
            "{w:?}"
        );
    }

    #[test]
    fn cbrt_matches_libm() {
        let mut x = 1e-6f64;
        while x < 10.0 {
            let (a, b) = (cbrt(x), x.cbrt());
            assert!((a - b).abs() <= 1e-14 * b, "{x}: {a} vs {b}");
            x *= 1.0137;
        }
        assert_eq!(cbrt(0.0), 0.0);
    }

    #[test]
    fn lut_is_exact_at_integers() {
        let lut = LinearLut::default();
        for v in 0..=255u8 {
            assert_eq!(
                lut.get(f32::from(v)).to_bits(),
                srgb_to_linear(f64::from(v)).to_bits()
            );
        }
        assert!((lut.get(100.5) - srgb_to_linear(100.5)).abs() < 3e-4 * srgb_to_linear(100.5));
    }
}
