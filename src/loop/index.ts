/**
 * `faultline loop`: the whole loop on one target, as far as the stages exist. Today: inject + observe.
 * It starts the proxy links and the services of faultline.yaml, measures a baseline under open-loop load, then
 * for each fault-profile entry injects the fault, measures its effect, reverts it, and measures the recovery.
 * Every fault is reverted on the way out, on SIGINT/SIGTERM too, and every step is in the ledger.
 */
import type { FaultlineConfig, FaultProfileEntry } from '../core/config-types.js';
import { FaultlineError } from '../core/errors.js';
import type { FaultRequest, InjectionGuard, LedgerSink } from '../core/fault.js';
import { InjectionEngine } from '../inject/engine.js';
import { Supervisor } from '../inject/process/index.js';
import { ProxyRegistry } from '../inject/proxy/index.js';
import { runLoad, summarize, type LoadSummary, type RequestSample } from '../observe/load.js';

export interface LoopOptions {
  config: FaultlineConfig;
  stateDir: string;
  ledger: LedgerSink;
  guard: InjectionGuard;
  /** load duration while a fault is active (default 3 s) */
  phaseMs?: number;
  /** load duration after each revert (default 1.5 s) */
  recoveryMs?: number;
  /** reports progress lines */
  onProgress?: (line: string) => void;
  /** aborts the run (reverting everything) */
  signal?: AbortSignal;
}

export interface PhaseResult {
  phase: string;
  fault?: { id: string; service: string; layer: string; kind: string; params: Record<string, unknown> };
  during: LoadSummary;
  after?: LoadSummary;
  reverted?: string;
  /** for agent faults: errors the target threw while the fault was active, with their top app frame */
  evidence?: { count: number; top?: string };
  /** a halt condition that tripped during this phase */
  halted?: string;
  error?: string;
}

export interface LoopResult {
  target: string;
  stages: { name: string; ran: boolean; note?: string }[];
  seed?: number;
  phases: PhaseResult[];
  ledgerEvents: number;
  aborted: boolean;
}

function describe(entry: FaultProfileEntry): string {
  const p = Object.entries(entry.params)
    .filter(([k]) => k !== 'body' && k !== 'message')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  const where = entry.target.proxy ? `link ${entry.target.proxy}` : entry.target.fn ? `${entry.target.fn}()` : '';
  return [entry.layer, entry.kind, p, where].filter(Boolean).join(' ');
}

/** Runs the loop; services and the proxy are started and stopped here. */
export async function runLoop(o: LoopOptions): Promise<LoopResult> {
  const { config } = o;
  const phaseMs = o.phaseMs ?? 3000;
  const recoveryMs = o.recoveryMs ?? 1500;
  const say = o.onProgress ?? (() => undefined);
  let ledgerEvents = 0;
  const ledger: LedgerSink = { record: (e) => (ledgerEvents++, o.ledger.record(e)) };
  const proxies = new ProxyRegistry({ guard: o.guard, ledger, actor: 'loop', ...(config.defaults.seed !== undefined ? { seed: config.defaults.seed } : {}) });
  const services = new Supervisor({ services: config.services, stateDir: o.stateDir, ledger, actor: 'loop' });
  const engine = new InjectionEngine({ stateDir: o.stateDir, ledger, guard: o.guard, services, proxies, actor: 'loop' });
  const phases: PhaseResult[] = [];
  let aborted = false;
  const load = config.load;

  /**
   * Runs the load for `ms`. With `watch`, halt conditions are checked every 250 ms over the last second of
   * samples; when one trips, the load stops and `watch` is called at once (so the fault is reverted within a second).
   */
  const measure = async (ms: number, watch?: (why: string) => void): Promise<LoadSummary & { halted?: string }> => {
    if (!load) {
      await new Promise((r) => setTimeout(r, ms));
      return summarize([], ms);
    }
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const recent: RequestSample[] = [];
    let why: string | undefined;
    const t0 = performance.now();
    const timer = watch
      ? setInterval(() => {
          const now = performance.now() - t0;
          while (recent.length > 0 && (recent[0] as RequestSample).at < now - 1000 - load.timeoutMs) recent.shift();
          const window = recent.filter((r) => r.at + r.latencyMs >= now - 1000);
          if (why === undefined && window.length >= 5) {
            why = haltReason(config, summarize(window, 1000));
            if (why !== undefined) {
              stop.abort();
              watch(why);
            }
          }
        }, 250)
      : undefined;
    try {
      const samples = await runLoad({ url: load.url, method: load.method, ...(load.body !== undefined ? { body: load.body } : {}), ratePerSec: load.ratePerSec, durationMs: ms, timeoutMs: load.timeoutMs, signal: stop.signal, onSample: (r) => recent.push(r) });
      return { ...summarize(samples, ms), ...(why ? { halted: why } : {}) };
    } finally {
      if (timer) clearInterval(timer);
      o.signal?.removeEventListener('abort', onAbort);
      // an interruption stops the phase now; the caller's finally reverts every fault
      if (o.signal?.aborted) throw new FaultlineError('FL_ERR_INTERRUPTED', 'interrupted');
    }
  };
  try {
    for (const link of config.proxy.proxies) {
      await proxies.createProxy({ name: link.name, listen: link.listen, upstream: link.upstream });
      say(`proxy link ${link.name}: ${link.listen} → ${link.upstream}`);
    }
    say(`starting services: ${Object.keys(config.services).join(', ')}`);
    await services.start();
    const base = await measure(phaseMs);
    phases.push({ phase: 'baseline', during: base });
    say(`baseline: ${fmt(base)}`);

    for (const [service, entries] of Object.entries(config.profiles)) {
      for (const entry of entries) {
        if (o.signal?.aborted) throw new FaultlineError('FL_ERR_INTERRUPTED', 'interrupted');
        const name = `${service}: ${describe(entry)}`;
        const req: FaultRequest = {
          kind: entry.kind,
          layer: entry.layer,
          target: { service, ...entry.target },
          params: entry.layer === 'agent' ? { probability: entry.intensity, ...entry.params } : entry.layer === 'proxy' ? { toxicity: entry.intensity, ...entry.params } : entry.params,
          // the fault lasts the phase; its TTL (enforced where it is applied) is a little longer, within the profile
          ttlMs: Math.min(entry.durationMs, phaseMs + 1000),
          actor: 'loop',
        };
        const result: PhaseResult = { phase: name, during: summarize([], 0) };
        let id: string | undefined;
        try {
          const injected = await engine.inject(req);
          id = injected.fault.id;
          result.fault = { id, service, layer: entry.layer, kind: entry.kind, params: entry.params };
          say(`inject ${name} (ttl ${req.ttlMs} ms, id ${id})`);
          const faultId = id;
          const during = await measure(phaseMs, (why) => {
            say(`  HALT: ${why}: reverting now`);
            void engine.revert(faultId).catch(() => undefined);
          });
          result.during = during;
          if (during.halted) result.halted = during.halted;
          if (entry.layer === 'agent') {
            const ev = await engine.evidence(id).catch(() => undefined);
            if (ev) {
              // one record per thrown error (responses that carried one are linked to it, not counted again)
              const thrown = ev.errors.filter((e) => e.source !== 'response');
              const first = thrown[0];
              const frame = first?.frames.find((f) => f.app);
              const where = first?.fn ? `${first.fn}() in ${(first.module ?? '').split('/').slice(-2).join('/')}` : frame ? `${frame.file.split('/').slice(-2).join('/')}:${frame.line}` : undefined;
              result.evidence = { count: thrown.length, ...(where ? { top: where } : {}) };
            }
          }
          if (!result.halted) await engine.revert(id);
          result.reverted = entry.kind === 'kill' ? 'restarted' : 'yes';
        } catch (e) {
          if (o.signal?.aborted) throw e;
          result.error = (e as Error).message;
          if (id) await engine.revert(id).catch(() => undefined);
        }
        // a killed or paused service needs a moment; the recovery window shows how long
        result.after = await measure(recoveryMs);
        say(`  during: ${fmt(result.during)}${result.halted ? `  HALT: ${result.halted}` : ''}`);
        say(`  after revert: ${fmt(result.after)}`);
        phases.push(result);
        if (result.halted) {
          aborted = true;
          ledger.record({ action: 'abort', faultId: id ?? '-', kind: entry.kind, layer: entry.layer, target: service, params: {}, actor: 'loop', outcome: 'ok', detail: `halt condition: ${result.halted}` });
          break;
        }
      }
      if (aborted) break;
    }
  } catch (e) {
    if (!o.signal?.aborted) throw e;
    aborted = true;
  } finally {
    await engine.revertAll().catch(() => undefined);
    await services.stop().catch(() => undefined);
    await proxies.close().catch(() => undefined);
  }
  if (o.signal?.aborted) aborted = true;

  return {
    target: config.file ?? '(defaults)',
    stages: [
      { name: 'inject', ran: true },
      { name: 'observe', ran: load !== undefined, ...(load ? {} : { note: 'no load.url in the config' }) },
      { name: 'experiment', ran: false, note: 'issue #3' },
      { name: 'predict', ran: false, note: 'issue #4' },
      { name: 'refactor', ran: false, note: 'issue #6' },
      { name: 'promote', ran: false, note: 'issue #7' },
    ],
    ...(config.defaults.seed !== undefined ? { seed: config.defaults.seed } : {}),
    phases,
    ledgerEvents,
    aborted,
  };
}

/** The first halt condition of the config that `s` trips, described; undefined when none does. */
export function haltReason(config: FaultlineConfig, s: LoadSummary): string | undefined {
  for (const h of config.safeZones.haltConditions) {
    const v = h.metric === 'errorRate' ? s.errorRate : h.metric === 'p99LatencyMs' ? s.latencyMs.p99 : undefined;
    if (v === undefined) continue;
    if (h.above !== undefined && v > h.above) return `${h.metric} ${v.toFixed(3)} > ${h.above}`;
    if (h.below !== undefined && v < h.below) return `${h.metric} ${v.toFixed(3)} < ${h.below}`;
  }
  return undefined;
}

export function fmt(s: LoadSummary): string {
  if (s.requests === 0) return 'no requests';
  const kinds = Object.entries(s.errorsByKind)
    .map(([k, n]) => `${k}:${n}`)
    .join(' ');
  return `${s.requests} req, errors ${(s.errorRate * 100).toFixed(1)}%${kinds ? ` (${kinds})` : ''}, p50 ${s.latencyMs.p50.toFixed(1)} ms, p99 ${s.latencyMs.p99.toFixed(1)} ms`;
}

export function renderTable(r: LoopResult): string {
  const rows: string[][] = [['phase', 'window', 'requests', 'errors', 'p50 ms', 'p99 ms', 'max ms', 'note']];
  for (const p of r.phases) {
    const note = [p.reverted ? `reverted: ${p.reverted}` : '', p.evidence ? `${p.evidence.count} errors recorded${p.evidence.top ? ` at ${p.evidence.top}` : ''}` : '', p.halted ? `HALT ${p.halted}` : '', p.error ? `error: ${p.error}` : ''].filter(Boolean).join('; ');
    const row = (w: string, s: LoadSummary, n: string): string[] => [w === 'during' || p.phase === 'baseline' ? p.phase : '', w, String(s.requests), `${(s.errorRate * 100).toFixed(1)}%`, s.latencyMs.p50.toFixed(1), s.latencyMs.p99.toFixed(1), s.latencyMs.max.toFixed(1), n];
    rows.push(row(p.phase === 'baseline' ? 'steady' : 'during', p.during, note));
    if (p.after) rows.push(row('after', p.after, ''));
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const lines = rows.map((row) => row.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const stages = r.stages.map((s) => `${s.name}${s.ran ? ' ✓' : ` (not yet${s.note ? `: ${s.note}` : ''})`}`).join(' · ');
  return `${lines.join('\n')}\n\nstages: ${stages}\n${r.ledgerEvents} ledger events recorded${r.aborted ? '; the run was ABORTED and every fault reverted' : '; every fault was reverted'} — see \`faultline ledger\``;
}
