//! HEIC/HEIF (iPhone photos), behind the `heic` feature: the pure-Rust
//! `heifer` decodes the primary image (grid tiles, 8–12 bits; depth maps,
//! gain maps, thumbnails and other auxiliary images are not decoded).
//!
//! What the JPEG path guarantees holds here too, in this order:
//! - **limits before pixels**: the container is parsed and the primary
//!   image's size (its `ispe`, or the grid's output size) goes through
//!   [`check_size`] before any HEVC is decoded; `heifer` is told a pixel
//!   limit of twice that size, which bounds every tile, coded picture and
//!   canvas, so a bitstream cannot code more than its header declared;
//! - **orientation once**: `heifer` applies the file's `irot`/`imir`
//!   (and `clap`). iPhones write those *and* an EXIF Orientation describing
//!   the same turn, so EXIF Orientation is applied only when the file has
//!   neither box (what libheif 1.15's `heif-enc` writes when it converts a
//!   rotated JPEG: the pixels as stored, EXIF Orientation kept);
//! - **sRGB**: samples are converted from the embedded ICC profile, else
//!   the `nclx` colour box, else the HEVC VUI (`heifer::decode_srgb`:
//!   linearise with the profile's curves, 3×3 matrix to linear sRGB with
//!   Bradford adaptation, sRGB encoding, clipped to the gamut), so Display
//!   P3 photos are not read as sRGB; a colour space it cannot convert (PQ or
//!   HLG HDR, a non-RGB ICC profile on a colour image) is refused by name;
//!   monochrome (4:0:0) files stay grey and are read as coded;
//! - **the capture date** from the EXIF item describing the primary image;
//! - a damaged file is one [`Error::Decode`] line naming it. `heifer` is
//!   `forbid(unsafe_code)`, fuzzed upstream, and returns errors for cut or
//!   corrupt files; tests/heic.rs cuts and flips bytes of real files to check
//!   that none panics here.

use super::{Decoded, IngestOptions, Meta, check_size, exif_date, exif_orientation, parse_exif};
use crate::error::{Error, Result};
use crate::raster::Plane;
use heifer::heifer_isobmff::boxes::Property;
use heifer::heifer_isobmff::{HeifFile, ItemId};
use std::path::Path;

/// How deep `iden`/`grid` references are followed to find the coded tiles
/// (heifer's own limit is 4).
const MAX_DERIVATION: usize = 4;

/// Decodes the primary image of a HEIF file into upright sRGB planes:
/// 8-bit files keep 0–255 values (`bit_depth` 8), deeper ones are scaled to
/// 0–65535 (`bit_depth` 16).
pub(super) fn decode_heic(path: &Path, bytes: &[u8], opts: &IngestOptions) -> Result<Decoded> {
    let decode_err = |reason: String| Error::Decode {
        path: path.to_path_buf(),
        reason,
    };
    let file = HeifFile::parse(bytes)
        .map_err(|e| decode_err(format!("not a readable HEIF file ({})", one_line(&e))))?;
    let primary = file.primary_id;
    let item_type = file
        .item(primary)
        .map_err(|e| decode_err(format!("no primary image ({})", one_line(&e))))?
        .item_type;
    if &item_type.0 == b"av01" {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            reason: "AVIF (AV1-coded HEIF); convert the photo to JPEG".into(),
        });
    }
    let (w, h) = declared_size(&file, primary)
        .ok_or_else(|| decode_err("the primary image declares no size (no ispe)".into()))?;
    check_size(path, w as usize, h as usize, opts)?;
    let coded = coded_item(&file, primary);
    let (grey, coded_depth) = coded
        .and_then(|id| file.hevc_config(id).ok().flatten())
        .map_or((false, 8), |c| {
            (
                c.chroma_format == 0,
                c.bit_depth_luma.max(c.bit_depth_chroma),
            )
        });

    let options = heifer::Options {
        // inside a rayon worker, photos are already decoded in parallel:
        // one thread each, or 64 cores start 64 × 64 tile threads
        max_threads: usize::from(rayon::current_thread_index().is_some()),
        // every picture heifer decodes or assembles (a tile, the coded
        // picture, the canvas) is at most the declared size, give or take
        // the coding blocks it is padded to: a bitstream coding far more
        // pixels than the ispe that passed check_size is refused
        max_pixels: opts
            .max_pixels
            .min(2 * u64::from(w) * u64::from(h) + (1 << 20)),
    };
    // colour to sRGB; a grey image has no primaries to convert (a grey ICC
    // profile, which heifer refuses, names only a tone curve) and is read
    // as coded, as a grey JPEG is
    let channels = if grey { 1 } else { 3 };
    let (planes, bit_depth) = if coded_depth <= 8 {
        let img = if grey {
            heifer::decode_rgba8(bytes, &options)
        } else {
            heifer::decode_srgb_rgba8(bytes, &options)
        }
        .map_err(|e| heifer_error(path, &e))?;
        let planes = planes_from_rgba(&img.data, img.width, img.height, channels, 1.0);
        (planes, 8)
    } else {
        let img = if grey {
            heifer::decode_with_options(bytes, &options)
        } else {
            heifer::decode_srgb_with_options(bytes, &options)
        }
        .map_err(|e| heifer_error(path, &e))?;
        // 10 or 12 bits to the 16-bit scale read_photo expects
        let scale = 65535.0 / f32::from(img.max_value());
        let planes = planes_from_rgba(&img.data, img.width, img.height, channels, scale);
        (planes, 16)
    };
    let planes = planes
        .ok_or_else(|| decode_err("the decoder returned the wrong number of samples".into()))?;

    let mut meta = Meta {
        stored_size: (w as usize, h as usize),
        orientation: 1,
        ..Meta::default()
    };
    let turns = transforms(&file, primary);
    let mut exif_turn = 1;
    match file.exif(primary) {
        Ok(Some(blob)) => {
            let (exif, warning) = parse_exif(&blob);
            meta.warnings.extend(warning);
            if let Some(ex) = exif {
                meta.date_taken = exif_date(&ex);
                exif_turn = exif_orientation(&ex, &mut meta.warnings);
            }
        }
        Ok(None) => {}
        // as for a damaged EXIF block in a JPEG: the pixels stand
        Err(e) => meta
            .warnings
            .push(format!("unreadable EXIF item ({}); ignored", one_line(&e))),
    }
    if turns.is_empty() {
        return Ok(Decoded::upright(planes, bit_depth, meta, exif_turn));
    }
    // heifer has applied irot/imir: EXIF Orientation describes the same turn
    // (iPhones write both) and is not applied again
    let applied = equivalent_orientation(&turns);
    if exif_turn != 1 && exif_turn != applied {
        meta.warnings.push(format!(
            "EXIF orientation {exif_turn} disagrees with the HEIF rotation/mirror (as EXIF {applied}); the HEIF boxes were applied"
        ));
    }
    let mut decoded = Decoded::upright(planes, bit_depth, meta, 1);
    decoded.meta.orientation = applied;
    Ok(decoded)
}

/// The size an image item declares: its `ispe`, or a grid's output size.
fn declared_size(file: &HeifFile<'_>, id: ItemId) -> Option<(u32, u32)> {
    if let Ok(Some(size)) = file.image_size(id) {
        return Some(size);
    }
    let item = file.item(id).ok()?;
    if &item.item_type.0 == b"grid" {
        let g = file.grid(id).ok()?;
        return Some((g.output_width, g.output_height));
    }
    None
}

/// The coded (`hvc1`) item an image is made of: itself, or the first tile
/// of a grid, or the source of an `iden`.
fn coded_item(file: &HeifFile<'_>, id: ItemId) -> Option<ItemId> {
    let mut current = id;
    for _ in 0..MAX_DERIVATION {
        let item = file.item(current).ok()?;
        if &item.item_type.0 == b"hvc1" {
            return Some(current);
        }
        current = *file.referenced_items(current, b"dimg").first()?;
    }
    None
}

/// One geometric transform of a HEIF image, in the order it is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Turn {
    /// `irot`: anticlockwise, in quarter turns.
    Rotate(u8),
    /// `imir`: `true` flips top and bottom, `false` left and right.
    Mirror(bool),
}

/// The rotations and mirrors of the primary item, in property order.
fn transforms(file: &HeifFile<'_>, id: ItemId) -> Vec<Turn> {
    file.item_properties(id)
        .map(|props| {
            props
                .filter_map(|p| match p {
                    Property::Rotation(q) if q % 4 != 0 => Some(Turn::Rotate(q % 4)),
                    Property::Mirror(top_bottom) => Some(Turn::Mirror(*top_bottom)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The EXIF orientation (1–8) that has the same effect as `turns`: where a
/// stored 2×3 image's labelled pixels land, compared with [`super::oriented`].
fn equivalent_orientation(turns: &[Turn]) -> u16 {
    let stored = Plane::from_fn(2, 3, |x, y| (x + 2 * y) as f32);
    let mut p = stored.clone();
    for t in turns {
        let (w, h) = (p.width(), p.height());
        p = match *t {
            Turn::Rotate(1) => Plane::from_fn(h, w, |x, y| p.at(w - 1 - y, x)),
            Turn::Rotate(2) => Plane::from_fn(w, h, |x, y| p.at(w - 1 - x, h - 1 - y)),
            Turn::Rotate(_) => Plane::from_fn(h, w, |x, y| p.at(y, h - 1 - x)),
            Turn::Mirror(true) => Plane::from_fn(w, h, |x, y| p.at(x, h - 1 - y)),
            Turn::Mirror(false) => Plane::from_fn(w, h, |x, y| p.at(w - 1 - x, y)),
        };
    }
    (1..=8)
        .find(|&o| super::oriented(&stored, o).data() == p.data())
        .unwrap_or(1)
}

/// The first `channels` of interleaved RGBA samples as planes, times
/// `scale`; `None` when the buffer does not hold `w`×`h` pixels.
fn planes_from_rgba<S: Copy + Into<f32> + Sync>(
    rgba: &[S],
    w: u32,
    h: u32,
    channels: usize,
    scale: f32,
) -> Option<Vec<Plane>> {
    use rayon::prelude::*;
    let (w, h) = (w as usize, h as usize);
    if w.checked_mul(h)?.checked_mul(4)? != rgba.len() || w == 0 {
        return None;
    }
    let planes = (0..channels)
        .map(|c| {
            let mut p = Plane::filled(w, h, 0.0);
            p.data_mut()
                .par_chunks_mut(w)
                .zip(rgba.par_chunks(w * 4))
                .for_each(|(row, src)| {
                    for (d, px) in row.iter_mut().zip(src.chunks_exact(4)) {
                        *d = px[c].into() * scale;
                    }
                });
            p
        })
        .collect();
    Some(planes)
}

/// A heifer error as ours: unsupported features by name, anything else a
/// damaged file.
fn heifer_error(path: &Path, e: &heifer::Error) -> Error {
    match e {
        heifer::Error::Unsupported(what) => Error::Unsupported {
            path: path.to_path_buf(),
            reason: format!("HEIF with {}", super::one_line(what)),
        },
        _ => Error::Decode {
            path: path.to_path_buf(),
            reason: format!("damaged HEIF ({})", one_line(e)),
        },
    }
}

fn one_line(e: &dyn std::fmt::Display) -> String {
    super::one_line(&e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn irot_and_imir_map_to_the_exif_orientation_with_the_same_effect() {
        // irot turns anticlockwise; EXIF 6 ("rotate 90° clockwise to view")
        // is irot 3; imir around the vertical axis is EXIF 2 (ISO/IEC
        // 23008-12 §6.5.10 and §6.5.12; CIPA DC-008 Orientation)
        assert_eq!(equivalent_orientation(&[]), 1);
        assert_eq!(equivalent_orientation(&[Turn::Mirror(false)]), 2);
        assert_eq!(equivalent_orientation(&[Turn::Rotate(2)]), 3);
        assert_eq!(equivalent_orientation(&[Turn::Mirror(true)]), 4);
        assert_eq!(equivalent_orientation(&[Turn::Rotate(3)]), 6);
        assert_eq!(equivalent_orientation(&[Turn::Rotate(1)]), 8);
        // transpose (5): a quarter turn clockwise, then a left-right flip
        assert_eq!(
            equivalent_orientation(&[Turn::Rotate(3), Turn::Mirror(false)]),
            5
        );
        assert_eq!(
            equivalent_orientation(&[Turn::Rotate(1), Turn::Mirror(false)]),
            7
        );
    }

    #[test]
    fn a_wrong_buffer_length_gives_no_planes() {
        assert!(planes_from_rgba(&[0u8; 4 * 6], 2, 3, 3, 1.0).is_some());
        assert!(planes_from_rgba(&[0u8; 4 * 5], 2, 3, 3, 1.0).is_none());
        assert!(planes_from_rgba(&[0u8; 0], 0, 0, 3, 1.0).is_none());
        let p = planes_from_rgba(&[1u16, 2, 3, 9, 4, 5, 6, 9], 2, 1, 3, 2.0).unwrap();
        assert_eq!(p[2].data(), &[6.0, 12.0]);
    }

    #[test]
    fn garbage_after_a_heif_signature_is_one_decode_line() {
        let mut f = vec![0, 0, 0, 24];
        f.extend_from_slice(b"ftypheic");
        f.extend_from_slice(&[0; 16]);
        f.extend_from_slice(&[0xAB; 64]);
        let e = decode_heic(Path::new("x.heic"), &f, &IngestOptions::default()).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e}");
        assert!(e.to_string().starts_with("x.heic: "), "{e}");
        assert_eq!(e.to_string().lines().count(), 1);
    }
}
