import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { detectNetCapabilities, missingCapabilities, requireCapabilities, type NetCapabilities } from '../../../src/inject/netem/capabilities.js';
import { fakeRunner } from './fake-runner.js';

const all = (ok: boolean): NetCapabilities =>
  Object.fromEntries(['root', 'ip', 'nft', 'iptables', 'tc', 'netem', 'netns'].map((k) => [k, { ok, detail: `${k} ${ok ? 'ok' : 'missing'}` }])) as NetCapabilities;

describe('detectNetCapabilities', () => {
  it('reports missing tools with the Debian package to install', async () => {
    const runner = fakeRunner((c) => (c.cmd === 'nft' ? { code: 127, stderr: 'spawn nft ENOENT' } : undefined));
    const caps = await detectNetCapabilities({ runner });
    expect(caps.nft).toEqual({ ok: false, detail: expect.stringContaining('nftables') });
    expect(caps.ip.ok).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)('as root: probes netns, nft, iptables and netem inside a throwaway namespace it deletes', async () => {
    const runner = fakeRunner((c) => (c.args.includes('netem') ? { code: 2, stderr: 'Error: Specified qdisc kind is unknown.' } : undefined));
    const caps = await detectNetCapabilities({ runner });
    expect(caps.netns.ok && caps.nft.ok && caps.iptables.ok).toBe(true);
    expect(caps.netem).toEqual({ ok: false, detail: expect.stringMatching(/sch_netem.*faultline proxy.*Specified qdisc kind is unknown/) });
    const lines = runner.lines();
    const add = lines.find((l) => l.startsWith('ip netns add fl-probe-'));
    expect(add).toBeDefined();
    expect(lines.at(-1)).toBe(add?.replace(' add ', ' del '));
  });

  it.skipIf(process.getuid?.() === 0)('as non-root: says root is needed and does not try namespaces', async () => {
    const runner = fakeRunner();
    const caps = await detectNetCapabilities({ runner });
    expect(caps.root.ok).toBe(false);
    expect(caps.netns).toEqual({ ok: false, detail: 'needs root' });
    expect(runner.lines().some((l) => l.includes('netns add'))).toBe(false);
  });
});

describe('requireCapabilities', () => {
  it('passes when everything is there, and lists what is missing otherwise', () => {
    expect(() => requireCapabilities(all(true), 'x', ['root', 'ip'], [['nft', 'iptables']])).not.toThrow();
    const caps = { ...all(true), root: { ok: false, detail: 'uid 1000' }, nft: { ok: false, detail: 'no nft' }, iptables: { ok: false, detail: 'no ipt' } };
    expect(missingCapabilities(caps, ['root', 'ip'], [['nft', 'iptables']])).toEqual(['root: uid 1000', 'one of nft/iptables: no nft; no ipt']);
    try {
      requireCapabilities(caps, 'loss in fl-1', ['root', 'ip'], [['nft', 'iptables']]);
      expect.unreachable();
    } catch (e) {
      expect(isFaultlineError(e, 'FL_ERR_NETNS_UNAVAILABLE')).toBe(true);
      expect((e as Error).message).toMatch(/loss in fl-1 cannot run here; missing root: uid 1000; one of nft\/iptables/);
    }
  });
  it('raises FL_ERR_NETEM_UNAVAILABLE naming sch_netem and the proxy fallback when only netem is missing', () => {
    const caps = { ...all(true), netem: { ok: false, detail: 'tc: Specified qdisc kind is unknown.' } };
    try {
      requireCapabilities(caps, 'delay', ['root', 'tc', 'netem']);
      expect.unreachable();
    } catch (e) {
      expect(isFaultlineError(e, 'FL_ERR_NETEM_UNAVAILABLE')).toBe(true);
      expect((e as Error).message).toMatch(/no sch_netem.*faultline proxy/);
    }
  });
});
