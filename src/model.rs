//! The analysis of a case as data: what metrics.json holds (DESIGN.md
//! schema, plus the trend fields of issue 7) and what the plots and the
//! report are drawn from, images included (not serialised). Maps are
//! `BTreeMap`s so output is byte-stable.
//!
//! Two stage values: [`MeasuredSeries`] (the measure stage's output, what
//! the trend takes) and [`Series`] (with every value's change against the
//! baseline and the fits).

use crate::align::Registration;
use crate::case::Kind;
use crate::date::Date;
use crate::depth::series::ScarTrack;
use crate::measure::Value;
use crate::measure::pores::Histogram;
use crate::quality::{Quality, Verdict};
use crate::raster::Rect;
use crate::trend::{self, Change, Fit, Timeline, Trend};
use crate::units::MmPerPx;
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
    /// Whether the treatment dates were assumed (case.toml named none):
    /// the report says so.
    #[serde(skip)]
    pub treatments_assumed: bool,
    /// SHA-256 over every input file, in order: its relative name and the
    /// SHA-256 of its bytes, or a mark for a file that cannot be read.
    pub inputs_sha256: String,
    /// `[notes]` of case.toml: what happened at a visit, by its date.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub notes: BTreeMap<Date, String>,
    /// Warnings about the visits' dates ([`crate::case::Case::date_warnings`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub date_warnings: Vec<String>,
    /// What the client is told: one claim per view, kind and topic.
    pub claims: Vec<Claim>,
    /// One series per (view, capture kind).
    pub series: Vec<Series>,
}

/// The sessions of one view and capture kind.
#[derive(Clone, Debug, Serialize)]
pub struct Series {
    /// View name.
    pub view: String,
    /// Photo, height map or photometric set.
    pub kind: Kind,
    /// The region measured, baseline pixels.
    pub roi: Option<Rect>,
    /// The control region, baseline pixels.
    pub control: Option<Rect>,
    /// Physical scale, when known.
    pub mm_per_px: Option<MmPerPx>,
    /// Sessions in date order (the baseline first).
    pub sessions: Vec<SessionResult>,
    /// Saturating fits per metric (≥ 4 usable points).
    pub fits: BTreeMap<String, Fit>,
    /// Scars tracked across sessions (height data only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scars: Vec<ScarTrack>,
    /// What the report's images of this series show, when it needs saying
    /// (the colour scale of a depth map).
    #[serde(skip)]
    pub preview_note: Option<String>,
    /// "Where we measure": the baseline photo with the regions drawn (JPEG),
    /// photos only.
    #[serde(skip)]
    pub regions_figure: Option<RegionsFigure>,
}

impl Series {
    /// The first capture, where the quality gate rejected it: the view has
    /// no usable baseline, and none of its later captures is compared.
    #[must_use]
    pub fn rejected_first(&self) -> Option<&SessionResult> {
        self.sessions
            .first()
            .filter(|x| x.quality.status == crate::quality::Verdict::Reject)
    }

    /// The first capture, where it was taken 1–3 days after a session (the
    /// skin still red and swollen from it): it cannot be the reference,
    /// and no claim compares a later capture with it.
    #[must_use]
    pub fn acute_first(&self) -> Option<&SessionResult> {
        self.sessions.first().filter(|x| x.timeline.acute_window)
    }
}

/// The baseline photo with the measured and control regions drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionsFigure {
    /// JPEG bytes.
    pub jpeg: Vec<u8>,
    /// The control region drawn was suggested (case.toml names none): it is
    /// not used, only shown.
    pub control_suggested: bool,
}

/// One session of a series.
#[derive(Clone, Debug, Serialize)]
pub struct SessionResult {
    /// Date.
    pub date: Date,
    /// Its place in the treatment course.
    #[serde(flatten)]
    pub timeline: Timeline,
    /// The capture, relative to the case folder.
    pub source: String,
    /// Repeat captures averaged into this session (relative paths).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repeats: Vec<String>,
    /// Registration to the baseline.
    pub alignment: Registration,
    /// The capture's quality against the baseline capture.
    pub quality: Quality,
    /// Metric id → result (empty when the capture was not usable).
    pub metrics: BTreeMap<String, MetricResult>,
    /// Pore diameter histogram.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pore_histogram: Option<Histogram>,
    /// The images the report shows of this session.
    #[serde(skip)]
    pub media: SessionMedia,
}

/// One metric of one session, with its comparison to the baseline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricResult {
    /// What was measured.
    #[serde(flatten)]
    pub measured: Value,
    /// Against the baseline (`None` when the baseline lacks the metric).
    #[serde(flatten)]
    pub vs_baseline: Option<Change>,
}

/// The images of a session that the report embeds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionMedia {
    /// A JPEG preview of the aligned capture's measured region (or of its
    /// depth map); `None` when the capture was not usable.
    pub preview: Option<Vec<u8>>,
    /// Overlays on the measured region, in the order of the overlay kinds.
    pub overlays: Vec<Overlay>,
}

/// One overlay image.
#[derive(Clone, Debug, PartialEq)]
pub struct Overlay {
    /// Its kind (an overlay kind id, "lines" …).
    pub kind: String,
    /// JPEG bytes.
    pub jpeg: Vec<u8>,
}

/// One session as measured, before the trend compares it with the baseline.
#[derive(Clone, Debug)]
pub struct MeasuredSession {
    /// Date.
    pub date: Date,
    /// Its place in the treatment course.
    pub timeline: Timeline,
    /// The capture, relative to the case folder.
    pub source: String,
    /// Repeat captures averaged into this session.
    pub repeats: Vec<String>,
    /// Registration to the baseline.
    pub alignment: Registration,
    /// The capture's quality against the baseline capture.
    pub quality: Quality,
    /// Metric id → value (empty when the capture was not usable).
    pub values: BTreeMap<String, Value>,
    /// Pore diameter histogram.
    pub pore_histogram: Option<Histogram>,
    /// The images the report shows.
    pub media: SessionMedia,
}

/// A series as measured: what the trend stage takes.
#[derive(Clone, Debug)]
pub struct MeasuredSeries {
    /// View name.
    pub view: String,
    /// Capture kind.
    pub kind: Kind,
    /// The region measured, baseline pixels.
    pub roi: Option<Rect>,
    /// The control region, baseline pixels.
    pub control: Option<Rect>,
    /// Physical scale, when known.
    pub mm_per_px: Option<MmPerPx>,
    /// Sessions in date order (the baseline first).
    pub sessions: Vec<MeasuredSession>,
    /// Scars tracked across sessions (height data only).
    pub scars: Vec<ScarTrack>,
    /// What the preview images show, when it needs saying.
    pub preview_note: Option<String>,
    /// "Where we measure" (photos only).
    pub regions_figure: Option<RegionsFigure>,
}

impl MeasuredSession {
    /// Aligned, measured and of `ok` quality: a claim may rest on it.
    #[must_use]
    pub fn is_comparable(&self) -> bool {
        self.alignment.is_ok() && self.quality.is_ok() && !self.values.is_empty()
    }
}

impl SessionResult {
    /// Aligned, measured and of `ok` quality: a claim may rest on it.
    #[must_use]
    pub fn is_comparable(&self) -> bool {
        self.alignment.is_ok() && self.quality.is_ok() && !self.metrics.is_empty()
    }

    /// A claim on `topic` may rest on it: comparable, or for redness
    /// aligned and measured with a warn on fine structure only (a softer
    /// photo blurs texture, lines, pores and spots, not the colour of an
    /// area; [`Topic::holds_on_a_softer_photo`]).
    #[must_use]
    pub fn is_comparable_for(&self, topic: Topic) -> bool {
        if topic.holds_on_a_softer_photo() {
            self.alignment.is_ok() && self.quality.colour_is_ok() && !self.metrics.is_empty()
        } else {
            self.is_comparable()
        }
    }
}

impl MeasuredSeries {
    /// What the trend needs of each session.
    #[must_use]
    pub fn points(&self) -> Vec<trend::Point<'_>> {
        self.sessions
            .iter()
            .map(|s| trend::Point {
                days: s.timeline.days,
                usable: s.alignment.is_ok() && s.quality.status != Verdict::Reject,
                comparable: s.is_comparable(),
                acute_window: s.timeline.acute_window,
                values: &s.values,
            })
            .collect()
    }

    /// The finished series: each value with its change from `trend`
    /// (which was computed from [`Self::points`]).
    #[must_use]
    pub fn with_trend(self, trend: Trend) -> Series {
        let mut changes = trend.changes.into_iter();
        let sessions = self
            .sessions
            .into_iter()
            .map(|s| {
                let mut change = changes.next().unwrap_or_default();
                let metrics = s
                    .values
                    .into_iter()
                    .map(|(id, measured)| {
                        let vs_baseline = change.remove(&id);
                        (
                            id,
                            MetricResult {
                                measured,
                                vs_baseline,
                            },
                        )
                    })
                    .collect();
                SessionResult {
                    date: s.date,
                    timeline: s.timeline,
                    source: s.source,
                    repeats: s.repeats,
                    alignment: s.alignment,
                    quality: s.quality,
                    metrics,
                    pore_histogram: s.pore_histogram,
                    media: s.media,
                }
            })
            .collect();
        Series {
            view: self.view,
            kind: self.kind,
            roi: self.roi,
            control: self.control,
            mm_per_px: self.mm_per_px,
            sessions,
            fits: trend.fits,
            scars: self.scars,
            preview_note: self.preview_note,
            regions_figure: self.regions_figure,
        }
    }
}

/// What a claim is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Depth of the scars.
    ScarDepth,
    /// Volume of the scars.
    ScarVolume,
    /// Fine lines.
    Lines,
    /// Visible pores.
    Pores,
    /// Skin texture.
    Texture,
    /// Redness over untreated skin.
    Redness,
    /// Pigment over untreated skin.
    Pigment,
}

impl Topic {
    /// Redness: the colour of an area, which a softer photo leaves as it
    /// was, so a claim on it may rest on a capture warned for fine
    /// structure. Not pigment: its spots are small, and a blur or a flatter
    /// light moves their excess with their contrast (a held-out trial: a
    /// side light turned down, warned as flatly lit, read "Dark-spot
    /// pigment: 29% lower" on unchanged skin).
    #[must_use]
    pub fn holds_on_a_softer_photo(self) -> bool {
        matches!(self, Topic::Redness)
    }
}

/// One statement of change (metrics.json `claims`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Claim {
    /// View.
    pub view: String,
    /// Capture kind the measure comes from.
    pub kind: Kind,
    /// What it is about.
    pub topic: Topic,
    /// The metric measuring it.
    pub metric: &'static str,
    /// The baseline session.
    pub from: Date,
    /// The session compared with it.
    pub to: Date,
    /// Change in percent of the baseline value (`None` near zero).
    pub change_pct: Option<f64>,
    /// Change in the metric's unit (index units for colour).
    pub change: f64,
    /// The metric's unit.
    pub unit: String,
    /// Whether the change exceeds the minimal detectable change.
    pub beyond_noise: bool,
    /// Whether the change is an improvement (`None` within noise).
    pub improved: Option<bool>,
    /// What the report says.
    pub sentence: String,
}
