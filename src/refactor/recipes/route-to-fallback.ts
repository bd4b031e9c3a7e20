/**
 * route-to-fallback: a call guarded by a try/catch whose catch serves a fallback (a cached or default value)
 * only falls back when the call itself throws. The checks of its answer that come right after the try — a
 * status check that throws (`if (!res.ok) throw …`), a parse of the body (`const x = JSON.parse(text)`,
 * `await res.json()`) — throw past the fallback, so an error answer (503) or an unreadable body fails the
 * caller although a fallback was at hand. This recipe moves those checks into the try, so they reach the
 * catch like a refused connection does:
 *
 *     let res: Response;                          let res: Response;
 *     let text: string;                           let text: string;
 *     try {                                       let price: Price;
 *       res = await fetch(url);                   try {
 *       text = await res.text();                    res = await fetch(url);
 *     } catch (err) {                               text = await res.text();
 *       if (hit) return hit.price;          →       if (!res.ok) throw new Error(`answered ${res.status}`);
 *       throw err;                                  price = JSON.parse(text) as Price;
 *     }                                           } catch (err) {
 *     if (!res.ok) throw new Error(…);              if (hit) return hit.price;
 *     const price = JSON.parse(text) as Price;      throw err;
 *     cache.set(sku, price);                      }
 *                                                 cache.set(sku, price);
 *
 * What moves: the statements directly after the try, as long as each is an `if (…) throw …` without else or a
 * single-variable declaration with a call in its initializer, and each reads a variable the try assigns (or
 * one moved before it). A moved declaration whose name is used later is declared before the try (`let`, with
 * its written type or its `as` type) and assigned inside. Nothing else moves: the code that uses the answer
 * stays outside, so its bugs are not hidden by the fallback.
 *
 * Where: the location is the guarded call (inside the try) or one of the checks after it. Refuses: no try
 * around or right before the location; a catch without a `return` (no fallback: the error would be rethrown
 * anyway); a catch that can fall through to the code after the try (the checks would then run on an answer
 * that never came); a `finally` (it would run before the checks instead of after); nothing to move; and, in
 * TypeScript, a moved declaration used later whose type is not written.
 */
import { isFunctionLike } from '../ast.js';
import { defineRecipe, type Plan, type RecipeContext, refuse } from '../recipe.js';
import { indentAt, lineBounds, semi } from '../style.js';
import { typescript, type TS } from '../ts.js';

const ID = 'route-to-fallback';

/** Walks `root` without entering nested functions. */
function walkBody(root: TS.Node, visit: (n: TS.Node) => void): void {
  const t = typescript();
  const go = (n: TS.Node): void => {
    visit(n);
    if (n !== root && isFunctionLike(n)) return;
    t.forEachChild(n, go);
  };
  go(root);
}

function hasReturn(block: TS.Block): boolean {
  const t = typescript();
  let found = false;
  walkBody(block, (n) => {
    if (t.isReturnStatement(n)) found = true;
  });
  return found;
}

/** Does every path through `s` end in a return or a throw? (Conservative: loops and switches say no.) */
function alwaysExits(s: TS.Statement | undefined): boolean {
  const t = typescript();
  if (s === undefined) return false;
  if (t.isReturnStatement(s) || t.isThrowStatement(s)) return true;
  if (t.isBlock(s)) return alwaysExits(s.statements[s.statements.length - 1]);
  if (t.isIfStatement(s)) return s.elseStatement !== undefined && alwaysExits(s.thenStatement) && alwaysExits(s.elseStatement);
  return false;
}

/** Names the try block assigns with `name = …` (outside nested functions): the results it hands to the code after it. */
function assignedIn(block: TS.Block): Set<string> {
  const t = typescript();
  const out = new Set<string>();
  walkBody(block, (n) => {
    if (t.isBinaryExpression(n) && n.operatorToken.kind === t.SyntaxKind.EqualsToken && t.isIdentifier(n.left)) out.add(n.left.text);
  });
  return out;
}

/** Identifiers read in `n` (not property names, not declared names). */
function reads(n: TS.Node): Set<string> {
  const t = typescript();
  const out = new Set<string>();
  const go = (x: TS.Node): void => {
    if (t.isIdentifier(x)) {
      const p = x.parent;
      if (p && t.isPropertyAccessExpression(p) && p.name === x) return;
      if (p && (t.isVariableDeclaration(p) || t.isParameter(p) || t.isPropertyAssignment(p)) && p.name === x) return;
      out.add(x.text);
      return;
    }
    t.forEachChild(x, go);
  };
  go(n);
  return out;
}

function mayThrow(e: TS.Node): boolean {
  const t = typescript();
  let found = false;
  walkBody(e, (n) => {
    if (t.isCallExpression(n) || t.isAwaitExpression(n) || t.isNewExpression(n)) found = true;
  });
  return found;
}

type Move = { stmt: TS.Statement; kind: 'check' } | { stmt: TS.VariableStatement; kind: 'decl'; name: string; decl: TS.VariableDeclaration };

/** The check an `if (…) throw …` is: no else, a throw (alone in its block), a condition on `known`. */
function isCheck(s: TS.Statement, known: ReadonlySet<string>): boolean {
  const t = typescript();
  if (!t.isIfStatement(s) || s.elseStatement !== undefined) return false;
  const then = s.thenStatement;
  const throws = t.isThrowStatement(then) || (t.isBlock(then) && then.statements.length === 1 && t.isThrowStatement(then.statements[0] as TS.Statement));
  return throws && [...reads(s.expression)].some((n) => known.has(n));
}

/** The statements after `tryStmt` that check or parse its results, in order (stops at the first that does not). */
function movable(siblings: readonly TS.Statement[], tryStmt: TS.TryStatement, assigned: ReadonlySet<string>): Move[] {
  const t = typescript();
  const known = new Set(assigned);
  const out: Move[] = [];
  for (const s of siblings.slice(siblings.indexOf(tryStmt) + 1)) {
    if (isCheck(s, known)) {
      out.push({ stmt: s, kind: 'check' });
      continue;
    }
    if (t.isVariableStatement(s) && s.declarationList.declarations.length === 1) {
      const d = s.declarationList.declarations[0] as TS.VariableDeclaration;
      if (t.isIdentifier(d.name) && d.initializer !== undefined && mayThrow(d.initializer) && [...reads(d.initializer)].some((n) => known.has(n))) {
        out.push({ stmt: s, kind: 'decl', name: d.name.text, decl: d });
        known.add(d.name.text);
        continue;
      }
    }
    break;
  }
  return out;
}

/** The try statement the location is in (its try block) or right after (through checks that would move). */
function findTry(ctx: RecipeContext): TS.TryStatement | undefined {
  const t = typescript();
  const isNode = (n: TS.Node): n is TS.Node => t.isCallExpression(n) || t.isStatement(n) || t.isVariableStatement(n) || t.isExpression(n);
  for (const node of ctx.at(isNode)) {
    // inside a try block (not across a function boundary)
    for (let child: TS.Node = node, p = node.parent; p; child = p, p = p.parent) {
      if (isFunctionLike(p)) break;
      if (t.isTryStatement(p) && p.tryBlock === child) return p;
    }
    // one of the checks after a try
    let stmt: TS.Node | undefined = node;
    while (stmt && !(stmt.parent && (t.isBlock(stmt.parent) || t.isSourceFile(stmt.parent)) && t.isStatement(stmt))) stmt = stmt.parent;
    if (!stmt || !stmt.parent) continue;
    const siblings = (stmt.parent as TS.Block).statements;
    const at = siblings.indexOf(stmt as TS.Statement);
    for (let i = at - 1; i >= 0; i--) {
      const prev = siblings[i] as TS.Statement;
      if (!t.isTryStatement(prev)) continue;
      const run = movable(siblings, prev, assignedIn(prev.tryBlock));
      if (run.some((m) => m.stmt === stmt)) return prev;
      break;
    }
  }
  return undefined;
}

/** The written type of a declaration: its annotation, else the type of an outer `as T` (not `as const`). */
function writtenType(d: TS.VariableDeclaration, sf: TS.SourceFile): string | undefined {
  const t = typescript();
  if (d.type) return d.type.getText(sf);
  let e: TS.Expression | undefined = d.initializer;
  while (e && t.isParenthesizedExpression(e)) e = e.expression;
  if (e && t.isAsExpression(e) && !(t.isTypeReferenceNode(e.type) && e.type.getText(sf) === 'const')) return e.type.getText(sf);
  return undefined;
}

/** Re-indents a block of lines from one indentation to another (the first segment, the rest of a line, stays). */
function reindent(code: string, from: string, to: string): string {
  return code
    .split('\n')
    .map((line, i) => {
      if (i === 0) return line;
      if (line.trim() === '') return line.replace(/[ \t]+/, '');
      return line.startsWith(from) ? to + line.slice(from.length) : line;
    })
    .join('\n');
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const { sf, text, style } = ctx;
  const tryStmt = findTry(ctx);
  if (!tryStmt) return refuse('the location is not in a try block, nor in the checks right after one: there is no fallback to route the answer to');
  const catchClause = tryStmt.catchClause;
  if (!catchClause) return refuse('the try has no catch, so no fallback');
  if (tryStmt.finallyBlock) return refuse('the try has a finally block: moving the checks in would run them before it instead of after');
  if (!hasReturn(catchClause.block)) return refuse('the catch has no fallback (no return): an error answer would be rethrown just the same');
  if (!alwaysExits(catchClause.block)) return refuse('the catch can fall through to the code after the try, which would then check an answer that never came');
  const parent = tryStmt.parent;
  if (!t.isBlock(parent) && !t.isSourceFile(parent)) return refuse('the try is not in a block');
  const lastInTry = tryStmt.tryBlock.statements[tryStmt.tryBlock.statements.length - 1];
  if (lastInTry === undefined) return refuse('the try block is empty');
  const run = movable(parent.statements, tryStmt, assignedIn(tryStmt.tryBlock));
  if (run.length === 0) return refuse('nothing right after the try checks or parses its result: error answers already reach the fallback');

  // what moved declarations are still used for after the run
  const last = run[run.length - 1] as Move;
  const later = parent.statements.slice(parent.statements.indexOf(last.stmt) + 1);
  const usedLater = new Set<string>();
  for (const s of later) for (const n of reads(s)) usedLater.add(n);
  const hoisted: { name: string; type: string | undefined }[] = [];
  for (const m of run) {
    if (m.kind !== 'decl' || !usedLater.has(m.name)) continue;
    const type = writtenType(m.decl, sf);
    if (type === undefined && ctx.typed) return refuse(`${m.name} is used after the try, and its type is not written (an annotation or \`as T\`), so it cannot be declared before the try`);
    hoisted.push({ name: m.name, type });
  }

  // the moved text: each statement with its leading comments; a hoisted declaration becomes an assignment
  let moved = '';
  let at = tryStmt.end;
  for (const m of run) {
    const s = m.stmt;
    moved += text.slice(at, s.getStart(sf));
    if (m.kind === 'decl' && hoisted.some((h) => h.name === m.name)) moved += `${m.name} = ${text.slice((m.decl.initializer as TS.Expression).getStart(sf), s.end)}`;
    else moved += text.slice(s.getStart(sf), s.end);
    at = s.end;
  }
  // a comment on the same line as the last statement goes with it
  let end = last.stmt.end;
  for (const r of t.getTrailingCommentRanges(text, end) ?? []) if (!text.slice(end, r.pos).includes('\n')) end = r.end;
  moved += text.slice(at, end);

  const outer = indentAt(text, tryStmt.getStart(sf));
  const inner = indentAt(text, lastInTry.getStart(sf));
  const edits = [
    { start: lastInTry.end, end: lastInTry.end, newText: reindent(moved, outer, inner).replace(/\r?\n/g, style.eol) },
    { start: tryStmt.end, end, newText: '' },
  ];
  if (hoisted.length > 0) {
    // before the try and the comments attached to it
    let pos = tryStmt.getStart(sf);
    const ranges = t.getLeadingCommentRanges(text, tryStmt.getFullStart()) ?? [];
    for (let i = ranges.length - 1; i >= 0; i--) {
      const r = ranges[i] as TS.CommentRange;
      if (/\n[ \t]*\r?\n/.test(text.slice(r.end, pos))) break;
      pos = r.pos;
    }
    const decls = hoisted.map((h) => `${outer}let ${h.name}${h.type !== undefined && ctx.typed ? `: ${h.type}` : ''}${semi(style)}${style.eol}`).join('');
    edits.push({ start: lineBounds(text, pos).start, end: lineBounds(text, pos).start, newText: decls });
  }
  // the trailing comment of the try's last statement stays on its line, before the moved text
  for (const r of t.getTrailingCommentRanges(text, lastInTry.end) ?? []) {
    if (text.slice(lastInTry.end, r.pos).includes('\n')) break;
    (edits[0] as { start: number; end: number }).start = r.end;
    (edits[0] as { start: number; end: number }).end = r.end;
  }
  return { edits };
}

export const routeToFallback = defineRecipe({
  id: ID,
  title: "Route a call's error answers and unreadable bodies into its fallback",
  category: 'resilience',
  addresses: { smells: [], failureTypes: ['unhandled-error', 'data-corruption'] },
  options: [],
  plan,
});
