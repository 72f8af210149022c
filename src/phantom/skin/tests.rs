//! The phantom skin's own checks: scar profiles, the surround, edges.

use super::*;

#[test]
fn scar_profiles_have_their_depth_and_radius() {
    let s = Scar {
        id: 1,
        kind: ScarKind::Boxcar,
        centre: (0.0, 0.0),
        radius_px: 20.0,
        floor_radius_px: 14.0,
        depth_um: 200.0,
    };
    assert_eq!(s.profile(0.0, 200.0), 200.0);
    assert_eq!(s.profile(14.0, 200.0), 200.0);
    assert!(s.profile(19.9, 200.0) < 1.0);
    assert_eq!(s.profile(25.0, 200.0), 0.0);
}

#[test]
fn a_pixel_across_an_edge_holds_each_surface_by_the_share_it_covers() {
    let (w, h) = (400.0, 300.0);
    let (sw, sh) = (w * SCENE_SCALE, h * SCENE_SCALE);
    let card = Rect::new(100, 40, 120, 30);
    let skin = Skin::new(3, sw, sh, 0.05, Rect::new(88, 75, 240, 180), (400, 300))
        .with_card(Some(card))
        .with_surround(true);
    let (ox, oy) = ((sw - w) / 2.0, (sh - h) / 2.0);
    let state = SkinState::BASELINE;
    // a pixel of the baseline photo centred at (bx, by)
    let pixel =
        |bx: f64, by: f64| skin.pixel_reflectance(|dx, dy| (bx + dx + ox, by + dy + oy), &state);
    let point = |bx: f64, by: f64| skin.reflectance(bx + ox, by + oy, &state);
    // the card's left edge at x = 100: the pixel centred 0.25 px to its
    // right is ¾ card (the first step, 0.1) and ¼ skin, each read at the
    // pixel's centre
    let (bx, by) = (100.25, 55.0);
    let skin_here = skin.skin_reflectance(bx + ox, by + oy, &state);
    let mixed = pixel(bx, by);
    for c in 0..3 {
        let expected = 0.75 * 0.1 + 0.25 * skin_here[c];
        assert!(
            (mixed[c] - expected).abs() < 1e-12,
            "{c}: {mixed:?} {skin_here:?}"
        );
    }
    // the wall from v = 0.89 (y = 267): centred on the edge, half wall
    let (bx, by) = (200.0, 267.0);
    let wall = point(bx, by);
    let skin_here = skin.skin_reflectance(bx + ox, by + oy, &state);
    let mixed = pixel(bx, by);
    for c in 0..3 {
        assert!((mixed[c] - 0.5 * (wall[c] + skin_here[c])).abs() < 1e-12);
    }
    // inside one surface, the pixel is its centre's reflectance
    assert_eq!(pixel(200.0, 150.0), point(200.0, 150.0));
    assert_eq!(pixel(380.0, 150.0), point(380.0, 150.0));
    // the relief fades toward the edge: no step of height across it
    let height = |bx: f64, by: f64| skin.height(bx + ox, by + oy, &state);
    for k in 0..40 {
        let x = 250.0 + 3.1 * f64::from(k);
        let step = (height(x, 266.9) - height(x, 267.1)).abs();
        assert!(step < 0.05, "height step {step} µm at x {x}");
    }
}

#[test]
fn a_surround_frames_the_skin_and_leaves_it_alone() {
    let (w, h) = (400.0, 300.0);
    let (sw, sh) = (w * SCENE_SCALE, h * SCENE_SCALE);
    let roi = Rect::new(88, 75, 240, 180);
    let skin = Skin::new(5, sw, sh, 0.05, roi, (400, 300));
    let framed = Skin::new(5, sw, sh, 0.05, roi, (400, 300)).with_surround(true);
    let (ox, oy) = ((sw - w) / 2.0, (sh - h) / 2.0);
    let state = SkinState {
        erythema: 0.1,
        ..SkinState::BASELINE
    };
    // baseline points: hair, wall, clothes; then the region and the control
    let at = |s: &Skin, (bx, by): (f64, f64)| s.reflectance(bx + ox, by + oy, &state);
    let hair = at(&framed, (0.95 * w, 0.5 * h));
    let wall = at(&framed, (0.5 * w, 0.95 * h));
    let clothes = at(&framed, (0.1 * w, 0.6 * h));
    assert!(hair.iter().all(|&c| c < 0.06), "{hair:?}");
    assert!(wall.iter().all(|&c| c > 0.5), "{wall:?}");
    assert!(clothes[2] > 2.0 * clothes[0], "{clothes:?}");
    // beyond the baseline frame too (a follow-up's view reaches there)
    assert!(at(&framed, (1.1 * w, 0.5 * h)).iter().all(|&c| c < 0.06));
    for y in (0..300).step_by(7) {
        for x in (0..400).step_by(7) {
            let (u, v) = (x as f64 / w, y as f64 / h);
            let skin_here = u < 0.86 && v < 0.89 && !(u < 0.18 && v >= 0.25);
            let p = (x as f64, y as f64);
            let (a, b) = (at(&skin, p), at(&framed, p));
            assert_eq!(a == b, skin_here, "({x}, {y}) {a:?} {b:?}");
        }
    }
}
