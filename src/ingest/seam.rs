//! A changed bit that keeps a JPEG's codes in step can still change one
//! block's DC difference. Every later block of that component, in scan
//! order, is then off by the same amount: from that block to the end of
//! the picture it is lighter, darker or tinted (a photo's lower quarter
//! turned magenta). The walk of the scan ([`super::scan`]) cannot see it;
//! the pixels can. Where the offset starts, the picture steps by it along
//! the whole width as a staircase: at the top of that block's row of MCUs
//! from the block on, and at the top of the next row before it. A photo's
//! content continues across a row boundary as the rows beside it predict;
//! where an edge or a line of the picture (brick mortar, a horizon) does
//! step across the whole width at a boundary, it does so at that one
//! boundary, not at the next one over the other part of the row.

use crate::raster::Plane;

/// Smallest offset (levels of 255) taken for damage: a DC difference's
/// low bits at the usual quantiser steps move a block's mean by less, and
/// such a shift is within a capture's own noise.
const MIN_LEVELS: f32 = 3.0;

/// Columns averaged into one group: the width of the MCUs of 4:2:0 (two
/// blocks of 4:4:4).
const GROUP: usize = 16;

/// Fewest groups on each side of where the offset starts for the loose
/// fit: a full-width edge of the picture at one boundary would otherwise
/// pass for an offset that starts a group or two into the row.
const MIN_PART: usize = 3;

/// Share of the groups on each side of the start that must fit the
/// staircase (the step at the one boundary, none at the other), and how
/// far from the step a group may be, as a share of it.
const MIN_FIT: f64 = 0.75;
const TOLERANCE: f32 = 0.5;

/// For an offset that starts one or two groups from either end of its row:
/// how many of the texture's spreads a group of the short side may be off
/// (the step from the offset, the flat side from 0), and how many the
/// offset must be at least. The one or two groups of the short side could
/// fit the loose test by chance beside an edge of the picture across the
/// whole width; a DC offset moves every block by the same amount, so they
/// are as close to it as the picture's texture leaves the flat side.
const SPREADS: f32 = 3.0;
const LEAST_SPREADS: f32 = 6.0;

/// For an offset on heavy texture (grass, gravel, brick), where single
/// groups step by more than the offset and too few fit the staircase: the
/// smallest step (levels of 255) taken from the medians of each side's
/// groups, and how many of its standard errors each side's step must be.
/// A picture's own staircase of a few levels (a rocket's body turned to
/// lie across two rows of MCUs) reads up to 11 errors over a clear sky,
/// never 8 levels.
const ROBUST_LEVELS: f64 = 8.0;
const ROBUST_ERRORS: f64 = 5.0;

/// Fewest groups on each side of the start for the medians: a brick wall
/// turned on its side staggers its joints as a staircase whose short side
/// of three groups read 11–13 levels against 8–9.
const ROBUST_PART: usize = 6;

/// Where the picture steps, and by how much.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Seam {
    /// The first pixel row of the row of MCUs where the offset starts.
    pub(super) row: usize,
    /// The offset, levels of 255, in the component it is in.
    pub(super) levels: f32,
    /// The component: "brightness" or "colour".
    pub(super) component: &'static str,
}

/// A component a JPEG codes (JFIF), read from the decoded planes (one
/// grey or three RGB planes, 0–255) a row at a time.
struct Component<'a> {
    name: &'static str,
    /// Chroma, which may be subsampled.
    chroma: bool,
    planes: &'a [Plane],
    /// Weights of the planes (Y, Cb or Cr from R, G, B).
    mix: [f32; 3],
}

impl Component<'_> {
    /// Y, and for colour Cb and Cr.
    fn all(planes: &[Plane]) -> Vec<Component<'_>> {
        let c = |name, chroma, mix| Component {
            name,
            chroma,
            planes,
            mix,
        };
        if planes.len() == 3 {
            vec![
                c("brightness", false, [0.299, 0.587, 0.114]),
                c("colour", true, [-0.168_736, -0.331_264, 0.5]),
                c("colour", true, [0.5, -0.418_688, -0.081_312]),
            ]
        } else {
            vec![c("brightness", false, [1.0, 0.0, 0.0])]
        }
    }

    /// Adds `weight` × row `y` of this component to `out`.
    fn add_row(&self, y: usize, weight: f32, out: &mut [f32]) {
        for (p, &k) in self.planes.iter().zip(&self.mix) {
            if k != 0.0 {
                for (a, v) in out.iter_mut().zip(p.row(y)) {
                    *a += weight * k * v;
                }
            }
        }
    }
}

/// At each column, how much `c` steps across the row boundary above row
/// `y0` beyond the steps of the rows beside it: `d(y0) − (d(y0 − g) +
/// d(y0 + g)) / 2` on rows averaged in groups of `g` (a DC offset steps at
/// the boundary alone; a ramp or a blurred edge steps beside it too, an
/// edge away from the boundary not at it). Chroma that the decoder
/// upsampled is read in groups of its subsampling, which undoes most of
/// the upsampling's spread of a step.
fn excess_step(c: &Component<'_>, y0: usize, g: usize, out: &mut [f32]) {
    // the groups' weights in the excess: −½, 1½, −1½, ½ from the top
    out.fill(0.0);
    for (i, weight) in [0.5f32, -1.5, 1.5, -0.5].into_iter().enumerate() {
        let top = y0 + i * g - 2 * g;
        for y in top..top + g {
            c.add_row(y, weight / g as f32, out);
        }
    }
}

/// The staircase of an offset that starts `k` groups into a row of MCUs:
/// the step `delta` at the upper boundary from group `k` on and at the
/// lower one before it, and none at the other; the share of the groups on
/// each side that fit it (a step within [`TOLERANCE`] × `delta` of it, and
/// less than that at the other boundary).
fn staircase_fit(upper: &[f32], lower: &[f32], k: usize) -> (f32, f64) {
    let n = upper.len();
    let stepped = lower[..k].iter().chain(&upper[k..]);
    let delta = stepped.sum::<f32>() / n as f32;
    let fits = |(step, flat): (&f32, &f32)| {
        (step - delta).abs() < TOLERANCE * delta.abs() && flat.abs() < TOLERANCE * delta.abs()
    };
    let before = lower[..k]
        .iter()
        .zip(&upper[..k])
        .filter(|&p| fits(p))
        .count();
    let after = upper[k..]
        .iter()
        .zip(&lower[k..])
        .filter(|&p| fits(p))
        .count();
    let share = (before as f64 / k as f64).min(after as f64 / (n - k) as f64);
    (delta, share)
}

/// The staircase of an offset that starts `k` groups from either end of a
/// row (`k` or `n − k` below [`MIN_PART`]): it must fit as a central one
/// does, and its short side must fit to the texture's own spread (σ, the
/// robust spread of the flat side's groups): each of its groups within
/// [`SPREADS`] σ of the step and of 0, the step at least [`LEAST_SPREADS`]
/// σ (the median step, as groups whose pixels clip step by less). The
/// step and the share that fits.
fn even_staircase(upper: &[f32], lower: &[f32], k: usize) -> Option<(f32, f64)> {
    let n = upper.len();
    let (delta, fit) = staircase_fit(upper, lower, k);
    if delta.abs() < MIN_LEVELS || fit < MIN_FIT {
        return None;
    }
    let wide =
        |a: &[f32], b: &[f32]| -> Vec<f64> { a.iter().chain(b).map(|&x| f64::from(x)).collect() };
    let sigma = crate::stats::robust_sigma(&wide(&upper[..k], &lower[k..]));
    let slack = f64::from(SPREADS) * sigma + 0.5;
    // the typical step: a group whose pixels clip steps by less
    let step = crate::stats::median(&mut wide(&lower[..k], &upper[k..]));
    let fits = |i: usize| {
        let (stepped, flat) = if i < k {
            (lower[i], upper[i])
        } else {
            (upper[i], lower[i])
        };
        (f64::from(stepped) - step).abs() <= slack && f64::from(flat).abs() <= slack
    };
    let mut short = if k < n - k { 0..k } else { k..n };
    (step.abs() >= f64::from(LEAST_SPREADS) * sigma && short.all(fits)).then_some((delta, fit))
}

/// The staircase of an offset that starts `k` groups into a row, read
/// from medians, which a minority of groups on edges of the texture does
/// not move: before `k` the lower boundary's groups step by the median
/// `d₁` over the upper's, from `k` on the upper's by `d₂` over the lower's.
/// Both must be at least [`ROBUST_LEVELS`] and [`ROBUST_ERRORS`] standard
/// errors of a difference of medians (1.2533 σ √(2/m) over m groups, σ
/// the robust spread of the flat groups), of one sign, and the same
/// offset: apart by at most half the larger and three errors of their
/// difference. The step.
fn robust_staircase(upper: &[f32], lower: &[f32], k: usize) -> Option<f32> {
    let n = upper.len();
    let values = |v: &[f32]| -> Vec<f64> { v.iter().map(|&x| f64::from(x)).collect() };
    let step = |a: &[f32], b: &[f32]| {
        crate::stats::median(&mut values(a)) - crate::stats::median(&mut values(b))
    };
    let (d1, d2) = (
        step(&lower[..k], &upper[..k]),
        step(&upper[k..], &lower[k..]),
    );
    let mut flat = values(&upper[..k]);
    flat.extend(values(&lower[k..]));
    let sigma = crate::stats::robust_sigma(&flat).max(0.5);
    let error = |m: usize| 1.2533 * sigma * (2.0 / m as f64).sqrt();
    let (e1, e2) = (error(k), error(n - k));
    let apart = (d1 - d2).abs();
    let holds = d1 * d2 > 0.0
        && d1.abs().min(d2.abs()) >= ROBUST_LEVELS
        && d1.abs() >= ROBUST_ERRORS * e1
        && d2.abs() >= ROBUST_ERRORS * e2
        && apart <= 0.5 * d1.abs().max(d2.abs())
        && apart <= 3.0 * e1.hypot(e2);
    holds.then_some(((d1 + d2) / 2.0) as f32)
}

/// The start (in groups) where the staircase steps most, from the
/// groups' excess steps at the upper and lower boundary: with `Σ` over the
/// groups before `k` of (lower − upper) and after it of (upper − lower),
/// the `k` of the largest |Σ| with at least [`MIN_PART`] groups each side.
fn likeliest_start(upper: &[f32], lower: &[f32]) -> Option<usize> {
    let n = upper.len();
    if n < 2 * MIN_PART {
        return None;
    }
    // score(k) = Σ_{b<k} (l − u) + Σ_{b≥k} (u − l) = total − 2·Σ_{b<k} (u − l)
    let total: f32 = upper.iter().zip(lower).map(|(u, l)| u - l).sum();
    let mut before = 0.0f32;
    let mut best: Option<(usize, f32)> = None;
    for k in 0..=n - MIN_PART {
        if k >= MIN_PART {
            let score = (total - 2.0 * before).abs();
            if best.is_none_or(|b| score > b.1) {
                best = Some((k, score));
            }
        }
        before += upper[k] - lower[k];
    }
    best.map(|b| b.0)
}

/// The means of `v` over groups of [`GROUP`] columns (whole groups only).
fn grouped(v: &[f32]) -> Vec<f32> {
    v.chunks_exact(GROUP)
        .map(|g| g.iter().sum::<f32>() / GROUP as f32)
        .collect()
}

/// The seam of a DC offset in `planes` (as decoded, stored orientation),
/// whose MCUs are `mcu_height` px tall; `None` when there is none.
///
/// An offset that starts with a row of MCUs is not told from an edge of
/// the picture across its whole width and is not reported.
pub(super) fn dc_seam(planes: &[Plane], mcu_height: usize) -> Option<Seam> {
    let first = planes.first()?;
    let (w, h) = (first.width(), first.height());
    if w / GROUP < 2 * MIN_PART {
        return None;
    }
    let mh = mcu_height.max(8);
    // chroma of an MCU 16 rows tall is subsampled 2:1 in height
    let sub = mh / 8;
    let mut found: Option<(Seam, f64)> = None;
    let mut row = vec![0.0f32; w];
    for c in Component::all(planes) {
        let g = if c.chroma { sub } else { 1 };
        // boundaries y0 and y0 + mh, each with two groups of rows either
        // side; each is the lower of one pair and the upper of the next
        let mut below: Option<Vec<f32>> = None;
        // (g ≤ mh/8, so the first boundary has its two groups above it)
        for y0 in (1..).map(|k| k * mh).take_while(|&y0| y0 + mh + 2 * g <= h) {
            let u = below.take().unwrap_or_else(|| {
                excess_step(&c, y0, g, &mut row);
                grouped(&row)
            });
            excess_step(&c, y0 + mh, g, &mut row);
            let l = grouped(&row);
            let n = u.len();
            let central = likeliest_start(&u, &l)
                .map(|k| staircase_fit(&u, &l, k))
                .filter(|&(delta, fit)| delta.abs() >= MIN_LEVELS && fit >= MIN_FIT);
            let near_an_end = (1..MIN_PART)
                .chain(n + 1 - MIN_PART..n)
                .filter_map(|k| even_staircase(&u, &l, k));
            // on heavy texture, read by medians: starts near the likeliest
            // (whose sums a few groups on edges can move), counted as the
            // least fit that is taken
            let robust = likeliest_start(&u, &l).into_iter().flat_map(|k| {
                let (u, l) = (&u, &l);
                (k.saturating_sub(2)..=k + 2)
                    .filter(move |&k| k >= ROBUST_PART && k + ROBUST_PART <= n)
                    .filter_map(move |k| robust_staircase(u, l, k).map(|d| (d, MIN_FIT)))
            });
            let best = central
                .into_iter()
                .chain(near_an_end)
                .chain(robust)
                .reduce(|a, b| if b.1 > a.1 { b } else { a });
            below = Some(l);
            let Some((delta, fit)) = best else {
                continue;
            };
            if found.is_none_or(|f| fit > f.1) {
                found = Some((
                    Seam {
                        row: y0,
                        levels: delta,
                        component: c.name,
                    },
                    fit,
                ));
            }
        }
    }
    found.map(|f| f.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A photo-like 3-plane picture: smooth light, texture and noise
    /// (a hash), and a dark horizontal band that does not sit on a block
    /// boundary.
    fn picture(w: usize, h: usize) -> Vec<Plane> {
        let noise = |x: usize, y: usize, c: usize| {
            let mut s = (x as u64 * 73_856_093) ^ (y as u64 * 19_349_663) ^ (c as u64 * 83_492_791);
            s ^= s >> 13;
            s = s.wrapping_mul(0x5bd1_e995);
            s ^= s >> 15;
            (s % 1000) as f32 / 1000.0 * 8.0 - 4.0
        };
        (0..3)
            .map(|c| {
                Plane::from_fn(w, h, |x, y| {
                    let light =
                        110.0 + 40.0 * (x as f32 / w as f32) + 20.0 * (y as f32 / 37.0).sin();
                    let band = if (61..70).contains(&y) { -40.0 } else { 0.0 };
                    (light + band + 10.0 * c as f32 + noise(x, y, c)).clamp(0.0, 255.0)
                })
            })
            .collect()
    }

    /// `planes` with `delta` added to every pixel of the blocks from MCU
    /// `(mx, my)` on, in scan order (`mcu` px MCUs), in Cr (as its RGB).
    fn offset_from(planes: &mut [Plane], mcu: usize, (mx, my): (usize, usize), delta: f32) {
        let w = planes[0].width();
        for (c, k) in [1.402f32, -0.714_136, 0.0].into_iter().enumerate() {
            let p = &mut planes[c];
            let h = p.height();
            for y in my * mcu..h {
                for x in 0..w {
                    if y >= (my + 1) * mcu || x >= mx * mcu {
                        let v = p.at(x, y) + k * delta;
                        p.set(x, y, v);
                    }
                }
            }
        }
    }

    #[test]
    fn a_photo_without_damage_has_no_seam() {
        for mcu in [8, 16] {
            assert_eq!(dc_seam(&picture(320, 240), mcu), None, "{mcu}");
        }
    }

    #[test]
    fn an_edge_or_a_line_across_the_whole_width_at_a_block_boundary_is_no_seam() {
        // a brick wall's mortar, a horizon: the step at one boundary over
        // the whole width, none at the next
        for (rows, add) in [(64..67, 60.0f32), (64..240, 30.0), (128..130, -50.0)] {
            let mut p = picture(320, 240);
            for plane in &mut p {
                for y in rows.clone() {
                    for x in 0..320 {
                        let v = plane.at(x, y) + add;
                        plane.set(x, y, v);
                    }
                }
            }
            for mcu in [8, 16] {
                assert_eq!(dc_seam(&p, mcu), None, "{rows:?} {mcu}");
            }
        }
    }

    #[test]
    fn an_offset_from_one_block_on_is_found_at_its_row() {
        for (mcu, start, delta) in [(16, (7, 6), 8.0), (8, (9, 20), -5.0), (16, (17, 3), 12.0)] {
            let mut p = picture(320, 240);
            offset_from(&mut p, mcu, start, delta);
            let seam = dc_seam(&p, mcu).unwrap_or_else(|| panic!("{mcu} {start:?}"));
            assert_eq!(seam.component, "colour", "{seam:?}");
            assert_eq!(seam.row, start.1 * mcu, "{seam:?}");
            assert!((seam.levels - delta).abs() < 1.0, "{seam:?}");
        }
        // a block or two from either end of its row: the staircase's short
        // side is a group or two (320 px: 20 groups)
        for (mcu, start, delta) in [(8, (2, 12), 9.0), (8, (3, 9), -9.0), (16, (18, 5), 10.0)] {
            let mut p = picture(320, 240);
            offset_from(&mut p, mcu, start, delta);
            let seam = dc_seam(&p, mcu).unwrap_or_else(|| panic!("{mcu} {start:?}"));
            assert_eq!(seam.row, start.1 * mcu, "{seam:?}");
            assert!((seam.levels - delta).abs() < 1.0, "{seam:?}");
        }
        // too small to matter
        let mut p = picture(320, 240);
        offset_from(&mut p, 16, (5, 5), 1.5);
        assert_eq!(dc_seam(&p, 16), None);
    }

    /// The groups' excess steps at two boundaries over heavy texture: a
    /// spread of 2 levels with every third group on an edge (±40), and
    /// `before`/`after` added to the groups that step (the lower boundary
    /// before group `k`, the upper from `k` on).
    fn textured_steps(n: usize, k: usize, before: f32, after: f32) -> (Vec<f32>, Vec<f32>) {
        let texture = |i: usize| {
            let s = ((i as u64 * 2_654_435_761) >> 7) % 1000;
            let fine = s as f32 / 250.0 - 2.0;
            if i % 3 == 1 {
                fine + if s.is_multiple_of(2) { 40.0 } else { -40.0 }
            } else {
                fine
            }
        };
        let upper = (0..n).map(|i| texture(i) + if i >= k { after } else { 0.0 });
        let lower = (0..n).map(|i| texture(i + 1000) + if i < k { before } else { 0.0 });
        (upper.collect(), lower.collect())
    }

    #[test]
    fn an_offset_on_heavy_texture_is_read_by_medians() {
        let (n, k) = (24, 10);
        let (u, l) = textured_steps(n, k, 12.0, 12.0);
        // a third of the groups on edges: the share that fits is too low
        assert!(staircase_fit(&u, &l, k).1 < MIN_FIT);
        let step = robust_staircase(&u, &l, k).expect("the offset");
        assert!((step - 12.0).abs() < 1.5, "{step}");
        // a step at one boundary only (an edge of the picture), steps that
        // differ (two edges), or one too small: no offset
        for (before, after) in [
            (0.0, 12.0),
            (12.0, 0.0),
            (8.0, 16.0),
            (6.0, 6.0),
            (12.0, -12.0),
        ] {
            let (u, l) = textured_steps(n, k, before, after);
            assert_eq!(robust_staircase(&u, &l, k), None, "{before} {after}");
        }
    }
}
