use super::*;
use crate::filters::reflect;
use crate::raster::ColourModel;
use crate::simd::Copies;

fn random_rgb(w: usize, h: usize, seed: u64) -> RgbPlanes {
    let mut s = seed | 1;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % 256) as f32
    };
    let r = Plane::from_fn(w, h, |_, _| next());
    let g = Plane::from_fn(w, h, |_, _| next());
    let b = Plane::from_fn(w, h, |_, _| next());
    RgbPlanes {
        r,
        g,
        b,
        model: ColourModel::Rgb,
    }
}

#[test]
fn luminance_and_sum_equal_the_separate_passes() {
    // sizes around the sum's chunk, with no-data pixels
    for (w, h, grey) in [
        (1, 1, false),
        (300, 219, false),
        (512, 129, false),
        (77, 5, true),
    ] {
        let mut img = random_rgb(w, h, (w * h) as u64);
        img.g.data_mut()[w * h / 2] = f32::NAN;
        if grey {
            img = RgbPlanes::from_grey(img.g);
        }
        let (y, (sum, n)) = luminance_and_sum(&img);
        let want = img.luminance();
        assert!(
            y.data()
                .iter()
                .zip(want.data())
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        let (want_sum, want_n) = finite_sum(want.data());
        assert_eq!((sum.to_bits(), n), (want_sum.to_bits(), want_n));
        assert_eq!(n as usize, w * h - 1);
    }
}

/// The AVX2 copies of the row loops give the baseline's bits: every
/// metric of a photo-sized ROI is identical either way.
#[test]
fn wide_vectors_change_no_value() {
    let img = crate::phantom::skin_image(7, 401, 303, 0.03, 0.0);
    let opts = MeasureOptions {
        keep_maps: true,
        ..MeasureOptions::default()
    };
    let roi = Rect::new(0, 0, 401, 303);
    let run = || measure(Path::new("t"), &img, roi, &opts).expect("measure");
    let _switch = crate::simd::hold_switch();
    let wide = run();
    crate::simd::use_copies(Copies::Baseline);
    let base = run();
    crate::simd::use_copies(Copies::Best);
    let bits = |m: &Measurements| {
        m.values
            .iter()
            .map(|(k, v)| (k.clone(), v.value.to_bits(), v.uncertainty.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&wide), bits(&base));
    let lines = |m: &Measurements| m.maps.as_ref().map(|f| f.wrinkle_lines.clone());
    assert_eq!(lines(&wide), lines(&base));
    // a test of something: the phantom has lines and pores
    let count = |id: &str| wide.values.get(id).map_or(0.0, |v| v.value);
    assert!(count(id::WRINKLE_LENGTH) > 0.0 && count(id::PORE_COUNT) > 0.0);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(40))]
    /// Any ROI from the smallest up, with holes of no data, at any
    /// scale: every metric is measured without a panic and is finite.
    #[test]
    fn any_small_roi_measures_finite_values(
        w in MIN_SIDE..72usize,
        h in MIN_SIDE..72usize,
        seed in proptest::prelude::any::<u64>(),
        hole in proptest::prelude::any::<bool>(),
        scale in 0usize..5,
    ) {
        let mut img = random_rgb(w, h, seed);
        if hole {
            // a block of no data, as outside an aligned follow-up's overlap
            for y in 0..h / 3 {
                for x in w / 2..w {
                    for p in [&mut img.r, &mut img.g, &mut img.b] {
                        p.set(x, y, f32::NAN);
                    }
                }
            }
        }
        let opts = MeasureOptions {
            mm_per_px: [None, Some(0.01), Some(0.02), Some(0.05), Some(0.2)][scale]
                .and_then(MmPerPx::new),
            keep_maps: true,
            ..MeasureOptions::default()
        };
        let m = measure(Path::new("t"), &img, Rect::new(0, 0, w, h), &opts)
            .map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
        proptest::prop_assert!(m.values.len() >= 10, "{:?}", m.values.keys());
        for (id, v) in &m.values {
            proptest::prop_assert!(v.value.is_finite(), "{id}: {}", v.value);
            proptest::prop_assert!(v.uncertainty.is_finite() && v.uncertainty >= 0.0, "{id}");
        }
    }
}

#[test]
fn finite_sum_matches_a_straight_sum() {
    let mut v: Vec<f32> = (0..200_001)
        .map(|i| ((i * 7919) % 1000) as f32 * 0.37)
        .collect();
    for i in (0..v.len()).step_by(977) {
        v[i] = if i % 2 == 0 { f32::NAN } else { f32::INFINITY };
    }
    let finite: Vec<f64> = v
        .iter()
        .filter(|x| x.is_finite())
        .map(|&x| f64::from(x))
        .collect();
    let (s, n) = finite_sum(&v);
    assert_eq!(n, finite.len() as u64);
    let exact: f64 = finite.iter().sum();
    assert!((s - exact).abs() <= 1e-12 * exact, "{s} vs {exact}");
}

#[test]
fn roughness_matches_a_2d_gaussian_reference() {
    let img = random_rgb(40, 33, 9);
    let want = naive_roughness(&img.luminance());
    let m = measure(
        Path::new("t"),
        &img,
        Rect::new(0, 0, 40, 33),
        &MeasureOptions::default(),
    )
    .unwrap();
    let got = m.values[id::ROUGHNESS].value;
    // f32 separable blur vs f64 2-D sum: ~1e-5 relative
    assert!((got - want).abs() < 1e-4 * want, "{got} vs {want}");
}

#[test]
fn relative_roughness_is_the_ratio_to_the_control_region() {
    // a smoother control (half the contrast) on the right
    let mut img = random_rgb(90, 33, 4);
    let (roi, control) = (Rect::new(0, 0, 40, 33), Rect::new(50, 0, 40, 33));
    for p in [&mut img.r, &mut img.g, &mut img.b] {
        for y in 0..33 {
            for x in 50..90 {
                p.set(x, y, 100.0 + 0.5 * (p.at(x, y) - 100.0));
            }
        }
    }
    // each relative to its region's mean luminance
    let relative = |y: Plane| naive_roughness(&y) * y.len() as f64 / finite_sum(y.data()).0;
    let want = relative(img.crop(roi).luminance()) / relative(img.crop(control).luminance());
    let opts = MeasureOptions {
        control: Some(control),
        ..MeasureOptions::default()
    };
    let m = measure(Path::new("t"), &img, roi, &opts).unwrap();
    let got = m.values[id::RELATIVE_ROUGHNESS].value;
    assert!((got - want).abs() < 1e-4 * want, "{got} vs {want}");
    assert!(got > 1.5, "the control is smoother: {got}");
    // no control, no ratio
    let alone = measure(Path::new("t"), &img, roi, &MeasureOptions::default()).unwrap();
    assert!(!alone.values.contains_key(id::RELATIVE_ROUGHNESS));
}

/// Naive roughness: full 2-D Gaussian convolution of σ 4 px (reflected
/// borders), then the RMS of the residual.
fn naive_roughness(y: &Plane) -> f64 {
    let (w, h) = (y.width(), y.height());
    let sigma = 4.0f64;
    let radius = (4.0 * sigma + 0.5) as isize;
    let k: Vec<f64> = (-radius..=radius)
        .map(|i| (-0.5 * (i as f64 / sigma).powi(2)).exp())
        .collect();
    let ks: f64 = k.iter().sum();
    let mut sum2 = 0.0;
    for yy in 0..h {
        for xx in 0..w {
            let mut acc = 0.0;
            for (j, kj) in k.iter().enumerate() {
                for (i, ki) in k.iter().enumerate() {
                    let sx = reflect(xx as isize + i as isize - radius, w);
                    let sy = reflect(yy as isize + j as isize - radius, h);
                    acc += kj * ki * f64::from(y.at(sx, sy));
                }
            }
            let d = f64::from(y.at(xx, yy)) - acc / (ks * ks);
            sum2 += d * d;
        }
    }
    (sum2 / (w * h) as f64).sqrt()
}

#[test]
fn colour_means_match_per_pixel_formulas() {
    let img = random_rgb(30, 20, 5);
    let m = measure(
        Path::new("t"),
        &img,
        Rect::new(0, 0, 30, 20),
        &MeasureOptions::default(),
    )
    .unwrap();
    let lin = |v: f32| {
        let c = f64::from(v) / 255.0;
        if c > 0.04045 {
            ((c + 0.055) / 1.055).powf(2.4)
        } else {
            c / 12.92
        }
    };
    let (mut l, mut a, mut b, mut rs, mut gs) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..600 {
        let (r, g, bl) = (
            lin(img.r.data()[i]),
            lin(img.g.data()[i]),
            lin(img.b.data()[i]),
        );
        let lab = colour::lab_from_linear(r, g, bl);
        l += lab[0];
        a += lab[1];
        b += lab[2];
        rs += r;
        gs += g;
    }
    let n = 600.0;
    assert!((m.values[id::L].value - l / n).abs() < 1e-9);
    assert!((m.values[id::A].value - a / n).abs() < 1e-9);
    assert!((m.values[id::B].value - b / n).abs() < 1e-9);
    assert!((m.values[id::MELANIN].value - 100.0 * (n / rs).log10()).abs() < 1e-9);
    assert!(
        (m.values[id::ERYTHEMA].value - 100.0 * ((rs / n).log10() - (gs / n).log10())).abs() < 1e-9
    );
}

#[test]
fn hessian_matches_analytic_gaussian_derivatives() {
    // naive: convolve with the analytic second derivatives of a 2-D
    // Gaussian at σ = 2 (the scale space uses finite differences of the
    // blurred image; they agree to O(1/(12σ²)) ≈ 2 %)
    let w = 48;
    let img = Plane::from_fn(w, w, |x, y| {
        let (x, y) = (x as f32 - 23.5, y as f32 - 23.5);
        100.0 - 30.0 * (-(x * 0.8 + y * 0.6).powi(2) / 8.0).exp() + 10.0 * (x * 0.3).sin()
    });
    let sigma = 2.0f64;
    let r = 9isize;
    let mut got = None;
    scale_space::for_each_level(&img, 2.0, 2.0, 3, |l| {
        let (w, h) = (l.width(), l.height());
        let (mut xx, mut xy, mut yy) = (
            Plane::filled(w, h, 0.0),
            Plane::filled(w, h, 0.0),
            Plane::filled(w, h, 0.0),
        );
        for y in 0..h {
            l.hessian_row(y, xx.row_mut(y), xy.row_mut(y), yy.row_mut(y));
        }
        got = Some((xx, xy, yy, l.sigma));
    });
    let (gxx, gxy, gyy, s) = got.unwrap();
    assert!((s - sigma).abs() < 1e-12);
    let g = |x: f64, y: f64| {
        (-(x * x + y * y) / (2.0 * sigma * sigma)).exp()
            / (2.0 * std::f64::consts::PI * sigma * sigma)
    };
    let s2 = sigma * sigma;
    let mut worst = 0.0f64;
    let mut scale = 0.0f64;
    for (cx, cy) in [(20usize, 20usize), (24, 30), (30, 18), (15, 25)] {
        let (mut xx, mut xy, mut yy) = (0.0, 0.0, 0.0);
        for dy in -r..=r {
            for dx in -r..=r {
                let v =
                    f64::from(img.at(reflect(cx as isize - dx, w), reflect(cy as isize - dy, w)));
                let (x, y) = (dx as f64, dy as f64);
                xx += v * g(x, y) * (x * x / s2 - 1.0) / s2;
                yy += v * g(x, y) * (y * y / s2 - 1.0) / s2;
                xy += v * g(x, y) * x * y / (s2 * s2);
            }
        }
        for (a, b) in [
            (s2 * xx, gxx.at(cx, cy)),
            (s2 * xy, gxy.at(cx, cy)),
            (s2 * yy, gyy.at(cx, cy)),
        ] {
            worst = worst.max((a - f64::from(b)).abs());
            scale = scale.max(a.abs());
        }
    }
    assert!(worst < 0.05 * scale, "worst {worst} of {scale}");
}
