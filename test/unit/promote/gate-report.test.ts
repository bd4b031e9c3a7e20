import { describe, expect, it } from 'vitest';
import type { GateResult } from '../../../src/core/promote.js';
import { evaluateGate } from '../../../src/promote/gate.js';
import { renderGateJson, renderGateJunit, renderGateMarkdown } from '../../../src/promote/gate-report.js';
import { findAll, parseXml } from '../report/helpers.js';

const NASTY = 'a<b & "c" \'d\' | e]]>\n</testcase><x y="1">\u0001';

function results(): GateResult[] {
  return [
    evaluateGate({ module: { name: 'catalog' }, coverage: 91, fis: 0.1 }, { baseCoverageThreshold: 80 }),
    evaluateGate({ module: { name: 'orders', failureProbability: 0.72, criticality: 'medium' }, coverage: 87.5 }, { baseCoverageThreshold: 80 }),
    evaluateGate({ module: { name: NASTY }, coverage: 100, fis: 0.93 }, { baseCoverageThreshold: 80 }),
  ];
}

describe('gate reports', () => {
  it('JUnit: one testsuite "faultline gate", one testcase per module, failures typed, everything escaped', () => {
    const xml = renderGateJunit(results(), { timestamp: new Date('2025-03-14T09:26:53Z') });
    const doc = parseXml(xml);
    expect(doc.name).toBe('testsuites');
    const suites = findAll(doc, 'testsuite');
    expect(suites).toHaveLength(1);
    expect(suites[0]!.attrs).toMatchObject({ name: 'faultline gate', tests: '3', failures: '2', errors: '0', timestamp: '2025-03-14T09:26:53' });
    const cases = findAll(doc, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['catalog', 'orders', NASTY.replace('\u0001', '\uFFFD')]);
    expect(findAll(cases[0]!, 'failure')).toEqual([]);
    const insufficient = findAll(cases[1]!, 'failure')[0]!;
    expect(insufficient.attrs).toEqual({ message: 'coverage 87.5% < required 88%: Insufficient Coverage', type: 'insufficient-coverage' });
    expect(insufficient.text).toBe('FIS 0.432 (Medium severity × P 0.72) is in [0.2, 0.5): coverage threshold 80% × 1.10 = 88%\ncoverage 87.5% < 88%: insufficient');
    const blocked = findAll(cases[2]!, 'failure')[0]!;
    expect(blocked.attrs.type).toBe('blocked');
    expect(blocked.attrs.message).toBe('FIS 0.93 ≥ 0.8: Blocked — Manual Review Required');
    expect(findAll(cases[0]!, 'system-out')[0]!.text).toContain('decision: Promote');
    // the raw markup of the name never appears unescaped
    expect(xml).not.toContain('</testcase><x');
    expect(xml).toContain('a&lt;b &amp; &quot;c&quot; &apos;d&apos;');
  });

  it('JUnit of no results is a valid empty suite', () => {
    const doc = parseXml(renderGateJunit([]));
    expect(findAll(doc, 'testsuite')[0]!.attrs).toMatchObject({ tests: '0', failures: '0' });
  });

  it('Markdown: a verdict, a table with one row per module, and the reasons', () => {
    const md = renderGateMarkdown(results());
    const lines = md.split('\n');
    expect(lines[0]).toBe('## faultline gate: blocked: manual review required');
    expect(lines[2]).toBe('3 modules: 1 promote, 1 insufficient coverage, 1 blocked.');
    const header = lines.indexOf('| Module | FIS | Severity | Coverage | Required | Decision |');
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 2, header + 5);
    expect(rows[0]).toBe('| catalog | 0.1 | Medium | 91% | 80% | ✅ Promote |');
    expect(rows[1]).toBe('| orders | 0.432 | Medium | 87.5% | 88% | ❌ Insufficient Coverage |');
    // the pipe in the name is escaped, so the row still has exactly 7 unescaped separators; no raw HTML or newline
    expect(rows[2]!.replace(/\\\|/g, '').split('|')).toHaveLength(8);
    expect(rows[2]).toContain('a&lt;b');
    expect(rows[2]).toContain('| 100% | — | ⛔ Blocked — Manual Review Required |');
    expect(md).toContain('- coverage 87.5% < 88%: insufficient');
    expect(renderGateMarkdown(results().slice(0, 1)).split('\n')[0]).toBe('## faultline gate: all modules may be promoted');
  });

  it('JSON is the results as they are', () => {
    const r = results();
    expect(JSON.parse(renderGateJson(r))).toEqual(JSON.parse(JSON.stringify(r)));
  });
});
