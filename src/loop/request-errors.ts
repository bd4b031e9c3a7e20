/**
 * The code behind a traffic fault. Malformed requests are not a fault inside the target, so its agent would stay
 * idle and record nothing; while such a fault is active, every agent of the run therefore holds a watch on the
 * fault's route: a route fault that never fires (kind `status`, probability 0) and ends with the traffic fault's
 * TTL. An agent with an active fault records the errors that propagate out of instrumented functions (e.g. the
 * SyntaxError of an unguarded JSON.parse, with its stack) and every 5xx answer with the last error seen while the
 * request was in flight. Afterwards those records become the traffic fault's evidence: where the error arose,
 * which the report maps to source files and the recommendation names (guard-json-parse, error-status).
 */
import type { ErrorEvidence } from '../core/run.js';
import { AgentClient } from '../inject/agent/client.js';
import type { ErrorRecord } from '../inject/agent/evidence.js';

/** How long an agent may take to answer (a busy target must not hold the run up). */
const AGENT_TIMEOUT_MS = 1500;

/** One agent's watch: start it, read what it recorded, end it. */
export interface ErrorWatch {
  errors(): Promise<ErrorRecord[]>;
  end(): Promise<void>;
}

/** Starts a watch on every reachable agent (a failing agent is skipped: evidence is best effort). */
export type StartWatches = (route: string, ttlMs: number) => Promise<ErrorWatch[]>;

/** The agents announced in `stateDir`, watched through a probability-0 route fault. */
export function agentWatches(stateDir: string): StartWatches {
  return async (route, ttlMs) => {
    const found = await AgentClient.list(stateDir, AGENT_TIMEOUT_MS).catch(() => []);
    const watches = await Promise.all(
      found
        .filter((a) => a.reachable)
        .map(async (a): Promise<ErrorWatch | undefined> => {
          const c = new AgentClient({ host: a.host, port: a.port, ...(a.token === undefined ? {} : { token: a.token }) }, AGENT_TIMEOUT_MS);
          try {
            const f = await c.inject({ kind: 'status', target: { route }, probability: 0, ttlMs, params: {}, actor: 'faultline:evidence' });
            return {
              errors: async () => (await c.errors({ faultId: f.id })).errors,
              end: async () => {
                await c.revert(f.id).catch(() => undefined);
              },
            };
          } catch {
            return undefined;
          }
        }),
    );
    return watches.filter((w): w is ErrorWatch => w !== undefined);
  };
}

/**
 * The records as evidence of the traffic fault: a 5xx answer carries the frames of the error recorded while its
 * request was in flight, so that error's own record is left out (one error, one piece of evidence).
 */
export function requestEvidence(records: readonly ErrorRecord[], faultId: string, toEvidence: (r: readonly ErrorRecord[]) => ErrorEvidence[]): ErrorEvidence[] {
  const answered = new Set(records.filter((r) => r.source === 'response' && r.relatedSeq !== undefined).map((r) => r.relatedSeq));
  return toEvidence(records.filter((r) => !answered.has(r.seq) && !r.injected)).map((e) => ({ ...e, faultId }));
}

/** Tracks the traffic faults of a run: `started` on injection, `ended` on revert, `evidence` in between or after. */
export class RequestErrors {
  private readonly watched = new Map<string, Promise<ErrorWatch[]>>();

  constructor(
    private readonly start: StartWatches,
    private readonly toEvidence: (r: readonly ErrorRecord[]) => ErrorEvidence[],
  ) {}

  async started(faultId: string, route: string, ttlMs: number): Promise<void> {
    const w = this.start(route, ttlMs).catch(() => [] as ErrorWatch[]);
    this.watched.set(faultId, w);
    await w;
  }

  async ended(faultId: string): Promise<void> {
    const w = await this.watched.get(faultId);
    await Promise.all((w ?? []).map((x) => x.end().catch(() => undefined)));
  }

  async evidence(faultId: string): Promise<ErrorEvidence[]> {
    const w = (await this.watched.get(faultId)) ?? [];
    // seq numbers are per agent: pair each 5xx with its error inside one agent's records
    const perAgent = await Promise.all(w.map((x) => x.errors().catch(() => [] as ErrorRecord[])));
    return perAgent.flatMap((records) => requestEvidence(records, faultId, this.toEvidence));
  }

  has(faultId: string): boolean {
    return this.watched.has(faultId);
  }
}
