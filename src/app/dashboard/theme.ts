/**
 * The dashboards' one stylesheet, inlined by Layout (no build step, no external file; the CSP
 * allows inline styles). Every colour, space and radius is a CSS variable, so a page adds no
 * colours of its own: it uses the classes below (see docs/dashboards.md, "Design system").
 * Colours are chosen for WCAG AA contrast on their backgrounds (axe runs in the browser tests).
 */
export const THEME_CSS = `
:root{--cl-bg:#f5f6f8;--cl-surface:#fff;--cl-text:#1b1f24;--cl-muted:#545b64;--cl-border:#d5dae0;--cl-rule:#e6e9ed;
--cl-accent:#0b57d0;--cl-accent-soft:#e8f0fe;--cl-danger:#b3261e;--cl-danger-soft:#fce8e6;--cl-ok:#137333;--cl-ok-soft:#e6f4ea;
--cl-warn:#8a4b00;--cl-warn-soft:#fef3e0;--cl-focus:#f4b400;--cl-header:#1b1f24;--cl-radius:8px;--cl-gap:16px;
--cl-chart-clicks:#5b8def;--cl-chart-orders:#137333;--cl-chart-money:#b3261e;--cl-chart-money2:#c26401;
--cl-font:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;--cl-mono:ui-monospace,SFMono-Regular,Menlo,monospace}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 var(--cl-font);color:var(--cl-text);background:var(--cl-bg)}
a{color:var(--cl-accent)}
:focus-visible{outline:3px solid var(--cl-focus);outline-offset:2px}
.skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;background:var(--cl-surface);padding:8px;z-index:9}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
header.top{background:var(--cl-header);color:#fff;padding:8px var(--cl-gap);display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center}
header.top a{color:#fff;text-decoration:none;padding:4px 2px;border-bottom:2px solid transparent}
header.top a[aria-current=page]{border-bottom-color:var(--cl-focus)}
header.top nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px}
header.top form{margin-left:auto}
main{max-width:1360px;margin:0 auto;padding:var(--cl-gap)}
h1{font-size:1.5rem;margin:8px 0 16px}h2{font-size:1.15rem;margin:4px 0 12px}h3{font-size:1rem;margin:12px 0 8px}
section,.card{background:var(--cl-surface);border:1px solid var(--cl-border);border-radius:var(--cl-radius);padding:12px 16px;margin:0 0 var(--cl-gap);min-width:0}
.card-head{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:baseline;justify-content:space-between}
.muted{color:var(--cl-muted)}.small{font-size:.875rem}
form.inline,.inline{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:flex-end}
label{display:flex;flex-direction:column;font-size:.9rem;gap:2px}label.check{flex-direction:row;align-items:center;gap:6px}
input,select,textarea,button,.button{font:inherit;padding:6px 10px;border:1px solid #767f8a;border-radius:6px;background:var(--cl-surface);color:var(--cl-text);min-height:40px}
input[type=checkbox]{min-height:auto;width:20px;height:20px}
textarea{width:100%;font-family:var(--cl-mono);font-size:.9rem}
button,.button{background:var(--cl-accent);color:#fff;border-color:var(--cl-accent);cursor:pointer;text-decoration:none;display:inline-flex;align-items:center}
button.secondary,.button.secondary{background:var(--cl-surface);color:var(--cl-accent)}
button.danger{background:var(--cl-danger);border-color:var(--cl-danger)}
button.small,.button.small{min-height:32px;padding:2px 8px;font-size:.875rem}
.presets{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 8px;padding:0;list-style:none}
.presets a{display:inline-block;padding:4px 10px;border:1px solid var(--cl-border);border-radius:999px;text-decoration:none}
.presets a[aria-current=true]{background:var(--cl-accent);color:#fff;border-color:var(--cl-accent)}
.table-scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{padding:6px 8px;border-bottom:1px solid var(--cl-rule);text-align:left;white-space:nowrap;vertical-align:top}
thead th{font-weight:600;color:var(--cl-muted);border-bottom-color:var(--cl-border)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}td.wrap,th.wrap{white-space:normal;min-width:14em}
tfoot th,tfoot td{font-weight:600;border-top:2px solid var(--cl-border)}
.named{text-decoration:underline dotted var(--cl-muted);text-underline-offset:3px}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:.8rem;background:var(--cl-accent-soft);color:var(--cl-text)}
.badge.ok{background:var(--cl-ok-soft)}.badge.danger{background:var(--cl-danger-soft)}.badge.warn{background:var(--cl-warn-soft)}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin:0;padding:0}
.kpi{border:1px solid var(--cl-border);border-radius:var(--cl-radius);padding:8px 12px;margin:0;background:var(--cl-surface)}
.kpi dt{font-size:.85rem;color:var(--cl-muted)}.kpi dd{margin:0}.kpi .value{display:block;font-size:1.35rem;font-weight:600;font-variant-numeric:tabular-nums}
.up{color:var(--cl-ok)}.down{color:var(--cl-danger)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px}
.chart{position:relative;height:220px}
.notice{padding:8px 12px;border-radius:6px;background:var(--cl-accent-soft)}.error{background:var(--cl-danger-soft)}
pre{white-space:pre-wrap;word-break:break-word;background:#f1f3f4;padding:8px;border-radius:6px;font-size:.85rem;font-family:var(--cl-mono)}
ol.timeline{list-style:none;margin:0;padding:0 0 0 20px;border-left:3px solid var(--cl-border)}
ol.timeline>li{position:relative;margin:0 0 14px;padding-left:8px}
ol.timeline>li::before{content:"";position:absolute;left:-29px;top:4px;width:13px;height:13px;border-radius:50%;background:var(--cl-accent);border:2px solid var(--cl-surface)}
ol.timeline>li.flag::before{background:var(--cl-warn)}ol.timeline>li.money::before{background:var(--cl-ok)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0}dl.facts dt{color:var(--cl-muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}
@media (max-width:600px){main{padding:8px}section,.card{padding:8px 10px}.chart{height:200px}.charts{grid-template-columns:1fr}}
`;
