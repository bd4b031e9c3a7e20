/**
 * The code behind a fault on a dependency link. A proxy toxic (latency, 503s, resets) acts on the connection to a
 * dependency; what the service did about it happened at the call sites that use that link. While such a fault is
 * active, every agent of the run records the target's outbound HTTP calls with their call sites (the agent's
 * outbound watch, src/inject/agent/outbound.ts); afterwards the calls to the link's listen address made while the
 * fault was active become evidence (`source: 'dependency-call'`), one per call site, with their count, latency and
 * failures. The report maps them to source files, and the recommendation for the fault (e.g. add-timeout for a
 * latency fault) names that call site.
 */
import type { ErrorEvidence } from '../core/run.js';
import { AgentClient } from '../inject/agent/client.js';
import { normalOrigin, type OutboundSite } from '../inject/agent/outbound.js';

/** `source` of the evidence this module produces. */
export const DEPENDENCY_CALL = 'dependency-call';

export interface DependencyLink {
  name: string;
  /** host:port the service calls (the proxy link's listen address) */
  listen: string;
}

/** How agents are found and asked (the real ones: AgentClient over <stateDir>/agents). */
export interface OutboundSource {
  watch(ttlMs: number): Promise<void>;
  sites(origin: string, since: number, until: number): Promise<OutboundSite[]>;
}

/** How long an agent may take to answer (a paused or busy target must not hold the run up). */
const AGENT_TIMEOUT_MS = 1500;

/** Every reachable agent announced in `stateDir`; a failing agent is skipped (evidence is best effort). */
export function agentsOf(stateDir: string): OutboundSource {
  const clients = async (): Promise<AgentClient[]> =>
    (await AgentClient.list(stateDir, AGENT_TIMEOUT_MS).catch(() => []))
      .filter((a) => a.reachable)
      .map((a) => new AgentClient({ host: a.host, port: a.port, ...(a.token === undefined ? {} : { token: a.token }) }, AGENT_TIMEOUT_MS));
  return {
    async watch(ttlMs) {
      await Promise.all((await clients()).map((c) => c.watchOutbound(ttlMs).catch(() => undefined)));
    },
    async sites(origin, since, until) {
      const answers = await Promise.all((await clients()).map((c) => c.outbound({ origin, since, until }).catch(() => undefined)));
      return answers.flatMap((a) => a?.sites ?? []);
    },
  };
}

const ms = (v: number): string => `${Math.round(v)} ms`;

/** One evidence record per call site. */
export function siteEvidence(link: DependencyLink, sites: readonly OutboundSite[], faultId: string): ErrorEvidence[] {
  return sites.map((s) => {
    const failures = Object.entries(s.failures)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ');
    const message = `${s.calls} call${s.calls === 1 ? '' : 's'} to ${link.name} (${link.listen}) while the fault was active: mean ${ms(s.meanMs)}, p99 ${ms(s.p99Ms)}, max ${ms(s.maxMs)}${s.failed > 0 ? `; ${s.failed} failed (${failures})` : ''}`;
    return {
      at: s.firstAt,
      message,
      source: DEPENDENCY_CALL,
      frames: s.frame ? [{ file: s.frame.file, line: s.frame.line, col: s.frame.column, ...(s.frame.fn ? { fn: s.frame.fn } : {}), app: true }] : [],
      ...(s.frame?.fn ? { fn: s.frame.fn } : {}),
      faultId,
    };
  });
}

interface Watched {
  link: DependencyLink;
  since: number;
  until?: number;
}

/**
 * Tracks the proxy faults of a run: `started` when one is injected (starts the agents' watch for its TTL),
 * `ended` when it is reverted, `evidence` for the calls to its link in between.
 */
export class DependencyCalls {
  private readonly faults = new Map<string, Watched>();

  constructor(
    private readonly links: readonly DependencyLink[],
    private readonly source: OutboundSource,
    private readonly now: () => number = Date.now,
  ) {}

  /** A proxy fault was injected on link `proxy`. */
  async started(faultId: string, proxy: string, ttlMs: number): Promise<void> {
    const link = this.links.find((l) => l.name === proxy);
    if (!link) return;
    this.faults.set(faultId, { link: { name: link.name, listen: normalOrigin(link.listen) }, since: this.now() });
    await this.source.watch(ttlMs).catch(() => undefined);
  }

  ended(faultId: string): void {
    const w = this.faults.get(faultId);
    if (w && w.until === undefined) w.until = this.now();
  }

  /** Evidence of the calls made to the fault's link while it was active (until now when it still is). */
  async evidence(faultId: string): Promise<ErrorEvidence[]> {
    const w = this.faults.get(faultId);
    if (!w) return [];
    const sites = await this.source.sites(w.link.listen, w.since, w.until ?? this.now()).catch(() => [] as OutboundSite[]);
    return siteEvidence(w.link, sites, faultId);
  }

  has(faultId: string): boolean {
    return this.faults.has(faultId);
  }
}
