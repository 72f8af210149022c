//! Photometric stereo and height maps (issue 6): placeholder entry point.

use crate::error::{Error, Result};
use crate::units::MmPerPx;
use std::path::PathBuf;
use std::process::ExitCode;

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

/// Runs `skintrack depth`.
///
/// # Errors
/// Always, for now.
pub fn run_cli(_args: &DepthArgs) -> Result<ExitCode> {
    Err(Error::usage("depth: not available yet"))
}
