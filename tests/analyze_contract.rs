//! The `analyze` contract of DESIGN.md, on small phantom cases made by
//! `skintrack phantom` and read back only through the command's outputs
//! (metrics.json, metrics.csv, report.html, stderr, exit code), so these
//! tests do not depend on the library's internal data types:
//! - a capture that cannot be aligned is named, reported failed with a
//!   reason and no numbers, and does not sink the case;
//! - the report's "at a glance" sentences rest only on usable sessions and
//!   on changes beyond the noise, and explain failed and acute-window photos;
//! - metrics.csv is RFC 4180 CSV holding exactly the rows of metrics.json;
//! - the outputs are the same bytes on 1 and on 4 threads.

mod common;

use common::tempdir;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The CSV columns, in order, as README.md lists them (issue 18: the
/// columns a practitioner files by, DESIGN.md's twelve among them).
const CSV_COLUMNS: [&str; 22] = [
    "client",
    "case",
    "view",
    "kind",
    "date",
    "days",
    "days_since_treatment",
    "treatment",
    "acute_window",
    "quality",
    "alignment_status",
    "reason",
    "metric",
    "value",
    "unit",
    "better",
    "uncertainty",
    "mdc",
    "change",
    "change_pct",
    "beyond_noise",
    "note",
];

/// The index of a CSV column.
fn col(name: &str) -> usize {
    CSV_COLUMNS
        .iter()
        .position(|c| *c == name)
        .unwrap_or_else(|| panic!("no CSV column {name}"))
}

/// Photo size of every phantom here: small, so a case analyses in about a
/// second, and large enough for the ROI, control region and sub-tiles.
const SIZE: (u32, u32) = (400, 300);

fn skintrack() -> Command {
    Command::new(env!("CARGO_BIN_EXE_skintrack"))
}

/// `skintrack phantom DIR --seed SEED --sessions N --size 400x300`; returns
/// the session folders (named by date, so name order is date order).
fn phantom(dir: &Path, seed: u32, sessions: u32) -> Vec<String> {
    let out = skintrack()
        .arg("phantom")
        .arg(dir)
        .args(["--seed", &seed.to_string()])
        .args(["--sessions", &sessions.to_string()])
        .args(["--size", &format!("{}x{}", SIZE.0, SIZE.1)])
        .output()
        .unwrap();
    assert!(out.status.success(), "phantom: {}", stderr(&out));
    let mut dates: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    dates.sort();
    assert_eq!(dates.len(), sessions as usize, "{dates:?}");
    for d in &dates {
        assert!(civil_days(d).is_some(), "{d}: not a YYYY-MM-DD folder");
    }
    dates
}

/// `skintrack analyze CASE -o OUT`, with RAYON_NUM_THREADS when given.
fn analyze(case: &Path, out: &Path, threads: Option<usize>) -> Output {
    let mut cmd = skintrack();
    cmd.arg("analyze").arg(case).arg("-o").arg(out);
    if let Some(n) = threads {
        cmd.env("RAYON_NUM_THREADS", n.to_string());
    }
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn read_json(path: &Path) -> Json {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Uniform 8-bit RGB noise (xorshift64*, fixed seed) written as a PNG at
/// `path`, whatever its extension: no skin, nothing to register to.
fn write_noise_png(path: &Path, (w, h): (u32, u32)) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        let mut px = [0u8; 3];
        for c in &mut px {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            *c = (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8;
        }
        image::Rgb(px)
    });
    img.save_with_format(path, image::ImageFormat::Png).unwrap();
}

/// Days since 1970-01-01 of a "YYYY-MM-DD" string (proleptic Gregorian,
/// H. Hinnant's days_from_civil), or None if it is not one.
fn civil_days(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (
        s[0..4].parse().ok()?,
        s[5..7].parse().ok()?,
        s[8..10].parse().ok()?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// "2026-02-09" as the report writes dates for the client: "9 Feb 2026"
/// (DESIGN.md's example sentence: "first visit (12 Jan 2026)").
fn human(date: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m: usize = date[5..7].parse().unwrap();
    let d: u32 = date[8..10].parse().unwrap();
    format!("{d} {} {}", MONTHS[m - 1], &date[0..4])
}

/// The series of a view and capture kind in metrics.json.
fn series<'a>(m: &'a Json, view: &str, kind: &str) -> &'a Json {
    m["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["view"] == view && s["kind"] == kind)
        .unwrap_or_else(|| panic!("no {view}/{kind} series in metrics.json"))
}

/// The session of a series at a date.
fn session<'a>(series: &'a Json, date: &str) -> &'a Json {
    series["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["date"] == date)
        .unwrap_or_else(|| panic!("no session {date} in {}", series["kind"]))
}

/// metrics.csv read by a real CSV parser (RFC 4180 quoting): the header and
/// the records, each with the line it starts on.
fn read_csv(path: &Path) -> (Vec<String>, Vec<(u64, Vec<String>)>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        // ragged rows are read, so that the check below names the line
        .flexible(true)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{}: not CSV: {e}", path.display()));
            let line = r.position().map_or(0, csv::Position::line);
            (line, r.iter().map(str::to_string).collect())
        })
        .collect();
    (header, rows)
}

/// The text of the `<li>` items of the report's "at a glance" list (the
/// first list after that heading), with the HTML escapes undone.
fn glance(report: &str) -> Vec<String> {
    let at = report
        .find("at a glance")
        .expect("report.html has an \"at a glance\" section");
    let start = at + report[at..].find("<ul").expect("a list after the heading");
    let end = start + report[start..].find("</ul>").expect("the list ends");
    report[start..end]
        .split("<li")
        .skip(1)
        .map(|item| {
            let text = &item[item.find('>').unwrap() + 1..];
            let text = text.split("</li>").next().unwrap();
            text.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

/// The whole-number percentage a sentence states ("…: 28% shallower …").
fn stated_percent(sentence: &str) -> Option<u64> {
    let p = sentence.find('%')?;
    let digits: String = sentence[..p]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Some(
        digits
            .parse()
            .unwrap_or_else(|_| panic!("no number before % in {sentence:?}")),
    )
}

/// Every file under `dir`, by path relative to it.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn an_unalignable_capture_is_named_reported_failed_and_does_not_sink_the_case() {
    let t = tempdir();
    let case = t.path().join("case");
    let dates = phantom(&case, 1, 3);
    // the first follow-up's photo becomes noise of the same size, a PNG
    // under the .jpg name (read by content)
    let bad_date = &dates[1];
    let bad_source = format!("{bad_date}/cheek.jpg");
    write_noise_png(&case.join(&bad_source), SIZE);

    let out_dir = t.path().join("out");
    let out = analyze(&case, &out_dir, None);
    let err = stderr(&out);
    // every view still has a usable baseline: exit 0 (DESIGN.md, rules)
    assert_eq!(out.status.code(), Some(0), "{err}");
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("warning") && l.contains(&bad_source))
        .collect();
    assert_eq!(
        warnings.len(),
        1,
        "one warning line naming {bad_source}: {err}"
    );

    let m = read_json(&out_dir.join("metrics.json"));
    let photo = series(&m, "cheek", "photo");
    let failed = session(photo, bad_date);
    assert_eq!(failed["source"], bad_source.as_str());
    assert_eq!(failed["alignment"]["status"], "failed", "{failed}");
    let reason = failed["alignment"]["reason"]
        .as_str()
        .expect("a failed alignment has a reason");
    assert!(!reason.trim().is_empty(), "the reason is empty");
    assert_eq!(
        failed["metrics"],
        serde_json::json!({}),
        "a failed capture yields no numbers"
    );
    // the other captures, photos and height maps alike, are measured
    for s in m["series"].as_array().unwrap() {
        for x in s["sessions"].as_array().unwrap() {
            if s["kind"] == "photo" && x["date"] == bad_date.as_str() {
                continue;
            }
            assert_eq!(
                x["alignment"]["status"], "ok",
                "{} {}",
                s["kind"], x["date"]
            );
            assert!(
                !x["metrics"].as_object().unwrap().is_empty(),
                "{} {} has no metrics",
                s["kind"],
                x["date"]
            );
        }
    }

    // metrics.csv: exactly one row for it, with no metric and no numbers
    let (header, rows) = read_csv(&out_dir.join("metrics.csv"));
    assert_eq!(header, CSV_COLUMNS);
    let mine: Vec<&Vec<String>> = rows
        .iter()
        .map(|(_, r)| r)
        .filter(|r| {
            r[col("view")] == "cheek" && r[col("kind")] == "photo" && r[col("date")] == *bad_date
        })
        .collect();
    assert_eq!(mine.len(), 1, "one row for {bad_source}: {mine:?}");
    let row = mine[0];
    assert_eq!(row.len(), CSV_COLUMNS.len(), "{row:?}");
    assert_eq!(row[col("alignment_status")], "failed", "{row:?}");
    // the failed row says why (issue 18: failed rows were blank)
    assert_eq!(row[col("reason")], reason, "{row:?}");
    for (name, field) in CSV_COLUMNS.iter().zip(row) {
        if matches!(
            *name,
            "metric"
                | "value"
                | "unit"
                | "better"
                | "uncertainty"
                | "mdc"
                | "change"
                | "change_pct"
                | "beyond_noise"
        ) {
            assert_eq!(field, "", "{name} of the failed row must be empty: {row:?}");
        }
    }

    // the practitioner section names it with its reason
    let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    let escaped = reason
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(
        report.contains(reason) || report.contains(&escaped),
        "report.html does not give the reason {reason:?}"
    );
}

#[test]
fn headlines_are_the_claims_and_rest_on_ok_sessions_beyond_the_noise() {
    let t = tempdir();
    let case = t.path().join("case");
    // four sessions: baseline, a treatment visit, a visit 2 days after it
    // (the phantom's acute-window session) and a later one
    let dates = phantom(&case, 1, 4);
    let failed_date = &dates[1];
    write_noise_png(&case.join(failed_date).join("cheek.jpg"), SIZE);

    let out_dir = t.path().join("out");
    let out = analyze(&case, &out_dir, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let m = read_json(&out_dir.join("metrics.json"));
    let truth = read_json(&case.join("truth.json"));
    let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    let lines = glance(&report);
    eprintln!("at a glance: {lines:#?}");

    // the list opens with exactly the claims of metrics.json, in order
    let claims = m["claims"].as_array().unwrap();
    assert!(!claims.is_empty());
    let sentences: Vec<&str> = claims
        .iter()
        .map(|c| c["sentence"].as_str().unwrap())
        .collect();
    assert_eq!(lines[..sentences.len()], sentences[..], "{lines:#?}");

    // every claim rests on an aligned, ok session outside the acute window,
    // and states its change only when it is beyond the noise
    for c in claims {
        let s = series(&m, "cheek", c["kind"].as_str().unwrap());
        let to = session(s, c["to"].as_str().unwrap());
        assert_eq!(to["alignment"]["status"], "ok", "{c}");
        assert_eq!(to["quality"]["status"], "ok", "{c}");
        assert_eq!(to["acute_window"], false, "{c}");
        let metric = &to["metrics"][c["metric"].as_str().unwrap()];
        assert_eq!(metric["beyond_noise"], c["beyond_noise"], "{c}");
        let sentence = c["sentence"].as_str().unwrap();
        match stated_percent(sentence) {
            Some(n) => {
                assert_eq!(c["beyond_noise"], true, "{sentence}");
                let pct = metric["change_pct"].as_f64().unwrap().abs();
                assert_eq!(pct.round() as u64, n, "{sentence}");
            }
            None => assert!(
                c["beyond_noise"] == true
                    || sentence.contains("no change beyond the measurement noise"),
                "{sentence}"
            ),
        }
    }

    // the acute-window session, found from the dates alone: 1–3 days after
    // the latest treatment on or before it (treatments: truth.json)
    let treatments: Vec<i64> = truth["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["treatment"] == true)
        .map(|s| civil_days(s["date"].as_str().unwrap()).unwrap())
        .collect();
    let since_treatment = |date: &str| {
        let d = civil_days(date).unwrap();
        treatments.iter().filter(|&&t| t <= d).map(|t| d - t).min()
    };
    let acute: Vec<(&String, i64)> = dates
        .iter()
        .filter_map(|d| since_treatment(d).map(|n| (d, n)))
        .filter(|(_, n)| (1..=3).contains(n))
        .collect();
    assert_eq!(acute.len(), 1, "the phantom has one acute visit: {acute:?}");
    let (acute_date, acute_days) = acute[0];
    let photo = series(&m, "cheek", "photo");
    let acute_session = session(photo, acute_date);
    assert_eq!(acute_session["acute_window"], true);

    // the failed photo is explained once, by its date, with no number
    let failed_words: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(&human(failed_date)))
        .collect();
    assert_eq!(failed_words.len(), 1, "one sentence on {failed_date}");
    assert!(
        failed_words[0].contains("could not be lined up"),
        "{}",
        failed_words[0]
    );
    assert!(!failed_words[0].contains('%'), "{}", failed_words[0]);

    // the acute-window session is explained once: how many days after a
    // session when its photo is comparable, else among those not compared
    let acute_words: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(&human(acute_date)))
        .collect();
    assert_eq!(acute_words.len(), 1, "one sentence on {acute_date}");
    if acute_session["quality"]["status"] == "ok" {
        assert!(
            acute_words[0].contains(&format!("{acute_days} days after")),
            "{}",
            acute_words[0]
        );
    } else {
        assert!(
            acute_words[0].starts_with("Not compared"),
            "{}",
            acute_words[0]
        );
    }
    assert!(!acute_words[0].contains('%'), "{}", acute_words[0]);

    // an improvement beyond the noise is named: the scars are shallower by
    // ground truth (truth.json's depth factor < 1) and by the measurement
    // beyond its noise, so a "Scar depth:" sentence says "shallower" with
    // that percentage
    let last = dates.last().unwrap();
    let state = &truth["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["date"] == last.as_str())
        .unwrap()["state"];
    let factor = state["scar_depth_factor"].as_f64().unwrap();
    assert!(
        factor < 0.9,
        "fixture: scars at least 10% shallower: {factor}"
    );
    let depth = &session(series(&m, "cheek", "height"), last)["metrics"]["scars.mean_depth_um"];
    assert_eq!(depth["beyond_noise"], true, "fixture: {depth}");
    let pct = depth["change_pct"].as_f64().unwrap();
    assert!(
        pct < 0.0,
        "measured deeper where truth is shallower: {depth}"
    );
    let scar: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("Scar depth:"))
        .collect();
    assert_eq!(scar.len(), 1, "one scar-depth sentence: {lines:#?}");
    assert!(
        scar[0].contains(&format!("{}%", pct.abs().round())) && scar[0].contains("shallower"),
        "{:?} should say {:.0}% shallower",
        scar[0],
        pct.abs()
    );
}

/// Significant digits of a number as written ("0.0340" has 3, "35260" 4).
fn significant_digits(text: &str) -> usize {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let trimmed = digits.trim_start_matches('0');
    if text.contains('.') {
        trimmed.len()
    } else {
        trimmed.trim_end_matches('0').len().max(1)
    }
}

/// Decimal places of a number as written.
fn decimals(text: &str) -> i32 {
    text.split_once('.').map_or(0, |(_, f)| f.len() as i32)
}

#[test]
fn metrics_csv_is_for_spreadsheets_and_holds_the_rows_of_metrics_json() {
    // A real CSV parser reads the file back. Issue 18: a UTF-8 byte-order
    // mark (spreadsheets garble µm without it), RFC 4180 line ends and
    // quoting (reached through a visit note with a comma, quotes and a line
    // break), the case-level columns, failed rows with their reason, every
    // number with at most 6 significant digits and as many decimals as its
    // standard error supports, and no percentage of a baseline within its
    // minimal detectable change of zero.
    let t = tempdir();
    let case = t.path().join("case");
    let dates = phantom(&case, 2, 3);
    write_noise_png(&case.join(&dates[2]).join("cheek.jpg"), SIZE);
    let note = "Client was sunburnt, said \"it stings\"\nused SPF 50";
    let toml_note = note.replace('"', "\\\"").replace('\n', "\\n");
    let manifest = case.join("case.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap_or_default();
    text.push_str(&format!("\n[notes]\n{} = \"{toml_note}\"\n", dates[1]));
    std::fs::write(&manifest, text).unwrap();
    let out_dir = t.path().join("out");
    let out = analyze(&case, &out_dir, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let bytes = std::fs::read(out_dir.join("metrics.csv")).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "metrics.csv starts with a UTF-8 BOM"
    );
    let body = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(body.ends_with("\r\n"));
    let bare_lf = body.matches('\n').count() - body.matches("\r\n").count();

    let (header, rows) = read_csv(&out_dir.join("metrics.csv"));
    assert_eq!(header, CSV_COLUMNS);
    for (line, r) in &rows {
        assert_eq!(
            r.len(),
            header.len(),
            "metrics.csv line {line}: {} fields, the header has {}: {r:?}",
            r.len(),
            header.len()
        );
    }

    // metrics.json flattened: one row per session and metric; a session
    // without metrics (failed) one row with empty metric fields
    let m = read_json(&out_dir.join("metrics.json"));
    let text = |v: &Json| v.as_str().unwrap_or("").to_string();
    let mut want: Vec<(BTreeMap<&str, String>, Option<&Json>)> = Vec::new();
    for s in m["series"].as_array().unwrap() {
        for x in s["sessions"].as_array().unwrap() {
            // the alignment's reason when it failed, else the quality's
            let reason = x["alignment"]["reason"].as_str().map_or_else(
                || {
                    let q: Vec<String> = x["quality"]["reasons"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(text)
                        .collect();
                    q.join("; ")
                },
                str::to_string,
            );
            let lead: BTreeMap<&str, String> = [
                ("client", text(&m["client"])),
                ("case", text(&m["case"])),
                ("view", text(&s["view"])),
                ("kind", text(&s["kind"])),
                ("date", text(&x["date"])),
                ("days", x["days"].as_i64().unwrap().to_string()),
                (
                    "days_since_treatment",
                    x["days_since_treatment"]
                        .as_i64()
                        .map_or(String::new(), |d| d.to_string()),
                ),
                ("treatment", text(&m["treatment"])),
                (
                    "acute_window",
                    x["acute_window"].as_bool().unwrap().to_string(),
                ),
                ("quality", text(&x["quality"]["status"])),
                ("alignment_status", text(&x["alignment"]["status"])),
                ("reason", reason),
                (
                    "note",
                    if x["date"] == dates[1].as_str() {
                        note.to_string()
                    } else {
                        String::new()
                    },
                ),
            ]
            .into_iter()
            .collect();
            let metrics = x["metrics"].as_object().unwrap();
            if metrics.is_empty() {
                want.push((lead.clone(), None));
            }
            for (id, v) in metrics {
                let mut l = lead.clone();
                l.insert("metric", id.clone());
                l.insert("unit", text(&v["unit"]));
                l.insert("better", text(&v["better"]));
                l.insert(
                    "beyond_noise",
                    v["beyond_noise"].as_bool().unwrap().to_string(),
                );
                want.push((l, Some(v)));
            }
        }
    }
    assert_eq!(
        rows.len(),
        want.len(),
        "rows of metrics.csv vs metrics.json"
    );
    let number = |s: &str| -> f64 {
        s.parse()
            .unwrap_or_else(|_| panic!("{s:?} is not a number"))
    };
    let (mut percent_left_out, mut percent_given) = (0, 0);
    for ((line, got), (lead, metric)) in rows.iter().zip(&want) {
        for (name, value) in lead {
            assert_eq!(&got[col(name)], value, "metrics.csv line {line}, {name}");
        }
        let Some(v) = metric else {
            for name in ["value", "uncertainty", "mdc", "change", "change_pct"] {
                assert_eq!(got[col(name)], "", "line {line}: {name} of a failed row");
            }
            continue;
        };
        let u = v["uncertainty"].as_f64().unwrap();
        for (name, json) in [
            ("value", v["value"].as_f64().unwrap()),
            ("uncertainty", u),
            ("mdc", v["mdc95"].as_f64().unwrap()),
            ("change", v["change"].as_f64().unwrap()),
        ] {
            let field = &got[col(name)];
            assert!(
                significant_digits(field) <= 6,
                "line {line}, {name}: {field:?} has more than 6 significant digits"
            );
            // rounding to the written decimals moves the value by at most
            // half the last place (a sixth digit of a large number: the
            // same bound with negative decimals)
            let half = 0.5 * 10f64.powi(-decimals(field));
            let six = json.abs() * 5e-6;
            assert!(
                (number(field) - json).abs() <= half.max(six) * (1.0 + 1e-9),
                "line {line}, {name}: {field:?} vs {json}"
            );
            // as many decimals as the standard error supports: its first two
            // significant digits, never more
            if u > 0.0 {
                let supported = 1 - u.log10().floor() as i32;
                assert!(
                    decimals(field) <= supported.max(0),
                    "line {line}, {name}: {field:?} has more decimals than ±{u} supports"
                );
            }
        }
        // the percentage: left out where the baseline is within its MDC of
        // zero, otherwise the JSON's within its rounding
        let delta = v["change"].as_f64().unwrap();
        let base = v["value"].as_f64().unwrap() - delta;
        let mdc = v["mdc95"].as_f64().unwrap();
        let field = &got[col("change_pct")];
        if base.abs() <= mdc {
            assert_eq!(
                field, "",
                "line {line}: a percent of a near-zero baseline ({base} ± {mdc})"
            );
            // and in metrics.json alike (it once kept +718 %)
            assert!(v["change_pct"].is_null(), "line {line}: {v}");
            percent_left_out += 1;
        } else if let Some(p) = v["change_pct"].as_f64() {
            let half = 0.5 * 10f64.powi(-decimals(field));
            assert!(
                (number(field) - p).abs() <= half.max(p.abs() * 5e-6) * (1.0 + 1e-9),
                "line {line}: change_pct {field:?} vs {p}"
            );
            percent_given += 1;
        }
    }
    // the checks above are not vacuous
    assert!(
        rows.iter()
            .any(|(_, r)| r[col("alignment_status")] == "failed" && r[col("metric")].is_empty())
    );
    assert!(
        rows.iter().any(|(_, r)| r[col("unit")] == "µm"),
        "a height series with a scale has µm units"
    );
    let noted = rows.iter().filter(|(_, r)| r[col("note")] == note).count();
    assert!(noted > 0, "the note read back whole");
    // every record ends with CRLF; the only bare LFs are the notes' own
    assert_eq!(bare_lf, noted, "line breaks outside the quoted notes");
    assert!(
        percent_left_out > 0 && percent_given > 0,
        "{percent_left_out} left out, {percent_given} given"
    );
}

#[test]
fn the_outputs_are_the_same_bytes_on_one_and_four_threads() {
    let t = tempdir();
    let case = t.path().join("case");
    phantom(&case, 3, 3);
    let one = t.path().join("one");
    let four = t.path().join("four");
    for (dir, n) in [(&one, 1), (&four, 4)] {
        let out = analyze(&case, dir, Some(n));
        assert_eq!(out.status.code(), Some(0), "{n} threads: {}", stderr(&out));
    }
    let (a, b) = (tree(&one), tree(&four));
    for name in ["metrics.json", "metrics.csv", "report.html"] {
        assert!(a.contains_key(Path::new(name)), "{name} not written");
    }
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (name, bytes) in &a {
        assert!(
            *bytes == b[name],
            "{} differs between 1 and 4 threads",
            name.display()
        );
    }
}

/// A camera's file left in one visit folder is a view of its own, warned
/// about; photographed once, it is compared with nothing, so the client's
/// sentences do not start naming views ("Cheek — Scar depth: …").
#[test]
fn a_view_seen_at_one_visit_does_not_make_the_sentences_name_views() {
    let t = tempdir();
    let case = t.path().join("case");
    let dates = phantom(&case, 4, 3);
    std::fs::copy(
        case.join(&dates[1]).join("cheek.jpg"),
        case.join(&dates[1]).join("IMG_4411.jpg"),
    )
    .unwrap();
    let out_dir = t.path().join("out");
    let out = analyze(&case, &out_dir, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("IMG_4411"),
        "warned: {}",
        stderr(&out)
    );
    let m = read_json(&out_dir.join("metrics.json"));
    let claims = m["claims"].as_array().unwrap();
    assert!(!claims.is_empty());
    for c in claims {
        let sentence = c["sentence"].as_str().unwrap();
        assert!(!sentence.starts_with("Cheek — "), "{sentence}");
    }
}

#[test]
fn visit_notes_and_every_view_are_spoken_for_in_the_report() {
    // Issue 18: a [notes] entry is shown at its visit in the report; with
    // two views, the at-a-glance sentences cover both and each names its
    // view (a second view "forehead" is the same photos under another name,
    // from the second visit on: its statements and its slider speak of its
    // own first visit).
    let t = tempdir();
    let case = t.path().join("case");
    let dates = phantom(&case, 4, 3);
    for d in &dates[1..] {
        std::fs::copy(
            case.join(d).join("cheek.jpg"),
            case.join(d).join("forehead.jpg"),
        )
        .unwrap();
    }
    let manifest = case.join("case.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap_or_default();
    text.push_str(&format!(
        "\n[notes]\n{} = \"Reaction: <mild> redness & itching\"\n",
        dates[2]
    ));
    std::fs::write(&manifest, text).unwrap();
    let out_dir = t.path().join("out");
    let out = analyze(&case, &out_dir, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    // escaped, in the row of its visit in "Your visits"
    let visits = &report[report.find("Your visits").expect("a visits section")..];
    let row = visits
        .split("<tr>")
        .find(|r| r.contains(&human(&dates[2])))
        .expect("a row for the visit");
    assert!(
        row.contains("Reaction: &lt;mild&gt; redness &amp; itching"),
        "the note at its visit: {row}"
    );
    let m = read_json(&out_dir.join("metrics.json"));
    assert_eq!(m["notes"][&dates[2]], "Reaction: <mild> redness & itching");

    // any two visits: two pickers listing the three visits, first and
    // latest chosen; the contact sheet holds each visit's image once; the
    // middle visit's overlays wait in the store for the pickers
    let section = &report[report.find("Before and after — cheek").unwrap()..];
    // up to the next series' section
    let section = &section[..section.find("<section").unwrap_or(section.len())];
    for (picker, chosen) in [("pick-a", "0"), ("pick-b", "2")] {
        let at = section.find(&format!("class=\"{picker}\"")).expect(picker);
        let select = &section[at..at + section[at..].find("</select>").unwrap()];
        assert_eq!(select.matches("<option").count(), 3, "{select}");
        assert!(
            select.contains(&format!(
                "value=\"{chosen}\" data-short=\"{}\" selected",
                human(&dates[chosen.parse::<usize>().unwrap()])
            )),
            "{picker} chooses visit {chosen}: {select}"
        );
    }
    for k in 0..3 {
        assert_eq!(
            section.matches(&format!("data-k=\"{k}\"")).count(),
            1,
            "visit {k} in the contact sheet once"
        );
    }
    assert!(
        section.contains("data-ov=\"lines-1\""),
        "the middle visit's overlay is embedded"
    );

    // a change beyond noise on the forehead names the day it was first
    // photographed, not the client's first visit
    let since = format!(
        "than on {}, when this area was first photographed",
        human(&dates[1])
    );
    assert!(
        m["claims"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["view"] == "forehead" && c["sentence"].as_str().unwrap().contains(&since)),
        "no forehead sentence says {since:?}: {:#?}",
        m["claims"]
    );
    let forehead = &report[report.find("Before and after — forehead").unwrap()..];
    assert!(
        forehead.contains(&format!("First visit · {}", human(&dates[1]))),
        "the forehead's slider starts at its own first visit"
    );
    let lines = glance(&report);
    let claims = m["claims"].as_array().unwrap();
    for view in ["cheek", "forehead"] {
        assert!(
            claims.iter().any(|c| c["view"] == view),
            "no claim on {view}"
        );
    }
    for c in claims {
        let view = c["view"].as_str().unwrap();
        let name = format!("{}{} — ", view[..1].to_uppercase(), &view[1..]);
        let sentence = c["sentence"].as_str().unwrap();
        assert!(sentence.starts_with(&name), "{sentence:?} names its view");
        let first = if view == "forehead" {
            &dates[1]
        } else {
            &dates[0]
        };
        assert_eq!(c["from"], first.as_str());
        assert!(
            !(view == "forehead" && sentence.contains(&human(&dates[0]))),
            "{sentence:?}: the forehead was first photographed later"
        );
        assert!(
            lines.iter().any(|l| l == sentence),
            "{sentence:?} in the report"
        );
    }
}

#[test]
fn a_note_for_no_visit_is_a_warning_and_an_overlong_one_is_refused() {
    let t = tempdir();
    let case = t.path().join("case");
    phantom(&case, 5, 2);
    let manifest = case.join("case.toml");
    let base = std::fs::read_to_string(&manifest).unwrap_or_default();
    std::fs::write(
        &manifest,
        format!("{base}\n[notes]\n1999-01-01 = \"lost\"\n"),
    )
    .unwrap();
    let out = analyze(&case, &t.path().join("out"), None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("[notes] 1999-01-01 matches no session"),
        "{}",
        stderr(&out)
    );
    let long = "x".repeat(2001);
    std::fs::write(
        &manifest,
        format!("{base}\n[notes]\n1999-01-01 = \"{long}\"\n"),
    )
    .unwrap();
    let out = analyze(&case, &t.path().join("out2"), None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("case.toml"), "{}", stderr(&out));
}

#[test]
fn a_case_without_a_control_region_is_told_its_claims_rest_on_the_capture() {
    // issue 15: where no control region is named, the report says that
    // texture and line changes rest on the capture conditions alone
    let t = tempdir();
    let case = t.path().join("case");
    phantom(&case, 5, 3);
    let said = |case: &Path, out: &str| {
        let out_dir = t.path().join(out);
        let run = analyze(case, &out_dir, None);
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
        let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
        report.contains(
            "No control region: focus and contrast are checked on the measured region itself",
        ) && report.contains("rest on the capture conditions alone")
    };
    assert!(!said(&case, "with"), "said with a control region");
    let manifest = case.join("case.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("\ncontrol = "), "{text}");
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("control = "))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&manifest, without).unwrap();
    assert!(said(&case, "without"), "not said without a control region");
}

#[test]
fn a_case_of_one_visit_is_said_in_the_singular() {
    let t = tempdir();
    let case = t.path().join("case");
    let dates = phantom(&case, 6, 2);
    std::fs::remove_dir_all(case.join(&dates[1])).unwrap();
    // its treatments name the removed visit's date: keep the first, and
    // plan one after the last visit, which is not counted as held
    set_treatments(&case, &format!("[\"{}\", \"2030-01-01\"]", dates[0]));
    let out_dir = t.path().join("out");
    let run = analyze(&case, &out_dir, None);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    let first = human(&dates[0]);
    assert!(
        report.contains(&format!("1 visit, {first} · 1 treatment session<")),
        "{first}"
    );
    assert!(!report.contains("1 visits"));
    assert!(report.contains("1 more session is dated after the last visit, on 1 Jan 2030"));
    // one visit has no latest to highlight beside the first
    assert!(report.contains("on the measured area, at the first visit."));
    assert!(!report.contains("latest visit"), "a latest visit is named");
}

/// A control client (`treatments = []`): no "0 treatment sessions", and no
/// advice about the days after a session they did not have.
#[test]
fn a_control_client_is_told_of_no_treatment_and_no_aftercare() {
    let t = tempdir();
    let case = t.path().join("case");
    phantom(&case, 6, 2);
    set_treatments(&case, "[]");
    let out_dir = t.path().join("out");
    let run = analyze(&case, &out_dir, None);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(report.contains(" · no treatment session<"));
    assert!(!report.contains("0 treatment sessions"));
    assert!(report.contains("No treatment session is recorded for this case"));
    assert!(!report.contains("after each session"));
}

/// Replaces the `treatments = …` line of `case`'s case.toml by
/// `treatments = LIST`.
fn set_treatments(case: &Path, list: &str) {
    let manifest = case.join("case.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let changed: String = text
        .lines()
        .map(|l| {
            if l.starts_with("treatments = ") {
                format!("treatments = {list}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&manifest, changed).unwrap();
}

/// A last visit two days after a session (its redness expected, no claim
/// resting on it) is not the before/after's "Latest": the visit the claims
/// rest on is.
#[test]
fn an_acute_last_visit_is_not_shown_as_the_latest() {
    let t = tempdir();
    let case = t.path().join("case");
    let dates = phantom(&case, 6, 3);
    let last = skintrack::date::Date::parse(&dates[2]).unwrap();
    set_treatments(
        &case,
        &format!("[\"{}\", \"{}\"]", dates[0], last.plus_days(-2)),
    );
    let out_dir = t.path().join("out");
    let run = analyze(&case, &out_dir, None);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(report.contains("taken 2 days after a session"), "not acute");
    assert!(
        report.contains(&format!("Latest · {}<", human(&dates[1]))),
        "the acute visit is shown as the latest"
    );
    assert!(report.contains("redness then is expected"));
}

/// Without a control region no redness is compared, nor spoken of: the
/// photo taken days after a session (seed 1's 11 Feb, compared there) is
/// said to show skin still reacting, not redness that is expected.
#[test]
fn without_a_control_region_an_acute_photo_is_not_said_to_be_red() {
    let t = tempdir();
    let case = t.path().join("case");
    common::course(&case, 1, 5);
    let manifest = case.join("case.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("control"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&manifest, without).unwrap();
    let out_dir = t.path().join("out");
    let run = analyze(&case, &out_dir, None);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(report.contains("taken 2 days after a session: the skin is then still reacting"));
    assert!(!report.contains("redness then is expected"));
}

/// A first visit two days after a session (treatments recorded from before
/// the case's first photo) shows the skin's reaction, not its state: it is
/// no reference, so no claim is made and the client is told why. Measured
/// from such a photo, the redness of a course read "67% lower" where the
/// same skin from a calm first visit read −37 %.
#[test]
fn an_acute_first_visit_is_no_reference_for_any_claim() {
    let t = tempdir();
    let case = t.path().join("case");
    let dates = phantom(&case, 6, 3);
    let first = skintrack::date::Date::parse(&dates[0]).unwrap();
    let claims_of = |out: &str| {
        let out_dir = t.path().join(out);
        let run = analyze(&case, &out_dir, None);
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
        let j: Json =
            serde_json::from_slice(&std::fs::read(out_dir.join("metrics.json")).unwrap()).unwrap();
        let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
        (j, report)
    };
    // a calm first visit: the course's changes are claimed
    let (calm, calm_report) = claims_of("calm");
    assert!(!calm["claims"].as_array().unwrap().is_empty());
    assert!(calm_report.contains("Improvement since the first visit"));
    set_treatments(
        &case,
        &format!("[\"{}\", \"{}\"]", first.plus_days(-2), dates[1]),
    );
    let (j, report) = claims_of("acute");
    let first_session = &j["series"][0]["sessions"][0];
    assert_eq!(first_session["acute_window"], true, "{first_session}");
    assert_eq!(j["claims"], Json::Array(Vec::new()));
    assert!(
        report.contains(&format!(
            "The first photo, of {}, was taken 2 days after a session",
            human(&dates[0])
        )),
        "the client is not told why"
    );
    assert!(report.contains("it cannot be the reference"));
    // nor is a chart of improvement since it drawn
    assert!(
        !report.contains("Improvement since the first visit"),
        "an improvement chart from the acute photo"
    );
}

/// A visit dated in the future (a typo in a folder name, a camera clock
/// never set) is said in metrics.json and the report's practitioner
/// section, not only on stderr: `batch` keeps no stderr.
#[test]
fn a_visit_dated_in_the_future_is_said_in_the_outputs() {
    let t = tempdir();
    let case = t.path().join("case");
    let dates = phantom(&case, 6, 2);
    std::fs::rename(case.join(&dates[1]), case.join("2099-05-11")).unwrap();
    let out_dir = t.path().join("out");
    let run = analyze(&case, &out_dir, None);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let j: Json =
        serde_json::from_slice(&std::fs::read(out_dir.join("metrics.json")).unwrap()).unwrap();
    let said = j["date_warnings"].to_string();
    assert!(
        said.contains("2099-05-11: dated 2099-05-11 (in the future)"),
        "{said}"
    );
    let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(report.contains("Dates to check"));
    assert!(report.contains("(in the future)"));
}

/// A repeat photo taken the day after a session, filed under the session's
/// folder, makes the visit acute: averaged in, a redder next-day repeat
/// read "Redness: no change" where the course had brought it down 37 %.
/// exif_gps.jpg was taken on 2024:01:15; valid_small.jpg has no date.
#[test]
fn a_repeat_taken_the_day_after_a_session_makes_its_visit_acute() {
    let t = tempdir();
    let case = t.path().join("case");
    let data = |name: &str| common::data(&format!("bad_inputs/{name}"));
    for (file, src) in [
        ("2024-01-01/cheek.jpg", "valid_small.jpg"),
        ("2024-01-14/cheek.jpg", "valid_small.jpg"),
        ("2024-01-14/cheek.r2.jpg", "exif_gps.jpg"),
    ] {
        let to = case.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(data(src), to).unwrap();
    }
    std::fs::write(
        case.join("case.toml"),
        "treatments = [\"2024-01-01\", \"2024-01-14\"]\n",
    )
    .unwrap();
    let out_dir = t.path().join("out");
    let run = analyze(&case, &out_dir, None);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let j: Json =
        serde_json::from_slice(&std::fs::read(out_dir.join("metrics.json")).unwrap()).unwrap();
    let visit = &j["series"][0]["sessions"][1];
    assert_eq!(visit["acute_window"], true, "{visit}");
    assert_eq!(visit["days_since_treatment"], 1);
    assert!(
        j["date_warnings"]
            .to_string()
            .contains("2024-01-14/cheek.r2.jpg: taken on 2024-01-15")
    );
}
