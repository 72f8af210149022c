//! Synthetic registration pairs with an exactly known homography, for
//! property tests and benchmarks of the alignment stage across the whole
//! range it must handle: rotation, scale, shear, perspective, partial
//! overlap, exposure gain, gamma, colour cast, illumination gradient, blur,
//! noise, JPEG compression and occlusion.
//!
//! BASE is a crop of a larger scene; MOVING is sampled from the same scene
//! through the homography (one bicubic interpolation, real content beyond
//! BASE's edges), then degraded in the order a camera would: lighting, lens
//! blur, sensor noise, an occluder, JPEG.

use crate::align::warp::warp_plane;
use crate::geometry::Homography;
use crate::raster::{ColourModel, Plane, RgbPlanes};

/// Everything that distinguishes MOVING from BASE.
#[derive(Clone, Debug, PartialEq)]
pub struct PairSpec {
    /// Rotation, degrees.
    pub rotation_deg: f64,
    /// Uniform scale (moving → base).
    pub scale: f64,
    /// Shear (x += shear·y).
    pub shear: f64,
    /// Perspective: the largest corner displacement as a fraction of the size.
    pub perspective: f64,
    /// Translation as a fraction of the size (sets the overlap).
    pub shift: (f64, f64),
    /// Exposure gain.
    pub gain: f64,
    /// Gamma applied to values in 0–1.
    pub gamma: f64,
    /// Per-channel colour cast.
    pub cast: [f64; 3],
    /// Illumination gradient: relative change across the image, and its direction (rad).
    pub gradient: (f64, f64),
    /// Gaussian blur σ, px.
    pub blur: f64,
    /// Gaussian noise σ, 8-bit levels.
    pub noise: f64,
    /// JPEG quality (None = no compression).
    pub jpeg_quality: Option<u8>,
    /// Occluded fraction of MOVING (a flat patch).
    pub occlusion: f64,
    /// Seed of the noise and the perspective direction.
    pub seed: u64,
}

impl Default for PairSpec {
    fn default() -> Self {
        PairSpec {
            rotation_deg: 0.0,
            scale: 1.0,
            shear: 0.0,
            perspective: 0.0,
            shift: (0.0, 0.0),
            gain: 1.0,
            gamma: 1.0,
            cast: [1.0; 3],
            gradient: (0.0, 0.0),
            blur: 0.0,
            noise: 0.0,
            jpeg_quality: None,
            occlusion: 0.0,
            seed: 1,
        }
    }
}

/// Deterministic uniform numbers for drawing specs.
pub struct Draw(u64);

impl Draw {
    /// A generator from a seed.
    #[must_use]
    pub fn new(seed: u64) -> Draw {
        Draw(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

impl PairSpec {
    /// A spec drawn uniformly over the full range the aligner must handle
    /// (issue 4): rotation ±20°, scale 0.8–1.25, shear ±0.08, perspective ≤ 6 %,
    /// overlap down to ~60 %, gain 0.6–1.4, gamma 0.7–1.3, casts ±10 %,
    /// gradients ≤ 40 %, blur ≤ 1.5 px, noise ≤ 4 levels, JPEG 60–95,
    /// occlusion ≤ 20 %.
    #[must_use]
    pub fn random(seed: u64) -> PairSpec {
        let mut d = Draw::new(seed);
        PairSpec {
            rotation_deg: d.range(-20.0, 20.0),
            scale: (d.range(0.8f64.ln(), 1.25f64.ln())).exp(),
            shear: d.range(-0.08, 0.08),
            perspective: d.range(0.0, 0.06),
            shift: (d.range(-0.18, 0.18), d.range(-0.18, 0.18)),
            gain: d.range(0.6, 1.4),
            gamma: d.range(0.7, 1.3),
            cast: [d.range(0.9, 1.1), d.range(0.95, 1.05), d.range(0.9, 1.1)],
            gradient: (d.range(0.0, 0.4), d.range(0.0, std::f64::consts::TAU)),
            blur: d.range(0.0, 1.5),
            noise: d.range(0.0, 4.0),
            jpeg_quality: Some(d.range(60.0, 95.0) as u8),
            occlusion: d.range(0.0, 0.2),
            seed,
        }
    }

    /// The geometric part: maps MOVING positions to BASE positions, for a
    /// `w × h` frame (transforms act about the centre).
    #[must_use]
    pub fn base_from_moving(&self, w: usize, h: usize) -> Homography {
        let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
        let centre = Homography::translation(cx, cy);
        let uncentre = Homography::translation(-cx, -cy);
        let sim =
            Homography::similarity_about(self.rotation_deg.to_radians(), self.scale, 0.0, 0.0);
        let shear = Homography([[1.0, self.shear, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
        // perspective: a projective term whose corner displacement is about
        // `perspective` of the half-size, in a seeded direction
        let mut d = Draw::new(self.seed ^ 0x5EED);
        let ang = d.range(0.0, std::f64::consts::TAU);
        let k = self.perspective * 2.0 / (cx + cy);
        let persp = Homography([
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [
                k * ang.cos() / cx.max(1.0) * cx,
                k * ang.sin() / cy.max(1.0) * cy,
                1.0,
            ],
        ]);
        let shift = Homography::translation(self.shift.0 * w as f64, self.shift.1 * h as f64);
        (shift * centre * sim * shear * persp * uncentre).normalised()
    }
}

fn gauss(seed: &mut u64) -> f64 {
    let mut u = || {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        ((*seed >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let (a, b) = (u(), u());
    (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()
}

/// A pair cut from `scene`: BASE is the `w × h` crop at the scene's centre,
/// MOVING sees the scene through `spec`. Returns (base, moving, base_from_moving).
#[must_use]
pub fn make_pair(
    scene: &RgbPlanes,
    w: usize,
    h: usize,
    spec: &PairSpec,
) -> (RgbPlanes, RgbPlanes, Homography) {
    let (sw, sh) = (scene.width(), scene.height());
    let (ox, oy) = ((sw.saturating_sub(w)) / 2, (sh.saturating_sub(h)) / 2);
    let base = scene.crop(crate::raster::Rect::new(ox, oy, w.min(sw), h.min(sh)));
    let h_bm = spec.base_from_moving(w, h);
    // scene_from_moving = scene_from_base · base_from_moving; warp wants dst(moving)_from_src(scene)
    let scene_from_moving = Homography::translation(ox as f64, oy as f64) * h_bm;
    let moving_from_scene = scene_from_moving.inverse().unwrap_or(Homography::IDENTITY);
    let mut moving = scene.map_planes(|p| warp_plane(p, &moving_from_scene, w, h));
    degrade(&mut moving, spec);
    (base, moving, h_bm)
}

/// Applies the photometric changes, blur, noise, occluder and JPEG of `spec`.
pub fn degrade(img: &mut RgbPlanes, spec: &PairSpec) {
    let (w, h) = (img.width(), img.height());
    let (gs, ga) = spec.gradient;
    let (dx, dy) = (ga.cos(), ga.sin());
    let half = 0.5 * ((w * w + h * h) as f64).sqrt();
    let planes = [&mut img.r, &mut img.g, &mut img.b];
    for (c, p) in planes.into_iter().enumerate() {
        let cast = spec.cast[c];
        for y in 0..h {
            for x in 0..w {
                let v = p.at(x, y);
                let v = if v.is_finite() { f64::from(v) } else { 128.0 };
                let t =
                    ((x as f64 - w as f64 / 2.0) * dx + (y as f64 - h as f64 / 2.0) * dy) / half;
                let light = 1.0 + 0.5 * gs * t;
                let out =
                    255.0 * (spec.gain * cast * light * (v / 255.0).max(0.0).powf(spec.gamma));
                p.set(x, y, out as f32);
            }
        }
    }
    if spec.blur > 0.05 {
        *img = img.map_planes(|p| crate::filters::gaussian_blur(p, spec.blur));
    }
    let mut s = spec.seed | 1;
    if spec.noise > 0.0 {
        for p in [&mut img.r, &mut img.g, &mut img.b] {
            for v in p.data_mut() {
                *v += (spec.noise * gauss(&mut s)) as f32;
            }
        }
    }
    if spec.occlusion > 0.0 {
        // a flat, skin-coloured rectangle of the given area, aspect 3:2
        let area = spec.occlusion * (w * h) as f64;
        let (ow, oh) = (
            ((area * 1.5).sqrt() as usize).min(w),
            ((area / 1.5).sqrt() as usize).min(h),
        );
        let mut d = Draw::new(spec.seed ^ 0x0CC1);
        let (ox, oy) = (
            (d.unit() * (w - ow) as f64) as usize,
            (d.unit() * (h - oh) as f64) as usize,
        );
        let colour = [200.0, 170.0, 150.0];
        for (p, c) in [&mut img.r, &mut img.g, &mut img.b].into_iter().zip(colour) {
            for y in oy..oy + oh {
                for x in ox..ox + ow {
                    p.set(x, y, c);
                }
            }
        }
    }
    for p in [&mut img.r, &mut img.g, &mut img.b] {
        for v in p.data_mut() {
            *v = v.round().clamp(0.0, 255.0);
        }
    }
    if let Some(q) = spec.jpeg_quality {
        let path = std::path::Path::new("synthetic.jpg");
        if let Ok(bytes) = crate::output::jpeg_rgb8(path, w, h, &img.to_rgb8(), q)
            && let Ok(dec) =
                crate::ingest::decode_bytes(path, &bytes, &crate::ingest::IngestOptions::default())
            && dec.planes.len() == 3
        {
            let mut it = dec.planes.into_iter();
            if let (Some(r), Some(g), Some(b)) = (it.next(), it.next(), it.next()) {
                *img = RgbPlanes {
                    r,
                    g,
                    b,
                    model: img.model,
                };
            }
        }
    }
    if img.model == ColourModel::Grey {
        let y = img.luminance();
        *img = RgbPlanes::from_grey(y);
    }
}

/// A grey plane resized by area averaging to `w × h` (for making scenes
/// larger or smaller than their source).
#[must_use]
pub fn resized(p: &Plane, w: usize, h: usize) -> Plane {
    let (sw, sh) = (p.width() as f64, p.height() as f64);
    Plane::from_fn(w, h, |x, y| {
        let (fx, fy) = (
            (x as f64 + 0.5) * sw / w as f64 - 0.5,
            (y as f64 + 0.5) * sh / h as f64 - 0.5,
        );
        crate::align::warp::bicubic(p, fx as f32, fy as f32)
    })
}
