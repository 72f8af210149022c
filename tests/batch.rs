//! `batch` over an archive, split into shards, resumed, and `index` over
//! the merged output: every case exactly once for any number of shards
//! (also with cases added between runs), unchanged cases skipped, changed
//! ones analysed again, a failing case recorded while the others go on, and
//! an index whose outcomes.csv a real CSV parser reads back.

mod common;

use assert_cmd::Command;
use common::tempdir;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn skintrack() -> Command {
    Command::cargo_bin("skintrack").unwrap()
}

/// A small phantom case (3 visits, 480×360) at `dir`.
fn phantom(dir: &Path, seed: u64) {
    let opts = skintrack::phantom::PhantomOptions {
        seed,
        sessions: 3,
        width: 480,
        height: 360,
        ..Default::default()
    };
    skintrack::phantom::generate(dir, &opts).unwrap();
}

/// A case whose only photo is not an image.
fn broken(dir: &Path) {
    std::fs::create_dir_all(dir.join("2026-01-12")).unwrap();
    std::fs::write(dir.join("2026-01-12/cheek.jpg"), b"not a photo").unwrap();
}

/// Runs `batch` and returns (exit code, case name → what happened).
fn batch(archive: &Path, out: &Path, shard: Option<&str>) -> (i32, BTreeMap<String, String>) {
    let mut cmd = skintrack();
    cmd.arg("batch").arg(archive).arg("-o").arg(out);
    if let Some(s) = shard {
        cmd.args(["--shard", s]);
    }
    let o = cmd.output().unwrap();
    let stdout = String::from_utf8(o.stdout).unwrap();
    let mut seen = BTreeMap::new();
    for line in stdout.lines().filter(|l| l.starts_with('[')) {
        // "[2/3] name: analysed in 1.2 s"
        let rest = line.split_once("] ").unwrap().1;
        let (name, what) = rest.split_once(": ").unwrap();
        let word = what
            .split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches(':')
            .to_string();
        assert!(
            seen.insert(name.to_string(), word).is_none(),
            "{name} twice in one run"
        );
    }
    // each failure is said again on stderr, where errors go, and nothing else is
    let stderr = String::from_utf8(o.stderr).unwrap();
    let said: Vec<&str> = stderr
        .lines()
        .map(|l| {
            l.strip_prefix("batch: case ")
                .unwrap_or_else(|| panic!("{l}"))
        })
        .map(|l| l.split_once(" failed: ").unwrap_or_else(|| panic!("{l}")).0)
        .collect();
    let failed: Vec<&str> = seen
        .iter()
        .filter(|(_, what)| *what == "FAILED")
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(said, failed, "{stderr}");
    (o.status.code().unwrap(), seen)
}

/// Every shard of `n`, merged: each case must appear in exactly one.
fn all_shards(archive: &Path, out: &Path, n: usize) -> (Vec<i32>, BTreeMap<String, String>) {
    let mut codes = Vec::new();
    let mut merged = BTreeMap::new();
    for i in 0..n {
        let (code, seen) = batch(archive, out, Some(&format!("{i}/{n}")));
        codes.push(code);
        for (name, what) in seen {
            assert!(
                merged.insert(name.clone(), what).is_none(),
                "{name} taken by two shards of {n}"
            );
        }
    }
    (codes, merged)
}

#[test]
fn shards_take_every_case_once_resume_skips_and_index_merges() {
    let root = tempdir();
    let archive = root.path().join("archive");
    let out = root.path().join("out");
    for (name, seed) in [("anna", 3), ("ben", 5), ("cleo", 8)] {
        phantom(&archive.join(name), seed);
    }
    broken(&archive.join("dora"));
    // neither a case nor an error: a folder of loose files
    std::fs::create_dir_all(archive.join("notes")).unwrap();
    std::fs::write(archive.join("notes/readme.txt"), "hello").unwrap();

    // three shards: every case exactly once; only dora's shard fails
    let (codes, seen) = all_shards(&archive, &out, 3);
    let names: Vec<&str> = seen.keys().map(String::as_str).collect();
    assert_eq!(names, ["anna", "ben", "cleo", "dora"]);
    assert_eq!(seen["anna"], "analysed");
    assert_eq!(seen["dora"], "FAILED");
    // dora's shard alone exits 1
    assert_eq!(codes.iter().filter(|&&c| c == 1).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|&c| c <= 1), "{codes:?}");
    assert!(out.join("batch-failures/dora.json").is_file());
    let first = std::fs::read(out.join("anna/metrics.json")).unwrap();

    // cases added while a job array of a different count runs (its first
    // task done, the others not yet started): no case is taken twice or
    // left out; a new case falls to a task that has not run or waits
    let (_, mut seen) = batch(&archive, &out, Some("0/4"));
    phantom(&archive.join("aaron"), 11);
    phantom(&archive.join("carl"), 13);
    for i in 1..4 {
        for (name, what) in batch(&archive, &out, Some(&format!("{i}/4"))).1 {
            assert!(seen.insert(name.clone(), what).is_none(), "{name} twice");
        }
    }
    for name in ["anna", "ben", "cleo"] {
        assert_eq!(seen[name], "up", "{name} should be up to date");
    }
    assert_eq!(seen["dora"], "FAILED");
    for name in ["aaron", "carl"] {
        assert!(seen.get(name).is_none_or(|w| w == "analysed"), "{name}");
    }
    // the next run of the array takes what the first task could not see
    let (_, seen) = all_shards(&archive, &out, 4);
    assert_eq!(seen.len(), 6);
    for name in ["aaron", "carl"] {
        assert!(out.join(name).join("metrics.json").is_file(), "{name}");
    }
    for name in ["anna", "ben", "cleo"] {
        assert_eq!(seen[name], "up", "{name} should be up to date");
    }
    assert_eq!(std::fs::read(out.join("anna/metrics.json")).unwrap(), first);

    // a changed input (case.toml names the client) is analysed again
    let toml = archive.join("ben/case.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let renamed = text.replace("client = \"Phantom 5\"", "client = \"Ben B\"");
    assert_ne!(renamed, text);
    std::fs::write(&toml, renamed).unwrap();
    // dora mended: its failure record goes
    std::fs::remove_dir_all(archive.join("dora")).unwrap();
    phantom(&archive.join("dora"), 14);
    let (code, seen) = batch(&archive, &out, None);
    assert_eq!(code, 0);
    assert_eq!(seen["ben"], "analysed");
    assert_eq!(seen["dora"], "analysed");
    assert_eq!(seen["cleo"], "up");
    assert!(!out.join("batch-failures/dora.json").exists());

    // the index over the merged output
    skintrack().arg("index").arg(&out).assert().success();
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    for name in ["aaron", "anna", "ben", "carl", "cleo", "dora"] {
        assert!(
            html.contains(&format!("href=\"{name}/report.html\"")),
            "{name}"
        );
        assert!(out.join(name).join("report.html").is_file());
    }
    assert!(html.contains("Ben B"));
    for fetch in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(fetch), "offline: {fetch}");
    }
    let bytes = std::fs::read(out.join("outcomes.csv")).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 BOM");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // one row per client, view and topic: the claims of every metrics.json
    let mut claims = 0;
    for name in ["aaron", "anna", "ben", "carl", "cleo", "dora"] {
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join(name).join("metrics.json")).unwrap())
                .unwrap();
        let list = json["claims"].as_array().unwrap();
        for claim in list {
            let row = rows
                .iter()
                .find(|r| {
                    r[col("case")] == *name
                        && r[col("view")] == *claim["view"].as_str().unwrap()
                        && r[col("kind")] == *claim["kind"].as_str().unwrap()
                        && r[col("topic")] == *claim["topic"].as_str().unwrap()
                })
                .unwrap_or_else(|| panic!("{name}: {claim} missing from outcomes.csv"));
            // the sentence (commas and all) survives the quoting
            assert_eq!(&row[col("sentence")], claim["sentence"].as_str().unwrap());
            assert_eq!(&row[col("from_visit")], claim["from"].as_str().unwrap());
            if let Some(p) = claim["change_pct"].as_f64() {
                let csv_pct: f64 = row[col("change_pct")].parse().unwrap();
                assert!((csv_pct - p).abs() <= 0.05 + 1e-9, "{csv_pct} vs {p}");
            }
        }
        claims += list.len();
    }
    assert!(claims > 0);
    assert_eq!(rows.len(), claims);
    // the index does not depend on when or in what order shards finished
    skintrack().arg("index").arg(&out).assert().success();
    assert_eq!(
        std::fs::read_to_string(out.join("index.html")).unwrap(),
        html
    );
}

/// Runs `batch ARCHIVE -o OUT ARGS…`, which must exit 2 with one line on
/// stderr; that line.
fn refused(archive: &Path, out: &Path, args: &[&str]) -> String {
    let o = skintrack()
        .arg("batch")
        .arg(archive)
        .arg("-o")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

#[test]
fn bad_batch_usage_exits_2_with_one_line() {
    let root = tempdir();
    let archive = root.path().join("archive");
    std::fs::create_dir_all(&archive).unwrap();
    let out = root.path().join("out");
    for (args, says) in [(["--shard", "3/3"], "shard"), (["--shard", "x"], "I/N")] {
        let err = refused(&archive, &out, &args);
        assert!(err.contains(says), "{err}");
    }
    // an output folder inside the archive would become a case of it
    let err = refused(&archive, &archive.join("out"), &[]);
    assert!(err.contains("inside the archive"), "{err}");
    // one case's output (analyze or depth) is not a batch output: index
    // would refuse it
    let marked = root.path().join("marked");
    std::fs::create_dir_all(&marked).unwrap();
    std::fs::write(marked.join(skintrack::output::MARKER), b"").unwrap();
    let err = refused(&archive, &marked, &[]);
    assert!(err.contains("the output of one case"), "{err}");
    // a missing archive names itself
    let err = refused(&root.path().join("nowhere"), &out, &[]);
    assert!(err.contains("nowhere"), "{err}");
    // one case given for an archive: it says so, instead of "0 cases"
    let one = root.path().join("one");
    phantom(&one, 3);
    let err = refused(&one, &out, &[]);
    assert!(
        err.contains("is one case") && err.contains("skintrack analyze"),
        "{err}"
    );
    // an output folder that is a file, or inside one
    let file = root.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    for out in [file.clone(), file.join("sub")] {
        let err = refused(&archive, &out, &[]);
        assert!(err.contains("is a file"), "{err}");
    }
    // a batch output whose every case failed: failure records, no case
    let failed = root.path().join("failed");
    std::fs::create_dir_all(failed.join("batch-failures")).unwrap();
    std::fs::write(failed.join("batch-failures/x.json"), b"{}").unwrap();
    let err = refused(&failed, &out, &[]);
    assert!(err.contains("outputs of skintrack"), "{err}");
    // a batch output given as the archive: its folders are outputs, not cases
    let shelf = root.path().join("shelf");
    skintrack()
        .arg("analyze")
        .arg(&one)
        .arg("-o")
        .arg(shelf.join("one"))
        .assert()
        .success();
    let err = refused(&shelf, &root.path().join("again"), &[]);
    assert!(err.contains("outputs of skintrack"), "{err}");
    assert!(!root.path().join("again").exists());
    // index leaves a folder alone whose index.html it did not write
    let foreign = root.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("index.html"), "my own page").unwrap();
    let o = skintrack().arg("index").arg(&foreign).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(foreign.join("index.html")).unwrap(),
        "my own page"
    );
    // its own page, in a folder with no case yet, it writes again
    let empty = root.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    for _ in 0..2 {
        skintrack().arg("index").arg(&empty).assert().success();
    }
}

#[test]
fn each_case_is_one_line_naming_captures_left_out() {
    let root = tempdir();
    let archive = root.path().join("archive");
    // a follow-up photo cut in half: left out, the case still analysed
    phantom(&archive.join("cut"), 3);
    let photo = archive.join("cut/2026-04-13/cheek.jpg");
    let bytes = std::fs::read(&photo).unwrap();
    std::fs::write(&photo, &bytes[..bytes.len() / 2]).unwrap();
    // a folder name with a newline and an escape
    phantom(&archive.join("new\nline\u{1b}[2J"), 5);
    // a visit dated in the future: its line says there are dates to check
    phantom(&archive.join("dated"), 7);
    let last = std::fs::read_dir(archive.join("dated"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .max()
        .unwrap();
    std::fs::rename(&last, archive.join("dated/2099-04-13")).unwrap();
    let o = skintrack()
        .arg("batch")
        .arg(&archive)
        .arg("-o")
        .arg(root.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let stdout = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    let cut = lines.iter().find(|l| l.contains("] cut: ")).unwrap();
    assert!(cut.contains("1 of 6 captures left out"), "{cut}");
    assert!(!cut.contains("to check"), "{cut}");
    let dated = lines.iter().find(|l| l.contains("] dated: ")).unwrap();
    assert!(
        dated.contains("; 1 date to check (its report lists them)"),
        "{dated}"
    );
    assert!(!dated.contains("left out"), "{dated}");
    assert!(!stdout.contains('\u{1b}'), "{stdout}");
    assert!(
        lines.iter().any(|l| l.contains("new\\nline\\u{1b}")),
        "{stdout}"
    );
    assert!(
        lines[3].starts_with("3 cases in this archive, 0 failed"),
        "{stdout}"
    );
}

#[test]
fn index_reads_large_results_and_names_what_it_cannot_read() {
    // a finished case's metrics.json of many views and visits passes 1 MiB
    // (the cap of a hand-written text input); one that is not a file is a
    // case left out with a warning, never one that silently vanishes
    let root = tempdir();
    let archive = root.path().join("archive");
    for (name, seed) in [("ann", 3), ("bob", 5)] {
        phantom(&archive.join(name), seed);
    }
    let out = root.path().join("out");
    let (code, _) = batch(&archive, &out, None);
    assert_eq!(code, 0);
    let json = out.join("ann/metrics.json");
    let mut text = std::fs::read_to_string(&json).unwrap();
    text.push_str(&" ".repeat(2 << 20));
    std::fs::write(&json, text).unwrap();
    std::fs::remove_file(out.join("bob/metrics.json")).unwrap();
    std::fs::create_dir(out.join("bob/metrics.json")).unwrap();
    let o = skintrack().arg("index").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(
        stdout.contains("indexed 1 finished case and 0 failed"),
        "{stdout}"
    );
    assert!(
        stderr.contains("bob") && stderr.contains("metrics.json") && stderr.contains("left out"),
        "{stderr}"
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("ann/report.html"),
        "the large case is indexed"
    );
    // and a batch run sees the large case as finished, not to be redone
    let (code, seen) = batch(&archive, &out, None);
    assert_eq!(code, 0);
    assert!(seen["ann"].starts_with("up"), "{seen:?}");
}

#[test]
fn reserved_names_a_closed_stdout_and_a_missing_report_are_handled() {
    let root = tempdir();
    let archive = root.path().join("archive");
    for (name, seed) in [("index.html", 3), ("Outcomes.CSV", 5), ("good", 8)] {
        phantom(&archive.join(name), seed);
    }
    broken(&archive.join("zbad"));
    let out = root.path().join("out");
    // cases named as the index's own files would make the output
    // impossible to index: failed with the reason, the others go on
    let (code, seen) = batch(&archive, &out, None);
    assert_eq!(code, 1);
    assert_eq!(seen["good"], "analysed", "{seen:?}");
    for name in ["index.html", "Outcomes.CSV", "zbad"] {
        assert_eq!(seen[name], "FAILED", "{seen:?}");
    }
    let record = std::fs::read_to_string(out.join("batch-failures/index.html.json")).unwrap();
    assert!(record.contains("rename the folder"), "{record}");
    // a failure record that cannot be read is named, not dropped unseen
    std::fs::write(out.join("batch-failures/junk.json"), b"{ not json").unwrap();
    let o = skintrack().arg("index").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(out.join("index.html").is_file() && out.join("outcomes.csv").is_file());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("junk.json") && err.contains("left out of the index"),
        "{err}"
    );

    // index writes only into a batch output: not into the archive, a case
    // folder or one case's output
    for not_batch in [archive.clone(), archive.join("good"), out.join("good")] {
        let o = skintrack().arg("index").arg(&not_batch).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", not_batch.display());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("not the output folder of `skintrack batch`"),
            "{err}"
        );
        assert!(!not_batch.join("index.html").is_file(), "nothing written");
    }

    // a reader that closes stdout at once stops the lines, not the work:
    // every case is done and the exit code still says one failed
    std::fs::remove_file(out.join("good/report.html")).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("skintrack"))
        .arg("batch")
        .arg(&archive)
        .arg("-o")
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    // the deleted report was not taken for a finished output
    assert!(out.join("good/report.html").is_file());
    // a killed run's staging folder beside a case that is up to date goes
    // once it is stale; a fresh one may be another run's at work and stays
    let stale = out.join(".good.skintrack-new-99999");
    let fresh = out.join(".good.skintrack-new-99998");
    std::fs::create_dir(&stale).unwrap();
    std::fs::create_dir(&fresh).unwrap();
    common::make_stale(&stale);
    let (_, seen) = batch(&archive, &out, None);
    assert!(seen["good"].starts_with("up"), "{seen:?}");
    assert!(!stale.exists());
    assert!(fresh.is_dir());
    std::fs::remove_dir(&fresh).unwrap();
    // a case that fails after it was analysed once: its older output no
    // longer speaks for its inputs, so the index lists it as failed
    let mut visits: Vec<std::path::PathBuf> = std::fs::read_dir(archive.join("good"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    visits.sort();
    let photo = visits[0].join("cheek.jpg");
    let kept = std::fs::read(&photo).unwrap();
    std::fs::write(&photo, b"not a photo").unwrap();
    let (_, seen) = batch(&archive, &out, None);
    assert_eq!(seen["good"], "FAILED", "{seen:?}");
    let o = skintrack().arg("index").arg(&out).output().unwrap();
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("indexed 0 finished cases and 4 failed"),
        "{said}"
    );
    let csv = std::fs::read_to_string(out.join("outcomes.csv")).unwrap();
    assert!(!csv.contains("good/report.html"), "{csv}");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("cheek.jpg"), "the failure's reason is listed");
    // mended and analysed again by hand: the output newer than the
    // failure record stands
    std::fs::write(&photo, kept).unwrap();
    let o = skintrack()
        .arg("analyze")
        .arg(archive.join("good"))
        .arg("-o")
        .arg(out.join("good"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let o = skintrack().arg("index").arg(&out).output().unwrap();
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("indexed 1 finished case and 3 failed"),
        "{said}"
    );
}

// Linux: macOS and Windows file systems refuse such names themselves
#[cfg(target_os = "linux")]
#[test]
fn case_names_that_are_not_utf8_fail_instead_of_sharing_an_output() {
    use std::os::unix::ffi::OsStrExt as _;
    let root = tempdir();
    let archive = root.path().join("archive");
    for (k, seed) in [(0xFFu8, 3), (0xFE, 5)] {
        let bytes = [b'b', b'a', b'd', k];
        phantom(&archive.join(std::ffi::OsStr::from_bytes(&bytes)), seed);
    }
    let out = root.path().join("out");
    let o = skintrack()
        .arg("batch")
        .arg(&archive)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(stdout.matches("not valid UTF-8").count(), 2, "{stdout}");
    assert!(!out.join("bad\u{FFFD}").exists(), "no shared output folder");
    // each keeps a failure record of its own
    for record in ["bad%FF.json", "bad%FE.json"] {
        assert!(
            out.join("batch-failures").join(record).is_file(),
            "{record}"
        );
    }
}

/// Two clients, ann and bob, analysed by batch: (the folder holding it
/// all, the archive, the output folder).
fn two_clients_analysed() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = tempdir();
    let archive = root.path().join("archive");
    phantom(&archive.join("ann"), 3);
    phantom(&archive.join("bob"), 5);
    let out = root.path().join("out");
    assert_eq!(batch(&archive, &out, None).0, 0);
    (root, archive, out)
}

#[test]
fn a_renamed_case_is_one_client_in_the_index() {
    let (_root, archive, out) = two_clients_analysed();
    std::fs::rename(archive.join("ann"), archive.join("ann b")).unwrap();
    let (code, seen) = batch(&archive, &out, None);
    assert_eq!((code, seen["ann b"].as_str()), (0, "analysed"));
    // the old output stays (batch removes nothing) but counts once
    assert!(out.join("ann/metrics.json").is_file());
    let o = skintrack().arg("index").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("the same inputs as"), "{stderr}");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("href=\"ann%20b/report.html\""),
        "renamed case listed"
    );
    assert!(
        !html.contains("href=\"ann/report.html\""),
        "old output listed"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("indexed 2 finished cases"));

    // a new visit after the rename (other inputs now) and a client removed
    // from the archive: the outputs of case folders gone are left out
    let visit = archive.join("ann b/2026-05-11");
    std::fs::create_dir_all(&visit).unwrap();
    std::fs::copy(
        archive.join("ann b/2026-04-13/cheek.jpg"),
        visit.join("cheek.jpg"),
    )
    .unwrap();
    std::fs::remove_dir_all(archive.join("bob")).unwrap();
    assert_eq!(batch(&archive, &out, None).0, 0);
    let o = skintrack().arg("index").arg(&out).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    for gone in ["ann", "bob"] {
        let said = format!("{gone}: its case folder was not in the archive");
        assert!(stderr.contains(&said), "{gone}: {stderr}");
    }
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("href=\"ann%20b/report.html\""));
    for gone in ["ann", "bob"] {
        assert!(
            !html.contains(&format!("href=\"{gone}/report.html\"")),
            "{gone}"
        );
    }
    assert!(String::from_utf8_lossy(&o.stdout).contains("indexed 1 finished case"));

    // index never writes over a page it did not write, cases or none
    let foreign = "<html>the clinic's home page</html>";
    std::fs::write(out.join("index.html"), foreign).unwrap();
    let o = skintrack().arg("index").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("not written by skintrack index"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("index.html")).unwrap(),
        foreign
    );
}

#[test]
fn index_leaves_out_an_output_whose_report_was_removed() {
    let (_root, _, out) = two_clients_analysed();
    std::fs::remove_file(out.join("bob/report.html")).unwrap();
    let o = skintrack().arg("index").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("has no report.html"), "{stderr}");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(!html.contains("href=\"bob/report.html\""));
    assert!(html.contains("href=\"ann/report.html\""));
}

/// A case whose first photo the quality gate rejects fails in a batch as it
/// does in `analyze` (no usable baseline), with its reason recorded, and
/// the other cases go on.
#[test]
fn a_case_without_a_usable_first_photo_fails_and_the_others_go_on() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("archive");
    phantom(&archive.join("ann"), 1);
    phantom(&archive.join("bea"), 2);
    // bea's first photo washed out: most of it clipped
    let mut visits: Vec<_> = std::fs::read_dir(archive.join("bea"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    visits.sort();
    let first = visits[0].join("cheek.jpg");
    let mut img = image::open(&first).unwrap().into_rgb8();
    for v in img.iter_mut() {
        *v = v.saturating_mul(3);
    }
    img.save(&first).unwrap();
    let out = tmp.path().join("out");
    let (code, seen) = batch(&archive, &out, None);
    assert_eq!(code, 1, "{seen:?}");
    assert_eq!(seen["ann"], "analysed", "{seen:?}");
    assert_eq!(seen["bea"], "FAILED", "{seen:?}");
    let record = std::fs::read_to_string(out.join("batch-failures/bea.json")).unwrap();
    assert!(
        record.contains("first visit's capture is not usable"),
        "{record}"
    );
    // run again: ann is up to date, bea is not taken as such and fails again
    let (code, seen) = batch(&archive, &out, None);
    assert_eq!(code, 1, "{seen:?}");
    assert_eq!(seen["ann"], "up", "{seen:?}"); // "up to date"
    assert_eq!(seen["bea"], "FAILED", "{seen:?}");
    assert!(out.join("batch-failures/bea.json").is_file());
}
