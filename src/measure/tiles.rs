//! The fixed grid of sub-tiles over an ROI, the standard error of a metric
//! from its per-tile values (DESIGN.md: uncertainty), and the form in which
//! each metric family hands its values to `measure`.

use std::borrow::Cow;

/// A fixed grid of sub-tiles over a `w × h` region.
#[derive(Clone, Copy, Debug)]
pub struct Tiles {
    w: usize,
    h: usize,
    nx: usize,
    ny: usize,
}

impl Tiles {
    /// `n × n` tiles (fewer along a side shorter than 16·n px, at least 1).
    #[must_use]
    pub fn new(w: usize, h: usize, n: usize) -> Tiles {
        let fit = |side: usize| n.min(side / 16).max(1);
        Tiles {
            w: w.max(1),
            h: h.max(1),
            nx: fit(w),
            ny: fit(h),
        }
    }
    /// Number of tiles.
    #[must_use]
    pub fn count(&self) -> usize {
        self.nx * self.ny
    }
    /// Tile column of pixel column `x`.
    #[must_use]
    #[inline]
    pub fn col_of(&self, x: usize) -> usize {
        (x * self.nx / self.w).min(self.nx - 1)
    }
    /// The runs of pixel columns that share a tile column, left to right:
    /// (first column, end column, tile column).
    #[must_use]
    pub fn column_runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs: Vec<(usize, usize, usize)> = Vec::with_capacity(self.nx);
        for x in 0..self.w {
            let tx = self.col_of(x);
            match runs.last_mut() {
                Some(run) if run.2 == tx => run.1 = x + 1,
                _ => runs.push((x, x + 1, tx)),
            }
        }
        runs
    }
    /// Tile row of pixel row `y`.
    #[must_use]
    #[inline]
    pub fn row_of(&self, y: usize) -> usize {
        (y * self.ny / self.h).min(self.ny - 1)
    }
    /// Index of tile (tx, ty).
    #[must_use]
    #[inline]
    pub fn index(&self, tx: usize, ty: usize) -> usize {
        ty * self.nx + tx
    }
    /// Tile index of pixel (x, y).
    #[must_use]
    #[inline]
    pub fn of(&self, x: usize, y: usize) -> usize {
        self.index(self.col_of(x), self.row_of(y))
    }
    /// Number of pixels in each tile (by columns × rows per tile).
    #[must_use]
    pub fn pixels(&self) -> Vec<u64> {
        let mut cols = vec![0u64; self.nx];
        let mut rows = vec![0u64; self.ny];
        (0..self.w).for_each(|x| cols[self.col_of(x)] += 1);
        (0..self.h).for_each(|y| rows[self.row_of(y)] += 1);
        rows.iter()
            .flat_map(|&r| cols.iter().map(move |&c| r * c))
            .collect()
    }
}

/// Standard error of the mean of the finite `tile_values`: sd/√n, 0 with
/// fewer than two.
#[must_use]
pub fn sem(tile_values: &[f64]) -> f64 {
    let v: Vec<f64> = tile_values
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    let n = v.len();
    if n < 2 {
        return 0.0;
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (var / n as f64).sqrt()
}

/// One metric as a family computes it: its value on the whole ROI and on
/// each sub-tile. `measure` adds the unit and the uncertainty ([`sem`] of
/// the tiles) and leaves out a value that is not finite.
#[derive(Clone, Debug, PartialEq)]
pub struct TiledValue {
    /// Metric id (`catalog::id`, or its twin `catalog::twin`).
    pub id: Cow<'static, str>,
    /// The value on the whole ROI.
    pub value: f64,
    /// The value on each sub-tile, in [`Tiles::index`] order (NaN where
    /// undefined).
    pub tiles: Vec<f64>,
}

impl TiledValue {
    /// The value `value` of metric `id` with its per-tile values.
    #[must_use]
    pub fn new(id: impl Into<Cow<'static, str>>, value: f64, tiles: Vec<f64>) -> TiledValue {
        TiledValue {
            id: id.into(),
            value,
            tiles,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sem_by_hand() {
        // values 1, 2, 3, 4: mean 2.5, sd √(5/3), SEM = sd/2
        assert!((sem(&[1.0, 2.0, 3.0, 4.0]) - (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-12);
        assert_eq!(sem(&[7.0]), 0.0);
        assert_eq!(sem(&[f64::NAN, 2.0]), 0.0);
    }

    #[test]
    fn column_runs_follow_col_of() {
        for (w, n) in [
            (1, 4),
            (15, 4),
            (16, 4),
            (100, 4),
            (101, 3),
            (4032, 4),
            (77, 7),
        ] {
            let t = Tiles::new(w, 50, n);
            let mut from_runs = Vec::new();
            for (x0, x1, tx) in t.column_runs() {
                from_runs.extend((x0..x1).map(|_| tx));
            }
            let direct: Vec<usize> = (0..w).map(|x| t.col_of(x)).collect();
            assert_eq!(from_runs, direct, "w {w}, n {n}");
        }
    }

    #[test]
    fn tiles_cover_every_pixel_once() {
        let t = Tiles::new(70, 50, 4);
        assert_eq!(t.count(), 12); // 50 px tall allows 3 rows of ≥ 16 px
        let mut seen = vec![0u64; t.count()];
        for y in 0..50 {
            for x in 0..70 {
                seen[t.of(x, y)] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n > 0));
        assert_eq!(seen.iter().sum::<u64>(), 3500);
        assert_eq!(t.pixels(), seen);
    }
}
