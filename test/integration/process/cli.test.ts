import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { register as registerFaults } from '../../../src/cli/commands/process-faults.js';
import { register as registerServices } from '../../../src/cli/commands/services.js';
import { register as registerAllFaults } from '../../../src/cli/commands/faults.js';
import type { CliContext } from '../../../src/cli/context.js';
import type { FaultlineConfig } from '../../../src/core/config-types.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import { memoryLedger } from '../../../src/core/fault.js';
import { createGuard } from '../../../src/core/safe-zones.js';
import { revertAll } from '../../../src/inject/process/inject.js';
import { readProcStat } from '../../../src/inject/process/proc.js';
import { Supervisor } from '../../../src/inject/process/supervisor.js';
import { freePort, getJson, serviceConfig, tempStateDir } from './helpers.js';

let config: FaultlineConfig;
let printed: unknown[];
let cleanup: () => void;
const ledger = memoryLedger();

beforeEach(async () => {
  const state = tempStateDir();
  cleanup = state.cleanup;
  const [web, db] = [await freePort(), await freePort()];
  config = {
    version: 1,
    stateDir: state.dir,
    services: { web: serviceConfig('web', web, { dependsOn: ['db'] }), db: serviceConfig('db', db) },
    proxy: { listen: '127.0.0.1:8474', proxies: [] },
    profiles: {},
    safeZones: { services: ['db'], routes: [], pids: [], processes: [], proxies: [], maxConcurrentFaults: 2, haltConditions: [] },
    defaults: { ttlMs: 30_000 },
  };
  printed = [];
});

afterEach(async () => {
  await revertAll({ stateDir: config.stateDir, ledger });
  await new Supervisor({ services: config.services, stateDir: config.stateDir }).stop();
  cleanup();
});

/** runs one command line against the registered commands; resolves with what it printed (the --json data) */
async function run(...argv: string[]): Promise<unknown> {
  const program = new Command('faultline').exitOverride();
  const ctx = (): CliContext => ({
    json: true,
    configPath: 'faultline.yaml',
    config: () => config,
    stateDir: () => config.stateDir,
    ledger: () => ledger,
    guard: () => createGuard(config),
    print: (data) => void printed.push(data),
    progress: () => undefined,
  });
  registerServices(program, ctx);
  registerFaults(program, ctx);
  registerAllFaults(program, ctx);
  printed = [];
  await program.parseAsync(argv, { from: 'user' });
  return printed[0];
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return isFaultlineError(e) ? e.code : String(e);
  }
}

describe('faultline up / inject / faults / status / revert / down', () => {
  it('drives services and process faults end to end', async () => {
    const up = (await run('up', 'web')) as Array<{ name: string; pid: number }>;
    expect(up.map((r) => r.name)).toEqual(['db', 'web']);
    const web = up[1] as { pid: number };

    const fault = (await run('inject', 'pause', '--service', 'web', '--ttl', '30s')) as { id: string; ttlMs: number };
    expect(fault.ttlMs).toBe(30_000);
    expect(readProcStat(web.pid)?.state).toBe('T');
    expect(((await run('faults')) as { faults: Array<{ id: string; layer: string }> }).faults.map((f) => [f.id, f.layer])).toEqual([[fault.id, 'process']]);

    const status = (await run('status')) as { services: Array<{ name: string; state: string; healthy?: boolean }>; faults: unknown[] };
    expect(status.services.find((s) => s.name === 'db')).toMatchObject({ state: 'up', healthy: true });
    expect(status.faults).toHaveLength(1);

    const reverted = (await run('revert', fault.id)) as Array<{ outcome: string }>;
    expect(reverted).toMatchObject([{ outcome: 'reverted', layer: 'process' }]);
    expect(readProcStat(web.pid)?.state).not.toBe('T');

    // restart reverts the service's faults and starts it again under a new PID
    await run('inject', 'pause', '--service', 'web', '--ttl', '30s');
    const restarted = (await run('restart', 'web')) as { restarted: Array<{ pid: number }>; reverted: string[] };
    expect(restarted.reverted).toHaveLength(1);
    expect(restarted.restarted[0]?.pid).not.toBe(web.pid);
    web.pid = restarted.restarted[0]?.pid as number;
    expect(await codeOf(run('restart', 'ghost'))).toBe('FL_ERR_SERVICE_NOT_FOUND');

    // the default TTL comes from the config; down reverts active faults before stopping
    const second = (await run('inject', 'pause', '--service', 'web')) as { ttlMs: number };
    expect(second.ttlMs).toBe(30_000);
    const down = (await run('down')) as { stopped: string[]; reverted: unknown[] };
    expect(down.stopped).toEqual(['web', 'db']);
    expect(down.reverted).toHaveLength(1);
    expect(readProcStat(web.pid)).toBeUndefined();
    expect(await getJson(`http://127.0.0.1:${config.services.web?.port}/now`, 300)).toBeUndefined();
  });

  it('maps options to params and refuses bad input and safe zones with codes', async () => {
    await run('up');
    expect(await codeOf(run('inject', 'pause', '--service', 'db', '--ttl', '5s'))).toBe('FL_ERR_SAFE_ZONE');
    expect(await codeOf(run('inject', 'pause', '--service', 'web', '--pid', '5'))).toBe('FL_ERR_INVALID_ARGUMENT');
    expect(await codeOf(run('inject', 'pause', '--service', 'web', '--ttl', 'soon'))).toBe('FL_ERR_INVALID_ARGUMENT');
    expect(await codeOf(run('inject', 'cpu', '--load', '150'))).toBe('FL_ERR_INVALID_ARGUMENT');
    expect(await codeOf(run('revert', 'p-nope'))).toBe('FL_ERR_FAULT_NOT_FOUND');
    expect(await codeOf(run('up', '--attach', 'ghost=4000000'))).toBe('FL_ERR_PROCESS_NOT_FOUND');
    const disk = (await run('inject', 'disk', '--size', '1MiB', '--dir', config.stateDir, '--ttl', '10s')) as { params: Record<string, unknown> };
    expect(disk.params).toEqual({ dir: config.stateDir, size: 1024 * 1024 });
  });
});
