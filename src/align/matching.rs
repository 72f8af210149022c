//! Matching keypoint descriptors: mutual nearest neighbours with Lowe's
//! ratio test, every distance computed once for both directions.

use super::features::{DESC_LEN, Features};
use rayon::prelude::*;

/// A tentative correspondence: index into the base and moving features.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Match {
    /// Index of the base keypoint.
    pub base: usize,
    /// Index of the moving keypoint.
    pub moving: usize,
    /// Ratio of best to second-best distance (lower is more distinctive).
    pub ratio: f32,
}

/// Dot product with eight independent accumulators (vectorises; the
/// fixed association keeps results identical run to run).
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (Ok(a), Ok(b)) = (
        <&[f32; DESC_LEN]>::try_from(a),
        <&[f32; DESC_LEN]>::try_from(b),
    ) else {
        return 0.0;
    };
    let mut acc = [0.0f32; 8];
    for k in 0..DESC_LEN / 8 {
        for l in 0..8 {
            acc[l] += a[8 * k + l] * b[8 * k + l];
        }
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
}

/// The nearest two of a sequence of squared distances, as one pass in
/// order keeps them: the first index of the smallest, the smallest, and the
/// second smallest (equal to it when it occurs twice).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Nearest {
    best: usize,
    d1: f32,
    d2: f32,
}

impl Nearest {
    const NONE: Nearest = Nearest {
        best: usize::MAX,
        d1: f32::INFINITY,
        d2: f32::INFINITY,
    };

    #[inline]
    fn push(&mut self, j: usize, d: f32) {
        if d < self.d1 {
            self.d2 = self.d1;
            self.d1 = d;
            self.best = j;
        } else if d < self.d2 {
            self.d2 = d;
        }
    }

    /// `self` (the earlier part of a sequence) followed by `later`: what
    /// one pass over both parts in order keeps.
    fn then(self, later: Nearest) -> Nearest {
        if later.d1 < self.d1 {
            Nearest {
                best: later.best,
                d1: later.d1,
                d2: self.d1.min(later.d2),
            }
        } else {
            Nearest {
                d2: self.d2.min(later.d1),
                ..self
            }
        }
    }
}

/// Base descriptors per matching task: a constant, so the partial results
/// merged in order do not depend on the thread count.
const MATCH_ROWS: usize = 64;

crate::simd::wide_fn! {
    /// The squared distance `(2 − 2·q·s).max(0)` of unit descriptor `q` to
    /// each descriptor of `set`, into `out` (one per descriptor; each dot
    /// product is [`dot`]'s, in its order, in either copy).
    fn distances_into(q: &[f32], set: &[f32], out: &mut [f32]) {
        for (o, row) in out.iter_mut().zip(set.chunks_exact(DESC_LEN)) {
            *o = (2.0 - 2.0 * dot(q, row)).max(0.0);
        }
    }
}

/// Mutual nearest neighbours that pass the ratio test. Each distance is
/// computed once and serves both directions (a dot product is the same
/// bits either way round): base descriptors in blocks of [`MATCH_ROWS`],
/// each block keeping its rows' nearest two among `moving` and, for every
/// `moving` descriptor, its nearest two among the block's rows; the blocks'
/// partial results are merged in order.
#[must_use]
pub fn match_features(base: &Features, moving: &Features, ratio: f32) -> Vec<Match> {
    if base.points.is_empty() || moving.points.is_empty() {
        return Vec::new();
    }
    let n_moving = moving.desc.len() / DESC_LEN;
    let blocks: Vec<(Vec<Nearest>, Vec<Nearest>)> = base
        .desc
        .par_chunks(MATCH_ROWS * DESC_LEN)
        .enumerate()
        .map(|(b, rows)| {
            let mut back = vec![Nearest::NONE; n_moving];
            let mut d = vec![0.0f32; n_moving];
            let fwd = rows
                .chunks_exact(DESC_LEN)
                .enumerate()
                .map(|(r, q)| {
                    let i = b * MATCH_ROWS + r;
                    distances_into(q, &moving.desc, &mut d);
                    let mut n = Nearest::NONE;
                    for (j, (&dj, nb)) in d.iter().zip(back.iter_mut()).enumerate() {
                        n.push(j, dj);
                        nb.push(i, dj);
                    }
                    n
                })
                .collect();
            (fwd, back)
        })
        .collect();
    let mut back = vec![Nearest::NONE; n_moving];
    for (_, part) in &blocks {
        for (n, p) in back.iter_mut().zip(part) {
            *n = n.then(*p);
        }
    }
    blocks
        .iter()
        .flat_map(|(fwd, _)| fwd)
        .enumerate()
        .filter_map(|(i, n)| {
            let (j, d1, d2) = (n.best, n.d1.sqrt(), n.d2.sqrt());
            let r = d1 / d2.max(1e-12);
            (j != usize::MAX && back[j].best == i && r < ratio).then_some(Match {
                base: i,
                moving: j,
                ratio: r,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::features::detect_and_describe;
    use crate::align::features::tests::blobs;

    /// The matcher as it was: each direction searched on its own.
    fn match_features_naive(base: &Features, moving: &Features, ratio: f32) -> Vec<Match> {
        let nearest_two = |q: &[f32], set: &[f32]| {
            let mut n = Nearest::NONE;
            for (j, row) in set.chunks_exact(DESC_LEN).enumerate() {
                n.push(j, (2.0 - 2.0 * dot(q, row)).max(0.0));
            }
            (n.best, n.d1.sqrt(), n.d2.sqrt())
        };
        let fwd: Vec<_> = base
            .desc
            .chunks_exact(DESC_LEN)
            .map(|q| nearest_two(q, &moving.desc))
            .collect();
        let back: Vec<usize> = moving
            .desc
            .chunks_exact(DESC_LEN)
            .map(|q| nearest_two(q, &base.desc).0)
            .collect();
        fwd.iter()
            .enumerate()
            .filter_map(|(i, &(j, d1, d2))| {
                let r = d1 / d2.max(1e-12);
                (j != usize::MAX && back[j] == i && r < ratio).then_some(Match {
                    base: i,
                    moving: j,
                    ratio: r,
                })
            })
            .collect()
    }

    #[test]
    fn matching_in_blocks_equals_the_two_searches_bit_for_bit() {
        // more base descriptors than one block, repeated descriptors (ties,
        // a second smallest equal to the smallest) and both SIMD copies
        let (a, b) = (blobs(240, 200, (0.0, 0.0)), blobs(240, 200, (5.0, 3.0)));
        let (mut fa, fb) = (detect_and_describe(&a, 400), detect_and_describe(&b, 400));
        assert!(fa.points.len() > 2 * MATCH_ROWS, "{}", fa.points.len());
        let dup: Vec<f32> = fa.desc[..3 * DESC_LEN].to_vec();
        fa.desc.extend_from_slice(&dup);
        fa.points.extend_from_within(..3);
        let key = |m: &[Match]| {
            m.iter()
                .map(|m| (m.base, m.moving, m.ratio.to_bits()))
                .collect::<Vec<_>>()
        };
        let _switch = crate::simd::hold_switch();
        for copies in [crate::simd::Copies::Best, crate::simd::Copies::Baseline] {
            crate::simd::use_copies(copies);
            for ratio in [0.8, 1.01] {
                let got = match_features(&fa, &fb, ratio);
                let want = match_features_naive(&fa, &fb, ratio);
                assert!(want.len() > 20, "{}", want.len());
                assert_eq!(key(&got), key(&want), "{copies:?} {ratio}");
                let got = match_features(&fb, &fa, ratio);
                assert_eq!(key(&got), key(&match_features_naive(&fb, &fa, ratio)));
            }
        }
        crate::simd::use_copies(crate::simd::Copies::Best);
    }

    #[test]
    fn nearest_merged_in_order_equals_one_pass() {
        let d = [3.0f32, 1.0, 4.0, 1.0, 5.0, 0.5, 2.0, 0.5, 9.0];
        let mut one = Nearest::NONE;
        for (j, &v) in d.iter().enumerate() {
            one.push(j, v);
        }
        for cut in 0..=d.len() {
            let (mut a, mut b) = (Nearest::NONE, Nearest::NONE);
            for (j, &v) in d.iter().enumerate() {
                if j < cut { a.push(j, v) } else { b.push(j, v) }
            }
            assert_eq!(a.then(b), one, "cut at {cut}");
        }
        assert_eq!((one.best, one.d1, one.d2), (5, 0.5, 0.5));
    }
}
