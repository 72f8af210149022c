//! What makes a chart readable by a client: the legend beside or under the
//! plotting area (never over the data), ticks at the visits' dates, axis
//! names in plain words with their units, and the two frames a chart is
//! drawn in (wide for a page, narrow for a phone).

use crate::date::Date;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

use super::FONT;

/// The plot's area and the legend's, or what drawing the title met.
pub(super) type Areas<DB> = std::result::Result<
    (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>),
    DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>,
>;

/// Where a chart is drawn: its size, whether the title is drawn in it, and
/// where the legend goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Frame {
    /// Width and height, px.
    pub size: (u32, u32),
    /// The title is drawn above the chart (else the page shows it).
    pub caption: bool,
    /// The legend's place.
    pub legend: LegendAt,
    /// Tick label size, px.
    pub label_px: u32,
}

/// Where the legend goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LegendAt {
    /// A column this wide at the right of the plotting area.
    Right(u32),
    /// Rows under the plotting area.
    Below,
}

/// The page rendering (PNG file and the report on a wide screen or paper).
pub(super) const WIDE: Frame = Frame {
    size: (900, 480),
    caption: true,
    legend: LegendAt::Right(270),
    label_px: 14,
};

/// The phone rendering: about the width a 390 px screen gives a chart, so
/// its text is drawn at the size it is read.
pub(super) const NARROW: Frame = Frame {
    size: (380, 300),
    caption: false,
    legend: LegendAt::Below,
    label_px: 12,
};

/// Height of one legend row, px.
const ROW: i32 = 18;

impl Frame {
    /// Total height with `entries` legend rows.
    pub fn height(self, entries: usize) -> u32 {
        match self.legend {
            LegendAt::Right(_) => self.size.1,
            LegendAt::Below => self.size.1 + legend_rows_px(entries),
        }
    }

    /// The least gap between two date labels, as a share of the x range: a
    /// label is about 6 characters wide, 11 with its year.
    pub fn label_gap(self, with_year: bool) -> f64 {
        let plot_w = match self.legend {
            LegendAt::Right(col) => self.size.0.saturating_sub(col),
            LegendAt::Below => self.size.0,
        };
        let chars = if with_year { 8.0 } else { 4.5 };
        (f64::from(self.label_px) * chars / f64::from(plot_w.max(1))).min(0.5)
    }

    /// The title drawn across the whole width (where this frame draws it),
    /// then the area of the plot and the area of the legend.
    pub fn split<DB: DrawingBackend>(
        self,
        root: &DrawingArea<DB, Shift>,
        title: &str,
        entries: usize,
    ) -> Areas<DB> {
        let rest = if self.caption {
            root.titled(title, (FONT, title_px(root, title)))?
        } else {
            root.clone()
        };
        let (w, h) = rest.dim_in_pixel();
        Ok(match self.legend {
            LegendAt::Right(col) => rest.split_horizontally(w.saturating_sub(col)),
            LegendAt::Below => rest.split_vertically(h.saturating_sub(legend_rows_px(entries))),
        })
    }
}

/// The title's font size: 22 px, smaller where a long title would not fit
/// the chart's width (centred, it would be cut at both ends).
pub(super) fn title_px<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str) -> u32 {
    const LARGEST: u32 = 22;
    let room = root.dim_in_pixel().0.saturating_sub(20);
    (12..=LARGEST)
        .rev()
        .find(|&px| {
            root.estimate_text_size(title, &TextStyle::from((FONT, px).into_font()))
                .is_ok_and(|(w, _)| w <= room)
        })
        .unwrap_or(12)
}

fn legend_rows_px(entries: usize) -> u32 {
    u32::try_from(entries).unwrap_or(0) * ROW.unsigned_abs() + 12
}

/// A compact number for axis labels.
#[must_use]
pub fn format_value(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a >= 0.01 {
        format!("{v:.3}")
    } else {
        format!("{v:.2e}")
    }
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub(super) enum Mark {
    /// A filled box (a band).
    Band(RGBColor),
    /// A line of this width.
    Line(RGBColor, u32),
    /// A filled dot.
    Dot(RGBColor),
    /// A hollow ring.
    Ring(RGBColor),
    /// A cross.
    Cross(RGBColor),
}

/// Draws `entries` one per row from the top of `area`.
pub(super) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, Mark)],
    font_px: u32,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    for (k, (label, mark)) in entries.iter().enumerate() {
        let y = 14 + i32::try_from(k).unwrap_or(0) * ROW;
        let x = 10;
        match *mark {
            Mark::Band(c) => {
                area.draw(&Rectangle::new([(x, y - 6), (x + 16, y + 6)], c.filled()))?
            }
            Mark::Line(c, w) => {
                area.draw(&PathElement::new([(x, y), (x + 16, y)], c.stroke_width(w)))?;
            }
            Mark::Dot(c) => area.draw(&Circle::new((x + 8, y), 5, c.filled()))?,
            Mark::Ring(c) => area.draw(&Circle::new((x + 8, y), 5, c.stroke_width(2)))?,
            Mark::Cross(c) => area.draw(&Cross::new((x + 8, y), 5, c.stroke_width(2)))?,
        }
        let style = TextStyle::from((FONT, font_px).into_font())
            .pos(Pos::new(HPos::Left, VPos::Center))
            .color(&RGBColor(40, 45, 60));
        area.draw(&Text::new(label.clone(), (x + 24, y), style))?;
    }
    Ok(())
}

/// The days axis of a chart, with its ticks at given days (the visits)
/// instead of at round numbers; labels come from the chart's formatter.
#[derive(Clone, Debug)]
pub(super) struct VisitAxis {
    /// First and last day shown.
    pub range: Range<f64>,
    /// Days with a tick and a label.
    pub ticks: Vec<f64>,
}

impl Ranged for VisitAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if span <= 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let t = (value - self.range.start) / span;
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// The x positions (days since the first visit) that get a date label: one
/// per visit, less a visit closer than `min_gap` days to the one before it
/// (two labels would overprint).
pub(super) fn visit_ticks(days: &[f64], min_gap: f64) -> Vec<f64> {
    let mut sorted: Vec<f64> = days.iter().copied().filter(|d| d.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let mut out: Vec<f64> = Vec::new();
    for d in sorted {
        if out.last().is_none_or(|&p| d - p >= min_gap) {
            out.push(d);
        }
    }
    out
}

/// Whether visits `days` after `base` fall in more than one calendar
/// year: their labels then need the year ("12 Jan" twice is two visits a
/// year apart).
pub(super) fn spans_years(base: Date, days: &[f64]) -> bool {
    let year = |d: f64| base.plus_days(d.round() as i64).year();
    let finite = || days.iter().copied().filter(|d| d.is_finite());
    let (first, last) = (
        finite().fold(f64::INFINITY, f64::min),
        finite().fold(f64::NEG_INFINITY, f64::max),
    );
    first.is_finite() && year(first) != year(last)
}

/// A tick label: the date `days` after `base`, "9 Feb", or with its year
/// "9 Feb 2026".
pub(super) fn date_label(base: Date, days: f64, with_year: bool) -> String {
    let human = base.plus_days(days.round() as i64).human();
    if with_year {
        return human;
    }
    // "9 Feb 2026" → "9 Feb"
    human
        .rsplit_once(' ')
        .map_or(human.clone(), |(dm, _)| dm.to_string())
}

/// The y axis of a metric chart in plain words: the metric's name (without
/// its parenthesis) and its unit as a client would say it.
pub(super) fn axis_words(title: &str, unit: &str) -> String {
    let name = title.split(" (").next().unwrap_or(title);
    let unit = match (unit, title.split(" (").nth(1)) {
        // unitless, but no index: a count, a share of the region
        ("", Some("count)")) => "number of them",
        ("", Some("area)")) => "share of the measured area (1 = all of it)",
        (unit, _) => unit,
    };
    let unit = match unit {
        "" => "index (no unit)",
        "Y levels" => "brightness levels (of 255)",
        "1/px" => "line length per pixel of area",
        "mm/mm²" => "mm of line per mm²",
        "×" => "times the untreated skin",
        "%" => "% of the skin's brightness",
        "per Mpx" => "per million pixels",
        "px²" => "square pixels",
        "°" => "degrees",
        "relative" => "relative units (no scale)",
        other => other,
    };
    format!("{name}, {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_visits_and_skip_a_crowded_one() {
        // visits at 0, 28, 30 (two days later) and 56; 8-day minimum gap
        assert_eq!(
            visit_ticks(&[56.0, 0.0, 28.0, 30.0, 28.0], 8.0),
            vec![0.0, 28.0, 56.0]
        );
    }

    #[test]
    fn date_labels_are_day_and_month_and_the_year_where_visits_span_two() {
        let base = Date::parse("2026-01-12").unwrap();
        assert_eq!(date_label(base, 28.0, false), "9 Feb");
        assert_eq!(date_label(base, 0.0, false), "12 Jan");
        assert_eq!(date_label(base, 365.0, true), "12 Jan 2027");
        // 12 Jan to 28 Dec 2026: one year; to 1 Jan 2027: two
        assert!(!spans_years(base, &[0.0, 28.0, 350.0]));
        assert!(spans_years(base, &[0.0, 354.0]));
        assert!(!spans_years(base, &[]));
        assert!(!spans_years(base, &[f64::NAN, 10.0]));
    }

    #[test]
    fn axis_words_name_the_unit_plainly() {
        assert_eq!(
            axis_words("Fine lines (length)", "mm/mm²"),
            "Fine lines, mm of line per mm²"
        );
        assert!(!axis_words("Skin texture (roughness)", "Y levels").contains("Y levels"));
        assert_eq!(axis_words("Scar volume", "mm³"), "Scar volume, mm³");
        // a count and a share of the area are no index
        assert_eq!(axis_words("Scars (count)", ""), "Scars, number of them");
        assert!(axis_words("Scars (area)", "").contains("share of the measured area"));
        assert!(axis_words("Scar shadows (photo index)", "").contains("index (no unit)"));
    }
}
