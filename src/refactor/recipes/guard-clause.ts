/**
 * guard-clause: flatten an `if` whose branches nest the main path, without changing what runs:
 *
 * 1. `if (c) { …; return } else { B }` → `if (c) { …; return }` followed by B (no else after an exit;
 *    `else if` chains become a following `if`);
 * 2. `if (c) { A } else { …; return }` → `if (!c) { …; return }` followed by A (the exit first);
 * 3. `if (c) { A }` as the last statement of a function body → `if (!c) return;` followed by A (in a loop
 *    body: `continue`), when A has two statements or more, or nested control flow (else nothing is un-nested).
 *
 * An exit is a block ending in return, throw, break or continue. The negation is simplified where that is
 * exact (`!x` → `x`, `===` ↔ `!==`, `==` ↔ `!=`); relational operators are not flipped (`!(a < b)` differs
 * from `a >= b` for NaN) and get `!( … )`. The moved block loses one indentation level (lines inside multi-line
 * strings and templates are left alone). Refuses: a block that declares a name the enclosing block (or the
 * function's parameters) also declares, comments in the braces or `else` that would be dropped, and blocks
 * not laid out one statement per line with the braces on the `if`/`else` lines.
 */
import { boundNames, isFunctionLike } from '../ast.js';
import type { TextEdit } from '../edits.js';
import { defineRecipe, type Plan, type RecipeContext, refuse } from '../recipe.js';
import { indentAt, lineBounds, semi } from '../style.js';
import { typescript, type TS } from '../ts.js';

function exits(s: TS.Statement | undefined): boolean {
  const t = typescript();
  if (s === undefined) return false;
  if (t.isReturnStatement(s) || t.isThrowStatement(s) || t.isBreakStatement(s) || t.isContinueStatement(s)) return true;
  if (t.isBlock(s)) return exits(s.statements[s.statements.length - 1]);
  return false;
}

/** The condition negated, as text. */
export function negate(ctx: RecipeContext, cond: TS.Expression): string {
  const t = typescript();
  const text = (n: TS.Node): string => n.getText(ctx.sf);
  if (t.isPrefixUnaryExpression(cond) && cond.operator === t.SyntaxKind.ExclamationToken) {
    let inner: TS.Expression = cond.operand;
    while (t.isParenthesizedExpression(inner)) inner = inner.expression;
    return text(inner);
  }
  if (t.isBinaryExpression(cond)) {
    const flip: Partial<Record<TS.SyntaxKind, string>> = {
      [t.SyntaxKind.EqualsEqualsEqualsToken]: '!==',
      [t.SyntaxKind.ExclamationEqualsEqualsToken]: '===',
      [t.SyntaxKind.EqualsEqualsToken]: '!=',
      [t.SyntaxKind.ExclamationEqualsToken]: '==',
    };
    const op = flip[cond.operatorToken.kind];
    if (op !== undefined) return `${text(cond.left)} ${op} ${text(cond.right)}`;
  }
  if (t.isIdentifier(cond) || t.isPropertyAccessExpression(cond) || t.isElementAccessExpression(cond) || t.isCallExpression(cond) || t.isParenthesizedExpression(cond)) return `!${text(cond)}`;
  return `!(${text(cond)})`;
}

/** Offsets of line starts inside multi-line string or template literals (not to be re-indented). */
function literalLineStarts(ctx: RecipeContext, node: TS.Node): Set<number> {
  const t = typescript();
  const out = new Set<number>();
  const visit = (n: TS.Node): void => {
    if (t.isStringLiteral(n) || t.isNoSubstitutionTemplateLiteral(n) || t.isTemplateHead(n) || t.isTemplateMiddle(n) || t.isTemplateTail(n) || t.isTemplateExpression(n) || t.isJsxText(n)) {
      const start = n.getStart(ctx.sf);
      for (let i = ctx.text.indexOf('\n', start); i >= 0 && i < n.end - 1; i = ctx.text.indexOf('\n', i + 1)) out.add(i + 1);
      if (t.isTemplateExpression(n)) t.forEachChild(n, visit);
      return;
    }
    t.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/**
 * The inner lines of a block (from the line after `{` to the line before `}`), one indentation level less.
 * Undefined when the block is not laid out with `{` ending its line and `}` starting its own.
 */
function dedentedBody(ctx: RecipeContext, block: TS.Block): string | undefined {
  const { text, sf, style } = ctx;
  const open = block.getStart(sf);
  const close = block.end - 1;
  const openLine = lineBounds(text, open);
  const closeLine = lineBounds(text, close);
  if (text.slice(open + 1, openLine.end).trim() !== '' || text.slice(closeLine.start, close).trim() !== '' || openLine.start === closeLine.start) return undefined;
  const from = text.indexOf('\n', open) + 1;
  const to = closeLine.start;
  if (from >= to) return '';
  const keep = literalLineStarts(ctx, block);
  const inner = text.slice(from, to).replace(/\r?\n$/, '');
  let at = from;
  const lines = inner.split('\n').map((line) => {
    const start = at;
    at += line.length + 1;
    if (keep.has(start)) return line;
    if (line.startsWith(style.indent)) return line.slice(style.indent.length);
    if (/^\s*$/.test(line)) return line.replace(/^[ \t]+/, '');
    return line.replace(/^[ \t]+/, (ws) => ws.slice(Math.min(ws.length, style.indent.length)));
  });
  return lines.join('\n');
}

/** Names a block declares at its own level (let/const/class/function). */
function blockNames(block: TS.Block): string[] {
  const t = typescript();
  const out: string[] = [];
  for (const s of block.statements) {
    if (t.isVariableStatement(s) && s.declarationList.flags & (t.NodeFlags.Let | t.NodeFlags.Const)) for (const d of s.declarationList.declarations) out.push(...boundNames(d.name));
    else if ((t.isFunctionDeclaration(s) || t.isClassDeclaration(s)) && s.name) out.push(s.name.text);
  }
  return out;
}

function clash(ifStmt: TS.IfStatement, moved: TS.Block): string | undefined {
  const t = typescript();
  const container = ifStmt.parent;
  if (!t.isBlock(container) && !t.isSourceFile(container) && !t.isModuleBlock(container) && !t.isCaseClause(container) && !t.isDefaultClause(container)) return 'the if is not a statement of a block';
  const outer = new Set<string>();
  for (const s of container.statements) {
    if (s === ifStmt) continue;
    if (t.isVariableStatement(s)) for (const d of s.declarationList.declarations) for (const n of boundNames(d.name)) outer.add(n);
    else if ((t.isFunctionDeclaration(s) || t.isClassDeclaration(s)) && s.name) outer.add(s.name.text);
  }
  if (t.isBlock(container) && isFunctionLike(container.parent)) for (const p of container.parent.parameters) for (const n of boundNames(p.name)) outer.add(n);
  const dup = blockNames(moved).find((n) => outer.has(n));
  return dup === undefined ? undefined : `the block declares ${dup}, which the enclosing block also declares`;
}

function hasComment(text: string): boolean {
  return /\/\/|\/\*/.test(text);
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const ifStmt = ctx.at((n): n is TS.IfStatement => t.isIfStatement(n))[0];
  if (ifStmt === undefined) return refuse('no if statement starts here');
  const { text, sf, style } = ctx;
  const thenS = ifStmt.thenStatement;
  const elseS = ifStmt.elseStatement;
  const indent = indentAt(text, ifStmt.getStart(sf));
  const eol = style.eol;
  const closeParen = thenS.getFullStart();
  const head = `if (`;
  if (!t.isBlock(thenS)) return refuse('the if already has a single statement for a body (it is already a guard or a one-liner)');

  // 1. else after an exit
  if (elseS !== undefined && exits(thenS)) {
    const between = text.slice(thenS.end, elseS.getStart(sf));
    if (hasComment(between)) return refuse('a comment between the branches would be lost');
    if (t.isIfStatement(elseS)) return { edits: [{ start: thenS.end, end: elseS.getStart(sf), newText: `${eol}${indent}` }] };
    if (!t.isBlock(elseS)) return refuse('the else branch is a single statement without braces');
    const c = clash(ifStmt, elseS);
    if (c !== undefined) return refuse(c);
    const body = dedentedBody(ctx, elseS);
    if (body === undefined) return refuse('the else block is not laid out one statement per line');
    return { edits: [{ start: thenS.end, end: elseS.end, newText: body === '' ? '' : `${eol}${body}` }] };
  }
  // 2. the exit is in the else branch: put it first
  if (elseS !== undefined && t.isBlock(elseS) && exits(elseS) && !exits(thenS)) {
    const between = text.slice(thenS.end, elseS.getStart(sf));
    if (hasComment(between) || hasComment(text.slice(closeParen, thenS.getStart(sf)))) return refuse('a comment around the branches would be lost');
    const c = clash(ifStmt, thenS);
    if (c !== undefined) return refuse(c);
    const body = dedentedBody(ctx, thenS);
    if (body === undefined) return refuse('the then block is not laid out one statement per line');
    const cond = negate(ctx, ifStmt.expression);
    const edits: TextEdit[] = [{ start: ifStmt.getStart(sf), end: ifStmt.end, newText: `${head}${cond}) ${elseS.getText(sf)}${body === '' ? '' : eol + body}` }];
    return { edits };
  }
  if (elseS !== undefined) return refuse('neither branch ends in return, throw, break or continue');
  // 3. a trailing if: exit early instead
  if (exits(thenS) && thenS.statements.length <= 1) return refuse('the if already exits early (a guard clause)');
  const container = ifStmt.parent;
  if (!t.isBlock(container) || container.statements[container.statements.length - 1] !== ifStmt) return refuse('the if is not the last statement of a function or loop body, so an early exit would skip what follows');
  const owner = container.parent;
  let exit: string;
  if (isFunctionLike(owner)) exit = 'return';
  else if (t.isForStatement(owner) || t.isForOfStatement(owner) || t.isForInStatement(owner) || t.isWhileStatement(owner) || t.isDoStatement(owner)) exit = 'continue';
  else return refuse('the if is the last statement of a block that is neither a function nor a loop body');
  const nested = thenS.statements.some((s) => t.isIfStatement(s) || t.isIterationStatement(s, false) || t.isTryStatement(s) || t.isSwitchStatement(s) || t.isBlock(s));
  if (thenS.statements.length < 2 && !nested) return refuse('the block holds a single simple statement: an early exit would not un-nest anything');
  if (hasComment(text.slice(closeParen, thenS.getStart(sf)))) return refuse('a comment before the block would be lost');
  const c = clash(ifStmt, thenS);
  if (c !== undefined) return refuse(c);
  const body = dedentedBody(ctx, thenS);
  if (body === undefined) return refuse('the block is not laid out one statement per line');
  const cond = negate(ctx, ifStmt.expression);
  return { edits: [{ start: ifStmt.getStart(sf), end: ifStmt.end, newText: `${head}${cond}) ${exit}${semi(style)}${body === '' ? '' : eol + body}` }] };
}

export const guardClause = defineRecipe({
  id: 'guard-clause',
  title: 'Replace nested conditionals with guard clauses',
  category: 'structural',
  addresses: { smells: [], failureTypes: ['logic'] },
  options: [],
  plan,
});
