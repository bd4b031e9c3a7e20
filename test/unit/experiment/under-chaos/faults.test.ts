import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../../src/core/errors.js';
import { createRng } from '../../../../src/core/rng.js';
import { defaultChaosFaults, parseChaosFault, seedFaults } from '../../../../src/experiment/under-chaos/faults.js';

describe('parseChaosFault', () => {
  it('parses agent faults: target keys, probability, params with typed values, colons inside values', () => {
    expect(parseChaosFault('agent:throw:fn=fetchPrice:module=lib/pricing.mjs:p=0.5:message=pricing: down:code=ECONNRESET')).toEqual({
      label: 'agent:throw:fn=fetchPrice:module=lib/pricing.mjs:p=0.5:message=pricing: down:code=ECONNRESET',
      layer: 'agent',
      agent: { kind: 'throw', target: { fn: 'fetchPrice', module: 'lib/pricing.mjs' }, probability: 0.5, params: { message: 'pricing: down', code: 'ECONNRESET' } },
    });
    const d = parseChaosFault('agent:delay:fn=*:ms=200:promise=true:seed=7:maxHits=3');
    expect(d.layer === 'agent' && d.agent).toEqual({ kind: 'delay', target: { fn: '*' }, seed: 7, maxHits: 3, params: { ms: 200, promise: true } });
    const r = parseChaosFault('agent:status:route=GET /items/*:status=503');
    expect(r.layer === 'agent' && r.agent.target).toEqual({ route: 'GET /items/*' });
  });

  it('parses proxy faults on a known link', () => {
    expect(parseChaosFault('proxy:latency:link=pricing:latency=500:jitter=20', ['pricing'])).toEqual({
      label: 'proxy:latency:link=pricing:latency=500:jitter=20',
      layer: 'proxy',
      proxy: { kind: 'latency', layer: 'proxy', target: { proxy: 'pricing' }, params: { latency: 500, jitter: 20 }, actor: 'faultline test' },
    });
  });

  it.each([
    ['throw'],
    ['agent'],
    ['net:latency:x=1'],
    ['agent:explode:fn=f'],
    ['agent:throw'],
    ['agent:throw:p=0.5'],
    ['agent:throw:fn=f:p=2'],
    ['agent:throw:fn=f:route=/x'],
    ['agent:throw:fn=f:maxHits=0'],
    ['agent:throw:junk'],
    ['proxy:latency:latency=5'],
    ['proxy:latency:link=nope:latency=5'],
  ])('refuses %s with FL_ERR_TEST_FAULT_SPEC', (spec) => {
    let err: unknown;
    try {
      parseChaosFault(spec, ['pricing']);
    } catch (e) {
      err = e;
    }
    expect(isFaultlineError(err, 'FL_ERR_TEST_FAULT_SPEC')).toBe(true);
  });
});

describe('default faults', () => {
  it('cover exceptions, nulls and delays in-process, and latency and resets per proxy link', () => {
    const f = defaultChaosFaults(['pricing']);
    expect(f.map((x) => x.scenario)).toEqual(['random exceptions', 'null values', 'slow responses', 'network latency', 'dependency failure']);
    expect(defaultChaosFaults([]).every((x) => x.layer === 'agent')).toBe(true);
  });

  it('seeds agent faults from the run seed, reproducibly, and keeps explicit seeds', () => {
    const a = seedFaults(defaultChaosFaults([]), createRng(42));
    const b = seedFaults(defaultChaosFaults([]), createRng(42));
    expect(a).toEqual(b);
    expect(a.every((x) => x.layer === 'agent' && typeof x.agent.seed === 'number')).toBe(true);
    const kept = seedFaults([parseChaosFault('agent:throw:fn=f:seed=5')], createRng(1));
    expect(kept[0]?.layer === 'agent' && kept[0].agent.seed).toBe(5);
  });
});
