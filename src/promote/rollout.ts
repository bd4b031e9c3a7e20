/**
 * Promotion with a safety net: record the promotion, deploy it through the rollback adapter (when asked), watch
 * the service for the window, then record the release as 'stable' — or roll back to the previous stable release
 * and record this one as 'rolled-back'. `rollbackNow` is the manual `faultline rollback <module>`.
 *
 * Everything that touches the world is injected: the adapter, and the watch's probe.
 */
import { FaultlineError, isFaultlineError } from '../core/errors.js';
import type { ReleaseRecord } from '../core/promote.js';
import { appendRelease, listReleases, previousStable } from '../store/releases.js';
import { checkWatchOptions, watchRelease, type WatchOptions, type WatchSample, type WatchVerdict } from './monitor.js';
import { targetOf, type AdapterOutcome, type RollbackAdapter } from './rollback/types.js';

export type RolloutStep = 'recorded' | 'deploying' | 'deployed' | 'watching' | 'sample' | 'stable' | 'failed' | 'rolling-back' | 'rolled-back';

export interface RolloutEvent {
  step: RolloutStep;
  message: string;
  sample?: WatchSample;
}

export interface PromoteAndWatchOptions {
  stateDir: string;
  /** the gate's 'promote' decision for this release; recorded with status 'promoted' */
  release: ReleaseRecord;
  adapter: RollbackAdapter;
  /** switch the module to the release through the adapter first (false: it was deployed by other means) */
  deploy: boolean;
  /** the monitoring window; absent: nothing to watch, the release is stable once recorded (and deployed) */
  watch?: WatchOptions;
  /** epoch ms; default Date.now */
  now?: () => number;
  onProgress?: (e: RolloutEvent) => void;
}

export interface RolloutResult {
  /** the release as last recorded */
  release: ReleaseRecord;
  verdict?: WatchVerdict;
  /** the release rolled back to */
  rolledBackTo?: ReleaseRecord;
  deploy?: AdapterOutcome;
  rollback?: AdapterOutcome;
  /** why the release failed (the watch's reason, or the deploy error) */
  failure?: string;
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const iso = (now: () => number): string => new Date(now()).toISOString();

/**
 * Promotes `release` and watches it. Resolves with the release 'stable', 'rolled-back' (with `rolledBackTo`),
 * or still 'promoted' when the watch was interrupted through its signal. Throws FL_ERR_ROLLBACK_NO_PREVIOUS
 * (after recording the release 'rolled-back' with the reason) when it failed and there is no stable release to
 * return to, and FL_ERR_ROLLBACK_FAILED (after recording the failed attempt on the still-'promoted' release)
 * when the adapter could not roll back.
 */
export async function promoteAndWatch(o: PromoteAndWatchOptions): Promise<RolloutResult> {
  const now = o.now ?? Date.now;
  const emit = (step: RolloutStep, message: string, sample?: WatchSample): void => o.onProgress?.({ step, message, ...(sample ? { sample } : {}) });
  if (o.release.decision !== 'promote') {
    throw new FaultlineError('FL_ERR_RELEASE_RECORD_INVALID', `release ${o.release.id}: decision is ${o.release.decision}, not promote; only a release the gate let through is promoted`, { context: { field: 'decision' } });
  }
  if (o.deploy && !o.adapter.deploy) throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', `the ${o.adapter.name} adapter cannot deploy; deploy ${o.release.module} ${o.release.version} by other means and promote without deploying`, { context: { adapter: o.adapter.name } });
  if (o.watch) checkWatchOptions(o.watch);
  const promoted: ReleaseRecord = { ...o.release, status: 'promoted' };
  delete promoted.rollback;
  appendRelease(o.stateDir, promoted);
  emit('recorded', `${promoted.module} ${promoted.version} recorded as promoted (${promoted.id})`);
  const out: RolloutResult = { release: promoted };

  let failure: string | undefined;
  if (o.deploy && o.adapter.deploy) {
    emit('deploying', `deploying ${promoted.module} ${promoted.version} with the ${o.adapter.name} adapter`);
    try {
      out.deploy = await o.adapter.deploy(targetOf(promoted));
      emit('deployed', out.deploy.actions.join('; '));
    } catch (e) {
      // a half-done deploy (link switched, restart failed; image set, rollout stuck) is rolled back like a failed watch
      failure = `deploy failed: ${errText(e)}`;
    }
  }

  if (failure === undefined && o.watch) {
    const w = o.watch;
    emit('watching', `watching ${promoted.module} ${promoted.version} for ${w.windowMs} ms`);
    out.verdict = await watchRelease({
      ...w,
      onSample: (s, so) => {
        w.onSample?.(s, so);
        emit('sample', s.violations && s.violations.length > 0 ? `bad sample: ${s.violations.join('; ')}` : 'good sample', s);
      },
    });
    if (out.verdict.aborted) return out;
    if (!out.verdict.ok) failure = out.verdict.reason ?? 'the watch failed';
  }

  if (failure === undefined) {
    out.release = { ...promoted, status: 'stable' };
    appendRelease(o.stateDir, out.release);
    emit('stable', `${promoted.module} ${promoted.version} is stable`);
    return out;
  }

  out.failure = failure;
  emit('failed', `${promoted.module} ${promoted.version} failed: ${failure}`);
  const back = await rollBack(o.stateDir, promoted, o.adapter, failure, now, emit, true);
  return { ...out, ...back };
}

async function rollBack(
  stateDir: string,
  from: ReleaseRecord,
  adapter: RollbackAdapter,
  reason: string,
  now: () => number,
  emit: (step: RolloutStep, message: string) => void,
  recordWithoutPrevious: boolean,
): Promise<{ release: ReleaseRecord; rolledBackTo: ReleaseRecord; rollback: AdapterOutcome }> {
  const prev = previousStable(stateDir, from.module, from.id);
  if (prev === undefined) {
    if (recordWithoutPrevious) appendRelease(stateDir, { ...from, status: 'rolled-back', rollback: { at: iso(now), reason: `${reason}; no earlier stable release to roll back to`, adapter: adapter.name } });
    throw new FaultlineError('FL_ERR_ROLLBACK_NO_PREVIOUS', `${from.module} ${from.version} should be rolled back (${reason}), but the registry has no earlier stable release of ${from.module}; promote the known-good version, or fix forward`, { context: { module: from.module, release: from.id, reason } });
  }
  emit('rolling-back', `rolling ${from.module} back from ${from.version} to ${prev.version} with the ${adapter.name} adapter`);
  let outcome: AdapterOutcome;
  try {
    outcome = await adapter.rollback(targetOf(prev), targetOf(from));
  } catch (e) {
    const msg = errText(e);
    // the failed attempt is recorded on the release, which is still the one deployed
    appendRelease(stateDir, { ...from, rollback: { at: iso(now), reason: `${reason}; the rollback to ${prev.version} failed: ${msg}`, to: prev.id, adapter: adapter.name } });
    if (isFaultlineError(e, 'FL_ERR_ROLLBACK_FAILED')) throw e;
    throw new FaultlineError('FL_ERR_ROLLBACK_FAILED', `${adapter.name}: rolling ${from.module} back to ${prev.version} failed: ${msg}`, { cause: e, context: { adapter: adapter.name } });
  }
  const release: ReleaseRecord = { ...from, status: 'rolled-back', rollback: { at: iso(now), reason, to: prev.id, adapter: adapter.name } };
  appendRelease(stateDir, release);
  emit('rolled-back', `${from.module} rolled back to ${prev.version}: ${outcome.actions.join('; ')}`);
  return { release, rolledBackTo: prev, rollback: outcome };
}

export interface RollbackNowResult {
  /** the release that was rolled back, as recorded */
  release: ReleaseRecord;
  rolledBackTo: ReleaseRecord;
  rollback: AdapterOutcome;
}

/**
 * `faultline rollback <module>`: rolls the module's live release (its newest 'promoted' or 'stable' one) back to
 * the stable release before it and records it 'rolled-back'. FL_ERR_RELEASE_NOT_FOUND when nothing of the
 * module is live; FL_ERR_ROLLBACK_NO_PREVIOUS (nothing recorded) when there is no earlier stable release.
 */
export async function rollbackNow(stateDir: string, module: string, adapter: RollbackAdapter, reason: string, o: { now?: () => number; onProgress?: (e: RolloutEvent) => void } = {}): Promise<RollbackNowResult> {
  const live = listReleases(stateDir, { module }).filter((r) => r.status === 'promoted' || r.status === 'stable').at(-1);
  if (live === undefined) throw new FaultlineError('FL_ERR_RELEASE_NOT_FOUND', `no promoted or stable release of ${module} in the registry, so nothing to roll back; \`faultline promote ${module}\` records one`, { context: { module } });
  const emit = (step: RolloutStep, message: string): void => o.onProgress?.({ step, message });
  return rollBack(stateDir, live, adapter, reason, o.now ?? Date.now, emit, false);
}
