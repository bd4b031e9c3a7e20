import { afterEach, describe, expect, it } from 'vitest';
import { bindCard, bindCompanions, missingBindings } from '../../../../src/experiment/cards/bind.js';
import { cardFiles, loadCatalogue, readCards } from '../../../../src/experiment/cards/load.js';
import { eligibleCards } from '../../../../src/experiment/chaos/select.js';
import { runCard } from '../../../../src/experiment/cards/run.js';
import { cardFolders, world } from './fakes.js';

const { tmp, cleanup } = cardFolders();
afterEach(cleanup);

const COMPOUND = `
id: flaky-new-keys
title: Dependency flaky while new keys arrive
category: application
scenario: flaky-dependency
risk: 2
status: ready
injection:
  layer: proxy
  kind: http_status
  target: { proxy: "{proxy}" }
  params: { status: 503, probability: 0.3 }
  duration: 2s
  ttl: 20s
  with:
    - layer: traffic
      kind: unique-keys
      target: {}
      params: { path: "{keyPath}", share: 0.5 }
detection: { signal: errorRate, above: 0.05, within: 3s }
remediation: retry
verification: [errors stay low]
rollback: [errors above 90 %]
slo: { detectMs: 3s, recoverMs: 5s }
`;
const LOAD = { url: 'http://127.0.0.1:1/', method: 'GET', ratePerSec: 40, timeoutMs: 1000 };

describe('companion faults (injection.with)', () => {
  it('load with the card, their variables are the card\'s, and they bind with the main injection\'s TTL', () => {
    const [card] = loadCatalogue([tmp({ 'c.yaml': COMPOUND })], { builtin: false });
    expect(card!.injection!.with).toEqual([{ layer: 'traffic', kind: 'unique-keys', target: {}, params: { path: '{keyPath}', share: 0.5 } }]);
    expect(missingBindings(card!, { proxy: 'p' })).toEqual(['keyPath']);
    expect(() => bindCard(card!, { proxy: 'p' })).toThrow(expect.objectContaining({ code: 'FL_ERR_CARD_BINDING' }));
    expect(bindCompanions(card!, { proxy: 'p', keyPath: '/products/*' }, 'loop')).toEqual([
      { layer: 'traffic', kind: 'unique-keys', target: {}, params: { path: '/products/*', share: 0.5 }, ttlMs: 20_000, actor: 'loop:flaky-new-keys' },
    ]);
  });

  it('a bad companion names file:line:col and its field; a companion with its own duration is refused', () => {
    const bad = COMPOUND.replace('kind: unique-keys', 'kind: churn').replace('      params: { path: "{keyPath}", share: 0.5 }', '      params: { path: "{keyPath}", share: 0.5 }\n      duration: 5s');
    const r = readCards(cardFiles(tmp({ 'bad.yaml': bad })));
    const by = Object.fromEntries(r.problems.map((p) => [p.field, p]));
    expect(by['injection.with.0.kind']?.at).toMatch(/bad\.yaml:17:13$/);
    expect(by['injection.with.0.kind']?.message).toContain('unique-keys');
    expect(by['injection.with.0.duration']?.message).toMatch(/takes the main injection's duration/);
    const empty = readCards(cardFiles(tmp({ 'e.yaml': COMPOUND.replace(/ {2}with:\n(.*\n){4}/, '  with: []\n') })));
    expect(empty.problems.map((p) => p.field)).toEqual(['injection.with']);
  });

  it('injection.minHold: the shortest time faultline loop holds the card, at most its duration; the loop holds such a card longer', async () => {
    const held = COMPOUND.replace('  duration: 2s\n', '  duration: 12s\n  minHold: 10s\n');
    const [card] = loadCatalogue([tmp({ 'h.yaml': held })], { builtin: false });
    expect(card!.injection!.minHoldMs).toBe(10_000);
    const r = readCards(cardFiles(tmp({ 'bad.yaml': COMPOUND.replace('  duration: 2s\n', '  duration: 2s\n  minHold: 10s\n') })));
    expect(r.problems.map((p) => [p.field, p.message])).toEqual([['injection.minHold', 'must be at most injection.duration (2000 ms)']]);
    const { loopPhases } = await import('../../../../src/loop/index.js');
    const { parseConfig } = await import('../../../../src/core/config.js');
    const dir = tmp({ 'h.yaml': held });
    const config = parseConfig(`proxy:\n  proxies:\n    - { name: pricing, listen: 127.0.0.1:17311, upstream: 127.0.0.1:17301 }\ncards:\n  dirs: [${JSON.stringify(dir)}]\n  bind: { keyPath: /products/* }\n`, '/x/faultline.yaml');
    const [spec] = loopPhases(config, 3000, ['flaky-new-keys']);
    // held 10 s instead of the 3 s phase; the TTL covers the hold and a margin, for the companions too
    expect([spec!.holdMs, spec!.request.ttlMs, spec!.with![0]!.ttlMs]).toEqual([10_000, 12_000, 12_000]);
    const plain = tmp({ 'p.yaml': COMPOUND });
    const [short] = loopPhases(parseConfig(`proxy:\n  proxies:\n    - { name: pricing, listen: 127.0.0.1:17311, upstream: 127.0.0.1:17301 }\ncards:\n  dirs: [${JSON.stringify(plain)}]\n  bind: { keyPath: /products/* }\n`, '/x/faultline.yaml'), 3000, ['flaky-new-keys']);
    expect([short!.holdMs, short!.request.ttlMs]).toEqual([undefined, 5000]);
  });

  it('a drill injects the companions before the main fault, reverts them after it, and lists them on the fault', async () => {
    const [card] = loadCatalogue([tmp({ 'c.yaml': COMPOUND })], { builtin: false });
    const w = world();
    const order: string[] = [];
    const inject = w.driver.inject.bind(w.driver);
    const revert = w.driver.revert.bind(w.driver);
    w.driver.inject = async (req) => {
      const f = await inject(req);
      order.push(`inject ${req.layer}/${req.kind} ${f.id}`);
      return f;
    };
    w.driver.revert = async (id) => {
      order.push(`revert ${id}`);
      return revert(id);
    };
    w.driver.trafficSummary = (id) => (id === 'fake-1' ? { request: 'GET /products/*', expect: '2xx', sent: 7, asExpected: 5, byClass: { '2xx': 5, '5xx': 2 } } : undefined);
    const { report } = await runCard(card!, { proxy: 'pricing', keyPath: '/products/*' }, { faults: w.driver, startObserver: w.startObserver, load: LOAD }, { baselineMs: 50, durationMs: 300, bucketMs: 50, pollMs: 50, sustainMs: 100 });
    expect(order.slice(0, 4)).toEqual(['inject traffic/unique-keys fake-1', 'inject proxy/http_status fake-2', 'revert fake-2', 'revert fake-1']);
    expect(w.active.size).toBe(0);
    expect(report.faults).toHaveLength(1);
    expect(report.faults[0]).toMatchObject({ id: 'fake-2', kind: 'http_status', with: [{ id: 'fake-1', layer: 'traffic', kind: 'unique-keys', params: { path: '/products/*', share: 0.5 }, traffic: { sent: 7 } }] });
  });

  it('a refused main fault reverts the companions already injected; continuous chaos admits the card only when every fault is admitted', async () => {
    const [card] = loadCatalogue([tmp({ 'c.yaml': COMPOUND })], { builtin: false });
    const w = world();
    const inject = w.driver.inject.bind(w.driver);
    const { FaultlineError } = await import('../../../../src/core/errors.js');
    w.driver.inject = async (req) => {
      if (req.layer === 'proxy') throw new FaultlineError('FL_ERR_SAFE_ZONE', 'protected');
      return inject(req);
    };
    const { report } = await runCard(card!, { proxy: 'pricing', keyPath: '/products/*' }, { faults: w.driver, startObserver: w.startObserver, load: LOAD }, { baselineMs: 50, durationMs: 300, bucketMs: 50, pollMs: 50 });
    expect(report.status).toBe('aborted');
    expect(w.injected.map((r) => r.kind)).toEqual(['unique-keys']);
    expect(w.active.size).toBe(0);
    const b = { proxy: 'pricing', keyPath: '/products/*' };
    expect(eligibleCards([card!], b, (req) => (req.layer === 'traffic' ? 'no traffic faults here' : undefined)).skipped).toEqual([{ id: 'flaky-new-keys', reason: 'no traffic faults here' }]);
    expect(eligibleCards([card!], b, () => undefined).eligible).toHaveLength(1);
  });
});
