//! The tone curve read from a grey-step reference card in the frame
//! (`card = [x, y, w, h]` in case.toml: a sticker on the skin beside the
//! measured region, in every photo).
//!
//! A changed tone curve (gamma) scales every log contrast, a colour
//! excess over the control region too, and on a frame of even skin
//! nothing tells it from a changed skin colour (the skin's own log spread
//! is a few hundredths). A card's steps span a factor of several in light:
//! the slope of the capture's log light on the baseline's over them,
//! channel by channel with a level of each channel's own (exposure and
//! white balance), is the capture's contrast relative to the baseline.
//!
//! The card is read on the frame reduced for the shading field, in cells
//! of [`CELL`] × [`CELL`] of its pixels. A cell is used where it and its
//! four neighbours have the same baseline light within [`FLAT`] (inside a
//! step, not across an edge, where a blur or a fraction of a pixel's
//! misalignment mixes two steps) and no pixel is clipped, crushed or
//! outside the photo in either capture.

use super::robust_fit;
use crate::measure::colour::LinearLut;
use crate::raster::{Rect, RgbPlanes, luminance_f64};
use crate::stats::robust_sigma;

/// Side of a cell, pixels of the reduced frame.
const CELL: usize = 4;
/// Largest relative difference of a cell's baseline light from each of
/// its four neighbours' for the cell to count as inside one step.
const FLAT: f64 = 0.04;
/// Fewest usable cells for a reading.
const MIN_CELLS: usize = 12;
/// Smallest robust spread (1.4826 × MAD) of the usable cells' log light
/// at baseline: the card must span light and dark steps, else it is no
/// lever on the slope (six steps of 10–66 % grey spread by about 0.7; even
/// skin by 0.01–0.02).
const MIN_SPREAD: f64 = 0.25;
/// Encoded values at or beyond which a pixel is clipped or crushed.
const CLIPPED: f32 = 250.0;
const CRUSHED: f32 = 5.0;

/// Mean linear red, green and blue of each cell of the card (`None`: a
/// pixel clipped, crushed or outside the photo), row by row.
#[derive(Clone, Debug, PartialEq)]
pub struct Cells {
    cols: usize,
    means: Vec<Option<[f64; 3]>>,
}

impl Cells {
    /// The cells of `card` (full-resolution px) on `overview`, the frame
    /// reduced by `factor` (pixel i of it at full-resolution i·factor +
    /// (factor − 1)/2).
    #[must_use]
    pub fn of(overview: &RgbPlanes, factor: usize, card: Rect) -> Cells {
        let xs = card_span(factor, card.x, card.w, overview.width());
        let ys = card_span(factor, card.y, card.h, overview.height());
        let (cols, rows) = ((xs.1 - xs.0) / CELL, (ys.1 - ys.0) / CELL);
        let lut = LinearLut::default();
        let mut means = Vec::with_capacity(cols * rows);
        for r in 0..rows {
            for c in 0..cols {
                let (x0, y0) = (xs.0 + c * CELL, ys.0 + r * CELL);
                let mut sum = [0.0; 3];
                let mut usable = true;
                for y in y0..y0 + CELL {
                    let planes = [overview.r.row(y), overview.g.row(y), overview.b.row(y)];
                    for x in x0..x0 + CELL {
                        for (s, row) in sum.iter_mut().zip(&planes) {
                            let v = row[x];
                            usable &= v.is_finite() && v > CRUSHED && v < CLIPPED;
                            *s += lut.get(v);
                        }
                    }
                }
                let n = (CELL * CELL) as f64;
                means.push(usable.then(|| sum.map(|s| s / n)));
            }
        }
        Cells { cols, means }
    }

    /// Whether cell `k` lies inside one step at baseline (`self` the
    /// baseline): it and its four neighbours agree within [`FLAT`].
    fn inside_a_step(&self, k: usize) -> bool {
        let light =
            |k: usize| self.means[k].map(|m| luminance_f64(m[0] as f32, m[1] as f32, m[2] as f32));
        let (c, r) = (k % self.cols, k / self.cols);
        let rows = self.means.len() / self.cols;
        let Some(here) = light(k).filter(|&l| l > 0.0) else {
            return false;
        };
        if c == 0 || r == 0 || c + 1 == self.cols || r + 1 == rows {
            return false;
        }
        [k - 1, k + 1, k - self.cols, k + self.cols]
            .into_iter()
            .all(|n| light(n).is_some_and(|l| (l - here).abs() <= FLAT * here))
    }
}

/// Reduced pixels `[first, end)` whose full-resolution centres lie in
/// `[start, start + len)`, within `n`.
fn card_span(factor: usize, start: usize, len: usize, n: usize) -> (usize, usize) {
    let f = factor.max(1);
    let c = (f - 1) / 2;
    let first = start.saturating_sub(c).div_ceil(f);
    let end = (start.saturating_add(len).saturating_sub(c))
        .div_ceil(f)
        .min(n);
    (first.min(end), end)
}

/// What the card says of a capture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    /// The capture's contrast relative to the baseline's,
    /// `d ln(capture) / d ln(baseline)` over the card's steps; `None` where
    /// fewer than [`MIN_CELLS`] cells are usable in both, the card spans
    /// too little light ([`MIN_SPREAD`]), or the fit fails or reads a
    /// contrast beyond any camera's change (outside ½–1½).
    pub contrast: Option<f64>,
    /// The cells usable in both photos.
    pub cells: usize,
}

/// The capture's contrast read from the card: `base`'s cells against
/// `now`'s.
#[must_use]
pub fn contrast(base: &Cells, now: &Cells) -> Reading {
    let mut read = Reading {
        contrast: None,
        cells: 0,
    };
    if base.cols != now.cols || base.means.len() != now.means.len() {
        return read;
    }
    let pairs: Vec<([f64; 3], [f64; 3])> = (0..base.means.len())
        .filter(|&k| base.inside_a_step(k))
        .filter_map(|k| Some((base.means[k]?, now.means[k]?)))
        .filter(|(b, n)| b.iter().chain(n).all(|&v| v > 0.0))
        .collect();
    read.cells = pairs.len();
    if pairs.len() < MIN_CELLS {
        return read;
    }
    let light: Vec<f64> = pairs
        .iter()
        .map(|(b, _)| luminance_f64(b[0] as f32, b[1] as f32, b[2] as f32).ln())
        .collect();
    if robust_sigma(&light) < MIN_SPREAD {
        return read;
    }
    let mid: [f64; 3] = [0, 1, 2].map(|c| {
        crate::stats::median(&mut pairs.iter().map(|(b, _)| b[c].ln()).collect::<Vec<_>>())
    });
    // ln(now / base) = level of the channel + tone · (ln base − its median)
    let rows: Vec<([f64; 4], f64)> = pairs
        .iter()
        .flat_map(|(b, n)| {
            (0..3).map(move |c| {
                let mut row = [0.0; 4];
                row[c] = 1.0;
                row[3] = b[c].ln() - mid[c];
                (row, (n[c] / b[c]).ln())
            })
        })
        .collect();
    read.contrast = robust_fit(&rows)
        .map(|c| c[3])
        .filter(|tone| tone.abs() <= super::tone::MAX_TONE)
        .map(|tone| 1.0 + tone);
    read
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::{ColourModel, Plane, linear_to_srgb};

    /// A card of six grey steps (linear reflectance 0.08–0.75) across
    /// `w × h` px, each channel's light `gain[c] · reflectance^k`, encoded.
    fn card(w: usize, h: usize, k: f64, gain: [f64; 3]) -> RgbPlanes {
        const STEPS: [f64; 6] = [0.08, 0.15, 0.25, 0.38, 0.55, 0.75];
        let plane = |c: usize| {
            Plane::from_fn(w, h, |x, _| {
                let r = STEPS[x * STEPS.len() / w];
                linear_to_srgb(gain[c] * r.powf(k)).round() as f32
            })
        };
        RgbPlanes {
            r: plane(0),
            g: plane(1),
            b: plane(2),
            model: ColourModel::Rgb,
        }
    }

    #[test]
    fn a_card_reads_the_tone_curve_whatever_the_exposure_and_white_balance() {
        let rect = Rect::new(0, 0, 240, 48);
        let base = Cells::of(&card(240, 48, 1.0, [1.0; 3]), 1, rect);
        for k in [0.9, 0.95, 1.0, 1.05, 1.1] {
            for gain in [[1.0; 3], [0.7, 0.75, 0.8], [1.2, 1.1, 0.95]] {
                let now = Cells::of(&card(240, 48, k, gain), 1, rect);
                let read = contrast(&base, &now);
                let k_read = read.contrast.expect("a card of six steps");
                // the 8-bit rounding of the encoded values is the only error
                assert!(
                    (k_read - k).abs() < 0.01,
                    "k {k}, gain {gain:?}: read {k_read}"
                );
                // 60 × 12 cells, the outer ring and those beside an edge left out
                assert!((200..600).contains(&read.cells), "{read:?}");
            }
        }
    }

    #[test]
    fn a_card_of_one_grey_even_skin_or_a_clipped_card_reads_nothing() {
        let rect = Rect::new(0, 0, 240, 48);
        let base = Cells::of(&card(240, 48, 1.0, [1.0; 3]), 1, rect);
        // clipped: all but the darkest step beyond the encoder's top
        let now = Cells::of(&card(240, 48, 1.0, [9.0; 3]), 1, rect);
        let read = contrast(&base, &now);
        assert_eq!(read.contrast, None, "{read:?}");
        assert!(read.cells < 120, "{read:?}");
        // a card of one grey: no lever on the slope
        let mut flat = card(240, 48, 1.0, [1.0; 3]);
        for p in [&mut flat.r, &mut flat.g, &mut flat.b] {
            p.data_mut().fill(150.0);
        }
        let flat_cells = Cells::of(&flat, 1, rect);
        assert_eq!(contrast(&flat_cells, &flat_cells).contrast, None);
        // the phantom's skin where no card is: its light spreads too little
        let skin = crate::phantom::skin_image(3, 320, 240, 0.05, 0.0);
        let rect = Rect::new(40, 40, 240, 160);
        let cells = Cells::of(&skin, 1, rect);
        assert_eq!(contrast(&cells, &cells).contrast, None);
        // a card wholly outside the photo has no cells
        let outside = Cells::of(&skin, 1, Rect::new(400, 300, 100, 100));
        assert_eq!(contrast(&outside, &outside).cells, 0);
    }

    #[test]
    fn cells_are_taken_on_the_reduced_frame_where_the_card_is() {
        // naive: reduced pixel i has its full-resolution centre at
        // i·f + (f − 1)/2; the span holds those whose centre is in the card
        for f in 1..=6 {
            for start in 0..40 {
                for len in [1, 7, 16, 33] {
                    let n = 30;
                    let inside: Vec<usize> = (0..n)
                        .filter(|&i| {
                            let centre = (i * f) as f64 + (f as f64 - 1.0) / 2.0;
                            centre >= start as f64 && centre < (start + len) as f64
                        })
                        .collect();
                    let (a, b) = card_span(f, start, len, n);
                    let got: Vec<usize> = (a..b).collect();
                    assert_eq!(got, inside, "factor {f}, start {start}, len {len}");
                }
            }
        }
        // a card at an offset on a frame reduced by 3 reads as the same
        // card drawn on the reduced grid itself
        let (w, h) = (240, 48);
        let small = card(w, h, 1.0, [1.0; 3]);
        let frame = RgbPlanes {
            r: Plane::from_fn(w + 10, h + 5, |x, y| {
                if x >= 10 && y >= 5 {
                    small.r.at(x - 10, y - 5)
                } else {
                    0.0
                }
            }),
            g: Plane::from_fn(w + 10, h + 5, |x, y| {
                if x >= 10 && y >= 5 {
                    small.g.at(x - 10, y - 5)
                } else {
                    0.0
                }
            }),
            b: Plane::from_fn(w + 10, h + 5, |x, y| {
                if x >= 10 && y >= 5 {
                    small.b.at(x - 10, y - 5)
                } else {
                    0.0
                }
            }),
            model: ColourModel::Rgb,
        };
        // reduced px 10.. has its centre at 3·10 + 1 = 31 of the frame
        let reduced = Cells::of(&frame, 3, Rect::new(30, 15, 3 * w, 3 * h));
        let direct = Cells::of(&small, 1, Rect::new(0, 0, w, h));
        assert_eq!(reduced, direct);
    }
}
