import { describe, expect, it } from 'vitest';
import type { OutboundSite } from '../../../src/inject/agent/outbound.js';
import { DependencyCalls, siteEvidence, type OutboundSource } from '../../../src/loop/dependency-calls.js';

const site = (o: Partial<OutboundSite>): OutboundSite => ({ origin: '127.0.0.1:7311', calls: 151, failed: 0, meanMs: 698.2, p99Ms: 806.4, maxMs: 822, firstAt: 1000, lastAt: 4000, failures: {}, ...o });

describe('dependency calls: the code behind a fault on a dependency link', () => {
  it('watches the agents for the fault TTL, then asks for the calls to that link made between inject and revert', async () => {
    const asked: unknown[] = [];
    const watched: number[] = [];
    const source: OutboundSource = {
      async watch(ttlMs) {
        watched.push(ttlMs);
      },
      async sites(origin, since, until) {
        asked.push({ origin, since, until });
        return [site({ frame: { file: '/app/dist/pricing-client.js', line: 21, column: 17, fn: 'fetchPrice', app: true } })];
      },
    };
    let now = 1000;
    const calls = new DependencyCalls([{ name: 'pricing', listen: '127.0.0.1:7311' }], source, () => now);
    await calls.started('f1', 'pricing', 30_000);
    await calls.started('f2', 'not-a-link', 30_000);
    expect(watched).toEqual([30_000]);
    expect(calls.has('f1')).toBe(true);
    expect(calls.has('f2')).toBe(false);
    now = 2500;
    // still active: up to now
    await calls.evidence('f1');
    now = 4000;
    calls.ended('f1');
    now = 9000;
    const ev = await calls.evidence('f1');
    expect(asked).toEqual([
      { origin: '127.0.0.1:7311', since: 1000, until: 2500 },
      { origin: '127.0.0.1:7311', since: 1000, until: 4000 },
    ]);
    expect(ev).toEqual([
      {
        at: 1000,
        message: '151 calls to pricing (127.0.0.1:7311) while the fault was active: mean 698 ms, p99 806 ms, max 822 ms',
        source: 'dependency-call',
        frames: [{ file: '/app/dist/pricing-client.js', line: 21, col: 17, fn: 'fetchPrice', app: true }],
        fn: 'fetchPrice',
        faultId: 'f1',
      },
    ]);
    expect(await calls.evidence('unknown')).toEqual([]);
  });

  it('says how many calls failed and how', () => {
    const [e] = siteEvidence({ name: 'pricing', listen: '127.0.0.1:7311' }, [site({ calls: 1, failed: 1, failures: { http_503: 1 } })], 'f');
    expect(e?.message).toBe('1 call to pricing (127.0.0.1:7311) while the fault was active: mean 698 ms, p99 806 ms, max 822 ms; 1 failed (http_503 ×1)');
    expect(e?.frames).toEqual([]);
  });

  it('an agent that cannot answer costs the run nothing but the evidence', async () => {
    const calls = new DependencyCalls([{ name: 'pricing', listen: 'localhost:7311' }], { watch: () => Promise.reject(new Error('down')), sites: () => Promise.reject(new Error('down')) });
    await calls.started('f1', 'pricing', 1000);
    expect(await calls.evidence('f1')).toEqual([]);
  });
});
