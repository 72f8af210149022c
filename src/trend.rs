//! Trends: each metric of each series as a time series over the course,
//! with change from the baseline, the minimal detectable change, the
//! treatment timeline, and a saturating fit when there are enough points.
//!
//! * change_pct = 100·(v − v₀)/|v₀| against the baseline session, none
//!   where |v₀| is within the change's MDC95 (a percentage of noise);
//! * MDC95 = 1.96·√2·SEM (Weir 2005, J Strength Cond Res 19(1)), with SEM²
//!   the capture's repeatability squared plus half the squared standard
//!   error of the change: for the claims' measures of a region's mean
//!   ([`crate::catalog::READ_IN_PAIRS`]) at an `ok` session, that of the
//!   sub-tiles' paired changes, where both sessions were measured on the
//!   same tiles of the aligned region; else the two sessions' standard
//!   errors pooled, u₀² + u²; a change is `beyond_noise` when
//!   |v − v₀| > MDC95;
//! * a capture 1–3 days after a treatment is in the *acute window*
//!   (post-treatment redness): kept in the series, flagged, left out of the
//!   fit and of improvement statements;
//! * with ≥ 4 usable points the series is fitted with
//!   v(t) = v∞ + (v₀ − v∞)·e^(−t/τ) (τ by a log-spaced search, v∞ and v₀ by
//!   linear least squares), reporting the plateau v∞ and the time to 90 %
//!   of the change, τ·ln 10.

use crate::catalog::Better;
use crate::date::Date;
use crate::measure::Value;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a trend needs of one session of a series.
#[derive(Clone, Copy, Debug)]
pub struct Point<'a> {
    /// Days since the baseline.
    pub days: i64,
    /// Aligned and not rejected: its values are compared with the baseline.
    pub usable: bool,
    /// Also of `ok` quality: its values are fitted.
    pub comparable: bool,
    /// 1–3 days after a treatment: compared, but not fitted.
    pub acute_window: bool,
    /// The session's values (empty when it was not measured).
    pub values: &'a BTreeMap<String, Value>,
}

/// The trend of a series: each session's change against the baseline and
/// the saturating fits.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trend {
    /// Per session (in the order given): metric id → change against the
    /// baseline, for the metrics the baseline has.
    pub changes: Vec<BTreeMap<String, Change>>,
    /// Metric id → fit (≥ 4 comparable points outside the acute window).
    pub fits: BTreeMap<String, Fit>,
}

/// The trend of a series whose sessions are `points`, in date order: the
/// baseline is the first usable session with values.
#[must_use]
pub fn trend(points: &[Point<'_>]) -> Trend {
    let Some(base) = points.iter().find(|p| p.usable && !p.values.is_empty()) else {
        return Trend {
            changes: vec![BTreeMap::new(); points.len()],
            fits: BTreeMap::new(),
        };
    };
    // dark skin's fine relief is rounded by JPEG differently at each
    // capture (`catalog::capture_sd_on_skin`)
    let lightness = base.values.get(crate::catalog::id::L).map(|v| v.value);
    let changes = points
        .iter()
        .map(|p| {
            p.values
                .iter()
                .filter_map(|(id, v)| {
                    let b = base.values.get(id)?;
                    let capture = crate::catalog::capture_sd_on_skin(id, b.value, lightness);
                    // a warned capture may differ from the baseline in ways
                    // the capture repeatability was not calibrated for (a
                    // noisy control shifts every tile alike): its noise
                    // keeps the tiles' spread
                    let in_pairs =
                        p.comparable && crate::catalog::READ_IN_PAIRS.contains(&id.as_str());
                    Some((id.clone(), change_of(b, v, capture, in_pairs)))
                })
                .collect()
        })
        .collect();
    let mut fits = BTreeMap::new();
    for id in base.values.keys() {
        let pts: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.comparable && !p.acute_window)
            .filter_map(|p| p.values.get(id).map(|v| (p.days as f64, v.value)))
            .collect();
        if let Some(f) = fit_saturating(&pts) {
            fits.insert(id.clone(), f);
        }
    }
    Trend { changes, fits }
}

/// One session's values from its repeat captures: the mean of each metric
/// of the first capture over the captures that have it; with two or more,
/// their spread replaces the first's standard error (sd/√k).
#[must_use]
pub fn combine_repeats(captures: &[&BTreeMap<String, Value>]) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let Some(first) = captures.first() else {
        return out;
    };
    for (id, v) in *first {
        let vals: Vec<f64> = captures
            .iter()
            .filter_map(|m| m.get(id).map(|x| x.value))
            .collect();
        if vals.len() < 2 {
            out.insert(id.clone(), v.clone());
            continue;
        }
        let k = vals.len() as f64;
        let mean = vals.iter().sum::<f64>() / k;
        let var = vals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0);
        // no tiles: the repeats' spread is the noise, not the tiles' changes
        out.insert(
            id.clone(),
            Value::new(mean, v.unit.clone(), v.better, (var / k).sqrt()),
        );
    }
    out
}

/// Where a session sits in the treatment timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// Days since the baseline session.
    pub days: i64,
    /// Days since the latest treatment on or before this date.
    pub days_since_treatment: Option<i64>,
    /// 1–3 days after a treatment: redness is expected and temporary.
    pub acute_window: bool,
    /// A treatment was given at this visit (photos are taken before it).
    pub treatment: bool,
}

/// Places `date` in the timeline of `baseline` and `treatments`.
#[must_use]
pub fn timeline(date: Date, baseline: Date, treatments: &[Date]) -> Timeline {
    let since = treatments
        .iter()
        .filter(|t| **t <= date)
        .map(|t| date.days_after(*t))
        .min();
    Timeline {
        days: date.days_after(baseline),
        days_since_treatment: since,
        acute_window: matches!(since, Some(1..=3)),
        treatment: treatments.contains(&date),
    }
}

/// [`timeline`] of a capture filed under `date` and taken on `taken` (its
/// EXIF date, where that names another day): the folder's, unless the
/// capture was taken in the days after a session and the folder's date is
/// not: then those days since it, and the acute window.
#[must_use]
pub fn timeline_taken(
    date: Date,
    taken: Option<Date>,
    baseline: Date,
    treatments: &[Date],
) -> Timeline {
    let filed = timeline(date, baseline, treatments);
    match taken.map(|t| timeline(t, baseline, treatments)) {
        Some(t) if t.acute_window && !filed.acute_window => Timeline {
            days_since_treatment: t.days_since_treatment,
            acute_window: true,
            ..filed
        },
        _ => filed,
    }
}

/// The comparison of one value with the baseline's (metrics.json writes
/// the first four fields beside the value).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Change {
    /// Relative change in %, `None` when the baseline is (nearly) zero.
    pub change_pct: Option<f64>,
    /// |delta| > mdc95.
    pub beyond_noise: bool,
    /// Absolute change v − v₀.
    #[serde(rename = "change")]
    pub delta: f64,
    /// Minimal detectable change at 95 %.
    pub mdc95: f64,
    /// Whether the change is in the better direction (None when the metric
    /// has no better direction or the change is within noise).
    #[serde(skip)]
    pub improved: Option<bool>,
}

/// Change of `v` against the baseline `b`, when repeating the capture
/// alone moves the value by `capture_sd` (a standard deviation per
/// capture; 0 when not known). Read `in_pairs`, where both were measured
/// on the same tiles of the aligned region, the change's standard error is
/// that of the tiles' paired changes ([`paired_error`]): the spread of the
/// skin from tile to tile is in both sessions alike and cancels, as it does
/// in the change itself. Otherwise it is the two standard errors pooled. A
/// shift common to every tile (of the control region an excess is taken
/// over, of the tone curve) is not in the tiles' spread: `capture_sd` must
/// hold it.
#[must_use]
pub fn change_of(b: &Value, v: &Value, capture_sd: f64, in_pairs: bool) -> Change {
    let paired = if in_pairs { paired_error(b, v) } else { None };
    let error = paired.unwrap_or_else(|| b.uncertainty.hypot(v.uncertainty));
    change_with_error(b.value, v.value, error, v.better, capture_sd)
}

/// Fewest tiles with a value in both sessions for a paired error: the
/// spread of fewer is itself too uncertain to be the noise of a claim.
pub const MIN_PAIRED_TILES: usize = 8;

/// The standard error of the change from `b` to `v` read from their
/// tiles: the SEM of the per-tile changes over the tiles that have a value
/// in both, with what was added to each value's uncertainty beyond its
/// tiles ([`Value::widen_mut`]) in quadrature. `None` when the two were not
/// measured on the same tiles or fewer than [`MIN_PAIRED_TILES`] have both.
#[must_use]
pub fn paired_error(b: &Value, v: &Value) -> Option<f64> {
    if b.tiles.len() != v.tiles.len() {
        return None;
    }
    let d: Vec<f64> = b
        .tiles
        .iter()
        .zip(&v.tiles)
        .map(|(t0, t)| t - t0)
        .filter(|x| x.is_finite())
        .collect();
    (d.len() >= MIN_PAIRED_TILES).then(|| crate::measure::sem(&d).hypot(b.widened).hypot(v.widened))
}

/// Change of `v` (uncertainty `u`) against the baseline `v0` (`u0`),
/// measured independently (the two standard errors pooled); `capture_sd`
/// as in [`change_of`].
#[must_use]
pub fn change(v0: f64, u0: f64, v: f64, u: f64, better: Better, capture_sd: f64) -> Change {
    change_with_error(v0, v, u0.hypot(u), better, capture_sd)
}

/// Change of `v` against `v0` whose standard error, the capture's
/// repeatability aside, is `error`: MDC95 = 1.96·√(error² + 2·capture_sd²),
/// i.e. 1.96·√2·SEM with SEM² = error²/2 + capture_sd².
fn change_with_error(v0: f64, v: f64, error: f64, better: Better, capture_sd: f64) -> Change {
    let delta = v - v0;
    let mdc95 = 1.96 * (error * error + 2.0 * capture_sd * capture_sd).sqrt();
    let beyond_noise = delta.abs() > mdc95;
    let improved = match better {
        _ if !beyond_noise => None,
        Better::Lower => Some(delta < 0.0),
        Better::Higher => Some(delta > 0.0),
        Better::None => None,
    };
    Change {
        // a baseline within its minimal detectable change of zero (an
        // excess over the control region that is nearly none) makes any
        // percentage of it noise (+718 %): the change is then in units only
        change_pct: (v0.abs() > mdc95.max(1e-12)).then(|| 100.0 * delta / v0.abs()),
        beyond_noise,
        delta,
        mdc95,
        improved,
    }
}

/// How far beyond the values seen a fitted plateau may lie, as a share of
/// their range: a curve followed for four time constants is within 2 % of
/// its plateau.
pub const PLATEAU_MARGIN: f64 = 0.1;

/// A saturating-exponential fit of a series.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Fit {
    /// Estimated plateau v∞.
    pub plateau: f64,
    /// Fitted starting value v₀.
    pub start: f64,
    /// Time constant τ, days.
    pub tau_days: f64,
    /// Days to 90 % of the change (τ·ln 10).
    pub days_to_90pct: f64,
    /// The last fitted visit, days after the baseline: a `days_to_90pct`
    /// beyond it is the curve's extrapolation, not something seen.
    pub last_day: f64,
    /// Coefficient of determination.
    pub r2: f64,
}

impl Fit {
    /// The fitted value at `days`.
    #[must_use]
    pub fn at(&self, days: f64) -> f64 {
        self.plateau + (self.start - self.plateau) * (-days / self.tau_days).exp()
    }
}

/// Fits v(t) = v∞ + (v₀ − v∞)e^(−t/τ) to (days, value) points, within what
/// the data can support: τ from a week to the span of the points (the
/// results window) and the plateau within the range of the values, widened
/// by [`PLATEAU_MARGIN`] of it (a fit may not promise more than was seen). `None` with fewer than 4 points, no
/// spread, no fit within those bounds, or one that explains less than half
/// the variance.
#[must_use]
pub fn fit_saturating(points: &[(f64, f64)]) -> Option<Fit> {
    if points.len() < 4 {
        return None;
    }
    let n = points.len() as f64;
    let mean = points.iter().map(|p| p.1).sum::<f64>() / n;
    let ss_tot: f64 = points.iter().map(|p| (p.1 - mean).powi(2)).sum();
    if ss_tot <= 1e-300 {
        return None;
    }
    let t_max = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let (v_lo, v_hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
    let mut best: Option<(f64, Fit)> = None;
    // τ from a week to the span, log-spaced
    if t_max <= 7.0 {
        return None;
    }
    let (lo, hi) = (7.0f64.ln(), t_max.ln());
    for k in 0..=200 {
        let tau = (lo + (hi - lo) * f64::from(k) / 200.0).exp();
        // v = a + b·e(t), e = exp(−t/τ): linear least squares in (a, b)
        let (mut se, mut see, mut sv, mut sev) = (0.0, 0.0, 0.0, 0.0);
        for &(t, v) in points {
            let e = (-t / tau).exp();
            se += e;
            see += e * e;
            sv += v;
            sev += e * v;
        }
        let det = n * see - se * se;
        if det.abs() < 1e-12 {
            continue;
        }
        let b = (n * sev - se * sv) / det;
        let a = (sv - b * se) / n;
        let margin = PLATEAU_MARGIN * (v_hi - v_lo);
        if !(v_lo - margin..=v_hi + margin).contains(&a) {
            continue;
        }
        let sse: f64 = points
            .iter()
            .map(|&(t, v)| (v - a - b * (-t / tau).exp()).powi(2))
            .sum();
        if best.as_ref().is_none_or(|(s, _)| sse < *s) {
            best = Some((
                sse,
                Fit {
                    plateau: a,
                    start: a + b,
                    tau_days: tau,
                    days_to_90pct: tau * 10f64.ln(),
                    last_day: t_max,
                    r2: 1.0 - sse / ss_tot,
                },
            ));
        }
    }
    best.map(|b| b.1)
        .filter(|f| f.r2 >= 0.5 && f.plateau.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn change_and_mdc_by_hand() {
        // v0 = 10 ± 0.4, v = 8 ± 0.3: delta −2, SEM = √((0.16+0.09)/2) = 0.35355,
        // MDC = 1.96·√2·0.35355 = 0.98
        let c = change(10.0, 0.4, 8.0, 0.3, Better::Lower, 0.0);
        assert!((c.delta + 2.0).abs() < 1e-12);
        assert!((c.change_pct.unwrap() + 20.0).abs() < 1e-12);
        assert!((c.mdc95 - 0.98).abs() < 1e-9);
        assert!(c.beyond_noise);
        assert_eq!(c.improved, Some(true));
        let small = change(10.0, 0.4, 9.5, 0.3, Better::Lower, 0.0);
        assert!(!small.beyond_noise);
        assert_eq!(small.improved, None);
        assert_eq!(
            change(10.0, 0.0, 11.0, 0.0, Better::Lower, 0.0).improved,
            Some(false)
        );
        assert_eq!(
            change(0.0, 0.1, 1.0, 0.1, Better::Higher, 0.0).change_pct,
            None
        );
        // a baseline within the MDC of zero (0.3 against 1.96·√2·0.1 =
        // 0.277 is not; 0.25 is): a percentage of it would be noise
        let pct = |v0: f64| change(v0, 0.1, v0 + 1.0, 0.1, Better::Higher, 0.0).change_pct;
        assert!((pct(0.3).unwrap() - 100.0 / 0.3).abs() < 1e-9);
        assert_eq!(pct(0.25), None);
        assert_eq!(pct(-0.25), None);
        // a capture standard deviation of 1 adds in quadrature to the
        // pooled error: √((0.4² + 0.3²)/2 + 1²) = 1.0607, MDC 2.940
        let with_capture = change(10.0, 0.4, 8.0, 0.3, Better::Lower, 1.0);
        assert!((with_capture.mdc95 - 1.96 * 2f64.sqrt() * 1.125f64.sqrt()).abs() < 1e-12);
        assert!(!with_capture.beyond_noise);
    }

    #[test]
    fn a_photo_taken_after_a_session_but_filed_under_it_is_acute() {
        let d = |s: &str| Date::parse(s).unwrap();
        let (base, t) = (d("2026-01-12"), [d("2026-01-12"), d("2026-02-09")]);
        // filed on the session's day, taken the day after
        let at = timeline_taken(d("2026-02-09"), Some(d("2026-02-10")), base, &t);
        assert!(at.acute_window);
        assert_eq!(at.days_since_treatment, Some(1));
        assert_eq!(at.days, 28, "the visit keeps its folder's date");
        // filed two months on, taken the day after a session
        let at = timeline_taken(d("2026-04-13"), Some(d("2026-02-10")), base, &t);
        assert!(at.acute_window);
        // taken on another calm day, or no date: the folder's timeline
        let calm = timeline(d("2026-04-13"), base, &t);
        assert_eq!(
            timeline_taken(d("2026-04-13"), Some(d("2026-03-20")), base, &t),
            calm
        );
        assert_eq!(timeline_taken(d("2026-04-13"), None, base, &t), calm);
        // an acute folder date stays acute whatever the photo says
        let acute = timeline(d("2026-02-11"), base, &t);
        assert_eq!(
            timeline_taken(d("2026-02-11"), Some(d("2026-03-20")), base, &t),
            acute
        );
    }

    #[test]
    fn acute_window_across_month_and_year_ends() {
        let t = [d("2026-01-30"), d("2026-12-30")];
        let base = d("2026-01-30");
        assert!(timeline(d("2026-02-01"), base, &t).acute_window); // 2 days, across a month end
        assert!(!timeline(d("2026-01-30"), base, &t).acute_window); // day 0: photos before treatment
        assert!(timeline(d("2027-01-02"), base, &t).acute_window); // 3 days, across a year end
        assert!(!timeline(d("2027-01-03"), base, &t).acute_window); // 4 days
        let tl = timeline(d("2027-01-02"), base, &t);
        assert_eq!(tl.days_since_treatment, Some(3));
        assert_eq!(tl.days, 337);
        assert_eq!(
            timeline(d("2026-01-29"), d("2026-01-29"), &t).days_since_treatment,
            None
        );
    }

    #[test]
    fn fit_recovers_a_saturating_curve() {
        let truth = Fit {
            plateau: 6.0,
            start: 10.0,
            tau_days: 60.0,
            days_to_90pct: 0.0,
            last_day: 0.0,
            r2: 1.0,
        };
        let pts: Vec<(f64, f64)> = [0.0, 28.0, 56.0, 84.0, 150.0, 240.0]
            .iter()
            .map(|&t| (t, truth.at(t)))
            .collect();
        let f = fit_saturating(&pts).unwrap();
        assert!((f.plateau - 6.0).abs() < 0.05, "{f:?}");
        assert!((f.tau_days - 60.0).abs() < 2.0, "{f:?}");
        assert!((f.days_to_90pct - f.tau_days * 10f64.ln()).abs() < 1e-9);
        assert_eq!(f.last_day, 240.0);
        assert!(fit_saturating(&pts[..3]).is_none());
        let flat: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, 3.0)).collect();
        assert!(fit_saturating(&flat).is_none());
    }

    #[test]
    fn a_fit_never_promises_more_than_the_data_shows() {
        // a steady decline over 4 months (no sign of a plateau): the free
        // fit put the plateau far below the data with τ of years
        let line: Vec<(f64, f64)> = [0.0, 28.0, 56.0, 84.0, 112.0]
            .iter()
            .map(|&t| (t, 10.0 - 0.04 * t))
            .collect();
        if let Some(f) = fit_saturating(&line) {
            assert!(f.plateau >= 10.0 - 0.04 * 112.0 * 1.1 - 1e-9, "{f:?}");
            assert!(f.tau_days <= 112.0 + 1e-9, "{f:?}");
        }
        // a curve that saturates inside the window is still found, its
        // plateau inside the values seen
        let truth = Fit {
            plateau: 6.0,
            start: 10.0,
            tau_days: 20.0,
            days_to_90pct: 0.0,
            last_day: 0.0,
            r2: 1.0,
        };
        let pts: Vec<(f64, f64)> = [0.0, 14.0, 28.0, 56.0, 84.0, 112.0]
            .iter()
            .map(|&t| (t, truth.at(t)))
            .collect();
        let f = fit_saturating(&pts).expect("a fit");
        assert!((f.plateau - 6.0).abs() < 0.05, "{f:?}");
        assert!((f.tau_days - 20.0).abs() < 1.0, "{f:?}");
        // a span of a week or less supports no time constant
        let short: Vec<(f64, f64)> = (0..5)
            .map(|k| (f64::from(k), 10.0 - f64::from(k)))
            .collect();
        assert!(fit_saturating(&short).is_none());
    }

    fn value(v: f64, u: f64) -> Value {
        Value::new(v, "µm", Better::Lower, u)
    }

    fn values(pairs: &[(&str, f64, f64)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|&(id, v, u)| (id.to_string(), value(v, u)))
            .collect()
    }

    /// [`change`] of two values read independently.
    fn pooled(b: &Value, v: &Value, capture_sd: f64) -> Change {
        change(
            b.value,
            b.uncertainty,
            v.value,
            v.uncertainty,
            Better::Lower,
            capture_sd,
        )
    }

    fn tiled(tiles: &[f64]) -> Value {
        let mut v = value(tiles.iter().sum::<f64>() / tiles.len() as f64, 0.0);
        v.uncertainty = crate::measure::sem(tiles);
        v.tiles = tiles.to_vec();
        v
    }

    #[test]
    fn a_change_on_the_same_tiles_has_the_noise_of_the_tiles_changes() {
        // a red patch over part of the region: tiles 2 … 9.5 units, their
        // SEM 0.6; it fades by a tenth (0.58 units on average) and each
        // tile's change carries noise ±0.1
        let base: Vec<f64> = (0..16).map(|k| 2.0 + 0.5 * f64::from(k)).collect();
        let jitter = [0.1, -0.1, 0.05, -0.05, 0.0, 0.1, -0.1, 0.0];
        let later: Vec<f64> = base
            .iter()
            .enumerate()
            .map(|(k, t)| 0.9 * t + jitter[k % 8])
            .collect();
        let (b, v) = (tiled(&base), tiled(&later));
        // by hand: the per-tile changes and their SEM, sd/√16
        let d: Vec<f64> = later.iter().zip(&base).map(|(a, b)| a - b).collect();
        let mean = d.iter().sum::<f64>() / 16.0;
        let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 15.0).sqrt();
        let expected = sd / 4.0;
        let got = paired_error(&b, &v).expect("same tiles");
        assert!((got - expected).abs() < 1e-12, "{got} {expected}");
        let c = change_of(&b, &v, 0.0, true);
        assert!((c.mdc95 - 1.96 * expected).abs() < 1e-12);
        assert!(c.beyond_noise, "{c:?}");
        // read as two independent samples the same fading is within noise
        let unpaired = pooled(&b, &v, 0.0);
        assert!(
            !unpaired.beyond_noise && unpaired.mdc95 > 5.0 * c.mdc95,
            "{unpaired:?}"
        );
        // what widening added to either value is not in the tiles: it stays
        let mut wide = v.clone();
        wide.widen_mut(0.3);
        let got = paired_error(&b, &wide).expect("same tiles");
        assert!((got - expected.hypot(0.3)).abs() < 1e-12);
        // the capture's repeatability enters as before
        let c = change_of(&b, &v, 0.2, true);
        assert!((c.mdc95 - 1.96 * (expected * expected + 2.0 * 0.04).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn the_trend_reads_only_the_claims_region_measures_in_pairs() {
        let base: Vec<f64> = (0..16).map(|k| 2.0 + 0.5 * f64::from(k)).collect();
        let later: Vec<f64> = base.iter().map(|t| 0.8 * t).collect();
        let paired = crate::catalog::id::ERYTHEMA_VS_CONTROL;
        let (b, v) = (tiled(&base), tiled(&later));
        let at = |v: &Value| {
            BTreeMap::from([
                (paired.to_string(), v.clone()),
                ("x".to_string(), v.clone()),
            ])
        };
        let (m0, m1) = (at(&b), at(&v));
        let point = |days, comparable, values| Point {
            days,
            usable: true,
            comparable,
            acute_window: false,
            values,
        };
        let t = trend(&[point(0, true, &m0), point(30, true, &m1)]);
        let capture = crate::catalog::capture_sd(paired, b.value);
        assert_eq!(t.changes[1][paired], change_of(&b, &v, capture, true));
        assert!(t.changes[1][paired].beyond_noise);
        // a warned session keeps the tiles' spread in the noise
        let warned = trend(&[point(0, true, &m0), point(30, false, &m1)]);
        let spread = pooled(&b, &v, capture);
        assert_eq!(warned.changes[1][paired], spread);
        assert!(!spread.beyond_noise, "{spread:?}");
        // any other metric keeps the sub-tiles' spread: within noise
        assert_eq!(t.changes[1]["x"], pooled(&b, &v, 0.0));
        assert!(!t.changes[1]["x"].beyond_noise);
    }

    #[test]
    fn without_the_same_tiles_the_errors_are_pooled() {
        let b = tiled(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        // other tiles, too few tiles with a value in both, or none
        let mut seven = b.clone();
        seven.tiles[..2].fill(f64::NAN);
        for v in [tiled(&[1.0, 2.0, 3.0]), seven, value(5.0, 0.3)] {
            assert_eq!(paired_error(&b, &v), None);
            assert_eq!(change_of(&b, &v, 0.1, true), pooled(&b, &v, 0.1));
        }
        // the pooled form is Weir's 1.96·√2·SEM with SEM² = (u₀² + u²)/2 + capture²
        let c = change(10.0, 0.4, 8.0, 0.3, Better::Lower, 0.2);
        let sem = ((0.16 + 0.09) / 2.0 + 0.04f64).sqrt();
        assert!((c.mdc95 - 1.96 * std::f64::consts::SQRT_2 * sem).abs() < 1e-12);
    }

    #[test]
    fn repeats_average_and_their_spread_is_the_error() {
        // by hand: 1, 2, 4 → mean 7/3; sample variance (16 + 1 + 25)/9/2 = 7/3;
        // standard error √(7/3 / 3) = √7/3
        let a = values(&[("x", 1.0, 0.5), ("y", 10.0, 0.25), ("only_first", 3.0, 0.1)]);
        let b = values(&[("x", 2.0, 0.5), ("y", 12.0, 0.25)]);
        let c = values(&[("x", 4.0, 0.5), ("only_later", 9.0, 0.1)]);
        let m = combine_repeats(&[&a, &b, &c]);
        assert!((m["x"].value - 7.0 / 3.0).abs() < 1e-12);
        assert!((m["x"].uncertainty - 7f64.sqrt() / 3.0).abs() < 1e-12);
        // y is in two captures: mean 11, sd √2, error √2/√2 = 1
        assert!((m["y"].value - 11.0).abs() < 1e-12);
        assert!((m["y"].uncertainty - 1.0).abs() < 1e-12);
        // one capture has it: its own value and error; ids come from the first
        assert_eq!(m["only_first"], value(3.0, 0.1));
        assert!(!m.contains_key("only_later"));
        assert_eq!(m["x"].unit, "µm");
        // the mean of repeats has no tiles: its noise is the repeats' spread
        let mut t = a.clone();
        t.get_mut("x").expect("x").tiles = vec![1.0; 16];
        assert!(combine_repeats(&[&t, &b])["x"].tiles.is_empty());
        assert_eq!(combine_repeats(&[&t])["x"].tiles, vec![1.0; 16]);
        // a single capture is returned as it is
        assert_eq!(combine_repeats(&[&a]), a);
        assert!(combine_repeats(&[]).is_empty());
    }

    #[test]
    fn trend_compares_with_the_first_usable_session_and_fits_the_rest() {
        let empty = BTreeMap::new();
        let base = values(&[("x", 10.0, 0.4), ("z", 0.0, 0.1)]);
        let later: Vec<BTreeMap<String, Value>> = [9.0, 8.0, 7.5, 7.2, 7.1]
            .iter()
            .map(|&v| values(&[("x", v, 0.3), ("new", 1.0, 0.1)]))
            .collect();
        let mut points = vec![
            // a failed session before the baseline has no values and no change
            Point {
                days: 0,
                usable: false,
                comparable: false,
                acute_window: false,
                values: &empty,
            },
            Point {
                days: 1,
                usable: true,
                comparable: true,
                acute_window: false,
                values: &base,
            },
        ];
        for (k, v) in later.iter().enumerate() {
            points.push(Point {
                days: 30 * (k as i64 + 1),
                usable: true,
                // a warned session is compared but not fitted
                comparable: k != 3,
                acute_window: k == 1,
                values: v,
            });
        }
        let t = trend(&points);
        assert_eq!(t.changes.len(), points.len());
        assert!(t.changes[0].is_empty());
        assert_eq!(
            t.changes[2]["x"],
            change(10.0, 0.4, 9.0, 0.3, Better::Lower, 0.0)
        );
        // a metric the baseline lacks is not compared
        assert!(!t.changes[2].contains_key("new"));
        // a zero baseline: no percentage
        assert_eq!(t.changes[1]["z"].change_pct, None);
        // the warned session is compared, not fitted
        assert!(t.changes[5].contains_key("x"));
        // the fit uses the comparable points outside the acute window: the
        // same as fitting them directly
        let pts = [(1.0, 10.0), (30.0, 9.0), (90.0, 7.5), (150.0, 7.1)];
        assert_eq!(t.fits.get("x"), fit_saturating(&pts).as_ref());
        assert!(t.fits.contains_key("x"));
        // no usable session: nothing compared
        let none = trend(&points[..1]);
        assert_eq!(none.changes, vec![BTreeMap::new()]);
        assert!(none.fits.is_empty());
    }
}
