//! What a capture's fine detail shares with the baseline's: their
//! correlation and the capture's gain on it ([`Shared`]), read without the
//! baseline's noise where the capture is known to be no noisier
//! ([`Noise`]).

use crate::raster::Plane;

/// The largest ratio of a capture's pixel noise to the baseline's
/// (`noise_vs_baseline`, of standard deviations) at which the two are taken
/// as equally noisy. On the held-out generator's skin of types I–VI (JPEG
/// quality 90 throughout): the same camera and settings read 0.96–1.03,
/// 0.77–0.83 after a sub-pixel shift (alignment's resampling smooths some
/// noise even at half resolution); 1.5× the noise 1.08–1.23, 2× the noise
/// shifted 1.02–1.28. So a capture up to about 1.3× as noisy, resampled,
/// can pass: its own noise then adds a little to the share it keeps, and a
/// blur of 0.65 px with 1.3× the noise read 0.46–0.67 px.
pub(super) const SAME_NOISE_RATIO: f64 = 1.07;

/// Whether two files have the same JPEG quantiser steps (luma DC steps
/// `now`, `then`), or neither is a JPEG: only then is their pixel noise
/// comparable, as a JPEG's rounding removes the finest noise and adds
/// block noise in the fine band.
pub(super) fn same_steps(now: Option<u16>, then: Option<u16>) -> bool {
    now == then
}

/// What is known of a capture's noise against the baseline's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Noise {
    /// No more than the baseline's.
    NoMore,
    /// Perhaps more.
    Unknown,
}

impl Noise {
    /// From the ratio of the capture's pixel noise to the baseline's
    /// (`None`: not comparable, [`same_steps`]): no more at most
    /// [`SAME_NOISE_RATIO`].
    pub(super) fn of(ratio: Option<f64>) -> Noise {
        if ratio.is_some_and(|r| r <= SAME_NOISE_RATIO) {
            Noise::NoMore
        } else {
            Noise::Unknown
        }
    }
}

/// What two band-passes of the same region share ([`shared_detail`]).
#[derive(Clone, Copy, Debug)]
pub(super) struct Shared {
    /// Their correlation: how much of the fine detail the two captures
    /// share. Detail of the skin is in both; sensor noise and JPEG
    /// artefacts are in one only.
    pub(super) correlation: f64,
    /// The capture's band projected on the baseline's, `Σab / Σb²`: how
    /// strongly the capture shows the baseline's detail. Noise of the
    /// capture alone, which adds energy of its own, averages out of it;
    /// the baseline's own noise does not (it is in `Σb²` only), so over a
    /// noisy baseline an equally sharp capture reads about the correlation
    /// (the safe side: texture and lines withheld, never a claim).
    pub(super) gain: f64,
    /// The capture's share of the baseline's detail `k` (its band `k·s + n`
    /// over the baseline's `s + m`) where both carry noise of the same
    /// energy: the root of `Σab·k² + (Σbb − Σaa)·k − Σab = 0`, which
    /// `Σab = kS`, `Σaa = k²S + N`, `Σbb = S + N` give. Unbiased where
    /// [`Shared::gain`] reads the baseline's noise as lost detail (dark
    /// skin in 8 bits, whose fine detail is near the JPEG's rounding: the
    /// same camera and settings read as a blur of 0.7 px); larger than the
    /// truth where the capture is the noisier, so used only where it is
    /// not ([`Noise::NoMore`]). `None` where the two do not correlate.
    pub(super) equal_noise_gain: Option<f64>,
}

impl Shared {
    /// The share of the baseline's fine-detail energy the capture keeps,
    /// the square of its gain: [`Shared::equal_noise_gain`] where the
    /// capture is no noisier, else [`Shared::gain`].
    pub(super) fn kept(&self, noise: Noise) -> f64 {
        match (noise, self.equal_noise_gain) {
            (Noise::NoMore, Some(k)) => k * k,
            _ => self.gain * self.gain,
        }
    }

    /// The same read the other way, the baseline's share of the capture's
    /// detail: `1 / k²` where the capture is no noisier, else the square
    /// of the baseline's band projected on the capture's (`Σab / Σaa`,
    /// which the capture's noise lowers: the safe side again).
    pub(super) fn kept_back(&self, noise: Noise) -> f64 {
        match (noise, self.equal_noise_gain) {
            (Noise::NoMore, Some(k)) => 1.0 / (k * k),
            _ => (self.correlation.powi(2) / self.gain).powi(2),
        }
    }
}

/// [`Shared`] of a capture's band-pass `a` and the baseline's `b`, over the
/// pixels valid in both.
pub(super) fn shared_detail(a: &Plane, b: &Plane) -> Option<Shared> {
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
        equal_noise_gain: (ab > 0.0).then(|| ((aa - bb) + (aa - bb).hypot(2.0 * ab)) / (2.0 * ab)),
    })
}
