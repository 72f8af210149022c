//! The whole pipeline on a phantom case with ground truth, and on the
//! bundled sample case: transforms recovered, direction of change right,
//! every output present in the DESIGN.md schema, nothing written inside the
//! case, the same bytes on 1 and 2 threads.

mod common;

use assert_cmd::Command;
use common::{json, rel_diff, tempdir};
use serde_json::Value;
use skintrack::geometry::Homography;
use std::path::{Path, PathBuf};

fn skintrack() -> Command {
    Command::cargo_bin("skintrack").unwrap()
}

fn listing(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(listing(&p));
        } else {
            let bytes = std::fs::read(&p).unwrap();
            out.push((p, bytes));
        }
    }
    out.sort();
    out
}

fn matrix(v: &Value) -> Homography {
    let mut m = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            m[i][j] = v[i][j].as_f64().unwrap();
        }
    }
    Homography(m)
}

#[test]
fn phantom_case_is_recovered_end_to_end() {
    let tmp = tempdir();
    let case = tmp.path().join("phantom");
    skintrack()
        .args(["phantom"])
        .arg(&case)
        .args(["--seed", "11", "--sessions", "5", "--size", "800x600"])
        .assert()
        .success();
    let before = listing(&case);
    let out = tmp.path().join("out");
    let run = skintrack()
        .env("RAYON_NUM_THREADS", "2")
        .args(["analyze"])
        .arg(&case)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    assert!(stdout.contains("report.html"), "{stdout}");
    assert_eq!(
        listing(&case),
        before,
        "analyze must not write inside the case folder"
    );

    // every output DESIGN.md lists
    for f in ["report.html", "metrics.json", "metrics.csv"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let plots: Vec<String> = std::fs::read_dir(out.join("plots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        plots.iter().any(|p| p.ends_with("texture.roughness.png"))
            && plots.iter().any(|p| p.ends_with("texture.roughness.svg")),
        "{plots:?}"
    );
    assert_eq!(std::fs::read_dir(out.join("aligned")).unwrap().count(), 5);
    assert!(std::fs::read_dir(out.join("overlays")).unwrap().count() >= 20);

    let truth = json(&case.join("truth.json"));
    let m = json(&out.join("metrics.json"));
    assert_eq!(m["tool"], "skintrack");
    assert_eq!(m["baseline_date"], "2026-01-12");
    let series = m["series"].as_array().unwrap();
    let photo = series
        .iter()
        .find(|s| s["kind"] == "photo" && s["view"] == "cheek")
        .expect("photo series");
    let sessions = photo["sessions"].as_array().unwrap();
    let tsessions = truth["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), tsessions.len());
    let (w, h) = (
        truth["size"][0].as_u64().unwrap() as usize,
        truth["size"][1].as_u64().unwrap() as usize,
    );

    // 1. every transform recovered: mean corner error < 1 px
    for (s, t) in sessions.iter().zip(tsessions) {
        assert_eq!(
            s["alignment"]["status"], "ok",
            "{}: {}",
            s["date"], s["alignment"]
        );
        let est = matrix(&s["alignment"]["base_from_moving"]);
        let tru = matrix(&t["camera"]["base_from_moving"]);
        let err = tru
            .inverse()
            .unwrap()
            .corner_error(&est.inverse().unwrap(), w, h);
        eprintln!("{}: corner error {err:.4} px", s["date"]);
        assert!(err < 1.0, "{}: corner error {err} px", s["date"]);
        // schema of each session (DESIGN.md)
        for key in [
            "date",
            "days",
            "source",
            "alignment",
            "metrics",
            "days_since_treatment",
            "acute_window",
        ] {
            assert!(s.get(key).is_some(), "session lacks {key}");
        }
        for (id, v) in s["metrics"].as_object().unwrap() {
            for key in [
                "value",
                "unit",
                "better",
                "uncertainty",
                "change_pct",
                "beyond_noise",
            ] {
                assert!(v.get(key).is_some(), "{id} lacks {key}");
            }
        }
    }

    // 2. direction of change follows the designed skin: where the relief
    //    (furrows, pores) is designed more than 5 % shallower or deeper than
    //    at the baseline, roughness moves the same way
    let value = |s: &Value, id: &str| s["metrics"][id]["value"].as_f64().unwrap();
    let factor = |t: &Value, k: &str| t["state"][k].as_f64().unwrap();
    let mut compared = 0;
    for (s, t) in sessions.iter().zip(tsessions).skip(1) {
        let designed = factor(t, "relief_factor") / factor(&tsessions[0], "relief_factor") - 1.0;
        if designed.abs() > 0.05 && s["acute_window"] == false {
            let dm = value(s, "texture.roughness") - value(&sessions[0], "texture.roughness");
            assert_eq!(
                dm.signum(),
                designed.signum(),
                "roughness on {}: relief designed {designed:+.3}, measured {dm:+.3}",
                s["date"]
            );
            compared += 1;
        }
    }
    assert!(compared >= 1, "no session whose relief changed by > 5 %");
    // the acute visit is flagged and its redness is up in truth and measurement
    let acute: Vec<&Value> = sessions
        .iter()
        .filter(|s| s["acute_window"] == true)
        .collect();
    assert_eq!(acute.len(), 1);
    assert!(
        value(acute[0], "colour.erythema_index_vs_control")
            > value(&sessions[0], "colour.erythema_index_vs_control") + 3.0
    );

    // 3. CSV has the DESIGN.md columns and one row per session and metric
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "\u{feff}client,case,view,kind,date,days,days_since_treatment,treatment,acute_window,quality,alignment_status,reason,metric,value,unit,better,uncertainty,mdc,change,change_pct,beyond_noise,note"
    );
    let n_metrics: usize = series
        .iter()
        .flat_map(|s| s["sessions"].as_array().unwrap())
        .map(|s| s["metrics"].as_object().unwrap().len().max(1))
        .sum();
    assert_eq!(lines.count(), n_metrics);

    // 4. the report is one self-contained file
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("data:image/jpeg;base64,"));
    assert_self_contained(&html);

    // 5. the height maps: every designed scar inside the mapped window is
    // tracked through all sessions with its true depth (within 10 %) and
    // its true shrinking (depth ratio to the baseline within 5 %)
    let hs = series
        .iter()
        .find(|s| s["kind"] == "height")
        .expect("a height series");
    let rect = &truth["height_maps"]["baseline_rect"];
    let (rx, ry, side) = (
        rect[0].as_f64().unwrap(),
        rect[1].as_f64().unwrap(),
        rect[2].as_f64().unwrap(),
    );
    // the height maps were taken hand-held: each visit at its own scale
    let scales: Vec<f64> = truth["height_maps"]["mm_per_px"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let spread = scales
        .iter()
        .fold(0.0f64, |a, s| a.max((s / scales[0] - 1.0).abs()));
    assert!(spread > 0.01, "no visit at another scale: {scales:?}");
    let tracks = hs["scars"].as_array().unwrap();
    let mut checked = 0;
    for (k, scar) in truth["scars"].as_array().unwrap().iter().enumerate() {
        let (cx, cy) = (
            scar["centre"][0].as_f64().unwrap() - rx,
            scar["centre"][1].as_f64().unwrap() - ry,
        );
        let r = scar["radius_px"].as_f64().unwrap();
        if cx < r || cy < r || cx > side - r || cy > side - r || r < 10.0 {
            continue; // cut by the window's edge, or narrower than the map can resolve well
        }
        let t = tracks
            .iter()
            .find(|t| {
                (t["centre"][0].as_f64().unwrap() - cx).hypot(t["centre"][1].as_f64().unwrap() - cy)
                    < r
            })
            .unwrap_or_else(|| panic!("scar {} at ({cx:.0}, {cy:.0}) not tracked", k + 1));
        assert_eq!(t["resolved"], false);
        let got: Vec<f64> = t["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["max_depth_um"].as_f64().unwrap())
            .collect();
        let want: Vec<f64> = truth["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["scar_depths_um"][k].as_f64().unwrap())
            .collect();
        for (g, w) in got.iter().zip(&want) {
            assert!(
                rel_diff(*g, *w, 1.0) <= 0.10,
                "scar {}: depth {g} vs {w}",
                k + 1
            );
        }
        for i in 1..got.len() {
            assert!(
                rel_diff(got[i] / got[0], want[i] / want[0], 1e-9) <= 0.05,
                "scar {}: ratio {} vs {}",
                k + 1,
                got[i] / got[0],
                want[i] / want[0]
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 1,
        "no designed scar inside the height-map window"
    );
    assert!(html.contains("Scar depth map"));

    // 6. the headline sentences: every improvement they claim is beyond the
    //    noise in metrics.json and real in the truth, and there is one
    let start = html.find("<ul class=\"points\">").expect("headline list");
    let list = &html[start..start + html[start..].find("</ul>").unwrap()];
    let claims: Vec<&str> = list
        .split("<li>")
        .skip(1)
        .filter(|t| t.contains("more than the measurement noise"))
        .collect();
    assert!(!claims.is_empty(), "no improvement stated: {list}");
    let last_usable = |s: &Value| -> Option<Value> {
        s["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .skip(1)
            .rev()
            .find(|x| x["alignment"]["status"] == "ok" && x["acute_window"] == false)
            .cloned()
    };
    for claim in claims {
        let subject = claim.split(':').next().unwrap();
        let ids: Vec<&str> = skintrack::catalog::METRICS
            .iter()
            .filter(|m| m.headline && skintrack::catalog::words(m.id).0 == subject)
            .map(|m| m.id)
            .collect();
        assert!(!ids.is_empty(), "no metric for {subject:?}");
        let backed = series.iter().any(|s| {
            let Some(latest) = last_usable(s) else {
                return false;
            };
            ids.iter().any(|id| {
                let m = &latest["metrics"][*id];
                let better_lower = m["better"] == "lower";
                let improved = m["beyond_noise"] == true
                    && (m["change"].as_f64().unwrap_or(0.0) < 0.0) == better_lower;
                // the designed skin moves the same way
                let (t0, t1) = (&tsessions[0]["state"], &tsessions.last().unwrap()["state"]);
                improved && designed_improvement(id, t0, t1)
            })
        });
        assert!(
            backed,
            "claim not backed by a change beyond the noise and in truth: {claim}"
        );
    }
}

/// Whether the phantom's designed state improved what metric `id` measures
/// between the states `t0` and `t1` (truth.json's `state`): the depth
/// factors of scars, lines and relief, the pigment factor, the redness.
fn designed_improvement(id: &str, t0: &Value, t1: &Value) -> bool {
    let lower = |k: &str| t1[k].as_f64().unwrap() < t0[k].as_f64().unwrap();
    let family = id.split('.').next().unwrap();
    match family {
        "scars" => lower("scar_depth_factor"),
        "wrinkles" => lower("line_factor"),
        "texture" | "pores" => lower("relief_factor"),
        _ if id.contains("erythema") || id.contains("red_") => lower("redness"),
        _ if id.contains("melanin") || id.contains("pigment") => lower("pigment_factor"),
        _ => panic!("no designed quantity for {id}"),
    }
}

/// Every src/href is a data: URI or an in-page anchor; no stylesheet or
/// script is fetched (xmlns attributes name namespaces, they fetch nothing).
fn assert_self_contained(html: &str) {
    for attr in ["src=\"", "href=\"", "src='", "href='"] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len()..];
            assert!(
                rest.starts_with("data:") || rest.starts_with('#'),
                "report refers outside itself: {}",
                &rest[..rest.len().min(60)]
            );
        }
    }
    for bad in ["<link", "@import", "url(http", "fetch(", "XMLHttpRequest"] {
        assert!(!html.contains(bad), "report may load {bad}");
    }
}

#[test]
fn same_bytes_on_one_and_two_threads() {
    let tmp = tempdir();
    let case = tmp.path().join("phantom");
    skintrack()
        .args(["phantom"])
        .arg(&case)
        .args(["--seed", "5", "--sessions", "3", "--size", "480x360"])
        .assert()
        .success();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("out{threads}"));
        skintrack()
            .env("RAYON_NUM_THREADS", threads)
            .args(["analyze"])
            .arg(&case)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        outputs.push((
            std::fs::read(out.join("metrics.json")).unwrap(),
            std::fs::read(out.join("metrics.csv")).unwrap(),
        ));
    }
    assert!(
        outputs[0].0 == outputs[1].0,
        "metrics.json differs between 1 and 2 threads"
    );
    assert!(
        outputs[0].1 == outputs[1].1,
        "metrics.csv differs between 1 and 2 threads"
    );
}

/// Every file under `dir`, by its path relative to `dir`.
fn relative_listing(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    listing(dir)
        .into_iter()
        .map(|(p, b)| (p.strip_prefix(dir).unwrap().to_path_buf(), b))
        .collect()
}

#[test]
fn preparing_the_next_capture_while_one_is_measured_changes_no_byte() {
    // 480×360 px: a 27 MB budget leaves room for one capture at a time
    // (80 B/px) but for preparing the next one beside it (16 + 80 + 40
    // B/px: 23.5 MB), the path 12 MP photos take under the default 2 GB;
    // the default budget runs several captures at once instead
    let tmp = tempdir();
    let case = tmp.path().join("phantom");
    skintrack()
        .args(["phantom"])
        .arg(&case)
        .args(["--seed", "6", "--sessions", "4", "--size", "480x360"])
        .assert()
        .success();
    let run = |name: &str, threads: &str, budget: &str| {
        let out = tmp.path().join(name);
        skintrack()
            .env("RAYON_NUM_THREADS", threads)
            .args(["analyze", "--max-memory", budget])
            .arg(&case)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        relative_listing(&out)
    };
    let several = run("several", "2", "2G");
    let pipelined = run("pipelined", "2", "27M");
    let one_thread = run("one", "1", "27M");
    let names = |l: &[(PathBuf, Vec<u8>)]| l.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&pipelined), names(&several));
    assert!(names(&several).iter().any(|p| p.starts_with("aligned")));
    for ((p, a), (_, b)) in pipelined.iter().zip(&several) {
        assert!(a == b, "{} differs when pipelined", p.display());
    }
    for ((p, a), (_, b)) in one_thread.iter().zip(&pipelined) {
        assert!(a == b, "{} differs on one thread", p.display());
    }
}

#[test]
fn phantom_generation_is_deterministic() {
    let tmp = tempdir();
    for k in ["a", "b"] {
        skintrack()
            .args(["phantom"])
            .arg(tmp.path().join(k))
            .args(["--seed", "3", "--sessions", "2", "--size", "320x256"])
            .assert()
            .success();
    }
    let (a, b) = (
        listing(&tmp.path().join("a")),
        listing(&tmp.path().join("b")),
    );
    assert_eq!(a.len(), b.len());
    for ((pa, ba), (_, bb)) in a.iter().zip(&b) {
        assert!(
            ba == bb,
            "{} differs between two runs with one seed",
            pa.display()
        );
    }
}

#[test]
fn demo_analyses_the_bundled_sample_case() {
    let tmp = tempdir();
    let out = tmp.path().join("demo");
    let run = skintrack()
        .args(["demo", "-o"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    assert!(
        stdout.contains(&out.join("report.html").display().to_string()),
        "{stdout}"
    );
    let m = json(&out.join("metrics.json"));
    let sessions = m["series"][0]["sessions"].as_array().unwrap();
    assert!((4..=6).contains(&sessions.len()));
    assert!(sessions.iter().all(|s| s["alignment"]["status"] == "ok"));
}

/// DESIGN.md: one unusable capture never sinks a case. A follow-up height
/// map that cannot be read is left out with its reason; the case analyses.
#[test]
fn an_unreadable_follow_up_height_map_is_left_out_not_fatal() {
    let tmp = tempdir();
    let case = tmp.path().join("phantom");
    skintrack()
        .args(["phantom"])
        .arg(&case)
        .args(["--seed", "4", "--sessions", "3", "--size", "512x384"])
        .assert()
        .success();
    let truth = json(&case.join("truth.json"));
    let second = truth["sessions"][1]["date"].as_str().unwrap().to_string();
    let bad = case.join(&second).join("cheek.height.png");
    let bytes = std::fs::read(&bad).unwrap();
    std::fs::write(&bad, &bytes[..bytes.len() / 3]).unwrap();
    let out = tmp.path().join("out");
    let run = skintrack()
        .args(["analyze"])
        .arg(&case)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    assert!(
        stderr.contains(&format!("{second}/cheek.height.png")),
        "{stderr}"
    );
    let m = json(&out.join("metrics.json"));
    let hs = m["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "height")
        .expect("a height series");
    let sessions = hs["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    let left_out = &sessions[1];
    assert_eq!(left_out["alignment"]["status"], "failed");
    assert!(
        left_out["alignment"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("the file cannot be read ("),
        "{}",
        left_out["alignment"]
    );
    // unread, so not "not aligned", in the warning or in its quality
    assert!(!stderr.contains("not aligned"), "{stderr}");
    assert!(
        left_out["quality"]["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("not assessed: the file cannot be read ("),
        "{}",
        left_out["quality"]
    );
    assert!(left_out["metrics"].as_object().unwrap().is_empty());
    assert_eq!(sessions[2]["alignment"]["status"], "ok");
    // the practitioner's table: never aligned, so "not read" with no score
    // of 0 and no overlap of 0 %
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains(r#"<td data-label="Alignment" class="bad">not read</td><td data-label="Score">—</td><td data-label="Overlap">—</td>"#),
        "no 'not read' row in the report"
    );
    // --strict: the same case is an error naming the capture left out, in
    // one line (its warning is not said as well)
    let run = skintrack()
        .args(["analyze", "--strict"])
        .arg(&case)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("{second}/cheek.height.png")) && stderr.contains("--strict"),
        "{stderr}"
    );
}

#[test]
fn photos_over_2048_px_are_measured_at_full_size_and_written_aligned_at_half() {
    // 2200 × 1600 px: the frame is reduced by 2 for aligned/ and the
    // gate's shading blocks, while the region and the control region are
    // warped at full resolution; with the region left to be found (the
    // whole frame is the region) too, and the same bytes on 1 and 2 threads
    let tmp = tempdir();
    let case = tmp.path().join("phantom");
    skintrack()
        .args(["phantom"])
        .arg(&case)
        .args(["--seed", "4", "--sessions", "2", "--size", "2200x1600"])
        .args(["--unchanged", "--capture", "accepted"])
        .assert()
        .success();
    let toml = std::fs::read_to_string(case.join("case.toml")).unwrap();
    assert!(toml.contains("roi = ["), "{toml}");
    let open = tmp.path().join("open");
    std::fs::create_dir(&open).unwrap();
    for e in std::fs::read_dir(&case).unwrap() {
        let p = e.unwrap().path();
        let to = open.join(p.file_name().unwrap());
        if p.is_dir() {
            std::fs::create_dir(&to).unwrap();
            for f in std::fs::read_dir(&p).unwrap() {
                let f = f.unwrap().path();
                std::fs::copy(&f, to.join(f.file_name().unwrap())).unwrap();
            }
        } else if p.ends_with("case.toml") {
            let no_roi: String = toml
                .lines()
                .filter(|l| !l.starts_with("roi ="))
                .map(|l| format!("{l}\n"))
                .collect();
            std::fs::write(&to, no_roi).unwrap();
        }
    }
    let run = |case: &Path, name: &str, threads: &str| {
        let out = tmp.path().join(name);
        skintrack()
            .env("RAYON_NUM_THREADS", threads)
            .args(["analyze"])
            .arg(case)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        out
    };
    for (case, name) in [(&case, "given"), (&open, "found")] {
        let out = run(case, name, "2");
        let aligned: Vec<PathBuf> = std::fs::read_dir(out.join("aligned"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(aligned.len(), 2, "{name}");
        for a in &aligned {
            assert_eq!(
                image::image_dimensions(a).unwrap(),
                (1100, 800),
                "{}",
                a.display()
            );
        }
        let m = json(&out.join("metrics.json"));
        let series = &m["series"][0];
        let roi = series["roi"].as_array().expect("roi");
        // found: the largest region both visits cover, nearly the frame
        assert!(roi[2].as_u64().unwrap() > 1000, "{name}: {roi:?}");
        for s in series["sessions"].as_array().unwrap() {
            assert_eq!(s["alignment"]["status"], "ok", "{name}");
            // seed 4's follow-up is a softer capture: a warn for focus
            assert_ne!(s["quality"]["status"], "reject", "{name}: {}", s["quality"]);
            assert!(s["metrics"]["texture.roughness"]["value"].as_f64().unwrap() > 0.0);
        }
        let one = run(case, &format!("{name}-one"), "1");
        let (a, b) = (relative_listing(&out), relative_listing(&one));
        assert_eq!(a.len(), b.len());
        for ((p, x), (_, y)) in a.iter().zip(&b) {
            assert!(x == y, "{name}: {} differs on one thread", p.display());
        }
    }
}
