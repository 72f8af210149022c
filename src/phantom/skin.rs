//! The procedural skin of the phantom: value noise, the height field
//! (curvature, furrows, pores, fine lines, scars) and the two-chromophore
//! colour model, with the seeded generator that places everything.

mod arcs;

use super::SCENE_SCALE;
use crate::raster::Rect;
use arcs::{Arc, CREASE_UM};
use serde::Serialize;

/// SplitMix64: small, seedable, good enough for procedural content.
#[derive(Clone)]
pub(super) struct Rng(pub(super) u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub(super) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }
    pub(super) fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-300), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Hash of a lattice point to [0, 1) (a 64-bit integer mix, no state).
#[inline]
fn hash2(seed: u64, i: i64, j: i64) -> f64 {
    let mut z = seed
        ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (j as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Smooth value noise in [−1, 1] with unit lattice spacing.
fn value_noise(seed: u64, x: f64, y: f64) -> f64 {
    let (i, j) = (x.floor(), y.floor());
    let (fx, fy) = (x - i, y - j);
    let s = |t: f64| t * t * (3.0 - 2.0 * t);
    let (i, j) = (i as i64, j as i64);
    let v = |a: i64, b: i64| 2.0 * hash2(seed, i + a, j + b) - 1.0;
    let top = v(0, 0) + s(fx) * (v(1, 0) - v(0, 0));
    let bot = v(0, 1) + s(fx) * (v(1, 1) - v(0, 1));
    top + s(fy) * (bot - top)
}

/// Fractal sum of value noise: `octaves` octaves from wavelength `scale` px.
fn fbm(seed: u64, x: f64, y: f64, scale: f64, octaves: u32) -> f64 {
    let (mut sum, mut amp, mut f) = (0.0, 1.0, 1.0 / scale);
    let mut norm = 0.0;
    for o in 0..octaves {
        sum += amp * value_noise(seed.wrapping_add(u64::from(o) * 7919), x * f, y * f);
        norm += amp;
        amp *= 0.5;
        f *= 2.0;
    }
    sum / norm
}

/// Kinds of atrophic scar (profiles as in the shared photometric model).
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ScarKind {
    /// Broad, shallow, sloping.
    Rolling,
    /// Flat floor, steep walls.
    Boxcar,
    /// Narrow and deep.
    Icepick,
}

/// A designed scar, in baseline pixels and µm.
#[derive(Clone, Debug, Serialize)]
pub struct Scar {
    /// Id (1-based).
    pub id: usize,
    /// Kind.
    pub kind: ScarKind,
    /// Centre, baseline px.
    pub centre: (f64, f64),
    /// Outer radius, px.
    pub radius_px: f64,
    /// Floor radius (boxcar), px.
    pub floor_radius_px: f64,
    /// Depth at the baseline, µm.
    pub depth_um: f64,
}

impl Scar {
    /// Depression (µm, ≥ 0) at distance `r` px for depth `d`.
    fn profile(&self, r: f64, d: f64) -> f64 {
        if r >= self.radius_px {
            return 0.0;
        }
        match self.kind {
            ScarKind::Boxcar if r <= self.floor_radius_px => d,
            ScarKind::Boxcar => {
                let t = (r - self.floor_radius_px) / (self.radius_px - self.floor_radius_px);
                d * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
            }
            _ => d * 0.5 * (1.0 + (std::f64::consts::PI * r / self.radius_px).cos()),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Pore {
    x: f64,
    y: f64,
    sigma: f64,
    depth: f64,
}

/// State of the skin at one visit.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct SkinState {
    /// Scar depth as a fraction of the baseline.
    pub scar_depth_factor: f64,
    /// Micro-relief (furrows, pores) amplitude factor.
    pub relief_factor: f64,
    /// Fine-line depth factor.
    pub line_factor: f64,
    /// Pigmented-patch melanin factor.
    pub pigment_factor: f64,
    /// Extra haemoglobin in the treated area (acute redness).
    pub redness: f64,
    /// Lasting extra haemoglobin in the treated area (inflamed acne,
    /// rosacea), fading over the course ([`super::PhantomOptions::erythema`]).
    pub erythema: f64,
}

impl SkinState {
    /// The skin as it was at the baseline: every factor 1, no redness.
    pub const BASELINE: SkinState = SkinState {
        scar_depth_factor: 1.0,
        relief_factor: 1.0,
        line_factor: 1.0,
        pigment_factor: 1.0,
        redness: 0.0,
        erythema: 0.0,
    };
}

pub(super) struct Skin {
    seed: u64,
    cell: f64,
    line_spacing: f64,
    furrow_depth: f64,
    furrow_width: f64,
    pores: Vec<Vec<Pore>>,
    pore_grid: (usize, usize, f64),
    arcs: Vec<Arc>,
    /// Lines' creases darker than the skin beside them (`with_lines_across`).
    creases: bool,
    pub(super) scars: Vec<Scar>,
    patches: Vec<(f64, f64, f64, f64)>,
    size: (f64, f64),
    treated: Rect,
    /// Where the relief and line factors act (baseline px): the treated
    /// area, or everywhere (`None`, [`Skin::everywhere`]).
    relief_area: Option<Rect>,
    /// A grey-step reference card stuck on the skin (baseline px).
    card: Option<Rect>,
    /// Hair, clothes and a wall around the skin ([`Skin::with_surround`]).
    surround: bool,
    /// The lasting redness's round patch, baseline px: centre and σ
    /// ([`Skin::with_erythema_patch`]); `None`: even over the treated area.
    erythema_patch: Option<(f64, f64, f64)>,
}

/// Linear reflectance of the card's six grey steps, left to right.
const CARD_STEPS: [f64; 6] = [0.1, 0.17, 0.26, 0.37, 0.5, 0.66];

/// The surround ([`Skin::with_surround`]), in shares of the baseline
/// photo's width and height: hair from this u on, ...
const HAIR_FROM_U: f64 = 0.86;
/// ... a wall from this v down, ...
const WALL_FROM_V: f64 = 0.89;
/// ... and clothes left of this u, ...
const CLOTHES_TO_U: f64 = 0.18;
/// ... from this v down.
const CLOTHES_FROM_V: f64 = 0.25;

/// Refuses a card too small in the frame that reads it (reduced to at most
/// 2048 px a side, by a whole factor) to be read: a step under
/// [`CARD_LEAST_PX`] wide or a card under it tall leaves too few cells
/// inside one step (a 256 px frame's steps of 12.8 px left 7 of the 12
/// needed; 15.2 px left 22).
pub(super) fn check_card_readable(w: usize, h: usize, card: Rect) -> crate::error::Result<()> {
    let factor = w.max(h).div_ceil(2048) as f64;
    let (step, tall) = (
        card.w as f64 / CARD_STEPS.len() as f64 / factor,
        card.h as f64 / factor,
    );
    if step.min(tall) < CARD_LEAST_PX {
        return Err(crate::error::Error::usage(format!(
            "--card at --size {w}x{h}: its steps would be {step:.0} px wide and {tall:.0} px tall in the frame read for it (reduced to at most 2048 px a side), under the {CARD_LEAST_PX} px it needs; choose a larger or less elongated --size"
        )));
    }
    Ok(())
}

/// Least width of a card's step and height of the card, px of the frame
/// reduced to at most 2048 px a side.
const CARD_LEAST_PX: f64 = 15.0;

/// How far from the card and the surround the skin's relief reaches its
/// full depth, baseline px.
const RELIEF_FADE_PX: f64 = 3.0;

/// What covers a point of the scene.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cover {
    Skin,
    /// The card's grey step, counted from the left.
    CardStep(usize),
    Hair,
    Wall,
    Clothes,
}

impl Skin {
    pub(super) fn new(
        seed: u64,
        w: f64,
        h: f64,
        mm_per_px: f64,
        treated: Rect,
        base_size: (usize, usize),
    ) -> Skin {
        let mut rng = Rng(seed);
        let px = |mm: f64| mm / mm_per_px;
        let cell = px(0.45);
        // pores: ~70 per cm² of scene
        let area_cm2 = w * h * mm_per_px * mm_per_px / 100.0;
        let n_pores = (70.0 * area_cm2) as usize;
        let gcell = 24.0;
        let (gw, gh) = (
            (w / gcell).ceil() as usize + 1,
            (h / gcell).ceil() as usize + 1,
        );
        let mut pores = vec![Vec::new(); gw * gh];
        for _ in 0..n_pores {
            let p = Pore {
                x: rng.range(0.0, w),
                y: rng.range(0.0, h),
                sigma: px(rng.range(0.035, 0.075)),
                depth: rng.range(30.0, 80.0),
            };
            let (gx, gy) = ((p.x / gcell) as usize, (p.y / gcell) as usize);
            pores[gy * gw + gx].push(p);
        }
        // fine lines: long gentle arcs crossing the patch
        let arcs = (0..5)
            .map(|_| {
                let radius = px(rng.range(30.0, 80.0));
                let (cx, cy) = (rng.range(0.0, w), rng.range(0.0, h));
                let (ox, oy) = (cx + radius * rng.range(-1.0, 1.0), cy - radius);
                let a0 = rng.range(0.0, std::f64::consts::TAU);
                Arc {
                    cx: ox,
                    cy: oy,
                    radius,
                    a0,
                    a1: a0 + px(rng.range(8.0, 20.0)) / radius,
                    width: px(rng.range(0.08, 0.14)),
                    depth: rng.range(30.0, 80.0),
                }
            })
            .collect();
        // scars inside the treated area, apart from one another (baseline px:
        // the scene is offset by the margin, added by the caller)
        let mut scars: Vec<Scar> = Vec::new();
        let kinds = [
            ScarKind::Rolling,
            ScarKind::Boxcar,
            ScarKind::Icepick,
            ScarKind::Rolling,
            ScarKind::Boxcar,
            ScarKind::Icepick,
            ScarKind::Rolling,
        ];
        let margin = (
            (w - base_size.0 as f64) / 2.0,
            (h - base_size.1 as f64) / 2.0,
        );
        let mut tries = 0;
        while scars.len() < kinds.len() && tries < 500 {
            tries += 1;
            let kind = kinds[scars.len()];
            let (r, depth) = match kind {
                ScarKind::Rolling => (px(rng.range(1.2, 2.0)), rng.range(150.0, 260.0)),
                ScarKind::Boxcar => (px(rng.range(0.8, 1.3)), rng.range(150.0, 280.0)),
                ScarKind::Icepick => (px(rng.range(0.25, 0.4)), rng.range(200.0, 350.0)),
            };
            let cx = rng.range(treated.x as f64 + r, (treated.x + treated.w) as f64 - r);
            let cy = rng.range(treated.y as f64 + r, (treated.y + treated.h) as f64 - r);
            if scars.iter().any(|s| {
                ((s.centre.0 - cx).powi(2) + (s.centre.1 - cy).powi(2)).sqrt()
                    < s.radius_px + r + px(1.0)
            }) {
                continue;
            }
            scars.push(Scar {
                id: scars.len() + 1,
                kind,
                centre: (cx, cy),
                radius_px: r,
                floor_radius_px: if kind == ScarKind::Boxcar {
                    0.7 * r
                } else {
                    0.0
                },
                depth_um: depth,
            });
        }
        let _ = margin;
        // pigmented patches (melasma-like blotches)
        let patches = (0..4)
            .map(|_| {
                (
                    rng.range(treated.x as f64, (treated.x + treated.w) as f64),
                    rng.range(treated.y as f64, (treated.y + treated.h) as f64),
                    px(rng.range(2.0, 5.0)),
                    rng.range(0.25, 0.45),
                )
            })
            .collect();
        Skin {
            seed,
            cell,
            line_spacing: px(0.7),
            furrow_depth: 18.0,
            furrow_width: px(0.04),
            pores,
            pore_grid: (gw, gh, gcell),
            arcs,
            creases: false,
            scars,
            patches,
            size: (w, h),
            treated,
            relief_area: Some(treated),
            card: None,
            surround: false,
            erythema_patch: None,
        }
    }

    /// The same skin framed as a face photo is: hair along the right edge
    /// of the baseline photo (its outer 14 %), a wall along the bottom (its
    /// lower 11 %) and clothes along the left below the control region
    /// (the outer 18 %, from a quarter of the height down). They are flat,
    /// as dark as hair and as light as a wall, so the frame holds the range
    /// of brightness that tells a changed tone curve from a changed light.
    pub(super) fn with_surround(mut self, surround: bool) -> Skin {
        self.surround = surround;
        self
    }

    /// Puts the lasting redness ([`SkinState::erythema`]) in a round patch
    /// over part of `region` (baseline px) rather than even over the
    /// treated area: a Gaussian of σ 0.3 of the region's height, centred
    /// 35 % across and 45 % down, so the region's excess runs from about
    /// a tenth of the peak in its far corner to the peak.
    pub(super) fn with_erythema_patch(mut self, region: Option<Rect>) -> Skin {
        self.erythema_patch = region.map(|r| {
            let (x, y, w, h) = (r.x as f64, r.y as f64, r.w as f64, r.h as f64);
            (x + 0.35 * w, y + 0.45 * h, 0.3 * h)
        });
        self
    }

    /// The same skin with each fine line moved (not turned) to cross the
    /// area `across` (baseline px), at a point of it that the line's own
    /// angles place, and with `creases` darker than the skin beside them
    /// ([`Skin::crease_light`]): lines there to measure at every seed, the
    /// creases showing under any light. (Left as drawn, the lines fall
    /// anywhere in the scene, and show only by their shading.)
    pub(super) fn with_lines_across(mut self, across: Rect, creases: bool) -> Skin {
        let offset = self.offset();
        for a in &mut self.arcs {
            a.move_across(across, offset);
        }
        self.creases = creases;
        self
    }

    /// What covers scene point (x, y): the card where it is stuck, the
    /// hair, wall and clothes of the surround, else the skin.
    fn cover(&self, x: f64, y: f64) -> Cover {
        let (ox, oy) = self.offset();
        let (bx, by) = (x - ox, y - oy);
        if let Some(step) = self.card_step(bx, by) {
            return Cover::CardStep(step);
        }
        if !self.surround {
            return Cover::Skin;
        }
        let (u, v) = (bx / self.base_w(), by / self.base_h());
        if u >= HAIR_FROM_U {
            Cover::Hair
        } else if v >= WALL_FROM_V {
            Cover::Wall
        } else if u < CLOTHES_TO_U && v >= CLOTHES_FROM_V {
            Cover::Clothes
        } else {
            Cover::Skin
        }
    }

    /// Distance from baseline point (bx, by) to the nearest flat surface
    /// (the card or the surround), px; 0 on one, infinite without any.
    fn flat_distance(&self, bx: f64, by: f64) -> f64 {
        let mut d = f64::INFINITY;
        if let Some(c) = self.card {
            let (x0, y0) = (c.x as f64, c.y as f64);
            let dx = (x0 - bx).max(bx - (x0 + c.w as f64)).max(0.0);
            let dy = (y0 - by).max(by - (y0 + c.h as f64)).max(0.0);
            d = d.min(dx.hypot(dy));
        }
        if self.surround {
            let (w, h) = (self.base_w(), self.base_h());
            let clothes = (bx - CLOTHES_TO_U * w)
                .max(0.0)
                .hypot((CLOTHES_FROM_V * h - by).max(0.0));
            d = d
                .min((HAIR_FROM_U * w - bx).max(0.0))
                .min((WALL_FROM_V * h - by).max(0.0))
                .min(clothes);
        }
        d
    }

    /// The reflectance of `cover` at scene point (x, y).
    fn cover_reflectance(&self, cover: Cover, x: f64, y: f64, s: &SkinState) -> [f64; 3] {
        // three octaves of value noise from `scale`, the finest 3 px or
        // more across (finer would alias, and the alias would differ
        // between visits)
        let grain = |key: u64, sx: f64, scale: f64| {
            (0.5 + 0.5 * fbm(self.seed ^ key, x * sx, y, scale, 3)).clamp(0.0, 1.0)
        };
        let (colour, shade) = match cover {
            Cover::Skin => return self.skin_reflectance(x, y, s),
            Cover::CardStep(step) => return [CARD_STEPS[step]; 3],
            // strands running down: fast across, slow along
            Cover::Hair => ([0.055, 0.035, 0.022], 0.55 + 0.45 * grain(0x71, 2.0, 24.0)),
            Cover::Wall => ([0.62, 0.6, 0.55], 0.97 + 0.03 * grain(0x72, 1.0, 40.0)),
            Cover::Clothes => ([0.04, 0.06, 0.16], 0.85 + 0.15 * grain(0x73, 1.0, 12.0)),
        };
        colour.map(|c| c * shade)
    }

    /// Linear RGB reflectance at scene point (x, y).
    pub(super) fn reflectance(&self, x: f64, y: f64, s: &SkinState) -> [f64; 3] {
        self.cover_reflectance(self.cover(x, y), x, y, s)
    }

    /// The mean linear reflectance over one pixel, as a sensor integrates
    /// it: `footprint(dx, dy)` is the scene point at offset (dx, dy) from
    /// the pixel's centre, |dx|, |dy| ≤ ½. Where one surface covers the
    /// whole pixel this is the reflectance at its centre; across the edge
    /// of the card or the surround each surface is weighed by the share of
    /// an 8 × 8 grid of the pixel it covers. Sampled at the centre only, an
    /// edge would sit at the pixel boundary nearest to it, up to ½ px off,
    /// and off by the same amount all along an edge of the baseline photo
    /// (whose rows run along the edges): the photos would disagree about
    /// where the edge is.
    pub(super) fn pixel_reflectance(
        &self,
        footprint: impl Fn(f64, f64) -> (f64, f64),
        s: &SkinState,
    ) -> [f64; 3] {
        let (cx, cy) = footprint(0.0, 0.0);
        let centre = self.cover(cx, cy);
        let one_cover = (!self.surround && self.card.is_none())
            || [(-0.5, -0.5), (0.5, -0.5), (-0.5, 0.5), (0.5, 0.5)]
                .into_iter()
                .all(|(dx, dy)| {
                    let (x, y) = footprint(dx, dy);
                    self.cover(x, y) == centre
                });
        if one_cover {
            return self.cover_reflectance(centre, cx, cy, s);
        }
        const N: usize = 8;
        let mut tally: Vec<(Cover, usize)> = Vec::with_capacity(3);
        for j in 0..N {
            for i in 0..N {
                let offset = |k: usize| (k as f64 + 0.5) / N as f64 - 0.5;
                let (x, y) = footprint(offset(i), offset(j));
                let c = self.cover(x, y);
                match tally.iter_mut().find(|(t, _)| *t == c) {
                    Some((_, n)) => *n += 1,
                    None => tally.push((c, 1)),
                }
            }
        }
        let mut mean = [0.0; 3];
        for (c, n) in tally {
            let r = self.cover_reflectance(c, cx, cy, s);
            for k in 0..3 {
                mean[k] += r[k] * n as f64 / (N * N) as f64;
            }
        }
        mean
    }

    /// The same skin with a grey-step card stuck on it at `card`
    /// (baseline px): flat, each step the same grey in every channel.
    pub(super) fn with_card(mut self, card: Option<Rect>) -> Skin {
        self.card = card;
        self
    }

    /// The card's step at baseline point (bx, by), where it is.
    fn card_step(&self, bx: f64, by: f64) -> Option<usize> {
        let c = self.card?;
        let (u, v) = (
            (bx - c.x as f64) / c.w as f64,
            (by - c.y as f64) / c.h as f64,
        );
        ((0.0..1.0).contains(&u) && (0.0..1.0).contains(&v))
            .then(|| (u * CARD_STEPS.len() as f64) as usize)
    }

    /// The same skin with the relief and line factors acting over the whole
    /// scene (a uniformly smoother skin for registration tests), not only
    /// in the treated area.
    pub(super) fn everywhere(mut self) -> Skin {
        self.relief_area = None;
        self
    }

    /// How much of the treatment acts at baseline point (bx, by) of the
    /// area `t`: 1 inside, falling linearly to 0 over its outer 20 px
    /// (a feathered edge), 0 outside.
    fn treated_weight(&self, bx: f64, by: f64, t: Rect) -> f64 {
        let edge = [
            bx - t.x as f64,
            (t.x + t.w) as f64 - bx,
            by - t.y as f64,
            (t.y + t.h) as f64 - by,
        ]
        .into_iter()
        .fold(f64::INFINITY, f64::min);
        (edge / 20.0).clamp(0.0, 1.0)
    }

    /// Distance to the nearest Voronoi cell edge (approximate: (F2 − F1)/2).
    fn edge_distance(&self, x: f64, y: f64) -> f64 {
        let (ci, cj) = (
            (x / self.cell).floor() as i64,
            (y / self.cell).floor() as i64,
        );
        let (mut f1, mut f2) = (f64::INFINITY, f64::INFINITY);
        for dj in -1..=1 {
            for di in -1..=1 {
                let (i, j) = (ci + di, cj + dj);
                let px = (i as f64 + hash2(self.seed ^ 0xA1, i, j)) * self.cell;
                let py = (j as f64 + hash2(self.seed ^ 0xB2, i, j)) * self.cell;
                let d = (x - px).powi(2) + (y - py).powi(2);
                if d < f1 {
                    f2 = f1;
                    f1 = d;
                } else if d < f2 {
                    f2 = d;
                }
            }
        }
        0.5 * (f2.sqrt() - f1.sqrt())
    }

    /// Depth of the skin's primary lines: two families of wavy parallel
    /// furrows (the rhomboid pattern of the skin surface), fading in and out.
    fn primary_lines(&self, x: f64, y: f64) -> f64 {
        let mut depth = 0.0;
        for (k, angle) in [0.5f64, 2.2].iter().enumerate() {
            let (s, c) = angle.sin_cos();
            let seed = self.seed ^ (0x77 + k as u64);
            let u = x * c
                + y * s
                + 0.35 * self.line_spacing * fbm(seed, x, y, 3.0 * self.line_spacing, 2);
            let t = (u / self.line_spacing).rem_euclid(1.0) - 0.5;
            let d = t.abs() * self.line_spacing;
            let strength =
                (0.5 + 0.5 * fbm(seed ^ 0x5, x, y, 2.0 * self.line_spacing, 2)).clamp(0.0, 1.0);
            depth += strength * (-(d * d) / (2.0 * self.furrow_width * self.furrow_width)).exp();
        }
        depth
    }

    /// Height in µm (positive toward the camera) at scene point (x, y):
    /// the face's curve, and the skin's relief fading to nothing over
    /// [`RELIEF_FADE_PX`] toward the card and the surround (flat surfaces:
    /// a relief cut off at their edge would draw a line of shading there,
    /// sampled where the pixel corners happen to fall).
    pub(super) fn height(&self, x: f64, y: f64, s: &SkinState) -> f64 {
        let (w, h) = self.size;
        let (u, v) = (x / w - 0.5, y / h - 0.5);
        let z = -200.0 * (u * u + 0.6 * v * v);
        let fade = self.relief_fade(x, y);
        if fade == 0.0 {
            return z;
        }
        z + fade * self.relief(x, y, s)
    }

    /// How much of the skin's relief there is at scene point (x, y): none
    /// on the card and the surround, all of it from [`RELIEF_FADE_PX`] away.
    fn relief_fade(&self, x: f64, y: f64) -> f64 {
        let (ox, oy) = self.offset();
        let t = (self.flat_distance(x - ox, y - oy) / RELIEF_FADE_PX).min(1.0);
        t * t * (3.0 - 2.0 * t)
    }

    /// The light a fine line's crease lets reach the skin at scene point
    /// (x, y), as a factor of the skin's shading beside it: less of the
    /// light around reaches into a crease, so it is darker under any light,
    /// also where it runs along an oblique one (whose shading alone then
    /// hides it): e^(−depth / [`CREASE_UM`]). 1 unless the skin was made
    /// [`Skin::with_lines_across`].
    pub(super) fn crease_light(&self, x: f64, y: f64, s: &SkinState) -> f64 {
        if !self.creases {
            return 1.0;
        }
        let depth = self.lines_depth(x, y, s);
        if depth == 0.0 {
            return 1.0;
        }
        (-self.relief_fade(x, y) * depth / CREASE_UM).exp()
    }

    /// How much of the treatment acts at scene point (x, y): 1 in the
    /// treated area (everywhere after [`Skin::everywhere`]), 0 outside.
    fn treated_share(&self, x: f64, y: f64) -> f64 {
        let (ox, oy) = self.offset();
        self.relief_area
            .map_or(1.0, |t| self.treated_weight(x - ox, y - oy, t))
    }

    /// The fine lines' depth (µm) at scene point (x, y), as the state `s`
    /// left them where the treatment acts.
    fn lines_depth(&self, x: f64, y: f64, s: &SkinState) -> f64 {
        let depth: f64 = self.arcs.iter().map(|a| a.depth_at(x, y)).sum();
        if depth == 0.0 {
            return 0.0;
        }
        let line_factor = 1.0 + self.treated_share(x, y) * (s.line_factor - 1.0);
        line_factor * depth
    }

    /// The skin's relief in µm at scene point (x, y): furrows, lines,
    /// pores and scars.
    fn relief(&self, x: f64, y: f64, s: &SkinState) -> f64 {
        let mut z = 0.0;
        // micro-relief: secondary furrows along irregular cell edges (depth
        // varying from place to place), primary line families, fine roughness
        let d = self.edge_distance(x, y);
        let vary = (0.55 + 0.45 * fbm(self.seed ^ 0x52, x, y, 2.0 * self.cell, 2)).max(0.0);
        let mut relief = -self.furrow_depth
            * vary
            * (-(d * d) / (2.0 * self.furrow_width * self.furrow_width)).exp();
        relief -= 0.8 * self.furrow_depth * self.primary_lines(x, y);
        relief += 2.5 * fbm(self.seed ^ 0x51, x, y, 5.0, 3);
        // pores
        for p in self.nearby_pores(x, y) {
            let r2 = (x - p.x).powi(2) + (y - p.y).powi(2);
            if r2 < 16.0 * p.sigma * p.sigma {
                relief -= p.depth * (-r2 / (2.0 * p.sigma * p.sigma)).exp();
            }
        }
        // the treatment acts inside the treated area only: the skin around
        // it, and so the control region, keeps its relief and lines
        let relief_factor = 1.0 + self.treated_share(x, y) * (s.relief_factor - 1.0);
        z += relief_factor * relief;
        z -= self.lines_depth(x, y, s);
        let mut scar_depth = 0.0;
        for sc in &self.scars {
            let r = ((x - sc.centre.0 - self.offset().0).powi(2)
                + (y - sc.centre.1 - self.offset().1).powi(2))
            .sqrt();
            scar_depth += sc.profile(r, sc.depth_um * s.scar_depth_factor);
        }
        z - scar_depth
    }

    /// The pores of the grid cells around scene point (x, y), row by row.
    fn nearby_pores(&self, x: f64, y: f64) -> impl Iterator<Item = &Pore> {
        let (gw, gh, gc) = self.pore_grid;
        let (gx, gy) = ((x / gc).floor() as i64, (y / gc).floor() as i64);
        (gy - 1..=gy + 1)
            .flat_map(move |jy| (gx - 1..=gx + 1).map(move |jx| (jx, jy)))
            .filter(move |&(jx, jy)| jx >= 0 && jy >= 0 && jx < gw as i64 && jy < gh as i64)
            .flat_map(move |(jx, jy)| &self.pores[jy as usize * gw + jx as usize])
    }

    fn offset(&self) -> (f64, f64) {
        // scars and patches are designed in baseline pixels; the baseline image
        // sits at this offset in the scene
        (
            (self.size.0 - self.base_w()) / 2.0,
            (self.size.1 - self.base_h()) / 2.0,
        )
    }

    fn base_w(&self) -> f64 {
        self.size.0 / SCENE_SCALE
    }

    fn base_h(&self) -> f64 {
        self.size.1 / SCENE_SCALE
    }

    /// Extra melanin in and around pore openings (they read as dark dots).
    fn pore_pigment(&self, x: f64, y: f64) -> f64 {
        let mut m = 0.0;
        for p in self.nearby_pores(x, y) {
            let r2 = (x - p.x).powi(2) + (y - p.y).powi(2);
            let s2 = 2.0 * p.sigma * p.sigma;
            if r2 < 9.0 * s2 {
                m += 0.35 * (p.depth / 60.0) * (-r2 / s2).exp();
            }
        }
        m
    }

    /// The erythema index 100·log10(R/G) of the mean linear reflectance
    /// over baseline rectangle `roi` less the same over `control` (every
    /// second pixel): the redness excess a claim states, from the skin
    /// alone (no light, camera or alignment).
    pub(super) fn erythema_excess(&self, s: &SkinState, roi: Rect, control: Rect) -> f64 {
        let (ox, oy) = self.offset();
        let index = |r: Rect| {
            let (mut red, mut green) = (0.0, 0.0);
            for y in (r.y..r.y + r.h).step_by(2) {
                for x in (r.x..r.x + r.w).step_by(2) {
                    let c = self.reflectance(x as f64 + ox, y as f64 + oy, s);
                    red += c[0];
                    green += c[1];
                }
            }
            100.0 * (red / green).log10()
        };
        index(roi) - index(control)
    }

    /// The skin's own linear RGB reflectance at scene point (x, y).
    fn skin_reflectance(&self, x: f64, y: f64, s: &SkinState) -> [f64; 3] {
        let (ox, oy) = self.offset();
        let (bx, by) = (x - ox, y - oy);
        let mut mel = 0.55
            + 0.08 * fbm(self.seed ^ 0x11, x, y, 90.0, 4)
            + 0.04 * fbm(self.seed ^ 0x12, x, y, 9.0, 2);
        mel += self.pore_pigment(x, y);
        for &(px, py, r, amp) in &self.patches {
            let d2 = (bx - px).powi(2) + (by - py).powi(2);
            let edge = 0.75 + 0.25 * fbm(self.seed ^ 0x13, x, y, r * 0.5, 2);
            mel += s.pigment_factor * amp * (-d2 / (2.0 * (r * edge).powi(2))).exp();
        }
        let mut hb = 0.32 + 0.06 * fbm(self.seed ^ 0x21, x, y, 60.0, 4);
        // small vascular blotches
        hb += 0.12 * (fbm(self.seed ^ 0x22, x, y, 14.0, 2) - 0.35).max(0.0);
        let erythema = match self.erythema_patch {
            Some((cx, cy, sigma)) => {
                s.erythema
                    * (-((bx - cx).powi(2) + (by - cy).powi(2)) / (2.0 * sigma * sigma)).exp()
            }
            None => s.erythema,
        };
        hb += (s.redness + erythema) * self.treated_weight(bx, by, self.treated);
        // chromophore absorption per channel (R, G, B): melanin absorbs
        // toward blue, haemoglobin mostly green
        let k_mel = [0.25, 0.8, 1.5];
        let k_hb = [0.18, 1.1, 1.1];
        let base = [0.85, 0.85, 0.85];
        let mut out = [0.0; 3];
        for c in 0..3 {
            out[c] = base[c] * (-(k_mel[c] * mel + k_hb[c] * hb)).exp();
        }
        out
    }
}

#[cfg(test)]
mod tests;
