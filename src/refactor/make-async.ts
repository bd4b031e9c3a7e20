/**
 * Making a synchronous function async, with every caller awaiting it: what moving a blocking call off the
 * request path takes when the blocking call sits in a helper (`store.add(order)` → `await store.add(order)`), and
 * what offloading a function to a worker thread takes (its callers get a promise: offload-to-worker).
 *
 * The callers come from the type checker's references over the whole project (src/refactor/project.ts), so a
 * method reached through a variable, a field or a parameter of its class is found in TypeScript and JavaScript
 * files. "Do no harm": the change is made only when every reference is a call whose result is used where an
 * `await` in place gives the caller exactly the value it had, inside an async function other than the function
 * itself — then `await` gives each caller the same order of effects and the same errors (a throw becomes a
 * rejection that the await turns back into a throw). Those places are:
 * - a plain value: a statement, an initializer, a `return`, an arrow's body, or already awaited;
 * - an argument of a call or `new` (`send(res, 200, f(x))` → `send(res, 200, await f(x))`), an array element
 *   (`[a, f(x)]`), the value of an object literal's property (`{ k: f(x) }`), a template span (`` `${f(x)}` ``).
 *   The awaited value is used exactly where the synchronous value was, and everything evaluated before the call
 *   (the callee, the earlier arguments, the earlier elements) is evaluated before it as it was; the only
 *   difference is that the rest of the enclosing expression's evaluation (the later arguments, the call that
 *   receives the value) resumes later, after the await — which is what any await in an async function does.
 *   `await` binds tighter than everything that can hold these positions, so no parentheses are needed.
 * Anything else refuses, naming the reference: the function passed as a value, a caller that is not async, a
 * result used as an operand (binary, conditional, logical operators: `f() === x` would compare a promise unless
 * rewritten, and that rewrite is not made), a property access or call on the result (`f().x`), a spread
 * (`...f()`), a class that is extended or implements an interface (an override or the interface would still say
 * sync), overloads, constructors and accessors (they cannot be async), and an anonymous function (its callers
 * cannot be found).
 */
import { enclosingFunction, isAsync, outerParent, type FunctionLike } from '../lang/ast.js';
import type { FileEdits, RecipeContext, RecipeFile, RecipeProject, TextEdit } from './recipe.js';
import { nodeAt, projectService, type ProjectService } from './project.js';
import { typescript, type TS } from './ts.js';

export type MadeAsync = { edits: TextEdit[]; others: FileEdits[]; callers: string[] } | { refuse: string };

function nameOf(fn: FunctionLike): TS.Identifier | TS.PrivateIdentifier | undefined {
  const t = typescript();
  if ((t.isFunctionDeclaration(fn) || t.isMethodDeclaration(fn)) && fn.name && (t.isIdentifier(fn.name) || t.isPrivateIdentifier(fn.name))) return fn.name;
  if ((t.isArrowFunction(fn) || t.isFunctionExpression(fn)) && t.isVariableDeclaration(fn.parent) && fn.parent.initializer === fn && t.isIdentifier(fn.parent.name)) return fn.parent.name;
  if (t.isFunctionExpression(fn) && fn.name) return fn.name;
  return undefined;
}

const where = (path: string, sf: TS.SourceFile, pos: number): string => `${path}:${sf.getLineAndCharacterOfPosition(pos).line + 1}`;

/**
 * A caller's call may take `await` in place: its value is a statement, an initializer, a return, an arrow's body,
 * an argument of a call or `new`, an array element, an object literal's property value or a template span —
 * or it is already awaited.
 */
function awaitable(call: TS.CallExpression): 'add' | 'already' | undefined {
  const t = typescript();
  const { node, parent } = outerParent(call);
  if (t.isAwaitExpression(parent)) return 'already';
  if (t.isExpressionStatement(parent) || t.isReturnStatement(parent)) return 'add';
  if (t.isVariableDeclaration(parent) && parent.initializer !== undefined) return 'add';
  if (t.isArrowFunction(parent) && parent.body === node) return 'add';
  if ((t.isCallExpression(parent) || t.isNewExpression(parent)) && (parent.arguments ?? ([] as readonly TS.Expression[])).some((a) => a === node)) return 'add';
  if (t.isArrayLiteralExpression(parent)) return 'add';
  if (t.isPropertyAssignment(parent) && parent.initializer === node) return 'add';
  if (t.isTemplateSpan(parent) && parent.expression === node) return 'add';
  return undefined;
}

export interface AwaitCallersOptions {
  /** the language service over the project (one is made from `ctx.project` when not given) */
  svc?: ProjectService;
  /** the files `svc` was made of (for the search for calls through values of unknown type) */
  files?: readonly RecipeFile[];
  /**
   * what to do with references to the function inside itself (a recursive call): refuse (make-async: the
   * function would await itself), or hand them back untouched in `self` (the caller renames them)
   */
  selfCalls?: 'refuse' | 'collect';
}

export type AwaitedCallers = { edits: Map<string, TextEdit[]>; callers: string[]; self: TS.Identifier[] } | { refuse: string };

/**
 * The edits that make every caller of `fn` (in the recipe's file) await it, by repository path, or why not —
 * the function itself is not changed (see makeAsync).
 */
export function awaitCallers(ctx: RecipeContext, fn: FunctionLike, opts: AwaitCallersOptions = {}): AwaitedCallers {
  const t = typescript();
  if (ctx.project === undefined && opts.svc === undefined) return { refuse: 'the function is not async, and making it async means changing its callers (not given the project\'s files here)' };
  if (t.isConstructorDeclaration(fn) || t.isGetAccessorDeclaration(fn) || t.isSetAccessorDeclaration(fn)) return { refuse: `a ${t.isConstructorDeclaration(fn) ? 'constructor' : 'property accessor'} cannot be async; do the work once at start-up, or move it into a method` };
  if (fn.asteriskToken) return { refuse: 'a generator function: making it async changes what it yields' };
  if (t.canHaveDecorators(fn) && (t.getDecorators(fn)?.length ?? 0) > 0) return { refuse: 'a decorated function: its decorator may rely on it being synchronous' };
  const name = nameOf(fn);
  if (name === undefined || t.isPrivateIdentifier(name)) return { refuse: 'the function has no name its callers use (an anonymous function or a private #method): they cannot all be found; make the enclosing handler async first' };
  const fnName = name.text;
  if ((t.isMethodDeclaration(fn) || t.isFunctionDeclaration(fn)) && fn.body === undefined) return { refuse: `${fnName} is an overload signature` };
  const cls = t.isMethodDeclaration(fn) && t.isClassLike(fn.parent) ? fn.parent : undefined;
  if (cls?.heritageClauses?.some((h) => h.token === t.SyntaxKind.ImplementsKeyword)) return { refuse: `${cls.name?.text ?? 'the class'} implements an interface: its declaration of ${fnName} would still say it is synchronous` };
  if (t.isMethodDeclaration(fn) && cls && cls.members.filter((m) => t.isMethodDeclaration(m) && m.name.getText(ctx.sf) === fnName).length > 1) return { refuse: `${fnName} has overloads` };

  let svc = opts.svc;
  let files: readonly RecipeFile[] = [];
  if (svc === undefined) {
    files = (ctx.project as RecipeProject).files();
    if (!files.some((f) => f.path === ctx.path)) return { refuse: `${ctx.path} is not among the project's files` };
    // the service sees this file as the recipe sees it (the engine's text may be newer than the project listing)
    svc = projectService(files.map((f) => (f.path === ctx.path ? { path: f.path, text: ctx.text } : f)));
  } else files = opts.files ?? [];
  const own = svc.sourceFile(ctx.path);
  if (own === undefined) return { refuse: `TypeScript did not load ${ctx.path}` };

  // a subclass could override the method synchronously
  if (cls?.name) {
    const classRefs = svc.ls.findReferences(svc.fileName(ctx.path), cls.name.getStart(ctx.sf)) ?? [];
    for (const r of classRefs.flatMap((s) => s.references)) {
      const sf = svc.ls.getProgram()?.getSourceFile(r.fileName);
      const id = sf ? nodeAt(sf, r.textSpan.start, (n): n is TS.Identifier => t.isIdentifier(n)) : undefined;
      if (sf && id && t.isExpressionWithTypeArguments(id.parent) && t.isHeritageClause(id.parent.parent)) return { refuse: `${cls.name.text} is extended at ${where(svc.pathOf(r.fileName), sf, r.textSpan.start)}: a subclass may override ${fnName} synchronously` };
    }
  }

  const byPath = new Map<string, TextEdit[]>();
  const edit = (path: string, e: TextEdit): void => void (byPath.get(path) ?? byPath.set(path, []).get(path))?.push(e);
  const callers: string[] = [];
  const self: TS.Identifier[] = [];
  const refs = svc.ls.findReferences(svc.fileName(ctx.path), name.getStart(ctx.sf)) ?? [];
  for (const r of refs.flatMap((s) => s.references)) {
    const path = svc.pathOf(r.fileName);
    const sf = svc.ls.getProgram()?.getSourceFile(r.fileName);
    if (sf === undefined) continue;
    const at = where(path, sf, r.textSpan.start);
    const id = nodeAt(sf, r.textSpan.start, (n): n is TS.Identifier => t.isIdentifier(n));
    if (id === undefined) return { refuse: `cannot read the reference to ${fnName} at ${at}` };
    if (path === ctx.path && id.getStart(sf) === name.getStart(ctx.sf)) continue; // the declaration itself
    if (r.isDefinition) return { refuse: `${fnName} is also declared at ${at}` };
    if (opts.selfCalls === 'collect' && path === ctx.path && id.getStart(sf) >= fn.getStart(ctx.sf) && id.end <= fn.end) {
      self.push(id);
      continue;
    }
    // the callee of a call: f(…), x.f(…), this.f(…)
    const callee = t.isPropertyAccessExpression(id.parent) && id.parent.name === id ? id.parent : id;
    const { node: wrapped, parent } = outerParent(callee);
    if (!t.isCallExpression(parent) || parent.expression !== wrapped) {
      if (t.isExportSpecifier(id.parent) || t.isImportSpecifier(id.parent) || t.isShorthandPropertyAssignment(id.parent)) {
        if (t.isShorthandPropertyAssignment(id.parent)) return { refuse: `${fnName} is used as a value at ${at} (its users would get a promise)` };
        continue; // re-exported or imported: the calls are further references
      }
      return { refuse: `${fnName} is used as a value at ${at} (passed or stored, not called): whoever calls it there would get a promise` };
    }
    const caller = enclosingFunction(parent);
    const callerName = caller ? (nameOf(caller)?.getText(sf) ?? 'an anonymous function') : 'module code';
    if (caller === undefined) return { refuse: `${fnName} is called at ${at} outside any function; top-level await is not assumed` };
    if (path === ctx.path && caller.getStart(sf) === fn.getStart(ctx.sf)) return { refuse: `${fnName} calls itself at ${at}` };
    if (!isAsync(caller)) return { refuse: `${fnName} is called at ${at} in ${callerName}, which is not async: making ${fnName} async would change what it gets` };
    const how = awaitable(parent);
    if (how === undefined) return { refuse: `the result of ${fnName}(…) at ${at} is used in an expression: with a promise in its place it would change` };
    callers.push(`${at} (${callerName})`);
    if (how === 'add') edit(path, { start: parent.getStart(sf), end: parent.getStart(sf), newText: 'await ' });
  }

  // a method call through a value of unknown type (an untyped JavaScript parameter, `any`) may be a call of this
  // method that no reference shows: it would get a promise without awaiting it
  if (t.isMethodDeclaration(fn)) {
    const program = svc.ls.getProgram();
    const checker = program?.getTypeChecker();
    const seen = new Set(refs.flatMap((s) => s.references).map((r) => `${r.fileName}:${r.textSpan.start}`));
    for (const f of files) {
      const sf = svc.sourceFile(f.path);
      if (!sf || !checker) continue;
      let unknown: string | undefined;
      const visit = (n: TS.Node): void => {
        if (unknown) return;
        if (t.isPropertyAccessExpression(n) && n.name.text === fnName && !seen.has(`${sf.fileName}:${n.name.getStart(sf)}`)) {
          const flags = checker.getTypeAtLocation(n.expression).flags;
          if (flags & (t.TypeFlags.Any | t.TypeFlags.Unknown)) unknown = `${n.getText(sf)} at ${where(f.path, sf, n.getStart(sf))}`;
        }
        t.forEachChild(n, visit);
      };
      visit(sf);
      if (unknown) return { refuse: `${unknown} may be a call of ${fnName} (its receiver's type is unknown), and it would not await it` };
    }
  }
  return { edits: byPath, callers, self };
}

/**
 * The edits that make `fn` (in the recipe's file) async and make every caller await it, or why not.
 * Edits in the recipe's own file come back in `edits`, those of other files in `others`.
 */
export function makeAsync(ctx: RecipeContext, fn: FunctionLike): MadeAsync {
  const t = typescript();
  const awaited = awaitCallers(ctx, fn);
  if ('refuse' in awaited) return awaited;
  const byPath = awaited.edits;
  const edit = (path: string, e: TextEdit): void => void (byPath.get(path) ?? byPath.set(path, []).get(path))?.push(e);

  // the function itself: async, and a written return type T becomes Promise<T>
  const mods = t.canHaveModifiers(fn) ? t.getModifiers(fn) : undefined;
  const last = mods?.at(-1);
  const start = t.isArrowFunction(fn) || t.isFunctionExpression(fn) ? fn.getStart(ctx.sf) : last ? last.end : fn.getStart(ctx.sf);
  // after the other modifiers (`public static async add`), before the name; a function keyword or arrow gets it in front
  edit(ctx.path, last && !(t.isArrowFunction(fn) || t.isFunctionExpression(fn)) ? { start, end: start, newText: ' async' } : { start, end: start, newText: 'async ' });
  if (fn.type) edit(ctx.path, { start: fn.type.getStart(ctx.sf), end: fn.type.end, newText: `Promise<${fn.type.getText(ctx.sf)}>` });
  const edits = byPath.get(ctx.path) ?? [];
  const others = [...byPath.entries()].filter(([p]) => p !== ctx.path).map(([path, e]) => ({ path, edits: e }));
  return { edits, others, callers: awaited.callers };
}
