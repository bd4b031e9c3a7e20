import { describe, it } from 'vitest';
import { boundCollection } from '../../../src/refactor/recipes/bound-collection.js';
import { doRefuse, doTest } from './harness.js';

const R = boundCollection;

const TS_LRU_MAP = `// Inserted by faultline (bound-collection): a Map that keeps at most maxEntries entries, dropping the least recently used.
class LruMap<K = any, V = any> extends Map<K, V> {
  readonly maxEntries: number;
  constructor(maxEntries: number, entries?: Iterable<readonly [K, V]> | null) {
    super();
    this.maxEntries = maxEntries;
    if (entries) for (const [key, value] of entries) this.set(key, value);
  }
  override get(key: K): V | undefined {
    if (!super.has(key)) return undefined;
    const value = super.get(key) as V;
    super.delete(key);
    super.set(key, value);
    return value;
  }
  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    while (this.size > this.maxEntries) this.delete(this.keys().next().value as K);
    return this;
  }
}`;

describe('bound-collection', () => {
  it('turns a growing Map into an LruMap, located at the growth site (TypeScript, typed)', () => {
    doTest(
      R,
      `import { lookup } from './db.js';

const cache = new Map<string, number>();

export async function price(id: string): Promise<number> {
  const hit = cache.get(id);
  if (hit !== undefined) return hit;
  const p = await lookup(id);
  /*@*/cache.set(id, p);
  return p;
}
`,
      `import { lookup } from './db.js';

${TS_LRU_MAP}

const cache = new LruMap<string, number>(1000);

export async function price(id: string): Promise<number> {
  const hit = cache.get(id);
  if (hit !== undefined) return hit;
  const p = await lookup(id);
  cache.set(id, p);
  return p;
}
`,
      { smell: 'unbounded-collection' },
    );
  });

  it('keeps an untyped new Map() as Map<any, any> for the type checker, and passes the cap option', () => {
    doTest(
      R,
      `const sessions = new Map();
export function remember(id: string, user: { name: string }): string {
  /*@*/sessions.set(id, user);
  return sessions.get(id).name;
}
`,
      `${TS_LRU_MAP}

const sessions = new LruMap(50);
export function remember(id: string, user: { name: string }): string {
  sessions.set(id, user);
  return sessions.get(id).name;
}
`,
      { smell: 'unbounded-collection', options: { cacheMaxEntries: 50 }, typecheck: true },
    );
  });

  it('bounds a Set built from values, at its declaration line (JavaScript)', () => {
    doTest(
      R,
      `/*@*/const seen = new Set(['a']);
function mark(id) {
  seen.add(id);
}
module.exports = { mark: (x) => mark(x) };
`,
      `// Inserted by faultline (bound-collection): a Set that keeps at most maxEntries entries, dropping the least recently used.
class LruSet extends Set {
  constructor(maxEntries, values) {
    super();
    this.maxEntries = maxEntries;
    if (values) for (const value of values) this.add(value);
  }
  add(value) {
    super.delete(value);
    super.add(value);
    while (this.size > this.maxEntries) this.delete(this.values().next().value);
    return this;
  }
}

const seen = new LruSet(1000, ['a']);
function mark(id) {
  seen.add(id);
}
module.exports = { mark: (x) => mark(x) };
`,
      { path: 'seen.js', lineOnly: true },
    );
  });

  it('refuses arrays, objects, shadowed Map, non-module-level and already bounded collections', () => {
    doRefuse(R, `const log = [];\nfunction f(x) { /*@*/log.push(x); }`, /array/);
    doRefuse(R, `const byId = {};\nfunction f(k, v) { /*@*/byId[k] = v; }`, /plain object/);
    doRefuse(R, `class Map {}\nconst m = new Map();\nfunction f(k) { /*@*/m.set(k, 1); }`, /declares its own Map/);
    doRefuse(R, `function f(k) {\n  const m = new Map();\n  /*@*/m.set(k, 1);\n}`, /not a collection declared at module level/);
    doRefuse(R, `const m = new Map();\nfunction g(m) { /*@*/m.set(1, 1); }`, /declared more than once/);
    doRefuse(R, `const m = new WeakMap();\nfunction f(k) { /*@*/m.set(k, 1); }`, /WeakMap, not a Map or Set/);
  });

  it('located at the first line of the function a heap profile names: the one module-level collection it grows', () => {
    doTest(
      R,
      `// prices by SKU
const cache = new Map<string, { cents: number; at: number }>();
const seen = new Set<string>();

/*@*/export async function fetchPrice(sku: string): Promise<number> {
  const hit = cache.get(sku); // a read does not grow it
  if (hit) return hit.cents;
  const cents = sku.length * 100;
  cache.set(sku, { cents, at: Date.now() });
  return cents;
}

export function mark(k: string): void {
  seen.add(k);
}
`,
      `${TS_LRU_MAP}

// prices by SKU
const cache = new LruMap<string, { cents: number; at: number }>(1000);
const seen = new Set<string>();

export async function fetchPrice(sku: string): Promise<number> {
  const hit = cache.get(sku); // a read does not grow it
  if (hit) return hit.cents;
  const cents = sku.length * 100;
  cache.set(sku, { cents, at: Date.now() });
  return cents;
}

export function mark(k: string): void {
  seen.add(k);
}
`,
      
    );
  });

  it('refuses a function that grows no module-level collection, or more than one', () => {
    doRefuse(R, `const m = new Map();
/*@*/function f(k) {
  const local = new Map();
  local.set(k, 1);
  return m.get(k);
}`, /function that grows one module-level Map or Set/);
    doRefuse(R, `const a = new Map();
const b = new Set();
/*@*/function f(k) {
  a.set(k, 1);
  b.add(k);
}`, /more than one module-level collection \(a, b\)/);
  });
});
