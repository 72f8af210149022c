//! index.html: the clients, the failed cases and the cohort curves.

use super::cohort::{BIN_WEEKS, Curve};
use super::{CaseDigest, ClaimDigest};
use crate::batch::FailureRecord;
use crate::claims::subject;
use maud::{DOCTYPE, Markup, PreEscaped, html};

const CSS: &str = r"
:root{--ink:#1d2433;--muted:#5a6275;--accent:#2a62b8;--bg:#fbfaf8;--card:#fff;--line:#e3e1dc;--good:#1f7a45;--warn:#a34a00}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.8rem;margin:0 0 4px}h2{margin-top:32px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:14px 0}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
td.num,th.num{text-align:right}
ul.changes{margin:0;padding-left:1.1em}
.good{color:var(--good)}.bad{color:var(--warn)}
.small{font-size:.85rem;color:var(--muted)}
.chart svg{width:100%;height:auto}
.curves{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr));gap:14px}
td{overflow-wrap:anywhere}th{overflow-wrap:normal;hyphens:none}
@media (max-width:640px){main{padding:12px}
 table.clients thead{display:none}
 table.clients tr{display:block;border-bottom:1px solid var(--line);padding:6px 0}
 table.clients td{display:block;border:none;padding:2px 0;text-align:left}
 table.clients td[data-label]::before{content:attr(data-label) ': ';color:var(--muted)}}
@media print{body{background:#fff}.card{border:none;padding:0}a{color:inherit}}
";

/// The whole page.
pub fn html(
    cases: &[CaseDigest],
    failures: &[FailureRecord],
    curves: &[Curve],
    charts: &[String],
) -> String {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content=(super::GENERATOR);
                title { "Clinic outcomes: " (cases.len()) " clients" }
                style { (PreEscaped(CSS)) }
            }
            body { main {
                h1 { "Clinic outcomes" }
                p.small {
                    (cases.len()) " clients analysed"
                    @if !failures.is_empty() { ", " (failures.len()) " not analysed (listed below)" }
                    ". Each client's report is linked in the table; "
                    "outcomes.csv beside this page holds the same changes for a spreadsheet."
                }
                (clients(cases))
                @if !failures.is_empty() { (failed(failures)) }
                (cohort_section(curves, charts))
            } }
        }
    };
    page.into_string()
}

fn clients(cases: &[CaseDigest]) -> Markup {
    let name = |c: &CaseDigest| c.client.clone().unwrap_or_else(|| c.case.clone());
    // two rows of one name (two cases of a client, or two clients of one
    // name) say which case folder each is
    let shared = |c: &CaseDigest| cases.iter().filter(|o| name(o) == name(c)).count() > 1;
    html! {
        h2 { "Clients" }
        div.card { table.clients {
            thead { tr {
                th { "Client" } th { "Treatment" } th.num { "Visits" }
                th { "First visit" } th { "Last visit" }
                th { "Changes beyond the measurement noise" } th { "Report" }
            } }
            tbody { @for c in cases {
                tr {
                    td data-label="Client" { (name(c)) @if shared(c) { br; small { (c.dir) } } }
                    td data-label="Treatment" {
                        (c.treatment.as_deref().unwrap_or("—"))
                        // `treatments = []`: on no treatment's curve
                        @if c.first_treatment.is_none() { br; small { "no session listed" } }
                    }
                    td.num data-label="Visits" { (c.visits) }
                    td data-label="First visit" { (c.first_visit.map(|d| d.human()).unwrap_or_default()) }
                    td data-label="Last visit" { (c.last_visit.map(|d| d.human()).unwrap_or_default()) }
                    td data-label="Changes" { (changes(c)) }
                    td data-label="Report" { a href=(format!("{}/report.html", href_segment(&c.dir))) { "open" } }
                }
            } }
        } }
    }
}

/// The claims beyond noise, short: "Scar depth −49% (cheek)".
fn changes(c: &CaseDigest) -> Markup {
    let beyond: Vec<&ClaimDigest> = c.claims.iter().filter(|k| k.beyond_noise).collect();
    let views: std::collections::BTreeSet<&str> =
        c.claims.iter().map(|k| k.view.as_str()).collect();
    // a topic claimed twice in one view (a 3D camera and a photometric
    // set) names its instrument, as the client's report does
    let twice = |k: &ClaimDigest| {
        beyond
            .iter()
            .filter(|o| o.view == k.view && o.topic == k.topic)
            .count()
            > 1
    };
    html! {
        @if c.acute_first {
            // the report's reason, short: that view makes no claim
            span.small { "first photo taken 1–3 days after a session: not a reference" } br;
        }
        @if beyond.is_empty() {
            @if !c.acute_first { span.small { "none yet" } }
        } @else {
            ul.changes { @for k in &beyond {
                li title=(k.sentence) {
                    (subject(k.topic)) @if twice(k) { (crate::claims::instrument(&k.kind)) } " " (amount(k))
                    @if views.len() > 1 { " (" (k.view) ")" }
                }
            } }
        }
    }
}

fn amount(k: &ClaimDigest) -> String {
    match k.change_pct {
        Some(p) => format!("{p:+.0}%").replace('-', "−"),
        None => format!("{:+.2} {}", k.change, k.unit)
            .trim_end()
            .replace('-', "−"),
    }
}

fn failed(failures: &[FailureRecord]) -> Markup {
    html! {
        h2 { "Not analysed" }
        div.card { table {
            thead { tr { th { "Case" } th { "Why" } } }
            tbody { @for f in failures { tr { td { (f.case) } td { (f.reason) } } } }
        } }
    }
}

fn cohort_section(curves: &[Curve], charts: &[String]) -> Markup {
    html! {
        h2 { "Outcomes across clients" }
        p {
            "For each treatment and each measure, the median change since the first visit "
            "against weeks since the first treatment, over all clients of that treatment; "
            "the shaded band holds the middle half of them (interquartile range), N is how "
            "many treated areas (a client's view) had a comparable visit in that "
            (BIN_WEEKS) "-week step. Only visits whose photos were aligned and of "
            "comparable quality count, and none 1–3 days after a session (temporary "
            "redness). The green band marks 6–8 weeks, when early results show."
        }
        @if curves.is_empty() {
            p.small { "No finished case has a measure to compare yet." }
        }
        div.curves { @for (c, svg) in curves.iter().zip(charts) {
            figure.card {
                figcaption { strong { (subject(c.topic)) } " — " (c.treatment) " ("
                    (c.units) (if c.units == 1 { " treated area)" } else { " treated areas)" }) }
                div.chart role="img" aria-label=(alt(c)) {
                    (PreEscaped(svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..])))
                }
            }
        } }
    }
}

/// The chart in words, for screen readers.
fn alt(c: &Curve) -> String {
    let points: Vec<String> = c
        .bins
        .iter()
        .map(|b| format!("week {}: median {:+.0}% (N={})", b.week, b.median, b.n))
        .collect();
    format!(
        "{} after {}: {}",
        subject(c.topic),
        c.treatment,
        points.join("; ")
    )
}

/// A folder name as one segment of a relative link: everything but
/// RFC 3986's unreserved characters percent-encoded as UTF-8, so that a
/// case called "Client #12" or "Zoë" links to its own folder.
fn href_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_to_odd_folder_names_are_percent_encoded() {
        assert_eq!(href_segment("anna-2.b_c~"), "anna-2.b_c~");
        assert_eq!(href_segment("Client #12"), "Client%20%2312");
        assert_eq!(href_segment("Zoë?x"), "Zo%C3%ABx".replace("x", "%3Fx"));
        assert_eq!(href_segment("a/b"), "a%2Fb");
    }
}
