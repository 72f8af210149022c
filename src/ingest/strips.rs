//! TIFF headers: the strips or tiles the first image's header lists must
//! lie inside the file (checked before decoding, so a header that points
//! past the end, or claims gigabytes of strip data, is named as such
//! instead of surfacing as an allocation limit, "Memory limit exceeded"),
//! and the first image's Orientation tag, which the decoder does not apply.

use ::tiff::decoder::Decoder;
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
