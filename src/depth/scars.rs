//! Scars: compact depressions of the form-removed surface, told apart from
//! the furrows, fine lines and pores around them by their shape.
//!
//! - **Extent**: the pixels more than [`EXTENT_UM`] below the reference
//!   (on rough skin, 3 robust standard deviations of the relief if more),
//!   opened by a disc of radius [`OPENING_RADIUS_MM`]: what is narrower than
//!   the disc (pores, fine lines 0.1–0.5 mm wide) falls away, and a line
//!   that crossed a scar no longer joins it to the next one.
//! - **Scar**: a connected part (8-neighbours) of the opened extent at least
//!   [`MIN_AREA_MM2`] in area, reaching [`CORE_UM`] (or 6 robust σ) and not
//!   elongated (principal axes within [`MAX_ELONGATION`]: a wide furrow is
//!   long), not thin (its area at most [`MAX_ELONGATION`] times that of
//!   the widest disc it holds, as for an ellipse of that ratio: lines
//!   crossing, a curved furrow) nor a piece of a line (narrow, under
//!   [`LINE_PIECE_WIDTH`] opening radii, and the depression deeper than
//!   half its floor runs on beyond twice its radius: fine lines survive
//!   the opening in pieces where they run wider). Its region then grows
//!   over the adjacent pixels still below the reference (the shallow rim),
//!   no further than half its radius, so area, mean depth and volume
//!   include the rim.
//! - **Type**: ice-pick under [`ICE_PICK_RADIUS_MM`] of equivalent radius;
//!   otherwise boxcar where the floor is flat (mean depth over its extent
//!   at least [`FLAT_FLOOR_RATIO`] of the floor's: a cosine bowl's is 0.40,
//!   a flat floor over 0.7 of the radius 0.79), else rolling.
//!
//! Without a physical scale the sizes assume
//! [`crate::measure::NOMINAL_MM_PER_PX`] and every value is in pixel units.

use crate::raster::{HeightUnit, Surface};
use crate::stats::{median, robust_sigma};
use crate::units::MmPerPx;
use serde::Serialize;
use std::ops::RangeInclusive;

/// Depth a depression must exceed to belong to a scar's extent, µm.
pub const EXTENT_UM: f64 = 10.0;
/// Depth a scar must reach somewhere, µm.
pub const CORE_UM: f64 = 30.0;
/// Smallest scar extent after the opening, mm² (an ice-pick scar 0.5 mm
/// across keeps about 0.12 mm² above the extent depth).
pub const MIN_AREA_MM2: f64 = 0.1;
/// Radius of the disc the extent is opened by, mm.
pub const OPENING_RADIUS_MM: f64 = 0.15;
/// Largest ratio of a scar's principal axes (square root of the ratio of
/// its second moments).
pub const MAX_ELONGATION: f64 = 3.0;
/// Share of a region's floor depth down to which a line through it is
/// followed ([`runs_on`]).
pub const LINE_SHARE: f64 = 0.5;
/// A region is looked at as a piece of a line only where the widest disc
/// it holds has a radius under this many times the opening's: a line's
/// pieces are barely wider than the opening, while a rolling or boxcar
/// scar that a wrinkle crosses is far wider (a rolling scar 90 µm deep
/// crossed by a wrinkle 60 µm deep had been dropped).
pub const LINE_PIECE_WIDTH: f64 = 2.0;
/// Equivalent radius under which a scar is an ice-pick scar, mm.
pub const ICE_PICK_RADIUS_MM: f64 = 0.6;
/// Mean depth over its extent, over the floor's depth, from which a wider
/// scar is a boxcar scar.
pub const FLAT_FLOOR_RATIO: f64 = 0.6;

/// The lateral scale the scar sizes are taken at.
fn nominal_mm(s: &Surface) -> f64 {
    s.mm_per_px
        .map_or(crate::measure::NOMINAL_MM_PER_PX, MmPerPx::get)
}

/// What a scar looks like (a guess from its size and floor, as a
/// practitioner would name it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScarType {
    /// Narrow and deep: under [`ICE_PICK_RADIUS_MM`] of equivalent radius.
    IcePick,
    /// Wider, with a flat floor and steep walls: the mean depth over its
    /// extent is at least [`FLAT_FLOOR_RATIO`] of the floor's.
    Boxcar,
    /// Wide, shallow and sloping: a bowl.
    Rolling,
}

/// One scar found in a surface.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Scar {
    /// Its type, guessed from its size and floor.
    #[serde(rename = "type")]
    pub kind: ScarType,
    /// Depth-weighted centre, pixels (x right, y down).
    pub centre: (f64, f64),
    /// Area, mm² (px² without a scale).
    pub area: f64,
    /// Mean depth below the reference over the scar, µm (px without a scale).
    pub mean_depth: f64,
    /// Depth of the floor below the reference, µm (px): the apex of a
    /// robust quadratic fit to the floor, so a pore on it does not count.
    pub max_depth: f64,
    /// Volume below the reference, mm³ (px³ without a scale).
    pub volume: f64,
    /// Equivalent radius of the area, mm (px).
    pub radius: f64,
}

/// The depth below the robust degree-2 form (positive down) and the scars
/// in it (see the module documentation for the rule).
#[must_use]
pub fn find_scars(s: &Surface) -> (Vec<f64>, Vec<Scar>) {
    let depth: Vec<f64> = s.remove_form().iter().map(|v| -v).collect();
    let scars = scars_in_depth(s, &depth);
    (depth, scars)
}

/// Scars in a depth map (positive below the reference).
#[must_use]
pub fn scars_in_depth(s: &Surface, depth: &[f64]) -> Vec<Scar> {
    let (w, h) = (s.w, s.h);
    let nominal_mm = nominal_mm(s);
    // thresholds in the unit of the heights
    let to_z = |um: f64| match s.unit {
        HeightUnit::Um => um,
        HeightUnit::PixelWidth => um / (nominal_mm * 1000.0),
    };
    // rough skin raises both thresholds to 3 and 6 robust σ of its relief,
    // so that its deepest pores and furrows are not taken for scars
    let sigma = robust_sigma(depth);
    let (extent, core) = (
        to_z(EXTENT_UM).max(3.0 * sigma),
        to_z(CORE_UM).max(6.0 * sigma),
    );
    let min_px = (MIN_AREA_MM2 / (nominal_mm * nominal_mm)).ceil() as usize;
    // the extent, opened: what is narrower than the opening (pores, fine
    // lines) falls away, and lines no longer join scars
    let below: Vec<bool> = depth.iter().map(|&d| d > extent).collect();
    let radius_px = OPENING_RADIUS_MM / nominal_mm;
    let opened = opening(&below, w, h, radius_px);
    // squared distance of each pixel of the opened extent to its edge; a
    // pixel without a height (a hole, a clipped floor) is no edge, or one
    // missing pixel on a scar's floor would make the scar thin
    let outside: Vec<bool> = opened
        .iter()
        .zip(depth)
        .map(|(&o, d)| !o && d.is_finite())
        .collect();
    let inside = squared_distance(&outside, w, h);
    let mut label = vec![0u32; w * h];
    let mut scars = Vec::new();
    let mut stack = Vec::new();
    let mut region = Vec::new();
    for start in 0..w * h {
        if label[start] != 0 || !opened[start] {
            continue;
        }
        // flood the opened component
        region.clear();
        label[start] = u32::MAX;
        stack.push(start);
        let (mut deepest, mut floor_at, mut widest) = (0.0f64, start, 0.0f64);
        while let Some(i) = stack.pop() {
            region.push(i);
            if depth[i] > deepest {
                (deepest, floor_at) = (depth[i], i);
            }
            widest = widest.max(inside[i]);
            for j in neighbours(i, w, h) {
                if label[j] == 0 && opened[j] {
                    label[j] = u32::MAX;
                    stack.push(j);
                }
            }
        }
        if region.len() < min_px
            || deepest < core
            || is_elongated(&region, w)
            || region.len() as f64 > MAX_ELONGATION * std::f64::consts::PI * widest
            || (widest.sqrt() < LINE_PIECE_WIDTH * radius_px
                && runs_on(depth, w, h, &region, floor_at))
        {
            continue;
        }
        let id = scars.len() as u32 + 1;
        for &i in &region {
            label[i] = id;
        }
        // the type looks at the scar's own extent, before the rim joins
        let core_mean = region.iter().map(|&i| depth[i]).sum::<f64>() / region.len() as f64;
        // grow over the rim still below the reference, breadth first, at
        // most half the equivalent radius
        let reach = ((region.len() as f64 / std::f64::consts::PI).sqrt() * 0.5).ceil() as usize;
        let mut frontier: Vec<usize> = region.clone();
        for _ in 0..reach {
            let mut next = Vec::new();
            for &i in &frontier {
                for j in neighbours(i, w, h) {
                    if label[j] == 0 && depth[j] > 0.0 {
                        label[j] = id;
                        next.push(j);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            region.extend_from_slice(&next);
            frontier = next;
        }
        region.sort_unstable();
        scars.push(measure_region(s, depth, &region, core_mean));
    }
    scars
}

/// Whether a region is a furrow rather than a scar: the ratio of its
/// principal second moments exceeds [`MAX_ELONGATION`].
fn is_elongated(region: &[usize], w: usize) -> bool {
    let n = region.len() as f64;
    let (mut sx, mut sy) = (0.0, 0.0);
    for &i in region {
        sx += (i % w) as f64;
        sy += (i / w) as f64;
    }
    let (mx, my) = (sx / n, sy / n);
    let (mut xx, mut yy, mut xy) = (0.0, 0.0, 0.0);
    for &i in region {
        let (dx, dy) = ((i % w) as f64 - mx, (i / w) as f64 - my);
        xx += dx * dx;
        yy += dy * dy;
        xy += dx * dy;
    }
    let (t, d) = ((xx + yy) / n, (xx * yy - xy * xy) / (n * n));
    let disc = (t * t / 4.0 - d).max(0.0).sqrt();
    let (major, minor) = (t / 2.0 + disc, (t / 2.0 - disc).max(1e-12));
    major / minor > MAX_ELONGATION * MAX_ELONGATION
}

/// Whether a region is a piece of a line or of lines crossing: the
/// depression deeper than [`LINE_SHARE`] of its floor, followed from its
/// floor (8-neighbours), runs on farther from its centre than twice its
/// equivalent radius. A fine line survives the opening in pieces where
/// it runs a little wider (over a pore, or deeper for a stretch), and two
/// lines crossing make a compact knot; the line goes on beyond either at
/// nearly their depth, where a scar's floor ends at its walls. Asked only
/// of narrow regions ([`LINE_PIECE_WIDTH`]): a narrow scar that a line
/// crosses keeps its place while the line is less than that share of its
/// floor deep, a wider one whatever the line.
fn runs_on(depth: &[f64], w: usize, h: usize, region: &[usize], floor_at: usize) -> bool {
    let n = region.len() as f64;
    let (cx, cy) = region.iter().fold((0.0, 0.0), |(x, y), &i| {
        (x + (i % w) as f64 / n, y + (i / w) as f64 / n)
    });
    let far = 2.0 * (n / std::f64::consts::PI).sqrt();
    let level = LINE_SHARE * depth[floor_at];
    let mut seen = std::collections::HashSet::from([floor_at]);
    let mut stack = vec![floor_at];
    while let Some(i) = stack.pop() {
        if ((i % w) as f64 - cx).hypot((i / w) as f64 - cy) > far {
            return true;
        }
        for j in neighbours(i, w, h) {
            if depth[j] > level && seen.insert(j) {
                stack.push(j);
            }
        }
    }
    false
}

/// The squared Euclidean distance of every pixel of a `w`×`h` grid to the
/// nearest `true` pixel of `seed` (a huge value when there is none), by
/// the lower envelope of parabolas along columns, then rows (Felzenszwalb
/// and Huttenlocher 2012, "Distance transforms of sampled functions",
/// Theory of Computing 8, doi:10.4086/toc.2012.v008a019).
fn squared_distance(seed: &[bool], w: usize, h: usize) -> Vec<f64> {
    const FAR: f64 = 1e30;
    let mut d: Vec<f64> = seed.iter().map(|&s| if s { 0.0 } else { FAR }).collect();
    let n = w.max(h);
    let (mut f, mut out) = (vec![0.0; n], vec![0.0; n]);
    let (mut v, mut z) = (vec![0usize; n], vec![0.0f64; n + 1]);
    for x in 0..w {
        for y in 0..h {
            f[y] = d[y * w + x];
        }
        envelope(&f[..h], &mut out[..h], &mut v, &mut z);
        for y in 0..h {
            d[y * w + x] = out[y];
        }
    }
    for y in 0..h {
        f[..w].copy_from_slice(&d[y * w..(y + 1) * w]);
        envelope(&f[..w], &mut out[..w], &mut v, &mut z);
        d[y * w..(y + 1) * w].copy_from_slice(&out[..w]);
    }
    d
}

/// One dimension of [`squared_distance`]: out[q] = min_p f[p] + (q − p)².
fn envelope(f: &[f64], out: &mut [f64], v: &mut [usize], z: &mut [f64]) {
    let n = f.len();
    if n == 0 {
        return;
    }
    let mut k = 0usize;
    v[0] = 0;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    let meet = |q: usize, p: usize| {
        ((f[q] + (q * q) as f64) - (f[p] + (p * p) as f64)) / (2.0 * (q as f64 - p as f64))
    };
    for q in 1..n {
        let mut s = meet(q, v[k]);
        while s <= z[k] {
            k -= 1;
            s = meet(q, v[k]);
        }
        k += 1;
        v[k] = q;
        z[k] = s;
        z[k + 1] = f64::INFINITY;
    }
    k = 0;
    for (q, o) in out.iter_mut().enumerate() {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let p = v[k];
        *o = (q as f64 - p as f64).powi(2) + f[p];
    }
}

/// The morphological opening of `mask` by a disc of `radius` px: the
/// pixels within `radius` of a pixel whose disc lies inside the mask.
fn opening(mask: &[bool], w: usize, h: usize, radius: f64) -> Vec<bool> {
    let r2 = radius * radius;
    let outside: Vec<bool> = mask.iter().map(|&m| !m).collect();
    let eroded: Vec<bool> = squared_distance(&outside, w, h)
        .iter()
        .map(|&d| d > r2)
        .collect();
    squared_distance(&eroded, w, h)
        .iter()
        .map(|&d| d <= r2)
        .collect()
}

/// The 8-connected neighbours of pixel `i` inside a `w × h` grid.
pub(super) fn neighbours(i: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let (x, y) = ((i % w) as isize, (i / w) as isize);
    [
        (-1, -1),
        (0, -1),
        (1, -1),
        (-1, 0),
        (1, 0),
        (-1, 1),
        (0, 1),
        (1, 1),
    ]
    .into_iter()
    .filter_map(move |(dx, dy)| {
        let (nx, ny) = (x + dx, y + dy);
        (nx >= 0 && ny >= 0 && (nx as usize) < w && (ny as usize) < h)
            .then(|| ny as usize * w + nx as usize)
    })
}

/// A scar's measures over its `region` (rim included); `core_mean`: its
/// mean depth over its extent before the rim joined (for its type).
fn measure_region(s: &Surface, depth: &[f64], region: &[usize], core_mean: f64) -> Scar {
    let w = s.w;
    let (mut sum, mut max) = (0.0f64, 0.0f64);
    for &i in region {
        let d = depth[i].max(0.0);
        sum += d;
        max = max.max(d);
    }
    // the centre: depth-weighted over the deeper half (a pore on the floor
    // is too small to move it)
    let (mut cx, mut cy, mut wsum) = (0.0, 0.0, 0.0);
    for &i in region {
        let d = depth[i] - 0.5 * max;
        if d > 0.0 {
            cx += d * (i % w) as f64;
            cy += d * (i / w) as f64;
            wsum += d;
        }
    }
    let centre = if wsum > 0.0 {
        (cx / wsum, cy / wsum)
    } else {
        ((region[0] % w) as f64, (region[0] / w) as f64)
    };
    let n = region.len() as f64;
    let radius_px = (n / std::f64::consts::PI).sqrt();
    let bottom = floor_depth(depth, s.w, s.h, centre, radius_px).map_or(max, |b| b.min(max))
        - rim_level(depth, s.w, s.h, centre, radius_px);
    let px_area = s.pixel_area();
    let (to_vol, _) = s.volume_unit();
    let (depth_unit, _) = s.depth_unit();
    let kind = if (n / std::f64::consts::PI).sqrt() * nominal_mm(s) < ICE_PICK_RADIUS_MM {
        ScarType::IcePick
    } else if core_mean >= FLAT_FLOOR_RATIO * bottom {
        ScarType::Boxcar
    } else {
        ScarType::Rolling
    };
    Scar {
        kind,
        centre,
        area: n * px_area,
        mean_depth: sum / n * depth_unit,
        max_depth: bottom * depth_unit,
        volume: sum * to_vol,
        radius: (n * px_area / std::f64::consts::PI).sqrt(),
    }
}

/// The columns and rows of the square reaching `radius` px from `centre`,
/// clipped to the `w × h` grid.
pub(crate) fn window(
    centre: (f64, f64),
    radius: f64,
    w: usize,
    h: usize,
) -> (RangeInclusive<usize>, RangeInclusive<usize>) {
    let span = |c: f64, len: usize| {
        (c - radius).floor().max(0.0) as usize
            ..=((c + radius).ceil().max(0.0) as usize).min(len.saturating_sub(1))
    };
    (span(centre.0, w), span(centre.1, h))
}

/// The level of the skin around a scar: the median depth below the form
/// over the ring 1.2–1.6 scar radii from its centre (0 with fewer than 12
/// pixels there). A scar's depth is measured from it, so skin more curved
/// than the degree-2 form (a 20 mm patch on a 25 mm radius: the largest
/// scar read 10 % shallow) does not add its residual to the scar.
pub(crate) fn rim_level(
    depth: &[f64],
    w: usize,
    h: usize,
    centre: (f64, f64),
    radius_px: f64,
) -> f64 {
    let (inner, outer) = (1.2 * radius_px, 1.6 * radius_px);
    let (cols, rows) = window(centre, outer, w, h);
    let mut ring = Vec::new();
    for y in rows {
        for x in cols.clone() {
            let r = (x as f64 - centre.0).hypot(y as f64 - centre.1);
            let d = depth[y * w + x];
            if (inner..=outer).contains(&r) && d.is_finite() {
                ring.push(d);
            }
        }
    }
    if ring.len() < 12 {
        0.0
    } else {
        median(&mut ring)
    }
}

/// The depth of a scar's floor: the deepest point of a quadratic surface
/// plus a cone term (c·r, r the distance from the centre) fitted robustly
/// (Tukey biweight) to the depths within 0.3 of the scar's radius of its
/// centre. Pores and furrows on the floor are outliers to that fit, so they
/// do not add their own depth; a smooth bowl's apex is within 0.3 % of its
/// true bottom, and the cone term keeps the tip of a V-shaped ice-pick scar
/// (a quadratic alone read a cone 13 % shallow). `None` when the scar is too
/// small for a fit.
pub(crate) fn floor_depth(
    depth: &[f64],
    w: usize,
    h: usize,
    centre: (f64, f64),
    radius_px: f64,
) -> Option<f64> {
    let rho = 0.3 * radius_px;
    if rho < 3.0 {
        return None;
    }
    let (cols, rows) = window(centre, rho, w, h);
    let mut pts = Vec::new();
    for y in rows {
        for x in cols.clone() {
            let (u, v) = ((x as f64 - centre.0) / rho, (y as f64 - centre.1) / rho);
            let d = depth[y * w + x];
            let r2 = u * u + v * v;
            if r2 <= 1.0 && d.is_finite() {
                pts.push(([1.0, u, v, u * u, u * v, v * v, r2.sqrt()], d));
            }
        }
    }
    if pts.len() < 14 {
        return None;
    }
    let mut coef = [0.0f64; 7];
    let mut weights = vec![1.0f64; pts.len()];
    for _ in 0..10 {
        let mut a = nalgebra::SMatrix::<f64, 7, 7>::zeros();
        let mut b = nalgebra::SVector::<f64, 7>::zeros();
        for ((t, d), &wt) in pts.iter().zip(&weights) {
            for i in 0..7 {
                b[i] += wt * t[i] * d;
                for j in 0..7 {
                    a[(i, j)] += wt * t[i] * t[j];
                }
            }
        }
        let sol = a.cholesky()?.solve(&b);
        coef.copy_from_slice(sol.as_slice());
        let res: Vec<f64> = pts
            .iter()
            .map(|(t, d)| d - (0..7).map(|k| coef[k] * t[k]).sum::<f64>())
            .collect();
        let c = 4.685 * robust_sigma(&res).max(1e-9);
        for (wt, r) in weights.iter_mut().zip(&res) {
            let q = r / c;
            *wt = if q.abs() >= 1.0 {
                0.0
            } else {
                (1.0 - q * q).powi(2)
            };
        }
    }
    let value = |u: f64, v: f64| {
        coef[0]
            + coef[1] * u
            + coef[2] * v
            + coef[3] * u * u
            + coef[4] * u * v
            + coef[5] * v * v
            + coef[6] * u.hypot(v)
    };
    // apex of the quadratic part (a maximum of depth), or the centre where
    // the cone term peaks
    let m = nalgebra::Matrix2::new(2.0 * coef[3], coef[4], coef[4], 2.0 * coef[5]);
    let apex = m
        .try_inverse()
        .map(|inv| inv * nalgebra::Vector2::new(-coef[1], -coef[2]));
    match apex {
        Some(p) if p.x * p.x + p.y * p.y <= 1.0 && coef[3] <= 0.0 && coef[5] <= 0.0 => {
            Some(value(p.x, p.y).max(value(0.0, 0.0)))
        }
        // a flat floor (a boxcar scar) or a tilted one: the fit at the centre
        _ => Some(value(0.0, 0.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Squared distance to the nearest seed, by trying every seed.
    fn naive_squared_distance(seed: &[bool], w: usize, h: usize) -> Vec<f64> {
        (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f64, (i / w) as f64);
                (0..w * h)
                    .filter(|&j| seed[j])
                    .map(|j| ((j % w) as f64 - x).powi(2) + ((j / w) as f64 - y).powi(2))
                    .fold(1e30, f64::min)
            })
            .collect()
    }

    #[test]
    fn distance_transform_equals_trying_every_seed() {
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        for (w, h, density) in [(1, 1, 2), (7, 1, 3), (1, 9, 3), (23, 17, 10), (40, 31, 60)] {
            let seed: Vec<bool> = (0..w * h)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    s.is_multiple_of(density)
                })
                .collect();
            let got = squared_distance(&seed, w, h);
            let want = naive_squared_distance(&seed, w, h);
            for (g, v) in got.iter().zip(&want) {
                assert!(
                    (g - v).abs() < 1e-9 || (*g > 1e29 && *v > 1e29),
                    "{w}x{h}: {g} vs {v}"
                );
            }
        }
    }

    #[test]
    fn opening_keeps_a_disc_and_removes_a_thin_line() {
        let (w, h) = (60, 40);
        let mask: Vec<bool> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f64, (i / w) as f64);
                // a disc of radius 8 at (15, 20) and a line 3 px wide along y = 30
                (x - 15.0).hypot(y - 20.0) <= 8.0 || (y - 30.0).abs() <= 1.0
            })
            .collect();
        let opened = opening(&mask, w, h, 3.0);
        assert!(opened[20 * w + 15] && opened[20 * w + 22], "the disc stays");
        assert!((0..w).all(|x| !opened[30 * w + x] || (x as f64 - 15.0).abs() <= 9.0));
        assert!(!opened[30 * w + 50], "the line goes");
        // an opening is never larger than the mask
        assert!(opened.iter().zip(&mask).all(|(o, m)| !o || *m));
    }

    /// A surface in µm at 0.02 mm/px with the given depth below 0.
    fn surface(w: usize, h: usize, depth: impl Fn(f64, f64) -> f64) -> Surface {
        Surface {
            w,
            h,
            z: (0..w * h)
                .map(|i| -depth((i % w) as f64, (i / w) as f64))
                .collect(),
            unit: HeightUnit::Um,
            mm_per_px: MmPerPx::new(0.02),
        }
    }

    /// A boxcar scar's depth at `r` px from its centre: 200 µm over a flat
    /// floor of radius 35 px, a cosine wall out to 50 px.
    fn boxcar(r: f64) -> f64 {
        let (big, floor, d) = (50.0, 35.0, 200.0);
        if r <= floor {
            d
        } else if r < big {
            d * 0.5 * (1.0 + (std::f64::consts::PI * (r - floor) / (big - floor)).cos())
        } else {
            0.0
        }
    }

    #[test]
    fn scars_are_told_from_lines_and_pores_and_typed() {
        // 0.02 mm/px: a rolling bowl of radius 1.6 mm (80 px), a boxcar of
        // 1.0 mm (50 px, floor 0.7 of it), an ice-pick of 0.35 mm (17.5 px);
        // a fine line 70 µm deep (σ 0.12 mm) crossing the patch and a grid
        // of pores 60 µm deep (σ 0.06 mm), none of them a scar
        let (w, h) = (600, 420);
        let bowl = |r: f64, big: f64, d: f64| {
            if r >= big {
                0.0
            } else {
                d * 0.5 * (1.0 + (std::f64::consts::PI * r / big).cos())
            }
        };
        let s = surface(w, h, |x, y| {
            let mut d = bowl((x - 120.0).hypot(y - 150.0), 80.0, 200.0)
                + boxcar((x - 320.0).hypot(y - 150.0))
                + bowl((x - 480.0).hypot(y - 150.0), 17.5, 300.0);
            let line = y - 300.0 - 0.05 * x;
            d += 70.0 * (-(line * line) / (2.0 * 6.0 * 6.0)).exp();
            let (px, py) = ((x % 40.0) - 20.0, (y % 40.0) - 20.0);
            if y > 330.0 {
                d += 60.0 * (-(px * px + py * py) / (2.0 * 3.0 * 3.0)).exp();
            }
            d
        });
        let depth: Vec<f64> = s.z.iter().map(|z| -z).collect();
        let scars = scars_in_depth(&s, &depth);
        let kinds: Vec<(ScarType, i64)> = scars
            .iter()
            .map(|sc| (sc.kind, (sc.centre.0 / 10.0).round() as i64))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (ScarType::Rolling, 12),
                (ScarType::Boxcar, 32),
                (ScarType::IcePick, 48)
            ],
            "{scars:?}"
        );
    }

    #[test]
    fn pieces_of_lines_and_lines_crossing_are_no_scars_and_a_scar_a_line_crosses_is() {
        // 0.02 mm/px: a fine line 60 µm deep (σ 0.07 mm) with pores 40 µm
        // deep (σ 0.1 mm) on it, where it survives the opening in compact
        // pieces; two lines 75 µm deep (σ 0.08 mm) crossing in an X, a
        // knot 150 µm deep; and a boxcar scar 200 µm deep that a line
        // 80 µm deep (σ 0.06 mm) crosses, which stays a scar
        let (w, h) = (700, 400);
        let groove =
            |dist: f64, d: f64, sigma: f64| d * (-(dist * dist) / (2.0 * sigma * sigma)).exp();
        let s = surface(w, h, |x, y| {
            let mut d = groove(y - 100.0, 60.0, 3.5);
            for px in [100.0, 200.0, 300.0] {
                d += groove((x - px).hypot(y - 100.0), 40.0, 5.0);
            }
            let (u, v) = ((x - 200.0) + (y - 280.0), (x - 200.0) - (y - 280.0));
            if u.abs().max(v.abs()) < 200.0 {
                d += groove(v / 2f64.sqrt(), 75.0, 4.0) + groove(u / 2f64.sqrt(), 75.0, 4.0);
            }
            d + boxcar((x - 550.0).hypot(y - 250.0))
                + groove(x - 550.0 - 0.2 * (y - 250.0), 80.0, 3.0)
        });
        let depth: Vec<f64> = s.z.iter().map(|z| -z).collect();
        let scars = scars_in_depth(&s, &depth);
        assert_eq!(scars.len(), 1, "{scars:?}");
        assert!((scars[0].centre.0 - 550.0).abs() < 5.0, "{scars:?}");
    }

    #[test]
    fn a_wrinkle_across_a_shallow_rolling_scar_or_a_hole_in_a_floor_drops_no_scar() {
        // 0.02 mm/px: a rolling bowl 90 µm deep of radius 1.6 mm that a
        // wrinkle 60 µm deep (σ 0.06 mm) crosses 0.8 mm off its centre, and
        // a cone-shaped ice-pick 300 µm deep of radius 0.4 mm with one
        // pixel of its floor missing (a 3D camera's hole)
        let (w, h) = (520, 300);
        let s = surface(w, h, |x, y| {
            if (x, y) == (400.0, 150.0) {
                return f64::NAN;
            }
            let r = (x - 150.0).hypot(y - 150.0);
            let bowl = if r < 80.0 {
                90.0 * 0.5 * (1.0 + (std::f64::consts::PI * r / 80.0).cos())
            } else {
                0.0
            };
            let wrinkle = 60.0 * (-((x - 190.0).powi(2)) / (2.0 * 3.0 * 3.0)).exp();
            let cone = 300.0 * (1.0 - (x - 400.0).hypot(y - 150.0) / 20.0).max(0.0);
            bowl + wrinkle + cone
        });
        let depth: Vec<f64> = s.z.iter().map(|z| -z).collect();
        let scars = scars_in_depth(&s, &depth);
        let at: Vec<i64> = scars
            .iter()
            .map(|sc| (sc.centre.0 / 50.0).round() as i64)
            .collect();
        assert_eq!(at, vec![3, 8], "{scars:?}");
    }

    #[test]
    fn big_scars_on_curved_skin_and_a_v_shaped_ice_pick_keep_their_depth() {
        // a 20 mm patch (0.04 mm/px) with six scars of 0.3–28 mm² (bowls,
        // boxcars with a floor 0.7 of their radius, a cone-shaped ice-pick)
        // on a sphere of radius 25 mm (a chin: more curved than the
        // degree-2 form) or on a plane, with a fine relief
        let (w, h, mm) = (500usize, 500usize, 0.04);
        let scars = [
            (110.0, 120.0, 75.0, Some(0.0), 200.0),
            (330.0, 110.0, 62.0, Some(0.0), 250.0),
            (120.0, 350.0, 50.0, Some(0.7), 300.0),
            (300.0, 300.0, 37.0, Some(0.7), 250.0),
            (420.0, 420.0, 10.0, None, 350.0),
            (430.0, 250.0, 8.0, Some(0.0), 300.0),
        ];
        let profile = |r: f64, big: f64, floor: Option<f64>, d: f64| match floor {
            _ if r >= big => 0.0,
            None => d * (1.0 - r / big),
            Some(f) if r <= f * big => d,
            Some(f) => {
                d * 0.5 * (1.0 + (std::f64::consts::PI * (r - f * big) / (big - f * big)).cos())
            }
        };
        for (sphere_mm, tolerance) in [(None, 0.02), (Some(25.0f64), 0.07)] {
            let z: Vec<f64> = (0..w * h)
                .map(|i| {
                    let (x, y) = ((i % w) as f64, (i / w) as f64);
                    let (xm, ym) = ((x - 250.0) * mm, (y - 250.0) * mm);
                    let mut z = sphere_mm
                        .map_or(0.0, |r| 1000.0 * ((r * r - xm * xm - ym * ym).sqrt() - r))
                        + 6.0 * (x * 0.7).sin() * (y * 0.5).cos();
                    for &(cx, cy, big, floor, d) in &scars {
                        z -= profile((x - cx).hypot(y - cy), big, floor, d);
                    }
                    z
                })
                .collect();
            let s = Surface {
                w,
                h,
                z,
                unit: HeightUnit::Um,
                mm_per_px: MmPerPx::new(mm),
            };
            let (_, found) = find_scars(&s);
            for &(cx, cy, big, _, d) in &scars {
                let f = found
                    .iter()
                    .find(|f| (f.centre.0 - cx).hypot(f.centre.1 - cy) < big)
                    .unwrap_or_else(|| panic!("{sphere_mm:?}: scar at ({cx}, {cy}) not found"));
                let err = f.max_depth / d - 1.0;
                assert!(
                    err.abs() <= tolerance,
                    "{sphere_mm:?}: scar at ({cx}, {cy}): {:+.1} %",
                    100.0 * err
                );
            }
        }
    }
}
