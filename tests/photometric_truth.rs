//! Scar depth from photometric sets against the phantom's designed depths
//! (issue 16 part 5): a clinic's rig (six lights 40–55° above the skin,
//! 8-bit sRGB JPEG with 4:2:0 chroma, sensor noise, cast shadows inside the
//! deep scars), on several seeds: every designed scar inside the set is
//! found, its floor depth within 10 % of the truth.

mod common;

use common::tempdir;
use skintrack::depth;
use skintrack::phantom::{PhantomOptions, generate};

/// Floor-depth errors (found / true − 1) of the designed scars inside the
/// baseline set, and the number of observations in shadow.
fn floor_depth_errors(seed: u64, scar_depth_scale: f64) -> (Vec<f64>, usize) {
    let tmp = tempdir();
    let case = tmp.path().join("case");
    let truth = generate(
        &case,
        &PhantomOptions {
            seed,
            sessions: 2,
            width: 800,
            height: 600,
            photometric: true,
            scar_depth_scale,
            ..Default::default()
        },
    )
    .unwrap();
    let rig = truth.photometric.as_ref().unwrap();
    let dir = case
        .join(truth.sessions[0].date.to_string())
        .join("cheek.ps");
    let set = skintrack::case::read_photometric_set(&dir).unwrap();
    let planes = skintrack::ingest::read_set(
        &set.images,
        None,
        None,
        &skintrack::ingest::IngestOptions::default(),
    )
    .unwrap();
    // observations in shadow (flat skin reads about 0.35)
    let shadowed = planes
        .iter()
        .map(|p| p.data().iter().filter(|&&v| v < 0.005).count())
        .sum::<usize>();
    let mm = skintrack::units::MmPerPx::new(truth.mm_per_px).unwrap();
    let (_, surface) = depth::from_set(&planes, &set.lights, None, Some(mm));
    let found = depth::report(&surface).scars;
    let r = rig.baseline_rect;
    let mut errors = Vec::new();
    for s in &truth.scars {
        let (x, y) = (s.centre.0 - r.x as f64, s.centre.1 - r.y as f64);
        let inside = x > s.radius_px
            && y > s.radius_px
            && x < r.w as f64 - s.radius_px
            && y < r.h as f64 - s.radius_px;
        if !inside {
            continue;
        }
        let near = found
            .iter()
            .filter(|f| (f.centre.0 - x).hypot(f.centre.1 - y) < s.radius_px)
            .max_by(|a, b| a.max_depth.total_cmp(&b.max_depth))
            .unwrap_or_else(|| panic!("seed {seed}: scar {} ({:?}) not found", s.id, s.kind));
        let err = near.max_depth / s.depth_um - 1.0;
        eprintln!(
            "seed {seed} ×{scar_depth_scale} scar {} {:?} radius {:.2} mm: true {:.0} µm, photometric {:.0} µm ({:+.1} %)",
            s.id,
            s.kind,
            s.radius_px * truth.mm_per_px,
            s.depth_um,
            near.max_depth,
            100.0 * err
        );
        errors.push(err);
    }
    (errors, shadowed)
}

#[test]
fn scar_depths_from_a_six_light_jpeg_rig_are_within_ten_percent() {
    let mut shadowed = 0;
    for seed in [3u64, 5, 8, 11, 13] {
        let (errors, dark) = floor_depth_errors(seed, 1.0);
        shadowed += dark;
        for e in errors {
            assert!(e.abs() <= 0.10, "seed {seed}: {:+.1} %", 100.0 * e);
        }
    }
    // the deep ice-pick scars are shadowed under some of the lights
    assert!(shadowed > 200, "only {shadowed} observations in shadow");
}

#[test]
fn deeper_ice_pick_scars_whose_floor_no_light_reaches_are_still_measured() {
    // 1.5× the designed depths: ice-pick scars 300–525 µm deep and 0.25–0.4
    // mm wide, whose floors lie in shadow under every light. Left out of
    // the integration such a floor was bridged at its rim's height (three
    // of six such scars were not found at all); filled from the walls'
    // slopes every one is found, within 15 % (10 % is the target: the
    // worst, a 0.26 mm ice-pick, reads 13.5 % deep)
    for seed in [3u64, 8, 13] {
        let (errors, _) = floor_depth_errors(seed, 1.5);
        for e in errors {
            assert!(e.abs() <= 0.15, "seed {seed}: {:+.1} %", 100.0 * e);
        }
    }
}
