//! A lost part of a photo that a decoder filled and someone saved again:
//! the file is whole, but a run of its 16×16 blocks (in scan order) is one
//! flat colour. A decoder that meets the end of a JPEG's data early keeps
//! its last DC value and fills every block after it with that colour (grey
//! where it resets); re-saving that picture gives a file whose scan covers
//! its frame, so the walk of [`super::scan`] finds nothing. A camera's
//! photo has no flat 16×16 block outside clipped black or white: its noise
//! alone varies every block. A drawn picture may have many, but then it
//! has them before the run too, around whatever is drawn. A decoder that
//! repeats the last row it decoded instead leaves a smear: every row after
//! it the same ([`smeared_tail`]).

use crate::raster::Plane;

/// Side of the blocks compared: the largest JPEG MCU (4:2:0 subsampling).
const BLOCK: usize = 16;

/// Smallest share of the image the flat run must cover.
const MIN_SHARE: f64 = 0.02;

/// Largest share of the image that may be flat blocks before the run (a
/// photo has none; a drawing more).
const MAX_FLAT_BEFORE: f64 = 0.01;

/// A colour within this share of the scale from black or white is clipped
/// (flat blocks there are a photo's own), not a fill.
const CLIPPED: f32 = 0.125;

/// The flat run found: where it starts and what share of the image it covers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Fill {
    /// The first pixel row of the run's first block (stored orientation).
    pub(super) row: usize,
    /// The run's share of the image's whole blocks.
    pub(super) share: f64,
}

/// The longest run of identical flat blocks of `planes` (as stored, before
/// any orientation; samples up to `full`), when it covers more than a row
/// of blocks and [`MIN_SHARE`] of them, starts after at least a row of
/// blocks, is not the whole image, and at most [`MAX_FLAT_BEFORE`] of the
/// blocks before it are flat; `None` otherwise.
pub(super) fn lost_part(planes: &[Plane], full: f32) -> Option<Fill> {
    let first = planes.first()?;
    let (bw, bh) = (first.width() / BLOCK, first.height() / BLOCK);
    let n = bw * bh;
    if bw < 2 || bh < 2 {
        return None;
    }
    let flat = |k: usize| -> Option<Vec<f32>> {
        let (x0, y0) = ((k % bw) * BLOCK, (k / bw) * BLOCK);
        let colour: Vec<f32> = planes.iter().map(|p| p.row(y0)[x0]).collect();
        let same = planes.iter().zip(&colour).all(|(p, &c)| {
            (y0..y0 + BLOCK).all(|y| p.row(y)[x0..x0 + BLOCK].iter().all(|&v| v == c))
        });
        let clipped = colour.iter().all(|&c| c <= CLIPPED * full)
            || colour.iter().all(|&c| c >= (1.0 - CLIPPED) * full);
        (same && !clipped).then_some(colour)
    };
    let blocks: Vec<Option<Vec<f32>>> = (0..n).map(flat).collect();
    // the longest run of one flat colour, the first of equal length
    let (mut best, mut start) = ((0, 0), 0);
    for k in 1..=n {
        let continues = k < n && blocks[k].is_some() && blocks[k] == blocks[start];
        if !continues {
            if blocks[start].is_some() && k - start > best.1 {
                best = (start, k - start);
            }
            start = k;
        }
    }
    let (start, len) = best;
    let flat_before = blocks[..start].iter().filter(|b| b.is_some()).count();
    let share = len as f64 / n as f64;
    (len > bw
        && len < n
        && start >= bw
        && share >= MIN_SHARE
        && flat_before as f64 <= MAX_FLAT_BEFORE * n as f64)
        .then_some(Fill {
            row: (start / bw) * BLOCK,
            share,
        })
}

/// The row that every row after it to the end of `planes` (as stored)
/// repeats, with those rows, when they are at least [`MIN_SHARE`] of the
/// image and more than a row of blocks, start after at least a row of
/// blocks, are not of one colour (a flat fill is [`lost_part`]'s, a
/// clipped band a photo's own), and at most [`MAX_FLAT_BEFORE`] of the rows
/// before them repeat the row above: what a decoder that repeats the last
/// row it decoded leaves. `None` otherwise.
pub(super) fn smeared_tail(planes: &[Plane]) -> Option<Fill> {
    let first = planes.first()?;
    let h = first.height();
    let repeats = |y: usize| planes.iter().all(|p| p.row(y) == p.row(y - 1));
    // the row that is copied down, and the rows that show it
    let start = (1..h).rev().take_while(|&y| repeats(y)).last()? - 1;
    let rows = h - start;
    let uniform = planes.iter().all(|p| {
        let row = p.row(start);
        row.iter().all(|&v| v == row[0])
    });
    let repeated_before = (1..start).filter(|&y| repeats(y)).count();
    let share = rows as f64 / h as f64;
    (rows > BLOCK
        && start >= BLOCK
        && share >= MIN_SHARE
        && !uniform
        && repeated_before as f64 <= MAX_FLAT_BEFORE * h as f64)
        .then_some(Fill { row: start, share })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::Rect;

    /// A 128 × 96 picture with noise-like texture everywhere (no two
    /// neighbouring samples alike).
    fn textured() -> Vec<Plane> {
        (0..3)
            .map(|c| {
                Plane::from_fn(128, 96, |x, y| {
                    ((x * 37 + y * 101 + c * 53) % 199 + 20) as f32
                })
            })
            .collect()
    }

    /// Samples `from..to` (in reading order) of each plane set to `colour`.
    fn fill(planes: &mut [Plane], from: usize, to: usize, colour: [f32; 3]) {
        for (p, c) in planes.iter_mut().zip(colour) {
            p.data_mut()[from..to].fill(c);
        }
    }

    #[test]
    fn a_filled_tail_or_band_is_found_and_where_it_starts() {
        let (w, h) = (128, 96);
        // from the middle of block row 3 to the end: rows 3.5..6 of 6
        let mut tail = textured();
        fill(&mut tail, 48 * w + 64, w * h, [128.0, 128.0, 128.0]);
        let found = lost_part(&tail, 255.0).unwrap();
        assert_eq!(found.row, 48);
        // 2 blocks of row 3 are partly textured (x 64..79 starts a block
        // at 64: 4 whole blocks), then 2 rows of 8: 20 of 48
        assert!((found.share - 20.0 / 48.0).abs() < 1e-12, "{found:?}");
        // a band of another colour in the middle, texture after it
        let mut band = textured();
        fill(&mut band, 32 * w, 64 * w, [90.0, 60.0, 40.0]);
        let found = lost_part(&band, 255.0).unwrap();
        assert_eq!((found.row, found.share), (32, 16.0 / 48.0));
    }

    #[test]
    fn a_tail_that_repeats_its_first_row_is_a_smear() {
        let (w, h) = (128, 96);
        let mut smear = textured();
        for p in &mut smear {
            let last: Vec<f32> = p.row(59).to_vec();
            for y in 60..h {
                p.row_mut(y).copy_from_slice(&last);
            }
        }
        // the row that was copied is the first of the run
        assert_eq!(
            smeared_tail(&smear),
            Some(Fill {
                row: 59,
                share: 37.0 / 96.0
            })
        );
        // not: a photo, a flat or short tail, one from the top, a drawing
        // whose rows repeat throughout
        assert_eq!(smeared_tail(&textured()), None);
        let mut flat = textured();
        fill(&mut flat, 60 * w, w * h, [128.0; 3]);
        assert_eq!(smeared_tail(&flat), None);
        let short: Vec<Plane> = smear
            .iter()
            .map(|p| p.crop(Rect::new(0, 0, w, 75)))
            .collect();
        assert_eq!(smeared_tail(&short), None);
        let ramp: Vec<Plane> = (0..3)
            .map(|_| Plane::from_fn(w, h, |x, _| x as f32))
            .collect();
        assert_eq!(smeared_tail(&ramp), None);
    }

    #[test]
    fn clipped_drawn_small_or_whole_flat_areas_are_not_a_fill() {
        let (w, h) = (128, 96);
        assert_eq!(lost_part(&textured(), 255.0), None);
        // clipped to white or black: a photo's own
        for v in [255.0, 250.0, 3.0] {
            let mut clipped = textured();
            fill(&mut clipped, 48 * w, w * h, [v; 3]);
            assert_eq!(lost_part(&clipped, 255.0), None, "{v}");
        }
        // a drawing: flat background before the drawn part as well
        let mut drawn = textured();
        fill(&mut drawn, 0, 16 * w, [128.0; 3]);
        fill(&mut drawn, 48 * w, w * h, [128.0; 3]);
        assert_eq!(lost_part(&drawn, 255.0), None);
        // flat from the first row: nothing was decoded before it
        let mut top = textured();
        fill(&mut top, 0, 48 * w, [128.0; 3]);
        assert_eq!(lost_part(&top, 255.0), None);
        // one row of blocks or less, and the whole picture
        let mut row = textured();
        fill(&mut row, 80 * w, w * h, [128.0; 3]);
        assert_eq!(lost_part(&row, 255.0), None);
        let mut whole = textured();
        fill(&mut whole, 0, w * h, [128.0; 3]);
        assert_eq!(lost_part(&whole, 255.0), None);
        // the scale is the file's own: 250 is clipped in 8 bits, 30 000 is
        // mid-grey in 16
        let mut deep = textured();
        fill(&mut deep, 48 * w, w * h, [30000.0; 3]);
        assert!(lost_part(&deep, 65535.0).is_some());
        assert_eq!(lost_part(&deep, 255.0), None);
    }
}
