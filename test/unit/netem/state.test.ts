import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import {
  cidrOverlap,
  fullName,
  listRecords,
  namesFor,
  parseNamespaceId,
  pickSubnetIndex,
  readRecord,
  readRecordOrThrow,
  subnetFor,
  updateRecord,
  withLock,
  writeRecord,
  SUBNET_COUNT,
  type NamespaceRecord,
} from '../../../src/inject/netem/state.js';

const dir = mkdtempSync(join(tmpdir(), 'fl-netem-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('addresses', () => {
  it('hands out /30s in 169.254.64.0/18, host .1 and namespace .2', () => {
    expect(subnetFor(0)).toEqual({ subnet: '169.254.64.0/30', hostAddr: '169.254.64.1', nsAddr: '169.254.64.2' });
    expect(subnetFor(65)).toEqual({ subnet: '169.254.65.4/30', hostAddr: '169.254.65.5', nsAddr: '169.254.65.6' });
    expect(subnetFor(SUBNET_COUNT - 1).subnet).toBe('169.254.127.252/30');
    expect(subnetFor(SUBNET_COUNT)).toEqual(subnetFor(0));
  });
  it('never overlaps 169.254.169.254 and distinct indexes never overlap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: SUBNET_COUNT - 1 }), fc.integer({ min: 0, max: SUBNET_COUNT - 1 }), (a, b) => {
        const sa = subnetFor(a).subnet;
        return !cidrOverlap(sa, '169.254.169.254') && (a === b) === cidrOverlap(sa, subnetFor(b).subnet);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 2_000 },
    );
  });
  it('detects overlap with host addresses and routes', () => {
    expect(cidrOverlap('169.254.0.0/16', '169.254.64.4/30')).toBe(true);
    expect(cidrOverlap('169.254.64.5', '169.254.64.4/30')).toBe(true);
    expect(cidrOverlap('10.0.0.0/8', '169.254.64.4/30')).toBe(false);
    expect(cidrOverlap('0.0.0.0/0', '1.2.3.4/32')).toBe(true);
  });
  it('picks the first free index from the counter, skipping used subnets and taken names', () => {
    expect(pickSubnetIndex(0, [], () => false)).toBe(0);
    expect(pickSubnetIndex(0, ['169.254.64.1/30'], () => false)).toBe(1);
    expect(pickSubnetIndex(5, [], (i) => i < 7)).toBe(7);
    expect(pickSubnetIndex(SUBNET_COUNT - 1, ['169.254.127.252/30'], () => false)).toBe(0);
    expect(pickSubnetIndex(0, ['169.254.64.0/18'], () => false)).toBeUndefined();
  });
});

describe('names', () => {
  it('accepts id or fl-id within interface-name limits', () => {
    expect(parseNamespaceId('web')).toBe('web');
    expect(parseNamespaceId('fl-web1')).toBe('web1');
    expect(namesFor('abcdefghij')).toEqual({ name: 'fl-abcdefghij', hostIf: 'flh-abcdefghij', nsIf: 'fln-abcdefghij' });
    expect(namesFor('abcdefghij').hostIf.length).toBeLessThanOrEqual(15);
    expect(fullName('x')).toBe('fl-x');
    for (const bad of ['', 'ABC', 'a_b', 'abcdefghijk', 'fl-', 'x;rm']) {
      expect(() => parseNamespaceId(bad)).toThrow(expect.objectContaining({ code: 'FL_ERR_INVALID_ARGUMENT' }));
    }
  });
});

describe('records', () => {
  const rec: NamespaceRecord = {
    version: 1, id: 'u1', name: 'fl-u1', hostIf: 'flh-u1', nsIf: 'fln-u1', subnet: '169.254.64.0/30', hostAddr: '169.254.64.1',
    nsAddr: '169.254.64.2', subnetIndex: 0, createdAt: new Date(0).toISOString(), ownerPid: 1, pids: [], faults: [],
  };
  it('writes, reads (by id or name), lists, updates under a lock, and reports a missing one', async () => {
    writeRecord(dir, rec);
    expect(readRecord(dir, 'u1')).toEqual(rec);
    expect(listRecords(dir).map((r) => r.name)).toEqual(['fl-u1']);
    await Promise.all([1, 2, 3, 4, 5].map((pid) => updateRecord(dir, 'fl-u1', (r) => ({ ...r, pids: [...r.pids, pid] }))));
    expect(readRecordOrThrow(dir, 'fl-u1').pids.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await updateRecord(dir, 'fl-none', (r) => r)).toBeUndefined();
    const e = (() => { try { readRecordOrThrow(dir, 'none'); } catch (x) { return x; } return undefined; })();
    expect(isFaultlineError(e, 'FL_ERR_NETNS_NOT_FOUND')).toBe(true);
  });
  it('takes over a lock whose owner died', async () => {
    const lock = join(dir, 'stale.lock');
    writeFileSync(lock, '999999999');
    expect(await withLock(lock, () => 42, 1_000)).toBe(42);
  });
  it('times out on a lock held by a live process', async () => {
    const lock = join(dir, 'held.lock');
    writeFileSync(lock, String(process.pid));
    await expect(withLock(lock, () => 1, 100)).rejects.toMatchObject({ code: 'FL_ERR_NETNS_COMMAND' });
    rmSync(lock);
  });
});
