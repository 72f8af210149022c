//! Writing outputs safely: every file goes to a temporary name in its
//! destination folder and is renamed into place, so a reader never sees a
//! half-written file. Images are encoded without any metadata (no EXIF, no
//! GPS, no ICC): client photos are health data. The single images `regions`
//! and `align` write carry only the text "written by skintrack" ([`mark`]).

mod mark;
pub use mark::{check_replaceable, marked_jpeg, marked_png};

use crate::error::{Error, Result};
use image::ImageEncoder as _;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `value` to `path` as pretty JSON with a final newline, atomically.
///
/// # Errors
/// [`Error::Failed`] when it cannot be written as JSON, else as
/// [`write_atomic`].
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let json = serde_json::to_string_pretty(value).map_err(|e| Error::Failed {
        path: path.to_path_buf(),
        problem: e.to_string(),
    })?;
    write_atomic(path, format!("{json}\n").as_bytes())
}

/// Writes `bytes` to `path` atomically (temporary file + rename).
///
/// # Errors
/// [`Error::Write`] naming `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    // the system's own error, without the temporary file's path that
    // tempfile adds to it ("… at path \"/out/.skintrack-Zd.tmp\"")
    let err = |source: std::io::Error| {
        let text = source.to_string();
        Error::Write {
            path: path.to_path_buf(),
            source: match text.split_once(" at path ") {
                Some((own, _)) => std::io::Error::new(source.kind(), own.to_string()),
                None => source,
            },
        }
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .suffix(TMP_SUFFIX)
        .tempfile_in(dir)
        .map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.flush().map_err(err)?;
    // on disk before the name points at it: a crash after the rename never
    // leaves an empty or partial file under the final name
    tmp.as_file().sync_all().map_err(err)?;
    // temporary files are created private (0600); outputs are ordinary files
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(err)?;
    }
    tmp.persist(path).map_err(|e| err(e.error))?;
    sync_dir(dir);
    Ok(())
}

/// Makes a rename in `dir` durable (best effort: not every file system
/// lets a folder be synced).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Prefix and suffix of the temporary files [`write_atomic`] makes.
const TMP_PREFIX: &str = ".skintrack-";
const TMP_SUFFIX: &str = ".tmp";

/// Removes the temporary files a killed run left in `dir` (not recursive;
/// a missing folder has none): those [`STALE_AFTER`] old, as a younger one
/// may be another run's being written (`align -o` run side by side into
/// one folder).
pub fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(TMP_PREFIX)
            && name.ends_with(TMP_SUFFIX)
            && e.file_type().is_ok_and(|t| t.is_file())
            && is_stale(&e)
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The file that marks a folder as written by skintrack: only such a
/// folder (or an empty one) is replaced by a new run.
pub const MARKER: &str = ".skintrack-output";

/// An output folder being written: everything goes to a sibling staging
/// folder, which [`Staged::commit`] swaps in for the final one, so a reader
/// sees the previous results or the new ones, never a mix, and files of a
/// previous run never linger. Dropped without a commit (an error), the
/// staging folder is removed.
#[derive(Debug)]
pub struct Staged {
    /// The final folder.
    target: PathBuf,
    /// Where the files are written meanwhile.
    staging: PathBuf,
    committed: bool,
}

impl Staged {
    /// Prepares to write `target`: refuses a non-empty folder without
    /// [`MARKER`] (or a file in its place) before any work, removes what a
    /// killed run left beside it, and creates the staging folder.
    ///
    /// # Errors
    /// [`Error::Usage`] for a folder skintrack did not write,
    /// [`Error::Write`] when the staging folder cannot be made.
    pub fn begin(target: &Path) -> Result<Staged> {
        let Some(file) = target.file_name() else {
            return Err(Error::usage(format!(
                "{}: name the output folder (it is replaced as a whole)",
                target.display()
            )));
        };
        // the folder it names (`missing/../case` is the case folder, not
        // a new one); its own name is not followed if it is a link
        let (parent, name) = split(target);
        check_no_file_in_the_way(&parent)?;
        let parent = resolve_ahead(&parent);
        let shown = target;
        let target = &parent.join(file);
        if let Ok(meta) = std::fs::symlink_metadata(target) {
            let ours = meta.is_dir() && (target.join(MARKER).is_file() || dir_is_empty(target));
            if !ours {
                return Err(Error::usage(format!(
                    "{}: exists and was not written by skintrack (no {MARKER} in it); choose a new or empty output folder",
                    shown.display()
                )));
            }
        }
        ensure_dir(&parent)?;
        remove_stale_staging(target);
        let staging = parent.join(format!(".{name}.{STAGING}new-{}", run_suffix()));
        std::fs::create_dir(&staging).map_err(|source| Error::Write {
            path: staging.clone(),
            source,
        })?;
        Ok(Staged {
            target: target.to_path_buf(),
            staging,
            committed: false,
        })
    }

    /// Where the files are written until [`Staged::commit`].
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Marks the staging folder as skintrack's and swaps it in for the
    /// target (the old folder, if any, is moved aside and removed).
    ///
    /// # Errors
    /// [`Error::Write`] naming the folder a rename failed on.
    pub fn commit(self) -> Result<()> {
        write_atomic(&self.staging.join(MARKER), b"written by skintrack\n")?;
        self.swap()
    }

    /// [`Staged::commit`] without [`MARKER`]: for a folder that is an
    /// input once written (a phantom case), which no output run may replace.
    ///
    /// # Errors
    /// [`Error::Write`] naming the folder a rename failed on.
    pub fn commit_unmarked(self) -> Result<()> {
        self.swap()
    }

    fn swap(mut self) -> Result<()> {
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Write { path, source }
        };
        let (parent, name) = split(&self.target);
        let old = parent.join(format!(".{name}.{STAGING}old-{}", run_suffix()));
        let had_old = std::fs::symlink_metadata(&self.target).is_ok();
        if had_old {
            std::fs::rename(&self.target, &old).map_err(err(&self.target))?;
        }
        std::fs::rename(&self.staging, &self.target).map_err(err(&self.target))?;
        self.committed = true;
        sync_dir(&parent);
        if had_old {
            let _ = std::fs::remove_dir_all(&old);
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// What the names of the folders beside an output folder being written
/// begin with, after `.NAME.`: then `new-` (staging) or `old-` (swapped
/// out), and [`run_suffix`].
const STAGING: &str = "skintrack-";

/// How old a staging folder must be before another run takes it for what
/// a killed run left: a younger one may be another run's writing the same
/// output folder (a rerun of a batch array while the first still runs),
/// and no case takes hours to analyse.
pub const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// A suffix no other run's folders share: the process id, the clock in
/// nanoseconds and a count within the process (runs on two hosts of a
/// shared file system can have the same process id).
fn run_suffix() -> String {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let count = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{nanos:x}-{count}", std::process::id())
}

/// Removes what a killed run left beside the output folder `target`: a
/// swapped-out folder at once (its run removes it itself), a staging folder
/// once it is [`STALE_AFTER`] old (a younger one may be another run's at
/// work; one whose age cannot be read is left).
pub fn remove_stale_staging(target: &Path) {
    let (parent, name) = split(target);
    let Ok(entries) = std::fs::read_dir(&parent) else {
        return;
    };
    let prefix = format!(".{name}.{STAGING}");
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Some(kind) = name.strip_prefix(&prefix) else {
            continue;
        };
        if kind.starts_with("old-") || is_stale(&e) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Whether `e` was last modified [`STALE_AFTER`] ago or longer (not when
/// its age cannot be read, or it is from the future: another host's clock).
fn is_stale(e: &std::fs::DirEntry) -> bool {
    e.metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age >= STALE_AFTER)
}

/// `p` as the user named it: a folder written beside an output folder
/// while it is made (`.NAME.skintrack-new-…`, `-old-…`) named as the
/// output folder NAME, so an error names the folder asked for, not one
/// that is gone when it is read.
#[must_use]
pub fn as_asked(p: &Path) -> PathBuf {
    p.components()
        .map(|c| {
            let part = c.as_os_str().to_string_lossy();
            let own = part.strip_prefix('.').and_then(|rest| {
                let (name, kind) = rest.split_once(&format!(".{STAGING}"))?;
                (kind.starts_with("new-") || kind.starts_with("old-")).then_some(name)
            });
            own.map_or_else(|| c.as_os_str().to_os_string(), std::ffi::OsString::from)
        })
        .collect()
}

/// Parent folder (`.` for a bare name) and file name of `p`.
pub(crate) fn split(p: &Path) -> (PathBuf, String) {
    let parent = p
        .parent()
        .filter(|q| !q.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let name = p
        .file_name()
        .map_or_else(|| "out".to_string(), |n| n.to_string_lossy().into_owned());
    (parent, name)
}

fn dir_is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut e| e.next().is_none())
}

/// Creates `dir` (and parents).
///
/// # Errors
/// [`Error::Write`] naming `dir`.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    check_no_file_in_the_way(dir)?;
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })
}

/// Refuses a folder path whose nearest existing part is a file
/// (`-o notes.txt/out`): no folder can be made there, and the operating
/// system's "File exists" would not say why.
///
/// # Errors
/// [`Error::Usage`] naming that file as `dir` names it.
pub fn check_no_file_in_the_way(dir: &Path) -> Result<()> {
    let existing = dir
        .ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .find(|a| std::fs::symlink_metadata(a).is_ok());
    match existing {
        Some(a) if !a.is_dir() => Err(Error::usage(format!(
            "{}: a file, not a folder, so no output folder can be made inside it",
            a.display()
        ))),
        _ => Ok(()),
    }
}

/// Refuses an output folder inside the case folder (originals are never
/// written to); `out_dir` need not exist yet.
///
/// # Errors
/// [`Error::Read`] when the case folder cannot be resolved, [`Error::Usage`]
/// when the output is inside it.
pub fn check_out_dir(case_dir: &Path, out_dir: &Path) -> Result<()> {
    let case = std::fs::canonicalize(case_dir).map_err(|source| Error::Read {
        path: case_dir.to_path_buf(),
        source,
    })?;
    let resolved = resolve_ahead(out_dir);
    if resolved.starts_with(&case) {
        return Err(Error::usage(format!(
            "{}: the output folder must not be inside the case folder (originals are never written to)",
            out_dir.display()
        )));
    }
    // the output folder is replaced as a whole: it must not hold the case
    if case.starts_with(&resolved) {
        return Err(Error::usage(format!(
            "{}: the output folder must not hold the case folder (it is replaced as a whole)",
            out_dir.display()
        )));
    }
    Ok(())
}

/// Refuses an output folder (replaced as a whole) that holds any of
/// `inputs`, or an output file that is one of them: originals are never
/// written to. Inputs that cannot be resolved are left to their reader.
///
/// # Errors
/// [`Error::Usage`] naming the output and the input.
pub fn check_inputs_outside(out: &Path, inputs: &[&Path]) -> Result<()> {
    let resolved = resolve_ahead(out);
    for input in inputs {
        let Ok(real) = std::fs::canonicalize(input) else {
            continue;
        };
        if real.starts_with(&resolved) {
            return Err(Error::usage(format!(
                "{}: the output would replace the input {} (originals are never written to); write elsewhere",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// The canonical form of `path`, which need not exist yet: resolved a
/// part at a time, each existing part through its links, `..` stepping
/// back as it will once the missing folders are made (`missing/../case`
/// is `case`; `missing/../link/x` is where `link` leads); `path` itself
/// when no part of it resolves.
#[must_use]
pub fn resolve_ahead(path: &Path) -> PathBuf {
    use std::path::Component;
    let start = if path.is_absolute() { "/" } else { "." };
    let Ok(mut resolved) = std::fs::canonicalize(start) else {
        return path.to_path_buf();
    };
    for part in path.components() {
        match part {
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(name) => {
                resolved.push(name);
                // an existing part (a link among them) is read through
                if let Ok(real) = std::fs::canonicalize(&resolved) {
                    resolved = real;
                }
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    resolved
}

/// Writes each (path relative to `out_dir`, bytes) atomically, in order.
///
/// # Errors
/// [`Error::Write`] naming the file that could not be written.
pub fn write_files(out_dir: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<()> {
    for (rel, bytes) in files {
        write_atomic(&out_dir.join(rel), bytes)?;
    }
    Ok(())
}

/// PNG bytes of 8-bit RGB pixels (no metadata chunks).
///
/// # Errors
/// [`Error::Write`] when encoding fails (it cannot for valid sizes).
pub fn png_rgb8(path_for_errors: &Path, w: usize, h: usize, rgb: &[u8]) -> Result<Vec<u8>> {
    encode(path_for_errors, |buf| {
        image::codecs::png::PngEncoder::new(buf).write_image(
            rgb,
            w as u32,
            h as u32,
            image::ExtendedColorType::Rgb8,
        )
    })
}

/// PNG bytes of 8-bit RGBA pixels.
///
/// # Errors
/// As [`png_rgb8`].
pub fn png_rgba8(path_for_errors: &Path, w: usize, h: usize, rgba: &[u8]) -> Result<Vec<u8>> {
    encode(path_for_errors, |buf| {
        image::codecs::png::PngEncoder::new(buf).write_image(
            rgba,
            w as u32,
            h as u32,
            image::ExtendedColorType::Rgba8,
        )
    })
}

/// PNG bytes of 16-bit grey samples (`L16`), one a pixel.
///
/// # Errors
/// As [`png_rgb8`].
pub fn png_grey16(path_for_errors: &Path, w: usize, h: usize, grey: &[u16]) -> Result<Vec<u8>> {
    png_16(path_for_errors, w, h, grey, image::ExtendedColorType::L16)
}

/// PNG bytes of 16-bit RGB samples (`Rgb16`), interleaved.
///
/// # Errors
/// As [`png_rgb8`].
pub fn png_rgb16(path_for_errors: &Path, w: usize, h: usize, rgb: &[u16]) -> Result<Vec<u8>> {
    png_16(path_for_errors, w, h, rgb, image::ExtendedColorType::Rgb16)
}

/// PNG bytes of 16-bit samples laid out as `kind` says.
fn png_16(
    path_for_errors: &Path,
    w: usize,
    h: usize,
    samples: &[u16],
    kind: image::ExtendedColorType,
) -> Result<Vec<u8>> {
    // the encoder takes native-endian samples and writes them big-endian
    let bytes: Vec<u8> = samples.iter().flat_map(|v| v.to_ne_bytes()).collect();
    encode(path_for_errors, |buf| {
        image::codecs::png::PngEncoder::new(buf).write_image(&bytes, w as u32, h as u32, kind)
    })
}

/// JPEG bytes of 8-bit RGB pixels at `quality` (no EXIF/ICC segments).
///
/// # Errors
/// As [`png_rgb8`].
pub fn jpeg_rgb8(
    path_for_errors: &Path,
    w: usize,
    h: usize,
    rgb: &[u8],
    quality: u8,
) -> Result<Vec<u8>> {
    encode(path_for_errors, |buf| {
        image::codecs::jpeg::JpegEncoder::new_with_quality(buf, quality).write_image(
            rgb,
            w as u32,
            h as u32,
            image::ExtendedColorType::Rgb8,
        )
    })
}

/// JPEG bytes of 8-bit RGB pixels for the outputs (aligned photos,
/// previews, overlays): chroma subsampled 4:2:0 as a camera's JPEG, by
/// jpeg-encoder (AVX2 where the CPU has it), about 3× faster than
/// [`jpeg_rgb8`]. The synthetic photos of the phantom and the tests keep
/// [`jpeg_rgb8`], so that their bytes and the calibrations made on them
/// stay as they are.
///
/// # Errors
/// [`Error::Failed`] for a side over 65 535 px (JPEG's limit).
pub fn jpeg_output(
    path_for_errors: &Path,
    w: usize,
    h: usize,
    rgb: &[u8],
    quality: u8,
) -> Result<Vec<u8>> {
    let fail = |problem: String| Error::Failed {
        path: path_for_errors.to_path_buf(),
        problem,
    };
    let (w16, h16) = (u16::try_from(w), u16::try_from(h));
    let (Ok(w16), Ok(h16)) = (w16, h16) else {
        return Err(fail(format!("{w}x{h} is too large for a JPEG")));
    };
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    enc.encode(rgb, w16, h16, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| fail(format!("cannot encode the JPEG: {e}")))?;
    Ok(out)
}

/// Single-channel 32-bit float TIFF bytes.
///
/// # Errors
/// As [`png_rgb8`].
pub fn tiff_f32(path_for_errors: &Path, w: usize, h: usize, values: &[f32]) -> Result<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut enc =
        tiff::encoder::TiffEncoder::new(&mut out).map_err(|e| tiff_err(path_for_errors, &e))?;
    enc.write_image::<tiff::encoder::colortype::Gray32Float>(w as u32, h as u32, values)
        .map_err(|e| tiff_err(path_for_errors, &e))?;
    Ok(out.into_inner())
}

fn tiff_err(path: &Path, e: &tiff::TiffError) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

fn encode(path: &Path, f: impl FnOnce(&mut Vec<u8>) -> image::ImageResult<()>) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    f(&mut buf).map_err(|e| Error::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_names_the_output_folder_asked_for_not_its_staging() {
        let staged = Path::new("/data/out/.case 1.skintrack-new-42-1f-0/plots/x.png");
        assert_eq!(as_asked(staged), Path::new("/data/out/case 1/plots/x.png"));
        let old = Path::new("rel/.o.skintrack-old-7-a-3");
        assert_eq!(as_asked(old), Path::new("rel/o"));
        // other hidden names are left as they are
        let plain = Path::new("/a/.hidden/.o.skintrack-other/b");
        assert_eq!(as_asked(plain), plain);
    }

    #[cfg(unix)]
    #[test]
    fn resolve_ahead_reads_links_and_steps_back_past_missing_folders() {
        let t = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(t.path()).unwrap();
        std::fs::create_dir(root.join("real")).unwrap();
        std::os::unix::fs::symlink(root.join("real"), root.join("link")).unwrap();
        for (path, want) in [
            ("missing/../a", "a"),
            ("./a/./b", "a/b"),
            ("link/x", "real/x"),
            // a link after a missing folder and `..`: still read through
            ("missing/../link/x", "real/x"),
            ("missing/deeper/../../link", "real"),
        ] {
            assert_eq!(resolve_ahead(&root.join(path)), root.join(want), "{path}");
        }
        // nothing of it exists: applied by name from the root
        assert_eq!(
            resolve_ahead(Path::new("/no-such-root-x/a/../b")),
            PathBuf::from("/no-such-root-x/b")
        );
    }

    #[test]
    fn a_staging_folder_is_left_to_its_run_until_it_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let beside = |n: &str| dir.path().join(format!(".out.skintrack-{n}"));
        let (working, killed, swapped) = (
            beside("new-7-1-0"),
            beside("new-8-2-0"),
            beside("old-9-3-0"),
        );
        for d in [&working, &killed, &swapped] {
            std::fs::create_dir(d).unwrap();
        }
        let long_ago =
            std::time::SystemTime::now() - STALE_AFTER - std::time::Duration::from_secs(60);
        std::fs::File::open(&killed)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        let first = Staged::begin(&target).unwrap();
        assert!(working.is_dir(), "another run's staging folder was removed");
        assert!(!killed.exists() && !swapped.exists());
        // a second run of the same output at once: its own staging folder,
        // and the first one's left alone
        let second = Staged::begin(&target).unwrap();
        assert_ne!(first.path(), second.path());
        assert!(first.path().is_dir());
        write_atomic(&first.path().join("which"), b"first").unwrap();
        write_atomic(&second.path().join("which"), b"second").unwrap();
        first.commit().unwrap();
        second.commit().unwrap();
        assert_eq!(std::fs::read(target.join("which")).unwrap(), b"second");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "out" && !n.ends_with("new-7-1-0"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn atomic_write_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/out.txt");
        write_atomic(&p, b"hello").unwrap();
        write_atomic(&p, b"again").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"again");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn output_jpeg_decodes_to_its_pixels_and_refuses_oversized_sides() {
        // a smooth colour ramp: 4:2:0 at quality 95 keeps it within a few levels
        let (w, h) = (67, 45);
        let rgb: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                [(x * 3) as u8, (y * 5) as u8, 128 + (x + y) as u8 / 2]
            })
            .collect();
        let bytes = jpeg_output(Path::new("t.jpg"), w, h, &rgb, 95).unwrap();
        assert_eq!(&bytes[..2], &[0xFF, 0xD8]);
        assert!(!bytes.windows(4).any(|b| b == b"Exif"), "no EXIF");
        let back = image::load_from_memory(&bytes).unwrap().to_rgb8();
        assert_eq!((back.width() as usize, back.height() as usize), (w, h));
        let worst = back
            .into_raw()
            .iter()
            .zip(&rgb)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(worst <= 8, "{worst}");
        assert!(jpeg_output(Path::new("t.jpg"), 70_000, 1, &vec![0; 210_000], 90).is_err());
    }

    #[test]
    fn sixteen_bit_png_round_trips() {
        let samples: Vec<u16> = vec![0, 1, 258, 40000, 65535, 12345];
        let bytes = png_grey16(Path::new("t.png"), 3, 2, &samples).unwrap();
        let img = image::load_from_memory(&bytes).unwrap().to_luma16();
        assert_eq!(img.into_raw(), samples);
        let rgb: Vec<u16> = (0..18).map(|i| i * 3000).collect();
        let bytes = png_rgb16(Path::new("t.png"), 3, 2, &rgb).unwrap();
        assert_eq!(
            image::load_from_memory(&bytes)
                .unwrap()
                .to_rgb16()
                .into_raw(),
            rgb
        );
    }
}
