import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import {
  faultKey,
  iptablesDatestop,
  iptablesPlan,
  nftScript,
  normalizeParams,
  parseRateBitsPerSec,
  qdiscSides,
  tcQdiscArgs,
  type NetworkFaultKind,
} from '../../../src/inject/netem/rules.js';

function attrError(kind: NetworkFaultKind, raw: Record<string, unknown>): string {
  try {
    normalizeParams(kind, raw);
  } catch (e) {
    if (isFaultlineError(e, 'FL_ERR_INVALID_ARGUMENT')) return String(e.context.attribute);
    throw e;
  }
  return '(accepted)';
}

function attrRate(s: string): boolean {
  try {
    parseRateBitsPerSec(s);
    return false;
  } catch (e) {
    return isFaultlineError(e, 'FL_ERR_INVALID_ARGUMENT');
  }
}

describe('normalizeParams', () => {
  it('applies defaults per kind and accepts CLI strings', () => {
    expect(normalizeParams('loss', { percent: '30' })).toEqual({ kind: 'loss', percent: 30, direction: 'both', protocol: 'all' });
    expect(normalizeParams('reset', { port: '8080' })).toEqual({ kind: 'reset', percent: 100, port: 8080, direction: 'in' });
    expect(normalizeParams('bandwidth', { rate: '1mbit' })).toEqual({ kind: 'bandwidth', rateBitsPerSec: 1_000_000, burstBytes: 16_384, latencyMs: 100, direction: 'both' });
    expect(normalizeParams('bandwidth', { rate: '1gbit', burst: '64KiB', latency: '20ms', direction: 'out' })).toMatchObject({ burstBytes: 65_536, latencyMs: 20, direction: 'out' });
    expect(normalizeParams('partition', {})).toEqual({ kind: 'partition', direction: 'both' });
    expect(normalizeParams('partition', { peer: 'fe80::1' })).toMatchObject({ peer: 'fe80::1' });
    expect(normalizeParams('delay', { delay: '100ms', jitter: '10ms' })).toEqual({ kind: 'delay', delayMs: 100, jitterMs: 10, direction: 'out' });
    expect(normalizeParams('corrupt', { percent: 2.5 })).toEqual({ kind: 'corrupt', percent: 2.5, direction: 'out' });
  });

  it('names the bad attribute', () => {
    expect(attrError('loss', {})).toBe('percent');
    expect(attrError('loss', { percent: 0 })).toBe('percent');
    expect(attrError('loss', { percent: 101 })).toBe('percent');
    expect(attrError('loss', { percent: 'lots' })).toBe('percent');
    expect(attrError('loss', { percent: 5, direction: 'sideways' })).toBe('direction');
    expect(attrError('loss', { percent: 5, protocol: 'icmp' })).toBe('protocol');
    expect(attrError('reset', { port: 70000 })).toBe('port');
    expect(attrError('reset', { direction: 'both' })).toBe('direction');
    expect(attrError('bandwidth', {})).toBe('rate');
    expect(attrError('bandwidth', { rate: '1 furlong' })).toBe('rate');
    expect(attrError('bandwidth', { rate: '1mbit', burst: 100 })).toBe('burst');
    expect(attrError('partition', { peer: 'example.com' })).toBe('peer');
    expect(attrError('delay', {})).toBe('delay');
  });

  it('parses tc rates (bits vs bytes) and rejects everything else', () => {
    expect(parseRateBitsPerSec('500kbit')).toBe(500_000);
    expect(parseRateBitsPerSec('100kbps')).toBe(800_000);
    expect(parseRateBitsPerSec('1.5Mbit')).toBe(1_500_000);
    expect(parseRateBitsPerSec('9600')).toBe(9_600);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom('bit', 'kbit', 'mbit', 'bps', 'kbps'), (n, u) => {
        const f = { bit: 1, kbit: 1e3, mbit: 1e6, bps: 8, kbps: 8e3 }[u] as number;
        if (n * f >= 8) return parseRateBitsPerSec(`${n}${u}`) === n * f;
        return attrRate(`${n}${u}`);
      }),
      { numRuns: 200, interruptAfterTimeLimit: 2_000 },
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          const v = parseRateBitsPerSec(s);
          return Number.isInteger(v) && v >= 8;
        } catch (e) {
          return isFaultlineError(e, 'FL_ERR_INVALID_ARGUMENT');
        }
      }),
      { numRuns: 500, interruptAfterTimeLimit: 2_000 },
    );
  });
});

describe('nftScript', () => {
  const o = { table: 'faultline_abc', nsIf: 'fln-1', ttlMs: 30_000 };
  it('puts every rule behind the ttl set whose element expires in the kernel', () => {
    const s = nftScript(normalizeParams('loss', { percent: 30 }), o);
    expect(s).toContain('table inet faultline_abc {');
    expect(s).toContain('set ttl { type ifname; flags timeout; elements = { "fln-1" timeout 30000ms } }');
    expect(s).toContain('iifname @ttl numgen random mod 10000 < 3000 counter drop');
    expect(s).toContain('oifname @ttl numgen random mod 10000 < 3000 counter drop');
    for (const line of s.split('\n').filter((l) => /drop|reject/.test(l))) expect(line).toMatch(/ifname @ttl /);
  });
  it('builds reset, partition and single-direction rules', () => {
    expect(nftScript(normalizeParams('reset', { port: 8080 }), o)).toContain('iifname @ttl tcp dport 8080 counter reject with tcp reset');
    expect(nftScript(normalizeParams('reset', { percent: 50, direction: 'out' }), o)).toContain('oifname @ttl meta l4proto tcp numgen random mod 10000 < 5000 counter reject with tcp reset');
    const p = nftScript(normalizeParams('partition', { peer: '169.254.64.1' }), o);
    expect(p).toContain('iifname @ttl ip saddr 169.254.64.1 counter drop');
    expect(p).toContain('oifname @ttl ip daddr 169.254.64.1 counter drop');
    expect(nftScript(normalizeParams('partition', { peer: 'fe80::1', direction: 'in' }), o)).not.toContain('chain output');
    expect(nftScript(normalizeParams('loss', { percent: 100, protocol: 'udp', direction: 'out' }), o)).toContain('oifname @ttl meta l4proto udp counter drop');
  });
});

describe('iptablesPlan', () => {
  it('uses own chains, statistic match and a time-limited jump', () => {
    const plan = iptablesPlan(normalizeParams('loss', { percent: 30, direction: 'in' }), { key: 'k1', nsIf: 'fln-1', datestop: '2030-01-01T00:00:00' });
    expect(plan.chains).toEqual([{ name: 'FLI-k1', rules: [['-m', 'statistic', '--mode', 'random', '--probability', '0.3000', '-j', 'DROP']] }]);
    expect(plan.jumps).toEqual([{ chain: 'INPUT', args: ['-i', 'fln-1', '-m', 'time', '--datestop', '2030-01-01T00:00:00', '-j', 'FLI-k1'] }]);
    const reset = iptablesPlan(normalizeParams('reset', { port: 80 }), { key: 'k', nsIf: 'fln-1' });
    expect(reset.chains[0]?.rules[0]).toEqual(['-p', 'tcp', '--dport', '80', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    expect(reset.jumps[0]?.args).toEqual(['-i', 'fln-1', '-j', 'FLI-k']);
    expect(() => iptablesPlan(normalizeParams('partition', { peer: '::1' }), { key: 'k', nsIf: 'x' })).toThrow(/IPv4/);
  });
  it('rounds the datestop up to the second, in UTC', () => {
    expect(iptablesDatestop(Date.UTC(2030, 0, 1, 0, 0, 0, 1))).toBe('2030-01-01T00:00:01');
    expect(iptablesDatestop(Date.UTC(2030, 0, 1))).toBe('2030-01-01T00:00:00');
  });
});

describe('tc arguments', () => {
  it('tbf for bandwidth, netem for delay/corrupt, with our handles', () => {
    expect(tcQdiscArgs(normalizeParams('bandwidth', { rate: '2mbit' }))).toEqual(['handle', '464c:', 'tbf', 'rate', '2000000bit', 'burst', '16384b', 'latency', '100ms']);
    expect(tcQdiscArgs(normalizeParams('delay', { delay: '100ms', jitter: '5ms' }))).toEqual(['handle', '464d:', 'netem', 'delay', '100ms', '5ms']);
    expect(tcQdiscArgs(normalizeParams('corrupt', { percent: 1 }))).toEqual(['handle', '464d:', 'netem', 'corrupt', '1%']);
    expect(qdiscSides({ kind: 'bandwidth', rateBitsPerSec: 8, burstBytes: 1600, latencyMs: 1, direction: 'both' })).toEqual(['ns', 'host']);
  });
  it('derives stable 12-hex keys', () => {
    expect(faultKey('net-a')).toMatch(/^[0-9a-f]{12}$/);
    expect(faultKey('net-a')).toBe(faultKey('net-a'));
    expect(faultKey('net-a')).not.toBe(faultKey('net-b'));
  });
});
