//! Overlays: where each metric found its features, drawn over the ROI of the
//! aligned photo in the highlight colours of clinical imaging systems —
//! lines in blue, pores in yellow rings, pigment in brown, redness in red,
//! scar shading in violet. Written as PNG to OUT/overlays/ (each photo's
//! own detections) and embedded (smaller, as JPEG) in the report, which
//! draws lines, pores and dark spots where the first visit's were found.

use crate::error::Result;
use crate::measure::{FeatureMaps, Measurements, Tracked};
use crate::model::Overlay;
use crate::output;
use crate::raster::{RgbPlanes, to_u8};
use rayon::prelude::*;
use std::path::Path;

/// Longest side of an overlay image, px.
const OVERLAY_SIDE: usize = 1200;
/// Longest side of an overlay embedded in the report, px.
const EMBED_SIDE: usize = 800;

/// The overlay kinds, file suffix and plain name.
pub const KINDS: [(&str, &str); 6] = [
    ("lines", "Fine lines"),
    ("pores", "Pores"),
    ("pigment", "Dark spots"),
    ("redness", "Redness"),
    ("scars", "Scar shadows"),
    (NUMBERED_SCARS, "Scars, numbered as in the chart"),
];

/// The overlay kind of a depth map with each tracked scar outlined and
/// numbered (height data; drawn by [`numbered_scars`]).
pub const NUMBERED_SCARS: &str = "scar_numbers";

/// One scar to outline: its id (as in the per-scar chart), centre and
/// radius in pixels of the image drawn on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScarMark {
    /// Id of the tracked scar.
    pub id: usize,
    /// Centre, px.
    pub centre: (f64, f64),
    /// Radius of a disc of the scar's area, px.
    pub radius: f64,
}

/// Outlines each scar of `marks` on the `w`×`h` RGB8 image `rgb` (a ring
/// a little wider than a disc of its area) and writes its id beside it.
///
/// # Errors
/// [`crate::Error::Failed`] when the text cannot be drawn (font).
pub fn numbered_scars(rgb: &mut [u8], w: usize, h: usize, marks: &[ScarMark]) -> Result<()> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    crate::plot::register_font();
    let fail = |e: String| crate::Error::Failed {
        path: "overlays".into(),
        problem: format!("cannot draw the scar numbers: {e}"),
    };
    let (wu, hu) = (
        u32::try_from(w).map_err(|e| fail(e.to_string()))?,
        u32::try_from(h).map_err(|e| fail(e.to_string()))?,
    );
    let root = BitMapBackend::with_buffer(rgb, (wu, hu)).into_drawing_area();
    // text and rings scale with the image: readable when shown 800 px wide
    let px = (w.max(h) as f64 / 800.0).max(1.0);
    let font = (18.0 * px).round() as u32;
    let ink = RGBColor(20, 60, 200);
    for m in marks {
        let (x, y) = (m.centre.0.round() as i32, m.centre.1.round() as i32);
        let r = (m.radius * 1.3 + 3.0 * px).round() as i32;
        let stroke = (2.0 * px).round().max(2.0) as u32;
        root.draw(&Circle::new((x, y), r, WHITE.stroke_width(stroke + 2)))
            .map_err(|e| fail(format!("{e:?}")))?;
        root.draw(&Circle::new((x, y), r, ink.stroke_width(stroke)))
            .map_err(|e| fail(format!("{e:?}")))?;
        let at = (x + r + 2, y - r);
        let style = TextStyle::from(("sans-serif", font).into_font())
            .pos(Pos::new(HPos::Left, VPos::Center))
            .color(&ink);
        let label = m.id.to_string();
        let (tw, th) = root
            .estimate_text_size(&label, &style)
            .map_err(|e| fail(format!("{e:?}")))?;
        let (tw, th) = (
            i32::try_from(tw).unwrap_or(0),
            i32::try_from(th).unwrap_or(0),
        );
        root.draw(&Rectangle::new(
            [
                (at.0 - 2, at.1 - th / 2 - 2),
                (at.0 + tw + 2, at.1 + th / 2 + 2),
            ],
            WHITE.mix(0.85).filled(),
        ))
        .map_err(|e| fail(format!("{e:?}")))?;
        root.draw(&Text::new(label, at, style))
            .map_err(|e| fail(format!("{e:?}")))?;
    }
    root.present().map_err(|e| fail(format!("{e:?}")))?;
    Ok(())
}

#[derive(Clone)]
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<[f32; 3]>,
    scale: f64,
    /// The ROI column and row under each canvas column and row (nearest).
    src_x: Vec<usize>,
    src_y: Vec<usize>,
}

impl Canvas {
    fn blend(&mut self, x: usize, y: usize, c: [f32; 3], a: f32) {
        if x < self.w && y < self.h {
            let p = &mut self.px[y * self.w + x];
            for k in 0..3 {
                p[k] = p[k] * (1.0 - a) + c[k] * a;
            }
        }
    }
    fn dot(&mut self, x: f64, y: f64, r: isize, c: [f32; 3], a: f32) {
        let (cx, cy) = (x.round() as isize, y.round() as isize);
        for dy in -r..=r {
            for dx in -r..=r {
                if dx * dx + dy * dy <= r * r && cx + dx >= 0 && cy + dy >= 0 {
                    self.blend((cx + dx) as usize, (cy + dy) as usize, c, a);
                }
            }
        }
    }
    fn ring(&mut self, x: f64, y: f64, r: f64, c: [f32; 3]) {
        let steps = (r * 8.0).ceil().max(12.0) as usize;
        for i in 0..steps {
            let t = i as f64 / steps as f64 * std::f64::consts::TAU;
            let (px, py) = (x + r * t.cos(), y + r * t.sin());
            if px >= 0.0 && py >= 0.0 {
                self.blend(px.round() as usize, py.round() as usize, c, 0.9);
            }
        }
    }
    fn rgb8(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.px.len() * 3];
        for (o, p) in out.chunks_exact_mut(3).zip(&self.px) {
            o.copy_from_slice(&p.map(to_u8));
        }
        out
    }
    /// This canvas at most `side` px a side, as 8-bit RGB: its
    /// [`Canvas::rgb8`] when it fits (`rgb`, when already made).
    fn rgb8_within(&self, rgb: Option<Vec<u8>>, side: usize) -> (usize, usize, Vec<u8>) {
        let s = (side as f64 / self.w.max(self.h) as f64).min(1.0);
        let (w, h) = (
            ((self.w as f64 * s).round() as usize).max(1),
            ((self.h as f64 * s).round() as usize).max(1),
        );
        if (w, h) == (self.w, self.h) {
            return (w, h, rgb.unwrap_or_else(|| self.rgb8()));
        }
        let small =
            crate::resample::area_resize::<3>(self.px.as_flattened(), (self.w, self.h), (w, h));
        (w, h, small.into_iter().map(to_u8).collect())
    }
}

/// The ROI pixel under each of `n` canvas pixels of a `scale`d ROI side of
/// `side` pixels (nearest: the canvas pixel's centre).
fn sources(n: usize, scale: f64, side: usize) -> Vec<usize> {
    (0..n)
        .map(|i| (((i as f64 + 0.5) / scale) as usize).min(side.saturating_sub(1)))
        .collect()
}

/// The ROI's pixels `roi_img` dimmed to grey-ish, at most `OVERLAY_SIDE` px.
fn base_canvas(roi_img: &RgbPlanes, m: &Measurements) -> Canvas {
    let scale = (OVERLAY_SIDE as f64 / m.roi.w.max(m.roi.h) as f64).min(1.0);
    let (w, h) = (
        ((m.roi.w as f64 * scale).round() as usize).max(1),
        ((m.roi.h as f64 * scale).round() as usize).max(1),
    );
    let (rw, rh) = (m.roi.w.min(roi_img.width()), m.roi.h.min(roi_img.height()));
    let (src_x, src_y) = (sources(w, scale, rw), sources(h, scale, rh));
    let mut px = Vec::with_capacity(w * h);
    for &sy in &src_y {
        let rows = [roi_img.r.row(sy), roi_img.g.row(sy), roi_img.b.row(sy)];
        for &sx in &src_x {
            let v = rows
                .map(|r| r[sx])
                .map(|c| if c.is_finite() { c } else { 0.0 });
            // desaturate a little so the highlights stand out
            let grey = 0.3 * v[0] + 0.59 * v[1] + 0.11 * v[2];
            px.push(v.map(|c| 0.55 * c + 0.35 * grey));
        }
    }
    Canvas {
        w,
        h,
        px,
        scale,
        src_x,
        src_y,
    }
}

fn mask_tint(c: &mut Canvas, mask: &[bool], roi_w: usize, roi_h: usize, colour: [f32; 3]) {
    if roi_w == 0
        || roi_h == 0
        || mask.len() != roi_w * roi_h
        || c.src_x.iter().any(|&x| x >= roi_w)
    {
        return;
    }
    for y in 0..c.h {
        let row = &mask[c.src_y[y].min(roi_h - 1) * roi_w..][..roi_w];
        for x in 0..c.w {
            if row[c.src_x[x]] {
                c.blend(x, y, colour, 0.6);
            }
        }
    }
}

/// Top-hat shading at least this deep (% of the mean luminance) is marked:
/// half the depth where the old tint saturated, so the marks are the
/// clearly shaded hollows, not the skin's general unevenness.
const SHADE_MARK_PCT: f32 = 1.5;

/// The shaded hollows of the scar-shading map, smooth (bilinear from the
/// coarse map, not its blocks): a light violet fill with a solid outline.
fn shade_outlines(
    c: &mut Canvas,
    shade: &crate::raster::Plane,
    step: usize,
    (rw, rh): (usize, usize),
) {
    let (mw, mh) = (shade.width(), shade.height());
    if mw == 0 || mh == 0 || step == 0 {
        return;
    }
    let value = |x: usize, y: usize| -> f32 {
        // canvas pixel → ROI pixel → map position (cell centres at step/2)
        let sx = ((x as f64 + 0.5) / c.scale).min(rw as f64 - 1.0);
        let sy = ((y as f64 + 0.5) / c.scale).min(rh as f64 - 1.0);
        let (fx, fy) = (
            (sx / step as f64 - 0.5).clamp(0.0, (mw - 1) as f64),
            (sy / step as f64 - 0.5).clamp(0.0, (mh - 1) as f64),
        );
        let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(mw - 1), (y0 + 1).min(mh - 1));
        let (tx, ty) = ((fx - x0 as f64) as f32, (fy - y0 as f64) as f32);
        let top = shade.at(x0, y0) * (1.0 - tx) + shade.at(x1, y0) * tx;
        let bottom = shade.at(x0, y1) * (1.0 - tx) + shade.at(x1, y1) * tx;
        top * (1.0 - ty) + bottom * ty
    };
    let mask: Vec<bool> = (0..c.h)
        .flat_map(|y| (0..c.w).map(move |x| (x, y)))
        .map(|(x, y)| value(x, y) >= SHADE_MARK_PCT)
        .collect();
    let violet = [150.0, 40.0, 210.0];
    for y in 0..c.h {
        for x in 0..c.w {
            if !mask[y * c.w + x] {
                continue;
            }
            let edge = x == 0
                || y == 0
                || x + 1 == c.w
                || y + 1 == c.h
                || !mask[y * c.w + x - 1]
                || !mask[y * c.w + x + 1]
                || !mask[(y - 1) * c.w + x]
                || !mask[(y + 1) * c.w + x];
            c.blend(x, y, violet, if edge { 0.95 } else { 0.22 });
        }
    }
}

/// The kinds the report draws where the features were found at the first
/// visit, at the same places in every photo, as the claims measure them
/// (`measure::tracked`): a photo's own detections pass one fixed threshold,
/// so a little less strength, or a softer photo, drops much of them (40–85 %
/// fewer marks beside "no change"). The PNGs of `overlays/` keep each
/// photo's own detections, for the practitioner.
pub const AT_FIRST_VISIT_PLACES: [&str; 3] = ["lines", "pores", "pigment"];

/// What a highlight marks: one photo's own detections, or the features found
/// at the first visit (the places every later photo is measured at).
#[derive(Clone, Copy)]
enum Marks<'a> {
    Own,
    FirstVisit(&'a Tracked),
}

/// Draws the highlight `kind` from `marks` on `c` over a `rw`×`rh` ROI
/// (`maps`: this photo's own detections); `false` when this photo has
/// nothing of that kind to draw.
fn draw(
    c: &mut Canvas,
    kind: &str,
    marks: Marks,
    maps: &FeatureMaps,
    (rw, rh): (usize, usize),
) -> bool {
    let blue = [40.0, 140.0, 255.0];
    match (kind, marks) {
        ("lines", Marks::Own) => {
            let r = (1.2 * c.scale).round().max(1.0) as isize;
            for (i, &on) in maps.wrinkle_lines.iter().enumerate() {
                if on {
                    let (x, y) = ((i % rw) as f64 * c.scale, (i / rw) as f64 * c.scale);
                    c.dot(x, y, r, blue, 0.85);
                }
            }
        }
        // the centre lines widened by a pixel each side: a line as wide as
        // the dots above, at the canvas's scale
        ("lines", Marks::FirstVisit(t)) => {
            // none of the first visit's lines was long enough to track
            if !t.lines.contains(&true) {
                return false;
            }
            mask_tint(c, &t.lines, rw, rh, blue);
        }
        ("pores", _) => {
            let blobs = match marks {
                Marks::Own => &maps.pores,
                Marks::FirstVisit(t) => &t.pore_blobs,
            };
            for b in blobs {
                c.ring(
                    f64::from(b.x) * c.scale,
                    f64::from(b.y) * c.scale,
                    (b.radius() * c.scale).max(2.0) + 1.0,
                    [255.0, 220.0, 40.0],
                );
            }
        }
        ("pigment", _) => {
            if maps.pigmented.is_empty() {
                return false;
            }
            let mask = match marks {
                Marks::Own => &maps.pigmented,
                Marks::FirstVisit(t) => &t.pigment,
            };
            mask_tint(c, mask, rw, rh, [150.0, 80.0, 20.0]);
        }
        ("redness", _) => {
            if maps.red.is_empty() {
                return false;
            }
            mask_tint(c, &maps.red, rw, rh, [235.0, 30.0, 60.0]);
        }
        (NUMBERED_SCARS, _) => return false,
        _ => {
            let Some((shade, step)) = &maps.shading else {
                return false;
            };
            shade_outlines(c, shade, *step, (rw, rh));
        }
    }
    true
}

/// Renders every overlay of one capture over `roi_img` (the pixels of its
/// measured region, `m.roi`), writes the PNGs (this photo's own detections)
/// as `OUT/overlays/{stem}_{kind}.png`, and returns the report's JPEGs (the
/// kinds of [`AT_FIRST_VISIT_PLACES`] at the first visit's places).
///
/// # Errors
/// [`crate::Error::Write`] when a file cannot be written.
pub fn render_all(
    roi_img: &RgbPlanes,
    m: &Measurements,
    out_dir: &Path,
    stem: &str,
) -> Result<Vec<Overlay>> {
    let _t = crate::timing::span("overlays");
    let Some(maps) = &m.maps else {
        return Ok(Vec::new());
    };
    let size = maps.size;
    let base = base_canvas(roi_img, m);
    // one kind per task: each PNG and JPEG encoder runs on one core
    let drawn = KINDS
        .par_iter()
        .map(|&(kind, _)| -> Result<Option<Overlay>> {
            let mut c = base.clone();
            if !draw(&mut c, kind, Marks::Own, maps, size) {
                return Ok(None);
            }
            let path = out_dir.join("overlays").join(format!("{stem}_{kind}.png"));
            let rgb = c.rgb8();
            output::write_atomic(&path, &output::png_rgb8(&path, c.w, c.h, &rgb)?)?;
            let (shown, rgb) = if AT_FIRST_VISIT_PLACES.contains(&kind) {
                let mut t = base.clone();
                // nothing tracked of that kind: the report has nothing to show
                if !draw(&mut t, kind, Marks::FirstVisit(&m.tracked), maps, size) {
                    return Ok(None);
                }
                (t, None)
            } else {
                (c, Some(rgb))
            };
            let (ew, eh, small) = shown.rgb8_within(rgb, EMBED_SIDE);
            Ok(Some(Overlay {
                kind: kind.to_string(),
                jpeg: output::jpeg_output(&path, ew, eh, &small, 82)?,
            }))
        });
    // in KINDS order, whatever order the tasks finish in
    let drawn: Vec<Option<Overlay>> = drawn.collect::<Result<_>>()?;
    Ok(drawn.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pixels of a pore's ring (bright yellow on mid-grey; the report's JPEG
    /// keeps a thin ring's brightness, not its colour) within 9 px of
    /// `(cx, cy)` of a `w`-wide RGB8 image.
    fn ring_near(rgb: &[u8], w: usize, (cx, cy): (usize, usize)) -> usize {
        (cy - 9..=cy + 9)
            .flat_map(|y| (cx - 9..=cx + 9).map(move |x| (x, y)))
            .filter(|&(x, y)| rgb[(y * w + x) * 3..][..2].iter().all(|&v| v > 160))
            .count()
    }

    #[test]
    fn the_report_rings_the_first_visits_pores_and_the_png_this_photos_own() {
        // a grey 200×100 region; this photo found a pore at (40, 50), the
        // first visit one at (160, 50)
        let (w, h) = (200, 100);
        let pore = |x: f32| crate::measure::pores::Blob {
            x,
            y: 50.0,
            sigma: 3.0,
            response: 1.0,
        };
        let mut first = Tracked::new((w, h), &[], &[pore(160.0)], Vec::new());
        first.control_pores = Vec::new();
        let m = Measurements {
            roi: crate::raster::Rect { x: 0, y: 0, w, h },
            maps: Some(FeatureMaps {
                size: (w, h),
                pores: vec![pore(40.0)],
                ..FeatureMaps::default()
            }),
            tracked: std::sync::Arc::new(first),
            ..Measurements::default()
        };
        let grey = RgbPlanes::from_grey(crate::raster::Plane::filled(w, h, 128.0));
        let out = tempfile::tempdir().unwrap();
        let shown = render_all(&grey, &m, out.path(), "cheek_2026-02-09").unwrap();
        let pores = shown
            .iter()
            .find(|o| o.kind == "pores")
            .expect("a pores overlay");
        let report = image::load_from_memory(&pores.jpeg).unwrap().to_rgb8();
        assert_eq!(report.dimensions(), (200, 100));
        let png = image::open(out.path().join("overlays/cheek_2026-02-09_pores.png"))
            .unwrap()
            .to_rgb8();
        let (report, png) = (report.as_raw(), png.as_raw());
        assert!(
            ring_near(report, w, (160, 50)) > 15,
            "the first visit's pore is ringed"
        );
        assert_eq!(ring_near(report, w, (40, 50)), 0, "this photo's own is not");
        assert!(
            ring_near(png, w, (40, 50)) > 15,
            "the PNG rings this photo's own"
        );
        assert_eq!(ring_near(png, w, (160, 50)), 0);
    }

    #[test]
    fn lines_found_but_none_tracked_are_in_the_png_and_not_in_the_report() {
        // this photo found a short line; the first visit tracked none (no
        // line long enough): an empty highlight is not offered
        let (w, h) = (200, 100);
        let mut own = vec![false; w * h];
        for x in 50..70 {
            own[50 * w + x] = true;
        }
        let m = Measurements {
            roi: crate::raster::Rect { x: 0, y: 0, w, h },
            maps: Some(FeatureMaps {
                size: (w, h),
                wrinkle_lines: own,
                ..FeatureMaps::default()
            }),
            tracked: std::sync::Arc::new(Tracked::new(
                (w, h),
                &vec![false; w * h],
                &[],
                Vec::new(),
            )),
            ..Measurements::default()
        };
        let grey = RgbPlanes::from_grey(crate::raster::Plane::filled(w, h, 128.0));
        let out = tempfile::tempdir().unwrap();
        let shown = render_all(&grey, &m, out.path(), "cheek_2026-02-09").unwrap();
        assert!(shown.iter().all(|o| o.kind != "lines"));
        assert!(
            out.path()
                .join("overlays/cheek_2026-02-09_lines.png")
                .exists()
        );
    }

    #[test]
    fn numbered_scars_ring_each_scar_and_leave_its_centre_visible() {
        // a white 200×200 image, one scar of radius 20 px at (80, 100): the
        // ring is drawn at 1.3·20 + 3 = 29 px, so the pixel 29 px left of
        // the centre is inked and the centre itself is not
        let (w, h) = (200, 200);
        let mut rgb = vec![255u8; w * h * 3];
        let mark = ScarMark {
            id: 7,
            centre: (80.0, 100.0),
            radius: 20.0,
        };
        numbered_scars(&mut rgb, w, h, &[mark]).unwrap();
        let px = |x: usize, y: usize| &rgb[(y * w + x) * 3..(y * w + x) * 3 + 3];
        assert_eq!(px(80, 100), [255, 255, 255], "the centre stays visible");
        let ring = px(80 - 29, 100);
        assert!(ring[2] > ring[0] + 60, "a blue ring at 29 px: {ring:?}");
        // the number is written to the right of the ring: some dark blue
        // pixels in the band x 110..150, y 60..85
        let inked = (110..150)
            .flat_map(|x| (60..85).map(move |y| (x, y)))
            .filter(|&(x, y)| px(x, y)[0] < 120)
            .count();
        assert!(inked > 10, "the id is drawn ({inked} dark pixels)");
    }
}
