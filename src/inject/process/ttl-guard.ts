/**
 * The TTL guard: a small detached process, one per active process fault, started as
 * `node dist/inject/process/ttl-guard.js <stateDir>/faults/<id>.json`. At the fault's expiresAt it claims the
 * fault file, executes its revert plan, appends an `expire` event to <stateDir>/events.jsonl and exits. It
 * does not depend on the controller, so a `kill -9` of the controller still ends the fault at its TTL. An early
 * revert claims the file first and sends this process SIGTERM (its default action, exiting, is what we want).
 */
import { basename } from 'node:path';
import { describeTarget } from '../../core/fault.js';
import { claimFault, finishClaim, forgetGuard, type FaultFile } from './active.js';
import { executePlan } from './plan.js';
import { appendEvent } from '../../store/ledger.js';
import { readJson } from './state.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

async function expire({ stateDir, fault }: FaultFile): Promise<void> {
  const f = claimFault(stateDir, fault.id);
  forgetGuard(stateDir, fault.id);
  if (!f) return; // reverted early by someone else
  const { lines, errors } = await executePlan(f.plan);
  appendEvent(stateDir, {
    action: 'expire',
    faultId: fault.id,
    kind: fault.kind,
    layer: 'process',
    target: describeTarget(fault.target),
    params: fault.params,
    actor: 'ttl-guard',
    outcome: errors.length === 0 ? 'ok' : 'error',
    ttlMs: fault.ttlMs,
    detail: [...lines, ...errors].join('; '),
  });
  finishClaim(stateDir, fault.id);
}

function waitUntil(at: number, then: () => void): void {
  const left = at - Date.now();
  if (left <= 0) then();
  else setTimeout(() => waitUntil(at, then), Math.min(left, MAX_TIMER_MS));
}

const file = process.argv[2];
if (!file || !basename(file).endsWith('.json')) {
  process.stderr.write('usage: ttl-guard.js <stateDir>/faults/<id>.json\n');
  process.exit(2);
}
const written = readJson<FaultFile>(file);
if (written) {
  process.title = `faultline-ttl-guard ${written.fault.id}`;
  waitUntil(written.fault.expiresAt, () => {
    expire(written).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
