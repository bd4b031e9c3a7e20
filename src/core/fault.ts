/** Shared vocabulary of injection: every component that applies a fault speaks these types. */

/** `traffic`: faults the load generator applies to its own requests (malformed requests mixed into the load) */
export type FaultLayer = 'proxy' | 'process' | 'agent' | 'network' | 'traffic';

export interface FaultTarget {
  service?: string;
  pid?: number;
  proxy?: string;
  route?: string;
  module?: string;
  fn?: string;
  host?: string;
}

export interface FaultRequest {
  /** e.g. 'latency', 'kill', 'pause', 'cpu', 'throw', 'packet-loss' */
  kind: string;
  layer: FaultLayer;
  target: FaultTarget;
  params: Record<string, unknown>;
  /** time-to-live, enforced by the component that applies the fault; required */
  ttlMs: number;
  actor?: string;
}

export interface ActiveFault extends FaultRequest {
  id: string;
  startedAt: number;
  expiresAt: number;
}

/** Admission control (safe zones, max concurrent faults). Throws FL_ERR_SAFE_ZONE / FL_ERR_MAX_CONCURRENT_FAULTS. */
export interface InjectionGuard {
  admit(req: FaultRequest, active: readonly ActiveFault[]): void;
}

/**
 * A layer applied by a component outside src/inject (the load generator applies `traffic` faults): the
 * InjectionEngine admits the request, then hands it over. The applier validates the params and enforces the TTL.
 */
export interface FaultApplier {
  inject(req: FaultRequest): ActiveFault;
  /** false when the fault was not active (expired or unknown) */
  revert(id: string): boolean;
  /** the faults still active (not expired) */
  active(): ActiveFault[];
}

export const allowAll: InjectionGuard = { admit: () => undefined };

export type LedgerAction = 'inject' | 'update' | 'revert' | 'expire' | 'refuse' | 'abort' | 'service';
export type LedgerOutcome = 'ok' | 'error' | 'refused';

export interface LedgerEvent {
  /** ISO-8601 */
  ts: string;
  action: LedgerAction;
  faultId: string;
  kind: string;
  layer: FaultLayer | 'supervisor';
  target: string;
  params: Record<string, unknown>;
  actor: string;
  outcome: LedgerOutcome;
  ttlMs?: number;
  detail?: string;
}

/** Where injections and reverts are recorded. The SQLite+JSONL ledger implements it; tests use memoryLedger(). */
export interface LedgerSink {
  record(event: Omit<LedgerEvent, 'ts'> & { ts?: string }): void;
}

export const nullLedger: LedgerSink = { record: () => undefined };

export function memoryLedger(): LedgerSink & { events: LedgerEvent[] } {
  const events: LedgerEvent[] = [];
  return { events, record: (e) => void events.push({ ts: new Date().toISOString(), ...e }) };
}

export function describeTarget(t: FaultTarget): string {
  return Object.entries(t)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
}

let seq = 0;
export function newFaultId(prefix = 'f'): string {
  seq = (seq + 1) % 1_000_000;
  return `${prefix}-${Date.now().toString(36)}-${process.pid.toString(36)}-${seq.toString(36)}`;
}
