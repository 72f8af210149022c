//! Decoding: every file format quirk ends here.
//!
//! `ingest` reads JPEG (zune-jpeg in strict mode, so truncated or corrupt
//! entropy data is an error instead of silently grey pixels), PNG and TIFF
//! (the `image` crate), enforces size limits *before* allocating pixels,
//! applies the EXIF orientation exactly once, reads the capture date, and
//! hands later stages plain `f32` planes. No later stage sees a file format,
//! EXIF or bit depth. Formats are recognised by their bytes, not their name.

mod surface;
pub use surface::{Encoding, read_height_map, read_mask, read_set};

use crate::date::Date;
use crate::error::{Error, Result};
use crate::raster::{ColourModel, Plane, RgbPlanes};
use std::io::Cursor;
use std::path::Path;

/// Limits on what `ingest` agrees to decode.
#[derive(Clone, Copy, Debug)]
pub struct IngestOptions {
    /// Largest file accepted, in bytes (the JPEG decoder reads it whole).
    pub max_file_bytes: u64,
    /// Largest width or height in pixels.
    pub max_side: u32,
    /// Largest pixel count (a 1-bit PNG of 400 Mpx is a 48 kB decompression bomb).
    pub max_pixels: u64,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            max_file_bytes: 512 << 20,
            max_side: 30_000,
            max_pixels: 100_000_000,
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
}

/// Reads a photo: decoded, oriented, scaled to the 0–255 scale.
///
/// # Errors
/// [`Error::Read`], [`Error::Decode`], [`Error::TooLarge`] or
/// [`Error::Unsupported`], each naming `path`.
pub fn read_photo(path: &Path, opts: &IngestOptions) -> Result<Photo> {
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
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let blob = match sniff(&bytes) {
        Some(Format::Jpeg) => jpeg_exif_blob(&bytes),
        Some(Format::Png | Format::Tiff) => {
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
    let len = std::fs::metadata(path)
        .map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    if len > opts.max_file_bytes {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            reason: format!("file is {len} bytes, the limit is {}", opts.max_file_bytes),
        });
    }
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
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
    match sniff(bytes) {
        Some(Format::Jpeg) => decode_jpeg(path, bytes, opts),
        Some(fmt) => decode_with_image(path, bytes, fmt, opts),
        None if is_heif(bytes) => Err(Error::Unsupported {
            path: path.to_path_buf(),
            reason: "HEIC/HEIF is not supported in this build; convert the photo to JPEG".into(),
        }),
        None => Err(decode_err("not a JPEG, PNG or TIFF file".into())),
    }
}

fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some(Format::Tiff)
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
    Ok(())
}

fn decode_jpeg(path: &Path, bytes: &[u8], opts: &IngestOptions) -> Result<Decoded> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    let decode_err = |e: &dyn std::fmt::Display| Error::Decode {
        path: path.to_path_buf(),
        reason: one_line(&e.to_string()),
    };
    // Strict mode turns "premature end of data" and bad Huffman codes into
    // errors; without it zune-jpeg fills the rest of the image with grey.
    let base = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(opts.max_side as usize)
        .set_max_height(opts.max_side as usize);
    let mut probe = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), base);
    probe.decode_headers().map_err(|e| match e {
        zune_jpeg::errors::DecodeErrors::LargeDimensions(_) => Error::TooLarge {
            path: path.to_path_buf(),
            reason: one_line(&e.to_string()),
        },
        _ => decode_err(&e),
    })?;
    let info = probe.info().ok_or_else(|| decode_err(&"no frame header"))?;
    let (w, h) = (usize::from(info.width), usize::from(info.height));
    check_size(path, w, h, opts)?;
    let grey = matches!(
        probe.input_colorspace(),
        Some(ColorSpace::Luma | ColorSpace::LumaA)
    );
    let out = if grey {
        ColorSpace::Luma
    } else {
        ColorSpace::RGB
    };
    let mut dec = zune_jpeg::JpegDecoder::new_with_options(
        ZCursor::new(bytes),
        base.jpeg_set_out_colorspace(out),
    );
    let pixels = dec.decode().map_err(|e| decode_err(&e))?;
    let channels = if grey { 1 } else { 3 };
    if pixels.len() != w * h * channels {
        return Err(decode_err(
            &"the decoder returned the wrong number of samples",
        ));
    }
    if let Some(fraction) = repeated_tail_fraction(&pixels, w, h, channels) {
        return Err(decode_err(&format!(
            "damaged: the last {:.0}% of the image repeats one block, so the compressed data ends early (a truncated or cut scan)",
            100.0 * fraction
        )));
    }
    let mut meta = Meta {
        stored_size: (w, h),
        orientation: 1,
        ..Meta::default()
    };
    let mut orientation = 1;
    if let Some(blob) = info.exif_data.as_deref() {
        let (exif, warning) = parse_exif(blob);
        if let Some(wn) = warning {
            meta.warnings.push(wn);
        }
        if let Some(ex) = exif {
            meta.date_taken = exif_date(&ex);
            orientation = exif_orientation(&ex, &mut meta.warnings);
        }
    }
    let planes = deinterleave_u8(&pixels, w, h, channels);
    meta.orientation = orientation;
    Ok(Decoded {
        planes: planes
            .into_iter()
            .map(|p| oriented(&p, orientation))
            .collect(),
        bit_depth: 8,
        meta,
    })
}

/// Smallest share of the image a repeated tail must cover to be damage.
const REPEATED_TAIL_MIN: f64 = 0.02;

/// Side of the blocks compared: the largest JPEG MCU (4:2:0 subsampling).
const MCU: usize = 16;

/// The fraction of the image's 16×16 blocks (in scan order) that repeat its
/// last block at its end, when that covers at least [`REPEATED_TAIL_MIN`]
/// and more than a row of blocks, and the block is not plain black or white: what a decoder produces when
/// a JPEG scan ends early (the missing MCUs repeat the last one decoded).
/// Real photos repeat whole blocks only where clipped to black or white.
fn repeated_tail_fraction(pixels: &[u8], w: usize, h: usize, channels: usize) -> Option<f64> {
    let (bw, bh) = (w / MCU, h / MCU);
    let n = bw * bh;
    if n < 2 || pixels.len() < w * h * channels {
        return None;
    }
    let row = w * channels;
    let block = |k: usize| {
        let (x0, y0) = ((k % bw) * MCU * channels, (k / bw) * MCU);
        (0..MCU).map(move |dy| &pixels[(y0 + dy) * row + x0..(y0 + dy) * row + x0 + MCU * channels])
    };
    let last = n - 1;
    let plain = |v: u8| block(last).all(|r| r.iter().all(|&p| p == v));
    if plain(0) || plain(255) {
        return None;
    }
    let run = (0..last)
        .rev()
        .take_while(|&k| block(k).zip(block(last)).all(|(a, b)| a == b))
        .count()
        + 1;
    let fraction = run as f64 / n as f64;
    // more than a whole row of blocks (flat synthetic regions, a chart's
    // quadrant, repeat within rows; a cut scan repeats to the end), and not
    // the whole image (a uniform picture is what it shows)
    (run > bw && run < n && fraction >= REPEATED_TAIL_MIN).then_some(fraction)
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
    let mut reader = ImageReader::new(Cursor::new(bytes));
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
    // EXIF in PNG (eXIf) and TIFF: orientation and date; a broken block is ignored.
    let mut orientation = 1;
    if let Ok(Some(blob)) = dec.exif_metadata() {
        let (exif, warning) = parse_exif(&blob);
        meta.warnings.extend(warning);
        if let Some(ex) = exif {
            meta.date_taken = exif_date(&ex);
            orientation = exif_orientation(&ex, &mut meta.warnings);
        }
    }
    limits
        .reserve(dec.total_bytes())
        .map_err(|e| image_error(path, &e))?;
    let img = DynamicImage::from_decoder(dec).map_err(|e| image_error(path, &e))?;
    let (w, h) = (img.width() as usize, img.height() as usize);
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
    meta.orientation = orientation;
    Ok(Decoded {
        planes: planes
            .into_iter()
            .map(|p| oriented(&p, orientation))
            .collect(),
        bit_depth,
        meta,
    })
}

fn image_error(path: &Path, e: &image::ImageError) -> Error {
    use image::ImageError;
    use image::error::LimitErrorKind;
    let reason = one_line(&e.to_string());
    match e {
        ImageError::Limits(l)
            if matches!(
                l.kind(),
                LimitErrorKind::DimensionError | LimitErrorKind::InsufficientMemory
            ) =>
        {
            Error::TooLarge {
                path: path.to_path_buf(),
                reason,
            }
        }
        ImageError::Unsupported(_) => Error::Unsupported {
            path: path.to_path_buf(),
            reason,
        },
        _ => Error::Decode {
            path: path.to_path_buf(),
            reason,
        },
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
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

/// The Exif APP1 payload of a JPEG, without its "Exif\0\0" header, read
/// from the segments before the first scan (no pixel decoding).
fn jpeg_exif_blob(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut i = 2;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let body = bytes.get(i + 4..i + 2 + len)?;
        if marker == 0xE1 && body.starts_with(b"Exif\0\0") {
            return Some(body[6..].to_vec());
        }
        i += 2 + len;
    }
    None
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
    let Some(field) = ex.get_field(exif::Tag::Orientation, exif::In::PRIMARY) else {
        return 1;
    };
    match field.value.get_uint(0) {
        Some(v @ 1..=8) => v as u16,
        Some(v) => {
            warnings.push(format!(
                "EXIF orientation {v} is not defined; treated as 1 (upright)"
            ));
            1
        }
        None => 1,
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
        let e = decode_bytes(Path::new("x.heic"), &f, &IngestOptions::default()).unwrap_err();
        assert!(e.to_string().contains("HEIC"), "{e}");
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn a_repeated_tail_is_damage_unless_black_or_white() {
        // 64×64 grey texture: 4×4 blocks of 16 px; `k` blocks before the
        // last (in scan order) set to a copy of it, or all to one value
        let (w, h) = (64, 64);
        let texture: Vec<u8> = (0..w * h).map(|i| (i * 37 % 251) as u8).collect();
        let with_tail = |k: usize, fill: Option<u8>| {
            let mut px = texture.clone();
            for block in (15 - k)..16 {
                let (bx, by) = (block % 4, block / 4);
                for dy in 0..16 {
                    for dx in 0..16 {
                        let last = texture[(48 + dy) * w + 48 + dx];
                        px[(by * 16 + dy) * w + bx * 16 + dx] = fill.unwrap_or(last);
                    }
                }
            }
            px
        };
        assert_eq!(repeated_tail_fraction(&texture, w, h, 1), None);
        // a uniform picture repeats everywhere and is what it shows
        assert_eq!(repeated_tail_fraction(&[128u8; 64 * 64], w, h, 1), None);
        // a row of blocks (a flat band within rows) is not enough
        assert_eq!(repeated_tail_fraction(&with_tail(3, None), w, h, 1), None);
        assert_eq!(
            repeated_tail_fraction(&with_tail(4, None), w, h, 1),
            Some(5.0 / 16.0)
        );
        assert_eq!(
            repeated_tail_fraction(&with_tail(4, Some(128)), w, h, 1),
            Some(5.0 / 16.0)
        );
        // clipped white or black blocks are ordinary photos
        assert_eq!(
            repeated_tail_fraction(&with_tail(8, Some(255)), w, h, 1),
            None
        );
        assert_eq!(
            repeated_tail_fraction(&with_tail(8, Some(0)), w, h, 1),
            None
        );
    }

    #[test]
    fn a_jpeg_whose_scan_is_cut_in_half_is_refused() {
        // a textured 96×96 photo, its entropy-coded data cut at half and the
        // end-of-image marker put back
        let (w, h) = (96, 96);
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let rgb: Vec<u8> = (0..w * h * 3)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // smooth gradient plus noise, like skin under light
                ((i / 3 % w + i / 3 / w) as u64 + state % 64) as u8
            })
            .collect();
        let jpeg = crate::output::jpeg_rgb8(Path::new("t.jpg"), w, h, &rgb, 90).unwrap();
        let sos = jpeg
            .windows(2)
            .position(|m| m == [0xFF, 0xDA])
            .expect("a scan");
        let cut = sos + (jpeg.len() - sos) / 2;
        let mut damaged = jpeg[..cut].to_vec();
        damaged.extend([0xFF, 0xD9]);
        let err = decode_bytes(Path::new("cut.jpg"), &damaged, &IngestOptions::default())
            .expect_err("a cut scan must not decode");
        assert!(matches!(err, Error::Decode { .. }), "{err}");
        assert!(err.to_string().contains("cut.jpg"), "{err}");
        // the intact file decodes
        assert!(decode_bytes(Path::new("t.jpg"), &jpeg, &IngestOptions::default()).is_ok());
    }
}
