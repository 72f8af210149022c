//! Improvement curves with plotters: one chart per metric and series
//! (value against days, the baseline and its noise band, treatment marks,
//! the early-results window, the fit, excluded captures hollow) and an
//! overview of the headline metrics as % improvement. Each chart is made as
//! PNG bytes and as an SVG string (inlined in the report). The font is
//! bundled, so no system font library is needed.

use crate::catalog::{self, Better};
use crate::date::Date;
use crate::error::{Error, Result};
use crate::model::{Analysis, MetricResult, Series};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::Once;

mod legend;
pub use legend::format_value;
use legend::{
    Frame, Mark, NARROW, VisitAxis, WIDE, axis_words, date_label, draw_legend, spans_years,
    visit_ticks,
};

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
    /// SVG document drawn for a phone's width (no title: the page shows it).
    pub svg_narrow: String,
}

pub(crate) const FONT: &str = "sans-serif";
static FONT_ONCE: Once = Once::new();

/// Registers the bundled font under the name charts and overlays use.
pub(crate) fn register_font() {
    FONT_ONCE.call_once(|| {
        // A bundled font: the registration can only fail on a corrupt file,
        // and drawing then reports FontUnavailable instead of panicking.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
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
    /// The metric's plain name, for the y axis.
    title_plain: String,
    /// Every visit's day (ticks).
    visit_days: Vec<f64>,
    unit: String,
    points: Vec<(f64, f64, f64, PointKind)>,
    failed_days: Vec<f64>,
    baseline: Option<(f64, f64)>,
    /// Each point's bar is the noise of its change from the first visit
    /// (a metric read in pairs), not of its value.
    bars_of_change: bool,
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

/// The legend entries of a metric chart, in drawing order.
fn metric_legend(c: &MetricChart<'_>) -> Vec<(String, Mark)> {
    let mut out = Vec::new();
    if c.early.is_some() {
        out.push((
            "early results (6–8 weeks)".into(),
            Mark::Band(RGBColor(200, 235, 200)),
        ));
    }
    if c.baseline.is_some() {
        out.push((
            "first visit ± measurement noise".into(),
            Mark::Band(RGBColor(210, 214, 232)),
        ));
    }
    if !c.treatments.is_empty() {
        out.push(("treatment".into(), Mark::Line(TREATMENT, 2)));
    }
    if c.fit.is_some() {
        out.push(("trend (fitted)".into(), Mark::Line(FIT, 2)));
    }
    let has = |k: PointKind| c.points.iter().any(|p| p.3 == k);
    if has(PointKind::Normal) {
        let words = if c.bars_of_change {
            "measured (bar: noise of its change)"
        } else {
            "measured (95 % bar)"
        };
        out.push((words.into(), Mark::Dot(INK)));
    }
    if has(PointKind::Acute) {
        out.push((
            "1–3 days after a session (temporary)".into(),
            Mark::Ring(ACUTE),
        ));
    }
    if has(PointKind::Warned) {
        out.push((
            "photo of lower quality (not compared)".into(),
            Mark::Ring(INK),
        ));
    }
    if !c.failed_days.is_empty() {
        out.push((
            "photo not aligned or not usable (left out)".into(),
            Mark::Cross(GREY),
        ));
    }
    out
}

const INK: RGBColor = RGBColor(30, 40, 70);
const TREATMENT: RGBColor = RGBColor(70, 130, 200);
const FIT: RGBColor = RGBColor(230, 140, 30);
const ACUTE: RGBColor = RGBColor(220, 100, 20);
const GREY: RGBColor = RGBColor(150, 150, 150);
const EARLY: RGBColor = RGBColor(220, 242, 220);

/// The 6–8 week band with its words on it, at the top of the plot.
fn draw_early<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<VisitAxis, Y>>,
    (a, b): (f64, f64),
    (y0, y1): (f64, f64),
    label_px: u32,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart.draw_series(std::iter::once(Rectangle::new(
        [(a, y0), (b, y1)],
        EARLY.filled(),
    )))?;
    let style = TextStyle::from((FONT, label_px).into_font())
        .pos(Pos::new(HPos::Center, VPos::Top))
        .color(&RGBColor(40, 110, 60));
    chart.draw_series(std::iter::once(Text::new(
        "6–8 wk",
        ((a + b) / 2.0, y1),
        style,
    )))?;
    Ok(())
}

fn draw_metric<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &MetricChart<'_>,
    frame: Frame,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let legend = metric_legend(c);
    let (area, legend_area) = frame.split(root, &c.title, legend.len())?;
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
    // room at the top for the 6–8 week label
    let (y0, y1) = (lo - pad, hi + pad * 2.0);
    let x1 = c.x_max.max(14.0) * 1.05;
    let x0 = -x1 * 0.03;
    let base = c.baseline_date;
    let with_year = spans_years(base, &c.visit_days);
    let ticks = visit_ticks(&c.visit_days, x1 * frame.label_gap(with_year));
    let mut chart = ChartBuilder::on(&area)
        .margin(10)
        .x_label_area_size(frame.label_px * 3)
        .y_label_area_size(frame.label_px * 5)
        .build_cartesian_2d(
            VisitAxis {
                range: x0..x1,
                ticks,
            },
            y0..y1,
        )?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(225, 225, 225))
        .x_desc("Date of visit")
        .y_desc(axis_words(&c.title_plain, &c.unit))
        .x_label_formatter(&|d| date_label(base, *d, with_year))
        .y_label_formatter(&|v| format_value(*v))
        .y_labels(6)
        .label_style((FONT, frame.label_px))
        .axis_desc_style((FONT, frame.label_px + 1))
        .draw()?;
    if let Some(early) = c.early {
        draw_early(&mut chart, early, (y0, y1), frame.label_px)?;
    }
    if let Some((v0, mdc)) = c.baseline {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x0, v0 - mdc), (x1, v0 + mdc)],
            RGBColor(225, 228, 240).filled(),
        )))?;
        chart.draw_series(LineSeries::new(
            [(x0, v0), (x1, v0)],
            RGBColor(120, 125, 150).stroke_width(1),
        ))?;
    }
    for &t in &c.treatments {
        chart.draw_series(LineSeries::new(
            [(t, y0), (t, y1)],
            TREATMENT.stroke_width(2),
        ))?;
    }
    if let Some(f) = c.fit {
        let n = 120;
        let pts: Vec<(f64, f64)> = (0..=n)
            .map(|i| {
                let t = x1 * f64::from(i) / f64::from(n);
                (t, f.at(t))
            })
            .filter(|p| (y0..=y1).contains(&p.1))
            .collect();
        chart.draw_series(LineSeries::new(pts, FIT.stroke_width(2)))?;
    }
    let of = |k: PointKind| c.points.iter().filter(move |p| p.3 == k);
    chart.draw_series(
        of(PointKind::Normal)
            .filter(|p| p.2 > 0.0)
            .map(|&(x, v, u, _)| {
                ErrorBar::new_vertical(x, v - 1.96 * u, v, v + 1.96 * u, INK.stroke_width(1), 8)
            }),
    )?;
    chart.draw_series(
        of(PointKind::Normal).map(|&(x, v, _, _)| Circle::new((x, v), 5, INK.filled())),
    )?;
    chart.draw_series(
        of(PointKind::Acute).map(|&(x, v, _, _)| Circle::new((x, v), 6, ACUTE.stroke_width(2))),
    )?;
    chart.draw_series(
        of(PointKind::Warned).map(|&(x, v, _, _)| Circle::new((x, v), 5, INK.stroke_width(2))),
    )?;
    let y = y0 + (y1 - y0) * 0.04;
    chart.draw_series(
        c.failed_days
            .iter()
            .map(|&x| Cross::new((x, y), 6, GREY.stroke_width(2))),
    )?;
    draw_legend(&legend_area, &legend, frame.label_px)?;
    root.present()?;
    Ok(())
}

/// Draws with both backends through a generic closure taking the frame:
/// the wide frame as PNG and SVG, the narrow one as SVG; `$rows` legend rows.
macro_rules! both {
    ($name:expr, $rows:expr, |$root:ident, $frame:ident| $body:expr) => {{
        let (w, h) = WIDE.size;
        let mut buf = vec![0u8; (w * h * 3) as usize];
        {
            let $frame = WIDE;
            let $root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            $body.map_err(err($name))?;
        }
        let png_path = std::path::PathBuf::from(format!("plots/{}.png", $name));
        let png = crate::output::png_rgb8(&png_path, w as usize, h as usize, &buf)?;
        let mut svg = String::new();
        {
            let $frame = WIDE;
            let $root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
            $body.map_err(err($name))?;
        }
        let mut svg_narrow = String::new();
        {
            let $frame = NARROW;
            let size = (NARROW.size.0, NARROW.height($rows));
            let $root = SVGBackend::with_string(&mut svg_narrow, size).into_drawing_area();
            $body.map_err(err($name))?;
        }
        (png, svg, svg_narrow)
    }};
}

/// The standard deviation a point's bar shows (±1.96 of it; 0: no bar).
/// A metric read in pairs has the noise of its change from the first
/// visit, not its value's spread over the tiles (the same skin at every
/// visit): a follow-up's bar is that noise and the first visit has none, so
/// a bar that misses the first visit's level is a change beyond noise.
fn bar_sd(id: &str, m: &MetricResult, first: bool) -> f64 {
    if catalog::READ_IN_PAIRS.contains(&id) {
        let change = m.vs_baseline.filter(|_| !first);
        change.map_or(0.0, |c| c.mdc95 / 1.96)
    } else {
        catalog::measurement_sd(id, m.measured.value, m.measured.uncertainty)
    }
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
                    bar_sd(id, m, points.is_empty()),
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
    // the band is the noise of a change: the largest minimal detectable
    // change of the comparable follow-ups (each read in the same places as
    // the first visit), so a point outside it is beyond its noise; without
    // a follow-up, the first visit's own noise twice over
    let follow_up_mdc = s
        .sessions
        .iter()
        .filter(|x| x.is_comparable() && x.timeline.days > 0)
        .filter_map(|x| Some(x.metrics.get(id)?.vs_baseline?.mdc95))
        .reduce(f64::max);
    let baseline = base.map(|b| {
        let b = &b.measured;
        let own = || {
            1.96 * std::f64::consts::SQRT_2 * catalog::measurement_sd(id, b.value, b.uncertainty)
        };
        (b.value, follow_up_mdc.unwrap_or_else(own))
    });
    let treatments: Vec<f64> = treatment_days(a);
    let x_max = s
        .sessions
        .iter()
        .map(|x| x.timeline.days as f64)
        .fold(0.0, f64::max);
    let suffix = if catalog::twin_of(id).is_some() {
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
        // the view first: titles end in brackets of their own
        title: format!(
            "{}: {}{suffix}{direction}",
            crate::claims::capitalised(&s.view),
            info.title
        ),
        title_plain: format!("{}{suffix}", info.title),
        visit_days: s.sessions.iter().map(|x| x.timeline.days as f64).collect(),
        unit,
        points,
        failed_days,
        baseline,
        bars_of_change: catalog::READ_IN_PAIRS.contains(&id),
        early: early_window(&treatments),
        treatments,
        fit: s.fits.get(id),
        baseline_date: a.baseline_date,
        x_max,
    })
}

/// One line of an overview chart: its name and its points (days, value,
/// whether the point is beyond the noise; hollow where it is not).
type OverviewLine = (String, Vec<(f64, f64, bool)>);

/// Improvement in % (positive = better) of each headline metric per session
/// (of its twin over the control region where a claim reads that).
fn improvement_lines(s: &Series) -> Vec<OverviewLine> {
    let mut out = Vec::new();
    // a first capture in the skin's reaction to a session is no reference
    if s.acute_first().is_some() {
        return out;
    }
    for info in catalog::METRICS
        .iter()
        .filter(|m| m.headline && m.better != Better::None)
    {
        // the quantity the client's claim states (the redness excess over
        // the control region, not the skin's whole redness)
        let id = if crate::claims::read_from_twin(info.id) {
            catalog::twin(info.id)
        } else {
            info.id.to_string()
        };
        // no line where a claim would state no percentage (a small excess)
        let base = s.sessions.first().and_then(|x| x.metrics.get(&id));
        if base.is_some_and(|b| !crate::claims::percent_holds(&id, b.measured.value)) {
            continue;
        }
        let pts: Vec<(f64, f64, bool)> = s
            .sessions
            .iter()
            .filter(|x| x.is_comparable() && !x.timeline.acute_window)
            .filter_map(|x| {
                let m = x.metrics.get(&id)?;
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
    short_names(out)
}

/// Each line named by its title without the parenthesis ("Fine lines"),
/// where no other line of the chart shares that short name: the legend sits
/// beside the plot and has room for a few words.
fn short_names(mut lines: Vec<OverviewLine>) -> Vec<OverviewLine> {
    let short = |t: &str| t.split(" (").next().unwrap_or(t).to_string();
    let shorts: Vec<String> = lines.iter().map(|l| short(&l.0)).collect();
    for (k, l) in lines.iter_mut().enumerate() {
        if shorts.iter().filter(|s| **s == shorts[k]).count() == 1 {
            l.0.clone_from(&shorts[k]);
        }
    }
    lines
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

/// What an overview chart is drawn from besides its lines.
struct OverviewContext<'a> {
    title: &'a str,
    base: Date,
    treatments: &'a [f64],
    /// The 6–8 week window after the first treatment, days.
    early: Option<(f64, f64)>,
    /// Every visit's day (ticks).
    visit_days: &'a [f64],
    /// The y axis's name, and whether its labels carry a sign.
    y_axis: (&'a str, bool),
}

/// The legend entries of an overview chart.
fn overview_legend(lines: &[OverviewLine], ctx: &OverviewContext<'_>) -> Vec<(String, Mark)> {
    let mut out: Vec<(String, Mark)> = lines
        .iter()
        .enumerate()
        .map(|(k, (name, _))| (name.clone(), Mark::Line(PALETTE[k % PALETTE.len()], 3)))
        .collect();
    if !ctx.treatments.is_empty() {
        out.push(("treatment".into(), Mark::Line(RGBColor(180, 205, 235), 2)));
    }
    if ctx.early.is_some() {
        out.push(("early results (6–8 weeks)".into(), Mark::Band(EARLY)));
    }
    if lines.iter().any(|(_, pts)| pts.iter().any(|p| !p.2)) {
        out.push((
            "hollow: within the measurement noise".into(),
            Mark::Ring(RGBColor(90, 90, 90)),
        ));
    }
    out
}

/// Lines against visit date, treatments and the early-results window
/// marked, the legend beside (or under) the plot.
fn draw_overview<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    lines: &[OverviewLine],
    ctx: &OverviewContext<'_>,
    frame: Frame,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let legend = overview_legend(lines, ctx);
    let (area, legend_area) = frame.split(root, ctx.title, legend.len())?;
    let (mut lo, mut hi, mut xm) = (0.0f64, 0.0f64, 14.0f64);
    for (_, pts) in lines {
        for &(x, y, _) in pts {
            lo = lo.min(y);
            hi = hi.max(y);
            xm = xm.max(x);
        }
    }
    for &d in ctx.visit_days {
        xm = xm.max(d);
    }
    let pad = ((hi - lo) * 0.15).max(2.0);
    let (y0, y1) = (lo - pad, hi + pad * 2.0);
    let x1 = xm * 1.05;
    let x0 = -x1 * 0.03;
    let with_year = spans_years(ctx.base, ctx.visit_days);
    let ticks = visit_ticks(ctx.visit_days, x1 * frame.label_gap(with_year));
    let (y_desc, signed) = ctx.y_axis;
    let mut chart = ChartBuilder::on(&area)
        .margin(10)
        .x_label_area_size(frame.label_px * 3)
        .y_label_area_size(frame.label_px * 4 + 8)
        .build_cartesian_2d(
            VisitAxis {
                range: x0..x1,
                ticks,
            },
            y0..y1,
        )?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(225, 225, 225))
        .x_desc("Date of visit")
        .y_desc(y_desc)
        .x_label_formatter(&|d| date_label(ctx.base, *d, with_year))
        .y_label_formatter(&|v| {
            if signed {
                format!("{v:+.0}")
            } else {
                format!("{v:.0}")
            }
        })
        .y_labels(6)
        .label_style((FONT, frame.label_px))
        .axis_desc_style((FONT, frame.label_px + 1))
        .draw()?;
    if let Some(early) = ctx.early {
        draw_early(&mut chart, early, (y0, y1), frame.label_px)?;
    }
    chart.draw_series(LineSeries::new(
        [(x0, 0.0), (x1, 0.0)],
        RGBColor(120, 120, 120).stroke_width(1),
    ))?;
    for &t in ctx.treatments {
        chart.draw_series(LineSeries::new(
            [(t, y0), (t, y1)],
            RGBColor(180, 205, 235).stroke_width(2),
        ))?;
    }
    for (k, (_, pts)) in lines.iter().enumerate() {
        let col = PALETTE[k % PALETTE.len()];
        chart.draw_series(LineSeries::new(
            pts.iter().map(|&(x, y, _)| (x, y)),
            col.stroke_width(3),
        ))?;
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
    draw_legend(&legend_area, &legend, frame.label_px)?;
    root.present()?;
    Ok(())
}

/// The depth of every tracked scar at every comparable visit (a map warned
/// as out of scale with the first is left out); a scar no longer
/// found (resolved) is drawn at 0 from then on, one at the map's edge not
/// at all where it is not found (it may have left the map).
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
                .filter(|(_, x)| x.is_comparable())
                .filter_map(|(m, x)| match m {
                    Some(m) => {
                        seen = true;
                        Some((x.timeline.days as f64, m.max_depth_um, true))
                    }
                    None if seen && !t.at_map_edge => Some((x.timeline.days as f64, 0.0, true)),
                    None => None,
                })
                .collect();
            let name = if t.resolved {
                format!("Scar {} (resolved)", t.id)
            } else if t.at_map_edge {
                format!("Scar {} (at the map's edge)", t.id)
            } else {
                format!("Scar {}", t.id)
            };
            (name, pts)
        })
        .collect();
    let name = crate::files::file_safe(&format!("{}_{}_scar_depths", s.view, s.kind));
    let title = format!("Depth of each scar ({}; lower is better)", s.view);
    let y_desc = format!("deepest point below the skin around it, {unit}");
    let (png, svg, svg_narrow) = overview_both(a, s, (&name, &title), &lines, (&y_desc, false))?;
    Ok(Some(Plot {
        svg_narrow,
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

/// An overview chart (several lines over the visits of `s`, treatments
/// marked) as PNG, SVG and narrow SVG.
fn overview_both(
    a: &Analysis,
    s: &Series,
    (name, title): (&str, &str),
    lines: &[OverviewLine],
    y_axis: (&str, bool),
) -> Result<(Vec<u8>, String, String)> {
    let treatments = treatment_days(a);
    let visit_days: Vec<f64> = s.sessions.iter().map(|x| x.timeline.days as f64).collect();
    let ctx = OverviewContext {
        title,
        base: a.baseline_date,
        treatments: &treatments,
        early: early_window(&treatments),
        visit_days: &visit_days,
        y_axis,
    };
    let rows = overview_legend(lines, &ctx).len();
    Ok(both!(name, rows, |root, frame| draw_overview(
        &root, lines, &ctx, frame
    )))
}

/// The 6–8 week window after the first treatment, days since the baseline.
fn early_window(treatments: &[f64]) -> Option<(f64, f64)> {
    let first = treatments.iter().copied().fold(f64::INFINITY, f64::min);
    first.is_finite().then_some((
        first + EARLY_RESULTS_DAYS.0 as f64,
        first + EARLY_RESULTS_DAYS.1 as f64,
    ))
}

/// Days from the baseline to each treatment.
fn treatment_days(a: &Analysis) -> Vec<f64> {
    a.treatments
        .iter()
        .map(|t| t.days_after(a.baseline_date) as f64)
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
            let name = crate::files::file_safe(&format!("{}_{}_overview", s.view, s.kind));
            let title = format!("Improvement since the first visit ({})", s.view);
            let y_axis = ("improvement since first visit, %", true);
            let (png, svg, svg_narrow) = overview_both(a, s, (&name, &title), &lines, y_axis)?;
            out.push(Plot {
                svg_narrow,
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
            let name = crate::files::file_safe(&format!("{}_{}_{}", s.view, s.kind, id));
            let rows = metric_legend(&c).len();
            let (png, svg, svg_narrow) =
                both!(&name, rows, |root, frame| draw_metric(&root, &c, frame));
            out.push(Plot {
                svg_narrow,
                alt: format!(
                    "{}: value at each visit with {}, the first visit's noise band and treatment dates.",
                    c.title,
                    if c.bars_of_change {
                        "the noise of its change from the first visit"
                    } else {
                        "its 95 % bar"
                    }
                ),
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

#[cfg(test)]
mod tests;
