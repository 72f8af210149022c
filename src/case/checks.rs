//! The checks of a case folder that are not about its layout: case.toml's
//! values, links that must stay inside the case folder, captures that must
//! be regular files, and dates and layouts worth a warning.

use super::{Manifest, Session};
use crate::date::Date;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Parses and checks the text of a case.toml (`path` names it in
/// messages) as far as it can be without the case's captures; the entry
/// point of the fuzz target and the mutation test.
///
/// # Errors
/// [`Error::Case`] naming `path` and the problem.
pub fn parse_manifest(path: &Path, text: &str) -> Result<()> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let manifest: Manifest =
        toml::from_str(text).map_err(|e| Error::case(path, toml_problem(text, &e)))?;
    check_manifest(path, &manifest)
}

/// The longest visit note case.toml may hold: a few sentences, not a file.
pub const MAX_NOTE_CHARS: usize = 2000;

/// A control region more than 1/this of which lies inside the measured
/// region is refused: its texture, lines and colour are the rulers of the
/// region's, so treated skin in it cancels the change it should reveal (a
/// control inside the region read "no change" where texture fell 17 % and
/// lines 22 %). A smaller overlap, a slip at the border, is warned about.
const MAX_CONTROL_INSIDE: usize = 10;

/// The checks of case.toml that need no capture: view names, the geometry
/// of every region ([`crate::units::check_region`]), a control region not
/// inside the measured one, treatment dates listed once.
pub(super) fn check_manifest(path: &Path, manifest: &Manifest) -> Result<()> {
    for (name, cfg) in &manifest.view {
        if !valid_view_name(name) {
            return Err(Error::case(
                path,
                format!(
                    "view name {name:?} may only use letters, digits, spaces, '-' and '_', at most 64 bytes"
                ),
            ));
        }
        let regions = cfg.roi.map(|r| ("roi", r)).into_iter();
        let regions = regions
            .chain(cfg.control.map(|r| ("control", r)))
            .chain(cfg.card.map(|r| ("card", r)));
        for (what, r) in regions {
            crate::units::check_region(&format!("[view.{name}] {what}"), r)
                .map_err(|problem| Error::case(path, problem))?;
        }
        if let (Some(r), Some(c)) = (cfg.roi, cfg.control)
            && r.shared(c) * MAX_CONTROL_INSIDE > c.area()
        {
            return Err(Error::case(
                path,
                format!(
                    "[view.{name}] {}% of the control region {c} lies inside the measured region {r}; the control is untreated skin beside it (treated skin in it cancels the treatment's own change)",
                    100 * r.shared(c) / c.area()
                ),
            ));
        }
        for r in &cfg.exclude {
            let max = crate::units::MAX_REGION_SIDE;
            if r.w == 0 || r.h == 0 || [r.x, r.y, r.w, r.h].iter().any(|&v| v > max) {
                return Err(Error::case(
                    path,
                    format!(
                        "[view.{name}] exclude {},{},{},{} is empty or beyond any image skintrack reads",
                        r.x, r.y, r.w, r.h
                    ),
                ));
            }
        }
    }
    for (date, note) in &manifest.notes {
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(Error::case(
                path,
                format!("[notes] {date} is longer than {MAX_NOTE_CHARS} characters"),
            ));
        }
    }
    if let Some(t) = &manifest.treatments {
        let mut sorted = t.clone();
        sorted.sort();
        if let Some(pair) = sorted.windows(2).find(|p| p[0] == p[1]) {
            return Err(Error::case(
                path,
                format!("treatments lists {} more than once", pair[0]),
            ));
        }
    }
    Ok(())
}

/// Warnings about a case's layout that is valid but likely a mistake: a
/// control region overlapping the measured region, a treatment date with
/// no visit folder, a view found in only one of several visits (photos
/// named by the camera, `IMG_4411.JPG`, make one view each), and views
/// whose names differ only in case.
pub(super) fn layout_warnings(
    path: &Path,
    manifest: &Manifest,
    sessions: &[Session],
) -> Vec<String> {
    let mut out = Vec::new();
    for (name, cfg) in &manifest.view {
        if let (Some(r), Some(c)) = (cfg.roi, cfg.control)
            && r.overlaps(c)
        {
            out.push(format!(
                "{}: [view.{name}] the control region overlaps the measured region; it should be untreated skin beside it",
                path.display()
            ));
        }
        for (what, r) in [
            ("measured region", cfg.roi),
            ("control region", cfg.control),
        ] {
            if let (Some(r), Some(card)) = (r, cfg.card)
                && r.overlaps(card)
            {
                out.push(format!(
                    "{}: [view.{name}] the card overlaps the {what}; place the grey card on skin beside both",
                    path.display()
                ));
            }
        }
    }
    for date in manifest.treatments.iter().flatten() {
        if !sessions.iter().any(|s| s.date == *date) {
            out.push(format!(
                "{}: treatments {date} has no visit folder (fine for a session without photos; a typo shifts the days since treatment)",
                path.display()
            ));
        }
    }
    let mut views: BTreeMap<&str, Vec<Date>> = BTreeMap::new();
    for s in sessions {
        for c in &s.captures {
            views.entry(c.view.as_str()).or_default().push(s.date);
        }
    }
    if sessions.len() > 1 {
        for (view, dates) in &views {
            let mut dates = dates.clone();
            dates.dedup();
            if let [only] = dates[..] {
                out.push(format!(
                    "view {view:?} is only in the visit of {only}, so nothing is compared with it; name a view's photos alike in every visit folder (e.g. cheek.jpg)"
                ));
            }
        }
    }
    let names: Vec<&str> = views.keys().copied().collect();
    for (i, a) in names.iter().enumerate() {
        for b in &names[i + 1..] {
            if a.to_lowercase() == b.to_lowercase() {
                out.push(format!(
                    "views {a:?} and {b:?} differ only in upper and lower case and are analysed apart; rename one"
                ));
            }
        }
    }
    out
}

/// Refuses `path` when it resolves (through links) outside the case
/// folder `real_root` (already resolved).
pub(super) fn check_inside(real_root: &Path, path: &Path) -> Result<()> {
    let real = std::fs::canonicalize(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if real.starts_with(real_root) {
        Ok(())
    } else {
        Err(Error::case(
            path,
            "a link leading outside the case folder; every file of a case must be inside it",
        ))
    }
}

/// Today's date (UTC), for the date sanity warnings only (never written
/// to an output).
pub(super) fn today() -> Option<Date> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(Date::new(1970, 1, 1)?.plus_days(i64::try_from(secs / 86_400).ok()?))
}

/// The EXIF capture date of each of `captures` that is a photo and has
/// one, in their order (`None` for the others). A photo that cannot be read
/// has no date to give; it is left out with its reason when the visit is
/// analysed.
pub(super) fn dates_taken(captures: &[super::Capture]) -> Vec<Option<Date>> {
    captures
        .iter()
        .map(|c| match c.kind {
            super::CaptureKind::Photo => crate::ingest::read_date_taken(&c.path).ok().flatten(),
            _ => None,
        })
        .collect()
}

/// Reads the EXIF capture date of each photo of a session folder named by
/// its `date`, keeping the dates that name another day in
/// [`super::Capture::taken`], and a warning for each (`dir_name` the
/// folder's name): a photo taken the day after a session and filed under
/// it is in the days of the skin's reaction, which the folder's date hides
/// ("Redness: 73% higher" of such a photo). The folder's date stays the
/// visit's.
pub(super) fn taken_apart(
    captures: &mut [super::Capture],
    date: Date,
    dir_name: &str,
    today: Option<Date>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let dates = dates_taken(captures);
    for (c, taken) in captures.iter_mut().zip(dates) {
        let Some(taken) = taken.filter(|&t| t != date) else {
            continue;
        };
        c.taken = Some(taken);
        let file = c
            .path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        // a camera clock never set, or one a year out
        let odd = implausible(taken, today).map_or(String::new(), |why| format!(", {why}"));
        warnings.push(format!(
            "{dir_name}/{file}: taken on {taken}{odd} (its EXIF capture date), not on {date} (its folder's name); the visit keeps the folder's date, but a photo taken 1–3 days after a session is treated as taken in the skin's reaction to it; check the folder name or the camera's clock"
        ));
    }
    warnings
}

/// A warning for each session dated before 2000 or after `today`: a typo
/// in a folder name or a camera clock never set (the earliest becomes the
/// baseline).
pub(super) fn date_warnings(sessions: &[Session], today: Option<Date>) -> Vec<String> {
    sessions
        .iter()
        .filter_map(|s| {
            let why = implausible(s.date, today)?;
            Some(format!(
                "{}: dated {} ({why}); check the folder name or the camera's clock",
                s.dir.file_name().map_or_else(
                    || s.dir.display().to_string(),
                    |n| n.to_string_lossy().into_owned()
                ),
                s.date
            ))
        })
        .collect()
}

/// Why `date` cannot be a visit's: "before 2000" or "in the future" (after
/// `today`); `None` when it can.
fn implausible(date: Date, today: Option<Date>) -> Option<&'static str> {
    if Date::new(2000, 1, 1).is_some_and(|e| date < e) {
        Some("before 2000")
    } else if today.is_some_and(|t| date > t) {
        Some("in the future")
    } else {
        None
    }
}

/// A session entry named as one kind of capture but of another: a folder
/// named like a photo or height map, a file named like a photometric set's
/// folder, or a set's folder named `.PS`. Left unread it would drop that
/// visit's capture without a word, so the case is refused naming it.
pub(super) fn check_entry_type(path: &Path, name: &str) -> Result<()> {
    let is_dir = path.is_dir();
    if is_dir && super::is_capture_name(name, false) {
        return Err(Error::case(
            path,
            "a folder named like a photo or height map; a capture is a file",
        ));
    }
    let ps = name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("ps"));
    if is_dir && ps && !name.ends_with(".ps") {
        return Err(Error::case(
            path,
            "a photometric set's folder is named VIEW.ps, in lower case",
        ));
    }
    if !is_dir && name.ends_with(".ps") {
        return Err(Error::case(
            path,
            "named like a photometric set, which is a folder VIEW.ps of photos; this is not a folder",
        ));
    }
    Ok(())
}

/// Views whose names become one in output files' names
/// ([`crate::files::file_safe`]) would write over each other's plots:
/// "a b" and "a_b" both draw plots/a_b_photo_…. Refused, naming both.
/// (Names that differ only in case are warned about, in
/// [`layout_warnings`].)
pub(super) fn check_distinct_file_names(root: &Path, sessions: &[Session]) -> Result<()> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for view in sessions
        .iter()
        .flat_map(|s| &s.captures)
        .map(|c| c.view.as_str())
    {
        let safe = crate::files::file_safe(view);
        match seen.get(&safe) {
            Some(&other) if other != view => {
                return Err(Error::case(
                    root,
                    format!(
                        "views {other:?} and {view:?} would write the same output files ({safe}_…); rename one"
                    ),
                ));
            }
            _ => {
                seen.insert(safe, view);
            }
        }
    }
    Ok(())
}

/// Letters, digits, '-', '_' and inner spaces ("IMG 0042" is a camera's
/// own name for a photo), at most [`MAX_VIEW_BYTES`] (it names files).
pub(super) fn valid_view_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_VIEW_BYTES
        && s.trim() == s
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == ' ')
}

/// Why `stem` (a photo's name without its extension) names no view.
pub(super) fn bad_photo_name(stem: &str) -> String {
    let rule = "a photo is named VIEW.jpg or VIEW.rN.jpg (letters, digits, spaces, '-' and '_', at most 64 bytes)";
    if crate::files::has_combining_mark(stem) {
        format!(
            "{rule}; this name holds an accent stored apart from its letter (decomposed Unicode), which could not be joined to it: retype the accented letter"
        )
    } else {
        rule.to_string()
    }
}

/// The longest view name, bytes: it is part of output files' names (a
/// plot's adds about 60 bytes), which most file systems cap at 255.
const MAX_VIEW_BYTES: usize = 64;

/// A TOML error of `text` as one plain line: "line 7: unknown field `rio`,
/// expected one of ...", without the parser's source excerpt and markers.
pub(super) fn toml_problem(text: &str, e: &toml::de::Error) -> String {
    // serde's type names mean nothing to a practitioner, nor does the
    // toml crate's map that carries a date literal
    let message = ["usize", "u32", "u64"]
        .iter()
        .fold(crate::ingest::one_line(e.message()), |m, t| {
            m.replace(
                &format!("expected {t}"),
                "expected a whole number, 0 or more",
            )
        })
        .replace("invalid type: map,", "invalid type: a table or a date,")
        .replace(
            "\"$__toml_private_datetime\" is not a date of the form YYYY-MM-DD",
            "a date where a table is expected",
        )
        .replace("expected f64", "expected a number")
        .replace("expected f32", "expected a number");
    // "expected struct ViewConfig": a table of settings
    let message = match message.split_once("expected struct ") {
        Some((head, _)) => {
            format!("{head}expected a table of settings ([view.NAME] with roi, control, ...)")
        }
        None => message,
    };
    match e.span() {
        Some(span) => {
            let start = span.start.min(text.len());
            let line = 1 + text
                .get(..start)
                .map_or(0, |head| head.matches('\n').count());
            // the line as written, so "duplicate key" says which
            let written = text
                .lines()
                .nth(line - 1)
                .map(str::trim)
                .unwrap_or_default();
            if written.is_empty() || written.chars().count() > 80 {
                format!("line {line}: {message}")
            } else {
                format!("line {line} ({written}): {message}")
            }
        }
        None => message,
    }
}

/// Image formats a practitioner may save a capture in that skintrack does
/// not read, by extension (lower case), with the name a warning uses.
const UNREAD_IMAGES: [(&str, &str); 21] = [
    ("webp", "WebP"),
    ("avif", "AVIF"),
    ("jxl", "JPEG XL"),
    ("jp2", "JPEG 2000"),
    ("j2k", "JPEG 2000"),
    ("gif", "GIF"),
    ("bmp", "BMP"),
    ("psd", "Photoshop"),
    ("exr", "OpenEXR"),
    ("hdr", "Radiance HDR"),
    ("dng", "raw (DNG)"),
    ("cr2", "raw (Canon)"),
    ("cr3", "raw (Canon)"),
    ("nef", "raw (Nikon)"),
    ("arw", "raw (Sony)"),
    ("raf", "raw (Fujifilm)"),
    ("orf", "raw (Olympus)"),
    ("rw2", "raw (Panasonic)"),
    ("pef", "raw (Pentax)"),
    ("srw", "raw (Samsung)"),
    ("raw", "raw"),
];

/// The warning for a file in a session folder that is an image in a
/// format skintrack does not read (a capture would otherwise be skipped
/// unseen); `None` for any other file (notes, sidecars).
pub(super) fn unread_photo(path: &Path, ext: &str) -> Option<String> {
    let (_, format) = UNREAD_IMAGES.iter().find(|(e, _)| *e == ext)?;
    Some(format!(
        "{}: a {format} image, which skintrack does not read; skipped (save it as JPEG, PNG, TIFF or HEIC to measure it)",
        path.display()
    ))
}

/// The warning for `VIEW.height.EXT` in a format a height map is not
/// read from (a JPEG's rounding would be read as relief).
pub(super) fn unread_height_map(path: &Path) -> String {
    format!(
        "{}: a height map is read from a .png or .tif file only; skipped",
        path.display()
    )
}
