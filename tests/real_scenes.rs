//! Issue 15 beyond the phantom's skin: real photographs (tests/data/photos)
//! photographed again, unchanged, through the phantom's capture chain
//! (exposure, white balance, a gamma change, blur, vignetting, sensor
//! noise, JPEG 60–95: `CaptureChange::accepted`). Their scenes hold what
//! even skin does not: light and dark surfaces around the measured region,
//! and (the rocket's night sky) a control region with no detail of its own,
//! whose fine structure is only noise. Nothing changed, so nothing may be
//! claimed; the tone term of the shading fit must find the gamma change.

mod common;

use common::{analyze, data, tempdir};
use serde_json::Value;
use skintrack::ingest::{IngestOptions, read_photo};
use skintrack::phantom::{CaptureChange, LinearRgb, photograph};
use skintrack::raster::{Plane, srgb_to_linear};
use std::path::Path;

/// The scene's light: the photo's pixels in linear light, scaled so that
/// the brightest exposures of the accepted range clip little.
fn radiance(photo: &str) -> LinearRgb {
    let img = read_photo(&data(&format!("photos/{photo}")), &IngestOptions::default())
        .unwrap()
        .image;
    let lin = |p: &Plane| p.map(|v| (0.6 * srgb_to_linear(f64::from(v))) as f32);
    LinearRgb {
        planes: [lin(&img.r), lin(&img.g), lin(&img.b)],
    }
}

/// A five-visit case of the unchanged `scene`: the reference capture, then
/// four accepted changes drawn from `seed`. Returns the follow-ups' changes.
fn unchanged_case(dir: &Path, scene: &LinearRgb, seed: u64) -> Vec<CaptureChange> {
    let (w, h) = (scene.width(), scene.height());
    let dates = [
        "2026-01-05",
        "2026-02-02",
        "2026-03-02",
        "2026-03-30",
        "2026-04-27",
    ];
    let mut changes = Vec::new();
    for (k, date) in dates.iter().enumerate() {
        let change = if k == 0 {
            CaptureChange::NONE
        } else {
            CaptureChange::accepted(seed * 10 + k as u64)
        };
        let path = dir.join(date).join("cheek.jpg");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            photograph(&path, scene, &change, seed + k as u64).unwrap(),
        )
        .unwrap();
        if k > 0 {
            changes.push(change);
        }
    }
    // the measured region in the middle, the control region near a corner
    let roi = [w * 29 / 100, h * 28 / 100, w * 42 / 100, h * 44 / 100];
    let control = [w / 20, h / 15, w / 6, h / 6];
    std::fs::write(
        dir.join("case.toml"),
        format!(
            "client = \"scene {seed}\"\ntreatment = \"micro-needling\"\n\
             treatments = [\"2026-01-05\", \"2026-02-02\", \"2026-03-02\", \"2026-03-30\"]\n\
             [view.cheek]\nroi = {roi:?}\ncontrol = {control:?}\nmm_per_px = 0.05\n"
        ),
    )
    .unwrap();
    changes
}

/// The claims beyond noise of a metrics.json, as their sentences.
fn claims(m: &Value) -> Vec<String> {
    m["claims"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["beyond_noise"] == true)
        .map(|c| c["sentence"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn unchanged_real_scenes_under_accepted_capture_changes_claim_nothing() {
    let dir = tempdir();
    let mut contrast_errors = Vec::new();
    let mut noisy_controls = 0;
    for photo in ["rocket.jpg", "kodim23.jpg", "chelsea.png"] {
        let scene = radiance(photo);
        for seed in [3u64, 4] {
            let case = dir.path().join(format!("{photo}-{seed}"));
            let changes = unchanged_case(&case, &scene, seed);
            let (m, _) = analyze(&case, &dir.path().join(format!("{photo}-{seed}-out")));
            let said = claims(&m);
            assert!(said.is_empty(), "{photo} seed {seed}: {said:?}");
            let sessions = m["series"][0]["sessions"].as_array().unwrap();
            for (s, change) in sessions[1..].iter().zip(&changes) {
                let q = &s["quality"];
                if q["status"] == "reject" {
                    // not aligned: the night scene's dim, noisy frames are the
                    // aligner's hardest case (its verification may refuse)
                    assert_eq!(
                        s["alignment"]["status"], "failed",
                        "{photo} seed {seed}: {s}"
                    );
                    continue;
                }
                if photo == "rocket.jpg" {
                    // the night sky of the control region: mostly noise, so
                    // texture and lines are not compared on such a visit
                    let shared = q["measures"]["control_detail_shared"].as_f64().unwrap();
                    if shared < 0.8 {
                        assert_eq!(q["status"], "warn", "{photo} seed {seed}: {q}");
                        noisy_controls += 1;
                    }
                }
                // the phantom's gamma maps encoded v to 255·(v/255)^(1/γ): in
                // linear light close to L^(1/γ), a log contrast of 1/γ
                if let Some(c) = q["measures"]["contrast_vs_baseline"].as_f64() {
                    contrast_errors.push((c - 1.0 / change.gamma).abs());
                }
            }
        }
    }
    // 4 of the rocket's 8 follow-ups: two share enough of the sky's detail
    // with the baseline, and two are not aligned (its night frames hold
    // detail in a strip only; one of them, 0.75 px off, was confirmed until
    // 378bb2f only by a transform its own verification patches had made)
    assert!(noisy_controls >= 4, "{noisy_controls}");
    contrast_errors.sort_by(f64::total_cmp);
    eprintln!("contrast errors: {contrast_errors:.3?}");
    assert!(contrast_errors.len() >= 12, "{contrast_errors:?}");
    assert!(
        contrast_errors[contrast_errors.len() / 2] < 0.02,
        "{contrast_errors:?}"
    );
}
