//! A single image skintrack writes where the user names it (`regions`'
//! figure, `align -o`) may replace only an image it wrote before. Such an
//! image carries a mark, a PNG `tEXt` chunk or a JPEG comment saying
//! skintrack wrote it; anything else at that path is left as it is, and no
//! such image is written into a case's folders, where it would be read as
//! a capture (or replace one).

use crate::error::{Error, Result};
use std::io::Read as _;
use std::path::Path;

/// The text of the mark.
const MARK: &[u8] = b"written by skintrack";

/// `png` (a PNG skintrack encoded) with a `tEXt` chunk `Software` =
/// [`MARK`] after its header chunk.
#[must_use]
pub fn marked_png(png: &[u8]) -> Vec<u8> {
    // signature (8) and IHDR (4 length + 4 type + 13 data + 4 CRC)
    let at = 33.min(png.len());
    let data = [b"Software\0".as_slice(), MARK].concat();
    let mut crc = crc32fast::Hasher::new();
    crc.update(b"tEXt");
    crc.update(&data);
    let mut out = Vec::with_capacity(png.len() + data.len() + 12);
    out.extend_from_slice(&png[..at]);
    out.extend((data.len() as u32).to_be_bytes());
    out.extend(b"tEXt");
    out.extend(&data);
    out.extend(crc.finalize().to_be_bytes());
    out.extend_from_slice(&png[at..]);
    out
}

/// `jpeg` (a JPEG skintrack encoded) with a comment segment holding
/// [`MARK`] after its start-of-image marker.
#[must_use]
pub fn marked_jpeg(jpeg: &[u8]) -> Vec<u8> {
    let at = 2.min(jpeg.len());
    let mut out = Vec::with_capacity(jpeg.len() + MARK.len() + 4);
    out.extend_from_slice(&jpeg[..at]);
    out.extend([0xFF, 0xFE]);
    out.extend(((MARK.len() + 2) as u16).to_be_bytes());
    out.extend(MARK);
    out.extend_from_slice(&jpeg[at..]);
    out
}

/// Whether the head of a file carries the mark: a PNG `tEXt` chunk
/// before the image data, or a JPEG comment before the scan.
fn is_marked(head: &[u8]) -> bool {
    let wanted = [b"Software\0".as_slice(), MARK].concat();
    if let Some(mut rest) = head.strip_prefix(b"\x89PNG\r\n\x1a\n".as_slice()) {
        while rest.len() >= 8 {
            let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            let (kind, body) = (&rest[4..8], rest.get(8..8 + len));
            if kind == b"IDAT" {
                break;
            }
            if kind == b"tEXt" && body == Some(wanted.as_slice()) {
                return true;
            }
            rest = rest.get(12 + len..).unwrap_or_default();
        }
    } else if let Some(mut rest) = head.strip_prefix([0xFF, 0xD8].as_slice()) {
        while rest.len() >= 4 && rest[0] == 0xFF && rest[1] != 0xDA {
            let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
            if rest[1] == 0xFE && rest.get(4..2 + len) == Some(MARK) {
                return true;
            }
            rest = rest.get(2 + len..).unwrap_or_default();
        }
    }
    false
}

/// Refuses to write the image `file` where it could destroy or pose as
/// a capture: into a case folder (one holding case.toml) or a visit folder
/// (named by a date, or in a case folder), or over an existing file that
/// does not carry the mark.
///
/// # Errors
/// [`Error::Usage`] (exit 2) naming `file` and why.
pub fn check_replaceable(file: &Path) -> Result<()> {
    let refuse = |why: &str| {
        Err(Error::usage(format!(
            "{}: {why}; write it elsewhere (originals are read-only)",
            file.display()
        )))
    };
    let (folder, _) = super::split(file);
    super::check_no_file_in_the_way(&folder)?;
    // the folder as it will be (`.`, `..` and links resolved, missing parts
    // as they will be made), so `-o ../x.png` from a visit is seen for one
    let real = super::resolve_ahead(&folder);
    // a case is a folder holding case.toml (at any depth above), and a
    // visit or a photometric set is named by a date or VIEW.ps: one of
    // them, or a folder made within one
    let in_case = real.ancestors().any(|a| a.join("case.toml").is_file());
    let in_visit = real.ancestors().take(3).any(|a| {
        a.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| crate::date::Date::parse(n).is_some() || n.ends_with(".ps"))
    });
    if in_case || in_visit {
        return refuse(
            "inside a case (below its case.toml) or a visit (a folder named by its date, or VIEW.ps)",
        );
    }
    if std::fs::symlink_metadata(file).is_err() {
        return Ok(());
    }
    let mut head = Vec::new();
    let read = crate::files::open_regular(file)
        .ok()
        .is_some_and(|f| f.take(1 << 16).read_to_end(&mut head).is_ok());
    if read && is_marked(&head) {
        Ok(())
    } else {
        refuse("exists and is not an image skintrack wrote")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_image_is_recognised_and_still_decodes_the_same() {
        let rgb: Vec<u8> = (0..12 * 8 * 3).map(|i| (i * 37 % 251) as u8).collect();
        let path = Path::new("t");
        let png = super::super::png_rgb8(path, 12, 8, &rgb).unwrap();
        let jpeg = super::super::jpeg_output(path, 12, 8, &rgb, 90).unwrap();
        assert!(!is_marked(&png) && !is_marked(&jpeg));
        let (mp, mj) = (marked_png(&png), marked_jpeg(&jpeg));
        assert!(is_marked(&mp) && is_marked(&mj));
        // the same pixels through an independent decoder (image's); the PNG's
        // CRC is checked by it
        let pixels = |b: &[u8]| image::load_from_memory(b).unwrap().to_rgb8().into_raw();
        assert_eq!(pixels(&mp), rgb);
        assert_eq!(pixels(&mj), pixels(&jpeg));
        // a mark after the image data, or another text, is no mark
        let mut late = png.clone();
        late.extend(&mp[33..33 + 12 + 29]);
        assert!(!is_marked(&late));
        let other = marked_png(&png)
            .iter()
            .map(|&b| if b == b'k' { b'K' } else { b })
            .collect::<Vec<u8>>();
        assert!(!is_marked(&other));
    }
}
