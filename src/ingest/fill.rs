//! A lost part of a photo that a decoder filled and someone saved again:
//! the file is whole, but a run of its 16×16 blocks (in scan order) is one
//! flat colour (to within the level the second encoder rounds). A decoder that meets the end of a JPEG's data early keeps
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
pub(super) const BLOCK: usize = 16;

/// Smallest share of the image a fill must cover.
pub(super) const MIN_SHARE: f64 = 0.02;

/// Largest share of the image that may be flat blocks before the run (a
/// photo has none; a drawing more).
const MAX_FLAT_BEFORE: f64 = 0.01;

/// Levels (of 255) a filled sample may differ from another: the encoder
/// that saved the fill again rounds some of its samples one level off.
const JITTER: f32 = 1.0;

/// A colour with a channel within this share of the scale from black or
/// white may be clipped (flat blocks there can be a photo's own), and is
/// not taken for a fill.
const CLIPPED: f32 = 0.125;

/// The rows of block `k` (scan order, `bw` blocks a row) of `p`.
fn rows(p: &Plane, bw: usize, k: usize) -> impl Iterator<Item = &[f32]> {
    let (x0, y0) = ((k % bw) * BLOCK, (k / bw) * BLOCK);
    (y0..y0 + BLOCK).map(move |y| &p.row(y)[x0..x0 + BLOCK])
}

/// The flat run found: where it starts and what share of the image it covers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Fill {
    /// The first pixel row of the run (stored orientation; for a flat
    /// run, of its first block).
    pub(super) row: usize,
    /// The run's share of the image (of its whole blocks, for a flat run).
    pub(super) share: f64,
}

/// The longest run of flat blocks of one colour (each sample, and each
/// block's colour, within [`JITTER`] levels) of `planes` (as stored, before
/// any orientation; samples up to `full`), none of whose channels is near
/// black or white, when it covers more than a row of blocks and
/// [`MIN_SHARE`] of them, starts after at least a row of
/// blocks, is not the whole image, and at most [`MAX_FLAT_BEFORE`] of the
/// blocks before it are flat; `None` otherwise.
pub(super) fn lost_part(planes: &[Plane], full: f32) -> Option<Fill> {
    let first = planes.first()?;
    let (bw, bh) = (first.width() / BLOCK, first.height() / BLOCK);
    let n = bw * bh;
    if bw < 2 || bh < 2 {
        return None;
    }
    // a block's colour when it is flat and not clipped (grey: one channel,
    // the others 0); a textured block stops at its second sample
    let level = full / 255.0;
    let flat = |k: usize| -> Option<[f32; 3]> {
        let mut colour = [0.0f32; 3];
        for (c, p) in colour.iter_mut().zip(planes) {
            *c = rows(p, bw, k).next()?[0];
            let same = rows(p, bw, k).all(|r| r.iter().all(|v| (v - *c).abs() <= JITTER * level));
            let clipped = *c <= CLIPPED * full || *c >= (1.0 - CLIPPED) * full;
            if !same || clipped {
                return None;
            }
        }
        Some(colour)
    };
    let blocks: Vec<Option<[f32; 3]>> = (0..n).map(flat).collect();
    // the longest run of one flat colour, the first of equal length
    let (mut best, mut start) = ((0, 0), 0);
    for k in 1..=n {
        let continues = k < n
            && match (blocks[k], blocks[start]) {
                (Some(a), Some(b)) => a
                    .iter()
                    .zip(b)
                    .all(|(a, b)| (a - b).abs() <= JITTER * level),
                _ => false,
            };
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

/// The rows of `planes` (as stored) that each repeat the row above, from
/// one to the end, when they are more than a row of blocks and
/// [`MIN_SHARE`] of the image, start after at least a row of blocks, are
/// not of one colour (a flat fill is [`lost_part`]'s, a clipped band a
/// photo's own), and at most [`MAX_FLAT_BEFORE`] of the rows before them
/// repeat the row above: what a decoder that repeats the last row it
/// decoded leaves. `None` otherwise.
pub(super) fn smeared_tail(planes: &[Plane]) -> Option<Fill> {
    let first = planes.first()?;
    let h = first.height();
    let repeats = |y: usize| planes.iter().all(|p| p.row(y) == p.row(y - 1));
    let start = (1..h).rev().take_while(|&y| repeats(y)).last()?;
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

/// The blocks (16×16, scan order) at the end of `planes` (as stored;
/// samples up to `full`) that repeat the last block exactly, when they are
/// more than a row of blocks and at least [`MIN_SHARE`] of the blocks, not
/// the whole image, and that block is not plain black or white: what a
/// decoder leaves when a JPEG scan ends early and it repeats the last MCU
/// it decoded. A photo repeats whole blocks only where clipped. For scans
/// that [`super::scan`] cannot walk (progressive, several scans).
pub(super) fn repeated_tail(planes: &[Plane], full: f32) -> Option<Fill> {
    let first = planes.first()?;
    let (bw, bh) = (first.width() / BLOCK, first.height() / BLOCK);
    let n = bw * bh;
    if n < 2 {
        return None;
    }
    let same = |a: usize, b: usize| {
        planes
            .iter()
            .all(|p| rows(p, bw, a).zip(rows(p, bw, b)).all(|(ra, rb)| ra == rb))
    };
    let last = n - 1;
    let plain = |v: f32| {
        planes
            .iter()
            .all(|p| rows(p, bw, last).all(|r| r.iter().all(|&s| s == v)))
    };
    if plain(0.0) || plain(full) {
        return None;
    }
    let run = (0..last).rev().take_while(|&k| same(k, last)).count() + 1;
    let share = run as f64 / n as f64;
    // more than a whole row of blocks (flat synthetic regions, a chart's
    // quadrant, repeat within rows; a cut scan repeats to the end), and not
    // the whole image (a uniform picture is what it shows)
    (run > bw && run < n && share >= MIN_SHARE).then_some(Fill {
        row: ((n - run) / bw) * BLOCK,
        share,
    })
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
    fn a_tail_repeating_the_last_block_is_found_unless_black_or_white() {
        // 64×64 grey texture: 4×4 blocks of 16 px; `k` blocks before the
        // last (in scan order) set to a copy of it, or all to one value
        let texture = Plane::from_fn(64, 64, |x, y| ((y * 64 + x) * 37 % 251) as f32);
        let with_tail = |k: usize, fill: Option<f32>| {
            let mut p = texture.clone();
            for block in (15 - k)..16 {
                let (bx, by) = (block % 4, block / 4);
                for dy in 0..16 {
                    for dx in 0..16 {
                        let last = texture.row(48 + dy)[48 + dx];
                        p.row_mut(by * 16 + dy)[bx * 16 + dx] = fill.unwrap_or(last);
                    }
                }
            }
            vec![p]
        };
        let found = |planes: &[Plane]| repeated_tail(planes, 255.0);
        assert_eq!(found(std::slice::from_ref(&texture)), None);
        // a uniform picture repeats everywhere and is what it shows
        assert_eq!(found(&[Plane::from_fn(64, 64, |_, _| 128.0)]), None);
        // a row of blocks (a flat band within rows) is not enough
        assert_eq!(found(&with_tail(3, None)), None);
        // blocks 11..16 of 16: from the third row of blocks (pixel row 32)
        let five = Some(Fill {
            row: 32,
            share: 5.0 / 16.0,
        });
        assert_eq!(found(&with_tail(4, None)), five);
        assert_eq!(found(&with_tail(4, Some(128.0))), five);
        // clipped white or black blocks are ordinary photos
        assert_eq!(found(&with_tail(8, Some(255.0))), None);
        assert_eq!(found(&with_tail(8, Some(0.0))), None);
        // every channel must repeat
        let mut colour = with_tail(4, None);
        colour.push(texture.clone());
        assert_eq!(found(&colour), None);
    }

    #[test]
    fn a_filled_tail_or_band_is_found_and_where_it_starts() {
        let (w, h) = (128, 96);
        // from the middle of block row 3 to the end: rows 3.5..6 of 6
        let mut tail = textured();
        fill(&mut tail, 48 * w + 64, w * h, [128.0, 128.0, 128.0]);
        let found = lost_part(&tail, 255.0).unwrap();
        assert_eq!(found.row, 48);
        // in block row 3 the 4 blocks from x 64 are whole (the 4 before
        // keep their first row of texture), then 2 rows of 8: 20 of 48
        assert!((found.share - 20.0 / 48.0).abs() < 1e-12, "{found:?}");
        // saved again, some filled samples one level off: the same run;
        // two levels off is texture
        let mut jittered = tail.clone();
        for i in (60 * w..w * h).step_by(97) {
            jittered[1].data_mut()[i] = 127.0;
        }
        assert_eq!(lost_part(&jittered, 255.0), Some(found));
        for i in (60 * w..w * h).step_by(97) {
            jittered[1].data_mut()[i] = 126.0;
        }
        assert_eq!(lost_part(&jittered, 255.0), None);
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
        // rows 60..96 repeat the row above
        assert_eq!(
            smeared_tail(&smear),
            Some(Fill {
                row: 60,
                share: 36.0 / 96.0
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
        // a drawing: stripes above the texture too (2 repeated rows of 96
        // before the run are over 1 %; none are not)
        for (stripes, found) in [(3, false), (1, true)] {
            let mut drawn = smear.clone();
            for (p, r) in drawn.iter_mut().zip(&ramp) {
                for y in 0..stripes {
                    p.row_mut(y).copy_from_slice(r.row(y));
                }
            }
            assert_eq!(smeared_tail(&drawn).is_some(), found, "{stripes} rows");
        }
    }

    #[test]
    fn clipped_drawn_small_or_whole_flat_areas_are_not_a_fill() {
        let (w, h) = (128, 96);
        assert_eq!(lost_part(&textured(), 255.0), None);
        // a channel clipped to white or black: a photo's own
        for v in [
            [255.0; 3],
            [250.0; 3],
            [3.0; 3],
            [255.0, 0.0, 0.0],
            [128.0, 128.0, 20.0],
        ] {
            let mut clipped = textured();
            fill(&mut clipped, 48 * w, w * h, v);
            assert_eq!(lost_part(&clipped, 255.0), None, "{v:?}");
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
