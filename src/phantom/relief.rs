//! The phantom's 3D captures: height maps from a hand-held 3D skin camera
//! (each visit framed by hand, its lateral scale off by up to ±6 %) and
//! photometric sets from a fixed multi-light rig (six lights 40–55° above
//! the skin, cast shadows inside deep scars, 8-bit sRGB JPEG).

use super::PhantomOptions;
use super::skin::{Rng, Skin, SkinState};
use crate::error::Result;
use crate::geometry::Homography;
use crate::output;
use crate::raster::{Rect, linear_to_srgb};
use rayon::prelude::*;
use std::path::Path;

pub(super) struct HeightPlan {
    pub(super) rect: Rect,
    pub(super) um_per_level: f64,
    pub(super) base_from_moving: Vec<Homography>,
    /// Per session: the map's scale (a hand-held scanner's differs).
    pub(super) mm_per_px: Vec<f64>,
}

/// Largest change of a height map's lateral scale from the baseline's
/// (a hand-held 3D scanner held closer or farther): ±6 %.
const HAND_HELD_SCALE: f64 = 0.06;

/// The square patch of a `w × h` baseline photo that the 3D captures
/// (height maps, photometric sets) cover: around the scars.
pub(super) fn patch(skin: &Skin, w: usize, h: usize) -> Rect {
    let side = (w.min(h) * 45 / 100).max(128);
    let (mut sx, mut sy) = (0.0, 0.0);
    for s in &skin.scars {
        sx += s.centre.0;
        sy += s.centre.1;
    }
    let n = skin.scars.len().max(1) as f64;
    let (cx, cy) = (sx / n, sy / n);
    let x = (cx - side as f64 / 2.0).clamp(0.0, (w - side) as f64) as usize;
    let y = (cy - side as f64 / 2.0).clamp(0.0, (h - side) as f64) as usize;
    Rect::new(x, y, side, side)
}

/// Maps a 3D capture's pixels at visit `i` to scene points: its placement
/// `base_from_moving[i]` over the baseline patch `rect`, the patch in the
/// scene at the baseline photo's `offset`.
fn scene_from_capture(
    rect: Rect,
    base_from_moving: &[Homography],
    i: usize,
    offset: (f64, f64),
) -> Homography {
    Homography::translation(offset.0 + rect.x as f64, offset.1 + rect.y as f64)
        * base_from_moving[i]
}

/// Height-map captures of the patch `rect`, each session framed with a
/// small shift and rotation (a 3D camera placed by hand).
pub(super) fn height_map_plan(rect: Rect, opts: &PhantomOptions) -> HeightPlan {
    let side = rect.w;
    let mut rng = Rng(opts.seed ^ 0x4E16);
    let mut scale_rng = Rng(opts.seed ^ 0x5CA1E);
    let (base_from_moving, mm_per_px) = (0..opts.sessions)
        .map(|i| {
            if i == 0 {
                return (Homography::IDENTITY, opts.mm_per_px);
            }
            let c = side as f64 / 2.0;
            let shift = Homography::translation(rng.range(-12.0, 12.0), rng.range(-12.0, 12.0));
            let angle = rng.range(-3.0, 3.0).to_radians();
            // held at another distance: one pixel of this visit's map is
            // `scale` pixels of the baseline's
            let scale = scale_rng.range(1.0 - HAND_HELD_SCALE, 1.0 + HAND_HELD_SCALE);
            (
                shift * Homography::similarity_about(angle, scale, c, c),
                opts.mm_per_px * scale,
            )
        })
        .unzip();
    HeightPlan {
        rect,
        um_per_level: 0.05,
        base_from_moving,
        mm_per_px,
    }
}

pub(super) fn write_height_map(
    dir: &Path,
    skin: &Skin,
    state: &SkinState,
    plan: &HeightPlan,
    i: usize,
    offset: (f64, f64),
    opts: &PhantomOptions,
) -> Result<()> {
    let side = plan.rect.w;
    let scene_from_hm = scene_from_capture(plan.rect, &plan.base_from_moving, i, offset);
    let mut rng = Rng(opts.seed ^ 0x7A11 ^ i as u64);
    // a 3D camera adds its own tilt and zero offset
    let (tilt_x, tilt_y, zero) = (
        rng.range(-3.0, 3.0),
        rng.range(-3.0, 3.0),
        rng.range(-20.0, 20.0),
    );
    let heights: Vec<f64> = (0..side * side)
        .into_par_iter()
        .map(|k| {
            let (x, y) = ((k % side) as f64, (k / side) as f64);
            let (a, b) = scene_from_hm.apply(x, y).unwrap_or((0.0, 0.0));
            skin.height(a, b, state)
                + tilt_x * x * plan.mm_per_px[i]
                + tilt_y * y * plan.mm_per_px[i]
                + zero
        })
        .collect();
    let lo = heights.iter().copied().fold(f64::INFINITY, f64::min);
    let levels: Vec<u16> = heights
        .iter()
        .map(|z| {
            ((z - lo + 50.0) / plan.um_per_level)
                .round()
                .clamp(0.0, 65535.0) as u16
        })
        .collect();
    let path = dir.join("cheek.height.png");
    output::write_atomic(&path, &output::png_grey16(&path, side, side, &levels)?)?;
    let sidecar = format!(
        "# height_um = level * um_per_level (the zero is arbitrary)\num_per_level = {}\nmm_per_px = {}\n",
        plan.um_per_level, plan.mm_per_px[i]
    );
    output::write_atomic(&dir.join("cheek.height.toml"), sidecar.as_bytes())
}

/// The photometric rig: a fixed camera over the same square patch as the
/// height maps (the client placed a little differently at each visit, no
/// change of scale) and six lights at 40–55° elevation around it.
pub(super) struct PhotometricPlan {
    pub(super) rect: Rect,
    pub(super) base_from_moving: Vec<Homography>,
    /// Unit directions toward the lights (x right, y up, z to the camera).
    pub(super) lights: Vec<[f64; 3]>,
}

/// Number of lights of the rig.
const RIG_LIGHTS: usize = 6;

/// The rig and each visit's placement under it.
pub(super) fn photometric_plan(rect: Rect, opts: &PhantomOptions) -> PhotometricPlan {
    let mut rng = Rng(opts.seed ^ 0x9A0_7057);
    let turn = rng.range(0.0, 60.0);
    let lights = (0..RIG_LIGHTS)
        .map(|k| {
            let az = (turn + 60.0 * k as f64 + rng.range(-8.0, 8.0)).to_radians();
            let el = rng.range(40.0, 55.0).to_radians();
            [el.cos() * az.cos(), el.cos() * az.sin(), el.sin()]
        })
        .collect();
    let c = rect.w as f64 / 2.0;
    let base_from_moving = (0..opts.sessions)
        .map(|i| {
            if i == 0 {
                return Homography::IDENTITY;
            }
            let shift = Homography::translation(rng.range(-10.0, 10.0), rng.range(-10.0, 10.0));
            shift * Homography::similarity_about(rng.range(-2.0, 2.0).to_radians(), 1.0, c, c)
        })
        .collect();
    PhotometricPlan {
        rect,
        base_from_moving,
        lights,
    }
}

/// Samples per pixel side: each pixel averages 2×2 rendered samples, so
/// furrows narrower than a pixel shade as a camera sees them.
const SUPERSAMPLE: usize = 2;

/// Samples of skin beyond the frame on every side: what lies there can
/// cast a shadow into it.
const BORDER: usize = 48;

/// Heights (µm) on the supersampled grid around one visit's frame.
struct HeightGrid {
    side: usize,
    z: Vec<f64>,
    /// Sample spacing, µm.
    step_um: f64,
}

impl HeightGrid {
    fn at(&self, gx: usize, gy: usize) -> f64 {
        self.z[gy * self.side + gx]
    }

    /// Bilinear height at a fractional grid position (None outside).
    fn sample(&self, x: f64, y: f64) -> Option<f64> {
        if x < 0.0 || y < 0.0 {
            return None;
        }
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        if x0 + 1 >= self.side || y0 + 1 >= self.side {
            return None;
        }
        let (fx, fy) = (x - x0 as f64, y - y0 as f64);
        let top = self.at(x0, y0) * (1.0 - fx) + self.at(x0 + 1, y0) * fx;
        let bottom = self.at(x0, y0 + 1) * (1.0 - fx) + self.at(x0 + 1, y0 + 1) * fx;
        Some(top * (1.0 - fy) + bottom * fy)
    }

    /// Unit normal (x right, y up, z to the camera) by central differences.
    fn normal(&self, gx: usize, gy: usize) -> [f64; 3] {
        let zx = (self.at(gx + 1, gy) - self.at(gx - 1, gy)) / (2.0 * self.step_um);
        let zrow = (self.at(gx, gy + 1) - self.at(gx, gy - 1)) / (2.0 * self.step_um);
        // y is up: ∂z/∂y = −∂z/∂row
        let n = [-zx, zrow, 1.0];
        let len = (n[0] * n[0] + n[1] * n[1] + 1.0).sqrt();
        [n[0] / len, n[1] / len, n[2] / len]
    }

    /// Whether the surface hides the light `l` from sample (gx, gy): a ray
    /// marched toward the light in half-sample steps meets higher ground.
    fn in_cast_shadow(&self, gx: usize, gy: usize, l: &[f64; 3], z_max: f64) -> bool {
        let flat = l[0].hypot(l[1]);
        if flat < 1e-9 {
            return false;
        }
        // toward the light in grid steps (rows go down, y goes up)
        let (dx, dy) = (l[0] / flat, -l[1] / flat);
        let rise = self.step_um * l[2] / flat;
        let z0 = self.at(gx, gy);
        let mut t = 0.5;
        loop {
            let ray = z0 + t * rise;
            if ray > z_max {
                return false;
            }
            match self.sample(gx as f64 + t * dx, gy as f64 + t * dy) {
                None => return false,
                Some(z) if z > ray + 1e-3 => return true,
                Some(_) => t += 0.5,
            }
        }
    }
}

/// Writes visit `i`'s photometric set (VIEW.ps/: 01.jpg…, filenames.txt,
/// light_directions.txt): Lambertian skin with its colour, cast shadows,
/// sensor noise, sRGB 8-bit JPEG at quality 92 with 4:2:0 chroma.
pub(super) fn write_photometric_set(
    dir: &Path,
    skin: &Skin,
    state: &SkinState,
    plan: &PhotometricPlan,
    i: usize,
    offset: (f64, f64),
    opts: &PhantomOptions,
) -> Result<()> {
    let side = plan.rect.w;
    let scene_from_ps = scene_from_capture(plan.rect, &plan.base_from_moving, i, offset);
    let ss = SUPERSAMPLE as f64;
    let grid_side = side * SUPERSAMPLE + 2 * BORDER;
    // sample (gx, gy) sits at this frame position (pixel centres at integers)
    let frame_at = |g: usize| (g as f64 - BORDER as f64 + 0.5) / ss - 0.5;
    let scene = |gx: usize, gy: usize| {
        scene_from_ps
            .apply(frame_at(gx), frame_at(gy))
            .unwrap_or((0.0, 0.0))
    };
    let grid = HeightGrid {
        side: grid_side,
        z: (0..grid_side * grid_side)
            .into_par_iter()
            .map(|k| {
                let (a, b) = scene(k % grid_side, k / grid_side);
                skin.height(a, b, state)
            })
            .collect(),
        step_um: opts.mm_per_px * 1000.0 / ss,
    };
    let z_max = grid.z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // reflectance per sample inside the frame
    let inner = side * SUPERSAMPLE;
    let albedo: Vec<[f64; 3]> = (0..inner * inner)
        .into_par_iter()
        .map(|k| {
            let (a, b) = scene(k % inner + BORDER, k / inner + BORDER);
            skin.reflectance(a, b, state)
        })
        .collect();
    let set = dir.join("cheek.ps");
    std::fs::create_dir_all(&set).map_err(|source| crate::error::Error::Write {
        path: set.clone(),
        source,
    })?;
    let mut names = String::new();
    let mut directions = String::new();
    for (k, l) in plan.lights.iter().enumerate() {
        let radiance: Vec<[f64; 3]> = (0..side * side)
            .into_par_iter()
            .map(|p| {
                let (px, py) = (p % side, p / side);
                let mut sum = [0.0; 3];
                for sy in 0..SUPERSAMPLE {
                    for sx in 0..SUPERSAMPLE {
                        let (ix, iy) = (px * SUPERSAMPLE + sx, py * SUPERSAMPLE + sy);
                        let (gx, gy) = (ix + BORDER, iy + BORDER);
                        let n = grid.normal(gx, gy);
                        let shade = (n[0] * l[0] + n[1] * l[1] + n[2] * l[2]).max(0.0);
                        if shade == 0.0 || grid.in_cast_shadow(gx, gy, l, z_max) {
                            continue;
                        }
                        let rho = albedo[iy * inner + ix];
                        for c in 0..3 {
                            sum[c] += rho[c] * shade;
                        }
                    }
                }
                sum.map(|s| s / (ss * ss))
            })
            .collect();
        let mut rng = Rng(opts.seed ^ 0x5E75 ^ ((i * RIG_LIGHTS + k) as u64) << 8);
        let rgb: Vec<u8> = radiance
            .iter()
            .flat_map(|r| r.map(|c| linear_to_srgb(RIG_EXPOSURE * c)))
            .map(|v| (v + RIG_NOISE * rng.normal()).round().clamp(0.0, 255.0) as u8)
            .collect();
        let name = format!("{:02}.jpg", k + 1);
        let path = set.join(&name);
        output::write_atomic(&path, &output::jpeg_output(&path, side, side, &rgb, 92)?)?;
        names.push_str(&name);
        names.push('\n');
        directions.push_str(&format!("{:.6} {:.6} {:.6}\n", l[0], l[1], l[2]));
    }
    output::write_atomic(&set.join("filenames.txt"), names.as_bytes())?;
    output::write_atomic(&set.join("light_directions.txt"), directions.as_bytes())
}

/// Linear exposure of the rig: skin facing a light straight on reads about
/// 0.8 of full scale, short of clipping.
const RIG_EXPOSURE: f64 = 1.15;

/// Sensor noise of the rig, in 8-bit levels.
const RIG_NOISE: f64 = 1.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pit_is_in_shadow_exactly_when_its_rim_hides_the_light() {
        // a cylindrical pit of radius 10 samples and depth d in a flat
        // plane; from its centre the rim is 10 samples away, so a light at
        // elevation e is hidden when d > 10 · step · tan(e) (give or take
        // the disc's pixel steps)
        let (side, step_um) = (81, 10.0);
        for depth in [50.0, 150.0, 400.0] {
            let z: Vec<f64> = (0..side * side)
                .map(|k| {
                    let (x, y) = ((k % side) as f64 - 40.0, (k / side) as f64 - 40.0);
                    if x.hypot(y) < 10.0 { -depth } else { 0.0 }
                })
                .collect();
            let grid = HeightGrid { side, z, step_um };
            for el in [30.0f64, 45.0, 60.0, 75.0] {
                for az in [0.0f64, 50.0, 135.0, 260.0] {
                    let (e, a) = (el.to_radians(), az.to_radians());
                    let l = [e.cos() * a.cos(), e.cos() * a.sin(), e.sin()];
                    let want = depth > 10.0 * step_um * e.tan() * 1.15;
                    let not_want = depth < 10.0 * step_um * e.tan() * 0.9;
                    let got = grid.in_cast_shadow(40, 40, &l, 0.0);
                    if want || not_want {
                        assert_eq!(got, want, "depth {depth} elevation {el} azimuth {az}");
                    }
                }
            }
        }
    }
}
