// Experiments against real processes and sockets on 127.0.0.1: a real HTTP service, the real proxy and injection
// engine, the real observer (open-loop load), a Prometheus-shaped endpoint, and the real CLI.
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allowAll, memoryLedger } from '../../../src/core/fault.js';
import { createRng } from '../../../src/core/rng.js';
import { parseExperiment } from '../../../src/experiment/format/loader.js';
import { runExperiment } from '../../../src/experiment/runner.js';
import { InjectionEngine } from '../../../src/inject/engine.js';
import { Supervisor } from '../../../src/inject/process/index.js';
import { ProxyRegistry } from '../../../src/inject/proxy/index.js';
import { createFaultDriver } from '../../../src/loop/wiring.js';
import { computeFigures, startObserver } from '../../../src/observe/index.js';
import { procState, startCli, startTarget, waitFor } from './helpers.js';

const children: ChildProcess[] = [];
const dirs: string[] = [];
const servers: Server[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'fl-exp-'));
  dirs.push(d);
  return d;
};
let target: { port: number; pid: number };

beforeAll(async () => {
  target = await startTarget(children);
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
afterAll(() => {
  for (const c of children) c.kill('SIGCONT'), c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const products = (port: number, tolerance = '{type: jsonpath, path: "$[*].id", count: 2, target: body}'): string => `title: the catalogue answers
configuration:
  base: http://127.0.0.1:${port}
steady-state-hypothesis:
  title: products are listed
  probes:
    - type: probe
      name: products-listed
      tolerance: ${tolerance}
      provider: {type: http, url: "\${base}/products", timeout: 2}
method:
  - type: probe
    name: echo
    provider: {type: http, method: POST, url: "\${base}/echo", arguments: {q: 1}}
`;

describe('experiments against a real HTTP service', () => {
  it('an experiment that should pass passes', async () => {
    const { experiment } = parseExperiment(products(target.port), 'pass.yaml');
    const { journal, report } = await runExperiment(experiment, {}, { faults: createFaultDriver(new InjectionEngine({ stateDir: tmp(), ledger: memoryLedger(), guard: allowAll, services: new Supervisor({ services: {}, stateDir: tmp() }) })), rng: createRng(3) });
    expect(journal.status).toBe('completed');
    expect(journal.deviated).toBe(false);
    expect(journal.run[0]!.output).toMatchObject({ status: 200, body: { method: 'POST', body: { q: 1 } } });
    expect(journal.steady_states.after!.probes[0]).toMatchObject({ tolerance_met: true, checked: ['sku-1', 'sku-2'] });
    expect(report.checks.map((c) => `${c.phase}:${c.met}`)).toEqual(['before:true', 'after:true']);
  });

  it('one that should fail fails, naming the violated probe', async () => {
    const { experiment } = parseExperiment(products(target.port, '{type: jsonpath, path: "$[*].id", count: 3, target: body}'), 'fail.yaml');
    const { journal } = await runExperiment(experiment, {}, { faults: createFaultDriver(new InjectionEngine({ stateDir: tmp(), ledger: memoryLedger(), guard: allowAll, services: new Supervisor({ services: {}, stateDir: tmp() }) })), rng: createRng(3) });
    expect(journal.status).toBe('failed');
    expect(journal.faultline.violated).toEqual({ phase: 'before', probe: 'products-listed', value: ['sku-1', 'sku-2'] });
    expect(journal.run).toEqual([]);
  });
});

describe('halt conditions with the real proxy, engine and observer', () => {
  it('a latency toxic trips p99LatencyMs: the toxic is removed within ~1 s of the trip, the run is aborted, the ledger has the abort', async () => {
    const ledger = memoryLedger();
    const stateDir = tmp();
    const proxies = new ProxyRegistry({ guard: allowAll, ledger });
    const link = await proxies.createProxy({ name: 'svc', listen: '127.0.0.1:0', upstream: `127.0.0.1:${target.port}` });
    try {
      const engine = new InjectionEngine({ stateDir, ledger, guard: allowAll, services: new Supervisor({ services: {}, stateDir }), proxies });
      const { experiment } = parseExperiment(
        `title: slow link
method:
  - type: action
    name: slow-svc
    provider: {type: faultline, func: inject, arguments: {layer: proxy, kind: latency, target: {proxy: svc}, params: {latency: 900}, ttl: 30s}}
    pauses: {after: 8}
`,
        'halt.yaml',
      );
      const driver = createFaultDriver(engine);
      const t0 = Date.now();
      const { journal, report } = await runExperiment(experiment, {}, {
        faults: driver,
        startObserver,
        load: { url: `http://${link.listen}/health`, method: 'GET', ratePerSec: 40, timeoutMs: 3000 },
        figures: (obs, windows, bounds) => computeFigures(obs, windows, bounds),
        haltConditions: [{ metric: 'p99LatencyMs', above: 400 }],
        ledger,
        rng: createRng(5),
      });
      expect(journal.status).toBe('aborted');
      expect(report.halted).toMatch(/^p99LatencyMs \d+ ms > 400/);
      expect(Date.now() - t0).toBeLessThan(7000); // the 8 s pause was cut short
      const haltEvent = report.observation!.events.find((e) => e.kind === 'halt')!;
      const haltAt = report.observation!.startedAt + haltEvent.atMs;
      // the proxy records the toxic's removal in the ledger when it happens
      const removed = ledger.events.find((e) => e.layer === 'proxy' && (e.action === 'revert' || e.action === 'expire'));
      expect(removed?.action).toBe('revert');
      expect(Date.parse(removed!.ts) - haltAt).toBeLessThan(1000);
      expect(proxies.activeFaults()).toEqual([]);
      expect(journal.faultline.faults[0]).toMatchObject({ layer: 'proxy', kind: 'latency', endedBy: 'halt' });
      expect(ledger.events.filter((e) => e.action === 'abort')).toEqual([expect.objectContaining({ detail: expect.stringMatching(/^halt condition: p99LatencyMs/) })]);
      expect(report.figures?.faults).toHaveLength(1);
    } finally {
      await proxies.close();
    }
  });
});

describe('the prometheus provider', () => {
  it('reads an instant query answer (Prometheus /api/v1/query shape) as numbers', async () => {
    let query = '';
    // the answer shape of the Prometheus HTTP API docs (instant vector, two series)
    const answer = {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: { __name__: 'up', job: 'prometheus', instance: 'localhost:9090' }, value: [1435781451.781, '1'] },
          { metric: { __name__: 'up', job: 'node', instance: 'localhost:9100' }, value: [1435781451.781, '0'] },
        ],
      },
    };
    const prom = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      query = u.searchParams.get('query') ?? '';
      res.writeHead(u.pathname === '/api/v1/query' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(query === 'sum(up)' ? { status: 'success', data: { resultType: 'scalar', result: [1435781451.781, '1'] } } : answer));
    });
    servers.push(prom);
    await new Promise<void>((r) => prom.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(prom.address() as { port: number }).port}`;
    const { experiment } = parseExperiment(
      `title: prometheus
steady-state-hypothesis:
  title: targets up
  probes:
    - {type: probe, name: all-up, tolerance: [1, 1], provider: {type: prometheus, url: "${url}", query: "sum(up)"}}
method:
  - {type: probe, name: up-by-target, provider: {type: prometheus, url: "${url}", query: 'up{job=~".+"}'}}
`,
      'prom.yaml',
    );
    const { journal } = await runExperiment(experiment, {}, { faults: createFaultDriver(new InjectionEngine({ stateDir: tmp(), ledger: memoryLedger(), guard: allowAll, services: new Supervisor({ services: {}, stateDir: tmp() }) })), rng: createRng(1) });
    expect(journal.steady_states.before!.probes[0]).toMatchObject({ output: 1, tolerance_met: true });
    expect(journal.run[0]!.output).toEqual([1, 0]);
    expect(query).toBe('sum(up)');
  });
});

describe('the CLI', () => {
  it('runs a Chaos Toolkit experiment with http/process providers unchanged, writes the journal, exits 0; a deviated run exits 1 naming the probe', async () => {
    const d = tmp();
    // as in the Chaos Toolkit documentation: JSON, http probe with a tolerance, a process action, pauses
    const ctk = {
      version: '1.0.0',
      title: 'What is the impact of an expired certificate on our application chain?',
      description: 'If the certificate expires, we should fail gracefully.',
      tags: ['tls'],
      configuration: { base_url: `http://127.0.0.1:${target.port}` },
      'steady-state-hypothesis': {
        title: 'Application responds',
        probes: [
          { type: 'probe', name: 'the-astre-service-must-be-running', tolerance: 0, provider: { type: 'process', path: 'test', arguments: ['-d', '/tmp'] } },
          { type: 'probe', name: 'the-sunset-service-must-be-running', tolerance: 0, provider: { type: 'process', path: 'true' } },
          { type: 'probe', name: 'we-can-request-sunset', tolerance: 200, provider: { type: 'http', timeout: 3, url: '${base_url}/health' } },
        ],
      },
      method: [
        { type: 'action', name: 'swap-to-expired-cert', provider: { type: 'process', path: 'cp', arguments: `${d}/a ${d}/b` }, pauses: { before: 0.1, after: 0.1 } },
        { type: 'probe', name: 'read-tls-cert-expiry-date', provider: { type: 'process', path: 'cat', arguments: `${d}/b` } },
      ],
      rollbacks: [{ type: 'action', name: 'swap-to-valid-cert', provider: { type: 'process', path: 'rm', arguments: `-f ${d}/b` } }],
    };
    writeFileSync(join(d, 'a'), 'notAfter=Jan  1 00:00:00 2030 GMT\n');
    writeFileSync(join(d, 'exp.json'), JSON.stringify(ctk, null, 2));
    const ok = await startCli(['run', join(d, 'exp.json'), '--journal-path', join(d, 'journal.json')], { FAULTLINE_STATE_DIR: join(d, 'state') }, d).done;
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^PASSED: What is the impact/);
    const j = JSON.parse(readFileSync(join(d, 'journal.json'), 'utf8'));
    expect(j).toMatchObject({ status: 'completed', deviated: false, steady_states: { before: { steady_state_met: true }, after: { steady_state_met: true } } });
    expect(j.run[1].output.stdout).toBe('notAfter=Jan  1 00:00:00 2030 GMT\n');
    expect(j.rollbacks[0]).toMatchObject({ status: 'succeeded', activity: { name: 'swap-to-valid-cert' } });

    // deviated: the after-hypothesis fails because the method breaks it
    const dev = { ...ctk, method: [{ type: 'action', name: 'remove-dir-marker', provider: { type: 'process', path: 'rm', arguments: ['-f', `${d}/marker`] } }] };
    dev['steady-state-hypothesis'] = { title: 'marker present', probes: [{ type: 'probe', name: 'marker-exists', tolerance: 0, provider: { type: 'process', path: 'test', arguments: ['-e', `${d}/marker`] } }] } as never;
    writeFileSync(join(d, 'marker'), '');
    writeFileSync(join(d, 'dev.yaml'), JSON.stringify(dev));
    const bad = await startCli(['--json', 'run', join(d, 'dev.yaml'), '--journal-path', join(d, 'dev.json')], { FAULTLINE_STATE_DIR: join(d, 'state') }, d).done;
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ status: 'failed', deviated: true, violated: { phase: 'after', probe: 'marker-exists', value: 1 } });
  });

  it('validate names file:line:col and field and exits 2', async () => {
    const d = tmp();
    writeFileSync(join(d, 'bad.yaml'), 'title: x\nmethod:\n  - type: action\n    name: a\n    provider: {type: python, module: m, func: f}\n');
    const r = await startCli(['validate', join(d, 'bad.yaml')], {}, d).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:5:22 method\[0\]\.provider\.type: activity "a": python providers cannot run in faultline/);
  });

  it('SIGINT during a run reverts the fault it injected and exits 130', async () => {
    const d = tmp();
    const victim = await startTarget(children);
    writeFileSync(
      join(d, 'pause.yaml'),
      `title: pause the service
method:
  - type: action
    name: freeze
    provider: {type: faultline, func: inject, arguments: {layer: process, kind: pause, target: {pid: ${victim.pid}}, ttl: 60s}}
    pauses: {after: 30}
`,
    );
    const run = startCli(['run', join(d, 'pause.yaml'), '--journal-path', join(d, 'j.json')], { FAULTLINE_STATE_DIR: join(d, 'state') }, d);
    await waitFor(() => procState(victim.pid) === 'T', 15_000);
    const t0 = Date.now();
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(procState(victim.pid)).not.toBe('T');
    const j = JSON.parse(readFileSync(join(d, 'j.json'), 'utf8'));
    expect(j.status).toBe('interrupted');
    expect(j.faultline.faults[0]).toMatchObject({ kind: 'pause', endedBy: 'interrupt' });
    const events = readFileSync(join(d, 'state', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string });
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['inject', 'revert', 'abort']));
    // the record of runs has the run, marked interrupted
    const runs = readFileSync(join(d, 'state', 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; status: string });
    expect(runs.at(-1)?.status).toBe('interrupted');
  });

  it('a runner killed with SIGKILL leaves its run marked interrupted, and the fault ends at its TTL', async () => {
    const d = tmp();
    const victim = await startTarget(children);
    writeFileSync(
      join(d, 'pause.yaml'),
      `title: pause the service, then the runner dies
method:
  - type: action
    name: freeze
    provider: {type: faultline, func: inject, arguments: {layer: process, kind: pause, target: {pid: ${victim.pid}}, ttl: 3s}}
    pauses: {after: 30}
`,
    );
    const run = startCli(['run', join(d, 'pause.yaml'), '--journal-path', join(d, 'j.json'), '--no-load'], { FAULTLINE_STATE_DIR: join(d, 'state') }, d);
    await waitFor(() => procState(victim.pid) === 'T', 15_000);
    run.child.kill('SIGKILL');
    await run.done;
    // nobody reverts: the detached guard resumes the process at the TTL
    await waitFor(() => procState(victim.pid) !== 'T', 15_000);
    const runs = readFileSync(join(d, 'state', 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; status: string; title: string });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ kind: 'experiment', status: 'interrupted', title: 'pause the service, then the runner dies' });
  });
});
