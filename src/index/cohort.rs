//! Cohort curves: for one treatment and one claim topic, the median change
//! of the claim's measure against weeks since each client's first
//! treatment, with the interquartile band and N, over all clients.
//!
//! The unit is a treated area (a client's view): its sessions that a claim
//! on the topic may rest on (alignment and quality `ok`; for redness and
//! pigment also a warn for focus alone, as in the client's report) and
//! outside the 1–3 day acute window each give the change of the claim's metric against that client's
//! baseline. Weeks are binned to [`BIN_WEEKS`]-week steps (visits are about
//! a month apart and never on the same day for every client); a unit with
//! several sessions in one bin counts once, with its latest.

use super::{CaseDigest, TopicChanges};
use crate::model::Topic;
use crate::stats::quantile;
use std::collections::BTreeMap;

/// Width of a bin of weeks since the first treatment.
pub const BIN_WEEKS: i64 = 4;

/// The median and quartiles of the units' changes in one bin.
#[derive(Clone, Debug, PartialEq)]
pub struct BinStat {
    /// Centre of the bin, weeks since the first treatment.
    pub week: i64,
    /// Treated areas with a value in this bin.
    pub n: usize,
    /// Median change, %.
    pub median: f64,
    /// First quartile, %.
    pub q1: f64,
    /// Third quartile, %.
    pub q3: f64,
}

/// One curve: a treatment and a topic.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// The treatment (case.toml `treatment`; "treatment not named" if none).
    pub treatment: String,
    /// The claim topic.
    pub topic: Topic,
    /// The bins that have values, by week.
    pub bins: Vec<BinStat>,
    /// Treated areas in the curve.
    pub units: usize,
}

/// Week → the units' values in that bin.
type Bins = BTreeMap<i64, Vec<f64>>;

/// The treatment label of cases that do not name one.
pub const UNNAMED: &str = "treatment not named";

/// The curves of every (treatment, topic) pair present, in that order.
#[must_use]
pub fn curves(cases: &[CaseDigest]) -> Vec<Curve> {
    // (treatment, topic) → bin → one value per unit
    let mut groups: BTreeMap<(String, Topic), (Bins, usize)> = BTreeMap::new();
    for case in cases {
        let treatment = case.treatment.clone().unwrap_or_else(|| UNNAMED.into());
        // a unit with no value (a control client's, a claim without a
        // percentage) is on no curve
        for unit in case.changes.iter().filter(|u| !u.points.is_empty()) {
            let (bins, units) = groups
                .entry((treatment.clone(), unit.topic))
                .or_insert_with(|| (BTreeMap::new(), 0));
            *units += 1;
            for (week, pct) in unit_bins(unit) {
                bins.entry(week).or_default().push(pct);
            }
        }
    }
    groups
        .into_iter()
        .map(|((treatment, topic), (bins, units))| Curve {
            treatment,
            topic,
            bins: bins
                .into_iter()
                .map(|(week, mut v)| bin_stat(week, &mut v))
                .collect(),
            units,
        })
        .collect()
}

/// One value per bin for a unit: its latest session in each bin.
fn unit_bins(unit: &TopicChanges) -> BTreeMap<i64, f64> {
    let mut out = BTreeMap::new();
    // sessions are in date order, so a later one replaces an earlier one
    for &(days, pct) in &unit.points {
        out.insert(bin_of(days), pct);
    }
    out
}

/// The bin (its centre in weeks) of a session `days` after the first
/// treatment: the nearest multiple of [`BIN_WEEKS`] weeks.
#[must_use]
pub fn bin_of(days: i64) -> i64 {
    let width = BIN_WEEKS * 7;
    (days + width / 2).div_euclid(width) * BIN_WEEKS
}

fn bin_stat(week: i64, v: &mut [f64]) -> BinStat {
    v.sort_by(f64::total_cmp);
    BinStat {
        week,
        n: v.len(),
        median: quantile(v, 0.5),
        q1: quantile(v, 0.25),
        q3: quantile(v, 0.75),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_the_nearest_four_weeks() {
        assert_eq!(bin_of(0), 0);
        assert_eq!(bin_of(13), 0);
        assert_eq!(bin_of(14), 4);
        assert_eq!(bin_of(29), 4);
        assert_eq!(bin_of(41), 4);
        assert_eq!(bin_of(42), 8);
        assert_eq!(bin_of(-3), 0);
        assert_eq!(bin_of(-15), -4);
    }

    fn unit(topic: Topic, points: &[(i64, f64)]) -> TopicChanges {
        TopicChanges {
            view: "cheek".into(),
            topic,
            metric: String::new(),
            points: points.to_vec(),
        }
    }

    fn case(treatment: Option<&str>, changes: Vec<TopicChanges>) -> CaseDigest {
        CaseDigest {
            treatment: treatment.map(str::to_string),
            changes,
            ..CaseDigest::default()
        }
    }

    #[test]
    fn curves_group_by_treatment_and_topic_one_value_per_unit() {
        let cases = vec![
            // the latest session of a bin counts: 30 d and 35 d both bin to
            // week 4, so this unit gives -20 there
            case(
                Some("micro-needling"),
                vec![unit(Topic::Lines, &[(30, -10.0), (35, -20.0), (60, -30.0)])],
            ),
            case(
                Some("micro-needling"),
                vec![
                    unit(Topic::Lines, &[(28, -10.0), (56, -10.0)]),
                    unit(Topic::Texture, &[(28, -5.0)]),
                ],
            ),
            case(
                Some("micro-needling"),
                vec![unit(Topic::Lines, &[(27, 0.0)])],
            ),
            case(None, vec![unit(Topic::Lines, &[(28, -50.0)])]),
        ];
        let c = curves(&cases);
        assert_eq!(c.len(), 3);
        let lines = &c[0];
        assert_eq!(
            (lines.treatment.as_str(), lines.topic),
            ("micro-needling", Topic::Lines)
        );
        assert_eq!(lines.units, 3);
        assert_eq!(
            lines.bins,
            vec![
                BinStat {
                    week: 4,
                    n: 3,
                    median: -10.0,
                    q1: -15.0,
                    q3: -5.0
                },
                BinStat {
                    week: 8,
                    n: 2,
                    median: -20.0,
                    q1: -25.0,
                    q3: -15.0
                },
            ]
        );
        assert_eq!((c[1].topic, c[1].units), (Topic::Texture, 1));
        assert_eq!(c[2].treatment, UNNAMED);
        assert_eq!(c[2].bins[0].median, -50.0);
    }
}
