import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../../src/core/config-types.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import { allowAll, memoryLedger, type FaultRequest } from '../../../src/core/fault.js';
import { injectProcessFault, listActiveFaults, revertAll, revertFault, type ProcessFaultDeps } from '../../../src/inject/process/inject.js';
import { eventsFile } from '../../../src/inject/process/state.js';
import { probeHealth, Supervisor } from '../../../src/inject/process/supervisor.js';
import { freePort, getJson, serviceConfig, tempStateDir, waitFor, within } from './helpers.js';

const SERVICE = fileURLToPath(new URL('../../fixtures/process/env-service.mjs', import.meta.url));
const CONTROLLER = fileURLToPath(new URL('../../fixtures/process/env-controller.mjs', import.meta.url));
const MODULES = fileURLToPath(new URL('../../fixtures/process/modules/', import.meta.url));

let deps: ProcessFaultDeps & { ledger: ReturnType<typeof memoryLedger> };
let sup: Supervisor;
let stateDir: string;
let port: number;
const cleanups: Array<() => void> = [];
const children: ChildProcess[] = [];

beforeEach(async () => {
  const state = tempStateDir();
  stateDir = state.dir;
  cleanups.push(state.cleanup);
  port = await freePort();
});

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await revertAll(deps);
  await sup.stop();
  for (const c of cleanups.splice(0)) c();
});

/** the env-service fixture as service "web", started */
async function startWeb(extra: Partial<ServiceConfig> & { envExtra?: Record<string, string> } = {}): Promise<ServiceConfig> {
  const svc = serviceConfig('web', port, { command: `${process.execPath} ${SERVICE}`, ...extra });
  sup = new Supervisor({ services: [svc], stateDir });
  deps = { stateDir, ledger: memoryLedger(), guard: allowAll, services: sup };
  await sup.start(['web']);
  return svc;
}

const req = (kind: string, params: Record<string, unknown>, ttlMs: number): FaultRequest => ({ kind, layer: 'process', target: { service: 'web' }, params, ttlMs });
const get = <T = Record<string, unknown>>(path: string): Promise<T | undefined> => getJson<T>(`http://127.0.0.1:${port}${path}`, 2000);
const env = (name: string) => get<{ pid: number; set: boolean; value: string | null }>(`/env?name=${name}`);
const actions = () => deps.ledger.events.map((e) => `${e.action}:${e.kind}:${e.outcome}`);

describe('envdrift', () => {
  it('restarts the service with variables set and removed; revert restarts it with its own environment', async () => {
    await startWeb({ envExtra: { GREETING: 'hello', POOL_SIZE: '10' } });
    const before = await env('GREETING');
    expect(before).toMatchObject({ value: 'hello' });
    const f = await injectProcessFault(req('envdrift', { set: { GREETING: 'drifted' }, unset: ['POOL_SIZE'] }, 30_000), deps);
    expect(f.detail).toMatchObject({ service: 'web', up: true, set: ['GREETING'], unset: ['POOL_SIZE'] });
    expect(f.detail.pid).not.toBe(before?.pid);
    expect(await env('GREETING')).toMatchObject({ pid: f.detail.pid, value: 'drifted' });
    expect(await env('POOL_SIZE')).toMatchObject({ set: false });
    expect(sup.running('web')?.overrides).toEqual({ GREETING: 'drifted' });

    await revertFault(f.id, deps);
    expect(await env('GREETING')).toMatchObject({ value: 'hello' });
    expect(await env('POOL_SIZE')).toMatchObject({ set: true, value: '10' });
    expect(sup.running('web')?.overrides).toBeUndefined();
    expect(actions()).toEqual(['inject:envdrift:ok', 'revert:envdrift:ok']);
  });

  it('refuses FAULTLINE_* names and a second environment fault on the same service', async () => {
    await startWeb();
    const e = await injectProcessFault(req('envdrift', { set: { FAULTLINE_STATE_DIR: '/tmp/x' } }, 5000), deps).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_ERR_INVALID_ARGUMENT')).toBe(true);
    expect((e as Error).message).toContain('"set"');
    await injectProcessFault(req('envdrift', { unset: 'HOME' }, 30_000), deps);
    const again = await injectProcessFault(req('envdrift', { set: 'A=1' }, 5000), deps).catch((x: unknown) => x);
    expect(isFaultlineError(again, 'FL_ERR_PROCESS_FAULT')).toBe(true);
    expect((again as Error).message).toMatch(/already runs with an environment another fault changed/);
  });

  it('the TTL guard restores the environment after the controller was killed with SIGKILL', async () => {
    const svc = await startWeb({ envExtra: { GREETING: 'hello' } });
    const proc = spawn(process.execPath, [CONTROLLER, stateDir, JSON.stringify(svc), '2500', JSON.stringify({ set: { GREETING: 'drifted' } })], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(proc);
    let out = '';
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    const fault = JSON.parse(await waitFor(() => out.includes('\n') && out.split('\n')[0], 15_000)) as { id: string; expiresAt: number };
    expect((await env('GREETING'))?.value).toBe('drifted');
    const dead = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await dead;
    await waitFor(async () => (await env('GREETING'))?.value === 'hello', 15_000, 100);
    expect(within(Date.now(), fault.expiresAt, 5000)).toBe(true);
    const expired = await waitFor(() => {
      // the TTL guard may be appending right now: only whole lines (the text after the last newline is not yet one)
      const lines = existsSync(eventsFile(stateDir)) ? readFileSync(eventsFile(stateDir), 'utf8').split('\n').slice(0, -1).filter((l) => l !== '') : [];
      return lines.map((l) => JSON.parse(l) as { action: string; faultId: string; outcome: string; kind: string }).find((x) => x.action === 'expire');
    }, 5000);
    expect(expired).toMatchObject({ faultId: fault.id, kind: 'envdrift', outcome: 'ok' });
    expect(listActiveFaults(stateDir)).toEqual([]);
    expect(sup.running('web')?.overrides).toBeUndefined();
  });
});

describe('hidebinary', () => {
  it('makes spawn(name) fail with ENOENT inside the service while other binaries run; revert restores it', async () => {
    const bin = join(stateDir, 'tools');
    mkdirSync(bin);
    for (const n of ['fl-hidden-tool', 'fl-other-tool']) {
      writeFileSync(join(bin, n), '#!/bin/sh\nexit 0\n');
      chmodSync(join(bin, n), 0o755);
    }
    await startWeb({ envExtra: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
    expect(await get('/spawn?cmd=fl-hidden-tool')).toMatchObject({ code: 0 });

    const f = await injectProcessFault(req('hidebinary', { names: ['fl-hidden-tool'] }, 30_000), deps);
    expect(f.detail).toMatchObject({ up: true, hidden: { 'fl-hidden-tool': join(bin, 'fl-hidden-tool') } });
    const farm = f.detail.path as string;
    expect(existsSync(join(farm, 'fl-other-tool'))).toBe(true);
    expect(await get('/spawn?cmd=fl-hidden-tool')).toMatchObject({ error: 'ENOENT' });
    expect(await get('/spawn?cmd=fl-other-tool')).toMatchObject({ code: 0 });
    expect(await get('/spawn?cmd=ls')).toMatchObject({ code: 0 });
    expect((await env('PATH'))?.value).toBe(farm);

    await revertFault(f.id, deps);
    expect(await get('/spawn?cmd=fl-hidden-tool')).toMatchObject({ code: 0 });
    expect(existsSync(farm)).toBe(false);
    expect(existsSync(join(bin, 'fl-hidden-tool'))).toBe(true);
    expect(actions()).toEqual(['inject:hidebinary:ok', 'revert:hidebinary:ok']);
  });

  it('refuses a name the service PATH does not resolve', async () => {
    await startWeb();
    const e = await injectProcessFault(req('hidebinary', { names: 'fl-no-such-binary' }, 5000), deps).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_ERR_INVALID_ARGUMENT')).toBe(true);
    expect((e as Error).message).toContain('"names"');
    expect(listActiveFaults(stateDir)).toEqual([]);
  });
});

describe('breakmodule', () => {
  const failure = (file: string) => ({ error: { name: 'SyntaxError', message: `faultline: injected load failure of ${join(MODULES, file)}` } });

  it('makes a lazily imported ESM module and a required CJS module throw the injected SyntaxError; revert brings them back', async () => {
    await startWeb({ agent: true });
    expect(await get('/import?m=lazy-esm.mjs')).toMatchObject({ ok: true, value: 'esm loaded' });
    const f = await injectProcessFault(req('breakmodule', { modules: 'modules/lazy-esm.mjs,lazy-cjs.cjs' }, 30_000), deps);
    expect(f.detail).toMatchObject({ up: true, modules: ['modules/lazy-esm.mjs', 'lazy-cjs.cjs'] });
    expect(await get('/import?m=lazy-esm.mjs')).toMatchObject(failure('lazy-esm.mjs'));
    expect(await get('/require?m=lazy-cjs.cjs')).toMatchObject(failure('lazy-cjs.cjs'));
    expect(await get('/import?m=lazy-cjs.cjs')).toMatchObject(failure('lazy-cjs.cjs'));
    expect(await get('/import?m=startup.mjs')).toMatchObject({ ok: true });

    await revertFault(f.id, deps);
    expect(await get('/import?m=lazy-esm.mjs')).toMatchObject({ ok: true, value: 'esm loaded' });
    expect(await get('/require?m=lazy-cjs.cjs')).toMatchObject({ ok: true, value: 'cjs loaded' });
  });

  it('a module needed at start-up keeps the service down; the revert starts it healthy again', async () => {
    const svc = await startWeb({ agent: true, envExtra: { STARTUP_IMPORT: 'startup.mjs' } });
    const t0 = Date.now();
    const f = await injectProcessFault(req('breakmodule', { modules: 'startup.mjs' }, 30_000), deps);
    expect(Date.now() - t0).toBeLessThan(5000); // it exits at once: no wait for the health timeout
    expect(f.detail).toMatchObject({ up: false });
    expect(f.detail.startError).toMatch(/exited with code 1/);
    expect(sup.running('web')).toBeUndefined();
    expect(await probeHealth(svc.health ?? {}, 500)).toBe(false);
    expect(readFileSync(join(stateDir, 'logs', 'web.log'), 'utf8')).toMatch(/SyntaxError( \[Error\])?: faultline: injected load failure of \/.*\/modules\/startup\.mjs\n {4}at \/.*\/startup\.mjs:1:1/);

    const r = await revertFault(f.id, deps);
    expect(r.outcome).toBe('ok');
    expect(await probeHealth(svc.health ?? {}, 1000)).toBe(true);
    expect(await get('/import?m=startup.mjs')).toMatchObject({ ok: true });
    expect(actions()).toEqual(['inject:breakmodule:ok', 'revert:breakmodule:ok']);
  });

  it('refuses a service that does not run the agent', async () => {
    await startWeb();
    const e = await injectProcessFault(req('breakmodule', { modules: 'lazy-esm.mjs' }, 5000), deps).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_ERR_INVALID_ARGUMENT')).toBe(true);
    expect((e as Error).message).toContain('agent: true');
  });
});
