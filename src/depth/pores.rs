//! Pores in a surface: the pits of pore size found in the baseline's depth
//! map, and each one's depth measured at its own place in every session
//! (DESIGN.md "Claims": `pores`, linear in depth, never a count).
//!
//! A pit is a dark blob of the depth map seen as an image (the photo's pore
//! detector, [`crate::measure::pores`]: scale-normalised Laplacian maxima
//! in space and scale, round, 0.05–0.3 mm across) at least
//! [`MIN_DEPTH_UM`] deep, away from the scars (whose walls and floors have
//! pits of their own that heal with the scar). Its depth is the mean depth
//! over its disc (radius 2 σ) less the median over a ring around it
//! (3–4.5 σ): the skin level beside the pore, so curvature, a tilt or a
//! furrow nearby does not count. Every step is linear in the pit's depth
//! (a pore 20 % shallower reads −20 %), and averaging over the disc keeps
//! the value when a follow-up is resampled onto the baseline's grid:
//! bicubic resampling at half a pixel lowers a 0.7 px pit's mean over
//! 1.5 σ by 2.7 %, over 2 σ by 0.4 % (test below).

use super::scars::{Scar, neighbours, window};
use crate::measure::pores::{BlobCollector, MIN_RESPONSE};
use crate::measure::scale_space;
use crate::raster::Plane;
use crate::stats::{median, robust_sigma};

/// Shallowest pit taken for a pore: its mean depth over its disc, µm
/// (a Gaussian pit about 19 µm deep at its centre).
pub const MIN_DEPTH_UM: f64 = 8.0;

/// Pore diameters looked for, mm (as in photos).
const DIAMETER_MM: (f64, f64) = crate::measure::pores::DIAMETER_MM;

/// A pore found at baseline, in baseline pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pit {
    /// Centre (x right, y down).
    pub centre: (f64, f64),
    /// Scale σ, px (radius √2·σ).
    pub sigma: f64,
}

impl Pit {
    /// The disc a pit's depth is averaged over, px.
    fn disc(&self) -> f64 {
        (2.0 * self.sigma).max(1.5)
    }

    /// The ring the skin level beside it is taken on, px.
    fn ring(&self) -> (f64, f64) {
        ((3.0 * self.sigma).max(2.5), (4.5 * self.sigma).max(4.0))
    }
}

/// The pits of pore size in a depth map (`w × h`, positive down, in units
/// of which `to_um` µm make one; `mm_per_px` the lateral scale), away from
/// `scars` (their extent and 2 px beyond), in raster order.
#[must_use]
pub fn find_pits(
    depth: &[f64],
    (w, h): (usize, usize),
    to_um: f64,
    mm_per_px: f64,
    scars: &[Scar],
) -> Vec<Pit> {
    if w < 8 || h < 8 || depth.len() != w * h || to_um.is_nan() || to_um <= 0.0 {
        return Vec::new();
    }
    // a Gaussian pit D µm deep at its centre gives a blob response of
    // about D/2 in the image's units, and a mean depth over its disc of
    // 2(1 − e⁻²)/4 ≈ 0.43 D: MIN_RESPONSE where that mean is MIN_DEPTH_UM
    let k = 2.0 * f64::from(MIN_RESPONSE) / (MIN_DEPTH_UM / 0.43) * to_um;
    let image = Plane::from_fn(w, h, |x, y| {
        let d = depth[y * w + x];
        if d.is_finite() {
            (100.0 - k * d) as f32
        } else {
            100.0
        }
    });
    let sigma = |d_mm: f64| d_mm / mm_per_px / (2.0 * std::f64::consts::SQRT_2);
    let step = 2f64.powf(1.0 / 3.0);
    let (lo, hi) = (sigma(DIAMETER_MM.0).max(0.6), sigma(DIAMETER_MM.1).max(2.0));
    let mut blobs = BlobCollector::new(lo / step, hi * step);
    scale_space::for_each_level(&image, lo / step, hi * step, 3, |level| blobs.visit(level));
    let near_scar = |x: f64, y: f64| {
        scars.iter().any(|s| {
            let r = s.radius / mm_per_px + 2.0;
            (x - s.centre.0).hypot(y - s.centre.1) <= r
        })
    };
    let mut pits: Vec<Pit> = blobs
        .finish()
        .into_iter()
        .map(|b| Pit {
            centre: (f64::from(b.x), f64::from(b.y)),
            sigma: f64::from(b.sigma),
        })
        .filter(|p| !near_scar(p.centre.0, p.centre.1))
        .filter(|p| pit_depth(depth, (w, h), p).is_some_and(|d| d * to_um >= MIN_DEPTH_UM))
        .collect();
    pits.sort_by(|a, b| {
        (a.centre.1, a.centre.0)
            .partial_cmp(&(b.centre.1, b.centre.0))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    pits
}

/// A pit's depth in a depth map: the mean over its disc less the median
/// over its ring; `None` where either reaches past the map or onto a pixel
/// without data.
#[must_use]
pub fn pit_depth(depth: &[f64], (w, h): (usize, usize), pit: &Pit) -> Option<f64> {
    let (disc, (r0, r1)) = (pit.disc(), pit.ring());
    let (cx, cy) = pit.centre;
    if cx - r1 < 0.0 || cy - r1 < 0.0 || cx + r1 > (w - 1) as f64 || cy + r1 > (h - 1) as f64 {
        return None;
    }
    let (cols, rows) = window(pit.centre, r1, w, h);
    let (mut sum, mut n, mut ring) = (0.0, 0.0, Vec::new());
    for y in rows {
        for x in cols.clone() {
            let r = (x as f64 - cx).hypot(y as f64 - cy);
            if r > r1 {
                continue;
            }
            let d = depth[y * w + x];
            if !d.is_finite() {
                return None;
            }
            if r <= disc {
                sum += d;
                n += 1.0;
            } else if r >= r0 {
                ring.push(d);
            }
        }
    }
    (n > 0.0 && ring.len() >= 8).then(|| sum / n - median(&mut ring))
}

/// The tracked pore depth of a depth map at `pits` (the baseline's): the
/// mean of their depths (in the map's units) and its standard error from
/// the pixel noise of the map (robust σ of each pixel less the mean of its
/// 8 neighbours), over the pits measurable here; `None` when none is.
#[must_use]
pub fn tracked_depth(depth: &[f64], (w, h): (usize, usize), pits: &[Pit]) -> Option<(f64, f64)> {
    let found: Vec<(f64, &Pit)> = pits
        .iter()
        .filter_map(|p| pit_depth(depth, (w, h), p).map(|d| (d, p)))
        .collect();
    if found.is_empty() {
        return None;
    }
    let k = found.len() as f64;
    let mean = found.iter().map(|(d, _)| d).sum::<f64>() / k;
    let noise = pixel_noise(depth, (w, h));
    // one pit: σ²/n_disc + (π/2)σ²/n_ring (the ring's median)
    let var: f64 = found
        .iter()
        .map(|(_, p)| {
            let (r0, r1) = p.ring();
            let n_disc = (std::f64::consts::PI * p.disc() * p.disc()).max(1.0);
            let n_ring = (std::f64::consts::PI * (r1 * r1 - r0 * r0)).max(1.0);
            noise * noise * (1.0 / n_disc + std::f64::consts::FRAC_PI_2 / n_ring)
        })
        .sum();
    Some((mean, var.sqrt() / k))
}

/// The pixel noise of a depth map: robust σ of each pixel less the mean of
/// its 8 neighbours, scaled to one pixel's σ (× √(8/9)).
fn pixel_noise(depth: &[f64], (w, h): (usize, usize)) -> f64 {
    let mut diffs = Vec::with_capacity(w * h);
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let i = y * w + x;
            let around: f64 = neighbours(i, w, h).map(|j| depth[j]).sum();
            diffs.push(depth[i] - around / 8.0);
        }
    }
    robust_sigma(&diffs) * (8.0f64 / 9.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Homography;
    use crate::raster::{HeightUnit, Surface};

    /// A depth map (µm, 0.05 mm/px) with Gaussian pits of the given centre,
    /// σ (px) and depth (µm), on a gentle slope.
    fn map(w: usize, h: usize, pits: &[(f64, f64, f64, f64)]) -> Vec<f64> {
        let mut d = vec![0.0; w * h];
        for y in 0..h {
            for x in 0..w {
                let mut v = 0.02 * x as f64 - 0.01 * y as f64;
                for &(cx, cy, s, depth) in pits {
                    let r2 = (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2);
                    v += depth * (-r2 / (2.0 * s * s)).exp();
                }
                d[y * w + x] = v;
            }
        }
        d
    }

    /// Pits on a grid of `cols × rows` 20 px apart from (`origin`, `origin`),
    /// each a little off it (`jitter` px at most), σ 0.7–1.5 px (pores
    /// 0.07–0.21 mm across at 0.05 mm/px), the `k`-th `depth(k)` µm deep.
    fn grid(
        (cols, rows): (usize, usize),
        origin: f64,
        jitter: (f64, f64),
        depth: impl Fn(f64) -> f64,
    ) -> Vec<(f64, f64, f64, f64)> {
        let mut out = Vec::new();
        for j in 0..rows {
            for i in 0..cols {
                let k = (j * cols + i) as f64;
                out.push((
                    origin + 20.0 * i as f64 + jitter.0 * (k % 3.0) / 2.0,
                    origin + 20.0 * j as f64 + jitter.1 * (k % 4.0) / 3.0,
                    0.7 + 0.8 * (k % 5.0) / 4.0,
                    depth(k),
                ));
            }
        }
        out
    }

    /// 30 pores 25–80 µm deep.
    fn designed() -> Vec<(f64, f64, f64, f64)> {
        grid((6, 5), 12.0, (0.6, 0.6), |k| 25.0 + 55.0 * (k % 7.0) / 6.0)
    }

    #[test]
    fn finds_the_pores_and_reads_their_depth_linearly() {
        let (w, h) = (128, 104);
        let pores = designed();
        let d = map(w, h, &pores);
        let pits = find_pits(&d, (w, h), 1.0, 0.05, &[]);
        assert_eq!(pits.len(), pores.len(), "{pits:?}");
        for p in &pits {
            let near = pores
                .iter()
                .map(|q| (p.centre.0 - q.0).hypot(p.centre.1 - q.1))
                .fold(f64::MAX, f64::min);
            assert!(near < 0.5, "pit at {:?} is {near} px off", p.centre);
        }
        // the same pores 30 % shallower read 30 % shallower, wherever they
        // are and whatever their size (the slope under them stays: the
        // ring's median is exact to 0.2 %)
        let (full, _) = tracked_depth(&d, (w, h), &pits).unwrap();
        let shallower: Vec<_> = pores
            .iter()
            .map(|&(x, y, s, z)| (x, y, s, 0.7 * z))
            .collect();
        let (less, _) = tracked_depth(&map(w, h, &shallower), (w, h), &pits).unwrap();
        assert!((less / full - 0.7).abs() < 0.002, "{less} / {full}");
        // shifted by a third of a pixel (a follow-up resampled onto the
        // baseline's grid): within 5 % at the baseline's places
        let shifted: Vec<_> = pores
            .iter()
            .map(|&(x, y, s, z)| (x + 0.33, y - 0.25, s, z))
            .collect();
        let (moved, _) = tracked_depth(&map(w, h, &shifted), (w, h), &pits).unwrap();
        assert!((moved / full - 1.0).abs() < 0.05, "{moved} / {full}");
    }

    #[test]
    fn shallow_pits_and_scars_are_not_pores() {
        let (w, h) = (96, 96);
        // a pit 8 µm deep (under MIN_DEPTH_UM), one 40 µm deep, and one
        // 40 µm deep inside a scar's extent
        let d = map(
            w,
            h,
            &[
                (20.0, 20.0, 1.0, 8.0),
                (60.0, 30.0, 1.0, 40.0),
                (40.0, 70.0, 1.0, 40.0),
            ],
        );
        let scar = Scar {
            kind: super::super::scars::ScarType::Boxcar,
            centre: (42.0, 68.0),
            area: 0.5,
            mean_depth: 100.0,
            max_depth: 120.0,
            volume: 0.05,
            radius: 0.4,
        };
        let pits = find_pits(&d, (w, h), 1.0, 0.05, &[scar]);
        assert_eq!(pits.len(), 1, "{pits:?}");
        assert!((pits[0].centre.0 - 60.0).abs() < 0.5 && (pits[0].centre.1 - 30.0).abs() < 0.5);
    }

    #[test]
    fn a_pit_at_the_edge_or_by_missing_data_is_not_measured() {
        let (w, h) = (40, 40);
        let mut d = map(w, h, &[(20.0, 20.0, 1.0, 40.0)]);
        let pit = Pit {
            centre: (20.0, 20.0),
            sigma: 1.0,
        };
        assert!(pit_depth(&d, (w, h), &pit).is_some());
        let edge = Pit {
            centre: (2.0, 20.0),
            sigma: 1.0,
        };
        assert!(pit_depth(&d, (w, h), &edge).is_none());
        d[20 * w + 23] = f64::NAN;
        assert!(pit_depth(&d, (w, h), &pit).is_none());
        assert!(tracked_depth(&d, (w, h), &[pit]).is_none());
    }

    #[test]
    fn pixel_noise_reads_white_noise() {
        let (w, h) = (200, 200);
        let mut state = 12345u64;
        let d: Vec<f64> = (0..w * h)
            .map(|_| {
                // sum of 12 uniforms − 6: σ 1
                (0..12)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        (state >> 11) as f64 / (1u64 << 53) as f64
                    })
                    .sum::<f64>()
                    - 6.0
            })
            .collect();
        let s = pixel_noise(&d, (w, h));
        assert!((s - 1.0).abs() < 0.05, "{s}");
    }

    /// Gaussian pits rendered on a capture grid `base_from_capture` maps
    /// to the baseline's, point-sampled at pixel centres.
    fn rendered(
        w: usize,
        h: usize,
        pits: &[(f64, f64, f64, f64)],
        base_from_capture: &Homography,
    ) -> Vec<f64> {
        let mut d = vec![0.0; w * h];
        for y in 0..h {
            for x in 0..w {
                let (bx, by) = base_from_capture.apply(x as f64, y as f64).unwrap();
                d[y * w + x] = pits
                    .iter()
                    .map(|&(cx, cy, s, z)| {
                        z * (-((bx - cx).powi(2) + (by - cy).powi(2)) / (2.0 * s * s)).exp()
                    })
                    .sum();
            }
        }
        d
    }

    /// A follow-up taken at another angle, scale and shift, resampled
    /// onto the baseline's grid (bicubic, as `analyze` warps surfaces):
    /// its unchanged pores read within 0.6 % of the baseline's depth, so a
    /// resampled capture is not taken for shallower pores.
    #[test]
    fn resampled_unchanged_pores_keep_their_depth() {
        let (w, h) = (160, 160);
        let pits = grid((7, 7), 14.0, (0.74, 0.87), |_| 40.0);
        let base = rendered(w, h, &pits, &Homography::IDENTITY);
        let found = find_pits(&base, (w, h), 1.0, 0.05, &[]);
        assert_eq!(found.len(), pits.len());
        let (b, _) = tracked_depth(&base, (w, h), &found).unwrap();
        for (angle, scale, t) in [
            (0.0f64, 1.0, 0.5),
            (0.0, 1.0, 0.33),
            (2.0, 1.06, 0.4),
            (-1.5, 0.94, 0.1),
            (3.0, 1.03, 0.25),
        ] {
            let base_from_capture = Homography::translation(t, -t)
                * Homography::similarity_about(angle.to_radians(), scale, 80.0, 80.0);
            let capture = Surface {
                w,
                h,
                z: rendered(w, h, &pits, &base_from_capture),
                unit: HeightUnit::Um,
                mm_per_px: None,
            };
            let back = crate::align::warp::warp_surface(&capture, &base_from_capture, w, h);
            let (f, _) = tracked_depth(&back.z, (w, h), &found).unwrap();
            let change = 100.0 * (f / b - 1.0);
            assert!(change.abs() < 0.6, "{angle}° ×{scale}: {change:+.2} %");
        }
    }
}
