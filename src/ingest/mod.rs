//! Decoding: every file format quirk ends here.
//!
//! `ingest` reads JPEG (zune-jpeg in strict mode, so truncated or corrupt
//! entropy data is an error instead of silently grey pixels), PNG and TIFF
//! (the `image` crate) and, in a build with the `heic` feature, HEIC/HEIF
//! (`heic.rs`), enforces size limits *before* allocating pixels,
//! applies the orientation exactly once, reads the capture date, and
//! hands later stages plain `f32` planes. No later stage sees a file format,
//! EXIF or bit depth. Formats are recognised by their bytes, not their name.

mod fill;
mod guard;
#[cfg(feature = "heic")]
mod heic;
mod jpeg;
mod png;
pub mod profile;
mod progressive;
mod quant;
mod scan;
mod seam;
mod strips;
mod surface;
mod words;
pub use surface::{Encoding, read_height_map, read_mask, read_set};

use crate::date::Date;
use crate::error::{Error, Result};
use crate::raster::{ColourModel, Plane, RgbPlanes};
pub use quant::{DcSteps, dc_steps};
use std::io::Cursor;
use std::path::Path;
pub(crate) use words::one_line;

/// Limits on what `ingest` agrees to decode.
#[derive(Clone, Copy, Debug)]
pub struct IngestOptions {
    /// Largest file accepted, in bytes (the JPEG decoder reads it whole).
    pub max_file_bytes: u64,
    /// Largest width or height in pixels.
    pub max_side: u32,
    /// Largest pixel count (a 1-bit PNG of 400 Mpx is a 48 kB decompression bomb).
    pub max_pixels: u64,
    /// Memory budget in bytes: an image whose estimated peak
    /// ([`PEAK_BYTES_PER_PIXEL`] a pixel) exceeds it is refused from its
    /// header, before any pixel is decoded.
    pub max_memory: u64,
}

/// Default memory budget: 2 GB.
pub const DEFAULT_MAX_MEMORY: u64 = 2_000_000_000;

/// Estimated peak memory per pixel of the heaviest stage a photo goes
/// through: the metrics of a whole photo (measured: 245 MB peak RSS for a
/// 3 MP photo, 81 B/px; 4.4 GB for an 81 MP grey TIFF, 54 B/px; align
/// and analyze with a region stay below). A 2 GB budget admits 25 MP.
pub const PEAK_BYTES_PER_PIXEL: u64 = 80;

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            max_file_bytes: 512 << 20,
            max_side: 30_000,
            max_pixels: 100_000_000,
            max_memory: DEFAULT_MAX_MEMORY,
        }
    }
}

/// What was decoded, before any scaling: one plane per channel (1 or 3; alpha
/// is dropped), sample values as stored (0–255, 0–65535, or float).
#[derive(Clone, Debug)]
pub struct Decoded {
    /// Grey (1 plane) or RGB (3 planes), oriented upright.
    pub planes: Vec<Plane>,
    /// Bits per sample as stored: 8, 16 or 32 (float TIFF).
    pub bit_depth: u8,
    /// Metadata read alongside.
    pub meta: Meta,
}

impl Decoded {
    /// As [`Decoded::upright`], after checking the planes as stored for a
    /// lost part a decoder filled before the file was saved again
    /// ([`fill::lost_part`] for 8- and 16-bit samples, [`fill::smeared_tail`]).
    ///
    /// # Errors
    /// [`Error::Decode`] naming `path` when there is one.
    fn checked(
        path: &Path,
        planes: Vec<Plane>,
        bit_depth: u8,
        meta: Meta,
        orientation: u16,
    ) -> Result<Decoded> {
        let full = match bit_depth {
            8 => Some(255.0),
            16 => Some(65535.0),
            _ => None,
        };
        let damage = |found: fill::Fill, what: &str| Error::Decode {
            path: path.to_path_buf(),
            reason: format!(
                "damaged: {:.0}% of the image, from stored pixel row {} on, {what} (a lost part a decoder filled before the picture was saved again); use the original photo",
                100.0 * found.share,
                found.row
            ),
        };
        if let Some(found) = full.and_then(|full| fill::lost_part(&planes, full)) {
            return Err(damage(found, "is one flat colour"));
        }
        if let Some(found) = fill::smeared_tail(&planes) {
            return Err(damage(found, "repeats the row above it"));
        }
        Ok(Decoded::upright(planes, bit_depth, meta, orientation))
    }

    /// The decoded `planes` turned upright by their EXIF `orientation`
    /// (which `meta` then records).
    fn upright(planes: Vec<Plane>, bit_depth: u8, mut meta: Meta, orientation: u16) -> Decoded {
        meta.orientation = orientation;
        Decoded {
            planes: planes
                .into_iter()
                .map(|p| oriented(&p, orientation))
                .collect(),
            bit_depth,
            meta,
        }
    }
}

/// Metadata a capture keeps (never written out).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meta {
    /// EXIF DateTimeOriginal, date part.
    pub date_taken: Option<Date>,
    /// The EXIF orientation that was applied (1 = none).
    pub orientation: u16,
    /// Width × height as stored, before orientation.
    pub stored_size: (usize, usize),
    /// Things that were odd but not fatal (an undefined orientation, unreadable EXIF).
    pub warnings: Vec<String>,
    /// A JPEG's DC quantiser steps (`None` for other formats).
    pub jpeg_dc_steps: Option<DcSteps>,
    /// The ICC profile embedded in a colour JPEG (`None`: untagged, taken
    /// as sRGB; other formats), see [`profile`].
    pub icc: Option<std::sync::Arc<[u8]>>,
    /// Where the image is fully transparent (alpha 0: 1, else 0), upright;
    /// `None` where it has no such pixel.
    pub transparent: Option<std::sync::Arc<Plane>>,
}

/// A photo ready for measurement: sRGB-encoded planes on the 0–255 scale.
#[derive(Clone, Debug)]
pub struct Photo {
    /// The pixels (grey files keep `ColourModel::Grey`).
    pub image: RgbPlanes,
    /// What was read alongside.
    pub meta: Meta,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Jpeg,
    Png,
    Tiff,
    /// HEIC/HEIF (and AVIF, which shares the container).
    Heif,
}

/// Reads a photo: decoded, oriented, scaled to the 0–255 scale.
///
/// # Errors
/// [`Error::Read`], [`Error::Decode`], [`Error::TooLarge`] or
/// [`Error::Unsupported`], each naming `path`.
pub fn read_photo(path: &Path, opts: &IngestOptions) -> Result<Photo> {
    let _t = crate::timing::span("decode");
    let decoded = decode_file(path, opts)?;
    if decoded.bit_depth == 32 {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            reason: "floating-point samples (a photo must have 8 or 16 bits per sample)".into(),
        });
    }
    let scale = if decoded.bit_depth == 16 {
        1.0 / 257.0
    } else {
        1.0
    };
    let mut planes = decoded.planes.into_iter().map(|p| {
        if scale == 1.0 {
            p
        } else {
            p.map(|v| v * scale)
        }
    });
    let image = match (planes.next(), planes.next(), planes.next()) {
        (Some(r), Some(g), Some(b)) => RgbPlanes {
            r,
            g,
            b,
            model: ColourModel::Rgb,
        },
        (Some(grey), None, None) => RgbPlanes::from_grey(grey),
        _ => {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                reason: "neither grey nor RGB".into(),
            });
        }
    };
    Ok(Photo {
        image,
        meta: decoded.meta,
    })
}

/// Reads only the EXIF capture date of an image (no pixel decoding).
///
/// # Errors
/// [`Error::Read`] when the file cannot be opened.
pub fn read_date_taken(path: &Path) -> Result<Option<Date>> {
    let bytes = crate::files::read_capped(path, IngestOptions::default().max_file_bytes)?;
    let blob = match sniff(&bytes) {
        Some(Format::Jpeg) => jpeg::jpeg_exif_blob(&bytes),
        Some(Format::Png | Format::Tiff | Format::Heif) => {
            let mut r = exif::Reader::new();
            r.continue_on_error(true);
            return Ok(r
                .read_from_container(&mut Cursor::new(&bytes))
                .or_else(|e| e.distill_partial_result(|_| {}))
                .ok()
                .and_then(|ex| exif_date(&ex)));
        }
        None => None,
    };
    Ok(blob
        .and_then(|b| parse_exif(&b).0)
        .and_then(|ex| exif_date(&ex)))
}

/// Decodes any supported file into upright planes of stored sample values.
///
/// # Errors
/// As [`read_photo`].
pub fn decode_file(path: &Path, opts: &IngestOptions) -> Result<Decoded> {
    // regular files only, opened non-blocking, read with a hard cap
    let bytes = crate::files::read_capped(path, opts.max_file_bytes)?;
    decode_bytes(path, &bytes, opts)
}

/// Decodes an in-memory file; `path` is only used in messages.
///
/// # Errors
/// As [`read_photo`].
pub fn decode_bytes(path: &Path, bytes: &[u8], opts: &IngestOptions) -> Result<Decoded> {
    let decode_err = |reason: String| Error::Decode {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.is_empty() {
        return Err(decode_err("the file is empty".into()));
    }
    let decode = || match sniff(bytes) {
        Some(Format::Jpeg) => jpeg::decode_jpeg(path, bytes, opts),
        Some(Format::Heif) => decode_heif(path, bytes, opts),
        Some(fmt) => decode_with_image(path, bytes, fmt, opts),
        None => Err(decode_err("not a JPEG, PNG, TIFF or HEIC file".into())),
    };
    guard::catching_panics(decode).unwrap_or_else(|| {
        Err(decode_err(
            "the image decoder stopped on this file (a layout it cannot read, or damage); save it again as JPEG, PNG or TIFF".into(),
        ))
    })
}

#[cfg(feature = "heic")]
fn decode_heif(path: &Path, bytes: &[u8], opts: &IngestOptions) -> Result<Decoded> {
    heic::decode_heic(path, bytes, opts)
}

#[cfg(not(feature = "heic"))]
fn decode_heif(path: &Path, bytes: &[u8], _opts: &IngestOptions) -> Result<Decoded> {
    let reason = if bytes.get(8..12) == Some(b"avif") {
        "AVIF is not read; convert the photo to JPEG"
    } else {
        // HEVC decoders carry patent licensing, so HEIC is opt-in (README)
        "HEIC/HEIF needs a build with --features heic (cargo build --release --features heic), or convert the photo to JPEG"
    };
    Err(Error::Unsupported {
        path: path.to_path_buf(),
        reason: reason.into(),
    })
}

fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some(Format::Tiff)
    } else if is_heif(bytes) {
        Some(Format::Heif)
    } else {
        None
    }
}

fn is_heif(bytes: &[u8]) -> bool {
    bytes.get(4..8) == Some(b"ftyp")
        && matches!(
            bytes.get(8..12),
            Some(b"heic" | b"heix" | b"mif1" | b"msf1" | b"heim" | b"heis" | b"avif")
        )
}

fn check_size(path: &Path, w: usize, h: usize, opts: &IngestOptions) -> Result<()> {
    if w == 0 || h == 0 {
        return Err(Error::Decode {
            path: path.to_path_buf(),
            reason: format!("the header gives a size of {w}x{h} pixels"),
        });
    }
    let max_side = opts.max_side as usize;
    if w > max_side || h > max_side || (w as u64) * (h as u64) > opts.max_pixels {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            reason: format!(
                "{w}x{h} pixels, the limit is {max_side} px a side and {} megapixels",
                opts.max_pixels / 1_000_000
            ),
        });
    }
    let need = (w as u64) * (h as u64) * PEAK_BYTES_PER_PIXEL;
    if need > opts.max_memory {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            reason: format!(
                "{w}x{h} pixels need about {} MB to measure, over the memory budget of {} MB; allow it with --max-memory {}M",
                need / 1_000_000,
                opts.max_memory / 1_000_000,
                need.div_ceil(1_000_000)
            ),
        });
    }
    Ok(())
}

fn decode_with_image(
    path: &Path,
    bytes: &[u8],
    fmt: Format,
    opts: &IngestOptions,
) -> Result<Decoded> {
    use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
    let decode_err = |e: &dyn std::fmt::Display| Error::Decode {
        path: path.to_path_buf(),
        reason: one_line(&e.to_string()),
    };
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(opts.max_side);
    limits.max_image_height = Some(opts.max_side);
    limits.max_alloc = Some(opts.max_pixels.saturating_mul(8));
    if fmt == Format::Tiff
        && let Some(problem) = strips::strip_past_end(bytes)
    {
        return Err(decode_err(&problem));
    }
    let bytes = if fmt == Format::Png {
        png::without_unused_chunks(bytes)
    } else {
        std::borrow::Cow::Borrowed(bytes)
    };
    let mut reader = ImageReader::new(Cursor::new(bytes.as_ref()));
    reader.set_format(if fmt == Format::Png {
        ImageFormat::Png
    } else {
        ImageFormat::Tiff
    });
    reader.limits(limits.clone());
    let mut dec = reader.into_decoder().map_err(|e| image_error(path, &e))?;
    let (w, h) = dec.dimensions();
    check_size(path, w as usize, h as usize, opts)?;
    let mut meta = Meta {
        stored_size: (w as usize, h as usize),
        orientation: 1,
        ..Meta::default()
    };
    // EXIF in PNG (eXIf) and TIFF: orientation and date; a broken block is
    // ignored. A TIFF's own Orientation tag (of its first image) holds
    // where no EXIF block gives one.
    let mut orientation = None;
    if let Ok(Some(blob)) = dec.exif_metadata() {
        let (exif, warning) = parse_exif(&blob);
        meta.warnings.extend(warning);
        if let Some(ex) = exif {
            meta.date_taken = exif_date(&ex);
            orientation = exif_orientation_field(&ex, &mut meta.warnings);
        }
    }
    if fmt == Format::Tiff && orientation.is_none() {
        orientation = strips::orientation(&bytes)
            .map(|v| valid_orientation(v, "TIFF orientation tag", &mut meta.warnings));
    }
    let orientation = orientation.unwrap_or(1);
    limits
        .reserve(dec.total_bytes())
        .map_err(|e| image_error(path, &e))?;
    let tiles = (fmt == Format::Tiff).then(|| strips::planar_tiles(&bytes));
    let img = match tiles.flatten() {
        Some(read) => read.map_err(|e| decode_err(&e))?,
        None => DynamicImage::from_decoder(dec).map_err(|e| image_error(path, &e))?,
    };
    let (w, h) = (img.width() as usize, img.height() as usize);
    let transparent = alpha_zero(&img);
    let (planes, bit_depth) = match img {
        DynamicImage::ImageLuma8(b) => (deinterleave_u8(b.as_raw(), w, h, 1), 8),
        DynamicImage::ImageLumaA8(b) => (drop_alpha_u8(b.as_raw(), w, h, 1), 8),
        DynamicImage::ImageRgb8(b) => (deinterleave_u8(b.as_raw(), w, h, 3), 8),
        DynamicImage::ImageRgba8(b) => (drop_alpha_u8(b.as_raw(), w, h, 3), 8),
        DynamicImage::ImageLuma16(b) => (deinterleave(b.as_raw(), w, h, 1, 1), 16),
        DynamicImage::ImageLumaA16(b) => (deinterleave(b.as_raw(), w, h, 1, 2), 16),
        DynamicImage::ImageRgb16(b) => (deinterleave(b.as_raw(), w, h, 3, 3), 16),
        DynamicImage::ImageRgba16(b) => (deinterleave(b.as_raw(), w, h, 3, 4), 16),
        DynamicImage::ImageRgb32F(b) => (deinterleave(b.as_raw(), w, h, 3, 3), 32),
        DynamicImage::ImageRgba32F(b) => (deinterleave(b.as_raw(), w, h, 3, 4), 32),
        other => {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                reason: format!("pixel layout {:?}", other.color()),
            });
        }
    };
    if planes
        .iter()
        .any(|p| p.data().iter().any(|v| !v.is_finite()))
    {
        return Err(decode_err(&"the image holds NaN or infinite samples"));
    }
    if let Some(t) = &transparent {
        let n = t.data().iter().filter(|&&v| v > 0.0).count();
        meta.warnings.push(format!(
            "{n} pixels are fully transparent (alpha 0): no photo there, and they are read as the colour stored under them"
        ));
    }
    let mut decoded = Decoded::checked(path, planes, bit_depth, meta, orientation)?;
    decoded.meta.transparent = transparent.map(|t| std::sync::Arc::new(oriented(&t, orientation)));
    Ok(decoded)
}

/// Where an image with an alpha channel is fully transparent (1, else 0),
/// if anywhere: no photo there (the part of an aligned image that the
/// moving photo did not cover). Alpha is read at its own depth: a 16-bit
/// alpha of 1 is not transparent.
fn alpha_zero(img: &image::DynamicImage) -> Option<Plane> {
    use image::DynamicImage as D;
    /// 1 where the last channel (alpha) is 0 or less, or not a number.
    fn zero<P: image::Pixel>(img: &image::ImageBuffer<P, Vec<P::Subpixel>>) -> Vec<f32>
    where
        P::Subpixel: PartialOrd + Default,
    {
        img.pixels()
            .map(|p| {
                let alpha = p.channels()[P::CHANNEL_COUNT as usize - 1];
                let none =
                    alpha.partial_cmp(&P::Subpixel::default()) != Some(std::cmp::Ordering::Greater);
                f32::from(u8::from(none))
            })
            .collect()
    }
    let zero = match img {
        _ if !img.color().has_alpha() => return None,
        D::ImageLumaA8(i) => zero(i),
        D::ImageRgba8(i) => zero(i),
        D::ImageLumaA16(i) => zero(i),
        D::ImageRgba16(i) => zero(i),
        D::ImageRgba32F(i) => zero(i),
        other => zero(&other.to_rgba32f()),
    };
    zero.contains(&1.0)
        .then(|| Plane::from_vec(img.width() as usize, img.height() as usize, zero))
        .flatten()
}

/// How many pixels of `rect` (photo px) are fully transparent in `meta`'s
/// photo ([`Meta::transparent`]).
#[must_use]
pub fn transparent_in(meta: &Meta, rect: crate::raster::Rect) -> usize {
    let Some(t) = &meta.transparent else {
        return 0;
    };
    let (x1, y1) = (
        (rect.x + rect.w).min(t.width()),
        (rect.y + rect.h).min(t.height()),
    );
    (rect.y.min(y1)..y1)
        .map(|y| {
            t.row(y)[rect.x.min(x1)..x1]
                .iter()
                .filter(|&&v| v > 0.0)
                .count()
        })
        .sum()
}

fn image_error(path: &Path, e: &image::ImageError) -> Error {
    use image::ImageError;
    use image::error::LimitErrorKind;
    // the decoder's own words pick the plain message below; any other is
    // said plainly as it stands
    let text = e.to_string();
    let reason = words::plain(&text);
    match e {
        ImageError::Limits(l)
            if matches!(
                l.kind(),
                LimitErrorKind::DimensionError | LimitErrorKind::InsufficientMemory
            ) =>
        {
            Error::TooLarge {
                path: path.to_path_buf(),
                reason: "its declared size is over the decoding limits (a side over the limit, or more pixels than the --max-memory budget allows)".into(),
            }
        }
        // the decoder's own words name an internal type ("color type
        // `Unknown(32)`"): say what is read instead
        ImageError::Unsupported(u)
            if matches!(
                u.kind(),
                image::error::UnsupportedErrorKind::Color(_)
            ) =>
        {
            Error::Unsupported {
                path: path.to_path_buf(),
                reason: "its pixel layout (e.g. one channel of 32-bit float) is not read: photos are 8- or 16-bit grey, RGB or RGBA; height maps one 16-bit channel; 32-bit float RGB only in a photometric set".into(),
            }
        }
        // the TIFF decoder's words are its own ("Unhandled TIFF sample
        // format 2 for 32 bits", "RGBPalette with bits per sample [8]")
        ImageError::Unsupported(_) if text.contains("Palette") => Error::Unsupported {
            path: path.to_path_buf(),
            reason: "a palette (indexed-colour) TIFF is not read; save it as an RGB TIFF or a PNG".into(),
        },
        ImageError::Unsupported(_) if text.contains("sample format") => Error::Unsupported {
            path: path.to_path_buf(),
            reason: "its samples (e.g. 32-bit integers) are not read: photos are 8- or 16-bit grey, RGB or RGBA".into(),
        },
        ImageError::Unsupported(_) => Error::Unsupported {
            path: path.to_path_buf(),
            reason,
        },
        // TIFF strips (or any image data) past the end of the file
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::Decode {
                path: path.to_path_buf(),
                reason: "the file ends before the image data its header lists (cut short in copying or saving, or a header that points past its end)".into(),
            }
        }
        _ => Error::Decode {
            path: path.to_path_buf(),
            reason,
        },
    }
}

fn deinterleave_u8(px: &[u8], w: usize, h: usize, channels: usize) -> Vec<Plane> {
    use rayon::prelude::*;
    (0..channels)
        .map(|c| {
            // rows in parallel: the first touch of a 48 MB plane is page
            // faults, which two threads take in half the time
            let mut p = Plane::filled(w, h, 0.0);
            p.data_mut()
                .par_chunks_mut(w.max(1))
                .enumerate()
                .for_each(|(y, row)| {
                    let src = &px[y * w * channels..(y + 1) * w * channels];
                    for (d, s) in row.iter_mut().zip(src.iter().skip(c).step_by(channels)) {
                        *d = f32::from(*s);
                    }
                });
            p
        })
        .collect()
}

fn drop_alpha_u8(px: &[u8], w: usize, h: usize, colour: usize) -> Vec<Plane> {
    let stride = colour + 1;
    (0..colour)
        .map(|c| {
            let data = px
                .iter()
                .skip(c)
                .step_by(stride)
                .map(|&v| f32::from(v))
                .collect();
            Plane::from_vec(w, h, data).expect("invariant: decoder buffer is w*h*channels")
        })
        .collect()
}

fn deinterleave<T: Copy + Into<f64>>(
    px: &[T],
    w: usize,
    h: usize,
    colour: usize,
    stride: usize,
) -> Vec<Plane> {
    (0..colour)
        .map(|c| {
            let data = px
                .iter()
                .skip(c)
                .step_by(stride)
                .map(|&v| v.into() as f32)
                .collect();
            Plane::from_vec(w, h, data).expect("invariant: decoder buffer is w*h*channels")
        })
        .collect()
}

/// Parses an EXIF blob (TIFF structure, with or without the "Exif\0\0"
/// header). A damaged block gives what could be read plus a warning; it never
/// fails the image.
fn parse_exif(blob: &[u8]) -> (Option<exif::Exif>, Option<String>) {
    let tiff = blob.strip_prefix(b"Exif\0\0").unwrap_or(blob).to_vec();
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    match reader.read_raw(tiff) {
        Ok(ex) => (Some(ex), None),
        Err(e) => {
            let mut problems = Vec::new();
            match e.distill_partial_result(|errs| {
                problems = errs.iter().map(ToString::to_string).collect()
            }) {
                Ok(ex) => (
                    Some(ex),
                    Some(format!(
                        "damaged EXIF block ({}); partly ignored",
                        problems.join("; ")
                    )),
                ),
                Err(e) => (None, Some(format!("unreadable EXIF block ({e}); ignored"))),
            }
        }
    }
}

fn exif_date(ex: &exif::Exif) -> Option<Date> {
    let field = ex
        .get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)
        .or_else(|| ex.get_field(exif::Tag::DateTime, exif::In::PRIMARY))?;
    let exif::Value::Ascii(ref v) = field.value else {
        return None;
    };
    let dt = exif::DateTime::from_ascii(v.first()?).ok()?;
    Date::new(i32::from(dt.year), dt.month, dt.day)
}

fn exif_orientation(ex: &exif::Exif, warnings: &mut Vec<String>) -> u16 {
    exif_orientation_field(ex, warnings).unwrap_or(1)
}

/// The EXIF block's orientation, if it has the field.
fn exif_orientation_field(ex: &exif::Exif, warnings: &mut Vec<String>) -> Option<u16> {
    let field = ex.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?;
    Some(field.value.get_uint(0).map_or(1, |v| {
        valid_orientation(u64::from(v), "EXIF orientation", warnings)
    }))
}

/// An orientation value (1–8), or 1 with a warning for an undefined one
/// (`what` names where it was read).
fn valid_orientation(v: u64, what: &str, warnings: &mut Vec<String>) -> u16 {
    match v {
        1..=8 => v as u16,
        _ => {
            warnings.push(format!("{what} {v} is not defined; treated as 1 (upright)"));
            1
        }
    }
}

/// The plane turned upright according to EXIF `orientation` (1–8; anything
/// else is treated as 1). For each upright pixel (x, y) the stored pixel is
/// read from the position the EXIF specification assigns.
#[must_use]
pub fn oriented(p: &Plane, orientation: u16) -> Plane {
    let (ws, hs) = (p.width(), p.height());
    let transposed = matches!(orientation, 5..=8);
    let (wu, hu) = if transposed { (hs, ws) } else { (ws, hs) };
    if !(2..=8).contains(&orientation) {
        return p.clone();
    }
    Plane::from_fn(wu, hu, |x, y| {
        let (sx, sy) = match orientation {
            2 => (ws - 1 - x, y),
            3 => (ws - 1 - x, hs - 1 - y),
            4 => (x, hs - 1 - y),
            5 => (y, x),
            6 => (y, hs - 1 - x),
            7 => (ws - 1 - y, hs - 1 - x),
            _ => (ws - 1 - y, x), // 8
        };
        p.at(sx, sy)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transparency_is_read_at_the_alpha_channels_own_depth() {
        use image::{DynamicImage as D, ImageBuffer};
        // alpha of the three pixels: none, the least above none, full
        let found = |img: D| alpha_zero(&img).map(|p| p.data().to_vec());
        let rgba8 = ImageBuffer::from_fn(3, 1, |x, _| {
            image::Rgba([9u8, 9, 9, [0, 1, 255][x as usize]])
        });
        let rgba16 = ImageBuffer::from_fn(3, 1, |x, _| {
            image::Rgba([9u16, 9, 9, [0, 1, 65535][x as usize]])
        });
        let grey16 =
            ImageBuffer::from_fn(3, 1, |x, _| image::LumaA([9u16, [0, 1, 65535][x as usize]]));
        let float = ImageBuffer::from_fn(3, 1, |x, _| {
            image::Rgba([0.5f32, 0.5, 0.5, [0.0, 1e-7, 1.0][x as usize]])
        });
        for img in [
            D::ImageRgba8(rgba8),
            D::ImageRgba16(rgba16),
            D::ImageLumaA16(grey16),
            D::ImageRgba32F(float),
        ] {
            assert_eq!(found(img), Some(vec![1.0, 0.0, 0.0]));
        }
        // opaque everywhere, or no alpha at all: nothing
        let opaque = ImageBuffer::from_pixel(3, 1, image::Rgba([9u16, 9, 9, 1]));
        assert_eq!(found(D::ImageRgba16(opaque)), None);
        assert_eq!(found(D::ImageRgb8(ImageBuffer::new(3, 1))), None);
    }

    #[test]
    fn orientation_puts_stored_pixels_where_exif_says() {
        // A stored 4x3 image; where do stored (0,0) and (1,0) land upright?
        // EXIF: 1 TL, 2 TR, 3 BR, 4 BL, 5 TL, 6 TR, 7 BR, 8 BL for (0,0);
        // the neighbour (1,0) runs along the upright top row for 1-4 and down
        // or up the upright side column for 5-8.
        let stored = Plane::from_fn(4, 3, |x, y| (1 + x + 10 * y) as f32);
        type Case = (u16, (usize, usize), (usize, usize), (usize, usize));
        let expect: [Case; 8] = [
            (1, (4, 3), (0, 0), (1, 0)),
            (2, (4, 3), (3, 0), (2, 0)),
            (3, (4, 3), (3, 2), (2, 2)),
            (4, (4, 3), (0, 2), (1, 2)),
            (5, (3, 4), (0, 0), (0, 1)),
            (6, (3, 4), (2, 0), (2, 1)),
            (7, (3, 4), (2, 3), (2, 2)),
            (8, (3, 4), (0, 3), (0, 2)),
        ];
        for (o, size, tl, next) in expect {
            let u = oriented(&stored, o);
            assert_eq!((u.width(), u.height()), size, "orientation {o}");
            assert_eq!(u.at(tl.0, tl.1), 1.0, "orientation {o}: stored (0,0)");
            assert_eq!(u.at(next.0, next.1), 2.0, "orientation {o}: stored (1,0)");
        }
    }

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(Format::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(sniff(b"II*\0...."), Some(Format::Tiff));
        assert_eq!(sniff(b"hello"), None);
    }

    #[test]
    fn heic_is_named_not_garbled() {
        let mut f = vec![0, 0, 0, 24];
        f.extend_from_slice(b"ftypheic");
        f.extend_from_slice(&[0; 16]);
        assert_eq!(sniff(&f), Some(Format::Heif));
        let e = decode_bytes(Path::new("x.heic"), &f, &IngestOptions::default()).unwrap_err();
        assert!(e.to_string().starts_with("x.heic: "), "{e}");
        assert_eq!(e.to_string().lines().count(), 1, "{e}");
        assert_eq!(e.exit_code(), 2);
        if cfg!(feature = "heic") {
            // an empty container: damaged, not unsupported
            assert!(matches!(e, Error::Decode { .. }), "{e}");
        } else {
            // the build that cannot read it says which build can
            assert!(e.to_string().contains("--features heic"), "{e}");
        }
    }
}
