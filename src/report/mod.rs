//! The report: one self-contained HTML file (images embedded, no external
//! requests, works offline and from an e-mail attachment) for the client
//! first — plain sentences, a before/after slider, overlays, curves, what to
//! expect — and a practitioner section below with every number, the
//! alignment of every capture, exclusions, methods and an input hash.
//! Also the flat CSV of metrics.json.

use crate::case::Kind;
use crate::catalog;
use crate::date::Date;
use crate::error::{Error, Result};
use crate::model::{Analysis, Series, SessionResult, Topic};
use crate::plot::{EARLY_RESULTS_DAYS, Plot, format_value};
use base64::Engine as _;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

mod compare;
mod csv;
mod style;
pub use self::csv::{COLUMNS as CSV_COLUMNS, csv, rounded};
pub(crate) use self::csv::{FORMULA_START, push_row};
use style::{CSS, JS};

/// Every file of a finished analysis, as (path relative to the output
/// folder, bytes): metrics.json, metrics.csv, each chart as PNG and SVG
/// under plots/, and report.html.
///
/// # Errors
/// [`Error::Failed`] if the analysis cannot be written as JSON.
pub fn files(a: &Analysis, plots: &[Plot]) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let json = serde_json::to_string_pretty(a).map_err(|e| Error::Failed {
        path: PathBuf::from("metrics.json"),
        problem: e.to_string(),
    })?;
    let mut out = vec![
        (
            PathBuf::from("metrics.json"),
            format!("{json}\n").into_bytes(),
        ),
        (PathBuf::from("metrics.csv"), csv(a).into_bytes()),
    ];
    for p in plots {
        // names hold dots (metric ids): append the extension, never replace
        let dir = Path::new("plots");
        out.push((dir.join(format!("{}.png", p.name)), p.png.clone()));
        out.push((
            dir.join(format!("{}.svg", p.name)),
            p.svg.clone().into_bytes(),
        ));
    }
    out.push((PathBuf::from(REPORT), html(a, plots).into_bytes()));
    Ok(out)
}

/// The report's file name in the output folder.
pub const REPORT: &str = "report.html";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn img_src(mime: &str, bytes: &[u8]) -> String {
    format!("data:{mime};base64,{}", b64(bytes))
}

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
const STRUCTURE_KINDS: [&str; 4] = ["lines", "pores", "pigment", "scars"];

/// What a series' captures are called in a sentence: "photo" or "3D capture".
fn capture_noun(kind: Kind) -> &'static str {
    if kind == Kind::Photo {
        "photo"
    } else {
        "3D capture"
    }
}

/// Why a session is not compared, in a few plain words.
fn why_not_compared(sess: &SessionResult) -> &'static str {
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
fn last_visit(a: &Analysis) -> Date {
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

fn overlay_css(series: usize, kinds: &[String]) -> String {
    let mut css = String::new();
    for k in kinds {
        let _ = write!(
            css,
            "#ov{series}-{k}:checked~.ovpanel.p{series}-{k}{{display:grid}}"
        );
    }
    css
}

fn series_client_section(a: &Analysis, si: usize, s: &Series, plots: &[Plot]) -> Markup {
    let base = s.sessions.first().map(|x| &x.media);
    // the latest visit a claim may rest on, with a picture (a capture the
    // gate rejected has none): not one in the days of redness after a
    // session, nor one compared for nothing; a photo softer than the first
    // still is (its colour is compared, its highlights say what is not).
    // A depth map must be comparable: one out of scale with the first would
    // be drawn in colours that state a depth it does not have. Where no
    // visit is such, the latest aligned one with a picture.
    let later = || s.sessions.iter().enumerate().skip(1).rev();
    let shown = |x: &&SessionResult| x.alignment.is_ok() && x.media.preview.is_some();
    let claimable = |x: &&SessionResult| {
        !x.timeline.acute_window
            && if s.kind == Kind::Photo {
                x.is_comparable_for(Topic::Redness)
            } else {
                x.is_comparable()
            }
    };
    let latest_k = later()
        .find(|(_, x)| claimable(x) && shown(x))
        .or_else(|| later().find(|(_, x)| shown(x)))
        .map(|(k, _)| k);
    let latest = latest_k.and_then(|k| s.sessions.get(k));
    // fine structure is not compared on the latest photo (warned for focus):
    // its highlights of lines, pores, dark spots and scar shadows say so
    let softer = latest.is_some_and(|x| !x.is_comparable() && x.is_comparable_for(Topic::Redness));
    let base_img = base.and_then(|m| m.preview.as_ref());
    let latest_img = latest.and_then(|x| x.media.preview.as_ref());
    let ov_base = base.map(|m| &m.overlays);
    let ov_latest = latest.map(|x| &x.media.overlays);
    let kinds: Vec<String> = ov_base
        .map(|v| v.iter().map(|o| o.kind.clone()).collect())
        .unwrap_or_default();
    let overview = plots
        .iter()
        .find(|p| p.series == Some(si) && p.metric.is_none() && p.name.ends_with("_overview"));
    let scar_chart = plots
        .iter()
        .find(|p| p.series == Some(si) && p.name.ends_with("_scar_depths"));
    let note = s.preview_note.as_ref();
    let heading = if s.kind == Kind::Photo {
        "Before and after — "
    } else {
        "Scar depth map — "
    };
    // each headline metric once, as its claim reads it: the redness excess
    // over the control region rather than the skin's whole redness
    let headline_plots: Vec<&Plot> = plots
        .iter()
        .filter(|p| {
            p.series == Some(si)
                && p.metric.as_deref().is_some_and(|id| {
                    catalog::info(id).is_some_and(|m| m.headline)
                        && crate::claims::charted_as_claimed(id)
                })
        })
        .take(4)
        .collect();
    let latest_date = latest.map(|x| x.date.human()).unwrap_or_default();
    // the view's own first visit: a view may join the case later
    let first_date = s
        .sessions
        .first()
        .map_or(a.baseline_date, |x| x.date)
        .human();
    html! {
        section.series.later[si > 0] {
            h2 { (heading) (s.view) }
            @if let Some(n) = note { p.small { (n) } }
            // the pair and the overview chart: stacked, but side by side on
            // paper for a later view (the first fills page 1)
            div.pair {
            @if let (Some(b), Some(l)) = (base_img, latest_img) {
                div.card.slider-wrap.depthmaps[s.kind != Kind::Photo] {
                    (compare::pickers(si, s, 0, latest_k.unwrap_or(0)))
                    div.slider role="img" aria-label={"Photo of the first visit (" (first_date) ") and the latest visit (" (latest_date) "), lined up so the same skin is in the same place; drag the slider to compare."} {
                        img src=(img_src("image/jpeg", b)) alt={"First visit, " (first_date)};
                        div.after { img src=(img_src("image/jpeg", l)) alt={"Latest visit, " (latest_date)}; }
                        div.bar {}
                        span.lab.l { "First visit · " (first_date) }
                        span.lab.r { "Latest · " (latest_date) }
                    }
                    label.small.noprint for={"sl" (si)} { "Slide left to see more of the right-hand visit, right for the left-hand one" }
                    input id={"sl" (si)} type="range" min="0" max="100" value="50" aria-label="Position of the before/after divider (percent)";
                }
            } @else if let Some(b) = base_img {
                div.card { img src=(img_src("image/jpeg", b)) alt="First visit" style="width:100%;height:auto"; p.small { "Only the first visit could be used so far." } }
            } @else if let Some(first) = s.sessions.first() {
                div.card { p.small { "The first " (capture_noun(s.kind)) ", of " (first_date) ", could not be used (" (why_not_compared(first)) "): there is nothing to compare the later visits with." } }
            }
            @if let Some(p) = overview {
                (chart(p, if si == 0 { "card lead" } else { "card" }))
            }
            }
            @if !kinds.is_empty() {
                div.card.ovcard.lead[si == 0] {
                    h3 { "Where the changes are" }
                    p.small { "Highlights of what was measured, on the measured area, at the " @if latest.is_some() { "first and the latest visit. Fine lines, pores and dark spots are marked where they were found at the first visit, at the same places in every photo, where they are measured; the sentences above say by how much they changed. Redness and scar shadows mark what passes one fixed threshold in each photo, so a small change of strength can move much of an area across it: they show where, not how much." } @else { "first visit." } span.noprint { " Choose what to highlight:" } }
                    div.overlays {
                        style { (PreEscaped(overlay_css(si, &kinds))) }
                        @for (k, (kind, name)) in crate::overlay::KINDS.iter().filter(|(k, _)| kinds.iter().any(|x| x == k)).enumerate() {
                            input type="radio" name={"ov" (si)} id={"ov" (si) "-" (kind)} checked[k == 0];
                            label for={"ov" (si) "-" (kind)} { (name) }
                        }
                        @for (kind, name) in crate::overlay::KINDS.iter().filter(|(k, _)| kinds.iter().any(|x| x == k)) {
                            div class={"ovpanel p" (si) "-" (kind)} style="width:100%" data-kind=(kind) data-name=(name) {
                                @if let Some(o) = ov_base.and_then(|v| v.iter().find(|o| o.kind == *kind)) {
                                    figure { img data-ov={(kind) "-0"} src=(img_src("image/jpeg", &o.jpeg)) alt={(name) " highlighted at the first visit"}; figcaption { (name) " — first visit" } }
                                }
                                @if let Some(o) = ov_latest.and_then(|v| v.iter().find(|o| o.kind == *kind)) {
                                    figure { img data-ov={(kind) "-" (latest_k.unwrap_or(0))} src=(img_src("image/jpeg", &o.jpeg)) alt={(name) " highlighted at the latest visit"}; figcaption { (name) " — latest visit" @if softer && STRUCTURE_KINDS.contains(kind) { " (a softer photo: not compared)" } } }
                                }
                            }
                        }
                        (compare::overlay_store(s, &kinds, 0, latest_k.unwrap_or(0)))
                    }
                }
            }
            (compare::contact_sheet(s))
            @if !headline_plots.is_empty() || scar_chart.is_some() || s.regions_figure.is_some() {
                div.charts {
                    @if let Some(f) = &s.regions_figure {
                        figure.card.regions {
                            img src=(img_src("image/jpeg", &f.jpeg)) alt={"The first photo of the " (s.view) " with the measured region outlined in blue"};
                            figcaption {
                                strong { "Where we measure. " }
                                "The blue box is the skin measured at every visit, in the same place each time (every photo is lined up on the first one). "
                                @if f.control_suggested {
                                    "The dashed green box is even, untreated-looking skin suggested as a reference for colour; it is not used until your practitioner confirms it. Until then, changes of texture and lines rely on the photos being taken the same way each time."
                                } @else if s.control.is_some() {
                                    "The green box is untreated skin, the reference for colour: a change of light acts on both and cancels."
                                }
                            }
                        }
                    }
                    @if let Some(p) = scar_chart {
                        (chart(p, "card"))
                    }
                    @for p in &headline_plots {
                        (chart(p, "card"))
                    }
                }
            }
        }
    }
}

/// A chart as the report shows it: the wide rendering, and the narrow one
/// (title above it in the page) that a phone shows instead.
fn chart(p: &Plot, class: &str) -> Markup {
    html! {
        div class={"chart " (class)} role="img" aria-label=(p.alt) {
            div.wide { (PreEscaped(strip_xml_header(&p.svg))) }
            @if !p.svg_narrow.is_empty() {
                div.narrow {
                    p.small { strong { (p.title) } }
                    (PreEscaped(strip_xml_header(&p.svg_narrow)))
                }
            }
        }
    }
}

fn strip_xml_header(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |i| &svg[i..])
}

fn practitioner_section(a: &Analysis, plots: &[Plot]) -> Markup {
    // paper gets the definitions of the metrics this case has (the screen all)
    let measured: std::collections::BTreeSet<&str> = a
        .series
        .iter()
        .flat_map(|s| s.sessions.iter().flat_map(|x| x.metrics.keys()))
        .map(|id| catalog::base_id(id))
        .collect();
    let unmeasured = catalog::METRICS
        .iter()
        .filter(|m| !measured.contains(m.id))
        .count();
    html! {
        section {
            h2 { "For the practitioner" }
            @for (si, s) in a.series.iter().enumerate() {
                div.card {
                    h3 { (s.view) " · " (s.kind) }
                    p.small {
                        @if let Some(r) = s.roi { "Measured region (baseline px): x " (r.x) ", y " (r.y) ", " (r.w) "×" (r.h) ". " }
                        @if let Some(c) = s.control { "Control region: x " (c.x) ", y " (c.y) ", " (c.w) "×" (c.h) ". " }
                        @match s.mm_per_px { Some(v) => { "Scale " (v.get()) " mm/px." } None => { "No physical scale: per-pixel units." } }
                        @if s.control.is_none() && s.kind == crate::case::Kind::Photo {
                            " No control region: focus and contrast are checked on the measured region itself, so changes of texture and lines rest on the capture conditions alone, and no colour change is claimed. Name untreated skin in the same frame as "
                            code { "control" }
                            " in case.toml to make the photos their own ruler."
                        }
                        @if s.rejected_first().is_some() {
                            " The first capture is rejected: the later captures' quality reasons compare them with it, so they may name its fault as theirs. Retake it, or start the case at a later visit."
                        }
                    }
                    table.stack {
                        thead { tr { th { "Visit" } th { "Day" } th { "Treatment" } th { "Alignment" } th { "Score" } th { "Overlap" } th { "Structure" } th { "Quality" } th.note { "Note" } } }
                        tbody {
                            @for x in &s.sessions {
                                tr {
                                    td data-label="Visit" { (x.date.to_string()) }
                                    td data-label="Day" { (x.timeline.days) }
                                    td data-label="Treatment" { @if x.timeline.treatment { "yes" } }
                                    // a capture that could not be read was never aligned: no score of 0
                                    @if crate::pipeline::is_unreadable(&x.alignment) {
                                        td data-label="Alignment" class="bad" { "not read" }
                                        td data-label="Score" { "—" } td data-label="Overlap" { "—" } td data-label="Structure" { "—" }
                                    } @else {
                                        td data-label="Alignment" class=(if x.alignment.is_ok() { "ok" } else { "bad" }) { (x.alignment.status.as_str()) }
                                        td data-label="Score" { (format!("{:.3}", x.alignment.score)) }
                                        td data-label="Overlap" { (format!("{:.0} %", 100.0 * x.alignment.overlap)) }
                                        td data-label="Structure" { (format!("{:.2}", x.alignment.structure_score)) }
                                    }
                                    td data-label="Quality" class=(if x.quality.is_ok() { "ok" } else { "bad" }) { (x.quality.status.as_str()) }
                                    td.note data-label="Note" {
                                        @if let Some(n) = a.notes.get(&x.date) { span.tag { "visit note" } " " (n) " " }
                                        @if x.alignment.is_ok() { @for r in &x.quality.reasons { span.tag.warn { "quality" } " " (r) " " } }
                                        @if let Some(r) = &x.alignment.reason { span.tag.warn { "excluded" } " " (r) }
                                        @if x.timeline.acute_window { span.tag.warn { "acute window" } " " (x.timeline.days_since_treatment.unwrap_or(0)) " d after treatment" }
                                        @if !x.repeats.is_empty() { span.tag { (x.repeats.len() + 1) " captures averaged" } }
                                    }
                                }
                            }
                        }
                    }
                    details {
                        summary { "All metrics per visit" }
                        (metric_table(s))
                    }
                    @if !s.fits.is_empty() {
                        details {
                            summary { "Fitted trends (plateau and time to 90 %)" }
                            table.stack.fits {
                                thead { tr { th { "Metric" } th { "Start" } th { "Plateau" } th { "τ (days)" } th { "Days to 90 %" } th { "R²" } } }
                                tbody {
                                    @for (id, f) in &s.fits {
                                        tr { td data-label="Metric" { (id) } td data-label="Start" { (format_value(f.start)) } td data-label="Plateau" { (format_value(f.plateau)) } td data-label="τ (days)" { (format!("{:.0}", f.tau_days)) } td data-label="Days to 90 %" { (format!("{:.0}", f.days_to_90pct)) } td data-label="R²" { (format!("{:.2}", f.r2)) } }
                                    }
                                }
                            }
                        }
                    }
                    details.screenonly {
                        summary { "Every chart" }
                        @for p in plots.iter().filter(|p| p.series == Some(si) && p.metric.is_some()) {
                            (chart(p, ""))
                        }
                    }
                    p.small.printonly { "Every chart of this view is in the on-screen report and in the plots/ folder beside it." }
                }
            }
            div.card {
                h3 { "Methods and definitions" }
                p.small {
                    "Every follow-up photo is registered to the first photo of its view (keypoints and a robust homography, then dense sub-pixel refinement on a lighting-robust contrast image) and measured in the first photo's frame, on the same region each time. "
                    "A value's ± is its standard error as a measurement: its spread over 4×4 sub-tiles of the region (or over repeat captures) and how much a new photo of unchanged skin moves the metric, in quadrature (metrics.json and metrics.csv give the sub-tiles' part as uncertainty). A change is called beyond noise (*) when it exceeds the minimal detectable change 1.96·√2·SEM; where the first visit's value is itself within that of zero, the change is given in the metric's unit, as a percentage of it would be noise. For the redness excess, measured on the same sub-tiles at every visit, the SEM is that of the sub-tiles' changes, so redness that is uneven across the region is not taken for noise; its chart's bars are the noise of each visit's change from the first. "
                    "Photos taken 1–3 days after a treatment are flagged (post-treatment redness) and left out of fits and improvement statements. Scar shading from a photo is an index, not a depth; depths in µm come only from height maps or photometric sets."
                }
                table.stack.defs {
                    thead { tr { th { "Metric id" } th { "Better" } th.note { "Definition" } } }
                    tbody {
                        @for m in catalog::METRICS {
                            tr.noprint[!measured.contains(m.id)] { td data-label="Metric" { code { (m.id) } } td data-label="Better" { (m.better.as_str()) } td.note data-label="Definition" { (m.definition) } }
                        }
                    }
                }
                @if unmeasured > 0 {
                    p.small.printonly { "Printed: the definitions of the metrics this case measures; the on-screen report lists all " (catalog::METRICS.len()) "." }
                }
                p.small { "skintrack " (a.version) " · inputs SHA-256 " code { (a.inputs_sha256) } }
            }
        }
    }
}

/// Every visit with its day in the course, whether it was a treatment
/// session, and the practitioner's note for it (`[notes]` of case.toml).
fn visits_section(a: &Analysis) -> Markup {
    let mut visits: Vec<(crate::date::Date, &crate::trend::Timeline)> = a
        .series
        .iter()
        .flat_map(|s| s.sessions.iter().map(|x| (x.date, &x.timeline)))
        .collect();
    visits.sort_by_key(|v| v.0);
    visits.dedup_by_key(|v| v.0);
    html! {
        section {
            h2 { "Your visits" }
            div.card {
                table.stack.visits {
                    thead { tr { th { "Date" } th { "Day" } th { "Treatment session" } th.note { "Note" } } }
                    tbody {
                        @for (date, t) in &visits {
                            tr {
                                td data-label="Date" { (date.human()) }
                                td data-label="Day" { (t.days) }
                                td data-label="Treatment session" { @if t.treatment { "yes" } @else { "—" } }
                                td.note data-label="Note" { @if let Some(n) = a.notes.get(date) { (n) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A table cell's change: its percentage, else (a baseline within the noise
/// of zero) the change in the metric's unit; starred when beyond noise.
fn change_text(c: &crate::trend::Change) -> String {
    let star = if c.beyond_noise { " *" } else { "" };
    match c.change_pct {
        Some(p) => format!("{p:+.1} %{star}"),
        None if c.delta > 0.0 => format!("+{}{star}", format_value(c.delta)),
        None => format!("{}{star}", format_value(c.delta)),
    }
}

fn metric_table(s: &Series) -> Markup {
    let mut ids: Vec<&String> = s.sessions.iter().flat_map(|x| x.metrics.keys()).collect();
    ids.sort_by_key(|id| catalog::order(id));
    ids.dedup();
    html! {
        table.stack.metrics {
            thead { tr { th { "Metric" } @for x in &s.sessions { th { (x.date.to_string()) } } } }
            tbody {
                @for id in ids {
                    tr {
                        td data-label="Metric" { code { (id) } @if let Some(u) = s.sessions.iter().find_map(|x| x.metrics.get(id)).map(|m| m.measured.unit.clone()).filter(|u| !u.is_empty()) { " (" (u) ")" } }
                        @for x in &s.sessions {
                            td data-label=(x.date.to_string()) {
                                @if let Some(m) = x.metrics.get(id) {
                                    // .v: a number never breaks (at "e-3") on paper
                                    span { span.v { (format_value(m.measured.value)) } " ± " span.v { (format_value(crate::catalog::measurement_sd(id, m.measured.value, m.measured.uncertainty))) }
                                    @if let Some(c) = m.vs_baseline { br; span.small { (change_text(&c)) } } }
                                } @else { "—" }
                            }
                        }
                    }
                }
            }
        }
        p.small { "± is the measurement noise (the spread over the region's parts and how much a new photo of unchanged skin moves the value); * marks a change beyond the minimal detectable change. No percentage is given where the first visit's value is within its noise of zero." }
    }
}

/// The complete report.html.
#[must_use]
pub fn html(a: &Analysis, plots: &[Plot]) -> String {
    let title = match &a.client {
        Some(c) => format!("Skin progress report — {c}"),
        None => format!("Skin progress report — {}", a.case),
    };
    let last = last_visit(a);
    // every visit of any view, and the sessions held by the last of them
    let n_visits = a
        .series
        .iter()
        .flat_map(|s| s.sessions.iter().map(|x| x.date))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let held = a.treatments.iter().filter(|&&t| t <= last).count();
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                main {
                    header.top {
                        h1 { (title) }
                        p.meta {
                            @if let Some(t) = &a.treatment { (t) " · " }
                            @if n_visits == 1 { "1 visit, " (last.human()) }
                            @else { (n_visits) " visits from " (a.baseline_date.human()) " to " (last.human()) }
                            @if held == 0 { " · no treatment session" }
                            @else { " · " (held) " treatment session" @if held != 1 { "s" } }
                        }
                    }
                    section {
                        h2 { "Your results at a glance" }
                        div.card { ul.points { @for h in at_a_glance(a) { li { (h) } } } }
                    }
                    @for (si, s) in a.series.iter().enumerate() {
                        (series_client_section(a, si, s, plots))
                    }
                    (visits_section(a))
                    section {
                        h2 { "What to expect next" }
                        div.card { ul.points { @for e in expectations(a) { li { (e) } } } }
                    }
                    (practitioner_section(a, plots))
                    p.small.noprint { "Made by skintrack " (a.version) ". This report works offline; nothing in it is loaded from the internet." }
                }
                script { (PreEscaped(JS)) (PreEscaped(compare::JS)) }
            }
        }
    };
    page.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_gives_the_change_in_units_where_its_percentage_is_withheld() {
        let c = |change_pct, delta, beyond_noise| crate::trend::Change {
            change_pct,
            beyond_noise,
            delta,
            mdc95: 0.5,
            improved: None,
        };
        assert_eq!(change_text(&c(Some(-12.34), -0.6, true)), "-12.3 % *");
        assert_eq!(change_text(&c(Some(4.0), 0.2, false)), "+4.0 %");
        // within the noise it is still given: not read as "not computed"
        assert_eq!(change_text(&c(None, 0.0041, false)), "+4.10e-3");
        assert_eq!(change_text(&c(None, 0.827, true)), "+0.827 *");
        assert_eq!(change_text(&c(None, -0.0219, false)), "-0.022");
    }

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
