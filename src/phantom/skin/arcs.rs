//! The phantom's fine lines: grooves along circular arcs.

use crate::raster::Rect;

/// The depth (µm) of a fine line's crease that lets e⁻¹ of the light in
/// (`Skin::crease_light`): a line 80 µm deep is 15 % darker at its
/// bottom, one 30 µm deep 6 %.
pub(super) const CREASE_UM: f64 = 500.0;

/// One fine line: a groove along the arc of the circle of centre (cx, cy)
/// and `radius` (scene px) from angle `a0` to `a1`, `width` px (σ across
/// it) and `depth` µm.
#[derive(Clone, Debug)]
pub(super) struct Arc {
    pub(super) cx: f64,
    pub(super) cy: f64,
    pub(super) radius: f64,
    pub(super) a0: f64,
    pub(super) a1: f64,
    pub(super) width: f64,
    pub(super) depth: f64,
}

impl Arc {
    /// Distance (px) from scene point (x, y) to the arc.
    fn distance(&self, x: f64, y: f64) -> f64 {
        let (dx, dy) = (x - self.cx, y - self.cy);
        let ang = dy.atan2(dx);
        let within = |a: f64| {
            let t = (a - self.a0).rem_euclid(std::f64::consts::TAU);
            t <= (self.a1 - self.a0).rem_euclid(std::f64::consts::TAU)
        };
        if within(ang) {
            ((dx * dx + dy * dy).sqrt() - self.radius).abs()
        } else {
            let end = |a: f64| {
                ((x - self.cx - self.radius * a.cos()).powi(2)
                    + (y - self.cy - self.radius * a.sin()).powi(2))
                .sqrt()
            };
            end(self.a0).min(end(self.a1))
        }
    }

    /// The arc's depth (µm) at scene point (x, y): a Gaussian groove of σ
    /// `width` across it, cut off at 4 σ.
    pub(super) fn depth_at(&self, x: f64, y: f64) -> f64 {
        let d = self.distance(x, y);
        if d < 4.0 * self.width {
            self.depth * (-(d * d) / (2.0 * self.width * self.width)).exp()
        } else {
            0.0
        }
    }

    /// Moves the arc (not turning it) so that its middle lies in the area
    /// `across` (baseline px; the baseline frame sits at `offset` in the
    /// scene), at a point its own angles place.
    pub(super) fn move_across(&mut self, across: Rect, offset: (f64, f64)) {
        let frac = |a: f64| (a / std::f64::consts::TAU).rem_euclid(1.0);
        let mid = 0.5 * (self.a0 + self.a1);
        let (mx, my) = (
            self.cx + self.radius * mid.cos(),
            self.cy + self.radius * mid.sin(),
        );
        let to = (
            offset.0 + across.x as f64 + (0.1 + 0.8 * frac(7.0 * self.a0)) * across.w as f64,
            offset.1 + across.y as f64 + (0.1 + 0.8 * frac(11.0 * self.a1)) * across.h as f64,
        );
        self.cx += to.0 - mx;
        self.cy += to.1 - my;
    }
}
