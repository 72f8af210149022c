//! Which way the light falls: the direction of the shading of the skin's
//! fine relief, read from the ruler's band-pass.
//!
//! Under a light from one side, the shading of relief is its slope along
//! the light: the image is brightest where the skin faces the light. Its
//! gradients then line up with the light's azimuth. For relief with no
//! direction of its own, the structure tensor of a shaded band,
//! `J = Σ ∇b ∇bᵀ`, has its main axis along the light and the eigenvalues
//! 3 : 1 of a purely oblique light: its traceless part over its trace,
//! `z = ((Jxx − Jyy) + 2i·Jxy) / (Jxx + Jyy)`, has the angle 2θ of the
//! light's azimuth θ and the length 0.5. A frontal light, diffuse light and
//! the skin's own colour add gradients of no direction and shorten `z`;
//! relief with a grain of its own turns it towards the grain. Both are the
//! same in every capture of the same skin under the same lights, so the
//! turn of `z` between two captures reads a turn of the lights: `|z − z₀|`
//! is `2·|z₀|·sin Δθ` for a light turned by Δθ, 0 for a changed exposure,
//! tone curve or white balance (the band is of the log light). A softer or
//! noisier capture, or a light that shares less of the total, changes the
//! length of `z` instead (on the unchanged-skin phantom, 0.46 to 0.12–0.37
//! for blurs of σ 1–1.4 px), which says nothing of the lines' direction to
//! the light; so the measure is the chord between the two directions at
//! the shorter length ([`turn`]), which a change of length alone leaves at
//! 0. A camera rolled about its axis with its light on it turns the light
//! on the skin as much.

use crate::raster::Plane;

/// The quality measure: how far the direction of the control region's
/// shading turned against the baseline's ([`turn`]).
pub const LIGHT_TURN: &str = "light_turn_vs_baseline";

/// The direction of a band's gradients, `z` above, as (re, im); `None`
/// where the band has no finite gradient.
#[must_use]
pub(super) fn orientation(band: &Plane) -> Option<[f64; 2]> {
    let (w, h) = (band.width(), band.height());
    let (mut xx, mut yy, mut xy) = (0.0f64, 0.0f64, 0.0f64);
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let gx = f64::from(band.at(x + 1, y)) - f64::from(band.at(x - 1, y));
            let gy = f64::from(band.at(x, y + 1)) - f64::from(band.at(x, y - 1));
            if gx.is_finite() && gy.is_finite() {
                xx += gx * gx;
                yy += gy * gy;
                xy += gx * gy;
            }
        }
    }
    let trace = xx + yy;
    (trace > 0.0).then(|| [(xx - yy) / trace, 2.0 * xy / trace])
}

/// How far the direction of a capture's band `now` turned from the
/// baseline's `then`: the chord `2·r·sin Δθ` between their directions at
/// the shorter of their lengths r, Δθ half the angle between `z` and `z₀`.
/// For a light turned alone it is `|z − z₀|`; a light that only changed
/// its share (a softer, noisier or more frontally lit capture) reads 0.
#[must_use]
pub(super) fn turn(now: &Plane, then: &Plane) -> Option<f64> {
    let (a, b) = (orientation(now)?, orientation(then)?);
    let (len_a, len_b) = (a[0].hypot(a[1]), b[0].hypot(b[1]));
    let cross = a[1] * b[0] - a[0] * b[1];
    let dot = a[0] * b[0] + a[1] * b[1];
    let half_angle = 0.5 * cross.atan2(dot).abs();
    Some(2.0 * len_a.min(len_b) * half_angle.sin())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::Draw;

    /// The relief's scale, px: coarse enough that central differences are
    /// as good as derivatives in every direction (at 2 px, where their
    /// response falls by 8 % on the axes and 4 % on the diagonals, a turn
    /// read 0.8 of itself).
    const RELIEF_PX: f64 = 4.0;

    /// A random field with no direction of its own, `size` a side,
    /// smoothed over about `scale` px.
    fn relief(seed: u64, size: usize, scale: f64) -> Plane {
        let mut draw = Draw::new(seed);
        let noise = Plane::from_fn(size, size, |_, _| (draw.unit() - 0.5) as f32);
        crate::filters::gaussian_blur(&noise, scale)
    }

    /// The relief shaded by a light at azimuth `deg`: its slope along the
    /// light, by central differences, plus `k` times the unshaded colour
    /// mottle `p` where `mottle` is `Some((p, k))`.
    fn shaded(h: &Plane, deg: f64, mottle: Option<(&Plane, f64)>) -> Plane {
        let (s, c) = deg.to_radians().sin_cos();
        let (w, hh) = (h.width(), h.height());
        Plane::from_fn(w, hh, |x, y| {
            let at = |x: usize, y: usize| f64::from(h.at(x.min(w - 1), y.min(hh - 1)));
            let gx = at(x + 1, y) - at(x.saturating_sub(1), y);
            let gy = at(x, y + 1) - at(x, y.saturating_sub(1));
            let m = mottle.map_or(0.0, |(p, k)| k * f64::from(p.at(x, y)));
            (c * gx + s * gy + m) as f32
        })
    }

    #[test]
    fn an_oblique_light_reads_its_azimuth_with_a_length_of_a_half() {
        let h = relief(3, 512, RELIEF_PX);
        for deg in [0.0, 20.0, 45.0, 70.0, 120.0] {
            let z = orientation(&shaded(&h, deg, None)).unwrap();
            let angle = 0.5 * z[1].atan2(z[0]).to_degrees();
            let off = (angle - deg).rem_euclid(180.0);
            assert!(off.min(180.0 - off) < 4.0, "{deg}°: read {angle:.1}°");
            let len = z[0].hypot(z[1]);
            assert!((len - 0.5).abs() < 0.08, "{deg}°: length {len:.3}");
        }
    }

    #[test]
    fn a_turn_reads_as_twice_the_length_times_its_sine_and_a_gain_as_none() {
        for seed in [5, 6, 7, 8] {
            let h = relief(seed, 512, RELIEF_PX);
            let base = shaded(&h, 30.0, None);
            let len = {
                let z = orientation(&base).unwrap();
                z[0].hypot(z[1])
            };
            for d in [5.0f64, 15.0, 30.0, 60.0] {
                let now = shaded(&h, 30.0 + d, None);
                let got = turn(&now, &base).unwrap();
                let want = 2.0 * len * d.to_radians().sin();
                assert!(
                    (got / want - 1.0).abs() < 0.12,
                    "seed {seed}, {d}°: {got:.3} for {want:.3}"
                );
            }
            let brighter = base.map(|v| 1.7 * v);
            assert!(turn(&brighter, &base).unwrap() < 1e-9);
        }
    }

    #[test]
    fn a_light_that_only_shares_less_reads_no_turn() {
        let h = relief(9, 512, RELIEF_PX);
        let m = relief(10, 512, RELIEF_PX).map(|v| 4.0 * v);
        let base = shaded(&h, 25.0, None);
        let flatter = shaded(&h, 25.0, Some((&m, 0.3)));
        let (a, b) = (orientation(&flatter).unwrap(), orientation(&base).unwrap());
        let shorter = a[0].hypot(a[1]) / b[0].hypot(b[1]);
        assert!(shorter < 0.7, "the mottle shortens it: {shorter:.2}");
        let got = turn(&flatter, &base).unwrap();
        assert!(got < 0.02, "{got:.3}");
        // and its turn is read at the shorter length
        let turned = shaded(&h, 45.0, Some((&m, 0.3)));
        let len = a[0].hypot(a[1]);
        let want = 2.0 * len * 20f64.to_radians().sin();
        let got = turn(&turned, &base).unwrap();
        assert!((got - want).abs() < 0.15 * want, "{got:.3} for {want:.3}");
    }

    #[test]
    fn colour_mottle_shortens_the_direction_and_the_turn_alike() {
        let h = relief(7, 512, RELIEF_PX);
        let m = relief(8, 512, RELIEF_PX);
        let m = m.map(|v| 4.0 * v);
        let base = shaded(&h, 10.0, Some((&m, 0.15)));
        let z = orientation(&base).unwrap();
        let len = z[0].hypot(z[1]);
        assert!(len < 0.4, "mottle shortens it: {len:.3}");
        let now = shaded(&h, 40.0, Some((&m, 0.15)));
        let got = turn(&now, &base).unwrap();
        let want = 2.0 * len * 30f64.to_radians().sin();
        assert!((got - want).abs() < 0.2 * want, "{got:.3} for {want:.3}");
    }

    #[test]
    fn a_flat_or_empty_band_reads_no_direction() {
        assert_eq!(orientation(&Plane::filled(16, 16, 0.5)), None);
        assert_eq!(orientation(&Plane::filled(16, 16, f32::NAN)), None);
        assert_eq!(orientation(&Plane::filled(1, 1, 1.0)), None);
    }
}
