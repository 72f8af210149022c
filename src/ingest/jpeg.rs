//! JPEG: zune-jpeg in strict mode, a plausibility check of the
//! compressed size against the frame before any pixel is allocated, and the
//! detection of a scan that ends early (a cut file with its end-of-image
//! marker put back decodes without error, the missing blocks repeating the
//! last one, or, in a progressive file, coarser than the rest).

use super::{
    Decoded, IngestOptions, Meta, check_size, deinterleave_u8, exif_date, exif_orientation,
    one_line, parse_exif,
};
use crate::error::{Error, Result};
use std::path::Path;

pub(super) fn decode_jpeg(path: &Path, bytes: &[u8], opts: &IngestOptions) -> Result<Decoded> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    let decode_err = |e: &dyn std::fmt::Display| Error::Decode {
        path: path.to_path_buf(),
        reason: one_line(&e.to_string()),
    };
    // zune-jpeg's own words, said plainly
    let decoder_err = |e: &dyn std::fmt::Display| Error::Decode {
        path: path.to_path_buf(),
        reason: super::words::plain(&e.to_string()),
    };
    // Strict mode turns "premature end of data" and bad Huffman codes into
    // errors; without it zune-jpeg fills the rest of the image with grey.
    let base = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(opts.max_side as usize)
        .set_max_height(opts.max_side as usize);
    if let Some(kind) = unread_frame(bytes) {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            reason: format!(
                "{kind} JPEG, which cameras do not write, is not read; save it as an ordinary (baseline or progressive) JPEG, PNG or TIFF"
            ),
        });
    }
    if let Some(bits) = frame_precision(bytes).filter(|&b| b != 8) {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            reason: format!(
                "a {bits}-bit JPEG is not read (JPEGs are read at 8 bits); save it as a 16-bit PNG or TIFF"
            ),
        });
    }
    let mut probe = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), base);
    probe.decode_headers().map_err(|e| {
        let text = e.to_string();
        // zune reports a side over the limit as LargeDimensions or in a
        // sentence of its own ("… greater than width limit …")
        if matches!(e, zune_jpeg::errors::DecodeErrors::LargeDimensions(_))
            || text.contains("width limit")
            || text.contains("height limit")
        {
            Error::TooLarge {
                path: path.to_path_buf(),
                reason: format!(
                    "its header declares a side over the {} px limit that skintrack decodes",
                    opts.max_side
                ),
            }
        } else {
            decoder_err(&text)
        }
    })?;
    let info = probe.info().ok_or_else(|| decode_err(&"no frame header"))?;
    let (w, h) = (usize::from(info.width), usize::from(info.height));
    check_size(path, w, h, opts)?;
    // no Huffman-coded scan, baseline or progressive, spends less than one
    // bit per 8×8 block of its full-resolution component: a smaller file
    // is cut, or its header lies about the size (a 17 kB file claiming
    // 9000×9000 px), and is refused before 243 MB of pixels are allocated
    let blocks = (w.div_ceil(8) as u64) * (h.div_ceil(8) as u64);
    if (bytes.len() as u64) * 8 < blocks {
        return Err(decode_err(&format!(
            "the file ({} bytes) is far too small for the {w}x{h} pixels its header declares (truncated, or a wrong header)",
            bytes.len()
        )));
    }
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
    let pixels = dec.decode().map_err(|e| decoder_err(&e))?;
    let channels = if grey { 1 } else { 3 };
    if pixels.len() != w * h * channels {
        return Err(decode_err(
            &"the decoder returned the wrong number of samples",
        ));
    }
    // A scan cut short decodes its missing blocks as repeats of one block,
    // or, in a progressive file, as coarser versions of themselves. The
    // scans' codes are walked to see whether their data covers the frame
    // (~40 ms for a 2.4 MB 12 MP baseline JPEG and ~130 ms for a
    // progressive one, against 0.25–0.5 s for decoding them);
    // where the layout cannot be walked (a sequential frame of several
    // scans, arithmetic coding), a repeat of the last block over more than
    // a row of blocks is taken as the cut (checked on the planes below).
    use super::scan::Coverage;
    let walked = super::scan::coverage(bytes).or_else(|| super::progressive::coverage(bytes));
    let missing =
        |found: u64, expected: u64| 100.0 * (expected - found) as f64 / expected.max(1) as f64;
    match walked {
        Some(Coverage::Short { found, expected }) => {
            return Err(decode_err(&format!(
                "damaged: the compressed data ends after {found} of its {expected} blocks ({} missing; a truncated, cut or damaged scan)",
                match missing(found, expected) {
                    m if m < 1.0 => "under 1%".to_string(),
                    m => format!("{m:.0}%"),
                }
            )));
        }
        Some(Coverage::Unsynced { found, expected }) => {
            return Err(decode_err(&format!(
                "damaged: the compressed data loses step with its blocks after {found} of its {expected} blocks (a restart marker missing, or bytes changed, inserted or removed: the picture after it decodes from the wrong bits)"
            )));
        }
        Some(Coverage::ScanShort {
            scan,
            found,
            expected,
        }) => {
            return Err(decode_err(&format!(
                "damaged: the compressed data of scan {scan} of this progressive JPEG ends after {found} of its {expected} blocks ({:.0}% missing; a truncated or cut file)",
                missing(found, expected)
            )));
        }
        Some(Coverage::Unrefined { scans }) => {
            return Err(decode_err(&format!(
                "damaged: this progressive JPEG ends after {scans} scans, before they bring every part of the picture to full detail (a truncated or cut file, or one saved without its finest detail)"
            )));
        }
        Some(Coverage::Overrun { spare_bytes }) => {
            return Err(decode_err(&format!(
                "damaged: the compressed data holds {spare_bytes} bytes more than its blocks use (changed or inserted bytes: the picture after them is decoded from the wrong bits)"
            )));
        }
        Some(Coverage::Complete) | None => {}
    }
    if super::quant::has_zero_step(bytes) {
        return Err(decode_err(
            &"damaged: a quantisation table has a step of 0, which no encoder writes (a changed byte in its header: that part of the picture decodes flat)",
        ));
    }
    let mut meta = Meta {
        stored_size: (w, h),
        orientation: 1,
        jpeg_dc_steps: super::quant::dc_steps(bytes),
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
    // the profile of a colour image as decoded (a CMYK file's profile
    // describes the ink, which the decoder has already turned into RGB)
    let cmyk = matches!(
        probe.input_colorspace(),
        Some(ColorSpace::CMYK | ColorSpace::YCCK)
    );
    if !grey && !cmyk {
        meta.icc = dec.icc_profile().map(std::sync::Arc::from);
    }
    let planes = deinterleave_u8(&pixels, w, h, channels);
    drop(pixels);
    let mcu_height = super::scan::mcu_height(bytes).unwrap_or(8);
    if let Some(seam) = super::seam::dc_seam(&planes, mcu_height) {
        return Err(decode_err(&format!(
            "damaged: from pixel row {} on, the picture's {} is off by {:.0} levels across its whole width (a changed bit in the compressed data)",
            seam.row,
            seam.component,
            seam.levels.abs()
        )));
    }
    if walked.is_none()
        && let Some(tail) = super::fill::repeated_tail(&planes, 255.0)
    {
        return Err(decode_err(&format!(
            "damaged: the last {:.0}% of the image repeats one block, so the compressed data ends early (a truncated or cut scan)",
            100.0 * tail.share
        )));
    }
    Decoded::checked(path, planes, 8, meta, orientation)
}

/// The Exif APP1 payload of a JPEG, without its "Exif\0\0" header, read
/// from the segments before the first scan (no pixel decoding).
pub(super) fn jpeg_exif_blob(bytes: &[u8]) -> Option<Vec<u8>> {
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

/// The kind of a JPEG frame the decoder does not read (with its article),
/// from its first frame header (SOF): lossless (SOF3, 7, 11, 15), arithmetic-coded (SOF9,
/// 10, 13, 14) or hierarchical (SOF5, 6); `None` for baseline, extended
/// and progressive Huffman frames, or no frame header.
fn unread_frame(jpeg: &[u8]) -> Option<&'static str> {
    let (marker, _) = frame_header(jpeg)?;
    match marker {
        0xC3 | 0xC7 | 0xCB | 0xCF => Some("a lossless"),
        0xC9 | 0xCA | 0xCD | 0xCE => Some("an arithmetic-coded"),
        0xC5 | 0xC6 => Some("a hierarchical"),
        _ => None,
    }
}

/// Bits per sample of the JPEG's frame (the first byte of its frame
/// header): 8 for what cameras write, 12 or 16 for medical and scientific
/// encoders. `None` without a frame header.
fn frame_precision(jpeg: &[u8]) -> Option<u8> {
    frame_header(jpeg).and_then(|(_, body)| body.first().copied())
}

/// The first frame header (SOF0–15, less DHT, JPG and DAC, which share
/// the range): its marker and its body.
fn frame_header(jpeg: &[u8]) -> Option<(u8, &[u8])> {
    super::scan::segments(jpeg)
        .find(|(m, ..)| matches!(m, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF))
        .map(|(marker, body, _)| (marker, body))
}

#[cfg(test)]
mod tests {
    use super::super::decode_bytes;
    use super::*;

    #[test]
    fn a_jpeg_of_more_than_8_bits_is_refused_naming_its_depth() {
        let rgb = vec![100u8; 16 * 16 * 3];
        let jpeg = crate::output::jpeg_rgb8(Path::new("t.jpg"), 16, 16, &rgb, 90).unwrap();
        assert_eq!(frame_precision(&jpeg), Some(8));
        // the same file with its frame header saying 12 bits
        let sof = jpeg.windows(2).position(|m| m == [0xFF, 0xC0]).unwrap();
        let mut twelve = jpeg.clone();
        twelve[sof + 4] = 12;
        let err = decode_bytes(Path::new("t.jpg"), &twelve, &IngestOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("a 12-bit JPEG is not read"), "{err}");
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

    #[test]
    fn frames_the_decoder_does_not_read_are_named() {
        let mut jpeg = Vec::new();
        jpeg_encoder::Encoder::new(&mut jpeg, 90)
            .encode(&[128u8; 16 * 16 * 3], 16, 16, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        assert_eq!(unread_frame(&jpeg), None);
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        for (marker, kind) in [
            (0xC3, "a lossless"),
            (0xC9, "an arithmetic-coded"),
            (0xC5, "a hierarchical"),
        ] {
            let mut other = jpeg.clone();
            other[sof + 1] = marker;
            assert_eq!(unread_frame(&other), Some(kind), "{marker:x}");
        }
    }
}
