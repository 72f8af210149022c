//! Command-line arguments (clap) and their validation into ready-to-use
//! configurations. Nothing below this module reads argv.

use crate::error::{Error, Result};
use crate::raster::Rect;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The exit-code contract (DESIGN.md), shown by every `--help`.
const EXIT_CODES: &str = "Exit codes: 0 success; 1 the work failed (a write failed, or `align` could not align the pair); 2 bad usage or bad input (one line names the file and the problem).";

/// `batch`'s exit codes: a case's failure is recorded and the others go on.
const BATCH_EXIT_CODES: &str = "Exit codes: 0 every case analysed or up to date; 1 at least one case failed (each is listed with its reason, and in OUT_DIR/batch-failures/); 2 bad usage (the archive cannot be read, the output folder is inside it).";

/// skintrack: objective before/after measurement of skin treatments.
#[derive(Debug, Parser)]
#[command(name = "skintrack", version, about, long_about = None, propagate_version = true, after_help = EXIT_CODES)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Memory budget (e.g. 2G, 800M): an image whose estimated peak exceeds
    /// it is refused before decoding.
    #[arg(long, global = true, value_parser = parse_bytes, default_value = "2G")]
    pub max_memory: u64,
    /// Print where the time went (seconds per stage) on stderr at the end.
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// The subcommands (DESIGN.md "Command-line contract").
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse a case folder: align, measure, trend, plots and report.
    #[command(after_help = EXIT_CODES)]
    Analyze {
        /// The case folder (dated session folders, optional case.toml).
        case_dir: PathBuf,
        /// Output folder (default: ./skintrack-out/CASE_NAME).
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Exit 2 when any capture was left out (not decoded, not aligned or
        /// rejected by the quality gate); the outputs are still written.
        #[arg(long)]
        strict: bool,
    },
    /// Register MOVING to BASE and print or write the result.
    #[command(after_help = EXIT_CODES)]
    Align {
        /// The reference photo.
        base: PathBuf,
        /// The photo to bring into BASE's frame.
        moving: PathBuf,
        /// Write MOVING warped into BASE's frame here (.png, with the area
        /// MOVING does not cover transparent, or .jpg).
        #[arg(short, long, value_parser = parse_aligned_out)]
        out: Option<AlignedOut>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Measure one image.
    #[command(after_help = EXIT_CODES)]
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
    #[command(after_help = EXIT_CODES)]
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
    /// Analyse every case of an archive (each direct subfolder that is a
    /// case) into OUT_DIR/CASE_NAME; cases already analysed from the same
    /// inputs are skipped.
    #[command(after_help = BATCH_EXIT_CODES)]
    Batch {
        /// The folder of case folders.
        archive_dir: PathBuf,
        /// Output folder (one subfolder per case).
        #[arg(short, long)]
        out: PathBuf,
        /// Take only the cases whose folder name hashes to I mod N (I from
        /// 0), e.g. `--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`.
        #[arg(long, value_parser = crate::batch::Shard::parse, value_name = "I/N")]
        shard: Option<crate::batch::Shard>,
    },
    /// Write OUT_DIR/index.html and outcomes.csv over every finished case of
    /// a batch output folder.
    #[command(after_help = EXIT_CODES)]
    Index {
        /// The batch output folder.
        out_dir: PathBuf,
    },
    /// Draw where a case is measured: the baseline photo of each view with a
    /// labelled pixel grid, the measured region and the control region
    /// (suggested when case.toml names none); prints the case.toml lines.
    #[command(after_help = EXIT_CODES)]
    Regions {
        /// The case folder.
        case_dir: PathBuf,
        /// The figure, PNG (default: ./skintrack-regions.png; with several
        /// views, one file each, FILE_VIEW.png).
        #[arg(short, long, value_parser = parse_png_out)]
        out: Option<PathBuf>,
    },
    /// Analyse the bundled sample case and print where the report is.
    #[command(after_help = EXIT_CODES)]
    Demo {
        /// Output folder (default: ./skintrack-demo).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Generate a synthetic case with ground truth (truth.json).
    #[command(after_help = EXIT_CODES)]
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
        /// The same skin at every session, only the capture changes (no
        /// treatment effect; truth.json gives each session's capture change).
        #[arg(long)]
        unchanged: bool,
        /// Photograph through the capture model with these changes at the
        /// follow-ups [default: mixed with --unchanged; without it, the
        /// treated phantom's own camera].
        #[arg(long, value_enum)]
        capture: Option<CaptureMode>,
        /// Also write a photometric set per visit (cheek.ps/: six lights
        /// 40–55° above the skin, 8-bit sRGB JPEG, cast shadows in scars).
        #[arg(long, conflicts_with = "unchanged")]
        photometric: bool,
        /// Lasting extra haemoglobin in the treated area at the baseline
        /// (0–1; 0.15 reads about 8 erythema-index units over the control),
        /// fading by 70 % over the course (held at every session with
        /// --unchanged).
        #[arg(long, default_value_t = 0.0)]
        erythema: f64,
        /// The lasting redness of --erythema in a round patch over part of
        /// the measured region (centred left of its middle, σ 0.3 of its
        /// height) rather than even over it: the region's excess is uneven
        /// from place to place, as over inflamed acne.
        #[arg(long, requires = "erythema")]
        erythema_patch: bool,
        /// JPEG chroma of the captures with --unchanged: full (4:4:4, the
        /// reference camera), 420 (4:2:0 at every visit, as a phone writes
        /// it) or mixed (4:2:0 at about half the follow-ups: another camera).
        #[arg(long, value_enum, default_value_t = ChromaMode::Full, requires = "unchanged")]
        chroma: ChromaMode,
        /// Stick a grey-step reference card (six steps, 10–66 % grey) on the
        /// skin above the region and name it in case.toml (`card`), so the
        /// analysis reads each photo's tone curve from it.
        #[arg(long)]
        card: bool,
        /// Frame the skin as a face photo is, with --unchanged: hair along
        /// the right edge, a wall along the bottom, clothes on the left,
        /// whose range of brightness lets the analysis read a changed tone
        /// curve from the frame.
        #[arg(long, requires = "unchanged")]
        surround: bool,
        /// Move the fine lines to cross the measured region, with
        /// --unchanged (drawn anywhere in the scene, they seldom cross it
        /// long enough to be tracked).
        #[arg(long, requires = "unchanged")]
        lines_across: bool,
        /// Turn the side light about the camera axis by this many degrees
        /// at every follow-up, with --unchanged: a lamp moved round the
        /// client between visits (its elevation and strength kept).
        #[arg(long, default_value_t = 0.0, requires = "unchanged", allow_hyphen_values = true, value_parser = parse_turn)]
        light_turn: f64,
        /// How far the treated area reaches beyond the measured region, px
        /// (left, right, below, and above up to the control region): its
        /// redness, relief and lines change there too, as on a face treated
        /// whole and measured in part.
        #[arg(long, default_value_t = 0, conflicts_with = "unchanged")]
        treated_margin: usize,
        /// Which of the skin's features the course changes: all of them
        /// (scars, relief, lines, pigment, lasting redness), the relief alone
        /// (micro-relief and pores: the texture) or the fine lines alone.
        #[arg(long, value_enum, default_value_t = CourseMode::All, conflicts_with = "unchanged")]
        course: CourseMode,
    },
}

/// What a treated phantom's course changes (`--course`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CourseMode {
    /// Scars, relief, lines, pigment and the lasting redness together.
    All,
    /// The micro-relief and pores alone.
    Relief,
    /// The fine lines alone.
    Lines,
}

impl From<CourseMode> for crate::phantom::Course {
    fn from(m: CourseMode) -> Self {
        match m {
            CourseMode::All => crate::phantom::Course::All,
            CourseMode::Relief => crate::phantom::Course::Relief,
            CourseMode::Lines => crate::phantom::Course::Lines,
        }
    }
}

/// JPEG chroma of an unchanged-skin phantom's captures (`--chroma`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ChromaMode {
    /// Every capture 4:4:4.
    Full,
    /// Every capture 4:2:0.
    #[value(name = "420")]
    Subsampled,
    /// The baseline 4:4:4, follow-ups 4:2:0 or 4:4:4 by a seeded coin.
    Mixed,
}

impl From<ChromaMode> for crate::phantom::Cameras {
    fn from(m: ChromaMode) -> Self {
        match m {
            ChromaMode::Full => crate::phantom::Cameras::Full,
            ChromaMode::Subsampled => crate::phantom::Cameras::Subsampled,
            ChromaMode::Mixed => crate::phantom::Cameras::Mixed,
        }
    }
}

/// Capture changes of an unchanged-skin phantom (`phantom --unchanged`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CaptureMode {
    /// Every follow-up the baseline's own camera settings: only the pose
    /// and the sensor noise differ (with --light-turn, the turn alone).
    Reference,
    /// Every follow-up a change within the accepted range: comparable, but
    /// most are softer than the baseline (added blur up to σ 1.5 px) and
    /// warn for focus, so texture and lines are not compared on them.
    Accepted,
    /// Every follow-up a hard failure (over-exposed, blurred, cut scan, in turn).
    Hard,
    /// Accepted changes plus one session of each hard failure (≥ 5 sessions).
    Mixed,
}

impl From<CaptureMode> for crate::phantom::CapturePlan {
    fn from(m: CaptureMode) -> Self {
        match m {
            CaptureMode::Reference => crate::phantom::CapturePlan::Reference,
            CaptureMode::Accepted => crate::phantom::CapturePlan::Accepted,
            CaptureMode::Hard => crate::phantom::CapturePlan::Hard,
            CaptureMode::Mixed => crate::phantom::CapturePlan::Mixed,
        }
    }
}

/// How photometric-stereo images encode light.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Encoding {
    /// sRGB-encoded (gamma); the default for 8-bit images.
    Srgb,
    /// Linear in light; the default for 16-bit images.
    Linear,
}

impl From<Encoding> for crate::ingest::Encoding {
    fn from(e: Encoding) -> Self {
        match e {
            Encoding::Srgb => crate::ingest::Encoding::Srgb,
            Encoding::Linear => crate::ingest::Encoding::Linear,
        }
    }
}

/// Where `align -o` writes the aligned photo, in the format its extension names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlignedOut {
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub format: ImageFormat,
}

/// An image format `align -o` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    /// PNG with alpha (transparent outside MOVING's footprint).
    Png,
    /// JPEG.
    Jpeg,
}

/// Checked before any work: an output `align` cannot write is a usage error.
fn parse_aligned_out(s: &str) -> std::result::Result<AlignedOut, String> {
    let path = PathBuf::from(s);
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let format = match ext.as_str() {
        "png" => ImageFormat::Png,
        "jpg" | "jpeg" => ImageFormat::Jpeg,
        _ => return Err(format!("{s}: write the aligned image as .png or .jpg")),
    };
    Ok(AlignedOut { path, format })
}

/// Checked before any work: the regions figure is a PNG, named so.
fn parse_png_out(s: &str) -> std::result::Result<PathBuf, String> {
    let path = PathBuf::from(s);
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
    {
        Ok(path)
    } else {
        Err(format!("{s}: the figure is written as PNG; name it .png"))
    }
}

/// "2G", "800M", "1.5GB", "500000000": a size in bytes (decimal units).
fn parse_bytes(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim().to_ascii_uppercase();
    let t = t.strip_suffix('B').unwrap_or(&t);
    let (num, unit) = match t.char_indices().last() {
        Some((i, 'K')) => (&t[..i], 1e3),
        Some((i, 'M')) => (&t[..i], 1e6),
        Some((i, 'G')) => (&t[..i], 1e9),
        Some((i, 'T')) => (&t[..i], 1e12),
        _ => (t, 1.0),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a size such as 2G or 800M"))?;
    let bytes = v * unit;
    if !(1e6..=1e15).contains(&bytes) {
        return Err(format!("{s:?}: give a memory budget between 1M and 1000T"));
    }
    Ok(bytes as u64)
}

fn parse_turn(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(deg) if (-180.0..=180.0).contains(&deg) => Ok(deg),
        _ => Err(format!(
            "{s:?}: give a turn in degrees between -180 and 180"
        )),
    }
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

/// A validated scale from a flag ([`crate::units::MmPerPx::checked`]).
///
/// # Errors
/// [`Error::Usage`] when the value is outside the documented range.
pub fn scale(v: Option<f64>) -> Result<Option<crate::units::MmPerPx>> {
    v.map(|v| crate::units::MmPerPx::checked(v, "--mm-per-px").map_err(Error::usage))
        .transpose()
}

/// A validated region from a flag ([`crate::units::check_region`]).
///
/// # Errors
/// [`Error::Usage`] naming the flag when the region is too small or too large.
pub fn region(flag: &str, r: Option<Rect>) -> Result<Option<Rect>> {
    if let Some(r) = r {
        crate::units::check_region(flag, r).map_err(Error::usage)?;
    }
    Ok(r)
}
