/**
 * Detached TTL guard for one L3 fault: `node guard.js <faultId> <base64url spec>`.
 * Started by applyNetworkFault in its own session with stdio ignored, so a SIGKILL of the controller does not
 * reach it. At expiresAt it removes the fault's tables/chains/qdiscs, drops the fault from the namespace record
 * and appends an `expire` LedgerEvent line to <stateDir>/events.jsonl. SIGTERM (sent by revert) ends it quietly.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { appendEvent } from '../../store/ledger.js';
import { join } from 'node:path';
import type { LedgerEvent } from '../../core/fault.js';
import { systemRunner } from './exec.js';
import { decodeGuardSpec } from './guard-spec.js';
import { removeArtifacts } from './removal.js';
import { netnsDir, updateRecord } from './state.js';

const MAX_TIMER_MS = 2_000_000_000;

async function sleepUntil(t: number): Promise<void> {
  for (;;) {
    const left = t - Date.now();
    if (left <= 0) return;
    await new Promise((r) => setTimeout(r, Math.min(left, MAX_TIMER_MS)));
  }
}

async function main(): Promise<void> {
  const arg = process.argv[3];
  if (arg === undefined) throw new Error('usage: guard.js <faultId> <spec>');
  const spec = decodeGuardSpec(arg);
  process.on('SIGTERM', () => process.exit(0));
  await sleepUntil(spec.expiresAt);
  const { removed, errors } = await removeArtifacts(systemRunner, { name: spec.nsName }, spec.artifacts);
  await updateRecord(spec.stateDir, spec.nsName, (rec) => ({ ...rec, faults: rec.faults.filter((f) => f.fault.id !== spec.faultId) }));
  const event: LedgerEvent = {
    ...spec.event,
    ts: new Date().toISOString(),
    action: 'expire',
    outcome: errors.length === 0 ? 'ok' : 'error',
    detail: errors.length === 0 ? `TTL guard removed ${removed} artifact(s)` : errors.join('; '),
  };
  appendEvent(spec.stateDir, event);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    try {
      const spec = decodeGuardSpec(process.argv[3] ?? '');
      mkdirSync(netnsDir(spec.stateDir), { recursive: true });
      appendFileSync(join(netnsDir(spec.stateDir), 'guard-errors.log'), `${new Date().toISOString()} ${spec.faultId} ${String(err)}\n`);
    } finally {
      process.exit(1);
    }
  },
);
