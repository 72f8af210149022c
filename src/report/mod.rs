//! The report: one self-contained HTML file (images embedded, no external
//! requests, works offline and from an e-mail attachment) for the client
//! first — plain sentences, a before/after slider, overlays, curves, what to
//! expect — and a practitioner section below with every number, the
//! alignment of every capture, exclusions, methods and an input hash.
//! Also the flat CSV of metrics.json.

use crate::case::Kind;
use crate::catalog;
use crate::error::{Error, Result};
use crate::model::{Analysis, Series, SessionResult, Topic};
use crate::plot::{Plot, format_value};
use base64::Engine as _;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

mod compare;
mod csv;
mod glance;
mod style;
pub use self::csv::{COLUMNS as CSV_COLUMNS, csv, rounded};
pub(crate) use self::csv::{FORMULA_START, push_row};
use glance::{STRUCTURE_KINDS, capture_noun, last_visit, why_not_compared};
pub use glance::{at_a_glance, expectations};
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
    // fine structure is not compared on the latest photo (warned for focus,
    // noise, a light from another direction): its highlights of lines,
    // pores, dark spots and scar shadows say so, and why
    let not_compared = latest
        .filter(|x| !x.is_comparable() && x.is_comparable_for(Topic::Redness))
        .map(|x| x.quality.short_reason().unwrap_or("a softer photo"));
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
                                    figure { img data-ov={(kind) "-" (latest_k.unwrap_or(0))} src=(img_src("image/jpeg", &o.jpeg)) alt={(name) " highlighted at the latest visit"}; figcaption { (name) " — latest visit" @if let Some(why) = not_compared.filter(|_| STRUCTURE_KINDS.contains(kind)) { " (" (why) ": not compared)" } } }
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
            @if !a.date_warnings.is_empty() {
                div.card {
                    h3 { "Dates to check" }
                    ul.points { @for w in &a.date_warnings { li { (w) } } }
                }
            }
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
                        @if s.acute_first().is_some() {
                            " The first capture was taken 1–3 days after a session: no claim compares with it. Start the case at a later visit, or check the treatment dates in case.toml."
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
                                        tr { td data-label="Metric" { (id) } td data-label="Start" { (format_value(f.start)) } td data-label="Plateau" { (format_value(f.plateau)) } td data-label="τ (days)" { (format!("{:.0}", f.tau_days)) } td data-label="Days to 90 %" { (days_to_90(f)) } td data-label="R²" { (format!("{:.2}", f.r2)) } }
                                    }
                                }
                            }
                            @if s.fits.values().any(|f| f.days_to_90pct > f.last_day) {
                                p.small { "* later than the last visit the fit rests on: the curve's extrapolation, not something seen." }
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

/// A fit's days to 90 % of its change, starred where it lies beyond the
/// last visit fitted (the table's note says: the curve's extrapolation;
/// short, as the printed table's numbers do not wrap).
fn days_to_90(f: &crate::trend::Fit) -> String {
    let star = if f.days_to_90pct > f.last_day {
        "*"
    } else {
        ""
    };
    format!("{:.0}{star}", f.days_to_90pct)
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
    fn days_to_90_percent_past_the_last_visit_are_an_extrapolation() {
        let fit = |tau_days: f64, last_day: f64| crate::trend::Fit {
            plateau: 1.0,
            start: 2.0,
            tau_days,
            days_to_90pct: tau_days * 10f64.ln(),
            last_day,
            r2: 0.9,
        };
        assert_eq!(days_to_90(&fit(20.0, 112.0)), "46");
        assert_eq!(days_to_90(&fit(100.0, 112.0)), "230*");
    }
}
