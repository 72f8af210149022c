//! metrics.csv for spreadsheets: UTF-8 with a byte-order mark (so Excel and
//! LibreOffice read "µm" and "cm²" as written), RFC 4180 (CRLF line ends,
//! a field quoted when it holds a comma, a quote or a line break), one row
//! per session and metric with the case-level columns a practitioner files
//! by, numbers rounded to the precision their uncertainty supports.

use crate::model::{Analysis, MetricResult, SessionResult};
use std::fmt::Write as _;

/// The columns of metrics.csv, in order (README.md "metrics.csv").
pub const COLUMNS: [&str; 22] = [
    "client",
    "case",
    "view",
    "kind",
    "date",
    "days",
    "days_since_treatment",
    "treatment",
    "acute_window",
    "quality",
    "alignment_status",
    "reason",
    "metric",
    "value",
    "unit",
    "better",
    "uncertainty",
    "mdc",
    "change",
    "change_pct",
    "beyond_noise",
    "note",
];

/// The most significant digits a number is written with.
pub const MAX_SIGNIFICANT: i32 = 6;

/// metrics.csv: a byte-order mark, the header, then one row per session and
/// metric; a session without metrics (failed, rejected) gets one row with
/// the metric columns empty and its reason filled.
#[must_use]
pub fn csv(a: &Analysis) -> String {
    let mut out = String::from("\u{feff}");
    push_row(&mut out, COLUMNS.iter().map(|c| (*c).to_string()));
    let client = a.client.clone().unwrap_or_default();
    let treatment = a.treatment.clone().unwrap_or_default();
    for s in &a.series {
        for sess in &s.sessions {
            let lead = [
                client.clone(),
                a.case.clone(),
                s.view.clone(),
                s.kind.to_string(),
                sess.date.to_string(),
                sess.timeline.days.to_string(),
                sess.timeline
                    .days_since_treatment
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                treatment.clone(),
                sess.timeline.acute_window.to_string(),
                sess.quality.status.as_str().to_string(),
                sess.alignment.status.as_str().to_string(),
                reason(sess),
            ];
            let note = a.notes.get(&sess.date).cloned().unwrap_or_default();
            if sess.metrics.is_empty() {
                let empty = std::iter::repeat_n(String::new(), 8);
                push_row(
                    &mut out,
                    lead.iter()
                        .cloned()
                        .chain(empty)
                        .chain([String::new(), note]),
                );
                continue;
            }
            for (id, m) in &sess.metrics {
                let numbers = metric_fields(m);
                push_row(
                    &mut out,
                    lead.iter()
                        .cloned()
                        .chain([id.clone()])
                        .chain(numbers)
                        .chain([note.clone()]),
                );
            }
        }
    }
    out
}

/// Why a session is not (fully) compared: the alignment's reason when it
/// failed (its quality was then not assessed), else the quality's reasons,
/// "; " between them.
fn reason(sess: &SessionResult) -> String {
    match &sess.alignment.reason {
        Some(r) => r.clone(),
        None => sess.quality.reasons.join("; "),
    }
}

/// value, unit, better, uncertainty, mdc, change, change_pct, beyond_noise.
fn metric_fields(m: &MetricResult) -> [String; 8] {
    let v = &m.measured;
    let u = v.uncertainty;
    let c = m.vs_baseline;
    let (mdc, change, pct, beyond) = match c {
        Some(c) => (
            rounded(c.mdc95, u),
            rounded(c.delta, u),
            c.change_pct.map_or(String::new(), |p| {
                // the percentage's own standard error: u relative to the baseline
                let base = (v.value - c.delta).abs();
                rounded(p, 100.0 * u / base)
            }),
            c.beyond_noise.to_string(),
        ),
        None => (String::new(), String::new(), String::new(), String::new()),
    };
    [
        rounded(v.value, u),
        v.unit.clone(),
        v.better.as_str().to_string(),
        rounded(u, u),
        mdc,
        change,
        pct,
        beyond,
    ]
}

/// `v` written with as many decimals as its standard error `u` supports
/// (two significant digits of `u`), never more than [`MAX_SIGNIFICANT`]
/// significant digits; `u` of 0 or not finite: six significant digits.
/// Not finite: empty.
#[must_use]
pub fn rounded(v: f64, u: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let magnitude = |x: f64| x.abs().log10().floor() as i32;
    let by_u = (u > 0.0 && u.is_finite()).then(|| 1 - magnitude(u));
    let by_v = (v != 0.0).then(|| MAX_SIGNIFICANT - 1 - magnitude(v));
    let decimals = match (by_u, by_v) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => return "0".into(),
    };
    let text = if decimals >= 0 {
        format!("{v:.*}", decimals.unsigned_abs() as usize)
    } else {
        let step = 10f64.powi(-decimals);
        format!("{:.0}", (v / step).round() * step)
    };
    // "-0.00" reads as a negative change in a spreadsheet's sign column
    if text.starts_with('-') && text[1..].chars().all(|c| matches!(c, '0' | '.')) {
        text[1..].to_string()
    } else {
        text
    }
}

/// What a field that a spreadsheet runs as a formula begins with.
pub(crate) const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One RFC 4180 record and its CRLF (fields quoted when they hold a comma,
/// quote or line break; quotes doubled). A text field that a spreadsheet
/// would run as a formula (beginning with `=`, `+`, `-`, `@`, a tab or a
/// carriage return, and not a number: a client named
/// `=HYPERLINK(...)`) is written after an apostrophe, which shows it as
/// text (OWASP, "CSV injection").
pub(crate) fn push_row(out: &mut String, fields: impl Iterator<Item = String>) {
    for (k, f) in fields.enumerate() {
        if k > 0 {
            out.push(',');
        }
        let f = if f.starts_with(FORMULA_START) && f.parse::<f64>().is_err() {
            format!("'{f}")
        } else {
            f
        };
        if f.contains([',', '"', '\n', '\r']) {
            let _ = write!(out, "\"{}\"", f.replace('"', "\"\""));
        } else {
            out.push_str(&f);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_a_spreadsheet_would_run_is_written_as_text() {
        let row = |fields: &[&str]| {
            let mut out = String::new();
            push_row(&mut out, fields.iter().map(|f| (*f).to_string()));
            out
        };
        assert_eq!(
            row(&["=HYPERLINK(\"http://x\")", "@SUM(A1)", "+1+1", "-2+3"]),
            "\"'=HYPERLINK(\"\"http://x\"\")\",'@SUM(A1),'+1+1,'-2+3\r\n"
        );
        // numbers, negative ones too, and plain text stay as they are
        assert_eq!(
            row(&["-3.25", "+4", "-1e-5", "Anna"]),
            "-3.25,+4,-1e-5,Anna\r\n"
        );
    }

    #[test]
    fn rounded_keeps_two_digits_of_the_uncertainty() {
        // u = 0.0123: its second significant digit is the 3rd decimal
        assert_eq!(rounded(12.345_67, 0.0123), "12.346");
        // u = 0.5 written with two digits is 0.50: two decimals
        assert_eq!(rounded(-99.999_999_999_999_99, 0.5), "-100.00");
        // u = 37: units are its second digit; u = 370: tens
        assert_eq!(rounded(35_261.4, 37.0), "35261");
        assert_eq!(rounded(35_261.4, 370.0), "35260");
        // no uncertainty: six significant digits
        assert_eq!(rounded(1.0 / 3.0, 0.0), "0.333333");
        assert_eq!(rounded(123_456_789.0, 0.0), "123457000");
        // a tiny uncertainty never gives more than six digits
        assert_eq!(rounded(2.0 / 3.0, 1e-12), "0.666667");
        assert_eq!(rounded(0.0, 0.0), "0");
        assert_eq!(rounded(-0.0004, 0.01), "0.000");
        assert_eq!(rounded(f64::NAN, 1.0), "");
    }

    #[test]
    fn fields_are_quoted_as_rfc4180_says() {
        let mut out = String::new();
        push_row(
            &mut out,
            ["plain", "a,b", "say \"hi\"", "two\nlines"]
                .iter()
                .map(|s| (*s).to_string()),
        );
        assert_eq!(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
    }
}
