//! The analysis of a case as data: what metrics.json holds (DESIGN.md
//! schema, plus the trend fields of issue 7) and what the plots and the
//! report are drawn from. Maps are `BTreeMap`s so output is byte-stable.

use crate::catalog::Better;
use crate::date::Date;
use crate::geometry::Homography;
use crate::measure::pores::Histogram;
use crate::raster::Rect;
use crate::trend::Fit;
use serde::Serialize;
use std::collections::BTreeMap;

/// The whole analysis (metrics.json).
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    /// Always "skintrack".
    pub tool: &'static str,
    /// skintrack's version.
    pub version: &'static str,
    /// Case folder name.
    pub case: String,
    /// Client label.
    pub client: Option<String>,
    /// Treatment name.
    pub treatment: Option<String>,
    /// The first session.
    pub baseline_date: Date,
    /// Treatment dates.
    pub treatments: Vec<Date>,
    /// SHA-256 over every input file (names and bytes, in order).
    pub inputs_sha256: String,
    /// One series per (view, capture kind).
    pub series: Vec<Series>,
}

/// The sessions of one view and capture kind.
#[derive(Clone, Debug, Serialize)]
pub struct Series {
    /// View name.
    pub view: String,
    /// photo | height | photometric.
    pub kind: &'static str,
    /// The region measured, baseline pixels.
    pub roi: Option<Rect>,
    /// The control region, baseline pixels.
    pub control: Option<Rect>,
    /// Physical scale, when known.
    pub mm_per_px: Option<f64>,
    /// Sessions in date order (the baseline first).
    pub sessions: Vec<SessionResult>,
    /// Saturating fits per metric (≥ 4 usable points).
    pub fits: BTreeMap<String, Fit>,
    /// Scars tracked across sessions (height data only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scars: Vec<ScarTrack>,
}

/// One session of a series.
#[derive(Clone, Debug, Serialize)]
pub struct SessionResult {
    /// Date.
    pub date: Date,
    /// Days since the baseline.
    pub days: i64,
    /// Days since the latest treatment on or before this date.
    pub days_since_treatment: Option<i64>,
    /// 1–3 days after a treatment.
    pub acute_window: bool,
    /// A treatment was given at this visit.
    pub treatment: bool,
    /// The capture, relative to the case folder.
    pub source: String,
    /// Repeat captures averaged into this session (relative paths).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repeats: Vec<String>,
    /// Registration to the baseline.
    pub alignment: Alignment,
    /// Metric id → result (empty when the capture was not usable).
    pub metrics: BTreeMap<String, MetricResult>,
    /// Pore diameter histogram.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pore_histogram: Option<Histogram>,
}

/// Registration outcome in the JSON contract's form.
#[derive(Clone, Debug, Serialize)]
pub struct Alignment {
    /// "ok" | "failed".
    pub status: &'static str,
    /// MOVING → BASE.
    pub base_from_moving: Homography,
    /// Grey-level ZNCC after alignment.
    pub score: f64,
    /// Fraction of the baseline covered.
    pub overlap: f64,
    /// Local-contrast correlation after alignment.
    pub structure_score: f64,
    /// Keypoint inliers of the coarse stage.
    pub inliers: usize,
    /// Fraction of keypoint matches that agree with the coarse model.
    pub inlier_ratio: f64,
    /// RMS transfer error of those inliers, px.
    pub residual_px: f64,
    /// Estimated standard error of the corner positions, px.
    pub precision_px: Option<f64>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Alignment {
    /// True when the capture may yield numbers.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.status == "ok"
    }
}

/// One metric of one session, with its comparison to the baseline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricResult {
    /// Value.
    pub value: f64,
    /// Unit.
    pub unit: String,
    /// Better direction.
    pub better: Better,
    /// Standard error.
    pub uncertainty: f64,
    /// % change vs the baseline (null when the baseline is ~0).
    pub change_pct: Option<f64>,
    /// |change| > MDC95.
    pub beyond_noise: bool,
    /// Absolute change vs the baseline.
    pub change: f64,
    /// Minimal detectable change (95 %).
    pub mdc95: f64,
}

/// One scar followed across sessions (positions in the baseline frame).
#[derive(Clone, Debug, Serialize)]
pub struct ScarTrack {
    /// Stable id.
    pub id: usize,
    /// Centre in baseline pixels.
    pub centre: (f64, f64),
    /// Per session (same order as the series' sessions): the scar, or
    /// `None` when it was not found (resolved) or the session failed.
    pub sessions: Vec<Option<ScarMeasure>>,
    /// Found at the baseline or first seen later, and not found at the last session.
    pub resolved: bool,
}

/// A scar's size at one session.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ScarMeasure {
    /// Area, mm² (px² without scale).
    pub area: f64,
    /// Mean depth, µm.
    pub mean_depth_um: f64,
    /// Maximum depth, µm.
    pub max_depth_um: f64,
    /// Volume, mm³ (µm·px² without scale).
    pub volume: f64,
}
