/** Inline SVG charts of a run's timeline (no scripts; <title> elements give hover text without JavaScript). */
import type { FaultWindow, Observation, ProcessSample, TimelineBucket, TimelineEvent } from '../core/run.js';
import { fmtBytes, fmtMs } from './format.js';

/** Escapes text for HTML/SVG element content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const W = 960;
const H = 300;
const M = { left: 64, right: 72, top: 24, bottom: 36 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;

const r1 = (n: number): string => (Math.round(n * 10) / 10).toString();

/** 1, 2, 5 × 10^k at or above v */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

interface Frame {
  x: (ms: number) => number;
  endMs: number;
}

function frame(endMs: number): Frame {
  const span = Math.max(1, endMs);
  return { endMs: span, x: (ms) => M.left + (Math.min(Math.max(ms, 0), span) / span) * PLOT_W };
}

const yOf = (v: number, max: number): number => M.top + PLOT_H - (Math.min(Math.max(v, 0), max) / max) * PLOT_H;

function xAxis(f: Frame): string {
  const step = niceCeil(f.endMs / 8);
  const parts = [`<line class="axis" x1="${M.left}" y1="${M.top + PLOT_H}" x2="${M.left + PLOT_W}" y2="${M.top + PLOT_H}"/>`];
  for (let t = 0; t <= f.endMs + 1e-9; t += step) {
    const x = r1(f.x(t));
    parts.push(`<line class="tick" x1="${x}" y1="${M.top + PLOT_H}" x2="${x}" y2="${M.top + PLOT_H + 4}"/>`, `<text class="tick-label" x="${x}" y="${M.top + PLOT_H + 16}" text-anchor="middle">${esc(fmtMs(t))}</text>`);
  }
  return parts.join('');
}

function yAxis(side: 'left' | 'right', max: number, label: string, fmt: (v: number) => string): string {
  const x = side === 'left' ? M.left : M.left + PLOT_W;
  const dx = side === 'left' ? -6 : 6;
  const anchor = side === 'left' ? 'end' : 'start';
  const parts = [`<line class="axis" x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + PLOT_H}"/>`];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = r1(yOf(v, max));
    if (side === 'left') parts.push(`<line class="grid" x1="${M.left}" y1="${y}" x2="${M.left + PLOT_W}" y2="${y}"/>`);
    parts.push(`<text class="tick-label" x="${x + dx}" y="${y}" dy="0.32em" text-anchor="${anchor}">${esc(fmt(v))}</text>`);
  }
  const lx = side === 'left' ? 14 : W - 8;
  parts.push(`<text class="axis-label" transform="translate(${lx} ${M.top + PLOT_H / 2}) rotate(${side === 'left' ? -90 : 90})" text-anchor="middle">${esc(label)}</text>`);
  return parts.join('');
}

function windowsLayer(f: Frame, windows: readonly FaultWindow[]): string {
  return windows
    .map((w, i) => {
      const x0 = f.x(w.startMs);
      const x1 = f.x(w.endMs ?? f.endMs);
      const text = `${w.label} (${fmtMs(w.startMs)} → ${w.endMs === undefined ? 'end of observation' : fmtMs(w.endMs)})`;
      return (
        `<g class="fault-window" data-fault-id="${esc(w.faultId)}"><title>${esc(text)}</title>` +
        `<rect x="${r1(x0)}" y="${M.top}" width="${r1(Math.max(1, x1 - x0))}" height="${PLOT_H}"/>` +
        `<text class="fault-label" x="${r1(x0 + 3)}" y="${M.top + 12 + (i % 3) * 12}">${esc(w.label)}</text></g>`
      );
    })
    .join('');
}

function markersLayer(f: Frame, events: readonly TimelineEvent[]): string {
  return events
    .map((e) => {
      const x = r1(f.x(e.atMs));
      return `<g class="marker marker-${esc(e.kind)}"><title>${esc(`${fmtMs(e.atMs)} ${e.kind}: ${e.label}`)}</title><line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + PLOT_H}"/><text x="${x}" y="${M.top - 4}" text-anchor="middle">${esc(MARK[e.kind] ?? '•')}</text></g>`;
    })
    .join('');
}

const MARK: Partial<Record<TimelineEvent['kind'], string>> = { inject: '▼', revert: '▲', expire: '△', halt: '■', detect: '!', recover: '✓' };

function svg(title: string, cls: string, body: string): string {
  return `<svg class="chart ${cls}" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title>${body}</svg>`;
}

function legend(items: Array<[cls: string, text: string, color?: string]>): string {
  return `<p class="legend">${items.map(([cls, text, color]) => `<span class="key ${cls}"${color ? ` style="background:${color}"` : ''}></span>${esc(text)}`).join(' ')}</p>`;
}

/** Latency (p50, p99; left axis) and error rate (area; right axis) per bucket, fault windows shaded, events marked. */
export function timelineChart(obs: Observation, buckets: readonly TimelineBucket[], windows: readonly FaultWindow[], events: readonly TimelineEvent[]): string {
  const last = buckets.at(-1);
  const f = frame(Math.max(obs.durationMs, last ? last.atMs + obs.bucketMs : 0));
  const latMax = niceCeil(Math.max(1, ...buckets.map((b) => b.latencyMs.p99)));
  const mid = (b: TimelineBucket): number => f.x(b.atMs + obs.bucketMs / 2);
  const line = (pick: (b: TimelineBucket) => number): string => buckets.map((b) => `${r1(mid(b))},${r1(yOf(pick(b), latMax))}`).join(' ');
  const base = r1(M.top + PLOT_H);
  const area =
    buckets.length === 0
      ? ''
      : `<polygon class="error-area" points="${r1(mid(buckets[0] as TimelineBucket))},${base} ${buckets.map((b) => `${r1(mid(b))},${r1(yOf(b.errorRate, 1))}`).join(' ')} ${r1(mid(last as TimelineBucket))},${base}"/>`;
  const body =
    windowsLayer(f, windows) +
    yAxis('left', latMax, 'latency', (v) => fmtMs(v)) +
    yAxis('right', 1, 'error rate', (v) => `${Math.round(v * 100)} %`) +
    xAxis(f) +
    area +
    `<polyline class="latency p50" points="${line((b) => b.latencyMs.p50)}"/>` +
    `<polyline class="latency p99" points="${line((b) => b.latencyMs.p99)}"/>` +
    markersLayer(f, events);
  return (
    svg('latency and error rate over time', 'timeline', body) +
    legend([
      ['k-p50', 'p50 latency'],
      ['k-p99', 'p99 latency'],
      ['k-err', 'error rate (right axis)'],
      ['k-fault', 'fault active'],
    ]) +
    `<p class="legend">markers: ▼ inject · ▲ revert · △ expire · ■ halt · ! detect · ✓ recover (hover for details)</p>`
  );
}

const PALETTE = ['#1f77b4', '#9467bd', '#2ca02c', '#8c564b', '#e377c2', '#17becf'];

/** CPU % (solid, left axis) and RSS (dashed, right axis) per process (by service name, else pid). */
export function processChart(obs: Observation, windows: readonly FaultWindow[]): string {
  const groups = new Map<string, ProcessSample[]>();
  for (const s of obs.process) {
    const key = s.service ?? `pid ${s.pid}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const f = frame(obs.durationMs);
  const cpuMax = niceCeil(Math.max(1, ...obs.process.map((s) => s.cpuPercent)));
  const MiB = 1024 * 1024;
  const rssMax = niceCeil(Math.max(1, ...obs.process.map((s) => s.rssBytes)) / MiB) * MiB;
  const lines: string[] = [];
  const keys: Array<[string, string, string]> = [];
  [...groups.entries()].forEach(([name, samples], i) => {
    const color = PALETTE[i % PALETTE.length] as string;
    const pts = (pick: (s: ProcessSample) => number, max: number): string => samples.map((s) => `${r1(f.x(s.atMs))},${r1(yOf(pick(s), max))}`).join(' ');
    lines.push(
      `<polyline class="cpu" data-process="${esc(name)}" stroke="${color}" points="${pts((s) => s.cpuPercent, cpuMax)}"><title>${esc(`${name} CPU %`)}</title></polyline>`,
      `<polyline class="rss" data-process="${esc(name)}" stroke="${color}" points="${pts((s) => s.rssBytes, rssMax)}"><title>${esc(`${name} RSS`)}</title></polyline>`,
    );
    keys.push(['k-proc', `${name}: CPU % (solid), RSS (dashed)`, color]);
  });
  const body = windowsLayer(f, windows) + yAxis('left', cpuMax, 'CPU % of one core', (v) => `${Math.round(v)} %`) + yAxis('right', rssMax, 'RSS', (v) => fmtBytes(v)) + xAxis(f) + lines.join('');
  return svg('process CPU and memory over time', 'process', body) + legend(keys);
}
