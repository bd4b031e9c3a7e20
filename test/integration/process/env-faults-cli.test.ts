import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { register as registerFaults } from '../../../src/cli/commands/process-faults.js';
import type { CliContext } from '../../../src/cli/context.js';
import type { FaultlineConfig } from '../../../src/core/config-types.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import { memoryLedger } from '../../../src/core/fault.js';
import { createGuard } from '../../../src/core/safe-zones.js';
import { revertAll } from '../../../src/inject/process/inject.js';
import { Supervisor } from '../../../src/inject/process/supervisor.js';
import { freePort, getJson, serviceConfig, tempStateDir } from './helpers.js';

const SERVICE = fileURLToPath(new URL('../../fixtures/process/env-service.mjs', import.meta.url));
let config: FaultlineConfig;
let cleanup: () => void;
let webPort: number;
const ledger = memoryLedger();

beforeEach(async () => {
  const state = tempStateDir();
  cleanup = state.cleanup;
  const [web, db] = [await freePort(), await freePort()];
  webPort = web;
  const command = `${process.execPath} ${SERVICE}`;
  config = {
    version: 1,
    stateDir: state.dir,
    services: { web: serviceConfig('web', web, { command, envExtra: { GREETING: 'hello' } }), db: serviceConfig('db', db, { command }) },
    proxy: { listen: '127.0.0.1:8474', proxies: [] },
    profiles: {},
    safeZones: { services: ['db'], routes: [], pids: [], processes: [], proxies: [], maxConcurrentFaults: 2, haltConditions: [] },
    defaults: { ttlMs: 30_000 },
  };
  await new Supervisor({ services: config.services, stateDir: state.dir }).start();
});

afterEach(async () => {
  await revertAll({ stateDir: config.stateDir, ledger });
  await new Supervisor({ services: config.services, stateDir: config.stateDir }).stop();
  cleanup();
});

async function run(...argv: string[]): Promise<unknown> {
  const printed: unknown[] = [];
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
  registerFaults(program, ctx);
  await program.parseAsync(argv, { from: 'user' });
  return printed[0];
}

describe('faultline inject envdrift / hidebinary / breakmodule', () => {
  it('inject envdrift --set --unset changes what the service sees; safe zones refuse a protected service', async () => {
    const f = (await run('inject', 'envdrift', '--service', 'web', '--set', 'GREETING=drifted', 'MODE=x', '--unset', 'HOME', '--ttl', '20s')) as { kind: string; params: unknown; ttlMs: number };
    expect(f).toMatchObject({ kind: 'envdrift', layer: 'process', ttlMs: 20_000, params: { set: { GREETING: 'drifted', MODE: 'x' }, unset: ['HOME'] } });
    expect(await getJson(`http://127.0.0.1:${webPort}/env?name=GREETING`)).toMatchObject({ value: 'drifted' });
    expect(await getJson(`http://127.0.0.1:${webPort}/env?name=HOME`)).toMatchObject({ set: false });
    const refused = await run('inject', 'envdrift', '--service', 'db', '--set', 'A=1').catch((e: unknown) => e);
    expect(isFaultlineError(refused, 'FL_ERR_SAFE_ZONE')).toBe(true);
    expect(ledger.events.map((e) => `${e.action}:${e.outcome}`)).toEqual(['inject:ok', 'refuse:refused']);
  });

  it('inject hidebinary and breakmodule read their params from --names and --modules', async () => {
    const bad = await run('inject', 'hidebinary', '--service', 'web', '--names', 'fl-no-such-binary').catch((e: unknown) => e);
    expect(isFaultlineError(bad, 'FL_ERR_INVALID_ARGUMENT') && (bad as Error).message).toMatch(/param "names" names "fl-no-such-binary"/);
    const noAgent = await run('inject', 'breakmodule', '--service', 'web', '--modules', 'lazy-esm.mjs').catch((e: unknown) => e);
    expect(isFaultlineError(noAgent, 'FL_ERR_INVALID_ARGUMENT') && (noAgent as Error).message).toMatch(/does not run the faultline agent/);
  });
});
