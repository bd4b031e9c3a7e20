import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultlineError, isFaultlineError } from '../../../src/core/errors.js';
import { allowAll, memoryLedger, type FaultRequest, type InjectionGuard } from '../../../src/core/fault.js';
import { injectProcessFault, listActiveFaults, revertAll, revertFault, type ProcessFaultDeps } from '../../../src/inject/process/inject.js';
import { isSameProcess, parseProcStat, readProcStat, readRssBytes } from '../../../src/inject/process/proc.js';
import { executePlan } from '../../../src/inject/process/plan.js';
import { eventsFile } from '../../../src/inject/process/state.js';
import { Supervisor } from '../../../src/inject/process/supervisor.js';
import { freePort, getJson, serviceConfig, tempStateDir, waitFor, within } from './helpers.js';

let deps: ProcessFaultDeps & { ledger: ReturnType<typeof memoryLedger> };
let sup: Supervisor;
let webPort: number;
let dbPort: number;
let cleanupDir: () => void;

beforeEach(async () => {
  const state = tempStateDir();
  cleanupDir = state.cleanup;
  webPort = await freePort();
  dbPort = await freePort();
  sup = new Supervisor({ services: [serviceConfig('web', webPort), serviceConfig('db', dbPort)], stateDir: state.dir });
  deps = { stateDir: state.dir, ledger: memoryLedger(), guard: allowAll, services: sup };
});

afterEach(async () => {
  await revertAll(deps);
  await sup.stop();
  cleanupDir();
});

const req = (kind: string, target: FaultRequest['target'], params: Record<string, unknown>, ttlMs: number): FaultRequest => ({ kind, layer: 'process', target, params, ttlMs });

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return isFaultlineError(e) ? e.code : String(e);
  }
}

function expireEvents(stateDir: string): Array<{ action: string; faultId: string; actor: string; outcome: string }> {
  return existsSync(eventsFile(stateDir)) ? readFileSync(eventsFile(stateDir), 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
}

/** user+system ticks of every process in the group led by `pgid` */
function groupCpuTicks(pgid: number): number {
  let total = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = parseProcStat(readFileSync(`/proc/${d}/stat`, 'utf8'));
      if (st.pgrp === pgid) total += st.utimeTicks + st.stimeTicks;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

describe('pause', () => {
  it('stops the service answering HTTP until the TTL guard sends SIGCONT', async () => {
    await sup.start(['web']);
    const url = `http://127.0.0.1:${webPort}/now`;
    expect(await getJson(url)).toBeDefined();
    const t0 = Date.now();
    const f = await injectProcessFault(req('pause', { service: 'web' }, {}, 1500), deps);
    expect(f.detail.stopped).toBe(true);
    expect(readProcStat(f.target.pid as number)?.state).toBe('T');
    expect(await getJson(url, 300)).toBeUndefined();
    expect(listActiveFaults(deps.stateDir).map((a) => a.id)).toEqual([f.id]);
    await waitFor(() => getJson(url, 300), 8000);
    expect(within(Date.now() - t0, 1500, 1500)).toBe(true);
    await waitFor(() => listActiveFaults(deps.stateDir).length === 0, 3000);
    await waitFor(() => expireEvents(deps.stateDir).find((e) => e.action === 'expire' && e.faultId === f.id), 3000);
    expect(expireEvents(deps.stateDir).find((e) => e.faultId === f.id)).toMatchObject({ actor: 'ttl-guard', outcome: 'ok' });
    expect(deps.ledger.events.map((e) => e.action)).toEqual(['inject']);
  });

  it('early revert resumes at once, stops the guard and is recorded', async () => {
    await sup.start(['web']);
    const f = await injectProcessFault(req('pause', { service: 'web' }, {}, 30_000), deps);
    expect(await getJson(`http://127.0.0.1:${webPort}/now`, 300)).toBeUndefined();
    const r = await revertFault(f.id, deps);
    expect(r.outcome).toBe('ok');
    expect(await getJson(`http://127.0.0.1:${webPort}/now`, 1000)).toBeDefined();
    await waitFor(() => !isSameProcess(f.guardPid as number), 2000);
    expect(deps.ledger.events.map((e) => e.action)).toEqual(['inject', 'revert']);
    expect(await codeOf(revertFault(f.id, deps))).toBe('FL_ERR_FAULT_NOT_FOUND');
  });
});

describe('kill', () => {
  it('sends the chosen signal to a PID, observed by its parent', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, s) => r(s)));
    await waitFor(() => child.pid !== undefined && readProcStat(child.pid) !== undefined, 2000);
    await injectProcessFault(req('kill', { pid: child.pid as number }, { signal: 'term' }, 1000), deps);
    expect(await exited).toBe('SIGTERM');
  });

  it('with restart: true starts the supervised service again at the TTL', async () => {
    const [before] = await sup.start(['web']);
    await injectProcessFault(req('kill', { service: 'web' }, { restart: true }, 1000), deps);
    await waitFor(() => !isSameProcess(before?.pid as number, before?.startTimeTicks), 2000);
    expect(await getJson(`http://127.0.0.1:${webPort}/now`, 300)).toBeUndefined();
    const after = await waitFor(() => getJson(`http://127.0.0.1:${webPort}/now`, 300), 10_000);
    expect(after.pid).not.toBe(before?.pid);
    await waitFor(() => sup.running('web')?.pid === after.pid, 3000);
  });

  it('refuses restart for a bare PID', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await waitFor(() => child.pid !== undefined && readProcStat(child.pid) !== undefined, 2000);
    expect(await codeOf(injectProcessFault(req('kill', { pid: child.pid as number }, { restart: true }, 1000), deps))).toBe('FL_ERR_INVALID_ARGUMENT');
    expect(isSameProcess(child.pid as number)).toBe(true);
    child.kill('SIGKILL');
  });
});

describe('cpu', () => {
  for (const tool of ['stress-ng', 'node'] as const) {
    it(`burns CPU with ${tool} (utime grows in /proc) and ends at the TTL`, async () => {
      const f = await injectProcessFault(req('cpu', {}, { workers: 1, load: 100, tool }, 4000), deps);
      const pid = f.detail.stressorPid as number;
      expect(f.detail.tool).toBe(tool);
      const first = groupCpuTicks(pid);
      // > 0.15 s of CPU while the fault is on; a loaded CI machine may take a while to start the worker,
      // so wait for the ticks (a stressor that never burns still fails here) instead of sampling once
      await waitFor(() => groupCpuTicks(pid) - first > 15, 3500);
      await waitFor(() => !isSameProcess(pid), 8000);
    });
  }
});

describe('memory', () => {
  it('holds the bytes resident (VmRSS) until reverted', async () => {
    const bytes = 128 * 1024 * 1024;
    const f = await injectProcessFault(req('memory', {}, { bytes: '128MiB' }, 20_000), deps);
    const pid = f.detail.holderPid as number;
    expect(readRssBytes(pid)).toBeGreaterThanOrEqual(bytes * 0.95);
    expect(f.params).toEqual({ bytes });
    await revertFault(f.id, deps);
    expect(isSameProcess(pid)).toBe(false);
  });
});

describe('disk', () => {
  it('creates a file of the size and removes it at the TTL', async () => {
    const dir = tempStateDir();
    try {
      const f = await injectProcessFault(req('disk', {}, { dir: dir.dir, size: '8MiB' }, 1000), deps);
      const file = f.detail.file as string;
      expect(statSync(file).size).toBe(8 * 1024 * 1024);
      await waitFor(() => !existsSync(file), 5000);
    } finally {
      dir.cleanup();
    }
  });

  it('refuses a size beyond the free space, naming the param', async () => {
    const e = await injectProcessFault(req('disk', {}, { size: '1000000G' }, 1000), deps).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_ERR_INVALID_ARGUMENT')).toBe(true);
    expect((e as Error).message).toContain('"size"');
  });
});

describe('timeskew and clockdrift', () => {
  it('timeskew +2h restarts the service with Date shifted by about 2 h, and back at the TTL', async () => {
    await sup.start(['web']);
    const url = `http://127.0.0.1:${webPort}/now`;
    const f = await injectProcessFault(req('timeskew', { service: 'web' }, { offset: '+2h' }, 2500), deps);
    const skewed = await waitFor(() => getJson(url), 3000);
    expect(skewed.pid).toBe(f.detail.pid);
    expect(within(skewed.now - Date.now(), 2 * 3600_000, 60_000)).toBe(true);
    await waitFor(async () => {
      const now = await getJson(url, 300);
      return now !== undefined && now.pid !== skewed.pid && within(now.now, Date.now(), 5000) && sup.running('web')?.pid === now.pid;
    }, 10_000);
    expect(sup.running('web')?.overrides).toBeUndefined();
  });

  it('clockdrift x3 makes the service clock run three times as fast', async () => {
    await sup.start(['web']);
    const url = `http://127.0.0.1:${webPort}/now`;
    const f = await injectProcessFault(req('clockdrift', { service: 'web' }, { rate: 3 }, 30_000), deps);
    expect(f.detail.faketime).toBe('+0 x3');
    const a = await waitFor(() => getJson(url), 3000);
    const ta = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    const b = (await getJson(url)) as { now: number };
    const ratio = (b.now - a.now) / (Date.now() - ta);
    expect(within(ratio, 3, 0.6)).toBe(true);
    await revertFault(f.id, deps);
    expect(within((await getJson(url))?.now as number, Date.now(), 2000)).toBe(true);
  });
});

describe('dependency', () => {
  it('stops the service and starts it again at the TTL', async () => {
    await sup.start();
    await injectProcessFault(req('dependency', { service: 'db' }, {}, 1000), deps);
    expect(sup.running('db')).toBeUndefined();
    expect(await getJson(`http://127.0.0.1:${dbPort}/now`, 300)).toBeUndefined();
    const back = await waitFor(() => getJson(`http://127.0.0.1:${dbPort}/now`, 300), 10_000);
    await waitFor(() => sup.running('db')?.pid === back.pid, 3000); // recorded by the guard
  });
});

describe('the TTL guard starts before the fault is applied', () => {
  it('pause: the guard runs and the fault is listed before SIGSTOP; the same guard ends it', async () => {
    const [web] = await sup.start(['web']);
    const seen: Array<{ guardAlive: boolean; state?: string; listed: Array<number | undefined> }> = [];
    const f = await injectProcessFault(req('pause', { service: 'web' }, {}, 30_000), {
      ...deps,
      beforeApply: (_fault, guard) =>
        void seen.push({
          guardAlive: guard !== undefined && isSameProcess(guard.pid, guard.startTimeTicks),
          state: readProcStat(web?.pid as number)?.state,
          listed: listActiveFaults(deps.stateDir).map((a) => a.guardPid),
        }),
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.guardAlive).toBe(true);
    expect(seen[0]?.state).not.toBe('T');
    expect(seen[0]?.listed).toEqual([f.guardPid]);
    expect(readProcStat(web?.pid as number)?.state).toBe('T');
    expect(listActiveFaults(deps.stateDir)).toEqual([expect.objectContaining({ id: f.id, guardPid: f.guardPid, detail: expect.objectContaining({ stopped: true }) })]);
  });

  it('dependency and disk: the guard runs before the service is stopped / the file is written', async () => {
    await sup.start(['db']);
    const dir = tempStateDir();
    try {
      const seen: Array<{ guardAlive: boolean; db: boolean; files: string[] }> = [];
      const beforeApply: ProcessFaultDeps['beforeApply'] = (_f, guard) =>
        void seen.push({ guardAlive: guard !== undefined && isSameProcess(guard.pid, guard.startTimeTicks), db: sup.running('db') !== undefined, files: readdirSync(dir.dir) });
      await injectProcessFault(req('dependency', { service: 'db' }, {}, 30_000), { ...deps, beforeApply });
      await injectProcessFault(req('disk', {}, { dir: dir.dir, size: '1MiB' }, 30_000), { ...deps, beforeApply });
      expect(seen).toEqual([
        { guardAlive: true, db: true, files: [] },
        { guardAlive: true, db: false, files: [] },
      ]);
      expect(readdirSync(dir.dir)).toHaveLength(1);
    } finally {
      await revertAll(deps);
      dir.cleanup();
    }
  });

  it('a failing apply stops the guard, removes the fault file and records the error', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const pid = await waitFor(() => (child.pid !== undefined && readProcStat(child.pid) ? child.pid : undefined), 2000);
    const exited = new Promise((r) => child.once('exit', r));
    let guardPid = 0;
    const e = await injectProcessFault(req('pause', { pid }, {}, 30_000), {
      ...deps,
      beforeApply: async (_f, guard) => {
        guardPid = guard?.pid as number;
        child.kill('SIGKILL'); // the target goes away between the guard's start and SIGSTOP
        await exited;
      },
    }).catch((x: unknown) => x);
    expect(isFaultlineError(e) && e.code).toBe('FL_ERR_PROCESS_NOT_FOUND');
    expect(guardPid).toBeGreaterThan(0);
    await waitFor(() => !isSameProcess(guardPid), 2000);
    expect(listActiveFaults(deps.stateDir)).toEqual([]);
    expect(readdirSync(join(deps.stateDir, 'faults'))).toEqual([]);
    expect(deps.ledger.events).toEqual([expect.objectContaining({ action: 'inject', outcome: 'error', faultId: '-' })]);
  });

  it('restart-service leaves a service that already runs with its own environment alone', async () => {
    const [web] = await sup.start(['web']);
    const { lines } = await executePlan([{ op: 'restart-service', service: serviceConfig('web', webPort), stateDir: deps.stateDir }]);
    expect(lines).toEqual([`web already runs with its own environment (pid ${web?.pid})`]);
    expect(sup.running('web')?.pid).toBe(web?.pid);
  });
});

describe('admission', () => {
  it('never touches PID 1, the controller or its ancestors, and records the refusal', async () => {
    for (const pid of [1, process.pid, process.ppid]) {
      expect(await codeOf(injectProcessFault(req('pause', { pid }, {}, 1000), deps))).toBe('FL_ERR_SAFE_ZONE');
    }
    expect(readProcStat(process.ppid)?.state).not.toBe('T');
    expect(deps.ledger.events.every((e) => e.action === 'refuse' && e.outcome === 'refused')).toBe(true);
  });

  it("propagates the guard's refusal before anything is applied", async () => {
    const [web] = await sup.start(['web']);
    const seen: FaultRequest[] = [];
    const guard: InjectionGuard = {
      admit(r) {
        seen.push(r);
        throw new FaultlineError('FL_ERR_SAFE_ZONE', 'refused by safeZones.services: service "web" is never touched');
      },
    };
    expect(await codeOf(injectProcessFault(req('pause', { service: 'web' }, {}, 1000), { ...deps, guard }))).toBe('FL_ERR_SAFE_ZONE');
    expect(seen[0]?.target).toEqual({ service: 'web', pid: web?.pid }); // the guard sees the resolved PID
    expect(readProcStat(web?.pid as number)?.state).not.toBe('T');
    expect(listActiveFaults(deps.stateDir)).toEqual([]);
  });

  it('rejects bad requests with codes naming the problem', async () => {
    expect(await codeOf(injectProcessFault(req('pause', { pid: process.pid }, {}, 0), deps))).toBe('FL_ERR_TTL_REQUIRED');
    expect(await codeOf(injectProcessFault(req('explode', {}, {}, 1000), deps))).toBe('FL_ERR_INVALID_ARGUMENT');
    expect(await codeOf(injectProcessFault(req('memory', {}, {}, 1000), deps))).toBe('FL_ERR_INVALID_ARGUMENT');
    expect(await codeOf(injectProcessFault(req('pause', { pid: 4_000_000 }, {}, 1000), deps))).toBe('FL_ERR_PROCESS_NOT_FOUND');
    expect(await codeOf(injectProcessFault(req('pause', { service: 'web' }, {}, 1000), deps))).toBe('FL_ERR_PROCESS_NOT_FOUND'); // not running
    expect(await codeOf(injectProcessFault(req('pause', { service: 'nope' }, {}, 1000), deps))).toBe('FL_ERR_SERVICE_NOT_FOUND');
    expect(await codeOf(injectProcessFault(req('timeskew', { pid: process.pid }, { offset: '+1h' }, 1000), deps))).toBe('FL_ERR_INVALID_ARGUMENT');
  });
});
