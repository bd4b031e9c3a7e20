/**
 * The drill the traffic-fault tests share: 1.2 s of load at 100 req/s on /products/sku-42 of a server on `port`,
 * one traffic fault injected through the engine at 0.3 s with `ttlMs` and never reverted; every sample kept.
 */
import { allowAll, memoryLedger, type ActiveFault } from '../../../src/core/fault.js';
import type { TrafficFaultSummary } from '../../../src/core/run.js';
import { createRng } from '../../../src/core/rng.js';
import { InjectionEngine } from '../../../src/inject/engine.js';
import { startLoad, type RequestSample } from '../../../src/observe/load.js';
import { TrafficFaults } from '../../../src/observe/malformed.js';

export interface TrafficDrill {
  samples: RequestSample[];
  fault: ActiveFault;
  summary: TrafficFaultSummary;
  /** ms after the load's start when the fault was injected */
  injectedAt: number;
}

export async function trafficDrill(o: { port: number; kind: string; params: Record<string, unknown>; ttlMs: number; seed?: number; timeoutMs?: number; connections?: number }): Promise<TrafficDrill> {
  const traffic = new TrafficFaults({ rng: createRng(o.seed ?? 42), ledger: memoryLedger() });
  const engine = new InjectionEngine({ stateDir: '/nonexistent-faultline-state', ledger: memoryLedger(), guard: allowAll, services: {} as never, traffic });
  const samples: RequestSample[] = [];
  const t0 = performance.now();
  const h = startLoad({ url: `http://127.0.0.1:${o.port}/products/sku-42`, method: 'GET', ratePerSec: 100, timeoutMs: o.timeoutMs ?? 2000, connections: o.connections ?? 16, traffic }, { t0, count: 120, onSample: (s) => samples.push(s) });
  await new Promise((r) => setTimeout(r, 300));
  const injectedAt = performance.now() - t0;
  const { fault } = await engine.inject({ layer: 'traffic', kind: o.kind, target: {}, params: o.params, ttlMs: o.ttlMs });
  await h.done;
  return { samples, fault, summary: traffic.summary(fault.id) as TrafficFaultSummary, injectedAt };
}
