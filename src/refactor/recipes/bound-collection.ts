/**
 * bound-collection: a module-level `new Map()` / `new Set()` that only grows becomes a `LruMap` / `LruSet`
 * of at most `cacheMaxEntries` entries — a local subclass, so every Map/Set method, iteration and
 * `instanceof Map` keep working. LruMap: `get` and `set` make a key the most recently used; when `set` adds
 * past the cap, the least recently used key is dropped. LruSet: `add` refreshes; `has` does not.
 * Iteration order becomes recency order.
 *
 * The location is the growth site the analyze stage reports (`cache.set(…)`, `seen.add(…)`), the
 * declaration itself, or the first line of a function that grows exactly one module-level Map or Set (what a
 * heap profile names: the function whose allocations stayed live). Refuses: arrays and plain objects (their indexes or keys are their meaning: convert
 * them to a Map by hand first), a name declared more than once, a shadowed Map/Set, a collection not created
 * with `new Map|Set(…)` at module level, and one that is already an LruMap/LruSet.
 */
import { isDeclared, skipOuter } from '../ast.js';
import { ensureHelper } from '../helpers.js';
import { defineRecipe, type Plan, type RecipeContext, refuse } from '../recipe.js';
import { typescript, type TS } from '../ts.js';

const ID = 'bound-collection';

const TS_MAP = `class LruMap<K = any, V = any> extends Map<K, V> {
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

const JS_MAP = `class LruMap extends Map {
  constructor(maxEntries, entries) {
    super();
    this.maxEntries = maxEntries;
    if (entries) for (const [key, value] of entries) this.set(key, value);
  }
  get(key) {
    if (!super.has(key)) return undefined;
    const value = super.get(key);
    super.delete(key);
    super.set(key, value);
    return value;
  }
  set(key, value) {
    super.delete(key);
    super.set(key, value);
    while (this.size > this.maxEntries) this.delete(this.keys().next().value);
    return this;
  }
}`;

const TS_SET = `class LruSet<T = any> extends Set<T> {
  readonly maxEntries: number;
  constructor(maxEntries: number, values?: Iterable<T> | null) {
    super();
    this.maxEntries = maxEntries;
    if (values) for (const value of values) this.add(value);
  }
  override add(value: T): this {
    super.delete(value);
    super.add(value);
    while (this.size > this.maxEntries) this.delete(this.values().next().value as T);
    return this;
  }
}`;

const JS_SET = `class LruSet extends Set {
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
}`;

/** The name of the collection the location points at: a growth call, an element assignment, or a declaration. */
function targetName(ctx: RecipeContext): string | undefined {
  const t = typescript();
  const nodes = ctx.at((n): n is TS.Node => t.isCallExpression(n) || t.isBinaryExpression(n) || t.isVariableStatement(n) || t.isVariableDeclaration(n) || t.isIdentifier(n));
  for (const n of nodes) {
    if (t.isCallExpression(n)) {
      const e = skipOuter(n.expression);
      if (t.isPropertyAccessExpression(e) && t.isIdentifier(skipOuter(e.expression))) return (skipOuter(e.expression) as TS.Identifier).text;
    } else if (t.isBinaryExpression(n)) {
      const left = skipOuter(n.left);
      if (t.isElementAccessExpression(left) && t.isIdentifier(skipOuter(left.expression))) return (skipOuter(left.expression) as TS.Identifier).text;
    } else if (t.isVariableStatement(n)) {
      const d = n.declarationList.declarations[0];
      if (d && t.isIdentifier(d.name)) return d.name.text;
    } else if (t.isVariableDeclaration(n) && t.isIdentifier(n.name)) return n.name.text;
  }
  return undefined;
}

/** Module-level `new Map|Set(…)` collections, by name. */
function moduleCollections(sf: TS.SourceFile): Set<string> {
  const t = typescript();
  const out = new Set<string>();
  for (const s of sf.statements) {
    if (!t.isVariableStatement(s)) continue;
    for (const d of s.declarationList.declarations) {
      const init = d.initializer ? skipOuter(d.initializer) : undefined;
      if (t.isIdentifier(d.name) && init && t.isNewExpression(init) && t.isIdentifier(init.expression) && /^(Map|Set)$/.test(init.expression.text)) out.add(d.name.text);
    }
  }
  return out;
}

/**
 * A location on a function's first line (what a heap profile names: the function that allocated what stayed live):
 * the one module-level Map or Set that function grows (`x.set(…)` / `x.add(…)`). undefined when it grows none or
 * more than one (which of them holds the memory is then not known).
 */
function grownInFunction(ctx: RecipeContext): string | undefined | { ambiguous: string[] } {
  const t = typescript();
  const fns = ctx.at((n): n is TS.FunctionDeclaration | TS.VariableStatement | TS.MethodDeclaration => t.isFunctionDeclaration(n) || t.isMethodDeclaration(n) || t.isVariableStatement(n));
  const collections = moduleCollections(ctx.sf);
  for (const f of fns) {
    const body = t.isVariableStatement(f) ? f.declarationList.declarations[0]?.initializer : f.body;
    if (body === undefined) continue;
    const grown = new Set<string>();
    const visit = (n: TS.Node): void => {
      if (t.isCallExpression(n)) {
        const e = skipOuter(n.expression);
        if (t.isPropertyAccessExpression(e) && /^(set|add)$/.test(e.name.text) && t.isIdentifier(skipOuter(e.expression))) {
          const name = (skipOuter(e.expression) as TS.Identifier).text;
          if (collections.has(name)) grown.add(name);
        }
      }
      t.forEachChild(n, visit);
    };
    visit(body);
    if (grown.size === 1) return [...grown][0];
    if (grown.size > 1) return { ambiguous: [...grown].sort() };
  }
  return undefined;
}

function countDeclarations(sf: TS.SourceFile, name: string): number {
  const t = typescript();
  let count = 0;
  const visit = (n: TS.Node): void => {
    const named = n as TS.Node & { name?: TS.Node };
    if ((t.isVariableDeclaration(n) || t.isParameter(n) || t.isFunctionDeclaration(n) || t.isClassDeclaration(n) || t.isBindingElement(n) || t.isImportSpecifier(n) || t.isImportClause(n)) && named.name && t.isIdentifier(named.name) && named.name.text === name) count++;
    t.forEachChild(n, visit);
  };
  visit(sf);
  return count;
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  let name = targetName(ctx);
  if (name === undefined) {
    const grown = grownInFunction(ctx);
    if (typeof grown === 'object') return refuse(`the function here grows more than one module-level collection (${grown.ambiguous.join(', ')}): point at the growth call of the one to bound`);
    name = grown;
  }
  if (name === undefined) return refuse('no growth of a collection (x.set/add/push(…), x[k] = …), declaration, or function that grows one module-level Map or Set starts here');
  if (countDeclarations(ctx.sf, name) !== 1) return refuse(`${name} is declared more than once (or not at all) in the file`);
  let decl: TS.VariableDeclaration | undefined;
  for (const s of ctx.sf.statements) {
    if (!t.isVariableStatement(s)) continue;
    for (const d of s.declarationList.declarations) if (t.isIdentifier(d.name) && d.name.text === name) decl = d;
  }
  if (decl === undefined || decl.initializer === undefined) return refuse(`${name} is not a collection declared at module level`);
  const init = skipOuter(decl.initializer);
  if (t.isArrayLiteralExpression(init)) return refuse(`${name} is an array: its indexes are its meaning, so it is not capped automatically; keep a Map or cap it by hand`);
  if (t.isObjectLiteralExpression(init) || (t.isCallExpression(init) && init.getText(ctx.sf).replace(/\s+/g, '') === 'Object.create(null)')) {
    return refuse(`${name} is a plain object: convert it to a Map first (its reads and writes change), then bound it`);
  }
  if (!t.isNewExpression(init) || !t.isIdentifier(init.expression)) return refuse(`${name} is not created with new Map(…) or new Set(…)`);
  const kind = init.expression.text;
  const lru = ctx.sf.statements.some((s) => t.isClassDeclaration(s) && s.name?.text === kind && /Inserted by faultline \(bound-collection\)/.test(ctx.text.slice(s.getFullStart(), s.getStart(ctx.sf))));
  if (lru) return refuse(`${name} is already bounded (${kind})`);
  if (kind !== 'Map' && kind !== 'Set') return refuse(`${name} is a ${kind}, not a Map or Set`);
  if (isDeclared(ctx.sf, kind)) return refuse(`the file declares its own ${kind}`);
  const isMap = kind === 'Map';
  const base = isMap ? 'LruMap' : 'LruSet';
  const helper = ensureHelper(
    ctx,
    ID,
    [base],
    (names, typed) => (isMap ? (typed ? TS_MAP : JS_MAP) : typed ? TS_SET : JS_SET).replace(new RegExp(`\\b${base}\\b`, 'g'), names[base] as string),
    `a ${kind} that keeps at most maxEntries entries, dropping the least recently used.`,
  );
  const cls = helper.names[base] as string;
  const max = String(ctx.options.cacheMaxEntries);
  const edits = [...helper.edits, { start: init.expression.getStart(ctx.sf), end: init.expression.end, newText: cls }];
  const args = init.arguments;
  if (args === undefined) edits.push({ start: init.end, end: init.end, newText: `(${max})` });
  else if (args.length === 0) {
    const close = init.end - 1;
    edits.push({ start: close, end: close, newText: max });
  } else {
    const first = (args[0] as TS.Expression).getStart(ctx.sf);
    edits.push({ start: first, end: first, newText: `${max}, ` });
  }
  return { edits };
}

export const boundCollection = defineRecipe({
  id: ID,
  title: 'Bound a growing module-level Map or Set (LRU eviction)',
  category: 'resilience',
  addresses: { smells: ['unbounded-collection'], failureTypes: ['resource-leak', 'crash'] },
  options: ['cacheMaxEntries'],
  plan,
});
