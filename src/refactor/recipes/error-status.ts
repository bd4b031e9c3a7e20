/**
 * error-status: in the catch-all of an HTTP request handler that answers every error with a literal 500, answer
 * the error's own status when it carries a client-error one — `status` or `statusCode`, an integer 400–499, the
 * convention of http-errors, Express, Fastify and Koa (guard-json-parse's JsonParseError carries 400) — and 500
 * otherwise. For a 5xx the client no longer gets the raw error message (a generic `internal error`); logging
 * calls (`console.*`, `logger.error(…)`) keep it. A local helper `errorStatus(err)` is inserted after the imports.
 *
 * The location is a line inside the try (the handler's call that threw, as the evidence's outermost frame names
 * it) or in its catch: the innermost try around it whose catch answers a literal 500 is the one changed. The
 * answer forms: a 500 argument of a call (`send(res, 500, …)`, `res.writeHead(500)`, `res.status(500).json(…)`,
 * `reply.code(500)`, `res.sendStatus(500)`) or a 500 assigned (`res.statusCode = 500`, `ctx.status = 500`).
 *
 * Refuses: no try with a catch around the location, no literal 500 answered in that catch (or several), a catch
 * that already computes the status from the error (`err.status`, `err.statusCode`, the helper), a catch whose
 * error is bound by a destructuring pattern, and a try that is not inside an HTTP request handler — a function
 * with `(req, res)` / `(request, reply)` / `(ctx)` parameters, a `createServer(…)` or `.on('request', …)`
 * callback, or a callback of a route method (`app.get(…)`, `router.post(…)`, `fastify.route(…)`).
 */
import { enclosingFunction, isFunctionLike, skipOuter, uniqueName, walk, type FunctionLike } from '../ast.js';
import { ensureHelper } from '../helpers.js';
import { defineRecipe, type Plan, type RecipeContext, refuse, type TextEdit } from '../recipe.js';
import { quoted } from '../style.js';
import { typescript, type TS } from '../ts.js';

const ID = 'error-status';
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options', 'all', 'use', 'route', 'handle', 'handler']);
const RES_NAMES = /^(res|resp|response|reply|rep)$/;
const REQ_NAMES = /^(req|request|incoming|msg|message)$/;
const CTX_NAMES = /^(ctx|context)$/;
const LOG_CALLEE = /^(log|warn|error|info|debug|trace|fatal|report|captureException)$/;
const GENERIC_MESSAGE = 'internal error';

const TS_HELPER = `function errorStatus(err: unknown): number {
  if (typeof err === 'object' && err !== null) {
    for (const s of [(err as { status?: unknown }).status, (err as { statusCode?: unknown }).statusCode]) {
      if (typeof s === 'number' && Number.isInteger(s) && s >= 400 && s <= 499) return s;
    }
  }
  return 500;
}`;

const JS_HELPER = `function errorStatus(err) {
  if (typeof err === 'object' && err !== null) {
    for (const s of [err.status, err.statusCode]) {
      if (typeof s === 'number' && Number.isInteger(s) && s >= 400 && s <= 499) return s;
    }
  }
  return 500;
}`;

const paramName = (p: TS.ParameterDeclaration | undefined): string | undefined => {
  const t = typescript();
  return p && t.isIdentifier(p.name) ? p.name.text : undefined;
};

/** How the function is recognised as an HTTP request handler, or undefined. */
function handlerKind(fn: FunctionLike): string | undefined {
  const t = typescript();
  const [a, b] = [paramName(fn.parameters[0]), paramName(fn.parameters[1])];
  if (b !== undefined && RES_NAMES.test(b)) return `(${a ?? '…'}, ${b}) parameters`;
  if (a !== undefined && REQ_NAMES.test(a) && b !== undefined) return `(${a}, ${b}) parameters`;
  if (a !== undefined && CTX_NAMES.test(a) && fn.parameters.length <= 2) return `(${a}) parameter`;
  const call = fn.parent;
  if (call && t.isCallExpression(call) && call.arguments.includes(fn as TS.Expression)) {
    const callee = skipOuter(call.expression);
    const name = t.isIdentifier(callee) ? callee.text : t.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
    if (name === 'createServer' || name === 'createSecureServer') return `${name} callback`;
    const first = call.arguments[0];
    if (name === 'on' && first && t.isStringLiteral(first) && first.text === 'request') return "'request' listener";
    if (name !== undefined && ROUTE_METHODS.has(name) && t.isPropertyAccessExpression(callee)) return `.${name}(…) route callback`;
  }
  return undefined;
}

/** The nearest enclosing function that is an HTTP handler (the try may sit in a nested block or arrow). */
function enclosingHandler(node: TS.Node): FunctionLike | undefined {
  for (let fn = enclosingFunction(node); fn; fn = enclosingFunction(fn)) if (handlerKind(fn) !== undefined) return fn;
  return undefined;
}

/** Nodes of the catch block outside nested functions. */
function ownNodes(block: TS.Block, visit: (n: TS.Node) => void): void {
  const t = typescript();
  const go = (n: TS.Node): void => {
    visit(n);
    if (isFunctionLike(n) || t.isClassLike(n)) return;
    t.forEachChild(n, go);
  };
  t.forEachChild(block, go);
}

/** The literal 500s the catch answers with: call arguments and assigned values. */
function answered500(t: typeof TS, block: TS.Block): TS.NumericLiteral[] {
  const out: TS.NumericLiteral[] = [];
  ownNodes(block, (n) => {
    if (!t.isNumericLiteral(n) || Number(n.text) !== 500) return;
    const p = n.parent;
    if (t.isCallExpression(p) && p.arguments.includes(n)) out.push(n);
    else if (t.isBinaryExpression(p) && p.operatorToken.kind === t.SyntaxKind.EqualsToken && p.right === n && t.isPropertyAccessExpression(p.left)) out.push(n);
  });
  return out;
}

/** A read of `<err>.status`/`.statusCode`, or a call of the inserted helper: the status is already the error's. */
function computesStatus(t: typeof TS, block: TS.Block, errName: string, helperNames: ReadonlySet<string>): boolean {
  let found = false;
  ownNodes(block, (n) => {
    if (found) return;
    if (t.isPropertyAccessExpression(n) && (n.name.text === 'status' || n.name.text === 'statusCode')) {
      const o = skipOuter(n.expression);
      if (t.isIdentifier(o) && o.text === errName) found = true;
    }
    if (t.isCallExpression(n) && t.isIdentifier(n.expression) && helperNames.has(n.expression.text)) found = true;
  });
  return found;
}

/** Inside a logging call (console.error(…), logger.warn(…), log(…)): the raw message stays there. */
function inLogCall(t: typeof TS, n: TS.Node, stop: TS.Node): boolean {
  for (let p = n.parent; p && p !== stop; p = p.parent) {
    if (!t.isCallExpression(p)) continue;
    const c = skipOuter(p.expression);
    if (t.isIdentifier(c) && LOG_CALLEE.test(c.text)) return true;
    if (t.isPropertyAccessExpression(c)) {
      const obj = skipOuter(c.expression);
      if (LOG_CALLEE.test(c.name.text) || (t.isIdentifier(obj) && /^(console|logger|log)$/i.test(obj.text))) return true;
    }
  }
  return false;
}

/**
 * Names a new local of the handler must avoid: identifiers used as names (not property names) inside the handler,
 * and the names the module declares at its top level.
 */
function namesAround(sf: TS.SourceFile, handler: TS.Node): Set<string> {
  const t = typescript();
  const out = new Set<string>();
  for (const st of sf.statements) {
    if ((t.isFunctionDeclaration(st) || t.isClassDeclaration(st)) && st.name) out.add(st.name.text);
    if (t.isVariableStatement(st)) for (const d of st.declarationList.declarations) walk(d.name, (n) => void (t.isIdentifier(n) && out.add(n.text)));
    if (t.isImportDeclaration(st) && st.importClause) walk(st.importClause, (n) => void (t.isIdentifier(n) && out.add(n.text)));
  }
  walk(handler, (n) => {
    if (!t.isIdentifier(n)) return;
    const p = n.parent;
    if (p && ((t.isPropertyAccessExpression(p) && p.name === n) || (t.isPropertyAssignment(p) && p.name === n) || (t.isPropertySignature(p) && p.name === n) || (t.isMethodSignature(p) && p.name === n) || (t.isPropertyDeclaration(p) && p.name === n) || (t.isMethodDeclaration(p) && p.name === n))) return;
    out.add(n.text);
  });
  return out;
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const line0 = ctx.line0;
  const lineOf = (pos: number): number => ctx.sf.getLineAndCharacterOfPosition(pos).line;
  const tries: TS.TryStatement[] = [];
  walk(ctx.sf, (n) => {
    if (t.isTryStatement(n) && n.catchClause && lineOf(n.getStart(ctx.sf)) <= line0 && lineOf(n.end) >= line0) tries.push(n);
  });
  if (tries.length === 0) return refuse('the location is not inside a try/catch; give a line of the try whose catch answers 500, or of that catch');
  // innermost first
  tries.sort((a, b) => b.getStart(ctx.sf) - a.getStart(ctx.sf));
  const helperNames = new Set(['errorStatus', ...[...ctx.names()].filter((n) => /^errorStatus\d+$/.test(n))]);
  const chosen = tries.find((x) => answered500(t, (x.catchClause as TS.CatchClause).block).length > 0);
  if (!chosen) {
    const inner = (tries[0] as TS.TryStatement).catchClause as TS.CatchClause;
    const name = inner.variableDeclaration && t.isIdentifier(inner.variableDeclaration.name) ? inner.variableDeclaration.name.text : '';
    if (computesStatus(t, inner.block, name, helperNames)) return refuse('the catch already computes the status from the error');
    return refuse('no literal 500 is answered in the catch around this line');
  }
  const clause = chosen.catchClause as TS.CatchClause;
  const lits = answered500(t, clause.block);
  if (lits.length > 1) return refuse(`the catch answers a literal 500 in ${lits.length} places; change it by hand`);
  const decl = clause.variableDeclaration;
  if (decl && !t.isIdentifier(decl.name)) return refuse('the catch binds the error with a destructuring pattern');
  const handler = enclosingHandler(chosen);
  if (!handler) return refuse('the try is not inside an HTTP request handler ((req, res) parameters, a createServer callback or a route callback)');
  const errName = decl ? (decl.name as TS.Identifier).text : undefined;
  if (computesStatus(t, clause.block, errName ?? '', helperNames)) return refuse('the catch already computes the status from the error');

  const edits: TextEdit[] = [];
  const taken = namesAround(ctx.sf, handler);
  const err = errName ?? uniqueName('err', taken);
  taken.add(err);
  if (!decl) {
    // `catch {` → `catch (err) {`
    const kw = clause.getStart(ctx.sf) + 'catch'.length;
    edits.push({ start: kw, end: kw, newText: ` (${err})` });
  }
  const helper = ensureHelper(ctx, ID, ['errorStatus'], (names, typed) => (typed ? TS_HELPER : JS_HELPER).replace(/\berrorStatus\b/g, names.errorStatus as string), "the status to answer an error with: its own 4xx (status/statusCode), else 500.");
  edits.push(...helper.edits);
  const status = uniqueName('status', taken);
  const semi = ctx.style.semicolons ? ';' : '';
  // the first statement of the catch block computes the status
  const first = clause.block.statements[0];
  const blockOpen = clause.block.getStart(ctx.sf) + 1;
  const lineStart = (pos: number): number => ctx.text.lastIndexOf('\n', pos - 1) + 1;
  const decl1 = `const ${status} = ${helper.names.errorStatus as string}(${err})${semi}`;
  if (first && lineStart(first.getStart(ctx.sf)) > blockOpen) {
    // on its own line above the first statement (and above the comments that lead it on their own lines)
    const firstStart = first.getStart(ctx.sf);
    const indent = /^[ \t]*/.exec(ctx.text.slice(lineStart(firstStart)))?.[0] ?? ctx.style.indent;
    const leading = (t.getLeadingCommentRanges(ctx.text, first.getFullStart()) ?? []).find((r) => lineStart(r.pos) > blockOpen);
    const pos = lineStart(leading ? leading.pos : firstStart);
    edits.push({ start: pos, end: pos, newText: `${indent}${decl1}${ctx.style.eol}` });
  } else {
    edits.push({ start: blockOpen, end: blockOpen, newText: ` ${decl1}` });
  }
  const lit = lits[0] as TS.NumericLiteral;
  edits.push({ start: lit.getStart(ctx.sf), end: lit.end, newText: status });
  // the raw message reaches the client only for a 4xx
  if (errName !== undefined) {
    ownNodes(clause.block, (n) => {
      if (!t.isPropertyAccessExpression(n) || n.name.text !== 'message') return;
      const o = skipOuter(n.expression);
      if (!t.isIdentifier(o) || o.text !== errName || inLogCall(t, n, clause.block)) return;
      const p = n.parent;
      const bare = t.isPropertyAssignment(p) || (t.isCallExpression(p) && p.arguments.includes(n)) || t.isVariableDeclaration(p) || t.isShorthandPropertyAssignment(p);
      const expr = `${status} < 500 ? ${ctx.text.slice(n.getStart(ctx.sf), n.end)} : ${quoted(GENERIC_MESSAGE, ctx.style)}`;
      edits.push({ start: n.getStart(ctx.sf), end: n.end, newText: bare ? expr : `(${expr})` });
    });
  }
  return { edits };
}

export const errorStatus = defineRecipe({
  id: ID,
  title: "Answer an error's own 4xx status in an HTTP handler's catch-all, not 500",
  category: 'resilience',
  addresses: { smells: [], failureTypes: ['unhandled-error'] },
  options: [],
  plan,
});
