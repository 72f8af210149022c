//! The capture-quality gate: every capture of a view, aligned into the
//! baseline frame, against the baseline capture, so that no change of the
//! camera is reported as a change of the skin.
//!
//! Measures (DESIGN.md `quality.measures`), on the measured region (ROI)
//! and the control region where the case names one:
//! - `clipped_fraction`, `crushed_fraction`: pixels with a channel at the
//!   top (≥ 254) or the bottom (≤ 1) of the 8-bit range, in the ROI, and
//!   `control_clipped_fraction`, `control_crushed_fraction`;
//! - `control_in_frame`: the share of the control region inside the
//!   capture (a photo framed otherwise can leave it out: then nothing
//!   checks its light, colour or focus against the baseline);
//! - `exposure_vs_baseline`: mean linear luminance over the control region
//!   (else the ROI) relative to the baseline's;
//! - `sharpness_vs_baseline`: how much of the baseline's fine detail the
//!   capture shows, as a share of its energy, in the band-pass of the
//!   log of linear luminance (Gaussians of σ 1.5 and 3 px: the
//!   scales of fine lines and pores) over the control region (else the
//!   ROI), so a softer capture reads < 1 whatever its exposure. Where that
//!   detail is seen in both captures (a correlation of at least 0.8:
//!   `control_detail_shared` for a control region) it is the square of the
//!   capture's band projected on the baseline's (`Σab / Σb²`): the
//!   capture's own noise and JPEG artefacts,
//!   which add energy of their own, average out of it (the band's energy
//!   ratio read a blur of σ 1.3 px with noise as 114 % of the detail, and the
//!   lines it softened as 11 % fainter). Else the band's energy ratio. Both
//!   are divided by the square of `contrast_vs_baseline`, as a changed tone
//!   curve scales fine detail too;
//! - `noise_vs_baseline`: the capture's pixel noise in the log light of the
//!   control region (else the ROI) over the baseline's, by Immerkær's
//!   estimator at half resolution ([`blur::pixel_noise`]), only between
//!   files of the same JPEG quantiser steps (or neither a JPEG: a JPEG's
//!   rounding removes the finest noise and adds its own in the band).
//!   Beyond 1.25 it warns for structure: noise adds to the fine texture of
//!   the region and the control alike, which moves their ratio (held-out
//!   trials: "Skin texture: 9% smoother", "Fine lines 25% fainter"). It
//!   reads low where the skin's own fine texture is strong beside the
//!   noise (light skin: twice the noise read 1.24–1.45), and a blurred
//!   capture reads lower still, so it cannot vouch that a capture is no
//!   noisier;
//! - `blur_vs_baseline_px`: the σ of the Gaussian blur that takes the
//!   baseline's detail to what the capture shows ([`blur`]): unlike the
//!   share, it does not depend on the grain of the control region's
//!   texture; read from the share (before the contrast is undone) over the
//!   share of a coarse band (σ 3 and 6 px) measured alike, it does not
//!   depend on a changed tone curve either (a ruler under 128 px a side
//!   keeps the share's own reading);
//! - `baseline_blur_vs_capture_px`: the same read the other way, where the
//!   capture is the sharper (`blur_vs_baseline_px` is 0): the σ of the
//!   blur that takes this capture's detail to what the baseline shows,
//!   from the baseline's band projected on the capture's and this
//!   capture's spectra. A first photo out of focus makes unchanged skin
//!   read rougher and its lines stronger in every later one;
//! - `control_detail_shared`: the correlation of the control region's
//!   band-pass (the same σ 1.5 and 3 px) with the baseline's: how much of
//!   its fine detail the two captures share. Skin texture is in both, noise
//!   and JPEG artefacts in one only, so a low value says the control region
//!   shows too little detail to be the capture's ruler of focus and contrast;
//! - `light_turn_vs_baseline`: how far the direction the light falls from
//!   turned against the baseline's, read from the same band of the control
//!   region ([`direction`]; none without a control region, where the
//!   region's own lines would turn it as they change). It widens the
//!   tracked lines' noise ([`ruler`]) and past 0.15 warns for structure;
//! - `colour_cast_vs_baseline`: the largest change of a channel's share of
//!   the mean linear RGB of the control region (else the ROI), in percent;
//! - `glare_fraction`: near-white, colourless pixels in the ROI (specular
//!   reflection);
//! - `alignment_precision_px`: the registration's standard error;
//! - `tone_vs_baseline` (photometric sets only): the power to which the
//!   set's tone curve raises light, over the baseline set's, read from how
//!   well each set fits its lights ([`crate::depth::tone`]); beyond 5 %
//!   either way the set is mapped to the baseline's response before its
//!   normals are found, and only a ratio beyond what that mapping was
//!   tested on warns (no reading where the lamps barely vary in
//!   elevation); a follow-up whose lamps moved (a factor per lamp fits it
//!   clearly better than a power) keeps the baseline's power;
//! - `lamps_vs_baseline` (photometric sets whose lamps moved): the largest
//!   factor, either way, by which a lamp's light differs from the
//!   baseline's, relative to the others; not gated (the stereo bears it);
//! - `albedo_contrast_vs_baseline` (photometric sets whose tone cannot be
//!   read, as from a ring of lamps at one elevation): the spread of the
//!   set's log albedo over the baseline's; a tone curve scales it as it
//!   scales the shading, so beyond 1.1 either way it warns (a change of
//!   pigment does too: the safe side);
//! - `ambient_vs_baseline` (photometric sets only): the room light in the
//!   set's shadows less the baseline set's, as shares of the rig's light;
//!   shadows filled by room light are read as lit, so beyond 1.5 % either
//!   way it warns;
//! - `shading_vs_baseline`: the largest change of light across the ROI
//!   relative to the control region, in percent, from the shading field
//!   (only where one was fitted; no threshold: it is corrected);
//! - `light_colour_vs_control` (with a control region): how much the
//!   light's colour at the ROI differs from the control's, against the
//!   baseline, in percent of log green/red or blue/red (a plane fitted to
//!   the colour change of the unchanged skin around the ROI: lights of two
//!   colours whose balance changed tint the frame from side to side, and
//!   the region's colour excess over the control moves with the tint);
//!   beyond 2 % it warns, since a redness claim rests on that excess;
//! - `surround_recoloured_fraction`: the share of the skin around the ROI
//!   whose colour changed beyond the white balance's change (a treated
//!   area reaching past the ROI, a tan): the field is not fitted on it
//!   ([`shading`]'s `recolour`), no threshold;
//! - `contrast_vs_baseline`: the capture's log contrast relative to the
//!   baseline's, read from the case's grey card ([`card`]) where it has one
//!   and it can be read, else 1 + the shading fit's tone term, where the
//!   scene around the ROI has light and dark surfaces enough to tell a
//!   changed tone curve (gamma) from a changed light; the colour excesses
//!   are divided by it ([`undo_contrast_mut`]). No threshold;
//! - `card_cells`: the grey card's cells the contrast rests on (0: the card
//!   could not be read in this capture, covered, clipped or out of frame;
//!   the capture is then read as one without a card);
//! - `jpeg_dc_step`: the largest DC quantiser step of the tables a JPEG
//!   file's frame uses
//!   (quality 90: 3, quality 70: 10; no threshold: its rounding of the
//!   block means widens the noise of the measures of the region's mean
//!   colour, [`compression`]);
//! - `chroma_detail`: a colour JPEG's decoded chroma detail in the region
//!   or the control, whichever has less, in levels (the standard deviation
//!   of red minus green within 16×16 blocks of the aligned capture): below
//!   about 1 the file left the chroma flat and rounds an area's colour
//!   alike everywhere, which widens that noise more ([`compression`]). No
//!   threshold.
//!
//! Before measuring, a capture is normalised to the baseline ([`gains`],
//! [`normalise_mut`]): each channel's linear light is scaled so that the
//! control region (else the ROI) has the baseline's mean colour, and the
//! whole capture is divided by its shading field ([`shading`]: vignetting
//! and a changed balance of the lights, fitted on the skin around the ROI),
//! so the ROI is lit as the control region was, relative to the baseline.
//!
//! Each measure has a warn and a reject threshold ([`thresholds`]); the
//! verdict is the worst of them. `warn` keeps the values (no claim rests on
//! them), `reject` leaves the capture out like a failed alignment.

use crate::align::Registration;
use crate::measure::colour::LinearLut;
use crate::raster::{Plane, Rect, RgbPlanes, luminance_f64};
use serde::Serialize;
use std::collections::BTreeMap;

mod blur;
pub mod compression;
pub(crate) mod direction;
mod normalise;
pub(crate) mod ruler;
mod shading;
mod thresholds;
use blur::{DetailSpectrum, KeptBy, RulerBand, band_energy, bands, binned, log_light, pixel_noise};
use normalise::gains_of;
pub use normalise::{
    gains, normalise_mut, normalise_part_mut, normalise_within_mut, undo_contrast_mut,
};
pub use shading::{BlockMeans, Shading, block_means, block_means_reduced, card};
use thresholds::verdict;

/// The verdict on a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Comparable with the baseline.
    Ok,
    /// Values kept and shown, but no claim rests on them.
    Warn,
    /// Left out like a failed alignment.
    Reject,
}

impl Verdict {
    /// "ok", "warn" or "reject", as metrics.json writes it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Reject => "reject",
        }
    }
}

/// What a verdict applies to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Every value of the capture.
    #[default]
    All,
    /// Only the measures of fine structure (texture, lines, pores, the
    /// spots' pigment): a softer capture blurs them, while the colour of an
    /// area stays comparable.
    Structure,
}

impl Scope {
    fn is_all(&self) -> bool {
        *self == Scope::All
    }
}

/// The quality of one capture (metrics.json's `quality`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Quality {
    /// The verdict: the worst over the measures.
    pub status: Verdict,
    /// One plain sentence per measure past its threshold.
    pub reasons: Vec<String>,
    /// Measure name → value.
    pub measures: BTreeMap<String, f64>,
    /// What the status applies to: written only when it is not every value
    /// (`"structure"`: a warn for focus alone, so redness claims may still
    /// rest on the capture).
    #[serde(skip_serializing_if = "Scope::is_all")]
    pub scope: Scope,
    /// The per-channel gains that normalise the capture to the baseline
    /// ([`normalise_mut`]), from the same control-region means as the
    /// measures; 1 where the capture was not assessed.
    #[serde(skip)]
    pub gains: [f64; 3],
    /// The shading field the capture is divided by ([`normalise_mut`]):
    /// light fall-off that changed since the baseline; `None` where it
    /// could not be fitted or the capture was not assessed.
    #[serde(skip)]
    pub shading: Option<Shading>,
    /// The capture's log contrast relative to the baseline's (a changed
    /// tone curve; `contrast_vs_baseline`): read from the grey card where
    /// the case has one and it could be read, else the shading fit's tone
    /// term; 1 where neither says.
    #[serde(skip)]
    pub contrast: f64,
    /// What the file's JPEG rounding adds to the uncertainty of the
    /// measures of the region's mean colour ([`compression::widen_mut`]);
    /// `None` for a file that is not a JPEG or a capture that was not
    /// assessed.
    #[serde(skip)]
    pub colour_rounding: Option<compression::ColourRounding>,
}

impl Quality {
    /// A capture that was never assessed because it could not be used at
    /// all (decoding failed): rejected with that reason.
    #[must_use]
    pub fn rejected(reason: String) -> Quality {
        Quality {
            status: Verdict::Reject,
            reasons: vec![reason],
            measures: BTreeMap::new(),
            scope: Scope::All,
            gains: [1.0; 3],
            shading: None,
            contrast: 1.0,
            colour_rounding: None,
        }
    }

    /// The first problem in a few words a client understands ("over-exposed"),
    /// `None` when there is none.
    #[must_use]
    pub fn short_reason(&self) -> Option<&'static str> {
        thresholds::short_reason(&self.measures)
    }

    /// True when values of this capture may back a claim.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.status == Verdict::Ok
    }

    /// True when the colour of an area (redness) may back a claim: `ok`,
    /// or a warn that concerns fine structure only.
    #[must_use]
    pub fn colour_is_ok(&self) -> bool {
        self.is_ok() || (self.status == Verdict::Warn && self.scope == Scope::Structure)
    }
}

/// What the gate needs of the baseline capture, computed once per view.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    /// Mean linear RGB of the control region (else the ROI).
    mean_linear: [f64; 3],
    /// The fine band-pass of the log light of the control region (else
    /// the ROI), for the detail a capture shares with it
    /// (`control_detail_shared`, `sharpness_vs_baseline`) and its spectrum
    /// (`blur_vs_baseline_px`).
    fine: Option<RulerBand>,
    /// The coarse band-pass ([`blur::COARSE_SIGMA_PX`]), which a blur
    /// hardly touches and a changed tone curve scales as the fine one.
    coarse: Option<RulerBand>,
    /// The pixel noise of its log light ([`pixel_noise`] at half
    /// resolution), for `noise_vs_baseline`.
    noise: Option<f64>,
    /// Its file's JPEG luma DC step (`None`: not a JPEG).
    dc_luma: Option<u16>,
    /// Block means of the whole frame, for the shading field.
    blocks: BlockMeans,
    /// The grey card and its cells, when the case names one.
    card: Option<(Rect, card::Cells)>,
}

impl Reference {
    /// Whether the case names a grey card that the baseline's own photo
    /// cannot be read from (too small, clipped, no light and dark steps):
    /// then no capture can.
    #[must_use]
    pub fn card_unreadable(&self) -> bool {
        self.card
            .as_ref()
            .is_some_and(|(_, cells)| card::contrast(cells, cells).contrast.is_none())
    }
}

/// Settings of the gate: where to look.
#[derive(Clone, Copy, Debug)]
pub struct Regions {
    /// The measured region, baseline pixels.
    pub roi: Rect,
    /// The untreated control region, when the case names one.
    pub control: Option<Rect>,
    /// The grey-step reference card, when the case names one.
    pub card: Option<Rect>,
}

/// A capture in the baseline frame as the gate reads it: the measured
/// region and the control region at full resolution, and the whole frame
/// reduced (for the shading field's block means, which lie mostly outside
/// the region).
#[derive(Clone, Copy, Debug)]
pub struct Aligned<'a> {
    /// The ROI's pixels.
    pub roi: &'a RgbPlanes,
    /// The control region's pixels, when the case names one.
    pub control: Option<&'a RgbPlanes>,
    /// The whole frame reduced by an integer factor
    /// (`align::warp::Grid::reduced`).
    pub overview: &'a RgbPlanes,
    /// That factor (1: the frame itself).
    pub factor: usize,
    /// The frame's size, px.
    pub frame: (usize, usize),
    /// The file's JPEG DC quantiser steps (`None`: not a JPEG).
    pub dc_steps: Option<crate::ingest::DcSteps>,
}

impl<'a> Aligned<'a> {
    /// The parts of a whole frame, `img` itself as the overview.
    fn of_frame(img: &'a RgbPlanes, roi: &'a RgbPlanes, control: Option<&'a RgbPlanes>) -> Self {
        Aligned {
            roi,
            control,
            overview: img,
            factor: 1,
            frame: (img.width(), img.height()),
            dc_steps: None,
        }
    }

    fn blocks(&self) -> BlockMeans {
        block_means_reduced(self.overview, self.factor, self.frame)
    }
}

/// The baseline's reference values, from its whole frame.
#[must_use]
pub fn reference(base: &RgbPlanes, regions: Regions) -> Reference {
    let roi = base.crop(regions.roi);
    let control = regions.control.map(|c| base.crop(c));
    reference_of(
        &Aligned::of_frame(base, &roi, control.as_ref()),
        regions.card,
    )
}

/// The baseline's reference values, from its parts and where its grey
/// `card` is.
#[must_use]
pub fn reference_of(base: &Aligned<'_>, card: Option<Rect>) -> Reference {
    let ruler = base.control.unwrap_or(base.roi);
    let lut = LinearLut::default();
    let light = log_light(ruler, &lut);
    let (fine, coarse) = bands(&light).unzip();
    Reference {
        mean_linear: region_stats(ruler, &lut).mean_linear,
        noise: pixel_noise(&binned(&light)),
        dc_luma: base.dc_steps.map(|s| s.luma),
        fine: fine.map(RulerBand::of),
        coarse: coarse.map(RulerBand::of),
        blocks: base.blocks(),
        card: card.map(|c| (c, card::Cells::of(base.overview, base.factor, c))),
    }
}

/// The verdict on `img` (aligned into the baseline frame) against the
/// baseline's `reference`; `reg` is its registration.
#[must_use]
pub fn assess(
    img: &RgbPlanes,
    regions: Regions,
    reference: &Reference,
    reg: &Registration,
) -> Quality {
    let roi = img.crop(regions.roi);
    let control = regions.control.map(|c| img.crop(c));
    let parts = Aligned::of_frame(img, &roi, control.as_ref());
    assess_parts(&parts, regions, reference, reg)
}

/// [`assess`] of a capture given as its parts: the same verdict and
/// values when `capture.factor` is 1; reduced, only the shading field's
/// blocks are sampled more sparsely.
#[must_use]
pub fn assess_parts(
    capture: &Aligned<'_>,
    regions: Regions,
    reference: &Reference,
    reg: &Registration,
) -> Quality {
    let _t = crate::timing::span("quality");
    let lut = LinearLut::default();
    let roi = capture.roi;
    let roi_stats = region_stats(roi, &lut);
    let mut measures = BTreeMap::new();
    measures.insert("clipped_fraction".to_string(), roi_stats.clipped);
    measures.insert("crushed_fraction".to_string(), roi_stats.crushed);
    measures.insert("glare_fraction".to_string(), roi_stats.glare);
    // the control region is the capture's ruler: untreated skin, so a
    // change there is the camera's
    let ruler_stats = match capture.control {
        Some(control) => {
            let s = region_stats(control, &lut);
            measures.insert("control_clipped_fraction".to_string(), s.clipped);
            measures.insert("control_crushed_fraction".to_string(), s.crushed);
            measures.insert("control_in_frame".to_string(), s.in_frame);
            s
        }
        None => roi_stats,
    };
    let lum = |m: [f64; 3]| luminance_f64(m[0] as f32, m[1] as f32, m[2] as f32);
    let (now, then) = (lum(ruler_stats.mean_linear), lum(reference.mean_linear));
    if then > 0.0 && now > 0.0 {
        measures.insert("exposure_vs_baseline".to_string(), now / then);
    }
    // a grey card reads the tone curve where the frame cannot, and is no
    // skin for the shading field
    let card = reference.card.as_ref().map(|(rect, base)| {
        let now = card::Cells::of(capture.overview, capture.factor, *rect);
        (*rect, card::contrast(base, &now))
    });
    let blocks = match card {
        Some((rect, _)) => capture.blocks().without(rect),
        None => capture.blocks(),
    };
    let surround = shading::fit_surround(
        &reference.blocks,
        &blocks,
        regions.roi,
        regions.control.unwrap_or(regions.roi),
    );
    let shading = surround.shading;
    if let Some(pct) = surround.light_colour_pct {
        measures.insert("light_colour_vs_control".to_string(), pct);
    }
    if let Some(s) = &shading {
        measures.insert(
            "shading_vs_baseline".to_string(),
            s.largest_pct(regions.roi),
        );
        measures.insert(
            "surround_recoloured_fraction".to_string(),
            s.recoloured_share(),
        );
    }
    if let Some((_, read)) = &card {
        measures.insert("card_cells".to_string(), read.cells as f64);
    }
    // a changed tone curve scales every relative contrast, fine detail too
    let contrast = card
        .and_then(|(_, read)| read.contrast)
        .or_else(|| shading.as_ref().map(Shading::contrast))
        .unwrap_or(1.0);
    if contrast != 1.0 {
        measures.insert("contrast_vs_baseline".to_string(), contrast);
    }
    let light = log_light(capture.control.unwrap_or(roi), &lut);
    // pixel noise compares between files of the same quantiser steps only
    let noise_ratio = same_steps(capture.dc_steps.map(|s| s.luma), reference.dc_luma)
        .then(|| pixel_noise(&binned(&light)).zip(reference.noise))
        .flatten()
        .and_then(|(now, then)| (then > 0.0).then(|| now / then));
    if let Some(r) = noise_ratio {
        measures.insert("noise_vs_baseline".to_string(), r);
    }
    let (band, coarse_band) = bands(&light).unzip();
    let shared_with = |now: &Option<Plane>, then: &Option<RulerBand>| match (now, then) {
        (Some(now), Some(then)) => shared_detail(now, &then.band),
        _ => None,
    };
    let shared = shared_with(&band, &reference.fine);
    // without a control region the ROI is the ruler: the detail it shares
    // reads the focus (a softer capture's JPEG artefacts and noise made up
    // the band's energy: a blur of σ 1.2 px at quality 61 read 0.57 px), but
    // its correlation is no warning, a treated region changes
    if let Some(shared) = shared.as_ref().filter(|_| capture.control.is_some()) {
        measures.insert(ruler::SHARED_DETAIL.to_string(), shared.correlation);
    }
    // of the control region only: the ROI's own lines turn it as they change
    let turn = band.as_ref().zip(reference.fine.as_ref());
    if capture.control.is_some()
        && let Some(t) = turn.and_then(|(now, then)| direction::turn(now, &then.band))
    {
        measures.insert(direction::LIGHT_TURN.to_string(), t);
    }
    let fine_energy = reference.fine.as_ref().map_or(0.0, |f| f.energy);
    if let Some((fine_kept, by)) = sharpness(band.as_ref(), shared.as_ref(), fine_energy) {
        let kept = fine_kept / (contrast * contrast);
        measures.insert("sharpness_vs_baseline".to_string(), kept);
        // the blur is read from what the fine band keeps over what the
        // coarse one keeps, measured alike: a tone curve scales both (a
        // gamma of 1.1 had read as a blur of 0.66 px, 0.9 hid one of 0.8)
        let coarse_shared = match by {
            KeptBy::Projection => shared_with(&coarse_band, &reference.coarse),
            KeptBy::Energy => None,
        };
        let coarse_kept = match (by, &coarse_band, &reference.coarse) {
            (KeptBy::Projection, _, _) => coarse_shared.map(|s| s.gain * s.gain),
            (KeptBy::Energy, Some(now), Some(then)) if then.energy > 0.0 => {
                Some(band_energy(now) / then.energy)
            }
            _ => None,
        };
        let fine_spectrum = reference.fine.as_ref().and_then(|f| f.spectrum.as_ref());
        let coarse_spectrum = reference.coarse.as_ref().and_then(|c| c.spectrum.as_ref());
        let blur = match (fine_spectrum, coarse_spectrum, coarse_kept) {
            (Some(f), Some(c), Some(ck)) if c.resolves_coarse() && ck > 0.0 => {
                f.blur_px_for_ratio(c, fine_kept / ck, by)
            }
            (Some(f), _, _) => f.blur_px_for(kept, by),
            _ => None,
        };
        if let Some(blur) = blur {
            measures.insert("blur_vs_baseline_px".to_string(), blur);
        }
        // the other way round: a first photo softer than this capture, read
        // through this capture's spectra (its detail blurred to the
        // baseline's), from the baseline's band projected on this one's
        if blur == Some(0.0) {
            let back = |s: Shared| (s.correlation.powi(2) / s.gain).powi(2);
            let (back_fine, back_coarse) = match by {
                KeptBy::Projection => (shared.map(back), coarse_shared.map(back)),
                KeptBy::Energy => (Some(1.0 / fine_kept), coarse_kept.map(|c| 1.0 / c)),
            };
            let now_fine = band.as_ref().and_then(DetailSpectrum::of);
            let now_coarse = coarse_band.as_ref().and_then(DetailSpectrum::of);
            let soft_first = match (now_fine, now_coarse, back_fine, back_coarse) {
                (Some(f), Some(c), Some(bf), Some(bc)) if c.resolves_coarse() && bc > 0.0 => {
                    f.blur_px_for_ratio(&c, bf / bc, by)
                }
                (Some(f), _, Some(bf), _) => f.blur_px_for(bf * contrast * contrast, by),
                _ => None,
            };
            if let Some(soft_first) = soft_first {
                measures.insert("baseline_blur_vs_capture_px".to_string(), soft_first);
            }
        }
    }
    if let Some(cast) = colour_cast(ruler_stats.mean_linear, reference.mean_linear) {
        measures.insert("colour_cast_vs_baseline".to_string(), cast);
    }
    if let Some(p) = reg.precision_px {
        measures.insert("alignment_precision_px".to_string(), p);
    }
    let gains = gains_of(ruler_stats.mean_linear, reference, roi.model);
    let colour_rounding = capture.dc_steps.map(|steps| {
        compression::of_capture(
            steps,
            (roi, roi_stats.mean_linear),
            capture.control.map(|c| (c, ruler_stats.mean_linear)),
            gains,
            contrast,
            &mut measures,
        )
    });
    Quality {
        gains,
        shading,
        contrast,
        colour_rounding,
        ..verdict(measures)
    }
}

/// The share of the baseline's fine-detail energy a capture keeps, before
/// its contrast is undone: where the ruler's detail (the control region's,
/// else the ROI's) is seen in both captures ([`Shared::correlation`] at
/// least the warn limit), the square of [`Shared::gain`], which the
/// capture's own noise does not inflate; where it is mostly noise (for a
/// control region already a warn for structure) or, in the ROI, changed
/// beyond that, the band's energy ratio, noise and all. With how it was
/// read.
fn sharpness(
    band: Option<&Plane>,
    shared: Option<&Shared>,
    base_energy: f64,
) -> Option<(f64, KeptBy)> {
    match (band, shared) {
        (_, Some(s)) if s.correlation >= thresholds::CONTROL_DETAIL_WARN => {
            Some((s.gain.powi(2), KeptBy::Projection))
        }
        (Some(band), _) if base_energy > 0.0 => {
            Some((band_energy(band) / base_energy, KeptBy::Energy))
        }
        _ => None,
    }
}

/// How a 3D capture differs from the baseline's: a photometric set's
/// light response ([`crate::depth::tone`]; none for a height map) and the
/// relief's scale.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SetVsBaseline {
    /// The ratio of the sets' tone exponents (`tone_vs_baseline`); beyond
    /// 5 % the set was mapped to the baseline's response.
    pub tone: Option<f64>,
    /// The room light in the set's shadows less the baseline's, as shares
    /// of the rig's light (`ambient_vs_baseline`).
    pub ambient: Option<f64>,
    /// Where a set's lamps explain its light response better than a tone
    /// curve ([`crate::depth::tone::against`]), the largest factor, either
    /// way, by which a lamp's light differs from the baseline set's
    /// (`lamps_vs_baseline`).
    pub lamps: Option<f64>,
    /// Where the lamps moved, how much better a power other than the
    /// baseline's fits with the lamps' factors free (`tone_beyond_lamps`):
    /// a tone curve changed as well.
    pub beyond_lamps: Option<f64>,
    /// Where the tone cannot be read from either set (lamps at one
    /// elevation), the spread of the log albedo over the baseline's
    /// (`albedo_contrast_vs_baseline`): a changed tone curve scales it.
    pub albedo_contrast: Option<f64>,
    /// The relief's amplitude (root mean square depth below the form over
    /// the common region) over the baseline's (`relief_vs_baseline`).
    pub relief: Option<f64>,
}

/// The quality of a 3D capture (height map or photometric set): its
/// registration and, for a photometric set, its light response against the
/// baseline set's; a height has no exposure, focus or colour.
#[must_use]
pub fn of_surface(reg: &Registration, set: SetVsBaseline) -> Quality {
    if !reg.is_ok() {
        return Quality::rejected(NOT_ALIGNED.into());
    }
    let mut measures = BTreeMap::new();
    if let Some(p) = reg.precision_px {
        measures.insert("alignment_precision_px".to_string(), p);
    }
    if let Some(t) = set.tone {
        measures.insert("tone_vs_baseline".to_string(), t);
    }
    if let Some(a) = set.ambient {
        measures.insert("ambient_vs_baseline".to_string(), a);
    }
    if let Some(l) = set.lamps {
        measures.insert("lamps_vs_baseline".to_string(), l);
    }
    if let Some(b) = set.beyond_lamps {
        measures.insert("tone_beyond_lamps".to_string(), b);
    }
    if let Some(c) = set.albedo_contrast {
        measures.insert("albedo_contrast_vs_baseline".to_string(), c);
    }
    if let Some(r) = set.relief {
        measures.insert("relief_vs_baseline".to_string(), r);
    }
    verdict(measures)
}

/// The reason given for a capture that was not assessed.
pub const NOT_ALIGNED: &str = "not assessed: the capture is not aligned";

/// Counts and means of a region's valid pixels.
#[derive(Clone, Copy, Debug, Default)]
struct RegionStats {
    /// Share of the region's pixels inside the capture.
    in_frame: f64,
    clipped: f64,
    crushed: f64,
    glare: f64,
    mean_linear: [f64; 3],
}

fn region_stats(img: &RgbPlanes, lut: &LinearLut) -> RegionStats {
    let (mut clipped, mut crushed, mut glare, mut n) = (0u64, 0u64, 0u64, 0u64);
    let mut sum = [0.0f64; 3];
    for ((&r, &g), &b) in img.r.data().iter().zip(img.g.data()).zip(img.b.data()) {
        if !(r.is_finite() && g.is_finite() && b.is_finite()) {
            continue;
        }
        n += 1;
        let (hi, lo) = (r.max(g).max(b), r.min(g).min(b));
        clipped += u64::from(hi >= 254.0);
        crushed += u64::from(lo <= 1.0);
        // specular shine: near white and nearly colourless
        glare += u64::from(lo >= 230.0 && hi - lo <= 0.1 * hi);
        sum[0] += lut.get(r);
        sum[1] += lut.get(g);
        sum[2] += lut.get(b);
    }
    let n_f = n.max(1) as f64;
    RegionStats {
        in_frame: n as f64 / img.r.data().len().max(1) as f64,
        clipped: clipped as f64 / n_f,
        crushed: crushed as f64 / n_f,
        glare: glare as f64 / n_f,
        mean_linear: sum.map(|s| s / n_f),
    }
}

/// Whether two files have the same JPEG quantiser steps (luma DC steps
/// `now`, `then`), or neither is a JPEG: only then is their pixel noise
/// comparable, as a JPEG's rounding removes the finest noise and adds
/// block noise in the fine band.
fn same_steps(now: Option<u16>, then: Option<u16>) -> bool {
    now == then
}

/// What two band-passes of the same region share ([`shared_detail`]).
#[derive(Clone, Copy, Debug)]
struct Shared {
    /// Their correlation: how much of the fine detail the two captures
    /// share. Detail of the skin is in both; sensor noise and JPEG
    /// artefacts are in one only.
    correlation: f64,
    /// The capture's band projected on the baseline's, `Σab / Σb²`: how
    /// strongly the capture shows the baseline's detail. Noise of the
    /// capture alone, which adds energy of its own, averages out of it;
    /// the baseline's own noise does not (it is in `Σb²` only), so over a
    /// noisy baseline an equally sharp capture reads about the correlation
    /// (the safe side: texture and lines withheld, never a claim).
    gain: f64,
}

/// [`Shared`] of a capture's band-pass `a` and the baseline's `b`, over the
/// pixels valid in both.
fn shared_detail(a: &Plane, b: &Plane) -> Option<Shared> {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&u, &v) in a.data().iter().zip(b.data()) {
        if u.is_finite() && v.is_finite() {
            let (u, v) = (f64::from(u), f64::from(v));
            ab += u * v;
            aa += u * u;
            bb += v * v;
        }
    }
    (aa > 0.0 && bb > 0.0).then(|| Shared {
        correlation: ab / (aa * bb).sqrt(),
        gain: ab / bb,
    })
}

/// The largest change of a channel's share of the mean linear RGB, %.
fn colour_cast(now: [f64; 3], then: [f64; 3]) -> Option<f64> {
    let (sn, st) = (now.iter().sum::<f64>(), then.iter().sum::<f64>());
    if sn <= 0.0 || st <= 0.0 {
        return None;
    }
    (0..3)
        .map(|c| {
            let share_then = then[c] / st;
            (share_then > 0.0).then(|| 100.0 * ((now[c] / sn) / share_then - 1.0).abs())
        })
        .try_fold(0.0f64, |m, v| v.map(|v| m.max(v)))
}

#[cfg(test)]
pub(super) mod tests;
