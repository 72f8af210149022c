//! Decoding of 3D captures: 16-bit height maps with their sidecar, the
//! images of a photometric set as linear light, and validity masks.

use super::{IngestOptions, decode_file};
use crate::error::{Error, Result};
use crate::raster::{HeightUnit, Plane, Surface, srgb_to_linear};
use crate::units::{MmPerPx, UmPerLevel};
use std::path::{Path, PathBuf};

/// How the sample values of photometric-stereo images encode light.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// sRGB-encoded (gamma); the default for 8-bit images.
    Srgb,
    /// Linear in light; the default for 16-bit images.
    Linear,
}

/// Reads a 16-bit height map (PNG or TIFF, one channel) with the scales of
/// its sidecar: height = level × `um_per_level`, in µm; levels 0 and 65535
/// are no data (NaN).
///
/// # Errors
/// Decoding errors, or [`Error::Unsupported`] for a colour or 8-bit file
/// or one where under a quarter of the pixels hold a height.
pub fn read_height_map(
    path: &Path,
    um_per_level: UmPerLevel,
    mm_per_px: Option<MmPerPx>,
    opts: &IngestOptions,
) -> Result<Surface> {
    let d = decode_file(path, opts)?;
    if d.planes.len() != 1 || d.bit_depth != 16 {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            reason: format!(
                "a height map must be one 16-bit channel, this has {} channel(s) of {} bits",
                d.planes.len(),
                d.bit_depth
            ),
        });
    }
    let p = &d.planes[0];
    let um = um_per_level.get();
    // the ends of the range are no height: a 3D camera writes its holes
    // as 0, and a height past either end was clipped to it (a hole read as
    // a height made a "scar" 1.4 mm deep)
    let mut z: Vec<f64> = p
        .data()
        .iter()
        .map(|&v| {
            if v <= 0.0 || v >= 65535.0 {
                f64::NAN
            } else {
                f64::from(v) * um
            }
        })
        .collect();
    let held = z.iter().filter(|v| v.is_finite()).count();
    if held * 4 < z.len() {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            reason: format!(
                "only {:.0}% of its pixels hold a height (levels 0 and 65535 are read as no data: holes or clipped)",
                100.0 * held as f64 / z.len().max(1) as f64
            ),
        });
    }
    // a 3D camera's scattered dropouts, filled from around them: left as
    // holes, one visit's would break up the region every visit covers
    crate::depth::fill::fill_dropouts(&mut z, p.width(), p.height());
    Ok(Surface {
        w: p.width(),
        h: p.height(),
        z,
        unit: HeightUnit::Um,
        mm_per_px,
    })
}

/// Reads the images of a photometric set as linear grey planes, each
/// divided by its light's intensity: 8-bit files are sRGB-decoded and
/// 16-bit ones taken as linear unless `encoding` says otherwise; colour
/// channels are averaged. A pixel with a channel at the file's full scale
/// (255, 65535) is clipped and read as NaN.
///
/// # Errors
/// Decoding errors, or [`Error::Case`] when sizes differ.
pub fn read_set(
    images: &[PathBuf],
    intensities: Option<&[f64]>,
    encoding: Option<Encoding>,
    opts: &IngestOptions,
) -> Result<Vec<Plane>> {
    let mut out: Vec<Plane> = Vec::with_capacity(images.len());
    for (k, path) in images.iter().enumerate() {
        let d = decode_file(path, opts)?;
        if k == 0 {
            set_within_budget(path, images.len(), &d, opts)?;
        }
        let encoding = encoding.unwrap_or(if d.bit_depth == 8 {
            Encoding::Srgb
        } else {
            Encoding::Linear
        });
        let full = match d.bit_depth {
            8 => 255.0,
            16 => 65535.0,
            _ => 1.0,
        };
        let gain = 1.0 / intensities.map_or(1.0, |v| v[k]);
        let decode = |v: f32| -> f64 {
            let x = f64::from(v);
            match encoding {
                Encoding::Linear => x / full,
                Encoding::Srgb => srgb_to_linear(x / full * 255.0),
            }
        };
        let (w, h) = (d.planes[0].width(), d.planes[0].height());
        if let Some(first) = out.first()
            && (first.width(), first.height()) != (w, h)
        {
            return Err(Error::case(
                path,
                format!(
                    "is {w}x{h} px, but the first image of the set is {}x{} px",
                    first.width(),
                    first.height()
                ),
            ));
        }
        let nc = d.planes.len() as f64;
        // a sample at an integer file's full scale is clipped: its light is
        // unknown (NaN), and photometric stereo leaves it out
        let clip = if d.bit_depth <= 16 {
            full
        } else {
            f64::INFINITY
        };
        let plane = Plane::from_fn(w, h, |x, y| {
            if d.planes.iter().any(|p| f64::from(p.at(x, y)) >= clip) {
                return f32::NAN;
            }
            let s: f64 = d.planes.iter().map(|p| decode(p.at(x, y))).sum();
            (s / nc * gain) as f32
        });
        out.push(plane);
    }
    Ok(out)
}

/// Refuses a photometric set whose planes (4 bytes a pixel each, all held
/// at once) and the solve ([`super::PEAK_BYTES_PER_PIXEL`]) exceed the
/// memory budget, from its first image, before the others are decoded.
fn set_within_budget(
    first: &Path,
    n: usize,
    d: &super::Decoded,
    opts: &IngestOptions,
) -> Result<()> {
    let px = d.planes.first().map_or(0, |p| p.len() as u64);
    let need = px.saturating_mul(4 * n as u64 + super::PEAK_BYTES_PER_PIXEL);
    if need > opts.max_memory {
        let (w, h) = d.planes.first().map_or((0, 0), |p| (p.width(), p.height()));
        return Err(Error::TooLarge {
            path: first.to_path_buf(),
            reason: format!(
                "a set of {n} images of {w}x{h} px needs about {} MB, over the memory budget of {} MB; allow it with --max-memory {}M",
                need / 1_000_000,
                opts.max_memory / 1_000_000,
                need.div_ceil(1_000_000)
            ),
        });
    }
    Ok(())
}

/// Reads a mask image: any non-zero sample is valid.
///
/// # Errors
/// Decoding errors, or [`Error::Case`] when its size differs from `size`.
pub fn read_mask(path: &Path, size: (usize, usize), opts: &IngestOptions) -> Result<Vec<bool>> {
    let d = decode_file(path, opts)?;
    let p = &d.planes[0];
    if (p.width(), p.height()) != size {
        return Err(Error::case(
            path,
            format!(
                "mask is {}x{} px, the images are {}x{} px",
                p.width(),
                p.height(),
                size.0,
                size.1
            ),
        ));
    }
    Ok((0..p.len())
        .map(|i| d.planes.iter().any(|q| q.data()[i] > 0.0))
        .collect())
}
