import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLedger } from '../../../src/core/fault.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import { isSameProcess, readProcStat } from '../../../src/inject/process/proc.js';
import { agentImportPath, readServiceRecords, Supervisor, type ServiceExit } from '../../../src/inject/process/supervisor.js';
import { freePort, getJson, serviceConfig, tempStateDir, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(services: Parameters<typeof serviceConfig>[] = []) {
  const state = tempStateDir();
  const ledger = memoryLedger();
  const sup = new Supervisor({ services: services.map((a) => serviceConfig(...a)), stateDir: state.dir, ledger });
  cleanups.push(state.cleanup, () => sup.stop().then(() => undefined));
  return { sup, state, ledger };
}

async function expectCode(p: Promise<unknown>, code: string): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isFaultlineError(e) ? e.code : e).toBe(code);
  return e as Error;
}

describe('Supervisor', () => {
  it('starts dependencies first, waits for health, records PIDs and start times, stops in reverse order', async () => {
    const [dbPort, apiPort] = [await freePort(), await freePort()];
    // api exits with 4 at start unless db already answers: it only comes up if db was started (and healthy) first
    const { sup, state, ledger } = await setup([
      ['api', apiPort, { dependsOn: ['db'], envExtra: { REQUIRE_URL: `http://127.0.0.1:${dbPort}/health` } }],
      ['db', dbPort],
    ]);
    const records = await sup.start(['api']);
    expect(records.map((r) => r.name)).toEqual(['db', 'api']);
    for (const r of records) {
      expect(readProcStat(r.pid)?.startTimeTicks).toBe(r.startTimeTicks);
      expect((await getJson(`http://127.0.0.1:${r.port}/now`))?.pid).toBe(r.pid); // `exec`: the PID is the service itself
    }
    const onDisk = readServiceRecords(state.dir);
    expect(Object.keys(onDisk).sort()).toEqual(['api', 'db']);
    expect(onDisk.api?.log).toMatch(/logs\/api\.log$/);
    expect(readFileSync(onDisk.api?.log as string, 'utf8')).toContain(`listening on ${apiPort}`);

    const stopped = await sup.stop();
    expect(stopped).toEqual(['api', 'db']);
    for (const r of records) expect(isSameProcess(r.pid, r.startTimeTicks)).toBe(false);
    expect(readServiceRecords(state.dir)).toEqual({});
    expect(ledger.events.filter((e) => e.action === 'service').map((e) => `${e.kind}:${e.target}`)).toEqual(['start:service=db', 'start:service=api', 'stop:service=api', 'stop:service=db']);
  });

  it('fails with FL_ERR_SERVICE_START naming the log when the health check never passes', async () => {
    const port = await freePort();
    const { sup } = await setup([['bad', port, { envExtra: { HEALTH: 'fail' }, health: { http: `http://127.0.0.1:${port}/health`, timeoutMs: 600, intervalMs: 50 } }]]);
    const e = await expectCode(sup.start(), 'FL_ERR_SERVICE_START');
    expect(e.message).toContain('did not become healthy within 600 ms');
    expect(e.message).toMatch(/logs\/bad\.log/);
    expect(sup.running('bad')).toBeUndefined();
  });

  it('fails fast with the exit code and the end of the log when the service exits early', async () => {
    const port = await freePort();
    const { sup } = await setup([['crash', port, { envExtra: { EXIT_CODE: '3' } }]]);
    const t0 = Date.now();
    const e = await expectCode(sup.start(), 'FL_ERR_SERVICE_START');
    expect(Date.now() - t0).toBeLessThan(4000); // not the 5 s health timeout
    expect(e.message).toContain('exited with code 3');
    expect(e.message).toContain('fixture: exiting on purpose');
  });

  it('refuses dependency cycles and unknown services', async () => {
    const { sup } = await setup([
      ['a', 1, { dependsOn: ['b'] }],
      ['b', 2, { dependsOn: ['a'] }],
    ]);
    const e = await expectCode(sup.start(), 'FL_ERR_CONFIG_INVALID');
    expect(e.message).toContain('a -> b -> a');
    await expectCode(sup.start(['nope']), 'FL_ERR_SERVICE_NOT_FOUND');
  });

  it('SIGKILLs a service that ignores SIGTERM after stopTimeoutMs', async () => {
    const port = await freePort();
    const { sup } = await setup([['stubborn', port, { envExtra: { IGNORE_TERM: '1' }, stopTimeoutMs: 500 }]]);
    const [rec] = await sup.start();
    const exits: ServiceExit[] = [];
    sup.on('exit', (x: ServiceExit) => exits.push(x));
    const t0 = Date.now();
    await sup.stop(['stubborn']);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(4000);
    expect(isSameProcess(rec?.pid as number, rec?.startTimeTicks)).toBe(false);
    await waitFor(() => exits.length > 0, 2000);
    expect(exits[0]).toMatchObject({ name: 'stubborn', signal: 'SIGKILL' });
  });

  it('restarts a service as a new process and can add environment', async () => {
    const port = await freePort();
    const { sup } = await setup([['svc', port]]);
    const [first] = await sup.start();
    const second = await sup.restart('svc', { overrides: { EXTRA: '1' } });
    expect(second.pid).not.toBe(first?.pid);
    expect(second.overrides).toEqual({ EXTRA: '1' });
    expect(readFileSync(`/proc/${second.pid}/environ`, 'utf8').split('\0')).toContain('EXTRA=1');
    expect((await getJson(`http://127.0.0.1:${port}/now`))?.pid).toBe(second.pid);
  });

  it('starts agent: true services with --import of the compiled agent in NODE_OPTIONS', async () => {
    // a non-node command, so this checks only what the supervisor passes (the agent itself is tested in its area)
    const { sup } = await setup([['ag', 0, { command: 'sleep 30', port: undefined, health: undefined, agent: true, env: { NODE_OPTIONS: '--no-warnings' } }]]);
    const [rec] = await sup.start();
    const env = readFileSync(`/proc/${rec?.pid}/environ`, 'utf8').split('\0');
    expect(env).toContain(`NODE_OPTIONS=--no-warnings --import ${agentImportPath()}`);
    expect(agentImportPath()).toMatch(/\/dist\/inject\/agent\/register\.js$/);
  });

  it('attaches to an existing PID, and refuses one that does not exist', async () => {
    const { sup, state } = await setup([]);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    cleanups.push(() => void child.kill('SIGKILL'));
    await waitFor(() => child.pid !== undefined && readProcStat(child.pid) !== undefined, 2000);
    const rec = sup.attach('ext', child.pid as number);
    expect(rec).toMatchObject({ name: 'ext', pid: child.pid, attached: true });
    expect(rec.command).toContain('setTimeout');
    expect(readServiceRecords(state.dir).ext?.startTimeTicks).toBe(readProcStat(child.pid as number)?.startTimeTicks);
    // down forgets an attached process without stopping it
    await sup.stop(['ext']);
    expect(isSameProcess(child.pid as number)).toBe(true);

    const e = (() => {
      try {
        sup.attach('ghost', 4_000_000);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(isFaultlineError(e, 'FL_ERR_PROCESS_NOT_FOUND')).toBe(true);
    expect((e as Error).message).toContain('PID 4000000');
  });
});
