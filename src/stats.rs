//! Small robust statistics shared by the numerical stages.

/// The standard deviation of a uniform error over an interval of unit
/// width, 1/√12: a quantiser's rounding, or a quantity known only to lie
/// within bounds.
pub const UNIFORM_SD: f64 = 0.288_675_134_594_812_9;

/// The median of `v` (the upper middle value for an even count), reordering
/// `v`; 0 when `v` is empty.
#[must_use]
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    *m
}

/// 1.4826 × the median absolute deviation from the median of the finite
/// values of `v`: the standard deviation for Gaussian data, unmoved by a
/// minority of outliers; 0 when none is finite.
#[must_use]
pub fn robust_sigma(v: &[f64]) -> f64 {
    let mut f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let med = median(&mut f);
    for x in &mut f {
        *x = (*x - med).abs();
    }
    1.4826 * median(&mut f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_robust_sigma_against_sorted_loops() {
        let mut v = vec![5.0, 1.0, 4.0, 2.0, 3.0, 100.0];
        let mut sorted = v.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(median(&mut v), sorted[3]);
        assert_eq!(median(&mut []), 0.0);
        // deviations from 4: 1 3 0 2 1 96 → median (upper) 2
        let s = robust_sigma(&[5.0, 1.0, 4.0, 2.0, 3.0, 100.0, f64::NAN]);
        assert!((s - 1.4826 * 2.0).abs() < 1e-12, "{s}");
    }
}
