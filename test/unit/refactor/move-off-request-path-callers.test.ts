// move-off-request-path when the sync call sits in a helper that is not async: the helper becomes async and every
// caller in the project awaits it (src/refactor/make-async.ts), or the recipe refuses naming the caller that cannot.
import { describe, expect, it } from 'vitest';
import { applyEdits } from '../../../src/refactor/edits.js';
import type { RecipeFile } from '../../../src/refactor/recipe.js';
import { moveOffRequestPath } from '../../../src/refactor/recipes/move-off-request-path.js';
import { parse, syntaxErrors } from '../../../src/refactor/ts.js';
import { locate, newTypeErrors } from './harness.js';

const R = moveOffRequestPath;

const STORE = `import { appendFileSync } from 'node:fs';

export class Store {
  constructor(private readonly file: string) {}

  /** appends one record */
  add(line: string): void {
    /*@*/appendFileSync(this.file, line + '\\n');
  }
}
`;
const API = `import { Store } from './store.js';

const store = new Store('data.jsonl');

export async function place(body: string): Promise<{ ok: boolean }> {
  // keep this comment
  store.add(body);
  return { ok: true };
}

export async function twice(s: Store, a: string): Promise<void> {
  s.add(a);
  const r = s.add(a);
  return r;
}
`;
const JS_CALLER = `import { Store } from '../src/store.js';

const s = new Store('t.jsonl');
export const run = async () => {
  s.add('x');
};
`;

/** Applies the recipe at the store's marker with the given project files; returns every changed file's text. */
function run(files: Record<string, string>): { ok: true; texts: Record<string, string> } | { ok: false; reason: string } {
  const marked = Object.entries(files).find(([, t]) => t.includes('/*@*/'));
  if (!marked) throw new Error('no marker');
  const [path, input] = marked;
  const { text, location } = locate(input, path);
  const project: RecipeFile[] = Object.entries(files).map(([p, t]) => ({ path: p, text: p === path ? text : t }));
  const c = R.changes!({ path, text }, location, {}, { files: () => project });
  if (!c.ok) return c;
  const texts: Record<string, string> = { [path]: applyEdits(text, c.edits) };
  for (const o of c.others) texts[o.path] = applyEdits(files[o.path] as string, o.edits);
  for (const [p, t] of Object.entries(texts)) expect(syntaxErrors(parse(p, t)), p).toBe(0);
  // idempotent: applied again at the same place, there is no sync call left to move
  const again = R.changes!({ path, text: texts[path] as string }, location, {}, { files: () => Object.entries({ ...files, ...texts }).map(([p, t]) => ({ path: p, text: t })) });
  expect(again.ok).toBe(false);
  return { ok: true, texts };
}

describe('move-off-request-path through a helper that is not async', () => {
  it('makes the method async (Promise<void>) and every caller in the project await it, TypeScript and JavaScript', () => {
    const r = run({ 'src/store.ts': STORE, 'src/api.ts': API, 'test/store.test.mjs': JS_CALLER });
    if (!r.ok) throw new Error(r.reason);
    expect(r.texts['src/store.ts']).toBe(`import { appendFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';

export class Store {
  constructor(private readonly file: string) {}

  /** appends one record */
  async add(line: string): Promise<void> {
    await appendFile(this.file, line + '\\n');
  }
}
`);
    expect(r.texts['src/api.ts']).toBe(API.replace('  store.add(body);', '  await store.add(body);').replace('  s.add(a);', '  await s.add(a);').replace('const r = s.add(a);', 'const r = await s.add(a);'));
    expect(r.texts['test/store.test.mjs']).toBe(JS_CALLER.replace("  s.add('x');", "  await s.add('x');"));
    // the change type-checks (the callers' files included)
    expect(newTypeErrors('src/store.ts', STORE.replace('/*@*/', ''), r.texts['src/store.ts'] as string)).toEqual([]);
  });

  it('a function declaration and an arrow const become async too; an export modifier stays first', () => {
    const r = run({
      'lib/log.js': `const fs = require('fs');\nexport function write(p, s) {\n  /*@*/fs.writeFileSync(p, s);\n}\nexport const later = async () => { write('a', 'b'); };\n`,
    });
    if (!r.ok) throw new Error(r.reason);
    expect(r.texts['lib/log.js']).toBe(`const fs = require('fs');\nexport async function write(p, s) {\n  await fs.promises.writeFile(p, s);\n}\nexport const later = async () => { await write('a', 'b'); };\n`);
    const arrow = run({ 'a.ts': `import { readFileSync } from 'fs';\nconst load = (p: string): string => {\n  return /*@*/readFileSync(p, 'utf8');\n};\nexport async function h(): Promise<string> {\n  return load('x');\n}\n` });
    if (!arrow.ok) throw new Error(arrow.reason);
    expect(arrow.texts['a.ts']).toBe(`import { readFileSync } from 'fs';\nimport { readFile } from 'fs/promises';\nconst load = async (p: string): Promise<string> => {\n  return await readFile(p, 'utf8');\n};\nexport async function h(): Promise<string> {\n  return await load('x');\n}\n`);
  });

  it('refuses, naming the reference, when a caller could not await it', () => {
    const refuse = (files: Record<string, string>, reason: RegExp): void => {
      const r = run(files);
      expect(r.ok, JSON.stringify(r)).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    };
    refuse({ 'src/store.ts': STORE, 'src/sync.ts': `import { Store } from './store.js';\nexport function go(s: Store): void {\n  s.add('x');\n}\n` }, /called at src\/sync\.ts:3 in go, which is not async/);
    refuse({ 'src/store.ts': STORE, 'src/v.ts': `import { Store } from './store.js';\nexport async function go(s: Store, xs: string[]): Promise<void> {\n  xs.forEach(s.add);\n}\n` }, /used as a value at src\/v\.ts:3/);
    refuse({ 'src/store.ts': STORE, 'src/e.ts': `import { Store } from './store.js';\nexport async function go(s: Store): Promise<boolean> {\n  return s.add('x') === undefined;\n}\n` }, /result of add\(…\) at src\/e\.ts:3 is used in an expression/);
    refuse({ 'src/store.ts': STORE, 'src/sub.ts': `import { Store } from './store.js';\nexport class Sub extends Store {}\n` }, /Store is extended at src\/sub\.ts:2/);
    refuse({ 'src/store.ts': STORE.replace('export class Store {', 'export class Store implements Sink {'), 'src/sink.ts': 'export interface Sink { add(l: string): void }\n' }, /implements an interface/);
    refuse({ 'src/store.ts': STORE, 'test/any.mjs': `export const run = async (s) => {\n  s.add('x');\n};\n` }, /s\.add at test\/any\.mjs:2 may be a call of add \(its receiver's type is unknown\)/);
    refuse({ 'src/store.ts': STORE, 'src/top.mjs': `import { Store } from './store.js';\nnew Store('f').add('x');\n` }, /outside any function/);
    refuse({ 'a.js': `const fs = require('fs');\napp.get('/', (req, res) => res.send(/*@*/fs.readFileSync('a')));\n` }, /anonymous function/);
    refuse({ 'a.ts': `import fs from 'fs';\nclass C {\n  get v(): string {\n    return /*@*/fs.readFileSync('a', 'utf8');\n  }\n}\n` }, /property accessor cannot be async/);
  });

  it('without the project (a recipe call that gives only the file) it refuses and says why', () => {
    const { text, location } = locate(STORE, 'src/store.ts');
    const a = R.applies({ path: 'src/store.ts', text }, location);
    expect(a).toMatchObject({ ok: false });
    if (!a.ok) expect(a.reason).toMatch(/not async, and it cannot be made async: .*not given the project's files/);
  });
});
