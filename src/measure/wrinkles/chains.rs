//! Pieces of one line. Under an oblique light a fine line fades where it
//! runs along the light, and one crossed by another is cut at the
//! crossing, so a line of a centimetre is found in pieces of a few
//! millimetres. Pieces that continue one another across a short gap, in
//! line with both of their ends, are taken as one line, and measured by the
//! length of the whole. A piece that closes on itself, or bends round within
//! a radius of two gaps, is the rim of a scar or a pore, and no line: a
//! scar's rim, tracked as a line, made the lines follow the scars' depth.

use super::digital::{line_neighbours, piece_length, pieces};
use std::collections::BTreeMap;

/// Pixels walked back from a piece's end to read the direction it leaves
/// in: long enough to average the one-pixel steps of a digital line, short
/// enough to follow a curve.
const END_STEPS: usize = 6;

/// The largest angle (°) between the gap joining two ends and the
/// direction each end leaves its piece in, for the pieces to be one line.
const MAX_TURN_DEG: f64 = 30.0;

/// The least radius of curvature (px per radian of turn between a piece's
/// two ends) of a piece of a line, in units of the gap: the rim of a scar
/// or a pore bends round in a millimetre, a fine line hardly bends over
/// its length.
const MIN_RADIUS_IN_GAPS: f64 = 2.0;

/// One end of a piece: where it is (x, y) and the unit direction the piece
/// leaves in there.
#[derive(Clone, Copy, Debug)]
struct End {
    piece: usize,
    at: (f64, f64),
    out: (f64, f64),
}

/// The pixels of `lines` (a `w`×`h` centre-line mask) whose line, its
/// pieces joined across gaps of at most `gap` px, is at least `min_len` px
/// long.
#[must_use]
pub fn joined_long_lines(
    lines: &[bool],
    (w, h): (usize, usize),
    min_len: f64,
    gap: f64,
) -> Vec<bool> {
    let pieces = pieces(lines, w, h);
    let lengths: Vec<f64> = pieces
        .iter()
        .map(|p| piece_length(lines, w, h, p))
        .collect();
    let piece_ends: Vec<Vec<End>> = pieces
        .iter()
        .enumerate()
        .map(|(k, p)| ends_of(lines, (w, h), k, p))
        .collect();
    // a line has two ends and bends gently between them: a closed loop or a
    // tight curve is a rim, and no part of a line (lines that cross are
    // found as one piece of three or more ends)
    let line_like: Vec<bool> = piece_ends
        .iter()
        .zip(&lengths)
        .map(|(e, &len)| match e[..] {
            [a, b] => {
                // the turn between the ends' directions (0 for a straight
                // piece) reads turns past half a circle as less (270° as
                // 90°), but then the ends are nearer than 2/π of the length
                let straight = -(a.out.0 * b.out.0 + a.out.1 * b.out.1);
                let turn = straight.clamp(-1.0, 1.0).acos();
                let chord = (a.at.0 - b.at.0).hypot(a.at.1 - b.at.1);
                turn * MIN_RADIUS_IN_GAPS * gap <= len && chord >= std::f64::consts::FRAC_2_PI * len
            }
            [] | [_] => false,
            _ => true,
        })
        .collect();
    let ends: Vec<End> = piece_ends
        .into_iter()
        .flatten()
        .filter(|e| line_like[e.piece])
        .collect();
    // union–find over pieces: each end joined to every end it continues,
    // looked for among the ends in its cell of a grid of `gap` and the 8
    // cells around (the sets joined do not depend on the order)
    let mut parent: Vec<usize> = (0..pieces.len()).collect();
    let cos_max = MAX_TURN_DEG.to_radians().cos();
    let cell = gap.max(1.0);
    let cell_of = |e: &End| ((e.at.0 / cell) as usize, (e.at.1 / cell) as usize);
    let mut grid: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, e) in ends.iter().enumerate() {
        grid.entry(cell_of(e)).or_default().push(i);
    }
    for (i, a) in ends.iter().enumerate() {
        let (cx, cy) = cell_of(a);
        for gy in cy.saturating_sub(1)..=cy + 1 {
            for gx in cx.saturating_sub(1)..=cx + 1 {
                for &j in grid.get(&(gx, gy)).map_or(&[][..], Vec::as_slice) {
                    let b = &ends[j];
                    if j > i && a.piece != b.piece && continues(a, b, gap, cos_max) {
                        let (ra, rb) = (root(&mut parent, a.piece), root(&mut parent, b.piece));
                        parent[ra.max(rb)] = ra.min(rb);
                    }
                }
            }
        }
    }
    let mut chain_length = vec![0.0; pieces.len()];
    for (k, len) in lengths.iter().enumerate().filter(|(k, _)| line_like[*k]) {
        chain_length[root(&mut parent, k)] += len;
    }
    let mut out = vec![false; lines.len()];
    for (k, piece) in pieces.iter().enumerate() {
        if line_like[k] && chain_length[root(&mut parent, k)] >= min_len {
            for &i in piece {
                out[i] = true;
            }
        }
    }
    out
}

/// Whether end `b` continues end `a` across a gap of at most `gap` px: the
/// gap runs within the largest turn of the direction `a` leaves in, and
/// back within it of the direction `b` leaves in.
fn continues(a: &End, b: &End, gap: f64, cos_max: f64) -> bool {
    let g = (b.at.0 - a.at.0, b.at.1 - a.at.1);
    let d = g.0.hypot(g.1);
    if d == 0.0 || d > gap {
        return false;
    }
    let (gx, gy) = (g.0 / d, g.1 / d);
    a.out.0 * gx + a.out.1 * gy >= cos_max && -(b.out.0 * gx + b.out.1 * gy) >= cos_max
}

/// The root of `k` in the union–find `parent`, halving the path.
fn root(parent: &mut [usize], mut k: usize) -> usize {
    while parent[k] != k {
        parent[k] = parent[parent[k]];
        k = parent[k];
    }
    k
}

/// The ends of piece number `k` (its pixels `piece`): pixels with one
/// line neighbour, each with the direction from the pixel [`END_STEPS`]
/// back along the piece to it. A piece of one pixel, or a closed loop, has
/// none.
fn ends_of(lines: &[bool], (w, h): (usize, usize), k: usize, piece: &[usize]) -> Vec<End> {
    let xy = |i: usize| ((i % w) as f64, (i / w) as f64);
    piece
        .iter()
        .filter(|&&i| line_neighbours(lines, w, h, i % w, i / w) == 1)
        .filter_map(|&end| {
            let back = walk_back(lines, (w, h), end);
            let ((ex, ey), (bx, by)) = (xy(end), xy(back));
            let n = (ex - bx).hypot(ey - by);
            (n > 0.0).then(|| End {
                piece: k,
                at: (ex, ey),
                out: ((ex - bx) / n, (ey - by) / n),
            })
        })
        .collect()
}

/// The pixel [`END_STEPS`] back from `end` along its line (fewer where the
/// line is shorter), each step to a neighbour not yet walked.
fn walk_back(lines: &[bool], (w, h): (usize, usize), end: usize) -> usize {
    let mut path = vec![end];
    let mut at = end;
    for _ in 0..END_STEPS {
        let (x, y) = (at % w, at / w);
        let next = (y.saturating_sub(1)..=(y + 1).min(h - 1))
            .flat_map(|yy| (x.saturating_sub(1)..=(x + 1).min(w - 1)).map(move |xx| yy * w + xx))
            .find(|&j| lines[j] && !path.contains(&j));
        match next {
            Some(j) => {
                path.push(j);
                at = j;
            }
            None => break,
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A segment from one point (x, y) to another.
    type Segment = ((f64, f64), (f64, f64));

    /// A `w`×`h` mask with the pixels of the segments `(x0, y0)–(x1, y1)`
    /// set (one pixel per step of the longer axis).
    fn mask(w: usize, h: usize, segments: &[Segment]) -> Vec<bool> {
        let mut m = vec![false; w * h];
        for &((x0, y0), (x1, y1)) in segments {
            let n = (x1 - x0).abs().max((y1 - y0).abs()).round() as usize;
            for k in 0..=n {
                let t = k as f64 / n.max(1) as f64;
                let (x, y) = (x0 + t * (x1 - x0), y0 + t * (y1 - y0));
                m[y.round() as usize * w + x.round() as usize] = true;
            }
        }
        m
    }

    #[test]
    fn pieces_in_line_across_a_gap_are_one_line() {
        // two 30 px pieces of one oblique line, 12 px apart
        let m = mask(
            120,
            80,
            &[((10.0, 10.0), (40.0, 25.0)), ((51.0, 30.5), (81.0, 45.5))],
        );
        let n = m.iter().filter(|&&b| b).count();
        // each too short alone, long enough together
        let kept = joined_long_lines(&m, (120, 80), 50.0, 20.0);
        assert_eq!(kept.iter().filter(|&&b| b).count(), n);
        // a gap wider than allowed keeps them apart
        let kept = joined_long_lines(&m, (120, 80), 50.0, 10.0);
        assert!(!kept.contains(&true));
        // a piece long enough alone needs no partner
        let kept = joined_long_lines(&m, (120, 80), 30.0, 0.0);
        assert_eq!(kept.iter().filter(|&&b| b).count(), n);
    }

    #[test]
    fn pieces_that_do_not_continue_one_another_stay_apart() {
        // ends 10 px apart, but the second piece turns 90° away
        let across = mask(
            120,
            80,
            &[((10.0, 40.0), (40.0, 40.0)), ((50.0, 42.0), (50.0, 72.0))],
        );
        assert!(!joined_long_lines(&across, (120, 80), 50.0, 20.0).contains(&true));
        // side by side (parallel, offset across the line): the gap leaves
        // each end at 90°
        let beside = mask(
            120,
            80,
            &[((10.0, 30.0), (40.0, 30.0)), ((10.0, 42.0), (40.0, 42.0))],
        );
        assert!(!joined_long_lines(&beside, (120, 80), 50.0, 20.0).contains(&true));
    }

    /// A mask of the arc of the circle of centre (cx, cy) and radius `r`
    /// from angle `a0` to `a1` (radians).
    fn arc(w: usize, h: usize, (cx, cy, r): (f64, f64, f64), (a0, a1): (f64, f64)) -> Vec<bool> {
        let mut m = vec![false; w * h];
        let n = (8.0 * r * (a1 - a0)).ceil() as usize;
        for k in 0..=n {
            let a = a0 + (a1 - a0) * k as f64 / n as f64;
            let (x, y) = ((cx + r * a.cos()).round(), (cy + r * a.sin()).round());
            m[y as usize * w + x as usize] = true;
        }
        let mut thin = m.clone();
        super::super::thin_staircases(&mut thin, w, h);
        thin
    }

    #[test]
    fn the_rim_of_a_scar_is_no_line_and_a_gentle_curve_is() {
        // three quarters of a rim of radius 12 px: 57 px long, but it turns
        // 270° (a radius of 2 gaps of 10 px bends 57/20 rad ≈ 163°)
        let rim = arc(
            100,
            100,
            (50.0, 50.0, 12.0),
            (0.0, 1.5 * std::f64::consts::PI),
        );
        assert!(!joined_long_lines(&rim, (100, 100), 40.0, 10.0).contains(&true));
        // a closed ring has no ends
        let ring = arc(100, 100, (50.0, 50.0, 12.0), (0.0, std::f64::consts::TAU));
        assert!(!joined_long_lines(&ring, (100, 100), 40.0, 10.0).contains(&true));
        // 60 px of an arc of radius 80 px turns 43°: a line
        let line = arc(200, 200, (100.0, 120.0, 80.0), (-2.0, -1.25));
        assert_eq!(joined_long_lines(&line, (200, 200), 40.0, 10.0), line);
    }

    #[test]
    fn a_line_in_three_pieces_is_measured_whole_and_order_does_not_matter() {
        let segs = [
            ((5.0, 60.0), (25.0, 60.0)),
            ((33.0, 60.0), (53.0, 60.0)),
            ((61.0, 60.0), (81.0, 60.0)),
        ];
        let m = mask(100, 100, &segs);
        let kept = joined_long_lines(&m, (100, 100), 60.0, 10.0);
        assert_eq!(kept, m);
        // the mirror image gives the mirror result
        let flip = |v: &[bool]| -> Vec<bool> {
            (0..100 * 100)
                .map(|i| v[(i / 100) * 100 + 99 - i % 100])
                .collect()
        };
        assert_eq!(
            joined_long_lines(&flip(&m), (100, 100), 60.0, 10.0),
            flip(&kept)
        );
    }
}
