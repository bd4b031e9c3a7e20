import { describe, expect, it } from 'vitest';
import { createRng } from '../../../../src/core/rng.js';
import { loadCatalogue } from '../../../../src/experiment/cards/load.js';
import { guideCards, POINTS_PER_CARD, SCENARIOS_FOR } from '../../../../src/experiment/chaos/guide.js';
import { pickWeighted } from '../../../../src/experiment/chaos/select.js';
import { planChaos } from '../../../../src/experiment/chaos/session.js';

const cards = loadCatalogue();
const point = (failureType: 'timeout' | 'null-value' | 'logic', confidence: number, line = 1) => ({ failureType, confidence, path: 'src/pricing-client.ts', line, fn: 'fetchPrice' });

describe('prediction guides chaos', () => {
  it('every failure type except logic maps to scenarios of the built-in catalogue', () => {
    const scenarios = new Set(cards.map((c) => c.scenario));
    for (const [type, list] of Object.entries(SCENARIOS_FOR)) {
      if (type === 'logic') continue;
      expect(list.some((s) => scenarios.has(s)), type).toBe(true);
    }
  });

  it('raises the weight of the cards exercising a predicted failure type, and says why', () => {
    const { cards: guided, why } = guideCards(cards, [point('timeout', 0.8, 12), point('timeout', 0.4, 40)]);
    const latency = guided.find((c) => c.id === 'network-latency')!;
    const original = cards.find((c) => c.id === 'network-latency')!;
    expect(latency.risk).toBeCloseTo(original.risk * (1 + 1.2), 9);
    expect(why.get('network-latency')).toMatch(/risk 2 × \(1 \+ 1\.20\) from predicted timeout at src\/pricing-client\.ts:12 \(fetchPrice\) p=0\.80/);
    // a card that exercises no predicted type keeps its risk and has no reason
    expect(guided.find((c) => c.id === 'null-values')!.risk).toBe(cards.find((c) => c.id === 'null-values')!.risk);
    expect(why.has('null-values')).toBe(false);
  });

  it('counts only the strongest points per card, and confidence is clamped to [0, 1]', () => {
    const many = Array.from({ length: 20 }, (_, i) => point('null-value', 2, i));
    const { cards: guided } = guideCards(cards, many);
    const c = cards.find((x) => x.id === 'null-values')!;
    expect(guided.find((x) => x.id === 'null-values')!.risk).toBeCloseTo(c.risk * (1 + POINTS_PER_CARD), 9);
  });

  it('the draw follows the guided weights (a strongly predicted type is drawn more often)', () => {
    const pool = cards.filter((c) => ['network-latency', 'null-values'].includes(c.id));
    const { cards: guided } = guideCards(pool, [point('null-value', 1), point('null-value', 1), point('null-value', 1)]);
    const rng = createRng(5);
    let nulls = 0;
    for (let i = 0; i < 4000; i++) if (pickWeighted(guided, rng).id === 'null-values') nulls++;
    // weights: null-values 2 × 4 = 8, network-latency 2 → 0.8 expected
    expect(nulls / 4000).toBeGreaterThan(0.75);
    expect(nulls / 4000).toBeLessThan(0.85);
  });

  it('the plan lists the guided cards with their reason', () => {
    const plan = planChaos({ cards, bindings: { proxy: 'p', service: 's', fn: 'f', dependency: 'd', dataDir: '/tmp/x', module: 'm' }, maxConcurrentFaults: 3, seed: 1, incidents: 3, guidance: [point('timeout', 0.9)] });
    expect(plan.guided?.['network-latency']).toMatch(/predicted timeout/);
    expect(plan.guided?.['null-values']).toBeUndefined();
  });
});
