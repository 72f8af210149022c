//! `skintrack index OUT_DIR`: the clinic index over every finished case of
//! a batch output folder. Writes, atomically:
//! - `index.html`: offline and self-contained like the reports; one row per
//!   client (last visit, number of visits, the changes beyond noise, a link
//!   to the report), the cases that failed with their reasons, and cohort
//!   curves ([`cohort`]);
//! - `outcomes.csv`: one row per client, view and claim topic (UTF-8 with a
//!   BOM so that spreadsheets read µ, RFC 4180 quoting).
//!
//! It reads only the cases' metrics.json and the batch's failure records,
//! so it runs once after any number of shards, in name order, with the same
//! bytes whatever the order the shards finished in.

use crate::batch::{FAILURES, FailureRecord, failure_record};
use crate::date::Date;
use crate::error::{Error, Result};
use crate::files::MAX_RESULT_BYTES;
use crate::model::Topic;
use crate::output;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub mod chart;
pub mod cohort;

/// The index page's file name.
pub const INDEX: &str = "index.html";
/// The outcomes table's file name.
pub const OUTCOMES: &str = "outcomes.csv";

/// What one finished case contributes to the index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaseDigest {
    /// Its folder under the output folder (the report's link).
    pub dir: String,
    /// The case's name.
    pub case: String,
    /// The client, as case.toml names them.
    pub client: Option<String>,
    /// The treatment, as case.toml names it.
    pub treatment: Option<String>,
    /// The first visit.
    pub first_visit: Option<Date>,
    /// The latest visit.
    pub last_visit: Option<Date>,
    /// The first treatment (none for a case whose case.toml lists none:
    /// `treatments = []`, a control client).
    pub first_treatment: Option<Date>,
    /// Visits (distinct session dates over all views).
    pub visits: usize,
    /// The report's claims.
    pub claims: Vec<ClaimDigest>,
    /// Per view and topic, the comparable sessions' changes.
    pub changes: Vec<TopicChanges>,
    /// A view's first visit came 1–3 days after a session: nothing is
    /// compared with it (`Series::acute_first`), so that view has no claim.
    pub acute_first: bool,
}

/// One claim of a case's report.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ClaimDigest {
    /// View.
    pub view: String,
    /// Capture kind.
    pub kind: String,
    /// Topic.
    pub topic: Topic,
    /// The metric behind it.
    pub metric: String,
    /// The view's first capture, the one compared with (a view may join
    /// the case at a later visit).
    pub from: Date,
    /// The session compared with the baseline.
    pub to: Date,
    /// Change in percent, when the baseline is not near zero.
    pub change_pct: Option<f64>,
    /// Change in the metric's unit.
    pub change: f64,
    /// The metric's unit.
    #[serde(default)]
    pub unit: String,
    /// Whether it exceeds the minimal detectable change.
    pub beyond_noise: bool,
    /// What the report says.
    pub sentence: String,
}

/// The changes of one claim's metric in one view, over the sessions a
/// claim may rest on.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicChanges {
    /// View.
    pub view: String,
    /// Topic.
    pub topic: Topic,
    /// The claim's metric.
    pub metric: String,
    /// (days since the first treatment, change %), in date order.
    pub points: Vec<(i64, f64)>,
}

/// What `index` wrote and read.
#[derive(Debug)]
pub struct Summary {
    /// Finished cases indexed.
    pub cases: usize,
    /// Failed cases listed.
    pub failed: usize,
    /// Folders with an unreadable metrics.json and unreadable failure
    /// records, and why.
    pub skipped: Vec<String>,
    /// index.html's path.
    pub index: PathBuf,
}

/// Writes index.html and outcomes.csv into `out_dir`.
///
/// # Errors
/// [`Error::Read`] when the folder cannot be listed; a write failure.
pub fn run(out_dir: &Path) -> Result<Summary> {
    check_batch_output(out_dir)?;
    let (mut cases, mut skipped) = read_cases(out_dir)?;
    let mut failures = read_failures(out_dir, &mut skipped);
    // outputs and failures of case folders gone from the archive since
    // (renamed or removed) speak for no case of it
    if let Some(archive) = read_listing(out_dir, &mut skipped) {
        let gone = |case: &str| !archive.contains(case);
        for case in cases
            .iter()
            .map(|c| &c.dir)
            .chain(failures.iter().map(|f| &f.case))
        {
            if gone(case) {
                skipped.push(format!(
                    "{}: its case folder was not in the archive at the last batch run (renamed or removed)",
                    out_dir.join(case).display()
                ));
            }
        }
        cases.retain(|c| !gone(&c.dir));
        failures.retain(|f| !gone(&f.case));
    }
    // a case whose last run failed keeps its older output, which no longer
    // speaks for its inputs: it is listed as failed, not as finished; an
    // output written after the failure (analysed again by hand) stands
    let failed_last = |case: &str| {
        let modified = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let record = modified(failure_record(out_dir, case));
        let output = modified(out_dir.join(case).join("metrics.json"));
        output.is_none_or(|o| record.is_some_and(|r| r >= o))
    };
    failures.retain(|f| failed_last(&f.case));
    let failed: BTreeSet<&str> = failures.iter().map(|f| f.case.as_str()).collect();
    cases.retain(|c| !failed.contains(c.dir.as_str()));
    let curves = cohort::curves(&cases);
    let charts = curves
        .iter()
        .map(chart::svg)
        .collect::<Result<Vec<String>>>()?;
    let html = page::html(&cases, &failures, &curves, &charts);
    output::write_atomic(&out_dir.join(INDEX), html.as_bytes())?;
    output::write_atomic(&out_dir.join(OUTCOMES), outcomes_csv(&cases).as_bytes())?;
    Ok(Summary {
        cases: cases.len(),
        failed: failures.len(),
        skipped,
        index: out_dir.join(INDEX),
    })
}

mod page;

/// Refuses a folder that `skintrack batch` did not write into, before
/// anything is written there: one case's output, a case folder or an
/// archive. A batch output holds analysed cases (folders skintrack wrote)
/// or failure records; an empty folder is one with no case yet.
///
/// # Errors
/// [`Error::Read`] when the folder cannot be listed, [`Error::Usage`] for
/// a folder that is not a batch output.
fn check_batch_output(out_dir: &Path) -> Result<()> {
    let refuse = |what: &str| {
        Err(Error::usage(format!(
            "{}: not the output folder of `skintrack batch` ({what}); index the folder batch wrote into",
            out_dir.display()
        )))
    };
    if out_dir.join(output::MARKER).is_file() {
        return refuse("it is the output of one case");
    }
    let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(out_dir)
        .map_err(|source| Error::Read {
            path: out_dir.to_path_buf(),
            source,
        })?
        .filter_map(std::result::Result::ok)
        .collect();
    let batch_wrote = |e: &std::fs::DirEntry| {
        let p = e.path();
        e.file_name() == FAILURES || (p.is_dir() && p.join(output::MARKER).is_file())
    };
    // an index.html or outcomes.csv there must be this command's own
    let starts = |path: PathBuf, with: &[&str]| {
        let mut head = vec![0u8; 4096];
        let n = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
            .unwrap_or(0);
        let head = String::from_utf8_lossy(&head[..n]);
        with.iter().any(|w| head.contains(w))
    };
    // pages of versions before the generator meta carry the title
    let own_page = [GENERATOR, "<title>Clinic outcomes"];
    let own_table = ["client,case,treatment,view,"];
    let foreign = entries.iter().find(|e| {
        let name = e.file_name();
        (name == INDEX && !starts(e.path(), &own_page))
            || (name == OUTCOMES && !starts(e.path(), &own_table))
    });
    if let Some(f) = foreign {
        return refuse(&format!(
            "its {} was not written by skintrack index; move it away",
            f.file_name().to_string_lossy()
        ));
    }
    if entries.iter().any(batch_wrote) {
        return Ok(());
    }
    // no case yet: what is there must be hidden or this command's own pages
    let index_wrote = |e: &std::fs::DirEntry| {
        let name = e.file_name();
        name.to_string_lossy().starts_with('.') || name == INDEX || name == OUTCOMES
    };
    if entries.iter().all(index_wrote) {
        return Ok(());
    }
    refuse("it holds no case that skintrack analysed")
}

/// The `generator` of every index page, by which `index` knows its own
/// page from another one of the same name.
const GENERATOR: &str = "skintrack index";

/// Every direct subfolder of `out_dir` with a readable metrics.json, in
/// name order, and a line for each one that could not be read.
fn read_cases(out_dir: &Path) -> Result<(Vec<CaseDigest>, Vec<String>)> {
    let entries = std::fs::read_dir(out_dir).map_err(|source| Error::Read {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(std::result::Result::ok)
        .map(|e| e.path())
        // whatever is named metrics.json: one that cannot be read (a
        // folder, a link in a loop, a device) is a case left out with a
        // warning, not one that silently vanishes
        .filter(|p| {
            p.is_dir()
                && (std::fs::symlink_metadata(p.join("metrics.json")).is_ok()
                    || p.join(output::MARKER).is_file())
        })
        .collect();
    dirs.sort();
    let mut cases: Vec<(CaseDigest, Option<String>, Option<SystemTime>)> = Vec::new();
    let mut skipped = Vec::new();
    for dir in dirs {
        let json = dir.join("metrics.json");
        // an output whose report or table was removed: the row would link
        // to nothing
        let missing = ["metrics.json", crate::report::REPORT]
            .into_iter()
            .find(|f| std::fs::symlink_metadata(dir.join(f)).is_err());
        if let Some(file) = missing {
            skipped.push(format!(
                "{}: has no {file} (removed, or the output is unfinished); run batch again",
                dir.display()
            ));
            continue;
        }
        let parsed: Result<AnalysisJson> =
            read_json(&json, MAX_RESULT_BYTES, "a skintrack metrics.json");
        match parsed {
            Ok(a) => {
                let written = std::fs::metadata(&json).and_then(|m| m.modified()).ok();
                let inputs = a.inputs_sha256.clone();
                cases.push((digest(&dir, a), inputs, written));
            }
            Err(e) => skipped.push(e.to_string()),
        }
    }
    // one client once: outputs of the very same inputs (a case folder
    // renamed or copied in the archive leaves its old output beside the
    // new one) count as the one written last
    let mut latest: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, (_, inputs, written)) in cases.iter().enumerate() {
        let Some(inputs) = inputs.as_deref() else {
            continue;
        };
        let kept = latest.entry(inputs).or_insert(i);
        if cases[*kept].2 < *written {
            *kept = i;
        }
    }
    let mut out = Vec::new();
    for (i, (case, inputs, _)) in cases.iter().enumerate() {
        match inputs.as_deref().map(|h| latest[h]) {
            Some(kept) if kept != i => skipped.push(format!(
                "{}: the same inputs as {} (a case renamed or copied in the archive), whose output is newer",
                out_dir.join(&case.dir).display(),
                out_dir.join(&cases[kept].0.dir).display()
            )),
            _ => out.push(case.clone()),
        }
    }
    Ok((out, skipped))
}

/// The JSON file `path` (at most `cap` bytes) as a `T`; an error saying
/// it is not `what` when it does not parse.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path, cap: u64, what: &str) -> Result<T> {
    let text = crate::files::read_text_within(path, cap)?;
    serde_json::from_str(&text).map_err(|e| Error::case(path, format!("not {what}: {e}")))
}

/// The case folders of the archive at the last batch run, where batch
/// left its listing (an output folder written by hand has none); a line in
/// `skipped` for a listing that cannot be read.
fn read_listing(out_dir: &Path, skipped: &mut Vec<String>) -> Option<BTreeSet<String>> {
    let path = out_dir.join(crate::batch::LISTING);
    if !path.exists() {
        return None;
    }
    let listing: Result<crate::batch::Listing> =
        read_json(&path, MAX_RESULT_BYTES, "a batch listing");
    match listing {
        Ok(l) => Some(l.cases.into_iter().collect()),
        Err(e) => {
            skipped.push(format!("{e}; every output is indexed"));
            None
        }
    }
}

/// The failure records of the cases whose last batch run failed (a
/// success removes its record); a line in `skipped` for each record that
/// cannot be read.
fn read_failures(out_dir: &Path, skipped: &mut Vec<String>) -> Vec<FailureRecord> {
    let Ok(entries) = std::fs::read_dir(out_dir.join(FAILURES)) else {
        return Vec::new();
    };
    // records only: not a killed write's hidden temporary, nor a file
    // browser's own
    let mut paths: Vec<PathBuf> = entries
        .filter_map(std::result::Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.') && name.ends_with(".json")
        })
        .map(|e| e.path())
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let record: Result<FailureRecord> = read_json(
            &path,
            crate::files::MAX_TEXT_BYTES,
            "a batch failure record",
        );
        match record {
            Ok(f) => out.push(f),
            Err(e) => skipped.push(e.to_string()),
        }
    }
    out.sort_by(|a, b| a.case.cmp(&b.case));
    out
}

/// The parts of metrics.json the index reads.
#[derive(Deserialize)]
struct AnalysisJson {
    case: String,
    #[serde(default)]
    client: Option<String>,
    #[serde(default)]
    treatment: Option<String>,
    #[serde(default)]
    inputs_sha256: Option<String>,
    #[serde(default)]
    treatments: Vec<Date>,
    #[serde(default)]
    claims: Vec<ClaimDigest>,
    #[serde(default)]
    series: Vec<SeriesJson>,
}

#[derive(Deserialize)]
struct SeriesJson {
    view: String,
    kind: String,
    #[serde(default)]
    sessions: Vec<SessionJson>,
}

#[derive(Deserialize)]
struct SessionJson {
    date: Date,
    #[serde(default)]
    acute_window: bool,
    alignment: StatusJson,
    quality: Option<StatusJson>,
    #[serde(default)]
    metrics: BTreeMap<String, MetricJson>,
}

#[derive(Deserialize)]
struct StatusJson {
    status: String,
    /// `"structure"` when a warn withholds only fine structure.
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Deserialize)]
struct MetricJson {
    #[serde(default)]
    change_pct: Option<f64>,
}

impl SessionJson {
    /// A claim on `topic` may rest on it, as the report's claims decide
    /// (`SessionResult::is_comparable_for`): aligned, quality ok (for
    /// redness also a warn that withholds fine structure only), outside the
    /// acute window.
    fn comparable_for(&self, topic: Topic) -> bool {
        let quality_ok = self.quality.as_ref().is_some_and(|q| {
            q.status == "ok"
                || (topic.holds_on_a_softer_photo()
                    && q.status == "warn"
                    && q.scope.as_deref() == Some("structure"))
        });
        self.alignment.status == "ok" && quality_ok && !self.acute_window
    }
}

fn digest(dir: &Path, a: AnalysisJson) -> CaseDigest {
    let dates: BTreeSet<Date> = a
        .series
        .iter()
        .flat_map(|s| s.sessions.iter().map(|x| x.date))
        .collect();
    // a case with no treatment (a control client) joins no treatment's curve
    let first_treatment = a.treatments.first().copied();
    // an area measured two ways (a height map and a photometric set of one
    // view) is one treated area on a cohort curve: the height map, the
    // direct measurement, speaks for it
    let mut claims: Vec<&ClaimDigest> = a.claims.iter().collect();
    claims.sort_by_key(|c| c.kind != "height");
    let mut seen = BTreeSet::new();
    claims.retain(|c| seen.insert((c.view.as_str(), c.topic)));
    let changes = claims
        .into_iter()
        .filter_map(|c| {
            let s = a
                .series
                .iter()
                .find(|s| s.view == c.view && s.kind == c.kind)?;
            // a claim that states no percentage (redness of a baseline
            // excess too small for one) adds no point to the cohort curves
            let first = s.sessions.first()?.date;
            let points = s
                .sessions
                .iter()
                .filter(|x| c.change_pct.is_some() && x.comparable_for(c.topic))
                .filter_map(|x| {
                    let pct = if x.date == first {
                        Some(0.0)
                    } else {
                        x.metrics.get(&c.metric)?.change_pct
                    };
                    Some((x.date.days_after(first_treatment?), pct?))
                })
                .collect();
            Some(TopicChanges {
                view: c.view.clone(),
                topic: c.topic,
                metric: c.metric.clone(),
                points,
            })
        })
        .collect();
    CaseDigest {
        dir: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        case: a.case,
        client: a.client,
        treatment: a.treatment,
        first_visit: dates.first().copied(),
        last_visit: dates.last().copied(),
        first_treatment,
        visits: dates.len(),
        claims: a.claims,
        changes,
        acute_first: a
            .series
            .iter()
            .any(|s| s.sessions.first().is_some_and(|x| x.acute_window)),
    }
}

/// The path of a case's report relative to the index, as outcomes.csv
/// writes it: after `./` where the case's folder name begins like a
/// formula (`-2+3`), so the CSV writer's apostrophe is not needed and the
/// path stays one that exists.
fn report_path(dir: &str) -> String {
    if dir.starts_with(crate::report::FORMULA_START) {
        format!("./{dir}/report.html")
    } else {
        format!("{dir}/report.html")
    }
}

/// outcomes.csv: one row per client, view and topic.
#[must_use]
pub fn outcomes_csv(cases: &[CaseDigest]) -> String {
    let mut out = String::from('\u{feff}');
    out.push_str(
        "client,case,treatment,view,kind,topic,metric,first_treatment,from_visit,to_visit,\
         weeks_since_first_treatment,change,unit,change_pct,beyond_noise,sentence,report\r\n",
    );
    for c in cases {
        for k in &c.claims {
            let weeks = c
                .first_treatment
                .map(|f| format!("{:.1}", k.to.days_after(f) as f64 / 7.0))
                .unwrap_or_default();
            let fields = [
                c.client.clone().unwrap_or_default(),
                c.case.clone(),
                c.treatment.clone().unwrap_or_default(),
                k.view.clone(),
                k.kind.clone(),
                topic_id(k.topic),
                k.metric.clone(),
                c.first_treatment.map(|d| d.to_string()).unwrap_or_default(),
                k.from.to_string(),
                k.to.to_string(),
                weeks,
                significant(k.change),
                k.unit.clone(),
                k.change_pct.map(|p| format!("{p:.1}")).unwrap_or_default(),
                k.beyond_noise.to_string(),
                k.sentence.clone(),
                report_path(&c.dir),
            ];
            crate::report::push_row(&mut out, fields.into_iter());
        }
    }
    out
}

/// A value with at most 4 significant digits (a change is never known
/// better than its noise, which is a few percent of it at best).
fn significant(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 12);
    let s = format!("{v:.prec$}", prec = digits as usize);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The topic's id as metrics.json writes it (its serde name).
#[must_use]
pub fn topic_id(t: Topic) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_path_that_begins_like_a_formula_stays_a_path() {
        assert_eq!(report_path("anna"), "anna/report.html");
        assert_eq!(report_path("-2+3"), "./-2+3/report.html");
        let mut row = String::new();
        crate::report::push_row(&mut row, [report_path("=x")].into_iter());
        assert_eq!(row, "./=x/report.html\r\n");
    }

    #[test]
    fn significant_digits() {
        assert_eq!(significant(-99.999_999_999_999_99), "-100");
        assert_eq!(significant(-12.345_67), "-12.35");
        assert_eq!(significant(0.001_234_56), "0.001235");
        assert_eq!(significant(12_345.6), "12346");
        assert_eq!(significant(0.0), "0");
    }

    #[test]
    fn a_claim_without_a_percentage_adds_no_cohort_point() {
        let session = |date: &str, pct: f64| {
            format!(
                r#"{{"date": "{date}", "alignment": {{"status": "ok"}},
                    "quality": {{"status": "ok"}}, "metrics": {{
                    "colour.erythema_index_vs_control": {{"change_pct": {pct}}},
                    "texture.relative_roughness": {{"change_pct": {pct}}}}}}}"#
            )
        };
        let claim = |topic: &str, metric: &str, pct: &str| {
            format!(
                r#"{{"view": "cheek", "kind": "photo", "topic": "{topic}",
                    "metric": "{metric}", "from": "2026-01-12", "to": "2026-02-09", "change_pct": {pct},
                    "change": 1.0, "beyond_noise": true, "sentence": "s"}}"#
            )
        };
        let json = format!(
            r#"{{"case": "c", "baseline_date": "2026-01-12", "treatments": ["2026-01-12"],
                "claims": [{}, {}],
                "series": [{{"view": "cheek", "kind": "photo", "sessions": [{}, {}]}}]}}"#,
            claim("redness", "colour.erythema_index_vs_control", "null"),
            claim("texture", "texture.relative_roughness", "-10.0"),
            session("2026-01-12", 0.0),
            session("2026-02-09", -10.0),
        );
        let d = digest(Path::new("c"), serde_json::from_str(&json).unwrap());
        let points = |t: Topic| &d.changes.iter().find(|c| c.topic == t).unwrap().points;
        assert!(points(Topic::Redness).is_empty());
        assert_eq!(points(Topic::Texture), &vec![(0, 0.0), (28, -10.0)]);

        // treated four weeks after the first visit: that visit is at −28 days
        let late = json.replace(
            r#""treatments": ["2026-01-12"]"#,
            r#""treatments": ["2026-02-09"]"#,
        );
        let d = digest(Path::new("c"), serde_json::from_str(&late).unwrap());
        assert_eq!(d.first_treatment, Date::parse("2026-02-09"));
        let points = |t: Topic| &d.changes.iter().find(|c| c.topic == t).unwrap().points;
        assert_eq!(points(Topic::Texture), &vec![(-28, 0.0), (0, -10.0)]);
        assert_eq!(cohort::bin_of(-28), -4);

        // a control client (`treatments = []`): no first treatment, no
        // point on a treatment's curve, no weeks in outcomes.csv
        let untreated = json.replace(r#""treatments": ["2026-01-12"]"#, r#""treatments": []"#);
        let d = digest(Path::new("c"), serde_json::from_str(&untreated).unwrap());
        assert_eq!(d.first_treatment, None);
        assert!(d.changes.iter().all(|c| c.points.is_empty()));
        assert!(cohort::curves(std::slice::from_ref(&d)).is_empty());
        let page = page::html(std::slice::from_ref(&d), &[], &[], &[]);
        assert!(page.contains("no session listed"), "{page}");
        let csv = outcomes_csv(std::slice::from_ref(&d));
        let row = csv.lines().nth(1).unwrap();
        assert!(row.contains(",,2026-01-12,2026-02-09,,"), "{row}");
    }

    #[test]
    fn a_first_visit_in_the_acute_window_is_named_as_why_nothing_is_claimed() {
        let json = |acute: bool| {
            format!(
                r#"{{"case": "c", "treatments": ["2026-01-10", "2026-02-09"], "claims": [],
                    "series": [{{"view": "cheek", "kind": "photo", "sessions": [
                      {{"date": "2026-01-12", "acute_window": {acute},
                        "alignment": {{"status": "ok"}}, "quality": {{"status": "ok"}}}},
                      {{"date": "2026-03-09", "alignment": {{"status": "ok"}},
                        "quality": {{"status": "ok"}}}}]}}]}}"#
            )
        };
        let d = digest(Path::new("c"), serde_json::from_str(&json(true)).unwrap());
        assert!(d.acute_first);
        let page = page::html(std::slice::from_ref(&d), &[], &[], &[]);
        assert!(page.contains("after a session: not a reference"), "{page}");
        assert!(!page.contains("none yet"), "{page}");
        let d = digest(Path::new("c"), serde_json::from_str(&json(false)).unwrap());
        assert!(!d.acute_first);
        let page = page::html(std::slice::from_ref(&d), &[], &[], &[]);
        assert!(page.contains("none yet"), "{page}");
        assert!(!page.contains("not a reference"), "{page}");
    }

    #[test]
    fn an_area_measured_two_ways_is_one_treated_area_on_a_cohort_curve() {
        let session = |date: &str, pct: f64| {
            format!(
                r#"{{"date": "{date}", "alignment": {{"status": "ok"}},
                    "quality": {{"status": "ok"}}, "metrics": {{
                    "scars.tracked_depth_um": {{"change_pct": {pct}}}}}}}"#
            )
        };
        let claim = |kind: &str| {
            format!(
                r#"{{"view": "cheek", "kind": "{kind}", "topic": "scar_depth",
                    "metric": "scars.tracked_depth_um", "from": "2026-01-12", "to": "2026-02-09",
                    "change_pct": -20.0, "change": -1.0, "beyond_noise": true, "sentence": "s"}}"#
            )
        };
        let series = |kind: &str, pct: f64| {
            format!(
                r#"{{"view": "cheek", "kind": "{kind}", "sessions": [{}, {}]}}"#,
                session("2026-01-12", 0.0),
                session("2026-02-09", pct)
            )
        };
        // the photometric set's claim first, as analyze may list it
        let json = format!(
            r#"{{"case": "c", "baseline_date": "2026-01-12", "treatments": ["2026-01-12"],
                "claims": [{}, {}], "series": [{}, {}]}}"#,
            claim("photometric"),
            claim("height"),
            series("photometric", -30.0),
            series("height", -20.0),
        );
        let d = digest(Path::new("c"), serde_json::from_str(&json).unwrap());
        assert_eq!(d.changes.len(), 1);
        assert_eq!(d.changes[0].points, vec![(0, 0.0), (28, -20.0)]);
        let curves = cohort::curves(std::slice::from_ref(&d));
        assert_eq!(curves[0].units, 1);
        // both claims stay in the client's row, each naming its instrument
        assert_eq!(d.claims.len(), 2);
        let page = page::html(std::slice::from_ref(&d), &[], &[], &[]);
        assert!(page.contains("Scar depth (3D camera) −20%"), "{page}");
        assert!(page.contains("Scar depth (photometric set) −20%"), "{page}");
        // two rows of one client's name say which case folder each is
        let mut other = d.clone();
        other.dir = "c-2025".into();
        let page = page::html(&[d, other], &[], &[], &[]);
        assert!(page.contains("<small>c</small>"), "{page}");
        assert!(page.contains("<small>c-2025</small>"), "{page}");
    }

    #[test]
    fn a_visit_warned_for_focus_alone_counts_for_redness_only() {
        // the follow-up is softer than the baseline: the report's redness
        // claim rests on it, its texture and spots' pigment claims do not;
        // the cohort agrees
        let json = r#"{"case": "c", "baseline_date": "2026-01-12", "treatments": ["2026-01-12"],
            "claims": [
              {"view": "cheek", "kind": "photo", "topic": "redness",
               "metric": "colour.erythema_index_vs_control", "from": "2026-01-12", "to": "2026-02-09", "change_pct": -20.0,
               "change": -2.0, "beyond_noise": true, "sentence": "s"},
              {"view": "cheek", "kind": "photo", "topic": "pigment",
               "metric": "colour.spot_melanin_excess", "from": "2026-01-12", "to": "2026-01-12", "change_pct": 0.0,
               "change": 0.0, "beyond_noise": false, "sentence": "s"},
              {"view": "cheek", "kind": "photo", "topic": "texture",
               "metric": "texture.relative_roughness", "from": "2026-01-12", "to": "2026-01-12", "change_pct": 0.0,
               "change": 0.0, "beyond_noise": false, "sentence": "s"}],
            "series": [{"view": "cheek", "kind": "photo", "sessions": [
              {"date": "2026-01-12", "alignment": {"status": "ok"}, "quality": {"status": "ok"},
               "metrics": {"colour.erythema_index_vs_control": {"change_pct": 0.0},
                           "colour.spot_melanin_excess": {"change_pct": 0.0},
                           "texture.relative_roughness": {"change_pct": 0.0}}},
              {"date": "2026-02-09", "alignment": {"status": "ok"},
               "quality": {"status": "warn", "scope": "structure"},
               "metrics": {"colour.erythema_index_vs_control": {"change_pct": -20.0},
                           "colour.spot_melanin_excess": {"change_pct": -25.0},
                           "texture.relative_roughness": {"change_pct": -30.0}}}]}]}"#;
        let d = digest(Path::new("c"), serde_json::from_str(json).unwrap());
        let points = |t: Topic| &d.changes.iter().find(|c| c.topic == t).unwrap().points;
        assert_eq!(points(Topic::Redness), &vec![(0, 0.0), (28, -20.0)]);
        assert_eq!(points(Topic::Pigment), &vec![(0, 0.0)]);
        assert_eq!(points(Topic::Texture), &vec![(0, 0.0)]);
    }
}
