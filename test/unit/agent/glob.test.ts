import { describe, expect, it } from 'vitest';
import { compileModuleMatcher, compileNameMatcher, compilePathFilter, compileRouteMatcher, globToRegExp } from '../../../src/inject/agent/glob.js';

describe('module patterns', () => {
  it('match a path suffix on a folder boundary', () => {
    const m = compileModuleMatcher('lib/price.mjs');
    expect(m('/app/src/lib/price.mjs')).toBe(true);
    expect(m('/app/src/otherlib/price.mjs')).toBe(false);
    expect(m('/app/src/lib/price.mjs.bak')).toBe(false);
    expect(compileModuleMatcher('price.mjs')('/app/price.mjs')).toBe(true);
    expect(compileModuleMatcher('/app/price.mjs')('/app/price.mjs')).toBe(true);
    expect(compileModuleMatcher('file:///app/price.mjs')('/app/price.mjs')).toBe(true);
  });

  it('match without an extension, and a TypeScript source name matches its compiled file', () => {
    expect(compileModuleMatcher('pricing-client')('/app/dist/pricing-client.js')).toBe(true);
    expect(compileModuleMatcher('pricing-client')('/app/dist/old-pricing-client.js')).toBe(false);
    expect(compileModuleMatcher('pricing-client.ts')('/app/dist/pricing-client.js')).toBe(true);
    expect(compileModuleMatcher('pricing-client.js')('/app/dist/pricing-client.mjs')).toBe(false);
    expect(compileModuleMatcher('lib/price')('/app/src/lib/price.mjs')).toBe(true);
  });

  it('match globs: * within a folder, ** across folders, relative globs anywhere', () => {
    expect(compileModuleMatcher('src/*.mjs')('/app/src/a.mjs')).toBe(true);
    expect(compileModuleMatcher('src/*.mjs')('/app/src/deep/a.mjs')).toBe(false);
    expect(compileModuleMatcher('src/**/*.mjs')('/app/src/deep/a.mjs')).toBe(true);
    expect(compileModuleMatcher('src/**/*.mjs')('/app/src/a.mjs')).toBe(true);
    expect(compileModuleMatcher('/app/*.mjs')('/other/app/a.mjs')).toBe(false);
    expect(compileModuleMatcher('*')('/anything')).toBe(true);
    expect(globToRegExp('a?c').test('abc')).toBe(true);
    expect(globToRegExp('a?c').test('a/c')).toBe(false);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });

  it('filter by include and exclude lists and excluded folders', () => {
    const keep = compilePathFilter([], ['**/node_modules/**'], ['/opt/faultline/dist/']);
    expect(keep('/app/src/a.mjs')).toBe(true);
    expect(keep('/app/node_modules/x/index.js')).toBe(false);
    expect(keep('/opt/faultline/dist/core/rng.js')).toBe(false);
    const only = compilePathFilter(['src/**'], ['**/*.test.mjs']);
    expect(only('/app/src/a.mjs')).toBe(true);
    expect(only('/app/lib/a.mjs')).toBe(false);
    expect(only('/app/src/a.test.mjs')).toBe(false);
  });
});

describe('function names', () => {
  it('are exact or * patterns', () => {
    expect(compileNameMatcher('fetchPrice')('fetchPrice')).toBe(true);
    expect(compileNameMatcher('fetchPrice')('fetchPrices')).toBe(false);
    expect(compileNameMatcher('Cart.prototype.*')('Cart.prototype.add')).toBe(true);
    expect(compileNameMatcher('Cart.prototype.*')('Cart.create')).toBe(false);
    expect(compileNameMatcher('*')('x')).toBe(true);
  });
});

describe('routes', () => {
  it('match method and path glob', () => {
    const r = compileRouteMatcher('GET /items/*');
    expect(r?.method).toBe('GET');
    expect(r?.match('GET', '/items/1')).toBe(true);
    expect(r?.match('get', '/items/1/parts')).toBe(true);
    expect(r?.match('POST', '/items/1')).toBe(false);
    expect(r?.match('GET', '/item')).toBe(false);
    const any = compileRouteMatcher('/health');
    expect(any?.method).toBeUndefined();
    expect(any?.match('POST', '/health')).toBe(true);
    expect(any?.match('GET', '/healthz')).toBe(false);
    expect(compileRouteMatcher('* /x')?.match('PUT', '/x')).toBe(true);
  });

  it('reject malformed routes', () => {
    expect(compileRouteMatcher('GET items')).toBeUndefined();
    expect(compileRouteMatcher('')).toBeUndefined();
    expect(compileRouteMatcher('GET /a b')).toBeUndefined();
  });
});
