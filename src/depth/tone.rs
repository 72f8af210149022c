//! A photometric set's tone curve against the baseline set's, read from
//! the sets themselves (self-calibration).
//!
//! Under Lambertian light the linear intensities of one pixel under K
//! known lights are `b·lₖ`: they lie in the three-dimensional span of the
//! lights. A camera whose tone curve is not the one the decoding assumes
//! (a plain gamma where sRGB was assumed, another picture style) delivers
//! linear light raised to a power β; such intensities fit that span worse,
//! and best once the power is undone. [`exponent`] reads β as the minimum,
//! over a grid of powers, of the median misfit of pixels that every light
//! reaches (no shadow, no clipping).
//!
//! A rig whose skin is not Lambertian reads a β of its own (the highlights
//! of the shared robust set read 1.10 where its response is linear), but
//! the same rig reads the same, so a follow-up is mapped to the baseline's
//! response, by the power β_baseline / β_follow-up ([`apply`]), as a photo
//! is normalised to the baseline, where the two differ by more than a
//! relief change can move them ([`MAP_BEYOND`]). On sets drawn by other
//! code a pure gamma of 1.8 where sRGB was assumed read "Scar depth: 41%
//! deeper" of unchanged skin, 2.0 "10% deeper"; mapped, 0.0 % and −0.1 %
//! (BENCHMARKS.md).
//!
//! A set's noise lowers the misfit of larger powers (a power 1/β shrinks
//! the relative noise of the intensities by β), so each misfit is scaled
//! by the power tried. Where the lights barely vary in elevation (a ring
//! of lamps), a flat pixel's intensities lie in their span whatever the
//! power, and the misfit curve has no clear minimum: then there is no
//! reading, and the gate compares the spread of the albedo instead
//! ([`albedo_spread`]), which a tone curve scales as it scales the shading.
//!
//! An ambient light (room light on top of the rig's) is not a power: it
//! adds the same to every light's image and fills the shadows, where the
//! stereo then reads light that is not there (2 % of the rig's light made
//! an ice-pick scar 44 % deeper, and the scars' tracked depth 16 %).
//! [`ambient_share`] reads it from the shadows themselves: the light that
//! falls where a light's prediction from the others is far brighter, over
//! the pixel's albedo. It is not undone; the gate compares it with the
//! baseline's.

use super::stereo::{dot3, normal_inverse};
use crate::raster::Plane;

/// The powers tried: β from [`LOWEST`] in steps of [`STEP`].
const LOWEST: f64 = 0.5;
const STEP: f64 = 0.02;
const STEPS: usize = 76;
/// A reading needs the misfit this many steps either side of the least
/// (±0.1 in β) to be at least [`PROMINENCE`] times it: a flat curve is the
/// noise's (a ring of lamps: the test). The course phantom's six lamps at
/// 35–50° (noise of a level, JPEG) rise by 3–5 % and read within 3 %; the
/// trial's eight by 86 %.
const PROMINENCE_STEPS: isize = 5;
const PROMINENCE: f64 = 1.01;
/// At most this many pixels are sampled, on a regular grid.
const MAX_PIXELS: usize = 16_000;
/// Fewer usable pixels than this give no reading.
const MIN_PIXELS: usize = 200;
/// A pixel is used where every light gives at least this share of its
/// brightest observation (no attached or cast shadow)…
const LIT_SHARE: f64 = 0.15;
/// …its brightest is below this (linear, of full scale: not clipped)…
const CLIPPED: f64 = 0.95;
/// …and above this (not lost in the noise).
const DARK: f64 = 0.02;

/// The baseline set's light response, against which a follow-up's is read
/// ([`against`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Baseline {
    /// Its power β ([`exponent`]).
    pub beta: f64,
    /// The factor per lamp that fits its intensities best at `beta`
    /// ([`lamp_factors`]: the inverse of each lamp's light relative to what
    /// its intensity says, a mean of 1): a rig's own lamps, as they were.
    factors: Vec<f64>,
}

/// A follow-up set's light response against the baseline's.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// The power β to which the set's linear intensities raise light: the
    /// baseline's where the set differs from it by its lamps (`lamps`).
    pub beta: f64,
    /// Where the set differs from the baseline by its lamps rather than by
    /// a tone curve: each lamp's light over its light at the baseline
    /// (relative to the lamps' geometric mean).
    pub lamps: Option<Vec<f64>>,
    /// Where the lamps moved: the misfit with the lamps' factors free at
    /// the baseline's power over the least such misfit at any power; above
    /// 1 the set's response seems to have changed beyond its lamps.
    pub beyond_lamps: Option<f64>,
}

/// A misfit below any camera's noise (real sets read 0.0017–0.013), added
/// to both misfits that [`Reading::beyond_lamps`] compares so that a set
/// without noise, whose least misfit is nought, does not read a ratio of
/// rounding errors.
const MISFIT_FLOOR: f64 = 1e-4;

/// The misfit with the lamps' factors free must be under this share of
/// the best power's for the lamps to explain a set ([`against`]). Measured
/// on sets drawn by other code (a held-out trial, six lamps at 40–55°): one
/// lamp off by 5–15 % or 2–4° gave shares of 0.06–0.47; pure tone curves
/// (a power 0.8–1.25 of linear light), where on skin that is mostly flat a
/// factor per lamp mimics a power, 0.995–1.03.
const LAMPS_EXPLAIN: f64 = 0.8;

/// The baseline set's response: its power and its lamps as they were.
/// `None` where [`exponent`] is.
#[must_use]
pub fn baseline(
    images: &[Plane],
    lights: &[[f64; 3]],
    intensities: Option<&[f64]>,
    mask: Option<&[bool]>,
) -> Option<Baseline> {
    let _t = crate::timing::span("photometric: tone");
    let fit = Fit::new(images, lights, intensities, mask)?;
    let beta = fit.best_power()?;
    let factors = fit.free_misfit(beta).1;
    Some(Baseline { beta, factors })
}

/// A follow-up set's response against the `base`line's: its own power
/// ([`exponent`]), unless a factor per lamp at the baseline's power fits
/// its intensities to the lights clearly better ([`LAMPS_EXPLAIN`]): then
/// the lamps moved (an ageing bulb, a lamp moved nearer) and the power is
/// the baseline's. Read as a power, one lamp ×1.05 read ×1.13, and mapped
/// as a tone curve the unchanged scars read 14 % shallower. `None` where
/// neither the power nor the lamps can be read.
#[must_use]
pub fn against(
    images: &[Plane],
    lights: &[[f64; 3]],
    intensities: Option<&[f64]>,
    base: &Baseline,
) -> Option<Reading> {
    let _t = crate::timing::span("photometric: tone");
    let fit = Fit::new(images, lights, intensities, None)?;
    let own = fit.best_power();
    let (free, factors) = fit.free_misfit(base.beta);
    let power = fit.misfit(own.unwrap_or(base.beta));
    if free < LAMPS_EXPLAIN * power && factors.len() == base.factors.len() {
        // h ∝ 1 / light: the light now over the light then is h_b / h_f
        let ratios: Vec<f64> = base
            .factors
            .iter()
            .zip(&factors)
            .map(|(b, f)| b / f)
            .collect();
        let mean = ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64;
        let lamps: Vec<f64> = ratios.iter().map(|r| r / mean.exp()).collect();
        // a tone curve may have changed too: with the lamps' factors free
        // at every power, the sloping skin still shows it, but where its
        // least lies is too uncertain to map by (taken as the power, a lamp
        // ×1.10 with a gamma of 1.8 read "7% shallower", a lamp turned 10°
        // "13% shallower"); how much better it fits is said, and warned
        // (`tone_beyond_lamps`): taken for the lamps alone, the first read
        // "Scar depth: 17% deeper" of unchanged skin
        let beyond = fit
            .least_free_misfit()
            .map(|least| (free + MISFIT_FLOOR) / (least + MISFIT_FLOOR));
        return Some(Reading {
            beta: base.beta,
            lamps: Some(lamps),
            beyond_lamps: beyond,
        });
    }
    own.map(|beta| Reading {
        beta,
        lamps: None,
        beyond_lamps: None,
    })
}

/// The power β to which the set's linear intensities raise the light that
/// fell on the skin, read from how well they fit the `lights` (`images` as
/// `read_set` gives them: linear and divided by the light `intensities`).
/// `None` with fewer than four lights (three fit any intensities), lights
/// in a plane, too few pixels lit by every light, or no clear best fit (a
/// misfit at ±[`PROMINENCE_STEPS`] steps under [`PROMINENCE`] times the
/// least: a ring of lamps, noise); a best fit at the end of the range
/// tried is that end (0.5 or 2.0: a tone curve beyond it).
#[must_use]
pub fn exponent(
    images: &[Plane],
    lights: &[[f64; 3]],
    intensities: Option<&[f64]>,
    mask: Option<&[bool]>,
) -> Option<f64> {
    Fit::new(images, lights, intensities, mask)?.best_power()
}

/// The sampled intensities of a set and its lights, for fitting powers.
struct Fit {
    lights: Vec<[f64; 3]>,
    /// Each lamp's intensity (1 where none is given).
    scale: Vec<f64>,
    /// (LᵀL)⁻¹ lₖ per light: with `lights`, the projector onto their span.
    pinv: Vec<[f64; 3]>,
    /// Logarithms of the undivided intensities, K per pixel.
    logs: Vec<f64>,
}

impl Fit {
    fn new(
        images: &[Plane],
        lights: &[[f64; 3]],
        intensities: Option<&[f64]>,
        mask: Option<&[bool]>,
    ) -> Option<Self> {
        let scale = light_scales(images, lights, intensities)?;
        let k = lights.len();
        let inv = normal_inverse(lights, &vec![true; k])?;
        let pinv: Vec<[f64; 3]> = lights
            .iter()
            .map(|l| [dot3(&inv[0], l), dot3(&inv[1], l), dot3(&inv[2], l)])
            .collect();
        let mut logs = samples(images, &scale, mask);
        if logs.len() / k < MIN_PIXELS {
            return None;
        }
        logs.iter_mut().for_each(|v| *v = v.ln());
        Some(Fit {
            lights: lights.to_vec(),
            scale,
            pinv,
            logs,
        })
    }

    /// The intensities with the power `beta` undone, divided by the lamps'
    /// intensities.
    fn linear(&self, beta: f64) -> Vec<f64> {
        let (k, inverse) = (self.lights.len(), 1.0 / beta);
        self.logs
            .iter()
            .enumerate()
            .map(|(i, &ln)| (ln * inverse).exp() / self.scale[i % k])
            .collect()
    }

    /// The median misfit of the pixels `linear` ([`Fit::linear`] of
    /// `beta`), each lamp's light multiplied by `factors`, scaled by the
    /// power tried (noise shrinks by it: scaled back, its floor is flat).
    fn misfit_with(&self, linear: &[f64], beta: f64, factors: &[f64]) -> f64 {
        let k = self.lights.len();
        let mut x = vec![0.0f64; k];
        let mut misfits: Vec<f64> = linear
            .chunks_exact(k)
            .map(|pixel| {
                for ((xi, &v), f) in x.iter_mut().zip(pixel).zip(factors) {
                    *xi = v * f;
                }
                misfit(&x, &self.lights, &self.pinv)
            })
            .collect();
        median(&mut misfits) * beta
    }

    /// [`Fit::misfit_with`] the lamps as their intensities say.
    fn misfit(&self, beta: f64) -> f64 {
        self.misfit_with(&self.linear(beta), beta, &vec![1.0; self.lights.len()])
    }

    /// [`Fit::misfit_with`] the lamps' factors that fit best at `beta`
    /// ([`lamp_factors`]), and those factors.
    fn free_misfit(&self, beta: f64) -> (f64, Vec<f64>) {
        let linear = self.linear(beta);
        let factors = lamp_factors(&linear, &self.lights, &self.pinv);
        (self.misfit_with(&linear, beta, &factors), factors)
    }

    /// The power of least misfit over the grid, refined by a parabola;
    /// `None` where the curve has no clear minimum.
    fn best_power(&self) -> Option<f64> {
        let curve: Vec<f64> = (0..STEPS)
            .map(|step| self.misfit(LOWEST + STEP * step as f64))
            .collect();
        let best = (0..STEPS).min_by(|&a, &b| curve[a].total_cmp(&curve[b]))?;
        let around = |d: isize| curve.get(best.checked_add_signed(d)?).copied();
        let clear = [-PROMINENCE_STEPS, PROMINENCE_STEPS]
            .iter()
            .filter_map(|&d| around(d))
            .all(|v| v >= PROMINENCE * curve[best]);
        if !clear || !curve[best].is_finite() {
            return None;
        }
        if best == 0 || best == STEPS - 1 {
            return Some(LOWEST + STEP * best as f64);
        }
        // the parabola through the best and its neighbours
        let (y0, y1, y2) = (curve[best - 1], curve[best], curve[best + 1]);
        let bend = y0 - 2.0 * y1 + y2;
        let offset = if bend > 0.0 {
            0.5 * (y0 - y2) / bend
        } else {
            0.0
        };
        Some(LOWEST + STEP * (best as f64 + offset))
    }

    /// The least misfit with the lamps' factors free at each power tried.
    fn least_free_misfit(&self) -> Option<f64> {
        (0..STEPS)
            .map(|step| self.free_misfit(LOWEST + STEP * step as f64).0)
            .min_by(f64::total_cmp)
            .filter(|m| m.is_finite())
    }
}

/// Per-lamp factors `h` that bring the pixels' intensities (`linear`, K a
/// pixel) closest to the lights' span: `h` minimises Σ‖(I − P) diag(x) h‖²
/// / ‖x‖² (P the projector onto the span, `pinv` as in [`Fit`]), the
/// eigenvector of the least eigenvalue, scaled to a mean of 1 (all ones
/// where that is not positive throughout).
fn lamp_factors(linear: &[f64], lights: &[[f64; 3]], pinv: &[[f64; 3]]) -> Vec<f64> {
    let k = lights.len();
    let q = nalgebra::DMatrix::from_fn(k, k, |r, c| {
        let p = dot3(&lights[r], &pinv[c]);
        if r == c { 1.0 - p } else { -p }
    });
    let mut m = nalgebra::DMatrix::<f64>::zeros(k, k);
    for x in linear.chunks_exact(k) {
        let norm: f64 = x.iter().map(|v| v * v).sum();
        if norm <= 0.0 || !norm.is_finite() {
            continue;
        }
        for r in 0..k {
            for c in 0..k {
                m[(r, c)] += x[r] * q[(r, c)] * x[c] / norm;
            }
        }
    }
    let eigen = nalgebra::SymmetricEigen::new(m);
    let h = eigen.eigenvectors.column(eigen.eigenvalues.imin());
    let mean = h.sum() / k as f64;
    if !(mean.is_finite() && h.iter().all(|v| v / mean > 0.0)) {
        return vec![1.0; k];
    }
    h.iter().map(|v| v / mean).collect()
}

/// The largest factor, either way, by which a lamp's light differs from
/// the baseline's ([`Reading::lamps`]); `None` without lamps.
#[must_use]
pub fn lamps_apart(lamps: Option<&[f64]>) -> Option<f64> {
    let apart = lamps?.iter().map(|r| r.max(1.0 / r)).fold(1.0f64, f64::max);
    apart.is_finite().then_some(apart)
}

/// Tone exponents closer than this (as a ratio) are not mapped: where the
/// skin is not quite Lambertian at the pixel scale (sub-pixel relief,
/// partial shadows), a change of the relief moves the reading too. On the
/// course phantom, whose rig is unchanged but whose scars grow shallower,
/// follow-ups read 0.978–0.990 of the baseline (mapped, their scars read
/// 1–1.7 points shallower than designed); the tone curves that mattered
/// read 1.09 (gamma 2.0: 10 % deeper) and 1.21 (gamma 1.8: 41 %).
pub const MAP_BEYOND: f64 = 0.05;

/// The power that maps a set of tone exponent `now` to the baseline's
/// `base` ([`apply`]), where their ratio is off 1 by more than
/// [`MAP_BEYOND`].
#[must_use]
pub fn power_to(base: f64, now: f64) -> Option<f64> {
    let power = base / now;
    (power.is_finite() && (now / base - 1.0).abs() > MAP_BEYOND).then_some(power)
}

/// Raises each image's light to `power` (images divided by their light
/// `intensities`, as [`exponent`] takes them): a set whose response is
/// β_f mapped to one of β_b by the power β_b / β_f.
pub fn apply(images: &mut [Plane], power: f64, intensities: Option<&[f64]>) {
    let intensities = intensities.filter(|v| v.len() == images.len());
    for (i, img) in images.iter_mut().enumerate() {
        let s = intensities.map_or(1.0, |v| v[i]);
        for v in img.data_mut() {
            let raw = f64::from(*v) * s;
            if raw.is_finite() && raw > 0.0 {
                *v = (raw.powf(power) / s) as f32;
            }
        }
    }
}

/// The spread of a set's log albedo (`albedo` as the stereo gives it, NaN
/// where it has no normal): 1.4826 × the median absolute deviation of
/// ln ρ, over up to a million pixels; `None` with fewer than
/// [`MIN_PIXELS`]. A tone curve that raises light to β scales it by β, as
/// it scales the shading; a change of the relief does not. Where the tone
/// cannot be read from the set (lamps at one elevation), the ratio of this
/// to the baseline's is what is left to see a changed tone curve by; a
/// change of pigment moves it too.
#[must_use]
pub fn albedo_spread(albedo: &[f32]) -> Option<f64> {
    let step = (albedo.len() / 1_000_000).max(1);
    let mut logs: Vec<f64> = albedo
        .iter()
        .step_by(step)
        .filter(|v| v.is_finite() && **v > 0.0)
        .map(|&v| f64::from(v).ln())
        .collect();
    if logs.len() < MIN_PIXELS {
        return None;
    }
    let centre = median(&mut logs);
    logs.iter_mut().for_each(|v| *v = (*v - centre).abs());
    let spread = 1.4826 * median(&mut logs);
    (spread > 0.0).then_some(spread)
}

/// The room light in a set's shadows, as a share of the light a pixel
/// facing a light of the set's mean intensity receives: the median, over
/// observations in shadow (below 0.3 of what the pixel's fit to its lit
/// observations predicts, or facing away from the light), of the
/// observation over the pixel's albedo (a pixel needs four lit lamps, or
/// three of a rig of four, and one shadowed). `None` with fewer than four
/// lights or fewer than [`MIN_SHADOWS`] shadowed observations (a set that
/// casts no shadow tells nothing of the room light, and suffers little
/// from it).
#[must_use]
pub fn ambient_share(
    images: &[Plane],
    lights: &[[f64; 3]],
    intensities: Option<&[f64]>,
    mask: Option<&[bool]>,
) -> Option<f64> {
    let _t = crate::timing::span("photometric: room light");
    let scale = light_scales(images, lights, intensities)?;
    let k = lights.len();
    let mean_scale = scale.iter().sum::<f64>() / k as f64;
    let mut obs = vec![0.0f64; k];
    let mut lit = vec![false; k];
    let mut shares = Vec::new();
    for i in grid(images, MAX_SHADOW_PIXELS) {
        if mask.is_some_and(|m| !m[i]) {
            continue;
        }
        for (o, img) in obs.iter_mut().zip(images) {
            *o = f64::from(img.data()[i]);
        }
        let top = obs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !obs.iter().all(|v| v.is_finite()) || top <= 0.0 {
            continue;
        }
        let raw_top = obs
            .iter()
            .zip(&scale)
            .map(|(o, s)| o * s)
            .fold(0.0f64, f64::max);
        if !(DARK..CLIPPED).contains(&raw_top) {
            continue;
        }
        for (l, &o) in lit.iter_mut().zip(&obs) {
            *l = o >= LIT_SHARE * top;
        }
        // four lit where there are five lamps or more, three (an exact
        // fit) with four lamps
        let lit_count = lit.iter().filter(|&&l| l).count();
        if lit_count < 4.min(k - 1) || lit_count == k {
            continue;
        }
        let Some(b) = fit_lit(lights, &obs, &lit) else {
            continue;
        };
        let rho = dot3(&b, &b).sqrt();
        if rho <= 0.0 || b[2] <= 0.0 {
            continue;
        }
        for j in (0..k).filter(|&j| !lit[j]) {
            let predicted = dot3(&b, &lights[j]);
            if predicted <= 0.0 || obs[j] < 0.3 * predicted {
                shares.push(obs[j] * scale[j] / mean_scale / rho);
            }
        }
    }
    (shares.len() >= MIN_SHADOWS).then(|| median(&mut shares))
}

/// At most this many pixels are looked at for shadows, on a regular
/// stride: shadows are few (the walls of deep scars), so more than for the
/// tone curve; most pixels are lit by every light and skipped at once.
const MAX_SHADOW_PIXELS: usize = 1_000_000;
/// Shadowed observations fewer than this give no [`ambient_share`].
const MIN_SHADOWS: usize = 50;

/// The set's light intensities (1 where none are given), where it has at
/// least four lights (three fit any intensities) and an image and an
/// intensity for each.
fn light_scales(
    images: &[Plane],
    lights: &[[f64; 3]],
    intensities: Option<&[f64]>,
) -> Option<Vec<f64>> {
    let k = lights.len();
    let matched = images.len() == k && intensities.is_none_or(|s| s.len() == k);
    (k >= 4 && matched).then(|| (0..k).map(|i| intensities.map_or(1.0, |s| s[i])).collect())
}

/// The least-squares `b` of `obs ≈ b·l` over the lights in `keep`.
fn fit_lit(lights: &[[f64; 3]], obs: &[f64], keep: &[bool]) -> Option<[f64; 3]> {
    let inv = normal_inverse(lights, keep)?;
    let mut rhs = [0.0f64; 3];
    for ((l, &o), _) in lights.iter().zip(obs).zip(keep).filter(|(_, k)| **k) {
        for r in 0..3 {
            rhs[r] += l[r] * o;
        }
    }
    Some([
        dot3(&inv[0], &rhs),
        dot3(&inv[1], &rhs),
        dot3(&inv[2], &rhs),
    ])
}

/// The undivided intensities of up to [`MAX_PIXELS`] pixels on a regular
/// stride, K values each, where every light lights the pixel unclipped.
fn samples(images: &[Plane], scale: &[f64], mask: Option<&[bool]>) -> Vec<f64> {
    let mut out = Vec::new();
    let mut obs = vec![0.0f64; images.len()];
    for i in grid(images, MAX_PIXELS) {
        if mask.is_some_and(|m| !m[i]) {
            continue;
        }
        for ((o, img), &s) in obs.iter_mut().zip(images).zip(scale) {
            *o = f64::from(img.data()[i]) * s;
        }
        let top = obs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lit = obs.iter().all(|&v| v.is_finite() && v >= LIT_SHARE * top);
        if lit && top > DARK && top < CLIPPED {
            out.extend_from_slice(&obs);
        }
    }
    out
}

/// The indices of at most `most` pixels of the images, on a regular grid
/// with the same step across and down (a step over the flat index would
/// sample a few columns of a wide image).
fn grid(images: &[Plane], most: usize) -> impl Iterator<Item = usize> {
    let (w, h) = images.first().map_or((0, 0), |p| (p.width(), p.height()));
    let step = ((w * h) as f64 / most as f64).sqrt().ceil().max(1.0) as usize;
    (0..h)
        .step_by(step)
        .flat_map(move |y| (0..w).step_by(step).map(move |x| y * w + x))
}

/// The share of a pixel's intensities `x` outside the lights' span: the
/// residual of the least-squares fit over `x`, both as Euclidean norms.
fn misfit(x: &[f64], lights: &[[f64; 3]], pinv: &[[f64; 3]]) -> f64 {
    let mut g = [0.0f64; 3];
    for (p, &v) in pinv.iter().zip(x) {
        for r in 0..3 {
            g[r] += p[r] * v;
        }
    }
    let (mut res, mut all) = (0.0f64, 0.0f64);
    for (l, &v) in lights.iter().zip(x) {
        let e = v - dot3(&g, l);
        res += e * e;
        all += v * v;
    }
    if all > 0.0 { (res / all).sqrt() } else { 0.0 }
}

/// The median of `v` (reordered); NaN when empty.
fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mid = v.len() / 2;
    *v.select_nth_unstable_by(mid, f64::total_cmp).1
}

#[cfg(test)]
mod tests;
