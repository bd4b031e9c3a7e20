/**
 * Edits on object literals and call arguments that keep the layout: a property added to `{ a: 1 }` lands on
 * the same line, one added to a multi-line literal gets its own line with the neighbours' indentation, and a
 * trailing comment stays on the line it was on.
 */
import { skipOuter } from './ast.js';
import type { TextEdit } from './edits.js';
import type { Plan, RecipeContext } from './recipe.js';
import { indentAt, lineBounds } from './style.js';
import { typescript, type TS } from './ts.js';

/** Property names of an object literal; undefined when a spread or a computed key hides some. */
export function literalKeys(obj: TS.ObjectLiteralExpression): Set<string> | undefined {
  const t = typescript();
  const keys = new Set<string>();
  for (const p of obj.properties) {
    if (t.isSpreadAssignment(p)) return undefined;
    if (p.name === undefined) continue;
    if (t.isComputedPropertyName(p.name)) {
      if (t.isStringLiteralLike(p.name.expression)) keys.add(p.name.expression.text);
      else return undefined;
    } else if (t.isIdentifier(p.name) || t.isStringLiteral(p.name) || t.isNumericLiteral(p.name) || t.isPrivateIdentifier(p.name) || t.isNoSubstitutionTemplateLiteral(p.name)) keys.add(p.name.text);
    else return undefined;
  }
  return keys;
}

/** The initializer of a `const` declared once in the file under this name, when it is an object literal. */
export function constObjectLiteral(ctx: RecipeContext, id: TS.Identifier): TS.ObjectLiteralExpression | undefined {
  const t = typescript();
  const found: TS.VariableDeclaration[] = [];
  let declarations = 0;
  const visit = (n: TS.Node): void => {
    if ((t.isVariableDeclaration(n) || t.isParameter(n) || t.isFunctionDeclaration(n) || t.isBindingElement(n)) && n.name && t.isIdentifier(n.name) && n.name.text === id.text) {
      declarations++;
      if (t.isVariableDeclaration(n) && t.isVariableDeclarationList(n.parent) && (n.parent.flags & t.NodeFlags.Const) !== 0) found.push(n);
    }
    t.forEachChild(n, visit);
  };
  visit(ctx.sf);
  if (declarations !== 1 || found.length !== 1) return undefined;
  const init = (found[0] as TS.VariableDeclaration).initializer;
  if (init === undefined) return undefined;
  const e = skipOuter(init);
  return t.isObjectLiteralExpression(e) ? e : undefined;
}

/** Does a comment follow `pos` on its line? Returns the end of the line when one does. */
function trailingCommentEnd(text: string, pos: number): number | undefined {
  const { end } = lineBounds(text, pos);
  const rest = text.slice(pos, end);
  return /^\s*,?\s*(\/\/|\/\*)/.test(rest) ? end : undefined;
}

/** Edits that add `props` ("key: value" texts) at the end of an object literal, in its layout. */
export function addProperties(ctx: RecipeContext, obj: TS.ObjectLiteralExpression, props: readonly string[]): TextEdit[] {
  const { text, sf, style } = ctx;
  const open = obj.getStart(sf);
  const close = obj.end - 1;
  const list = props.join(', ');
  const last = obj.properties[obj.properties.length - 1];
  if (last === undefined) {
    const inner = text.slice(open + 1, close);
    if (/\/\/|\/\*/.test(inner)) return [{ start: close, end: close, newText: ` ${list} ` }];
    return [{ start: open, end: obj.end, newText: `{ ${list} }` }];
  }
  const trailingComma = obj.properties.hasTrailingComma;
  const afterLast = last.end;
  const commaEnd = trailingComma ? text.indexOf(',', afterLast) + 1 : afterLast;
  const multiLine = ctx.sf.getLineAndCharacterOfPosition(open).line !== ctx.sf.getLineAndCharacterOfPosition(close).line;
  if (!multiLine) {
    return trailingComma ? [{ start: commaEnd, end: commaEnd, newText: ` ${list},` }] : [{ start: afterLast, end: afterLast, newText: `, ${list}` }];
  }
  const indent = indentAt(text, last.getStart(sf));
  const lines = props.map((p) => `${style.eol}${indent}${p}`).join(',');
  const commentEnd = trailingCommentEnd(text, commaEnd);
  if (commentEnd !== undefined) {
    const edits: TextEdit[] = [];
    if (!trailingComma) edits.push({ start: afterLast, end: afterLast, newText: ',' });
    edits.push({ start: commentEnd, end: commentEnd, newText: lines + (trailingComma ? ',' : '') });
    return edits;
  }
  if (trailingComma) return [{ start: commaEnd, end: commaEnd, newText: lines + ',' }];
  return [{ start: afterLast, end: afterLast, newText: ',' + lines }];
}

export interface OptionsArgSpec {
  /** index of the options argument */
  index: number;
  /** keys whose presence means the call is already configured (then the recipe refuses) */
  presentKeys: readonly string[];
  /** "key: value" texts to add */
  props: readonly string[];
  /** what to write for missing arguments before `index` (e.g. `undefined` for axios' data); refuse when unset */
  fill?: string;
  /** what the call is, for messages */
  what: string;
}

/**
 * The edits that put `props` into the options argument of a call: into an inline object literal, as a new
 * `{ … }` argument when there is none, or as `{ ...opts, … }` around a `const opts = { … }` of the same
 * file. Refuses when the options are built elsewhere (a parameter, a spread, a call) — their keys cannot be known.
 */
export function setOptions(ctx: RecipeContext, call: TS.CallExpression | TS.NewExpression, spec: OptionsArgSpec): Plan {
  const t = typescript();
  const args = call.arguments ?? [];
  const list = spec.props.join(', ');
  const present = (keys: Set<string>): string | undefined => spec.presentKeys.find((k) => keys.has(k));
  if (args.length > spec.index) {
    const arg = args[spec.index] as TS.Expression;
    const e = skipOuter(arg);
    if (t.isObjectLiteralExpression(e)) {
      const keys = literalKeys(e);
      if (keys === undefined) return { refuse: `the options of ${spec.what} have a spread or computed key: whether they already set ${spec.presentKeys.join('/')} cannot be known here` };
      const k = present(keys);
      if (k !== undefined) return { refuse: `${spec.what} already sets ${k}` };
      return { edits: addProperties(ctx, e, spec.props) };
    }
    if (t.isIdentifier(e) && e.text === 'undefined') return { edits: [{ start: arg.getStart(ctx.sf), end: arg.end, newText: `{ ${list} }` }] };
    if (t.isIdentifier(e)) {
      const obj = constObjectLiteral(ctx, e);
      const keys = obj && literalKeys(obj);
      if (keys === undefined) return { refuse: `the options of ${spec.what} (${e.text}) are built elsewhere: whether they set ${spec.presentKeys.join('/')} cannot be known here` };
      const k = present(keys);
      if (k !== undefined) return { refuse: `${spec.what} already sets ${k} (in ${e.text})` };
      return { edits: [{ start: arg.getStart(ctx.sf), end: arg.end, newText: `{ ...${arg.getText(ctx.sf)}, ${list} }` }] };
    }
    return { refuse: `the options of ${spec.what} are not an object literal: whether they set ${spec.presentKeys.join('/')} cannot be known here` };
  }
  const missing = spec.index - args.length;
  if (missing > 0 && spec.fill === undefined) return { refuse: `${spec.what} has no argument where its options go` };
  const filler = Array.from({ length: missing }, () => spec.fill as string);
  const added = [...filler, `{ ${list} }`].join(', ');
  const lastArg = args[args.length - 1];
  if (lastArg === undefined) {
    // f() or new F / new F()
    if (t.isNewExpression(call) && call.arguments === undefined) return { edits: [{ start: call.end, end: call.end, newText: `(${added})` }] };
    const close = call.end - 1;
    return { edits: [{ start: close, end: close, newText: added }] };
  }
  if (call.arguments?.hasTrailingComma === true) {
    const comma = ctx.text.indexOf(',', lastArg.end) + 1;
    return { edits: [{ start: comma, end: comma, newText: ` ${added},` }] };
  }
  return { edits: [{ start: lastArg.end, end: lastArg.end, newText: `, ${added}` }] };
}
