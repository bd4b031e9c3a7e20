// Stryker mutation reports and `npm audit --json` (npm 7+ and npm 6) → the gate's extras.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../../../src/core/errors.js';
import { healthScore, memoryTextFiles, mutationScore, parseMutationReport, parseNpmAudit, readMutationReport, readNpmAudit } from '../../../src/promote/inputs/index.js';

const FIXTURES = join(__dirname, '../../fixtures/promote');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

function errorOf(fn: () => unknown): FaultlineError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FaultlineError) return e;
    throw e;
  }
  throw new Error('expected a FaultlineError, nothing was thrown');
}

describe('Stryker mutation report', () => {
  const report = parseMutationReport(fixture('mutation.json'), { source: 'reports/mutation/mutation.json' });

  it('counts mutants by status per file', () => {
    expect(report.schemaVersion).toBe('2');
    expect(report.thresholds).toEqual({ high: 80, low: 60 });
    expect(report.files.map((f) => f.path)).toEqual(['src/a/math.ts', 'src/b/text.ts', 'src/c/flags.ts']);
    expect(report.files[0]?.counts).toEqual({ killed: 3, survived: 1, noCoverage: 1, timeout: 1, compileError: 1, runtimeError: 0, ignored: 0, pending: 0, total: 7 });
  });

  it('scores as Stryker defines it: (killed + timeout) / (killed + timeout + survived + noCoverage)', () => {
    const a = mutationScore(report, 'src/a');
    expect(a).toMatchObject({ detected: 4, valid: 6, mutationScore: 66.66, mutationScoreBasedOnCoveredCode: 80 });
    const b = mutationScore(report, 'src/b');
    expect(b).toMatchObject({ detected: 3, valid: 4, mutationScore: 75 }); // the runtime error is not in the score
    const all = mutationScore(report, '');
    expect(all).toMatchObject({ files: 3, detected: 7, valid: 10, mutationScore: 70 });
    expect(all.counts.total).toBe(13);
  });

  it('a module with no valid mutant or no file has score null and a reason', () => {
    const c = mutationScore(report, 'src/c');
    expect(c.mutationScore).toBeNull();
    expect(c.reason).toContain('none valid');
    const z = mutationScore(report, 'src/zzz');
    expect(z.files).toBe(0);
    expect(z.reason).toContain('has no mutated file under src/zzz');
  });

  it('absolute file keys are made relative to the root, or else to projectRoot', () => {
    const abs = JSON.stringify({
      schemaVersion: '1',
      thresholds: { high: 80, low: 60 },
      projectRoot: '/ci/checkout',
      files: {
        '/ci/checkout/src/a.ts': { language: 'typescript', source: '', mutants: [{ id: '1', mutatorName: 'X', location: {}, status: 'Killed' }] },
        '/srv/repo/src/b.ts': { language: 'typescript', source: '', mutants: [] },
      },
    });
    const r = parseMutationReport(abs, { source: 'm.json', root: '/srv/repo' });
    expect(r.files.map((f) => f.path)).toEqual(['src/a.ts', 'src/b.ts']);
  });

  it.each([
    ['', 'm.json is empty'],
    ['{"schemaVersion": "2", "files": {', 'm.json:1:34 is not valid JSON (truncated?)'],
    ['[]', 'm.json is not a JSON object'],
    ['{"files": {}}', 'm.json schemaVersion: is missing'],
    ['{"schemaVersion": "7", "files": {}}', 'm.json schemaVersion: "7" is not a supported version'],
    ['{"schemaVersion": "2"}', 'm.json files: is missing or not an object of files'],
    ['{"schemaVersion": "2", "thresholds": {"high": "80"}, "files": {}}', 'm.json thresholds: must be {high, low}'],
    ['{"schemaVersion": "2", "files": {"a.ts": {"language": "ts"}}}', 'm.json files["a.ts"].mutants: is missing or not an array'],
    ['{"schemaVersion": "2", "files": {"a.ts": {"mutants": [{"id": "1", "mutatorName": "X", "status": "Dead"}]}}}', 'm.json files["a.ts"].mutants[0].status: "Dead" is not one of Killed, Survived'],
    ['{"schemaVersion": "2", "files": {"a.ts": {"mutants": [{"id": "1", "status": "Killed"}]}}}', 'm.json files["a.ts"].mutants[0].mutatorName: is missing'],
  ])('malformed %j → FL_ERR_MUTATION_REPORT naming the field', (text, message) => {
    const e = errorOf(() => parseMutationReport(text, { source: 'm.json' }));
    expect(e.code).toBe('FL_ERR_MUTATION_REPORT');
    expect(e.message).toContain(message);
  });

  it('readMutationReport reads through the TextFiles interface', async () => {
    const r = await readMutationReport('/r/reports/mutation/mutation.json', { root: '/r', files: memoryTextFiles({ '/r/reports/mutation/mutation.json': fixture('mutation.json') }) });
    expect(mutationScore(r, 'src').mutationScore).toBe(70);
    await expect(readMutationReport('/r/none.json', { files: memoryTextFiles({}) })).rejects.toMatchObject({ code: 'FL_ERR_MUTATION_REPORT', message: '/r/none.json does not exist' });
  });
});

describe('npm audit --json', () => {
  it('npm 7+ (auditReportVersion 2): counts from metadata, packages most severe first, health 0.5', () => {
    const r = parseNpmAudit(fixture('npm-audit-v2.json'), { source: 'audit.json' });
    expect(r.format).toBe('npm7');
    expect(r.unit).toBe('packages');
    expect(r.counts).toEqual({ info: 0, low: 1, moderate: 2, high: 1, critical: 0, total: 4 });
    expect(r.healthScore).toBe(0.5);
    expect(r.dependencies).toBe(160);
    expect(r.packages).toEqual([
      { name: 'lodash', severity: 'high', isDirect: true, fixAvailable: true },
      { name: 'nodemon', severity: 'moderate', isDirect: true, fixAvailable: 'semver-major' },
      { name: 'semver', severity: 'moderate', isDirect: false, fixAvailable: 'semver-major' },
      { name: 'debug', severity: 'low', isDirect: false, fixAvailable: true },
    ]);
  });

  it('npm 6 (advisories): counts are vulnerable paths, health 0.45', () => {
    const r = parseNpmAudit(fixture('npm-audit-v6.json'), { source: 'audit6.json' });
    expect(r.format).toBe('npm6');
    expect(r.unit).toBe('paths');
    expect(r.counts).toEqual({ info: 0, low: 1, moderate: 0, high: 2, critical: 0, total: 3 });
    expect(r.healthScore).toBe(0.45);
    expect(r.dependencies).toBe(604);
    expect(r.packages).toEqual([
      { name: 'lodash', severity: 'high' },
      { name: 'minimist', severity: 'low' },
    ]);
    // without metadata the counts come from the findings' paths
    const noMeta = JSON.parse(fixture('npm-audit-v6.json')) as Record<string, unknown>;
    delete noMeta.metadata;
    expect(parseNpmAudit(JSON.stringify(noMeta), { source: 'a' }).counts).toEqual({ info: 0, low: 1, moderate: 0, high: 2, critical: 0, total: 3 });
  });

  it('a clean audit is health 1; the score is 1 − min(1, (10c + 5h + 2m + l)/20)', () => {
    const clean = parseNpmAudit(JSON.stringify({ auditReportVersion: 2, vulnerabilities: {}, metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0 }, dependencies: { prod: 1, dev: 0, optional: 0, peer: 0, peerOptional: 0, total: 1 } } }), { source: 'a' });
    expect(clean.healthScore).toBe(1);
    expect(healthScore({ critical: 1, high: 0, moderate: 0, low: 0 })).toBe(0.5);
    expect(healthScore({ critical: 0, high: 1, moderate: 1, low: 2 })).toBe(0.55);
    expect(healthScore({ critical: 0, high: 0, moderate: 7, low: 0 })).toBe(0.3);
    expect(healthScore({ critical: 2, high: 0, moderate: 0, low: 0 })).toBe(0);
    expect(healthScore({ critical: 5, high: 9, moderate: 0, low: 0 })).toBe(0);
  });

  it('without metadata, npm 7 counts come from the vulnerabilities entries', () => {
    const r = parseNpmAudit(JSON.stringify({ auditReportVersion: 2, vulnerabilities: { a: { name: 'a', severity: 'critical', via: [], fixAvailable: false } } }), { source: 'a' });
    expect(r.counts).toEqual({ info: 0, low: 0, moderate: 0, high: 0, critical: 1, total: 1 });
    expect(r.packages).toEqual([{ name: 'a', severity: 'critical', fixAvailable: false }]);
  });

  it.each([
    ['', 'a.json is empty'],
    ['{"auditReportVersion": 2, "vulnerabilities": {', 'a.json:1:47 is not valid JSON (truncated?)'],
    ['{"error": {"code": "ENOLOCK", "summary": "This command requires an existing lockfile.", "detail": "Try creating one first with: npm i --package-lock-only"}}', "a.json error: is npm's error output, not an audit: ENOLOCK: This command requires an existing lockfile."],
    ['{"auditReportVersion": 3, "vulnerabilities": {}}', 'a.json auditReportVersion: 3 is not supported'],
    ['{"auditReportVersion": 2}', 'a.json vulnerabilities: is missing or not an object'],
    ['{"auditReportVersion": 2, "vulnerabilities": {"x": {"severity": "severe"}}}', 'a.json vulnerabilities.x.severity: "severe" is not one of info, low, moderate, high, critical'],
    ['{"auditReportVersion": 2, "vulnerabilities": {}, "metadata": {"vulnerabilities": {"info": 0, "low": 1, "moderate": 0, "high": 0, "critical": 0, "total": 2}}}', 'a.json metadata.vulnerabilities.total: total 2 is not the sum of the severities (1)'],
    ['{"auditReportVersion": 2, "vulnerabilities": {}, "metadata": {"vulnerabilities": {"info": 0, "low": -1}}}', 'a.json metadata.vulnerabilities.low: is not a count'],
    ['{"advisories": {"1": {"severity": "low"}}}', 'a.json advisories["1"].module_name: is missing'],
    ['{"name": "my-app", "version": "1.0.0"}', 'a.json has neither auditReportVersion (npm 7+) nor advisories (npm 6)'],
  ])('malformed %j → FL_ERR_AUDIT_REPORT', (text, message) => {
    const e = errorOf(() => parseNpmAudit(text, { source: 'a.json' }));
    expect(e.code).toBe('FL_ERR_AUDIT_REPORT');
    expect(e.message).toContain(message);
  });

  it('readNpmAudit reads through the TextFiles interface', async () => {
    const r = await readNpmAudit('/r/audit.json', { files: memoryTextFiles({ '/r/audit.json': fixture('npm-audit-v2.json') }) });
    expect(r.counts.total).toBe(4);
  });
});
