//! The capture side of the phantom: how one unchanged scene becomes
//! different photos when only the camera, the lights or the file change.
//!
//! The chain is in physical order (each step acts where it acts in a
//! camera), so a capture-quality gate can be tested against known causes:
//!
//! 1. scene radiance, linear light, from the skin under a frontal and a side
//!    light whose ratio can change ([`Lighting::with_side_ratio`]);
//! 2. × vignetting (radial fall-off of the lens, `1 − v·(r/r_corner)²`);
//! 3. × exposure gain × per-channel white balance;
//! 4. lens blur: a Gaussian in linear light, σ = √(0.6² + σ_added²) px (the
//!    lens's own 0.6 px combined with the added defocus);
//! 5. sensor noise: Gaussian, in linear light;
//! 6. clipping at the sensor's full scale (0–1 linear) and sRGB encoding;
//! 7. an optional gamma change of the encoded values, `255·(v/255)^(1/γ)`
//!    (ImageMagick's `-gamma γ`); it maps 0–255 onto itself, so clipping
//!    before it equals clipping after it;
//! 8. rounding to 8 bits, JPEG at the given quality, with full chroma
//!    (4:4:4) or chroma subsampled (4:2:0: most cameras and phones);
//! 9. for the "cut scan" failure, the JPEG's entropy-coded data cut at half
//!    and closed with an EOI marker (`FF D9`), as a file cut short in transfer
//!    and then "repaired" by a tool that appends the marker (see
//!    [`scan_cut_at_half`] for what decoders make of it).

use super::skin::Rng;
use crate::error::Result;
use crate::filters::gaussian_blur;
use crate::raster::{Plane, linear_to_srgb};
use serde::Serialize;
use std::path::Path;

/// σ of the lens's own blur, px (every photo has it, the reference too).
pub const LENS_SIGMA_PX: f64 = 0.6;

/// What counts as an accepted capture change: a gate must let these through
/// and measurement must not see them as skin change.
pub mod accepted {
    /// Exposure gain, linear (0.6–1.5).
    pub const GAIN: (f64, f64) = (0.6, 1.5);
    /// Gamma change of the encoded values (0.9–1.1).
    pub const GAMMA: (f64, f64) = (0.9, 1.1);
    /// White-balance multiplier of each channel (±10 %).
    pub const WHITE_BALANCE: (f64, f64) = (0.9, 1.1);
    /// Added blur σ, px (0–1.5).
    pub const BLUR_SIGMA_PX: (f64, f64) = (0.0, 1.5);
    /// Side-to-frontal light ratio relative to the reference (0.7–1.4).
    pub const SIDE_LIGHT_RATIO: (f64, f64) = (0.7, 1.4);
    /// Vignetting: fractional loss of light in the corners (0–0.3).
    pub const VIGNETTING: (f64, f64) = (0.0, 0.3);
    /// JPEG quality (60–95). The encoder is the baseline's, with full
    /// chroma; another camera's encoder, 4:2:0, is a [`super::Chroma`]
    /// change of its own, not drawn here (BENCHMARKS.md: drawn into this
    /// range, it moved the tracked lines by −1.6 ± 1.2 %, at most −4.9 %).
    pub const JPEG_QUALITY: (u8, u8) = (60, 95);
    /// Sensor noise σ, linear 8-bit levels (0–3).
    pub const NOISE_SIGMA: (f64, f64) = (0.0, 3.0);
}

/// The hard failures: captures a gate must refuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HardFailure {
    /// Exposure so high that more than 30 % of the ROI is clipped.
    Overexposed,
    /// Blur σ ≥ 2.5 px.
    Blurred,
    /// The JPEG's scan cut at half and closed with EOI: the lower part is
    /// lost (flat grey or a block pattern, depending on the decoder).
    CutScan,
}

impl HardFailure {
    /// All kinds, in a fixed order.
    pub const ALL: [HardFailure; 3] = [
        HardFailure::Overexposed,
        HardFailure::Blurred,
        HardFailure::CutScan,
    ];
}

/// Gain of the [`HardFailure::Overexposed`] capture (2.8 stops): the
/// unchanged phantom's skin, at a median of about 166, 114, 84 encoded
/// (0.38, 0.17, 0.09 linear) in R, G, B, has R and G at full scale over
/// about 90 % of the ROI and at least one channel clipped nearly everywhere.
pub const OVEREXPOSED_GAIN: f64 = 7.0;

/// Added blur of the [`HardFailure::Blurred`] capture, px: the total σ is
/// √(0.6² + 3²) ≈ 3.06 px, clear of the 2.5 px limit (a gate estimating σ
/// within 10 % still sees ≥ 2.75 px).
pub const BLURRED_SIGMA_PX: f64 = 3.0;

/// The JPEG's chroma resolution, and with it the encoder: full chroma by
/// the `image` crate's encoder (the baseline camera), 4:2:0 by
/// jpeg-encoder (another camera: libjpeg's rounding of the coefficients,
/// the same quantisation tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Chroma {
    /// Full chroma, 4:4:4.
    #[serde(rename = "4:4:4")]
    Full,
    /// Chroma averaged over 2×2 pixels, 4:2:0 (most cameras and phones).
    #[serde(rename = "4:2:0")]
    Subsampled,
}

/// Whether the JPEG file is whole or has its scan cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scan {
    /// The file as the encoder wrote it.
    Whole,
    /// Entropy-coded data cut at half its length, then `FF D9` appended.
    CutAtHalf,
}

/// How one capture differs from the reference capture (the baseline's).
/// Every field is absolute for this capture; [`CaptureChange::NONE`] is the
/// reference itself.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CaptureChange {
    /// Exposure gain, linear (1 = the reference exposure).
    pub gain: f64,
    /// Gamma change of the encoded values: `v' = 255·(v/255)^(1/gamma)`.
    pub gamma: f64,
    /// White-balance multipliers (R, G, B), linear light.
    pub white_balance: [f64; 3],
    /// Blur added to the lens's own [`LENS_SIGMA_PX`], px (Gaussian; the
    /// total is `√(0.6² + blur_sigma_px²)`).
    pub blur_sigma_px: f64,
    /// Side-to-frontal light ratio, relative to the reference setup (1 = the
    /// reference). The flat-skin irradiance is kept: only relief contrast changes.
    pub side_light_ratio: f64,
    /// The side light turned about the camera axis, degrees
    /// counter-clockwise (0 = where the reference stands): a lamp moved
    /// round the client between visits. Not drawn into the accepted range:
    /// a turn moves each line's shading with its angle to the light, so it
    /// is tried on its own (`--light-turn`).
    pub side_light_turn_deg: f64,
    /// Fraction of light lost in the image corners (0 = none); the fall-off is
    /// `1 − vignetting·(r/r_corner)²` from the image centre.
    pub vignetting: f64,
    /// JPEG quality, 1–100.
    pub jpeg_quality: u8,
    /// The JPEG's chroma resolution.
    pub chroma: Chroma,
    /// Sensor noise σ in linear light, on the 0–255 scale (1 = 1/255 of full scale).
    pub noise_sigma: f64,
    /// Whether the file is whole.
    pub scan: Scan,
}

impl CaptureChange {
    /// The reference capture: what the baseline session gets.
    pub const NONE: CaptureChange = CaptureChange {
        gain: 1.0,
        gamma: 1.0,
        white_balance: [1.0; 3],
        blur_sigma_px: 0.0,
        side_light_ratio: 1.0,
        side_light_turn_deg: 0.0,
        vignetting: 0.0,
        jpeg_quality: 90,
        chroma: Chroma::Full,
        noise_sigma: 1.0,
        scan: Scan::Whole,
    };

    /// A change drawn uniformly (each parameter independently) from the
    /// accepted range ([`accepted`]); the same seed gives the same change.
    #[must_use]
    pub fn accepted(seed: u64) -> CaptureChange {
        let mut rng = Rng(seed ^ 0xACCE_97ED);
        let mut draw = |(lo, hi): (f64, f64)| rng.range(lo, hi);
        let gain = draw(accepted::GAIN);
        let gamma = draw(accepted::GAMMA);
        let white_balance = [
            draw(accepted::WHITE_BALANCE),
            draw(accepted::WHITE_BALANCE),
            draw(accepted::WHITE_BALANCE),
        ];
        let blur_sigma_px = draw(accepted::BLUR_SIGMA_PX);
        let side_light_ratio = draw(accepted::SIDE_LIGHT_RATIO);
        let vignetting = draw(accepted::VIGNETTING);
        let (qlo, qhi) = accepted::JPEG_QUALITY;
        // uniform over the integers qlo..=qhi
        let q = draw((f64::from(qlo), f64::from(qhi) + 1.0)).floor();
        let jpeg_quality = (q as u8).clamp(qlo, qhi);
        let noise_sigma = draw(accepted::NOISE_SIGMA);
        CaptureChange {
            gain,
            gamma,
            white_balance,
            blur_sigma_px,
            side_light_ratio,
            side_light_turn_deg: 0.0,
            vignetting,
            jpeg_quality,
            chroma: Chroma::Full,
            noise_sigma,
            scan: Scan::Whole,
        }
    }

    /// The reference capture with one hard failure.
    #[must_use]
    pub fn hard(kind: HardFailure) -> CaptureChange {
        let none = CaptureChange::NONE;
        match kind {
            HardFailure::Overexposed => CaptureChange {
                gain: OVEREXPOSED_GAIN,
                ..none
            },
            HardFailure::Blurred => CaptureChange {
                blur_sigma_px: BLURRED_SIGMA_PX,
                ..none
            },
            HardFailure::CutScan => CaptureChange {
                scan: Scan::CutAtHalf,
                ..none
            },
        }
    }

    /// Total Gaussian σ of the optics, px.
    #[must_use]
    pub fn total_blur_sigma_px(&self) -> f64 {
        LENS_SIGMA_PX.hypot(self.blur_sigma_px)
    }
}

/// Scene radiance reaching the lens: linear light per channel, 1 = a white
/// diffuser under the reference lighting at the reference exposure.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearRgb {
    /// R, G, B planes of equal size.
    pub planes: [Plane; 3],
}

impl LinearRgb {
    /// A uniform image.
    #[must_use]
    pub fn uniform(width: usize, height: usize, rgb: [f32; 3]) -> LinearRgb {
        LinearRgb {
            planes: rgb.map(|v| Plane::filled(width, height, v)),
        }
    }
    /// Width, px.
    #[must_use]
    pub fn width(&self) -> usize {
        self.planes[0].width()
    }
    /// Height, px.
    #[must_use]
    pub fn height(&self) -> usize {
        self.planes[0].height()
    }
}

/// The lights of a capture setup, as weights on flat skin's irradiance:
/// `ambient + frontal·n_z + side·(n·l)/l_z`, plus a faint sheen of the side
/// light. On flat skin (n = z) the three terms sum to the irradiance.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Lighting {
    /// Side light direction in the camera frame (x right, y up, z to camera).
    pub side_direction: [f64; 3],
    /// Ambient (direction-free) weight.
    pub ambient: f64,
    /// Weight of the light on the camera axis (ring flash).
    pub frontal: f64,
    /// Weight of the side light.
    pub side: f64,
    /// Weight of the side light's specular sheen.
    pub sheen: f64,
}

impl Lighting {
    /// The same setup with the side-to-frontal ratio multiplied by `ratio`,
    /// keeping frontal + side (so flat skin is as bright as before) and the
    /// sheen in proportion to the side light.
    #[must_use]
    pub fn with_side_ratio(&self, ratio: f64) -> Lighting {
        let total = self.frontal + self.side;
        let k = ratio * self.side / self.frontal;
        let side = total * k / (1.0 + k);
        Lighting {
            frontal: total / (1.0 + k),
            side,
            sheen: self.sheen * side / self.side,
            ..*self
        }
    }

    /// The same setup with the side light turned by `deg` degrees about the
    /// camera axis (counter-clockwise in the camera frame): its elevation
    /// and weight are kept.
    #[must_use]
    pub fn turned(&self, deg: f64) -> Lighting {
        let (s, c) = deg.to_radians().sin_cos();
        let [x, y, z] = self.side_direction;
        Lighting {
            side_direction: [x * c - y * s, x * s + y * c, z],
            ..*self
        }
    }
}

/// Steps 2–8 before JPEG: the 8-bit RGB frame (interleaved, row-major) the
/// camera would compress. `noise_seed` seeds the sensor noise.
#[must_use]
pub fn sensor_rgb8(radiance: &LinearRgb, change: &CaptureChange, noise_seed: u64) -> Vec<u8> {
    let (w, h) = (radiance.width(), radiance.height());
    let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    let r_corner2 = (cx * cx + cy * cy).max(1e-12);
    let planes: Vec<Plane> = radiance
        .planes
        .iter()
        .zip(change.white_balance)
        .map(|(p, wb)| {
            let k = change.gain * wb;
            let exposed = Plane::from_fn(w, h, |x, y| {
                let r2 = (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2);
                let fall_off = 1.0 - change.vignetting * r2 / r_corner2;
                (f64::from(p.at(x, y)) * fall_off * k) as f32
            });
            gaussian_blur(&exposed, change.total_blur_sigma_px())
        })
        .collect();
    let mut rng = Rng(noise_seed);
    let sigma = change.noise_sigma / 255.0;
    let mut out = Vec::with_capacity(w * h * 3);
    for i in 0..w * h {
        for p in &planes {
            let lin = f64::from(p.data()[i]) + sigma * rng.normal();
            let encoded = linear_to_srgb(lin);
            let v = if change.gamma == 1.0 {
                encoded
            } else {
                255.0 * (encoded / 255.0).powf(1.0 / change.gamma)
            };
            out.push(v.round().clamp(0.0, 255.0) as u8);
        }
    }
    out
}

/// Step 8–9: the JPEG file of an 8-bit frame at the change's quality, with
/// its scan cut when the change says so. `path` is only used in messages.
///
/// # Errors
/// [`crate::Error::Write`] when the encoder fails.
pub fn jpeg_file(
    path: &Path,
    w: usize,
    h: usize,
    rgb8: &[u8],
    change: &CaptureChange,
) -> Result<Vec<u8>> {
    let jpeg = match change.chroma {
        Chroma::Full => crate::output::jpeg_rgb8(path, w, h, rgb8, change.jpeg_quality)?,
        Chroma::Subsampled => crate::output::jpeg_output(path, w, h, rgb8, change.jpeg_quality)?,
    };
    Ok(match change.scan {
        Scan::Whole => jpeg,
        Scan::CutAtHalf => scan_cut_at_half(&jpeg),
    })
}

/// The whole chain: radiance to JPEG bytes.
///
/// # Errors
/// As [`jpeg_file`].
pub fn photograph(
    path: &Path,
    radiance: &LinearRgb,
    change: &CaptureChange,
    noise_seed: u64,
) -> Result<Vec<u8>> {
    let rgb8 = sensor_rgb8(radiance, change, noise_seed);
    jpeg_file(path, radiance.width(), radiance.height(), &rgb8, change)
}

/// Byte range of the entropy-coded data of a single-scan JPEG: from after
/// the SOS header to before the final EOI marker. `None` when the bytes are
/// not such a file.
#[must_use]
pub fn entropy_coded_range(jpeg: &[u8]) -> Option<std::ops::Range<usize>> {
    if jpeg.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut pos = 2;
    loop {
        if *jpeg.get(pos)? != 0xFF {
            return None;
        }
        let marker = *jpeg.get(pos + 1)?;
        if marker == 0xFF {
            pos += 1; // fill byte
            continue;
        }
        let len = usize::from(u16::from_be_bytes([
            *jpeg.get(pos + 2)?,
            *jpeg.get(pos + 3)?,
        ]));
        let next = pos + 2 + len;
        if marker == 0xDA {
            let end = if jpeg.ends_with(&[0xFF, 0xD9]) {
                jpeg.len() - 2
            } else {
                jpeg.len()
            };
            return (next <= end).then_some(next..end);
        }
        pos = next;
    }
}

/// The JPEG with its entropy-coded data cut at half its length and `FF D9`
/// appended: the headers stay intact, so decoders read the size and decode
/// the upper part. What they make of the rest differs: libjpeg and its
/// family stop decoding at the marker and leave flat grey (zero
/// coefficients, 128); zune-jpeg 0.5 decodes the zero bits it pads with
/// after the marker into a repeating 8×8 pattern, without an error even in
/// strict mode. Bytes that are not a single-scan JPEG are cut at half the file.
#[must_use]
pub fn scan_cut_at_half(jpeg: &[u8]) -> Vec<u8> {
    let range = entropy_coded_range(jpeg).unwrap_or(0..jpeg.len());
    let mut cut = range.start + (range.end - range.start) / 2;
    // never leave a lone FF (the first byte of a stuffed FF 00) before EOI
    while cut > range.start && jpeg[cut - 1] == 0xFF {
        cut -= 1;
    }
    let mut out = jpeg[..cut].to_vec();
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}
