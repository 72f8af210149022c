//! Unchanged dark skin under another white balance is not reported as a
//! change of its fine structure, and a real change still is (images from an
//! independent generator: tests/data/dark_skin/README.txt).

mod common;

use common::{analyze, data, tempdir};
use serde_json::Value;
use std::path::Path;

/// A two-visit case of the baseline and `follow_up` (files of
/// tests/data/dark_skin), analysed: its claims.
fn claims(root: &Path, follow_up: &str) -> Vec<Value> {
    let case = root.join(follow_up.trim_end_matches(".jpg"));
    for (date, file) in [("2026-01-10", "baseline.jpg"), ("2026-04-10", follow_up)] {
        std::fs::create_dir_all(case.join(date)).unwrap();
        std::fs::copy(
            data(&format!("dark_skin/{file}")),
            case.join(date).join("cheek.jpg"),
        )
        .unwrap();
    }
    std::fs::write(
        case.join("case.toml"),
        "treatment = \"micro-needling\"\n[view.cheek]\nroi = [700, 300, 700, 600]\ncontrol = [120, 420, 320, 320]\n",
    )
    .unwrap();
    let (m, _) = analyze(&case, &root.join("out").join(follow_up));
    let session = &m["series"][0]["sessions"][1];
    assert_eq!(session["quality"]["status"], "ok", "{follow_up}");
    m["claims"].as_array().unwrap().clone()
}

fn beyond_noise<'a>(claims: &'a [Value], topic: &str) -> Option<&'a Value> {
    claims
        .iter()
        .find(|c| c["topic"] == topic && c["beyond_noise"] == true)
}

#[test]
fn another_white_balance_on_dark_skin_is_no_change_of_lines_or_texture() {
    let root = tempdir();
    // the white balance ±8 % (colour cast 11 % against the 15 % limit):
    // "Fine lines: 10% fainter", "Skin texture: 5% smoother" before
    for follow_up in ["unchanged_wb_warm.jpg", "unchanged_wb_cool.jpg"] {
        let claims = claims(root.path(), follow_up);
        for topic in ["lines", "texture", "pores", "pigment", "redness"] {
            assert!(
                beyond_noise(&claims, topic).is_none(),
                "{follow_up}: {topic}: {claims:?}"
            );
        }
    }
    // lines made 10 % fainter under the same white balance: read fainter,
    // by about that much. (Claimed at 14 % while the lines tracked held the
    // micro-relief's short furrows; read at the long lines alone, −13 %
    // is within the noise of dark skin under another white balance, an
    // MDC of 16 %.)
    let claims = claims(root.path(), "lines_10pct_fainter_wb_cool.jpg");
    let lines = claims
        .iter()
        .find(|c| c["topic"] == "lines")
        .expect("a lines statement");
    let pct = lines["change_pct"].as_f64().unwrap();
    assert!((-16.0..=-7.0).contains(&pct), "{lines}");
}
