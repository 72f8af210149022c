//! PNG chunks skintrack never uses are dropped before decoding: an ICC
//! profile (`iCCP`) and text (`tEXt`, `zTXt`, `iTXt`) are compressed
//! payloads that can inflate to gigabytes from a few kilobytes, and nothing
//! of them is read (the colour of a photo is taken as sRGB; EXIF comes from
//! `eXIf`, which is not compressed and so bounded by the file size).

use std::borrow::Cow;

/// The ancillary chunk types dropped.
const DROPPED: [&[u8; 4]; 4] = [b"iCCP", b"tEXt", b"zTXt", b"iTXt"];

/// `bytes` (a PNG file) without the [`DROPPED`] chunks; borrowed when it
/// has none. Chunks are copied whole with their CRC, so the decoder checks
/// the rest as before; a malformed chunk list is left from there on for the
/// decoder to report.
pub(super) fn without_unused_chunks(bytes: &[u8]) -> Cow<'_, [u8]> {
    const SIGNATURE: usize = 8;
    let mut kept: Vec<std::ops::Range<usize>> = Vec::new();
    kept.push(0..SIGNATURE.min(bytes.len()));
    let mut dropped = false;
    let mut i = SIGNATURE;
    while i < bytes.len() {
        let chunk = bytes.get(i..i + 8).and_then(|h| {
            let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
            let end = i.checked_add(12)?.checked_add(len)?;
            (end <= bytes.len()).then_some((&h[4..8], end))
        });
        let Some((kind, end)) = chunk else {
            kept.push(i..bytes.len());
            break;
        };
        if DROPPED.iter().any(|d| d.as_slice() == kind) {
            dropped = true;
        } else {
            kept.push(i..end);
        }
        i = end;
    }
    if !dropped {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(kept.iter().map(ExactSizeIterator::len).sum());
    for r in kept {
        out.extend_from_slice(&bytes[r]);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]); // CRC: not checked here
        c
    }

    #[test]
    fn drops_profiles_and_text_only() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &[1; 13]));
        let bare = png.clone();
        png.extend(chunk(b"iCCP", b"p\0\0zzzz"));
        png.extend(chunk(b"zTXt", b"k\0\0zz"));
        let mut expected = bare.clone();
        for c in [chunk(b"IDAT", b"data"), chunk(b"IEND", b"")] {
            png.extend(&c);
            expected.extend(&c);
        }
        assert_eq!(without_unused_chunks(&png).as_ref(), expected.as_slice());
        assert!(matches!(without_unused_chunks(&expected), Cow::Borrowed(_)));
        // a chunk running past the end is left for the decoder
        let mut cut = bare.clone();
        cut.extend(chunk(b"iCCP", b"p\0\0zzzz"));
        cut.extend_from_slice(&[0, 0, 1, 0, b'I', b'D']);
        let out = without_unused_chunks(&cut);
        assert!(out.ends_with(&[0, 0, 1, 0, b'I', b'D']) && out.len() == bare.len() + 6);
    }
}
