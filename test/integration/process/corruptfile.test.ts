import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../../src/core/config-types.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import { allowAll, memoryLedger, type FaultRequest } from '../../../src/core/fault.js';
import { InjectionEngine } from '../../../src/inject/engine.js';
import { injectProcessFault, listActiveFaults, revertAll, revertFault, type ProcessFaultDeps } from '../../../src/inject/process/inject.js';
import { eventsFile } from '../../../src/inject/process/state.js';
import { probeHealth, Supervisor } from '../../../src/inject/process/supervisor.js';
import { freePort, getJson, serviceConfig, tempStateDir, waitFor } from './helpers.js';

/** A small service that loads a JSONL file at start-up with one JSON.parse per line, then serves /health and /count. */
const SERVICE = `import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
const records = [];
if (existsSync('data.jsonl')) {
  for (const line of readFileSync('data.jsonl', 'utf8').split('\\n')) {
    if (line.trim() === '') continue;
    records.push(JSON.parse(line));
  }
}
createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ pid: process.pid, count: records.length }));
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const ORIGINAL = '{"id":"1","totalCents":100}\n{"id":"2","totalCents":250}\n';

let deps: ProcessFaultDeps & { ledger: ReturnType<typeof memoryLedger> };
let sup: Supervisor;
let stateDir: string;
let dir: string;
let port: number;
let svc: ServiceConfig;
const cleanups: Array<() => void> = [];

beforeEach(async () => {
  const state = tempStateDir();
  stateDir = state.dir;
  cleanups.push(state.cleanup);
  const work = tempStateDir();
  dir = work.dir;
  cleanups.push(work.cleanup);
  port = await freePort();
  writeFileSync(join(dir, 'service.mjs'), SERVICE);
  writeFileSync(join(dir, 'data.jsonl'), ORIGINAL);
  svc = serviceConfig('store', port, { command: `${process.execPath} service.mjs`, cwd: dir });
  sup = new Supervisor({ services: [svc], stateDir });
  deps = { stateDir, ledger: memoryLedger(), guard: allowAll, services: sup };
  await sup.start(['store']);
});

afterEach(async () => {
  await revertAll(deps);
  await sup.stop();
  for (const c of cleanups.splice(0)) c();
});

const req = (params: Record<string, unknown>, ttlMs: number): FaultRequest => ({ kind: 'corruptfile', layer: 'process', target: { service: 'store' }, params, ttlMs });
const count = () => getJson<{ pid: number; count: number }>(`http://127.0.0.1:${port}/count`, 2000);
const data = (): Buffer => readFileSync(join(dir, 'data.jsonl'));

describe('corruptfile', () => {
  it('a torn line keeps the service from starting; the revert restores the file byte for byte and starts it healthy', async () => {
    expect(await count()).toMatchObject({ count: 2 });
    const f = await injectProcessFault(req({ path: 'data.jsonl' }, 30_000), deps);
    expect(f.detail).toMatchObject({ service: 'store', file: join(dir, 'data.jsonl'), mode: 'append', existed: true, up: false });
    expect(f.detail.startError).toMatch(/exited with code 1/);
    expect(data().toString()).toBe(`${ORIGINAL}{"id": "faultline-corrupt", "totalCents": \n`);
    expect(sup.running('store')).toBeUndefined();
    expect(await probeHealth(svc.health ?? {}, 500)).toBe(false);
    // the crash is the fault's evidence: the application frame where the file was parsed
    const crash = f.detail.crash as { class: string; message: string; frames: { file: string; line: number; app: boolean }[] };
    expect(crash.class).toBe('SyntaxError');
    expect(crash.frames.find((x) => x.app)).toMatchObject({ file: join(dir, 'service.mjs'), line: 7 });

    const r = await revertFault(f.id, deps);
    expect(r.outcome).toBe('ok');
    expect(data().equals(Buffer.from(ORIGINAL))).toBe(true);
    expect(await probeHealth(svc.health ?? {}, 1000)).toBe(true);
    expect(await count()).toMatchObject({ count: 2 });
    expect(deps.ledger.events.map((e) => `${e.action}:${e.kind}:${e.outcome}`)).toEqual(['inject:corruptfile:ok', 'revert:corruptfile:ok']);
  });

  it('truncate and garbage corrupt in place; with restart false the running service is left alone', async () => {
    const t = await injectProcessFault(req({ path: join(dir, 'data.jsonl'), mode: 'truncate' }, 30_000), deps);
    expect(t.detail).toMatchObject({ mode: 'truncate', up: false });
    expect(data().toString()).toBe('{"id":"1","totalCents":100}\n{"id":"2","to');
    await revertFault(t.id, deps);
    expect(data().toString()).toBe(ORIGINAL);

    // restart false: the file changes under the running service, which is neither restarted nor stopped
    const before = await count();
    const g = await injectProcessFault(req({ path: 'data.jsonl', mode: 'garbage', bytes: 4, restart: false }, 30_000), deps);
    expect(g.detail).toMatchObject({ mode: 'garbage', overwrittenBytes: 4 });
    expect(data().equals(Buffer.from(ORIGINAL))).toBe(false);
    expect((await count())?.pid).toBe(before?.pid);
    await revertFault(g.id, deps);
    expect(data().toString()).toBe(ORIGINAL);
    expect((await count())?.pid).toBe(before?.pid); // restart false: started only when down
  });

  it('refuses a path outside the service folder and a missing file for truncate', async () => {
    const e = await injectProcessFault(req({ path: '/etc/hostname' }, 5000), deps).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_ERR_INVALID_ARGUMENT')).toBe(true);
    expect((e as Error).message).toMatch(/param "path"/);
    const m = await injectProcessFault(req({ path: 'missing.jsonl', mode: 'truncate' }, 5000), deps).catch((x: unknown) => x);
    expect(isFaultlineError(m, 'FL_ERR_INVALID_ARGUMENT')).toBe(true);
    expect((m as Error).message).toMatch(/does not exist/);
    expect(listActiveFaults(stateDir)).toEqual([]);
    expect(data().toString()).toBe(ORIGINAL);
  });

  it('append to a missing file creates it; the revert removes it again', async () => {
    const f = await injectProcessFault(req({ path: 'extra.jsonl', restart: false }, 30_000), deps);
    expect(f.detail).toMatchObject({ existed: false });
    expect(readFileSync(join(dir, 'extra.jsonl'), 'utf8')).toContain('faultline-corrupt');
    await revertFault(f.id, deps);
    expect(() => readFileSync(join(dir, 'extra.jsonl'))).toThrow();
  });

  it('the TTL guard restores the file and restarts the service when nobody reverts', async () => {
    const f = await injectProcessFault(req({ path: 'data.jsonl' }, 1500), deps);
    expect(f.detail).toMatchObject({ up: false });
    const expired = await waitFor(() => {
      let text = '';
      try {
        text = readFileSync(eventsFile(stateDir), 'utf8');
      } catch {
        return undefined;
      }
      return text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { action: string; faultId: string; outcome: string; detail?: string })
        .find((x) => x.action === 'expire' && x.faultId === f.id);
    }, 20_000, 100);
    expect(expired).toMatchObject({ outcome: 'ok' });
    expect(expired.detail).toMatch(/restored .*data\.jsonl; restarted store/);
    expect(data().equals(Buffer.from(ORIGINAL))).toBe(true);
    expect(await probeHealth(svc.health ?? {}, 1000)).toBe(true);
    expect(await count()).toMatchObject({ count: 2 });
  });

  it('the injection engine answers the start-up crash as the evidence of the fault', async () => {
    const engine = new InjectionEngine({ stateDir, ledger: deps.ledger, guard: allowAll, services: sup });
    const { fault } = await engine.inject(req({ path: 'data.jsonl' }, 30_000));
    const ev = await engine.evidence(fault.id);
    expect(ev?.errors).toHaveLength(1);
    expect(ev?.errors[0]).toMatchObject({ class: 'SyntaxError', faultIds: [fault.id], source: 'uncaughtException' });
    expect(ev?.errors[0]?.frames.find((x) => x.app)).toMatchObject({ file: join(dir, 'service.mjs'), line: 7 });
    await engine.revert(fault.id);
    expect(await engine.evidence(fault.id)).toMatchObject({ errors: [{ class: 'SyntaxError' }] });
    expect(data().toString()).toBe(ORIGINAL);
  });
});
