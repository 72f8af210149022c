//! Opening input files so that no file, whatever it is, can hang or flood
//! the process: regular files only (a device such as `/dev/zero`, a FIFO
//! named `cheek.jpg` or a socket is refused by its metadata before it is
//! opened, and the opened descriptor is checked again, so a file swapped in
//! between is caught too), opened non-blocking (opening a FIFO for reading
//! would otherwise wait forever for a writer), and read with a hard byte
//! cap. Every input skintrack reads goes through here: images, case.toml,
//! sidecars, lights files, the hashed inputs of a case.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::Read as _;
use std::path::Path;

/// `s` as part of an output file's name: every character but ASCII
/// letters, digits, '-', '_' and '.' made '_'.
#[must_use]
pub fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Latin letters a combining accent joins with (Unicode canonical
/// composition over Latin-1 Supplement and Latin Extended-A, from Python's
/// `unicodedata`): the accent, the letters it follows, and what each
/// becomes, in the same order.
const COMPOSITIONS: [(char, &str, &str); 13] = [
    ('\u{300}', "AEIOUaeiou", "ÀÈÌÒÙàèìòù"),
    (
        '\u{301}',
        "AEIOUYaeiouyCcLlNnRrSsZz",
        "ÁÉÍÓÚÝáéíóúýĆćĹĺŃńŔŕŚśŹź",
    ),
    (
        '\u{302}',
        "AEIOUaeiouCcGgHhJjSsWwYy",
        "ÂÊÎÔÛâêîôûĈĉĜĝĤĥĴĵŜŝŴŵŶŷ",
    ),
    ('\u{303}', "ANOanoIiUu", "ÃÑÕãñõĨĩŨũ"),
    ('\u{304}', "AaEeIiOoUu", "ĀāĒēĪīŌōŪū"),
    ('\u{306}', "AaEeGgIiOoUu", "ĂăĔĕĞğĬĭŎŏŬŭ"),
    ('\u{307}', "CcEeGgIZz", "ĊċĖėĠġİŻż"),
    ('\u{308}', "AEIOUaeiouyY", "ÄËÏÖÜäëïöüÿŸ"),
    ('\u{30a}', "AaUu", "ÅåŮů"),
    ('\u{30b}', "OoUu", "ŐőŰű"),
    ('\u{30c}', "CcDdEeLlNnRrSsTtZz", "ČčĎďĚěĽľŇňŘřŠšŤťŽž"),
    ('\u{327}', "CcGgKkLlNnRrSsTt", "ÇçĢģĶķĻļŅņŖŗŞşŢţ"),
    ('\u{328}', "AaEeIiUu", "ĄąĘęĮįŲų"),
];

/// `name` with each Latin letter and the combining accent after it made
/// one letter, and Hangul jamo made syllables, as typed: a Mac writes file
/// names decomposed ("joue" and U+0301), so the same view would otherwise
/// have two names. Other text is kept as it is.
#[must_use]
pub fn composed(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let joined = out.chars().last().and_then(|last| {
            hangul(last, c).or_else(|| {
                let (_, from, to) = COMPOSITIONS.iter().find(|(mark, ..)| *mark == c)?;
                let at = from.chars().position(|b| b == last)?;
                to.chars().nth(at)
            })
        });
        match joined {
            Some(letter) => {
                out.pop();
                out.push(letter);
            }
            None => out.push(c),
        }
    }
    out
}

/// The Hangul syllable of a leading consonant and a vowel, or of such a
/// syllable and a trailing consonant (Unicode's arithmetic composition,
/// chapter 3.12); `None` for any other pair.
fn hangul(last: char, c: char) -> Option<char> {
    let (last, c) = (u32::from(last), u32::from(c));
    let syllable = if (0x1100..=0x1112).contains(&last) && (0x1161..=0x1175).contains(&c) {
        0xAC00 + ((last - 0x1100) * 21 + (c - 0x1161)) * 28
    } else if (0xAC00..=0xD7A3).contains(&last)
        && (last - 0xAC00) % 28 == 0
        && (0x11A8..=0x11C2).contains(&c)
    {
        last + (c - 0x11A7)
    } else {
        return None;
    };
    char::from_u32(syllable)
}

/// Whether `name` holds a combining accent ([`composed`] left it: no
/// letter it joins with came before it).
#[must_use]
pub fn has_combining_mark(name: &str) -> bool {
    name.chars().any(|c| ('\u{300}'..='\u{36f}').contains(&c))
}

/// Cap on a text input (case.toml, a sidecar, a lights file or a list of
/// file names): a real one is a few hundred bytes.
pub const MAX_TEXT_BYTES: u64 = 1 << 20;

/// Cap on skintrack's own results read back (a finished case's
/// metrics.json, a few MB for a case of many views and visits).
pub const MAX_RESULT_BYTES: u64 = 256 << 20;

/// What a non-regular file is, for the message.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

fn not_regular(path: &Path, meta: &std::fs::Metadata) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!(
            "{} is not a regular file; only ordinary files are read",
            kind_of(meta)
        )),
    }
}

/// Opens `path` for reading if it is (or links to) a regular file.
///
/// # Errors
/// [`Error::Read`] naming `path` when it does not exist, cannot be opened
/// or is not a regular file.
pub fn open_regular(path: &Path) -> Result<File> {
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // a FIFO swapped in after the check must not block the open
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    Ok(file)
}

/// The bytes of the regular file `path`, refused beyond `cap` bytes (the
/// read stops at `cap + 1`, whatever the file's size says).
///
/// # Errors
/// As [`open_regular`], and [`Error::TooLarge`] beyond `cap`.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>> {
    let file = open_regular(path)?;
    let too_large = || Error::TooLarge {
        path: path.to_path_buf(),
        reason: format!("the file is larger than {} bytes", cap),
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > cap {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > cap {
        return Err(too_large());
    }
    Ok(bytes)
}

/// A text input (UTF-8, at most [`MAX_TEXT_BYTES`]), without a leading
/// byte-order mark.
///
/// # Errors
/// As [`read_capped`], and [`Error::Case`] when it is not UTF-8.
pub fn read_text(path: &Path) -> Result<String> {
    read_text_within(path, MAX_TEXT_BYTES)
}

/// [`read_text`] with a cap of `cap` bytes.
///
/// # Errors
/// As [`read_text`].
pub fn read_text_within(path: &Path, cap: u64) -> Result<String> {
    let bytes = read_capped(path, cap)?;
    let text = String::from_utf8(bytes).map_err(|_| Error::case(path, "not a UTF-8 text file"))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decomposed_accent_joins_its_letter() {
        // NFC and NFD of one name give one view
        assert_eq!(composed("joue\u{301}"), "joué");
        assert_eq!(composed("joué"), "joué");
        assert_eq!(composed("Mento\u{301}n izq"), "Mentón izq");
        assert_eq!(composed("C\u{327}a\u{30a}"), "Çå");
        // every entry of the table composes to a letter of its own
        for (mark, from, to) in COMPOSITIONS {
            assert_eq!(from.chars().count(), to.chars().count(), "{mark:?}");
            for (b, c) in from.chars().zip(to.chars()) {
                assert_eq!(composed(&format!("{b}{mark}")), c.to_string());
                assert!(c.is_alphabetic());
            }
        }
        // Hangul: 볼 (cheek) decomposed is ᄇ ᅩ ᆯ; 보 is ᄇ ᅩ
        assert_eq!(composed("\u{1107}\u{1169}\u{11af}"), "볼");
        assert_eq!(composed("\u{1107}\u{1169}"), "보");
        assert_eq!(composed("\u{1107}\u{1169}\u{11af}\u{11af}"), "볼\u{11af}");
        // an accent on no letter, or one not in the table, stays
        assert_eq!(composed("\u{301}x"), "\u{301}x");
        assert_eq!(composed("q\u{301}"), "q\u{301}");
        assert!(has_combining_mark(&composed("q\u{301}")));
        assert!(!has_combining_mark("joué"));
    }

    #[test]
    fn caps_and_refuses_what_is_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "\u{feff}x = 1\n").unwrap();
        assert_eq!(read_text(&p).unwrap(), "x = 1\n");
        assert_eq!(read_capped(&p, 100).unwrap().len(), 9);
        let e = read_capped(&p, 4).unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }), "{e}");
        let e = read_capped(dir.path(), 4).unwrap_err();
        assert!(format!("{e:#}").contains("cannot read"), "{e}");
        assert_eq!(e.exit_code(), 2);
        #[cfg(unix)]
        {
            let e = read_capped(Path::new("/dev/zero"), 1 << 20).unwrap_err();
            assert!(
                anyhow::Error::from(e).to_string().contains("/dev/zero"),
                "names the file"
            );
        }
    }
}
