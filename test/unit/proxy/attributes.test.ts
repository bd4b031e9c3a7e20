import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { createRng } from '../../../src/core/rng.js';
import { MAX_TIMER_MS, validateAttributes } from '../../../src/inject/proxy/attributes.js';
import { globToRegExp, routeMatches } from '../../../src/inject/proxy/http/route.js';
import { findToxicDefinitionOrThrow, toxicTypes } from '../../../src/inject/proxy/toxics/index.js';
import { sliceBoundaries } from '../../../src/inject/proxy/toxics/slicer.js';

const validate = (type: string, input: unknown, prev?: Record<string, unknown>) => {
  const def = findToxicDefinitionOrThrow(type);
  return validateAttributes(type, def.attributes, input, prev, def.check);
};

describe('toxic attribute validation', () => {
  it('fills Toxiproxy defaults and keeps given values', () => {
    expect(validate('latency', { latency: 100 })).toEqual({ latency: 100, jitter: 0 });
    expect(validate('slicer', { average_size: 10 })).toEqual({ average_size: 10, size_variation: 0, delay: 0 });
    expect(validate('http_status', {})).toEqual({ method: '*', path: '*', status: 503, body: '', content_type: 'text/plain; charset=utf-8' });
  });

  it('merges updates into the previous attributes', () => {
    expect(validate('latency', { jitter: 5 }, { latency: 100, jitter: 0 })).toEqual({ latency: 100, jitter: 5 });
  });

  it('names the attribute in every refusal', () => {
    const cases: Array<[string, unknown, string]> = [
      ['latency', { latency: -1 }, 'latency'],
      ['latency', { latency: 1.5 }, 'latency'],
      ['latency', { latency: '100' }, 'latency'],
      ['latency', { latancy: 100 }, 'latancy'],
      ['bandwidth', { rate: -1 }, 'rate'],
      ['slicer', { average_size: 10, size_variation: 10 }, 'size_variation'],
      ['loss', { probability: 1.5 }, 'probability'],
      ['http_status', { status: 99 }, 'status'],
      ['http_status', { path: 'no-slash' }, 'path'],
      ['http_abort', { mode: 'explode' }, 'mode'],
      ['http_header', { set: { 'content-length': '1' } }, 'set'],
      ['http_header', { remove: ['bad header'] }, 'remove'],
    ];
    for (const [type, input, attr] of cases) {
      let err: unknown;
      try {
        validate(type, input);
      } catch (e) {
        err = e;
      }
      expect(isFaultlineError(err, 'FL_ERR_TOXIC_ATTRIBUTE'), `${type} ${JSON.stringify(input)}`).toBe(true);
      expect((err as Error).message.startsWith(`attributes.${attr}: `)).toBe(true);
    }
  });

  it('every toxic accepts its own defaults; arbitrary input is either normalized or refused with FL_ERR_TOXIC_ATTRIBUTE (property)', () => {
    for (const type of toxicTypes()) expect(() => validate(type, {})).not.toThrow();
    fc.assert(
      fc.property(fc.constantFrom(...toxicTypes()), fc.dictionary(fc.constantFrom('latency', 'jitter', 'ramp', 'rate', 'delay', 'timeout', 'bytes', 'average_size', 'size_variation', 'probability', 'duration', 'status', 'path', 'method', 'mode', 'body', 'x'), fc.jsonValue()), (type, input) => {
        let out: Record<string, unknown>;
        try {
          out = validate(type, input);
        } catch (e) {
          expect(isFaultlineError(e, 'FL_ERR_TOXIC_ATTRIBUTE')).toBe(true);
          return;
        }
        const def = findToxicDefinitionOrThrow(type);
        // every attribute is filled, except faultline extensions (omitDefault) that were not given
        const given = (a: (typeof def.attributes)[number]): boolean => !('omitDefault' in a && a.omitDefault === true) || Object.hasOwn(input, a.name);
        expect(Object.keys(out).sort()).toEqual(def.attributes.filter(given).map((a) => a.name).sort());
        for (const spec of def.attributes.filter(given)) {
          const v = out[spec.name];
          if (spec.type === 'integer') expect(Number.isInteger(v) && (v as number) >= spec.min && (v as number) <= Math.min(spec.max, Number.MAX_SAFE_INTEGER)).toBe(true);
          if (spec.type === 'number') expect(typeof v === 'number' && v >= spec.min && v <= spec.max).toBe(true);
        }
        // normalizing is idempotent
        expect(validate(type, out)).toEqual(out);
      }),
      { numRuns: 2000, interruptAfterTimeLimit: 5000 },
    );
  });

  it('caps millisecond attributes at what Node timers can wait', () => {
    expect(() => validate('latency', { latency: MAX_TIMER_MS + 1 })).toThrow(/attributes\.latency/);
  });
});

describe('slicer boundaries', () => {
  it('cover the chunk exactly, in increasing order, with slices near average_size (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 1, max: 500 }), fc.nat(), fc.integer(), (len, avg, v, seed) => {
        const variation = v % avg;
        const b = sliceBoundaries(len, { average_size: avg, size_variation: variation, delay: 0 }, createRng(seed >>> 0));
        expect(b[0]).toBe(0);
        expect(b[b.length - 1]).toBe(len);
        for (let i = 1; i < b.length; i++) expect((b[i] as number) > (b[i - 1] as number)).toBe(true);
        if (len > avg + variation) expect(b.length).toBeGreaterThan(2);
      }),
      { numRuns: 500, interruptAfterTimeLimit: 4000 },
    );
  });
});

describe('HTTP routes', () => {
  const head = (method: string, path: string) => ({ kind: 'request' as const, method, target: path, path, version: 'HTTP/1.1', headers: [] });
  it('matches method and path globs', () => {
    expect(routeMatches({ method: '*', path: '*' }, head('POST', '/x'))).toBe(true);
    expect(routeMatches({ method: 'get', path: '/users/*' }, head('GET', '/users/1/orders'))).toBe(true);
    expect(routeMatches({ method: 'GET', path: '/users/*' }, head('POST', '/users/1'))).toBe(false);
    expect(routeMatches({ method: '*', path: '/a?c' }, head('GET', '/abc'))).toBe(true);
    expect(routeMatches({ method: '*', path: '/a.c' }, head('GET', '/abc'))).toBe(false);
    expect(globToRegExp('/x(y)+').test('/x(y)+')).toBe(true);
  });
});
