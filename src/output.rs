//! Writing outputs safely: every file goes to a temporary name in its
//! destination folder and is renamed into place, so a reader never sees a
//! half-written file. Images are encoded without any metadata (no EXIF, no
//! GPS, no ICC): client photos are health data.

use crate::error::{Error, Result};
use image::ImageEncoder as _;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically (temporary file + rename).
///
/// # Errors
/// [`Error::Write`] naming `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".skintrack-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.flush().map_err(err)?;
    // temporary files are created private (0600); outputs are ordinary files
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(err)?;
    }
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// Creates `dir` (and parents).
///
/// # Errors
/// [`Error::Write`] naming `dir`.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })
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
    // the output may not exist yet: resolve its nearest existing ancestor
    let mut probe = out_dir.to_path_buf();
    let mut tail = Vec::new();
    let resolved = loop {
        if let Ok(p) = std::fs::canonicalize(&probe) {
            break tail
                .iter()
                .rev()
                .fold(p, |acc: PathBuf, t: &std::ffi::OsString| acc.join(t));
        }
        match (probe.file_name().map(ToOwned::to_owned), probe.parent()) {
            (Some(name), Some(parent)) => {
                tail.push(name);
                probe = if parent.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    parent.to_path_buf()
                };
            }
            _ => break out_dir.to_path_buf(),
        }
    };
    if resolved.starts_with(&case) {
        return Err(Error::usage(format!(
            "{}: the output folder must not be inside the case folder (originals are never written to)",
            out_dir.display()
        )));
    }
    Ok(())
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
