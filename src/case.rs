//! Reading a case folder (DESIGN.md "The case folder") into a typed `Case`.
//!
//! ```text
//! CASE_DIR/case.toml            optional manifest
//! CASE_DIR/2026-01-12/          a session, named by its date (or dated by EXIF)
//!   cheek.jpg                   photo of view "cheek" (.jpg .jpeg .png .tif .tiff .heic .heif)
//!   cheek.r2.jpg                a repeat photo of the same view in the same session
//!   cheek.height.png            height map + cheek.height.toml (um_per_level, mm_per_px)
//!   cheek.ps/                   photometric set: images, light_directions.txt,
//!                               filenames.txt, optional light_intensities.txt
//! ```
//! Anything that breaks these rules is rejected with one line naming the
//! file or folder. An image in a format that is not read (`.webp`, raw) is
//! skipped with a warning; files with other extensions (notes,
//! `.DS_Store`) are ignored, hidden entries too. A session folder without any capture is
//! skipped with a warning. Links are followed only while they stay inside
//! the case folder, and captures must be regular files (no device, FIFO or
//! socket). Dates before 2000 or in the future are warned about.

use crate::date::Date;
use crate::error::{Error, Result};
use crate::ingest;
use crate::lights;
use crate::raster::Rect;
use crate::units::{MmPerPx, UmPerLevel};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod checks;
pub use checks::parse_manifest;
use checks::{
    check_inside, check_manifest, date_warnings, layout_warnings, today, toml_problem,
    valid_view_name,
};

/// A client's case: sessions in date order and per-view settings.
#[derive(Clone, Debug)]
pub struct Case {
    /// The case folder.
    pub root: PathBuf,
    /// Folder name.
    pub name: String,
    /// Client label for the report.
    pub client: Option<String>,
    /// Treatment name.
    pub treatment: Option<String>,
    /// Dates of treatment sessions (default: [`assumed_treatments`]).
    pub treatments: Vec<Date>,
    /// Whether `treatments` was assumed (case.toml gave none).
    pub treatments_assumed: bool,
    /// Sessions, earliest first; the first is the baseline.
    pub sessions: Vec<Session>,
    /// Per-view settings from case.toml.
    pub views: BTreeMap<String, ViewConfig>,
    /// `[notes]` of case.toml: what happened at a visit, by its date.
    pub notes: BTreeMap<Date, String>,
    /// Odd but not fatal findings (an empty session folder, an unlikely
    /// date), one sentence each naming the file or folder.
    pub warnings: Vec<String>,
    /// Those about the visits' dates (one in the future or before 2000, a
    /// photo taken on another day than its folder's name), naming the
    /// folder or file within the case: metrics.json and the report carry
    /// them.
    pub date_warnings: Vec<String>,
}

/// One visit.
#[derive(Clone, Debug)]
pub struct Session {
    /// The session's date.
    pub date: Date,
    /// Its folder.
    pub dir: PathBuf,
    /// Captures, sorted by (view, repeat).
    pub captures: Vec<Capture>,
}

/// One capture of a view in a session.
#[derive(Clone, Debug)]
pub struct Capture {
    /// View name ("cheek").
    pub view: String,
    /// 1 for `VIEW.ext`, N for `VIEW.rN.ext`.
    pub repeat: u32,
    /// Photo, height map or photometric set.
    pub kind: CaptureKind,
    /// The file (or folder for a photometric set).
    pub path: PathBuf,
    /// A photo's EXIF capture date where it names another day than its
    /// session folder's name.
    pub taken: Option<Date>,
}

/// What a capture holds.
#[derive(Clone, Debug)]
pub enum CaptureKind {
    /// An ordinary photo.
    Photo,
    /// A 16-bit height map with its sidecar.
    Height(HeightSidecar),
    /// A photometric set.
    Photometric(PhotometricSet),
}

impl CaptureKind {
    /// The kind without its files (metrics.json's `kind`).
    #[must_use]
    pub fn kind(&self) -> Kind {
        match self {
            CaptureKind::Photo => Kind::Photo,
            CaptureKind::Height(_) => Kind::Height,
            CaptureKind::Photometric(_) => Kind::Photometric,
        }
    }
}

/// The kind of a capture, and so of a series. The order is the report's:
/// per view, photos first (what a client recognises), then depth data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An ordinary photo.
    Photo,
    /// A photometric set.
    Photometric,
    /// A height map from a 3D skin camera.
    Height,
}

impl Kind {
    /// "photo", "photometric" or "height": metrics.json's and the CSV's word.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Photo => "photo",
            Kind::Photometric => "photometric",
            Kind::Height => "height",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Case {
    /// (view, kind) of every series, in report order: by view, then kind.
    #[must_use]
    pub fn series_keys(&self) -> Vec<(String, Kind)> {
        let mut keys: Vec<(String, Kind)> = self
            .sessions
            .iter()
            .flat_map(|s| s.captures.iter().map(|c| (c.view.clone(), c.kind.kind())))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// `path` relative to the case folder, with forward slashes.
    #[must_use]
    pub fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }

    /// SHA-256 over every input file in case order: each file's relative
    /// name, a zero byte, then the SHA-256 of its bytes, or, for a file that
    /// cannot be read (no permission, not a regular file, too large), the
    /// mark `unreadable`: such a capture is left out of the analysis with its
    /// reason, and a later run that can read it is not up to date.
    #[must_use]
    pub fn inputs_sha256(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let mut files: Vec<PathBuf> = Vec::new();
        let manifest = self.root.join("case.toml");
        if manifest.is_file() {
            files.push(manifest);
        }
        for s in &self.sessions {
            for c in &s.captures {
                files.push(c.path.clone());
                match &c.kind {
                    CaptureKind::Photo => {}
                    CaptureKind::Height(_) => {
                        files.push(s.dir.join(format!("{}.height.toml", c.view)));
                    }
                    CaptureKind::Photometric(set) => {
                        files.pop();
                        files.extend(set.images.iter().cloned());
                        for name in PS_TEXT_FILES {
                            files.push(c.path.join(name));
                        }
                    }
                }
            }
        }
        // sidecars and lights files are optional: hashed when present
        files.retain(|f| f.is_file() || !is_optional_text(f));
        for f in files {
            h.update(self.relative(&f).as_bytes());
            h.update([0]);
            match file_sha256(&f) {
                Ok(digest) => h.update(digest),
                // no path in it: the hash must not depend on how the case
                // folder was named on the command line
                Err(_) => h.update(b"unreadable\n"),
            }
        }
        format!("{:x}", h.finalize())
    }
}

/// SHA-256 of the regular file `f`, streamed, within the decode cap.
fn file_sha256(f: &Path) -> Result<[u8; 32]> {
    use sha2::{Digest, Sha256};
    let file = crate::files::open_regular(f)?;
    let mut h = Sha256::new();
    let cap = ingest::IngestOptions::default().max_file_bytes;
    let copied =
        std::io::copy(&mut std::io::Read::take(file, cap + 1), &mut h).map_err(|source| {
            Error::Read {
                path: f.to_path_buf(),
                source,
            }
        })?;
    if copied > cap {
        return Err(Error::TooLarge {
            path: f.to_path_buf(),
            reason: format!("the file is larger than {cap} bytes"),
        });
    }
    Ok(h.finalize().into())
}

/// The text files of a photometric set, hashed with its images.
const PS_TEXT_FILES: [&str; 3] = [
    "filenames.txt",
    "light_directions.txt",
    "light_intensities.txt",
];

/// Whether `f` is a sidecar or lights file (which may be absent).
fn is_optional_text(f: &Path) -> bool {
    f.extension().is_some_and(|e| e == "toml" || e == "txt")
}

/// `VIEW.height.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeightSidecar {
    /// Micrometres per 16-bit level.
    pub um_per_level: UmPerLevel,
    /// Millimetres per pixel.
    pub mm_per_px: Option<MmPerPx>,
}

/// The files of a photometric set.
#[derive(Clone, Debug, PartialEq)]
pub struct PhotometricSet {
    /// Images in light order.
    pub images: Vec<PathBuf>,
    /// Unit light directions (x right, y up, z toward the camera).
    pub lights: Vec<[f64; 3]>,
    /// Per-image light intensities, when given.
    pub intensities: Option<Vec<f64>>,
}

/// `[view.NAME]` of case.toml.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewConfig {
    /// Region measured, baseline pixels.
    pub roi: Option<Rect>,
    /// Untreated control region, baseline pixels.
    pub control: Option<Rect>,
    /// A grey-step reference card (a sticker on the skin, in every photo),
    /// baseline pixels: the capture's tone curve is read from its steps.
    pub card: Option<Rect>,
    /// Physical scale of the baseline photo.
    pub mm_per_px: Option<MmPerPx>,
    /// Baseline regions left out of the alignment fit.
    #[serde(default)]
    pub exclude: Vec<Rect>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    client: Option<String>,
    treatment: Option<String>,
    treatments: Option<Vec<Date>>,
    #[serde(default)]
    view: BTreeMap<String, ViewConfig>,
    #[serde(default)]
    notes: BTreeMap<Date, String>,
}

const PHOTO_EXT: [&str; 7] = ["jpg", "jpeg", "png", "tif", "tiff", "heic", "heif"];
const HEIGHT_EXT: [&str; 3] = ["png", "tif", "tiff"];

/// Reads and checks a case folder.
///
/// # Errors
/// [`Error::Case`] (exit 2) naming the file or folder and the problem.
pub fn read_case(root: &Path) -> Result<Case> {
    let meta = std::fs::metadata(root).map_err(|source| Error::Read {
        path: root.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(Error::case(
            root,
            "not a folder (a case is a folder of dated session folders)",
        ));
    }
    let real_root = std::fs::canonicalize(root).map_err(|source| Error::Read {
        path: root.to_path_buf(),
        source,
    })?;
    let manifest_path = root.join("case.toml");
    let manifest: Manifest = if std::fs::symlink_metadata(&manifest_path).is_ok() {
        check_inside(&real_root, &manifest_path)?;
        let text = crate::files::read_text(&manifest_path)?;
        toml::from_str(&text).map_err(|e| Error::case(&manifest_path, toml_problem(&text, &e)))?
    } else {
        Manifest::default()
    };
    check_manifest(&manifest_path, &manifest)?;
    let (mut warnings, mut dated) = (Vec::new(), Vec::new());
    let mut empty = Vec::new();
    let today = today();

    let mut sessions: Vec<Session> = Vec::new();
    for entry in sorted_entries(root)? {
        let name = file_name(&entry);
        if name.starts_with('.') {
            continue;
        }
        if !entry.is_dir() {
            // a link whose target cannot be reached (gone, or a loop) may
            // have been a visit: say so rather than skip it unseen
            if std::fs::metadata(&entry).is_err() {
                warnings.push(format!(
                    "{}: a link that leads nowhere (its target is missing, or links loop); skipped",
                    entry.display()
                ));
            }
            continue;
        }
        check_inside(&real_root, &entry)?;
        let mut captures = read_session(&entry, &real_root, &mut warnings)?;
        if captures.is_empty() {
            empty.push(name);
            warnings.push(format!(
                "{}: no photo, height map or photometric set in this folder; skipped",
                entry.display()
            ));
            continue;
        }
        let date = match Date::parse(&name) {
            Some(d) => {
                dated.extend(checks::taken_apart(&mut captures, d, &name, today));
                d
            }
            None => exif_date(&entry, &captures)?,
        };
        if let Some(other) = sessions.iter().find(|s| s.date == date) {
            return Err(Error::case(
                &entry,
                format!("has the same date ({date}) as {}", other.dir.display()),
            ));
        }
        sessions.push(Session {
            date,
            dir: entry,
            captures,
        });
    }
    if sessions.is_empty() && !empty.is_empty() {
        return Err(Error::case(
            root,
            format!(
                "no session folder holds a photo, height map or photometric set ({} empty)",
                empty.join(", ")
            ),
        ));
    }
    if sessions.is_empty() {
        return Err(Error::case(
            root,
            "no session folders (expected folders named YYYY-MM-DD)",
        ));
    }
    sessions.sort_by_key(|s| s.date);
    checks::check_distinct_file_names(root, &sessions)?;
    for name in manifest.view.keys() {
        if !sessions
            .iter()
            .any(|s| s.captures.iter().any(|c| &c.view == name))
        {
            let mut found: Vec<&str> = sessions
                .iter()
                .flat_map(|s| s.captures.iter().map(|c| c.view.as_str()))
                .collect();
            found.sort_unstable();
            found.dedup();
            return Err(Error::case(
                &manifest_path,
                format!(
                    "[view.{name}] matches no capture (the views found are: {})",
                    found.join(", ")
                ),
            ));
        }
    }
    dated.extend(date_warnings(&sessions, today));
    warnings.extend(dated.iter().cloned());
    warnings.extend(layout_warnings(&manifest_path, &manifest, &sessions));
    for date in manifest.notes.keys() {
        if !sessions.iter().any(|s| s.date == *date) {
            warnings.push(format!(
                "{}: [notes] {date} matches no session; the note is not shown",
                manifest_path.display()
            ));
        }
    }
    let treatments_assumed = manifest.treatments.is_none();
    let treatments = match manifest.treatments {
        Some(mut t) => {
            t.sort();
            t.dedup();
            t
        }
        None => assumed_treatments(&sessions.iter().map(|s| s.date).collect::<Vec<_>>()),
    };
    Ok(Case {
        root: root.to_path_buf(),
        name: file_name(root),
        // an empty name is no name: the report falls back to the folder's
        client: manifest.client.filter(|c| is_visible(c)),
        treatment: manifest.treatment.filter(|t| is_visible(t)),
        treatments,
        treatments_assumed,
        sessions,
        views: manifest.view,
        notes: manifest.notes,
        warnings,
        date_warnings: dated,
    })
}

/// A visit within this many days of the visit before it is not assumed to
/// be a treatment session when case.toml names none (sessions are about a
/// month apart; a visit days after one is a check of the skin's response).
pub const MIN_DAYS_BETWEEN_TREATMENTS: i64 = 14;

/// The treatment sessions assumed when case.toml names none: every visit
/// (`dates`, earliest first) but those within
/// [`MIN_DAYS_BETWEEN_TREATMENTS`] of the visit before, so a visit two days
/// after a session still falls in that session's acute window.
#[must_use]
pub fn assumed_treatments(dates: &[Date]) -> Vec<Date> {
    dates
        .iter()
        .enumerate()
        .filter(|&(k, d)| k == 0 || d.days_after(dates[k - 1]) > MIN_DAYS_BETWEEN_TREATMENTS)
        .map(|(_, &d)| d)
        .collect()
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir).map_err(|source| Error::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut v = Vec::new();
    for e in rd {
        let e = e.map_err(|source| Error::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        v.push(e.path());
    }
    v.sort();
    Ok(v)
}

/// Whether a session entry is read as a capture (a photo, a height map or
/// its sidecar, a photometric set); other entries are ignored.
fn is_capture_name(name: &str, is_dir: bool) -> bool {
    if is_dir {
        return name.ends_with(".ps");
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    PHOTO_EXT.contains(&ext.as_str()) || name.ends_with(".height.toml")
}

/// Whether `s` shows anything: not only spaces and zero-width or other
/// invisible characters (a name pasted from a web form).
fn is_visible(s: &str) -> bool {
    s.chars().any(|c| {
        !c.is_whitespace()
            && !c.is_control()
            && !matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{feff}')
    })
}

/// Splits "cheek.r2" into ("cheek", 2); "cheek" into ("cheek", 1).
fn view_and_repeat(stem: &str) -> Option<(String, u32)> {
    if let Some((view, rep)) = stem.rsplit_once('.') {
        let n: u32 = rep.strip_prefix('r')?.parse().ok()?;
        return (valid_view_name(view) && n >= 1).then(|| (view.to_string(), n));
    }
    valid_view_name(stem).then(|| (stem.to_string(), 1))
}

/// `path` is a link to a plain name in its own folder (no `..`, not
/// absolute): whatever appears there later is still inside the case.
fn links_within_folder(path: &Path) -> bool {
    std::fs::read_link(path).is_ok_and(|t| {
        t.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
    })
}

fn read_session(dir: &Path, real_root: &Path, warnings: &mut Vec<String>) -> Result<Vec<Capture>> {
    let mut captures: Vec<Capture> = Vec::new();
    for path in sorted_entries(dir)? {
        // a name a Mac wrote decomposed ("joue" + U+0301) is the view typed
        let name = crate::files::composed(&file_name(&path));
        if name.starts_with('.') {
            continue;
        }
        checks::check_entry_type(&path, &name)?;
        if is_capture_name(&name, path.is_dir()) {
            // links stay inside the case. A capture that is not an ordinary
            // file (a FIFO, a device), or a link that loops or leads nowhere
            // within its own folder, is kept: reading it fails without
            // reading a byte, and it is left out with that reason (the
            // baseline's sinks the case), as an unreadable file is
            match check_inside(real_root, &path) {
                Err(Error::Read { .. }) if links_within_folder(&path) => {}
                checked => checked?,
            }
        }
        if path.is_dir() {
            if let Some(view) = name.strip_suffix(".ps") {
                if !valid_view_name(view) {
                    return Err(Error::case(
                        &path,
                        "a photometric set is named VIEW.ps with a simple view name",
                    ));
                }
                let set = read_set_within(&path, real_root)?;
                captures.push(Capture {
                    view: view.to_string(),
                    repeat: 1,
                    kind: CaptureKind::Photometric(set),
                    path,
                    taken: None,
                });
            }
            continue;
        }
        let Some((stem, ext)) = name.rsplit_once('.') else {
            continue;
        };
        let ext = ext.to_ascii_lowercase();
        if let Some(view) = stem.strip_suffix(".height") {
            if ext == "toml" {
                continue; // read with its map
            }
            if !HEIGHT_EXT.contains(&ext.as_str()) {
                warnings.push(checks::unread_height_map(&path));
                continue;
            }
            if !valid_view_name(view) {
                return Err(Error::case(
                    &path,
                    "a height map is named VIEW.height.png with a simple view name",
                ));
            }
            // beside the map, named as it is on disk (`cheek.height.toml`)
            let sidecar_path = path.with_extension("toml");
            if std::fs::symlink_metadata(&sidecar_path).is_ok() {
                check_inside(real_root, &sidecar_path)?;
            }
            let sidecar = read_sidecar(&sidecar_path)?;
            captures.push(Capture {
                view: view.to_string(),
                repeat: 1,
                kind: CaptureKind::Height(sidecar),
                path,
                taken: None,
            });
            continue;
        }
        if !PHOTO_EXT.contains(&ext.as_str()) {
            warnings.extend(checks::unread_photo(&path, &ext));
            continue;
        }
        let Some((view, repeat)) = view_and_repeat(stem) else {
            return Err(Error::case(&path, checks::bad_photo_name(stem)));
        };
        captures.push(Capture {
            view,
            repeat,
            kind: CaptureKind::Photo,
            path,
            taken: None,
        });
    }
    // by the kind's name, so inputs_sha256 keeps its order (height maps
    // before photos)
    let key = |c: &Capture| (c.view.clone(), c.kind.kind().as_str(), c.repeat);
    captures.sort_by_key(key);
    for pair in captures.windows(2) {
        if pair[0].view == pair[1].view
            && pair[0].kind.kind() == pair[1].kind.kind()
            && pair[0].repeat == pair[1].repeat
        {
            return Err(Error::case(
                &pair[1].path,
                format!(
                    "a second {} of view {:?} in this session (also {})",
                    pair[1].kind.kind(),
                    pair[1].view,
                    file_name(&pair[0].path)
                ),
            ));
        }
    }
    Ok(captures)
}

fn read_sidecar(path: &Path) -> Result<HeightSidecar> {
    if std::fs::symlink_metadata(path).is_err() {
        return Err(Error::case(
            path,
            "missing: a height map needs this sidecar with um_per_level (and mm_per_px)",
        ));
    }
    let text = crate::files::read_text(path)?;
    toml::from_str(&text).map_err(|e| Error::case(path, toml_problem(&text, &e)))
}

/// Reads a photometric-set folder: `filenames.txt` and
/// `light_directions.txt` (same order), optional `light_intensities.txt`.
///
/// # Errors
/// [`Error::Case`] naming the file at fault.
pub fn read_photometric_set(dir: &Path) -> Result<PhotometricSet> {
    let real = std::fs::canonicalize(dir).map_err(|source| Error::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    read_set_within(dir, &real)
}

/// [`read_photometric_set`], every file required to resolve inside `real_root`.
fn read_set_within(dir: &Path, real_root: &Path) -> Result<PhotometricSet> {
    let names_path = dir.join("filenames.txt");
    if std::fs::symlink_metadata(&names_path).is_err() {
        return Err(Error::case(
            &names_path,
            "missing: a photometric set lists its images here",
        ));
    }
    for f in [
        "filenames.txt",
        "light_directions.txt",
        "light_intensities.txt",
    ] {
        if std::fs::symlink_metadata(dir.join(f)).is_ok() {
            check_inside(real_root, &dir.join(f))?;
        }
    }
    let text = crate::files::read_text(&names_path)?;
    let images: Vec<PathBuf> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| dir.join(l))
        .collect();
    for img in &images {
        if !img.is_file() {
            return Err(Error::case(
                &names_path,
                format!("lists {}, which is not in the folder", file_name(img)),
            ));
        }
        check_inside(real_root, img)?;
    }
    if images.len() < 3 {
        return Err(Error::case(
            &names_path,
            format!(
                "photometric stereo needs at least 3 images, found {}",
                images.len()
            ),
        ));
    }
    let lights_path = dir.join("light_directions.txt");
    if !lights_path.exists() {
        return Err(Error::case(
            &lights_path,
            "missing: one \"x y z\" light direction per image",
        ));
    }
    let lights = lights::read_directions(&lights_path)?;
    if lights.len() != images.len() {
        return Err(Error::case(
            &lights_path,
            format!("{} directions for {} images", lights.len(), images.len()),
        ));
    }
    let int_path = dir.join("light_intensities.txt");
    let intensities = if int_path.exists() {
        let v = lights::read_intensities(&int_path)?;
        if v.len() != images.len() {
            return Err(Error::case(
                &int_path,
                format!("{} intensities for {} images", v.len(), images.len()),
            ));
        }
        Some(v)
    } else {
        None
    };
    Ok(PhotometricSet {
        images,
        lights,
        intensities,
    })
}

/// The date of a session folder not named by a date: the EXIF capture date
/// its photos agree on.
fn exif_date(dir: &Path, captures: &[Capture]) -> Result<Date> {
    let mut dates: Vec<Date> = checks::dates_taken(captures)
        .into_iter()
        .flatten()
        .collect();
    dates.sort();
    dates.dedup();
    match dates.as_slice() {
        [d] => Ok(*d),
        [] => Err(Error::case(
            dir,
            "the folder name is not a date (YYYY-MM-DD) and no photo in it has an EXIF capture date that names a day (it is missing, or not one, such as 0000:00:00 or 2026:02:30)",
        )),
        [a, .., b] => Err(Error::case(
            dir,
            format!(
                "the folder name is not a date and its photos were taken on different days ({a} to {b})"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_names_and_repeats() {
        assert_eq!(view_and_repeat("cheek"), Some(("cheek".into(), 1)));
        assert_eq!(view_and_repeat("cheek.r3"), Some(("cheek".into(), 3)));
        assert_eq!(view_and_repeat("cheek.r0"), None);
        assert_eq!(view_and_repeat("left.cheek"), None);
        assert_eq!(view_and_repeat(""), None);
        // a view names output files: 64 bytes at most
        let long = "a".repeat(64);
        assert_eq!(view_and_repeat(&long), Some((long.clone(), 1)));
        assert_eq!(view_and_repeat(&format!("{long}b")), None);
    }
}
