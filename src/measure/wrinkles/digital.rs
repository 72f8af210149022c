//! Digital line geometry of centre-line masks (one `bool` per pixel, row
//! major): staircase thinning, removal of short pieces, length per pixel
//! and neighbourhoods.

use rayon::prelude::*;

/// Thins one-pixel lines to minimal 8-connected ones: a pixel whose line
/// neighbours stay connected to one another without it (the inner corner of
/// a staircase) is removed, in raster order. Non-maximum suppression leaves
/// such corners on oblique lines, where they would add up to 41 % to the
/// length.
pub fn thin_staircases(lines: &mut [bool], w: usize, h: usize) {
    const RING: [(isize, isize); 8] = [
        (-1, -1),
        (0, -1),
        (1, -1),
        (1, 0),
        (1, 1),
        (0, 1),
        (-1, 1),
        (-1, 0),
    ];
    for y in 0..h {
        for x in 0..w {
            if !lines[y * w + x] {
                continue;
            }
            let mut on = [(0isize, 0isize); 8];
            let mut n = 0;
            for &(dx, dy) in &RING {
                let (xx, yy) = (x as isize + dx, y as isize + dy);
                if xx >= 0
                    && yy >= 0
                    && xx < w as isize
                    && yy < h as isize
                    && lines[yy as usize * w + xx as usize]
                {
                    on[n] = (dx, dy);
                    n += 1;
                }
            }
            let on = &on[..n];
            // only a corner (one horizontal and one vertical neighbour on) can
            // be redundant; an end with a neighbour and a diagonal stays
            let horizontal = on.iter().any(|&(dx, dy)| dy == 0 && dx != 0);
            let vertical = on.iter().any(|&(dx, dy)| dx == 0 && dy != 0);
            if on.len() < 2 || !horizontal || !vertical {
                continue;
            }
            // are the neighbours one king-connected group without the centre?
            let mut seen = [false; 8];
            let mut stack = [0usize; 8];
            let mut top = 1;
            seen[0] = true;
            while top > 0 {
                top -= 1;
                let i = stack[top];
                for j in 0..on.len() {
                    if !seen[j] && (on[i].0 - on[j].0).abs() <= 1 && (on[i].1 - on[j].1).abs() <= 1
                    {
                        seen[j] = true;
                        stack[top] = j;
                        top += 1;
                    }
                }
            }
            let seen = &seen[..n];
            if seen.iter().all(|&s| s) {
                lines[y * w + x] = false;
            }
        }
    }
}

/// Removes 8-connected line pieces shorter than `min_len` px.
pub fn drop_short(lines: &mut [bool], w: usize, h: usize, min_len: f64) {
    for piece in pieces(lines, w, h) {
        if piece_length(lines, w, h, &piece) < min_len {
            for &i in &piece {
                lines[i] = false;
            }
        }
    }
}

/// The 8-connected pieces of `lines`, each as its pixel indices (in the
/// order a depth-first fill from its first pixel in raster order reaches
/// them), pieces in raster order of their first pixel.
#[must_use]
pub fn pieces(lines: &[bool], w: usize, h: usize) -> Vec<Vec<usize>> {
    let mut seen = vec![false; lines.len()];
    let mut out = Vec::new();
    for start in 0..lines.len() {
        if !lines[start] || seen[start] {
            continue;
        }
        let mut piece = Vec::new();
        let mut stack = vec![start];
        seen[start] = true;
        while let Some(i) = stack.pop() {
            piece.push(i);
            for j in around(i, w, h) {
                if lines[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        out.push(piece);
    }
    out
}

/// The length (px) of `piece`, pixels of `lines`: the sum of their
/// [`link_length`]s.
#[must_use]
pub fn piece_length(lines: &[bool], w: usize, h: usize, piece: &[usize]) -> f64 {
    piece
        .iter()
        .map(|&i| link_length(lines, w, h, i % w, i / w))
        .sum()
}

/// Length of 8-connected centre lines in px, per pixel (half of each link,
/// orthogonal links 1, diagonal √2 unless the corner is already joined
/// through an orthogonal neighbour), so lengths can be summed per tile.
#[must_use]
pub fn link_length(lines: &[bool], w: usize, h: usize, x: usize, y: usize) -> f64 {
    let on = |x: isize, y: isize| {
        x >= 0 && y >= 0 && x < w as isize && y < h as isize && lines[y as usize * w + x as usize]
    };
    let (xi, yi) = (x as isize, y as isize);
    let mut len = 0.0;
    for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
        if on(xi + dx, yi + dy) {
            len += 0.5;
        }
    }
    for (dx, dy) in [(1, 1), (1, -1), (-1, 1), (-1, -1)] {
        if on(xi + dx, yi + dy) && !on(xi + dx, yi) && !on(xi, yi + dy) {
            len += 0.5 * std::f64::consts::SQRT_2;
        }
    }
    len
}

/// Number of 8-neighbours of (x, y) on a line.
pub(super) fn line_neighbours(lines: &[bool], w: usize, h: usize, x: usize, y: usize) -> usize {
    let mut n = 0;
    for yy in y.saturating_sub(1)..=(y + 1).min(h - 1) {
        for xx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
            if (xx, yy) != (x, y) && lines[yy * w + xx] {
                n += 1;
            }
        }
    }
    n
}

/// Pixels within `r` px (Chebyshev) of a centre-line pixel: a running
/// distance along each row both ways, then any of the 2r+1 rows around.
pub(super) fn near_lines(lines: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let mut along = vec![false; w * h];
    along
        .par_chunks_mut(w)
        .zip(lines.par_chunks(w))
        .for_each(|(out, src)| {
            let mut since = usize::MAX; // px since the last line pixel
            for (o, &on) in out.iter_mut().zip(src) {
                since = if on { 0 } else { since.saturating_add(1) };
                *o = since <= r;
            }
            since = usize::MAX;
            for (o, &on) in out.iter_mut().zip(src).rev() {
                since = if on { 0 } else { since.saturating_add(1) };
                *o |= since <= r;
            }
        });
    let mut near = vec![false; w * h];
    near.par_chunks_mut(w).enumerate().for_each(|(y, out)| {
        for yy in y.saturating_sub(r)..=(y + r).min(h - 1) {
            for (o, &a) in out.iter_mut().zip(&along[yy * w..(yy + 1) * w]) {
                *o |= a;
            }
        }
    });
    near
}

/// Indices of the 3×3 neighbourhood of pixel `i` (itself included) inside
/// a `w × h` image, row by row.
pub(super) fn around(i: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % w, i / w);
    (y.saturating_sub(1)..=(y + 1).min(h - 1))
        .flat_map(move |yy| (x.saturating_sub(1)..=(x + 1).min(w - 1)).map(move |xx| yy * w + xx))
}
