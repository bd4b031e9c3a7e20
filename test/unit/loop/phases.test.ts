// The faults `faultline loop` drills, from the bundled example's faultline.yaml: the cards of cards.loop, each with
// a TTL that covers the phase, and for a process fault also the restart its injection may take.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/core/config.js';
import { loopPhases } from '../../../src/loop/index.js';

const config = loadConfig(resolve(__dirname, '../../../examples/shop/faultline.yaml'), { explicit: true, env: {} });

describe('loopPhases', () => {
  it('binds the cards of cards.loop, in order, with a TTL of the phase plus 2 s (at most the card’s own)', () => {
    const phases = loopPhases(config, 3000);
    expect(phases.map((p) => p.cardId)).toEqual(config.cards.loop);
    const latency = phases.find((p) => p.cardId === 'network-latency');
    expect(latency?.request.ttlMs).toBe(5000);
  });

  it('a process fault that restarts the service gets the time of that restart on top: stop timeout + health timeout', () => {
    const phases = loopPhases(config, 3000, ['corrupted-data-file', 'heartbeat-loss']);
    const api = config.services.api!;
    const corrupt = phases[0]!;
    expect(corrupt.request).toMatchObject({ layer: 'process', kind: 'corruptfile', target: { service: 'api' } });
    expect(corrupt.request.ttlMs).toBe(Math.min(40_000, 5000 + api.stopTimeoutMs + (api.health?.timeoutMs ?? 0)));
    expect(corrupt.request.ttlMs).toBeGreaterThan(15_000);
  });
});

describe('profileOf', () => {
  it("sums up a card's profile probe: the heap's growth, the hottest function and the one whose allocations stayed live", async () => {
    const { profileOf } = await import('../../../src/loop/index.js');
    const frame = (file: string, line: number) => [{ file, line, col: 1, app: true }];
    expect(profileOf([{ at: 1, message: 'boom', frames: [] }])).toBeUndefined();
    expect(
      profileOf([
        { at: 1, message: 'cpu', source: 'cpu-profile', fn: 'send', frames: frame('/a/dist/api.js', 11), selfMs: 11, profiledMs: 4000 },
        { at: 1, message: 'cpu', source: 'cpu-profile', fn: 'buildReport', frames: frame('/a/dist/report.js', 2), selfMs: 3000, profiledMs: 4000 },
        { at: 1, message: 'heap', source: 'heap-profile', fn: 'fetchPrice', frames: frame('/a/dist/pricing-client.js', 9), liveBytes: 1.5 * 1024 * 1024, heapGrowthBytes: 2.5 * 1024 * 1024 },
        { at: 1, message: 'heap', source: 'heap-profile', fn: 'send', frames: frame('/a/dist/api.js', 11), liveBytes: 1000, heapGrowthBytes: 2.5 * 1024 * 1024 },
      ]),
    ).toEqual({ heapGrowthBytes: 2.5 * 1024 * 1024, cpuTop: 'buildReport (report.js:2) 75 %', heapTop: 'fetchPrice (pricing-client.js:9) 1.5 MiB' });
  });
});
