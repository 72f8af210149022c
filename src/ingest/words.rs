//! A decoder's message for a damaged file, said in plain words: what is
//! wrong with the file and what to do about it, not the decoder's internals
//! ("Format error decoding Png: CRC error: expected 0x87437060 have
//! 0x8743703a while decoding ChunkType { type: IDAT, … }", "Exhausted data
//! in the image").

/// `s` on one line: every run of whitespace one space.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What to do with a file damaged in copying or storage.
const COPY_AGAIN: &str = "copy it again from the camera or the original";

/// A decoder's message `text` as a plain sentence, where it is one of the
/// damages the decoders name in their own words (a file cut short, a
/// checksum that does not match, damaged compressed data, a size of zero);
/// any other message on one line, without the quotes some decoders add.
pub(super) fn plain(text: &str) -> String {
    let line = one_line(text);
    let line = line.trim_matches('"');
    let lower = line.to_ascii_lowercase();
    let says = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if says(&[
        "exhausted data",
        "not enough bytes",
        "unexpected end",
        "unexpectedeof",
    ]) {
        format!(
            "the file is cut short: its image data stops early (in copying or saving; {COPY_AGAIN})"
        )
    } else if says(&["crc error", "checksum"]) {
        format!(
            "a checksum inside the file does not match its data (damaged in copying or storage; {COPY_AGAIN})"
        )
    } else if says(&[
        "set to zero",
        "invalid image dimensions",
        "zero width",
        "zero height",
    ]) {
        "its header gives the image a width or height of zero (no picture to read)".to_string()
    } else if says(&[
        "huffman",
        "deflate",
        "zlib",
        "corrupt",
        "lzw",
        "invalid code",
        "unknown marker",
        "extra bytes",
        "filter method",
        "chunk",
        "format error decoding",
    ]) {
        // the PNG decoder's chunk names come as Rust structures, its
        // filter and marker errors name the decoder's internals
        format!("its image data is damaged and cannot be decoded ({COPY_AGAIN})")
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoders' own messages for the bad inputs of tests/data, as
    /// they were printed before: each becomes a sentence without hex
    /// numbers, Rust type names or quotes.
    #[test]
    fn decoder_messages_become_plain_sentences() {
        for (message, says) in [
            ("Exhausted data in the image", "cut short"),
            (
                "I/O errors Not enough bytes, expected 1 but found 0",
                "cut short",
            ),
            (
                "\"Encountered Huffman table with excessive length in DHT\"",
                "damaged",
            ),
            ("\"Bad Huffman Code 0xFFFF, corrupt JPEG\"", "damaged"),
            ("Unknown marker in bit stream", "damaged"),
            ("[strict-mode]: Extra bytes between headers", "damaged"),
            (
                "Format error decoding Png: Unknown filter method 255.",
                "damaged",
            ),
            (
                "Format error decoding Png: ChunkType { type: @l=, critical: true, private: true, reserved: true, safecopy: true } chunk appeared before IHDR chunk",
                "damaged",
            ),
            ("invalid code in LZW stream", "damaged"),
            (
                "Format error decoding Png: CRC error: expected 0x87437060 have 0x8743703a while decoding ChunkType { type: IDAT, critical: true, private: false, reserved: false, safecopy: false } chunk",
                "checksum",
            ),
            (
                "Format error decoding Png: Corrupt deflate stream. DistanceTooFarBack",
                "damaged",
            ),
            (
                "Image width or height is set to zero, cannot continue",
                "width or height of zero",
            ),
            (
                "Format error decoding Png: Invalid image dimensions",
                "width or height of zero",
            ),
        ] {
            let plain = plain(message);
            assert!(plain.contains(says), "{message}: {plain}");
            for internal in [
                "0x", "{", "\"", "Png", "Huffman", "DHT", "I/O", "LZW", "strict", "[",
            ] {
                assert!(!plain.contains(internal), "{message}: {plain}");
            }
        }
    }

    /// A message that is none of those is kept, on one line, unquoted.
    #[test]
    fn other_messages_are_kept_on_one_line() {
        assert_eq!(plain("\"an odd\n  thing\""), "an odd thing");
        assert_eq!(one_line(" a \t b\n"), "a b");
    }
}
