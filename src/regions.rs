//! Where a view is measured, as a picture: the baseline photo with the
//! measured region, the control region (or a suggested one) and the areas
//! left out of the alignment drawn on it, a 1 cm scale bar when the scale is
//! known, and for `skintrack regions` a labelled pixel grid so coordinates
//! for case.toml can be read off without another program.
//!
//! The suggested control region is a square of skin outside the measured
//! region (and the excluded areas) whose brightness is closest to the
//! region's, and that is even (no hair, edge or shadow): the smallest
//! |mean − region mean| / region mean + 2 · spread / mean over a grid of
//! candidates. It is only ever suggested: `analyze` uses a control region
//! only when case.toml names one.

use crate::error::{Error, Result};
use crate::raster::{Plane, Rect, RgbPlanes};
use crate::units::MmPerPx;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The regions of a view, in baseline pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Regions {
    /// The measured region.
    pub roi: Rect,
    /// The control region, and whether it was suggested (not in case.toml).
    pub control: Option<(Rect, Origin)>,
    /// Areas left out of the alignment fit.
    pub exclude: Vec<Rect>,
    /// The grey-step reference card, when case.toml names one.
    pub card: Option<Rect>,
    /// Physical scale.
    pub mm_per_px: Option<MmPerPx>,
}

/// Where a region came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// case.toml names it.
    CaseToml,
    /// skintrack chose it (the measured region: every visit covers it; the
    /// control: [`suggest_control`]).
    Suggested,
}

/// Whether the figure carries a labelled pixel grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grid {
    /// Lines and pixel coordinates (for choosing regions).
    Labelled,
    /// The photo and the regions only (the report).
    None,
}

/// Longest side of the figure, px.
pub const FIGURE_SIDE: usize = 1000;

const ROI_INK: RGBColor = RGBColor(30, 110, 255);
const CONTROL_INK: RGBColor = RGBColor(20, 170, 70);
const EXCLUDE_INK: RGBColor = RGBColor(230, 60, 40);
const CARD_INK: RGBColor = RGBColor(150, 60, 200);

/// A square of even skin outside `roi` and `exclude` whose brightness is
/// closest to the region's (see the module docs): a third of the region's
/// shorter side (at most a quarter of the photo's), halved until one fits
/// beside the region; `None` when not even a 16 px square does.
#[must_use]
pub fn suggest_control(image: &RgbPlanes, roi: Rect, exclude: &[Rect]) -> Option<Rect> {
    let (w, h) = (image.width(), image.height());
    let y = image.luminance();
    let (roi_mean, _) = mean_sd(&y, roi)?;
    if roi_mean <= 0.0 {
        return None;
    }
    let mut side = (roi.w.min(roi.h) / 3).clamp(16, (w.min(h) / 4).max(16));
    loop {
        if let Some(c) = best_square(&y, roi, roi_mean, exclude, side) {
            return Some(c);
        }
        if side <= 16 {
            return None;
        }
        side = (side / 2).max(16);
    }
}

/// The best `side`-px square outside `roi` (with a margin) and `exclude`.
fn best_square(y: &Plane, roi: Rect, roi_mean: f64, exclude: &[Rect], side: usize) -> Option<Rect> {
    let (w, h) = (y.width(), y.height());
    if side > w || side > h {
        return None;
    }
    let step = (side / 2).max(1);
    // keep a margin from the region so its edge is not in the control
    let margin = side / 4;
    let near_roi = Rect::new(
        roi.x.saturating_sub(margin),
        roi.y.saturating_sub(margin),
        roi.w + 2 * margin,
        roi.h + 2 * margin,
    );
    let mut best: Option<(f64, Rect)> = None;
    for cy in (0..=h - side).step_by(step) {
        for cx in (0..=w - side).step_by(step) {
            let c = Rect::new(cx, cy, side, side);
            if c.overlaps(near_roi) || exclude.iter().any(|e| c.overlaps(*e)) {
                continue;
            }
            let Some((mean, sd)) = mean_sd(y, c) else {
                continue;
            };
            if mean <= 0.0 {
                continue;
            }
            let score = (mean - roi_mean).abs() / roi_mean + 2.0 * sd / mean;
            // strictly better only: the first (top-left) of equals wins
            if best.is_none_or(|(s, _)| score < s) {
                best = Some((score, c));
            }
        }
    }
    best.map(|b| b.1)
}

/// Mean and standard deviation of `p` over `r` (f64 sums, row order).
fn mean_sd(p: &Plane, r: Rect) -> Option<(f64, f64)> {
    if r.w == 0 || r.h == 0 || !r.fits_in(p.width(), p.height()) {
        return None;
    }
    let (mut s, mut ss) = (0.0f64, 0.0f64);
    for yy in r.y..r.y + r.h {
        for xx in r.x..r.x + r.w {
            let v = f64::from(p.at(xx, yy));
            s += v;
            ss += v * v;
        }
    }
    let n = (r.w * r.h) as f64;
    let mean = s / n;
    Some((mean, (ss / n - mean * mean).max(0.0).sqrt()))
}

/// The figure: `image` at most [`FIGURE_SIDE`] a side with `regions`
/// drawn and labelled, as (width, height, RGB8).
///
/// # Errors
/// [`Error::Failed`] when drawing fails (the bundled font).
pub fn figure(image: &RgbPlanes, regions: &Regions, grid: Grid) -> Result<(usize, usize, Vec<u8>)> {
    crate::plot::register_font();
    let (w0, h0) = (image.width(), image.height());
    let scale = (FIGURE_SIDE as f64 / w0.max(h0) as f64).min(1.0);
    let (w, h) = (
        ((w0 as f64 * scale).round() as usize).max(1),
        ((h0 as f64 * scale).round() as usize).max(1),
    );
    let mut rgb = crate::resample::rgb8_at(image, w, h);
    let fail = |e: String| Error::Failed {
        path: "regions".into(),
        problem: format!("cannot draw the regions: {e}"),
    };
    let size = (
        u32::try_from(w).map_err(|e| fail(e.to_string()))?,
        u32::try_from(h).map_err(|e| fail(e.to_string()))?,
    );
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        let px = |v: usize| (v as f64 * scale).round() as i32;
        let font = ((w.max(h) as f64 / 55.0).round() as u32).clamp(11, 20);
        let label = |text: &str, at: (i32, i32), ink: RGBColor| -> Result<()> {
            let style = TextStyle::from(("sans-serif", font).into_font())
                .pos(Pos::new(HPos::Left, VPos::Top))
                .color(&WHITE);
            let (tw, th) = root
                .estimate_text_size(text, &style)
                .map_err(|e| fail(format!("{e:?}")))?;
            let (tw, th) = (
                i32::try_from(tw).unwrap_or(0),
                i32::try_from(th).unwrap_or(0),
            );
            root.draw(&Rectangle::new(
                [(at.0, at.1), (at.0 + tw + 6, at.1 + th + 4)],
                ink.filled(),
            ))
            .map_err(|e| fail(format!("{e:?}")))?;
            root.draw(&Text::new(text.to_string(), (at.0 + 3, at.1 + 2), style))
                .map_err(|e| fail(format!("{e:?}")))
        };
        if grid == Grid::Labelled {
            let spacing = grid_spacing(w0.max(h0));
            let line = WHITE.mix(0.55).stroke_width(1);
            for gx in (spacing..w0).step_by(spacing) {
                root.draw(&PathElement::new([(px(gx), 0), (px(gx), h as i32)], line))
                    .map_err(|e| fail(format!("{e:?}")))?;
                label(&gx.to_string(), (px(gx) + 2, 2), RGBColor(40, 40, 40))?;
            }
            for gy in (spacing..h0).step_by(spacing) {
                root.draw(&PathElement::new([(0, px(gy)), (w as i32, px(gy))], line))
                    .map_err(|e| fail(format!("{e:?}")))?;
                label(&gy.to_string(), (2, px(gy) + 2), RGBColor(40, 40, 40))?;
            }
        }
        let boxed = |r: Rect, ink: RGBColor, dashed: bool| -> Result<()> {
            let (x0, y0, x1, y1) = (px(r.x), px(r.y), px(r.x + r.w), px(r.y + r.h));
            let corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)];
            for side in corners.windows(2) {
                if dashed {
                    draw_dashed(&root, side[0], side[1], ink).map_err(fail)?;
                } else {
                    root.draw(&PathElement::new([side[0], side[1]], ink.stroke_width(3)))
                        .map_err(|e| fail(format!("{e:?}")))?;
                }
            }
            Ok(())
        };
        for e in &regions.exclude {
            boxed(*e, EXCLUDE_INK, false)?;
            label(
                "left out of alignment",
                (px(e.x) + 3, px(e.y) + 3),
                EXCLUDE_INK,
            )?;
        }
        if let Some(c) = regions.card {
            boxed(c, CARD_INK, false)?;
            label("grey card", (px(c.x) + 3, px(c.y) + 3), CARD_INK)?;
        }
        let r = regions.roi;
        boxed(r, ROI_INK, false)?;
        label("measured region", (px(r.x) + 3, px(r.y) + 3), ROI_INK)?;
        if let Some((c, origin)) = regions.control {
            let suggested = origin == Origin::Suggested;
            boxed(c, CONTROL_INK, suggested)?;
            let text = if suggested {
                "suggested control"
            } else {
                "control (untreated)"
            };
            // below the box when it is near the top, else above it
            let at_y = if px(c.y) > 30 {
                px(c.y) - i32::try_from(font).unwrap_or(12) - 8
            } else {
                px(c.y + c.h) + 3
            };
            label(text, (px(c.x), at_y), CONTROL_INK)?;
        }
        if let Some(s) = regions.mm_per_px {
            // 1 cm, unless the photo is narrower than 4 cm: then 1 mm
            let (len_mm, text) = if w0 as f64 * s.get() >= 40.0 {
                (10.0, "1 cm")
            } else {
                (1.0, "1 mm")
            };
            let len = (len_mm / s.get() * scale).round() as i32;
            let (bx, by) = (12, h as i32 - 16);
            root.draw(&Rectangle::new(
                [(bx - 2, by - 4), (bx + len + 2, by + 4)],
                BLACK.filled(),
            ))
            .map_err(|e| fail(format!("{e:?}")))?;
            root.draw(&Rectangle::new(
                [(bx, by - 2), (bx + len, by + 2)],
                WHITE.filled(),
            ))
            .map_err(|e| fail(format!("{e:?}")))?;
            label(
                text,
                (bx, by - i32::try_from(font).unwrap_or(12) - 14),
                RGBColor(20, 20, 20),
            )?;
        }
        root.present().map_err(|e| fail(format!("{e:?}")))?;
    }
    Ok((w, h, rgb))
}

/// Grid spacing in photo pixels: a round number giving 5–12 lines.
fn grid_spacing(side: usize) -> usize {
    [10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000]
        .into_iter()
        .find(|s| side / s <= 12)
        .unwrap_or(5000)
}

fn draw_dashed<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    a: (i32, i32),
    b: (i32, i32),
    ink: RGBColor,
) -> std::result::Result<(), String> {
    let (dx, dy) = (f64::from(b.0 - a.0), f64::from(b.1 - a.1));
    let len = dx.hypot(dy);
    let dashes = (len / 12.0).ceil().max(1.0) as i32;
    for k in (0..dashes).step_by(2) {
        let t0 = f64::from(k) / f64::from(dashes);
        let t1 = (f64::from(k + 1) / f64::from(dashes)).min(1.0);
        let p = |t: f64| (a.0 + (dx * t).round() as i32, a.1 + (dy * t).round() as i32);
        root.draw(&PathElement::new([p(t0), p(t1)], ink.stroke_width(3)))
            .map_err(|e| format!("{e:?}"))?;
    }
    Ok(())
}

/// The case.toml lines for a view's regions, with where each came from.
#[must_use]
pub fn toml_lines(view: &str, regions: &Regions, roi_origin: Origin) -> Vec<String> {
    let quoted = if view.contains(' ') {
        format!("\"{view}\"")
    } else {
        view.to_string()
    };
    let mut out = vec![format!("[view.{quoted}]")];
    out.push(format!(
        "roi = {}{}",
        regions.roi,
        match roi_origin {
            Origin::CaseToml => "    # from case.toml",
            Origin::Suggested if matches!(regions.control, Some((_, Origin::CaseToml))) => {
                "    # the default: the largest region every visit covers beside the control region"
            }
            Origin::Suggested => "    # the default: the largest region every visit covers",
        }
    ));
    if let Some((c, origin)) = regions.control {
        out.push(format!(
            "control = {c}{}",
            match origin {
                Origin::CaseToml => "    # from case.toml",
                Origin::Suggested =>
                    "    # suggested: even skin of the region's brightness outside it; check it was not treated",
            }
        ));
    }
    if let Some(c) = regions.card {
        out.push(format!("card = {c}    # from case.toml"));
    }
    if let Some(s) = regions.mm_per_px {
        out.push(format!("mm_per_px = {}", s.get()));
    }
    if !regions.exclude.is_empty() {
        let list: Vec<String> = regions.exclude.iter().map(Rect::to_string).collect();
        out.push(format!("exclude = [{}]", list.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A grey image with a brighter square where the region is, a dark
    /// patch, a noisy patch and one even patch of the region's brightness.
    fn scene() -> RgbPlanes {
        let (w, h) = (400, 300);
        let y = Plane::from_fn(w, h, |x, y| {
            if (150..300).contains(&x) && (100..250).contains(&y) {
                150.0 // the region
            } else if (20..100).contains(&x) && (20..100).contains(&y) {
                // noisy: a checkerboard around 0.6
                if (x + y) % 2 == 0 { 230.0 } else { 70.0 }
            } else if (300..380).contains(&x) && (20..100).contains(&y) {
                150.0 // even, the region's brightness
            } else {
                80.0
            }
        });
        RgbPlanes::from_grey(y)
    }

    #[test]
    fn the_suggested_control_is_even_skin_of_the_regions_brightness_outside_it() {
        let img = scene();
        let roi = Rect::new(150, 100, 150, 150);
        let c = suggest_control(&img, roi, &[]).expect("a control");
        // side = 150 / 3 = 50; it lies inside the even bright patch
        assert_eq!((c.w, c.h), (50, 50));
        assert!(
            c.x >= 300 && c.x + c.w <= 380 && c.y >= 20 && c.y + c.h <= 100,
            "{c:?}"
        );
        assert!(!c.overlaps(roi));
        // excluding that patch, the next best is not the noisy one
        let c2 = suggest_control(&img, roi, &[Rect::new(290, 0, 110, 120)]).unwrap();
        assert!(!c2.overlaps(Rect::new(20, 20, 80, 80)), "{c2:?}");
    }

    #[test]
    fn the_figure_draws_the_region_in_blue_where_it_is() {
        let img = scene();
        let regions = Regions {
            roi: Rect::new(150, 100, 150, 150),
            control: Some((Rect::new(310, 30, 50, 50), Origin::Suggested)),
            exclude: vec![],
            card: None,
            mm_per_px: MmPerPx::new(0.2),
        };
        let (w, h, rgb) = figure(&img, &regions, Grid::Labelled).unwrap();
        assert_eq!((w, h), (400, 300), "under FIGURE_SIDE: full size");
        // the region's bottom edge (y = 250) half way along: blue
        let at = |x: usize, y: usize| &rgb[(y * w + x) * 3..(y * w + x) * 3 + 3];
        let edge = at(225, 250);
        assert!(edge[2] > 200 && edge[0] < 80, "{edge:?}");
        // inside the region, away from edges, labels and grid: untouched grey
        let inside = at(260, 180);
        assert_eq!(inside[0], inside[2], "{inside:?}");
    }

    #[test]
    fn toml_lines_say_where_each_region_came_from() {
        let regions = Regions {
            roi: Rect::new(1, 2, 30, 40),
            control: Some((Rect::new(5, 6, 16, 16), Origin::Suggested)),
            exclude: vec![],
            card: None,
            mm_per_px: None,
        };
        let lines = toml_lines("left cheek", &regions, Origin::CaseToml);
        assert_eq!(lines[0], "[view.\"left cheek\"]");
        assert!(lines[1].starts_with("roi = [1, 2, 30, 40]") && lines[1].contains("case.toml"));
        assert!(lines[2].starts_with("control = [5, 6, 16, 16]") && lines[2].contains("suggested"));
        // what it prints is valid case.toml
        let doc: toml::Table = toml::from_str(&lines.join("\n")).unwrap();
        assert!(doc["view"]["left cheek"]["roi"].is_array());
    }
}
