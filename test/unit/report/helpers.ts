// Test helpers for reports: the fixture, run-report builders, a strict XML parser and a Prometheus exposition parser.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FaultFigures, RunFault, RunReport, TimelineBucket, TrafficSummary } from '../../../src/core/run.js';

export const FIXTURE = resolve(__dirname, '../../fixtures/report/shop-run.json');

/** a fresh copy of test/fixtures/report/shop-run.json (see make-shop-run.mjs there) */
export function shopRun(): RunReport {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as RunReport;
}

export function traffic(p: Partial<TrafficSummary> & { p99?: number } = {}): TrafficSummary {
  const requests = p.requests ?? 100;
  const errors = p.errors ?? 0;
  const p99 = p.p99 ?? 20;
  return {
    requests,
    ok: requests - errors,
    errors,
    errorRate: requests ? errors / requests : 0,
    errorsByKind: p.errorsByKind ?? {},
    throughputPerSec: p.throughputPerSec ?? 50,
    latencyMs: p.latencyMs ?? { p50: p99 / 2, p90: p99 * 0.8, p99, p999: p99, max: p99, mean: p99 / 2 },
  };
}

export function bucket(atMs: number, p: Parameters<typeof traffic>[0] = {}): TimelineBucket {
  return { atMs, ...traffic(p) };
}

/** a report with one fault and its figures; override any part */
export function oneFaultRun(fault: Partial<RunFault>, figures: Partial<FaultFigures> = {}, extra: Partial<RunReport> = {}): RunReport {
  const f: RunFault = { id: 'f1', kind: 'latency', layer: 'proxy', target: 'proxy=pricing', params: {}, startMs: 1000, endMs: 5000, ...fault };
  const ff: FaultFigures = {
    faultId: f.id,
    label: `${f.layer}/${f.kind} ${f.target}`,
    timeToDetectMs: 250,
    timeToRecoverMs: 250,
    timeToRecoverFromDetectMs: 4000,
    recovered: true,
    during: traffic(),
    availabilityPct: 100,
    faultToleranceScore: 1,
    gracefulDegradationScore: 1,
    ...figures,
  };
  return {
    id: 'r1',
    kind: 'card',
    title: 'drill',
    status: 'completed',
    deviated: false,
    startedAt: '2025-01-01T00:00:00.000Z',
    endedAt: '2025-01-01T00:00:08.000Z',
    durationMs: 8000,
    checks: [],
    faults: [f],
    figures: {
      bounds: { maxErrorRate: 0.01, maxP99LatencyMs: 70 },
      baseline: traffic(),
      faults: [ff],
      availabilityPct: ff.availabilityPct,
      errorRate: ff.during.errorRate,
      mttdMs: ff.timeToDetectMs,
      mttrMs: ff.timeToRecoverMs,
      faultToleranceScore: 1,
      gracefulDegradationScore: 1,
      recoverySuccessRate: ff.recovered ? 1 : 0,
    },
    evidence: [],
    recommendations: [],
    artifacts: {},
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------------------
// A strict XML 1.0 parser (enough for JUnit and the SVG in the HTML report): throws on any malformation.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][\w.:-]*/;

function decodeEntities(s: string, where: number): string {
  return s.replace(/&([^;&\s]*);?/g, (m, ent: string) => {
    if (!m.endsWith(';')) throw new Error(`bare & at ${where}`);
    if (ent === 'amp') return '&';
    if (ent === 'lt') return '<';
    if (ent === 'gt') return '>';
    if (ent === 'quot') return '"';
    if (ent === 'apos') return "'";
    const num = /^#(x[0-9a-fA-F]+|\d+)$/.exec(ent);
    if (num) return String.fromCodePoint(num[1]!.startsWith('x') ? parseInt(num[1]!.slice(1), 16) : Number(num[1]));
    throw new Error(`unknown entity &${ent}; at ${where}`);
  });
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`XML: ${msg} at offset ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(xml)) fail('control character');
  const skipWs = (): void => {
    while (i < xml.length && /\s/.test(xml[i]!)) i++;
  };
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail('unterminated declaration');
    i = end + 2;
  }
  const element = (): XmlElement => {
    if (xml[i] !== '<') fail('expected <');
    i++;
    const m = NAME.exec(xml.slice(i));
    if (!m) return fail('bad element name');
    const name = m[0];
    i += name.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      const before = i;
      skipWs();
      if (xml.startsWith('/>', i)) {
        i += 2;
        return { name, attrs, children: [], text: '' };
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected whitespace before an attribute');
      const a = NAME.exec(xml.slice(i));
      if (!a) return fail('bad attribute name');
      i += a[0].length;
      if (xml[i] !== '=') fail('expected =');
      i++;
      const q = xml[i];
      if (q !== '"' && q !== "'") return fail('expected a quoted value');
      const end = xml.indexOf(q, i + 1);
      if (end < 0) fail('unterminated attribute');
      const raw = xml.slice(i + 1, end);
      if (raw.includes('<')) fail('< in an attribute value');
      if (a[0] in attrs) fail(`duplicate attribute ${a[0]}`);
      attrs[a[0]] = decodeEntities(raw, i);
      i = end + 1;
    }
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      if (i >= xml.length) fail(`unclosed <${name}>`);
      if (xml.startsWith('</', i)) {
        i += 2;
        if (!xml.startsWith(name, i)) fail(`mismatched close tag, expected </${name}>`);
        i += name.length;
        skipWs();
        if (xml[i] !== '>') fail('expected >');
        i++;
        return { name, attrs, children, text };
      }
      if (xml.startsWith('<!--', i)) {
        const end = xml.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
        continue;
      }
      if (xml[i] === '<') {
        children.push(element());
        continue;
      }
      const next = xml.indexOf('<', i);
      const chunk = xml.slice(i, next < 0 ? xml.length : next);
      if (chunk.includes(']]>')) fail(']]> in text');
      text += decodeEntities(chunk, i);
      i = next < 0 ? xml.length : next;
    }
  };
  skipWs();
  const root = element();
  skipWs();
  if (i !== xml.length) fail('content after the root element');
  return root;
}

export function findAll(e: XmlElement, name: string): XmlElement[] {
  return [...(e.name === name ? [e] : []), ...e.children.flatMap((c) => findAll(c, name))];
}

// ---------------------------------------------------------------------------------------------------------
// A strict parser of the Prometheus text exposition format 0.0.4.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Exposition {
  help: Record<string, string>;
  type: Record<string, string>;
  samples: Sample[];
}

export function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const out: Exposition = { help: {}, type: {}, samples: [] };
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, n) => {
    const where = `line ${n + 1}: ${line}`;
    if (line.startsWith('# HELP ')) {
      const m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (!m) throw new Error(`bad HELP, ${where}`);
      if (m[1]! in out.help) throw new Error(`duplicate HELP, ${where}`);
      out.help[m[1]!] = m[2]!.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary|histogram|untyped)$/.exec(line);
      if (!m) throw new Error(`bad TYPE, ${where}`);
      if (out.samples.some((s) => s.name === m[1] || s.name.startsWith(`${m[1]}_`))) throw new Error(`TYPE after samples, ${where}`);
      out.type[m[1]!] = m[2]!;
      return;
    }
    if (line.startsWith('#') || line === '') throw new Error(`unexpected line, ${where}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`bad sample, ${where}`);
    const labels: Record<string, string> = {};
    if (m[3] !== undefined && m[3] !== '') {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
      let pos = 0;
      while (pos < m[3].length) {
        re.lastIndex = pos;
        const l = re.exec(m[3]);
        if (!l) throw new Error(`bad labels, ${where}`);
        labels[l[1]!] = l[2]!.replace(/\\([\\"n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
        pos = re.lastIndex;
      }
    }
    const raw = m[4]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw);
    if (raw !== 'NaN' && Number.isNaN(value)) throw new Error(`bad value, ${where}`);
    const family = Object.keys(out.type).find((t) => m[1] === t || (out.type[t] === 'summary' && (m[1] === `${t}_sum` || m[1] === `${t}_count`)));
    if (!family) throw new Error(`sample without TYPE, ${where}`);
    out.samples.push({ name: m[1]!, labels, value });
  });
  return out;
}

export function sampleOf(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  return e.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** |actual − expected| ≤ delta */
export function within(actual: number, expected: number, delta: number): boolean {
  return Math.abs(actual - expected) <= delta;
}
