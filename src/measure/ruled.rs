//! The measures taken against a ruler from the control region of the same
//! capture: texture relative to the control's roughness, tracked lines to
//! the RMS of their band there and pores to the deficit at its own pores
//! (see [`super::tracked`]); each side a contrast relative to its own
//! region's mean luminance ([`ruled_values`]).

use super::lines_and_pores::{self, detect_lines_and_pores};
use super::{MeasureOptions, TiledValue, Tiles, relative_to_sum, texture, tracked};
use crate::catalog::id;
use crate::raster::Plane;
use crate::units::MmPerPx;

/// The rulers of the relative measures, from the control region of a
/// capture (one value each for the whole region).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Rulers {
    /// Its roughness.
    roughness: Option<f64>,
    /// The RMS of the lines' band ([`tracked::band_rms`]).
    band: Option<f64>,
    /// The deficit at its pores ([`Tracked::control_pores`]).
    pores: Option<f64>,
    /// Its mean luminance: each ruler is taken relative to it, as each
    /// measure of the ROI relative to the ROI's.
    mean: Option<f64>,
}

/// The [`Rulers`] from the luminance of a capture's control region and its
/// sum ([`super::luminance_and_sum`]), its pores at `pores` (a mask of the region).
pub(super) fn control_rulers(
    (y, finite): (&Plane, (f64, u64)),
    pores: &[bool],
    opts: &MeasureOptions,
) -> Rulers {
    let one = Tiles::new(y.width(), y.height(), 1);
    let blurred = texture::lowpass_given_sum(y, opts.roughness_sigma_px, finite);
    let roughness = texture::roughness(y, &blurred, &one)
        .map(|(r, _)| r)
        .filter(|&r| r > 0.0);
    Rulers {
        roughness,
        band: tracked::band_rms((y, finite), &blurred),
        pores: tracked::deficits((y, finite), &blurred, &[pores])[0].filter(|&d| d > 0.0),
        mean: (finite.1 > 0 && finite.0 > 0.0).then(|| finite.0 / finite.1 as f64),
    }
}

/// The pores of a control region, from its luminance and sum, as a mask of
/// the region ([`tracked::pore_discs`]).
pub(super) fn control_pores(
    (y, finite): (&Plane, (f64, u64)),
    mm_per_px: Option<MmPerPx>,
) -> Vec<bool> {
    let found = detect_lines_and_pores(&relative_to_sum(y, finite), mm_per_px);
    let blobs = lines_and_pores::pores_only(found, mm_per_px);
    tracked::pore_discs(&blobs, y.width(), y.height())
}

/// The luminance deficits of the tracked features of a capture (Y levels,
/// [`tracked::deficits`]): lines and pores.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Deficits {
    pub(super) lines: Option<f64>,
    pub(super) pores: Option<f64>,
}

/// The measures taken against a ruler: the ROI's roughness (among
/// `texture`) over the control region's, the tracked line and pore
/// deficits over their rulers in the control region (`rulers`: the band's
/// RMS for lines, the control's own pores for pores),
/// and the deficits in % of the ROI's mean luminance (`finite`: its sum
/// and count). The tracked values carry no tiles (see [`tracked`]: their
/// noise is the capture repeatability).
///
/// Each ratio is of contrasts, each relative to its own region's mean
/// luminance: a changed tone curve (γ) scales every relative contrast
/// alike, but a contrast in luminance levels by `γ·Y^(γ−1)`, so where the
/// control region is darker or brighter than the ROI a ratio of levels
/// moves with γ (feathers over a dark background: −4 % for γ 0.96).
pub(super) fn ruled_values(
    texture: &[TiledValue],
    deficits: Deficits,
    (sum, n): (f64, u64),
    rulers: Rulers,
) -> Vec<TiledValue> {
    let scaled = |id: &'static str, (v, tiles): (f64, &[f64]), k: f64| {
        TiledValue::new(id, v * k, tiles.iter().map(|t| t * k).collect())
    };
    let tracked = [
        (
            deficits.lines,
            id::LINE_CONTRAST,
            id::LINE_SEVERITY,
            rulers.band,
        ),
        (
            deficits.pores,
            id::PORE_CONTRAST,
            id::PORE_SEVERITY,
            rulers.pores,
        ),
    ];
    let mut out = Vec::new();
    // the control's mean over the ROI's: levels to relative contrasts
    let means = match rulers.mean {
        Some(c) if n > 0 && sum > 0.0 => Some(c * n as f64 / sum),
        _ => None,
    };
    if n > 0 && sum > 0.0 {
        let percent = 100.0 * n as f64 / sum;
        for (d, contrast, _, _) in tracked {
            if let Some(d) = d {
                out.push(scaled(contrast, (d, &[]), percent));
            }
        }
    }
    if let (Some(r), Some(t), Some(k)) = (
        rulers.roughness,
        texture.iter().find(|v| v.id == id::ROUGHNESS),
        means,
    ) {
        out.push(scaled(id::RELATIVE_ROUGHNESS, (t.value, &t.tiles), k / r));
    }
    for (d, _, severity, ruler) in tracked {
        if let (Some(d), Some(r), Some(k)) = (d, ruler, means) {
            out.push(scaled(severity, (d, &[]), k / r));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::catalog::id;
    use crate::measure::{MeasureOptions, measure};
    use crate::raster::{Plane, Rect, RgbPlanes};
    use std::path::Path;

    /// Grey skin-like texture with dark vertical lines: a bright ROI on the
    /// left (mean ≈ 170), a dark control region on the right (≈ 45).
    fn scene() -> RgbPlanes {
        let grey = Plane::from_fn(200, 80, |x, y| {
            let (xf, yf) = (x as f32, y as f32);
            let texture = (0.9 * xf).sin() * (0.7 * yf).cos() + (0.31 * xf + 0.53 * yf).sin();
            let line = if x < 100 {
                -30.0 * (-((x % 20) as f32 - 10.0).powi(2) / 4.0).exp()
            } else {
                0.0
            };
            let base = if x < 100 { 170.0 } else { 45.0 };
            base + base * 0.04 * texture + line
        });
        RgbPlanes::from_grey(grey)
    }

    #[test]
    fn a_tone_curve_moves_no_ratio_where_the_control_is_darker_than_the_region() {
        let (roi, control) = (Rect::new(0, 0, 100, 80), Rect::new(100, 0, 100, 80));
        let opts = MeasureOptions {
            control: Some(control),
            ..MeasureOptions::default()
        };
        let img = scene();
        let base = measure(Path::new("t"), &img, roi, &opts).unwrap();
        let opts = MeasureOptions {
            tracked: Some(base.tracked.clone()),
            ..opts
        };
        // γ 0.9: every relative contrast × 1/0.9, a contrast in levels
        // by the level's power too (the ratio of levels moved by 15 %,
        // (170/45)^(1/9) ≈ 1.16); 2 %: the scene's contrasts are not
        // small, so the power law's second order (≈ 1 %) remains
        let toned = img.map_planes(|p| p.map(|v| 255.0 * (v / 255.0).powf(1.0 / 0.9)));
        let now = measure(Path::new("t"), &toned, roi, &opts).unwrap();
        for metric in [id::RELATIVE_ROUGHNESS, id::LINE_SEVERITY] {
            let (a, b) = (base.values[metric].value, now.values[metric].value);
            assert!((b / a - 1.0).abs() < 0.02, "{metric}: {a} → {b}");
        }
        // the contrast of the lines alone does move: the ruler cancels it
        let (a, b) = (
            base.values[id::LINE_CONTRAST].value,
            now.values[id::LINE_CONTRAST].value,
        );
        assert!(b / a > 1.08, "line contrast {a} → {b}");
    }
}
