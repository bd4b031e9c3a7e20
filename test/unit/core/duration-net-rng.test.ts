import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBytes, parseDurationMs } from '../../../src/core/duration.js';
import { assertLocalTarget, isLoopback, splitHostPort } from '../../../src/core/net.js';
import { createRng } from '../../../src/core/rng.js';

describe('durations and sizes', () => {
  it('parses units and compounds', () => {
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('30s')).toBe(30000);
    expect(parseDurationMs('1m30s')).toBe(90000);
    expect(parseDurationMs('2h')).toBe(7_200_000);
    expect(parseDurationMs(15)).toBe(15);
    expect(parseDurationMs('15')).toBe(15);
    expect(() => parseDurationMs('soon', '--ttl')).toThrow(/--ttl: "soon" is not a duration/);
    expect(() => parseDurationMs(-1)).toThrow(/non-negative/);
    expect(parseBytes('512KiB')).toBe(524288);
    expect(parseBytes('10MB')).toBe(10 * 1024 * 1024);
    expect(parseBytes('1g')).toBe(1024 ** 3);
    expect(() => parseBytes('lots')).toThrow(/not a size/);
  });
  it('property: n<unit> parses to n × unit', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(['ms', 1], ['s', 1000], ['m', 60000]), (n, [u, k]) => parseDurationMs(`${n}${u}`) === n * (k as number)));
  });
});

describe('loopback checks', () => {
  it('knows loopback from everything else', () => {
    for (const h of ['127.0.0.1', '127.5.4.3', 'localhost', '::1', '[::1]']) expect(isLoopback(h)).toBe(true);
    for (const h of ['10.0.0.1', '192.168.1.1', '8.8.8.8', 'example.com', '::', '0.0.0.0']) expect(isLoopback(h)).toBe(false);
  });
  it('splits host:port and refuses remote targets', () => {
    expect(splitHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(splitHostPort(':80')).toEqual({ host: '127.0.0.1', port: 80 });
    expect(() => splitHostPort('nope')).toThrow(/not host:port/);
    expect(() => assertLocalTarget('10.1.2.3:80')).toThrow(expect.objectContaining({ code: 'FL_ERR_NOT_LOCAL' }));
    expect(() => assertLocalTarget('169.254.0.2:80', 'upstream', ['169.254.0.2'])).not.toThrow();
  });
});

describe('rng', () => {
  it('is reproducible from its seed and roughly uniform', () => {
    const a = createRng(42);
    const b = createRng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(createRng(1).next()).not.toBe(createRng(2).next());
  });
});
