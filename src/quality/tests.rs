use super::*;
use crate::filters::gaussian_blur;

/// The phantom's skin, as a baseline photo with a control region.
pub(super) fn skin() -> (RgbPlanes, Regions) {
    let img = crate::phantom::skin_image(3, 320, 240, 0.05, 0.0);
    let regions = Regions {
        roi: Rect::new(100, 60, 200, 160),
        control: Some(Rect::new(10, 10, 80, 80)),
        card: None,
    };
    (img, regions)
}

/// Naive reference: every pixel to linear light by the formula, times
/// the channel's gain, back to sRGB by the formula (no table), unclipped
/// when `clip` is false.
pub(super) fn exposed(img: &RgbPlanes, gains: [f64; 3]) -> RgbPlanes {
    let f = |p: &Plane, k: f64| {
        p.map(|v| {
            let l = crate::raster::srgb_to_linear(f64::from(v)) * k;
            crate::raster::linear_to_srgb(l.min(1.0)) as f32
        })
    };
    RgbPlanes {
        r: f(&img.r, gains[0]),
        g: f(&img.g, gains[1]),
        b: f(&img.b, gains[2]),
        model: img.model,
    }
}

#[test]
fn no_shading_field_without_skin_on_every_side_of_the_region() {
    let (base, mut regions) = skin();
    // the ROI reaches the right and bottom edges: blocks only above and
    // to the left, nothing to interpolate from
    regions.roi = Rect::new(100, 60, 220, 180);
    let reference = reference(&base, regions);
    let darker = exposed(&base, [0.7; 3]);
    let q = assess(&darker, regions, &reference, &Registration::identity());
    assert!(q.shading.is_none());
    assert!(!q.measures.contains_key("shading_vs_baseline"));
}

#[test]
fn sharpness_falls_with_blur_and_a_blurred_capture_is_flagged() {
    let (base, regions) = skin();
    let reference = reference(&base, regions);
    let blurred = |sigma: f64| base.map_planes(|p| gaussian_blur(p, sigma));
    let ratio = |sigma: f64| {
        assess(
            &blurred(sigma),
            regions,
            &reference,
            &Registration::identity(),
        )
        .measures["sharpness_vs_baseline"]
    };
    let (r0, r1, r2, r3) = (ratio(0.0), ratio(0.7), ratio(1.5), ratio(2.5));
    eprintln!("sharpness at σ 0, 0.7, 1.5, 2.5: {r0:.3} {r1:.3} {r2:.3} {r3:.3}");
    assert!((r0 - 1.0).abs() < 1e-12);
    assert!(r1 < r0 && r2 < r1 && r3 < r2);
    let q = assess(
        &blurred(2.5),
        regions,
        &reference,
        &Registration::identity(),
    );
    assert!(q.status >= Verdict::Warn, "{q:?}");
    assert!(q.reasons.iter().any(|r| r.contains("blurred")), "{q:?}");
    // and the blur is read back as the σ it was, whatever the share
    for sigma in [0.7, 1.5] {
        let q = assess(
            &blurred(sigma),
            regions,
            &reference,
            &Registration::identity(),
        );
        let read = q.measures["blur_vs_baseline_px"];
        assert!((read - sigma).abs() < 0.1, "σ {sigma} read as {read:.3}");
    }
}

#[test]
fn a_first_photo_softer_than_the_capture_is_read_as_its_blur() {
    // the mirror of the test above: the baseline blurred by σ, the
    // capture sharp; with the control region as ruler (projection) and
    // without one (the ROI's energies)
    let (sharp, with_control) = skin();
    let without = Regions {
        control: None,
        ..with_control
    };
    for regions in [with_control, without] {
        for sigma in [0.7, 1.1, 1.5] {
            let soft = sharp.map_planes(|p| gaussian_blur(p, sigma));
            let reference = reference(&soft, regions);
            let q = assess(&sharp, regions, &reference, &Registration::identity());
            assert_eq!(q.measures["blur_vs_baseline_px"], 0.0);
            let read = q.measures["baseline_blur_vs_capture_px"];
            assert!(
                (read - sigma).abs() < 0.15,
                "σ {sigma} read as {read:.3}, control {:?}",
                regions.control
            );
            assert_eq!((q.status, q.scope), (Verdict::Warn, Scope::Structure));
        }
        // the same photo twice: no blur either way
        let reference = reference(&sharp, regions);
        let q = assess(&sharp, regions, &reference, &Registration::identity());
        assert!(q.measures["baseline_blur_vs_capture_px"] < 1e-3, "{q:?}");
        assert_eq!(q.status, Verdict::Ok);
    }
}

#[test]
fn a_capture_framed_without_the_control_region_is_not_compared() {
    // the follow-up's frame leaves out the control region's columns from
    // `edge` on (NaN after the warp), blurred by 0.8 px as well: without
    // the control nothing checks its focus, so it must not pass as `ok`
    let (base, regions) = skin();
    let reference = reference(&base, regions);
    let c = regions.control.unwrap();
    let framed = |edge: usize| {
        base.map_planes(|p| {
            let soft = gaussian_blur(p, 0.8);
            Plane::from_fn(p.width(), p.height(), |x, y| {
                if x >= edge && x < c.x + c.w && y >= c.y && y < c.y + c.h {
                    f32::NAN
                } else {
                    soft.at(x, y)
                }
            })
        })
    };
    for (edge, share) in [(c.x, 0.0), (c.x + c.w * 3 / 10, 0.3)] {
        let q = assess(
            &framed(edge),
            regions,
            &reference,
            &Registration::identity(),
        );
        assert!(
            (q.measures["control_in_frame"] - share).abs() < 1e-9,
            "{q:?}"
        );
        assert_eq!((q.status, q.scope), (Verdict::Warn, Scope::All), "{q:?}");
        assert!(
            q.reasons[0].contains("of the control region is in this photo"),
            "{q:?}"
        );
    }
    // the whole control region in view: no such reason
    let q = assess(&base, regions, &reference, &Registration::identity());
    assert_eq!(q.measures["control_in_frame"], 1.0);
    assert_eq!(q.status, Verdict::Ok);
}

/// The gate's fine band of `img`.
fn fine_band(img: &RgbPlanes) -> Plane {
    bands(&log_light(img, &LinearLut::default()))
        .expect("a band")
        .0
}

/// `img` with independent noise (uniform, ±`amp` levels, from `seed`)
/// on every channel, and, where `flat` is given, that region first
/// painted one skin colour: a control region with no detail of its own.
fn noisy(img: &RgbPlanes, amp: f32, seed: u64, flat: Option<Rect>) -> RgbPlanes {
    let colour = |k: usize| [180.0, 130.0, 110.0][k];
    let planes = [&img.r, &img.g, &img.b];
    let one = |k: usize| {
        Plane::from_fn(img.width(), img.height(), |x, y| {
            let inside =
                flat.is_some_and(|r| x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h);
            let v = if inside {
                colour(k)
            } else {
                planes[k].at(x, y)
            };
            // a hash of the position, the channel and the seed
            let mut h = (x as u64 * 0x9E37_79B9 + y as u64 * 0x85EB_CA6B + k as u64 * 0xC2B2_AE35)
                ^ seed.wrapping_mul(0x2545_F491_4F6C_DD1D);
            h ^= h >> 29;
            h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            h ^= h >> 32;
            v + amp * ((h % 2001) as f32 / 1000.0 - 1.0)
        })
    };
    RgbPlanes {
        r: one(0),
        g: one(1),
        b: one(2),
        model: img.model,
    }
}

#[test]
fn a_control_region_of_noise_alone_cannot_vouch_for_focus() {
    let (skin, regions) = skin();
    let control = regions.control.expect("a control region");
    let shared = |flat: Option<Rect>| {
        let base = noisy(&skin, 2.0, 1, flat);
        let reference = reference(&base, regions);
        let q = assess(
            &noisy(&skin, 2.0, 2, flat),
            regions,
            &reference,
            &Registration::identity(),
        );
        (q.measures["control_detail_shared"], q)
    };
    // skin texture in the control region: the same in both captures
    let (textured, q) = shared(None);
    assert!(textured > 0.9, "{textured}");
    assert!(q.is_ok(), "{q:?}");
    // an even control region: its fine detail is each capture's own
    // noise, which the two do not share
    let (even, q) = shared(Some(control));
    assert!(even.abs() < 0.2, "{even}");
    assert_eq!(
        (q.status, q.scope),
        (Verdict::Warn, Scope::Structure),
        "{q:?}"
    );
    assert!(
        q.reasons[0].contains("control region's fine detail"),
        "{q:?}"
    );
    assert!(q.colour_is_ok());
}

#[test]
fn noise_does_not_pass_for_the_detail_a_blur_took() {
    // a softer capture with sensor noise: its band-pass energy is made
    // up by the noise, the detail it shares with the baseline is not
    let (skin, regions) = skin();
    let control = regions.control.expect("a control region");
    let reference = reference(&skin, regions);
    let soft = skin.map_planes(|p| gaussian_blur(p, 0.8));
    let capture = noisy(&soft, 14.0, 7, None);
    let q = assess(&capture, regions, &reference, &Registration::identity());
    let band = |img: &RgbPlanes| fine_band(&img.crop(control));
    let energy = band_energy(&band(&capture)) / band_energy(&band(&skin));
    let kept = q.measures["sharpness_vs_baseline"];
    eprintln!(
        "energy ratio {energy:.3}, sharpness {kept:.3}, shared {:.3}",
        q.measures["control_detail_shared"]
    );
    assert!(q.measures["control_detail_shared"] >= thresholds::CONTROL_DETAIL_WARN);
    assert!(energy > 0.8, "the noise makes up the energy: {energy}");
    // the blur alone, without noise, keeps as much detail as the
    // noisy capture is said to show
    let quiet = assess(&soft, regions, &reference, &Registration::identity());
    let alone = quiet.measures["sharpness_vs_baseline"];
    assert!((kept - alone).abs() < 0.05, "{kept} vs {alone}");
    assert!(kept < 0.8, "{kept}");
    assert_eq!(
        (q.status, q.scope),
        (Verdict::Warn, Scope::Structure),
        "{q:?}"
    );
    assert!(q.reasons[0].contains("blurred"), "{q:?}");
    // without a control region the ROI is the ruler, read alike
    let no_control = Regions {
        control: None,
        ..regions
    };
    let reference = super::reference(&skin, no_control);
    let q = assess(&capture, no_control, &reference, &Registration::identity());
    let roi = |img: &RgbPlanes| fine_band(&img.crop(no_control.roi));
    let energy = band_energy(&roi(&capture)) / band_energy(&roi(&skin));
    let kept = q.measures["sharpness_vs_baseline"];
    assert!(
        energy > 0.8 && kept < 0.8,
        "energy {energy}, sharpness {kept}"
    );
    assert!(!q.measures.contains_key("control_detail_shared"));
    assert_eq!((q.status, q.scope), (Verdict::Warn, Scope::Structure));
}

#[test]
fn a_steeper_tone_curve_is_not_read_as_sharper() {
    // skin with light and dark surfaces around the region (so the
    // shading fit takes a tone term), photographed again through a
    // gamma of 0.85 on the encoded values: every relative contrast,
    // the fine detail's too, is 1/0.85 × the baseline's
    let (skin, regions) = skin();
    let inside =
        |r: Rect, x: usize, y: usize| x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
    let control = regions.control.expect("a control region");
    let surfaces = skin.map_planes(|p| {
        Plane::from_fn(p.width(), p.height(), |x, y| {
            let (c, r) = (x / 8, y / 8);
            let k = (c * 7 + r * 13 + (c * r) % 11) % 17;
            let factor = if inside(regions.roi, x, y) || inside(control, x, y) {
                1.0
            } else {
                0.35 + 1.1 * k as f32 / 16.0
            };
            (p.at(x, y) * factor).min(250.0)
        })
    });
    let reference = reference(&surfaces, regions);
    let toned = surfaces.map_planes(|p| p.map(|v| 255.0 * (v / 255.0).powf(1.0 / 0.85)));
    let q = assess(&toned, regions, &reference, &Registration::identity());
    let contrast = q.measures["contrast_vs_baseline"];
    assert!((contrast - 1.0 / 0.85).abs() < 0.05, "{contrast}");
    let kept = q.measures["sharpness_vs_baseline"];
    assert!((kept - 1.0).abs() < 0.05, "{kept} (contrast {contrast})");
}

#[test]
fn pixel_noise_compares_only_between_files_of_the_same_jpeg_steps() {
    assert!(same_steps(Some(3), Some(3)) && same_steps(None, None));
    // a coarser or a finer JPEG, or one after a file that is not: its
    // rounding moves the noise in the band and the pixel noise alike
    for (now, then) in [
        (Some(7), Some(3)),
        (Some(2), Some(3)),
        (Some(3), None),
        (None, Some(3)),
    ] {
        assert!(!same_steps(now, then), "{now:?} {then:?}");
    }
}
