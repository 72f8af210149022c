//! What a treatment course does to the phantom's skin, visit by visit.

use super::SkinState;

/// Which of the skin's features a course changes (`phantom --course`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Course {
    /// Scars, relief, lines, pigment and the lasting redness together.
    #[default]
    All,
    /// The micro-relief and pores alone (the skin's texture): the fine
    /// lines, scars, pigment and lasting redness stay as at the baseline.
    Relief,
    /// The fine lines alone.
    Lines,
}

impl Course {
    /// The skin at `days` after the baseline; `erythema`: its lasting
    /// redness at the baseline, down 70 % when the remodelling is complete.
    /// The redness of the 1–3 days after a treatment comes with every
    /// course.
    #[must_use]
    pub fn state_at(self, days: i64, treatment_days: &[i64], erythema: f64) -> SkinState {
        // remodelling builds up over months after the first treatment
        let progress = 1.0 - (-(days as f64) / 75.0).exp();
        let since = treatment_days
            .iter()
            .filter(|&&t| t <= days)
            .map(|&t| days - t)
            .min();
        let redness = match since {
            Some(d @ 1..=3) => 0.28 * (1.0 - (d as f64 - 1.0) / 4.0),
            _ => 0.0,
        };
        // the share of the remodelling that reaches each feature
        let on = |changes: bool| if changes { progress } else { 0.0 };
        let (all, relief, lines) = (
            self == Course::All,
            self == Course::Relief,
            self == Course::Lines,
        );
        SkinState {
            scar_depth_factor: 1.0 - 0.4 * on(all),
            relief_factor: 1.0 - 0.3 * on(all || relief),
            line_factor: 1.0 - 0.35 * on(all || lines),
            pigment_factor: 1.0 - 0.3 * on(all),
            redness,
            erythema: erythema * (1.0 - 0.7 * on(all)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_course_changes_its_features_only_and_redness_follows_a_session() {
        let st = Course::All.state_at(30, &[0, 28, 56], 0.0);
        assert!(st.redness > 0.1);
        assert_eq!(Course::All.state_at(56, &[0, 28, 56], 0.0).redness, 0.0);
        let all = Course::All.state_at(119, &[0, 28, 56], 0.1);
        assert!(all.relief_factor < 0.8 && all.line_factor < 0.8 && all.erythema < 0.1);
        let relief = Course::Relief.state_at(119, &[0, 28, 56], 0.1);
        assert_eq!(relief.relief_factor, all.relief_factor);
        assert_eq!(
            (
                relief.line_factor,
                relief.scar_depth_factor,
                relief.erythema
            ),
            (1.0, 1.0, 0.1)
        );
        let lines = Course::Lines.state_at(119, &[0, 28, 56], 0.1);
        assert_eq!(lines.line_factor, all.line_factor);
        assert_eq!((lines.relief_factor, lines.pigment_factor), (1.0, 1.0));
    }
}
