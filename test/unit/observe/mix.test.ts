import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryLedger, type FaultRequest } from '../../../src/core/fault.js';
import { createRng } from '../../../src/core/rng.js';
import { parseMixParams, TRAFFIC_KINDS, TrafficFaults } from '../../../src/observe/malformed.js';
import { KNOWN_KINDS } from '../../../src/experiment/cards/load.js';
import { recommend } from '../../../src/report/recommend.js';
import { oneFaultRun, traffic } from '../report/helpers.js';
import { routeGuardedEngine } from './traffic-engine.js';

const req = (params: Record<string, unknown>, ttlMs = 10_000): FaultRequest => ({ layer: 'traffic', kind: 'mix', target: {}, params, ttlMs });
const ORDER = '{"sku":"sku-42","quantity":1}';

describe('mix traffic fault: params', () => {
  it('measure: false keeps the mixed-in requests out of the load\'s samples; anything but a boolean is refused', () => {
    expect(parseMixParams({ path: '/orders', measure: false }).measure).toBe(false);
    expect(() => parseMixParams({ path: '/orders', measure: 'no' })).toThrow(/params\.measure: expected true .* or false/);
  });

  it('applies the defaults: POST, no body, no headers, share 0.2, expect 2xx', () => {
    expect(parseMixParams({ path: '/orders' })).toEqual({ method: 'POST', path: '/orders', headers: {}, share: 0.2, expect: '2xx', measure: true });
  });

  it('adds content-type: application/json with a body, unless the headers set a content-type', () => {
    expect(parseMixParams({ path: '/orders', body: ORDER })).toEqual({ method: 'POST', path: '/orders', body: ORDER, headers: { 'content-type': 'application/json' }, share: 0.2, expect: '2xx', measure: true });
    expect(parseMixParams({ path: '/orders', body: 'a=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }).headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded' });
    // no body: no content-type added, the given headers kept (names lower-cased, values as strings)
    expect(parseMixParams({ path: '/cart?x=1', method: 'delete', headers: { 'X-Tenant': 7 }, share: 1, expect: 204 })).toEqual({
      method: 'DELETE',
      path: '/cart?x=1',
      headers: { 'x-tenant': '7' },
      share: 1,
      expect: '204',
      measure: true,
    });
    // an empty body is a body
    expect(parseMixParams({ path: '/orders', body: '' })).toMatchObject({ body: '', headers: { 'content-type': 'application/json' } });
  });

  it('refuses bad params with FL_ERR_INVALID_ARGUMENT naming the param', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'path'],
      [{ path: 'orders' }, 'path'],
      [{ path: 7 }, 'path'],
      [{ path: '/or ders' }, 'path'],
      [{ path: '/orders\n' }, 'path'],
      [{ path: '/orders', method: 'PO ST' }, 'method'],
      [{ path: '/orders', method: 1 }, 'method'],
      [{ path: '/orders', body: { sku: 'a' } }, 'body'],
      [{ path: '/orders', body: 3 }, 'body'],
      [{ path: '/orders', headers: 'x' }, 'headers'],
      [{ path: '/orders', headers: ['a'] }, 'headers'],
      [{ path: '/orders', headers: { 'a b': 'x' } }, 'headers'],
      [{ path: '/orders', headers: { a: true } }, 'headers'],
      [{ path: '/orders', share: 0 }, 'share'],
      [{ path: '/orders', share: -0.1 }, 'share'],
      [{ path: '/orders', share: 1.5 }, 'share'],
      [{ path: '/orders', share: '0.2' }, 'share'],
      [{ path: '/orders', expect: '5xx' }, 'expect'],
      [{ path: '/orders', expect: 503 }, 'expect'],
      [{ path: '/orders', prefix: 'k' }, 'prefix'],
      [{ path: '/orders', requests: 3 }, 'requests'],
    ];
    for (const [p, param] of cases) {
      expect(() => parseMixParams(p), JSON.stringify(p)).toThrow(expect.objectContaining({ code: 'FL_ERR_INVALID_ARGUMENT', message: expect.stringContaining(`params.${param}`), context: { param } }));
    }
  });

  it('property: any valid share and body are accepted as given', () => {
    fc.assert(
      fc.property(fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }), fc.string(), (share, body) => {
        const p = parseMixParams({ path: '/orders', share, body });
        expect(p.share).toBe(share);
        expect(p.body).toBe(body);
      }),
      { numRuns: 200, interruptAfterTimeLimit: 5000 },
    );
  });

  it('is a known traffic kind (registry and failure-card kinds)', () => {
    expect(TRAFFIC_KINDS).toContain('mix');
    expect(KNOWN_KINDS.traffic).toEqual([...TRAFFIC_KINDS]);
  });
});

describe('mix: blending into the load', () => {
  it('replaces about `share` of the requests by the one given request; the same seed replaces the same ones', () => {
    const run = (seed: number): boolean[] => {
      const tf = new TrafficFaults({ rng: createRng(seed) });
      tf.inject(req({ path: '/orders', body: ORDER, share: 0.25 }));
      return Array.from({ length: 2000 }, () => {
        const r = tf.draw();
        if (r) expect(r).toMatchObject({ method: 'POST', path: '/orders', body: ORDER, headers: { 'content-type': 'application/json' } });
        return r !== undefined;
      });
    };
    const a = run(42);
    expect(run(42)).toEqual(a);
    const n = a.filter(Boolean).length;
    expect(n).toBeGreaterThan(2000 * 0.25 - 100);
    expect(n).toBeLessThan(2000 * 0.25 + 100);
    expect(run(43)).not.toEqual(a);
  });

  it('counts answers outside expect under mix_ kinds and summarises them; the route leaves the query out', () => {
    const tf = new TrafficFaults({ rng: createRng(1) });
    const f = tf.inject(req({ path: '/orders?src=load', body: ORDER, share: 1 }));
    expect(f.target.route).toBe('POST /orders');
    expect(f.params).toEqual({ method: 'POST', path: '/orders?src=load', body: ORDER, headers: { 'content-type': 'application/json' }, share: 1, expect: '2xx', measure: true });
    const outcomes = [
      tf.draw()!.settle(201, 'ok'),
      tf.draw()!.settle(200, 'ok'),
      tf.draw()!.settle(503, 'http_5xx'),
      tf.draw()!.settle(409, 'http_4xx'),
      tf.draw()!.settle(0, 'timeout'),
      tf.draw()!.settle(0, 'ECONNRESET'),
      tf.draw()!.settle(0, 'aborted'),
    ];
    expect(outcomes).toEqual(['ok', 'ok', 'mix_http_5xx', 'mix_http_4xx', 'mix_timeout', 'mix_ECONNRESET', 'aborted']);
    expect(tf.summary(f.id)).toEqual({ request: 'POST /orders?src=load', expect: '2xx', sent: 7, asExpected: 2, byClass: { '2xx': 2, '5xx': 1, '4xx': 1, timeout: 1, ECONNRESET: 1, aborted: 1 } });

    // without a body: no body and no headers on the request; expect one status
    const g = new TrafficFaults({ rng: createRng(1) });
    const h = g.inject(req({ path: '/cache', method: 'delete', share: 1, expect: '204' }));
    expect(h.target.route).toBe('DELETE /cache');
    const d = g.draw()!;
    expect(d).toMatchObject({ faultId: h.id, method: 'DELETE', path: '/cache', headers: {} });
    expect('body' in d).toBe(false);
    expect([d.settle(204, 'ok'), g.draw()!.settle(200, 'ok')]).toEqual(['ok', 'mix_http_2xx']);
    expect(g.summary(h.id)).toMatchObject({ request: 'DELETE /cache', expect: '204', sent: 2, asExpected: 1 });
  });

  it('stops at the TTL by itself (recorded as expire); a revert stops it too', () => {
    let now = 1000;
    const ledger = memoryLedger();
    const tf = new TrafficFaults({ rng: createRng(7), now: () => now, ledger });
    const f = tf.inject(req({ path: '/orders', share: 1 }, 500));
    expect(tf.draw()?.path).toBe('/orders');
    now = 1500;
    expect(tf.draw()).toBeUndefined();
    expect(tf.active()).toEqual([]);
    expect(tf.summary(f.id)?.sent).toBe(1);
    const g = tf.inject(req({ path: '/orders', share: 1 }, 10_000));
    expect(tf.draw()?.faultId).toBe(g.id);
    expect(tf.revert(g.id)).toBe(true);
    expect(tf.draw()).toBeUndefined();
    expect(ledger.events.map((e) => [e.action, e.kind, e.target])).toEqual([
      ['inject', 'mix', 'POST /orders'],
      ['expire', 'mix', 'POST /orders'],
      ['inject', 'mix', 'POST /orders'],
      ['revert', 'mix', 'POST /orders'],
    ]);
  });

  it('a bad param is refused before it draws from the run Rng', () => {
    const rng = createRng(5);
    const tf = new TrafficFaults({ rng });
    expect(() => tf.inject(req({ path: '/orders', share: 2 }))).toThrow(expect.objectContaining({ code: 'FL_ERR_INVALID_ARGUMENT', context: { param: 'share' } }));
    expect(() => tf.inject(req({ path: '/orders' }, 0))).toThrow(expect.objectContaining({ code: 'FL_ERR_TTL_REQUIRED' }));
    expect(rng.next()).toBe(createRng(5).next());
  });
});

describe('the injection engine: safe zones see the mix route', () => {
  it('with its default method POST and without the query', async () => {
    const { engine, seen } = routeGuardedEngine('POST /payments');
    await expect(engine.inject(req({ path: '/payments?x=1', body: '{}' }))).rejects.toMatchObject({ code: 'FL_ERR_SAFE_ZONE' });
    const { fault } = await engine.inject(req({ path: '/orders', body: ORDER }));
    expect(seen).toEqual(['POST /payments', 'POST /orders']);
    expect(fault.kind).toBe('mix');
    await expect(engine.inject(req({ body: ORDER }))).rejects.toMatchObject({ code: 'FL_ERR_INVALID_ARGUMENT', context: { param: 'path' } });
  });
});

describe('the report does not read mix errors as malformed input', () => {
  it('no guard-json-parse / error-status for valid orders answered 500', () => {
    const fault = { id: 'm1', layer: 'traffic', kind: 'mix', target: 'route=POST /orders', params: { path: '/orders', body: ORDER } } as const;
    const summary = { request: 'POST /orders', expect: '2xx', sent: 40, asExpected: 0, byClass: { '5xx': 40 } };
    const site = { location: 'src/api.ts:32', fn: 'placeOrder', message: 'SyntaxError: Unexpected end of JSON input', count: 40, faultIds: ['m1'] };
    const recs = recommend(oneFaultRun({ ...fault, traffic: summary }, { during: traffic({ errors: 40, errorsByKind: { mix_http_5xx: 40 } }) }, { evidence: [site] }));
    expect(recs.filter((r) => r.recipe === 'guard-json-parse' || r.recipe === 'error-status')).toEqual([]);
  });
});
