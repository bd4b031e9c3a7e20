import { describe, expect, it } from 'vitest';
import { recommend } from '../../../src/report/recommend.js';
import { oneFaultRun, traffic } from './helpers.js';

const crashSite = { location: 'examples/shop/src/store.ts:24', fn: 'new OrderStore', message: 'SyntaxError: Unexpected end of JSON input', count: 1, faultIds: ['f1'] };
const corrupt = { layer: 'process', kind: 'corruptfile', target: 'service=api', params: { path: '/state/shop-data/orders.jsonl' } };

describe('recommend: skip-bad-record', () => {
  it('a corrupt data file after which the service did not start, with the crash site → skip-bad-record at that site', () => {
    const recs = recommend(oneFaultRun(corrupt, { during: traffic({ errors: 100, errorsByKind: { ECONNREFUSED: 100 } }), recovered: true }, { evidence: [crashSite] }));
    const r = recs.find((x) => x.recipe === 'skip-bad-record');
    expect(r).toMatchObject({ title: 'Skip (and report) a corrupt record instead of refusing to start', location: 'examples/shop/src/store.ts:24', severity: 'high', faultIds: ['f1'] });
    expect(r!.why).toContain('/state/shop-data/orders.jsonl');
    expect(r!.why).toContain('new OrderStore');
    expect(r!.change).toContain('examples/shop/src/store.ts:24');
  });

  it('also when the service answered errors (5xx) while the file was corrupt', () => {
    const recs = recommend(oneFaultRun(corrupt, { during: traffic({ errors: 20, errorsByKind: { http_5xx: 20 } }) }, { evidence: [crashSite] }));
    expect(recs.map((r) => r.recipe)).toContain('skip-bad-record');
  });

  it('nothing without an evidence site, when the service coped, or for other faults', () => {
    expect(recommend(oneFaultRun(corrupt, { during: traffic({ errors: 100, errorsByKind: { ECONNREFUSED: 100 } }) })).map((r) => r.recipe)).not.toContain('skip-bad-record');
    expect(recommend(oneFaultRun(corrupt, { during: traffic() }, { evidence: [crashSite] })).map((r) => r.recipe)).not.toContain('skip-bad-record');
    expect(recommend(oneFaultRun({ ...corrupt, kind: 'kill' }, { during: traffic({ errors: 100 }) }, { evidence: [crashSite] })).map((r) => r.recipe)).not.toContain('skip-bad-record');
  });
});
