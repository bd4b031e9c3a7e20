/**
 * Code patterns that a smell detector (analyze) and the recipe that fixes it (refactor) must see the same way.
 * Each is one function here, so the detector and the recipe cannot drift apart:
 *
 * - swallowed errors (swallowed-error ↔ handle-error): what counts as a logging call, a catch that only logs,
 *   an empty block that holds a comment, a catch that falls through to a fallback on purpose;
 * - JSON.parse (unguarded-json-parse ↔ guard-json-parse): what a `JSON.parse` call is, and when it is already
 *   inside a try of its function (looking through synchronous array callbacks);
 * - 'error' listeners (missing-error-listener ↔ add-error-listener): which calls create a stream or emitter
 *   that needs one, what counts as an 'error' listener, and where a created value goes (its "fate").
 */
import { calleeName, type Binding, isFunctionLike, moduleRef, skipOuter, within } from './ast.js';
import { typescript, type TS } from './ts.js';

// ---------------------------------------------------------------------------------------------------------
// Swallowed errors: logging calls and catches that only log

/** Receivers whose calls are logging: `console`, `logger`, `this.logger`, `req.log`, `fastify.log`, … */
export const LOGGER = /^(console|logger|log|logging|debug|winston|pino|this\.logger|this\.log|this\.debug|ctx\.log|req\.log|request\.log|fastify\.log|app\.log)$/i;
/** Method names that log when called on something named like a logger (`this.deps.logger.warn`). */
export const LOG_METHODS = /^(log|info|warn|warning|error|debug|trace|fatal|verbose|silly)$/;

/** Is the expression a logging call (`console.error(e)`, `logger.warn(…)`, `debug(…)`, `log(…)`)? */
export function isLogCall(e: TS.Expression, sf: TS.SourceFile): boolean {
  const t = typescript();
  e = skipOuter(e);
  if (!t.isCallExpression(e)) return false;
  const callee = skipOuter(e.expression);
  if (t.isIdentifier(callee)) return /^(debug|log)$/.test(callee.text);
  if (!t.isPropertyAccessExpression(callee)) return false;
  const recv = callee.expression.getText(sf).replace(/\s+/g, '');
  return LOGGER.test(recv) || (LOG_METHODS.test(callee.name.text) && /(^|\.)(logger|log|console)$/i.test(recv));
}

/** Are all the statements logging calls (true for none)? */
export function onlyLogs(statements: readonly TS.Statement[], sf: TS.SourceFile): boolean {
  const t = typescript();
  return statements.every((s) => t.isExpressionStatement(s) && isLogCall(s.expression, sf));
}

/** Does the block hold a comment between its braces (an empty catch with one is a documented decision)? */
export function hasComment(sf: TS.SourceFile, block: TS.Block): boolean {
  return /\/\/|\/\*/.test(sf.text.slice(block.getStart(sf) + 1, block.end - 1));
}

/** `try { …; return a } catch {} <fallback>`: the catch falls through to a fallback on purpose. */
export function fallsThroughToFallback(c: TS.CatchClause): boolean {
  const t = typescript();
  const tryStmt = c.parent;
  if (!t.isTryStatement(tryStmt) || tryStmt.finallyBlock !== undefined) return false;
  const last = tryStmt.tryBlock.statements[tryStmt.tryBlock.statements.length - 1];
  if (last === undefined || !t.isReturnStatement(last)) return false;
  const block = tryStmt.parent;
  if (!t.isBlock(block)) return false;
  const i = block.statements.indexOf(tryStmt);
  return i >= 0 && i < block.statements.length - 1;
}

// ---------------------------------------------------------------------------------------------------------
// JSON.parse

/** Array (and `Array.from`) methods that run their callback synchronously. */
export const SYNC_CALLBACK_TAKERS: ReadonlySet<string> = new Set(['map', 'forEach', 'filter', 'reduce', 'reduceRight', 'some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex', 'flatMap', 'sort', 'from']);

/** A callback an array method runs synchronously (a try around the array call catches its throws). */
export function isSyncArrayCallback(fn: TS.Node): boolean {
  const t = typescript();
  const call = fn.parent;
  if (!call || !t.isCallExpression(call) || !call.arguments.includes(fn as TS.Expression)) return false;
  const callee = skipOuter(call.expression);
  return t.isPropertyAccessExpression(callee) && SYNC_CALLBACK_TAKERS.has(callee.name.text);
}

/**
 * Is the node inside the try block of a try statement of its own function? Function boundaries stop the
 * search, except a synchronous array callback, which is looked through.
 */
export function insideTryOfFunction(node: TS.Node): boolean {
  const t = typescript();
  for (let child: TS.Node = node, p = node.parent; p; child = p, p = p.parent) {
    if (isFunctionLike(p) && !isSyncArrayCallback(p)) return false;
    if (t.isTryStatement(p) && p.tryBlock === child) return true;
  }
  return false;
}

/** A call of the global `JSON.parse` (`JSON.parse(x)`, `(JSON.parse)(x)`). */
export function isJsonParseCall(n: TS.Node): n is TS.CallExpression {
  const t = typescript();
  if (!t.isCallExpression(n)) return false;
  const e = skipOuter(n.expression);
  return t.isPropertyAccessExpression(e) && e.name.text === 'parse' && t.isIdentifier(e.expression) && e.expression.text === 'JSON';
}

// ---------------------------------------------------------------------------------------------------------
// 'error' listeners on streams and emitters

/** Methods that add an event listener. */
export const LISTENER_METHODS: ReadonlySet<string> = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);
/** Stream methods that return the stream itself. */
export const CHAINABLE_STREAM_METHODS: ReadonlySet<string> = new Set(['setEncoding', 'setTimeout', 'setNoDelay', 'setKeepAlive', 'resume', 'pause']);
/** Functions that take over a stream's errors. */
export const SAFE_STREAM_WRAPPERS: ReadonlySet<string> = new Set(['pipeline', 'finished', 'eos', 'pump']);

/** `x.on('error', …)` and the other listener methods with the event 'error'. */
export function isErrorListener(c: TS.CallExpression): boolean {
  const t = typescript();
  const e = skipOuter(c.expression);
  const a0 = c.arguments[0];
  return t.isPropertyAccessExpression(e) && LISTENER_METHODS.has(e.name.text) && a0 !== undefined && t.isStringLiteralLike(a0) && a0.text === 'error';
}

/** A stream or emitter creation that needs an 'error' listener. */
export interface StreamCreation {
  /** how to name it in a message: `fs.createReadStream()`, `new EventEmitter()` */
  what: string;
  /** an EventEmitter: it needs a listener only when someone emits 'error' on it */
  emitterOnly: boolean;
}

/**
 * Is this call or `new` one that creates a stream or emitter needing an 'error' listener:
 * `fs.createReadStream|createWriteStream` (also fs-extra, graceful-fs), `net.connect|createConnection`,
 * `tls.connect`, `zlib.create*`, `new EventEmitter()`?
 */
export function streamCreation(node: TS.CallExpression | TS.NewExpression, bindings: ReadonlyMap<string, Binding>): StreamCreation | undefined {
  const t = typescript();
  const ref = moduleRef(node.expression, bindings);
  if (!ref) return undefined;
  const member = ref.members.join('.');
  if (t.isNewExpression(node)) {
    return ref.module === 'events' && (ref.members.length === 0 || member === 'EventEmitter') ? { what: 'new EventEmitter()', emitterOnly: true } : undefined;
  }
  if (['fs', 'fs-extra', 'graceful-fs'].includes(ref.module) && (member === 'createReadStream' || member === 'createWriteStream')) return { what: `fs.${member}()`, emitterOnly: false };
  if (ref.module === 'net' && (member === 'connect' || member === 'createConnection')) return { what: `net.${member}()`, emitterOnly: false };
  if (ref.module === 'tls' && member === 'connect') return { what: 'tls.connect()', emitterOnly: false };
  if (ref.module === 'zlib' && /^create[A-Z]\w*$/.test(member)) return { what: `zlib.${member}()`, emitterOnly: false };
  return undefined;
}

/** Is the call `<name>.emit('error', …)`? */
export function emitsErrorOn(c: TS.CallExpression, name: string): boolean {
  const t = typescript();
  const e = skipOuter(c.expression);
  const a0 = c.arguments[0];
  if (!t.isPropertyAccessExpression(e) || e.name.text !== 'emit') return false;
  const recv = skipOuter(e.expression);
  return t.isIdentifier(recv) && recv.text === name && a0 !== undefined && t.isStringLiteralLike(a0) && a0.text === 'error';
}

/**
 * Where a created stream or emitter ends, followed up through chained calls:
 * - `handled`: an `.on('error', …)` reaches it, or it goes to `pipeline`/`finished`/`eos`/`pump`;
 * - `escapes`: it leaves (returned, stored, passed to another function), so the receiver may listen;
 * - `inline`: used right here and dropped (`pipeTo`: the destination it is piped into, when there is one);
 * - `variable`: kept in a local variable `name`, declared or assigned by `stmt` (undefined when that is not a
 *   statement of its own, e.g. a `for` initializer or an assignment inside an expression).
 */
export type StreamFate =
  | { kind: 'handled'; how: string }
  | { kind: 'escapes' }
  | { kind: 'inline'; pipeTo?: TS.Expression }
  | { kind: 'variable'; name: string; stmt: TS.Statement | undefined };

export function streamFate(created: TS.Expression): StreamFate {
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
      if (LISTENER_METHODS.has(method)) {
        if (isErrorListener(call)) return { kind: 'handled', how: `an .${method}('error', …) listener` };
        cur = call;
        continue;
      }
      if (method === 'pipe') return { kind: 'inline', pipeTo: pipeTo ?? call.arguments[0] };
      if (CHAINABLE_STREAM_METHODS.has(method)) {
        cur = call;
        continue;
      }
      // another method of the stream (write, end, destroy…): a use, not a hand-over
      return { kind: 'inline', ...(pipeTo ? { pipeTo } : {}) };
    }
    if (t.isPropertyAccessExpression(p) && p.expression === cur) return { kind: 'inline' };
    if (t.isCallExpression(p) && p.arguments.includes(cur)) {
      const name = calleeName(p);
      if (name !== undefined && SAFE_STREAM_WRAPPERS.has(name)) return { kind: 'handled', how: `${name}()` };
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
      if (!t.isIdentifier(p.name)) return { kind: 'escapes' };
      const stmt = t.isVariableDeclarationList(p.parent) && t.isVariableStatement(p.parent.parent) ? p.parent.parent : undefined;
      return { kind: 'variable', name: p.name.text, stmt };
    }
    if (t.isExpressionStatement(p)) return { kind: 'inline', ...(pipeTo ? { pipeTo } : {}) };
    if (t.isBinaryExpression(p) && p.right === cur && p.operatorToken.kind === t.SyntaxKind.EqualsToken && t.isIdentifier(p.left)) {
      return { kind: 'variable', name: p.left.text, stmt: t.isExpressionStatement(p.parent) ? p.parent : undefined };
    }
    return { kind: 'escapes' };
  }
}

export type VariableStreamFate = { kind: 'handled'; how: string } | { kind: 'escapes' } | { kind: 'unhandled'; pipeTo?: TS.Expression };

/**
 * What happens to a local variable `name` holding a stream or emitter, within `scope`: `handled` (an 'error'
 * listener, a safe wrapper), `escapes` (returned, stored, passed on, or kept in another variable other than by a
 * statement of its own), or `unhandled` (with the destination it is piped into, when there is one). `decl` is the
 * statement that declares or assigns it: the name there is not a use. The missing-error-listener smell and the
 * add-error-listener recipe both decide with this, so the smell is reported exactly where the recipe applies.
 */
export function variableStreamFate(name: string, scope: TS.Node, decl: TS.Node): VariableStreamFate {
  const t = typescript();
  let verdict: VariableStreamFate | undefined;
  let pipeTo: TS.Expression | undefined;
  const visit = (n: TS.Node): void => {
    if (verdict) return;
    if (t.isIdentifier(n) && n.text === name && !within(n, decl)) {
      const p = n.parent;
      // a name that declares or selects something (a variable, a parameter, `o.s`, `{ s: 1 }`, a property of a
      // type) is not the variable; a shorthand `{ s }` is
      if ((p as { name?: TS.Node }).name === n && !t.isShorthandPropertyAssignment(p)) return;
      const fate = streamFate(n);
      if (fate.kind === 'handled') verdict = fate;
      else if (fate.kind === 'escapes' || (fate.kind === 'variable' && fate.stmt === undefined)) verdict = { kind: 'escapes' };
      else if (fate.kind === 'inline' && fate.pipeTo && !pipeTo) pipeTo = fate.pipeTo;
      return;
    }
    t.forEachChild(n, visit);
  };
  visit(scope);
  return verdict ?? { kind: 'unhandled', ...(pipeTo ? { pipeTo } : {}) };
}
