//! Claims against the phantom's designed change (issue 16's targets for the
//! photo topics that are measured at tracked places or against the control
//! region, or tracked at the scars found at baseline): fine lines, texture,
//! dark-spot pigment and redness within 15 points of the truth, scar depth and
//! volume within 10 (from height maps and from photometric sets), never
//! in the wrong direction, and the scars found in
//! the baseline height map within one of the designed scars inside it, on
//! several seeds.

mod common;

use assert_cmd::Command;
use common::{analyze, json, series_of, tempdir};
use serde_json::Value;
use std::path::Path;

#[test]
fn line_texture_and_pigment_claims_follow_the_designed_change() {
    let tmp = tempdir();
    for seed in [3u64, 5, 8] {
        let (truth, m) = course(tmp.path(), seed, &["--photometric", "--erythema", "0.15"]);
        let claims = m["claims"].as_array().unwrap();
        // issue 16: scar depth and volume within 10 points, the photo
        // topics within 15
        // (fine lines: `a_texture_change_is_not_told_as_fainter_lines…`; the
        // lines of this phantom are drawn anywhere in the scene, and seldom
        // cross the region long enough to be tracked)
        for (kind, topic, factor, points) in [
            ("photo", "texture", "relief_factor", 15.0),
            ("photo", "pigment", "pigment_factor", 15.0),
            ("height", "scar_depth", "scar_depth_factor", 10.0),
            ("height", "scar_volume", "scar_depth_factor", 10.0),
            // the pores found at baseline away from the scars (the relief's
            // amplitude scales them)
            ("height", "pores", "relief_factor", 15.0),
            // the same skin through a six-light rig (8-bit JPEG, cast
            // shadows in the deep scars): photometric stereo's heights
            ("photometric", "scar_depth", "scar_depth_factor", 10.0),
            ("photometric", "scar_volume", "scar_depth_factor", 10.0),
            ("photometric", "pores", "relief_factor", 15.0),
            // the treated area's lasting redness over the control region,
            // as the skin's reflectance gives it (erythema index units)
            ("photo", "redness", "erythema_excess", 15.0),
        ] {
            let c = claims
                .iter()
                .find(|c| c["topic"] == topic && c["kind"] == kind)
                .unwrap_or_else(|| panic!("seed {seed}: no {topic} claim"));
            // one view measured by two kinds of 3D capture: each statement
            // says which it rests on
            let label = match kind {
                "height" => Some("(3D camera)"),
                "photometric" => Some("(photometric set)"),
                _ => None,
            };
            if let Some(label) = label {
                let sentence = c["sentence"].as_str().unwrap();
                assert!(sentence.contains(label), "seed {seed}: {sentence}");
            }
            // the designed change of the lines' depth, the relief's
            // amplitude, the spots' melanin, the scars' depth (their
            // volume scales with it) or the redness excess, in %, between
            // the claim's two visits
            let want = designed(&truth, factor, &c["from"], &c["to"]);
            let got = c["change_pct"].as_f64().unwrap();
            eprintln!("seed {seed} {topic}: claimed {got:+.1} %, designed {want:+.1} %");
            assert!(
                (got - want).abs() <= points,
                "seed {seed} {topic}: claimed {got:+.1} % against {want:+.1} %"
            );
            assert!(
                got * want >= 0.0 || c["beyond_noise"] == false,
                "wrong direction"
            );
        }
        // the scars found in the baseline height map: within one of the
        // designed scars whose centre lies inside it (wrinkles and pores
        // 30–80 µm deep beside them are not scars)
        let rect = &truth["height_maps"]["baseline_rect"];
        let r = |k: usize| rect[k].as_f64().unwrap();
        let inside = truth["scars"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|sc| {
                let (x, y) = (
                    sc["centre"][0].as_f64().unwrap(),
                    sc["centre"][1].as_f64().unwrap(),
                );
                x >= r(0) && x < r(0) + r(2) && y >= r(1) && y < r(1) + r(3)
            })
            .count() as f64;
        let height = series_of(&m, "height");
        let found = height["sessions"][0]["metrics"]["scars.count"]["value"]
            .as_f64()
            .unwrap();
        eprintln!("seed {seed}: {found} scars found, {inside} designed inside");
        assert!(
            (found - inside).abs() <= 1.0,
            "seed {seed}: {found} scars found, {inside} designed inside the height map"
        );
    }
}

/// The course phantom of `seed` at 800 × 600 with the phantom options
/// `args`, made in `dir` and analysed: its truth.json and metrics.json.
fn course(dir: &Path, seed: u64, args: &[&str]) -> (Value, Value) {
    course_in(dir, &format!("course{seed}"), seed, "800x600", args)
}

/// [`course`] named `name` (in `dir`), of photos `size` (WxH).
fn course_in(dir: &Path, name: &str, seed: u64, size: &str, args: &[&str]) -> (Value, Value) {
    let case = dir.join(name);
    Command::cargo_bin("skintrack")
        .unwrap()
        .args(["phantom", "--seed", &seed.to_string(), "--size", size])
        .args(args)
        .arg(&case)
        .assert()
        .success();
    let (metrics, _) = analyze(&case, &dir.join(format!("{name}-out")));
    (json(&case.join("truth.json")), metrics)
}

/// The course's designed change of `factor` in % between the visits
/// `from` and `to` of `truth`.
fn designed(truth: &Value, factor: &str, from: &Value, to: &Value) -> f64 {
    let state = |date: &Value| {
        let s = truth["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| &s["date"] == date)
            .unwrap();
        if factor == "erythema_excess" {
            s[factor].as_f64().unwrap()
        } else {
            s["state"][factor].as_f64().unwrap()
        }
    };
    100.0 * (state(to) / state(from) - 1.0)
}

/// The photo series' claim of `topic` in `m`: its change in %, whether it
/// is beyond the noise, and its last visit.
fn photo_claim<'a>(m: &'a Value, topic: &str) -> (f64, bool, &'a Value) {
    let c = m["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["topic"] == topic && c["kind"] == "photo")
        .unwrap_or_else(|| panic!("no {topic} claim"));
    (
        c["change_pct"].as_f64().unwrap(),
        c["beyond_noise"] == true,
        &c["to"],
    )
}

#[test]
fn a_texture_change_is_not_told_as_fainter_lines_nor_lines_as_smoother_skin() {
    // the lines were tracked at every centre line of 1 mm or more, most of
    // them furrows of the micro-relief: the relief alone 24 % lower moved
    // the lines −3 to −5 % (an independent generator's texture 35 % lower:
    // "Fine lines: 9–12 % fainter"), and lines alone 27.8 % shallower read
    // 14–21 % fainter (seed 3 here: −13.4 % for −24.6 %)
    let tmp = tempdir();
    let seeds = [3u64, 5, 8];
    // the changes summed over the seeds: of the lines and the texture with
    // the relief alone changed, of the lines and their design with the
    // lines alone
    let (mut relief, mut lines) = ((0.0, 0.0), (0.0, 0.0));
    for seed in seeds {
        let args = ["--course", "relief", "--sessions", "3"];
        let name = format!("relief{seed}");
        let (_, m) = course_in(tmp.path(), &name, seed, "800x600", &args);
        let (line, line_claimed, _) = photo_claim(&m, "lines");
        let (texture, _, _) = photo_claim(&m, "texture");
        eprintln!("seed {seed}, relief alone: lines {line:+.1} %, texture {texture:+.1} %");
        assert!(texture < -10.0, "seed {seed}: texture {texture:+.1} %");
        assert!(!line_claimed, "seed {seed}: lines {line:+.1} %");
        relief = (relief.0 + line, relief.1 + texture);

        let args = ["--course", "lines", "--sessions", "3"];
        let name = format!("lines{seed}");
        let (truth, m) = course_in(tmp.path(), &name, seed, "1200x900", &args);
        let (line, line_claimed, to) = photo_claim(&m, "lines");
        let want = designed(&truth, "line_factor", &m["baseline_date"], to);
        let (texture, texture_claimed, _) = photo_claim(&m, "texture");
        eprintln!(
            "seed {seed}, lines alone: lines {line:+.1} % (designed {want:+.1} %), texture {texture:+.1} %"
        );
        assert!(
            line_claimed && (line - want).abs() <= 10.0,
            "seed {seed}: lines {line:+.1} % against {want:+.1} %"
        );
        assert!(!texture_claimed, "seed {seed}: texture {texture:+.1} %");
        lines = (lines.0 + line, lines.1 + want);
    }
    // on average over the seeds (seed to seed the shading of a line under
    // the relief varies either way): what the relief moves the lines by, and
    // how far the lines' own change is read from its design
    let n = seeds.len() as f64;
    let (line, texture) = (relief.0 / n, relief.1 / n);
    assert!(
        line.abs() < texture.abs() / 3.0,
        "relief alone: lines {line:+.1} % with texture {texture:+.1} %, on average"
    );
    let (line, want) = (lines.0 / n, lines.1 / n);
    assert!(
        (line - want).abs() <= 5.0,
        "lines alone: {line:+.1} % against {want:+.1} %, on average"
    );
}

#[test]
fn a_treated_area_reaching_past_the_region_is_not_taken_for_a_change_of_light() {
    // the face treated whole and measured in part: the redness fades, the
    // relief and the lines soften 100 px beyond the region too (left, right
    // and below; above up to the control). Fitted on that skin, the light
    // field took the surround's fading for more light and darkened the
    // region: "Dark-spot pigment: 67% higher" (seed 3) and 32 % (seed 8)
    // with the spots designed 24 % fainter
    let tmp = tempdir();
    for seed in [3u64, 8] {
        let args = ["--erythema", "0.15", "--treated-margin", "100"];
        let (truth, m) = course(tmp.path(), seed, &args);
        for (topic, factor) in [
            ("pigment", "pigment_factor"),
            ("redness", "erythema_excess"),
            ("texture", "relief_factor"),
        ] {
            let (got, _, to) = photo_claim(&m, topic);
            let want = designed(&truth, factor, &m["baseline_date"], to);
            eprintln!("seed {seed} {topic}: claimed {got:+.1} %, designed {want:+.1} %");
            assert!(
                (got - want).abs() <= 15.0 && got * want > 0.0,
                "seed {seed} {topic}: claimed {got:+.1} % against {want:+.1} %"
            );
        }
        // the fading skin was seen and left out of the field
        let most = series_of(&m, "photo")["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["quality"]["measures"]["surround_recoloured_fraction"].as_f64())
            .fold(0.0, f64::max);
        assert!(most > 0.3, "seed {seed}: {most}");
    }
}

/// The redness excess of each follow-up of the photo series against the
/// baseline: (date, quality, acute window, change, mdc95).
fn redness_changes(m: &Value) -> Vec<(String, String, bool, f64, f64)> {
    series_of(m, "photo")["sessions"].as_array().unwrap()[1..]
        .iter()
        .filter_map(|s| {
            let v = &s["metrics"]["colour.erythema_index_vs_control"];
            Some((
                s["date"].as_str()?.to_string(),
                s["quality"]["status"].as_str()?.to_string(),
                s["acute_window"].as_bool()?,
                v["change"].as_f64()?,
                v["mdc95"].as_f64()?,
            ))
        })
        .collect()
}

#[test]
fn a_redness_patch_over_part_of_the_region_is_claimed_when_it_fades() {
    // inflamed skin in a round patch over part of the region: its excess
    // runs from a tenth of the peak to the peak across the region's
    // sub-tiles. With that spread as the noise (each session's sub-tiles'
    // SEM, 0.7–1.2 units), the patch fading by a quarter (2.3 units) was
    // within the MDC of 3.1; the noise of a change read on the same tiles
    // is their paired changes' spread
    let tmp = tempdir();
    for seed in [3u64, 8] {
        let args = ["--erythema", "0.4", "--erythema-patch"];
        let (truth, m) = course(tmp.path(), seed, &args);
        let c = m["claims"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["topic"] == "redness")
            .unwrap_or_else(|| panic!("seed {seed}: no redness claim"));
        let want = designed(&truth, "erythema_excess", &c["from"], &c["to"]);
        let got = c["change_pct"].as_f64().unwrap();
        eprintln!("seed {seed}: claimed {got:+.1} %, designed {want:+.1} %");
        assert_eq!(c["beyond_noise"], true, "seed {seed}: {c}");
        assert!(
            (got - want).abs() <= 15.0 && got * want > 0.0,
            "seed {seed}: claimed {got:+.1} % against {want:+.1} %"
        );
        // every comparable follow-up whose patch faded by a quarter or more
        let base = m["baseline_date"].clone();
        let mut faded = 0;
        for (date, quality, acute, change, mdc) in redness_changes(&m) {
            let want = designed(
                &truth,
                "erythema_excess",
                &base,
                &Value::String(date.clone()),
            );
            eprintln!(
                "seed {seed} {date} {quality}: change {change:+.2} (designed {want:+.1} %), MDC {mdc:.2}"
            );
            if quality == "ok" && !acute && want <= -25.0 {
                faded += 1;
                assert!(
                    change.abs() > mdc,
                    "seed {seed} {date}: {change} within {mdc}"
                );
            }
        }
        assert!(
            faded >= 2,
            "seed {seed}: {faded} follow-ups faded by a quarter"
        );
    }
}

#[test]
fn an_unchanged_redness_patch_is_not_claimed_under_accepted_capture_changes() {
    // the same patch held at every visit, photographed with the accepted
    // capture changes: read on the same tiles, its noise is small, and the
    // capture's repeatability must still hold every change within it
    let tmp = tempdir();
    for seed in [21u64, 22, 23] {
        let case = tmp.path().join(format!("unchanged{seed}"));
        Command::cargo_bin("skintrack")
            .unwrap()
            .args(["phantom", "--unchanged", "--capture", "accepted"])
            .args(["--seed", &seed.to_string(), "--size", "800x600"])
            .args(["--erythema", "0.4", "--erythema-patch"])
            .arg(&case)
            .assert()
            .success();
        let (m, _) = analyze(&case, &tmp.path().join(format!("unchanged-out{seed}")));
        for c in m["claims"].as_array().unwrap() {
            assert_eq!(c["beyond_noise"], false, "seed {seed}: {c}");
        }
        let changes = redness_changes(&m);
        assert!(changes.len() >= 4, "seed {seed}: {changes:?}");
        for (date, quality, _, change, mdc) in changes {
            eprintln!("seed {seed} {date} {quality}: change {change:+.2}, MDC {mdc:.2}");
            assert!(
                change.abs() < mdc,
                "seed {seed} {date}: {change} beyond {mdc}"
            );
        }
    }
}
