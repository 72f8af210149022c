//! Global search for the coarse alignment when keypoints fail (smooth,
//! low-texture skin; heavy blur and noise): every rotation and scale of a
//! grid over the range a hand-held camera produces (±20°, 0.8–1.25) is
//! tried on a small pyramid level, and the translation of each comes from
//! phase correlation (Kuglin & Hines 1975) of the local-contrast images,
//! zero-padded so shifts up to the image size are not wrapped. Phase
//! correlation uses every pixel, so it still locks on where keypoints are
//! too few or too alike; its best candidates are handed to the dense stage,
//! which decides.

use super::pyramid::structure;
use super::warp::warp_plane;
use crate::filters::gaussian_blur;
use crate::fourier::{Direction, Fft2};
use crate::geometry::Homography;
use crate::raster::Plane;
use rustfft::num_complex::Complex32;

/// A candidate coarse transform with its phase-correlation peak.
#[derive(Clone, Copy, Debug)]
pub struct Candidate {
    /// moving_from_base at the search level.
    pub moving_from_base: Homography,
    /// Height of the correlation peak (0–1).
    pub peak: f32,
}

fn hann(n: usize, i: usize) -> f32 {
    if n < 2 {
        return 1.0;
    }
    0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / (n - 1) as f32).cos()
}

/// Zero-mean, Hann-windowed copy of `p` in the top-left of a `pw × ph` grid.
fn padded(p: &Plane, pw: usize, ph: usize) -> Vec<Complex32> {
    let (w, h) = (p.width(), p.height());
    let finite: Vec<f32> = p.data().iter().copied().filter(|v| v.is_finite()).collect();
    let mean = finite.iter().map(|&v| f64::from(v)).sum::<f64>() / finite.len().max(1) as f64;
    let mut out = vec![Complex32::new(0.0, 0.0); pw * ph];
    for y in 0..h {
        let wy = hann(h, y);
        for x in 0..w {
            let v = p.at(x, y);
            let v = if v.is_finite() { v - mean as f32 } else { 0.0 };
            out[y * pw + x] = Complex32::new(v * wy * hann(w, x), 0.0);
        }
    }
    out
}

/// The `keep` best (rotation, scale, translation) candidates that map the
/// base level image to the moving one.
#[must_use]
pub fn search(base: &Plane, moving: &Plane, keep: usize) -> Vec<Candidate> {
    // smoothed local contrast: the grid's rotation steps move far pixels by
    // about a pixel, which the blur tolerates
    let (tb, tm) = (
        gaussian_blur(&structure(base), 1.0),
        gaussian_blur(&structure(moving), 1.0),
    );
    let (w, h) = (tb.width(), tb.height());
    // no zero padding: the Hann window keeps wrapped-around content weak, and
    // shifts up to half the size (beyond the overlap the aligner accepts)
    // are represented without ambiguity
    let (pw, ph) = (w, h);
    let fft = Fft2::new(pw, ph);
    let mut fb = padded(&tb, pw, ph);
    let tm = if (tm.width(), tm.height()) == (w, h) {
        tm
    } else {
        warp_plane(&tm, &Homography::IDENTITY, w, h)
    };
    fft.run(&mut fb, Direction::Forward);
    let (cx, cy) = (tm.width() as f64 / 2.0, tm.height() as f64 / 2.0);
    let mut found: Vec<Candidate> = Vec::new();
    let rotations: Vec<f64> = (-8..=8).map(|k| f64::from(k) * 2.5).collect();
    let scales: Vec<f64> = (-2..=2).map(|k| 1.25f64.powf(f64::from(k) / 2.0)).collect();
    for &rot in &rotations {
        for &scale in &scales {
            // resample moving by the similarity about its centre: S maps
            // moving → resampled; a shift t then maps resampled → base
            let s = Homography::similarity_about(rot.to_radians(), scale, cx, cy);
            let resampled = warp_plane(&tm, &s, w, h);
            let mut fm = padded(&resampled, pw, ph);
            fft.run(&mut fm, Direction::Forward);
            for (m, b) in fm.iter_mut().zip(&fb) {
                let c = b * m.conj();
                let n = c.norm();
                *m = if n > 1e-12 {
                    c / n
                } else {
                    Complex32::new(0.0, 0.0)
                };
            }
            fft.run(&mut fm, Direction::Inverse);
            let (mut best, mut bi) = (f32::MIN, 0);
            for (i, v) in fm.iter().enumerate() {
                if v.re > best {
                    best = v.re;
                    bi = i;
                }
            }
            let (px, py) = ((bi % pw) as f64, (bi / pw) as f64);
            let tx = if px > (pw / 2) as f64 {
                px - pw as f64
            } else {
                px
            };
            let ty = if py > (ph / 2) as f64 {
                py - ph as f64
            } else {
                py
            };
            // base(x) ≈ resampled(x − t): base_from_resampled = translation(t)
            let base_from_moving = Homography::translation(tx, ty) * s;
            if let Some(m) = base_from_moving.inverse() {
                found.push(Candidate {
                    moving_from_base: m,
                    peak: best / (pw * ph) as f32,
                });
            }
        }
    }
    found.sort_by(|a, b| b.peak.total_cmp(&a.peak));
    found.truncate(keep);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texture(w: usize, h: usize, ox: f64, oy: f64) -> Plane {
        Plane::from_fn(w, h, |x, y| {
            let (x, y) = (x as f64 + ox, y as f64 + oy);
            (128.0
                + 40.0 * (x * 0.31).sin() * (y * 0.17).cos()
                + 30.0 * ((x * 0.05 + y * 0.11).sin() * 3.0).sin()
                + 25.0 * ((x * 0.013 - y * 0.021) * 7.0).cos()) as f32
        })
    }

    #[test]
    fn finds_a_pure_translation() {
        // moving sees the scene shifted by (12, -7): moving(x) = scene(x + (12, -7))
        // so base(x) = moving(x - (12, -7)): base_from_moving = translation(12, -7)
        let base = texture(120, 90, 0.0, 0.0);
        let moving = texture(120, 90, 12.0, -7.0);
        let c = search(&base, &moving, 3);
        let want = Homography::translation(12.0, -7.0).inverse().unwrap();
        let err = c[0].moving_from_base.corner_error(&want, 120, 90);
        assert!(err < 1.0, "{:?} err {err}", c[0]);
    }

    #[test]
    fn finds_a_rotation_and_scale() {
        let scene = texture(400, 300, 0.0, 0.0);
        let base = scene.crop(crate::raster::Rect::new(140, 105, 120, 90));
        // moving sees the scene rotated by 9°, scaled 1.1, shifted
        let spec = crate::synth::PairSpec {
            rotation_deg: 9.0,
            scale: 1.1,
            shift: (0.05, -0.04),
            ..Default::default()
        };
        let truth = spec.base_from_moving(120, 90);
        let scene_from_moving = Homography::translation(140.0, 105.0) * truth;
        let moving = warp_plane(&scene, &scene_from_moving.inverse().unwrap(), 120, 90);
        let c = search(&base, &moving, 5);
        let want = truth.inverse().unwrap();
        let errs: Vec<f64> = c
            .iter()
            .map(|x| x.moving_from_base.corner_error(&want, 120, 90))
            .collect();
        assert!(
            errs[0] < 3.0,
            "{errs:?} {:?}",
            c.iter().map(|x| x.peak).collect::<Vec<_>>()
        );
    }
}
