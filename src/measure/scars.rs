//! Scar shading from a single photo: an *index* of dark depressions at scar
//! scale, never a depth (a photo has no height; DESIGN.md).
//!
//! Luminance in % of its ROI mean is smoothed below pore scale, then the
//! black top-hat band `close(Y, 4 mm) − close(Y, 1 mm)` keeps dark regions
//! 1–4 mm wide (atrophic acne scars) and drops pores and fine lines (already
//! closed by the 1 mm element) and slow lighting gradients (closed by
//! neither). The index is the mean of that band in % of mean luminance.

use super::Tiles;
use crate::filters::gaussian_blur;
use crate::raster::Plane;
use crate::units::MmPerPx;
use rayon::prelude::*;

/// Scar widths the index responds to, mm.
pub const WIDTH_MM: (f64, f64) = (1.0, 4.0);
/// Smoothing below pore scale, mm.
pub const SMOOTH_MM: f64 = 0.1;

/// The shading index with its per-tile values and map.
pub struct Shading {
    /// Mean top-hat band, % of mean luminance.
    pub value: f64,
    /// Per-tile means.
    pub tiles: Vec<f64>,
    /// The band itself, at 1/`step` of the ROI's resolution.
    pub map: Plane,
    /// Pixel (x, y) of `map` covers ROI pixels x·step.. and y·step...
    pub step: usize,
}

/// Which extreme of a window a morphological filter keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extreme {
    /// The smallest value: grey erosion.
    Min,
    /// The largest value: grey dilation.
    Max,
}

impl Extreme {
    /// The kept one of `a` and `b`.
    #[inline(always)]
    fn pick(self, a: f32, b: f32) -> f32 {
        match self {
            Extreme::Min => a.min(b),
            Extreme::Max => a.max(b),
        }
    }
}

/// Running `extreme` of a window of `2r+1` samples along a slice, O(1) per
/// sample (van Herk 1992 / Gil & Werman 1993), edges clamped:
/// in blocks of 2r+1 padded samples, `g` is the running extreme from each
/// block's start and `hb` from its end; a window spans at most two blocks.
fn running_extreme(
    src: &[f32],
    r: usize,
    extreme: Extreme,
    out: &mut [f32],
    bufs: &mut [Vec<f32>; 3],
) {
    let n = src.len();
    let k = 2 * r + 1;
    let pick = |a: f32, b: f32| extreme.pick(a, b);
    let [padded, g, hb] = bufs;
    // pad by r on both sides with the edge value
    padded.clear();
    padded.extend(std::iter::repeat_n(src[0], r));
    padded.extend_from_slice(src);
    padded.extend(std::iter::repeat_n(src[n - 1], r));
    g.clear();
    g.extend_from_slice(padded);
    hb.clear();
    hb.extend_from_slice(padded);
    for start in (0..padded.len()).step_by(k) {
        let end = (start + k).min(padded.len());
        for i in start + 1..end {
            g[i] = pick(g[i - 1], g[i]);
        }
        for i in (start..end - 1).rev() {
            hb[i] = pick(hb[i + 1], hb[i]);
        }
    }
    for (x, o) in out.iter_mut().enumerate() {
        // window [x, x + 2r] in padded coordinates
        *o = pick(hb[x], g[x + 2 * r]);
    }
}

/// Grey dilation ([`Extreme::Max`]) or erosion ([`Extreme::Min`]) with a
/// (2r+1)² square, separable.
#[must_use]
pub fn square_extreme(p: &Plane, r: usize, extreme: Extreme) -> Plane {
    let (w, h) = (p.width(), p.height());
    if r == 0 || w == 0 || h == 0 {
        return p.clone();
    }
    // the edges are padded with their own value, so a window wider than
    // the image already spans it: beyond that the result is the same, and
    // the buffers stay the image's size whatever a scale asks for
    let r = r.min(w.max(h));
    let mut rows = Plane::filled(w, h, 0.0);
    rows.data_mut().par_chunks_mut(w).enumerate().for_each_init(
        || [Vec::new(), Vec::new(), Vec::new()],
        |bufs, (y, out)| running_extreme(p.row(y), r, extreme, out, bufs),
    );
    // columns: the same blocks along y, whole rows at a time (vectorised
    // across x, no transposition); padded row i is row clamp(i − r)
    let k = 2 * r + 1;
    let padded = h + 2 * r;
    let source = |i: usize| rows.row(i.saturating_sub(r).min(h - 1));
    let pick = |a: f32, b: f32| extreme.pick(a, b);
    let mut g = vec![0.0f32; padded * w];
    let mut hb = vec![0.0f32; padded * w];
    g.par_chunks_mut(k * w)
        .zip(hb.par_chunks_mut(k * w))
        .enumerate()
        .for_each(|(block, (gb, hbb))| {
            let rows_here = gb.len() / w;
            let first = block * k;
            gb[..w].copy_from_slice(source(first));
            for j in 1..rows_here {
                let (done, next) = gb.split_at_mut(j * w);
                let prev = &done[(j - 1) * w..];
                for ((o, &a), &b) in next[..w].iter_mut().zip(prev).zip(source(first + j)) {
                    *o = pick(a, b);
                }
            }
            let last = rows_here - 1;
            hbb[last * w..].copy_from_slice(source(first + last));
            for j in (0..last).rev() {
                let (here, later) = hbb.split_at_mut((j + 1) * w);
                for ((o, &a), &b) in here[j * w..]
                    .iter_mut()
                    .zip(&later[..w])
                    .zip(source(first + j))
                {
                    *o = pick(a, b);
                }
            }
        });
    let mut out = Plane::filled(w, h, 0.0);
    out.data_mut()
        .par_chunks_mut(w)
        .enumerate()
        .for_each(|(y, o)| {
            let (a, b) = (
                &hb[y * w..(y + 1) * w],
                &g[(y + 2 * r) * w..(y + 2 * r + 1) * w],
            );
            for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
                *o = pick(a, b);
            }
        });
    out
}

/// Grey closing (dilation then erosion) with a (2r+1)² square.
#[must_use]
pub fn closing(p: &Plane, r: usize) -> Plane {
    square_extreme(&square_extreme(p, r, Extreme::Max), r, Extreme::Min)
}

/// Scar shading index of relative luminance (% of mean; ROI crop).
///
/// Scars are millimetres wide, so the work is done on the pyramid level
/// whose pixels are just under the smoothing scale (0.1 mm): at 0.02 mm/px
/// that is a quarter of the resolution and a sixteenth of the pixels, with
/// nothing of scar scale lost.
#[must_use]
pub fn shading_index(rel: &Plane, tiles: &Tiles, mm_per_px: Option<MmPerPx>) -> Shading {
    let pixel_mm = mm_per_px.map_or(super::NOMINAL_MM_PER_PX, MmPerPx::get);
    let (w, h) = (rel.width(), rel.height());
    let mut level: std::borrow::Cow<'_, Plane> = std::borrow::Cow::Borrowed(rel);
    let mut step = 1usize;
    while 2.0 * step as f64 * pixel_mm <= SMOOTH_MM && level.width() >= 64 && level.height() >= 64 {
        level = std::borrow::Cow::Owned(crate::filters::reduce(&level));
        step *= 2;
    }
    let px = |mm: f64| mm / (pixel_mm * step as f64);
    let smooth = gaussian_blur(&level, px(SMOOTH_MM).max(0.5));
    let r_small = (px(WIDTH_MM.0) / 2.0).round().max(1.0) as usize;
    let r_big = (px(WIDTH_MM.1) / 2.0).round().max(r_small as f64 + 1.0) as usize;
    let small = closing(&smooth, r_small);
    let big = closing(&smooth, r_big);
    let band: Vec<f32> = big
        .data()
        .iter()
        .zip(small.data())
        .map(|(b, s)| (b - s).max(0.0))
        .collect();
    let (mw, mh) = (level.width(), level.height());
    let map = Plane::from_vec(mw, mh, band).expect("invariant: same size");
    // each map pixel stands for step×step ROI pixels, at its centre's tile
    let mut acc = vec![(0.0f64, 0u64); tiles.count()];
    let tile_col: Vec<usize> = (0..mw)
        .map(|mx| tiles.col_of((mx * step + step / 2).min(w - 1)))
        .collect();
    for my in 0..mh {
        let ty = tiles.row_of((my * step + step / 2).min(h - 1));
        for (&v, &tx) in map.row(my).iter().zip(&tile_col) {
            let a = &mut acc[tiles.index(tx, ty)];
            a.0 += f64::from(v);
            a.1 += 1;
        }
    }
    let total = acc.iter().fold((0.0, 0u64), |s, a| (s.0 + a.0, s.1 + a.1));
    Shading {
        value: total.0 / total.1.max(1) as f64,
        tiles: acc.iter().map(|a| a.0 / a.1.max(1) as f64).collect(),
        map,
        step,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn extreme_naive(p: &Plane, r: usize, extreme: Extreme) -> Plane {
        let (w, h) = (p.width() as isize, p.height() as isize);
        let r = r as isize;
        Plane::from_fn(p.width(), p.height(), |x, y| {
            let mut best = match extreme {
                Extreme::Min => f32::MAX,
                Extreme::Max => f32::MIN,
            };
            for dy in -r..=r {
                for dx in -r..=r {
                    let xx = (x as isize + dx).clamp(0, w - 1) as usize;
                    let yy = (y as isize + dy).clamp(0, h - 1) as usize;
                    let v = p.at(xx, yy);
                    best = match extreme {
                        Extreme::Min => best.min(v),
                        Extreme::Max => best.max(v),
                    };
                }
            }
            best
        })
    }

    proptest! {
        #[test]
        fn van_herk_matches_naive(w in 1usize..30, h in 1usize..30, r in 1usize..6, seed in any::<u32>(), extreme in prop_oneof![Just(Extreme::Min), Just(Extreme::Max)]) {
            let mut s = seed | 1;
            let p = Plane::from_fn(w, h, |_, _| { s ^= s << 13; s ^= s >> 17; s ^= s << 5; (s % 1000) as f32 });
            prop_assert_eq!(square_extreme(&p, r, extreme), extreme_naive(&p, r, extreme));
        }
    }

    #[test]
    fn shading_sees_a_scar_sized_pit_not_a_pore() {
        // 0.05 mm/px: a 2 mm dark disc (r = 20 px) vs a 0.1 mm pore (r = 1 px)
        let scale = MmPerPx::new(0.05);
        let disc = |r: f32| {
            Plane::from_fn(200, 200, move |x, y| {
                let d = ((x as f32 - 100.0).powi(2) + (y as f32 - 100.0).powi(2)).sqrt();
                if d < r { 80.0 } else { 100.0 }
            })
        };
        let tiles = Tiles::new(200, 200, 4);
        let scar = shading_index(&disc(20.0), &tiles, scale).value;
        let pore = shading_index(&disc(1.0), &tiles, scale).value;
        assert!(scar > 0.3, "scar index {scar}");
        assert!(pore < 0.01 * scar.max(1e-9) + 1e-3, "pore index {pore}");
    }
}
