//! Skin around the ROI whose colour changed between the captures: the
//! treated area reaching beyond the measured region (redness fading around
//! it), a tan, make-up, a rash. Its luminance changed with its colour, and
//! a field fitted on it takes that for a change of light: a redness fading
//! 60 px beyond a trial's ROI brightened the surround, the field darkened
//! the ROI to match, and unchanged spots read "Dark-spot pigment: 35%
//! higher".
//!
//! Light is grey: vignetting, a moved lamp, a changed balance of two lights
//! scale red, green and blue of a block alike, so the block's colour (its
//! log green/red and blue/red) keeps whatever the field. What does move the
//! colour of every block is the white balance (one offset for all) and a
//! changed tone curve (the offset grows with the block's own colour, by the
//! fit's tone term). A block whose change of colour departs from that by
//! more than [`MIN_DEPARTURE`] (or three robust spreads of the reference blocks') is
//! skin that changed, not light, and is left out of the field. That limit
//! holds at the reference's brightness: the capture's JPEG rounding and
//! noise act on encoded levels, and a level is a larger share of a dark
//! surface's light, so a darker block's limit grows by as much
//! ([`BlockColour::level_weight`]). Without it the hair and clothes of a
//! framed phantom under a tone curve of γ 0.93–1.07 and JPEG 60–90 departed
//! by 1–6 % at the median, were left out, and took with them the light and
//! dark surfaces the tone term is read from.

use crate::raster::Rect;
use crate::stats::median;

/// Smallest departure of a block's change of colour (ln green/red or ln
/// blue/red) from the white balance's that leaves it out, 2 %. Unchanged
/// skin under the accepted capture changes departs by 0.2–0.5 % at the
/// median and 0.5–2 % at the 95th percentile (the 12 MP phantom's five
/// follow-ups, 84 px blocks); redness fading by 30 % moves ln green/red by
/// 5–9 %.
pub(super) const MIN_DEPARTURE: f64 = 0.02;
/// Departures beyond this many robust spreads of the blocks that set the
/// white balance's change also leave a block out (a noisy or coarsely
/// compressed capture spreads more).
const SPREADS: f64 = 3.0;
/// Fewest blocks in the reference region for it to set the white balance's
/// change of colour; else the median over all blocks sets it.
const MIN_REFERENCE_BLOCKS: usize = 4;
/// ln of sRGB's linear toe (0.0031308): below it a level is a fixed step
/// of linear light, which [`BlockColour::level_weight`] does not follow.
const TOE_LN: f64 = -5.766;

/// A block's colour in the baseline and its change, for this test.
#[derive(Clone, Copy, Debug)]
pub(super) struct BlockColour {
    /// The block's centre (frame pixels).
    pub(super) centre: (f64, f64),
    /// ln of the baseline's linear red, green and blue.
    pub(super) log_base: [f64; 3],
    /// ln of the capture's linear red, green and blue over the baseline's.
    pub(super) log_ratio: [f64; 3],
}

impl BlockColour {
    /// How much a level of the encoded values moves ln green/red and ln
    /// blue/red of this block, up to a common factor: for sRGB,
    /// `d ln L / dv = 2.4 / (v + 0.055) ∝ L^(−1/2.4)` above its linear toe,
    /// of the darker channel of each pair.
    fn level_weight(&self) -> [f64; 2] {
        let weight = |c: usize| (-self.log_base[c].max(TOE_LN) / 2.4).exp();
        [weight(1).max(weight(0)), weight(2).max(weight(0))]
    }

    /// The change of ln green/red and ln blue/red less what a tone term
    /// `tone` makes of the block's own colour.
    fn change(&self, tone: f64) -> [f64; 2] {
        let [lr, lg, lb] = self.log_ratio;
        let [br, bg, bb] = self.log_base;
        [lg - lr - tone * (bg - br), lb - lr - tone * (bb - br)]
    }
}

/// For each block, whether its colour changed beyond what the white balance
/// and the tone term `tone` make of it (true: leave it out of the field).
/// The white balance's change is the median over the blocks whose centres
/// lie in `reference` (the control region, untreated by definition) where
/// it holds [`MIN_REFERENCE_BLOCKS`], else over all.
pub(super) fn changed(blocks: &[BlockColour], tone: f64, reference: Rect) -> Vec<bool> {
    let changes: Vec<[f64; 2]> = blocks.iter().map(|b| b.change(tone)).collect();
    // centres are non-negative: the pixel holding one is in the rectangle
    // exactly when the centre is
    let inside = |b: &BlockColour| reference.contains(b.centre.0 as usize, b.centre.1 as usize);
    let by_reference = blocks.iter().filter(|b| inside(b)).count() >= MIN_REFERENCE_BLOCKS;
    // each block's weight of a level (see below), computed once
    let weights: Vec<[f64; 2]> = blocks.iter().map(BlockColour::level_weight).collect();
    // the blocks that set the white balance's change: the reference's, or all
    struct Sample {
        change: [f64; 2],
        weight: [f64; 2],
    }
    let from: Vec<Sample> = blocks
        .iter()
        .zip(changes.iter().zip(&weights))
        .filter(|(b, _)| !by_reference || inside(b))
        .map(|(_, (&change, &weight))| Sample { change, weight })
        .collect();
    let median_of =
        |f: &dyn Fn(&Sample) -> f64| median(&mut from.iter().map(f).collect::<Vec<_>>());
    let centre: [f64; 2] = [0, 1].map(|a| median_of(&|s| s.change[a]));
    // the spread about that centre, of the same blocks: where the treated
    // skin is most of the surround, all blocks' spread would be its gap
    let limit: [f64; 2] = [0, 1].map(|a| {
        (SPREADS * 1.4826 * median_of(&|s| (s.change[a] - centre[a]).abs())).max(MIN_DEPARTURE)
    });
    // the limits hold at the reference's brightness; a darker block's
    // colour moves more under the same rounding and noise of the encoded
    // levels, its limit by as much
    let reference_weight: [f64; 2] = [0, 1].map(|a| median_of(&|s| s.weight[a]));
    changes
        .iter()
        .zip(&weights)
        .map(|(c, w)| {
            (0..2).any(|a| {
                (c[a] - centre[a]).abs() > limit[a] * (w[a] / reference_weight[a]).max(1.0)
            })
        })
        .collect()
}

/// Fewest unchanged blocks for [`across`] to read a gradient of colour.
const MIN_GRADIENT_BLOCKS: usize = 24;

/// How much the light's colour at `from_to.1` (the ROI's centre) differs
/// from that at `from_to.0` (the reference region's centre), against the
/// baseline, in percent of ln green/red or ln blue/red, whichever is more:
/// a plane fitted (robustly) to the change of colour of the blocks that
/// did not change themselves (`changed` false), over the frame (`half`: its
/// half-size, the scale of the plane's coordinates). Light of one colour
/// all over moves every block's colour alike (the white balance) and reads
/// 0; a warm lamp on one side and a window on the other, their balance
/// changed, tint the frame from side to side: the region is then compared
/// with a control lit by another colour, and its redness excess moves with
/// the tint (a held-out trial's gradient read "Redness: 29% higher" on
/// unchanged skin). The treated skin around the ROI is left out as changed,
/// so its fading is not read as a tint. The reading is the difference
/// less 1.96 of its standard error (0 when within it): what the blocks
/// establish. `None` with fewer than [`MIN_GRADIENT_BLOCKS`] such blocks or
/// a degenerate fit.
pub(super) fn across(
    blocks: &[BlockColour],
    changed: &[bool],
    tone: f64,
    from_to: ((f64, f64), (f64, f64)),
    half: f64,
) -> Option<f64> {
    let kept: Vec<&BlockColour> = blocks
        .iter()
        .zip(changed)
        .filter(|(_, c)| !**c)
        .map(|(b, _)| b)
        .collect();
    if kept.len() < MIN_GRADIENT_BLOCKS || half <= 0.0 {
        return None;
    }
    let ((x0, y0), (x1, y1)) = from_to;
    let g = nalgebra::Vector3::new(0.0, (x1 - x0) / half, (y1 - y0) / half);
    let mut most: f64 = 0.0;
    for axis in 0..2 {
        let points: Vec<([f64; 3], f64)> = kept
            .iter()
            .map(|b| {
                let (x, y) = b.centre;
                ([1.0, x / half, y / half], b.change(tone)[axis])
            })
            .collect();
        let c = nalgebra::Vector3::from(super::robust_fit(&points)?);
        // the difference's standard error, from the blocks the plane fits
        // (within three robust spreads): unchanged blocks bunched about the
        // control (the rest of the surround tanned, say) leave the plane's
        // reach to the ROI unknown, and read no tint
        let residuals: Vec<f64> = points
            .iter()
            .map(|(x, v)| v - nalgebra::Vector3::from(*x).dot(&c))
            .collect();
        let mut gaps: Vec<f64> = residuals.iter().map(|r| r.abs()).collect();
        let spread = (1.4826 * median(&mut gaps)).max(1e-4);
        let mut normal = nalgebra::Matrix3::<f64>::zeros();
        for ((x, _), r) in points.iter().zip(&residuals) {
            if r.abs() <= 3.0 * spread {
                let x = nalgebra::Vector3::from(*x);
                normal += x * x.transpose();
            }
        }
        let se = spread * g.dot(&(normal.try_inverse()? * g)).max(0.0).sqrt();
        most = most.max(c.dot(&g).abs() - 1.96 * se);
    }
    Some(100.0 * most.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Skin blocks on a 40 × 30 grid of 20 px with a little colour
    /// jitter, photographed again through a white balance and a tone term;
    /// the blocks for which `recoloured` holds also change their ln
    /// green/red by `shift`.
    fn skin(
        wb: [f64; 3],
        tone: f64,
        shift: f64,
        recoloured: impl Fn(usize, usize) -> bool,
    ) -> Vec<BlockColour> {
        let mut out = Vec::new();
        for r in 0..30 {
            for c in 0..40 {
                let jitter = ((c * 7 + r * 13) % 11) as f64 / 10.0 - 0.5;
                // skin-like colour with hair and cloth among it
                let hue = if (c + 3 * r) % 9 == 0 { 0.6 } else { 0.0 };
                let log_base = [-1.0, -1.5 + 0.05 * jitter - hue, -1.8 + 0.04 * jitter + hue];
                let mut log_ratio = [0, 1, 2].map(|i| wb[i].ln() + tone * log_base[i] + 0.1);
                if recoloured(c, r) {
                    log_ratio[1] += shift;
                }
                out.push(BlockColour {
                    centre: ((c as f64 + 0.5) * 20.0, (r as f64 + 0.5) * 20.0),
                    log_base,
                    log_ratio,
                });
            }
        }
        out
    }

    #[test]
    fn a_white_balance_and_a_tone_curve_change_no_block() {
        for (wb, tone) in [
            ([1.0; 3], 0.0),
            ([1.1, 0.9, 0.93], 0.08),
            ([0.92, 1.0, 1.1], -0.07),
        ] {
            let blocks = skin(wb, tone, 0.0, |_, _| false);
            let reference = Rect::new(20, 20, 120, 100);
            assert!(
                !changed(&blocks, tone, reference).contains(&true),
                "{wb:?} {tone}"
            );
        }
    }

    #[test]
    fn a_dark_surface_may_move_more_than_skin_before_it_counts_as_changed() {
        // JPEG rounding and noise act on the encoded levels, and a level is
        // a larger share of dark hair's light than of skin's: the same
        // 3.5 % departure of ln green/red leaves skin out, not hair
        let control = Rect::new(0, 0, 200, 200);
        let block = |x: f64, log_base: [f64; 3], departure: f64| BlockColour {
            centre: (x, 100.0 + x / 7.0),
            log_base,
            log_ratio: [0.0, departure, 0.0],
        };
        let skin = [-1.0, -1.6, -2.0];
        let hair = [-3.0, -3.45, -3.9];
        let mut blocks: Vec<BlockColour> = (0..20)
            .map(|k| block(5.0 * k as f64, skin, 0.002 * (k % 3) as f64))
            .collect();
        blocks.push(block(400.0, skin, 0.035));
        blocks.push(block(500.0, hair, 0.035));
        blocks.push(block(600.0, hair, 0.09));
        let found = changed(&blocks, 0.0, control);
        assert!(!found[..20].contains(&true));
        // skin 3.5 % off, beyond 2 %; hair 3.5 % off, within its limit of
        // 2 % × e^((3.45 − 1.6)/2.4) = 4.3 %; hair 9 % off, beyond it
        assert_eq!(found[20..], [true, false, true]);
    }

    #[test]
    fn a_ring_of_faded_redness_is_found_whatever_the_white_balance() {
        // a ring three blocks wide around the middle, 5 % greener: more
        // than half the frame's blocks at the widest ring
        for (wb, tone, ring) in [
            ([1.0; 3], 0.0, 3usize),
            ([1.1, 0.9, 0.93], 0.08, 3),
            ([1.0; 3], 0.0, 9),
        ] {
            let in_ring = |c: usize, r: usize| {
                let (dc, dr) = (c.abs_diff(20), r.abs_diff(15));
                dc.max(dr) >= 6 && dc.max(dr) < 6 + ring
            };
            let blocks = skin(wb, tone, 0.05, in_ring);
            // the control in a corner, untreated
            let found = changed(&blocks, tone, Rect::new(0, 0, 120, 100));
            for (k, &f) in found.iter().enumerate() {
                assert_eq!(
                    f,
                    in_ring(k % 40, k / 40),
                    "{wb:?} {tone} {ring}: block {k}"
                );
            }
        }
    }

    #[test]
    fn a_tint_across_the_frame_is_read_between_control_and_region_and_a_ring_is_not() {
        let (control, roi) = ((70.0, 60.0), (400.0, 300.0));
        let reference = Rect::new(20, 20, 120, 100);
        // a tint: ln green/red changes by 6 % from the left edge to the
        // right (the frame is 800 px wide, half 400), under a white balance
        let mut tinted = skin([1.05, 0.97, 0.95], 0.0, 0.0, |_, _| false);
        for b in &mut tinted {
            b.log_ratio[1] += 0.06 * b.centre.0 / 800.0;
        }
        let flags = changed(&tinted, 0.0, reference);
        let got = across(&tinted, &flags, 0.0, (control, roi), 400.0).expect("a reading");
        // 6 % over 800 px: 330 px from the control's centre to the ROI's
        let want = 100.0 * 0.06 * 330.0 / 800.0;
        assert!((got - want).abs() < 0.05, "{got} vs {want}");
        // a ring of faded redness around the middle, wider below than
        // above: skin, left out, no tint
        let in_ring = |c: usize, r: usize| {
            let (dc, dr) = (c.abs_diff(20), r.abs_diff(15));
            (dc.max(dr) >= 6 && dc.max(dr) < 9) || (r > 20 && r < 26 && (8..32).contains(&c))
        };
        let ring = skin([1.05, 0.97, 0.95], 0.0, 0.07, in_ring);
        let flags = changed(&ring, 0.0, reference);
        let got = across(&ring, &flags, 0.0, (control, roi), 400.0).expect("a reading");
        assert!(got < 0.05, "{got}");
    }

    #[test]
    fn a_tone_curve_left_out_of_the_test_would_have_changed_the_coloured_blocks() {
        // what the tone term is there for: hair and cloth change colour
        // under a tone curve by their own colour, and are light, not skin
        let blocks = skin([1.0; 3], 0.3, 0.0, |_, _| false);
        let reference = Rect::new(20, 20, 120, 100);
        assert!(changed(&blocks, 0.0, reference).contains(&true));
        assert!(!changed(&blocks, 0.3, reference).contains(&true));
    }
}
