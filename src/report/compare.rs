//! Any two visits: the pickers that choose which two visits the slider and
//! the overlays compare (first and latest by default), and the contact
//! sheet of every visit of a view, aligned and in the same crop, which also
//! holds each visit's image for the pickers (so no image is embedded twice).

use super::img_src;
use crate::model::{Series, SessionResult};
use maud::{Markup, html};

/// A visit's label: "9 Feb 2026 · day 28", with "first visit" or the days
/// since the latest treatment when there was one.
pub(super) fn visit_label(x: &SessionResult, k: usize) -> String {
    let mut out = format!("{} · day {}", x.date.human(), x.timeline.days);
    if k == 0 {
        out.push_str(" (first visit)");
    } else if let Some(d) = x.timeline.days_since_treatment {
        if d == 0 {
            out.push_str(" (treatment day)");
        } else {
            out.push_str(&format!(" ({d} d after a session)"));
        }
    }
    out
}

/// The two pickers of a series: every visit with an image, `a` and `b`
/// selected (session indices); one no claim rests on is marked, as on the
/// contact sheet.
pub(super) fn pickers(si: usize, s: &Series, a: usize, b: usize) -> Markup {
    let visits: Vec<(usize, &SessionResult)> = s
        .sessions
        .iter()
        .enumerate()
        .filter(|(_, x)| x.media.preview.is_some())
        .collect();
    html! {
        @if visits.len() > 2 {
            div.pickers.noprint {
                label for={"pa" (si)} { "Compare" }
                select.pick-a id={"pa" (si)} {
                    @for (k, x) in &visits { option value=(k) data-short=(x.date.human()) selected[*k == a] { (visit_label(x, *k)) @if !x.is_comparable() { " · not compared" } } }
                }
                label for={"pb" (si)} { "with" }
                select.pick-b id={"pb" (si)} {
                    @for (k, x) in &visits { option value=(k) data-short=(x.date.human()) selected[*k == b] { (visit_label(x, *k)) @if !x.is_comparable() { " · not compared" } } }
                }
            }
        }
    }
}

/// Every visit of the series side by side in the same crop, with its date,
/// day and place in the treatment course; a visit without an image says why.
pub(super) fn contact_sheet(s: &Series) -> Markup {
    let shown = s
        .sessions
        .iter()
        .filter(|x| x.media.preview.is_some())
        .count();
    html! {
        @if shown > 2 {
            div.card.sheet {
                h3 { "Every visit" }
                p.small { "The same skin at each visit, lined up on the first photo and cut to the same area." }
                div.sheetgrid {
                    @for (k, x) in s.sessions.iter().enumerate() {
                        figure {
                            @if let Some(p) = &x.media.preview {
                                img data-k=(k) src=(img_src("image/jpeg", p)) alt={"Visit of " (x.date.human())};
                            } @else {
                                div.missing { "not shown: " (super::why_not_compared(x)) }
                            }
                            figcaption {
                                (visit_label(x, k))
                                @if x.media.preview.is_some() && !x.is_comparable() { br; span.tag.warn { "not compared" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The overlays of the visits that are neither `a` nor `b`, hidden, for the
/// pickers (`kind-k` names each).
pub(super) fn overlay_store(s: &Series, kinds: &[String], a: usize, b: usize) -> Markup {
    html! {
        div.ovstore hidden {
            @for (k, x) in s.sessions.iter().enumerate() {
                @if k != a && k != b {
                    @for o in x.media.overlays.iter().filter(|o| kinds.contains(&o.kind)) {
                        img data-ov={(o.kind) "-" (k)} src=(img_src("image/jpeg", &o.jpeg)) alt="";
                    }
                }
            }
        }
    }
}

/// The script of the pickers: the slider's two images and labels and every
/// overlay panel of the section follow them.
pub(super) const JS: &str = r#"
document.querySelectorAll('section.series').forEach(function(sec){
  var sa=sec.querySelector('select.pick-a'),sb=sec.querySelector('select.pick-b');
  if(!sa||!sb)return;
  var pics={},ovs={};
  sec.querySelectorAll('img[data-k]').forEach(function(i){pics[i.getAttribute('data-k')]=i.src;});
  sec.querySelectorAll('img[data-ov]').forEach(function(i){ovs[i.getAttribute('data-ov')]=i.src;});
  function upd(){
    var oa=sa.options[sa.selectedIndex],ob=sb.options[sb.selectedIndex];
    var a=sa.value,b=sb.value,la=oa.text,lb=ob.text;
    var ib=sec.querySelector('.slider>img'),ia=sec.querySelector('.slider .after img');
    if(ib&&pics[a])ib.src=pics[a];
    if(ia&&pics[b])ia.src=pics[b];
    var l=sec.querySelector('.slider .lab.l'),r=sec.querySelector('.slider .lab.r');
    if(l)l.textContent=oa.getAttribute('data-short');if(r)r.textContent=ob.getAttribute('data-short');
    sec.querySelectorAll('.ovpanel').forEach(function(p){
      var kind=p.getAttribute('data-kind'),name=p.getAttribute('data-name'),f=p.querySelectorAll('figure');
      [[f[0],a,la],[f[1],b,lb]].forEach(function(t){
        if(!t[0])return;var src=ovs[kind+'-'+t[1]],img=t[0].querySelector('img');
        t[0].style.display=src?'':'none';if(src&&img)img.src=src;
        var c=t[0].querySelector('figcaption');if(c)c.textContent=name+' — '+t[2];
      });
    });
  }
  sa.addEventListener('change',upd);sb.addEventListener('change',upd);
});
"#;
