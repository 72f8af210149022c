use super::*;

/// The verdict of these measures.
fn verdict_of(pairs: &[(&str, f64)]) -> Quality {
    verdict(pairs.iter().map(|&(k, v)| (k.to_string(), v)).collect())
}

#[test]
fn verdict_takes_the_worst_measure_with_its_reason() {
    let m = verdict_of;
    let ok = m(&[("clipped_fraction", 0.01), ("exposure_vs_baseline", 0.9)]);
    assert_eq!((ok.status, ok.reasons.len()), (Verdict::Ok, 0));
    let warn = m(&[("clipped_fraction", 0.10), ("exposure_vs_baseline", 0.9)]);
    assert_eq!(warn.status, Verdict::Warn);
    assert!(warn.reasons[0].starts_with("over-exposed: 10% of the region clipped"));
    let reject = m(&[("clipped_fraction", 0.61), ("exposure_vs_baseline", 2.5)]);
    assert_eq!(reject.status, Verdict::Reject);
    assert!(reject.reasons[0].contains("61%") && reject.reasons[0].contains("retake"));
    // brighter reads the inverse: 2.5× the baseline's brightness warns
    assert!(reject.reasons.iter().any(|r| r.contains("much brighter")));
    assert_eq!(m(&[("exposure_vs_baseline", 4.0)]).status, Verdict::Reject);
    assert_eq!(m(&[("alignment_precision_px", 0.55)]).status, Verdict::Warn);
    assert_eq!(m(&[("alignment_precision_px", 0.45)]).status, Verdict::Ok);
    // light of another colour on the region than on the control: every
    // value withheld, the colour excesses first
    let tinted = m(&[("light_colour_vs_control", 2.4)]);
    assert_eq!((tinted.status, tinted.scope), (Verdict::Warn, Scope::All));
    assert!(tinted.reasons[0].contains("light of another colour"));
    assert_eq!(m(&[("light_colour_vs_control", 1.2)]).status, Verdict::Ok);
    assert_eq!(reject.short_reason(), Some("over-exposed"));
    // a softer capture withholds fine structure only; with any other
    // problem, or past the reject limit, everything
    assert_eq!(ok.scope, Scope::All);
    let soft = m(&[("sharpness_vs_baseline", 0.5)]);
    assert_eq!((soft.status, soft.scope), (Verdict::Warn, Scope::Structure));
    assert!(soft.colour_is_ok() && !soft.is_ok());
    let soft_clipped = m(&[("sharpness_vs_baseline", 0.5), ("clipped_fraction", 0.1)]);
    assert_eq!(
        (soft_clipped.status, soft_clipped.scope),
        (Verdict::Warn, Scope::All)
    );
    assert!(!soft_clipped.colour_is_ok());
    // a softer first photo withholds fine structure too, never more
    let sharper = m(&[("sharpness_vs_baseline", 1.3)]);
    assert_eq!(
        (sharper.status, sharper.scope),
        (Verdict::Warn, Scope::Structure)
    );
    assert!(sharper.reasons[0].contains("sharper than the first visit"));
    assert_eq!(m(&[("sharpness_vs_baseline", 1.2)]).status, Verdict::Ok);
    assert_eq!(m(&[("sharpness_vs_baseline", 50.0)]).status, Verdict::Warn);
    let blurred = m(&[("sharpness_vs_baseline", 0.1)]);
    assert_eq!(
        (blurred.status, blurred.scope),
        (Verdict::Reject, Scope::All)
    );
    assert!(!blurred.colour_is_ok());
    assert_eq!(warn.scope, Scope::All);
}

#[test]
fn a_blur_warns_on_its_own_and_is_not_said_twice() {
    let m = verdict_of;
    // coarse texture: most of its detail kept, yet blurred by 0.9 px
    let coarse = m(&[
        ("sharpness_vs_baseline", 0.86),
        ("blur_vs_baseline_px", 0.9),
    ]);
    assert_eq!(
        (coarse.status, coarse.scope),
        (Verdict::Warn, Scope::Structure)
    );
    assert_eq!(coarse.reasons.len(), 1);
    assert!(
        coarse.reasons[0].contains("as if blurred by 0.9 px"),
        "{:?}",
        coarse.reasons
    );
    assert_eq!(
        coarse.short_reason(),
        Some("less sharp than the first photo")
    );
    let both = m(&[("sharpness_vs_baseline", 0.6), ("blur_vs_baseline_px", 1.0)]);
    assert_eq!(both.reasons.len(), 1);
    assert!(both.reasons[0].contains("60% of the first visit's fine detail"));
    let sharp = m(&[
        ("sharpness_vs_baseline", 0.95),
        ("blur_vs_baseline_px", 0.3),
    ]);
    assert_eq!(sharp.status, Verdict::Ok);
    assert_eq!(m(&[("blur_vs_baseline_px", 3.0)]).status, Verdict::Reject);
    // as little detail with little blur: contrast lost (a tone curve, a
    // flatter light), said so instead of "retake in focus"; the same
    // verdict and scope
    let flat = m(&[
        ("sharpness_vs_baseline", 0.79),
        ("blur_vs_baseline_px", 0.4),
    ]);
    assert_eq!((flat.status, flat.scope), (Verdict::Warn, Scope::Structure));
    assert_eq!(flat.reasons.len(), 1);
    assert!(
        flat.reasons[0].starts_with("less contrast than the first visit's photo (79%")
            && !flat.reasons[0].contains("focus"),
        "{:?}",
        flat.reasons
    );
    assert_eq!(
        flat.short_reason(),
        Some("less contrast than the first photo")
    );
    let soft = m(&[
        ("sharpness_vs_baseline", 0.79),
        ("blur_vs_baseline_px", 0.6),
    ]);
    assert!(
        soft.reasons[0].starts_with("out of focus"),
        "{:?}",
        soft.reasons
    );
    assert_eq!(
        m(&[("sharpness_vs_baseline", 0.1), ("blur_vs_baseline_px", 0.3)]).status,
        Verdict::Reject
    );
    // a reject is explained by the measure that rejects
    let rejected = m(&[("sharpness_vs_baseline", 0.6), ("blur_vs_baseline_px", 3.0)]);
    assert_eq!(rejected.status, Verdict::Reject);
    assert_eq!(rejected.reasons.len(), 2);
    assert!(
        rejected.reasons[1].contains("3.0 px"),
        "{:?}",
        rejected.reasons
    );
    // a softer first photo, in pixels: a coarse control region keeps
    // more than 0.8 of its detail under a blur that fades fine lines
    let soft_first = m(&[
        ("sharpness_vs_baseline", 1.17),
        ("baseline_blur_vs_capture_px", 1.1),
    ]);
    assert_eq!(
        (soft_first.status, soft_first.scope),
        (Verdict::Warn, Scope::Structure)
    );
    assert!(soft_first.reasons[0].contains("as if blurred by 1.1 px against this one"));
    assert_eq!(
        soft_first.short_reason(),
        Some("sharper than the first photo")
    );
    let said_once = m(&[
        ("sharpness_vs_baseline", 1.5),
        ("baseline_blur_vs_capture_px", 1.1),
    ]);
    assert_eq!(said_once.reasons.len(), 1);
    // never rejected: the follow-up is the better photo
    let very = m(&[("baseline_blur_vs_capture_px", 8.0)]);
    assert_eq!((very.status, very.scope), (Verdict::Warn, Scope::Structure));
    let slight = m(&[
        ("sharpness_vs_baseline", 1.05),
        ("baseline_blur_vs_capture_px", 0.4),
    ]);
    assert_eq!(slight.status, Verdict::Ok);
    // and every measure named as the same problem is a measure
    for t in &THRESHOLDS {
        if let Some(other) = t.same_problem_as {
            assert!(THRESHOLDS.iter().any(|o| o.measure == other), "{other}");
        }
    }
}

#[test]
fn a_photometric_set_far_off_the_first_tone_curve_or_room_light_warns_for_every_value() {
    let m = verdict_of;
    for ok in [1.0, 1.22, 0.8] {
        assert_eq!(m(&[("tone_vs_baseline", ok)]).status, Verdict::Ok, "{ok}");
    }
    for far in [1.35, 0.74] {
        let q = m(&[("tone_vs_baseline", far)]);
        assert_eq!((q.status, q.scope), (Verdict::Warn, Scope::All), "{far}");
        assert!(
            q.reasons[0].contains("another tone curve"),
            "{:?}",
            q.reasons
        );
        assert_eq!(q.short_reason(), Some("taken with other camera settings"));
    }
    // lamps that moved, and another tone curve besides
    assert_eq!(m(&[("tone_beyond_lamps", 1.01)]).status, Verdict::Ok);
    let both = m(&[("tone_beyond_lamps", 1.03)]);
    assert_eq!((both.status, both.scope), (Verdict::Warn, Scope::All));
    assert!(
        both.reasons[0].contains("lamps moved"),
        "{:?}",
        both.reasons
    );
    // room light in the shadows, either set
    assert_eq!(m(&[("ambient_vs_baseline", 0.01)]).status, Verdict::Ok);
    assert_eq!(m(&[("ambient_vs_baseline", -0.01)]).status, Verdict::Ok);
    let room = m(&[("ambient_vs_baseline", 0.023)]);
    assert_eq!((room.status, room.scope), (Verdict::Warn, Scope::All));
    assert!(room.reasons[0].contains("2.3% more"), "{:?}", room.reasons);
    // a ring of lamps: the albedo's contrast stands in for the tone
    assert_eq!(
        m(&[("albedo_contrast_vs_baseline", 1.06)]).status,
        Verdict::Ok
    );
    for far in [1.2, 0.88] {
        let q = m(&[("albedo_contrast_vs_baseline", far)]);
        assert_eq!((q.status, q.scope), (Verdict::Warn, Scope::All), "{far}");
        assert!(
            q.reasons[0].contains("cannot be read from it"),
            "{:?}",
            q.reasons
        );
    }
    let first = m(&[("ambient_vs_baseline", -0.03)]);
    assert_eq!(first.status, Verdict::Warn);
    assert!(first.reasons[0].starts_with("the first visit's photometric set had room light"));
}
