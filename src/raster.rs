//! In-memory images: single-channel `f32` planes, three-plane colour images
//! and pixel rectangles.
//!
//! Conventions used everywhere: x to the right, y down, the centre of the
//! top-left pixel at (0, 0); row-major storage. Pixel values are on the
//! 0–255 scale of 8-bit sRGB-encoded values (16-bit inputs divided by 257),
//! because the metric definitions in DESIGN.md are pinned to encoded values;
//! stages that need linear light convert themselves. `NaN` marks a pixel with
//! no data (outside a warped image's footprint).

use crate::simd::wide_fn;
use crate::units::MmPerPx;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// One channel of an image: `width × height` `f32` values, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Plane {
    width: usize,
    height: usize,
    data: Vec<f32>,
}

impl Plane {
    /// A plane of `width × height` pixels, all set to `value`.
    #[must_use]
    pub fn filled(width: usize, height: usize, value: f32) -> Plane {
        Plane {
            width,
            height,
            data: vec![value; width * height],
        }
    }

    /// Wraps `data` (row-major), or `None` when its length is not `width × height`.
    #[must_use]
    pub fn from_vec(width: usize, height: usize, data: Vec<f32>) -> Option<Plane> {
        (width.checked_mul(height) == Some(data.len())).then_some(Plane {
            width,
            height,
            data,
        })
    }

    /// A plane whose pixel (x, y) is `f(x, y)`.
    pub fn from_fn(width: usize, height: usize, mut f: impl FnMut(usize, usize) -> f32) -> Plane {
        let mut data = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                data.push(f(x, y));
            }
        }
        Plane {
            width,
            height,
            data,
        }
    }

    /// A `width × height` plane whose rows `fill(y, row)` writes, rows in
    /// parallel.
    #[must_use]
    pub fn from_rows(
        width: usize,
        height: usize,
        fill: impl Fn(usize, &mut [f32]) + Sync,
    ) -> Plane {
        let mut out = Plane::filled(width, height, 0.0);
        if width > 0 {
            out.data
                .par_chunks_mut(width)
                .enumerate()
                .for_each(|(y, row)| fill(y, row));
        }
        out
    }
    /// Width in pixels.
    #[must_use]
    pub fn width(&self) -> usize {
        self.width
    }
    /// Height in pixels.
    #[must_use]
    pub fn height(&self) -> usize {
        self.height
    }
    /// Number of pixels.
    #[must_use]
    pub fn len(&self) -> usize {
        self.data.len()
    }
    /// True when the plane has no pixels.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    /// All pixels, row-major.
    #[must_use]
    pub fn data(&self) -> &[f32] {
        &self.data
    }
    /// All pixels, row-major, mutable.
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }
    /// Consumes the plane, returning its pixels.
    #[must_use]
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }
    /// The pixel at (x, y); panics outside the plane (callers index within bounds).
    #[must_use]
    #[inline]
    pub fn at(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.width + x]
    }
    /// Sets the pixel at (x, y).
    #[inline]
    pub fn set(&mut self, x: usize, y: usize, v: f32) {
        self.data[y * self.width + x] = v;
    }
    /// Row `y`.
    #[must_use]
    pub fn row(&self, y: usize) -> &[f32] {
        &self.data[y * self.width..(y + 1) * self.width]
    }
    /// Row `y`, mutable.
    pub fn row_mut(&mut self, y: usize) -> &mut [f32] {
        let w = self.width;
        &mut self.data[y * w..(y + 1) * w]
    }
    /// A copy of the pixels inside `rect` (which must lie inside the plane).
    #[must_use]
    pub fn crop(&self, rect: Rect) -> Plane {
        let mut data = Vec::with_capacity(rect.w * rect.h);
        for y in rect.y..rect.y + rect.h {
            data.extend_from_slice(&self.row(y)[rect.x..rect.x + rect.w]);
        }
        Plane {
            width: rect.w,
            height: rect.h,
            data,
        }
    }
    /// The plane's full extent as a rectangle.
    #[must_use]
    pub fn rect(&self) -> Rect {
        Rect::new(0, 0, self.width, self.height)
    }
    /// A new plane with `f` applied to every pixel.
    #[must_use]
    pub fn map(&self, f: impl Fn(f32) -> f32) -> Plane {
        Plane {
            width: self.width,
            height: self.height,
            data: self.data.iter().map(|&v| f(v)).collect(),
        }
    }

    /// Bilinear sample at the real position (x, y); `NaN` outside the plane
    /// (a position within half a pixel of the edge is clamped to it).
    #[must_use]
    #[inline]
    pub fn bilinear(&self, x: f32, y: f32) -> f32 {
        let (w, h) = (self.width as f32, self.height as f32);
        if !(x >= -0.5 && y >= -0.5 && x <= w - 0.5 && y <= h - 0.5) {
            return f32::NAN;
        }
        let x = x.clamp(0.0, w - 1.0);
        let y = y.clamp(0.0, h - 1.0);
        // truncation is floor for the clamped, non-negative x and y (and
        // needs no libm call)
        let x0 = (x as usize).min(self.width.saturating_sub(2));
        let y0 = (y as usize).min(self.height.saturating_sub(2));
        let x1 = (x0 + 1).min(self.width - 1);
        let y1 = (y0 + 1).min(self.height - 1);
        let fx = x - x0 as f32;
        let fy = y - y0 as f32;
        let top = self.at(x0, y0) + fx * (self.at(x1, y0) - self.at(x0, y0));
        let bottom = self.at(x0, y1) + fx * (self.at(x1, y1) - self.at(x0, y1));
        top + fy * (bottom - top)
    }
}

/// Whether an image came from a grey or a colour file (colour metrics need colour).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColourModel {
    /// One channel: r, g and b planes are identical.
    Grey,
    /// Three independent channels.
    Rgb,
}

/// A colour image as three planes (sRGB-encoded, 0–255 scale).
#[derive(Clone, Debug, PartialEq)]
pub struct RgbPlanes {
    /// Red.
    pub r: Plane,
    /// Green.
    pub g: Plane,
    /// Blue.
    pub b: Plane,
    /// Grey files keep `Grey` so colour metrics can say "not applicable".
    pub model: ColourModel,
}

impl RgbPlanes {
    /// A grey image as three equal planes.
    #[must_use]
    pub fn from_grey(p: Plane) -> RgbPlanes {
        RgbPlanes {
            r: p.clone(),
            g: p.clone(),
            b: p,
            model: ColourModel::Grey,
        }
    }
    /// Width in pixels.
    #[must_use]
    pub fn width(&self) -> usize {
        self.r.width()
    }
    /// Height in pixels.
    #[must_use]
    pub fn height(&self) -> usize {
        self.r.height()
    }
    /// The three planes in R, G, B order.
    #[must_use]
    pub fn planes(&self) -> [&Plane; 3] {
        [&self.r, &self.g, &self.b]
    }
    /// Applies `f` to each plane.
    #[must_use]
    pub fn map_planes(&self, f: impl Fn(&Plane) -> Plane) -> RgbPlanes {
        RgbPlanes {
            r: f(&self.r),
            g: f(&self.g),
            b: f(&self.b),
            model: self.model,
        }
    }
    /// A copy of the pixels inside `rect`.
    #[must_use]
    pub fn crop(&self, rect: Rect) -> RgbPlanes {
        self.map_planes(|p| p.crop(rect))
    }
    /// Luminance Y = 0.2126 R + 0.7152 G + 0.0722 B, evaluated as
    /// ((0.2126 R) + (0.7152 G)) + (0.0722 B) in f64 and stored as f32
    /// (DESIGN.md; grey images are their own Y).
    #[must_use]
    pub fn luminance(&self) -> Plane {
        match self.model {
            ColourModel::Grey => self.r.clone(),
            ColourModel::Rgb => Plane::from_rows(self.width(), self.height(), |y, row| {
                luminance_row(self.r.row(y), self.g.row(y), self.b.row(y), row);
            }),
        }
    }
    /// Interleaved 8-bit RGB (rounded, clamped; `NaN` becomes 0) for writing out.
    #[must_use]
    pub fn to_rgb8(&self) -> Vec<u8> {
        let w = self.width();
        let mut out = vec![0u8; w * self.height() * 3];
        if w == 0 {
            return out;
        }
        // rows in parallel into a buffer sized once (a 12 MP frame took
        // 0.1 s pushing one pixel at a time); each byte is to_u8 of its value
        let planes = self.r.data().par_chunks(w);
        let planes = planes.zip(self.g.data().par_chunks(w));
        let planes = planes.zip(self.b.data().par_chunks(w));
        out.par_chunks_mut(w * 3)
            .zip(planes)
            .for_each(|(o, ((r, g), b))| {
                for (((o, &r), &g), &b) in o.chunks_exact_mut(3).zip(r).zip(g).zip(b) {
                    o[0] = to_u8(r);
                    o[1] = to_u8(g);
                    o[2] = to_u8(b);
                }
            });
        out
    }
}

/// Read access to a grey image whose pixels may be computed on demand
/// (so a 12 MP colour photo need not be turned into a grey copy first).
pub trait GreySource: Sync {
    /// Width in pixels.
    fn width(&self) -> usize;
    /// Height in pixels.
    fn height(&self) -> usize;
    /// The grey value at (x, y), which must lie inside.
    fn grey(&self, x: usize, y: usize) -> f32;
    /// Row `y` into `buf` (length = width).
    fn row_into(&self, y: usize, buf: &mut [f32]) {
        for (x, v) in buf.iter_mut().enumerate() {
            *v = self.grey(x, y);
        }
    }
}

impl GreySource for Plane {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    #[inline]
    fn grey(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.width + x]
    }
    fn row_into(&self, y: usize, buf: &mut [f32]) {
        buf.copy_from_slice(self.row(y));
    }
}

/// Luminance of a colour image, computed per pixel on demand.
#[derive(Clone, Copy, Debug)]
pub struct Luma<'a>(pub &'a RgbPlanes);

impl GreySource for Luma<'_> {
    fn width(&self) -> usize {
        self.0.width()
    }
    fn height(&self) -> usize {
        self.0.height()
    }
    #[inline]
    fn grey(&self, x: usize, y: usize) -> f32 {
        let i = y * self.0.r.width + x;
        match self.0.model {
            ColourModel::Grey => self.0.r.data[i],
            ColourModel::Rgb => {
                luminance_f64(self.0.r.data[i], self.0.g.data[i], self.0.b.data[i]) as f32
            }
        }
    }
    fn row_into(&self, y: usize, buf: &mut [f32]) {
        let (r, g, b) = (self.0.r.row(y), self.0.g.row(y), self.0.b.row(y));
        match self.0.model {
            ColourModel::Grey => buf.copy_from_slice(r),
            ColourModel::Rgb => {
                for (((o, &r), &g), &b) in buf.iter_mut().zip(r).zip(g).zip(b) {
                    *o = luminance_f64(r, g, b) as f32;
                }
            }
        }
    }
}

/// Luminance of one sRGB-encoded pixel in f64, in the pinned evaluation order.
#[must_use]
#[inline(always)]
pub fn luminance_f64(r: f32, g: f32, b: f32) -> f64 {
    (0.2126 * f64::from(r) + 0.7152 * f64::from(g)) + 0.0722 * f64::from(b)
}

wide_fn! {
    /// [`luminance_f64`] of a row of pixels (equal lengths), as f32.
    pub fn luminance_row(r: &[f32], g: &[f32], b: &[f32], out: &mut [f32]) {
        for (((o, &r), &g), &b) in out.iter_mut().zip(r).zip(g).zip(b) {
            *o = luminance_f64(r, g, b) as f32;
        }
    }
}

wide_fn! {
    /// [`luminance_f64`] of a row of pixels (equal lengths).
    pub fn luminance_row_f64(r: &[f32], g: &[f32], b: &[f32], out: &mut [f64]) {
        for (((o, &r), &g), &b) in out.iter_mut().zip(r).zip(g).zip(b) {
            *o = luminance_f64(r, g, b);
        }
    }
}

/// Rounds a 0–255 value to a byte; `NaN` becomes 0.
#[must_use]
#[inline]
pub fn to_u8(v: f32) -> u8 {
    if v.is_nan() {
        return 0;
    }
    // round half away from zero as f32::round does, without its libm call
    // (no SSE4.1 rounding instruction on the x86-64 baseline)
    let c = v.clamp(0.0, 255.0);
    let t = c as u8;
    if c - f32::from(t) >= 0.5 { t + 1 } else { t }
}

/// A rectangle of pixels: top-left (x, y), width w, height h.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<usize>", into = "[usize; 4]")]
pub struct Rect {
    /// Left column.
    pub x: usize,
    /// Top row.
    pub y: usize,
    /// Width in pixels.
    pub w: usize,
    /// Height in pixels.
    pub h: usize,
}

/// `[x, y, w, h]`, as case.toml writes a region.
impl std::fmt::Display for Rect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}, {}, {}, {}]", self.x, self.y, self.w, self.h)
    }
}

impl Rect {
    /// A rectangle with top-left (x, y) and size w × h.
    #[must_use]
    pub const fn new(x: usize, y: usize, w: usize, h: usize) -> Rect {
        Rect { x, y, w, h }
    }
    /// True when the rectangle lies inside a `width × height` image and is not empty.
    #[must_use]
    pub fn fits_in(&self, width: usize, height: usize) -> bool {
        self.w > 0
            && self.h > 0
            && self.x.checked_add(self.w).is_some_and(|r| r <= width)
            && self.y.checked_add(self.h).is_some_and(|b| b <= height)
    }
    /// Number of pixels.
    #[must_use]
    pub fn area(&self) -> usize {
        self.w * self.h
    }
    /// True when (x, y) lies inside.
    #[must_use]
    pub fn contains(&self, x: usize, y: usize) -> bool {
        x >= self.x && y >= self.y && x < self.x + self.w && y < self.y + self.h
    }
    /// True when the two rectangles share a pixel.
    #[must_use]
    pub fn overlaps(&self, other: Rect) -> bool {
        self.x < other.x + other.w
            && other.x < self.x + self.w
            && self.y < other.y + other.h
            && other.y < self.y + self.h
    }
    /// Number of pixels in both rectangles.
    #[must_use]
    pub fn shared(&self, other: Rect) -> usize {
        let w = (self.x + self.w)
            .min(other.x + other.w)
            .saturating_sub(self.x.max(other.x));
        let h = (self.y + self.h)
            .min(other.y + other.h)
            .saturating_sub(self.y.max(other.y));
        w * h
    }
    /// Parses "X,Y,W,H" (whitespace allowed).
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(s: &str) -> Result<Rect, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let [x, y, w, h] = parts.as_slice() else {
            return Err(format!("expected X,Y,W,H, got {s:?}"));
        };
        let num = |v: &str| {
            v.parse::<usize>()
                .map_err(|_| format!("{v:?} in {s:?} is not a whole number of pixels"))
        };
        let r = Rect::new(num(x)?, num(y)?, num(w)?, num(h)?);
        if r.w == 0 || r.h == 0 {
            return Err(format!("{s:?} has zero width or height"));
        }
        Ok(r)
    }
}

impl From<[usize; 4]> for Rect {
    fn from(v: [usize; 4]) -> Rect {
        Rect::new(v[0], v[1], v[2], v[3])
    }
}

/// A region as written in case.toml or metrics.json: exactly four numbers
/// (a fifth is a mistake, not something to drop).
impl TryFrom<Vec<usize>> for Rect {
    type Error = String;
    fn try_from(v: Vec<usize>) -> std::result::Result<Rect, String> {
        match v[..] {
            [x, y, w, h] => Ok(Rect::new(x, y, w, h)),
            _ => Err(format!(
                "a region is [x, y, width, height], 4 numbers; this one has {}",
                v.len()
            )),
        }
    }
}

impl From<Rect> for [usize; 4] {
    fn from(r: Rect) -> [usize; 4] {
        [r.x, r.y, r.w, r.h]
    }
}

/// The sRGB transfer function: an encoded value on the 0–255 scale to
/// linear light on 0–1 (IEC 61966-2-1): c ≤ 0.04045 → c/12.92, else
/// ((c + 0.055)/1.055)^2.4, as scikit-image computes it.
#[must_use]
#[inline]
pub fn srgb_to_linear(v: f64) -> f64 {
    let c = v / 255.0;
    if c > 0.04045 {
        ((c + 0.055) / 1.055).powf(2.4)
    } else {
        c / 12.92
    }
}

/// The sRGB transfer function (IEC 61966-2-1): linear light, clamped to
/// 0–1, to an encoded value on the 0–255 scale; the inverse of
/// [`srgb_to_linear`].
#[must_use]
pub fn linear_to_srgb(lin: f64) -> f64 {
    let c = lin.clamp(0.0, 1.0);
    255.0
        * if c <= 0.003_130_8 {
            12.92 * c
        } else {
            1.055 * c.powf(1.0 / 2.4) - 0.055
        }
}

/// Heights per pixel (NaN where there is no data), from a 3D camera or
/// photometric stereo, with their units.
#[derive(Clone, Debug)]
pub struct Surface {
    /// Width.
    pub w: usize,
    /// Height.
    pub h: usize,
    /// Heights, row-major, in `unit`, positive toward the camera.
    pub z: Vec<f64>,
    /// The unit of the heights.
    pub unit: HeightUnit,
    /// Lateral scale, when known.
    pub mm_per_px: Option<MmPerPx>,
}

/// The unit of a surface's heights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeightUnit {
    /// Micrometres.
    Um,
    /// Widths of a pixel (photometric stereo without a lateral scale).
    PixelWidth,
}

impl HeightUnit {
    /// The unit's name in a sentence.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            HeightUnit::Um => "µm",
            HeightUnit::PixelWidth => "pixel widths",
        }
    }
}

impl Surface {
    /// Lateral pixel size in the unit of the heights (µm or px), when known.
    #[must_use]
    pub fn pixel_in_z_units(&self) -> Option<f64> {
        match self.unit {
            HeightUnit::Um => self.mm_per_px.map(|m| m.get() * 1000.0),
            HeightUnit::PixelWidth => Some(1.0),
        }
    }

    /// The factor from height units to the unit depths are reported in,
    /// and that unit: µm for µm heights, and for pixel-width heights when
    /// the scale is known; "px" otherwise.
    #[must_use]
    pub fn depth_unit(&self) -> (f64, &'static str) {
        match (self.unit, self.mm_per_px) {
            (HeightUnit::Um, _) => (1.0, "µm"),
            (HeightUnit::PixelWidth, Some(m)) => (m.get() * 1000.0, "µm"),
            (HeightUnit::PixelWidth, None) => (1.0, "px"),
        }
    }

    /// The volume of one pixel one height unit deep, in the unit volumes
    /// are reported in, and that unit: mm³ with a scale (µm × mm² / 1000),
    /// µm·px² for µm heights without one, px³ otherwise.
    #[must_use]
    pub fn volume_unit(&self) -> (f64, &'static str) {
        match (self.unit, self.mm_per_px.map(MmPerPx::get)) {
            (HeightUnit::Um, Some(m)) => (m * m / 1000.0, "mm³"),
            (HeightUnit::PixelWidth, Some(m)) => (m * m * m, "mm³"),
            (HeightUnit::Um, None) => (1.0, "µm·px²"),
            (HeightUnit::PixelWidth, None) => (1.0, "px³"),
        }
    }

    /// The area of one pixel: mm² with a scale, px² without.
    #[must_use]
    pub fn pixel_area(&self) -> f64 {
        self.mm_per_px.map_or(1.0, MmPerPx::mm2_per_px)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::Copies;

    #[test]
    fn shared_pixels_equal_counting_them() {
        let rects = [
            Rect::new(0, 0, 5, 4),
            Rect::new(3, 2, 6, 6),
            Rect::new(5, 0, 2, 2),
            Rect::new(1, 1, 2, 2),
            Rect::new(9, 9, 1, 1),
        ];
        for a in rects {
            for b in rects {
                let counted = (0..12)
                    .flat_map(|y| (0..12).map(move |x| (x, y)))
                    .filter(|&(x, y)| a.contains(x, y) && b.contains(x, y))
                    .count();
                assert_eq!(a.shared(b), counted, "{a} and {b}");
                assert_eq!(a.overlaps(b), counted > 0, "{a} and {b}");
            }
        }
    }

    #[test]
    fn to_rgb8_interleaves_to_u8_of_each_plane() {
        let v = |x: usize, y: usize, k: usize| (x * 37 + y * 11 + k * 5) as f32 * 0.731 - 20.0;
        let mut img = RgbPlanes {
            r: Plane::from_fn(13, 7, |x, y| v(x, y, 0)),
            g: Plane::from_fn(13, 7, |x, y| v(x, y, 1)),
            b: Plane::from_fn(13, 7, |x, y| v(x, y, 2)),
            model: ColourModel::Rgb,
        };
        img.g.set(4, 3, f32::NAN);
        let naive: Vec<u8> = (0..7)
            .flat_map(|y| (0..13).map(move |x| (x, y)))
            .flat_map(|(x, y)| [img.r.at(x, y), img.g.at(x, y), img.b.at(x, y)].map(to_u8))
            .collect();
        assert_eq!(img.to_rgb8(), naive);
        assert!(naive.contains(&0) && naive.contains(&255));
    }

    #[test]
    fn to_u8_rounds_as_f32_round() {
        let mut values: Vec<f32> = (-100..=26_000).map(|i| i as f32 * 0.01).collect();
        values.extend([
            0.499_999_97,
            0.5,
            1.5,
            2.5,
            254.499_98,
            254.5,
            255.0,
            255.5,
            1e9,
            -1e9,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ]);
        for v in values {
            assert_eq!(to_u8(v), v.round().clamp(0.0, 255.0) as u8, "{v}");
        }
        assert_eq!(to_u8(f32::NAN), 0);
    }

    #[test]
    fn bilinear_interpolates_and_is_nan_outside() {
        let p = Plane::from_fn(3, 2, |x, y| (x + 10 * y) as f32);
        assert_eq!(p.bilinear(0.0, 0.0), 0.0);
        assert!((p.bilinear(1.5, 0.5) - 6.5).abs() < 1e-6);
        assert!((p.bilinear(2.0, 1.0) - 12.0).abs() < 1e-6);
        assert!(p.bilinear(-0.6, 0.0).is_nan());
        assert!(p.bilinear(0.0, 1.6).is_nan());
        assert!(p.bilinear(f32::NAN, 0.0).is_nan());
    }

    #[test]
    fn luminance_is_the_pinned_formula_per_pixel() {
        let _switch = crate::simd::hold_switch();
        let (w, h) = (37, 5);
        let v = |x: usize, y: usize, k: usize| ((x * 31 + y * 17 + k * 101) % 2561) as f32 * 0.1;
        let img = RgbPlanes {
            r: Plane::from_fn(w, h, |x, y| if x == 3 { f32::NAN } else { v(x, y, 0) }),
            g: Plane::from_fn(w, h, |x, y| v(x, y, 1)),
            b: Plane::from_fn(w, h, |x, y| v(x, y, 2)),
            model: ColourModel::Rgb,
        };
        for copies in [Copies::Best, Copies::Baseline] {
            crate::simd::use_copies(copies);
            let lum = img.luminance();
            for y in 0..h {
                for x in 0..w {
                    let (r, g, b) = (img.r.at(x, y), img.g.at(x, y), img.b.at(x, y));
                    let want = ((0.2126 * f64::from(r) + 0.7152 * f64::from(g))
                        + 0.0722 * f64::from(b)) as f32;
                    assert!(
                        lum.at(x, y).to_bits() == want.to_bits()
                            || (x == 3 && lum.at(x, y).is_nan()),
                        "{x},{y}"
                    );
                }
            }
        }
        crate::simd::use_copies(Copies::Best);
    }

    #[test]
    fn rect_parse_and_fit() {
        assert_eq!(Rect::parse("1, 2,3,4"), Ok(Rect::new(1, 2, 3, 4)));
        assert!(Rect::parse("1,2,3").is_err());
        assert!(Rect::parse("1,2,0,4").is_err());
        assert!(Rect::parse("1,2,-3,4").is_err());
        assert!(Rect::new(0, 0, 10, 10).fits_in(10, 10));
        assert!(!Rect::new(1, 0, 10, 10).fits_in(10, 10));
        assert!(!Rect::new(usize::MAX, 0, 10, 10).fits_in(10, 10));
    }

    #[test]
    fn crop_copies_the_right_pixels() {
        let p = Plane::from_fn(5, 4, |x, y| (x + 10 * y) as f32);
        let c = p.crop(Rect::new(1, 2, 3, 2));
        assert_eq!(c.data(), &[21.0, 22.0, 23.0, 31.0, 32.0, 33.0]);
    }
}
