//! The report's stylesheet and script. Three media: the screen (desktop and
//! a phone of 390 px, where nothing may scroll sideways: charts switch to
//! their narrow rendering, tables stack their cells under labels, long
//! values wrap) and print (page 1: the client summary, the first and latest
//! photos side by side and the overview chart; controls and instructions
//! hidden; collapsed sections printed open; up to three series in 7 A4
//! pages: a later view's pair beside its chart, images and charts three a
//! row, the practitioner's tables compact, nothing wider than the page).

/// The stylesheet.
pub const CSS: &str = r#".depthmaps .slider{max-width:560px;margin:0 auto}
:root{--ink:#1d2433;--muted:#5a6275;--accent:#2a62b8;--bg:#fbfaf8;--card:#fff;--line:#e3e1dc;--good:#1f7a45;--warn:#a34a00}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:16px/1.55 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg);overflow-wrap:break-word}
main{max-width:1040px;margin:0 auto;padding:24px 20px 60px}
header.top{border-bottom:3px solid var(--accent);margin-bottom:24px;padding-bottom:12px}
h1{font-size:1.9rem;margin:0 0 4px}h2{font-size:1.35rem;margin:36px 0 12px}h3{font-size:1.1rem;margin:24px 0 8px}
.meta{color:var(--muted);margin:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:14px 0}
ul.points{padding-left:1.2em;margin:0}ul.points li{margin:6px 0}
.slider{position:relative;max-width:100%;user-select:none;border-radius:8px;overflow:hidden;background:#000;line-height:0}
.slider img{display:block;width:100%;height:auto}
.slider .after{position:absolute;inset:0;clip-path:inset(0 0 0 50%)}
.slider .bar{position:absolute;top:0;bottom:0;left:50%;width:3px;background:#fff;box-shadow:0 0 4px #0008;pointer-events:none}
.slider .lab{position:absolute;top:10px;padding:3px 10px;border-radius:4px;background:#000a;color:#fff;font-size:14px;line-height:1.4}
.slider .lab.l{left:10px}.slider .lab.r{right:10px}
input[type=range]{width:100%;margin:10px 0 0;accent-color:var(--accent);height:28px}
.overlays{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0}
.overlays input{position:absolute;opacity:0}
.overlays label{border:1px solid var(--line);border-radius:16px;padding:4px 12px;cursor:pointer;background:#fff}
.overlays input:checked+label{background:var(--accent);color:#fff;border-color:var(--accent)}
.overlays input:focus-visible+label{outline:3px solid #f5b400;outline-offset:2px}
.ovpanel{display:none;gap:10px;grid-template-columns:1fr 1fr}
.ovpanel figure{margin:0}.ovpanel img{width:100%;height:auto;border-radius:6px}
figcaption{font-size:.9rem;color:var(--muted);line-height:1.3;margin-top:4px}
.chart svg{display:block;width:100%;height:auto}
.pickers{display:flex;flex-wrap:wrap;align-items:center;gap:6px 10px;margin:0 0 10px}
.pickers select{font:inherit;max-width:100%;padding:3px 6px;border:1px solid var(--line);border-radius:6px;background:#fff}
.sheetgrid{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.sheetgrid figure{margin:0}.sheetgrid img{display:block;width:100%;height:auto;border-radius:4px}
.sheetgrid .missing{aspect-ratio:4/3;display:flex;align-items:center;justify-content:center;background:#eee;color:var(--muted);font-size:.8rem;text-align:center;padding:6px;border-radius:4px}
figure.regions img{display:block;width:100%;max-width:640px;height:auto;border-radius:6px}
.chart .narrow{display:none}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}
td.ok{color:var(--good)}td.bad{color:var(--warn)}
td.note,th.note{text-align:left}
p code{overflow-wrap:anywhere}
details{margin:10px 0}summary{cursor:pointer;font-weight:600}
.small{font-size:.85rem;color:var(--muted)}
.tag{display:inline-block;padding:0 6px;border-radius:4px;font-size:.8rem;background:#eef2fa;color:var(--accent)}
.tag.warn{background:#fdeedd;color:var(--warn)}
.printonly{display:none}
@media (max-width:640px){main{padding:14px 10px}h1{font-size:1.5rem}.card{padding:12px 12px}.ovpanel{grid-template-columns:1fr}
 .slider .lab{font-size:.7rem;padding:2px 5px}.slider .lab.l{left:4px}.slider .lab.r{right:4px}
 .chart .wide{display:none}.chart .narrow{display:block}
 table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
 table.stack thead{display:none}
 table.stack tr{border-bottom:2px solid var(--line);padding:4px 0}
 table.stack td{border:none;padding:2px 0;text-align:right;display:flex;justify-content:space-between;gap:12px}
 table.stack td::before{content:attr(data-label);font-weight:600;color:var(--muted);text-align:left;flex:none}
 table.stack td:first-child{font-weight:600}
 table.stack td.note{display:block;text-align:left}
 table.stack td.note::before{display:block}
 table.stack td:empty{display:none}}
@page{size:A4;margin:12mm 12mm 14mm}
@media print{
 body{background:#fff;font-size:10pt;line-height:1.35}
 main{max-width:none;padding:0}
 h1{font-size:16pt}h2{font-size:13pt;margin:10px 0 4px;break-after:avoid-page}h3{font-size:11pt;margin:8px 0 4px;break-after:avoid-page}
 header.top{margin-bottom:6px;padding-bottom:4px}
 .card{border:none;padding:0;margin:4px 0}
 ul.points li{margin:1px 0}ul.points{font-size:9pt}
 input[type=range],.overlays>input,.overlays>label,.noprint{display:none!important}
 .printonly{display:block}
 .slider{display:grid;grid-template-columns:1fr 1fr;gap:4mm;background:none;border-radius:0;max-width:none}
 .slider>img{grid-column:1;grid-row:1}
 .slider .after{position:relative;inset:auto;grid-column:2;grid-row:1;clip-path:none!important}
 .slider .bar{display:none}
 .slider .lab.r{right:auto;left:calc(50% + 2mm + 4px)}
 .slider .lab.l{left:4px}
 .slider .lab{top:4px;font-size:8pt}
 .overlays{display:grid;grid-template-columns:repeat(3,1fr);gap:2mm 5mm}
 .overlays .ovpanel{display:grid!important;gap:2mm}
 figcaption{font-size:7.5pt;margin-top:0}
 .chart svg{max-height:62mm;width:auto;max-width:100%}
 .chart.lead svg{max-height:72mm}
 .series:not(.later) .slider{max-width:170mm;margin:0 auto}
 .depthmaps .slider{max-width:125mm;margin:0 auto}
 .card.ovcard.lead{break-before:page}.card.ovcard>p.small{break-after:avoid-page}
 .overlays .ovpanel{break-inside:avoid}
 table .small{font-size:inherit}
 .chart .narrow{display:none!important}.chart .wide{display:block!important}
 .sheetgrid{grid-template-columns:repeat(8,1fr);gap:2mm}.sheetgrid figcaption{font-size:6.5pt}
 /* three charts a row; the measured-region figure, taller, beside two rows of them */
 .charts{display:grid;grid-template-columns:repeat(3,1fr);gap:2mm 5mm}
 .charts .chart svg{max-height:48mm}.charts>figure.regions{grid-row:span 2}
 figure.regions{break-inside:avoid;margin:4px 0}figure.regions img{max-height:62mm;width:auto;max-width:100%}
 details{display:block;margin:4px 0}
 details>summary{list-style:none;font-weight:600}
 details>summary::-webkit-details-marker{display:none}
 details::details-content{content-visibility:visible;display:contents}
 details.screenonly{display:none}
 table{font-size:6.5pt}th,td{padding:0 3px;line-height:1.2}
 table code{font:inherit}.tag{font-size:inherit;padding:0 2px}
 .small{font-size:8pt}section.series>h2+p.small{break-after:avoid-page}
 /* a metric cell on one line while it fits (value ± SE, change), breaking
    between numbers, never inside one; smaller from 8 visits, free to wrap from 10 */
 table.metrics{font-size:6pt;line-height:1.1}table.metrics th,table.metrics .v{white-space:nowrap}
 table.metrics td:first-child{overflow-wrap:anywhere}table.metrics:has(th:nth-child(9)){font-size:5.5pt}
 table.metrics:has(th:nth-child(11)) :is(th,.v,.small){white-space:normal}
 table.metrics td br{display:none}table.metrics td .small{margin-left:.5em;white-space:nowrap}
 table.metrics td:nth-child(2) .small{display:none}
 table.fits{columns:2;column-gap:6mm;display:block}table.fits td+td{white-space:nowrap}
 table.defs{display:block;columns:2;column-gap:6mm}table.defs thead{display:none}table.defs tbody{display:block}
 table.defs tr{display:block;break-inside:avoid;border-bottom:1px solid var(--line)}table.defs td{display:inline;border:none;padding:0 3px 0 0}
 table.defs td:first-child{font-weight:600}
 /* a later view: its photo pair beside its overview chart */
 .later .pair{display:flex;gap:4mm;align-items:flex-start;break-inside:avoid}
 .later .pair>.card{flex:0 0 54%;margin:0}.later .pair>.chart{flex:1 1 0;min-width:0;margin:0}
 .later .pair>.chart svg{max-height:46mm}
 h3+p.small{break-after:avoid-page}
 section{break-inside:auto}
 .chart,figure,tr,.slider{break-inside:avoid}
 a{color:inherit;text-decoration:none}}
"#;

/// The script: the before/after divider, and every collapsed section
/// opened before printing (for browsers without `::details-content`).
pub const JS: &str = r#"
document.querySelectorAll('.slider-wrap').forEach(function(w){
  var r=w.querySelector('input[type=range]'),a=w.querySelector('.after'),b=w.querySelector('.bar');
  function set(){var v=r.value;a.style.clipPath='inset(0 0 0 '+v+'%)';b.style.left=v+'%';}
  r.addEventListener('input',set);set();
});
window.addEventListener('beforeprint',function(){
  document.querySelectorAll('details').forEach(function(d){d.open=true;});
});
// reached only when everything above ran: the browser check looks for it
document.documentElement.setAttribute('data-js','ok');
"#;
