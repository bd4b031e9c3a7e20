/**
 * skip-bad-record: a loop that parses one record per iteration (lines of a JSONL file, rows of a dump) stops at
 * the first record that does not parse — at start-up, one torn line keeps the service from starting. This wraps
 * the statement that parses the record in try/catch: a record that does not parse is skipped with a warning that
 * names its number (the file's `logger`/`log` when it has one, else `console.warn`) and the loop continues with
 * the next record; every other statement of the loop body is unchanged.
 *
 *   for (const line of text.split('\n')) {          let record = 0;
 *     if (line.trim() === '') continue;             for (const line of text.split('\n')) {
 *     const order = JSON.parse(line) as Order;  →     record++;
 *     orders.set(order.id, order);                    if (line.trim() === '') continue;
 *   }                                                 let order: Order;
 *                                                     try {
 *                                                       order = JSON.parse(line) as Order;
 *                                                     } catch (err) {
 *                                                       if (!(err instanceof SyntaxError)) throw err;
 *                                                       console.warn(`skipping record ${record}: it does not parse (${err.message})`);
 *                                                       continue;
 *                                                     }
 *                                                     orders.set(order.id, order);
 *                                                   }
 *
 * The parse is `JSON.parse(…)` (only its SyntaxError is caught: any other error still propagates) or another
 * parse call (`YAML.parse`, `parseRecord(…)`: any error it throws is a bad record). Its argument must read the
 * loop's record (the for-of variable, the for index, the forEach callback's first parameter). The record number
 * is 1-based: the for index + 1, the forEach index + 1 (an index parameter is added when missing), or a counter
 * declared before a for-of loop and advanced first thing in its body (so a `continue` before the parse still
 * counts the record).
 *
 * Statements after the parse are skipped for a bad record: they use it (that is the point). Statements before
 * it still run. Refuses: no loop over records around the parse (for-in, while and do loops — a `continue` there
 * can skip the statements that advance the loop — and callbacks of map/filter/…, where a skipped record leaves
 * a hole in the result); a for loop whose body changes its index; a parse already inside a try in the loop; an
 * `await` in the statement (its rejection would be taken for a bad record); a parse that is not a statement of
 * a block (a declaration list with several variables, a destructuring, a braceless if); a TypeScript variable
 * whose type cannot be named (annotate it first).
 */
import { boundNames, isDeclared, isFunctionLike, skipOuter, uniqueName } from '../ast.js';
import type { TextEdit } from '../edits.js';
import { loopAround } from '../loops.js';
import { defineRecipe, type Plan, type RecipeContext, refuse } from '../recipe.js';
import { indentAt, styled } from '../style.js';
import { typescript, type TS } from '../ts.js';

const ID = 'skip-bad-record';

type ParseKind = 'json' | 'other';

function parseKind(t: typeof TS, n: TS.Node): ParseKind | undefined {
  if (!t.isCallExpression(n)) return undefined;
  const e = skipOuter(n.expression);
  if (t.isPropertyAccessExpression(e) && e.name.text === 'parse' && t.isIdentifier(e.expression) && e.expression.text === 'JSON') return 'json';
  const name = t.isPropertyAccessExpression(e) ? e.name.text : t.isIdentifier(e) ? e.text : undefined;
  return name !== undefined && /^parse([A-Z]\w*)?$/.test(name) ? 'other' : undefined;
}

/** The loop over records around the parse, with the record's names and how to number it. */
interface RecordLoop {
  loop: TS.ForOfStatement | TS.ForStatement | TS.ArrowFunction | TS.FunctionExpression;
  body: TS.Block;
  /** names that hold the record (its argument must read one) */
  recordNames: string[];
  /** the 1-based record number as an expression, when the loop already has an index */
  number?: string;
  /** the forEach callback lacks an index parameter: add it */
  addIndexParam?: TS.ArrowFunction | TS.FunctionExpression;
  skip: 'continue' | 'return';
}

function recordLoop(call: TS.CallExpression): RecordLoop | string {
  const t = typescript();
  const loop = loopAround(call);
  if (!loop) return 'the parse is not inside a loop over records (for-of, for, forEach)';
  if (loop.kind === 'callback') {
    const callee = skipOuter(loop.node.expression) as TS.PropertyAccessExpression;
    if (callee.name.text !== 'forEach') return `a record skipped inside .${callee.name.text}(…) would leave a hole in its result; only for-of, for and .forEach loops are rewritten`;
    const fn = loop.fn;
    if (!t.isBlock(fn.body)) return 'the forEach callback has an expression body; give it a block first';
    const p0 = fn.parameters[0];
    if (!p0) return 'the forEach callback takes no record parameter';
    const p1 = fn.parameters[1];
    if (p1 && !t.isIdentifier(p1.name)) return 'the forEach callback destructures its index parameter';
    const out: RecordLoop = { loop: fn, body: fn.body, recordNames: boundNames(p0.name), skip: 'return' };
    if (p1) out.number = `${(p1.name as TS.Identifier).text} + 1`;
    else out.addIndexParam = fn;
    return out;
  }
  const s = loop.node;
  if (t.isForInStatement(s)) return 'a for-in loop iterates keys, not records';
  if (t.isWhileStatement(s) || t.isDoStatement(s)) return `a ${t.isWhileStatement(s) ? 'while' : 'do'} loop: a continue could skip the statements that advance it; rewrite it as a for-of over the records first`;
  if (!t.isBlock(s.statement)) return 'the loop body is not a block';
  if (t.isForOfStatement(s)) {
    const init = s.initializer;
    const names = t.isVariableDeclarationList(init) ? init.declarations.flatMap((d) => boundNames(d.name)) : t.isIdentifier(init) ? [init.text] : [];
    return { loop: s, body: s.statement, recordNames: names, skip: 'continue' };
  }
  if (t.isForStatement(s)) {
    const init = s.initializer;
    const first = init && t.isVariableDeclarationList(init) ? init.declarations[0] : undefined;
    if (!first || !t.isIdentifier(first.name) || !s.incrementor) return 'a for loop without an index variable and an incrementor';
    const index = first.name.text;
    if (changesIndex(s.statement, index)) return `the loop body changes its index ${index}`;
    return { loop: s, body: s.statement, recordNames: [index], number: `${index} + 1`, skip: 'continue' };
  }
  return 'the parse is not inside a loop over records (for-of, for, forEach)';
}

function changesIndex(body: TS.Node, name: string): boolean {
  const t = typescript();
  let found = false;
  const visit = (n: TS.Node): void => {
    if (found) return;
    if (t.isIdentifier(n) && n.text === name) {
      const p = n.parent;
      if (t.isBinaryExpression(p) && p.left === n && p.operatorToken.kind >= t.SyntaxKind.FirstAssignment && p.operatorToken.kind <= t.SyntaxKind.LastAssignment) found = true;
      if ((t.isPrefixUnaryExpression(p) || t.isPostfixUnaryExpression(p)) && (p.operator === t.SyntaxKind.PlusPlusToken || p.operator === t.SyntaxKind.MinusMinusToken)) found = true;
    }
    t.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

function reads(node: TS.Node, names: readonly string[]): boolean {
  const t = typescript();
  let found = false;
  const visit = (n: TS.Node): void => {
    if (found) return;
    if (t.isIdentifier(n) && names.includes(n.text) && !(t.isPropertyAccessExpression(n.parent) && n.parent.name === n)) found = true;
    else t.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

function contains(node: TS.Node, pred: (n: TS.Node) => boolean): boolean {
  const t = typescript();
  let found = false;
  const visit = (n: TS.Node): void => {
    if (found) return;
    if (pred(n)) found = true;
    else if (!isFunctionLike(n)) t.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/** A try block between the parse and the loop body (the record is already handled). */
function insideTryInLoop(call: TS.Node, body: TS.Block): boolean {
  const t = typescript();
  for (let child: TS.Node = call, p = call.parent; p && p !== body; child = p, p = p.parent) {
    if (t.isTryStatement(p) && p.tryBlock === child) return true;
  }
  return false;
}

/** The statement holding the parse: a statement of a block inside the loop body. */
function statementOf(call: TS.Node, body: TS.Block): TS.Statement | undefined {
  const t = typescript();
  for (let p: TS.Node | undefined = call; p && p !== body; p = p.parent) {
    if (t.isStatement(p)) return t.isBlock(p.parent) ? p : undefined;
  }
  return undefined;
}

/** The logger the file already uses for warnings (`logger.warn(…)` / `log.warn(…)`), else console. */
function loggerOf(ctx: RecipeContext): string {
  for (const name of ['logger', 'log']) {
    if (new RegExp(`\\b${name}\\.warn\\(`).test(ctx.text) && isDeclared(ctx.sf, name)) return name;
  }
  return 'console';
}

/** Adds one indentation level to the continuation lines of `code` (left alone when it holds a template literal). */
function reindent(code: string, unit: string): string {
  return code.includes('`') ? code : code.replace(/\n/g, `\n${unit}`);
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const call = ctx.at((n): n is TS.CallExpression => parseKind(t, n) !== undefined)[0];
  if (call === undefined) return refuse('no JSON.parse(…) or parse call starts here');
  const kind = parseKind(t, call) as ParseKind;
  if (kind === 'json' && isDeclared(ctx.sf, 'JSON')) return refuse('the file declares its own JSON');
  const rl = recordLoop(call);
  if (typeof rl === 'string') return refuse(rl);
  if (!call.arguments.some((a) => reads(a, rl.recordNames))) return refuse(`the parse does not read the loop's record (${rl.recordNames.join(', ') || 'no record variable'})`);
  if (insideTryInLoop(call, rl.body)) return refuse('the parse is already inside a try block');
  const stmt = statementOf(call, rl.body);
  if (!stmt) return refuse('the parse is not a statement of a block in the loop body');
  if (contains(stmt, (n) => t.isAwaitExpression(n) || t.isYieldExpression(n))) return refuse('the statement awaits: a failure of the awaited call would be taken for a bad record');

  const { style } = ctx;
  const taken = new Set(ctx.names());
  const err = uniqueName('err', taken);
  taken.add(err);
  const indent = indentAt(ctx.text, stmt.getStart(ctx.sf));
  const edits: TextEdit[] = [];

  // the record number
  let number = rl.number;
  if (number === undefined && rl.addIndexParam) {
    const fn = rl.addIndexParam;
    const index = uniqueName('index', taken);
    taken.add(index);
    const p0 = fn.parameters[0] as TS.ParameterDeclaration;
    const parens = t.isArrowFunction(fn) && !fn.getChildren(ctx.sf).some((c) => c.kind === t.SyntaxKind.OpenParenToken);
    if (parens) {
      edits.push({ start: p0.getStart(ctx.sf), end: p0.getStart(ctx.sf), newText: '(' }, { start: p0.end, end: p0.end, newText: `, ${index})` });
    } else {
      edits.push({ start: p0.end, end: p0.end, newText: `, ${index}` });
    }
    number = `${index} + 1`;
  }
  if (number === undefined) {
    // a for-of: a counter before the loop, advanced first thing in its body
    const loop = rl.loop as TS.ForOfStatement;
    const counter = uniqueName('record', taken);
    taken.add(counter);
    const outer = t.isLabeledStatement(loop.parent) ? loop.parent : loop;
    if (!t.isBlock(outer.parent) && !t.isSourceFile(outer.parent) && !t.isCaseClause(outer.parent) && !t.isDefaultClause(outer.parent)) return refuse('the loop is not a statement of a block');
    const loopStart = outer.getStart(ctx.sf);
    const loopIndent = indentAt(ctx.text, loopStart);
    edits.push({ start: loopStart, end: loopStart, newText: `${styled(`let ${counter} = 0;`, style)}${style.eol}${loopIndent}` });
    const open = rl.body.getStart(ctx.sf) + 1;
    const first = rl.body.statements[0];
    const bodyIndent = first ? indentAt(ctx.text, first.getStart(ctx.sf)) : loopIndent + style.indent;
    edits.push({ start: open, end: open, newText: `${style.eol}${bodyIndent}${styled(`${counter}++;`, style)}` });
    number = counter;
  }

  const log = loggerOf(ctx);
  const skip = rl.skip === 'continue' ? 'continue;' : 'return;';
  const message = kind === 'json' ? `\`skipping record \${${number}}: it does not parse (\${${err}.message})\`` : `\`skipping record \${${number}}: it does not parse (\${${err} instanceof Error ? ${err}.message : String(${err})})\``;
  const handler = [`} catch (${err}) {`, ...(kind === 'json' ? [`  if (!(${err} instanceof SyntaxError)) throw ${err};`] : []), `  ${log}.warn(${message});`, `  ${skip}`, '}'];

  let head: string[];
  let inner: string;
  if (t.isVariableStatement(stmt)) {
    const list = stmt.declarationList;
    const decl = list.declarations[0];
    if (list.declarations.length !== 1 || !decl || !t.isIdentifier(decl.name) || !decl.initializer) return refuse('the parse is not the only initialiser of one variable (a destructuring or a list of variables)');
    if (stmt.modifiers?.length) return refuse('the declaration has modifiers');
    if (!contains(decl.initializer, (n) => n === call)) return refuse('the parse is not in the variable\'s initialiser');
    let type = '';
    if (ctx.typed) {
      const init = decl.initializer;
      const typeNode = decl.type ?? (t.isAsExpression(init) || t.isTypeAssertionExpression(init) ? init.type : undefined);
      if (typeNode) type = `: ${typeNode.getText(ctx.sf)}`;
      else if (skipOuter(init) === call && kind === 'json') type = ': any';
      else return refuse(`the type of ${decl.name.text} cannot be named here; annotate the variable first`);
    }
    head = [`let ${decl.name.text}${type};`, 'try {'];
    inner = `${decl.name.text} = ${decl.initializer.getText(ctx.sf)}${style.semicolons ? ';' : ''}`;
  } else if (t.isExpressionStatement(stmt)) {
    head = ['try {'];
    inner = stmt.getText(ctx.sf);
  } else {
    return refuse('the parse is not in a variable declaration or an expression statement');
  }
  const before = head.map((l) => styled(l, style)).join(`${style.eol}${indent}`);
  const after = handler.map((l) => styled(l, style)).join(`${style.eol}${indent}`);
  const text = `${before}${style.eol}${indent}${style.indent}${reindent(inner, style.indent)}${style.eol}${indent}${after}`;
  edits.push({ start: stmt.getStart(ctx.sf), end: stmt.end, newText: text });
  return { edits };
}

export const skipBadRecord = defineRecipe({
  id: ID,
  title: 'Skip (and report) a corrupt record instead of refusing to start',
  category: 'resilience',
  addresses: { smells: [], failureTypes: ['data-corruption', 'crash'] },
  options: [],
  plan,
});
