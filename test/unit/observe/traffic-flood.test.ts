/** Traffic faults with `rate` (a flood on top of the load): params, refusals, and what they leave to the load. */
import { describe, expect, it } from 'vitest';
import { memoryLedger, type FaultRequest } from '../../../src/core/fault.js';
import { createRng } from '../../../src/core/rng.js';
import { floodLimit, parseMalformedParams, parseMixParams, parseUniqueKeysParams, TrafficFaults } from '../../../src/observe/malformed.js';

const req = (kind: string, params: Record<string, unknown>, ttlMs = 10_000): FaultRequest => ({ layer: 'traffic', kind, target: {}, params, ttlMs });
const refused = (param: string) => expect.objectContaining({ code: 'FL_ERR_INVALID_ARGUMENT', message: expect.stringContaining(`params.${param}`), context: { param } });

describe('traffic flood: params', () => {
  it('unique-keys and mix take rate (and connections, default 16) instead of share; the params echo them', () => {
    expect(parseUniqueKeysParams({ path: '/products/*', rate: 500 })).toEqual({ method: 'GET', path: '/products/*', headers: {}, rate: 500, connections: 16, prefix: 'k', expect: '2xx' });
    expect(parseUniqueKeysParams({ path: '/p/*', rate: 0.5, connections: 256 })).toMatchObject({ rate: 0.5, connections: 256 });
    expect(parseMixParams({ path: '/report', method: 'GET', rate: 400, connections: 1 })).toEqual({ method: 'GET', path: '/report', headers: {}, rate: 400, connections: 1, expect: '2xx', measure: false });
    expect(parseMixParams({ path: '/report', rate: 5000, measure: false })).toMatchObject({ rate: 5000, measure: false });
    // without rate nothing changes: share and its default, no rate or connections
    expect(parseUniqueKeysParams({ path: '/p/*' })).not.toHaveProperty('rate');
    expect(parseMixParams({ path: '/orders' })).toEqual({ method: 'POST', path: '/orders', headers: {}, share: 0.2, expect: '2xx', measure: true });

    const tf = new TrafficFaults({ rng: createRng(1) });
    const f = tf.inject(req('mix', { path: '/report?full=1', method: 'GET', rate: 400 }));
    expect(f.params).toEqual({ method: 'GET', path: '/report?full=1', headers: {}, rate: 400, connections: 16, expect: '2xx', measure: false });
    expect(f.target.route).toBe('GET /report');
    expect(tf.routeOf(req('unique-keys', { path: '/products/*', rate: 10 }))).toBe('GET /products/*');
  });

  it.each([
    ['unique-keys', { path: '/p/*', rate: '500' }, 'rate'],
    ['unique-keys', { path: '/p/*', rate: 0 }, 'rate'],
    ['unique-keys', { path: '/p/*', rate: -1 }, 'rate'],
    ['unique-keys', { path: '/p/*', rate: 5001 }, 'rate'],
    ['unique-keys', { path: '/p/*', rate: Number.NaN }, 'rate'],
    ['unique-keys', { path: '/p/*', rate: Number.POSITIVE_INFINITY }, 'rate'],
    ['mix', { path: '/r', rate: null }, 'rate'],
    ['unique-keys', { path: '/p/*', rate: 100, share: 0.5 }, 'rate'],
    ['mix', { path: '/r', rate: 100, share: 1 }, 'rate'],
    ['unique-keys', { path: '/p/*', rate: 100, connections: 0 }, 'connections'],
    ['unique-keys', { path: '/p/*', rate: 100, connections: 257 }, 'connections'],
    ['mix', { path: '/r', rate: 100, connections: 2.5 }, 'connections'],
    ['mix', { path: '/r', rate: 100, connections: '4' }, 'connections'],
    ['mix', { path: '/r', connections: 4 }, 'connections'],
    ['mix', { path: '/r', rate: 100, measure: true }, 'measure'],
  ])('%s %j is refused naming params.%s', (kind, params, param) => {
    const rng = createRng(5);
    const ledger = memoryLedger();
    const tf = new TrafficFaults({ rng, ledger });
    expect(() => tf.inject(req(kind, params))).toThrow(refused(param));
    expect(() => tf.routeOf(req(kind, params))).toThrow(refused(param));
    expect(ledger.events).toEqual([]);
    expect(rng.next()).toBe(createRng(5).next()); // nothing drawn
  });

  it('malformed takes no rate', () => {
    expect(() => parseMalformedParams({ path: '/orders', rate: 10 })).toThrow(refused('rate'));
  });

  it('the most requests a flood keeps outstanding is rate × timeout', () => {
    expect(floodLimit(500, 2000)).toBe(1000);
    expect(floodLimit(0.5, 100)).toBe(1);
    expect(floodLimit(3, 500)).toBe(2);
  });
});

describe('traffic flood: the load is left alone', () => {
  it('a rate-fault replaces none of the load requests and draws nothing, while a share-fault beside it still does', () => {
    const ledger = memoryLedger();
    const tf = new TrafficFaults({ rng: createRng(3), ledger });
    const flood = tf.inject(req('unique-keys', { path: '/p/*', rate: 100 }));
    expect(Array.from({ length: 200 }, () => tf.draw())).toEqual(Array.from({ length: 200 }, () => undefined));
    expect(tf.active().map((f) => f.id)).toEqual([flood.id]);
    // a share-fault beside it draws exactly what it would draw with the first fault gone (the flood took nothing)
    tf.inject(req('mix', { path: '/orders', share: 0.5 }));
    const ref = new TrafficFaults({ rng: createRng(3) });
    ref.revert(ref.inject(req('malformed', { path: '/x' })).id); // forks the run Rng once, as the flood did
    ref.inject(req('mix', { path: '/orders', share: 0.5 }));
    const picks = (t: TrafficFaults): Array<string | undefined> => Array.from({ length: 100 }, () => t.draw()?.path);
    const got = picks(tf);
    expect(got).toEqual(picks(ref));
    expect(got.filter((p) => p === '/orders').length).toBeGreaterThan(25);
    // no load attached: nothing was sent, and the ledger has the usual records only
    expect(tf.summary(flood.id)).toEqual({ request: 'GET /p/*', expect: '2xx', sent: 0, asExpected: 0, byClass: {} });
    expect(tf.revert(flood.id)).toBe(true);
    expect(ledger.events.map((e) => [e.action, e.kind, e.target, e.params])).toEqual([
      ['inject', 'unique-keys', 'GET /p/*', { method: 'GET', path: '/p/*', headers: {}, rate: 100, connections: 16, prefix: 'k', expect: '2xx' }],
      ['inject', 'mix', 'POST /orders', { method: 'POST', path: '/orders', headers: {}, share: 0.5, expect: '2xx', measure: true }],
      ['revert', 'unique-keys', 'GET /p/*', { method: 'GET', path: '/p/*', headers: {}, rate: 100, connections: 16, prefix: 'k', expect: '2xx' }],
    ]);
  });
});
