/**
 * Which function a target sits in, and whether it can be characterised: the nearest enclosing function a
 * separate process can call — a top-level function (declared, or a function/arrow bound to a top-level
 * variable, or the default export) or a method of a top-level class that can be built without arguments —
 * whose module does no work when imported, whose body (and the same-module functions it calls) neither does
 * I/O nor reads a clock or a random source, and whose parameters have types values can be generated for.
 */
import { isFunctionLike, moduleBindings, skipOuter, walk, type FunctionLike } from '../ast.js';
import { typescript, type TS } from '../ts.js';
import { type ParamShape, paramShapes } from './shapes.js';

export interface FunctionUnderTest {
  /** how reports name it: `scoreWords`, `Cart.total` */
  name: string;
  /** the top-level binding the child reaches it through (`default` for an anonymous default export) */
  binding: string;
  method?: string;
  isStatic?: boolean;
  /** 1-based, in the text it was found in */
  line: number;
  endLine: number;
  params: ParamShape[];
}

export type FunctionPick = { ok: true; fn: FunctionUnderTest } | { ok: false; reason: string; name?: string };

/** Modules whose use is I/O: calling a function that uses them with generated inputs would act on the world. */
const IO_MODULES = /^(fs|fs\/promises|child_process|net|tls|http|https|http2|dgram|dns|dns\/promises|cluster|worker_threads|readline|inspector|undici|axios|got|node-fetch|ky|superagent|pg|mysql2?|mongodb|mongoose|redis|ioredis|better-sqlite3|sqlite3|ws|kafkajs|amqplib|@aws-sdk\/.*|nodemailer)$/;
/** Globals that are I/O, or that make the outcome depend on when or how often it runs. */
const IO_GLOBALS = /^(fetch|XMLHttpRequest|WebSocket|EventSource|process\.(exit|kill|abort|send|chdir|stdout\.write|stderr\.write))$/;
const CLOCK_OR_RANDOM = /^(Math\.random|Date\.now|performance\.now|process\.hrtime(\.bigint)?|process\.uptime|process\.memoryUsage|process\.cpuUsage|crypto\.(randomUUID|randomBytes|randomInt|getRandomValues|randomFillSync)|randomUUID|randomBytes|randomInt)$/;

function lineOf(sf: TS.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line + 1;
}

/** The offset a 1-based line (and column) points at: the column, or the first non-blank of the line. */
function offsetAt(sf: TS.SourceFile, line: number, col?: number): number | undefined {
  const starts = sf.getLineStarts();
  const start = starts[line - 1];
  if (start === undefined) return undefined;
  if (col !== undefined) return start + col - 1;
  const end = starts[line] ?? sf.text.length;
  const m = /\S/.exec(sf.text.slice(start, end));
  return m ? start + m.index : start;
}

/** The deepest node that contains `offset`. */
function nodeAt(sf: TS.SourceFile, offset: number): TS.Node {
  const t = typescript();
  let cur: TS.Node = sf;
  for (;;) {
    const next: TS.Node | undefined = t.forEachChild(cur, (c) => (c.getStart(sf) <= offset && offset < c.end ? c : undefined));
    if (next === undefined) return cur;
    cur = next;
  }
}

interface Candidate {
  fn: FunctionLike;
  name: string;
  binding: string;
  method?: string;
  isStatic?: boolean;
  cls?: TS.ClassDeclaration;
}

/** The function as a caller outside the module reaches it, or undefined when none can. */
function asCallable(fn: FunctionLike): Candidate | undefined {
  const t = typescript();
  const p = fn.parent;
  if (t.isFunctionDeclaration(fn) && t.isSourceFile(p)) {
    if (fn.name) return { fn, name: fn.name.text, binding: fn.name.text };
    return fn.modifiers?.some((m) => m.kind === t.SyntaxKind.DefaultKeyword) ? { fn, name: 'default', binding: 'default' } : undefined;
  }
  if (t.isArrowFunction(fn) || t.isFunctionExpression(fn)) {
    let n: TS.Node = fn;
    while (t.isParenthesizedExpression(n.parent) || t.isAsExpression(n.parent) || t.isSatisfiesExpression(n.parent)) n = n.parent;
    const q = n.parent;
    if (t.isVariableDeclaration(q) && q.initializer === n && t.isIdentifier(q.name) && t.isVariableDeclarationList(q.parent) && t.isVariableStatement(q.parent.parent) && t.isSourceFile(q.parent.parent.parent)) return { fn, name: q.name.text, binding: q.name.text };
    if (t.isExportAssignment(q) && !q.isExportEquals) return { fn, name: 'default', binding: 'default' };
    return undefined;
  }
  if (t.isMethodDeclaration(fn) && t.isClassDeclaration(p) && t.isSourceFile(p.parent) && t.isIdentifier(fn.name)) {
    const cls = p.name?.text ?? 'default';
    const isStatic = fn.modifiers?.some((m) => m.kind === t.SyntaxKind.StaticKeyword) ?? false;
    return { fn, name: `${p.name?.text ?? 'default'}.${fn.name.text}`, binding: cls, method: fn.name.text, isStatic, cls: p };
  }
  return undefined;
}

/** Why the class cannot be built with `new C()`, or undefined when it can. */
function constructionProblem(checker: TS.TypeChecker, cls: TS.ClassDeclaration): string | undefined {
  const t = typescript();
  const name = cls.name?.text ?? 'the default-exported class';
  if (cls.modifiers?.some((m) => m.kind === t.SyntaxKind.AbstractKeyword)) return `${name} is abstract`;
  const sym = cls.name ? checker.getSymbolAtLocation(cls.name) : undefined;
  if (sym === undefined) return undefined;
  const sigs = checker.getSignaturesOfType(checker.getTypeOfSymbolAtLocation(sym, cls), t.SignatureKind.Construct);
  if (sigs.length === 0) return undefined;
  const noArgs = sigs.some((s) => s.getParameters().every((p) => {
    const d = p.valueDeclaration;
    return d !== undefined && t.isParameter(d) && (checker.isOptionalParameter(d) || d.dotDotDotToken !== undefined || d.initializer !== undefined);
  }));
  if (noArgs) return undefined;
  const first = sigs[0]?.getParameters().map((p) => p.getName()) ?? [];
  return `class ${name} cannot be constructed without arguments (constructor(${first.join(', ')}))`;
}

/** A top-level statement that does work when the module is imported (a call, a loop, top-level await), or undefined. */
export function importSideEffect(sf: TS.SourceFile): string | undefined {
  const t = typescript();
  for (const s of sf.statements) {
    const at = (): string => `line ${lineOf(sf, s.getStart(sf))}: \`${s.getText(sf).split('\n')[0]?.slice(0, 60) ?? ''}\``;
    if (t.isExpressionStatement(s)) {
      const e = skipOuter(s.expression);
      if (t.isStringLiteral(e)) continue; // 'use strict'
      if (t.isBinaryExpression(e) && e.operatorToken.kind === t.SyntaxKind.EqualsToken && !containsCallOrAwait(e.right)) continue; // module.exports = …
      return at();
    }
    if (t.isIfStatement(s)) {
      // a "run as a script" guard only runs when the file is the entry point
      if (/import\.meta\.(url|main|filename)|require\.main|process\.argv/.test(s.expression.getText(sf))) continue;
      return at();
    }
    if (t.isIterationStatement(s, false) || t.isTryStatement(s) || t.isBlock(s) || t.isSwitchStatement(s) || t.isLabeledStatement(s)) return at();
    if (t.isVariableStatement(s) && s.declarationList.declarations.some((d) => d.initializer !== undefined && containsAwait(d.initializer))) return at();
  }
  return undefined;
}

function containsCallOrAwait(n: TS.Node): boolean {
  const t = typescript();
  let found = false;
  walk(n, (x) => {
    if (found) return;
    if (isFunctionLike(x)) return;
    if (t.isCallExpression(x) || t.isAwaitExpression(x) || t.isNewExpression(x)) found = true;
  });
  return found && !isFunctionLike(n);
}

function containsAwait(n: TS.Node): boolean {
  const t = typescript();
  let found = false;
  const go = (x: TS.Node): void => {
    if (found || isFunctionLike(x)) return;
    if (t.isAwaitExpression(x)) found = true;
    t.forEachChild(x, go);
  };
  go(n);
  return found;
}

/** The dotted name of a callee or property read: `process.exit`, `crypto.randomUUID`, `fetch`. */
function dotted(e: TS.Expression): string | undefined {
  const t = typescript();
  const parts: string[] = [];
  let cur = skipOuter(e);
  while (t.isPropertyAccessExpression(cur)) {
    parts.unshift(cur.name.text);
    cur = skipOuter(cur.expression);
  }
  if (!t.isIdentifier(cur)) return undefined;
  parts.unshift(cur.text);
  return parts.join('.');
}

/**
 * The first I/O or clock/random use in the function, following calls to functions of the same module (a few
 * levels): "does I/O (fs.writeFileSync at line 12)" / "is nondeterministic (Date.now at line 3)".
 */
export function impurity(sf: TS.SourceFile, fn: FunctionLike): string | undefined {
  const t = typescript();
  const bindings = moduleBindings(sf);
  const locals = new Map<string, TS.Node>();
  for (const s of sf.statements) {
    if (t.isFunctionDeclaration(s) && s.name && s.body) locals.set(s.name.text, s);
    if (t.isVariableStatement(s)) for (const d of s.declarationList.declarations) if (t.isIdentifier(d.name) && d.initializer && isFunctionLike(skipOuter(d.initializer))) locals.set(d.name.text, skipOuter(d.initializer));
  }
  const visited = new Set<TS.Node>();
  const scan = (root: TS.Node, depth: number): string | undefined => {
    if (visited.has(root)) return undefined;
    visited.add(root);
    let why: string | undefined;
    walk(root, (n) => {
      if (why) return;
      const at = `line ${lineOf(sf, n.getStart(sf))}`;
      if (t.isIdentifier(n)) {
        const b = bindings.get(n.text);
        const isDeclName = (t.isImportSpecifier(n.parent) || t.isImportClause(n.parent) || t.isNamespaceImport(n.parent) || t.isVariableDeclaration(n.parent) || t.isBindingElement(n.parent)) && (n.parent as { name?: TS.Node }).name === n;
        if (b && !isDeclName && IO_MODULES.test(b.module)) {
          why = `does I/O (${b.module}${b.name !== '*' && b.name !== 'default' ? `.${b.name}` : ''} at ${at})`;
          return;
        }
      }
      if (t.isPropertyAccessExpression(n) || t.isIdentifier(n)) {
        if (t.isPropertyAccessExpression(n.parent) && n.parent.expression === n) return; // the longest chain decides
        if (t.isPropertyAccessExpression(n.parent) && n.parent.name === n) return;
        const d = dotted(n as TS.Expression);
        if (d !== undefined) {
          const local = d.startsWith('globalThis.') ? d.slice('globalThis.'.length) : d;
          if (IO_GLOBALS.test(local) && !bindings.has(local.split('.')[0] as string)) why = `does I/O (${local} at ${at})`;
          else if (CLOCK_OR_RANDOM.test(local)) why = `is nondeterministic (${local} at ${at})`;
          if (why) return;
        }
      }
      if (t.isNewExpression(n) && t.isIdentifier(n.expression) && n.expression.text === 'Date' && (n.arguments?.length ?? 0) === 0) {
        why = `is nondeterministic (new Date() at ${at})`;
        return;
      }
      if (depth < 4 && t.isCallExpression(n) && t.isIdentifier(n.expression)) {
        const callee = locals.get(n.expression.text);
        if (callee) why = scan(callee, depth + 1);
      }
    });
    return why;
  };
  return scan(fn, 0);
}

function hasFunctionAround(n: TS.Node | undefined): boolean {
  for (; n; n = n.parent) if (isFunctionLike(n)) return true;
  return false;
}

/**
 * The function to characterise for a target at `line` (and `col`) of the file the checker was built for,
 * or why there is none.
 */
export function pickFunction(checker: TS.TypeChecker, sf: TS.SourceFile, line: number, col?: number): FunctionPick {
  const t = typescript();
  const offset = offsetAt(sf, line, col);
  if (offset === undefined) return { ok: false, reason: `line ${line} is past the end of the file` };
  const chain: FunctionLike[] = [];
  let start: TS.Node | undefined = nodeAt(sf, offset);
  if (col === undefined && !hasFunctionAround(start)) {
    // a line without a column (a failure point) that starts outside any function: the first function on the line
    let first: FunctionLike | undefined;
    walk(sf, (n) => {
      if (first === undefined && isFunctionLike(n) && lineOf(sf, n.getStart(sf)) === line) first = n;
    });
    if (first) start = first;
  }
  for (let n: TS.Node | undefined = start; n; n = n.parent) if (isFunctionLike(n)) chain.push(n);
  if (chain.length === 0) return { ok: false, reason: 'not inside a function (module-level code runs on import, so there is nothing to call)' };
  let pick: Candidate | undefined;
  for (const fn of chain) {
    if (t.isConstructorDeclaration(fn) || t.isGetAccessorDeclaration(fn) || t.isSetAccessorDeclaration(fn)) {
      const cls = fn.parent;
      const kind = t.isConstructorDeclaration(fn) ? 'a constructor' : 'an accessor';
      return { ok: false, reason: `inside ${kind}${t.isClassLike(cls) && cls.name ? ` of ${cls.name.text}` : ''}: only functions and methods are called with generated inputs` };
    }
    pick = asCallable(fn);
    if (pick) break;
  }
  if (pick === undefined) return { ok: false, reason: 'inside a function that is neither top-level nor a method of a top-level class, so it cannot be called on its own' };
  const name = pick.name;
  if (pick.cls && !pick.isStatic) {
    const problem = constructionProblem(checker, pick.cls);
    if (problem) return { ok: false, reason: problem, name };
  }
  if (t.isFunctionDeclaration(pick.fn) || t.isMethodDeclaration(pick.fn)) {
    if (pick.fn.asteriskToken) return { ok: false, reason: `${name} is a generator`, name };
  }
  if (pick.fn.body === undefined) return { ok: false, reason: `${name} has no body (an overload or declaration)`, name };
  const work = importSideEffect(sf);
  if (work) return { ok: false, reason: `the module does work when imported (${work}), so it cannot be imported in isolation`, name };
  const impure = impurity(sf, pick.fn);
  if (impure) return { ok: false, reason: `${name} ${impure}: its outcome cannot be pinned`, name };
  const params = paramShapes(checker, pick.fn);
  if (!params.ok) return { ok: false, reason: `${name}: ${params.reason}`, name };
  return {
    ok: true,
    fn: {
      name,
      binding: pick.binding,
      ...(pick.method !== undefined ? { method: pick.method } : {}),
      ...(pick.isStatic ? { isStatic: true } : {}),
      line: lineOf(sf, pick.fn.getStart(sf)),
      endLine: lineOf(sf, pick.fn.end),
      params: params.params,
    },
  };
}
