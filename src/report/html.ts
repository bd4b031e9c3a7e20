/**
 * One self-contained HTML file per run: inline CSS and inline SVG, no scripts, no external resources. Every
 * string taken from the report is escaped (probe names, labels and messages come from users and targets).
 */
import type { RunReport } from '../core/run.js';
import { esc, processChart, timelineChart } from './chart.js';
import { describeCheck, figureRows, fmtMs, fmtPct, fmtRate } from './format.js';
import { compactBuckets, faultWindows, markers } from './timeline.js';

/** buckets drawn at most (longer runs are merged, see compactBuckets) */
export const MAX_CHART_POINTS = 1200;

const CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bad:#c62828;--ok:#2e7d32;--warn:#b26a00}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);margin:0 auto;max-width:1040px;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.meta{color:var(--muted);margin:0 0 12px}.meta span{margin-right:16px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;color:#fff;font-size:12px;vertical-align:middle}
.s-completed{background:var(--ok)}.s-failed,.s-deviated{background:var(--bad)}.s-aborted,.s-interrupted{background:var(--warn)}
table{border-collapse:collapse;width:100%;margin:4px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted)}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.met{color:var(--ok);font-weight:600}.unmet{color:var(--bad);font-weight:600}
code,.loc{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px;word-break:break-all}
.chart{display:block;margin:8px 0 0;font:11px system-ui,sans-serif;background:#fff}
.chart .axis,.chart .tick{stroke:#57606a;stroke-width:1}.chart .grid{stroke:#eaeef2;stroke-width:1}
.chart .tick-label,.chart .axis-label{fill:#57606a}
.chart .fault-window rect{fill:#ff9800;fill-opacity:.16;stroke:#ff9800;stroke-opacity:.5}.chart .fault-label{fill:#8a4b00;font-size:10.5px}
.chart .latency{fill:none;stroke-width:1.6}.chart .p50{stroke:#1f77b4}.chart .p99{stroke:#d62728}
.chart .error-area{fill:#7b1fa2;fill-opacity:.22;stroke:#7b1fa2;stroke-opacity:.6}
.chart .marker line{stroke:#333;stroke-dasharray:3 3;stroke-width:1}.chart .marker text{fill:#333;font-size:11px}
.chart .marker-halt line{stroke:var(--bad);stroke-dasharray:none;stroke-width:2}.chart .marker-detect line{stroke:#b26a00}.chart .marker-recover line{stroke:var(--ok)}
.chart .cpu,.chart .rss{fill:none;stroke-width:1.5}.chart .rss{stroke-dasharray:5 3}
.legend{color:var(--muted);margin:2px 0 0;font-size:12px}.key{display:inline-block;width:14px;height:8px;margin:0 4px 0 10px;vertical-align:middle}
.k-p50{background:#1f77b4}.k-p99{background:#d62728}.k-err{background:#7b1fa2;opacity:.5}.k-fault{background:#ff9800;opacity:.4}
.rec{border:1px solid var(--line);border-left:4px solid var(--muted);padding:8px 12px;margin:8px 0;border-radius:4px}
.rec.high{border-left-color:var(--bad)}.rec.medium{border-left-color:var(--warn)}.rec.low{border-left-color:var(--ok)}
.rec h3{font-size:14.5px;margin:0 0 4px}.rec p{margin:2px 0}.muted{color:var(--muted)}
`;

function table(head: string[], rows: string[][], numeric: number[] = []): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

function header(r: RunReport): string {
  const badges = [`<span class="badge s-${esc(r.status)}">${esc(r.status)}</span>`];
  if (r.deviated) badges.push('<span class="badge s-deviated">deviated</span>');
  const meta = [
    `<span>run <code>${esc(r.id)}</code></span>`,
    `<span>${esc(r.kind)}${r.cardId ? ` · card <code>${esc(r.cardId)}</code>` : ''}</span>`,
    `<span>started ${esc(r.startedAt)}</span>`,
    `<span>duration ${esc(fmtMs(r.durationMs))}</span>`,
    `<span>seed ${r.seed === undefined ? '—' : esc(String(r.seed))}</span>`,
  ];
  const halted = r.halted ? `<p class="unmet">halted: ${esc(r.halted)}</p>` : '';
  return `<header><h1>${esc(r.title)} ${badges.join(' ')}</h1><p class="meta">${meta.join('')}</p>${halted}</header>`;
}

function timeline(r: RunReport): string {
  const obs = r.observation;
  if (!obs) return '<h2>Timeline</h2><p class="muted">This run had no observation (no load and no process samples).</p>';
  const windows = faultWindows(r);
  const buckets = compactBuckets(obs.buckets, MAX_CHART_POINTS);
  const merged = buckets.length < obs.buckets.length ? `<p class="muted">${obs.buckets.length} buckets of ${esc(fmtMs(obs.bucketMs))} drawn as ${buckets.length} points.</p>` : '';
  const s = obs.summary;
  const summary = `<p class="meta"><span>${s.requests} requests</span><span>error rate ${esc(fmtRate(s.errorRate))}</span><span>p50 ${esc(fmtMs(s.latencyMs.p50))}</span><span>p99 ${esc(fmtMs(s.latencyMs.p99))}</span><span>max ${esc(fmtMs(s.latencyMs.max))}</span><span>${s.throughputPerSec.toFixed(1)} req/s</span></p>`;
  const proc = obs.process.length > 0 ? `<h2>Processes</h2>${processChart(obs, windows)}` : '';
  return `<h2>Timeline</h2>${summary}${timelineChart(obs, buckets, windows, markers(r, windows))}${merged}${proc}`;
}

function figures(r: RunReport): string {
  const f = r.figures;
  if (!f) return '';
  const overall = table(['figure', 'value'], figureRows(f).map((row) => [esc(row.name), esc(row.value)]), [1]);
  const perFault = f.faults.length
    ? table(
        ['fault', 'time to detect', 'time to recover', 'recovered', 'availability', 'error rate', 'p99', 'tolerance', 'degradation'],
        f.faults.map((x) => [
          esc(x.label),
          esc(fmtMs(x.timeToDetectMs)),
          esc(fmtMs(x.timeToRecoverMs)),
          x.recovered ? '<span class="met">yes</span>' : '<span class="unmet">no</span>',
          esc(fmtPct(x.availabilityPct)),
          esc(fmtRate(x.during.errorRate)),
          esc(fmtMs(x.during.latencyMs.p99)),
          x.faultToleranceScore.toFixed(2),
          x.gracefulDegradationScore.toFixed(2),
        ]),
        [1, 2, 4, 5, 6, 7, 8],
      )
    : '';
  return `<h2>Resilience figures</h2>${overall}${perFault}`;
}

function faults(r: RunReport): string {
  if (r.faults.length === 0) return '';
  return `<h2>Faults</h2>${table(
    ['id', 'fault', 'target', 'params', 'start', 'end', 'ended by'],
    r.faults.map((f) => [`<code>${esc(f.id)}</code>`, esc(`${f.layer}/${f.kind}`), esc(f.target), `<code>${esc(JSON.stringify(f.params))}</code>`, esc(fmtMs(f.startMs)), esc(fmtMs(f.endMs)), esc(f.endedBy ?? '—')]),
    [4, 5],
  )}`;
}

function checks(r: RunReport): string {
  if (r.checks.length === 0) return '<h2>Hypothesis checks</h2><p class="muted">No steady-state probes.</p>';
  return `<h2>Hypothesis checks</h2>${table(
    ['phase', 'probe', 'result', 'expected / observed', 'at'],
    r.checks.map((c) => [esc(c.phase), esc(c.probe), c.error !== undefined ? '<span class="unmet">error</span>' : c.met ? '<span class="met">met</span>' : '<span class="unmet">not met</span>', esc(describeCheck(c)), esc(fmtMs(c.atMs))]),
    [4],
  )}`;
}

function evidence(r: RunReport): string {
  if (r.evidence.length === 0) return '';
  return `<h2>Evidence</h2>${table(
    ['location', 'function', 'errors', 'message', 'faults'],
    r.evidence.map((e) => [`<span class="loc">${esc(e.location)}</span>`, esc(e.fn ?? '—'), String(e.count), esc(e.message), esc(e.faultIds.join(', '))]),
    [2],
  )}`;
}

function recommendations(r: RunReport): string {
  if (r.recommendations.length === 0) return '<h2>Recommendations</h2><p class="muted">None: nothing the rules look for was observed.</p>';
  const items = r.recommendations.map(
    (x) =>
      `<div class="rec ${esc(x.severity)}"><h3>${esc(x.title)} <span class="muted">(${esc(x.severity)}${x.recipe ? `, recipe <code>${esc(x.recipe)}</code>` : ''})</span></h3>` +
      `<p><strong>Why:</strong> ${esc(x.why)}</p><p><strong>Change:</strong> ${esc(x.change)}</p>${x.location ? `<p><strong>Where:</strong> <span class="loc">${esc(x.location)}</span></p>` : ''}</div>`,
  );
  return `<h2>Recommendations</h2>${items.join('\n')}`;
}

function artifacts(r: RunReport): string {
  const entries = Object.entries(r.artifacts);
  if (entries.length === 0) return '';
  return `<h2>Artifacts</h2>${table(['artifact', 'path'], entries.map(([k, v]) => [esc(k), `<code>${esc(v)}</code>`]))}`;
}

/** The report as one self-contained HTML document. */
export function renderHtml(report: RunReport): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
    `<title>${esc(`faultline · ${report.title} · ${report.status}`)}</title>`,
    `<style>${CSS}</style></head><body>`,
    header(report),
    timeline(report),
    figures(report),
    checks(report),
    faults(report),
    evidence(report),
    recommendations(report),
    artifacts(report),
    `<footer class="muted"><p>Generated by faultline from the run report. No scripts; charts are inline SVG.</p></footer>`,
    '</body></html>',
  ]
    .filter((s) => s !== '')
    .join('\n')
    .concat('\n');
}
