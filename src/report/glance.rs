//! What the client reads first: the "at a glance" list (the claims, then
//! the visits not compared and why) and what to expect next.

use crate::case::Kind;
use crate::date::Date;
use crate::model::{Analysis, Series, SessionResult, Topic};
use crate::plot::EARLY_RESULTS_DAYS;

/// The "at a glance" list: every claim's sentence (metrics.json `claims`,
/// in order), then what the client should know about particular visits:
/// photos taken in the acute window after a session, and in one line the
/// visits that could not be compared and why.
#[must_use]
pub fn at_a_glance(a: &Analysis) -> Vec<String> {
    let mut out: Vec<String> = a.claims.iter().map(|c| c.sentence.clone()).collect();
    if out.is_empty() {
        let later_visits = a.series.iter().any(|s| s.sessions.len() > 1);
        out.push(if later_visits {
            "No later visit could be compared with your first one yet; why is said below.".into()
        } else {
            "Only the first visit so far: the next visits will be compared with it.".into()
        });
    }
    let mut views: Vec<&str> = a.series.iter().map(|s| s.view.as_str()).collect();
    views.sort_unstable();
    views.dedup();
    for view in &views {
        // the photos of a view speak for it (what the client recognises)
        let Some(s) = a
            .series
            .iter()
            .find(|s| s.view == *view && s.kind == Kind::Photo)
            .or_else(|| a.series.iter().find(|s| s.view == *view))
        else {
            continue;
        };
        let prefix = if views.len() > 1 {
            format!("{} — ", crate::claims::capitalised(view))
        } else {
            String::new()
        };
        visit_lines(s, &prefix, &mut out);
    }
    out
}

/// The at-a-glance lines about particular visits of one series: photos in
/// the acute window, visits not compared; each begins with `prefix`.
fn visit_lines(s: &Series, prefix: &str, out: &mut Vec<String>) {
    // a first capture the gate rejected is what every later one would be
    // compared with: it is named, not the later ones
    if let Some(first) = s.rejected_first() {
        let noun = capture_noun(s.kind);
        out.push(format!(
            "{prefix}The first {noun}, of {}, could not be used ({}), so none of the later {noun}s is compared with it and no statement rests on them.",
            first.date.human(),
            why_not_compared(first)
        ));
        return;
    }
    if let Some(first) = s.acute_first() {
        let d = first.timeline.days_since_treatment.unwrap_or(0);
        let noun = capture_noun(s.kind);
        out.push(format!(
            "{prefix}The first {noun}, of {}, was taken {d} day{} after a session, while the skin was still reacting to it: it cannot be the reference, so none of the later {noun}s is compared with it and no statement rests on them.",
            first.date.human(),
            if d == 1 { "" } else { "s" }
        ));
        return;
    }
    let (mut not_compared, mut structure_not_compared) = (Vec::new(), Vec::new());
    for sess in &s.sessions {
        if sess.timeline.acute_window && sess.is_comparable() {
            let d = sess.timeline.days_since_treatment.unwrap_or(0);
            // redness is spoken of only where it is compared (a control
            // region); the skin's reaction holds whatever is measured
            let why = if s.control.is_some() {
                "redness then is expected and settles within days"
            } else {
                "the skin is then still reacting to it"
            };
            out.push(format!(
                "{prefix}The photo of {} was taken {d} day{} after a session: {why}, so it is not counted as a change.",
                sess.date.human(),
                if d == 1 { "" } else { "s" }
            ));
        }
        let entry = || format!("{} ({})", sess.date.human(), why_not_compared(sess));
        if !sess.is_comparable_for(Topic::Redness) {
            not_compared.push(entry());
        } else if !sess.is_comparable() {
            structure_not_compared.push(entry());
        }
    }
    if !not_compared.is_empty() {
        // of this series' captures only: another kind of capture of the
        // same visit (a 3D map beside a photo) may well be compared
        let noun = capture_noun(s.kind);
        let list = join_words(&not_compared.iter().map(String::as_str).collect::<Vec<_>>());
        out.push(if not_compared.len() == 1 {
            format!(
                "{prefix}The {noun} of {list} is not compared with the first, so no statement rests on it."
            )
        } else {
            format!(
                "{prefix}{}s not compared with the first, so no statement rests on them: {list}.",
                crate::claims::capitalised(noun)
            )
        });
    }
    if !structure_not_compared.is_empty() {
        // redness is read against the control region: without one it is
        // not compared at all, and a photo's lost detail may be the skin's
        let rest = if s.control.is_some() {
            "; redness is."
        } else {
            ". Without untreated skin in the photos as a reference, a photo's detail cannot be told apart from the skin's own (smoother or rougher skin)."
        };
        out.push(format!(
            "{prefix}Skin texture, fine lines, pores and dark spots are not compared on {}{rest}",
            join_words(
                &structure_not_compared
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
            )
        ));
    }
}

/// The highlights (overlay kinds) of fine structure, not compared on a
/// photo warned for focus alone.
pub(super) const STRUCTURE_KINDS: [&str; 4] = ["lines", "pores", "pigment", "scars"];

/// What a series' captures are called in a sentence: "photo" or "3D capture".
pub(super) fn capture_noun(kind: Kind) -> &'static str {
    if kind == Kind::Photo {
        "photo"
    } else {
        "3D capture"
    }
}

/// Why a session is not compared, in a few plain words.
pub(super) fn why_not_compared(sess: &SessionResult) -> &'static str {
    let reason = sess.alignment.reason.as_deref().unwrap_or_default();
    if reason.starts_with(crate::pipeline::NO_SURFACE) {
        return "no depth could be measured from the lit photos (too dark, too bright, or their lights unusable)";
    }
    if crate::pipeline::is_unreadable(&sess.alignment) {
        return "the photo file is damaged or not an image";
    }
    if !sess.alignment.is_ok() {
        return "the photo could not be lined up with the first one";
    }
    sess.quality.short_reason().unwrap_or(
        if sess.quality.status == crate::quality::Verdict::Reject {
            "the photo could not be used"
        } else {
            "taken under different conditions"
        },
    )
}

fn join_words(v: &[&str]) -> String {
    match v {
        [] => String::new(),
        [a] => (*a).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Days after the last session beyond which results have stopped
/// building (the 3–6 months of collagen remodelling).
const LASTING_AFTER_DAYS: i64 = 183;

/// What to expect next, from the treatment timeline as it stood at the
/// last visit: sessions dated after it are not "so far".
#[must_use]
pub fn expectations(a: &Analysis) -> Vec<String> {
    expectations_at(last_visit(a), &a.treatments, a.treatments_assumed)
}

/// The date of the case's last visit, of any view.
pub(super) fn last_visit(a: &Analysis) -> Date {
    a.series
        .iter()
        .flat_map(|s| s.sessions.iter().map(|x| x.date))
        .max()
        .unwrap_or(a.baseline_date)
}

/// [`expectations`] of a case whose last visit is `last_visit`.
fn expectations_at(last_visit: Date, treatments: &[Date], assumed: bool) -> Vec<String> {
    let mut out = Vec::new();
    let (done, later): (Vec<Date>, Vec<Date>) = treatments.iter().partition(|&&t| t <= last_visit);
    match (done.first(), done.last()) {
        (Some(&first), Some(&last)) => {
            let n = done.len();
            if last_visit.days_after(first) < EARLY_RESULTS_DAYS.0 {
                out.push(format!(
                    "Early results usually show 6–8 weeks after the first session (around {}); changes before then are mostly the skin's first response.",
                    first.plus_days(EARLY_RESULTS_DAYS.0).human()
                ));
            } else if last_visit.days_after(last) <= LASTING_AFTER_DAYS {
                out.push("Collagen keeps remodelling for months: results usually continue to build for 3–6 months after the last session.".into());
            } else {
                out.push("Results build for 3–6 months after the last session; by the last visit that time had passed, so what it shows is the lasting result.".into());
            }
            out.push(format!(
                "{n} session{} so far, the latest on {}. A course is usually 4–6 sessions about a month apart.",
                if n == 1 { "" } else { "s" },
                last.human()
            ));
        }
        _ => match later.first() {
            Some(first) => out.push(format!(
                "No treatment session took place by the last visit (the first is dated {}): the changes shown are not results of the treatment.",
                first.human()
            )),
            // a control client (`treatments = []`): the advice after a
            // session is not theirs
            None => {
                out.push("No treatment session is recorded for this case: the changes shown are not results of a treatment.".into());
                return out;
            }
        },
    }
    if !done.is_empty()
        && let Some(next) = later.first()
    {
        out.push(match later.len() {
            1 => format!(
                "1 more session is dated after the last visit, on {}.",
                next.human()
            ),
            n => format!(
                "{n} more sessions are dated after the last visit, the first on {}.",
                next.human()
            ),
        });
    }
    if assumed {
        out.push(format!(
            "Treatment dates were not recorded: every visit is taken as a treatment session except one within {} days of the visit before.",
            crate::case::MIN_DAYS_BETWEEN_TREATMENTS
        ));
    }
    out.push("Acne scars can improve for good; pigmentation (melasma) and sun damage need ongoing care to keep results.".into());
    out.push("Skin is red and more sensitive to the sun for a few days after each session: use a broad-spectrum SPF 30+ sunscreen daily.".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_to_expect_follows_the_sessions_held_by_the_last_visit() {
        let d = |s: &str| Date::parse(s).unwrap();
        let said = |last: &str, treatments: &[&str]| {
            let t: Vec<Date> = treatments.iter().map(|s| d(s)).collect();
            expectations_at(d(last), &t, false).join(" | ")
        };
        // a course under way: early results ahead, two sessions so far
        let e = said("2026-02-09", &["2026-01-12", "2026-02-09"]);
        assert!(
            e.contains(
                "Early results usually show 6–8 weeks after the first session (around 23 Feb 2026)"
            ),
            "{e}"
        );
        assert!(
            e.contains("2 sessions so far, the latest on 9 Feb 2026"),
            "{e}"
        );
        // two months on: still building
        let e = said("2026-04-13", &["2026-01-12", "2026-02-09"]);
        assert!(e.contains("continue to build for 3–6 months"), "{e}");
        // years after the last session: the lasting result, no promise
        let e = said("2027-01-23", &["2005-01-12", "2007-02-09"]);
        assert!(
            e.contains("the lasting result") && !e.contains("continue to build"),
            "{e}"
        );
        // a session dated after the last visit is not "so far"
        let e = said("2026-04-13", &["2026-01-12", "2030-01-01"]);
        assert!(
            e.contains("1 session so far, the latest on 12 Jan 2026"),
            "{e}"
        );
        assert!(
            e.contains("1 more session is dated after the last visit, on 1 Jan 2030"),
            "{e}"
        );
        let e = said("2026-04-13", &["2030-01-01", "2030-02-01"]);
        assert!(
            e.contains(
                "No treatment session took place by the last visit (the first is dated 1 Jan 2030)"
            ),
            "{e}"
        );
        assert!(!e.contains("so far") && !e.contains("Early results"), "{e}");
    }
}
