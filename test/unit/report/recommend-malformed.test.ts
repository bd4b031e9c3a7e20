import { describe, expect, it } from 'vitest';
import type { ErrorEvidence } from '../../../src/core/run.js';
import type { ErrorRecord } from '../../../src/inject/agent/evidence.js';
import { requestEvidence } from '../../../src/loop/request-errors.js';
import { toEvidence } from '../../../src/loop/wiring.js';
import { evidenceSites, recommend } from '../../../src/report/recommend.js';
import { oneFaultRun, traffic } from './helpers.js';

const fault = { id: 't1', layer: 'traffic', kind: 'malformed', target: 'route=POST /orders', params: { path: '/orders' } } as const;
const summary = { request: 'POST /orders', expect: '4xx', sent: 120, asExpected: 2, byClass: { '5xx': 118, '4xx': 2 } };
const jsonSite = { location: 'examples/shop/src/api.ts:32', fn: 'placeOrder', message: 'SyntaxError: 500 POST /orders: Unexpected end of JSON input', count: 118, faultIds: ['t1'], outer: 'examples/shop/src/api.ts:44' };

describe('recommendations for malformed requests answered 5xx', () => {
  it('guard-json-parse at the JSON.parse site and error-status at the handler line (the outer frame)', () => {
    const recs = recommend(oneFaultRun({ ...fault, traffic: summary }, { during: traffic({ errors: 118, errorsByKind: { malformed_http_5xx: 118 } }) }, { evidence: [jsonSite] }));
    const ours = recs.filter((r) => r.recipe === 'guard-json-parse' || r.recipe === 'error-status');
    expect(ours.map((r) => [r.recipe, r.location, r.faultIds])).toEqual([
      ['guard-json-parse', 'examples/shop/src/api.ts:32', ['t1']],
      ['error-status', 'examples/shop/src/api.ts:44', ['t1']],
    ]);
    expect(ours[0]!.why).toContain('120 malformed POST /orders request(s) (expected 4xx): 118 answered 5xx, 2 as expected');
  });

  it('error-status alone when the error is not a JSON SyntaxError (at the site without an outer frame); nothing when answered 4xx', () => {
    const other = { ...jsonSite, message: 'TypeError: cannot read sku', outer: undefined };
    delete (other as { outer?: string }).outer;
    const recs = recommend(oneFaultRun(fault, { during: traffic({ errors: 30, errorsByKind: { malformed_http_5xx: 30 } }) }, { evidence: [other] }));
    expect(recs.filter((r) => r.recipe === 'guard-json-parse')).toEqual([]);
    expect(recs.find((r) => r.recipe === 'error-status')).toMatchObject({ location: 'examples/shop/src/api.ts:32' });
    expect(recs.find((r) => r.recipe === 'error-status')!.why).toContain('30 malformed request(s) answered 5xx');
    const fine = recommend(oneFaultRun({ ...fault, traffic: { ...summary, asExpected: 120, byClass: { '4xx': 120 } } }, { during: traffic() }, { evidence: [] }));
    expect(fine.filter((r) => r.recipe === 'guard-json-parse' || r.recipe === 'error-status')).toEqual([]);
  });
});

describe('evidence of a traffic fault (the agents watch the route)', () => {
  const rec = (p: Partial<ErrorRecord>): ErrorRecord => ({ seq: 1, ts: new Date(5).toISOString(), source: 'function', faultIds: ['w1'], injected: false, class: 'SyntaxError', message: 'Unexpected end of JSON input', frames: [], ...p });
  const frames = [
    { file: '/shop/dist/api.js', line: 30, column: 24, fn: 'placeOrder', app: true },
    { file: '/faultline/dist/src/inject/agent/runtime.js', line: 200, column: 5, fn: 'AgentRuntime.call', app: false },
    { file: '/shop/dist/api.js', line: 44, column: 71, fn: 'Server.<anonymous>', app: true },
  ];

  it("pairs each 5xx answer with the error recorded in its request (one piece of evidence), and the site knows the handler's frame", () => {
    const records = [
      rec({ seq: 1, frames }),
      rec({ seq: 2, source: 'response', message: '500 POST /orders: Unexpected end of JSON input', frames, route: 'POST /orders', status: 500, relatedSeq: 1 }),
      rec({ seq: 3, frames }),
      rec({ seq: 4, source: 'response', message: '500 POST /orders: Unexpected end of JSON input', frames, route: 'POST /orders', status: 500, relatedSeq: 3 }),
      rec({ seq: 5, class: 'Error', message: 'injected', injected: true }),
    ];
    const ev: ErrorEvidence[] = requestEvidence(records, 't1', toEvidence);
    expect(ev.map((e) => [e.source, e.faultId])).toEqual([
      ['response', 't1'],
      ['response', 't1'],
    ]);
    const map = (file: string, line: number) => ({ file: file.replace('/dist/', '/src/').replace(/\.js$/, '.ts'), line: line + 2 });
    expect(evidenceSites(ev, map)).toEqual([{ location: '/shop/src/api.ts:32', fn: 'placeOrder', message: 'SyntaxError: 500 POST /orders: Unexpected end of JSON input', count: 2, faultIds: ['t1'], outer: '/shop/src/api.ts:46' }]);
  });
});
