import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../../../..');
const FIXTURE = join(ROOT, 'test/fixtures/under-chaos');
const CLI = join(ROOT, 'bin/faultline.js');
const AGENT = join(ROOT, 'dist/inject/agent/register.js');

const temps: string[] = [];
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'fl-uc-'));
  temps.push(d);
  return d;
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k === 'NODE_OPTIONS' || k.startsWith('FAULTLINE_')) delete env[k];
  return { ...env, ...extra };
}

/** Runs `faultline test --json …` (the real binary; needs dist/) and returns its exit code and JSON output. */
function faultlineTest(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; out: any; stderr: string }> {
  const state = temp();
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, '--json', ...args], { cwd: FIXTURE, env: cleanEnv({ FAULTLINE_STATE_DIR: state, ...extraEnv }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (code) => {
      let out: any;
      try {
        out = JSON.parse(stdout);
      } catch {
        out = stdout;
      }
      done({ code, out, stderr });
    });
  });
}

function leftovers(marker: string): string[] {
  const r = spawnSync('pgrep', ['-af', marker], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim() !== '' && !l.includes('pgrep'));
}

beforeAll(() => {
  if (!existsSync(AGENT)) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
});

describe('faultline test -- node --test', () => {
  it('blames exactly the fragile test under agent:throw, with its code path; nothing fails clean or under a fault that never applies', async () => {
    const r = await faultlineTest(['test', '--fault', 'agent:throw:fn=fetchPrice', '--fault', 'agent:throw:fn=noSuchFunction*', '--', 'node', '--test', 'test/']);
    expect(r.code, r.stderr).toBe(1);
    const out = r.out;
    expect(out.clean).toMatchObject({ passed: 2, failed: 0, format: 'tap' });
    expect(out.clean.alreadyFailing).toEqual([]);
    const [thrown, none] = out.runs;
    expect(thrown.failed.map((t: any) => t.test)).toEqual(['total includes tax']);
    expect(thrown.failed[0]).toMatchObject({ location: 'lib/cart.mjs:15', fn: 'totalWithTax' });
    expect(thrown.failed[0].message).toMatch(/injected/);
    expect(thrown.hung).toEqual([]);
    // the agent saw the injected error pass through both callers (the tolerant one caught it)
    expect(thrown.evidence.map((s: any) => s.location).sort()).toEqual(['lib/cart.mjs:15', 'lib/cart.mjs:6']);
    expect(thrown.hits[0].hits).toBe(2);
    expect(none.failed).toEqual([]);
    expect(none.notes.join()).toMatch(/never applied/);
    // the RunReport
    const report = JSON.parse(readFileSync(out.reportPath, 'utf8'));
    expect(report).toMatchObject({ kind: 'test', deviated: true, status: 'completed' });
    expect(report.checks.filter((c: any) => !c.met).map((c: any) => c.probe)).toEqual(['total includes tax under agent:throw:fn=fetchPrice']);
    expect(report.recommendations[0].location).toBe('lib/cart.mjs:15');
  });

  it('exits 0 when no test breaks only under the faults', async () => {
    const r = await faultlineTest(['test', '--fault', 'agent:throw:fn=fetchPrice:module=elsewhere.mjs', '--', 'node', '--test', 'test/']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.out.fragile).toBe(false);
    expect(r.out.runs[0].failed).toEqual([]);
  });

  it('reports hung tests at the timeout, kills the process group, and leaves nothing behind', async () => {
    const r = await faultlineTest(['test', '--timeout', '2s', '--fault', 'agent:delay:fn=fetchPrice:ms=60000', '--', 'node', '--test', 'test/cart.test.mjs']);
    expect(r.code, r.stderr).toBe(1);
    const run = r.out.runs[0];
    expect(run.run.timedOut).toBe(true);
    expect(run.hung.map((t: any) => t.test).sort()).toEqual(['price falls back to the list price', 'total includes tax']);
    expect(run.run.durationMs).toBeGreaterThanOrEqual(1900);
    expect(run.run.durationMs).toBeLessThan(10_000);
    expect(leftovers('under-chaos/test/cart.test.mjs')).toEqual([]);
  });

  it('reads JUnit XML with --junit and runs all faults together with --together', async () => {
    const junit = join(temp(), 'junit.xml');
    const r = await faultlineTest(['test', '--together', '--junit', junit, '--fault', 'agent:throw:fn=fetchPrice', '--fault', 'agent:null:fn=priceOrListPrice', '--', 'node', '--test', '--test-reporter=junit', `--test-reporter-destination=${junit}`, 'test/cart.test.mjs']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.out.clean.format).toBe('junit');
    expect(r.out.runs).toHaveLength(1);
    expect(r.out.runs[0].labels).toHaveLength(2);
    expect(r.out.runs[0].failed.map((t: any) => t.test).sort()).toEqual(['test › price falls back to the list price', 'test › total includes tax']);
  });

  it('refuses a bad --fault (exit 2) and a command without test results (exit 2)', async () => {
    const bad = await faultlineTest(['test', '--fault', 'agent:explode:fn=x', '--', 'node', '--test']);
    expect(bad.code).toBe(2);
    expect(bad.out.error.code).toBe('FL_ERR_TEST_FAULT_SPEC'); // --json: the error is JSON on stdout
    const none = await faultlineTest(['test', '--fault', 'agent:throw:fn=x', '--', 'node', '-e', 'console.log("no tap here")']);
    expect(none.code).toBe(2);
    expect(none.out.error.code).toBe('FL_ERR_TEST_NO_RESULTS');
  });
});

describe('faultline test with a proxy fault on a link of faultline.yaml', () => {
  let upstream: Server;
  let dir: string;
  beforeAll(async () => {
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const linkPort = await new Promise<number>((r) => {
      const s = createNetServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => r(p));
      });
    });
    dir = mkdtempSync(join(tmpdir(), 'fl-uc-proxy-'));
    const port = (upstream.address() as { port: number }).port;
    writeFileSync(join(dir, 'faultline.yaml'), `version: 1\nproxy:\n  listen: 127.0.0.1:1\n  proxies:\n    - { name: dep, listen: "127.0.0.1:${linkPort}", upstream: "127.0.0.1:${port}" }\n`);
    writeFileSync(join(dir, 'link'), String(linkPort));
  });
  afterAll(async () => {
    await new Promise((r) => upstream.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens the link itself, adds the toxic for the run, and blames the test that calls through it', async () => {
    const link = readFileSync(join(dir, 'link'), 'utf8');
    const r = await faultlineTest(['--config', join(dir, 'faultline.yaml'), 'test', '--fault', 'proxy:latency:link=dep:latency=800', '--', 'node', '--test', 'test/'], { DEP_URL: `http://127.0.0.1:${link}/` });
    expect(r.code, r.stderr).toBe(1);
    expect(r.out.clean.passed).toBe(3);
    expect(r.out.runs[0].failed.map((t: any) => t.test)).toEqual(['dependency answers within 300 ms']);
    const report = JSON.parse(readFileSync(r.out.reportPath, 'utf8'));
    expect(report.faults[0]).toMatchObject({ layer: 'proxy', kind: 'latency', target: 'proxy=dep', params: { latency: 800 } });
  });
});

describe('FAULTLINE_AGENT_FAULTS in a plain node process', () => {
  it('arms a fault when its module loads, writes the evidence file, and a malformed value only warns', () => {
    const dir = temp();
    const script = `import('${join(FIXTURE, 'lib/cart.mjs')}').then(async (m) => { try { await m.totalWithTax(['a']); console.log('no error'); } catch (e) { console.log('caught', e.message); } })`;
    const ok = spawnSync(process.execPath, ['-e', script], {
      env: cleanEnv({ NODE_OPTIONS: `--import ${AGENT}`, FAULTLINE_STATE_DIR: dir, FAULTLINE_AGENT_EVIDENCE_DIR: join(dir, 'ev'), FAULTLINE_AGENT_FAULTS: JSON.stringify([{ kind: 'throw', target: { fn: 'fetchPrice' }, ttlMs: 30_000, params: { message: 'armed at start' } }, { kind: 'throw', target: {}, ttlMs: 30_000 }]) }),
      encoding: 'utf8',
    });
    expect(ok.stdout).toContain('caught armed at start');
    expect(ok.stderr).toMatch(/\[faultline-agent\] FAULTLINE_AGENT_FAULTS\[1\] not armed: target.fn: is required for a function fault/);
    const ev = JSON.parse(readFileSync(join(dir, 'ev', `${ok.pid}.json`), 'utf8'));
    expect(ev.startup[0]).toMatchObject({ state: 'armed', kind: 'throw' });
    expect(ev.errors[0]).toMatchObject({ message: 'armed at start', fn: 'fetchPrice' });
    const bad = spawnSync(process.execPath, ['-e', 'console.log("still runs")'], { env: cleanEnv({ NODE_OPTIONS: `--import ${AGENT}`, FAULTLINE_STATE_DIR: dir, FAULTLINE_AGENT_FAULTS: '[{' }), encoding: 'utf8' });
    expect(bad.status).toBe(0);
    expect(bad.stdout).toContain('still runs');
    expect(bad.stderr).toMatch(/FAULTLINE_AGENT_FAULTS is not valid JSON/);
  });
});
