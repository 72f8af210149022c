//! A cohort curve as SVG: the median change against weeks since the first
//! treatment, the interquartile band, N at each point, the zero line and
//! the early-results window.

use super::cohort::Curve;
use crate::error::{Error, Result};
use crate::plot::{EARLY_RESULTS_DAYS, FONT, register_font};
use plotters::prelude::*;

const SIZE: (u32, u32) = (640, 380);

/// The curve's chart as an SVG document.
///
/// # Errors
/// [`Error::Failed`] if plotters cannot draw it (the bundled font broken).
pub fn svg(c: &Curve) -> Result<String> {
    register_font();
    let fail = |e: &dyn std::fmt::Debug| Error::Failed {
        path: super::INDEX.into(),
        problem: format!("cannot draw the cohort chart: {e:?}"),
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw(&root, c).map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(svg)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    c: &Curve,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for b in &c.bins {
        lo = lo.min(b.q1).min(b.median);
        hi = hi.max(b.q3).max(b.median);
    }
    let pad = ((hi - lo) * 0.15).max(2.0);
    let (y0, y1) = (lo - pad, hi + pad);
    let x_max = c.bins.iter().map(|b| b.week).max().unwrap_or(0).max(12) as f64 + 2.0;
    // visits before the first treatment (a baseline weeks ahead of it)
    let x_min = c.bins.iter().map(|b| b.week).min().unwrap_or(0).min(0) as f64 - 2.0;
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(62)
        .build_cartesian_2d(x_min..x_max, y0..y1)?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(238, 238, 238))
        .x_desc("weeks since the first treatment")
        .y_desc("change since the first visit, %")
        .x_label_formatter(&|w| format!("{w:.0}"))
        .y_label_formatter(&|v| percent_label(*v, y1 - y0))
        .y_labels(7)
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 16))
        .draw()?;
    let (a, b) = EARLY_RESULTS_DAYS;
    chart.draw_series(std::iter::once(Rectangle::new(
        [(a as f64 / 7.0, y0), (b as f64 / 7.0, y1)],
        RGBColor(222, 242, 222).filled(),
    )))?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x_min, 0.0), (x_max, 0.0)],
        RGBColor(120, 120, 120).stroke_width(1),
    )))?;
    let band: Vec<(f64, f64)> = c
        .bins
        .iter()
        .map(|b| (b.week as f64, b.q3))
        .chain(c.bins.iter().rev().map(|b| (b.week as f64, b.q1)))
        .collect();
    if c.bins.len() > 1 {
        chart.draw_series(std::iter::once(Polygon::new(
            band,
            RGBColor(31, 94, 168).mix(0.18).filled(),
        )))?;
    }
    let blue = RGBColor(31, 94, 168);
    chart.draw_series(LineSeries::new(
        c.bins.iter().map(|b| (b.week as f64, b.median)),
        blue.stroke_width(2),
    ))?;
    chart.draw_series(
        c.bins
            .iter()
            .map(|b| Circle::new((b.week as f64, b.median), 4, blue.filled())),
    )?;
    let label = (FONT, 15).into_font().color(&RGBColor(80, 80, 80));
    chart.draw_series(c.bins.iter().map(|b| {
        Text::new(
            format!("N={}", b.n),
            (b.week as f64 - 0.6, b.q3.max(b.median) + pad * 0.45),
            label.clone(),
        )
    }))?;
    Ok(())
}

/// A signed percent tick label with one decimal over a span under 10
/// points (whole points would repeat: +2, +2, +1), none over wider ones,
/// and a plain 0 (never −0).
fn percent_label(v: f64, span: f64) -> String {
    let decimals = usize::from(span < 10.0);
    let s = format!("{v:+.decimals$}");
    if s[1..].chars().all(|c| c == '0' || c == '.') {
        "0".to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::percent_label;

    #[test]
    fn tick_labels_do_not_repeat_on_a_narrow_axis() {
        let labels: Vec<String> = [-2.0, -1.5, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0]
            .iter()
            .map(|&v| percent_label(v, 4.0))
            .collect();
        assert_eq!(
            labels,
            ["-2.0", "-1.5", "-1.0", "-0.5", "0", "0", "+0.5", "+1.0"]
        );
        assert_eq!(percent_label(-20.0, 40.0), "-20");
        assert_eq!(percent_label(0.2, 40.0), "0");
    }
}
