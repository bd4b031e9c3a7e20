import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from '../../../src/cli/commands/agent.js';
import type { CliContext } from '../../../src/cli/context.js';
import type { FaultlineConfig } from '../../../src/core/config-types.js';
import { isFaultlineError } from '../../../src/core/errors.js';
import { allowAll, memoryLedger, type InjectionGuard } from '../../../src/core/fault.js';
import { get, startTarget, type Target } from './helpers.js';

function harness(stateDir: string, guard: InjectionGuard = allowAll) {
  const printed: unknown[] = [];
  const ledger = memoryLedger();
  const ctx: CliContext = {
    json: true,
    configPath: 'faultline.yaml',
    config: () => ({ defaults: { ttlMs: 30_000 } }) as unknown as FaultlineConfig,
    stateDir: () => stateDir,
    ledger: () => ledger,
    guard: () => guard,
    print: (data) => void printed.push(data),
    progress: () => undefined,
  };
  const run = async (...args: string[]): Promise<unknown> => {
    const program = new Command('faultline').exitOverride();
    register(program, () => ctx);
    await program.parseAsync(args, { from: 'user' });
    return printed.at(-1);
  };
  return { run, printed, ledger };
}

describe('faultline agent / inject commands', () => {
  let t: Target;
  beforeAll(async () => {
    t = await startTarget();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('inject → errors → revert, recorded in the ledger', async () => {
    const { run, ledger } = harness(t.stateDir);
    const fault = (await run('inject', 'null', '--pid', String(t.pid), '--module', 'lib.mjs', '--fn', 'fetchPrice', '--ttl', '20s', '--probability', '1')) as { id: string; ttlMs: number; target: unknown };
    expect(fault).toMatchObject({ ttlMs: 20_000, target: { fn: 'fetchPrice', module: 'lib.mjs' } });
    expect((await get(t.port, '/total')).status).toBe(500);
    const errs = (await run('agent', 'errors', '--pid', String(t.pid), '--fault', fault.id)) as { errors: Array<{ class: string }> };
    expect(errs.errors.map((e) => e.class)).toContain('TypeError');
    const reverted = (await run('agent', 'revert', '--pid', String(t.pid))) as { reverted: Array<{ id: string }> };
    expect(reverted.reverted.map((f) => f.id)).toEqual([fault.id]);
    expect((await get(t.port, '/total')).status).toBe(200);
    expect(ledger.events.map((e) => [e.action, e.faultId, e.layer, e.outcome])).toEqual([
      ['inject', fault.id, 'agent', 'ok'],
      ['revert', fault.id, 'agent', 'ok'],
    ]);
    expect(ledger.events[0]?.target).toBe(`pid=${t.pid},fn=fetchPrice,module=lib.mjs`);
  });

  it('route faults, the only running agent and the default TTL', async () => {
    const { run } = harness(t.stateDir);
    const fault = (await run('inject', 'status', '--route', 'GET /label', '--status', '418')) as { ttlMs: number; params: unknown };
    expect(fault).toMatchObject({ ttlMs: 30_000, params: { status: 418 } });
    expect((await get(t.port, '/label')).status).toBe(418);
    const d = (await run('inject', 'delay', '--agent', t.client.address, '--fn', 'fetchPrice', '--ms', '250ms')) as { params: unknown };
    expect(d.params).toEqual({ ms: 250 });
    const faults = (await run('agent', 'faults')) as { faults: unknown[] };
    expect(faults.faults).toHaveLength(2);
    await run('agent', 'revert');
  });

  it('lists agents and functions', async () => {
    const { run } = harness(t.stateDir);
    expect(await run('agent', 'list')).toEqual([expect.objectContaining({ pid: t.pid, reachable: true })]);
    const fns = (await run('agent', 'functions', '--pid', String(t.pid))) as { functions: Array<{ names: string[] }> };
    expect(fns.functions.map((f) => f.names[0])).toContain('Cart.prototype.add');
  });

  it('bad input exits 2 with the field named; safe zones refuse and are recorded', async () => {
    const { run, ledger } = harness(t.stateDir, {
      admit: (req) => {
        if (req.target.route === '/health') throw Object.assign(new Error('refused by safeZones.routes'), { code: 'FL_ERR_SAFE_ZONE' });
      },
    });
    const fails = async (args: string[], code: string, message: RegExp) => {
      try {
        await run(...args);
      } catch (e) {
        expect((e as { code?: string }).code).toBe(code);
        expect((e as Error).message).toMatch(message);
        if (isFaultlineError(e)) expect(e.exitCode).toBe(2);
        return;
      }
      throw new Error(`expected ${args.join(' ')} to fail`);
    };
    await fails(['inject', 'delay', '--pid', String(t.pid), '--fn', 'formatLabel', '--ms', '100'], 'FL_ERR_AGENT_FAULT', /^target\.fn: delay needs a function that returns a promise/);
    await fails(['inject', 'throw', '--pid', 'abc', '--fn', 'x'], 'FL_ERR_INVALID_ARGUMENT', /^--pid:/);
    await fails(['inject', 'throw', '--pid', String(t.pid)], 'FL_ERR_INVALID_ARGUMENT', /^--fn:/);
    await fails(['inject', 'throw', '--pid', String(t.pid), '--fn', 'x', '--route', '/x'], 'FL_ERR_INVALID_ARGUMENT', /--route and --fn/);
    await fails(['inject', 'throw', '--pid', String(t.pid), '--fn', 'formatLabel', '--ttl', 'soon'], 'FL_ERR_INVALID_ARGUMENT', /^--ttl:/);
    await fails(['inject', 'throw', '--pid', '999999999', '--fn', 'formatLabel'], 'FL_ERR_AGENT_NOT_FOUND', /^--pid: process 999999999 has no agent/);
    await fails(['inject', 'abort', '--pid', String(t.pid), '--route', '/health'], 'FL_ERR_SAFE_ZONE', /safeZones/);
    expect(ledger.events.map((e) => [e.action, e.outcome])).toEqual([
      ['inject', 'error'],
      ['refuse', 'refused'],
    ]);
    expect((await t.client.faults()).faults).toEqual([]);
  });
});
