//! Height-map and photometric-set series in `analyze`: the relief a
//! surface is registered on (form removed, so it does not depend on light),
//! the measures of a surface in the baseline frame (ISO 25178, scars), and
//! scars matched to the baseline's by position. The pipeline registers and
//! warps.
//!
//! Uncertainties (standard errors feeding the MDC): ISO parameters from
//! their spread over 4 × 4 sub-tiles; scar depths from the robust standard
//! deviation σ of the relief outside scars (how far the reference surface
//! can be off at any point); volume as σ per pixel, independent, summed over
//! the scar pixels; count and area from the session-to-session rule only
//! (no sampling error, so any change counts).

use super::pores::{self, Pit};
use super::surface::{self, Scar, Surface};
use crate::catalog::{self, Better, id};
use crate::measure::Value;
use crate::raster::{HeightUnit, Plane};
use crate::stats::robust_sigma;
use crate::units::MmPerPx;
use serde::Serialize;
use std::collections::BTreeMap;

/// One scar followed across sessions (positions in the baseline frame).
#[derive(Clone, Debug, Serialize)]
pub struct ScarTrack {
    /// Stable id.
    pub id: usize,
    /// Its type, as guessed where it was first found.
    #[serde(rename = "type")]
    pub kind: surface::ScarType,
    /// Centre in baseline pixels.
    pub centre: (f64, f64),
    /// Per session (same order as the series' sessions): the scar, or
    /// `None` when it was not found (resolved) or the session failed.
    pub sessions: Vec<Option<ScarMeasure>>,
    /// Found at the baseline or first seen later, and not found at the last
    /// session, away from the edge of the map.
    pub resolved: bool,
    /// Its disc reaches the edge of the region every session's map covers:
    /// cut by it, so only part of the scar is seen, and where it is not
    /// found later it may have left the map rather than healed (neither
    /// resolved nor drawn at 0).
    pub at_map_edge: bool,
}

/// A scar's size at one session.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ScarMeasure {
    /// Area, mm² (px² without scale).
    pub area: f64,
    /// Mean depth, µm.
    pub mean_depth_um: f64,
    /// Maximum depth, µm.
    pub max_depth_um: f64,
    /// Volume, mm³ (µm·px² without scale).
    pub volume: f64,
}

/// Whether the disc of `radius` px (and 2 px more) around `centre` reaches
/// past the frame of `depth` (a `w`-pixel-wide map), or its rim (the 2 px
/// beyond `radius`) past its data (NaN where there is none): a hole inside
/// the disc, such as a clipped floor, is no edge.
#[must_use]
pub fn reaches_edge(depth: &[f64], w: usize, centre: (f64, f64), radius: f64) -> bool {
    let h = depth.len() / w.max(1);
    let inner = radius.max(0.0);
    let r = inner + 2.0;
    let (x0, x1) = ((centre.0 - r).floor(), (centre.0 + r).ceil());
    let (y0, y1) = ((centre.1 - r).floor(), (centre.1 + r).ceil());
    if x0 < 0.0 || y0 < 0.0 || x1 >= w as f64 || y1 >= h as f64 {
        return true;
    }
    let (x0, x1, y0, y1) = (x0 as usize, x1 as usize, y0 as usize, y1 as usize);
    (y0..=y1).any(|y| {
        (x0..=x1).any(|x| {
            let d = (x as f64 - centre.0).hypot(y as f64 - centre.1);
            (inner..=r).contains(&d) && !depth[y * w + x].is_finite()
        })
    })
}

/// The relief as a registration image: the form-removed residual scaled to
/// ±3 robust σ around mid-grey (no data → mid-grey).
#[must_use]
pub fn relief_image(s: &Surface) -> Plane {
    let r = s.remove_form();
    let sigma = robust_sigma(&r).max(1e-9);
    Plane::from_fn(s.w, s.h, |x, y| {
        let v = r[y * s.w + x];
        if v.is_finite() {
            (128.0 + 40.0 * (v / sigma).clamp(-3.0, 3.0)) as f32
        } else {
            128.0
        }
    })
}

/// What is tracked in a surface: its scars and pores.
#[derive(Clone, Debug, Default)]
pub struct Features {
    /// Scars, largest first.
    pub scars: Vec<Scar>,
    /// Pores (pits of pore size away from the scars); found only in a
    /// surface measured on its own (the baseline), not where tracked.
    pub pits: Vec<Pit>,
}

/// The scars.* and pores.* metrics of one surface, its features and its
/// depth map; the tracked measures at the features of `tracked` (the
/// baseline's, in the same frame), or at this surface's own when `None`.
#[must_use]
pub fn measure_surface(
    s: &Surface,
    tracked: Option<&Features>,
) -> (BTreeMap<String, Value>, Features, Vec<f64>) {
    let levelled = s.level_plane();
    let (depth, scars) = surface::find_scars(s);
    let (depth_scale, depth_unit) = s.depth_unit();
    // pores are tracked from the baseline's only: none looked for where
    // `tracked` gives them
    let pits = if tracked.is_none() && depth_unit == "µm" {
        let mm_per_px = s
            .mm_per_px
            .map_or(crate::measure::NOMINAL_MM_PER_PX, MmPerPx::get);
        pores::find_pits(&depth, (s.w, s.h), depth_scale, mm_per_px, &scars)
    } else {
        Vec::new()
    };
    let z_unit = match s.unit {
        HeightUnit::Um => "µm",
        HeightUnit::PixelWidth => "px",
    };
    let mut out = BTreeMap::new();
    let mut put = |id: &str, value: f64, unit: &str, uncertainty: f64| {
        let better = catalog::info(id).map_or(Better::None, |m| m.better);
        out.insert(id.to_string(), Value::new(value, unit, better, uncertainty));
    };
    if let Some(iso) = surface::iso25178(&levelled, s.w, s.pixel_in_z_units()) {
        let tiles = tile_iso(&levelled, s.w, s.h);
        let sem = |f: fn(&surface::Iso25178) -> f64| {
            let v: Vec<f64> = tiles.iter().map(f).collect();
            let n = v.len() as f64;
            if n < 2.0 {
                return 0.0;
            }
            let mean = v.iter().sum::<f64>() / n;
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt()
        };
        put(id::SA, iso.Sa, z_unit, sem(|i| i.Sa));
        put(id::SQ, iso.Sq, z_unit, sem(|i| i.Sq));
        put(id::SZ, iso.Sz, z_unit, sem(|i| i.Sz));
        put(id::SSK, iso.Ssk, "", sem(|i| i.Ssk));
        put(id::SKU, iso.Sku, "", sem(|i| i.Sku));
    }
    // the relief outside scars (1.5 radii) sets the depth uncertainty
    let mut in_scar = vec![false; depth.len()];
    for sc in &scars {
        let r = sc.radius / s.mm_per_px.map_or(1.0, MmPerPx::get) * 1.5;
        let (cx, cy) = sc.centre;
        let xs =
            ((cx - r).floor().max(0.0) as usize)..((cx + r).ceil().max(0.0) as usize + 1).min(s.w);
        for y in
            ((cy - r).floor().max(0.0) as usize)..((cy + r).ceil().max(0.0) as usize + 1).min(s.h)
        {
            for x in xs.clone() {
                in_scar[y * s.w + x] |= (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2) <= r * r;
            }
        }
    }
    let outside: Vec<f64> = depth
        .iter()
        .zip(&in_scar)
        .filter(|(_, f)| !**f)
        .map(|(d, _)| *d)
        .collect();
    let sigma = robust_sigma(&outside);
    let sigma_depth = sigma * depth_scale;
    let valid = depth.iter().filter(|d| d.is_finite()).count().max(1) as f64;
    let px_area = s.pixel_area();
    let scar_area: f64 = scars.iter().map(|sc| sc.area).sum();
    // a count of detections: one scar at a threshold, or at the map's
    // edge, may come or go between two captures of the same skin. Half a
    // scar each (and half a mean scar's area) puts the MDC of a change at
    // 1.96·√2/2 = 1.39 scars, between one scar, within the noise, and two,
    // beyond it
    let area = scar_area / (valid * px_area);
    let half_a_scar = 0.5 * area / scars.len().max(1) as f64;
    put(id::SCAR_COUNT, scars.len() as f64, "", 0.5);
    put(id::SCAR_AREA, area, "", half_a_scar);
    if !scars.is_empty() {
        let k = scars.len() as f64;
        put(
            id::SCAR_MEAN_DEPTH,
            scars.iter().map(|sc| sc.max_depth).sum::<f64>() / k,
            depth_unit,
            sigma_depth / k.sqrt(),
        );
        put(
            id::SCAR_MAX_DEPTH,
            scars.iter().map(|sc| sc.max_depth).fold(0.0, f64::max),
            depth_unit,
            sigma_depth,
        );
    }
    let (vol_per_px, vol_unit) = s.volume_unit();
    let n_px = scar_area / px_area;
    put(
        id::SCAR_VOLUME,
        scars.iter().map(|sc| sc.volume).sum(),
        vol_unit,
        sigma * vol_per_px * n_px.sqrt(),
    );
    let at = tracked.map_or(&scars[..], |f| &f.scars);
    if !at.is_empty() {
        let to_px = |r: f64| s.mm_per_px.map_or(r, |m| r / m.get());
        let (mut floors, mut volume, mut n_px) = (0.0, 0.0, 0.0);
        for sc in at {
            let (floor, sum, n) = depth_at(&depth, s.w, s.h, sc.centre, to_px(sc.radius));
            floors += floor;
            volume += sum;
            n_px += n;
        }
        let k = at.len() as f64;
        put(
            id::SCAR_TRACKED_DEPTH,
            floors / k * depth_scale,
            depth_unit,
            sigma_depth / k.sqrt(),
        );
        put(
            id::SCAR_TRACKED_VOLUME,
            volume * vol_per_px,
            vol_unit,
            sigma * vol_per_px * n_px.sqrt(),
        );
    }
    let at = tracked.map_or(&pits[..], |f| &f.pits);
    if let Some((mean, se)) = pores::tracked_depth(&depth, (s.w, s.h), at) {
        put(
            id::PORE_DEPTH,
            mean * depth_scale,
            depth_unit,
            se * depth_scale,
        );
    }
    (out, Features { scars, pits }, depth)
}

/// A scar measured at its own place in a depth map (in the unit of the
/// heights): the depth of its floor (the robust fit of
/// [`super::scars::floor_depth`], no deeper than the disc's deepest point;
/// or the deepest point within 0.3 of its radius
/// where the scar is too small for a fit; measured from the skin around it,
/// [`super::scars::rim_level`]; never below 0, so a healed scar
/// reads 0 rather than a bump), and the sum of the depths below the
/// reference and the number of pixels within its radius (for the volume).
fn depth_at(
    depth: &[f64],
    w: usize,
    h: usize,
    centre: (f64, f64),
    radius_px: f64,
) -> (f64, f64, f64) {
    let (mut sum, mut n, mut deepest, mut disc_max) = (0.0, 0.0, 0.0f64, 0.0f64);
    let inner = 0.3 * radius_px;
    let (cols, rows) = super::scars::window(centre, radius_px, w, h);
    for y in rows {
        for x in cols.clone() {
            let r = (x as f64 - centre.0).hypot(y as f64 - centre.1);
            let d = depth[y * w + x];
            if r > radius_px || !d.is_finite() {
                continue;
            }
            sum += d.max(0.0);
            n += 1.0;
            disc_max = disc_max.max(d);
            if r <= inner.max(1.0) {
                deepest = deepest.max(d);
            }
        }
    }
    let floor = (super::scars::floor_depth(depth, w, h, centre, radius_px)
        .map_or(deepest, |f| f.min(disc_max))
        - super::scars::rim_level(depth, w, h, centre, radius_px))
    .max(0.0);
    (floor, sum, n)
}

/// ISO parameters of 4 × 4 sub-tiles (for the standard error).
fn tile_iso(r: &[f64], w: usize, h: usize) -> Vec<surface::Iso25178> {
    let mut out = Vec::new();
    for ty in 0..4 {
        for tx in 0..4 {
            let (x0, x1, y0, y1) = (tx * w / 4, (tx + 1) * w / 4, ty * h / 4, (ty + 1) * h / 4);
            let tile: Vec<f64> = (y0..y1)
                .flat_map(|y| r[y * w + x0..y * w + x1].iter().copied())
                .collect();
            if let Some(iso) = surface::iso25178(&tile, (x1 - x0).max(1), None) {
                out.push(iso);
            }
        }
    }
    out
}

/// Scars followed across sessions: a session's scar continues the track
/// whose last position is nearest, within the larger of the track's radius
/// and 0.5 mm; unmatched scars open new tracks. A track not found at the
/// last usable session is resolved, unless it is at the map's edge: where
/// `at_edge(centre, radius)` (baseline px) says a scar's disc reaches it.
#[must_use]
pub fn track_scars(
    sessions: &[Option<&[Scar]>],
    mm_per_px: Option<MmPerPx>,
    at_edge: &dyn Fn((f64, f64), f64) -> bool,
) -> Vec<ScarTrack> {
    let mm_per_px = mm_per_px.map(MmPerPx::get);
    let px = |mm: f64| mm_per_px.map_or(mm / crate::measure::NOMINAL_MM_PER_PX, |m| mm / m);
    let to_px = |r: f64| mm_per_px.map_or(r, |m| r / m);
    let mut tracks: Vec<(ScarTrack, f64)> = Vec::new();
    let n = sessions.len();
    for (k, found) in sessions.iter().enumerate() {
        let Some(found) = found else { continue };
        let mut taken = vec![false; tracks.len()];
        for sc in *found {
            let best = tracks
                .iter()
                .enumerate()
                .filter(|(t, _)| !taken[*t])
                .map(|(t, (tr, r))| {
                    (
                        t,
                        (tr.centre.0 - sc.centre.0).hypot(tr.centre.1 - sc.centre.1),
                        r.max(px(0.5)),
                    )
                })
                .filter(|(_, d, lim)| d <= lim)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            let m = ScarMeasure {
                area: sc.area,
                mean_depth_um: sc.mean_depth,
                max_depth_um: sc.max_depth,
                volume: sc.volume,
            };
            let edge = at_edge(sc.centre, to_px(sc.radius));
            match best {
                Some((t, _, _)) => {
                    taken[t] = true;
                    tracks[t].0.sessions[k] = Some(m);
                    tracks[t].0.at_map_edge |= edge;
                }
                None => {
                    let mut sessions = vec![None; n];
                    sessions[k] = Some(m);
                    tracks.push((
                        ScarTrack {
                            id: tracks.len() + 1,
                            kind: sc.kind,
                            centre: sc.centre,
                            sessions,
                            resolved: false,
                            at_map_edge: edge,
                        },
                        to_px(sc.radius),
                    ));
                    taken.push(true);
                }
            }
        }
    }
    let last = sessions.iter().rposition(Option::is_some);
    tracks
        .into_iter()
        .map(|(mut t, _)| {
            t.resolved = !t.at_map_edge && last.is_some_and(|l| t.sessions[l].is_none());
            t
        })
        .collect()
}

/// A colour-coded depth map (RGB8): no depression is pale skin, deeper
/// goes through amber and red to deep purple at `full` (same unit as the
/// depths); no data is grey. A white 1 mm scale bar (when the scale is
/// known, else 50 px) with a dark outline sits at the bottom left.
#[must_use]
pub fn depth_map_rgb(
    depth: &[f64],
    w: usize,
    h: usize,
    full: f64,
    mm_per_px: Option<MmPerPx>,
) -> Vec<u8> {
    const STOPS: [(f64, [f64; 3]); 5] = [
        (0.0, [246.0, 236.0, 222.0]),
        (0.15, [240.0, 200.0, 120.0]),
        (0.4, [222.0, 110.0, 60.0]),
        (0.7, [160.0, 40.0, 90.0]),
        (1.0, [60.0, 20.0, 90.0]),
    ];
    let colour = |d: f64| -> [u8; 3] {
        if !d.is_finite() {
            return [128, 128, 128];
        }
        let t = (d / full.max(1e-12)).clamp(0.0, 1.0);
        let k = STOPS
            .iter()
            .position(|s| s.0 >= t)
            .unwrap_or(STOPS.len() - 1)
            .max(1);
        let (a, b) = (STOPS[k - 1], STOPS[k]);
        let f = ((t - a.0) / (b.0 - a.0)).clamp(0.0, 1.0);
        let c = |i: usize| (a.1[i] + f * (b.1[i] - a.1[i])).round() as u8;
        [c(0), c(1), c(2)]
    };
    let mut rgb: Vec<u8> = depth.iter().flat_map(|&d| colour(d)).collect();
    let bar = mm_per_px.map_or(50.0, |m| 1.0 / m.get()).round() as usize;
    let (bh, margin) = ((h / 60).max(3), (w / 30).max(4));
    if bar + 2 * margin < w && bh + 2 * margin < h {
        let y0 = h - margin - bh;
        for y in y0 - 1..=y0 + bh {
            for x in margin - 1..=margin + bar {
                let edge = y == y0 - 1 || y == y0 + bh || x == margin - 1 || x == margin + bar;
                let v = if edge { 30 } else { 255 };
                rgb[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&[v, v, v]);
            }
        }
    }
    rgb
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scar(x: f64, y: f64, depth: f64) -> Scar {
        Scar {
            kind: surface::ScarType::Rolling,
            centre: (x, y),
            area: 1.0,
            mean_depth: depth / 2.0,
            max_depth: depth,
            volume: depth / 1000.0,
            radius: 0.5,
        }
    }

    #[test]
    fn scars_keep_their_ids_and_a_vanished_one_is_resolved() {
        let s0 = vec![scar(100.0, 100.0, 150.0), scar(300.0, 120.0, 90.0)];
        let s1 = vec![scar(302.0, 119.0, 70.0), scar(101.0, 98.0, 120.0)];
        let s2 = vec![
            scar(99.0, 101.0, 100.0),
            scar(500.0, 500.0, 40.0),
            scar(600.0, 500.0, 40.0),
        ];
        let inside = |_: (f64, f64), _: f64| false;
        let tracks = track_scars(
            &[Some(&s0), None, Some(&s1), Some(&s2)],
            MmPerPx::new(0.02),
            &inside,
        );
        assert_eq!(tracks.len(), 4);
        assert_eq!(
            (
                tracks[2].sessions[3].is_some(),
                tracks[2].sessions[0].is_none(),
                tracks[2].resolved
            ),
            (true, true, false)
        );
        assert_eq!(
            tracks[0]
                .sessions
                .iter()
                .map(|m| m.map(|m| m.max_depth_um))
                .collect::<Vec<_>>(),
            vec![Some(150.0), None, Some(120.0), Some(100.0)]
        );
        assert_eq!(tracks[1].sessions[2].map(|m| m.max_depth_um), Some(70.0));
        assert!(!tracks[0].resolved && tracks[1].resolved);
        // the same scar at the edge of the map: not found later, not resolved
        let edge = |c: (f64, f64), _: f64| c.0 > 250.0;
        let tracks = track_scars(&[Some(&s0), Some(&s2)], MmPerPx::new(0.02), &edge);
        assert!(tracks[1].at_map_edge && !tracks[1].resolved);
        assert!(!tracks[0].at_map_edge && !tracks[0].resolved);
    }

    #[test]
    fn one_scar_more_or_less_is_within_the_noise_and_two_are_not() {
        // a 400×260 px map (0.02 mm/px) with k round dimples 150 µm deep,
        // σ 20 px, 100 px apart
        let with = |k: usize| {
            let centres = [(80.0, 80.0), (200.0, 80.0), (320.0, 80.0), (140.0, 180.0)];
            let z = (0..400 * 260)
                .map(|i| {
                    let (x, y) = ((i % 400) as f64, (i / 400) as f64);
                    -centres[..k]
                        .iter()
                        .map(|(cx, cy)| {
                            150.0 * (-((x - cx).powi(2) + (y - cy).powi(2)) / 800.0).exp()
                        })
                        .sum::<f64>()
                })
                .collect();
            let s = Surface {
                w: 400,
                h: 260,
                z,
                unit: HeightUnit::Um,
                mm_per_px: MmPerPx::new(0.02),
            };
            measure_surface(&s, None).0
        };
        let first = with(3);
        assert_eq!(
            first[id::SCAR_COUNT].value,
            3.0,
            "{:?}",
            first[id::SCAR_COUNT]
        );
        for (k, beyond) in [(3, false), (2, false), (4, false), (1, true)] {
            let later = with(k);
            assert_eq!(later[id::SCAR_COUNT].value, k as f64);
            for id in [id::SCAR_COUNT, id::SCAR_AREA] {
                let (a, b) = (&first[id], &later[id]);
                let c = crate::trend::change(
                    a.value,
                    a.uncertainty,
                    b.value,
                    b.uncertainty,
                    Better::Lower,
                    0.0,
                );
                assert_eq!(c.beyond_noise, beyond, "{id}: 3 → {k} scars, {c:?}");
            }
        }
    }

    #[test]
    fn a_disc_reaches_the_edge_of_the_frame_or_of_the_data() {
        let (w, h) = (40, 30);
        let mut depth = vec![0.0; w * h];
        assert!(!reaches_edge(&depth, w, (20.0, 15.0), 5.0));
        // the frame: 5 + 2 px from x = 6 reaches x = -1
        assert!(reaches_edge(&depth, w, (6.0, 15.0), 5.0));
        assert!(!reaches_edge(&depth, w, (7.0, 15.0), 5.0));
        // no data 7 px to the right of the centre, then 8 px
        depth[15 * w + 27] = f64::NAN;
        assert!(reaches_edge(&depth, w, (20.0, 15.0), 5.0));
        assert!(!reaches_edge(&depth, w, (19.0, 15.0), 5.0));
        // a hole on the scar's floor is no edge
        assert!(!reaches_edge(&depth, w, (27.0, 16.0), 5.0));
        assert_eq!(h, depth.len() / w);
    }
}
