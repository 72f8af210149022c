//! `skintrack depth`: photometric stereo on one lit set, with its files
//! (normals, height, albedo) and a summary on stdout.

use crate::depth::{self, SurfaceReport, stereo::Normals, surface::Surface};
use crate::error::{Error, Result};
use crate::ingest::{self, Encoding};
use crate::output;
use crate::raster::HeightUnit;
use crate::units::MmPerPx;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The validated arguments of `skintrack depth`.
pub struct DepthArgs {
    /// Light directions file.
    pub lights: PathBuf,
    /// Intensities file.
    pub intensities: Option<PathBuf>,
    /// Mask image.
    pub mask: Option<PathBuf>,
    /// How the images encode light (default: by bit depth).
    pub encoding: Option<Encoding>,
    /// Scale.
    pub mm_per_px: Option<MmPerPx>,
    /// Output folder.
    pub out: PathBuf,
    /// JSON output.
    pub json: bool,
    /// Images.
    pub images: Vec<PathBuf>,
    /// Decode limits and memory budget.
    pub ingest: ingest::IngestOptions,
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
pub fn run(args: &DepthArgs) -> Result<ExitCode> {
    let inputs: Vec<&Path> = args
        .images
        .iter()
        .map(PathBuf::as_path)
        .chain([args.lights.as_path()])
        .chain(args.mask.as_deref())
        .chain(args.intensities.as_deref())
        .collect();
    output::check_inputs_outside(&args.out, &inputs)?;
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
    // the output folder is written beside and swapped in whole (refused
    // before any work if skintrack did not write it)
    let staged = output::Staged::begin(&args.out)?;
    let images = ingest::read_set(
        &args.images,
        intensities.as_deref(),
        args.encoding,
        &args.ingest,
    )?;
    let (w, h) = (images[0].width(), images[0].height());
    let mask = args
        .mask
        .as_deref()
        .map(|p| ingest::read_mask(p, (w, h), &args.ingest))
        .transpose()?;
    let (normals, surf) = depth::from_set(&images, &lights, mask.as_deref(), args.mm_per_px);
    if let Some(why) = depth::unusable(&normals) {
        return Err(Error::case(&args.images[0], why));
    }
    let rep = depth::report(&surf);

    let written = write_outputs(staged.path(), &normals, &surf)?;
    staged.commit()?;
    let files: Vec<PathBuf> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| args.out.join(n)))
        .collect();
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
        outln!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
    } else {
        let unit = match surf.unit {
            HeightUnit::Um => "µm",
            HeightUnit::PixelWidth => "px",
        };
        outln!(
            "{w}x{h} px, {} lights, {:.1}% of pixels valid",
            images.len(),
            100.0 * valid as f64 / (w * h).max(1) as f64
        );
        if let Some(iso) = rep.iso25178 {
            outln!(
                "Sa {:.3} {unit}  Sq {:.3} {unit}  Sz {:.3} {unit}  Ssk {:.3}  Sku {:.3}",
                iso.Sa,
                iso.Sq,
                iso.Sz,
                iso.Ssk,
                iso.Sku
            );
        }
        for (k, s) in rep.scars.iter().enumerate() {
            outln!(
                "scar {}: at ({:.0}, {:.0}) px, area {:.3}, max depth {:.1} {unit}, volume {:.4}",
                k + 1,
                s.centre.0,
                s.centre.1,
                s.area,
                s.max_depth,
                s.volume
            );
        }
        outln!("wrote {}", args.out.display());
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
