/**
 * missing-error-listener: a stream or emitter created here with nobody listening for 'error' — an 'error'
 * event without a listener throws, and from a socket or file stream that crashes the process.
 *
 * Sees: `fs.createReadStream|createWriteStream`, `net.connect|createConnection`, `tls.connect`,
 * `zlib.create*` streams, and `new EventEmitter()` on which this function itself emits 'error'. The value is
 * followed through chained `.on(…)`/`.pipe(dest)` calls and into a local variable; it is fine when an
 * `.on|once|addListener|prependListener('error', …)` reaches it in the same function, or it is passed to
 * `pipeline(…)`, `finished(…)`, `eos(…)` or `pump(…)`. A stream created inline as a `.pipe(…)` target needs
 * its own listener (pipe does not forward errors). Not reported when the value leaves the function (returned,
 * stored on an object, passed to another function, resolved), since the receiver may listen.
 * Cannot see: listeners added in another function or file, domain/async-hooks based handling.
 */
import type { Smell } from '../../../core/analysis.js';
import { enclosingUnit, moduleRef, skipOuter } from '../ast.js';
import { typescript, type TS } from '../ts.js';
import { type FileFacts, calleeName, listenerCall, smellAt } from './facts.js';
import type { SmellDetector } from './types.js';

const KIND = 'missing-error-listener';
const RECIPE = 'add-error-listener';
const LISTEN = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);
/** methods that return the stream itself */
const CHAINABLE = new Set(['setEncoding', 'setTimeout', 'setNoDelay', 'setKeepAlive', 'resume', 'pause']);
const SAFE_WRAPPERS = new Set(['pipeline', 'finished', 'eos', 'pump']);

type Fate = 'handled' | 'escapes' | 'unhandled' | { variable: string };

/** Follows a created value up through chained calls to where it ends. */
function fateOf(created: TS.Expression): Fate {
  const t = typescript();
  let cur: TS.Expression = created;
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
        if (listenerCall(call)?.event === 'error') return 'handled';
        cur = call;
        continue;
      }
      if (method === 'pipe') return 'unhandled';
      if (CHAINABLE.has(method)) {
        cur = call;
        continue;
      }
      // another method of the stream (write, end, destroy…): a use, not a hand-over
      return 'unhandled';
    }
    if (t.isPropertyAccessExpression(p) && p.expression === cur) return 'unhandled';
    if (t.isCallExpression(p) && p.arguments.includes(cur)) {
      const name = calleeName(p);
      if (name !== undefined && SAFE_WRAPPERS.has(name)) return 'handled';
      if (name === 'pipe') {
        // created inline as a pipe destination: pipe returns it, so follow the pipe call
        cur = p;
        continue;
      }
      return 'escapes';
    }
    if (t.isVariableDeclaration(p) && p.initializer === cur) return t.isIdentifier(p.name) ? { variable: p.name.text } : 'escapes';
    if (t.isExpressionStatement(p)) return 'unhandled';
    if (t.isBinaryExpression(p) && p.right === cur && p.operatorToken.kind === t.SyntaxKind.EqualsToken && t.isIdentifier(p.left)) return { variable: p.left.text };
    return 'escapes';
  }
}

function within(node: TS.Node, scope: TS.Node | undefined): boolean {
  if (scope === undefined) return true;
  for (let p: TS.Node | undefined = node; p; p = p.parent) if (p === scope) return true;
  return false;
}

/** What happens to a local variable holding the value, within its function. */
function variableFate(f: FileFacts, name: string, scope: TS.Node | undefined, decl: TS.Node): 'handled' | 'escapes' | 'unhandled' {
  const t = typescript();
  let verdict: 'handled' | 'escapes' | 'unhandled' = 'unhandled';
  const visit = (n: TS.Node): void => {
    if (verdict !== 'unhandled') return;
    if (t.isIdentifier(n) && n.text === name && n.parent !== decl) {
      const fate = fateOf(n);
      if (fate === 'handled' || fate === 'escapes') verdict = fate;
      return;
    }
    t.forEachChild(n, visit);
  };
  visit(scope ?? f.sf);
  return verdict;
}

export const missingErrorListener: SmellDetector = {
  kind: KIND,
  recipe: RECIPE,
  detect(f: FileFacts): Smell[] {
    const t = typescript();
    const out: Smell[] = [];
    const created: { node: TS.Expression; what: string; emitterOnly: boolean }[] = [];
    for (const c of f.calls) {
      const ref = moduleRef(c.expression, f.bindings);
      if (!ref) continue;
      const member = ref.members.join('.');
      if (['fs', 'fs-extra', 'graceful-fs'].includes(ref.module) && (member === 'createReadStream' || member === 'createWriteStream')) created.push({ node: c, what: `fs.${member}()`, emitterOnly: false });
      else if (ref.module === 'net' && (member === 'connect' || member === 'createConnection')) created.push({ node: c, what: `net.${member}()`, emitterOnly: false });
      else if (ref.module === 'tls' && member === 'connect') created.push({ node: c, what: 'tls.connect()', emitterOnly: false });
      else if (ref.module === 'zlib' && /^create[A-Z]\w*$/.test(member)) created.push({ node: c, what: `zlib.${member}()`, emitterOnly: false });
    }
    for (const n of f.news) {
      const ref = moduleRef(n.expression, f.bindings);
      if (ref && ref.module === 'events' && (ref.members.length === 0 || ref.members.join('.') === 'EventEmitter')) created.push({ node: n, what: 'new EventEmitter()', emitterOnly: true });
    }

    for (const { node, what, emitterOnly } of created) {
      const fate = fateOf(node);
      if (fate === 'handled' || fate === 'escapes') continue;
      const scope = enclosingUnit(f.sf, node);
      if (typeof fate === 'object') {
        let decl: TS.Node = node.parent;
        while (t.isParenthesizedExpression(decl)) decl = decl.parent;
        if (variableFate(f, fate.variable, scope, decl) !== 'unhandled') continue;
        if (emitterOnly) {
          const emitsError = f.calls.some((c) => {
            const e = skipOuter(c.expression);
            const a0 = c.arguments[0];
            return (
              t.isPropertyAccessExpression(e) &&
              e.name.text === 'emit' &&
              t.isIdentifier(skipOuter(e.expression)) &&
              (skipOuter(e.expression) as TS.Identifier).text === fate.variable &&
              a0 !== undefined &&
              t.isStringLiteralLike(a0) &&
              a0.text === 'error' &&
              within(c, scope)
            );
          });
          if (!emitsError) continue;
        }
      } else if (emitterOnly) continue;
      out.push(smellAt(f, KIND, RECIPE, node, `${what} has no 'error' listener here: an error event without a listener throws and crashes the process; add .on('error', …) or use stream.pipeline()`));
    }
    return out;
  },
};
