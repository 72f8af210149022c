//! Gradients where photometric stereo has none: the floor of a deep, narrow
//! scar that no light reaches, or a wall lit by fewer than three lights.
//! Left out of the integration, such a hole is bridged at the height of its
//! rim and the scar reads shallower than it is (an ice-pick scar 550 µm
//! deep read 350 µm). Each gradient component is filled harmonically
//! instead (Laplace's equation over the hole, the gradients around it as
//! the boundary): the walls' slopes carry on across the hole and meet in
//! the middle, as a smooth floor would.

/// Holes larger than this fraction of the image (or without one known
/// neighbour) stay unknown: there is nothing local to continue.
const MAX_HOLE_FRACTION: f64 = 0.01;

/// Over-relaxation of the Gauss–Seidel sweeps.
const OMEGA: f64 = 1.8;

/// Sweeps at most, stopping earlier when no value moves by 1e-9.
const MAX_SWEEPS: usize = 2000;

/// Which `holes` pixels can be filled: 4-connected components of at most
/// [`MAX_HOLE_FRACTION`] of the image that touch a `known` pixel.
#[must_use]
pub fn fillable(known: &[bool], holes: &[bool], w: usize, h: usize) -> Vec<bool> {
    let max_len = ((w * h) as f64 * MAX_HOLE_FRACTION).max(64.0) as usize;
    let mut out = vec![false; w * h];
    let mut seen = vec![false; w * h];
    let mut stack = Vec::new();
    let mut component = Vec::new();
    for start in 0..w * h {
        if !holes[start] || seen[start] {
            continue;
        }
        component.clear();
        let mut touches_known = false;
        seen[start] = true;
        stack.push(start);
        while let Some(i) = stack.pop() {
            component.push(i);
            for j in neighbours(i, w, h) {
                if holes[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                } else if known[j] {
                    touches_known = true;
                }
            }
        }
        if touches_known && component.len() <= max_len {
            for &i in &component {
                out[i] = true;
            }
        }
    }
    out
}

/// Fills `values` at the `fill` pixels harmonically from the `known` ones
/// (pixels neither known nor filled do not take part). Sequential sweeps
/// in a fixed order: the result does not depend on the thread count.
pub fn harmonic(values: &mut [f64], known: &[bool], fill: &[bool], w: usize, h: usize) {
    let order: Vec<usize> = (0..w * h).filter(|&i| fill[i]).collect();
    if order.is_empty() {
        return;
    }
    // start from the mean of the known neighbours, peeling inward
    let mut have: Vec<bool> = known.to_vec();
    let mut pending = order.clone();
    while !pending.is_empty() {
        let mut next = Vec::new();
        let mut set = Vec::new();
        for &i in &pending {
            let (sum, n) = neighbours(i, w, h)
                .filter(|&j| have[j])
                .fold((0.0, 0usize), |a, j| (a.0 + values[j], a.1 + 1));
            if n > 0 {
                set.push((i, sum / n as f64));
            } else {
                next.push(i);
            }
        }
        if set.is_empty() {
            break;
        }
        for (i, v) in set {
            values[i] = v;
            have[i] = true;
        }
        pending = next;
    }
    for _ in 0..MAX_SWEEPS {
        let mut moved = 0.0f64;
        for &i in &order {
            let (sum, n) = neighbours(i, w, h)
                .filter(|&j| known[j] || fill[j])
                .fold((0.0, 0usize), |a, j| (a.0 + values[j], a.1 + 1));
            if n == 0 {
                continue;
            }
            let step = OMEGA * (sum / n as f64 - values[i]);
            values[i] += step;
            moved = moved.max(step.abs());
        }
        if moved < 1e-9 {
            break;
        }
    }
}

/// The 4-neighbours of pixel `i` inside the `w × h` grid.
pub fn neighbours(i: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % w, i / w);
    [
        (x > 0).then(|| i - 1),
        (x + 1 < w).then(|| i + 1),
        (y > 0).then(|| i - w),
        (y + 1 < h).then(|| i + w),
    ]
    .into_iter()
    .flatten()
}

/// The largest hole (4-connected pixels without a height) a height map's
/// dropouts are filled over: a 3D camera loses single pixels and small
/// clusters on glossy or dark skin, while a scar is hundreds of pixels.
pub const DROPOUT_MAX_PX: usize = 16;

/// Fills each hole of at most [`DROPOUT_MAX_PX`] pixels in `z` (`w × h`,
/// NaN where there is no height) from the heights around it, a ring at a
/// time: each pass gives the hole pixels that touch a height (8-neighbours)
/// the mean of those heights. Scattered dropouts in one visit would
/// otherwise break the region every visit covers into pieces too small to
/// hold a scar. Larger holes stay without a height. Returns the number of
/// pixels filled.
pub fn fill_dropouts(z: &mut [f64], w: usize, h: usize) -> usize {
    let mut small = vec![false; z.len()];
    let mut seen = vec![false; z.len()];
    let mut stack = Vec::new();
    let mut component = Vec::new();
    for start in 0..z.len() {
        if seen[start] || z[start].is_finite() {
            continue;
        }
        // one hole, 4-connected
        component.clear();
        stack.push(start);
        seen[start] = true;
        while let Some(i) = stack.pop() {
            component.push(i);
            for j in neighbours(i, w, h) {
                if !seen[j] && !z[j].is_finite() {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        if component.len() <= DROPOUT_MAX_PX {
            for &i in &component {
                small[i] = true;
            }
        }
    }
    let mut filled = 0;
    loop {
        // this ring's values from the heights known before it
        let ring: Vec<(usize, f64)> = (0..z.len())
            .filter(|&i| small[i])
            .filter_map(|i| {
                let known = super::scars::neighbours(i, w, h)
                    .map(|j| z[j])
                    .filter(|v| v.is_finite());
                let (sum, n) = known.fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
                (n > 0).then(|| (i, sum / f64::from(n)))
            })
            .collect();
        if ring.is_empty() {
            return filled;
        }
        for (i, v) in ring {
            z[i] = v;
            small[i] = false;
            filled += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropouts_are_filled_and_holes_the_size_of_a_scar_are_not() {
        // a tilted plane, 40×30; single dropouts, a pair, and a 5×5 block
        let (w, h) = (40, 30);
        let plane = |i: usize| (i % w) as f64 * 0.5 + (i / w) as f64 * 2.0;
        let mut z: Vec<f64> = (0..w * h).map(plane).collect();
        let singles = [3 * w + 3, 10 * w + 20, 29 * w + 39];
        let pair = [20 * w + 5, 20 * w + 6];
        for &i in singles.iter().chain(&pair) {
            z[i] = f64::NAN;
        }
        for y in 5..10 {
            for x in 28..33 {
                z[y * w + x] = f64::NAN;
            }
        }
        assert_eq!(fill_dropouts(&mut z, w, h), 5);
        // a lone pixel inside the map takes the plane's value (the mean of
        // its eight neighbours); at the corner, of its three
        assert!((z[singles[0]] - plane(singles[0])).abs() < 1e-12);
        assert!((z[singles[1]] - plane(singles[1])).abs() < 1e-12);
        assert!(z[singles[2]].is_finite());
        assert!(pair.iter().all(|&i| (z[i] - plane(i)).abs() < 1.0));
        assert!((5..10).all(|y| (28..33).all(|x| z[y * w + x].is_nan())));
    }

    #[test]
    fn a_linear_ramp_is_filled_exactly_and_big_holes_stay_unknown() {
        // a plane is harmonic: a hole in it is filled with the plane
        let (w, h) = (40, 30);
        let f = |i: usize| 0.3 * (i % w) as f64 - 0.7 * (i / w) as f64 + 2.0;
        let hole: Vec<bool> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f64, (i / w) as f64);
                (x - 20.0).hypot(y - 15.0) < 4.0
            })
            .collect();
        let known: Vec<bool> = hole.iter().map(|&b| !b).collect();
        let fill = fillable(&known, &hole, w, h);
        assert_eq!(fill, hole);
        let mut v: Vec<f64> = (0..w * h)
            .map(|i| if hole[i] { 0.0 } else { f(i) })
            .collect();
        harmonic(&mut v, &known, &fill, w, h);
        for (i, got) in v.iter().enumerate() {
            assert!((got - f(i)).abs() < 1e-6, "{i}: {got} vs {}", f(i));
        }
        // a hole over half the image is left alone
        let big: Vec<bool> = (0..w * h).map(|i| i % w < w / 2).collect();
        let known: Vec<bool> = big.iter().map(|&b| !b).collect();
        assert!(fillable(&known, &big, w, h).iter().all(|&b| !b));
    }
}
