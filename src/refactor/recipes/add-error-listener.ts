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
import { enclosingFunction, isPure } from '../ast.js';
import { emitsErrorOn, type StreamCreation, streamCreation, type StreamFate, streamFate, variableStreamFate } from '../../lang/patterns.js';
import { defineRecipe, type Plan, type RecipeContext, refuse } from '../recipe.js';
import { indentAt, lineBounds, quoted, semi } from '../style.js';
import { typescript, type TS } from '../ts.js';

const CALLBACK_PARAMS = /^(next|callback|cb|done)$/;

type Fate = Exclude<StreamFate, { kind: 'variable' }> | { kind: 'variable'; name: string; stmt: TS.Statement };

/** Follows a value up through chained calls to where it ends (the fate missing-error-listener sees too). */
function fateOf(created: TS.Expression): Fate {
  const fate = streamFate(created);
  // a variable declared or assigned other than by a statement of its own: no line to add the listener after
  if (fate.kind === 'variable') return fate.stmt === undefined ? { kind: 'escapes' } : { kind: 'variable', name: fate.name, stmt: fate.stmt };
  return fate;
}

/** Does this function emit 'error' on the named emitter? */
function emitsError(scope: TS.Node, name: string): boolean {
  const t = typescript();
  let found = false;
  const visit = (n: TS.Node): void => {
    if (found) return;
    if (t.isCallExpression(n) && emitsErrorOn(n, name)) found = true;
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

interface Created extends StreamCreation {
  node: TS.CallExpression | TS.NewExpression;
}

function created(ctx: RecipeContext): Created | undefined {
  const t = typescript();
  const bindings = ctx.bindings();
  const nodes = ctx.at((n): n is TS.CallExpression | TS.NewExpression => t.isCallExpression(n) || t.isNewExpression(n));
  for (const c of [...nodes].reverse()) {
    const s = streamCreation(c, bindings);
    if (s !== undefined) return { node: c, ...s };
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
    const v = variableStreamFate(fate.name, scope, fate.stmt);
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

