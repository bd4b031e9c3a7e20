import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { interpolate, loadConfig, parseConfig } from '../../../src/core/config.js';
import { FaultlineError } from '../../../src/core/errors.js';

function problemsOf(text: string): { code: string; message: string } {
  try {
    parseConfig(text, 'faultline.yaml');
  } catch (e) {
    if (e instanceof FaultlineError) return { code: e.code, message: e.message };
    throw e;
  }
  return { code: 'none', message: '' };
}

describe('config: loadConfig / parseConfig', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('applies defaults and resolves paths against the file', () => {
    const c = parseConfig('services:\n  api:\n    command: node a.js\n    cwd: svc\n    health:\n      http: http://127.0.0.1:3000/health\n', '/x/y/faultline.yaml');
    expect(c.services.api?.cwd).toBe('/x/y/svc');
    expect(c.services.api?.health).toEqual({ http: 'http://127.0.0.1:3000/health', timeoutMs: 15000, intervalMs: 100 });
    expect(c.services.api?.stopTimeoutMs).toBe(5000);
    expect(c.stateDir).toBe('/x/y/.faultline');
    expect(c.safeZones.maxConcurrentFaults).toBe(5);
    expect(c.defaults.ttlMs).toBe(60000);
    expect(c.proxy.listen).toBe('127.0.0.1:8474');
    expect(Object.isFrozen(c.services.api)).toBe(true);
  });

  it('names file:line:col and field for every problem, sorted by line', () => {
    const { code, message } = problemsOf('services:\n  api:\n    comand: x\n    port: 99999\n    dependsOn: [nope]\nsafeZones:\n  maxConcurrentFaults: 0\n');
    expect(code).toBe('FL_ERR_CONFIG_INVALID');
    expect(message).toContain('faultline.yaml:2:3 services.api.command: is required');
    expect(message).toContain('faultline.yaml:3:5 services.api.comand: unknown field; did you mean "command"?');
    expect(message).toContain('faultline.yaml:4:5 services.api.port: must be ≤ 65535');
    expect(message).toContain('faultline.yaml:5:17 services.api.dependsOn[0]: unknown service "nope"');
    expect(message).toContain('faultline.yaml:7:3 safeZones.maxConcurrentFaults: must be ≥ 1');
  });

  it('run settings: steady-state bounds, card folders, report folder, load headers; metrics only on loopback', () => {
    const c = parseConfig(
      'steadyState:\n  maxErrorRate: 0.02\n  maxP99Latency: 250ms\ncards:\n  dirs: [my-cards]\n  bind: {service: api}\nload:\n  url: http://127.0.0.1:3000/\n  headers: {x-test: "1"}\nmetrics:\n  listen: 127.0.0.1:0\n',
      '/x/y/faultline.yaml',
    );
    expect(c.steadyState).toEqual({ maxErrorRate: 0.02, maxP99LatencyMs: 250 });
    expect(c.cards).toEqual({ dirs: ['/x/y/my-cards'], bind: { service: 'api' } });
    expect(c.reports).toEqual({ dir: '/x/y/.faultline/runs', formats: ['json', 'html', 'junit'] });
    expect(c.load?.headers).toEqual({ 'x-test': '1' });
    expect(c.load?.connections).toBe(64);
    expect(c.metrics).toEqual({ listen: '127.0.0.1:0' });
    expect(problemsOf('metrics:\n  listen: 10.1.2.3:9464\n').message).toMatch(/faultline.yaml:2:\d+ metrics.listen/);
  });

  it('steadyState.maxHeapGrowth: a size (1MiB, 512KiB, bytes) in bytes; anything else is refused with its line', () => {
    expect(parseConfig('steadyState:\n  maxHeapGrowth: 1MiB\n', '/x/faultline.yaml').steadyState).toEqual({ maxHeapGrowthBytes: 1024 * 1024 });
    expect(parseConfig('steadyState:\n  maxHeapGrowth: 4096\n', '/x/faultline.yaml').steadyState).toEqual({ maxHeapGrowthBytes: 4096 });
    expect(problemsOf('steadyState:\n  maxHeapGrowth: lots\n').message).toMatch(/faultline.yaml:2:\d+ steadyState.maxHeapGrowth/);
  });

  it('refactor settings: commands, selection, check timeout in ms, recipe options passed through; typecheck true is refused', () => {
    const c = parseConfig('refactor:\n  test: npm run test:unit\n  typecheck: false\n  checkTimeout: 2m\n  minConfidence: 0.7\n  maxFixes: 3\n  recipes: [add-timeout]\n  options:\n    timeoutMs: 3000\n', '/x/faultline.yaml');
    expect(c.refactor).toEqual({ test: 'npm run test:unit', typecheck: false, checkTimeoutMs: 120_000, minConfidence: 0.7, maxFixes: 3, recipes: ['add-timeout'], options: { timeoutMs: 3000 } });
    expect(parseConfig('refactor: {}\n', '/x/faultline.yaml').refactor?.checkTimeoutMs).toBe(600_000);
    expect(parseConfig('{}', '/x/faultline.yaml').refactor).toBeUndefined();
    expect(problemsOf('refactor:\n  typecheck: true\n')).toEqual({ code: 'FL_ERR_CONFIG_INVALID', message: expect.stringMatching(/refactor\.typecheck/) });
    expect(problemsOf('refactor:\n  minConfidence: 2\n')).toEqual({ code: 'FL_ERR_CONFIG_INVALID', message: expect.stringMatching(/refactor\.minConfidence/) });
  });

  it('promote settings: defaults, modules with path or paths, paths resolved; each problem named with its line', () => {
    const c = parseConfig('services:\n  api: { command: node api.js }\npromote:\n  modules:\n    - { name: api, path: src/api, service: api, criticality: high }\n    - { name: lib, paths: [src/a.ts, src/b.ts] }\n  watch: { window: 10s, maxP99Latency: 300ms }\n  rollback: { adapter: command, command: ./rollback.sh }\n', '/x/faultline.yaml');
    expect(c.promote).toEqual({
      baseCoverage: 80,
      modules: [
        { name: 'api', paths: ['src/api'], service: 'api', criticality: 'high' },
        { name: 'lib', paths: ['src/a.ts', 'src/b.ts'] },
      ],
      raise: { stepPct: 5, decayAfter: 3, maxPct: 20 },
      watch: { windowMs: 10_000, intervalMs: 1000, failAfter: 2, ratePerSec: 20, maxP99LatencyMs: 300 },
      rollback: { adapter: 'command', command: './rollback.sh', releasesDir: '/x/releases', current: '/x/current', timeoutMs: 120_000 },
    });
    expect(problemsOf('promote:\n  modules:\n    - { name: a, path: x, paths: [y] }\n').message).toMatch(/faultline\.yaml:3:\d+ promote\.modules\[0\]\.paths: give path or paths, not both/);
    expect(problemsOf('promote:\n  modules:\n    - { name: a, service: web }\n').message).toMatch(/promote\.modules\[0\]\.service: unknown service "web"/);
    expect(problemsOf('promote:\n  modules:\n    - { name: a }\n    - { name: a }\n').message).toMatch(/promote\.modules\[1\]\.name: module "a" is listed twice/);
    expect(problemsOf('promote:\n  rollback: { adapter: command }\n').message).toMatch(/promote\.rollback\.command: the command adapter needs a command line/);
    expect(problemsOf('promote:\n  rollback: { adapter: kubectl }\n').message).toMatch(/promote\.rollback\.kubectl/);
    expect(problemsOf('promote:\n  watch: { health: "http://10.1.2.3/health" }\n').message).toMatch(/promote\.watch\.health/);
    expect(problemsOf('promote:\n  baseCoverage: 120\n').message).toMatch(/promote\.baseCoverage/);
    expect(problemsOf('promote:\n  modules:\n    - { name: a, critcality: high }\n').message).toMatch(/promote\.modules\[0\]\.critcality/);
  });

  it('halt conditions with a detector: above is a score in (0, 1], only for metrics', () => {
    const c = parseConfig('safeZones:\n  haltConditions:\n    - { metric: p99LatencyMs, detector: robust-z, above: 0.999 }\n', '/x/faultline.yaml');
    expect(c.safeZones.haltConditions).toEqual([{ metric: 'p99LatencyMs', detector: 'robust-z', above: 0.999 }]);
    expect(problemsOf('safeZones:\n  haltConditions:\n    - { metric: p99LatencyMs, detector: robust-z, above: 300 }\n').message).toMatch(/haltConditions\[0\]\.above: with a detector/);
    expect(problemsOf('safeZones:\n  haltConditions:\n    - { metric: health, detector: ewma, above: 0.9 }\n').message).toMatch(/haltConditions\[0\]\.detector: a detector scores a metric/);
  });

  it('reports YAML syntax errors with their line', () => {
    const { code, message } = problemsOf('services:\n  api: [\n');
    expect(code).toBe('FL_ERR_CONFIG_PARSE');
    expect(message).toMatch(/faultline\.yaml:3:1 \(syntax\)/);
  });

  it('refuses upstreams and health checks that are not on this machine', () => {
    const { message } = problemsOf('proxy:\n  proxies:\n    - { name: db, listen: "127.0.0.1:1", upstream: "10.0.0.5:5432" }\nservices:\n  a:\n    command: x\n    health: { http: "http://example.com/" }\n');
    expect(message).toMatch(/faultline\.yaml:3:\d+ proxy\.proxies\[0\]\.upstream: .*not a loopback/);
    expect(message).toMatch(/services\.a\.health\.http: .*not a loopback/);
  });

  it('rejects invalid durations and profile entries', () => {
    const { message } = problemsOf('services:\n  a: { command: x }\nprofiles:\n  a:\n    - { kind: pause, layer: proc, duration: 5x }\n  b: []\ndefaults: { ttl: soon }\n');
    expect(message).toContain('profiles.a[0].layer: must be one of');
    expect(message).toContain('profiles.a[0].duration: "5x" is not a duration');
    expect(message).toContain('profiles.b: no service named "b"');
    expect(message).toContain('defaults.ttl: "soon" is not a duration');
  });

  it('interpolates ${VAR} and ${VAR:-default}, numbers stay numbers', () => {
    expect(interpolate({ a: '${P:-3000}', b: 'http://h:${P:-1}/x', c: ['${Q}'] }, { P: '8080' })).toEqual({ a: 8080, b: 'http://h:8080/x', c: [''] });
    const c = parseConfig('services:\n  a:\n    command: x\n    port: ${PORT:-3000}\n', '/f.yaml', {});
    expect(c.services.a?.port).toBe(3000);
  });

  it('loadConfig: the default file may be absent, an explicit one may not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-cfg-'));
    dirs.push(dir);
    expect(loadConfig('faultline.yaml', { cwd: dir }).services).toEqual({});
    expect(() => loadConfig('nope.yaml', { cwd: dir, explicit: true })).toThrow(expect.objectContaining({ code: 'FL_ERR_CONFIG_NOT_FOUND' }));
    writeFileSync(join(dir, 'faultline.yaml'), 'services:\n  a: { command: node x.js }\n');
    expect(loadConfig('faultline.yaml', { cwd: dir }).services.a?.command).toBe('node x.js');
  });

  it('the bundled example config is valid', () => {
    const c = loadConfig('examples/shop/faultline.yaml', { explicit: true, env: {} });
    expect(Object.keys(c.services)).toEqual(['pricing', 'api']);
    expect(c.services.api?.dependsOn).toEqual(['pricing']);
  });

  it('property: any YAML mapping either loads or fails with a located FaultlineError, never anything else', () => {
    const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('services', 'command', 'port', 'proxy', 'safeZones', 'x', 'api', 'health', 'http'), tie('v'), { maxKeys: 3 })),
    })).v;
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('version', 'services', 'proxy', 'profiles', 'safeZones', 'defaults', 'stateDir', 'junk'), value, { maxKeys: 4 }), (obj) => {
        try {
          parseConfig(JSON.stringify(obj), '/p/faultline.yaml', {});
        } catch (e) {
          expect(e).toBeInstanceOf(FaultlineError);
          expect((e as FaultlineError).message).toMatch(/\/p\/faultline\.yaml:\d+:\d+ /);
        }
      }),
      { numRuns: 300, interruptAfterTimeLimit: 10_000 },
    );
  });
});
