/**
 * add-error-listener: a stream or emitter created here with nobody listening for 'error' gets a listener —
 * an 'error' event without one throws and ends the process. What the listener does, first that fits:
 *
 * 1. the stream is piped into a destination (`.pipe(res)`): destroy the destination with the error
 *    (`pipe` does not forward errors, so without this the response hangs);
 * 2. it is created inside a `new Promise((resolve, reject) => …)` executor: `reject`;
 * 3. a function around it has a `next`/`callback`/`cb`/`done` parameter: pass the error to it;
 * 4. otherwise report it on stderr (the stream is destroyed by Node; the process stays up).
 *
 * A value kept in a variable gets `x.on('error', …)` on the line after its declaration; one used inline
 * gets `.on('error', …)` chained right after its creation (`on` returns the stream, so the chain is
 * unchanged). Sees the creators the analyze stage sees: `fs.createReadStream|createWriteStream`,
 * `net.connect|createConnection`, `tls.connect`, `zlib.create*`, and `new EventEmitter()` that this
 * function emits 'error' on. Refuses: a value that already has an 'error' listener or goes to
 * `pipeline`/`finished`, one that leaves the function (returned, stored, passed on: the receiver may listen),
 * and an EventEmitter nobody here emits 'error' on.
 */
import { enclosingFunction, isPure, moduleRef, skipOuter, within } from '../ast.js';
import { defineRecipe, type Plan, type RecipeContext, refuse } from '../recipe.js';
import { indentAt, lineBounds, quoted, semi } from '../style.js';
import { typescript, type TS } from '../ts.js';

const LISTEN = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);
const CHAINABLE = new Set(['setEncoding', 'setTimeout', 'setNoDelay', 'setKeepAlive', 'resume', 'pause']);
const SAFE_WRAPPERS = new Set(['pipeline', 'finished', 'eos', 'pump']);
const CALLBACK_PARAMS = /^(next|callback|cb|done)$/;

type Fate = { kind: 'handled'; how: string } | { kind: 'escapes' } | { kind: 'inline'; pipeTo?: TS.Expression } | { kind: 'variable'; name: string; stmt: TS.Statement };

function calleeName(c: TS.CallExpression): string | undefined {
  const t = typescript();
  const e = skipOuter(c.expression);
  if (t.isIdentifier(e)) return e.text;
  if (t.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

function isErrorListener(c: TS.CallExpression): boolean {
  const t = typescript();
  const e = skipOuter(c.expression);
  const a0 = c.arguments[0];
  return t.isPropertyAccessExpression(e) && LISTEN.has(e.name.text) && a0 !== undefined && t.isStringLiteralLike(a0) && a0.text === 'error';
}

/** Follows a value up through chained calls to where it ends. */
function fateOf(created: TS.Expression): Fate {
  const t = typescript();
  let cur: TS.Expression = created;
  let pipeTo: TS.Expression | undefined;
  for (;;) {
    let p: TS.Node = cur.parent;
    while (t.isParenthesizedExpression(p) || t.isAsExpression(p) || t.isNonNullExpression(p)) {
      cur = p as TS.Expression;
      p = p.parent;
    }
    if (t.isPropertyAccessExpression(p) && p.expression === cur && t.isCallExpression(p.parent) && p.parent.expression === p) {
      const call = p.parent;
      const method = p.name.text;
      if (LISTEN.has(method)) {
        if (isErrorListener(call)) return { kind: 'handled', how: `an .${method}('error', …) listener` };
        cur = call;
        continue;
      }
      if (method === 'pipe') return { kind: 'inline', pipeTo: pipeTo ?? call.arguments[0] };
      if (CHAINABLE.has(method)) {
        cur = call;
        continue;
      }
      return { kind: 'inline', ...(pipeTo ? { pipeTo } : {}) };
    }
    if (t.isPropertyAccessExpression(p) && p.expression === cur) return { kind: 'inline' };
    if (t.isCallExpression(p) && p.arguments.includes(cur)) {
      const name = calleeName(p);
      if (name !== undefined && SAFE_WRAPPERS.has(name)) return { kind: 'handled', how: `${name}()` };
      if (name === 'pipe') {
        // created inline as a pipe destination: pipe returns it; its own errors go to the next destination
        cur = p;
        pipeTo = undefined;
        const next = p.parent;
        if (t.isPropertyAccessExpression(next) && next.name.text === 'pipe' && t.isCallExpression(next.parent)) pipeTo = next.parent.arguments[0];
        if (pipeTo !== undefined) return { kind: 'inline', pipeTo };
        continue;
      }
      return { kind: 'escapes' };
    }
    if (t.isVariableDeclaration(p) && p.initializer === cur) {
      if (!t.isIdentifier(p.name) || !t.isVariableDeclarationList(p.parent) || !t.isVariableStatement(p.parent.parent)) return { kind: 'escapes' };
      return { kind: 'variable', name: p.name.text, stmt: p.parent.parent };
    }
    if (t.isExpressionStatement(p)) return { kind: 'inline', ...(pipeTo ? { pipeTo } : {}) };
    if (t.isBinaryExpression(p) && p.right === cur && p.operatorToken.kind === t.SyntaxKind.EqualsToken && t.isIdentifier(p.left) && t.isExpressionStatement(p.parent)) {
      return { kind: 'variable', name: p.left.text, stmt: p.parent };
    }
    return { kind: 'escapes' };
  }
}

/** What happens to a variable holding the value, within its function: handled, escapes, or its pipe destination. */
function variableFate(name: string, scope: TS.Node, decl: TS.Node): { kind: 'handled'; how: string } | { kind: 'escapes' } | { kind: 'unhandled'; pipeTo?: TS.Expression } {
  const t = typescript();
  let verdict: { kind: 'handled'; how: string } | { kind: 'escapes' } | undefined;
  let pipeTo: TS.Expression | undefined;
  const visit = (n: TS.Node): void => {
    if (verdict) return;
    if (t.isIdentifier(n) && n.text === name && !within(n, decl)) {
      const p = n.parent;
      if ((t.isVariableDeclaration(p) || t.isParameter(p)) && p.name === n) return;
      if (t.isPropertyAccessExpression(p) && p.name === n) return;
      const fate = fateOf(n);
      if (fate.kind === 'handled' || fate.kind === 'escapes') verdict = fate;
      else if (fate.kind === 'inline' && fate.pipeTo && !pipeTo) pipeTo = fate.pipeTo;
      return;
    }
    t.forEachChild(n, visit);
  };
  visit(scope);
  return verdict ?? { kind: 'unhandled', ...(pipeTo ? { pipeTo } : {}) };
}

/** Does this function emit 'error' on the named emitter? */
function emitsError(scope: TS.Node, name: string): boolean {
  const t = typescript();
  let found = false;
  const visit = (n: TS.Node): void => {
    if (found) return;
    if (t.isCallExpression(n)) {
      const e = skipOuter(n.expression);
      const a0 = n.arguments[0];
      if (t.isPropertyAccessExpression(e) && e.name.text === 'emit' && t.isIdentifier(skipOuter(e.expression)) && (skipOuter(e.expression) as TS.Identifier).text === name && a0 && t.isStringLiteralLike(a0) && a0.text === 'error') found = true;
    }
    t.forEachChild(n, visit);
  };
  visit(scope);
  return found;
}

function handler(ctx: RecipeContext, node: TS.Node, what: string, pipeTo: TS.Expression | undefined): string {
  const t = typescript();
  const q = (s: string): string => quoted(s, ctx.style);
  if (pipeTo !== undefined && isPure(pipeTo, ctx.sf) && !/^process\.(stdout|stderr)$/.test(pipeTo.getText(ctx.sf))) return `(err) => ${pipeTo.getText(ctx.sf)}.destroy(err)`;
  for (let fn = enclosingFunction(node); fn; fn = enclosingFunction(fn)) {
    const { parent } = { parent: fn.parent };
    if (t.isNewExpression(parent) && t.isIdentifier(parent.expression) && parent.expression.text === 'Promise') {
      const rejectParam = fn.parameters[1];
      if (rejectParam && t.isIdentifier(rejectParam.name)) return rejectParam.name.text;
    }
    const cb = fn.parameters.find((p) => t.isIdentifier(p.name) && CALLBACK_PARAMS.test(p.name.text));
    if (cb) return `(err) => ${(cb.name as TS.Identifier).text}(err)`;
  }
  return `(err) => console.error(${q(`${what} failed:`)}, err)`;
}

interface Created {
  node: TS.CallExpression | TS.NewExpression;
  what: string;
  emitterOnly: boolean;
}

function created(ctx: RecipeContext): Created | undefined {
  const t = typescript();
  const bindings = ctx.bindings();
  const nodes = ctx.at((n): n is TS.CallExpression | TS.NewExpression => t.isCallExpression(n) || t.isNewExpression(n));
  for (const c of [...nodes].reverse()) {
    const ref = moduleRef(c.expression, bindings);
    if (!ref) continue;
    const member = ref.members.join('.');
    if (t.isNewExpression(c)) {
      if (ref.module === 'events' && (ref.members.length === 0 || member === 'EventEmitter')) return { node: c, what: 'new EventEmitter()', emitterOnly: true };
      continue;
    }
    if (['fs', 'fs-extra', 'graceful-fs'].includes(ref.module) && (member === 'createReadStream' || member === 'createWriteStream')) return { node: c, what: `fs.${member}()`, emitterOnly: false };
    if (ref.module === 'net' && (member === 'connect' || member === 'createConnection')) return { node: c, what: `net.${member}()`, emitterOnly: false };
    if (ref.module === 'tls' && member === 'connect') return { node: c, what: 'tls.connect()', emitterOnly: false };
    if (ref.module === 'zlib' && /^create[A-Z]\w*$/.test(member)) return { node: c, what: `zlib.${member}()`, emitterOnly: false };
  }
  return undefined;
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const c = created(ctx);
  if (c === undefined) return refuse('no stream or emitter creation add-error-listener knows starts here (fs/net/tls/zlib streams, new EventEmitter())');
  const fate = fateOf(c.node);
  if (fate.kind === 'handled') return refuse(`${c.what} already has ${fate.how}`);
  if (fate.kind === 'escapes') return refuse(`${c.what} leaves this function (returned, stored or passed on): whoever receives it may listen`);
  const scope: TS.Node = enclosingFunction(c.node) ?? ctx.sf;
  if (fate.kind === 'variable') {
    const v = variableFate(fate.name, scope, fate.stmt);
    if (v.kind === 'handled') return refuse(`${fate.name} already has ${v.how}`);
    if (v.kind === 'escapes') return refuse(`${fate.name} leaves this function (returned, stored or passed on): whoever receives it may listen`);
    if (c.emitterOnly && !emitsError(scope, fate.name)) return refuse(`nothing here emits 'error' on ${fate.name}`);
    const container = fate.stmt.parent;
    if (!t.isBlock(container) && !t.isSourceFile(container) && !t.isModuleBlock(container) && !t.isCaseClause(container) && !t.isDefaultClause(container)) return refuse('the declaration is not in a block where a statement can follow it');
    const { end } = lineBounds(ctx.text, fate.stmt.end);
    const indent = indentAt(ctx.text, fate.stmt.getStart(ctx.sf));
    const h = handler(ctx, c.node, c.what, v.pipeTo);
    return { edits: [{ start: end, end, newText: `${ctx.style.eol}${indent}${fate.name}.on(${quoted('error', ctx.style)}, ${h})${semi(ctx.style)}` }] };
  }
  if (c.emitterOnly) return refuse('an EventEmitter used inline: nothing here emits error on it');
  const h = handler(ctx, c.node, c.what, fate.pipeTo);
  const needsParens = t.isNewExpression(c.node) && c.node.arguments === undefined;
  return { edits: [{ start: c.node.end, end: c.node.end, newText: `${needsParens ? '()' : ''}.on(${quoted('error', ctx.style)}, ${h})` }] };
}

export const addErrorListener = defineRecipe({
  id: 'add-error-listener',
  title: "Add an 'error' listener to a stream or emitter",
  category: 'resilience',
  addresses: { smells: ['missing-error-listener'], failureTypes: ['crash', 'unhandled-error'] },
  options: [],
  plan,
});

