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

#[cfg(test)]
mod tests {
    use super::*;

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
