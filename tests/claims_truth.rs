//! Claims against the phantom's designed change (issue 16's targets for the
//! photo topics that are measured at tracked places or against the control
//! region): fine lines and texture within 15 points of the truth, never in
//! the wrong direction, on several seeds.

mod common;

use assert_cmd::Command;
use common::tempdir;
use serde_json::Value;
use std::path::Path;

fn json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn line_and_texture_claims_follow_the_designed_change() {
    let tmp = tempdir();
    for seed in [3u64, 5, 8] {
        let case = tmp.path().join(format!("course{seed}"));
        Command::cargo_bin("skintrack")
            .unwrap()
            .args(["phantom", "--seed", &seed.to_string(), "--size", "800x600"])
            .arg(&case)
            .assert()
            .success();
        let out = tmp.path().join(format!("out{seed}"));
        Command::cargo_bin("skintrack")
            .unwrap()
            .arg("analyze")
            .arg(&case)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        let (truth, m) = (
            json(&case.join("truth.json")),
            json(&out.join("metrics.json")),
        );
        let claims = m["claims"].as_array().unwrap();
        for (topic, factor) in [("lines", "line_factor"), ("texture", "relief_factor")] {
            let c = claims
                .iter()
                .find(|c| c["topic"] == topic && c["kind"] == "photo")
                .unwrap_or_else(|| panic!("seed {seed}: no {topic} claim"));
            let state = |date: &Value| {
                let s = truth["sessions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| &s["date"] == date)
                    .unwrap();
                s["state"][factor].as_f64().unwrap()
            };
            // the designed change of the lines' depth or the relief's
            // amplitude, in %, between the claim's two visits
            let want = 100.0 * (state(&c["to"]) / state(&c["from"]) - 1.0);
            let got = c["change_pct"].as_f64().unwrap();
            eprintln!("seed {seed} {topic}: claimed {got:+.1} %, designed {want:+.1} %");
            assert!(
                (got - want).abs() <= 15.0,
                "seed {seed} {topic}: claimed {got:+.1} % against {want:+.1} %"
            );
            assert!(
                got * want >= 0.0 || c["beyond_noise"] == false,
                "wrong direction"
            );
        }
    }
}
