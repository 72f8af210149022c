//! Tests of the shading field.

use super::*;
use crate::raster::{ColourModel, Plane};

#[test]
fn undoing_a_row_equals_the_field_at_every_pixel() {
    // a strong field (about 45 % from centre to corner) on a 4000 px frame
    let field = Shading {
        coef: [0.02, 0.15, -0.1, -0.3, 0.12, -0.25],
        centre: (2000.0, 1500.0),
        half: 2000.0,
        tone: 0.0,
        recoloured: 0.0,
    };
    for (x0, y, n) in [
        (0, 0.0, 4000),
        (1234, 777.0, 2419),
        (3990, 2999.0, 10),
        (5, 3.0, 0),
    ] {
        let mut out = vec![0.0; n];
        field.undo_row(x0, y, &mut out);
        for (i, f) in out.iter().enumerate() {
            let want = (-field.log_ratio((x0 + i) as f64, y)).exp();
            assert!(
                (f / want - 1.0).abs() < 1e-12,
                "x {} y {y}: {f} vs {want}",
                x0 + i
            );
        }
    }
}

/// The block sums one pixel at a time over the whole image, row by row.
fn block_means_naive(img: &RgbPlanes) -> BlockMeans {
    let (w, h) = (img.width(), img.height());
    let block = block_side(w, h);
    let (cols, rows) = (w / block, h / block);
    let lut = LinearLut::default();
    let mut sums = vec![Sums::default(); cols * rows];
    for y in 0..rows * block {
        for x in 0..cols * block {
            let cell = &mut sums[(y / block) * cols + x / block];
            let (vr, vg, vb) = (img.r.at(x, y), img.g.at(x, y), img.b.at(x, y));
            if vr.is_nan() || vg.is_nan() || vb.is_nan() {
                cell.nodata = true;
                continue;
            }
            let (hi, lo) = (vr.max(vg).max(vb), vr.min(vg).min(vb));
            cell.saturated += usize::from(hi >= 254.0 || lo <= 1.0);
            cell.luminance +=
                luminance_f64(lut.get(vr) as f32, lut.get(vg) as f32, lut.get(vb) as f32);
            cell.channels[0] += lut.get(vr);
            cell.channels[1] += lut.get(vg);
            cell.channels[2] += lut.get(vb);
        }
    }
    BlockMeans::from_sums(block, (&vec![block; cols], &vec![block; rows]), &sums)
}

#[test]
fn block_means_in_parallel_equal_the_naive_sums_bit_for_bit() {
    // 8 px blocks, a ragged right and bottom edge, a no-data corner and
    // a clipped patch
    let v = |x: usize, y: usize, k: usize| ((x * 7 + y * 13 + k * 29) % 250) as f32 + 2.5;
    let mut img = RgbPlanes {
        r: Plane::from_fn(203, 141, |x, y| v(x, y, 0)),
        g: Plane::from_fn(203, 141, |x, y| v(x, y, 1)),
        b: Plane::from_fn(203, 141, |x, y| v(x, y, 2)),
        model: ColourModel::Rgb,
    };
    img.g.set(3, 2, f32::NAN);
    for y in 40..56 {
        for x in 80..96 {
            img.r.set(x, y, 255.0);
        }
    }
    let (got, want) = (block_means(&img), block_means_naive(&img));
    assert_eq!((got.block, got.cols, got.rows), (8, 25, 17));
    let bits = |b: &BlockMeans| {
        let channels = b.channels.iter().flatten();
        b.means
            .iter()
            .chain(channels)
            .map(|m| m.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&got), bits(&want));
    assert!(got.means[0].is_nan() && got.means[5 * 25 + 10].is_nan());
    assert!(got.means[1].is_finite());
    // factor 1 is the same function
    assert_eq!(bits(&block_means_reduced(&img, 1, (203, 141))), bits(&want));
}

#[test]
fn reduced_block_means_take_the_pixels_that_start_in_each_block() {
    // a 203 × 141 frame (8 px blocks) reduced by 3: 68 × 47 pixels;
    // block c takes reduced columns ⌈8c / 3⌉ .. ⌈8(c + 1) / 3⌉ (2 or 3)
    let v = |x: usize, y: usize, k: usize| ((x * 5 + y * 11 + k * 17) % 240) as f32 + 8.5;
    let img = RgbPlanes {
        r: Plane::from_fn(68, 47, |x, y| v(x, y, 0)),
        g: Plane::from_fn(68, 47, |x, y| v(x, y, 1)),
        b: Plane::from_fn(68, 47, |x, y| v(x, y, 2)),
        model: ColourModel::Rgb,
    };
    let got = block_means_reduced(&img, 3, (203, 141));
    assert_eq!((got.block, got.cols, got.rows), (8, 25, 17));
    let lut = LinearLut::default();
    for (r, c) in [(0, 0), (0, 1), (4, 7), (16, 24)] {
        let (mut s, mut n) = (0.0f64, 0usize);
        for y in (0..47).filter(|&y| (3 * y) / 8 == r) {
            for x in (0..68).filter(|&x| (3 * x) / 8 == c) {
                let l = |p: &Plane| lut.get(p.at(x, y)) as f32;
                s += luminance_f64(l(&img.r), l(&img.g), l(&img.b));
                n += 1;
            }
        }
        let m = got.means[r * 25 + c];
        assert!(
            n >= 4 && (m - s / n as f64).abs() < 1e-12 * m,
            "({r}, {c}): {m} vs {}",
            s / n as f64
        );
    }
}

#[test]
fn a_reduced_overview_keeps_the_verdict_and_nearly_the_shading_field() {
    use crate::align::Registration;
    use crate::align::warp::{Grid, warp_rgb_grid};
    use crate::geometry::Homography;
    use crate::quality::tests::{exposed, skin};
    use crate::quality::{Aligned, assess, assess_parts, reference, reference_of};
    let (base, regions) = skin();
    let (w, h) = (base.width(), base.height());
    // darker, with a fall-off towards the right and bottom
    let mut capture = exposed(&base, [0.8; 3]);
    for p in [&mut capture.r, &mut capture.g, &mut capture.b] {
        *p = Plane::from_fn(w, h, |x, y| {
            let f = 1.0 - 0.15 * (x + y) as f64 / (w + h) as f64;
            let l = crate::raster::srgb_to_linear(f64::from(p.at(x, y))) * f;
            crate::raster::linear_to_srgb(l) as f32
        });
    }
    let whole_ref = reference(&base, regions);
    let whole = assess(&capture, regions, &whole_ref, &Registration::identity());
    let reduce =
        |img: &RgbPlanes| warp_rgb_grid(img, &Homography::IDENTITY, Grid::reduced(w, h, 2));
    let (base_small, capture_small) = (reduce(&base), reduce(&capture));
    let (base_roi, base_control) = (
        base.crop(regions.roi),
        regions.control.map(|c| base.crop(c)),
    );
    let base_parts = Aligned {
        roi: &base_roi,
        control: base_control.as_ref(),
        overview: &base_small,
        factor: 2,
        frame: (w, h),
        dc_steps: None,
    };
    let reference_small = reference_of(&base_parts, None);
    // the baseline against itself: no field either way
    let itself = assess_parts(
        &base_parts,
        regions,
        &reference_small,
        &Registration::identity(),
    );
    assert!(itself.shading.is_none());
    let (roi, control) = (
        capture.crop(regions.roi),
        regions.control.map(|c| capture.crop(c)),
    );
    let capture_parts = Aligned {
        roi: &roi,
        control: control.as_ref(),
        overview: &capture_small,
        factor: 2,
        frame: (w, h),
        dc_steps: None,
    };
    let reduced = assess_parts(
        &capture_parts,
        regions,
        &reference_small,
        &Registration::identity(),
    );
    assert_eq!((reduced.status, reduced.scope), (whole.status, whole.scope));
    assert_eq!(reduced.gains, whole.gains);
    for (k, v) in &whole.measures {
        let r = reduced.measures[k];
        if k == "shading_vs_baseline" {
            // blocks of 4 × 4 samples instead of 8 × 8 pixels: the
            // fitted fall-off (≈ 10 % here) moves by a small fraction
            assert!((r - v).abs() < 0.05 * v, "{k}: {r} vs {v}");
        } else {
            assert_eq!(r, *v, "{k}");
        }
    }
    assert!(whole.measures["shading_vs_baseline"] > 3.0, "{whole:?}");
}

/// The block means (48 × 36 blocks of 20 px) of a scene whose log light
/// at a block's centre (x, y) is `scene(column, row, x)`, and of it
/// photographed again through a tone curve (`L^(1 + tone)`) and `field`.
fn photographed(
    scene: impl Fn(usize, usize, f64) -> f64,
    tone: f64,
    field: &Shading,
) -> (BlockMeans, BlockMeans) {
    let (cols, rows, block) = (48usize, 36usize, 20usize);
    let (mut base, mut now) = (Vec::new(), Vec::new());
    for r in 0..rows {
        for c in 0..cols {
            let (x, y) = ((c as f64 + 0.5) * 20.0, (r as f64 + 0.5) * 20.0);
            let lb = scene(c, r, x);
            base.push(lb.exp());
            now.push(((1.0 + tone) * lb + field.log_ratio(x, y)).exp());
        }
    }
    // grey surfaces: each channel's light is the luminance
    let make = |means: Vec<f64>| BlockMeans {
        block,
        cols,
        rows,
        channels: means.iter().map(|&m| [m; 3]).collect(),
        means,
    };
    (make(base), make(now))
}

/// A radial fall-off of light with a tilt, over the 960 × 720 frame.
fn fall_off(coef: [f64; TERMS]) -> Shading {
    Shading {
        coef,
        centre: (480.0, 360.0),
        half: 480.0,
        tone: 0.0,
        recoloured: 0.0,
    }
}

/// The log light of block (`c`, `r`) of a deterministic jumble of
/// surfaces around −1.8, spread by about `spread`.
fn jumble(c: usize, r: usize, spread: f64) -> f64 {
    let k = (c * 7 + r * 13 + (c * r) % 11) % 17;
    -1.8 + spread * (k as f64 / 16.0 - 0.5) * 3.4
}

/// A scene of light and dark surfaces (log luminance spread about
/// `scene_spread`) photographed again through a tone curve and a radial
/// fall-off of light.
fn toned(tone: f64, scene_spread: f64) -> (BlockMeans, BlockMeans, Rect, Shading) {
    let field = fall_off([0.0, 0.02, -0.01, -0.12, 0.0, -0.12]);
    // a deterministic jumble of surfaces between ~0.04 and ~0.5
    let scene = |c: usize, r: usize, _| jumble(c, r, scene_spread);
    let (base, now) = photographed(scene, tone, &field);
    (base, now, Rect::new(320, 240, 320, 240), field)
}

#[test]
fn a_tone_curve_over_light_and_dark_surfaces_is_told_from_a_change_of_light() {
    for tone in [-0.09, 0.0, 0.05, 0.11] {
        let (base, now, roi, truth) = toned(tone, 0.6);
        let control = Rect::new(20, 20, 120, 100);
        let s = fit(&base, &now, roi, control).expect("a field");
        assert!(
            (s.contrast() - (1.0 + tone)).abs() < 1e-6,
            "{tone}: {}",
            s.contrast()
        );
        // the field across the ROI relative to the control, as made
        let rel = |f: &Shading| mean_over(f, roi) - mean_over(f, control);
        assert!(
            (rel(&s) - rel(&truth)).abs() < 1e-6,
            "{tone}: {} vs {}",
            rel(&s),
            rel(&truth)
        );
    }
}

#[test]
fn a_changed_white_balance_over_coloured_surfaces_is_not_read_as_a_tone_curve() {
    // surfaces of many hues and lightnesses (hair, lips, clothes) under a
    // tone curve, a white balance of ±10 % per channel and a fall-off
    let field = fall_off([0.0, 0.02, -0.01, -0.12, 0.0, -0.12]);
    let (cols, rows, block) = (48usize, 36usize, 20usize);
    for (tone, wb) in [
        (0.0, [1.1, 0.9, 0.93]),
        (-0.07, [0.92, 1.0, 1.1]),
        (0.08, [1.05, 0.97, 0.9]),
    ] {
        let (mut base, mut now) = (Vec::new(), Vec::new());
        for r in 0..rows {
            for c in 0..cols {
                let (x, y) = ((c as f64 + 0.5) * 20.0, (r as f64 + 0.5) * 20.0);
                let hue = ((c * 5 + r * 3) % 7) as f64 / 6.0 - 0.5;
                let light = jumble(c, r, 0.6);
                let lb = [light + 0.8 * hue, light, light - 0.8 * hue].map(f64::exp);
                base.push(lb);
                let f = field.log_ratio(x, y);
                now.push([0, 1, 2].map(|i| wb[i] * (lb[i].ln() * (1.0 + tone) + f).exp()));
            }
        }
        let make = |channels: Vec<[f64; 3]>| BlockMeans {
            block,
            cols,
            rows,
            means: channels
                .iter()
                .map(|&[r, g, b]| 0.2126 * r + 0.7152 * g + 0.0722 * b)
                .collect(),
            channels,
        };
        let (roi, control) = (Rect::new(320, 240, 320, 240), Rect::new(20, 20, 120, 100));
        let s = fit(&make(base), &make(now), roi, control).expect("a field");
        assert!(
            (s.contrast() - (1.0 + tone)).abs() < 1e-6,
            "{tone} {wb:?}: {}",
            s.contrast()
        );
        let rel = |f: &Shading| mean_over(f, roi) - mean_over(f, control);
        assert!((rel(&s) - rel(&field)).abs() < 1e-6, "{tone} {wb:?}");
    }
}

#[test]
fn a_tone_term_the_scene_cannot_tell_from_the_field_falls_back_to_the_plain_field() {
    // the scene brightens left to right exactly as the field's linear
    // term: log light and u are one column, the tone is not fitted
    let field = fall_off([0.0, 0.0, 0.0, -0.12, 0.0, -0.12]);
    let (base, now) = photographed(|_, _, x| -1.8 + 1.2 * (x - 480.0) / 480.0, 0.0, &field);
    let (roi, control) = (Rect::new(320, 240, 320, 240), Rect::new(20, 20, 120, 100));
    let s = fit(&base, &now, roi, control).expect("a field");
    let rel = |f: &Shading| mean_over(f, roi) - mean_over(f, control);
    assert!(
        (rel(&s) - rel(&field)).abs() < 1e-6,
        "{} vs {}",
        rel(&s),
        rel(&field)
    );
    assert!(s.contrast().is_finite() && (s.contrast() - 1.0).abs() <= tone::MAX_TONE);
}

#[test]
fn hair_along_one_edge_of_even_skin_is_lever_enough_for_the_tone_term() {
    // a face photo: even skin, and dark hair in the last 8 of 48 block
    // columns (a sixth of the blocks: their median deviation is the skin's
    // few hundredths, their deciles see the hair)
    let field = fall_off([0.0, 0.02, -0.01, -0.12, 0.0, -0.12]);
    let scene = |c: usize, r: usize, _| {
        if c >= 40 {
            jumble(c, r, 0.3) - 2.2
        } else {
            jumble(c, r, 0.03)
        }
    };
    for tone in [-0.08, 0.07] {
        let (base, now) = photographed(scene, tone, &field);
        let (roi, control) = (Rect::new(320, 240, 320, 240), Rect::new(20, 20, 120, 100));
        let s = fit(&base, &now, roi, control).expect("a field");
        assert!(
            (s.contrast() - (1.0 + tone)).abs() < 1e-6,
            "{tone}: {}",
            s.contrast()
        );
    }
}

#[test]
fn an_even_scene_gets_no_tone_term_and_the_plain_field() {
    // even skin: a spread of a few hundredths, below MIN_TONE_SPREAD
    let (base, now, roi, truth) = toned(0.0, 0.03);
    let control = Rect::new(20, 20, 120, 100);
    let s = fit(&base, &now, roi, control).expect("a field");
    assert_eq!(s.tone, 0.0);
    assert_eq!(s.contrast(), 1.0);
    let rel = |f: &Shading| mean_over(f, roi) - mean_over(f, control);
    assert!((rel(&s) - rel(&truth)).abs() < 1e-9);
}

#[test]
fn skin_around_the_region_that_changed_colour_does_not_bend_the_field() {
    // even skin under a fall-off of light and a white balance; in the
    // follow-up the redness faded over a band 6 blocks wide around the ROI
    // (green and blue up 7 % and 3 %: the treated area reaching past the
    // measured region), which a field fitted on it reads as more light there
    let field = fall_off([0.0, 0.02, -0.01, -0.12, 0.0, -0.12]);
    let (cols, rows, block) = (48usize, 36usize, 20usize);
    let roi = Rect::new(320, 240, 320, 240);
    let control = Rect::new(20, 20, 120, 100);
    let band = |c: usize, r: usize| {
        let (x, y) = (c * block, r * block);
        let grown = |v: usize| v.saturating_sub(120);
        x + block > grown(roi.x)
            && x < roi.x + roi.w + 120
            && y + block > grown(roi.y)
            && y < roi.y + roi.h + 120
    };
    let wb = [1.06, 0.97, 0.92];
    let (mut base, mut now) = (Vec::new(), Vec::new());
    for r in 0..rows {
        for c in 0..cols {
            let (x, y) = ((c as f64 + 0.5) * 20.0, (r as f64 + 0.5) * 20.0);
            let jitter = ((c * 7 + r * 13) % 11) as f64 / 10.0 - 0.5;
            let skin = [0.42, 0.25 + 0.01 * jitter, 0.18 + 0.01 * jitter];
            base.push(skin);
            let faded = if band(c, r) {
                [1.0, 1.07, 1.03]
            } else {
                [1.0; 3]
            };
            // grey noise of ±1 % a block (the same in every channel)
            let noise = 1.0 + 0.02 * (((c * 31 + r * 17) % 23) as f64 / 22.0 - 0.5);
            let f = field.log_ratio(x, y).exp() * noise;
            now.push([0, 1, 2].map(|i| skin[i] * faded[i] * wb[i] * f));
        }
    }
    let make = |channels: Vec<[f64; 3]>| BlockMeans {
        block,
        cols,
        rows,
        means: channels
            .iter()
            .map(|&[r, g, b]| 0.2126 * r + 0.7152 * g + 0.0722 * b)
            .collect(),
        channels,
    };
    let s = fit(&make(base), &make(now), roi, control).expect("a field");
    let rel = |f: &Shading| mean_over(f, roi) - mean_over(f, control);
    // a 0.1 % change of light over the ROI at most (fitted on the band
    // too, the field was 4.8 % brighter there than made)
    assert!(
        (rel(&s) - rel(&field)).abs() < 1e-3,
        "{} vs {}",
        rel(&s),
        rel(&field)
    );
    // the band's blocks, and only they, were left out
    let outside = (cols * rows) - (16 * 12);
    let in_band = (0..rows)
        .flat_map(|r| (0..cols).map(move |c| (c, r)))
        .filter(|&(c, r)| {
            band(c, r) && !roi.overlaps(Rect::new(c * block, r * block, block, block))
        })
        .count();
    assert!(
        (s.recoloured_share() - in_band as f64 / outside as f64).abs() < 1e-9,
        "{} vs {in_band}/{outside}",
        s.recoloured_share()
    );
}
