import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import type { ReleaseRecord } from '../../../src/core/promote.js';
import { appendRelease, findRelease, findReleaseOrThrow, latestRelease, listReleases, newReleaseId, previousStable, readReleaseLog, RELEASES_FILE } from '../../../src/store/releases.js';

const rel = (id: string, at: string, extra: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  id,
  module: 'api',
  version: id,
  decision: 'promote',
  fis: 0.3,
  coverage: 85,
  requiredCoverage: 80,
  status: 'stable',
  at,
  ...extra,
});

function codeOf(fn: () => unknown): { code?: string; field?: unknown; message?: string } {
  try {
    fn();
  } catch (e) {
    if (isFaultlineError(e)) return { code: e.code, field: e.context.field, message: e.message };
    throw e;
  }
  return {};
}

describe('release registry', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'fl-releases-'));
    dirs.push(d);
    return d;
  };

  it('appends, lists chronologically by `at` and filters by module and status', () => {
    const dir = tmp();
    appendRelease(dir, rel('1.1.0', '2025-01-02T00:00:00.000Z'));
    appendRelease(dir, rel('1.0.0', '2025-01-01T00:00:00.000Z'));
    appendRelease(dir, rel('w1', '2025-01-01T12:00:00.000Z', { module: 'web', status: 'rolled-back', rollback: { at: '2025-01-01T12:05:00.000Z', reason: 'x', adapter: 'symlink' } }));
    expect(listReleases(dir).map((r) => r.id)).toEqual(['1.0.0', 'w1', '1.1.0']);
    expect(listReleases(dir, { module: 'api' }).map((r) => r.id)).toEqual(['1.0.0', '1.1.0']);
    expect(listReleases(dir, { status: 'rolled-back' }).map((r) => r.id)).toEqual(['w1']);
    expect(latestRelease(dir, 'api')?.id).toBe('1.1.0');
    expect(latestRelease(dir, 'nope')).toBeUndefined();
    expect(readFileSync(join(dir, RELEASES_FILE), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('a release appended again with the same id replaces the earlier one, keeping its place', () => {
    const dir = tmp();
    appendRelease(dir, rel('a', '2025-01-01T00:00:00.000Z', { status: 'promoted' }));
    appendRelease(dir, rel('b', '2025-01-01T00:00:00.000Z', { status: 'promoted' }));
    appendRelease(dir, rel('a', '2025-01-01T00:00:00.000Z', { status: 'stable' }));
    expect(listReleases(dir).map((r) => `${r.id}:${r.status}`)).toEqual(['a:stable', 'b:promoted']);
    expect(findRelease(dir, 'a')?.status).toBe('stable');
  });

  it('skips a torn last line and a line that is not a release, and appends after a torn line on a new line', () => {
    const dir = tmp();
    appendRelease(dir, rel('1.0.0', '2025-01-01T00:00:00.000Z'));
    appendFileSync(join(dir, RELEASES_FILE), '{"id":"x","module":"api","ver');
    expect(readReleaseLog(dir)).toMatchObject({ skipped: 1 });
    appendRelease(dir, rel('1.1.0', '2025-01-02T00:00:00.000Z'));
    const log = readReleaseLog(dir);
    expect(log.skipped).toBe(1);
    expect(log.records.map((r) => r.id)).toEqual(['1.0.0', '1.1.0']);
    writeFileSync(join(dir, RELEASES_FILE), '[1,2]\n{"id":"z"}\n', { flag: 'a' });
    expect(readReleaseLog(dir).skipped).toBe(3);
  });

  it('an empty or missing registry lists nothing', () => {
    expect(listReleases(join(tmp(), 'not-there'))).toEqual([]);
  });

  it.each([
    ['id', { id: '' }],
    ['module', { module: '' }],
    ['version', { version: '' }],
    ['decision', { decision: 'maybe' as never }],
    ['fis', { fis: 1.5 }],
    ['fis', { fis: Number.NaN }],
    ['coverage', { coverage: 101 }],
    ['requiredCoverage', { requiredCoverage: -1 }],
    ['status', { status: 'live' as never }],
    ['at', { at: 'yesterday' }],
    ['rollback', { status: 'rolled-back' as const }],
    ['rollback.at', { rollback: { at: 'soon', reason: 'x', adapter: 'symlink' } }],
    ['rollback.adapter', { rollback: { at: '2025-01-01T00:00:00Z', reason: 'x', adapter: '' } }],
    ['rollback.to', { rollback: { at: '2025-01-01T00:00:00Z', reason: 'x', adapter: 'symlink', to: '' } }],
    ['artifact', { artifact: '' }],
  ])('rejects an invalid %s with FL_ERR_RELEASE_RECORD_INVALID naming the field', (field, extra) => {
    const dir = tmp();
    const r = codeOf(() => appendRelease(dir, rel('1.0.0', '2025-01-01T00:00:00.000Z', extra as Partial<ReleaseRecord>)));
    expect(r.code).toBe('FL_ERR_RELEASE_RECORD_INVALID');
    expect(r.field).toBe(field);
    expect(r.message).toContain(field);
    expect(listReleases(dir)).toEqual([]);
  });

  it('accepts requiredCoverage null (a blocked decision recorded as rejected)', () => {
    const dir = tmp();
    appendRelease(dir, rel('2.0.0', '2025-01-01T00:00:00.000Z', { decision: 'blocked', requiredCoverage: null, status: 'rejected' }));
    expect(findReleaseOrThrow(dir, '2.0.0').requiredCoverage).toBeNull();
  });

  it('findReleaseOrThrow throws FL_ERR_RELEASE_NOT_FOUND', () => {
    expect(codeOf(() => findReleaseOrThrow(tmp(), 'nope')).code).toBe('FL_ERR_RELEASE_NOT_FOUND');
  });

  it('previousStable: the newest stable release older than the given one, of that module, not of the same version', () => {
    const dir = tmp();
    const rb = { at: '2025-01-05T00:00:00.000Z', reason: 'x', adapter: 'symlink' };
    appendRelease(dir, rel('1.0.0', '2025-01-01T00:00:00.000Z'));
    appendRelease(dir, rel('w', '2025-01-02T00:00:00.000Z', { module: 'web' }));
    appendRelease(dir, rel('1.1.0', '2025-01-03T00:00:00.000Z', { status: 'rolled-back', rollback: rb }));
    appendRelease(dir, rel('1.2.0', '2025-01-04T00:00:00.000Z'));
    appendRelease(dir, rel('1.2.0-again', '2025-01-05T00:00:00.000Z', { version: '1.2.0', status: 'promoted' }));
    appendRelease(dir, rel('1.3.0', '2025-01-06T00:00:00.000Z', { status: 'promoted' }));
    expect(previousStable(dir, 'api', '1.3.0')?.id).toBe('1.2.0');
    // the same version is no rollback target
    expect(previousStable(dir, 'api', '1.2.0-again')?.id).toBe('1.0.0');
    // a rolled-back release is skipped
    expect(previousStable(dir, 'api', '1.2.0')?.id).toBe('1.0.0');
    expect(previousStable(dir, 'api', '1.0.0')).toBeUndefined();
    expect(previousStable(dir, 'api')?.id).toBe('1.2.0');
    expect(previousStable(dir, 'web')?.id).toBe('w');
    expect(codeOf(() => previousStable(dir, 'api', 'w')).code).toBe('FL_ERR_RELEASE_NOT_FOUND');
    expect(codeOf(() => previousStable(dir, 'api', 'nope')).code).toBe('FL_ERR_RELEASE_NOT_FOUND');
  });

  it('newReleaseId: module, version and UTC time, safe in a URL path', () => {
    const t = Date.parse('2025-01-02T03:04:05.678Z');
    expect(newReleaseId('api', '2.0.0', t)).toBe('api-2.0.0-20250102T030405678Z');
    expect(newReleaseId('@shop/cart api', '1.0.0+build/7', new Date(t))).toBe('shop-cart-api-1.0.0-build-7-20250102T030405678Z');
    expect(encodeURIComponent(newReleaseId('@shop/cart', 'v1', t))).toBe(newReleaseId('@shop/cart', 'v1', t));
    expect(newReleaseId('api', '2.0.0', t + 1)).not.toBe(newReleaseId('api', '2.0.0', t));
  });
});
