//! Overlays: where each metric found its features, drawn over the ROI of the
//! aligned photo in the highlight colours of clinical imaging systems —
//! lines in blue, pores in yellow rings, pigment in brown, redness in red,
//! scar shading in violet. Written as PNG to OUT/overlays/ and embedded
//! (smaller, as JPEG) in the report.

use crate::error::Result;
use crate::measure::Measurements;
use crate::model::Overlay;
use crate::output;
use crate::raster::{RgbPlanes, to_u8};
use std::path::Path;

/// Longest side of an overlay image, px.
const OVERLAY_SIDE: usize = 1200;
/// Longest side of an overlay embedded in the report, px.
const EMBED_SIDE: usize = 800;

/// The overlay kinds, file suffix and plain name.
pub const KINDS: [(&str, &str); 5] = [
    ("lines", "Fine lines"),
    ("pores", "Pores"),
    ("pigment", "Dark spots"),
    ("redness", "Redness"),
    ("scars", "Scar shadows"),
];

#[derive(Clone)]
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<[f32; 3]>,
    scale: f64,
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
        self.px.iter().flat_map(|p| p.map(to_u8)).collect()
    }
    fn resized(&self, side: usize) -> (usize, usize, Vec<u8>) {
        let s = (side as f64 / self.w.max(self.h) as f64).min(1.0);
        let (w, h) = (
            ((self.w as f64 * s).round() as usize).max(1),
            ((self.h as f64 * s).round() as usize).max(1),
        );
        let rgb = self.rgb8();
        if (w, h) == (self.w, self.h) {
            return (w, h, rgb);
        }
        match image::RgbImage::from_raw(self.w as u32, self.h as u32, rgb.clone()) {
            Some(img) => (
                w,
                h,
                image::imageops::resize(
                    &img,
                    w as u32,
                    h as u32,
                    image::imageops::FilterType::Triangle,
                )
                .into_raw(),
            ),
            None => (self.w, self.h, rgb),
        }
    }
}

/// The ROI of `aligned` dimmed to grey-ish, at most `OVERLAY_SIDE` px.
fn base_canvas(aligned: &RgbPlanes, m: &Measurements) -> Canvas {
    let roi = m.roi;
    let scale = (OVERLAY_SIDE as f64 / m.roi.w.max(m.roi.h) as f64).min(1.0);
    let (w, h) = (
        ((m.roi.w as f64 * scale).round() as usize).max(1),
        ((m.roi.h as f64 * scale).round() as usize).max(1),
    );
    let mut px = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let (sx, sy) = (
                ((x as f64 + 0.5) / scale) as usize,
                ((y as f64 + 0.5) / scale) as usize,
            );
            let (sx, sy) = (sx.min(m.roi.w - 1), sy.min(m.roi.h - 1));
            let (sx, sy) = (roi.x + sx, roi.y + sy);
            let v = [
                aligned.r.at(sx, sy),
                aligned.g.at(sx, sy),
                aligned.b.at(sx, sy),
            ]
            .map(|c| if c.is_finite() { c } else { 0.0 });
            // desaturate a little so the highlights stand out
            let grey = 0.3 * v[0] + 0.59 * v[1] + 0.11 * v[2];
            px.push(v.map(|c| 0.55 * c + 0.35 * grey));
        }
    }
    Canvas { w, h, px, scale }
}

fn mask_tint(c: &mut Canvas, mask: &[bool], roi_w: usize, roi_h: usize, colour: [f32; 3]) {
    if mask.len() != roi_w * roi_h {
        return;
    }
    for y in 0..c.h {
        for x in 0..c.w {
            let (sx, sy) = (
                (((x as f64 + 0.5) / c.scale) as usize).min(roi_w - 1),
                (((y as f64 + 0.5) / c.scale) as usize).min(roi_h - 1),
            );
            if mask[sy * roi_w + sx] {
                c.blend(x, y, colour, 0.6);
            }
        }
    }
}

/// Renders every overlay of one capture, writes the PNGs as
/// `OUT/overlays/{stem}_{kind}.png`, and returns them as JPEGs for the report.
///
/// # Errors
/// [`crate::Error::Write`] when a file cannot be written.
pub fn render_all(
    aligned: &RgbPlanes,
    m: &Measurements,
    out_dir: &Path,
    stem: &str,
) -> Result<Vec<Overlay>> {
    let _t = crate::timing::span("overlays");
    let Some(maps) = &m.maps else {
        return Ok(Vec::new());
    };
    let (rw, rh) = maps.size;
    let mut out = Vec::new();
    let base = base_canvas(aligned, m);
    for (kind, _) in KINDS {
        let mut c = base.clone();
        match kind {
            "lines" => {
                let r = (1.2 * c.scale).round().max(1.0) as isize;
                for (i, &on) in maps.wrinkle_lines.iter().enumerate() {
                    if on {
                        let (x, y) = ((i % rw) as f64 * c.scale, (i / rw) as f64 * c.scale);
                        c.dot(x, y, r, [40.0, 140.0, 255.0], 0.85);
                    }
                }
            }
            "pores" => {
                for b in &maps.pores {
                    c.ring(
                        f64::from(b.x) * c.scale,
                        f64::from(b.y) * c.scale,
                        (b.radius() * c.scale).max(2.0) + 1.0,
                        [255.0, 220.0, 40.0],
                    );
                }
            }
            "pigment" => {
                if maps.pigmented.is_empty() {
                    continue;
                }
                mask_tint(&mut c, &maps.pigmented, rw, rh, [150.0, 80.0, 20.0]);
            }
            "redness" => {
                if maps.red.is_empty() {
                    continue;
                }
                mask_tint(&mut c, &maps.red, rw, rh, [235.0, 30.0, 60.0]);
            }
            _ => {
                let Some((shade, step)) = &maps.shading else {
                    continue;
                };
                let step = *step;
                // violet with opacity growing with the top-hat depth (saturates at 3 %)
                for y in 0..c.h {
                    for x in 0..c.w {
                        let (sx, sy) = (
                            (((x as f64 + 0.5) / c.scale) as usize).min(rw - 1),
                            (((y as f64 + 0.5) / c.scale) as usize).min(rh - 1),
                        );
                        let (mx, my) = (
                            (sx / step).min(shade.width() - 1),
                            (sy / step).min(shade.height() - 1),
                        );
                        let a = (shade.at(mx, my) / 3.0).clamp(0.0, 1.0) * 0.75;
                        if a > 0.02 {
                            c.blend(x, y, [170.0, 60.0, 230.0], a);
                        }
                    }
                }
            }
        }
        let path = out_dir.join("overlays").join(format!("{stem}_{kind}.png"));
        output::write_atomic(&path, &output::png_rgb8(&path, c.w, c.h, &c.rgb8())?)?;
        let (ew, eh, small) = c.resized(EMBED_SIDE);
        out.push(Overlay {
            kind: kind.to_string(),
            jpeg: output::jpeg_output(&path, ew, eh, &small, 82)?,
        });
    }
    Ok(out)
}
