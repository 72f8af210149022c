//! The measures taken against a ruler from the control region of the same
//! capture: texture relative to the control's roughness, tracked lines and
//! pores relative to the same deficit there (see [`super::tracked`]).

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
    if n > 0 && sum > 0.0 {
        let percent = 100.0 * n as f64 / sum;
        for (d, contrast, _, _) in tracked {
            if let Some(d) = d {
                out.push(scaled(contrast, (d, &[]), percent));
            }
        }
    }
    if let (Some(r), Some(t)) = (
        rulers.roughness,
        texture.iter().find(|v| v.id == id::ROUGHNESS),
    ) {
        out.push(scaled(id::RELATIVE_ROUGHNESS, (t.value, &t.tiles), 1.0 / r));
    }
    for (d, _, severity, ruler) in tracked {
        if let (Some(d), Some(r)) = (d, ruler) {
            out.push(scaled(severity, (d, &[]), 1.0 / r));
        }
    }
    out
}
