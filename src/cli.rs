//! Command-line arguments (clap) and their validation into ready-to-use
//! configurations. Nothing below this module reads argv.

use crate::error::{Error, Result};
use crate::raster::Rect;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// skintrack: objective before/after measurement of skin treatments.
#[derive(Debug, Parser)]
#[command(name = "skintrack", version, about, long_about = None, propagate_version = true)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands (DESIGN.md "Command-line contract").
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse a case folder: align, measure, trend, plots and report.
    Analyze {
        /// The case folder (dated session folders, optional case.toml).
        case_dir: PathBuf,
        /// Output folder (default: ./skintrack-out/CASE_NAME).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Register MOVING to BASE and print or write the result.
    Align {
        /// The reference photo.
        base: PathBuf,
        /// The photo to bring into BASE's frame.
        moving: PathBuf,
        /// Write MOVING warped into BASE's frame here (.png, .jpg or .tif).
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Measure one image.
    Metrics {
        /// The photo.
        image: PathBuf,
        /// Region X,Y,W,H in pixels (default: the whole image).
        #[arg(long, value_parser = parse_rect)]
        roi: Option<Rect>,
        /// Untreated control region X,Y,W,H.
        #[arg(long, value_parser = parse_rect)]
        control: Option<Rect>,
        /// Physical scale, mm per pixel.
        #[arg(long)]
        mm_per_px: Option<f64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Photometric stereo: normals, albedo, height and scars from a lit set.
    Depth {
        /// Light directions file (one "x y z" per image, DiLiGenT convention).
        #[arg(long)]
        lights: PathBuf,
        /// Light intensities file (one "r g b" or value per image).
        #[arg(long)]
        intensities: Option<PathBuf>,
        /// Valid-pixel mask (non-zero = valid).
        #[arg(long)]
        mask: Option<PathBuf>,
        /// How image values encode light.
        #[arg(long, value_enum)]
        encoding: Option<Encoding>,
        /// Physical scale, mm per pixel.
        #[arg(long)]
        mm_per_px: Option<f64>,
        /// Output folder.
        #[arg(short, long, default_value = "skintrack-depth")]
        out: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// The images, in the order of the lights file.
        #[arg(required = true, num_args = 3..)]
        images: Vec<PathBuf>,
    },
    /// Analyse the bundled sample case and print where the report is.
    Demo {
        /// Output folder (default: ./skintrack-demo).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Generate a synthetic case with ground truth (truth.json).
    Phantom {
        /// Output folder (new or empty).
        out_dir: PathBuf,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Number of sessions (2–12).
        #[arg(long, default_value_t = 5)]
        sessions: usize,
        /// Photo size WxH.
        #[arg(long, default_value = "1200x900", value_parser = parse_size)]
        size: (usize, usize),
    },
}

/// How photometric-stereo images encode light.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Encoding {
    /// sRGB-encoded (gamma); the default for 8-bit images.
    Srgb,
    /// Linear in light; the default for 16-bit images.
    Linear,
}

fn parse_rect(s: &str) -> std::result::Result<Rect, String> {
    Rect::parse(s)
}

fn parse_size(s: &str) -> std::result::Result<(usize, usize), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WxH, got {s:?}"))?;
    let n = |v: &str| {
        v.trim()
            .parse::<usize>()
            .map_err(|_| format!("{v:?} is not a whole number"))
    };
    Ok((n(w)?, n(h)?))
}

/// A validated scale from a flag.
///
/// # Errors
/// [`Error::Usage`] when the value is not a positive number.
pub fn scale(v: Option<f64>) -> Result<Option<crate::units::MmPerPx>> {
    v.map(|v| {
        crate::units::MmPerPx::new(v)
            .ok_or_else(|| Error::usage(format!("--mm-per-px must be a positive number, got {v}")))
    })
    .transpose()
}
