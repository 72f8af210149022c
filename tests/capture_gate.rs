//! Issue 15: the camera must never be reported as the skin. Unchanged skin
//! photographed under capture changes with known truth
//! (`skintrack phantom --unchanged`): hard failures are rejected with a
//! reason and nothing rests on them; under the accepted variation the
//! values of `ok` sessions stay within the noise. The capture repeatability
//! in the noise was calibrated on seeds 101–108; these are other seeds.

mod common;

use assert_cmd::Command;
use common::tempdir;
use serde_json::Value;
use std::path::Path;

fn skintrack() -> Command {
    Command::cargo_bin("skintrack").unwrap()
}

fn json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// Generates an unchanged case and analyses it: (truth, metrics.json, stderr).
fn unchanged(dir: &Path, plan: &str, seed: u64, sessions: usize) -> (Value, Value, String) {
    let case = dir.join(format!("{plan}{seed}"));
    skintrack()
        .args(["phantom", "--unchanged", "--capture", plan])
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
    let out = dir.join(format!("out-{plan}{seed}"));
    let run = skintrack()
        .arg("analyze")
        .arg(&case)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    (
        json(&case.join("truth.json")),
        json(&out.join("metrics.json")),
        stderr,
    )
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
            let text = format!("{reasons:?} {}", s["alignment"]);
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
    // claims compare the baseline with sessions that were not rejected
    for c in m["claims"].as_array().unwrap() {
        let to = c["to"].as_str().unwrap();
        let k = sessions.iter().position(|s| s["date"] == to).unwrap();
        assert_eq!(sessions[k]["quality"]["status"], "ok", "claim on {to}");
    }
}

#[test]
fn accepted_capture_changes_of_unchanged_skin_stay_within_the_noise() {
    // issue 15's target: at most 5 % of the metric values of `ok` sessions
    // beyond noise (about 33 % before the gate, normalisation and the
    // capture term of the noise)
    let tmp = tempdir();
    let (mut values, mut beyond) = (0, 0);
    for seed in 1..=6 {
        let (_, m, _) = unchanged(tmp.path(), "accepted", seed, 6);
        for s in m["series"].as_array().unwrap() {
            for x in s["sessions"].as_array().unwrap().iter().skip(1) {
                if x["quality"]["status"] != "ok" {
                    continue;
                }
                for (id, v) in x["metrics"].as_object().unwrap() {
                    values += 1;
                    if v["beyond_noise"] == true {
                        beyond += 1;
                        eprintln!("seed {seed} {}: {id} {}", x["date"], v["change_pct"]);
                    }
                }
            }
        }
    }
    assert!(values >= 100, "too few ok values to judge: {values}");
    let rate = f64::from(beyond) / f64::from(values);
    eprintln!(
        "{beyond} of {values} values beyond noise ({:.1} %)",
        100.0 * rate
    );
    assert!(rate <= 0.05, "{beyond} of {values} beyond noise");
}
