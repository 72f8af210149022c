//! `skintrack batch`: every case of an archive, one after the other, into
//! one output folder, so that a clinic's whole archive (or a shard of it,
//! one per Slurm array task or Kubernetes Job index) is one command.
//!
//! - A **case** is a direct subfolder of the archive holding a `case.toml`
//!   or at least one subfolder (its sessions); hidden folders are not cases.
//! - **Shards**: a case belongs to shard `h mod N`, where `h` is the FNV-1a
//!   hash of its folder's name. N processes with `--shard 0/N … N-1/N`
//!   take every case exactly once, with no coordinator, and a case's shard
//!   depends on its name alone: a case added while an array's tasks start
//!   hours apart moves no other case (by position in name order, an added
//!   `case-0new` moved every later case one shard on, and some were done by
//!   no task).
//! - **Resume**: a case whose finished output (`OUT/CASE/metrics.json`)
//!   names the same skintrack version and the same inputs hash (every file
//!   the case reads, and its case.toml) is skipped.
//! - **Failures** are recorded in `OUT/batch-failures/CASE.json` (removed
//!   again once the case succeeds) and the next case goes on; the exit
//!   code says whether any case failed.

use crate::error::{Error, Result};
use crate::output;
use crate::pipeline::{self, AnalyzeOptions};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The folder of `OUT_DIR` holding one record per failed case.
pub const FAILURES: &str = "batch-failures";

/// The file of `OUT_DIR` naming every case of the archive at the last
/// batch run (any shard): the index leaves out outputs whose case folder
/// is gone (renamed or removed) and failure records of such cases.
pub const LISTING: &str = ".batch-cases.json";

/// What [`LISTING`] holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    /// The archive's case folders, as their outputs are named.
    pub cases: Vec<String>,
}

/// `--shard I/N`: this process takes the cases whose name hashes to `I mod N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub index: usize,
    /// How many shards there are.
    pub count: usize,
}

impl Shard {
    /// The whole archive.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` with `0 ≤ I < N`.
    ///
    /// # Errors
    /// A sentence saying what is wrong (for clap).
    pub fn parse(s: &str) -> std::result::Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("'{s}' is not I/N (e.g. 0/4)"))?;
        let parse = |v: &str, what: &str| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| format!("the {what} in '{s}' is not a whole number"))
        };
        let (index, count) = (parse(i, "shard index")?, parse(n, "shard count")?);
        if count == 0 || index >= count {
            return Err(format!(
                "shard '{s}': I must be from 0 to N−1 and N at least 1"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether the case whose folder is named `name` is this shard's: the
    /// 64-bit FNV-1a hash of the name's bytes, mod N (the same on every
    /// machine and for every listing of the archive).
    #[must_use]
    pub fn takes(self, name: &std::ffi::OsStr) -> bool {
        let hash = name
            .as_encoded_bytes()
            .iter()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
        hash % self.count as u64 == self.index as u64
    }
}

/// The cases of `archive`, sorted by folder name (byte order).
///
/// # Errors
/// [`Error::Read`] when the archive cannot be listed, [`Error::Usage`] when
/// it is one case or a folder of skintrack outputs.
pub fn list_cases(archive: &Path) -> Result<Vec<PathBuf>> {
    let read = |p: &Path| {
        std::fs::read_dir(p).map_err(|source| Error::Read {
            path: p.to_path_buf(),
            source,
        })
    };
    let folders: Vec<PathBuf> = read(archive)?
        .filter_map(std::result::Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.is_dir() && looks_like_case(p))
        .collect();
    // a case's output (analyze wrote it) is not a case
    let (outputs, mut cases): (Vec<PathBuf>, Vec<PathBuf>) = folders
        .into_iter()
        .partition(|p| p.join(output::MARKER).is_file());
    if cases.is_empty() && (!outputs.is_empty() || archive.join(FAILURES).is_dir()) {
        return Err(Error::usage(format!(
            "{} holds the outputs of skintrack batch or analyze, not case folders: give batch the archive of cases",
            archive.display(),
        )));
    }
    cases.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    if cases.is_empty() && is_one_case(archive) {
        return Err(Error::case(
            archive,
            "is one case (it has case.toml or visit folders), not an archive of cases: analyse it with `skintrack analyze`, or put it in a folder of its own",
        ));
    }
    Ok(cases)
}

/// A case folder itself: a `case.toml`, or a subfolder named as a date.
fn is_one_case(dir: &Path) -> bool {
    dir.join("case.toml").is_file()
        || std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.filter_map(std::result::Result::ok).any(|e| {
                e.path().is_dir()
                    && crate::date::Date::parse(&e.file_name().to_string_lossy()).is_some()
            })
        })
}

/// A `case.toml`, or a subfolder that is not hidden (a session).
fn looks_like_case(dir: &Path) -> bool {
    dir.join("case.toml").is_file()
        || std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .filter_map(std::result::Result::ok)
                .any(|e| !e.file_name().to_string_lossy().starts_with('.') && e.path().is_dir())
        })
}

/// What happened to one case.
#[derive(Clone, Debug, PartialEq)]
pub enum CaseOutcome {
    /// Analysed now, in this many seconds.
    Analysed {
        /// Wall time.
        seconds: f64,
        /// Its session captures.
        captures: usize,
        /// Of them, left out (not aligned, or rejected by the gate).
        left_out: usize,
        /// Warnings about its visits' dates (metrics.json's
        /// `date_warnings`), which the batch's one line counts.
        date_warnings: usize,
    },
    /// Its finished output is up to date.
    Skipped,
    /// It failed; the reason is recorded.
    Failed {
        /// One line.
        reason: String,
    },
}

/// A failed case's record (`OUT/batch-failures/CASE.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailureRecord {
    /// The case folder's name.
    pub case: String,
    /// One line naming the file and what is wrong.
    pub reason: String,
    /// The skintrack version that tried.
    pub version: String,
}

/// The result of one `batch` run.
#[derive(Debug, Default)]
pub struct Summary {
    /// (case name, outcome) in name order, this shard's cases only.
    pub cases: Vec<(String, CaseOutcome)>,
}

impl Summary {
    /// How many cases failed.
    #[must_use]
    pub fn failed(&self) -> usize {
        self.cases
            .iter()
            .filter(|(_, o)| matches!(o, CaseOutcome::Failed { .. }))
            .count()
    }
}

/// Analyses this shard's cases of `archive` into `out_dir/CASE_NAME/`,
/// calling `report(position, total, name, outcome)` after each.
///
/// # Errors
/// Only archive-level problems (it cannot be listed, the output folder is
/// inside it or cannot be made); a case's failure is in the summary.
pub fn run(
    archive: &Path,
    out_dir: &Path,
    shard: Shard,
    opts: &AnalyzeOptions,
    mut report: impl FnMut(usize, usize, &str, &CaseOutcome),
) -> Result<Summary> {
    // the folder the path names (`missing/../x` is `x`), made when needed
    let out_dir = &check_out_dir(archive, out_dir)?;
    let all = list_cases(archive)?;
    let mine: Vec<&PathBuf> = all
        .iter()
        .filter(|p| shard.takes(p.file_name().unwrap_or_default()))
        .collect();
    output::ensure_dir(out_dir)?;
    let listing = Listing {
        cases: all
            .iter()
            .map(|p| escaped(p.file_name().unwrap_or_default()))
            .collect(),
    };
    output::write_json(&out_dir.join(LISTING), &listing)?;
    let mut summary = Summary::default();
    for (position, case_dir) in mine.iter().enumerate() {
        let raw = case_dir.file_name().unwrap_or_default();
        let name = escaped(raw);
        let outcome = match reserved(raw) {
            Some(why) => CaseOutcome::Failed {
                // the name as written in the line (`%XX` for bytes that are not UTF-8)
                reason: format!(
                    "{}: {why}; rename the folder",
                    case_dir.with_file_name(&name).display()
                ),
            },
            None => {
                let failed_before = failure_record(out_dir, &name).exists();
                one_case(case_dir, &out_dir.join(&name), failed_before, opts)
            }
        };
        record(out_dir, &name, &outcome)?;
        report(position, mine.len(), &name, &outcome);
        summary.cases.push((name, outcome));
    }
    Ok(summary)
}

/// A case folder's name as text: itself where it is UTF-8; otherwise with
/// its other bytes written `%XX` (and `%` as `%25`), so two such names stay
/// two (for their failure records and lines).
fn escaped(name: &std::ffi::OsStr) -> String {
    if let Some(text) = name.to_str() {
        return text.to_string();
    }
    let mut text = String::new();
    for chunk in name.as_encoded_bytes().utf8_chunks() {
        text.push_str(&chunk.valid().replace('%', "%25"));
        for b in chunk.invalid() {
            text.push_str(&format!("%{b:02X}"));
        }
    }
    text
}

/// Why a case folder's name cannot name its output folder, if it cannot:
/// the names batch and index write beside the cases (in any case of
/// letters: a clinic's share may not tell them apart), and names that are
/// not valid UTF-8 (two of them could map to one output folder).
fn reserved(name: &std::ffi::OsStr) -> Option<String> {
    let Some(name) = name.to_str() else {
        return Some(
            "the folder's name is not valid UTF-8, which the output folders and the index need"
                .into(),
        );
    };
    let (_, what) = [
        (FAILURES, "where batch keeps its failure records"),
        (crate::index::INDEX, "the clinic index's page"),
        (crate::index::OUTCOMES, "the clinic index's table"),
    ]
    .into_iter()
    .find(|(kept, _)| kept.eq_ignore_ascii_case(name))?;
    Some(format!("the name {name} is {what} in the output folder"))
}

/// Refuses an output folder inside the archive (its cases would become
/// cases of the next run) or one that is one case's output; the folder it
/// names, resolved.
fn check_out_dir(archive: &Path, out_dir: &Path) -> Result<PathBuf> {
    let meta = std::fs::metadata(archive).map_err(|source| Error::Read {
        path: archive.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(Error::case(archive, "not a folder of case folders"));
    }
    let real_archive = std::fs::canonicalize(archive).map_err(|source| Error::Read {
        path: archive.to_path_buf(),
        source,
    })?;
    let real_out = output::resolve_ahead(out_dir);
    // the folder, or the nearest of its parents that exists, is a file
    if let Some(file) = real_out
        .ancestors()
        .find(|p| p.exists())
        .filter(|p| !p.is_dir())
    {
        return Err(Error::usage(format!(
            "the output folder {}: {} is a file, not a folder",
            out_dir.display(),
            file.display()
        )));
    }
    if real_out.join(output::MARKER).is_file() {
        return Err(Error::usage(format!(
            "the output folder {} is the output of one case (analyze or depth); give batch a folder of its own",
            out_dir.display()
        )));
    }
    if real_out.starts_with(&real_archive) {
        return Err(Error::usage(format!(
            "the output folder {} is inside the archive {}; write it beside the archive",
            out_dir.display(),
            archive.display()
        )));
    }
    Ok(real_out)
}

/// Analyses one case unless its finished output is up to date; a panic is
/// a failure of this case, not of the batch. A case that `failed_before`
/// with its outputs written (a view without a usable baseline) is analysed
/// again, not skipped as up to date: it fails again until its inputs
/// change, and its record stays.
fn one_case(
    case_dir: &Path,
    out: &Path,
    failed_before: bool,
    opts: &AnalyzeOptions,
) -> CaseOutcome {
    let started = Instant::now();
    let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if !failed_before && up_to_date(case_dir, out)? {
            // what a run killed while redoing it left beside it
            output::remove_stale_staging(out);
            return Ok(None);
        }
        pipeline::analyze(case_dir, out, opts).map(Some)
    }));
    match attempt {
        Ok(Ok(None)) => CaseOutcome::Skipped,
        // as analyze says it: a view without a usable baseline fails the
        // case (its outputs are written and say why)
        Ok(Ok(Some(done))) if let Some(e) = done.unusable_baseline(case_dir) => {
            CaseOutcome::Failed {
                reason: e.to_string(),
            }
        }
        Ok(Ok(Some(done))) => {
            let (captures, measured) = done.measured();
            CaseOutcome::Analysed {
                seconds: started.elapsed().as_secs_f64(),
                captures,
                left_out: captures - measured,
                date_warnings: done.analysis.date_warnings.len(),
            }
        }
        Ok(Err(e)) => CaseOutcome::Failed {
            reason: e.to_string(),
        },
        Err(_) => CaseOutcome::Failed {
            reason: format!(
                "{}: skintrack stopped on an internal error (a bug: please report it with this case)",
                case_dir.display()
            ),
        },
    }
}

/// Whether `out` holds a finished analysis of exactly these inputs by this
/// version of skintrack.
fn up_to_date(case_dir: &Path, out: &Path) -> Result<bool> {
    let Some(done) = finished(out) else {
        return Ok(false);
    };
    if done.version != env!("CARGO_PKG_VERSION") {
        return Ok(false);
    }
    let case = crate::case::read_case(case_dir)?;
    Ok(case.inputs_sha256() == done.inputs_sha256)
}

/// What a finished output says about its inputs.
#[derive(Deserialize)]
struct Finished {
    version: String,
    inputs_sha256: String,
}

/// The version and inputs hash of the finished analysis in `out`, if any:
/// one whose report and tables are all there (a deleted report is made
/// again).
fn finished(out: &Path) -> Option<Finished> {
    let whole = [output::MARKER, crate::report::REPORT, "metrics.csv"]
        .iter()
        .all(|f| out.join(f).is_file());
    if !whole {
        return None;
    }
    let metrics = out.join("metrics.json");
    let text = crate::files::read_text_within(&metrics, crate::files::MAX_RESULT_BYTES).ok()?;
    serde_json::from_str(&text).ok()
}

/// Where the failure record of case `name` is kept in `out_dir`.
#[must_use]
pub fn failure_record(out_dir: &Path, name: &str) -> PathBuf {
    out_dir.join(FAILURES).join(format!("{name}.json"))
}

/// Writes or removes the case's failure record.
fn record(out_dir: &Path, name: &str, outcome: &CaseOutcome) -> Result<()> {
    let path = failure_record(out_dir, name);
    match outcome {
        CaseOutcome::Failed { reason } => {
            output::ensure_dir(&out_dir.join(FAILURES))?;
            let rec = FailureRecord {
                case: name.to_string(),
                reason: reason.clone(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            };
            output::write_json(&path, &rec)
        }
        CaseOutcome::Analysed { .. } | CaseOutcome::Skipped => match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(Error::Write { path, source }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shard_parsing() {
        assert_eq!(Shard::parse("0/1"), Ok(Shard::ALL));
        assert_eq!(Shard::parse("3/4"), Ok(Shard { index: 3, count: 4 }));
        for bad in ["4/4", "0/0", "1", "a/2", "-1/3", "1/b", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    /// The FNV-1a test vectors (the hash's reference values), through
    /// shards of a count that keeps the whole hash: 2⁶⁴ does not fit, so
    /// its low and high halves are checked by two counts' residues.
    #[test]
    fn shards_follow_the_fnv1a_hash_of_the_name() {
        for (name, hash) in [
            ("", 0xcbf2_9ce4_8422_2325_u64),
            ("a", 0xaf63_dc4c_8601_ec8c),
            ("foobar", 0x8594_4171_f739_67e8),
        ] {
            for count in [7u64, 1000, 65_521] {
                let index = (hash % count) as usize;
                let shard = Shard {
                    index,
                    count: count as usize,
                };
                assert!(shard.takes(std::ffi::OsStr::new(name)), "{name} {count}");
            }
        }
    }

    proptest! {
        /// Every case is taken by exactly one of N shards, however many
        /// cases and shards, and by the same one whatever else the archive
        /// holds.
        #[test]
        fn every_case_exactly_once(names in proptest::collection::vec("[a-z0-9 ._-]{1,12}", 0..60), n in 1usize..40) {
            for name in &names {
                let takers = (0..n)
                    .filter(|&i| Shard { index: i, count: n }.takes(std::ffi::OsStr::new(name)))
                    .count();
                prop_assert_eq!(takers, 1);
            }
        }

        /// Shards are not all alike: 400 names over 4 shards leave none
        /// with fewer than 60.
        #[test]
        fn shards_share_an_archive_evenly(seed in 0u32..1000) {
            let mut counts = [0usize; 4];
            for k in 0..400 {
                let name = format!("client-{seed}-{k}");
                let i = (0..4).find(|&i| Shard { index: i, count: 4 }.takes(std::ffi::OsStr::new(&name))).unwrap();
                counts[i] += 1;
            }
            prop_assert!(counts.iter().all(|&c| c >= 60), "{counts:?}");
        }
    }
}
