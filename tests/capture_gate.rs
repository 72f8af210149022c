//! Issue 15: the camera must never be reported as the skin. Unchanged skin
//! photographed under capture changes with known truth
//! (`skintrack phantom --unchanged`): hard failures are rejected with a
//! reason and nothing rests on them; under the accepted variation the
//! values of `ok` sessions stay within the noise. The capture repeatability
//! in the noise was calibrated on seeds 101–108; these are other seeds.

mod common;

use assert_cmd::Command;
use common::{analyze, comparable_for_redness, json, tempdir};
use serde_json::Value;
use skintrack::phantom::{
    CaptureChange, CaptureClass, Chroma, SessionCapture, UnchangedOptions, UnchangedTruth,
    generate_unchanged,
};
use std::path::{Path, PathBuf};

fn skintrack() -> Command {
    Command::cargo_bin("skintrack").unwrap()
}

/// Generates an unchanged case and analyses it: (truth, metrics.json, stderr).
fn unchanged(dir: &Path, plan: &str, seed: u64, sessions: usize) -> (Value, Value, String) {
    unchanged_red(dir, plan, seed, sessions, 0.0)
}

/// [`unchanged`] for skin with a lasting redness `erythema` (`--erythema`).
fn unchanged_red(
    dir: &Path,
    plan: &str,
    seed: u64,
    sessions: usize,
    erythema: f64,
) -> (Value, Value, String) {
    unchanged_with(dir, plan, seed, sessions, erythema, "full")
}

/// [`unchanged_red`] with the cameras' JPEG chroma `chroma` (`--chroma`).
fn unchanged_with(
    dir: &Path,
    plan: &str,
    seed: u64,
    sessions: usize,
    erythema: f64,
    chroma: &str,
) -> (Value, Value, String) {
    let case = dir.join(format!("{plan}{seed}-{erythema}-{chroma}"));
    skintrack()
        .args(["phantom", "--unchanged", "--capture", plan])
        .args(["--erythema", &erythema.to_string(), "--chroma", chroma])
        .arg(&case)
        .args([
            "--seed",
            &seed.to_string(),
            "--sessions",
            &sessions.to_string(),
        ])
        .args(["--size", "800x600"])
        .assert()
        .success();
    let out = dir.join(format!("out-{plan}{seed}-{erythema}-{chroma}"));
    let (metrics, stderr) = analyze(&case, &out);
    (json(&case.join("truth.json")), metrics, stderr)
}

/// A case of unchanged skin, 800×600, whose follow-ups are captured with
/// exactly `changes` (the baseline with the reference capture), analysed:
/// (truth, metrics.json, output folder).
fn with_changes(
    dir: &Path,
    name: &str,
    seed: u64,
    changes: &[CaptureChange],
) -> (UnchangedTruth, Value, PathBuf) {
    with_changes_and_erythema(dir, name, seed, changes, 0.0)
}

/// [`with_changes`] for skin with a lasting redness `erythema`.
fn with_changes_and_erythema(
    dir: &Path,
    name: &str,
    seed: u64,
    changes: &[CaptureChange],
    erythema: f64,
) -> (UnchangedTruth, Value, PathBuf) {
    with_changes_on(dir, name, seed, changes, erythema, false, false)
}

/// [`with_changes`] of skin whose fine lines cross the region
/// (`UnchangedOptions::lines_across`): lines that are tracked at every seed.
fn with_lines(
    dir: &Path,
    name: &str,
    seed: u64,
    changes: &[CaptureChange],
) -> (UnchangedTruth, Value, PathBuf) {
    with_changes_on(dir, name, seed, changes, 0.0, false, true)
}

/// [`with_changes_and_erythema`], with a grey card on the skin where `card`
/// and the fine lines across the region where `lines_across`.
fn with_changes_on(
    dir: &Path,
    name: &str,
    seed: u64,
    changes: &[CaptureChange],
    erythema: f64,
    card: bool,
    lines_across: bool,
) -> (UnchangedTruth, Value, PathBuf) {
    let mut plan = vec![SessionCapture::NONE];
    plan.extend(changes.iter().map(|&change| SessionCapture {
        class: CaptureClass::Accepted,
        change,
    }));
    let opts = UnchangedOptions {
        erythema,
        card,
        lines_across,
        ..common::planned(seed, plan)
    };
    let case = dir.join(name);
    let truth = generate_unchanged(&case, &opts).unwrap();
    let out = dir.join(format!("out-{name}"));
    let (m, _) = analyze(&case, &out);
    (truth, m, out)
}

/// The metric values of `ok` sessions of unchanged skin, and how many of
/// them read beyond noise.
#[derive(Default)]
struct BeyondNoise {
    values: u32,
    beyond: u32,
}

impl BeyondNoise {
    /// Counts session `x`'s values when it is `ok` (`what` names it in the
    /// log of each value beyond noise).
    fn add(&mut self, x: &Value, what: &str) {
        if x["quality"]["status"] != "ok" {
            return;
        }
        for (id, v) in x["metrics"].as_object().unwrap() {
            self.values += 1;
            if v["beyond_noise"] == true {
                self.beyond += 1;
                eprintln!("{what}: {id} {}", v["change_pct"]);
            }
        }
    }

    /// Issue 15's target: at most 5 % of the values beyond noise, judged
    /// on at least 100 of them.
    fn assert_few(&self) {
        let (beyond, values) = (self.beyond, self.values);
        assert!(values >= 100, "too few ok values to judge: {values}");
        let rate = f64::from(beyond) / f64::from(values);
        eprintln!(
            "{beyond} of {values} values beyond noise ({:.1} %)",
            100.0 * rate
        );
        assert!(rate <= 0.05, "{beyond} of {values} beyond noise");
    }
}

#[test]
fn every_hard_failure_is_rejected_with_a_reason_and_no_claim_rests_on_it() {
    let tmp = tempdir();
    let (truth, m, stderr) = unchanged(tmp.path(), "mixed", 5, 7);
    let sessions = m["series"][0]["sessions"].as_array().unwrap();
    let classes: Vec<&str> = truth["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["class"].as_str().unwrap())
        .collect();
    assert_eq!(sessions.len(), classes.len());
    let mut hard = 0;
    for (s, class) in sessions.iter().zip(&classes) {
        let status = s["quality"]["status"].as_str().unwrap();
        if matches!(*class, "overexposed" | "blurred" | "cut_scan") {
            hard += 1;
            assert_eq!(status, "reject", "{class}: {}", s["quality"]);
            assert!(s["metrics"].as_object().unwrap().is_empty(), "{class}");
            let reasons = s["quality"]["reasons"].as_array().unwrap();
            assert!(!reasons.is_empty(), "{class}: no reason");
            let file = s["source"].as_str().unwrap();
            assert!(
                stderr.contains(file),
                "{class}: {file} not named in {stderr}"
            );
            // the quality's own reasons say what is wrong (a cut scan's
            // once said only "not aligned")
            let text = format!("{reasons:?}");
            let expected = match *class {
                "overexposed" => "over-exposed",
                "blurred" => "blurred",
                _ => "damaged",
            };
            assert!(text.contains(expected), "{class}: {text}");
        } else {
            assert_ne!(status, "reject", "{class}: {}", s["quality"]);
        }
    }
    assert_eq!(hard, 3, "{classes:?}");
    // claims compare the baseline with sessions of ok quality, or, for
    // redness, with a warn that concerns fine structure only (spots are
    // fine structure)
    for c in m["claims"].as_array().unwrap() {
        let to = c["to"].as_str().unwrap();
        let k = sessions.iter().position(|s| s["date"] == to).unwrap();
        let q = &sessions[k]["quality"];
        assert!(
            if c["topic"] == "redness" {
                comparable_for_redness(q)
            } else {
                q["status"] == "ok"
            },
            "{} claim on {to}: {q}",
            c["topic"]
        );
    }
}

#[test]
fn accepted_capture_changes_of_unchanged_skin_stay_within_the_noise() {
    // issue 15's target: at most 5 % of the metric values of `ok` sessions
    // beyond noise (about 33 % before the gate, normalisation and the
    // capture term of the noise)
    let tmp = tempdir();
    let mut tally = BeyondNoise::default();
    // |change| of the texture and lines claims' measures, %
    let (mut texture, mut lines) = (Vec::new(), Vec::new());
    for seed in 1..=6 {
        let (_, m, _) = unchanged(tmp.path(), "accepted", seed, 6);
        for s in m["series"].as_array().unwrap() {
            let base = &s["sessions"][0]["metrics"];
            for x in s["sessions"].as_array().unwrap().iter().skip(1) {
                if x["quality"]["status"] != "ok" {
                    continue;
                }
                let change = |id: &str| {
                    let v = |m: &Value| m[id]["value"].as_f64().unwrap();
                    100.0 * (v(&x["metrics"]) / v(base) - 1.0).abs()
                };
                texture.push(change("texture.relative_roughness"));
                lines.push(change("wrinkles.tracked_severity"));
                tally.add(x, &format!("seed {seed} {}", x["date"]));
            }
        }
        // and the report tells the client of no change at all
        for c in m["claims"].as_array().unwrap() {
            assert_eq!(c["beyond_noise"], false, "seed {seed}: {}", c["sentence"]);
        }
        // nor a percentage of redness where there is none to see: the
        // excess of this skin is 1–4 units, below the 4.1 where its
        // percentages repeat within 4 %
        let base = m["series"][0]["sessions"][0]["metrics"][REDNESS]["value"]
            .as_f64()
            .unwrap();
        let c = redness_claim(&m);
        assert!(base < REDNESS_FLOOR, "seed {seed}: excess {base}");
        assert!(c["change_pct"].is_null(), "seed {seed}: {c}");
    }
    tally.assert_few();
    // the VISIA-like repeatability targets: a median change of at most 2 %
    // for texture between captures of unchanged skin (roughness itself:
    // 9.5 % on these seeds; relative to the control region: 1.9 %) ...
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let n = texture.len();
    let (t, l) = (median(&mut texture), median(&mut lines));
    eprintln!("median |change| over {n} captures: texture {t:.2} %, lines {l:.2} %");
    assert!(t <= 2.0, "texture repeatability {t} %");
    // and for fine lines at most 6 % (the line strength of the detected
    // lines: 9.4 %; the deficit at the baseline's lines, relative to the
    // control region: about 2 %)
    assert!(l <= 6.0, "lines repeatability {l} %");
}

#[test]
fn the_redness_of_visibly_red_skin_repeats_within_four_percent() {
    // issue 15's redness target (VISIA: red areas 2–4 %) where there is
    // redness to measure: unchanged skin with a lasting redness of about 8
    // erythema-index units over the control, under the accepted capture
    // changes. (Without it the excess is 1–4 units and its median change
    // about 6 %: 0.13 units, mostly JPEG chroma and a changed tone curve.)
    let tmp = tempdir();
    let mut changes = Vec::new();
    for seed in 1..=6 {
        let (_, m, _) = unchanged_red(tmp.path(), "accepted", seed, 6, 0.15);
        let s = &m["series"][0];
        let id = "colour.erythema_index_vs_control";
        let base = s["sessions"][0]["metrics"][id]["value"].as_f64().unwrap();
        assert!(
            base > 5.0,
            "seed {seed}: an excess of {base} is not visible redness"
        );
        for x in s["sessions"].as_array().unwrap().iter().skip(1) {
            if comparable_for_redness(&x["quality"]) {
                let v = x["metrics"][id]["value"].as_f64().unwrap();
                changes.push(100.0 * (v / base - 1.0).abs());
            }
        }
        for c in m["claims"].as_array().unwrap() {
            assert_eq!(c["beyond_noise"], false, "seed {seed}: {}", c["sentence"]);
        }
        // visible redness: its claim has a percentage
        assert!(redness_claim(&m)["change_pct"].is_number(), "seed {seed}");
    }
    changes.sort_by(f64::total_cmp);
    let median = changes[changes.len() / 2];
    eprintln!(
        "redness: median |change| {median:.2} % over {} captures",
        changes.len()
    );
    assert!(
        changes.len() >= 8,
        "too few captures comparable for colour: {}",
        changes.len()
    );
    assert!(median <= 4.0, "redness repeatability {median:.2} %");
}

const REDNESS: &str = "colour.erythema_index_vs_control";

/// The baseline excess from which redness percentages repeat within 4 %:
/// 0.954 × 0.1711 / 0.04 (catalog's absolute capture noise of the excess).
const REDNESS_FLOOR: f64 = 4.08;

fn redness_claim(m: &Value) -> &Value {
    m["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["topic"] == "redness")
        .expect("a redness claim")
}

/// A case of two visits of the sample case (samples/, seed 7): `first` as
/// the baseline and `second` 28 days or more later, no treatment between.
fn two_sample_visits(dir: &Path, first: &str, second: &str) -> Value {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let case = dir.join(format!("{first}-{second}"));
    for d in [first, second] {
        std::fs::create_dir_all(case.join(d)).unwrap();
        std::fs::copy(
            samples.join(d).join("cheek.jpg"),
            case.join(d).join("cheek.jpg"),
        )
        .unwrap();
    }
    std::fs::write(
        case.join("case.toml"),
        format!(
            "treatments = [\"{first}\"]\n[view.cheek]\nroi = [264, 225, 720, 540]\n\
             control = [48, 45, 168, 126]\n"
        ),
    )
    .unwrap();
    analyze(&case, &dir.join(format!("out-{first}-{second}"))).0
}

#[test]
fn a_percentage_of_redness_needs_visible_redness_at_baseline() {
    // the sample case's skin has a natural excess of about 1.9 units over
    // the control; its visit two days after a session (2026-02-11) is red,
    // about 9.5 units. Taken as a later visit without a treatment before
    // it, the redness is higher beyond noise, but a percentage of an
    // excess no one can see (+400 %) would state the camera's noise
    // magnified: the claim gives the direction only
    let tmp = tempdir();
    let m = two_sample_visits(tmp.path(), "2026-01-12", "2026-02-11");
    let base = m["series"][0]["sessions"][0]["metrics"][REDNESS]["value"]
        .as_f64()
        .unwrap();
    assert!(base < REDNESS_FLOOR, "{base}");
    let c = redness_claim(&m);
    eprintln!("{c}");
    assert_eq!(c["beyond_noise"], true, "{c}");
    assert_eq!(c["improved"], false, "{c}");
    assert!(c["change_pct"].is_null(), "{c}");
    let sentence = c["sentence"].as_str().unwrap();
    assert!(!sentence.contains('%'), "{sentence}");
    assert!(sentence.starts_with("Redness: higher than"), "{sentence}");
    // from the red visit to a later calm one, the redness that was there
    // fell by a percentage that means something: (1.6 − 9.5) / 9.5
    let m = two_sample_visits(tmp.path(), "2026-02-11", "2026-03-09");
    let c = redness_claim(&m);
    eprintln!("{c}");
    let sessions = &m["series"][0]["sessions"];
    let v = |k: usize| sessions[k]["metrics"][REDNESS]["value"].as_f64().unwrap();
    assert!(v(0) > REDNESS_FLOOR, "{}", v(0));
    let pct = c["change_pct"].as_f64().unwrap();
    assert!((pct - 100.0 * (v(1) / v(0) - 1.0)).abs() < 1e-9, "{c}");
    assert!(pct < -50.0, "{c}");
    assert_eq!(c["improved"], true, "{c}");
    assert!(
        c["sentence"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Redness: {:.0}% lower", pct.abs())),
        "{c}"
    );
}

#[test]
fn light_fall_off_and_another_light_balance_do_not_move_the_colour_excess() {
    // one capture change at a time, each at the edge of the accepted range:
    // vignetting darkens the control region in the corner more than the
    // region in the middle, which read as up to 6.9 melanin-index units of
    // pigment before the shading field was divided out
    let tmp = tempdir();
    let n = CaptureChange::NONE;
    let changes = [
        CaptureChange {
            vignetting: 0.3,
            ..n
        },
        CaptureChange {
            vignetting: 0.2,
            gain: 0.7,
            ..n
        },
        CaptureChange {
            side_light_ratio: 0.7,
            ..n
        },
        CaptureChange {
            side_light_ratio: 1.4,
            vignetting: 0.15,
            ..n
        },
    ];
    for seed in [21, 22] {
        let (_, m, _) = with_changes(tmp.path(), &format!("light{seed}"), seed, &changes);
        let sessions = m["series"][0]["sessions"].as_array().unwrap();
        let base = &sessions[0]["metrics"];
        for x in &sessions[1..] {
            // focus may warn (resampling softens a capture); the colour
            // values are kept either way
            assert_ne!(x["quality"]["status"], "reject", "{}", x["quality"]);
            assert!(
                x["quality"]["measures"]["shading_vs_baseline"]
                    .as_f64()
                    .is_some()
            );
            for id in [
                "colour.melanin_index_vs_control",
                "colour.erythema_index_vs_control",
            ] {
                let (v0, v) = (
                    base[id]["value"].as_f64().unwrap(),
                    x["metrics"][id]["value"].as_f64().unwrap(),
                );
                eprintln!("seed {seed} {}: {id} {v0:.3} → {v:.3}", x["date"]);
                // 0.5 index units: a tenth of what vignetting moved the
                // pigment excess by, about 3 capture standard deviations
                assert!(
                    (v - v0).abs() < 0.5,
                    "seed {seed} {}: {id} {v0} → {v}",
                    x["date"]
                );
                assert_eq!(x["metrics"][id]["beyond_noise"], false, "seed {seed} {id}");
            }
        }
    }
}

#[test]
fn a_softer_first_photo_is_not_read_as_rougher_skin() {
    // the first visit out of focus (σ 1.1 px added), the next two sharp:
    // the detail they gain must not read as rougher skin or stronger
    // lines, with a control region or without one (then nothing in the
    // frame cancels it: the report once said "79% rougher")
    let tmp = tempdir();
    let n = CaptureChange::NONE;
    let soft_first = SessionCapture {
        class: CaptureClass::Accepted,
        change: CaptureChange {
            blur_sigma_px: 1.1,
            ..n
        },
    };
    let opts = common::planned(
        9,
        vec![soft_first, SessionCapture::NONE, SessionCapture::NONE],
    );
    let case = tmp.path().join("case");
    generate_unchanged(&case, &opts).unwrap();
    for control in [true, false] {
        if !control {
            std::fs::remove_file(case.join("case.toml")).unwrap();
        }
        let (m, _) = analyze(&case, &tmp.path().join(format!("out-{control}")));
        for x in &m["series"][0]["sessions"].as_array().unwrap()[1..] {
            let q = &x["quality"];
            assert_eq!(q["status"], "warn", "control {control}: {q}");
            assert_eq!(q["scope"], "structure", "control {control}: {q}");
            assert!(
                q["reasons"][0]
                    .as_str()
                    .unwrap()
                    .contains("sharper than the first visit")
            );
        }
        for c in m["claims"].as_array().unwrap() {
            assert_eq!(c["beyond_noise"], false, "{}", c["sentence"]);
        }
        // the client's line: redness is compared only against a control
        // region, and without one the photo's detail may be the skin's
        let report =
            std::fs::read_to_string(tmp.path().join(format!("out-{control}/report.html"))).unwrap();
        assert!(report.contains("are not compared on"), "control {control}");
        assert_eq!(report.contains("; redness is."), control);
        assert_eq!(
            report.contains("cannot be told apart from the skin"),
            !control
        );
    }
}

#[test]
fn a_softer_photo_withholds_texture_lines_and_spots_but_not_redness() {
    let tmp = tempdir();
    let n = CaptureChange::NONE;
    // the last visit is out of focus (σ 1.5 px added): its texture and
    // lines read smoother, its colour does not change
    let changes = [
        CaptureChange { gain: 0.9, ..n },
        CaptureChange {
            blur_sigma_px: 1.5,
            ..n
        },
    ];
    let (truth, m, out) = with_changes(tmp.path(), "soft", 31, &changes);
    let sessions = m["series"][0]["sessions"].as_array().unwrap();
    let soft = &sessions[2]["quality"];
    assert_eq!(soft["status"], "warn", "{soft}");
    assert_eq!(soft["scope"], "structure", "{soft}");
    assert!(sessions[1]["quality"].get("scope").is_none());
    let dates: Vec<String> = truth.sessions.iter().map(|s| s.date.to_string()).collect();
    let claims = m["claims"].as_array().unwrap();
    let to = |topic: &str| {
        claims
            .iter()
            .find(|c| c["topic"] == topic)
            .unwrap_or_else(|| panic!("no {topic} claim: {claims:?}"))["to"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // redness rests on the soft visit, fine structure (spots too) on the
    // one before
    assert_eq!(to("redness"), dates[2]);
    assert_eq!(to("pigment"), dates[1]);
    assert_eq!(to("texture"), dates[1]);
    assert_eq!(to("lines"), dates[1]);
    for c in claims {
        assert_eq!(c["beyond_noise"], false, "{}", c["sentence"]);
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("Skin texture, fine lines, pores and dark spots are not compared on"),
        "the report says what the soft visit withholds"
    );
    // and so do its highlights of fine structure, not those of colour
    let why = "(less sharp than the first photo: not compared)";
    assert!(html.contains(&format!("Fine lines — latest visit {why}")));
    assert!(html.contains(&format!("Dark spots — latest visit {why}")));
    assert!(!html.contains("Redness — latest visit (less sharp"));
}

#[test]
fn another_cameras_chroma_subsampled_jpeg_is_not_read_as_skin_change() {
    // follow-ups written by another encoder with 4:2:0 chroma, as most
    // phones do, at qualities from 95 down to 70, and with a stronger
    // white balance and exposure change on top: the claim quantities move
    // (lines −1.6 ± 1.2 % on average, paired, BENCHMARKS.md) but stay
    // within what the capture noise allows, and nothing is claimed
    let tmp = tempdir();
    let n = CaptureChange::NONE;
    let sub = |jpeg_quality: u8| CaptureChange {
        chroma: Chroma::Subsampled,
        jpeg_quality,
        ..n
    };
    let changes = [
        sub(95),
        sub(85),
        sub(70),
        CaptureChange {
            gain: 1.3,
            white_balance: [1.08, 1.0, 0.92],
            ..sub(85)
        },
    ];
    for seed in [41, 42, 43] {
        let (truth, m, _) = with_lines(tmp.path(), &format!("420-{seed}"), seed, &changes);
        let sessions = m["series"][0]["sessions"].as_array().unwrap();
        for (x, t) in sessions.iter().zip(&truth.sessions).skip(1) {
            assert_eq!(
                x["quality"]["status"], "ok",
                "seed {seed}: {}",
                x["quality"]
            );
            for id in [
                "texture.relative_roughness",
                "wrinkles.tracked_severity",
                REDNESS,
                "colour.spot_melanin_excess",
            ] {
                let (v0, v) = (
                    sessions[0]["metrics"][id]["value"].as_f64().unwrap(),
                    x["metrics"][id]["value"].as_f64().unwrap(),
                );
                eprintln!(
                    "seed {seed} q{}: {id} {:+.2} %",
                    t.capture.change.jpeg_quality,
                    100.0 * (v / v0 - 1.0)
                );
                assert_eq!(x["metrics"][id]["beyond_noise"], false, "seed {seed} {id}");
            }
        }
        for c in m["claims"].as_array().unwrap() {
            assert_eq!(c["beyond_noise"], false, "seed {seed}: {}", c["sentence"]);
        }
    }
}

#[test]
fn a_coarser_jpeg_is_not_read_as_a_change_of_colour() {
    // JPEG rounds each block's mean colour to its quantiser step; on smooth
    // skin an area's blocks round alike, so quality alone moved the
    // redness excess of visibly red skin by up to 0.75 units (11 %) and,
    // at a dim exposure with another white balance, the spots' pigment
    // excess by −0.88 units: "Dark-spot pigment 23 % lower" was claimed on
    // held-out seed 4 before each capture's rounding entered its noise
    let tmp = tempdir();
    let n = CaptureChange::NONE;
    let q = |jpeg_quality: u8| CaptureChange { jpeg_quality, ..n };
    let dim = CaptureChange {
        gain: 0.643,
        gamma: 1.063,
        white_balance: [0.954, 1.051, 0.937],
        blur_sigma_px: 0.13,
        side_light_ratio: 1.36,
        vignetting: 0.045,
        jpeg_quality: 70,
        noise_sigma: 0.21,
        ..n
    };
    let changes = [q(80), q(70), q(60), dim];
    for seed in [4, 5] {
        let (_, m, _) =
            with_changes_and_erythema(tmp.path(), &format!("q-{seed}"), seed, &changes, 0.15);
        let sessions = m["series"][0]["sessions"].as_array().unwrap();
        // the file's step is a quality measure the practitioner sees
        let steps: Vec<f64> = sessions
            .iter()
            .map(|s| s["quality"]["measures"]["jpeg_dc_step"].as_f64().unwrap())
            .collect();
        assert_eq!(steps, [3.0, 7.0, 10.0, 14.0, 10.0], "seed {seed}");
        for (k, x) in sessions.iter().enumerate().skip(1) {
            assert_eq!(
                x["quality"]["status"], "ok",
                "seed {seed} #{k}: {}",
                x["quality"]
            );
            for id in [REDNESS, "colour.spot_melanin_excess"] {
                let c = &x["metrics"][id];
                eprintln!(
                    "seed {seed} #{k} {id}: {:+.3} (mdc {:.3})",
                    c["change"].as_f64().unwrap_or(f64::NAN),
                    c["mdc95"].as_f64().unwrap_or(f64::NAN)
                );
                assert_eq!(c["beyond_noise"], false, "seed {seed} #{k} {id}: {c}");
            }
        }
        for c in m["claims"].as_array().unwrap() {
            assert_eq!(c["beyond_noise"], false, "seed {seed}: {}", c["sentence"]);
        }
    }
}

#[test]
fn a_noisier_coarser_jpeg_is_not_read_as_fainter_lines() {
    // the lines' ruler, the RMS of their band over the control region,
    // counts a capture's own noise and JPEG artefacts, their deficit does
    // not: at JPEG quality 62 with sensor noise σ 2.9 the lines of
    // unchanged skin read 1–7 % fainter, and "Fine lines: 8 % fainter" was
    // claimed on phantom seed 202. The unshared detail the gate measures
    // (control_detail_shared, ρ) bounds that error to ρ − 1 … 1/ρ − 1, and
    // each visit's noise carries it
    let tmp = tempdir();
    let n = CaptureChange::NONE;
    let noisy = |jpeg_quality: u8, noise_sigma: f64| CaptureChange {
        jpeg_quality,
        noise_sigma,
        ..n
    };
    let changes = [n, noisy(62, 2.86), noisy(60, 3.0)];
    for seed in [7, 9] {
        let (_, m, _) = with_lines(tmp.path(), &format!("noisy-{seed}"), seed, &changes);
        let sessions = m["series"][0]["sessions"].as_array().unwrap();
        let lines = |x: &Value| x["metrics"]["wrinkles.tracked_severity"].clone();
        for (k, x) in sessions.iter().enumerate().skip(1) {
            assert_eq!(x["quality"]["status"], "ok", "seed {seed} #{k}");
            let rho = x["quality"]["measures"]["control_detail_shared"]
                .as_f64()
                .unwrap();
            let l = lines(x);
            let (change, mdc) = (
                l["change_pct"].as_f64().unwrap() / 100.0,
                l["mdc95"].as_f64().unwrap(),
            );
            let turn = &x["quality"]["measures"]["light_turn_vs_baseline"];
            eprintln!(
                "seed {seed} #{k}: ρ {rho:.3}, turn {turn}, lines {change:+.3}, mdc {mdc:.3}"
            );
            // the bound, with the calibrated capture noise (2.75 %) twice
            assert!(
                rho - 1.0 - 0.055 <= change && change <= 1.0 / rho - 1.0 + 0.055,
                "seed {seed} #{k}: ρ {rho}, change {change}"
            );
            assert_eq!(l["beyond_noise"], false, "seed {seed} #{k}: {l}");
            if k > 1 {
                // the noisy visits share less detail and are given its
                // noise: a uniform error over ρ − 1 … 1/ρ − 1 of the value,
                // (1/ρ − ρ)/√12 of it at least (the camera's roll, which
                // turns its light, may add more: at the clean first visit of
                // seed 9 it gave the larger noise)
                assert!(rho < 0.95, "seed {seed} #{k}: ρ {rho}");
                let ruler = l["value"].as_f64().unwrap().abs() * (1.0 / rho - rho) / 12f64.sqrt();
                let u = l["uncertainty"].as_f64().unwrap();
                assert!(u >= ruler, "seed {seed} #{k}: ± {u} for {ruler}");
            }
        }
        for c in m["claims"].as_array().unwrap() {
            assert_eq!(c["beyond_noise"], false, "seed {seed}: {}", c["sentence"]);
        }
    }
}

#[test]
fn phones_and_a_changed_camera_with_4_2_0_chroma_make_no_claim() {
    // `--chroma 420`: every capture, the baseline's too, 4:2:0 as a phone
    // writes it; `--chroma mixed`: about half the follow-ups from another
    // camera. Unchanged skin with and without a visible redness under the
    // accepted capture changes: no claim, and at most 5 % of the values of
    // `ok` sessions beyond noise (held-out seeds 1–14 of BENCHMARKS.md
    // were looked at; these were not)
    let tmp = tempdir();
    let mut tally = BeyondNoise::default();
    for (seed, chroma) in [(21, "420"), (22, "420"), (23, "mixed"), (24, "mixed")] {
        for erythema in [0.0, 0.15] {
            let (_, m, _) = unchanged_with(tmp.path(), "accepted", seed, 5, erythema, chroma);
            let sessions = m["series"][0]["sessions"].as_array().unwrap();
            for x in sessions.iter().skip(1) {
                tally.add(x, &format!("seed {seed} {chroma} {erythema}"));
            }
            for c in m["claims"].as_array().unwrap() {
                let what = format!("seed {seed} {chroma} {erythema}: {}", c["sentence"]);
                assert_eq!(c["beyond_noise"], false, "{what}");
            }
        }
    }
    tally.assert_few();
}

#[test]
fn repeat_photos_from_one_camera_keep_its_jpeg_rounding_in_the_noise() {
    // two identical repeats of a quality-70 follow-up: their spread is 0,
    // but the rounding they share is not averaged away
    let tmp = tempdir();
    let changes = [CaptureChange {
        jpeg_quality: 70,
        ..CaptureChange::NONE
    }];
    let (truth, _, _) = with_changes(tmp.path(), "repeat", 6, &changes);
    let case = tmp.path().join("repeat");
    let visit = case.join(truth.sessions[1].date.to_string());
    std::fs::copy(visit.join("cheek.jpg"), visit.join("cheek.r2.jpg")).unwrap();
    let (m, _) = analyze(&case, &tmp.path().join("out-repeat-2"));
    let s = &m["series"][0]["sessions"][1];
    assert_eq!(s["repeats"].as_array().map(Vec::len), Some(1), "{s}");
    let u = |id: &str| s["metrics"][id]["uncertainty"].as_f64().unwrap();
    assert_eq!(u("texture.roughness"), 0.0, "the repeats' spread");
    assert!(u(REDNESS) > 0.05, "{}", u(REDNESS));
    // the spots' excess is over the skin beside them, another colour of
    // the region that rounds independently: the rounding of both enters it
    assert!(
        u("colour.spot_melanin_excess") > 0.05,
        "{}",
        u("colour.spot_melanin_excess")
    );
}

#[test]
fn a_grey_card_reads_the_tone_curve_that_even_skin_cannot() {
    // a changed tone curve scales every log contrast, the redness excess
    // over the control too (×1/γ), and on a frame of even skin nothing
    // tells it from a change of the skin: a grey-step card stuck on the
    // skin (`card` in case.toml) does, whatever the exposure and white
    // balance
    let tmp = tempdir();
    let n = CaptureChange::NONE;
    let g = |gamma: f64| CaptureChange { gamma, ..n };
    let mixed = CaptureChange {
        gain: 0.75,
        gamma: 1.1,
        white_balance: [1.06, 1.0, 0.93],
        noise_sigma: 1.5,
        jpeg_quality: 80,
        ..n
    };
    let changes = [g(0.9), g(0.95), g(1.05), g(1.1), mixed];
    for seed in [5, 6] {
        let excess = |card: bool| -> Vec<(f64, Value)> {
            let name = format!("tone-{seed}-{card}");
            let (_, m, _) = with_changes_on(tmp.path(), &name, seed, &changes, 0.15, card, false);
            for c in m["claims"].as_array().unwrap() {
                assert_eq!(c["beyond_noise"], false, "seed {seed}: {}", c["sentence"]);
            }
            let sessions = m["series"][0]["sessions"].as_array().unwrap();
            let base = sessions[0]["metrics"][REDNESS]["value"].as_f64().unwrap();
            sessions[1..]
                .iter()
                .map(|x| {
                    let v = x["metrics"][REDNESS]["value"].as_f64().unwrap();
                    (100.0 * (v / base - 1.0), x["quality"].clone())
                })
                .collect()
        };
        let (with, without) = (excess(true), excess(false));
        for (k, ((pct, q), (plain, _))) in with.iter().zip(&without).enumerate() {
            let gamma = changes[k].gamma;
            eprintln!(
                "seed {seed} γ {gamma}: {pct:+.2} % with the card (contrast {}, {} cells), {plain:+.2} % without",
                q["measures"]["contrast_vs_baseline"], q["measures"]["card_cells"]
            );
            // the phantom's γ is applied to the encoded values: the
            // capture's log contrast is 1/γ within 0.007 over the card's
            // range of light, and a JPEG rounds each flat step of the card
            // by up to half a level (≈ 1 % of a dark step's light)
            let read = q["measures"]["contrast_vs_baseline"].as_f64().unwrap();
            assert!(
                (read * gamma - 1.0).abs() < 0.025,
                "seed {seed} γ {gamma}: contrast {read}"
            );
            assert!(
                q["measures"]["card_cells"].as_f64().unwrap() >= 100.0,
                "{q}"
            );
        }
        // the tone curves alone: without the card they move the excess by
        // about their own size (×1/γ), with it by a fraction of that (what
        // is left is the pose's and the JPEG's, ±2–4 % on seed 6)
        let mean_abs = |v: &[(f64, Value)]| v[..4].iter().map(|(p, _)| p.abs()).sum::<f64>() / 4.0;
        let (with_card, plain) = (mean_abs(&with), mean_abs(&without));
        assert!(
            plain > 4.0 && with_card < 0.4 * plain,
            "seed {seed}: mean |change| {with_card:.2} % with the card, {plain:.2} % without"
        );
    }
}

/// A latest visit the gate rejects has no picture: the report's before and
/// after shows the last visit that has one, not "Only the first visit
/// could be used so far" (which was said beside claims resting on it).
#[test]
fn a_rejected_latest_visit_leaves_the_before_and_after_to_the_one_before() {
    let tmp = tempdir();
    let n = CaptureChange::NONE;
    let washed_out = CaptureChange { gain: 4.0, ..n };
    let (_, m, out) = with_changes(tmp.path(), "lastrej", 4, &[n, washed_out]);
    let sessions = m["series"][0]["sessions"].as_array().unwrap();
    assert_eq!(sessions[2]["quality"]["status"], "reject");
    assert_eq!(sessions[1]["quality"]["status"], "ok");
    let date = skintrack::date::Date::parse(sessions[1]["date"].as_str().unwrap()).unwrap();
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!report.contains("Only the first visit could be used"));
    assert!(
        report.contains(&format!("Latest · {}", date.human())),
        "the visit before the rejected one is not shown as the latest"
    );
    // the line says the photo is left out, not the visit (its other
    // captures may well be compared)
    let last = skintrack::date::Date::parse(sessions[2]["date"].as_str().unwrap()).unwrap();
    assert!(
        report.contains(&format!(
            "The photo of {} (over-exposed) is not compared with the first",
            last.human()
        )),
        "the rejected photo is not named"
    );
}

/// A first photo the gate rejects leaves its view without a usable
/// baseline: exit 2 naming it (DESIGN.md: exit 0 only while every view has
/// one), the report written and saying so in one line, without blaming the
/// later photos or listing the first as "not compared with your first
/// visit".
#[test]
fn a_rejected_first_photo_is_named_and_the_later_ones_not_blamed() {
    let tmp = tempdir();
    let washed_out = SessionCapture {
        class: CaptureClass::Accepted,
        change: CaptureChange {
            gain: 4.0,
            ..CaptureChange::NONE
        },
    };
    let opts = common::planned(
        6,
        vec![washed_out, SessionCapture::NONE, SessionCapture::NONE],
    );
    let case = tmp.path().join("case");
    generate_unchanged(&case, &opts).unwrap();
    let out = tmp.path().join("out");
    let run = skintrack()
        .arg("analyze")
        .arg(&case)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    let mut visits: Vec<_> = std::fs::read_dir(&case)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    visits.sort();
    assert!(
        lines[0].contains(visits[0].to_str().unwrap())
            && lines[0].contains("first visit's capture is not usable")
            && lines[0].contains("over-exposed"),
        "{stderr}"
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("The first photo, of "), "not said");
    assert!(!report.contains("Not compared with your first visit"));
    assert!(
        !report.contains("than the first photo"),
        "a later photo is blamed"
    );
    // the practitioner reads why the later reasons name the first's fault
    assert!(report.contains("The first capture is rejected: the later captures"));
}
