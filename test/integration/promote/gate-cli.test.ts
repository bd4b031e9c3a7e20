/**
 * `faultline gate` and `faultline serve` through the real CLI on a small git project: exit codes 0/1/3/2,
 * Markdown and JUnit outputs, predictions.json read per file, the API answering with the configured base
 * threshold and the raise from the release registry.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, tempDir, waitFor } from '../cli/helpers.js';

const tmp = tempDir('fl-gate-cli-');
const dir = tmp.dir;
const cli = (...args: string[]) => runCli(['--config', join(dir, 'faultline.yaml'), ...args], {}, dir);

/** lcov of `lines` lines of which the first `covered` ran */
function lcovRecord(path: string, lines: number, covered: number): string {
  const da = Array.from({ length: lines }, (_, i) => `DA:${i + 1},${i < covered ? 1 : 0}`);
  return ['TN:', `SF:${path}`, ...da, `LF:${lines}`, `LH:${covered}`, 'end_of_record'].join('\n');
}

beforeAll(() => {
  mkdirSync(join(dir, 'src', 'core'), { recursive: true });
  mkdirSync(join(dir, 'src', 'util'), { recursive: true });
  writeFileSync(join(dir, 'src', 'util', 'fmt.mjs'), 'export const fmt = (n) => n.toFixed(2);\n');
  writeFileSync(join(dir, 'src', 'core', 'order.mjs'), "import { fmt } from '../util/fmt.mjs';\nexport function total(items) {\n  let t = 0;\n  for (const i of items) t += i.price * i.qty;\n  return fmt(t);\n}\n");
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop', version: '1.0.0', type: 'module' }));
  writeFileSync(
    join(dir, 'faultline.yaml'),
    `version: 1
promote:
  baseCoverage: 80
  modules:
    - { name: core, path: src/core, criticality: critical }
    - { name: util, path: src/util, criticality: low }
`,
  );
  mkdirSync(join(dir, 'coverage'));
  writeFileSync(join(dir, 'coverage', 'lcov.info'), [lcovRecord('src/core/order.mjs', 10, 9), lcovRecord('src/util/fmt.mjs', 10, 7)].join('\n') + '\n');
  writeFileSync(join(dir, '.gitignore'), '.faultline/\n');
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'shop');
});

afterAll(() => tmp.cleanup());

describe('faultline gate', () => {
  it('exits 1 when a module lacks coverage, and writes Markdown and JUnit', async () => {
    const r = await cli('gate', '--markdown', join(dir, 'gate.md'), '--junit', join(dir, 'gate.xml'));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/core\s+[\d.]+\s+\w+\s+[\d.]+\s+90\.00%\s+80\.00%\s+Promote/);
    expect(r.stdout).toMatch(/util\s+[\d.]+\s+\w+\s+[\d.]+\s+70\.00%\s+80\.00%\s+Insufficient Coverage/);
    const md = readFileSync(join(dir, 'gate.md'), 'utf8');
    expect(md).toMatch(/\| util \|.*Insufficient Coverage/);
    const xml = readFileSync(join(dir, 'gate.xml'), 'utf8');
    const testcase = (name: string): string => /<testcase[^>]*name="([^"]+)"[\s\S]*?<\/testcase>/g.exec(xml.slice(xml.indexOf(`name="${name}"`) - 60))?.[0] ?? '';
    expect(testcase('core')).not.toMatch(/<failure/);
    expect(testcase('util')).toMatch(/<failure[^>]*type="insufficient-coverage"/);
  }, 60_000);

  it('exits 3 when a critical module is predicted to fail (predictions.json), and 0 for the others alone', async () => {
    mkdirSync(join(dir, '.faultline'), { recursive: true });
    writeFileSync(join(dir, '.faultline', 'predictions.json'), JSON.stringify({ repo: dir, points: [], files: [{ path: 'src/core/order.mjs', probability: 0.95 }, { path: 'src/util/fmt.mjs', probability: 0.01 }] }));
    try {
      const r = await cli('--json', 'gate');
      expect(r.code, r.stderr).toBe(3);
      const g = JSON.parse(r.stdout) as { probabilities: { source: string }; modules: { result: { module: string; decision: string; fis: number; requiredCoverage: number | null; severity: string } }[] };
      expect(g.probabilities.source).toBe('predictions');
      const core = g.modules.find((m) => m.result.module === 'core')?.result;
      expect(core).toMatchObject({ decision: 'blocked', requiredCoverage: null, severity: 'Critical' });
      expect(core?.fis).toBeCloseTo(0.95, 4);
      const util = await cli('--json', 'gate', '--module', 'util', '--base', '60');
      expect(util.code, util.stderr).toBe(0);
    } finally {
      rmSync(join(dir, '.faultline', 'predictions.json'));
    }
  }, 60_000);

  it('names what is wrong: an unknown module, a missing coverage report (exit 2)', async () => {
    const unknown = await cli('gate', '--module', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/FL_ERR_MODULE_NOT_FOUND/);
    expect(unknown.stderr).toMatch(/modules: core, util/);
    const missing = await cli('gate', '--coverage', join(dir, 'coverage', 'none.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/FL_ERR_COVERAGE_REPORT/);
    expect(missing.stderr).toMatch(/none\.json/);
  }, 60_000);
});

describe('faultline serve', () => {
  it('evaluates promotions with the configured B and the raise of the registry', async () => {
    mkdirSync(join(dir, '.faultline'), { recursive: true });
    const at = new Date().toISOString();
    const base = { module: 'core', decision: 'promote', fis: 0.1, coverage: 90, requiredCoverage: 80, at };
    writeFileSync(
      join(dir, '.faultline', 'releases.jsonl'),
      [
        { ...base, id: 'core-1', version: '1.0.0', status: 'stable' },
        { ...base, id: 'core-2', version: '2.0.0', status: 'rolled-back', rollback: { at, reason: 'error rate 0.4 > 0.01 for 2 samples', to: 'core-1', adapter: 'symlink' } },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const server = startCli(['--config', join(dir, 'faultline.yaml'), '--json', 'serve', '--port', '0'], {}, dir);
    try {
      const url = await waitFor(() => {
        try {
          return (JSON.parse(server.stdout()) as { url: string }).url;
        } catch {
          return undefined;
        }
      }, 20_000, 'the API to listen');
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const post = (path: string, body: unknown) => fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      // FIS 0.3 × High 0.8 = 0.24 → B × 1.10 = 88, + 5 after core-2's rollback = 93
      const r = await post('/v1/promotions/evaluate', { module: { name: 'core', failureProbability: 0.3, criticality: 'high' }, coverage: 90 });
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ decision: 'insufficient-coverage', requiredCoverage: 93, raise: 5, baseCoverageThreshold: 80, severity: 'High' });
      const bad = await post('/v1/promotions/evaluate', { module: { name: 'core' }, coverage: 120 });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toMatch(/coverage/);
      const list = (await (await fetch(`${url}/v1/releases?module=core&status=rolled-back`)).json()) as { releases: { id: string }[] };
      expect(list.releases.map((x) => x.id)).toEqual(['core-2']);
    } finally {
      server.child.kill('SIGTERM');
      const done = await server.done;
      expect(done.code).toBe(0);
    }
  }, 60_000);
});
