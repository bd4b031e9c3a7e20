import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { analyzeReport, parseRunReport, readRunReport, renderText, runReportProblems, writeReports } from '../../../src/report/index.js';
import { FIXTURE, shopRun } from './helpers.js';

describe('reading a saved report', () => {
  it('accepts the fixture and names every bad field with its path', () => {
    expect(runReportProblems(shopRun())).toEqual([]);
    const r = shopRun() as unknown as Record<string, any>;
    r.status = 'done';
    delete r.title;
    r.checks[1].met = 'yes';
    r.observation.buckets[3].latencyMs.p99 = '12';
    r.figures.mttdMs = 'fast';
    r.evidence[0] = 7;
    expect(runReportProblems(r)).toEqual([
      'title: is required',
      'status: expected one of completed, failed, aborted, interrupted, got "done"',
      'checks[1].met: expected true or false, got "yes"',
      'evidence[0]: expected an object, got 7',
      'observation.buckets[3].latencyMs.p99: expected a number, got "12"',
      'figures.mttdMs: expected a number, got "fast"',
    ]);
    try {
      parseRunReport(JSON.stringify(r), 'x/report.json');
      expect.unreachable();
    } catch (e) {
      expect(isFaultlineError(e, 'FL_ERR_REPORT_INVALID')).toBe(true);
      expect((e as Error).message).toContain('x/report.json: checks[1].met: expected true or false');
    }
    expect(() => parseRunReport('{', 'y.json')).toThrow(/y\.json: not valid JSON/);
    expect(() => readRunReport('/nonexistent/report.json')).toThrow(expect.objectContaining({ code: 'FL_ERR_REPORT_READ' }));
    expect(readRunReport(FIXTURE).id).toBe('run-m86q2x1k-7f3a');
  });

  it('never throws anything but FL_ERR_REPORT_INVALID on arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ checks: fc.jsonValue(), observation: fc.jsonValue(), figures: fc.jsonValue(), faults: fc.jsonValue() })), (v) => {
        try {
          parseRunReport(JSON.stringify(v) ?? 'null', 'r.json');
        } catch (e) {
          if (!isFaultlineError(e, 'FL_ERR_REPORT_INVALID')) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('renderText', () => {
  it('summarises verdict, failed checks with expected vs observed, figures with units, faults, evidence, recommendations, artifacts', () => {
    const text = renderText(analyzeReport(shopRun()));
    expect(text).toContain('pricing latency and fetchPrice errors — completed, deviated');
    expect(text).toContain('seed 1337');
    expect(text).toContain('Hypothesis checks: 3/6 met');
    expect(text).toContain('✗ [during] p99 latency below 100 ms: expected within [0, 100], observed 846.2');
    expect(text).toContain('✗ [during] pricing health: probe error: connect ECONNREFUSED 127.0.0.1:9');
    expect(text).toMatch(/availability\s+92\.80 %/);
    expect(text).toMatch(/MTTR \(mean time to recover\)\s+250 ms/);
    expect(text).toMatch(/steady-state bounds\s+error rate ≤ 1\.00 %, p99 ≤ 70 ms/);
    expect(text).toMatch(/proxy\/latency\s+proxy=pricing\s+5\.12 s → 11\.1 s\s+run\s+TTD 0\.0 ms\s+TTR 500 ms\s+recovered/);
    expect(text).toContain('71×  examples/shop/src/api.ts:37 (priceOf)  Error: pricing unavailable');
    expect(text).toContain('[high] Catch errors from priceOf and degrade at the caller (recipe guard-call)');
    expect(text).toContain('at examples/shop/src/api.ts:37');
    expect(text).toMatch(/journal\s+\/tmp\/fl-shop\/journal\.json/);
    expect(text).not.toContain('\u001b[');
    expect(renderText(shopRun(), { color: true })).toContain('\u001b[31m');
  });

  it('shows a halt', () => {
    expect(renderText({ ...shopRun(), status: 'aborted', halted: 'errorRate 0.6 > 0.5' })).toContain('halted: errorRate 0.6 > 0.5');
  });
});

describe('writeReports', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('writes report.json, report.html and junit.xml, lists them in artifacts and leaves no temporary files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-write-'));
    dirs.push(dir);
    const out = join(dir, 'runs', 'r1');
    const paths = writeReports(shopRun(), out);
    expect(paths).toEqual({ json: join(out, 'report.json'), html: join(out, 'report.html'), junit: join(out, 'junit.xml') });
    expect(readdirSync(out).sort()).toEqual(['junit.xml', 'report.html', 'report.json']);
    const saved = readRunReport(paths.json!);
    expect(saved.artifacts).toEqual({ journal: '/tmp/fl-shop/journal.json', ...paths });
    expect(readFileSync(paths.html!, 'utf8')).toContain(paths.junit!);
    expect(writeReports(shopRun(), out, ['text'])).toEqual({ text: join(out, 'summary.txt') });
    expect(readFileSync(join(out, 'summary.txt'), 'utf8')).toContain('Hypothesis checks');
  });

  it('an unwritable folder is FL_ERR_REPORT_WRITE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-write-'));
    dirs.push(dir);
    const file = join(dir, 'report.json');
    writeReports(shopRun(), dir, ['json']);
    // a file where the folder should be
    expect(() => writeReports(shopRun(), join(file, 'sub'))).toThrow(expect.objectContaining({ code: 'FL_ERR_REPORT_WRITE' }));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('analyzeReport groups raw evidence and derives recommendations without changing its input', () => {
    const r = shopRun();
    const out = analyzeReport(r, { evidence: [{ at: 1, message: 'boom', faultId: 'f-thr-2', frames: [{ file: '/app/a.js', line: 3, app: true, fn: 'priceOf' }] }] });
    expect(r.recommendations).toEqual([]);
    expect(out.evidence).toEqual([{ location: '/app/a.js:3', fn: 'priceOf', message: 'boom', count: 1, faultIds: ['f-thr-2'] }]);
    expect(out.recommendations[0]).toMatchObject({ recipe: 'guard-call', location: '/app/a.js:3' });
  });
});
