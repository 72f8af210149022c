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
//! skin that changed, not light, and is left out of the field.

use crate::raster::Rect;
use crate::stats::median;

/// Smallest departure of a block's change of colour (ln green/red or ln
/// blue/red) from the white balance's that leaves it out, 2 %. Unchanged
/// skin under the accepted capture changes departs by 0.2–0.5 % at the
/// median and 0.5–2 % at the 95th percentile (the 12 MP phantom's five
/// follow-ups, 84 px blocks); redness fading by 30 % moves ln green/red by
/// 5–9 %.
pub(super) const MIN_DEPARTURE: f64 = 0.02;
/// Departures beyond this many robust spreads of all blocks' also leave a
/// block out (a noisy or coarsely compressed capture spreads more).
const SPREADS: f64 = 3.0;
/// Fewest blocks in the reference region for it to set the white balance's
/// change of colour; else the median over all blocks sets it.
const MIN_REFERENCE_BLOCKS: usize = 4;

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
    let inside = |b: &BlockColour| {
        let (x, y) = b.centre;
        x >= reference.x as f64
            && y >= reference.y as f64
            && x < (reference.x + reference.w) as f64
            && y < (reference.y + reference.h) as f64
    };
    let in_reference: Vec<[f64; 2]> = blocks
        .iter()
        .zip(&changes)
        .filter(|(b, _)| inside(b))
        .map(|(_, c)| *c)
        .collect();
    let from = if in_reference.len() >= MIN_REFERENCE_BLOCKS {
        &in_reference
    } else {
        &changes
    };
    let centre: [f64; 2] =
        [0, 1].map(|a| median(&mut from.iter().map(|c| c[a]).collect::<Vec<_>>()));
    // the spread about that centre, of the same blocks: where the treated
    // skin is most of the surround, all blocks' spread would be its gap
    let limit: [f64; 2] = [0, 1].map(|a| {
        let mut gaps: Vec<f64> = from.iter().map(|c| (c[a] - centre[a]).abs()).collect();
        (SPREADS * 1.4826 * median(&mut gaps)).max(MIN_DEPARTURE)
    });
    changes
        .iter()
        .map(|c| (0..2).any(|a| (c[a] - centre[a]).abs() > limit[a]))
        .collect()
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
    fn a_tone_curve_left_out_of_the_test_would_have_changed_the_coloured_blocks() {
        // what the tone term is there for: hair and cloth change colour
        // under a tone curve by their own colour, and are light, not skin
        let blocks = skin([1.0; 3], 0.3, 0.0, |_, _| false);
        let reference = Rect::new(20, 20, 120, 100);
        assert!(changed(&blocks, 0.0, reference).contains(&true));
        assert!(!changed(&blocks, 0.3, reference).contains(&true));
    }
}
