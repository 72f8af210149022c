//! TIFF headers: the strips or tiles the first image's header lists must
//! lie inside the file (checked before decoding, so a header that points
//! past the end, or claims gigabytes of strip data, is named as such
//! instead of surfacing as an allocation limit, "Memory limit exceeded"),
//! and the first image's Orientation tag, which the decoder does not apply.
//! Also the one layout the decoder cannot read whole: tiles over separate
//! colour planes, read here tile by tile.

use ::tiff::ColorType;
use ::tiff::decoder::{ChunkType, Decoder, DecodingResult};
use ::tiff::tags::Tag;
use std::io::Cursor;

/// A sentence saying which strip or tile of `bytes` (a TIFF file) lies
/// past its end, if one does. A header the TIFF decoder cannot read gives
/// `None`: the decoder reports it when it decodes.
pub(super) fn strip_past_end(bytes: &[u8]) -> Option<String> {
    let mut dec = Decoder::new(Cursor::new(bytes)).ok()?;
    let len = bytes.len() as u64;
    for (offsets, counts, what) in [
        (Tag::StripOffsets, Tag::StripByteCounts, "strip"),
        (Tag::TileOffsets, Tag::TileByteCounts, "tile"),
    ] {
        let read = |dec: &mut Decoder<Cursor<&[u8]>>, tag| {
            dec.find_tag(tag)
                .ok()
                .flatten()
                .and_then(|v| v.into_u64_vec().ok())
        };
        let (Some(o), Some(c)) = (read(&mut dec, offsets), read(&mut dec, counts)) else {
            continue;
        };
        for (k, (&o, &c)) in o.iter().zip(&c).enumerate() {
            if o.checked_add(c).is_none_or(|end| end > len) {
                return Some(format!(
                    "{what} {k} of the image lies past the end of the file (bytes {o} to {} of a {len}-byte file): the file is truncated or its header is wrong",
                    o.saturating_add(c)
                ));
            }
        }
    }
    None
}

/// The Orientation tag (274) of the first image of `bytes` (a TIFF file):
/// TIFF is itself the structure EXIF borrows, and a TIFF's orientation is
/// a tag of its image, not an EXIF block. `None` when absent or unreadable.
pub(super) fn orientation(bytes: &[u8]) -> Option<u64> {
    let mut dec = Decoder::new(Cursor::new(bytes)).ok()?;
    dec.find_tag(Tag::Orientation)
        .ok()
        .flatten()
        .and_then(|v| v.into_u64().ok())
}

/// The image of a TIFF whose colour planes are stored apart
/// (PlanarConfiguration 2) in tiles, read tile by tile: tiff 0.11's whole-
/// image read asserts (a panic) where the tiles overhang the image, as
/// they do on most photo sizes, because it takes the second plane's bottom
/// tiles for full ones. `None` for any other layout (the decoder reads
/// it); an error names a tile that cannot be read.
pub(super) fn planar_tiles(bytes: &[u8]) -> Option<Result<image::DynamicImage, String>> {
    let mut dec = Decoder::new(Cursor::new(bytes)).ok()?;
    let planar = dec.find_tag(Tag::PlanarConfiguration).ok()??;
    if planar.into_u16().ok()? != 2 || dec.get_chunk_type() != ChunkType::Tile {
        return None;
    }
    let (samples, depth) = match dec.colortype().ok()? {
        ColorType::RGB(d @ (8 | 16)) => (3, d),
        ColorType::RGBA(d @ (8 | 16)) => (4, d),
        _ => return None,
    };
    let (w, h) = dec.dimensions().ok()?;
    let (w, h) = (w as usize, h as usize);
    let (tw, th) = dec.chunk_dimensions();
    let (tw, th) = (tw as usize, th as usize);
    let (across, down) = (w.div_ceil(tw.max(1)), h.div_ceil(th.max(1)));
    // all samples interleaved, as u16 whatever the depth
    let mut px = vec![0u16; w * h * samples];
    for plane in 0..samples {
        for tile in 0..across * down {
            let index = (plane * across * down + tile) as u32;
            let unreadable = |e: &dyn std::fmt::Display| {
                format!(
                    "tile {tile} of colour plane {} cannot be read: {e}",
                    plane + 1
                )
            };
            let values: Vec<u16> = match dec.read_chunk(index) {
                Ok(DecodingResult::U8(v)) => v.into_iter().map(u16::from).collect(),
                Ok(DecodingResult::U16(v)) => v,
                Ok(_) => return Some(Err(unreadable(&"an unexpected sample type"))),
                Err(e) => return Some(Err(unreadable(&e))),
            };
            // the chunk's rows are as wide as its data; a bottom tile of a
            // later plane comes with its padding rows, which are skipped
            let (x0, y0) = ((tile % across) * tw, (tile / across) * th);
            let (cols, rows) = (tw.min(w - x0), th.min(h - y0));
            let stride = dec.chunk_data_dimensions(index).0 as usize;
            if stride < cols || values.len() < stride * rows {
                return Some(Err(unreadable(&"it holds fewer samples than the tile")));
            }
            for r in 0..rows {
                let src = &values[r * stride..r * stride + cols];
                let at = ((y0 + r) * w + x0) * samples + plane;
                for (c, &v) in src.iter().enumerate() {
                    px[at + c * samples] = v;
                }
            }
        }
    }
    Some(Ok(interleaved(px, w, h, samples, depth)))
}

/// An image of `samples` interleaved samples a pixel (3: RGB, 4: RGBA) at
/// 8 or 16 bits.
fn interleaved(px: Vec<u16>, w: usize, h: usize, samples: usize, depth: u8) -> image::DynamicImage {
    use image::{DynamicImage as D, ImageBuffer};
    let (w, h) = (w as u32, h as u32);
    let bytes = || px.iter().map(|&v| v as u8).collect::<Vec<u8>>();
    let made = match (samples, depth) {
        (3, 8) => ImageBuffer::from_raw(w, h, bytes()).map(D::ImageRgb8),
        (4, 8) => ImageBuffer::from_raw(w, h, bytes()).map(D::ImageRgba8),
        (3, _) => ImageBuffer::from_raw(w, h, px).map(D::ImageRgb16),
        _ => ImageBuffer::from_raw(w, h, px).map(D::ImageRgba16),
    };
    made.expect("invariant: w·h·samples values")
}

#[cfg(test)]
mod tests {
    use super::super::{IngestOptions, decode_bytes};
    use std::path::Path;

    /// Sample `c` of pixel (x, y): a pattern the file's layout cannot fake.
    fn sample(x: usize, y: usize, c: usize, depth: u8) -> u16 {
        let v = (x * 7 + y * 13 + c * 61) % 256;
        if depth == 8 {
            v as u16
        } else {
            (v * 257 + x % 7) as u16
        }
    }

    /// A little-endian TIFF of `w`×`h`, `spp` samples of `depth` bits a
    /// pixel (RGB, or RGBA with unassociated alpha), stored
    /// uncompressed as separate planes in `tile`×`tile` tiles padded with
    /// 255s past the image's edges; written here, not by the decoder's crate.
    fn tiled_planar(w: usize, h: usize, spp: usize, depth: u8, tile: usize) -> Vec<u8> {
        let (across, down) = (w.div_ceil(tile), h.div_ceil(tile));
        let mut body = Vec::new();
        let mut offsets = Vec::new();
        for c in 0..spp {
            for t in 0..across * down {
                offsets.push(8 + body.len() as u32);
                let (x0, y0) = ((t % across) * tile, (t / across) * tile);
                for y in y0..y0 + tile {
                    for x in x0..x0 + tile {
                        let v = if x < w && y < h {
                            sample(x, y, c, depth)
                        } else {
                            0xFFFF
                        };
                        if depth == 8 {
                            body.push(v as u8);
                        } else {
                            body.extend(v.to_le_bytes());
                        }
                    }
                }
            }
        }
        let count = (tile * tile * usize::from(depth / 8)) as u32;
        let n = offsets.len() as u32;
        // (tag, type 3 SHORT or 4 LONG, values)
        let mut entries: Vec<(u16, u16, Vec<u32>)> = vec![
            (256, 4, vec![w as u32]),
            (257, 4, vec![h as u32]),
            (258, 3, vec![u32::from(depth); spp]),
            (259, 3, vec![1]),
            (262, 3, vec![2]),
            (277, 3, vec![spp as u32]),
            (284, 3, vec![2]),
            (322, 4, vec![tile as u32]),
            (323, 4, vec![tile as u32]),
            (324, 4, offsets),
            (325, 4, vec![count; n as usize]),
        ];
        if spp == 4 {
            entries.push((338, 3, vec![2]));
        }
        let ifd_at = 8 + body.len() as u32;
        let mut extra_at = ifd_at + 2 + 12 * entries.len() as u32 + 4;
        let (mut ifd, mut extra) = (Vec::new(), Vec::new());
        ifd.extend((entries.len() as u16).to_le_bytes());
        for (tag, kind, values) in &entries {
            let raw: Vec<u8> = values
                .iter()
                .flat_map(|&v| {
                    if *kind == 3 {
                        (v as u16).to_le_bytes().to_vec()
                    } else {
                        v.to_le_bytes().to_vec()
                    }
                })
                .collect();
            ifd.extend(tag.to_le_bytes());
            ifd.extend(kind.to_le_bytes());
            ifd.extend((values.len() as u32).to_le_bytes());
            if raw.len() <= 4 {
                let mut r = raw.clone();
                r.resize(4, 0);
                ifd.extend(r);
            } else {
                ifd.extend(extra_at.to_le_bytes());
                extra_at += raw.len() as u32;
                extra.extend(raw);
            }
        }
        ifd.extend(0u32.to_le_bytes());
        [
            b"II*\0".as_slice(),
            &ifd_at.to_le_bytes(),
            &body,
            &ifd,
            &extra,
        ]
        .concat()
    }

    #[test]
    fn tiles_over_separate_planes_are_read_whole_where_they_overhang() {
        // 100×70 in 32-px tiles overhangs right and bottom (tiff 0.11's own
        // read panics there); 96×64 does not
        for (w, h) in [(100, 70), (96, 64)] {
            for (spp, depth) in [(3, 8), (3, 16), (4, 8), (4, 16)] {
                let file = tiled_planar(w, h, spp, depth, 32);
                let d = decode_bytes(Path::new("t.tif"), &file, &IngestOptions::default())
                    .unwrap_or_else(|e| panic!("{w}x{h} {spp}×{depth}: {e}"));
                assert_eq!(d.bit_depth, depth);
                assert_eq!(d.planes.len(), 3);
                for (c, p) in d.planes.iter().enumerate() {
                    assert_eq!((p.width(), p.height()), (w, h));
                    for y in 0..h {
                        for x in 0..w {
                            let want = f32::from(sample(x, y, c, depth));
                            assert_eq!(p.at(x, y), want, "{w}x{h} {spp}×{depth} ({x},{y}) {c}");
                        }
                    }
                }
            }
        }
    }
}
