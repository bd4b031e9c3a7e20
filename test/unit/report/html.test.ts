import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../../src/core/run.js';
import { MAX_CHART_POINTS, renderHtml } from '../../../src/report/html.js';
import { bucket, findAll, parseXml, shopRun, type XmlElement } from './helpers.js';

function svgs(html: string): XmlElement[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => parseXml(m[0]));
}
const points = (e: XmlElement): string[] => (e.attrs.points ?? '').trim().split(/\s+/).filter(Boolean);
const byClass = (root: XmlElement, name: string, cls: string): XmlElement[] => findAll(root, name).filter((e) => (e.attrs.class ?? '').split(/\s+/).includes(cls));

describe('HTML report', () => {
  it('draws the timeline from the buckets: p50 and p99 lines with one point per bucket, the error-rate area, shaded fault windows, event markers', () => {
    const r = shopRun();
    const html = renderHtml(r);
    const [timeline, proc] = svgs(html);
    expect(timeline!.attrs.class).toBe('chart timeline');
    const [p50] = byClass(timeline!, 'polyline', 'p50');
    const [p99] = byClass(timeline!, 'polyline', 'p99');
    expect(points(p50!)).toHaveLength(80);
    expect(points(p99!)).toHaveLength(80);
    // the area: one point per bucket plus the two base corners
    expect(points(byClass(timeline!, 'polygon', 'error-area')[0]!)).toHaveLength(82);
    const windows = byClass(timeline!, 'g', 'fault-window');
    expect(windows.map((w) => w.attrs['data-fault-id'])).toEqual(['f-lat-1', 'f-thr-2']);
    expect(windows.every((w) => findAll(w, 'rect').length === 1)).toBe(true);
    expect(findAll(windows[0]!, 'text')[0]!.text).toBe('proxy/latency proxy=pricing');
    // the windows start and end at the inject/revert events: 5 s and 11 s of 20 s
    const rect = findAll(windows[0]!, 'rect')[0]!;
    const x0 = Number(rect.attrs.x);
    const width = Number(rect.attrs.width);
    const plot = 960 - 64 - 72;
    expect(Math.abs(x0 - (64 + plot * 0.25))).toBeLessThan(1);
    expect(Math.abs(width - plot * 0.3)).toBeLessThan(1);
    // 2 inject + 2 revert events, and detect/recover derived from the figures (2 + 2)
    const markers = byClass(timeline!, 'g', 'marker');
    expect(markers.filter((m) => m.attrs.class!.includes('marker-inject'))).toHaveLength(2);
    expect(markers.filter((m) => m.attrs.class!.includes('marker-revert'))).toHaveLength(2);
    expect(markers.filter((m) => m.attrs.class!.includes('marker-detect'))).toHaveLength(2);
    expect(markers.filter((m) => m.attrs.class!.includes('marker-recover'))).toHaveLength(2);
    // the process chart: CPU and RSS per service
    expect(proc!.attrs.class).toBe('chart process');
    expect(byClass(proc!, 'polyline', 'cpu').map((p) => p.attrs['data-process'])).toEqual(['api', 'pricing']);
    expect(points(byClass(proc!, 'polyline', 'rss')[0]!)).toHaveLength(41);
  });

  it('shows header, figures, checks, evidence and recommendations', () => {
    const r = shopRun();
    r.recommendations = [{ title: 'Catch errors from priceOf', why: 'w', change: 'c', location: 'examples/shop/src/api.ts:37', severity: 'high', recipe: 'guard-call' }];
    const html = renderHtml(r);
    expect(html).toContain('<h1>pricing latency and fetchPrice errors <span class="badge s-completed">completed</span> <span class="badge s-deviated">deviated</span></h1>');
    expect(html).toContain('seed 1337');
    expect(html).toContain('duration 20.6 s');
    expect(html).toContain('<td>availability</td><td class="num">92.80 %</td>');
    expect(html).toContain('expected within [0, 100], observed 846.2');
    expect(html).toContain('examples/shop/src/api.ts:37');
    expect(html).toContain('<div class="rec high"><h3>Catch errors from priceOf');
    expect(html).toContain('recipe <code>guard-call</code>');
  });

  it('is self-contained: no scripts, no external resources', () => {
    const html = renderHtml(shopRun());
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)\s*=/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).toContain("default-src 'none'");
  });

  it('escapes every string from the report', () => {
    const r = shopRun();
    const evil = '<script>alert(1)</script>';
    r.title = `t ${evil}`;
    r.checks[2]!.probe = evil;
    r.checks[2]!.value = evil;
    r.faults[0]!.target = `"><img src=x onerror=alert(1)>`;
    r.observation!.events.push({ atMs: 100, kind: 'halt', label: evil });
    r.figures!.faults[0]!.label = `</text><script>x</script>`;
    r.evidence[0]!.message = evil;
    r.artifacts.journal = evil;
    const html = renderHtml(r);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    // and the SVG stays well-formed
    expect(() => svgs(html)).not.toThrow();
  });

  it('stays bounded in size: the fixture under 100 KB, a one-hour run merged to at most MAX_CHART_POINTS points', () => {
    expect(renderHtml(shopRun()).length).toBeLessThan(100_000);
    const r = shopRun();
    const n = 14_400; // 1 h of 250 ms buckets
    r.observation!.buckets = Array.from({ length: n }, (_, i) => bucket(i * 250, { requests: 12, errors: i % 50 === 0 ? 3 : 0, p99: 20 + (i % 7) }));
    r.observation!.durationMs = n * 250;
    r.observation!.process = [];
    const html = renderHtml(r);
    expect(html.length).toBeLessThan(400_000);
    const [timeline] = svgs(html);
    const p99 = byClass(timeline!, 'polyline', 'p99')[0]!;
    expect(points(p99).length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    expect(points(p99).length).toBeGreaterThan(MAX_CHART_POINTS / 2);
    expect(html).toContain('14400 buckets of 250 ms drawn as');
  });

  it('renders a run without observation or figures', () => {
    const r: RunReport = { ...shopRun(), observation: undefined, figures: undefined, evidence: [], recommendations: [] } as RunReport;
    delete r.observation;
    delete r.figures;
    const html = renderHtml(r);
    expect(html).toContain('This run had no observation');
    expect(html).not.toContain('<svg');
    expect(html).toContain('None: nothing the rules look for was observed.');
  });
});
