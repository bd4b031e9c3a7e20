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
