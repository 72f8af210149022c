//! The quantiser steps of a JPEG's DC coefficients, read from its headers:
//! how coarsely the file rounds each 8×8 block's mean. A block's mean is
//! its DC coefficient over 8, so it is rounded to a multiple of step/8 of
//! the 0–255 scale; on smooth skin every block of an area rounds the same
//! way, and the area's mean colour moves by up to half of that (quality 70:
//! ±0.6 levels of the chroma), whatever the noise of the pixels.

/// The DC quantiser steps of a JPEG file, in DCT units (8 × the step of a
/// block mean).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DcSteps {
    /// The luminance (first) component's step.
    pub luma: u16,
    /// The largest of the chrominance components' steps (the luma's for a
    /// grey file).
    pub chroma: u16,
}

/// Whether a quantisation table (DQT) of `jpeg` holds a step of 0, which
/// the standard forbids (ITU T.81, B.2.4.1: 1–255 or 1–65535) and no
/// encoder writes: a changed byte of the header, whose coefficients then
/// decode as 0 (a flat grey component). A malformed segment is left to
/// the decoder.
#[must_use]
pub fn has_zero_step(jpeg: &[u8]) -> bool {
    super::scan::segments(jpeg)
        .filter(|(marker, _, _)| *marker == 0xDB)
        .any(|(_, body, _)| {
            let mut p = 0;
            while let Some(&pq_tq) = body.get(p) {
                let width = if pq_tq >> 4 == 1 { 2 } else { 1 };
                let Some(entries) = body.get(p + 1..p + 1 + 64 * width) else {
                    return false;
                };
                if entries
                    .chunks_exact(width)
                    .any(|e| e.iter().all(|&b| b == 0))
                {
                    return true;
                }
                p += 1 + 64 * width;
            }
            false
        })
}

/// The DC steps of `jpeg` from its quantisation tables (DQT) and frame
/// header (SOF), which may come in either order before the first scan;
/// `None` when those headers do not give them (no DCT frame, a component
/// naming a table never defined, a malformed segment), the samples are not
/// 8-bit, or the components are not grey or YCbCr (RGB or CMYK JPEGs).
#[must_use]
pub fn dc_steps(jpeg: &[u8]) -> Option<DcSteps> {
    let mut tables: [Option<u16>; 4] = [None; 4];
    let mut components: Vec<usize> = Vec::new();
    for (marker, body, _) in super::scan::segments(jpeg) {
        match marker {
            0xDB => {
                // tables: Pq|Tq, then 64 entries of 1 (Pq 0) or 2 (Pq 1)
                // bytes, DC first
                let mut p = 0;
                while p < body.len() {
                    let pq_tq = *body.get(p)?;
                    let width = match pq_tq >> 4 {
                        0 => 1,
                        1 => 2,
                        _ => return None,
                    };
                    let entries = body.get(p + 1..p + 1 + 64 * width)?;
                    let dc = if width == 2 {
                        u16::from_be_bytes([entries[0], entries[1]])
                    } else {
                        u16::from(entries[0])
                    };
                    *tables.get_mut(usize::from(pq_tq & 15))? = Some(dc);
                    p += 1 + 64 * width;
                }
            }
            // the DCT frames (baseline, extended, progressive; Huffman or
            // arithmetic): the components' table numbers. Lossless frames
            // (C3, C7, CB, CF) quantise nothing.
            0xC0..=0xC2 | 0xC5 | 0xC6 | 0xC9 | 0xCA | 0xCD | 0xCE => {
                if *body.first()? != 8 {
                    return None; // 12-bit samples: steps of another scale
                }
                let n = usize::from(*body.get(5)?);
                components = (0..n)
                    .map(|c| body.get(8 + 3 * c).map(|&t| usize::from(t)))
                    .collect::<Option<_>>()?;
            }
            // an Adobe marker with transform 0: the components are R, G, B
            // (or CMYK), not a luma and two chromas
            0xEE if body.starts_with(b"Adobe") && body.get(11) == Some(&0) => return None,
            0xDA => break,
            0xD9 => return None,
            _ => {}
        }
    }
    // grey (one component) or YCbCr (three)
    if !matches!(components.len(), 1 | 3) {
        return None;
    }
    let steps: Vec<u16> = components
        .iter()
        .map(|&t| *tables.get(t)?)
        .collect::<Option<_>>()?;
    let (&luma, chroma) = steps.split_first()?;
    let chroma = chroma.iter().copied().max().unwrap_or(luma);
    Some(DcSteps { luma, chroma })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DC step libjpeg's scaling gives the standard tables at `quality`
    /// (Annex K: luminance DC 16, chrominance DC 17).
    fn libjpeg_step(base: u32, quality: u32) -> u16 {
        let scale = if quality < 50 {
            5000 / quality
        } else {
            200 - 2 * quality
        };
        ((base * scale + 50) / 100).clamp(1, 255) as u16
    }

    fn encoded(quality: u8, sub: jpeg_encoder::SamplingFactor) -> Vec<u8> {
        let (w, h) = (24u16, 16u16);
        let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
            .map(|i| (i * 37 % 251) as u8)
            .collect();
        let mut out = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
        enc.set_sampling_factor(sub);
        enc.encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    #[test]
    fn a_table_with_a_step_of_zero_is_found() {
        let good = encoded(80, jpeg_encoder::SamplingFactor::R_4_2_0);
        assert!(!has_zero_step(&good));
        let dqt = good.windows(2).position(|w| w == [0xFF, 0xDB]).unwrap();
        // one step of the first table (after the length and Pq|Tq) made 0:
        // the DC step, then an AC step
        for entry in [0, 17] {
            let mut bad = good.clone();
            bad[dqt + 5 + entry] = 0;
            assert!(has_zero_step(&bad), "{entry}");
        }
    }

    #[test]
    fn the_steps_are_the_standard_tables_scaled_by_the_quality() {
        for q in [50u8, 60, 70, 75, 80, 90, 95, 100] {
            for sub in [
                jpeg_encoder::SamplingFactor::R_4_4_4,
                jpeg_encoder::SamplingFactor::R_4_2_0,
            ] {
                let got = dc_steps(&encoded(q, sub)).unwrap();
                let want = DcSteps {
                    luma: libjpeg_step(16, u32::from(q)),
                    chroma: libjpeg_step(17, u32::from(q)),
                };
                assert_eq!(got, want, "quality {q}");
            }
        }
    }

    #[test]
    fn the_image_crates_encoder_and_a_grey_file_are_read_too() {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 70)
            .encode(&[128u8; 64 * 3], 8, 8, image::ExtendedColorType::Rgb8)
            .unwrap();
        let s = dc_steps(&out).unwrap();
        assert_eq!((s.luma, s.chroma), (10, 10), "{s:?}");
        let mut grey = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut grey, 90)
            .encode(&[128u8; 64], 8, 8, image::ExtendedColorType::L8)
            .unwrap();
        let s = dc_steps(&grey).unwrap();
        assert_eq!((s.luma, s.chroma), (3, 3), "{s:?}");
    }

    #[test]
    fn broken_headers_give_none_and_never_panic() {
        let good = encoded(80, jpeg_encoder::SamplingFactor::R_4_2_0);
        assert!(dc_steps(&good).is_some());
        for cut in 0..good.len().min(700) {
            let _ = dc_steps(&good[..cut]);
        }
        assert_eq!(dc_steps(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2]), None);
        // a 12-bit frame's steps are on another scale: not given
        let sof = good.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        let mut twelve = good.clone();
        twelve[sof + 4] = 12;
        assert_eq!(dc_steps(&twelve), None);
        // a table whose precision nibble is neither 8- nor 16-bit, and one
        // cut short, give none either
        let dqt = good.windows(2).position(|w| w == [0xFF, 0xDB]).unwrap();
        let mut odd = good.clone();
        odd[dqt + 4] = 0x20;
        assert_eq!(dc_steps(&odd), None);
        let mut short = good.clone();
        short[dqt + 3] = 20; // the segment's length: 18 bytes of its body
        assert_eq!(dc_steps(&short), None);
        assert_eq!(dc_steps(b"not a jpeg"), None);
    }
}
