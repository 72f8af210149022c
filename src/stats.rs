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

/// The `q` quantile of sorted `v` with linear interpolation between order
/// statistics (NumPy's default, Hyndman–Fan type 7).
#[must_use]
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// A spread of `v` that a minority does not hide: the distance between its
/// 10th and 90th percentiles over that of a normal distribution (2.563 σ),
/// so a normal sample reads its σ. Unlike [`robust_sigma`] it sees a group
/// of a fifth of the values apart from the rest (dark hair beside skin);
/// 0 when fewer than two values are finite.
#[must_use]
pub fn decile_sigma(v: &[f64]) -> f64 {
    let mut f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if f.len() < 2 {
        return 0.0;
    }
    f.sort_by(f64::total_cmp);
    (quantile(&f, 0.9) - quantile(&f, 0.1)) / 2.563_103_131_1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy() {
        // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) = 1.75, 2.5, 3.25
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.25), 1.75);
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert_eq!(quantile(&v, 0.75), 3.25);
        // numpy.percentile([-30, -10, 5], [25, 50, 75]) = -20, -10, -2.5
        let v = [-30.0, -10.0, 5.0];
        assert_eq!(quantile(&v, 0.25), -20.0);
        assert_eq!(quantile(&v, 0.5), -10.0);
        assert_eq!(quantile(&v, 0.75), -2.5);
        assert_eq!(quantile(&[7.0], 0.25), 7.0);
    }

    #[test]
    fn the_decile_spread_reads_a_normal_sigma_and_sees_a_minority() {
        // eleven evenly spaced values whose 10th and 90th percentiles are
        // ∓2 × 1.2816 (Φ⁻¹(0.9)), the deciles of a normal of σ 2
        let z = 1.281_551_565_5;
        let v: Vec<f64> = (0..=10).map(|i| 2.0 * z * (i as f64 - 5.0) / 4.0).collect();
        assert!(
            (decile_sigma(&v) - 2.0).abs() < 1e-9,
            "{}",
            decile_sigma(&v)
        );
        // skin (3 in 4) and hair (1 in 4) three units apart: the median
        // deviation sees only the skin, the deciles both
        let mixed: Vec<f64> = (0..400)
            .map(|i| {
                if i % 4 == 0 {
                    -3.0
                } else {
                    0.01 * (i % 7) as f64
                }
            })
            .collect();
        assert!(robust_sigma(&mixed) < 0.1);
        assert!(decile_sigma(&mixed) > 1.0);
        assert_eq!(decile_sigma(&[1.0, f64::NAN]), 0.0);
    }

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
