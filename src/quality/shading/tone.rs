//! The tone term of the shading fit: how much more the capture's log light
//! varies than the baseline's (a changed tone curve), fitted with the
//! field where the scene around the ROI holds light and dark surfaces.

use super::{MIN_BLOCKS, TERMS, robust_fit};
use crate::stats::decile_sigma;

/// Smallest spread of the baseline's log block luminance around the ROI
/// (between its deciles, [`decile_sigma`]: hair beside skin counts even
/// where skin is most of the blocks) for which the fit takes a tone term too: the
/// scene then holds light and dark surfaces (hair, eyes, clothes,
/// background) whose log ratios tell a changed tone curve from a changed
/// light. Even skin spreads by a few hundredths (the phantom's 0.020) and
/// gets no term; framed by hair, a wall and clothes (`phantom --surround`,
/// about a third of the blocks) 1.15, where the median deviation reads
/// 0.47 and, with the blocks that changed colour left out, under 0.1; the
/// real scenes of tests/real_scenes.rs 0.22–0.68 by the median deviation.
const MIN_TONE_SPREAD: f64 = 0.2;
/// Smallest spread of that log luminance less its own smooth part (the
/// field's terms fitted to it): a scene that only brightens smoothly across
/// the frame cannot tell a tone curve from a field (the real scenes, by the
/// median deviation: 0.05 for a night sky with a rocket and towers, up to
/// 0.6).
const MIN_TONE_RESIDUAL: f64 = 0.01;
/// Largest |tone term| taken as one (a contrast of ½–1½ against the
/// baseline: gamma 0.67–2, far beyond the accepted 0.9–1.1).
pub(super) const MAX_TONE: f64 = 0.5;

/// A usable block's position and its colour, for the tone term.
pub(super) struct Colour {
    pub(super) basis: [f64; TERMS],
    /// ln of the baseline's linear red, green and blue.
    pub(super) log_base: [f64; 3],
    /// ln of the capture's linear red, green and blue over the baseline's.
    pub(super) log_ratio: [f64; 3],
}

/// Unknowns of the tone fit: one level per channel (white balance), the
/// field's five shape terms, the tone term.
const TONE_TERMS: usize = 3 + (TERMS - 1) + 1;

/// The field's terms and the tone term (0 where the baseline's blocks are
/// too even for one, [`MIN_TONE_SPREAD`], [`MIN_TONE_RESIDUAL`]; a tone curve is then left to
/// the gains). Fitted jointly, a changed tone curve over a scene of light
/// and dark surfaces is not taken for a change of light across it. The
/// tone fit takes each channel of each block (`colours`) with a level of
/// its own: a changed white balance scales red, green and blue by gains of
/// their own, so the luminance of a red surface and of a blue one change by
/// different factors, and a fit of luminance alone reads that as a tone
/// curve (up to 0.12 off on real scenes with a 10 % white balance change).
pub(super) fn fit_with_tone(
    points: &[([f64; TERMS], f64)],
    log_base: &[f64],
    colours: &[Colour],
) -> Option<([f64; TERMS], f64)> {
    let plain = || robust_fit(points).map(|c| (c, 0.0));
    if decile_sigma(log_base) < MIN_TONE_SPREAD {
        return plain();
    }
    // only the scene's light that the field's own terms cannot follow tells
    // a tone curve from a field: a smooth brightening across the frame
    // does not
    let smooth: Vec<([f64; TERMS], f64)> = points
        .iter()
        .zip(log_base)
        .map(|((basis, _), lb)| (*basis, *lb))
        .collect();
    let Some(s) = robust_fit(&smooth) else {
        return plain();
    };
    let rest: Vec<f64> = smooth
        .iter()
        .map(|(basis, lb)| lb - basis.iter().zip(&s).map(|(b, c)| b * c).sum::<f64>())
        .collect();
    // a block with a black channel has no colour to fit (no log of it)
    if decile_sigma(&rest) < MIN_TONE_RESIDUAL || colours.len() < MIN_BLOCKS {
        return plain();
    }
    let mid: [f64; 3] = [0, 1, 2].map(|c| {
        crate::stats::median(&mut colours.iter().map(|b| b.log_base[c]).collect::<Vec<_>>())
    });
    let rows: Vec<([f64; TONE_TERMS], f64)> = colours
        .iter()
        .flat_map(|b| {
            (0..3).map(move |c| {
                let mut row = [0.0; TONE_TERMS];
                row[c] = 1.0;
                row[3..TONE_TERMS - 1].copy_from_slice(&b.basis[1..]);
                row[TONE_TERMS - 1] = b.log_base[c] - mid[c];
                (row, b.log_ratio[c])
            })
        })
        .collect();
    // a system without a solution or a tone term beyond any camera's change
    // of tone curve (a contrast outside ½–1½) is a failed fit: the plain field
    robust_fit(&rows)
        .filter(|c| c[TONE_TERMS - 1].abs() <= MAX_TONE)
        .map(|c| {
            // the field's level is set by the reference region afterwards
            let mut coef = [0.0; TERMS];
            coef[1..].copy_from_slice(&c[3..TONE_TERMS - 1]);
            (coef, c[TONE_TERMS - 1])
        })
        .or_else(plain)
}
