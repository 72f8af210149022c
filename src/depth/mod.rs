//! True surface height: photometric stereo ([`stereo`]), normal
//! integration ([`integrate`]), height maps from 3D skin cameras, and the
//! measures of a surface ([`surface`]: ISO 25178, scars).
//!
//! Conventions: normals and lights in the DiLiGenT frame (x right, y up,
//! z toward the camera); heights positive toward the camera, in µm when the
//! scale is known and in pixel widths otherwise.

pub mod integrate;
pub mod series;
pub mod stereo;
pub mod surface;

use crate::case::HeightSidecar;
use crate::error::{Error, Result};
use crate::ingest::{self, IngestOptions};
use crate::measure::colour::srgb_to_linear;
use crate::output;
use crate::raster::Plane;
use crate::units::MmPerPx;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use stereo::{Normals, StereoOptions};
use surface::{Iso25178, Scar, Surface};

/// Arguments of `skintrack depth`.
pub struct DepthArgs {
    /// Light directions file.
    pub lights: PathBuf,
    /// Intensities file.
    pub intensities: Option<PathBuf>,
    /// Mask image.
    pub mask: Option<PathBuf>,
    /// Some(true) = linear, Some(false) = sRGB, None = by bit depth.
    pub encoding: Option<bool>,
    /// Scale.
    pub mm_per_px: Option<MmPerPx>,
    /// Output folder.
    pub out: PathBuf,
    /// JSON output.
    pub json: bool,
    /// Images.
    pub images: Vec<PathBuf>,
}

/// What a surface yields: the levelled ISO parameters, the same after form
/// removal, and the scars.
#[derive(Clone, Debug, Serialize)]
pub struct SurfaceReport {
    /// "um" or "px" (heights in pixel widths, no scale known).
    pub height_unit: &'static str,
    /// Lateral scale, when known.
    pub mm_per_px: Option<f64>,
    /// ISO 25178 of the plane-levelled surface (F-operator: least-squares plane).
    pub iso25178: Option<Iso25178>,
    /// ISO 25178 after removing the robust degree-2 form (the skin's curvature).
    pub iso25178_form_removed: Option<Iso25178>,
    /// Scars (depressions below the form), largest first.
    pub scars: Vec<Scar>,
}

/// Measures a surface.
#[must_use]
pub fn report(s: &Surface) -> SurfaceReport {
    let pixel = s.pixel_in_z_units();
    let levelled = s.level_plane();
    let (depth, mut scars) = surface::find_scars(s);
    let form: Vec<f64> = depth.iter().map(|d| -d).collect();
    scars.sort_by(|a, b| b.area.total_cmp(&a.area));
    SurfaceReport {
        height_unit: if s.z_um { "um" } else { "px" },
        mm_per_px: s.mm_per_px,
        iso25178: surface::iso25178(&levelled, s.w, pixel),
        iso25178_form_removed: surface::iso25178(&form, s.w, pixel),
        scars,
    }
}

/// Reads a 16-bit height map (PNG or TIFF, one channel) with its sidecar:
/// height = level × `um_per_level`.
///
/// # Errors
/// Decoding errors, or [`Error::Unsupported`] for a colour or 8-bit file.
pub fn read_height_map(path: &Path, sidecar: &HeightSidecar) -> Result<Surface> {
    let d = ingest::decode_file(path, &IngestOptions::default())?;
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
    let um = f64::from(sidecar.um_per_level);
    Ok(Surface {
        w: p.width(),
        h: p.height(),
        z: p.data().iter().map(|&v| f64::from(v) * um).collect(),
        z_um: true,
        mm_per_px: sidecar.mm_per_px.map(MmPerPx::get),
    })
}

/// Reads the images of a photometric set as linear grey planes, each
/// divided by its light's intensity: 8-bit files are sRGB-decoded and
/// 16-bit ones taken as linear unless `linear` says otherwise; colour
/// channels are averaged.
///
/// # Errors
/// Decoding errors, or [`Error::Case`] when sizes differ.
pub fn read_set(
    images: &[PathBuf],
    intensities: Option<&[f64]>,
    linear: Option<bool>,
) -> Result<Vec<Plane>> {
    let mut out: Vec<Plane> = Vec::with_capacity(images.len());
    for (k, path) in images.iter().enumerate() {
        let d = ingest::decode_file(path, &IngestOptions::default())?;
        let is_linear = linear.unwrap_or(d.bit_depth != 8);
        let full = match d.bit_depth {
            8 => 255.0,
            16 => 65535.0,
            _ => 1.0,
        };
        let gain = 1.0 / intensities.map_or(1.0, |v| v[k]);
        let decode = |v: f32| -> f64 {
            let x = f64::from(v);
            if is_linear {
                x / full
            } else {
                srgb_to_linear(x / full * 255.0)
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
        let plane = Plane::from_fn(w, h, |x, y| {
            let s: f64 = d.planes.iter().map(|p| decode(p.at(x, y))).sum();
            (s / nc * gain) as f32
        });
        out.push(plane);
    }
    Ok(out)
}

/// Reads a mask image: any non-zero sample is valid.
///
/// # Errors
/// Decoding errors, or [`Error::Case`] when its size differs from `size`.
pub fn read_mask(path: &Path, size: (usize, usize)) -> Result<Vec<bool>> {
    let d = ingest::decode_file(path, &IngestOptions::default())?;
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

/// Normals → height: gradients ∂z/∂x = −nx/nz, ∂z/∂row = ny/nz (y is up),
/// integrated over the valid normals; µm when the scale is known.
#[must_use]
pub fn height_from_normals(n: &Normals, mm_per_px: Option<f64>) -> Surface {
    let valid: Vec<bool> = n.n.iter().map(|v| v[2] > 0.0).collect();
    let slope = |i: usize, k: usize, sign: f64| -> f64 {
        let v = n.n[i];
        if valid[i] {
            sign * f64::from(v[k]) / f64::from(v[2])
        } else {
            0.0
        }
    };
    let gx: Vec<f64> = (0..n.w * n.h).map(|i| slope(i, 0, -1.0)).collect();
    let gy: Vec<f64> = (0..n.w * n.h).map(|i| slope(i, 1, 1.0)).collect();
    let all = valid.iter().all(|&v| v);
    let z = integrate::integrate(&integrate::Gradients {
        w: n.w,
        h: n.h,
        gx: &gx,
        gy: &gy,
        mask: (!all).then_some(&valid[..]),
    });
    let scale = mm_per_px.map_or(1.0, |m| m * 1000.0);
    Surface {
        w: n.w,
        h: n.h,
        z: z.into_iter().map(|v| v * scale).collect(),
        z_um: mm_per_px.is_some(),
        mm_per_px,
    }
}

/// Photometric stereo and integration of a loaded set.
#[must_use]
pub fn from_set(
    images: &[Plane],
    lights: &[[f64; 3]],
    mask: Option<&[bool]>,
    mm_per_px: Option<f64>,
) -> (Normals, Surface) {
    let normals = stereo::photometric_stereo(images, lights, mask, &StereoOptions::default());
    let surface = height_from_normals(&normals, mm_per_px);
    (normals, surface)
}

/// What `skintrack depth --json` prints.
#[derive(Serialize)]
struct DepthJson<'a> {
    images: usize,
    width: usize,
    height: usize,
    valid_fraction: f64,
    mean_lights_used: f64,
    outputs: Vec<String>,
    #[serde(flatten)]
    surface: &'a SurfaceReport,
}

/// Runs `skintrack depth`.
///
/// # Errors
/// Bad inputs (exit 2) or unwritable outputs.
pub fn run_cli(args: &DepthArgs) -> Result<ExitCode> {
    let lights = crate::lights::read_directions(&args.lights)?;
    if lights.len() != args.images.len() {
        return Err(Error::case(
            &args.lights,
            format!(
                "{} light directions for {} images",
                lights.len(),
                args.images.len()
            ),
        ));
    }
    let intensities = match &args.intensities {
        Some(p) => {
            let v = crate::lights::read_intensities(p)?;
            if v.len() != args.images.len() {
                return Err(Error::case(
                    p,
                    format!("{} intensities for {} images", v.len(), args.images.len()),
                ));
            }
            Some(v)
        }
        None => None,
    };
    let images = read_set(&args.images, intensities.as_deref(), args.encoding)?;
    let (w, h) = (images[0].width(), images[0].height());
    let mask = args
        .mask
        .as_deref()
        .map(|p| read_mask(p, (w, h)))
        .transpose()?;
    let mm = args.mm_per_px.map(MmPerPx::get);
    let (normals, surf) = from_set(&images, &lights, mask.as_deref(), mm);
    let rep = report(&surf);

    output::ensure_dir(&args.out)?;
    let files = write_outputs(&args.out, &normals, &surf)?;
    let valid = normals.used.iter().filter(|&&u| u > 0).count();
    if args.json {
        let j = DepthJson {
            images: images.len(),
            width: w,
            height: h,
            valid_fraction: valid as f64 / (w * h).max(1) as f64,
            mean_lights_used: normals.used.iter().map(|&u| f64::from(u)).sum::<f64>()
                / valid.max(1) as f64,
            outputs: files.iter().map(|p| p.display().to_string()).collect(),
            surface: &rep,
        };
        println!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
    } else {
        let unit = if surf.z_um { "µm" } else { "px" };
        println!(
            "{w}x{h} px, {} lights, {:.1}% of pixels valid",
            images.len(),
            100.0 * valid as f64 / (w * h).max(1) as f64
        );
        if let Some(iso) = rep.iso25178 {
            println!(
                "Sa {:.3} {unit}  Sq {:.3} {unit}  Sz {:.3} {unit}  Ssk {:.3}  Sku {:.3}",
                iso.Sa, iso.Sq, iso.Sz, iso.Ssk, iso.Sku
            );
        }
        for (k, s) in rep.scars.iter().enumerate() {
            println!(
                "scar {}: at ({:.0}, {:.0}) px, area {:.3}, max depth {:.1} {unit}, volume {:.4}",
                k + 1,
                s.centre.0,
                s.centre.1,
                s.area,
                s.max_depth,
                s.volume
            );
        }
        println!("wrote {}", args.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes normals.png, height.tiff, height.png and albedo.png.
fn write_outputs(dir: &Path, n: &Normals, s: &Surface) -> Result<Vec<PathBuf>> {
    let (w, h) = (n.w, n.h);
    let q = |v: f32| {
        ((f64::from(v) + 1.0) / 2.0 * 65535.0)
            .round()
            .clamp(0.0, 65535.0) as u16
    };
    let normals: Vec<u16> =
        n.n.iter()
            .flat_map(|v| {
                if v[2].is_finite() {
                    [q(v[0]), q(v[1]), q(v[2])]
                } else {
                    [q(0.0); 3]
                }
            })
            .collect();
    let (lo, hi) =
        s.z.iter()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |a, &v| {
                (a.0.min(v), a.1.max(v))
            });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let preview: Vec<u16> =
        s.z.iter()
            .map(|&v| {
                if v.is_finite() {
                    ((v - lo) / span * 65535.0).round() as u16
                } else {
                    0
                }
            })
            .collect();
    let top = n
        .albedo
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f32, f32::max);
    let albedo: Vec<u16> = n
        .albedo
        .iter()
        .map(|&a| {
            if a.is_finite() && top > 0.0 {
                (f64::from(a / top) * 65535.0).round() as u16
            } else {
                0
            }
        })
        .collect();
    let heights: Vec<f32> = s.z.iter().map(|&v| v as f32).collect();
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: Result<Vec<u8>>| -> Result<()> {
        let path = dir.join(name);
        output::write_atomic(&path, &bytes?)?;
        written.push(path);
        Ok(())
    };
    put(
        "normals.png",
        output::png_rgb16(&dir.join("normals.png"), w, h, &normals),
    )?;
    put(
        "height.tiff",
        output::tiff_f32(&dir.join("height.tiff"), w, h, &heights),
    )?;
    put(
        "height.png",
        output::png_grey16(&dir.join("height.png"), w, h, &preview),
    )?;
    put(
        "albedo.png",
        output::png_grey16(&dir.join("albedo.png"), w, h, &albedo),
    )?;
    Ok(written)
}
