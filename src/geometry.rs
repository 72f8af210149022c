//! Plane projective transforms (homographies) in pixel coordinates.
//!
//! A transform is named `dst_from_src`: it maps a position in `src` to the
//! same scene point in `dst`, so `a_from_b * b_from_c` visibly composes to
//! `a_from_c`. Positions follow the crate convention (x right, y down, centre
//! of the top-left pixel at (0, 0)).

use crate::raster::Rect;
use serde::{Deserialize, Serialize};

/// A 3×3 homogeneous matrix, row-major, normalised so that `m[2][2] = 1`
/// whenever that entry is not zero.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "[[f64; 3]; 3]", into = "[[f64; 3]; 3]")]
pub struct Homography(pub [[f64; 3]; 3]);

impl Default for Homography {
    fn default() -> Self {
        Homography::IDENTITY
    }
}

impl From<[[f64; 3]; 3]> for Homography {
    fn from(m: [[f64; 3]; 3]) -> Self {
        Homography(m)
    }
}

impl From<Homography> for [[f64; 3]; 3] {
    fn from(h: Homography) -> Self {
        h.0
    }
}

impl std::ops::Mul for Homography {
    type Output = Homography;
    fn mul(self, rhs: Homography) -> Homography {
        let (a, b) = (self.0, rhs.0);
        let mut m = [[0.0; 3]; 3];
        for (i, row) in m.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
            }
        }
        Homography(m).normalised()
    }
}

impl Homography {
    /// The identity.
    pub const IDENTITY: Homography =
        Homography([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);

    /// A pure translation by (tx, ty) pixels.
    #[must_use]
    pub fn translation(tx: f64, ty: f64) -> Homography {
        Homography([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])
    }

    /// Rotation by `angle_rad` (counter-clockwise on screen is negative because
    /// y points down: this is the matrix [[c, −s], [s, c]]) and uniform `scale`
    /// about the point (cx, cy).
    #[must_use]
    pub fn similarity_about(angle_rad: f64, scale: f64, cx: f64, cy: f64) -> Homography {
        let (s, c) = angle_rad.sin_cos();
        let (a, b) = (scale * c, scale * s);
        Homography([
            [a, -b, cx - a * cx + b * cy],
            [b, a, cy - b * cx - a * cy],
            [0.0, 0.0, 1.0],
        ])
    }

    /// Uniform scaling about the origin (pixel-centre convention: a pyramid
    /// level with factor `s` maps full-resolution x to `s·(x + 0.5) − 0.5`).
    #[must_use]
    pub fn scale_pixel_centres(s: f64) -> Homography {
        let t = 0.5 * s - 0.5;
        Homography([[s, 0.0, t], [0.0, s, t], [0.0, 0.0, 1.0]])
    }

    /// Divides by `m[2][2]` when it is not (nearly) zero.
    #[must_use]
    pub fn normalised(self) -> Homography {
        let d = self.0[2][2];
        if d.abs() < 1e-300 || !d.is_finite() {
            return self;
        }
        let mut m = self.0;
        for row in &mut m {
            for v in row {
                *v /= d;
            }
        }
        Homography(m)
    }

    /// The determinant of the 3×3 matrix.
    #[must_use]
    pub fn determinant(&self) -> f64 {
        let m = &self.0;
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    }

    /// The determinant of the upper-left 2×2 (linear) part: the area scale
    /// of the transform near the origin, negative for a reflection.
    #[must_use]
    pub fn linear_determinant(&self) -> f64 {
        let m = &self.0;
        m[0][0] * m[1][1] - m[0][1] * m[1][0]
    }

    /// The inverse, or `None` when the matrix is singular or not finite.
    #[must_use]
    pub fn inverse(&self) -> Option<Homography> {
        let m = &self.0;
        let det = self.determinant();
        if !det.is_finite() || det.abs() < 1e-300 {
            return None;
        }
        let inv = [
            [
                (m[1][1] * m[2][2] - m[1][2] * m[2][1]) / det,
                (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / det,
                (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det,
            ],
            [
                (m[1][2] * m[2][0] - m[1][0] * m[2][2]) / det,
                (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det,
                (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det,
            ],
            [
                (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / det,
                (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / det,
                (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det,
            ],
        ];
        let h = Homography(inv).normalised();
        h.is_finite().then_some(h)
    }

    /// True when every entry is finite.
    #[must_use]
    pub fn is_finite(&self) -> bool {
        self.0.iter().flatten().all(|v| v.is_finite())
    }

    /// Maps (x, y); `None` when the point goes to infinity (or behind the camera).
    #[must_use]
    #[inline]
    pub fn apply(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let m = &self.0;
        let w = m[2][0] * x + m[2][1] * y + m[2][2];
        if w <= 1e-12 {
            return None;
        }
        Some((
            (m[0][0] * x + m[0][1] * y + m[0][2]) / w,
            (m[1][0] * x + m[1][1] * y + m[1][2]) / w,
        ))
    }

    /// Mean distance between the images of the four corners of a
    /// `width × height` frame under `self` and under `other` (the corner error
    /// of the registration tests); infinite when a corner cannot be mapped.
    #[must_use]
    pub fn corner_error(&self, other: &Homography, width: usize, height: usize) -> f64 {
        let (w, h) = (width as f64 - 1.0, height as f64 - 1.0);
        let corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
        let mut sum = 0.0;
        for (x, y) in corners {
            match (self.apply(x, y), other.apply(x, y)) {
                (Some(a), Some(b)) => sum += ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt(),
                _ => return f64::INFINITY,
            }
        }
        sum / 4.0
    }

    /// The largest distance any corner of a `width × height` frame moves
    /// under `self` (used for convergence and plausibility checks).
    #[must_use]
    pub fn max_corner_shift(&self, width: usize, height: usize) -> f64 {
        let (w, h) = (width as f64 - 1.0, height as f64 - 1.0);
        [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
            .iter()
            .map(|&(x, y)| match self.apply(x, y) {
                Some((u, v)) => ((u - x).powi(2) + (v - y).powi(2)).sqrt(),
                None => f64::INFINITY,
            })
            .fold(0.0, f64::max)
    }

    /// The 8 free parameters (`m[2][2] = 1`), for least-squares updates.
    #[must_use]
    pub fn params(&self) -> [f64; 8] {
        let m = self.normalised().0;
        [
            m[0][0], m[0][1], m[0][2], m[1][0], m[1][1], m[1][2], m[2][0], m[2][1],
        ]
    }

    /// Builds a homography from its 8 free parameters.
    #[must_use]
    pub fn from_params(p: &[f64; 8]) -> Homography {
        Homography([[p[0], p[1], p[2]], [p[3], p[4], p[5]], [p[6], p[7], 1.0]])
    }

    /// The matrix with every entry rounded to `digits` decimals (for JSON
    /// output that is stable across platforms' last-bit differences).
    #[must_use]
    pub fn rounded(&self, digits: i32) -> Homography {
        let f = 10f64.powi(digits);
        let mut m = self.0;
        for v in m.iter_mut().flatten() {
            *v = (*v * f).round() / f;
            if *v == 0.0 {
                *v = 0.0; // no negative zero in output
            }
        }
        Homography(m)
    }
}

/// The largest axis-aligned rectangle of baseline pixels that every capture
/// covers (a 2 % margin inside) and that shares no pixel with `beside` (the
/// control region: untreated skin is never measured as the region), found
/// on a grid of ≤ 512 px. `None` when that rectangle is narrower or lower
/// than `min_side`.
#[must_use]
pub fn common_roi<'a>(
    bw: usize,
    bh: usize,
    captures: impl Iterator<Item = (&'a Homography, (usize, usize))>,
    min_side: usize,
    beside: Option<Rect>,
) -> Option<Rect> {
    let step = (bw.max(bh) as f64 / 512.0).max(1.0);
    let (gw, gh) = ((bw as f64 / step) as usize, (bh as f64 / step) as usize);
    let mut valid = vec![true; gw * gh];
    if let Some(c) = beside.filter(|_| gw > 0 && gh > 0) {
        // every cell with a pixel of `c`, its edges rounded outwards
        let cell = |v: usize| (v as f64 / step) as usize;
        for gy in cell(c.y)..=cell(c.y + c.h).min(gh.saturating_sub(1)) {
            for gx in cell(c.x)..=cell(c.x + c.w).min(gw.saturating_sub(1)) {
                valid[gy * gw + gx] = false;
            }
        }
    }
    for (h, (mw, mh)) in captures {
        let Some(inv) = h.inverse() else { continue };
        let margin = 3.0;
        for gy in 0..gh {
            for gx in 0..gw {
                // check the cell's corners so the whole cell is covered
                let corners = [(gx, gy), (gx + 1, gy), (gx, gy + 1), (gx + 1, gy + 1)];
                let inside = corners.iter().all(|&(cx, cy)| {
                    let (x, y) = (
                        (cx as f64 * step).min(bw as f64 - 1.0),
                        (cy as f64 * step).min(bh as f64 - 1.0),
                    );
                    inv.apply(x, y).is_some_and(|(u, v)| {
                        u >= margin
                            && v >= margin
                            && u <= mw as f64 - 1.0 - margin
                            && v <= mh as f64 - 1.0 - margin
                    })
                });
                if !inside {
                    valid[gy * gw + gx] = false;
                }
            }
        }
    }
    let (x, y, w, h) = largest_rectangle(&valid, gw, gh)?;
    let r = Rect::new(
        ((x as f64 * step).ceil() as usize).min(bw - 1),
        ((y as f64 * step).ceil() as usize).min(bh - 1),
        (w as f64 * step).floor() as usize,
        (h as f64 * step).floor() as usize,
    );
    // 2 % margin inside, away from resampling edges
    let (mx, my) = (r.w / 50, r.h / 50);
    let r = Rect::new(
        r.x + mx,
        r.y + my,
        r.w.saturating_sub(2 * mx),
        r.h.saturating_sub(2 * my),
    );
    (r.w >= min_side && r.h >= min_side && r.fits_in(bw, bh)).then_some(r)
}

/// Largest all-true rectangle of a boolean grid (histogram-stack method).
fn largest_rectangle(valid: &[bool], w: usize, h: usize) -> Option<(usize, usize, usize, usize)> {
    let mut heights = vec![0usize; w];
    let mut best: Option<(usize, usize, usize, usize)> = None;
    let mut best_area = 0;
    for y in 0..h {
        for x in 0..w {
            heights[x] = if valid[y * w + x] { heights[x] + 1 } else { 0 };
        }
        let mut stack: Vec<usize> = Vec::new();
        for x in 0..=w {
            let cur = if x < w { heights[x] } else { 0 };
            while let Some(&top) = stack.last() {
                if heights[top] <= cur {
                    break;
                }
                stack.pop();
                let height = heights[top];
                let left = stack.last().map_or(0, |&l| l + 1);
                let width = x - left;
                if height * width > best_area {
                    best_area = height * width;
                    best = Some((left, y + 1 - height, width, height));
                }
            }
            stack.push(x);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &Homography, b: &Homography, tol: f64) -> bool {
        a.0.iter()
            .flatten()
            .zip(b.0.iter().flatten())
            .all(|(x, y)| (x - y).abs() < tol)
    }

    #[test]
    fn inverse_times_self_is_identity() {
        let h = Homography([[1.02, 0.05, 12.0], [-0.03, 0.97, -7.5], [1e-5, -2e-5, 1.0]]);
        let inv = h.inverse().unwrap();
        assert!(close(&(h * inv), &Homography::IDENTITY, 1e-12));
        assert!(close(&(inv * h), &Homography::IDENTITY, 1e-12));
    }

    #[test]
    fn translation_moves_points() {
        let t = Homography::translation(3.0, -2.0);
        assert_eq!(t.apply(1.0, 1.0), Some((4.0, -1.0)));
    }

    #[test]
    fn similarity_about_keeps_its_centre() {
        let s = Homography::similarity_about(0.3, 1.1, 50.0, 40.0);
        let (x, y) = s.apply(50.0, 40.0).unwrap();
        assert!((x - 50.0).abs() < 1e-12 && (y - 40.0).abs() < 1e-12);
        // 90 degrees: +x goes to +y (down) with y pointing down
        let r = Homography::similarity_about(std::f64::consts::FRAC_PI_2, 1.0, 0.0, 0.0);
        let (x, y) = r.apply(1.0, 0.0).unwrap();
        assert!(x.abs() < 1e-12 && (y - 1.0).abs() < 1e-12);
    }

    #[test]
    fn pyramid_scale_maps_pixel_centres() {
        // the centre of full-res pixels 0 and 1 is level-1 pixel 0's centre
        let s = Homography::scale_pixel_centres(0.5);
        let (x, _) = s.apply(0.5, 0.0).unwrap();
        assert!(x.abs() < 1e-12);
    }

    #[test]
    fn singular_has_no_inverse() {
        let h = Homography([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 1.0]]);
        assert!(h.inverse().is_none());
    }

    #[test]
    fn corner_error_of_shift_is_shift() {
        let a = Homography::translation(0.3, 0.4);
        assert!((a.corner_error(&Homography::IDENTITY, 100, 80) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn largest_rectangle_finds_the_block() {
        // 6x4 grid with a 3x2 block of true plus scattered trues
        let mut g = vec![false; 24];
        for y in 1..3 {
            for x in 2..5 {
                g[y * 6 + x] = true;
            }
        }
        g[0] = true;
        assert_eq!(largest_rectangle(&g, 6, 4), Some((2, 1, 3, 2)));
    }

    #[test]
    fn common_roi_of_identity_is_almost_everything() {
        let id = Homography::IDENTITY;
        let r = common_roi(400, 300, std::iter::once((&id, (400, 300))), 16, None).unwrap();
        assert!(r.w > 360 && r.h > 270 && r.fits_in(400, 300), "{r:?}");
        // a shift by 100 px leaves the left part uncovered
        let t = Homography::translation(100.0, 0.0);
        let r2 = common_roi(
            400,
            300,
            [(&id, (400, 300)), (&t, (400, 300))].into_iter(),
            16,
            None,
        )
        .unwrap();
        assert!(r2.x >= 100 && r2.w < 300, "{r2:?}");
    }

    #[test]
    fn common_roi_is_beside_the_control_region() {
        // a control in the upper left of a 400×300 frame: the largest
        // rectangle beside it is the frame below it (400×230 against
        // 290×300 right of it)
        let id = Homography::IDENTITY;
        let control = Rect::new(40, 20, 70, 50);
        let r = common_roi(
            400,
            300,
            std::iter::once((&id, (400, 300))),
            16,
            Some(control),
        )
        .unwrap();
        assert_eq!(r.shared(control), 0, "{r}");
        assert!(r.y >= 70 && r.w > 360 && r.h > 200, "{r}");
        // one over the whole frame leaves nothing
        let all = Rect::new(0, 0, 400, 300);
        assert_eq!(
            common_roi(400, 300, std::iter::once((&id, (400, 300))), 16, Some(all)),
            None
        );
    }
}
