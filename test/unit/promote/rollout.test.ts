import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultlineError, isFaultlineError } from '../../../src/core/errors.js';
import type { ReleaseRecord } from '../../../src/core/promote.js';
import type { ProbeResult, WatchClock, WatchOptions } from '../../../src/promote/monitor.js';
import type { AdapterOutcome, ReleaseTarget, RollbackAdapter } from '../../../src/promote/rollback/types.js';
import { promoteAndWatch, rollbackNow, type RolloutEvent } from '../../../src/promote/rollout.js';
import { appendRelease, listReleases, RELEASES_FILE } from '../../../src/store/releases.js';

/** An adapter that keeps the deployed version in memory and logs its calls. */
function memoryAdapter(o: { live?: string; deployFails?: string; rollbackFails?: string; canDeploy?: boolean } = {}) {
  const state = { live: o.live, calls: [] as string[] };
  const outcome = (action: string): AdapterOutcome => ({ adapter: 'command', actions: [action], ms: 1 });
  const adapter: RollbackAdapter = {
    name: 'command',
    async rollback(to: ReleaseTarget, from: ReleaseTarget) {
      state.calls.push(`rollback ${from.version} → ${to.version}${to.artifact ? ` (${to.artifact})` : ''}`);
      if (o.rollbackFails) throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', o.rollbackFails);
      state.live = to.version;
      return outcome(`live → ${to.version}`);
    },
  };
  if (o.canDeploy !== false) {
    adapter.deploy = async (to: ReleaseTarget) => {
      state.calls.push(`deploy ${to.version}`);
      if (o.deployFails) throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', o.deployFails);
      state.live = to.version;
      return outcome(`live → ${to.version}`);
    };
  }
  return { adapter, state };
}

function fakeClock(): WatchClock {
  let t = 0;
  return { now: () => t, sleep: async (ms) => void (t += ms) };
}

/** A watch whose probe reads the live version of the adapter and judges it by a table of error rates. */
function watchOf(state: { live?: string | undefined }, errorRateOf: Record<string, number>): WatchOptions {
  return {
    windowMs: 10_000,
    intervalMs: 1000,
    failAfter: 2,
    criteria: { maxErrorRate: 0.01 },
    clock: fakeClock(),
    probe: async (): Promise<ProbeResult> => ({ errorRate: errorRateOf[state.live ?? ''] ?? 1 }),
  };
}

let seq = 0;
const rel = (version: string, extra: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  id: `api-${version}-${++seq}`,
  module: 'api',
  version,
  decision: 'promote',
  fis: 0.2,
  coverage: 90,
  requiredCoverage: 80,
  status: 'promoted',
  at: new Date(Date.UTC(2025, 0, 1, 0, seq)).toISOString(),
  ...extra,
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  return isFaultlineError(e) ? e.code : e === undefined ? undefined : String(e);
}

describe('promoteAndWatch', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'fl-rollout-'));
    dirs.push(d);
    return d;
  };
  const now = () => Date.parse('2025-03-01T12:00:00.000Z');

  it('deploys, watches a good release and records it stable (promoted first, then stable)', async () => {
    const dir = tmp();
    const { adapter, state } = memoryAdapter({ live: '1.0.0' });
    const events: RolloutEvent[] = [];
    const r = await promoteAndWatch({ stateDir: dir, release: rel('2.0.0'), adapter, deploy: true, watch: watchOf(state, { '2.0.0': 0 }), now, onProgress: (e) => events.push(e) });
    expect(r.release.status).toBe('stable');
    expect(r.verdict?.ok).toBe(true);
    expect(r.rolledBackTo).toBeUndefined();
    expect(r.deploy?.actions).toEqual(['live → 2.0.0']);
    expect(state.calls).toEqual(['deploy 2.0.0']);
    const lines = readFileSync(join(dir, RELEASES_FILE), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as ReleaseRecord).status);
    expect(lines).toEqual(['promoted', 'stable']);
    expect(listReleases(dir).map((x) => x.status)).toEqual(['stable']);
    expect(events.map((e) => e.step).filter((s) => s !== 'sample')).toEqual(['recorded', 'deploying', 'deployed', 'watching', 'stable']);
    expect(events.filter((e) => e.step === 'sample')).toHaveLength(10);
  });

  it('rolls a failing release back to the previous stable one and records it rolled-back', async () => {
    const dir = tmp();
    const v1 = rel('1.0.0', { status: 'stable', artifact: 'releases/1.0.0' });
    appendRelease(dir, v1);
    appendRelease(dir, rel('1.5.0', { status: 'rolled-back', rollback: { at: '2025-01-01T00:00:00.000Z', reason: 'x', adapter: 'command', to: v1.id } }));
    const { adapter, state } = memoryAdapter({ live: '1.0.0' });
    const r = await promoteAndWatch({ stateDir: dir, release: rel('2.0.0'), adapter, deploy: true, watch: watchOf(state, { '1.0.0': 0, '2.0.0': 0.42 }), now });
    expect(r.verdict).toMatchObject({ ok: false, reason: 'error rate 0.42 > 0.01 for 2 samples', failedAtMs: 1000 });
    expect(r.failure).toBe('error rate 0.42 > 0.01 for 2 samples');
    expect(state.calls).toEqual(['deploy 2.0.0', 'rollback 2.0.0 → 1.0.0 (releases/1.0.0)']);
    expect(state.live).toBe('1.0.0');
    expect(r.rolledBackTo?.id).toBe(v1.id);
    expect(r.rollback?.actions).toEqual(['live → 1.0.0']);
    expect(r.release).toMatchObject({ status: 'rolled-back', rollback: { at: '2025-03-01T12:00:00.000Z', reason: 'error rate 0.42 > 0.01 for 2 samples', to: v1.id, adapter: 'command' } });
    expect(listReleases(dir, { module: 'api' }).map((x) => `${x.version}:${x.status}`)).toEqual(['1.0.0:stable', '1.5.0:rolled-back', '2.0.0:rolled-back']);
  });

  it('with no earlier stable release: records rolled-back with the reason, then throws FL_ERR_ROLLBACK_NO_PREVIOUS', async () => {
    const dir = tmp();
    const { adapter, state } = memoryAdapter();
    const release = rel('1.0.0');
    const code = await codeOf(promoteAndWatch({ stateDir: dir, release, adapter, deploy: true, watch: watchOf(state, {}), now }));
    expect(code).toBe('FL_ERR_ROLLBACK_NO_PREVIOUS');
    expect(state.calls).toEqual(['deploy 1.0.0']);
    const [recorded] = listReleases(dir);
    expect(recorded).toMatchObject({ id: release.id, status: 'rolled-back', rollback: { adapter: 'command' } });
    expect(recorded?.rollback?.reason).toMatch(/^error rate 1 > 0\.01 for 2 samples; no earlier stable release/);
    expect(recorded?.rollback?.to).toBeUndefined();
  });

  it('when the adapter cannot roll back: records the failed attempt on the still-promoted release and throws FL_ERR_ROLLBACK_FAILED', async () => {
    const dir = tmp();
    const v1 = rel('1.0.0', { status: 'stable' });
    appendRelease(dir, v1);
    const { adapter, state } = memoryAdapter({ live: '1.0.0', rollbackFails: 'kubectl exited 1: Error from server (NotFound)' });
    const release = rel('2.0.0');
    expect(await codeOf(promoteAndWatch({ stateDir: dir, release, adapter, deploy: true, watch: watchOf(state, { '2.0.0': 0.5 }), now }))).toBe('FL_ERR_ROLLBACK_FAILED');
    const recorded = listReleases(dir).find((x) => x.id === release.id);
    expect(recorded?.status).toBe('promoted');
    expect(recorded?.rollback?.to).toBe(v1.id);
    expect(recorded?.rollback?.reason).toContain('the rollback to 1.0.0 failed: kubectl exited 1: Error from server (NotFound)');
  });

  it('a failed deploy is rolled back like a failed watch, without watching', async () => {
    const dir = tmp();
    const v1 = rel('1.0.0', { status: 'stable' });
    appendRelease(dir, v1);
    const { adapter, state } = memoryAdapter({ live: '1.0.0', deployFails: 'restart failed: port in use' });
    let probed = 0;
    const watch = { ...watchOf(state, {}), probe: async () => (probed++, { errorRate: 0 }) };
    const r = await promoteAndWatch({ stateDir: dir, release: rel('2.0.0'), adapter, deploy: true, watch, now });
    expect(probed).toBe(0);
    expect(r.verdict).toBeUndefined();
    expect(r.failure).toBe('deploy failed: restart failed: port in use');
    expect(r.release).toMatchObject({ status: 'rolled-back', rollback: { to: v1.id, reason: 'deploy failed: restart failed: port in use' } });
    expect(state.calls).toEqual(['deploy 2.0.0', 'rollback 2.0.0 → 1.0.0']);
  });

  it('without deploy it only watches what was deployed by other means', async () => {
    const dir = tmp();
    const { adapter, state } = memoryAdapter({ live: '2.0.0', canDeploy: false });
    const r = await promoteAndWatch({ stateDir: dir, release: rel('2.0.0'), adapter, deploy: false, watch: watchOf(state, { '2.0.0': 0 }), now });
    expect(r.release.status).toBe('stable');
    expect(state.calls).toEqual([]);
  });

  it('without a watch the release is stable once deployed', async () => {
    const dir = tmp();
    const { adapter } = memoryAdapter();
    const r = await promoteAndWatch({ stateDir: dir, release: rel('2.0.0'), adapter, deploy: true, now });
    expect(r.release.status).toBe('stable');
    expect(r.verdict).toBeUndefined();
  });

  it('an interrupted watch leaves the release promoted and rolls nothing back', async () => {
    const dir = tmp();
    appendRelease(dir, rel('1.0.0', { status: 'stable' }));
    const { adapter, state } = memoryAdapter({ live: '1.0.0' });
    const ac = new AbortController();
    const watch = { ...watchOf(state, { '2.0.0': 0.9 }), failAfter: 5, signal: ac.signal, onSample: () => ac.abort() };
    const r = await promoteAndWatch({ stateDir: dir, release: rel('2.0.0'), adapter, deploy: true, watch, now });
    expect(r.verdict?.aborted).toBe(true);
    expect(r.release.status).toBe('promoted');
    expect(state.calls).toEqual(['deploy 2.0.0']);
    expect(listReleases(dir).map((x) => x.status)).toEqual(['stable', 'promoted']);
  });

  it('refuses a release the gate did not let through, an adapter that cannot deploy, and bad watch options — recording nothing', async () => {
    const dir = tmp();
    const { adapter, state } = memoryAdapter({ canDeploy: false });
    expect(await codeOf(promoteAndWatch({ stateDir: dir, release: rel('2.0.0', { decision: 'blocked', requiredCoverage: null }), adapter, deploy: false }))).toBe('FL_ERR_RELEASE_RECORD_INVALID');
    expect(await codeOf(promoteAndWatch({ stateDir: dir, release: rel('2.0.0'), adapter, deploy: true }))).toBe('FL_ERR_ROLLBACK_FAILED');
    expect(await codeOf(promoteAndWatch({ stateDir: dir, release: rel('2.0.0'), adapter, deploy: false, watch: { ...watchOf(state, {}), intervalMs: 0 } }))).toBe('FL_ERR_INVALID_ARGUMENT');
    expect(listReleases(dir)).toEqual([]);
  });
});

describe('rollbackNow', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'fl-rollback-now-'));
    dirs.push(d);
    return d;
  };

  it('rolls the live release back to the stable one before it and records why', async () => {
    const dir = tmp();
    const v1 = rel('1.0.0', { status: 'stable' });
    const v2 = rel('2.0.0', { status: 'stable' });
    appendRelease(dir, v1);
    appendRelease(dir, v2);
    appendRelease(dir, rel('w', { module: 'web', status: 'stable' }));
    const { adapter, state } = memoryAdapter({ live: '2.0.0' });
    const r = await rollbackNow(dir, 'api', adapter, 'manual: checkout broken', { now: () => Date.parse('2025-04-01T00:00:00Z') });
    expect(state.calls).toEqual(['rollback 2.0.0 → 1.0.0']);
    expect(r.rolledBackTo.id).toBe(v1.id);
    expect(r.release).toMatchObject({ id: v2.id, status: 'rolled-back', rollback: { reason: 'manual: checkout broken', to: v1.id, adapter: 'command', at: '2025-04-01T00:00:00.000Z' } });
    // again: now 1.0.0 is live, and there is nothing before it — nothing is recorded
    expect(await codeOf(rollbackNow(dir, 'api', adapter, 'again'))).toBe('FL_ERR_ROLLBACK_NO_PREVIOUS');
    expect(listReleases(dir, { module: 'api' }).map((x) => x.status)).toEqual(['stable', 'rolled-back']);
  });

  it('FL_ERR_RELEASE_NOT_FOUND when nothing of the module is live', async () => {
    const dir = tmp();
    appendRelease(dir, rel('1.0.0', { status: 'rejected', decision: 'insufficient-coverage' }));
    expect(await codeOf(rollbackNow(dir, 'api', memoryAdapter().adapter, 'x'))).toBe('FL_ERR_RELEASE_NOT_FOUND');
  });
});
