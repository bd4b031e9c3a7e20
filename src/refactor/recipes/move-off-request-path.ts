/**
 * move-off-request-path: a synchronous fs call (`fs.readFileSync`, `statSync`, …) in a function that is
 * already async becomes the awaited call of `fs.promises`, so the event loop serves other requests while the
 * disk works (the result is the same value: `readFileSync` → `await fs.promises.readFile`,
 * `existsSync(p)` → `await fs.promises.access(p).then(() => true, () => false)`). A namespace or default
 * import of fs is used as `fs.promises.x`; a named import (`import { readFileSync } from 'fs'`,
 * `const { readFileSync } = require('fs')`) gets a sibling import of `x` from 'fs/promises' in the same
 * module syntax.
 *
 * In a function that is not async, the function becomes async and every caller in the project awaits it
 * (src/refactor/make-async.ts: the callers from the type checker's references; it refuses when one of them cannot
 * await, naming it, and when the recipe is not given the project's files).
 *
 * Refuses: module code (it runs once, at load); fd-based calls
 * (`openSync`, `readSync`, `writeSync`, `closeSync`: the promise API uses FileHandles); `statSync` with
 * `throwIfNoEntry` (no promise equivalent); sync calls of crypto, zlib and child_process (their async forms
 * take callbacks with other results: rewrite by hand with util.promisify).
 */
import { enclosingFunction, isAsync, moduleRef, outerParent } from '../ast.js';
import { literalKeys } from '../objects.js';
import { makeAsync } from '../make-async.js';
import { defineRecipe, type FileEdits, type Plan, type RecipeContext, refuse, type TextEdit } from '../recipe.js';
import { lineBounds, quoted, semi } from '../style.js';
import { typescript, type TS } from '../ts.js';

/** `xSync` → the `fs.promises.x` that resolves to the same value */
const FS_ASYNC = new Set([
  'readFile',
  'writeFile',
  'appendFile',
  'readdir',
  'stat',
  'lstat',
  'mkdir',
  'mkdtemp',
  'rm',
  'rmdir',
  'unlink',
  'rename',
  'copyFile',
  'cp',
  'access',
  'realpath',
  'readlink',
  'symlink',
  'link',
  'chmod',
  'chown',
  'lchown',
  'utimes',
  'lutimes',
  'truncate',
  'opendir',
]);
const FD_CALLS = new Set(['openSync', 'readSync', 'writeSync', 'closeSync', 'fstatSync', 'fsyncSync', 'ftruncateSync', 'fchmodSync', 'fchownSync', 'futimesSync', 'readvSync', 'writevSync', 'fdatasyncSync']);
const OTHER_SYNC_MODULES = new Set(['crypto', 'zlib', 'child_process']);

function needsParens(call: TS.Node): boolean {
  const t = typescript();
  const { node, parent } = outerParent(call);
  if (node !== call) return false; // already in parentheses
  return (
    (t.isPropertyAccessExpression(parent) && parent.expression === call) ||
    (t.isElementAccessExpression(parent) && parent.expression === call) ||
    ((t.isCallExpression(parent) || t.isNewExpression(parent)) && parent.expression === call) ||
    t.isTaggedTemplateExpression(parent) ||
    (t.isBinaryExpression(parent) && parent.operatorToken.kind === t.SyntaxKind.AsteriskAsteriskToken && parent.left === call)
  );
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const bindings = ctx.bindings();
  let call: TS.CallExpression | undefined;
  let sync = '';
  let module = '';
  for (const c of ctx.at((n): n is TS.CallExpression => t.isCallExpression(n)).reverse()) {
    const ref = moduleRef(c.expression, bindings);
    const last = ref?.members[ref.members.length - 1];
    if (ref && last?.endsWith('Sync')) {
      call = c;
      sync = last;
      module = ref.module;
      break;
    }
  }
  if (call === undefined) return refuse('no *Sync call of an imported module starts here');
  if (OTHER_SYNC_MODULES.has(module)) return refuse(`${module}.${sync} has no promise API with the same result; rewrite it with util.promisify(${module}.${sync.replace(/Sync$/, '')}) by hand`);
  if (module !== 'fs') return refuse(`${module}.${sync}: only the fs module is rewritten (fs-extra and graceful-fs have their own promise APIs)`);
  if (FD_CALLS.has(sync)) return refuse(`fs.${sync} works on a file descriptor; fs.promises works on FileHandles: rewrite with fs.promises.open by hand`);
  const base = sync.replace(/Sync$/, '');
  if (base !== 'exists' && !FS_ASYNC.has(base)) return refuse(`fs.${sync} has no fs.promises counterpart this recipe knows`);
  if ((base === 'stat' || base === 'lstat') && call.arguments[1] !== undefined) {
    const o = call.arguments[1];
    const keys = t.isObjectLiteralExpression(o) ? literalKeys(o) : undefined;
    if (keys === undefined || keys.has('throwIfNoEntry')) return refuse(`fs.${sync} with throwIfNoEntry (or unknown options) has no fs.promises equivalent`);
  }
  const fn = enclosingFunction(call);
  if (fn === undefined) return refuse(`fs.${sync} runs in module code, once at load time: not on a request path`);
  let made: { edits: TextEdit[]; others: FileEdits[] } | undefined;
  if (!isAsync(fn)) {
    // the function becomes async and every caller awaits it, when all of them can (src/refactor/make-async.ts)
    const m = makeAsync(ctx, fn);
    if ('refuse' in m) return refuse(`fs.${sync} is in a function that is not async, and it cannot be made async: ${m.refuse}`);
    made = m;
  }
  const asyncName = base === 'exists' ? 'access' : base;
  const callee = call.expression;
  const edits: TextEdit[] = [];
  let target: string;
  const ref = moduleRef(callee, bindings);
  const binding = ref?.binding;
  if (t.isPropertyAccessExpression(callee) && binding && (binding.name === '*' || binding.name === 'default') && ref?.members.length === 1) {
    target = `${callee.expression.getText(ctx.sf)}.promises.${asyncName}`;
  } else if (binding && binding.name === sync) {
    // a named import: import the promise function next to it
    const existing = [...bindings.entries()].find(([, b]) => b.module === 'fs/promises' && b.name === asyncName);
    if (existing) target = existing[0];
    else {
      const taken = ctx.names();
      const local = taken.has(asyncName) ? (taken.has(`${asyncName}Async`) ? undefined : `${asyncName}Async`) : asyncName;
      if (local === undefined) return refuse(`the names ${asyncName} and ${asyncName}Async are both taken in this file`);
      target = local;
      const decl = binding.decl;
      const spec = (t.isImportDeclaration(decl) ? (decl.moduleSpecifier as TS.StringLiteral).text : ctx.text.slice(decl.getStart(ctx.sf), decl.end)).includes('node:fs') ? 'node:fs/promises' : 'fs/promises';
      const named = local === asyncName ? asyncName : `${asyncName} as ${local}`;
      const q = quoted(spec, ctx.style);
      let line: string;
      let after: TS.Node;
      if (t.isImportDeclaration(decl)) {
        line = `import { ${named} } from ${q}${semi(ctx.style)}`;
        after = decl;
      } else if (t.isVariableDeclaration(decl) && t.isVariableStatement(decl.parent.parent)) {
        line = `const { ${local === asyncName ? asyncName : `${asyncName}: ${local}`} } = require(${q})${semi(ctx.style)}`;
        after = decl.parent.parent;
      } else return refuse(`cannot tell how ${sync} was imported`);
      const { end } = lineBounds(ctx.text, after.end);
      edits.push({ start: end, end, newText: `${ctx.style.eol}${line}` });
    }
  } else return refuse(`cannot tell how fs.${sync} is reached from the fs module`);
  const paren = needsParens(call);
  const tail = `${base === 'exists' ? '.then(() => true, () => false)' : ''}${paren ? ')' : ''}`;
  edits.push({ start: callee.getStart(ctx.sf), end: callee.end, newText: `${paren ? '(' : ''}await ${target}` });
  if (tail !== '') edits.push({ start: call.end, end: call.end, newText: tail });
  return made ? { edits: [...made.edits, ...edits], others: made.others } : { edits };
}

export const moveOffRequestPath = defineRecipe({
  id: 'move-off-request-path',
  title: 'Replace a blocking fs call with its awaited promise form',
  category: 'resilience',
  addresses: { smells: ['sync-io-on-request-path'], failureTypes: ['blocking-io', 'timeout'] },
  options: [],
  plan,
});
