//! Tests of the tone reading: powers, lamps, room light, albedo spread.

use super::*;

/// Eight lights at slants 30–60°, as the shared sets' rig.
fn lights() -> Vec<[f64; 3]> {
    [
        (0, 30),
        (45, 45),
        (90, 60),
        (135, 35),
        (180, 50),
        (225, 40),
        (270, 55),
        (315, 60),
    ]
    .iter()
    .map(|&(az, sl)| {
        let (az, sl) = (f64::from(az).to_radians(), f64::from(sl).to_radians());
        [sl.sin() * az.cos(), sl.sin() * az.sin(), sl.cos()]
    })
    .collect()
}

/// A bumpy Lambertian patch (mottled albedo) under `lights`, each
/// image's linear light raised to `beta` and scaled by its intensity.
fn rendered(lights: &[[f64; 3]], beta: f64, intensities: &[f64]) -> Vec<Plane> {
    let (w, h) = (96, 96);
    lights
        .iter()
        .zip(intensities)
        .map(|(l, &s)| {
            Plane::from_fn(w, h, |x, y| {
                let (u, v) = (x as f64 / 7.0, y as f64 / 5.0);
                let (gx, gy) = (0.35 * u.cos() * v.sin(), 0.3 * (u + 0.5 * v).sin());
                let norm = (gx * gx + gy * gy + 1.0).sqrt();
                let n = [-gx / norm, -gy / norm, 1.0 / norm];
                let albedo = 0.5 + 0.1 * (0.3 * u).sin() * (0.2 * v).cos();
                let lin = s * 0.8 * albedo * dot3(&n, l).max(0.0);
                (lin.powf(beta) / s) as f32
            })
        })
        .collect()
}

#[test]
fn reads_the_power_of_a_tone_curve_and_maps_a_set_to_another() {
    let l = lights();
    let s = [1.0, 0.9, 1.1, 1.05, 0.95, 1.0, 1.2, 0.85];
    let linear = exponent(&rendered(&l, 1.0, &s), &l, Some(&s), None).unwrap();
    assert!((linear - 1.0).abs() < 0.01, "{linear}");
    for beta in [0.8, 1.15, 1.3] {
        let mut set = rendered(&l, beta, &s);
        let read = exponent(&set, &l, Some(&s), None).unwrap();
        assert!((read - beta).abs() < 0.02 * beta, "{beta}: {read}");
        // mapped to the linear set's response, it is that set
        apply(&mut set, linear / read, Some(&s));
        let truth = rendered(&l, 1.0, &s);
        for (a, b) in set.iter().zip(&truth) {
            for (u, v) in a.data().iter().zip(b.data()) {
                assert!((u - v).abs() <= 0.02 * v.max(0.05), "{beta}: {u} {v}");
            }
        }
    }
}

/// [`rendered`] under lamps of the `truth`'s intensities, divided by the
/// `said` ones: lamps brighter or dimmer than their intensities say.
fn lamps_off(lights: &[[f64; 3]], beta: f64, truth: &[f64], said: &[f64]) -> Vec<Plane> {
    rendered(lights, beta, truth)
        .iter()
        .zip(truth.iter().zip(said))
        .map(|(p, (t, s))| p.map(|v| (f64::from(v) * t / s) as f32))
        .collect()
}

#[test]
fn a_lamp_off_its_intensity_is_told_from_a_tone_curve() {
    let l = lights();
    let said = [1.0, 0.9, 1.1, 1.05, 0.95, 1.0, 1.2, 0.85];
    let base = baseline(&rendered(&l, 1.0, &said), &l, Some(&said), None).unwrap();
    assert!((base.beta - 1.0).abs() < 0.01, "{}", base.beta);
    for (lamp, off) in [(1, 1.05), (2, 1.1), (4, 0.9), (6, 1.15)] {
        let mut truth = said;
        truth[lamp] *= off;
        let set = lamps_off(&l, 1.0, &truth, &said);
        let r = against(&set, &l, Some(&said), &base).unwrap();
        assert!(
            (r.beta / base.beta - 1.0).abs() < 0.01,
            "lamp {lamp} ×{off}: {}",
            r.beta
        );
        let lamps = r.lamps.unwrap();
        // the lamp's light over the others' geometric mean
        let want = off.powf(7.0 / 8.0);
        assert!((lamps[lamp] / want - 1.0).abs() < 0.01, "{lamps:?}");
        // the lamp alone: no better fit at another power
        assert!(r.beyond_lamps.unwrap() < 1.005, "{:?}", r.beyond_lamps);
        let apart = lamps_apart(Some(&lamps)).unwrap();
        assert!((apart / want.max(1.0 / want) - 1.0).abs() < 0.01, "{apart}");
    }
    // a lamp that moved and a tone curve at once: the lamp, and a
    // better fit at another power with the lamps free
    for beta in [0.85, 1.2] {
        let mut truth = said;
        truth[2] *= 1.1;
        let set = lamps_off(&l, beta, &truth, &said);
        let r = against(&set, &l, Some(&said), &base).unwrap();
        assert!(r.lamps.is_some(), "{beta}");
        let beyond = r.beyond_lamps.unwrap();
        assert!(beyond > 1.015, "{beta}: {beyond}");
    }
    // a tone curve is read as one, the lamps as they were
    for beta in [0.85, 1.2] {
        let r = against(&rendered(&l, beta, &said), &l, Some(&said), &base).unwrap();
        assert_eq!(r.lamps, None, "{beta}");
        assert!((r.beta / beta - 1.0).abs() < 0.02, "{beta}: {}", r.beta);
    }
    assert_eq!(lamps_apart(None), None);
}

/// A patch with pits steep enough to shadow some lights (attached
/// shadows: the pits' walls face away from low lights) under `lights`,
/// plus room light `ambient` (a share of a head-on light of intensity
/// 1), each image divided by its intensity.
fn pitted(lights: &[[f64; 3]], ambient: f64, intensities: &[f64]) -> Vec<Plane> {
    lights
        .iter()
        .zip(intensities)
        .map(|(l, &s)| {
            Plane::from_fn(120, 120, |x, y| {
                let (u, v) = ((x % 30) as f64 - 15.0, (y % 30) as f64 - 15.0);
                let r = (u * u + v * v).sqrt().max(1e-9);
                // a cone-shaped pit of slope 2.5 within radius 8 px
                let slope = if r < 8.0 { 2.5 } else { 0.0 };
                let (gx, gy) = (-slope * u / r, -slope * v / r);
                let norm = (gx * gx + gy * gy + 1.0).sqrt();
                let n = [-gx / norm, -gy / norm, 1.0 / norm];
                let albedo = 0.6 + 0.1 * (x as f64 / 17.0).sin();
                ((s * 0.8 * albedo * dot3(&n, l).max(0.0) + ambient * albedo) / s) as f32
            })
        })
        .collect()
}

#[test]
fn reads_the_room_light_in_the_shadows() {
    let l = lights();
    let s = [1.0, 0.9, 1.1, 1.05, 0.95, 1.0, 1.2, 0.85];
    let dark = ambient_share(&pitted(&l, 0.0, &s), &l, Some(&s), None).unwrap();
    assert!(dark.abs() < 0.002, "{dark}");
    for room in [0.01, 0.02, 0.05] {
        let read = ambient_share(&pitted(&l, room, &s), &l, Some(&s), None).unwrap();
        // the albedo the fit reads is 0.8 of the true one (the rig's
        // lights at 0.8): the share is of that light
        let truth = room / 0.8;
        assert!(
            (read - truth).abs() < 0.15 * truth,
            "{room}: {read} vs {truth}"
        );
    }
    // four lamps: three lit fit the pixel exactly
    let four = [l[0], l[2], l[4], l[6]];
    let s4 = [1.0; 4];
    let read = ambient_share(&pitted(&four, 0.03, &s4), &four, None, None).unwrap();
    assert!((read - 0.03 / 0.8).abs() < 0.2 * 0.03 / 0.8, "{read}");
    // a set without shadows tells nothing
    assert_eq!(
        ambient_share(&rendered(&l, 1.0, &s), &l, Some(&s), None),
        None
    );
}

/// `set` as an 8-bit sRGB camera with sensor noise of `sigma` levels
/// delivers it, decoded again (images divided by `intensities`).
fn through_8_bit(set: &[Plane], intensities: &[f64], sigma: f64) -> Vec<Plane> {
    use crate::raster::{linear_to_srgb, srgb_to_linear};
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    set.iter()
        .zip(intensities)
        .map(|(p, &s)| {
            let mut p = p.clone();
            for v in p.data_mut() {
                let (u, w) = (uniform(), uniform());
                let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * w).cos();
                let level = (linear_to_srgb(f64::from(*v) * s) + sigma * normal).round();
                *v = (srgb_to_linear(level.clamp(0.0, 255.0)) / s) as f32;
            }
            p
        })
        .collect()
}

#[test]
fn noise_does_not_move_the_reading_and_a_ring_of_lamps_gives_none() {
    let l = lights();
    let s = [1.0, 0.9, 1.1, 1.05, 0.95, 1.0, 1.2, 0.85];
    for beta in [1.0, 1.2] {
        let truth = rendered(&l, beta, &s);
        let quiet = exponent(&through_8_bit(&truth, &s, 0.5), &l, Some(&s), None).unwrap();
        let noisy = exponent(&through_8_bit(&truth, &s, 2.0), &l, Some(&s), None).unwrap();
        assert!(
            (noisy / quiet - 1.0).abs() < 0.01,
            "{beta}: {quiet} {noisy}"
        );
        assert!((quiet / beta - 1.0).abs() < 0.02, "{beta}: {quiet}");
    }
    // eight lamps at one elevation: a flat pixel fits any power, and
    // the noise decides; no reading rather than a wrong one
    let ring: Vec<[f64; 3]> = (0..8)
        .map(|k| {
            let (az, sl) = (f64::from(k) * 45f64.to_radians(), 45f64.to_radians());
            [sl.sin() * az.cos(), sl.sin() * az.sin(), sl.cos()]
        })
        .collect();
    let ones = [1.0; 8];
    let noisy_ring = through_8_bit(&rendered(&ring, 1.0, &ones), &ones, 2.0);
    let read = exponent(&noisy_ring, &ring, None, None);
    assert!(read.is_none_or(|b| (b - 1.0).abs() < 0.05), "{read:?}");
}

#[test]
fn a_tone_curve_scales_the_albedo_spread() {
    let mottled = |beta: f64| -> Vec<f32> {
        (0..40_000)
            .map(|i| {
                let (x, y) = (f64::from(i % 200), f64::from(i / 200));
                let rho = 0.5 * (0.2 * (x / 9.0).sin() * (y / 13.0).cos()).exp();
                rho.powf(beta) as f32
            })
            .collect()
    };
    let base = albedo_spread(&mottled(1.0)).unwrap();
    let toned = albedo_spread(&mottled(1.22)).unwrap();
    assert!((toned / base - 1.22).abs() < 0.01, "{}", toned / base);
    // pixels without a normal do not count
    let mut holes = mottled(1.0);
    holes.iter_mut().step_by(3).for_each(|v| *v = f32::NAN);
    let with_holes = albedo_spread(&holes).unwrap();
    assert!(
        (with_holes / base - 1.0).abs() < 0.02,
        "{}",
        with_holes / base
    );
    // an even albedo has no spread to read; too few pixels, none
    assert_eq!(albedo_spread(&[0.5; 1000]), None);
    assert_eq!(albedo_spread(&mottled(1.0)[..100]), None);
}

#[test]
fn only_a_tone_curve_beyond_what_relief_moves_is_mapped() {
    assert_eq!(power_to(1.1, 1.1 * 0.97), None);
    assert_eq!(power_to(1.0, 1.04), None);
    let p = power_to(1.0, 1.21).unwrap();
    assert!((p - 1.0 / 1.21).abs() < 1e-12);
    assert!(power_to(1.1, 1.1 * 0.9).is_some());
}

#[test]
fn three_lights_or_a_dark_set_give_no_reading() {
    let l = lights();
    let s = [1.0; 8];
    let set = rendered(&l, 1.0, &s);
    assert_eq!(exponent(&set[..3], &l[..3], None, None), None);
    let dark: Vec<Plane> = set.iter().map(|p| p.map(|v| v * 0.01)).collect();
    assert_eq!(exponent(&dark, &l, None, None), None);
    let masked = vec![false; set[0].len()];
    assert_eq!(exponent(&set, &l, None, Some(&masked)), None);
}
