//! Improvement curves with plotters: one chart per metric and series
//! (value against days, the baseline and its noise band, treatment marks,
//! the early-results window, the fit, excluded captures hollow) and an
//! overview of the headline metrics as % improvement. Each chart is made as
//! PNG bytes and as an SVG string (inlined in the report). The font is
//! bundled, so no system font library is needed.

use crate::catalog::{self, Better};
use crate::date::Date;
use crate::error::{Error, Result};
use crate::model::{Analysis, Series};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;

/// One chart.
#[derive(Clone, Debug)]
pub struct Plot {
    /// File stem (plots/{name}.png|svg).
    pub name: String,
    /// Title in words.
    pub title: String,
    /// Alternative text describing what the chart shows.
    pub alt: String,
    /// Series index it belongs to (None for overview charts).
    pub series: Option<usize>,
    /// Metric id (None for overview charts).
    pub metric: Option<String>,
    /// PNG bytes.
    pub png: Vec<u8>,
    /// SVG document.
    pub svg: String,
}

const SIZE: (u32, u32) = (900, 480);
pub(crate) const FONT: &str = "sans-serif";
static FONT_ONCE: Once = Once::new();

/// Registers the bundled font once (plotters has no system fonts here).
pub(crate) fn register_font() {
    FONT_ONCE.call_once(|| {
        // A bundled font: the registration can only fail on a corrupt file,
        // and drawing then reports FontUnavailable instead of panicking.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../assets/fonts/DejaVuSans.ttf"),
        );
    });
}

fn err<E: std::fmt::Debug>(name: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Failed {
        path: format!("plots/{name}").into(),
        problem: format!("cannot draw the chart: {e:?}"),
    }
}

/// Days after the first treatment when early results show (6–8 weeks).
pub const EARLY_RESULTS_DAYS: (i64, i64) = (42, 56);

/// Everything one metric chart needs.
struct MetricChart<'a> {
    title: String,
    unit: String,
    points: Vec<(f64, f64, f64, PointKind)>,
    failed_days: Vec<f64>,
    baseline: Option<(f64, f64)>,
    treatments: Vec<f64>,
    early: Option<(f64, f64)>,
    fit: Option<&'a crate::trend::Fit>,
    baseline_date: Date,
    x_max: f64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PointKind {
    Normal,
    Acute,
    /// Quality `warn`: shown, but no claim rests on it.
    Warned,
}

fn draw_metric<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &MetricChart<'_>,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for &(_, v, u, _) in &c.points {
        lo = lo.min(v - 1.96 * u);
        hi = hi.max(v + 1.96 * u);
    }
    if let Some((v0, mdc)) = c.baseline {
        lo = lo.min(v0 - mdc);
        hi = hi.max(v0 + mdc);
    }
    // the axes follow the data and its noise band, never the fit
    if !lo.is_finite() || !hi.is_finite() {
        lo = 0.0;
        hi = 1.0;
    }
    let pad = ((hi - lo) * 0.12).max(hi.abs().max(1e-9) * 0.02);
    let (y0, y1) = (lo - pad, hi + pad);
    let x1 = c.x_max.max(14.0) * 1.05;
    let base = c.baseline_date;
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, (FONT, 24))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(74)
        .build_cartesian_2d(-x1 * 0.03..x1, y0..y1)?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .x_desc("Date of visit")
        .y_desc(if c.unit.is_empty() {
            "value".to_string()
        } else {
            c.unit.clone()
        })
        .x_label_formatter(&|d| {
            let date = base.plus_days(d.round() as i64);
            format!(
                "{} {}",
                date.day(),
                &date.human()[date.day().to_string().len() + 1..][..3]
            )
        })
        .y_label_formatter(&|v| format_value(*v))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()?;
    if let Some((a, b)) = c.early {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(a, y0), (b, y1)],
                RGBColor(220, 242, 220).filled(),
            )))?
            .label("early results (6–8 weeks)")
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 5), (x + 14, y + 5)],
                    RGBColor(200, 235, 200).filled(),
                )
            });
    }
    if let Some((v0, mdc)) = c.baseline {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(-x1 * 0.03, v0 - mdc), (x1, v0 + mdc)],
                RGBColor(225, 228, 240).filled(),
            )))?
            .label("first visit ± measurement noise")
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 5), (x + 14, y + 5)],
                    RGBColor(210, 214, 232).filled(),
                )
            });
        chart.draw_series(LineSeries::new(
            [(-x1 * 0.03, v0), (x1, v0)],
            RGBColor(120, 125, 150).stroke_width(1),
        ))?;
    }
    for (k, &t) in c.treatments.iter().enumerate() {
        let s = chart.draw_series(LineSeries::new(
            [(t, y0), (t, y1)],
            RGBColor(70, 130, 200).stroke_width(2),
        ))?;
        if k == 0 {
            s.label("treatment").legend(|(x, y)| {
                PathElement::new(
                    [(x, y), (x + 14, y)],
                    RGBColor(70, 130, 200).stroke_width(2),
                )
            });
        }
    }
    if let Some(f) = c.fit {
        let n = 120;
        let pts: Vec<(f64, f64)> = (0..=n)
            .map(|i| {
                let t = x1 * f64::from(i) / f64::from(n);
                (t, f.at(t))
            })
            .collect();
        chart
            .draw_series(LineSeries::new(pts, RGBColor(230, 140, 30).stroke_width(2)))?
            .label("trend (fitted)")
            .legend(|(x, y)| {
                PathElement::new(
                    [(x, y), (x + 14, y)],
                    RGBColor(230, 140, 30).stroke_width(2),
                )
            });
    }
    let ink = RGBColor(30, 40, 70);
    let normal: Vec<_> = c
        .points
        .iter()
        .filter(|p| p.3 == PointKind::Normal)
        .collect();
    chart.draw_series(normal.iter().map(|&&(x, v, u, _)| {
        ErrorBar::new_vertical(x, v - 1.96 * u, v, v + 1.96 * u, ink.stroke_width(1), 8)
    }))?;
    chart
        .draw_series(
            normal
                .iter()
                .map(|&&(x, v, _, _)| Circle::new((x, v), 5, ink.filled())),
        )?
        .label("measured (95 % bar)")
        .legend(move |(x, y)| Circle::new((x + 7, y), 5, ink.filled()));
    let acute: Vec<_> = c
        .points
        .iter()
        .filter(|p| p.3 == PointKind::Acute)
        .collect();
    if !acute.is_empty() {
        let orange = RGBColor(220, 100, 20);
        chart
            .draw_series(
                acute
                    .iter()
                    .map(|&&(x, v, _, _)| Circle::new((x, v), 6, orange.stroke_width(2))),
            )?
            .label("1–3 days after a session (temporary)")
            .legend(move |(x, y)| Circle::new((x + 7, y), 5, orange.stroke_width(2)));
    }
    let warned: Vec<_> = c
        .points
        .iter()
        .filter(|p| p.3 == PointKind::Warned)
        .collect();
    if !warned.is_empty() {
        chart
            .draw_series(
                warned
                    .iter()
                    .map(|&&(x, v, _, _)| Circle::new((x, v), 5, ink.stroke_width(2))),
            )?
            .label("photo of lower quality (not compared)")
            .legend(move |(x, y)| Circle::new((x + 7, y), 5, ink.stroke_width(2)));
    }
    if !c.failed_days.is_empty() {
        let grey = RGBColor(150, 150, 150);
        let y = y0 + (y1 - y0) * 0.04;
        chart
            .draw_series(
                c.failed_days
                    .iter()
                    .map(|&x| Cross::new((x, y), 6, grey.stroke_width(2))),
            )?
            .label("photo not aligned or not usable (left out)")
            .legend(move |(x, y)| Cross::new((x + 7, y), 5, grey.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font((FONT, 13))
        .draw()?;
    root.present()?;
    Ok(())
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

/// Draws with both backends through a generic closure.
macro_rules! both {
    ($name:expr, |$root:ident| $body:expr) => {{
        let (w, h) = SIZE;
        let mut buf = vec![0u8; (w * h * 3) as usize];
        {
            let $root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            $body.map_err(err($name))?;
        }
        let png_path = std::path::PathBuf::from(format!("plots/{}.png", $name));
        let png = crate::output::png_rgb8(&png_path, w as usize, h as usize, &buf)?;
        let mut svg = String::new();
        {
            let $root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
            $body.map_err(err($name))?;
        }
        (png, svg)
    }};
}

fn metric_chart<'a>(a: &Analysis, s: &'a Series, id: &str) -> Option<MetricChart<'a>> {
    let info = catalog::info(id)?;
    let mut points = Vec::new();
    let mut failed_days = Vec::new();
    let mut unit = String::new();
    for sess in &s.sessions {
        match sess.metrics.get(id) {
            Some(m) if sess.alignment.is_ok() => {
                unit.clone_from(&m.measured.unit);
                points.push((
                    sess.timeline.days as f64,
                    m.measured.value,
                    m.measured.uncertainty,
                    if !sess.quality.is_ok() {
                        PointKind::Warned
                    } else if sess.timeline.acute_window {
                        PointKind::Acute
                    } else {
                        PointKind::Normal
                    },
                ));
            }
            _ => failed_days.push(sess.timeline.days as f64),
        }
    }
    if points.is_empty() {
        return None;
    }
    let base = s
        .sessions
        .iter()
        .find(|x| x.alignment.is_ok())
        .and_then(|x| x.metrics.get(id));
    let baseline = base.map(|b| {
        let b = &b.measured;
        (b.value, 1.96 * std::f64::consts::SQRT_2 * b.uncertainty)
    });
    let treatments: Vec<f64> = treatment_days(a);
    let first_t = treatments.iter().copied().fold(f64::INFINITY, f64::min);
    let x_max = s
        .sessions
        .iter()
        .map(|x| x.timeline.days as f64)
        .fold(0.0, f64::max);
    let suffix = if id.ends_with(catalog::VS_CONTROL) {
        " vs untreated skin"
    } else {
        ""
    };
    let direction = match info.better {
        Better::Lower => " — lower is better",
        Better::Higher => " — higher is better",
        Better::None => "",
    };
    Some(MetricChart {
        title: format!("{}{suffix} ({}){direction}", info.title, s.view),
        unit,
        points,
        failed_days,
        baseline,
        treatments,
        early: first_t.is_finite().then_some({
            (
                first_t + EARLY_RESULTS_DAYS.0 as f64,
                first_t + EARLY_RESULTS_DAYS.1 as f64,
            )
        }),
        fit: s.fits.get(id),
        baseline_date: a.baseline_date,
        x_max,
    })
}

/// One line of an overview chart: its name and its points (days, value,
/// whether the point is beyond the noise; hollow where it is not).
type OverviewLine = (String, Vec<(f64, f64, bool)>);

/// Improvement in % (positive = better) of each headline metric per session.
fn improvement_lines(s: &Series) -> Vec<OverviewLine> {
    let mut out = Vec::new();
    for info in catalog::METRICS
        .iter()
        .filter(|m| m.headline && m.better != Better::None)
    {
        let pts: Vec<(f64, f64, bool)> = s
            .sessions
            .iter()
            .filter(|x| x.is_comparable() && !x.timeline.acute_window)
            .filter_map(|x| {
                let m = x.metrics.get(info.id)?;
                let change = m.vs_baseline?;
                let pct = change.change_pct?;
                Some((
                    x.timeline.days as f64,
                    if info.better == Better::Lower {
                        -pct
                    } else {
                        pct
                    },
                    change.beyond_noise || x.timeline.days == 0,
                ))
            })
            .collect();
        if pts.len() >= 2 {
            out.push((info.title.to_string(), pts));
        }
    }
    out
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(23, 190, 207),
    RGBColor(127, 127, 127),
];

/// Lines against visit date: `y_desc` names the axis; `signed` shows a
/// sign on the labels (changes in %).
fn draw_overview<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    lines: &[OverviewLine],
    base: Date,
    treatments: &[f64],
    (y_desc, signed): (&str, bool),
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (mut lo, mut hi, mut xm) = (0.0f64, 0.0f64, 14.0f64);
    for (_, pts) in lines {
        for &(x, y, _) in pts {
            lo = lo.min(y);
            hi = hi.max(y);
            xm = xm.max(x);
        }
    }
    let pad = ((hi - lo) * 0.15).max(2.0);
    let x1 = xm * 1.05;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 24))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(-x1 * 0.03..x1, (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .x_desc("Date of visit")
        .y_desc(y_desc)
        .x_label_formatter(&|d| {
            let date = base.plus_days(d.round() as i64);
            format!(
                "{} {}",
                date.day(),
                &date.human()[date.day().to_string().len() + 1..][..3]
            )
        })
        .y_label_formatter(&|v| {
            if signed {
                format!("{v:+.0}")
            } else {
                format!("{v:.0}")
            }
        })
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()?;
    chart.draw_series(LineSeries::new(
        [(-x1 * 0.03, 0.0), (x1, 0.0)],
        RGBColor(120, 120, 120).stroke_width(1),
    ))?;
    for &t in treatments {
        chart.draw_series(LineSeries::new(
            [(t, lo - pad), (t, hi + pad)],
            RGBColor(180, 205, 235).stroke_width(2),
        ))?;
    }
    for (k, (name, pts)) in lines.iter().enumerate() {
        let col = PALETTE[k % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|&(x, y, _)| (x, y)),
                col.stroke_width(3),
            ))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], col.stroke_width(3)));
        // within the noise: hollow, on white, so the line does not fill it
        chart.draw_series(pts.iter().map(|&(x, y, beyond)| {
            let style = if beyond { col.filled() } else { WHITE.filled() };
            Circle::new((x, y), 4, style)
        }))?;
        chart.draw_series(
            pts.iter()
                .filter(|p| !p.2)
                .map(|&(x, y, _)| Circle::new((x, y), 4, col.stroke_width(2))),
        )?;
    }
    if lines.iter().any(|(_, pts)| pts.iter().any(|p| !p.2)) {
        let grey = RGBColor(90, 90, 90);
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label("hollow: within the measurement noise")
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, grey.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font((FONT, 13))
        .draw()?;
    root.present()?;
    Ok(())
}

/// The depth of every tracked scar at every usable visit; a scar no longer
/// found (resolved) is drawn at 0 from then on.
fn scar_chart(a: &Analysis, si: usize, s: &Series) -> Result<Option<Plot>> {
    if s.scars.is_empty() {
        return Ok(None);
    }
    let unit = s
        .sessions
        .iter()
        .find_map(|x| x.metrics.get(crate::catalog::id::SCAR_MAX_DEPTH))
        .map_or("µm", |m| m.measured.unit.as_str());
    let lines: Vec<OverviewLine> = s
        .scars
        .iter()
        .map(|t| {
            let mut seen = false;
            let pts = t
                .sessions
                .iter()
                .zip(&s.sessions)
                .filter(|(_, x)| x.alignment.is_ok())
                .filter_map(|(m, x)| match m {
                    Some(m) => {
                        seen = true;
                        Some((x.timeline.days as f64, m.max_depth_um, true))
                    }
                    None if seen => Some((x.timeline.days as f64, 0.0, true)),
                    None => None,
                })
                .collect();
            let name = if t.resolved {
                format!("Scar {} (resolved)", t.id)
            } else {
                format!("Scar {}", t.id)
            };
            (name, pts)
        })
        .collect();
    let name = file_safe(&format!("{}_{}_scar_depths", s.view, s.kind));
    let title = format!("Depth of each scar ({}; lower is better)", s.view);
    let y_desc = format!("deepest point below the skin around it, {unit}");
    let (png, svg) = overview_both(a, &name, &title, &lines, (&y_desc, false))?;
    Ok(Some(Plot {
        alt: format!(
            "Line chart of the depth of each of {} scars at each visit.",
            lines.len()
        ),
        name,
        title,
        series: Some(si),
        metric: None,
        png,
        svg,
    }))
}

/// An overview chart (several lines over the visits, treatments marked) as
/// PNG and SVG.
fn overview_both(
    a: &Analysis,
    name: &str,
    title: &str,
    lines: &[OverviewLine],
    y_axis: (&str, bool),
) -> Result<(Vec<u8>, String)> {
    let treatments = treatment_days(a);
    Ok(both!(name, |root| draw_overview(
        &root,
        title,
        lines,
        a.baseline_date,
        &treatments,
        y_axis
    )))
}

/// Days from the baseline to each treatment.
fn treatment_days(a: &Analysis) -> Vec<f64> {
    a.treatments
        .iter()
        .map(|t| t.days_after(a.baseline_date) as f64)
        .collect()
}

fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Every chart of an analysis.
///
/// # Errors
/// [`Error::Failed`] when plotters cannot draw (e.g. a font problem).
pub fn all_plots(a: &Analysis) -> Result<Vec<Plot>> {
    register_font();
    let mut out = Vec::new();
    for (si, s) in a.series.iter().enumerate() {
        let lines = improvement_lines(s);
        if !lines.is_empty() {
            let name = file_safe(&format!("{}_{}_overview", s.view, s.kind));
            let title = format!("Improvement since the first visit ({})", s.view);
            let y_axis = ("improvement since first visit, %", true);
            let (png, svg) = overview_both(a, &name, &title, &lines, y_axis)?;
            out.push(Plot {
                alt: format!("Line chart of the improvement in percent of {} since the first visit, by visit date.", lines.iter().map(|l| l.0.as_str()).collect::<Vec<_>>().join(", ")),
                name,
                title,
                series: Some(si),
                metric: None,
                png,
                svg,
            });
        }
        if let Some(p) = scar_chart(a, si, s)? {
            out.push(p);
        }
        let mut ids: Vec<&String> = s.sessions.iter().flat_map(|x| x.metrics.keys()).collect();
        ids.sort_by_key(|id| catalog::order(id));
        ids.dedup();
        for id in ids {
            let Some(c) = metric_chart(a, s, id) else {
                continue;
            };
            let name = file_safe(&format!("{}_{}_{}", s.view, s.kind, id));
            let (png, svg) = both!(&name, |root| draw_metric(&root, &c));
            out.push(Plot {
                alt: format!("{}: value at each visit with its 95 % bar, the first visit's noise band and treatment dates.", c.title),
                title: c.title.clone(),
                name,
                series: Some(si),
                metric: Some(id.clone()),
                png,
                svg,
            });
        }
    }
    Ok(out)
}
