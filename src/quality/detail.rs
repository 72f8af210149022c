//! What a capture's fine detail shares with the baseline's: their
//! correlation and the capture's gain on it ([`Shared`]); and whether two
//! files' pixel noise can be compared at all ([`same_steps`]).

use crate::raster::Plane;

/// Whether two files have the same JPEG quantiser steps (luma DC steps
/// `now`, `then`), or neither is a JPEG: only then is their pixel noise
/// comparable, as a JPEG's rounding removes the finest noise and adds
/// block noise in the fine band.
pub(super) fn same_steps(now: Option<u16>, then: Option<u16>) -> bool {
    now == then
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
    })
}
